#!/usr/bin/env bash
# bench/run.sh - throughput benchmark: the bare libpcap read loop, rdprobe
# and tshark on the same generated captures, at 1x and 4x size.
#
#   bench/run.sh [BUILD_DIR] [--connections N] [options]   (--help for all)
#
# Builds nothing: BUILD_DIR (default build/) must hold rdprobe, mkbench and
# pcaploop.  Generated files go to a fresh directory under $TMPDIR (/tmp)
# and are deleted at the end unless --keep.  See bench/README.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=build
conns=100000
bulk=auto
bulk_min=10
size_mib=
bg=0.2
seed=1
scale=4
tshark_count=500000
mem_budget_gib=
keep=0
text=1
profile=0

usage() {
	cat <<EOF
usage: bench/run.sh [BUILD_DIR] [options]
  --connections N    RDP connections in the 1x file (default 100000)
  --size-mib M       size the 1x file aims at (default 1024 * N / 100000:
                     1 GiB at the default N); bulk is chosen to reach it
  --bulk B           TLS bulk packets per TLS connection instead (default:
                     auto, at least $bulk_min)
  --background F     fraction of frames that is non-RDP (default $bg)
  --seed S           mkbench seed (default $seed)
  --scale K          the second file has K times the connections (default $scale)
  --tshark-count N   frames tshark reads from each file, 0 = all (default $tshark_count)
  --no-tshark        skip tshark
  --no-text          skip the extra rdprobe run with the text report
  --mem-budget-gib G peak RSS rdprobe may reach; the large file is made
                     smaller when the 1x run predicts more (default: half of
                     MemAvailable)
  --profile          perf record rdprobe (JSON) on the 1x file, print the top
  --keep             keep the generated files
EOF
}

die() {
	echo "run.sh: $*" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--connections) conns=${2:?}; shift ;;
	--size-mib) size_mib=${2:?}; shift ;;
	--bulk) bulk=${2:?}; shift ;;
	--background) bg=${2:?}; shift ;;
	--seed) seed=${2:?}; shift ;;
	--scale) scale=${2:?}; shift ;;
	--tshark-count) tshark_count=${2:?}; shift ;;
	--no-tshark) tshark_count=-1 ;;
	--no-text) text=0 ;;
	--mem-budget-gib) mem_budget_gib=${2:?}; shift ;;
	--profile) profile=1 ;;
	--keep) keep=1 ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) build=$1 ;;
	esac
	shift
done

for n in rdprobe mkbench pcaploop; do
	[ -x "$build/$n" ] || die "$build/$n not found: build first (cmake --build $build)"
done
build=$(cd "$build" && pwd)
[ -x /usr/bin/time ] || die "/usr/bin/time not found: apt-get install -y time"
if [ "$tshark_count" != -1 ] && ! command -v tshark >/dev/null; then
	echo "run.sh: tshark not found: skipping it" >&2
	tshark_count=-1
fi
if [ "$profile" = 1 ] && ! command -v perf >/dev/null; then
	die "--profile needs perf (apt-get install -y linux-perf)"
fi

fx=$root/fixtures
templates=("$fx/xrdp-tls-loopback.pcap" "$fx/xrdp-rdpsec-loopback.pcap"
	"$fx/xrdp-rdpsec-negotiated-loopback.pcap" "$fx/xrdp-negfail-loopback.pcap"
	"$fx/tcp-refused-loopback.pcap")

