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

# $tmp, $TMPDIR (rdprobe's own temporary files, FreeRDP's ConfigPath, go
# there, so that what it leaves behind can be checked), pids, ok / bad.
# shellcheck source=tests/prelude.sh
. "$(dirname "$0")/prelude.sh"

# Six consecutive free TCP+UDP ports on 127.0.0.1.
port_used() { ss -Htanu "sport = :$1" 2>/dev/null | grep -q .; }
base=""
for ((try = 0; try < 50; try++)); do
	b=$((42000 + (RANDOM % 2000) * 6))
	used=0
	for ((k = 0; k < 6; k++)); do port_used $((b + k)) && used=1; done
	[[ $used == 0 ]] && { base=$b; break; }
done
[[ -n $base ]] || skip "no free loopback ports"
TLS_PORT=$base RDP_PORT=$((base + 1)) SILENT_PORT=$((base + 2)) CLOSED_PORT=$((base + 3))
DENY_PORT=$((base + 4)) GARBAGE_PORT=$((base + 5))
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
# A listener that answers anything with a TPKT header whose length lies,
# then 3000 bytes of noise, and keeps the connection open.
timeout 120 python3 - "$GARBAGE_PORT" >"$tmp/garbage.log" 2>&1 <<'EOF' &
import random, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
s.settimeout(0.5)
rng, held, end = random.Random(7), [], time.time() + 100
while time.time() < end:
    try:
        c = s.accept()[0]
        c.sendall(b"\x03\x00\xff\xff\x02\xd0" + bytes(rng.randrange(256) for _ in range(3000)))
        held.append(c)
    except (socket.timeout, OSError):
        pass
EOF
pids+=($!)
for ((i = 0; i < 50; i++)); do
	ss -Htln "sport = :$GARBAGE_PORT" | grep -q . &&
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
v = {r["variant"]: r for r in d.get("results", d.get("probe", {}).get("results", []))}
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
check "tls: nothing weak in TLS 1.2 with a 2048-bit key" "$tmp/tls.json" 'v["tls"]["attempts"][0]["weak"] is None and "weak" not in v["tls"]["info"]'
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

# ---- a listener that talks garbage: clear results within the budget, no crash
all_tcp=x224,tls,ntlm-info,mtu
"$rdprobe" probe --variants freerdp-tls --port "$CLOSED_PORT" --timeout 5 127.0.0.1 >/dev/null 2>&1
[[ $? != 2 ]] && all_tcp+=,freerdp-tls,freerdp-nla
probe garbage --port "$GARBAGE_PORT" --variants "$all_tcp" --timeout 4 127.0.0.1
python3 -c "import sys; sys.exit(0 if $secs < 4.8 else 1)" && ok "garbage: within --timeout 4 ($secs s)" ||
	bad "garbage: within --timeout 4" "took $secs s"
check "garbage: every variant FAILED or TIMEOUT, none OK; x224 rejects the TPKT" "$tmp/garbage.json" \
	'[r["outcome"] in ("FAILED", "TIMEOUT", "SKIPPED") for r in d["results"]] == [True] * len(d["results"]) and v["x224"]["layer"] == "x224-request" and v["x224"]["error"]["name"] != "" and d["verdict"]["severity"] == "failure"'
[[ $rc == 1 ]] && ok "garbage: exit 1" || bad "garbage: exit 1" "rc=$rc $(cat "$tmp/garbage.err")"

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
	leftover=$(find "$TMPDIR" -mindepth 1 2>/dev/null | head -n 1)
	[[ -z $leftover ]] && ok "freerdp: ConfigPath removed (\$TMPDIR empty)" || bad "freerdp: ConfigPath removed" "$leftover"
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

