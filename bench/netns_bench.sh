#!/bin/bash
# bench/netns_bench.sh - TCP throughput and 64-byte UDP packet rate between
# two network namespaces, in one run, over:
#   (a) two sfnic SF netdevs connected by one redirect rule each way,
#   (b) a veth pair,
#   (c) two veth pairs and a Linux bridge (the anchor: the kernel's own
#       software switch between two containers).
# iperf3, SECS seconds per test, median of RUNS; ratios to (c).  Needs
# root; runs in a network namespace of its own.
#
#   bench/netns_bench.sh [SECS]        default 5; RUNS=3
[ "$(id -u)" = 0 ] || { echo "bench/netns_bench.sh needs root" >&2; exit 1; }
if [ -z "$SFNIC_BENCH_NETNS" ]; then
	SFNIC_BENCH_NETNS=1 exec unshare -n -- "$0" "$@"
fi
cd "$(dirname "$0")/.." || exit 1
BIN=${BIN:-build}
SECS=${1:-5}
RUNS=${RUNS:-3}
T=$(mktemp -d /tmp/sfnic-nsbench.XXXXXX)
A=nsba$$ B=nsbb$$ C=nsbc$$
export SFNIC_RUN_DIR=$T/run SFNIC_STATE_DIR=$T/state
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null; ip netns del $C 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

fresh_ns() {
	ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null; ip netns del $C 2>/dev/null
	ip netns add $A; ip netns add $B
	ip -n $A link set lo up; ip -n $B link set lo up
}

# addr IFA IFB: addresses and up in A and B.
addr() {
	ip -n $A addr add 10.7.0.1/24 dev "$1"; ip -n $A link set "$1" up
	ip -n $B addr add 10.7.0.2/24 dev "$2"; ip -n $B link set "$2" up
}

setup_sfnic() {
	rm -rf "$T/run" "$T/state"      # a fresh daemon each run
	"$BIN/sfnicd" 2>"$T/log" &
	DPID=$!
	for _ in $(seq 200); do "$BIN/sfnic" dev show >/dev/null 2>&1 && break; sleep 0.02; done
	"$BIN/sfnic" -b - >/dev/null <<-EOB
	dev eswitch set sfnic/sfnic0 mode switchdev
	port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 1
	port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 2
	port function set sfnic/sfnic0/32768 hw_addr 02:00:00:00:00:01 state active
	port function set sfnic/sfnic0/32769 hw_addr 02:00:00:00:00:02 state active
	EOB
	"$BIN/sfnic" filter add dev sfnic0npf0sf1 ingress flower action mirred egress redirect dev sfnic0npf0sf2
	"$BIN/sfnic" filter add dev sfnic0npf0sf2 ingress flower action mirred egress redirect dev sfnic0npf0sf1
	ip link set sfnic0S1 netns $A; ip link set sfnic0S2 netns $B
	addr sfnic0S1 sfnic0S2
}

teardown_sfnic() {
	kill "$DPID"; wait "$DPID" 2>/dev/null; DPID=
}

setup_veth() {
	ip -n $A link add va type veth peer name vb netns $B
	addr va vb
}

setup_bridge() {
	ip netns add $C
	ip -n $C link add br0 type bridge
	ip -n $C link set br0 up
	ip -n $A link add va type veth peer name pa netns $C
	ip -n $B link add vb type veth peer name pb netns $C
	for p in pa pb; do ip -n $C link set $p master br0; ip -n $C link set $p up; done
	addr va vb
}

# tcp: Gbit/s received; udp: kpps received (64-byte frames: 18-byte payload).
measure() {
	ip netns exec $A ping -q -c 2 -w 3 10.7.0.2 >/dev/null || { echo "no connectivity" >&2; return 1; }
	ip netns exec $B iperf3 -s -D -B 10.7.0.2 -I "$T/iperf.pid" >/dev/null 2>&1
	sleep 0.3
	ip netns exec $A iperf3 -c 10.7.0.2 -t "$SECS" -J >"$T/tcp.json" 2>/dev/null
	ip netns exec $A iperf3 -c 10.7.0.2 -t "$SECS" -u -b 0 -l 18 -J >"$T/udp.json" 2>/dev/null
	kill "$(cat "$T/iperf.pid")" 2>/dev/null
	echo "$(jq '.end.sum_received.bits_per_second / 1e9' "$T/tcp.json") \
$(jq '(.end.sum.packets - .end.sum.lost_packets) / .end.sum.seconds / 1e3' "$T/udp.json")"
}

echo "machine: $(nproc) CPUs, $(awk -F: '/model name/ { print $2; exit }' /proc/cpuinfo | sed 's/^ *//'), kernel $(uname -r)"
echo "iperf3 $SECS s per test, median of $RUNS runs"
for r in $(seq "$RUNS"); do
	for path in sfnic veth bridge; do
		fresh_ns
		"setup_$path"
		echo "$path $(measure)" >>"$T/results"
		[ "$path" = sfnic ] && teardown_sfnic
	done
done
printf '%-44s %10s %8s %12s %8s\n' path "TCP Gb/s" "vs (c)" "UDP64 kpps" "vs (c)"
bt=$(awk '$1 == "bridge" { print $2 }' "$T/results" | median)
bu=$(awk '$1 == "bridge" { print $3 }' "$T/results" | median)
for path in sfnic veth bridge; do
	t=$(awk -v p=$path '$1 == p { print $2 }' "$T/results" | median)
	u=$(awk -v p=$path '$1 == p { print $3 }' "$T/results" | median)
	case $path in
	sfnic) name="(a) sfnic: 2 SF netdevs + redirect rules" ;;
	veth) name="(b) veth pair" ;;
	bridge) name="(c) veth + Linux bridge" ;;
	esac
	awk -v n="$name" -v t="$t" -v u="$u" -v bt="$bt" -v bu="$bu" \
		'BEGIN { printf "%-44s %10.2f %7.2fx %12.0f %7.2fx\n", n, t, t / bt, u, u / bu }'
done