work=$(mktemp -d "${TMPDIR:-/tmp}/rdprobe-bench.XXXXXX")
cleanup() {
	if [ "$keep" = 1 ]; then
		echo "kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mem_avail_kib=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
if [ -z "$mem_budget_gib" ]; then
	budget_kib=$((mem_avail_kib / 2))
else
	budget_kib=$(awk -v g="$mem_budget_gib" 'BEGIN {printf "%d", g * 1048576}')
fi

# ---- machine ---------------------------------------------------------------
echo "== machine"
echo "cpu:     $(nproc) x $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
echo "kernel:  $(uname -sr)"
echo "memory:  $(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) total," \
	"$(awk -v k="$mem_avail_kib" 'BEGIN {printf "%.1f GiB", k / 1048576}') available;" \
	"rdprobe RSS budget $(awk -v k="$budget_kib" 'BEGIN {printf "%.1f GiB", k / 1048576}')"
echo "files:   $work ($(df -h --output=source,fstype "$work" | tail -1 | tr -s ' '))"
echo "rdprobe: $("$build/rdprobe" --version) ($build)"
echo "libpcap: $(tcpdump --version 2>&1 | awk '/libpcap/ {print $3; exit}' || true)"
if [ "$tshark_count" != -1 ]; then echo "tshark:  $(tshark -v 2>/dev/null | head -1 || true)"; fi
echo

# ---- helpers ---------------------------------------------------------------
# run_timed NAME OUTFILE CMD...: wall time (s) in T[NAME], peak RSS (KiB)
# in M[NAME], user and system CPU seconds in U[NAME] and S[NAME], exit
# status in RC[NAME].  Wall time is taken around the process, so it
# includes start-up; the rest comes from /usr/bin/time (getrusage).
declare -A T M U S RC
run_timed() {
	local name=$1 out=$2
	shift 2
	local t0 t1 rc=0
	t0=$(date +%s%N)
	/usr/bin/time -f '%e %M %U %S' -o "$work/time.out" "$@" >"$out" 2>"$work/stderr.out" || rc=$?
	t1=$(date +%s%N)
	T[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
	read -r _ "M[$name]" "U[$name]" "S[$name]" < <(tail -1 "$work/time.out")
	RC[$name]=$rc
}

kv() { # kv KEY FILE: value of KEY=value in a pcaploop line
	tr ' ' '\n' <"$2" | awk -F= -v k="$1" '$1 == k {print $2}'
}

fsize() { stat -c %s "$1"; }

gen() { # gen OUT CONNECTIONS BULK
	"$build/mkbench" -n "$2" -b "$3" -g "$bg" -s "$seed" "$1" "${templates[@]}"
}

# ---- bulk: enough to reach the size -----------------------------------------
if [ -z "$size_mib" ]; then
	size_bytes=$(awk -v n="$conns" 'BEGIN {printf "%.0f", 1073741824 * n / 100000}')
else
	size_bytes=$(awk -v m="$size_mib" 'BEGIN {printf "%.0f", m * 1048576}')
fi
if [ "$bulk" = auto ]; then
	# Two small files give bytes per connection without bulk and per bulk packet.
	gen "$work/cal0.pcap" 2000 0 2>/dev/null
	gen "$work/cal1.pcap" 2000 100 2>/dev/null
	s0=$(fsize "$work/cal0.pcap")
	s1=$(fsize "$work/cal1.pcap")
	rm -f "$work/cal0.pcap" "$work/cal1.pcap"
	bulk=$(awk -v s0="$s0" -v s1="$s1" -v n="$conns" -v want="$size_bytes" -v min="$bulk_min" \
		'BEGIN { base = s0 / 2000; per = (s1 - s0) / 2000 / 100;
		         b = (want * 1.01 / n - base) / per; b = b < min ? min : int(b) + 1; print b }')
fi

# ---- one file ----------------------------------------------------------------
# measure LABEL FILE CONNECTIONS: runs every tool on FILE, fills R_* rows.
declare -A R
rows=()
add_row() { # add_row TOOL LABEL BYTES FRAMES SECONDS USER SYS RSS_KIB NOTE
	local key="$2/$1"
	rows+=("$key")
	R[$key]=$(awk -v tool="$1" -v lab="$2" -v b="$3" -v f="$4" -v s="$5" -v u="$6" -v y="$7" \
		-v r="$8" -v note="$9" \
		'BEGIN { printf "%-21s %-5s %8.1f %9d %8.2f %7.2f %7.2f %8.1f %10.0f %8.1f  %s", tool, lab,
		         b / 1e6, f, s, u, y, (s > 0 ? b / s / 1e6 : 0), (s > 0 ? f / s : 0), r / 1024, note }')
}

measure() {
	local lab=$1 f=$2 n=$3 bytes frames
	bytes=$(fsize "$f")
	echo "-- $lab: warming the page cache (cat > /dev/null), then measuring" >&2
	cat "$f" >/dev/null

	# The limit: best of three runs, by pcaploop's own clock.
	local i best=""
	for i in 1 2 3; do
		run_timed "loop$lab.$i" "$work/loop$i.out" "$build/pcaploop" "$f"
		[ "${RC[loop$lab.$i]}" = 0 ] || die "pcaploop failed: $(cat "$work/stderr.out")"
		if [ -z "$best" ] || awk -v a="$(kv seconds "$work/loop$i.out")" \
			-v b="$(kv seconds "$work/loop$best.out")" 'BEGIN {exit !(a < b)}'; then
			best=$i
		fi
	done
	frames=$(kv frames "$work/loop$best.out")
	FRAMES[$lab]=$frames
	T[loop$lab]=$(kv seconds "$work/loop$best.out")
	add_row "pcaploop (bare loop)" "$lab" "$bytes" "$frames" "${T[loop$lab]}" \
		"${U[loop$lab.$best]}" "${S[loop$lab.$best]}" "$(kv maxrss_kib "$work/loop$best.out")" \
		"best of 3"

	local note="" limit_kib=$((budget_kib * 3 / 2 + 1048576))
	echo "-- $lab: rdprobe analyze --json ($n connections)" >&2
	# shellcheck disable=SC2016 # the inner shell expands them
	run_timed "json$lab" /dev/null bash -c 'ulimit -v "$1"; exec "$2" analyze --json "$3"' _ \
		"$limit_kib" "$build/rdprobe" "$f"
	case ${RC[json$lab]} in 0 | 1) ;; *) note="FAILED: exit ${RC[json$lab]}: $(head -c 200 "$work/stderr.out")" ;; esac
	add_row "rdprobe --json" "$lab" "$bytes" "$frames" "${T[json$lab]}" "${U[json$lab]}" \
		"${S[json$lab]}" "${M[json$lab]}" "$note"

	if [ "$text" = 1 ]; then
		note=""
		echo "-- $lab: rdprobe analyze (text report)" >&2
		# shellcheck disable=SC2016
		run_timed "text$lab" /dev/null bash -c 'ulimit -v "$1"; exec "$2" analyze "$3"' _ \
			"$limit_kib" "$build/rdprobe" "$f"
		case ${RC[text$lab]} in 0 | 1) ;; *) note="FAILED: exit ${RC[text$lab]}" ;; esac
		add_row "rdprobe (text)" "$lab" "$bytes" "$frames" "${T[text$lab]}" "${U[text$lab]}" \
			"${S[text$lab]}" "${M[text$lab]}" "$note"
	fi

	if [ "$tshark_count" != -1 ]; then
		local cnt=$tshark_count tb
		if [ "$cnt" = 0 ] || [ "$cnt" -gt "$frames" ]; then cnt=$frames; fi
		"$build/pcaploop" -c "$cnt" "$f" >"$work/loopc.out"
		tb=$(kv offset "$work/loopc.out")
		local targs=(-n -d 'tcp.port==3389,tpkt' -Y rdp -q -z 'io,stat,0')
		echo "-- $lab: tshark ${targs[*]} -c $cnt" >&2
		# Start-up (dissector registration, about a second) measured alone and
		# taken off, so the rate is tshark's per-packet cost.
		run_timed "tsh0$lab" /dev/null tshark -r "$f" -c 1 "${targs[@]}"
		run_timed "tsh$lab" /dev/null tshark -r "$f" -c "$cnt" "${targs[@]}"
		local ts
		ts=$(awk -v a="${T[tsh$lab]}" -v b="${T[tsh0$lab]}" 'BEGIN {printf "%.3f", a - b}')
		T[tshx$lab]=$(awk -v s="$ts" -v c="$cnt" -v f="$frames" 'BEGIN {printf "%.1f", s * f / c}')
		TSHRATE[$lab]=$(awk -v s="$ts" -v c="$cnt" 'BEGIN {printf "%.0f", c / s}')
		if [ "$cnt" -lt "$frames" ]; then
			note="first $cnt frames only, start-up ${T[tsh0$lab]} s excluded; whole file extrapolated: ${T[tshx$lab]} s"
		else
			note="start-up ${T[tsh0$lab]} s excluded"
		fi
		add_row "tshark -Y rdp" "$lab" "$tb" "$cnt" "$ts" "${U[tsh$lab]}" "${S[tsh$lab]}" \
			"${M[tsh$lab]}" "$note"
	fi
}