# ---- ntlm-info: CredSSP NEGOTIATE / CHALLENGE (no credential is ever sent)
# freerdp-shadow-cli /sec:nla answers with winpr's NTLM CHALLENGE: the computer
# name is gethostname() up to its first dot (at most 15 characters), NetBIOS
# names upper case, Version 6.1.7601 (winpr's constant).  It runs under a
# private Xvfb on an abstract-socket display, HOME in $tmp, bound to 127.0.0.1.
if command -v freerdp-shadow-cli >/dev/null 2>&1 && command -v Xvfb >/dev/null 2>&1; then
	SHADOW_PORT="" XDISP=""
	for ((try = 0; try < 50; try++)); do
		p=$((46000 + RANDOM % 4000))
		port_used "$p" || { SHADOW_PORT=$p; break; }
	done
	for ((d = 40; d < 100; d++)); do
		grep -q "@/tmp/.X11-unix/X$d\$" /proc/net/unix || [[ -e /tmp/.X11-unix/X$d ]] ||
			{ XDISP=:$d; break; }
	done
	shome=$tmp/shadow-home
	mkdir -p "$shome/.config/freerdp/shadow" && chmod 0700 "$shome"
	cp "$tmp/cert.pem" "$shome/.config/freerdp/shadow/shadow.crt"
	install -m 0600 "$tmp/key.pem" "$shome/.config/freerdp/shadow/shadow.key"
	# The SAM entry only has to exist: the probe stops at the CHALLENGE.
	printf 'rdprobe:::%s:::\n' 00000000000000000000000000000000 >"$tmp/shadow.sam"
	shadow_up=0
	if [[ -n $SHADOW_PORT && -n $XDISP ]]; then
		timeout 120 Xvfb "$XDISP" -nolisten tcp -nolisten unix -nolock -screen 0 640x480x24 \
			>"$tmp/shadow-xvfb.log" 2>&1 &
		pids+=($!)
		# Up to 15 s: Xvfb starts slowly on a loaded machine.
		for ((i = 0; i < 150; i++)); do
			grep -q "@/tmp/.X11-unix/X${XDISP#:}\$" /proc/net/unix && break
			sleep 0.1
		done
		# Xvfb binds its socket before it serves clients: a shadow started too
		# early, or on a loaded machine, fails to open the display and exits:
		# start it again (6 tries).
		for ((attempt = 0; attempt < 6 && !shadow_up; attempt++)); do
			env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$shome" XDG_CONFIG_HOME="$shome/.config" \
				DISPLAY="$XDISP" WLOG_LEVEL=WARN timeout 120 freerdp-shadow-cli /bind-address:127.0.0.1 \
				/port:"$SHADOW_PORT" /sec:nla /sam-file:"$tmp/shadow.sam" >"$tmp/shadow.log" 2>&1 &
			spid=$!
			pids+=($spid)
			for ((i = 0; i < 150; i++)); do
				ss -Htln "sport = :$SHADOW_PORT" | grep -q . && { shadow_up=1; break; }
				kill -0 "$spid" 2>/dev/null || break
				sleep 0.1
			done
			((shadow_up)) || sleep 1
		done
	fi
	if [[ $shadow_up == 1 ]]; then
		probe ntlm --port "$SHADOW_PORT" --variants ntlm-info --timeout 10 127.0.0.1
		[[ $rc == 0 ]] && ok "ntlm-info vs shadow: exit 0" || bad "ntlm-info vs shadow: exit 0" "rc=$rc $(cat "$tmp/ntlm.err")"
		host=$(hostname)
		check "ntlm-info vs shadow: CHALLENGE with names, layer credssp" "$tmp/ntlm.json" \
			'v["ntlm-info"]["outcome"] == "OK" and v["ntlm-info"]["layer"] == "credssp" and v["ntlm-info"]["error"] is None and all(v["ntlm-info"]["ntlm"][k] for k in ("nb_computer", "nb_domain", "dns_computer", "dns_domain", "target_name"))'
		check "ntlm-info vs shadow: DNS computer name is the host name ($host)" "$tmp/ntlm.json" \
			'v["ntlm-info"]["ntlm"]["dns_computer"].lower() in ("'"$host"'".lower(), "'"$host"'".split(".")[0][:15].lower()) and v["ntlm-info"]["ntlm"]["nb_computer"] == v["ntlm-info"]["ntlm"]["dns_computer"].upper()'
		check "ntlm-info vs shadow: version, CredSSP, TLS, certificate" "$tmp/ntlm.json" \
			'(lambda n: n["version"]["major"] == 6 and n["version"]["minor"] == 1 and n["version"]["build"] == 7601 and n["version"]["os"] == "Windows Server 2008 R2 SP1 / Windows 7 SP1" and n["credssp_version"] >= 2 and n["credssp_error_code"] is None and n["tls_version"].startswith("TLSv1") and n["certificate"]["subject_cn"] == "'"$CN"'" and n["flags"] & 0x02800001 == 0x02800001 and n["timestamp"].endswith("Z") and not n["names"]["checked"])(v["ntlm-info"]["ntlm"])'
		# By name: localhost from /etc/hosts (files; never DNS), no match anywhere.
		if grep -Eq '^127\.0\.0\.1[[:space:]](.*[[:space:]])?localhost([[:space:]]|$)' /etc/hosts; then
			probe ntlm_name --port "$SHADOW_PORT" --variants ntlm-info --timeout 10 -4 localhost
			check "ntlm-info by name: localhost is neither the NTLM name nor in the certificate" "$tmp/ntlm_name.json" \
				'v["ntlm-info"]["outcome"] == "OK" and v["ntlm-info"]["finding"] == "TLS_CERT_NAME_MISMATCH" and v["ntlm-info"]["ntlm"]["names"] == {"checked": True, "consistent": False, "host_in_certificate": False, "host_matches_ntlm": False}'
			"$rdprobe" probe --port "$SHADOW_PORT" --variants ntlm-info --timeout 10 -4 localhost >"$tmp/ntlm.txt" 2>&1
			if grep -Eq "^ntlm-info: CredSSP/NTLM CHALLENGE from 127\.0\.0\.1 port $SHADOW_PORT \(TLSv1\.[23], CredSSP v[0-9]+\)\$" "$tmp/ntlm.txt" &&
				grep -Fqx "  names: DNS localhost | certificate CN=$CN, DNS:$CN | NTLM $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["ntlm"]["dns_computer"])' "$tmp/ntlm_name.json"): inconsistent" "$tmp/ntlm.txt"; then
				ok "ntlm-info text: header and names line"
			else
				bad "ntlm-info text: header and names line" "$(cat "$tmp/ntlm.txt")"
			fi
		else
			echo "skip ntlm-info by name: no 127.0.0.1 localhost line in /etc/hosts"
		fi
	else
		bad "ntlm-info vs shadow: freerdp-shadow-cli listening" \
			"port ${SHADOW_PORT:-none} display ${XDISP:-none}: $(tail -n 5 "$tmp/shadow.log" "$tmp/shadow-xvfb.log" 2>&1)"
	fi
