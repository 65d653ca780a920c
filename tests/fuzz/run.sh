#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS-PER-TARGET [TARGET...]]
#
# Builds the libFuzzer harnesses (build-fuzz: clang, -DFUZZ=ON, ASan +
# UBSan), cuts seed corpora from fixtures/*.pcap, fixtures/lab/*.pcap and,
# when present, ../shared/corpus/*/*.pcap (read in place, never copied into
# the repository), replays every regression input of tests/fuzz/regress/,
# then fuzzes each target for SECONDS (default 60) in one process.
# Fails on any crash, sanitizer report, leak, timeout or out-of-memory and
# prints the reproducer.  Environment: FUZZ_BUILD_DIR (build directory),
# FUZZ_RSS_MB (memory limit, 2048), FUZZ_TIMEOUT (seconds an input, 10).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
shift || true
all=(link ip x224 tls x509 mcs rdpeudp dns icmp ntlm reasm capture)
[ $# -gt 0 ] && targets=("$@") || targets=("${all[@]}")
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
work=$build/fuzz-run
bin=$build/tests/fuzz
jobs=$(nproc 2>/dev/null || echo 2)
rss_mb=${FUZZ_RSS_MB:-2048}
timeout_s=${FUZZ_TIMEOUT:-10}

case "$secs" in
'' | *[!0-9]*)
	echo "usage: tests/fuzz/run.sh [SECONDS-PER-TARGET [TARGET...]]" >&2
	exit 2
	;;
esac
if ! command -v clang >/dev/null; then
	echo "tests/fuzz/run.sh: clang not found (scripts/install-deps.sh installs it)" >&2
	exit 2
fi

# Longest input per target: a stream or a capture may be long, one PDU not.
max_len() {
	case "$1" in
	tls | reasm | capture) echo 65536 ;;
	*) echo 8192 ;;
	esac
}

# Stops (and kills) a fuzzer that overruns its time: a hang outside the
# per-input -timeout.
guard=$((secs + 120))

echo "== build ($build)"
cmake -S "$root" -B "$build" -DFUZZ=ON -DCMAKE_C_COMPILER=clang \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz -j"$jobs" >/dev/null

echo "== seeds"
rm -rf "$work/seeds"
mkdir -p "$work"
captures=("$root"/fixtures/*.pcap "$root"/fixtures/lab/*.pcap)
shared=("$root"/../shared/corpus/*/*.pcap)
[ -e "${shared[0]}" ] && captures+=("${shared[@]}")
"$bin/fuzz_seeds" "$work/seeds" "${captures[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
report() { # report TARGET LOG
	local t=$1 log=$2 a
	echo "FAIL fuzz_$t: log $log"
	grep -E "ERROR:|runtime error|SUMMARY|Test unit written|timeout|out-of-memory" "$log" | head -n 12 | sed 's/^/    /'
	for a in $(ls -t "$work/artifacts/$t"/{crash,leak,timeout,oom}-* 2>/dev/null | head -n 3); do
		echo "  reproducer: $a"
		echo "  replay:     $bin/fuzz_$t $a"
		echo "  minimize:   $bin/fuzz_$t -minimize_crash=1 -runs=100000 -exact_artifact_path=$root/tests/fuzz/regress/$t/NAME $a"
	done
	failed=1
}

echo "== regression inputs (tests/fuzz/regress)"
for t in "${targets[@]}"; do
	mapfile -t files < <(find "$root/tests/fuzz/regress/$t" -type f 2>/dev/null | sort)
	[ ${#files[@]} -gt 0 ] || continue
	log=$work/regress-$t.log
	rm -rf "$work/artifacts/$t"
	mkdir -p "$work/artifacts/$t"
	if "$bin/fuzz_$t" -rss_limit_mb=$rss_mb -timeout=$timeout_s \
		-artifact_prefix="$work/artifacts/$t/" "${files[@]}" >"$log" 2>&1; then
		echo "ok   fuzz_$t: ${#files[@]} inputs"
	else
		report "$t" "$log"
	fi
done
if [ $failed -ne 0 ]; then
	echo "tests/fuzz/run.sh: a regression input fails again" >&2
	exit 1
fi

echo "== fuzzing, $secs s per target"
printf '%-8s %6s %10s %8s %6s %6s %6s\n' target secs execs exec/s cov ft corpus
for t in "${targets[@]}"; do
	# Artifacts of an earlier run would be taken for this one's.
	rm -rf "$work/artifacts/$t"
	mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
	log=$work/fuzz-$t.log
	start=$(date +%s)
	if timeout -k 10 $guard "$bin/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=$rss_mb \
		-timeout=$timeout_s -max_len="$(max_len "$t")" -print_final_stats=1 \
		-artifact_prefix="$work/artifacts/$t/" "$work/corpus/$t" "$work/seeds/$t" \
		>"$log" 2>&1; then
		took=$(($(date +%s) - start))
		execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
		rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
		done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
		cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
		ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
		corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$done_line")
		printf '%-8s %6s %10s %8s %6s %6s %6s\n' "$t" "$took" "${execs:-?}" "${rate:-?}" \
			"${cov:-?}" "${ft:-?}" "${corp:-?}"
	else
		report "$t" "$log"
	fi
done
if [ $failed -ne 0 ]; then
	echo "tests/fuzz/run.sh: fuzzing found a failure (reproducers above)" >&2
	exit 1
fi
echo "tests/fuzz/run.sh: no failure"