declare -A FRAMES TSHRATE SIZE CONNS

# ---- profile (optional) ----------------------------------------------------------
profile_rdprobe() {
	echo "-- profiling rdprobe --json on $1 (perf record -e cpu-clock, dwarf stacks)" >&2
	perf record -q -e cpu-clock -F 199 --call-graph dwarf,16384 -o "$work/perf.data" \
		"$build/rdprobe" analyze --json "$1" >/dev/null 2>"$work/perf.err" || true
	echo "== profile: rdprobe analyze --json, 1x file (perf, cpu-clock)"
	echo "-- inclusive (children), top 30"
	perf report -i "$work/perf.data" --children --stdio --sort symbol -g none 2>/dev/null |
		grep '%' | grep -v '^#' | grep -v '__libc_start\|_start  ' | head -30 || true
	echo "-- self, top 15"
	perf report -i "$work/perf.data" --no-children --stdio --sort dso,symbol -g none 2>/dev/null |
		grep '%' | grep -v '^#' | head -15 || true
	echo
	rm -f "$work/perf.data"
}

# ---- run ---------------------------------------------------------------------
f1=$work/bench-1x.pcap
echo "-- generating 1x: $conns connections, $bulk bulk packets per TLS connection" >&2
t0=$(date +%s%N)
gen "$f1" "$conns" "$bulk" 2>"$work/gen1.out"
t1=$(date +%s%N)
cat "$work/gen1.out" >&2
SIZE[1x]=$(fsize "$f1")
CONNS[1x]=$conns
gen1_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b - a) / 1e9}')
measure 1x "$f1" "$conns"
if [ "$profile" = 1 ]; then profile_rdprobe "$f1" >"$work/profile.out"; fi
[ "$keep" = 1 ] || rm -f "$f1"

