#!/usr/bin/env bash
# `rdprobe probe` and `rdprobe diagnose` against the lab: for every
# fixtures/lab/expected/NAME.probe, `lab.sh exec NAME` sets up the
# scenario's faults and servers, and in the client namespace the probe runs
# against srv.lab.test, then diagnose (--json, --pcap, --junit).  The
# probe's printed variant table is compared with the expected rows, its
# first line with the expected verdict, its exit status with the
# verdict's; diagnose must give the same verdict and exit status, a 0600
# capture that reads back with connections joined to their variants, the
# named evidence, valid JUnit.  Wall times (measured outside rdprobe) stay
# within the budget; the password appears in no output.  Last, `rdprobe
# diff` on two of the reports.
#
#   tests/lab_probe_test.sh RDPROBE [NAME...]
#
# NAME.probe, one directive per line ('#' comments):
#   args: ARGS...               extra probe arguments (default: none)
#   password: env|file VALUE    the NLA password via RDPROBE_PASSWORD or
#                               --password-file (a 0600 file); lab-only values
#   verdict: SEVERITY CODE      first line "SEVERITY: ..." naming CODE ("-": no code)
#   row: VARIANT OUTCOME LAYER ERROR FINDING
#                               that variant's row; "*" matches anything, "-" empty
#   match: REGEX                a line of the text output matches (grep -E)
#   dmatch: REGEX               diagnose's JSON verdict matches (Python re)
#   evidence: VARIANT CODE      diagnose's verdict has that variant's connection
#                               with that diagnosis as evidence
#   unprivileged:               diagnose runs as nobody: no capture, the notice
#
# Needs root and the lab's tools (fixtures/lab/lab.sh); exits 77 (skipped)
# without them or with RDPROBE_SKIP_LAB_LIVE set.  LAB_PROBE_KEEP=DIR keeps
# each text output as DIR/NAME.out.  One scenario at a time
# (the lab has one lock); about 5 to 20 s each.
set -u
rdprobe=${1:?usage: lab_probe_test.sh RDPROBE [NAME...]}
shift
case "$rdprobe" in /*) ;; *) rdprobe="$(cd "$(dirname "$rdprobe")" && pwd)/$(basename "$rdprobe")" ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
expected=$root/fixtures/lab/expected

skip() { echo "SKIP: $*"; exit 77; }
[[ -n ${RDPROBE_SKIP_LAB_LIVE:-} ]] && skip "RDPROBE_SKIP_LAB_LIVE is set"
[[ $(id -u) == 0 ]] || skip "not root"
for tool in ip iptables tcpdump tshark xrdp xfreerdp Xvfb python3; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool missing"
done
export RDPROBE_BUILD_DIR=${RDPROBE_BUILD_DIR:-$(dirname "$rdprobe")}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

# run.sh PREFIX RDPROBE UNPRIV ARGS...: `probe ARGS` (text), then
# `diagnose --json --pcap PREFIX.pcap ARGS` (as nobody without capture
# rights when UNPRIV is 1), each timed; exit codes in PREFIX.rc / .drc.
cat >"$tmp/run.sh" <<'EOF'
p=$1 rdprobe=$2 unpriv=$3
shift 3
TIMEFORMAT=%R
{ time "$rdprobe" probe "$@" >"$p.out" 2>"$p.err"; } 2>"$p.time"
echo $? >"$p.rc"
as=()
[[ $unpriv == 1 ]] && as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all)
{ time "${as[@]}" "$rdprobe" diagnose --json --pcap "$p.pcap" --junit "$p.junit" "$@" >"$p.djson" 2>"$p.derr"; } 2>"$p.dtime"
echo $? >"$p.drc"
EOF

names=("$@")
if ((${#names[@]} == 0)); then
	for f in "$expected"/*.probe; do names+=("$(basename "$f" .probe)"); done
fi

# row_matches EXPECTED-FIELDS ACTUAL-FIELDS: "*" is a wildcard.
row_matches() {
	local -a e a
	read -r -a e <<<"$1" # read: no glob expansion of "*"
	read -r -a a <<<"$2"
	((${#e[@]} == ${#a[@]})) || return 1
	local i
	for ((i = 0; i < ${#e[@]}; i++)); do
		[[ ${e[i]} == "*" || ${e[i]} == "${a[i]}" ]] || return 1
	done
}

for name in "${names[@]}"; do
	spec=$expected/$name.probe
	[[ -f $spec ]] || { bad "$name" "no $spec"; continue; }
	args=() pwmode="" pwvalue="" budget=15 unpriv=0
	while read -r key rest; do
		case $key in
		args:) read -r -a args <<<"$rest" ;;
		password:) read -r pwmode pwvalue <<<"$rest" ;;
		unprivileged:) unpriv=1 ;;
		esac
	done <"$spec"
	rm -f "$tmp/$name".*
	if [[ $unpriv == 1 ]]; then
		# nobody writes --junit itself (the other outputs are the shell's redirections)
		chmod 0711 "$tmp" && : >"$tmp/$name.junit" && chown nobody "$tmp/$name.junit"
	fi
	for ((i = 0; i < ${#args[@]}; i++)); do
		[[ ${args[i]} == --timeout ]] && budget=${args[i + 1]}
	done
	# The password travels in the environment (never in an argv: lab.sh
	# logs the command it runs).
	unset RDPROBE_PASSWORD
	case $pwmode in
	env) export RDPROBE_PASSWORD=$pwvalue ;;
	file)
		(umask 077 && printf '%s\n' "$pwvalue" >"$tmp/$name.pw")
		args+=(--password-file "$tmp/$name.pw")
		;;
	esac
	# Both commands run in one lab set-up; times are taken inside the
	# namespace, around each command alone.
	"$rdprobe" lab exec "$name" bash "$tmp/run.sh" "$tmp/$name" "$rdprobe" "$unpriv" "${args[@]}" srv.lab.test \
		>/dev/null 2>"$tmp/$name.lab"
	unset RDPROBE_PASSWORD
	rc=$(cat "$tmp/$name.rc" 2>/dev/null || echo none)
	drc=$(cat "$tmp/$name.drc" 2>/dev/null || echo none)
	out=$tmp/$name.out
	if [[ ! -s $out ]]; then
		bad "$name" "no output (exit $rc); lab log: $(tail -n 5 "$tmp/$name.lab")"
		continue
	fi
	[[ -n ${LAB_PROBE_KEEP:-} ]] && cp "$out" "$tmp/$name.djson" "$LAB_PROBE_KEEP/"
	errors=()
	secs=$(tail -n 1 "$tmp/$name.time")
	python3 -c "import sys; sys.exit(0 if float('$secs') <= $budget + 0.5 else 1)" 2>/dev/null ||
		errors+=("took ${secs}s, budget ${budget}s")
	while read -r key rest; do
		case $key in
		verdict:)
			read -r sev code <<<"$rest"
			first=$(head -n 1 "$out")
			want="^$sev: "
			[[ $code != - ]] && want+=".*$code"
			[[ $first =~ $want ]] || errors+=("verdict: want '$sev $code', got '$first'")
			want_rc=0
			[[ $sev == failure ]] && want_rc=1
			[[ $rc == "$want_rc" ]] || errors+=("exit $rc, want $want_rc for a $sev")
			;;
		row:)
			variant=${rest%% *}
			line=$(awk -v v="$variant" '$1 == v && !done { print; done = 1 }' "$out")
			# VARIANT OUTCOME LAYER (3 timing columns and DNS) ERROR FINDING
			actual=$(awk '{ print $1, $2, $3, $8, $9 }' <<<"$line")
			row_matches "$rest" "$actual" || errors+=("row: want '$rest', got '$actual'")
			;;
		match:)
			grep -Eq -- "$rest" "$out" || errors+=("no line matches '$rest'")
			;;
		esac
	done <"$spec"
	# diagnose: the same verdict, its capture, the join, the evidence
	dsecs=$(tail -n 1 "$tmp/$name.dtime" 2>/dev/null || echo 0)
	derr=$(python3 - "$tmp/$name.djson" "$spec" "$tmp/$name.pcap" "$drc" "$unpriv" "$budget" "$dsecs" <<'EOF'
import json, os, re, stat, sys
path, spec, pcap, drc, unpriv, budget, secs = sys.argv[1:8]
errs = []
try:
    d = json.load(open(path))
except Exception as e:
    print("diagnose: no JSON report (exit %s): %s" % (drc, e)); sys.exit(0)
sev, code, evid, dmatch = None, None, [], []
for line in open(spec):
    k, _, rest = line.strip().partition(" ")
    if k == "verdict:":
        sev, code = rest.split()
    elif k == "evidence:":
        evid.append(rest.split())
    elif k == "dmatch:":
        dmatch.append(rest)
v = d["verdict"]
if v["code"] and v["severity"] in ("failure", "warning"):
    rep = v.get("reproduce") or ""
    lab = os.path.join(os.path.dirname(spec), "..", "scenarios", rep[len("rdprobe lab run "):] + ".sh")
    if not rep.startswith("rdprobe lab run ") or not os.path.isfile(lab):
        errs.append("diagnose verdict: reproduce %r names no lab scenario" % rep)
for rx in dmatch:
    if not re.search(rx, json.dumps(v)):
        errs.append("diagnose verdict does not match '%s'" % rx)
if v["severity"] != sev or (code != "-" and v["code"] != code):
    errs.append("diagnose verdict %s %s, want %s %s" % (v["severity"], v["code"], sev, code))
want_rc = "1" if sev == "failure" else "0"
if drc != want_rc:
    errs.append("diagnose exit %s, want %s" % (drc, want_rc))
if float(secs) > float(budget) + 3:
    errs.append("diagnose took %ss (budget %s s + capture start/stop)" % (secs, budget))
cap = d["capture"]
if unpriv == "1":
    if cap["taken"] or "no capture rights" not in cap.get("notice", ""):
        errs.append("unprivileged: want no capture and the notice, got %s" % json.dumps(cap)[:200])
    if os.path.exists(pcap):
        errs.append("unprivileged: a capture file exists")
else:
    if not cap["taken"] or not cap["kept"]:
        errs.append("capture not taken or not kept: %s" % json.dumps(cap)[:200])
    elif stat.S_IMODE(os.stat(pcap).st_mode) != 0o600:
        errs.append("capture mode %o, want 600" % stat.S_IMODE(os.stat(pcap).st_mode))
    conns = d["analysis"]["connections"] if d.get("analysis") else []
    ours = [c for c in conns if c.get("probe_variant")]
    if not ours:
        errs.append("no connection of the capture joined to a variant (%d connections)" % len(conns))
    for var, ecode in evid:
        if not any(e["variant"] == var and e["finding"]["code"] == ecode for e in v["evidence"]):
            errs.append("no evidence %s %s in %s" % (var, ecode,
                        [(e["variant"], e["finding"]["code"]) for e in v["evidence"]]))
# JUnit: the verdict and one test case per variant, failures where the findings are
import xml.etree.ElementTree as ET
try:
    suite = ET.parse(path.replace(".djson", ".junit")).getroot().find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    names = ["verdict"] + [r["variant"] for r in d["probe"]["results"]]
    if sorted(cases) != sorted(names) or int(suite.get("tests")) != len(names):
        errs.append("junit: test cases %s, want %s" % (sorted(cases), sorted(names)))
    elif (cases["verdict"].find("failure") is not None) != (v["severity"] == "failure"):
        errs.append("junit: the verdict test case does not match the verdict")
except Exception as e:
    errs.append("junit: %s" % e)
print("; ".join(errs))
EOF
)
	[[ -n $derr ]] && errors+=("$derr")
	if [[ $unpriv != 1 && -s $tmp/$name.pcap ]]; then
		"$rdprobe" analyze "$tmp/$name.pcap" >/dev/null 2>&1
		arc=$?
		((arc <= 1)) || errors+=("the diagnose capture does not read back (analyze exit $arc)")
	fi
	if [[ -n $pwvalue ]] && grep -qaF -- "$pwvalue" "$out" "$tmp/$name.err" "$tmp/$name.lab" \
		"$tmp/$name.time" "$tmp/$name.djson" "$tmp/$name.derr" "$tmp/$name.pcap" 2>/dev/null; then
		errors+=("the password appears in an output (stdout, stderr, JSON or the capture)")
	fi
	if ((${#errors[@]} == 0)); then
		ok "$name (probe ${secs}s, diagnose ${dsecs}s)"
	else
		bad "$name" "$(printf '%s; ' "${errors[@]}")"
		sed 's/^/    | /' "$out" | head -n 20
	fi
done
# diff: a report against itself, then two scenarios (kept from above).
if [[ -s $tmp/healthy-negotiate.djson && -s $tmp/mtu-blackhole.djson ]]; then
	"$rdprobe" diff "$tmp/healthy-negotiate.djson" "$tmp/healthy-negotiate.djson" >"$tmp/diff0.out" 2>&1
	rc0=$?
	"$rdprobe" diff "$tmp/healthy-negotiate.djson" "$tmp/mtu-blackhole.djson" >"$tmp/diff1.out" 2>&1
	rc1=$?
	if [[ $rc0 == 0 && $rc1 == 1 ]] && grep -q '^  no change$' "$tmp/diff0.out" &&
		grep -Eq '^  verdict +code +UDP_PORT_UNREACHABLE  ->  MTU_BLACKHOLE$' "$tmp/diff1.out" &&
		grep -Eq '^  mtu +outcome +OK  ->  FAILED$' "$tmp/diff1.out" &&
		grep -Eq '^  mtu +path MTU +-  ->  1[12][0-9][0-9]$' "$tmp/diff1.out"; then
		ok "diff: no change against itself; healthy-negotiate -> mtu-blackhole names the verdict and the path MTU"
	else
		bad "diff" "exit $rc0/$rc1: $(cat "$tmp/diff0.out" "$tmp/diff1.out" | head -n 30)"
	fi
fi
# rdprobe lab run: the 0x904/0x7 reproduction a SERVER_DENIED report names,
# a real client against the denying server, captured and analyzed.
if ((${#names[@]} > 1)) || [[ ${names[0]} == server-denied ]]; then
	"$rdprobe" lab run server-denied "$tmp/reproduce.pcap" >"$tmp/reproduce.out" 2>"$tmp/reproduce.err"
	rc=$?
	mode=$(stat -c %a "$tmp/reproduce.pcap" 2>/dev/null)
	if [[ $rc == 1 && $mode == 600 ]] &&
		grep -q 'ok: client reports ERRINFO_SERVER_DENIED_CONNECTION' "$tmp/reproduce.err" &&
		grep -qx 'VERDICT 10.231.2.2:3389: SERVER_DENIED' "$tmp/reproduce.out" &&
		grep -qx '      reproduce: rdprobe lab run server-denied' "$tmp/reproduce.out"; then
		ok "lab run server-denied: xfreerdp gets error info 0x7, capture 0600, analyzed SERVER_DENIED"
	else
		bad "lab run server-denied" "exit $rc, mode ${mode:-none}: $(tail -n 3 "$tmp/reproduce.err")"
	fi
fi
echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
