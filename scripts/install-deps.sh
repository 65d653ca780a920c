#!/usr/bin/env bash
# Installs what rdprobe needs to build and test on Debian 12 (as root).
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (apt-get install)" >&2
	exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential cmake pkg-config ca-certificates clang libclang-rt-dev \
	libpcap-dev libssl-dev libjansson-dev libcunit1-dev libcap-ng-dev \
	python3 tcpdump tshark \
	xrdp freerdp2-x11 freerdp2-dev freerdp2-shadow-x11 winpr-utils xvfb \
	iproute2 iptables ethtool dnsmasq-base openssl procps util-linux iputils-ping \
	bsdextrautils time strace >/dev/null
echo "install-deps.sh: build and test dependencies installed"
