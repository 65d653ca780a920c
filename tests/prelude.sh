# prelude.sh - sourced by the loopback test scripts that start servers
# (probe_test.sh, capture_test.sh): a private temporary directory $tmp with
# TMPDIR=$tmp/tmpdir (what the code under test leaves there can be
# checked), the servers in $pids stopped on exit (TERM, up to 3 s, then
# KILL) before $tmp is removed, and the ok / bad counters.
tmp=$(mktemp -d) || exit 1
mkdir "$tmp/tmpdir" && export TMPDIR=$tmp/tmpdir
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
