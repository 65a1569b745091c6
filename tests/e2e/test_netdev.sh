# test_netdev.sh - SF and representor netdevs (TAP) in network namespaces:
# containers talk through the eswitch.  Needs root (CI runs as root); each
# test runs in a network namespace of its own.

# pings N: true when N pings from A to B all come back (5 s at most).
pings() { ip netns exec $NA ping -q -c "$1" -i 0.2 -w 5 10.9.0.2 >/dev/null 2>&1; }

redirect_both() {
	sf filter add dev sfnic0npf0sf88 ingress prio 1 flower \
		action mirred egress redirect dev sfnic0npf0sf89 || fail "rule 88->89"
	sf filter add dev sfnic0npf0sf89 ingress prio 1 flower \
		action mirred egress redirect dev sfnic0npf0sf88 || fail "rule 89->88"
}

test_netdevs_follow_the_state() {
	need_root
	daemon_start
	# The PF netdev exists in both modes; representors in switchdev only.
	ip link show sfnic0 >/dev/null 2>&1 || fail "no PF netdev sfnic0 in legacy mode"
	ip link show sfnic0np0 >/dev/null 2>&1 && fail "a representor in legacy mode"
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	for n in sfnic0 sfnic0np0 sfnic0npf0; do
		ip link show $n >/dev/null 2>&1 || fail "no netdev $n in switchdev mode"
	done
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 88 >/dev/null
	ip link show sfnic0npf0sf88 >/dev/null 2>&1 || fail "no representor after port add"
	ip link show sfnic0S88 >/dev/null 2>&1 && fail "SF netdev before activation"
	sf port function set sfnic/sfnic0/32768 hw_addr 02:00:00:00:00:58 state active
	expect_eq "$(ip -j link show sfnic0S88 | jq -r '.[0].address')" 02:00:00:00:00:58 "SF netdev hw_addr"
	expect_eq "$(ip -j link show sfnic0S88 | jq -r '.[0].mtu')" 1500 "SF netdev mtu"
	ip link set sfnic0S88 up
	expect_eq "$(ip -j link show sfnic0S88 | jq -r '.[0].flags | index("LOWER_UP") != null')" true "carrier on"
	sf port function set sfnic/sfnic0/32768 state inactive
	ip link show sfnic0S88 >/dev/null 2>&1 && fail "SF netdev after deactivation"
	ip link show sfnic0npf0sf88 >/dev/null 2>&1 || fail "representor went with activation"
	sf port del sfnic/sfnic0/32768
	ip link show sfnic0npf0sf88 >/dev/null 2>&1 && fail "representor after port del"
	sf dev eswitch set sfnic/sfnic0 mode legacy
	ip link show sfnic0np0 >/dev/null 2>&1 && fail "representor after legacy"
	ip link show sfnic0 >/dev/null 2>&1 || fail "PF netdev went with switchdev"
	daemon_stop
	ip link show sfnic0 >/dev/null 2>&1 && fail "PF netdev after the daemon stopped"
	true
}

test_two_sfs_connected_by_rules() {
	need_root
	daemon_start
	two_sfs
	# No rules: nothing flows between SFs; the misses go to the representors.
	ip link set sfnic0npf0sf88 up
	timeout 10 tcpdump -c 1 -eni sfnic0npf0sf88 arp >"$T/rep.txt" 2>/dev/null &
	tp=$!
	sleep 0.5
	pings 1 && fail "ping without rules"
	wait $tp
	grep -q "Request who-has 10.9.0.2 tell 10.9.0.1" "$T/rep.txt" || fail "tcpdump on the representor: $(cat "$T/rep.txt")"
	[ "$(sf -j -s port show sfnic/sfnic0/32768 | jq '.port[].rep_stats.tx.packets')" -ge 1 ] || fail "representor counted no misses"
	# Redirect rules both ways: ping and TCP work.
	redirect_both
	pings 3 || fail "ping with redirect rules"
	ip netns exec $NB iperf3 -s -1 -D -B 10.9.0.2 >/dev/null 2>&1
	sleep 0.3
	ip netns exec $NA iperf3 -c 10.9.0.2 -t 1 -J >"$T/iperf.json" 2>&1 || fail "iperf3: $(tail -5 "$T/iperf.json")"
	bps=$(jq '.end.sum_received.bits_per_second | floor' "$T/iperf.json")
	[ "$bps" -gt 1000000 ] || fail "iperf3 through the rules: $bps bit/s"
	echo "iperf3 through two SF netdevs and redirect rules: $bps bit/s" >&2
	# Rules deleted: traffic stops.
	sf filter del dev sfnic0npf0sf88 ingress prio 1 || fail "del"
	sf filter del dev sfnic0npf0sf89 ingress prio 1 || fail "del"
	ip -n $NA neigh flush all
	pings 1 && fail "ping after the rules were deleted"
	sf port function set sfnic/sfnic0/32768 state inactive
	sf port function set sfnic/sfnic0/32769 state inactive
	inflight_zero
	daemon_stop
}

