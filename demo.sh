#!/bin/bash
# ./demo.sh - installs dependencies, builds sfnic and runs its main job on an
# embedded default: a daemon on a throw-away state directory, the eswitch in
# switchdev mode, SFs created, configured, activated, attached, shown,
# restarted (state survives kill -9), deactivated and deleted; then traffic:
# as root, two SF netdevs in two network namespaces connected by flower
# rules (ping, iperf3); without root, a capture replayed into the uplink and
# captured on an SF.
set -e
cd "$(dirname "$0")"
if [ "$(id -u)" = 0 ] && [ -z "$SFNIC_DEMO_NETNS" ] && unshare -n true 2>/dev/null; then
	# A network namespace of its own: the demo's netdevs stay out of yours.
	scripts/deps.sh
	SFNIC_DEMO_NETNS=1 exec unshare -n -- "$0" "$@"
fi
scripts/deps.sh
make -j"$(nproc)" build/sfnicd build/sfnic >/dev/null
T=$(mktemp -d /tmp/sfnic-demo.XXXXXX)
export SFNIC_RUN_DIR=$T/run SFNIC_STATE_DIR=$T/state PATH=$PWD/build:$PATH
start() { sfnicd 2>>"$T/sfnicd.log" & DPID=$!; until sfnic dev show >/dev/null 2>&1; do sleep 0.05; done; }
trap 'kill $DPID 2>/dev/null; rm -rf "$T"' EXIT
run() { printf '\n$ %s\n' "$*"; "$@"; }
start
run sfnic dev show
run sfnic dev eswitch set sfnic/sfnic0 mode switchdev
run sfnic dev eswitch show sfnic/sfnic0
run sfnic port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 88
run sfnic port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 89 netdev web0
run sfnic port function set sfnic/sfnic0/32768 hw_addr 00:00:00:00:88:88 state active
run sfnic port function set sfnic0npf0sf89 hw_addr 00:00:00:00:89:89 state active
run sfnic port show
run sfnic port show sfnic/sfnic0/32768 -jp
run sfnic aux show
run sfnic dev show
run sfnic resource show sfnic/sfnic0
printf '\n$ kill -9 sfnicd; sfnicd &   # acknowledged state survives\n'
kill -9 $DPID; wait $DPID 2>/dev/null || true; start
run sfnic port show sfnic/sfnic0/32769
run sfnic port function set sfnic/sfnic0/32768 state inactive
run sfnic port show sfnic/sfnic0/32768
run sfnic port del sfnic/sfnic0/32768
printf '\n$ sfnic port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 89   # an error\n'
sfnic port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 89 || true

echo
echo "---- traffic through the eswitch ----"
run sfnic port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 1 netdev red0
run sfnic port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 2 netdev blue0
run sfnic port function set sfnic0npf0sf1 hw_addr 02:00:00:00:00:01 state active
run sfnic port function set sfnic0npf0sf2 hw_addr 02:00:00:00:00:02 state active
if ip link show red0 >/dev/null 2>&1; then
	NA=red$$ NB=blue$$
	trap 'kill $DPID 2>/dev/null; ip netns del $NA 2>/dev/null; ip netns del $NB 2>/dev/null; rm -rf "$T"' EXIT
	run ip netns add $NA
	run ip netns add $NB
	run ip link set red0 netns $NA
	run ip link set blue0 netns $NB
	run ip -n $NA addr add 10.0.0.1/24 dev red0
	run ip -n $NB addr add 10.0.0.2/24 dev blue0
	run ip -n $NA link set red0 up
	run ip -n $NB link set blue0 up
	printf '\n$ ip netns exec %s ping -c 2 -W 1 10.0.0.2   # no rule: the SFs are isolated\n' $NA
	ip netns exec $NA ping -c 2 -W 1 10.0.0.2 | tail -2 || true
	run sfnic filter add dev sfnic0npf0sf1 ingress flower action mirred egress redirect dev sfnic0npf0sf2
	run sfnic filter add dev sfnic0npf0sf2 ingress flower action mirred egress redirect dev sfnic0npf0sf1
	printf '\n$ ip netns exec %s ping -c 3 10.0.0.2\n' $NA
	ip netns exec $NA ping -c 3 -i 0.2 -w 5 10.0.0.2 | tail -2
	ip netns exec $NB iperf3 -s -1 -D -B 10.0.0.2 >/dev/null 2>&1
	sleep 0.3
	printf '\n$ ip netns exec %s iperf3 -c 10.0.0.2 -t 2\n' $NA
	ip netns exec $NA iperf3 -c 10.0.0.2 -t 2 | grep -E "sender|receiver"
	run sfnic -s filter show dev sfnic0npf0sf1 ingress
else
	echo
	echo "(not root: no netdevs; the same eswitch, driven from pcap files)"
	python3 tests/e2e/mkpcap.py "$T/in.pcap" 02:00:00:00:00:01,02:00:00:00:00:aa,tcp=80 \
		02:00:00:00:00:02,02:00:00:00:00:aa,udp=53 >/dev/null
	run sfnic filter add dev sfnic0np0 ingress flower dst_mac 02:00:00:00:00:01 \
		action vlan push id 100 action mirred egress redirect dev sfnic0npf0sf1
	sfnic capture pf0sf1 -c 1 -w "$T/sf1.pcap" 2>/dev/null & CP=$!
	sleep 0.3
	run sfnic replay p0 -r "$T/in.pcap"
	wait $CP
	printf '\n$ tcpdump -enr sf1.pcap\n'
	tcpdump -enr "$T/sf1.pcap" 2>/dev/null
	run sfnic -s port show sfnic/sfnic0/65535
fi
