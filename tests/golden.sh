#!/usr/bin/env bash
# Golden tests (tcpdump's TESTLIST style): for each line of golden/TESTLIST,
# `rdprobe analyze --json` of the capture must equal golden/NAME.json byte
# for byte.  `golden.sh RDPROBE --update` rewrites the expectations; review
# the diff before committing it.
#
# Corpus captures are read from ../shared/corpus (never copied here); when
# it is absent their lines are reported as skipped, not passed.
set -u
rdprobe=${1:?usage: golden.sh RDPROBE [--update]}
update=${2:-}
case "$rdprobe" in /*) ;; *) rdprobe="$(cd "$(dirname "$rdprobe")" && pwd)/$(basename "$rdprobe")" ;; esac
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
corpus="$root/../shared/corpus"
pass=0 fail=0 skip=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

while read -r name base capture options; do
	case "$name" in ''|'#'*) continue ;; esac
	case "$base" in
	corpus) dir=$corpus ;;
	fixtures) dir=$root/fixtures ;;
	*) echo "bad base '$base' for $name"; fail=$((fail + 1)); continue ;;
	esac
	if [ ! -f "$dir/$capture" ]; then
		echo "skip $name: $capture not found"
		skip=$((skip + 1))
		continue
	fi
	expected="$here/golden/$name.json"
	# Run from the capture's directory so the report names it relatively.
	# shellcheck disable=SC2086
	(cd "$dir" && "$rdprobe" analyze --json $options "$capture") >"$out" 2>&1
	rc=$?
	if [ "$update" = --update ]; then
		cp "$out" "$expected"
		echo "updated $name"
		continue
	fi
	if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
		echo "FAIL $name: rdprobe exited $rc"
		sed -n 1,5p "$out"
		fail=$((fail + 1))
	elif cmp -s "$out" "$expected"; then
		echo "ok   $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name: report differs from golden/$name.json"
		diff -u "$expected" "$out" | sed -n 1,40p
		fail=$((fail + 1))
	fi
done <"$here/golden/TESTLIST"

[ "$update" = --update ] && exit 0
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
