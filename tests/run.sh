#!/usr/bin/env bash
# Builds rdprobe and runs every test suite (ctest: unit, corpus, fixtures,
# golden, cli).  Default: a normal build, then an AddressSanitizer +
# UndefinedBehaviorSanitizer build.  --normal or --sanitize runs one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
flavours=${1:---both}

run() { # run DIR CMAKE-ARGS...
	local dir=$1
	shift
	cmake -S "$root" -B "$root/$dir" "$@" >/dev/null
	cmake --build "$root/$dir" -j"$jobs"
	(cd "$root/$dir" && ctest --output-on-failure)
}

case "$flavours" in
--normal) run build -DCMAKE_BUILD_TYPE=RelWithDebInfo ;;
--sanitize)
	# The live lab re-records real servers' traffic: once (normal build) is enough.
	RDPROBE_SKIP_LAB_LIVE=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		run build-asan -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON
	;;
--both)
	"$0" --normal
	"$0" --sanitize
	;;
*)
	echo "usage: tests/run.sh [--normal|--sanitize]" >&2
	exit 2
	;;
esac
