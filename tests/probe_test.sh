#!/usr/bin/env bash
# Loopback tests of `rdprobe probe` against servers this script starts
# itself on 127.0.0.1: xrdp with security_layer=tls, xrdp with
# security_layer=rdp, rdpeudp_responder (UDP, same port number as the TLS
# xrdp), a silent TCP listener (python3), and a port nobody listens on.
#
#   tests/probe_test.sh RDPROBE
#
# Needs root (xrdp, a private mount namespace for /run/xrdp so that its pid
# file never meets another xrdp's), xrdp, openssl, unshare, python3; exits
# 77 (skipped) without them.  No traffic leaves loopback: only IP literals
# are probed (no DNS).  Every server is stopped on exit, every wait bounded.
set -u
rdprobe=${1:?usage: probe_test.sh RDPROBE}
case "$rdprobe" in /*) ;; *) rdprobe="$(cd "$(dirname "$rdprobe")" && pwd)/$(basename "$rdprobe")" ;; esac
responder=${RDPEUDP_RESPONDER:-$(dirname "$rdprobe")/rdpeudp_responder}

skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) == 0 ]] || skip "not root"
for tool in xrdp openssl unshare python3 ss; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool missing"
done
[[ -x $responder ]] || skip "rdpeudp_responder not built ($responder)"

tmp=$(mktemp -d) || exit 1
pids=()
cleanup() {
	local p i
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		for ((i = 0; i < 30; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

# Five consecutive free TCP+UDP ports on 127.0.0.1.
port_used() { ss -Htanu "sport = :$1" 2>/dev/null | grep -q .; }
base=""
for ((try = 0; try < 50; try++)); do
	b=$((42000 + (RANDOM % 2000) * 5))
	used=0
	for ((k = 0; k < 5; k++)); do port_used $((b + k)) && used=1; done
	[[ $used == 0 ]] && { base=$b; break; }
done
[[ -n $base ]] || skip "no free loopback ports"
TLS_PORT=$base RDP_PORT=$((base + 1)) SILENT_PORT=$((base + 2)) CLOSED_PORT=$((base + 3))
DENY_PORT=$((base + 4))
CN=rdprobe-probe-test.test

openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=$CN" -addext "subjectAltName=DNS:$CN" \
	-days 30 -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >"$tmp/openssl.log" 2>&1 ||
	{ cat "$tmp/openssl.log"; exit 1; }
chmod 0600 "$tmp/key.pem"

# start_xrdp NAME PORT LAYER CRYPT
start_xrdp() {
	local name=$1 port=$2 layer=$3 crypt=$4 i
	cat >"$tmp/$name.ini" <<EOF
[Globals]
ini_version=1
fork=true
port=tcp://127.0.0.1:$port
use_vsock=false
security_layer=$layer
crypt_level=$crypt
certificate=$tmp/cert.pem
key_file=$tmp/key.pem
ssl_protocols=TLSv1.2, TLSv1.3
require_credentials=false
[Logging]
LogFile=$tmp/$name.log
LogLevel=INFO
EnableSyslog=false
EnableConsole=false
[Channels]
[Xorg]
name=Xorg
lib=libxup.so
username=ask
password=ask
ip=127.0.0.1
port=-1
code=20
EOF
	# A private /run/xrdp (tmpfs in a private mount namespace) for the pid file.
	unshare -m --propagation private sh -c \
		'mount -t tmpfs tmpfs /run/xrdp && mkdir -p /run/xrdp/sockdir && exec timeout 120 xrdp -n -c "$1"' \
		sh "$tmp/$name.ini" >"$tmp/$name.out" 2>&1 &
	pids+=($!)
	for ((i = 0; i < 50; i++)); do
		ss -Htln "sport = :$port" | grep -q . && return 0
		sleep 0.1
	done
	cat "$tmp/$name.out" "$tmp/$name.log" 2>/dev/null
	skip "xrdp ($layer) did not start on port $port"
}

start_xrdp tls "$TLS_PORT" tls high
start_xrdp rdp "$RDP_PORT" rdp fips
timeout 120 "$responder" --port "$TLS_PORT" --bind 127.0.0.1 --timeout 100 >"$tmp/udp.log" 2>&1 &
pids+=($!)
timeout 120 python3 - "$SILENT_PORT" >"$tmp/silent.log" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
s.settimeout(0.5)
held, end = [], time.time() + 100
while time.time() < end:
    try:
        held.append(s.accept()[0])  # accepted, never answered
    except socket.timeout:
        pass
EOF
pids+=($!)
for ((i = 0; i < 50; i++)); do
	ss -Htln "sport = :$SILENT_PORT" | grep -q . && ss -Hunl "sport = :$TLS_PORT" | grep -q . && break
	sleep 0.1
done

# probe NAME ARGS...: runs rdprobe probe --json; $rc, $tmp/NAME.json, $secs
probe() {
	local name=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$rdprobe" probe --json "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"
	rc=$?
	t1=$(date +%s.%N)
	secs=$(python3 -c "print(round($t1 - $t0, 2))")
}

# check NAME JSONFILE PYTHON-EXPR: the expression over `d` (the document)
# and `v` (results by variant) must be true.
check() {
	local name=$1 file=$2 expr=$3 out
	out=$(python3 - "$file" "$expr" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
v = {r["variant"]: r for r in d["results"]}
ok = eval(sys.argv[2])
print("" if ok else "false: " + json.dumps(d)[:600])
sys.exit(0 if ok else 1)
EOF
	) && ok "$name" || bad "$name" "$expr -> $out"
}

# ---- xrdp, security_layer=tls, with an RDP-UDP responder on the same port
probe tls --port "$TLS_PORT" --variants dns,tcp,x224,tls,udp --timeout 10 127.0.0.1
[[ $rc == 0 ]] && ok "tls: exit 0" || bad "tls: exit 0" "rc=$rc $(cat "$tmp/tls.err")"
check "tls: schema" "$tmp/tls.json" 'd["probe_schema_version"] == 1 and [r["variant"] for r in d["results"]] == ["dns", "tcp", "x224", "tls", "udp"]'
check "tls: every variant OK" "$tmp/tls.json" 'all(r["outcome"] == "OK" for r in d["results"])'
check "tls: policy table" "$tmp/tls.json" \
	'[(p["requested"], p.get("selected"), p.get("failure_name")) for p in v["x224"]["policy"]] == [(0, None, "SSL_REQUIRED_BY_SERVER"), (1, 1, None), (2, None, "SSL_REQUIRED_BY_SERVER"), (3, 1, None), (8, None, "SSL_REQUIRED_BY_SERVER"), (11, 1, None)]'
check "tls: layers" "$tmp/tls.json" \
	'[r["layer"] for r in d["results"]] == ["dns-answer", "tcp-established", "x224-confirm", "tls-established", "udp-established"]'
check "tls: TLS 1.2 attempt and certificate" "$tmp/tls.json" \
	'v["tls"]["attempts"][0]["version"] == "TLSv1.2" and v["tls"]["attempts"][0]["certificate"]["subject_cn"] == "'"$CN"'" and v["tls"]["attempts"][0]["certificate"]["self_signed"]'
check "tls: TLS 1.3 attempt" "$tmp/tls.json" 'v["tls"]["attempts"][1]["attempt"] == "tls1.3" and v["tls"]["attempts"][1]["outcome"] in ("OK", "FAILED")'
check "tls: timings" "$tmp/tls.json" 'isinstance(v["tls"]["ms"]["tls"], int) and isinstance(v["tcp"]["ms"]["connect"], int)'
check "udp: SYN+ACK at 1232 and 1132 bytes, the 24-byte datagram ignored" "$tmp/tls.json" \
	'[(a["size"], a["answered"], a.get("synack", {}).get("up_mtu")) for a in v["udp"]["attempts"]] == [(1232, True, 1232), (1132, True, 1132), (24, False, None)] and v["udp"]["attempts"][2]["error"]["name"] == "NO_ANSWER"'
check "tls: verdict HEALTHY, no finding, reached by tls" "$tmp/tls.json" \
	'd["verdict"]["code"] == "HEALTHY" and d["verdict"]["severity"] == "ok" and d["verdict"]["reached_by"] == "tls" and all(r["finding"] is None for r in d["results"])'

# ---- text output of the same run (one row per variant)
"$rdprobe" probe --port "$TLS_PORT" --variants tcp,x224 127.0.0.1 >"$tmp/text.out" 2>&1
rc=$?
if [[ $rc == 0 ]] && grep -Eq '^tcp +OK +tcp-established ' "$tmp/text.out" &&
	grep -Eq '^x224 +OK +x224-confirm ' "$tmp/text.out" &&
	grep -Eq '^  0x0 RDP +RDP_NEG_FAILURE +SSL_REQUIRED_BY_SERVER \(1\)' "$tmp/text.out"; then
	ok "text: table rows"
else
	bad "text: table rows" "rc=$rc $(cat "$tmp/text.out")"
fi

# ---- xrdp, security_layer=rdp: standard RDP security whatever is asked
probe rdp --port "$RDP_PORT" --variants x224,tls --timeout 10 127.0.0.1
[[ $rc == 0 ]] && ok "rdp: exit 0 (a warning only)" || bad "rdp: exit 0 (a warning only)" "rc=$rc"
check "rdp: verdict RDP_SECURITY_DOWNGRADE (warning) from x224; tls refused by policy is no finding" "$tmp/rdp.json" \
	'd["verdict"]["code"] == "RDP_SECURITY_DOWNGRADE" and d["verdict"]["severity"] == "warning" and d["verdict"]["variant"] == "x224" and v["tls"]["finding"] is None and "fix" in d["verdict"]'
check "rdp: policy selects RDP everywhere" "$tmp/rdp.json" \
	'v["x224"]["outcome"] == "OK" and all(p["selected"] == 0 and p["answered"] for p in v["x224"]["policy"])'
check "rdp: tls refused at X.224" "$tmp/rdp.json" \
	'v["tls"]["outcome"] == "FAILED" and v["tls"]["error"]["name"] == "SSL_NOT_SELECTED" and v["tls"]["layer"] == "x224-confirm"'

# ---- nothing listening
probe closed --port "$CLOSED_PORT" --variants tcp,x224,tls,udp --timeout 10 127.0.0.1
[[ $rc == 1 ]] && ok "closed: exit 1" || bad "closed: exit 1" "rc=$rc"
check "closed: refused everywhere" "$tmp/closed.json" \
	'all(r["outcome"] == "FAILED" and r["error"]["name"] == "ECONNREFUSED" for r in d["results"]) and v["tcp"]["layer"] == "tcp-reset"'
check "closed: verdict TCP_REFUSED (failure); udp: UDP_PORT_UNREACHABLE" "$tmp/closed.json" \
	'd["verdict"]["code"] == "TCP_REFUSED" and d["verdict"]["severity"] == "failure" and not d["verdict"]["reachable"] and v["udp"]["finding"] == "UDP_PORT_UNREACHABLE"'

# ---- a listener that never answers: the budget holds
probe silent --port "$SILENT_PORT" --variants tcp,x224,tls --timeout 2 127.0.0.1
python3 -c "import sys; sys.exit(0 if $secs < 2.8 else 1)" && ok "silent: within --timeout 2 ($secs s)" ||
	bad "silent: within --timeout 2" "took $secs s"
check "silent: TIMEOUT at X.224" "$tmp/silent.json" \
	'v["tcp"]["outcome"] == "OK" and v["x224"]["outcome"] == "TIMEOUT" and v["x224"]["layer"] == "x224-request" and v["tls"]["outcome"] == "TIMEOUT"'
check "silent: verdict failure without a code, furthest layer named" "$tmp/silent.json" \
	'd["verdict"]["code"] is None and d["verdict"]["severity"] == "failure" and "x224-request" in d["verdict"]["summary"]'

# ---- freerdp-* variants (libfreerdp2), when built in: real FreeRDP connections
deny=${RDP_DENY_SERVER:-$(dirname "$rdprobe")/rdp_deny_server}
"$rdprobe" probe --variants freerdp-tls --port "$CLOSED_PORT" --timeout 5 127.0.0.1 >/dev/null 2>&1
if [[ $? != 2 ]]; then # 2: unknown variant (built without freerdp2-dev)
	probe fr_tls --port "$TLS_PORT" --variants freerdp-tls,freerdp-rdp,freerdp-nla --timeout 10 127.0.0.1
	check "freerdp-tls vs TLS xrdp: OK with certificate" "$tmp/fr_tls.json" \
		'v["freerdp-tls"]["outcome"] == "OK" and v["freerdp-tls"]["layer"] == "mcs-connected" and v["freerdp-tls"]["error"] is None and v["freerdp-tls"]["freerdp"]["certificate"]["subject_cn"] == "'"$CN"'" and v["freerdp-tls"]["freerdp"]["certificate"]["self_signed"]'
	check "freerdp-rdp vs TLS xrdp: 0x2000D at MCS, no reconnect" "$tmp/fr_tls.json" \
		'v["freerdp-rdp"]["outcome"] == "FAILED" and v["freerdp-rdp"]["error"] == {"code": 0x2000D, "name": "ERRCONNECT_CONNECT_TRANSPORT_FAILED"} and v["freerdp-rdp"]["layer"] == "mcs-connect" and v["freerdp-rdp"]["freerdp"]["reconnect_stopped"]'
	check "freerdp-nla vs TLS xrdp: 0x2000C at negotiation" "$tmp/fr_tls.json" \
		'v["freerdp-nla"]["outcome"] == "FAILED" and v["freerdp-nla"]["error"] == {"code": 0x2000C, "name": "ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED"} and v["freerdp-nla"]["layer"] == "negotiation" and v["freerdp-nla"]["freerdp"]["error_info"] is None'
	probe fr_rdp --port "$RDP_PORT" --variants freerdp-rdp,freerdp-tls --timeout 10 127.0.0.1
	check "freerdp-rdp vs RDP (fips) xrdp: OK" "$tmp/fr_rdp.json" \
		'v["freerdp-rdp"]["outcome"] == "OK" and v["freerdp-rdp"]["layer"] == "mcs-connected" and v["freerdp-tls"]["error"]["name"] == "ERRCONNECT_SECURITY_NEGO_CONNECT_FAILED"'
	probe fr_closed --port "$CLOSED_PORT" --variants freerdp-tls,freerdp-nla --timeout 10 127.0.0.1
	check "freerdp vs nothing listening: transport failure before X.224, reconnect stopped" "$tmp/fr_closed.json" \
		'all(r["outcome"] == "FAILED" and r["error"]["name"] == "ERRCONNECT_CONNECT_TRANSPORT_FAILED" and r["layer"] == "tcp" and r["freerdp"]["reconnect_stopped"] for r in d["results"])'
	if [[ -x $deny ]]; then
		WLOG_LEVEL=OFF timeout 120 "$deny" --cert "$tmp/cert.pem" --key "$tmp/key.pem" --port "$DENY_PORT" \
			--bind 127.0.0.1 --max-connections 8 --timeout 100 >"$tmp/deny.log" 2>&1 &
		pids+=($!)
		for ((i = 0; i < 50; i++)); do ss -Htln "sport = :$DENY_PORT" | grep -q . && break; sleep 0.1; done
		probe fr_deny --port "$DENY_PORT" --variants freerdp-tls --timeout 10 127.0.0.1
		check "freerdp-tls vs rdp_deny_server: error info 0x7" "$tmp/fr_deny.json" \
			'v["freerdp-tls"]["outcome"] == "FAILED" and v["freerdp-tls"]["error"] == {"code": 0x10007, "name": "ERRINFO_SERVER_DENIED_CONNECTION"} and v["freerdp-tls"]["freerdp"]["error_info"] == {"code": 7, "name": "ERRINFO_SERVER_DENIED_CONNECTION"} and d["verdict"]["code"] == "SERVER_DENIED" and d["verdict"]["severity"] == "failure"'
		[[ $rc == 1 ]] && ok "freerdp-tls vs rdp_deny_server: exit 1" || bad "freerdp-tls vs rdp_deny_server: exit 1" "rc=$rc"
	else
		echo "skip freerdp-tls vs rdp_deny_server: $deny not built"
	fi
	leftover=$(find /tmp -maxdepth 1 -name 'rdprobe-freerdp-*' -newer "$tmp/cert.pem" 2>/dev/null | head -n 1)
	[[ -z $leftover ]] && ok "freerdp: ConfigPath removed" || bad "freerdp: ConfigPath removed" "$leftover"
else
	echo "skip freerdp-*: not built in"
fi

# ---- --expect-ip, --keylog
probe expect --variants dns --expect-ip 127.0.0.2 127.0.0.1
[[ $rc == 1 ]] && ok "expect-ip: exit 1" || bad "expect-ip: exit 1" "rc=$rc"
check "expect-ip: RESOLUTION_MISMATCH" "$tmp/expect.json" 'v["dns"]["error"]["name"] == "RESOLUTION_MISMATCH"'
probe keylog --port "$TLS_PORT" --variants tls --keylog "$tmp/keys.log" 127.0.0.1
if [[ $rc == 0 && $(stat -c %a "$tmp/keys.log" 2>/dev/null) == 600 ]] &&
	grep -Eq '^(CLIENT_RANDOM|CLIENT_TRAFFIC_SECRET_0) [0-9a-f]{64} [0-9a-f]+$' "$tmp/keys.log"; then
	ok "keylog: 0600 with secrets"
else
	bad "keylog: 0600 with secrets" "rc=$rc $(ls -l "$tmp/keys.log" 2>&1)"
fi

# ---- usage
"$rdprobe" probe >/dev/null 2>&1; rc=$?
[[ $rc == 2 ]] && ok "usage: no host -> 2" || bad "usage: no host -> 2" "rc=$rc"
"$rdprobe" probe --variants nope 127.0.0.1 >/dev/null 2>&1; rc=$?
[[ $rc == 2 ]] && ok "usage: unknown variant -> 2" || bad "usage: unknown variant -> 2" "rc=$rc"
"$rdprobe" probe --timeout 0 127.0.0.1 >/dev/null 2>&1; rc=$?
[[ $rc == 2 ]] && ok "usage: bad timeout -> 2" || bad "usage: bad timeout -> 2" "rc=$rc"

echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
