#!/usr/bin/env bash
# Quick start on a fresh Debian 12 machine (root): install the
# dependencies, build, and run `rdprobe diagnose` against the test lab's
# server that denies the connection (the 0x904 / extended 0x7 case): real
# servers in network namespaces, nothing leaves the machine.
#   ./quickstart.sh                  diagnose the lab's server-denied scenario
#   ./quickstart.sh --lab SCENARIO   another scenario (build/rdprobe lab list)
#   ./quickstart.sh FILE.pcap...     analyze captures instead
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -eq 0 ]; then
	bash "$root/scripts/install-deps.sh"
else
	sudo bash "$root/scripts/install-deps.sh"
fi
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$(nproc)" >/dev/null
scenario=server-denied
if [ "${1:-}" = --lab ]; then
	scenario=${2:?usage: quickstart.sh --lab SCENARIO}
	shift 2
fi
if [ $# -gt 0 ]; then
	exec "$root/build/rdprobe" analyze "$@"
fi
# The lab's log lines ([lab ...]) go to stderr, the report to stdout.
# Exit 1 means a failure was diagnosed: the point of this scenario.
# rdprobe lab diagnose: the scenario's faults and servers, then rdprobe
# diagnose srv.lab.test in the lab's client namespace, then tear down.
exec "$root/build/rdprobe" lab diagnose "$scenario"
