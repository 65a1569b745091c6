#!/bin/bash
# scripts/deps.sh - installs what sfnic builds and tests with (Debian 12).
# Runs apt-get update once per machine; does nothing when all is present.
set -e
pkgs=(build-essential pkg-config libjansson-dev libsqlite3-dev libcmocka-dev
      sqlite3 jq python3 clang libclang-rt-14-dev util-linux procps
      liburcu-dev libpcap-dev tcpdump libdpdk-dev iputils-ping iperf3 iproute2
      libxdp-dev libbpf-dev ethtool libmnl-dev dpdk-dev)
pkgs+=(scdoc man-db bsdextrautils systemd)
pkgs+=(prometheus curl tmux)
pkgs+=(containernetworking-plugins podman runc busybox-static)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "installing: ${missing[*]}" >&2
stamp=/var/lib/apt/periodic/sfnic-apt-updated
if [ ! -e "$stamp" ]; then
	$SUDO apt-get update -qq
	$SUDO mkdir -p "$(dirname "$stamp")" && $SUDO touch "$stamp"
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