test_bridge_over_representors() {
	need_root
	daemon_start
	two_sfs
	# No rules: a Linux bridge over the representors switches in the slow
	# path, as on an mlx5 NIC without offloaded rules.
	ip link add br-sf type bridge || fail "bridge"
	for r in sfnic0npf0sf88 sfnic0npf0sf89; do
		ip link set $r master br-sf || fail "enslave $r"
		ip link set $r up
	done
	ip link set br-sf up
	pings 3 || fail "ping through the bridge over representors"
	[ "$(sf -j -s port show sfnic/sfnic0/32769 | jq '.port[].rep_stats.rx.packets')" -ge 3 ] || fail "slow path not counted on the representor"
	ip link del br-sf
	daemon_stop
}


test_kill9_under_traffic_and_restart() {
	need_root
	daemon_start
	two_sfs
	redirect_both
	pings 2 || fail "ping before the crash"
	idx=$(ip -n $NA -j link show sfnic0S88 | jq '.[0].ifindex')
	ip netns exec $NA ping -q -i 0.05 -w 8 10.9.0.2 >"$T/ping.txt" 2>&1 &
	pp=$!
	sleep 1
	daemon_kill9
	# The fd keeper holds the netdevs: still in their namespaces, addressed.
	ip -n $NA link show sfnic0S88 >/dev/null 2>&1 || fail "SF netdev gone with the daemon"
	ip link show sfnic0npf0sf88 >/dev/null 2>&1 || fail "representor gone with the daemon"
	sleep 1
	daemon_start || fail "restart"
	grep -q "netdevs held over from the previous run" "$T/sfnicd.log" || fail "no adoption: $(tail -3 "$T/sfnicd.log")"
	expect_eq "$(ip -n $NA -j link show sfnic0S88 | jq '.[0].ifindex')" "$idx" "the same netdev (ifindex)"
	expect_eq "$(sf -j filter show dev sfnic0npf0sf88 ingress | jq length)" 1 "rules restored"
	pings 3 || fail "ping after the restart, without manual steps"
	wait $pp
	echo "ping across kill -9 and restart: $(grep -o '[0-9]* packets transmitted, [0-9]* received' "$T/ping.txt")" >&2
	daemon_stop
	ip -n $NA link show sfnic0S88 >/dev/null 2>&1 && fail "SF netdev after a graceful stop"
	true
}