# The large file: scale x the connections, unless the 1x run predicts an RSS
# beyond the budget (a safety net: rdprobe versions before 0161669 kept every
# connection and the whole JSON document in memory, 55 KB per connection).
n4=$((conns * scale))
cap_note=""
if [ "${RC[json1x]}" -le 1 ]; then
	pred_kib=$((M[json1x] * scale))
	if [ "$pred_kib" -gt "$budget_kib" ]; then
		n4=$(awk -v n="$conns" -v m="${M[json1x]}" -v b="$budget_kib" \
			'BEGIN {printf "%d", n * int(b / m * 4) / 4}')
		[ "$n4" -gt "$conns" ] || n4=$conns
		cap_note="large file capped at $n4 connections: $scale x would need about $((pred_kib / 1048576)) GiB of RSS (rdprobe --json used $((M[json1x] / 1024)) MiB at 1x), budget $((budget_kib / 1048576)) GiB"
	fi
fi
big=$(awk -v a="$n4" -v b="$conns" 'BEGIN {x = a / b; printf (x == int(x) ? "%dx" : "%.2fx"), x}')
fN=$work/bench-$big.pcap
echo "-- generating $big: $n4 connections, $bulk bulk packets per TLS connection" >&2
if [ -n "$cap_note" ]; then echo "-- $cap_note" >&2; fi
t0=$(date +%s%N)
gen "$fN" "$n4" "$bulk" 2>"$work/gen4.out"
t1=$(date +%s%N)
cat "$work/gen4.out" >&2
SIZE[$big]=$(fsize "$fN")
CONNS[$big]=$n4
gen4_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b - a) / 1e9}')
measure "$big" "$fN" "$n4"
[ "$keep" = 1 ] || rm -f "$fN"

