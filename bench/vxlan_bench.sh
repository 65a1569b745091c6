#!/bin/bash
# vxlan_bench.sh - TCP throughput between containers on two hosts over
# VXLAN: SFs on two sfnic hosts (OVS's encap/decap rules, AF_PACKET uplinks
# on a veth wire, test_vxlan.sh's setup) next to two namespaces joined by
# the kernel's vxlan devices and Linux bridges on a veth wire of their own,
# in the same run, interleaved.  Root; build/ binaries (make).
#
#   bench/vxlan_bench.sh [RUNS] [SECONDS]      (default 5 runs of 5 s)
#
# Prints each run's iperf3 receiver rate and the medians, Mbit/s.  Every
# process floats over the machine's cores (the daemons' one worker each,
# iperf3 client and server, the kernel's softirqs): say so with the figures.
cd "$(dirname "$0")/.." || exit 1
RUNS=${1:-5} SECS=${2:-5}
export T BIN=build
T=$(mktemp -d /tmp/vxlan-bench.XXXXXX)
# shellcheck source=/dev/null
. tests/e2e/lib.sh
# shellcheck source=/dev/null
. tests/e2e/test_vxlan.sh

kernel_pair() {
	KA=kvxa$$ KB=kvxb$$ KCA=kvxca$$ KCB=kvxcb$$
	for n in $KA $KB $KCA $KCB; do ns_add $n; done
	ip link add ka netns $KA type veth peer name kb netns $KB
	ip -n $KA addr add 192.168.60.1/24 dev ka
	ip -n $KB addr add 192.168.60.2/24 dev kb
	local h c me peer ip
	for h in A B; do
		if [ $h = A ]; then c=$KCA; me=$KA; peer=192.168.60.2; ip=10.1.0.1; local_ip=192.168.60.1
		else c=$KCB; me=$KB; peer=192.168.60.1; ip=10.1.0.2; local_ip=192.168.60.2; fi
		ip -n $me link set lo up
		ip -n $me link set "k$(echo $h | tr AB ab)" up
		ip -n $me link add br0 type bridge
		ip -n $me link add vx0 type vxlan id 100 dstport 4789 remote $peer local $local_ip
		ip -n $me link set vx0 master br0 mtu 1450 up
		ip -n $me link add ct type veth peer name eth0 netns $c
		ip -n $me link set ct master br0 mtu 1450 up
		ip -n $me link set br0 up
		ip -n $c link set eth0 mtu 1450 up
		ip -n $c addr add $ip/24 dev eth0
		ip -n $c link set lo up
	done
	ip netns exec $KCA ping -q -c 2 -w 5 10.1.0.2 >/dev/null || echo "kernel pair: no ping" >&2
}

# iperf NS_SERVER ADDR NS_CLIENT PORT: receiver Mbit/s of one run.
iperf() {
	ip netns exec "$1" iperf3 -s -1 -p "$4" -B "$2" >/dev/null 2>&1 &
	local s=$!
	sleep 0.3
	ip netns exec "$3" iperf3 -c "$2" -p "$4" -t "$SECS" -J >"$T/i.json" 2>/dev/null
	wait $s
	jq '.end.sum_received.bits_per_second / 1000000 | floor' "$T/i.json"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

trap 'vx_cleanup; rm -rf "$T"' EXIT
two_hosts
vx_ping $CA 10.0.0.2 2 || { echo "sfnic hosts: no ping" >&2; exit 1; }
kernel_pair
: >"$T/sf" ; : >"$T/k"
for r in $(seq "$RUNS"); do
	a=$(iperf $CB 10.0.0.2 $CA 5301)
	b=$(iperf $KCB 10.1.0.2 $KCA 5302)
	echo "run $r: sfnic VXLAN $a Mbit/s, kernel vxlan+bridge $b Mbit/s"
	echo "$a" >>"$T/sf"
	echo "$b" >>"$T/k"
done
sm=$(median <"$T/sf") km=$(median <"$T/k")
echo "median of $RUNS: sfnic $sm Mbit/s, kernel $km Mbit/s, ratio $(awk -v a="$sm" -v b="$km" 'BEGIN { printf "%.2f", a / b }')"
host_stop a
host_stop b