else
	echo "skip ntlm-info vs freerdp-shadow-cli: freerdp-shadow-cli or Xvfb missing"
fi
probe ntlm_xrdp --port "$TLS_PORT" --variants ntlm-info --timeout 10 127.0.0.1
check "ntlm-info vs TLS-only xrdp: SKIPPED, no NLA" "$tmp/ntlm_xrdp.json" \
	'v["ntlm-info"]["outcome"] == "SKIPPED" and v["ntlm-info"]["info"] == "server does not offer NLA: selected SSL" and v["ntlm-info"]["layer"] == "x224-confirm" and v["ntlm-info"]["ntlm"]["nb_computer"] is None'
probe ntlm_rdp --port "$RDP_PORT" --variants ntlm-info --timeout 10 127.0.0.1
check "ntlm-info vs RDP-security xrdp: SKIPPED, no NLA" "$tmp/ntlm_rdp.json" \
	'v["ntlm-info"]["outcome"] == "SKIPPED" and "does not offer NLA" in v["ntlm-info"]["info"]'
probe ntlm_closed --port "$CLOSED_PORT" --variants ntlm-info --timeout 10 127.0.0.1
check "ntlm-info vs nothing listening: ECONNREFUSED" "$tmp/ntlm_closed.json" \
	'v["ntlm-info"]["outcome"] == "FAILED" and v["ntlm-info"]["error"]["name"] == "ECONNREFUSED" and v["ntlm-info"]["layer"] == "tcp-reset"'

# ---- usage
"$rdprobe" probe >/dev/null 2>&1; rc=$?
[[ $rc == 2 ]] && ok "usage: no host -> 2" || bad "usage: no host -> 2" "rc=$rc"
"$rdprobe" probe --variants nope 127.0.0.1 >/dev/null 2>&1; rc=$?
[[ $rc == 2 ]] && ok "usage: unknown variant -> 2" || bad "usage: unknown variant -> 2" "rc=$rc"
"$rdprobe" probe --timeout 0 127.0.0.1 >/dev/null 2>&1; rc=$?
[[ $rc == 2 ]] && ok "usage: bad timeout -> 2" || bad "usage: bad timeout -> 2" "rc=$rc"

# ---- diagnose on loopback: capture + probe + analysis (both builds, so the
# sanitizers see it too)
"$rdprobe" diagnose --json --pcap "$tmp/diag.pcap" --junit "$tmp/diag.junit" --port "$TLS_PORT" \
	--variants tcp,x224,tls,udp --timeout 6 127.0.0.1 >"$tmp/diag.json" 2>"$tmp/diag.err"