# uplink_ping KIND: an SF reaches a host in another namespace through the
# uplink, a veth whose other end is the host's.
uplink_ping() {
	need_root
	NA=sfa$$ NH=host$$
	ns_add $NH
	ip link add up0 type veth peer name hostif netns $NH || fail "veth"
	ip link set up0 up
	ip -n $NH addr add 10.8.0.2/24 dev hostif
	ip -n $NH link set hostif up
	# A veth hands TCP segments over with their checksum still to be done
	# (CHECKSUM_PARTIAL); XDP sees the raw bytes.  A wire would not: have
	# the host side compute checksums, as a real NIC's peer does.
	ip netns exec $NH ethtool -K hostif tx off >/dev/null || fail "ethtool"
	daemon_start --uplink "$1:up0" || fail "daemon with --uplink $1:up0"
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 88 >/dev/null
	sf port function set sfnic/sfnic0/32768 hw_addr 02:00:00:00:00:88 state active
	ns_add $NA
	ip link set sfnic0S88 netns $NA
	ip -n $NA addr add 10.8.0.1/24 dev sfnic0S88
	ip -n $NA link set sfnic0S88 up
	sf filter add dev sfnic0npf0sf88 ingress prio 1 flower \
		action mirred egress redirect dev sfnic0np0 || fail "rule SF->uplink"
	sf filter add dev sfnic0np0 ingress prio 1 flower \
		action mirred egress redirect dev sfnic0npf0sf88 || fail "rule uplink->SF"
	ip netns exec $NA ping -q -c 5 -i 0.2 -w 8 10.8.0.2 >"$T/ping.txt" 2>&1 ||
		fail "ping through the $1 uplink: $(cat "$T/ping.txt"; tail -3 "$T/sfnicd.log")"
	ip netns exec $NH iperf3 -s -1 -D -B 10.8.0.2 >/dev/null 2>&1
	sleep 0.3
	ip netns exec $NA iperf3 -c 10.8.0.2 -t 1 -J >"$T/iperf.json" 2>&1 || fail "iperf3 over $1"
	echo "iperf3 SF -> host over $1: $(jq '.end.sum_received.bits_per_second | floor' "$T/iperf.json") bit/s" >&2
	expect_eq "$(sf -j -s port show sfnic/sfnic0/65535 | jq '.port[].stats.rx.packets > 0 and .port[].stats.tx.packets > 0')" true "uplink counters"
	sf port function set sfnic/sfnic0/32768 state inactive
	sleep 0.3
	# p0 keeps its receive buffers posted to the kernel (an AF_XDP fill
	# ring), as a NIC keeps its RX ring full; every other pool is empty.
	n=$(sf -j -s port show | jq '[.port[] | (.stats.queues[]?, .rep_stats.queues[]?) | .page_pool.inflight // 0] | add')
	up=$(sf -j -s port show sfnic/sfnic0/65535 | jq '[.port[].stats.queues[] | .page_pool.inflight // 0] | add')
	expect_eq "$((n - up))" 0 "buffers in flight outside p0"
	daemon_stop
}

test_uplink_afxdp() {
	uplink_ping afxdp
	grep -q "uplink AF_XDP on up0" "$T/sfnicd.log" || fail "AF_XDP was not used: $(grep uplink "$T/sfnicd.log")"
}

test_uplink_afpacket() {
	uplink_ping afpacket
	grep -q "uplink AF_PACKET on up0" "$T/sfnicd.log" || fail "AF_PACKET was not used"
}

test_uplink_iface_errors() {
	need_root
	mkdir -p "$T/run" "$T/state"
	export SFNIC_RUN_DIR="$T/run" SFNIC_STATE_DIR="$T/state"
	out=$("$SFNICD" --uplink afxdp:nosuch0 2>&1); rc=$?
	expect_eq "$rc" 1 "exit code for a missing interface"
	echo "$out" | grep -q 'uplink afxdp: no interface "nosuch0"' || fail "message: $out"
	out=$("$SFNICD" --uplink afpacket:nosuch0 2>&1)
	echo "$out" | grep -q 'uplink afpacket: no interface "nosuch0"' || fail "message: $out"
	out=$("$SFNICD" --uplink afpacket:lo@3 2>&1); rc=$?
	expect_eq "$rc" 2 "exit code for a bad spec"
	echo "$out" | grep -q 'only afxdp takes @QUEUE' || fail "message: $out"
	# Without privileges: a clear line, not a crash.
	ip link add up0 type veth peer name up1
	mkdir -p "$T/u/run" "$T/u/state"
	chown -R 65534:65534 "$T/u"
	chmod 755 "$T"
	for kind in afpacket afxdp; do
		out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env SFNIC_RUN_DIR="$T/u/run" \
			SFNIC_STATE_DIR="$T/u/state" "$SFNICD" --uplink $kind:up0 2>&1); rc=$?
		expect_eq "$rc" 1 "exit code of an unprivileged $kind uplink"
		echo "$out" | grep -q "uplink afpacket: Operation not permitted (needs CAP_NET_RAW)" ||
			fail "unprivileged $kind: $out"
	done
}

test_reload_into_netns() {
	need_root
	daemon_start
	NA=rl$$
	ns_add $NA
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 88 >/dev/null
	sf port function set sfnic/sfnic0/32768 hw_addr 02:00:00:00:00:88 state active
	inst=$(sf -j port show sfnic/sfnic0/32768 | jq -r '.port[].function.nested_devlink | keys[0]')
	expect_err 'Error: Cannot open network namespace "nosuch": No such file or directory.' \
		sf dev reload "$inst" netns nosuch
	sf dev reload "$inst" netns $NA || fail "reload into $NA"
	ip -n $NA link show sfnic0S88 >/dev/null 2>&1 || fail "SF netdev not in $NA"
	ip link show sfnic0S88 >/dev/null 2>&1 && fail "SF netdev still in the daemon's namespace"
	# The choice is durable: a new netdev (reactivation) goes there too.
	sf port function set sfnic/sfnic0/32768 state inactive
	sf port function set sfnic/sfnic0/32768 state active
	ip -n $NA link show sfnic0S88 >/dev/null 2>&1 || fail "recreated SF netdev not in $NA"
	daemon_stop
	true
}

