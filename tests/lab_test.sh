#!/usr/bin/env bash
# lab_test.sh RDPROBE [--live] [NAME...]
#
# Every lab scenario has its expected analysis in fixtures/lab/expected/
# NAME.facts: lines "PATH<TAB>JSON" (PATH into `rdprobe analyze --json`,
# as in tests/capture_facts.h: '/'-separated keys and indexes, "#len" for
# an array's length).  This checks:
#   1. the committed capture fixtures/lab/NAME.pcap yields every fact;
#   2. with --live (root, lab packages installed): the scenario is run again
#      in the lab (fixtures/lab/lab.sh run NAME), and the re-recorded
#      capture yields the same facts (frame numbers within FRAME_SLACK:
#      an ACK more or less moves with the machine's load).
# Prints one line per check and "N passed, M failed" last.
set -u
rdprobe=${1:?usage: lab_test.sh RDPROBE [--live] [NAME...]}
shift
live=0
if [ "${1:-}" = --live ]; then
	live=1
	shift
	# The live lab needs root and its packages; say skipped (77), never passed.
	if [ "$(id -u)" -ne 0 ] || [ -n "${RDPROBE_SKIP_LAB_LIVE:-}" ] ||
		! command -v xrdp >/dev/null || ! command -v xfreerdp >/dev/null; then
		echo "lab live: skipped (needs root, xrdp and xfreerdp; RDPROBE_SKIP_LAB_LIVE unset)"
		exit 77
	fi
fi
here=$(cd "$(dirname "$0")" && pwd)
lab=$(dirname "$here")/fixtures/lab
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

if [ $# -eq 0 ]; then
	set --
	for f in "$lab"/expected/*.facts; do
		n=$(basename "$f" .facts)
		set -- "$@" "$n"
	done
fi

FRAME_SLACK=3

# check_facts NAME PCAP LABEL: every fact of NAME.facts holds in PCAP.
check_facts() {
	local name=$1 pcap=$2 label=$3
	"$rdprobe" analyze --json "$pcap" >"$tmp/$name.json" 2>"$tmp/$name.err"
	local rc=$?
	# exit 1 is a diagnosed failure: still a report
	if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
		echo "FAIL $label $name: rdprobe exited $rc: $(head -1 "$tmp/$name.err")"
		fail=$((fail + 1))
		return
	fi
	local out
	# A re-recorded capture may have an ACK more or less before a key
	# packet (delayed ACKs move with the machine's load): its frame numbers
	# may differ by FRAME_SLACK; the committed captures' never do.
	local slack=0
	[ "$label" = re-recorded ] && slack=$FRAME_SLACK
	out=$(python3 - "$tmp/$name.json" "$lab/expected/$name.facts" "$slack" <<'EOF'
import json, sys
slack = int(sys.argv[3])
doc = json.load(open(sys.argv[1]))
root = doc["captures"][0]
bad = 0
n = 0
for line in open(sys.argv[2]):
    line = line.rstrip("\n")
    if not line or line.startswith("#"):
        continue
    path, want = line.split("\t", 1)
    cur = root
    for tok in path.split("/"):
        if isinstance(cur, list):
            cur = len(cur) if tok == "#len" else (cur[int(tok)] if int(tok) < len(cur) else None)
        elif isinstance(cur, dict):
            cur = cur.get(tok)
        else:
            cur = None
            break
    n += 1
    want_v = json.loads(want)
    key = path.split("/")[-1]
    if (slack and key.endswith("frame") and isinstance(want_v, int) and isinstance(cur, int)
            and want_v > 0 and cur > 0 and abs(cur - want_v) <= slack):
        continue
    if cur != want_v:
        bad += 1
        print("  %s: expected %s, found %s" % (path, want, json.dumps(cur)))
print("%d facts" % n)
sys.exit(1 if bad or n == 0 else 0)
EOF
)
	if [ $? -eq 0 ]; then
		echo "ok   $label $name (${out##*$'\n'})"
		pass=$((pass + 1))
	else
		echo "FAIL $label $name"
		printf '%s\n' "$out"
		fail=$((fail + 1))
	fi
}

for name in "$@"; do
	if [ ! -f "$lab/expected/$name.facts" ]; then
		echo "FAIL $name: no fixtures/lab/expected/$name.facts"
		fail=$((fail + 1))
		continue
	fi
	check_facts "$name" "$lab/$name.pcap" committed
	if [ $live -eq 1 ]; then
		if "$lab/lab.sh" run "$name" "$tmp/$name.live.pcap" >"$tmp/$name.lab.log" 2>&1; then
			check_facts "$name" "$tmp/$name.live.pcap" re-recorded
		else
			echo "FAIL re-recorded $name: lab.sh run failed"
			tail -15 "$tmp/$name.lab.log"
			fail=$((fail + 1))
		fi
	fi
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