# ---- report ------------------------------------------------------------------
mib() { awk -v b="$1" 'BEGIN {printf "%.0f MiB", b / 1048576}'; }
echo "== files (mkbench -g $bg -s $seed -b $bulk, templates: the five loopback fixtures round-robin)"
printf '%-5s %s\n' 1x: "${CONNS[1x]} connections, ${FRAMES[1x]} frames, $(mib "${SIZE[1x]}"), generated in $gen1_s s"
printf '%-5s %s\n' "$big:" "${CONNS[$big]} connections, ${FRAMES[$big]} frames, $(mib "${SIZE[$big]}"), generated in $gen4_s s"
if [ -n "$cap_note" ]; then echo "note: $cap_note"; fi
echo "page cache: warm (each file read once with cat > /dev/null before timing); one run per tool"
echo
echo "== results (MB = 10^6 bytes of capture file; wall = seconds, wall clock; user, sys = CPU"
echo "   seconds; MB/s and packets/s from wall; RSS = peak resident set, getrusage)"
printf '%-21s %-5s %8s %9s %8s %7s %7s %8s %10s %8s  %s\n' tool file MB frames wall user sys MB/s packets/s "RSS MiB" note
for k in "${rows[@]}"; do echo "${R[$k]}"; done
echo

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}'; }
echo "== ratios"
for lab in 1x "$big"; do
	r=$(ratio "${T[loop$lab]}" "${T[json$lab]}")
	echo "$lab: rdprobe --json / bare loop (throughput): $r  (rdprobe takes $(ratio "${T[json$lab]}" "${T[loop$lab]}")x the loop's time)"
	if [ "$text" = 1 ]; then
		echo "$lab: rdprobe text   / bare loop (throughput): $(ratio "${T[loop$lab]}" "${T[text$lab]}")"
	fi
	if [ "$tshark_count" != -1 ]; then
		rp=$(awk -v f="${FRAMES[$lab]}" -v s="${T[json$lab]}" 'BEGIN {printf "%.0f", f / s}')
		echo "$lab: rdprobe --json / tshark (packets/s):     $(ratio "$rp" "${TSHRATE[$lab]}")  (tshark rate from its first frames, extrapolated)"
	fi
done
fr=$(ratio "${FRAMES[$big]}" "${FRAMES[1x]}")
echo "$big/1x frames: $fr; time ratio (ideal = frames ratio):" \
	"pcaploop $(ratio "${T[loop$big]}" "${T[loop1x]}")," \
	"rdprobe --json $(ratio "${T[json$big]}" "${T[json1x]}")$([ "$text" = 1 ] && echo ", rdprobe text $(ratio "${T[text$big]}" "${T[text1x]}")")"
echo "$big/1x peak RSS: rdprobe --json $(ratio "${M[json$big]}" "${M[json1x]}")$([ "$text" = 1 ] && echo ", rdprobe text $(ratio "${M[text$big]}" "${M[text1x]}")")" \
	"(flat = bounded memory; near the frames ratio = memory grows with the capture)"
if [ "$profile" = 1 ]; then
	echo
	cat "$work/profile.out"
fi
