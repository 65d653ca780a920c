#!/usr/bin/env bash
# `rdprobe probe` against the lab: for every fixtures/lab/expected/NAME.probe,
# `lab.sh exec NAME` sets up the scenario's faults and servers, the probe
# runs in the client namespace against srv.lab.test, and the variant table
# it prints is compared with the expected rows, its first line with the
# expected verdict, and its exit status with the verdict's.  The probe's
# wall time (measured outside it) must stay within its --timeout.
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
lab=$root/fixtures/lab/lab.sh
expected=$root/fixtures/lab/expected

skip() { echo "SKIP: $*"; exit 77; }
[[ -n ${RDPROBE_SKIP_LAB_LIVE:-} ]] && skip "RDPROBE_SKIP_LAB_LIVE is set"
[[ $(id -u) == 0 ]] || skip "not root"
for tool in ip iptables tcpdump tshark xrdp xfreerdp Xvfb python3; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool missing"
done
export RDPROBE_BUILD_DIR=${RDPROBE_BUILD_DIR:-$(dirname "$rdprobe")}
# The probe opens a dozen connections; rdp_deny_server stops after this many.
export LAB_DENY_MAX_CONNECTIONS=64

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

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
	args=() pwmode="" pwvalue="" budget=15
	while read -r key rest; do
		case $key in
		args:) read -r -a args <<<"$rest" ;;
		password:) read -r pwmode pwvalue <<<"$rest" ;;
		esac
	done <"$spec"
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
	# The time is taken inside the namespace, around the probe alone.
	"$lab" exec "$name" bash -c \
		'TIMEFORMAT=%R; { time "$@" >"'"$tmp/$name.out"'"; } 2>"'"$tmp/$name.time"'"' \
		probe "$rdprobe" probe "${args[@]}" srv.lab.test >/dev/null 2>"$tmp/$name.lab"
	rc=$?
	unset RDPROBE_PASSWORD
	out=$tmp/$name.out
	if [[ ! -s $out ]]; then
		bad "$name" "no output (exit $rc); lab log: $(tail -n 5 "$tmp/$name.lab")"
		continue
	fi
	[[ -n ${LAB_PROBE_KEEP:-} ]] && cp "$out" "$LAB_PROBE_KEEP/$name.out"
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
	if [[ -n $pwvalue ]] && grep -qF -- "$pwvalue" "$out" "$tmp/$name.lab" "$tmp/$name.time"; then
		errors+=("the password appears in the output")
	fi
	if ((${#errors[@]} == 0)); then
		ok "$name (${secs}s)"
	else
		bad "$name" "$(printf '%s; ' "${errors[@]}")"
		sed 's/^/    | /' "$out" | head -n 20
	fi
done
echo "$pass passed, $fail failed"
[[ $fail == 0 ]]
