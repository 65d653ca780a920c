#!/usr/bin/env bash
# Live capture tests of capture/ through tests/capture_tool.c, on loopback
# only (127.0.0.1 and ::1): what is captured and what the filter leaves
# out, the file (0600, refusing an existing --pcap, the size cap), the
# statistics, the privilege drop (seen in /proc of the capture child) and
# the no-rights path (run as nobody, with and without CAP_NET_RAW).
#
#   tests/capture_test.sh CAPTURE_TOOL
#
# Needs root, python3, tcpdump, setpriv, ss; exits 77 (skipped) without
# them.  Every server is stopped on exit, every wait bounded.
set -u
tool=${1:?usage: capture_test.sh CAPTURE_TOOL}
case "$tool" in /*) ;; *) tool="$(cd "$(dirname "$tool")" && pwd)/$(basename "$tool")" ;; esac

skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) == 0 ]] || skip "not root"
for t in python3 tcpdump setpriv ss timeout; do
	command -v "$t" >/dev/null 2>&1 || skip "$t missing"
done
[[ -x $tool ]] || skip "capture_tool not built ($tool)"
# The invoking sudo user must not decide who the child becomes.
unset SUDO_UID SUDO_GID SUDO_USER

# $tmp, $TMPDIR, pids, ok / bad.
# shellcheck source=tests/prelude.sh
. "$(dirname "$0")/prelude.sh"
chmod 0755 "$tmp"
# expect NAME COMMAND...: passes when the command succeeds
expect() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name" "$*"; fi
}

# Two free ports on both loopback addresses, TCP and UDP.
port_used() { ss -Htanu "sport = :$1" 2>/dev/null | grep -q .; }
P="" Q=""
for ((try = 0; try < 50; try++)); do
	b=$((44000 + (RANDOM % 2000) * 2))
	port_used "$b" || port_used $((b + 1)) || { P=$b Q=$((b + 1)); break; }
done
[[ -n $P ]] || skip "no free loopback ports"

# Listener on 127.0.0.1 and ::1, port P, TCP (accept, close) and UDP
# (receive); nothing listens on Q.
timeout 100 python3 - "$P" >"$tmp/listener.log" 2>&1 <<'EOF' &
import select, socket, sys, time
port = int(sys.argv[1])
socks = []
for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, port))
    t.listen(16)
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((addr, port))
    socks += [t, u]
end = time.time() + 90
while time.time() < end:
    r, _, _ = select.select(socks, [], [], 0.5)
    for s in r:
        if s.type == socket.SOCK_STREAM:
            c, _ = s.accept()
            c.close()
        else:
            s.recvfrom(65536)
EOF
pids+=($!)
for ((i = 0; i < 50; i++)); do
	[[ $(ss -Htuln "sport = :$P" 2>/dev/null | wc -l) -ge 4 ]] && break
	sleep 0.1
done
[[ $(ss -Htuln "sport = :$P" | wc -l) -ge 4 ]] || { cat "$tmp/listener.log"; skip "listener did not start"; }

# The traffic generator: "tcp HOST PORT" connects (and closes), "udp HOST
# PORT TEXT" sends one datagram, "status FILE" saves the capture child's
# /proc status; a short pause at the end lets the last packets reach libpcap.
cat >"$tmp/traffic.py" <<'EOF'
import os, socket, sys, time
args = sys.argv[1:]
while args:
    kind = args.pop(0)
    if kind == "status":
        with open("/proc/%s/status" % os.environ["CAPTURE_PID"]) as f, open(args.pop(0), "w") as o:
            o.write(f.read())
        continue
    host, port = args.pop(0), int(args.pop(0))
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    if kind == "tcp":
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect((host, port))
        except OSError:
            pass
        s.close()
    else:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.sendto(args.pop(0).encode(), (host, port))
        s.close()
time.sleep(0.2)
EOF
chmod 0644 "$tmp/traffic.py"
traffic() { timeout 20 python3 "$tmp/traffic.py" "$@"; }

# cap NAME [TOOL-ARGS...]: runs the tool; $rc, $tmp/NAME.out (key=value)
cap() {
	local name=$1
	shift
	timeout 60 "$tool" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
}
# val NAME KEY: a key's value in $tmp/NAME.out
val() { sed -n "s/^$2=//p" "$tmp/$1.out" | head -n 1; }
# count FILE FILTER: packets in FILE matching the tcpdump filter
count() { tcpdump -nr "$1" "$2" 2>/dev/null | wc -l; }
syn_to() { echo "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn and dst host $1 and dst port $2"; }
syn6_to() { echo "ip6 and dst host $1 and tcp dst port $2 and ip6[53] & 0x12 == 0x02"; }

# ---- 1: IPv4 target, temporary file, whole host: 3 TCP connections and
# one datagram to P are in, traffic with ::1 is out; stats and privileges.
cap v4 127.0.0.1 -- python3 "$tmp/traffic.py" status "$tmp/v4.status" \
	tcp 127.0.0.1 "$P" tcp 127.0.0.1 "$P" tcp 127.0.0.1 "$P" udp 127.0.0.1 "$P" rdprobe-capture-test \
	tcp ::1 "$P" udp ::1 "$P" not-this-one
f=$(val v4 path)
expect "v4: started and stopped (exit 0)" test "$rc" = 0 -a "$(val v4 start)" = OK -a "$(val v4 stop)" = OK
expect "v4: loopback target -> iface lo" test "$(val v4 iface)" = lo
expect "v4: temporary file under TMPDIR" test "${f#"$TMPDIR"/rdprobe-}" != "$f" -a "${f%.pcap}" != "$f" -a -f "$f"
expect "v4: file mode 0600, owned by root (no SUDO_UID)" test "$(stat -c '%a %u' "$f" 2>/dev/null)" = "600 0"
reads_back() { tcpdump -nr "$1" -c 1 -q >/dev/null 2>&1; }
expect "v4: reads back with tcpdump" reads_back "$f"
expect "v4: 3 SYNs to port $P" test "$(count "$f" "$(syn_to 127.0.0.1 "$P")")" = 3
expect "v4: the UDP datagram, with its payload" \
	test "$(tcpdump -nr "$f" -A "udp and dst port $P" 2>/dev/null | grep -c rdprobe-capture-test)" = 1
# (ICMPv6 and port 53 of other programs on lo may pass the filter: by design.)
expect "v4: no TCP/UDP with ::1 (host filter)" test "$(count "$f" "ip6 and (tcp or udp) and port $P")" = 0
expect "v4: stats packets = records in the file" test "$(val v4 packets)" = "$(count "$f" '')"
expect "v4: stats file_bytes = file size" test "$(val v4 file_bytes)" = "$(stat -c %s "$f")"
expect "v4: pcap_stats reported, no drops, no cut" \
	test "$(val v4 have_pcap_stats)" = 1 -a "$(val v4 ps_drop)" = 0 -a "$(val v4 ps_recv)" -ge "$(val v4 packets)" -a "$(val v4 cut)" = none -a "$(val v4 not_written)" = 0
expect "v4: stats after the grace period (duration >= 1000 ms default)" test "$(val v4 duration_ms)" -ge 1000
st=$tmp/v4.status
grep -Eq $'^Uid:\t65534\t65534\t65534\t65534$' "$st" && grep -Eq $'^Gid:\t65534\t65534\t65534\t65534$' "$st" &&
	grep -Eq $'^Groups:\t *$' "$st" && ok "drop: uid/gid 65534, no groups" || bad "drop: uid/gid 65534, no groups" "$(grep -E '^(Uid|Gid|Groups)' "$st")"
if grep -Eq $'^CapInh:\t0+$' "$st" && grep -Eq $'^CapPrm:\t0+$' "$st" && grep -Eq $'^CapEff:\t0+$' "$st" &&
	grep -Eq $'^CapBnd:\t0+$' "$st" && grep -Eq $'^CapAmb:\t0+$' "$st" && grep -Eq $'^NoNewPrivs:\t1$' "$st"; then
	ok "drop: every capability set empty, no_new_privs"
else
	bad "drop: every capability set empty, no_new_privs" "$(grep -E '^(Cap|NoNew)' "$st")"
fi

# ---- 2: IPv6 target, --pcap, umask 000, --port P: SYN to [::1]:P in;
# [::1]:Q, 127.0.0.1 out; ICMPv6 errors and port 53 in whatever the port.
out=$tmp/v6.pcap
(umask 000 && cap v6 --pcap "$out" --port "$P" --grace 200 ::1 -- \
	python3 "$tmp/traffic.py" tcp ::1 "$P" tcp ::1 "$Q" udp ::1 "$Q" to-closed-port udp ::1 53 not-dns \
	tcp 127.0.0.1 "$P")
expect "v6: started and stopped" test "$rc" = 0 -a "$(val v6 path)" = "$out"
expect "v6: --pcap created 0600 under umask 000" test "$(stat -c %a "$out" 2>/dev/null)" = 600
expect "v6: 1 SYN to [::1]:$P" test "$(count "$out" "$(syn6_to ::1 "$P")")" = 1
expect "v6: nothing TCP/UDP to port $Q (--port)" test "$(count "$out" "(tcp or udp) and port $Q")" = 0
expect "v6: the ICMPv6 port unreachable about port $Q kept" test "$(count "$out" 'icmp6 and ip6[40] == 1')" -ge 1
expect "v6: port 53 kept" test "$(tcpdump -nr "$out" -A 'udp and dst port 53' 2>/dev/null | grep -c not-dns)" = 1
expect "v6: no TCP/UDP with 127.0.0.1 (host filter)" test "$(count "$out" "ip and (tcp or udp) and port $P")" = 0

# ---- 2b: --iface any (Linux cooked capture): the SYN is there too.
cap any --iface any --pcap "$tmp/any.pcap" --grace 200 127.0.0.1 -- python3 "$tmp/traffic.py" tcp 127.0.0.1 "$P"
expect "any: started on iface any" test "$rc" = 0 -a "$(val any iface)" = any
expect "any: Linux cooked link type" sh -c "tcpdump -nr '$tmp/any.pcap' -c 1 2>&1 >/dev/null | grep -q 'link-type LINUX_SLL'"
expect "any: the SYN to port $P" test "$(count "$tmp/any.pcap" "$(syn_to 127.0.0.1 "$P")")" -ge 1

# ---- 3: an existing --pcap is refused and left alone; so is a symlink.
echo keep-me >"$tmp/exists.pcap"
cap exists --pcap "$tmp/exists.pcap" 127.0.0.1 -- true
expect "exists: BAD_FILE (exit 13)" test "$rc" = 13 -a "$(val exists start)" = BAD_FILE
expect "exists: one-line reason" grep -qx "error=$tmp/exists.pcap exists: refusing to overwrite it (remove it or choose another --pcap)" "$tmp/exists.out"
expect "exists: content untouched" test "$(cat "$tmp/exists.pcap")" = keep-me
ln -s "$tmp/exists.pcap" "$tmp/link.pcap"
cap link --pcap "$tmp/link.pcap" 127.0.0.1 -- true
expect "symlink: refused, target untouched" test "$rc" = 13 -a "$(cat "$tmp/exists.pcap")" = keep-me
cap nodir --pcap "$tmp/no/such/dir.pcap" 127.0.0.1 -- true
expect "missing directory: BAD_FILE, precise" grep -qx "error=cannot create $tmp/no/such/dir.pcap: No such file or directory" "$tmp/nodir.out"

# ---- 4: precise errors: interface, address.
cap noif --iface rdprobe-nosuch0 127.0.0.1 -- true
expect "iface: BAD_IFACE, 'no such interface'" \
	test "$rc" = 12 -a "$(val noif error)" = "no such interface: rdprobe-nosuch0"
cap noaddr not-an-address -- true
expect "address: BAD_FILTER" test "$rc" = 14 -a "$(val noaddr error)" = "filter: 'not-an-address' is not an IPv4 or IPv6 address"
expect "failed starts leave no file in TMPDIR" test -z "$(ls -A "$TMPDIR" | grep -v "^$(basename "$f")\$")"

# ---- 5: the size cap: the file stops growing, the rest is counted.
cap cut --pcap "$tmp/cut.pcap" --max-bytes 300 --grace 100 127.0.0.1 -- \
	python3 "$tmp/traffic.py" tcp 127.0.0.1 "$P" tcp 127.0.0.1 "$P" tcp 127.0.0.1 "$P"
expect "cut: max_bytes reported, packets not written counted" \
	test "$rc" = 0 -a "$(val cut cut)" = max_bytes -a "$(val cut not_written)" -gt 0
expect "cut: the file within the cap, still readable" \
	test "$(stat -c %s "$tmp/cut.pcap")" -le 300 -a "$(count "$tmp/cut.pcap" '')" = "$(val cut packets)"

# ---- 5b: the time limit: the child stops by itself, stop still gets stats.
cap maxms --pcap "$tmp/maxms.pcap" --max-ms 300 --grace 0 127.0.0.1 -- sleep 1
expect "max-ms: cut max_time, stats delivered, duration ~300 ms" \
	test "$rc" = 0 -a "$(val maxms cut)" = max_time -a "$(val maxms duration_ms)" -ge 300 -a "$(val maxms duration_ms)" -lt 1000

# ---- 5c: a child killed under our feet: capture_stop says so, bounded.
cap killed --pcap "$tmp/killed.pcap" 127.0.0.1 -- sh -c 'kill -KILL "$CAPTURE_PID"'
expect "killed child: stop ERROR (exit 20), precise" \
	test "$rc" = 20 -a "$(val killed error)" = "capture: the capture process ended (signal 9) without statistics; $tmp/killed.pcap holds what was flushed"

# ---- 5d: the parent dies: the child stops after its grace period, the
# file stays readable.
(timeout 20 "$tool" --pcap "$tmp/orphan.pcap" --grace 300 127.0.0.1 -- \
	sh -c 'echo "$CAPTURE_PID" >"$0"; python3 "$1" tcp 127.0.0.1 "$2"; kill -KILL "$PPID"' \
	"$tmp/orphan.pid" "$tmp/traffic.py" "$P" >/dev/null 2>&1; true) 2>/dev/null
opid=$(cat "$tmp/orphan.pid" 2>/dev/null)
gone=0
for ((i = 0; i < 40; i++)); do
	state=$(sed -n 's/^State:\t\(.\).*/\1/p' "/proc/$opid/status" 2>/dev/null)
	[[ -z $state || $state == Z ]] && { gone=1; break; }
	sleep 0.1
