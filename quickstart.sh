#!/usr/bin/env bash
# Quick start on a fresh Debian 12 machine: install the dependencies
# (root), build, and analyze a capture the project recorded itself (an RDP
# handshake against xrdp over TLS on loopback, fixtures/record-loopback.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -eq 0 ]; then
	bash "$root/scripts/install-deps.sh"
else
	sudo bash "$root/scripts/install-deps.sh"
fi
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$(nproc)" >/dev/null
"$root/build/rdprobe" analyze "${@:-$root/fixtures/xrdp-tls-loopback.pcap}"