rc=$?
[[ $rc == 0 ]] && ok "diagnose: exit 0" || bad "diagnose: exit 0" "rc=$rc $(head -c 400 "$tmp/diag.err")"
check "diagnose: verdict, capture on lo kept 0600, connections joined" "$tmp/diag.json" \
	'd["diagnose_schema_version"] == 1 and d["verdict"]["code"] == "HEALTHY" and d["capture"]["taken"] and d["capture"]["interface"] == "lo" and d["capture"]["kept"] and oct(__import__("os").stat("'"$tmp/diag.pcap"'").st_mode & 0o777) == "0o600" and {c["probe_variant"] for c in d["analysis"]["connections"]} >= {"tcp", "x224", "tls", "udp"}'
"$rdprobe" diagnose --port "$CLOSED_PORT" --variants tcp --timeout 3 127.0.0.1 >"$tmp/diag2.out" 2>&1
rc=$?
kept=$(sed -n 's/^capture: \([^,]*\), .*; kept$/\1/p' "$tmp/diag2.out")
if [[ $rc == 1 && -n $kept && -s $kept ]] && grep -q '^failure: TCP_REFUSED' "$tmp/diag2.out" &&
	grep -q '^evidence in the capture' "$tmp/diag2.out"; then
	ok "diagnose: a failure keeps the temporary capture and prints its path"
else
	bad "diagnose: a failure keeps the temporary capture" "rc=$rc $(head -n 12 "$tmp/diag2.out")"
fi
[[ -n $kept ]] && rm -f "$kept"
# On a terminal (script(1) gives it one), live progress goes to stderr.
if command -v script >/dev/null 2>&1; then
	script -qec "$rdprobe diagnose --port $TLS_PORT --variants tcp,udp --timeout 3 127.0.0.1 >/dev/null" \
		/dev/null >"$tmp/prog.err" 2>&1 </dev/null
	if grep -q 'variants done, running ' "$tmp/prog.err"; then
		ok "diagnose: live progress on a terminal"
	else
		bad "diagnose: live progress on a terminal" "$(head -c 300 "$tmp/prog.err")"
	fi
fi

# ---- passwords: never from argv, clear errors
"$rdprobe" probe --password-file /dev/null 127.0.0.1 >/dev/null 2>"$tmp/pw1.err"; rc=$?
[[ $rc == 2 ]] && grep -q -- '--password-file needs --user' "$tmp/pw1.err" && ok "password: --password-file without --user -> 2" ||
	bad "password: --password-file without --user -> 2" "rc=$rc $(cat "$tmp/pw1.err")"
"$rdprobe" probe --user u --password-file "$tmp/absent.pw" 127.0.0.1 >/dev/null 2>"$tmp/pw2.err"; rc=$?
[[ $rc == 2 && $(wc -l <"$tmp/pw2.err") == 1 ]] && grep -q 'cannot open --password-file' "$tmp/pw2.err" &&
	ok "password: unreadable --password-file -> 2, one line" || bad "password: unreadable --password-file -> 2, one line" "rc=$rc $(cat "$tmp/pw2.err")"
# No terminal (setsid: no controlling tty), no file, no variable: refused.
env -u RDPROBE_PASSWORD setsid -w "$rdprobe" probe --user u 127.0.0.1 </dev/null >/dev/null 2>"$tmp/pw3.err"; rc=$?
[[ $rc == 2 ]] && grep -q 'needs a password' "$tmp/pw3.err" && ok "password: --user without a source or a terminal -> 2" ||
	bad "password: --user without a source or a terminal -> 2" "rc=$rc $(cat "$tmp/pw3.err")"
# A password from the file and from the variable reaches no output, text or JSON.
secret="rdprobe-test-NOT-A-REAL-PW-$RANDOM"
(umask 077 && printf '%s\n' "$secret" >"$tmp/test.pw")
"$rdprobe" probe --user 'LAB\u' --password-file "$tmp/test.pw" --json --variants tcp --port "$TLS_PORT" 127.0.0.1 >"$tmp/pw4.out" 2>&1; rc=$?
RDPROBE_PASSWORD=$secret "$rdprobe" probe --user u --variants tcp --port "$TLS_PORT" 127.0.0.1 >"$tmp/pw5.out" 2>&1
if [[ $rc == 0 ]] && ! grep -qF "$secret" "$tmp/pw4.out" "$tmp/pw5.out" && grep -q '"user": "u"' "$tmp/pw4.out" &&
	grep -q 'NLA as u' "$tmp/pw5.out"; then
	ok "password: in no output (file and variable), user shown"