done
expect "orphan: the capture child ended by itself" test -n "$opid" -a "$gone" = 1
expect "orphan: the file holds the SYN" test "$(count "$tmp/orphan.pcap" "$(syn_to 127.0.0.1 "$P")")" = 1

# ---- 6: SUDO_UID/SUDO_GID: the child becomes that user, the file is theirs.
SUDO_UID=4242 SUDO_GID=4343 cap sudo --pcap "$tmp/sudo.pcap" --grace 0 127.0.0.1 -- \
	python3 "$tmp/traffic.py" status "$tmp/sudo.status"
expect "sudo: file owned by SUDO_UID:SUDO_GID, 0600" test "$(stat -c '%u:%g %a' "$tmp/sudo.pcap")" = "4242:4343 600"
expect "sudo: child uid 4242 gid 4343, CapEff 0" \
	grep -Eq $'^Uid:\t4242\t4242\t4242\t4242$' "$tmp/sudo.status"
grep -Eq $'^Gid:\t4343\t4343\t4343\t4343$' "$tmp/sudo.status" && grep -Eq $'^CapEff:\t0+$' "$tmp/sudo.status" &&
	ok "sudo: gid 4343, CapEff 0" || bad "sudo: gid 4343, CapEff 0" "$(grep -E '^(Gid|CapEff)' "$tmp/sudo.status")"