test_deactivate_under_iperf() {
	need_root
	daemon_start
	# Pair 1: SFs 1 and 2 run iperf3.  Pair 2: SFs 3 and 4 ping meanwhile.
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	for n in 1 2 3 4; do
		sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum $n >/dev/null || fail "add $n"
		sf port function set sfnic/sfnic0/$((32767 + n)) hw_addr 02:00:00:00:00:0$n state active
		ns_add sfn$n$$
		ip link set sfnic0S$n netns sfn$n$$
		ip -n sfn$n$$ addr add 10.6.0.$n/24 dev sfnic0S$n
		ip -n sfn$n$$ link set sfnic0S$n up
	done
	for p in "1 2" "2 1" "3 4" "4 3"; do
		set -- $p
		sf filter add dev sfnic0npf0sf$1 ingress flower action mirred egress redirect \
			dev sfnic0npf0sf$2 || fail "rule $1->$2"
	done
	ip netns exec sfn3$$ ping -q -c 2 -w 5 10.6.0.4 >/dev/null || fail "pair 2 before"
	ip netns exec sfn2$$ iperf3 -s -1 -D -B 10.6.0.2 >/dev/null 2>&1
	sleep 0.3
	ip netns exec sfn1$$ iperf3 -c 10.6.0.2 -t 4 >"$T/iperf.txt" 2>&1 &
	ip=$!
	ip netns exec sfn3$$ ping -q -i 0.05 -c 60 10.6.0.4 >"$T/ping.txt" 2>&1 &
	pp=$!
	sleep 1.5
	sf port function set sfnic/sfnic0/32768 state inactive || fail "deactivate under traffic"
	ip -n sfn1$$ link show sfnic0S1 >/dev/null 2>&1 && fail "SF 1's netdev is still there"
	wait $pp || fail "pair 2 lost packets: $(cat "$T/ping.txt")"
	grep -q " 0% packet loss" "$T/ping.txt" || fail "pair 2: $(cat "$T/ping.txt")"
	# iperf3 does not notice that its interface vanished; stop it.
	kill $ip 2>/dev/null
	wait $ip 2>/dev/null
	sleep 0.5
	inflight_zero
	daemon_stop
}

test_multiqueue_two_workers() {
	need_root
	daemon_start --workers 2
	two_sfs
	redirect_both
	pings 2 || fail "ping with two workers"
	# Four TCP streams: the kernel spreads them over the TAP's two queues,
	# one per worker, and both workers carry traffic.
	ip netns exec $NB iperf3 -s -1 -D -B 10.9.0.2 >/dev/null 2>&1
	sleep 0.3
	ip netns exec $NA iperf3 -c 10.9.0.2 -t 2 -P 4 -J >"$T/iperf.json" 2>&1 || fail "iperf3 -P 4"
	q=$(sf -j -s port show sfnic/sfnic0/32768 | jq -c '[.port[].stats.queues[].rx.packets > 0]')
	expect_eq "$q" "[true,true]" "SF 88's two queues both received"
	echo "iperf3 -P 4 with two workers: $(jq '.end.sum_received.bits_per_second | floor' "$T/iperf.json") bit/s" >&2
	inflight_zero
	daemon_stop
}

test_restart_with_another_worker_count() {
	need_root
	daemon_start
	two_sfs
	redirect_both
	pings 2 || fail "ping with one worker"
	idx=$(ip -n $NA -j link show sfnic0S88 | jq '.[0].ifindex')
	# Two workers now: the kept netdev gets a second queue where it is.
	daemon_kill9
	daemon_start --workers 2 || fail "restart with two workers"
	expect_eq "$(ip -n $NA -j link show sfnic0S88 | jq '.[0].ifindex')" "$idx" "the same netdev"
	pings 3 || fail "ping with two workers after the restart"
	# And back to one: the extra queue is let go.
	daemon_kill9
	daemon_start --workers 1 || fail "restart with one worker"
	pings 3 || fail "ping with one worker again"
	daemon_stop
}