else
	bad "password: in no output (file and variable), user shown" "rc=$rc $(head -c 300 "$tmp/pw4.out")"
fi

# Files: diagnose (every variant) creates files only in $TMPDIR and at the
# --pcap path it was given (strace of every create, mkdir, rename, link).
# One trace file a process (-ff): with one shared file, strace splits a call
# that another process interrupts into "<unfinished ...>" and "resumed"
# lines, and the first half carries the path without the result.
# LeakSanitizer stops the world with ptrace, which it cannot do under strace:
# leak checks stay on in every other run of the sanitizer build.
if command -v strace >/dev/null 2>&1; then
	mkdir -p "$tmp/wt/home" "$tmp/wt/cwd" "$tmp/wt/trace"
	(cd "$tmp/wt/cwd" && HOME=$tmp/wt/home ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -ff -qq -o "$tmp/wt/trace/s" \
		-e trace=open,openat,creat,mkdir,mkdirat,rename,renameat2,link,linkat,symlink,symlinkat \
		"$rdprobe" diagnose --pcap "$tmp/wt/named.pcap" --port "$TLS_PORT" --timeout 6 127.0.0.1 \
		>"$tmp/wt/out" 2>&1)
	rc=$?
	created=$(cat "$tmp/wt/trace"/s.* | grep -E 'O_CREAT|mkdir|rename|link\(|linkat' | grep -v ' = -1' |
		grep -oE '"[^"]+"' | tr -d '"' | sort -u)
	outside=$(grep -vE "^($TMPDIR/|$tmp/wt/named\.pcap\$)" <<<"$created")
	if [[ $rc == 0 && -n $created && -z $outside ]] && grep -qx "$tmp/wt/named.pcap" <<<"$created"; then
		ok "files: created only in \$TMPDIR and at --pcap ($(wc -l <<<"$created") paths)"
	else
		bad "files: created only in \$TMPDIR and at --pcap" \
			"rc=$rc outside: ${outside:-none}; all: $(head -c 300 <<<"$created"); $(tail -n 3 "$tmp/wt/out")"
	fi
fi
# On a terminal (script(1)): the prompt, and the typed password not echoed.
if command -v script >/dev/null 2>&1; then
	(sleep 0.5; printf 'tty-typed-NOT-A-REAL-PW\n') |
		script -qec "$rdprobe probe --user u --variants tcp --port $TLS_PORT 127.0.0.1" /dev/null >"$tmp/tty.out" 2>&1
	if grep -q '^Password for u@127.0.0.1: ' "$tmp/tty.out" && ! grep -q 'tty-typed' "$tmp/tty.out" &&
		grep -q 'NLA as u' "$tmp/tty.out"; then
		ok "password: prompted on the terminal, not echoed"
	else
		bad "password: prompted on the terminal, not echoed" "$(head -c 300 "$tmp/tty.out")"
	fi
fi
# While diagnose runs (the parent, the capture child, the variants' children),
# no process shows the password in its argv or its environment.
secret2="rdprobe-test-NOT-A-REAL-PW-$RANDOM$RANDOM"
RDPROBE_PASSWORD=$secret2 "$rdprobe" diagnose --user u --pcap "$tmp/secret.pcap" --port "$TLS_PORT" \
	--variants udp,freerdp-nla,tcp --timeout 4 127.0.0.1 >"$tmp/secret.out" 2>&1 &
dpid=$!
seen=0 leaked=""
for ((i = 0; i < 30; i++)); do
	sleep 0.1
	for p in $(pgrep -x rdprobe); do
		seen=$((seen + 1))
		if tr '\0' '\n' 2>/dev/null <"/proc/$p/cmdline" | grep -qF -- "$secret2" ||
			tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qF -- "$secret2"; then
			leaked+=" $p"
		fi
	done
done
wait "$dpid"
if ((seen > 2)) && [[ -z $leaked ]] && ! grep -qaF -- "$secret2" "$tmp/secret.out" "$tmp/secret.pcap"; then
	ok "password: in no argv, environment (/proc of every rdprobe process, $seen looks), output or capture"
else
	bad "password: in no argv or environment" "looked at $seen, leaked in:$leaked"
fi
rm -f "$tmp/secret.pcap"

echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