# ---- 7: no rights: nobody without capabilities gets NO_RIGHTS and the hint.
mkdir -m 0777 "$tmp/nobody"
cp "$tool" "$tmp/capture_tool" && chmod 0755 "$tmp/capture_tool"
TMPDIR=$tmp/nobody timeout 30 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$tmp/capture_tool" 127.0.0.1 -- true >"$tmp/norights.out" 2>&1
rc=$?
expect "no rights: NO_RIGHTS (exit 11)" test "$rc" = 11 -a "$(val norights start)" = NO_RIGHTS
expect "no rights: message names lo and the remedy" \
	grep -Eq '^error=no capture rights on lo \(.*\): run as root or grant CAP_NET_RAW: setcap cap_net_raw,cap_net_admin\+ep rdprobe$' "$tmp/norights.out"
expect "no rights: no file created" test -z "$(ls -A "$tmp/nobody")"

# ---- 8: CAP_NET_RAW without root (as a file capability would give it):
# capture works, and the child drops the capability.
TMPDIR=$tmp/nobody timeout 30 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	--inh-caps=+net_raw --ambient-caps=+net_raw "$tmp/capture_tool" --grace 0 127.0.0.1 -- \
	python3 "$tmp/traffic.py" status "$tmp/nobody/caps.status" tcp 127.0.0.1 "$P" >"$tmp/caps.out" 2>&1
rc=$?
expect "cap_net_raw: started and stopped as nobody" test "$rc" = 0 -a "$(val caps stop)" = OK
cf=$(val caps path)
expect "cap_net_raw: the file is nobody's, 0600, holds the SYN" \
	test "$(stat -c '%U %a' "$cf" 2>/dev/null)" = "nobody 600" -a "$(count "$cf" "$(syn_to 127.0.0.1 "$P")")" = 1
if grep -Eq $'^CapEff:\t0+$' "$tmp/nobody/caps.status" && grep -Eq $'^CapPrm:\t0+$' "$tmp/nobody/caps.status" &&
	grep -Eq $'^CapAmb:\t0+$' "$tmp/nobody/caps.status" && grep -Eq $'^CapInh:\t0+$' "$tmp/nobody/caps.status" &&
	grep -Eq $'^NoNewPrivs:\t1$' "$tmp/nobody/caps.status"; then
	ok "cap_net_raw: effective, permitted, inheritable, ambient empty; no_new_privs"
else
	bad "cap_net_raw: capabilities dropped" "$(grep -E '^(Cap|NoNew)' "$tmp/nobody/caps.status")"
fi

echo "capture_test: $pass passed, $fail failed"
[[ $fail == 0 ]]
