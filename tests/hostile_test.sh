#!/usr/bin/env bash
# Hostile servers against `rdprobe probe`, on 127.0.0.1 only: one python3
# server per behaviour, each on its own free port:
#   close     accepts and closes at once
#   garbage   answers the X.224 request with 4 KB of noise
#   trickle   answers the X.224 request one byte a second
#   tlsstall  a correct X.224 Connection Confirm (SSL), then silence: TLS
#             never finishes
#   bigcert   X.224 (SSL), then TLS with a 1 MB certificate chain
#   slowtls   X.224 (SSL), then TLS only after 3 s: slow, which the mtu
#             variant must not call a black hole
# Every probe must end within its --timeout (plus reaping), with every
# variant FAILED / TIMEOUT / SKIPPED and a named error (but the correct
# X.224 confirms of tlsstall and bigcert), a failure verdict, exit 1, no crash
# (a sanitizer build aborts on any error), and bounded memory (the largest
# process of the run, from GNU time's maximum resident set).
#
#   tests/hostile_test.sh RDPROBE
#
# Needs python3, openssl, ss and /usr/bin/time; exits 77 (skipped) without.
set -u
rdprobe=${1:?usage: hostile_test.sh RDPROBE}
case "$rdprobe" in /*) ;; *) rdprobe="$(cd "$(dirname "$rdprobe")" && pwd)/$(basename "$rdprobe")" ;; esac
skip() { echo "SKIP: $*"; exit 77; }
for tool in python3 openssl ss /usr/bin/time; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool missing"
done

tmp=$(mktemp -d) || exit 1
spid=""
cleanup() {
	[[ -n $spid ]] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

modes=(close garbage trickle tlsstall bigcert slowtls)
port_used() { ss -Htanu "sport = :$1" 2>/dev/null | grep -q .; }
base=""
for ((try = 0; try < 50; try++)); do
	b=$((50000 + (RANDOM % 2000) * 8))
	used=0
	for ((k = 0; k < ${#modes[@]}; k++)); do port_used $((b + k)) && used=1; done
	[[ $used == 0 ]] && { base=$b; break; }
done
[[ -n $base ]] || skip "no free loopback ports"

# A certificate chain of about 1 MB: the leaf, then the same CA certificate
# repeated (the client must refuse or bound it, not trust it).
openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=hostile.test" -days 30 \
	-keyout "$tmp/key.pem" -out "$tmp/leaf.pem" >"$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log"; exit 1; }
cp "$tmp/leaf.pem" "$tmp/chain.pem"
for ((i = 0; i < 800; i++)); do cat "$tmp/leaf.pem"; done >>"$tmp/chain.pem"

timeout 300 python3 - "$base" "$tmp/chain.pem" "$tmp/key.pem" "${modes[@]}" >"$tmp/servers.log" 2>&1 <<'EOF' &
import os, socket, ssl, sys, threading, time
base, chain, key, modes = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
# X.224 Connection Confirm with RDP_NEG_RSP selecting PROTOCOL_SSL.
CC = bytes.fromhex("030000130ed00000123400" + "0200" + "0800" + "01000000")
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(chain, key)
small = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
small.load_cert_chain(chain.replace("chain.pem", "leaf.pem"), key)

def read_request(c):
    c.settimeout(5)
    try:
        c.recv(4096)
    except OSError:
        pass

def serve(c, mode):
    try:
        if mode == "close":
            c.close(); return
        read_request(c)
        if mode == "garbage":
            c.sendall(os.urandom(4096)); time.sleep(30)
        elif mode == "trickle":
            for b in CC * 100:
                c.sendall(bytes([b])); time.sleep(1)
        elif mode == "tlsstall":
            c.sendall(CC); time.sleep(30)
        elif mode == "bigcert":
            c.sendall(CC)
            c.settimeout(20)
            s = ctx.wrap_socket(c, server_side=True)
            time.sleep(10); s.close()
        elif mode == "slowtls":
            c.sendall(CC)
            time.sleep(3)  # a slow server, not a lost flight
            c.settimeout(20)
            s = small.wrap_socket(c, server_side=True)
            time.sleep(2); s.close()
    except OSError:
        pass
    finally:
        try: c.close()
        except OSError: pass

def listen(port, mode):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, mode), daemon=True).start()

for i, m in enumerate(modes):
    threading.Thread(target=listen, args=(base + i, m), daemon=True).start()
print("ready", flush=True)
time.sleep(280)
EOF
spid=$!
for ((i = 0; i < 50; i++)); do grep -q ready "$tmp/servers.log" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$tmp/servers.log" || { cat "$tmp/servers.log"; skip "hostile servers did not start"; }

variants=x224,tls,ntlm-info,mtu
"$rdprobe" probe --variants freerdp-tls --port "$base" --timeout 2 127.0.0.1 >/dev/null 2>&1
[[ $? != 2 ]] && variants+=,freerdp-tls,freerdp-nla
BUDGET=5
for ((k = 0; k < ${#modes[@]}; k++)); do
	mode=${modes[k]}
	[[ $mode == slowtls ]] && continue # below
	port=$((base + k))
	t0=$(date +%s.%N)
	/usr/bin/time -f '%M' -o "$tmp/$mode.rss" "$rdprobe" probe --json --variants "$variants" \
		--port "$port" --timeout "$BUDGET" 127.0.0.1 >"$tmp/$mode.json" 2>"$tmp/$mode.err"
	rc=$?
	secs=$(python3 -c "print(round($(date +%s.%N) - $t0, 2))")
	rss=$(tail -n 1 "$tmp/$mode.rss")
	why=$(python3 - "$tmp/$mode.json" "$rc" "$secs" "$BUDGET" "$rss" "$mode" <<'EOF'
import json, sys
path, rc, secs, budget, rss, mode = sys.argv[1:7]
errs = []
try:
    d = json.load(open(path))
except Exception as e:
    print("no JSON (exit %s): %s" % (rc, e)); sys.exit()
if rc != "1":
    errs.append("exit %s, want 1" % rc)
if float(secs) > float(budget) + 1:
    errs.append("took %s s, budget %s s" % (secs, budget))
if int(rss) > 400 * 1024:
    errs.append("max RSS %s KiB" % rss)
for r in d["results"]:
    if r["variant"] == "x224" and r["outcome"] == "OK" and mode in ("tlsstall", "bigcert"):
        continue  # their X.224 confirm is correct
    if r["outcome"] not in ("FAILED", "TIMEOUT", "SKIPPED"):
        errs.append("%s: %s" % (r["variant"], r["outcome"]))
    elif r["outcome"] != "SKIPPED" and not (r.get("error") or {}).get("name"):
        errs.append("%s: no error named" % r["variant"])
if d["verdict"]["severity"] != "failure":
    errs.append("verdict %s" % d["verdict"]["severity"])
print("; ".join(errs))
EOF
	)
	if [[ -z $why ]]; then
		ok "$mode: every variant failed cleanly within ${secs}s, max RSS $((rss / 1024)) MiB"
	else
		bad "$mode" "$why $(head -c 300 "$tmp/$mode.err")"
	fi
done
# A server that takes 3 s to start TLS: slow, not a black hole.
k=$((${#modes[@]} - 1))
"$rdprobe" probe --json --variants tls,mtu --port $((base + k)) --timeout 15 127.0.0.1 >"$tmp/slowtls.json" 2>&1
python3 - "$tmp/slowtls.json" <<'EOF' && ok "slowtls: TLS after 3 s is a slow server, no MTU_BLACKHOLE" || bad "slowtls" "$(head -c 600 "$tmp/slowtls.json")"
import json, sys
d = json.load(open(sys.argv[1]))
v = {r["variant"]: r for r in d["results"]}
sys.exit(0 if v["tls"]["outcome"] == "OK" and v["mtu"]["outcome"] == "OK" and v["mtu"]["finding"] is None
         and "slow server" in v["mtu"]["info"] else 1)
EOF
# The specific error each behaviour must produce.
python3 - "$tmp" <<'EOF' && ok "errors name the behaviour" || bad "errors name the behaviour" "see above"
import json, sys
t = sys.argv[1]
def v(mode, variant):
    d = json.load(open("%s/%s.json" % (t, mode)))
    return {r["variant"]: r for r in d["results"]}[variant]
checks = [
    ("close", "x224", lambda r: r["error"]["name"] in ("EOF", "ECONNRESET")),
    ("garbage", "x224", lambda r: r["layer"] == "x224-request"),
    ("trickle", "x224", lambda r: r["outcome"] == "TIMEOUT"),
    ("tlsstall", "tls", lambda r: r["outcome"] == "TIMEOUT" and r["layer"] == "tls-client-hello"),
    ("tlsstall", "mtu", lambda r: r["outcome"] == "TIMEOUT" and r["finding"] == "TLS_HANDSHAKE_FAILED"),
    ("bigcert", "tls", lambda r: r["outcome"] == "FAILED" and r["layer"] == "tls-client-hello"),
]
bad = 0
for mode, var, f in checks:
    r = v(mode, var)
    if not f(r):
        bad += 1
        print("  %s/%s: %s" % (mode, var, json.dumps({k: r[k] for k in ("outcome", "layer", "error", "info")})))
sys.exit(1 if bad else 0)
EOF
echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
