# test_rate.sh - devlink rate (issue 12): devlink-rate(8)'s grammar, units,
# errors and shapes, durability, and the shaper under TCP load.
#
# The load tests run iperf3 from SF netdevs in network namespaces through
# flower rules and the uplink (AF_PACKET on a veth) to a host namespace.
# This 2-core VM with the sanitizer build does not carry 1 Gbit/s through
# that path, so the figures are scaled down (RATE_* below): one SF capped
# at 200 Mbit/s then raised to 400 Mbit/s; two SFs under a node of
# 400 Mbit/s with shares of 300 and 100 Mbit/s (the issue's 1gbit with
# 750/250, at the same 3:1).  Each iperf3 run lasts 3 s.  The issue's own
# figures run on the optimised build of a quiet machine with
#   BIN=build RATE_RAISED=1000 RATE_NODE=1000 RATE_SHARE_A=750 RATE_SHARE_B=250 \
#     tests/run.sh e2e test_rate_

RATE_CAP=${RATE_CAP:-200}               # Mbit/s, the first tx_max
RATE_RAISED=${RATE_RAISED:-400}         # Mbit/s, raised under traffic
RATE_NODE=${RATE_NODE:-400}             # Mbit/s, the node's tx_max
RATE_SHARE_A=${RATE_SHARE_A:-300}       # Mbit/s
RATE_SHARE_B=${RATE_SHARE_B:-100}

D=sfnic/sfnic0

# Two SFs (88: port 32768, 89: port 32769) in switchdev mode.
two_sf_ports() {
	sf dev eswitch set $D mode switchdev || fail "switchdev"
	sf port add $D flavour pcisf pfnum 0 sfnum 88 >/dev/null || fail "port add 88"
	sf port add $D flavour pcisf pfnum 0 sfnum 89 >/dev/null || fail "port add 89"
}

test_rate_grammar_and_shapes() {
	daemon_start
	two_sf_ports
	# `monitor rate` shows rate objects' events and nothing else.
	sf monitor rate >"$T/mon" &
	local mon=$!
	sleep 0.3
	# Leafs exist for the PF and every SF port, from port add on.
	expect_eq "$(sf port function rate show)" "$D/0 type leaf
$D/32768 type leaf
$D/32769 type leaf" "leafs after port add"
	sf port function rate set $D/32768 tx_share 12mbit tx_max 200Mbit || fail "set leaf"
	sf port function rate add $D/grp tx_max 1gbit tx_share 100mbit tx_priority 3 tx_weight 7 ||
		fail "add node"
	sf port function rate add $D/sub tx_max 2GBps parent grp || fail "add sub-node"
	sf port function rate set $D/32768 parent sub || fail "parent"
	sf port function rate set $D/32769 tx_max 100 tx_weight 2 || fail "set leaf 2"
	# Text as devlink prints it: bits/s scaled by 1000 while exact.
	expect_eq "$(sf port function rate show $D/32768)" \
		"$D/32768 type leaf tx_share 12Mbit tx_max 200Mbit parent sub" "leaf text"
	expect_eq "$(sf port function rate show $D/grp)" \
		"$D/grp type node tx_share 100Mbit tx_max 1Gbit tx_priority 3 tx_weight 7" "node text"
	expect_eq "$(sf port function rate show $D/sub)" "$D/sub type node tx_max 16Gbit parent grp" \
		"GBps is bytes"
	# "100" is 100 bit/s: 12 bytes/s, truncated, printed as 96bit.
	expect_eq "$(sf port function rate show $D/32769)" "$D/32769 type leaf tx_max 96bit tx_weight 2" \
		"bare number is bit/s"
	expect_eq "$(sf -i port function rate show $D/32768)" \
		"$D/32768 type leaf tx_share 11718Kibit tx_max 195312Kibit parent sub" "-i"
	# JSON: bytes per second, zero values and no parent left out.
	expect_eq "$(sf -j port function rate show)" \
		'{"rate":{"sfnic/sfnic0/0":{"type":"leaf"},"sfnic/sfnic0/32768":{"type":"leaf","tx_share":1500000,"tx_max":25000000,"parent":"sub"},"sfnic/sfnic0/32769":{"type":"leaf","tx_max":12,"tx_weight":2},"sfnic/sfnic0/grp":{"type":"node","tx_share":12500000,"tx_max":125000000,"tx_priority":3,"tx_weight":7},"sfnic/sfnic0/sub":{"type":"node","tx_max":2000000000,"parent":"grp"}}}' \
		"JSON of everything"
	expect_eq "$(sf -j port function rate show $D/32768 | jq -c .)" \
		'{"rate":{"sfnic/sfnic0/32768":{"type":"leaf","tx_share":1500000,"tx_max":25000000,"parent":"sub"}}}' \
		"JSON of one leaf"
	# Units: case-insensitive, IEC, bytes, floats; truncated to bytes/s.
	for u in "1kbit 125" "1KBIT 125" "1kibit 128" "1.5mbit 187500" "2kbps 2000" "1kibps 1024" \
		 "1tbit 125000000000" "3 0" "0 0"; do
		set -- $u
		sf port function rate set $D/32769 tx_max "$1" || fail "unit $1"
		expect_eq "$(sf -j port function rate show $D/32769 | jq '.rate[].tx_max // 0')" "$2" "tx_max $1"
	done
	# Setting values back to zero makes them disappear; noparent clears.
	sf port function rate set $D/32769 tx_weight 0 || fail "weight 0"
	sf port function rate set $D/32768 noparent tx_share 0 || fail "noparent"
	expect_eq "$(sf port function rate show $D/32768)" "$D/32768 type leaf tx_max 200Mbit" "noparent"
	sf port function rate del $D/sub || fail "del sub"
	sf port function rate del $D/grp || fail "del grp"
	sleep 0.3
	kill "$mon"
	grep -q '^\[rate,new\] sfnic/sfnic0/grp' "$T/mon" || { cat "$T/mon"; fail "monitor: node added"; }
	grep -q '^\[rate,del\] sfnic/sfnic0/sub' "$T/mon" || { cat "$T/mon"; fail "monitor: node deleted"; }
	grep -qv '^\[rate,' "$T/mon" && { cat "$T/mon"; fail "monitor rate showed other objects"; }
	expect_eq "$(sf -j port function rate show | jq -c '[.rate | keys[]]')" \
		'["sfnic/sfnic0/0","sfnic/sfnic0/32768","sfnic/sfnic0/32769"]' "nodes deleted"
	# A leaf goes with its port, settings and all; a new port starts bare.
	sf port del $D/32768 || fail "port del"
	expect_eq "$(sf port function rate show $D/32768 2>&1)" "sfnicd answers: No such device" "leaf gone"
	sf port add $D flavour pcisf pfnum 0 sfnum 88 >/dev/null || fail "port add again"
	expect_eq "$(sf port function rate show $D/32768)" "$D/32768 type leaf" "new leaf is bare"
	daemon_stop
}

test_rate_errors() {
	daemon_start
	two_sf_ports
	sf port function rate add $D/grp || fail "add grp"
	sf port function rate add $D/child parent grp || fail "add child"
	sf port function rate set $D/32768 tx_max 100mbit || fail "leaf max"
	# iproute2's own checks, before anything is sent.
	expect_err 'Invalid. Expected tx_share <= tx_max or tx_share == 0.' \
		sf port function rate set $D/32768 tx_share 2mbit tx_max 1mbit
	expect_err 'Invalid rate value: "10furlongs"' sf port function rate set $D/32768 tx_max 10furlongs
	expect_err 'Invalid rate value: "-5mbit"' sf port function rate set $D/32768 tx_max -5mbit
	expect_err 'Invalid rate value: "mbit"' sf port function rate set $D/32768 tx_share mbit
	expect_err '"x" is not a number' sf port function rate set $D/32768 tx_priority x
	expect_err 'Option "tx_max" requires a value' sf port function rate set $D/32768 tx_max
	expect_err 'Unknown option "tx_min"' sf port function rate set $D/32768 tx_min 1
	# The pair in force: a share above the stored cap.
	expect_err 'Error: Invalid. Expected tx_share <= tx_max or tx_share == 0.' \
		sf port function rate set $D/32768 tx_share 200mbit
	# The kernel's: unknown objects are a bare ENODEV.
	expect_err 'sfnicd answers: No such device' sf port function rate show $D/nope
	expect_err 'sfnicd answers: No such device' sf port function rate set $D/nope tx_max 1mbit
	expect_err 'sfnicd answers: No such device' sf port function rate set $D/99 tx_max 1mbit
	expect_err 'sfnicd answers: No such device' sf port function rate show $D/65535
	expect_err 'sfnicd answers: No such device' sf port function rate show sfnic/other/1
	expect_err 'sfnicd answers: No such device' sf port function rate set $D/32768 parent nope
	expect_err 'sfnicd answers: No such device' sf port function rate del $D/nope
	expect_err 'sfnicd answers: Invalid argument' sf port function rate add $D/123
	expect_err 'sfnicd answers: File exists' sf port function rate add $D/grp
	expect_err 'Error: Parent to self is not allowed.' sf port function rate set $D/grp parent grp
	expect_err 'Error: Node is already a parent of parent node.' \
		sf port function rate set $D/grp parent child
	expect_err 'Error: Node has children. Cannot delete node.' sf port function rate del $D/grp
	expect_err 'Error: Rate node(s) exists.' sf dev eswitch set $D mode legacy
	# Nothing of the refused commands stuck.
	expect_eq "$(sf port function rate show $D/grp)" "$D/grp type node" "grp unchanged"
	expect_eq "$(sf port function rate show $D/32768)" "$D/32768 type leaf tx_max 100Mbit" \
		"leaf unchanged"
	daemon_stop
}

test_rate_durable_across_kill9() {
	daemon_start
	two_sf_ports
	sf port function rate add $D/grp tx_max 1gbit tx_priority 2 || fail "add"
	sf port function rate set $D/32768 tx_share 10mbit tx_max 300mbit parent grp tx_weight 4 || fail "set"
	sf port function rate set $D/0 tx_max 5gbit || fail "PF leaf"
	before=$(sf -j port function rate show)
	daemon_kill9
	daemon_start
	expect_eq "$(sf -j port function rate show)" "$before" "rate objects after kill -9"
	# A port deleted before the kill takes its leaf with it for good.
	sf port function rate set $D/32768 noparent || fail "noparent"
	sf port del $D/32768 || fail "port del"
	daemon_kill9
	daemon_start
	expect_eq "$(sf -j port function rate show | jq -c '[.rate | keys[]]')" \
		'["sfnic/sfnic0/0","sfnic/sfnic0/32769","sfnic/sfnic0/grp"]' "after port del and kill -9"
	sf port add $D flavour pcisf pfnum 0 sfnum 88 >/dev/null || fail "port add"
	expect_eq "$(sf port function rate show $D/32768)" "$D/32768 type leaf" "no old settings"
	daemon_stop
}

# ---- under load ----

# rate_net SFNUM...: a host namespace $NH (10.7.0.254) behind the uplink
# (AF_PACKET on a veth), the daemon, and one SF per SFNUM with its netdev
# in namespace rs<SFNUM>$$ (10.7.0.<SFNUM>, MAC 02:00:00:00:00:<SFNUM>),
# redirected to p0 and back by its MAC.  Ports are 32768, 32769, ...
rate_net() {
	need_root
	# The servers outlive their namespace: stop them with the rest.
	trap 'kill $(cat "$T/iperf3.pids" 2>/dev/null) 2>/dev/null; daemon_kill9; ns_cleanup' EXIT
	command -v iperf3 >/dev/null || fail "iperf3 is missing (scripts/deps.sh)"
	NH=rh$$
	ns_add $NH
	ip link add up0 type veth peer name hostif netns $NH || fail "veth"
	ip link set up0 up
	ip -n $NH addr add 10.7.0.254/24 dev hostif
	ip -n $NH link set hostif up
	# Checksums done by the host, as a wire's peer would (test_netdev.sh).
	ip netns exec $NH ethtool -K hostif tx off >/dev/null || fail "ethtool"
	daemon_start --uplink afpacket:up0 || fail "daemon"
	sf dev eswitch set $D mode switchdev || fail "switchdev"
	local i=0 n
	for n in "$@"; do
		sf port add $D flavour pcisf pfnum 0 sfnum "$n" >/dev/null || fail "port add $n"
		sf port function set $D/$((32768 + i)) hw_addr 02:00:00:00:00:$n state active ||
			fail "activate $n"
		ns_add rs$n$$
		ip link set sfnic0S$n netns rs$n$$ || fail "move sfnic0S$n"
		ip -n rs$n$$ addr add 10.7.0.$n/24 dev sfnic0S$n
		ip -n rs$n$$ link set sfnic0S$n up
		ip -n $NH neigh replace 10.7.0.$n lladdr 02:00:00:00:00:$n dev hostif
		sf filter add dev sfnic0npf0sf$n ingress prio 1 flower \
			action mirred egress redirect dev sfnic0np0 || fail "rule sf$n -> p0"
		sf filter add dev sfnic0np0 ingress prio $((10 + i)) flower dst_mac 02:00:00:00:00:$n \
			action mirred egress redirect dev sfnic0npf0sf$n || fail "rule p0 -> sf$n"
		ip netns exec rs$n$$ ping -q -c 2 -i 0.2 -w 5 10.7.0.254 >/dev/null ||
			fail "ping from SF $n: $(tail -3 "$T/sfnicd.log")"
		ip netns exec $NH iperf3 -s -p $((5200 + n)) -B 10.7.0.254 >/dev/null 2>&1 &
		echo $! >>"$T/iperf3.pids"      # ip netns exec execs: iperf3's own pid
		i=$((i + 1))
	done
	sleep 0.3
}

# iperf_from SFNUM SECONDS OUT: TCP from SF SFNUM's namespace to the host,
# JSON in OUT (in the background with &).
iperf_from() {
	ip netns exec rs$1$$ iperf3 -c 10.7.0.254 -p $((5200 + $1)) -t "$2" -J >"$3" 2>&1
}

# mbit JSON: what the receiver got, in Mbit/s.
mbit() { jq '.end.sum_received.bits_per_second / 1000000 | floor' "$1"; }

# within GOT WANT PCT WHAT
within() {
	local lo=$(($2 * (100 - $3) / 100)) hi=$(($2 * (100 + $3) / 100))
	[ "$1" -ge "$lo" ] && [ "$1" -le "$hi" ] || fail "$4: $1 Mbit/s, expected $2 ±$3%"
	echo "$4: $1 Mbit/s (set $2)" >&2
}

# within_retry WANT PCT WHAT CMD...: runs CMD (it measures under traffic
# that goes on and prints Mbit/s) up to three times until a figure is
# within WANT ±PCT%.  On a loaded VM the daemon's worker can wait for its
# CPU long enough that the shaper's bucket (20 ms of the rate, SCHED_BURST_NS) overflows and
# a window comes out low; the shaper is wrong only if no window is right.
within_retry() {
	local want=$1 pct=$2 what=$3 got all=""
	shift 3
	for _ in 1 2 3; do
		got=$("$@") || fail "$what: the measurement failed"
		all="$all $got"
		[ "$got" -ge $((want * (100 - pct) / 100)) ] && [ "$got" -le $((want * (100 + pct) / 100)) ] &&
			{ echo "$what: $got Mbit/s (set $want; windows:$all)" >&2; return 0; }
	done
	fail "$what: windows of$all Mbit/s, expected $want ±$pct%"
}

# iperf3 counts TCP payload; the shaper counts frames on the wire (GSO
# frames by their segments), so goodput sits ~4.5% below the set rate
# (1448 of 1514 bytes): well inside the tolerances.

test_rate_tx_max_holds_and_rises_under_traffic() {
	rate_net 88
	sf port function rate set $D/32768 tx_max ${RATE_CAP}mbit || fail "tx_max"
	iperf_from 88 3 "$T/cap.json" || fail "iperf3: $(tail -3 "$T/cap.json")"
	within "$(mbit "$T/cap.json")" $RATE_CAP 10 "tx_max ${RATE_CAP}mbit"
	# Raised while iperf3 runs: its last second runs at the new cap.
	ip netns exec rs88$$ iperf3 -c 10.7.0.254 -p 5288 -t 4 -J >"$T/raise.json" 2>&1 &
	local pid=$!
	sleep 1.5
	sf port function rate set $D/32768 tx_max ${RATE_RAISED}mbit || fail "raise"
	wait $pid || fail "iperf3: $(tail -3 "$T/raise.json")"
	local first last
	first=$(jq '.intervals[0].sum.bits_per_second / 1000000 | floor' "$T/raise.json")
	last=$(jq '.intervals[-1].sum.bits_per_second / 1000000 | floor' "$T/raise.json")
	within "$first" $RATE_CAP 15 "first second before the raise"
	within "$last" $RATE_RAISED 15 "last second after the raise to ${RATE_RAISED}mbit"
	# Shaping, not policing: TCP slowed down, the datapath dropped nothing.
	expect_eq "$(sf -j -s port show $D/32768 | jq '[.port[].stats.drops // {} | .[]] | add // 0')" 0 \
		"drops on the shaped SF"
	daemon_stop
}

test_rate_node_shares_split_and_one_takes_all() {
	rate_net 88 89
	sf port function rate add $D/tenant tx_max ${RATE_NODE}mbit || fail "node"
	sf port function rate set $D/32768 tx_share ${RATE_SHARE_A}mbit parent tenant || fail "leaf A"
	sf port function rate set $D/32769 tx_share ${RATE_SHARE_B}mbit parent tenant || fail "leaf B"
	iperf_from 88 3 "$T/a.json" &
	local pid=$!
	iperf_from 89 3 "$T/b.json" || fail "iperf3 B: $(tail -3 "$T/b.json")"
	wait $pid || fail "iperf3 A: $(tail -3 "$T/a.json")"
	local a b want=$((RATE_SHARE_A * 100 / RATE_SHARE_B))
	a=$(mbit "$T/a.json") b=$(mbit "$T/b.json")
	echo "both flat out: A $a Mbit/s, B $b Mbit/s" >&2
	[ "$b" -gt 0 ] || fail "B got nothing"
	within $((a * 100 / b)) $want 15 "split A:B (x100)"
	[ $((a + b)) -le $((RATE_NODE * 105 / 100)) ] || fail "node cap exceeded: $((a + b)) Mbit/s"
	# A stops: B gets the whole node, far beyond its share.
	iperf_from 89 3 "$T/b2.json" || fail "iperf3 B alone"
	within "$(mbit "$T/b2.json")" $RATE_NODE 15 "B alone under the node"
	daemon_stop
}

# Weights within one priority, no shares: the node's bandwidth splits by
# tx_weight (3:1) while both send flat out.
test_rate_node_weights_split() {
	rate_net 88 89
	sf port function rate add $D/tenant tx_max ${RATE_NODE}mbit || fail "node"
	sf port function rate set $D/32768 tx_weight 3 parent tenant || fail "leaf A"
	sf port function rate set $D/32769 tx_weight 1 parent tenant || fail "leaf B"
	iperf_from 88 3 "$T/a.json" &
	local pid=$!
	iperf_from 89 3 "$T/b.json" || fail "iperf3 B: $(tail -3 "$T/b.json")"
	wait $pid || fail "iperf3 A: $(tail -3 "$T/a.json")"
	local a b
	a=$(mbit "$T/a.json") b=$(mbit "$T/b.json")
	echo "both flat out: A $a Mbit/s (weight 3), B $b Mbit/s (weight 1)" >&2
	[ "$b" -gt 0 ] || fail "B got nothing"
	within $((a * 100 / b)) 300 15 "split A:B by weight (x100)"
	[ $((a + b)) -le $((RATE_NODE * 105 / 100)) ] || fail "node cap exceeded: $((a + b)) Mbit/s"
	daemon_stop
}

# ---- memif: DPDK testpmd (txonly) as the SF's client ----
# No root needed: the daemon runs with --netdevs off and each SF's eth
# driver is disabled, so all it sends comes through its memif interface
# (test_memif.sh's setup).  Frames of MEMIF_FRAME bytes go from the
# shaped SF through a flower rule to a sink SF whose testpmd (rxonly)
# takes them all.  The rate is read from the shaped SF's memif counters
# (rx.bytes of its C2S rings: frame lengths, Ethernet header to payload,
# no FCS, preamble or gap), which is what the shaper charges.

MEMIF_FRAME=1000        # bytes per frame (testpmd --txpkts)
MEMIF_CAP=100           # Mbit/s, the first tx_max
MEMIF_RAISED=200        # Mbit/s, raised under traffic
MEMIF_NODE=200          # Mbit/s, the node's tx_max in the priority test

msock() { echo "$T/run/memif/sfnic0S$1.sock"; }

# memif_only_sf SFNUM: an active SF (hw_addr 02:00:00:00:00:SFNUM) with its
# eth driver disabled; waits for its memif socket.
memif_only_sf() {
	sf port add $D flavour pcisf pfnum 0 sfnum "$1" >/dev/null || fail "port add $1"
	sf port function set "sfnic0npf0sf$1" hw_addr "02:00:00:00:00:$1" state active ||
		fail "activate $1"
	local inst
	inst=$(sf -j port show "sfnic0npf0sf$1" | jq -r '.port[].function.nested_devlink | keys[0]')
	sf dev param set "$inst" name enable_eth value false cmode driverinit || fail "param $1"
	sf dev reload "$inst" || fail "reload $1"
	for _ in $(seq 100); do [ -S "$(msock "$1")" ] && return 0; sleep 0.05; done
	fail "no memif socket for SF $1"
}

# memif_rx_bytes PORT...: "bytes ns": bytes each memif port (the SF's own
# port, DEV/1 of its instance) has taken from its client (its C2S rings),
# and the clock right after the read.
memif_rx_bytes() {
	local p
	for p in "$@"; do sf -j -s port show "$p" | jq -r '.port[].memif_stats.rx.bytes'; done
	date +%s%N
}

# memif_mbit SECONDS SFNUM...: the Mbit/s each SF's memif took in over
# SECONDS (space-separated, in order), from its counters and the clock.
memif_mbit() {
	local secs=$1 n ports=() a b i out=()
	shift
	for n in "$@"; do
		ports+=("$(sf -j port show "sfnic0npf0sf$n" |
			jq -r '.port[].function.nested_devlink | keys[0]')/1")
	done
	mapfile -t a < <(memif_rx_bytes "${ports[@]}")
	sleep "$secs"
	mapfile -t b < <(memif_rx_bytes "${ports[@]}")
	for ((i = 0; i < $#; i++)); do
		out+=($(((b[i] - a[i]) * 8 * 1000 / (b[$#] - a[$#]))))
	done
	echo "${out[*]}"
}

# memif_no_drops: sfnic dropped nothing anywhere (ports, representors,
# memif interfaces).
memif_no_drops() {
	local d
	d=$(sf -j -s port show | jq -c '[.port | to_entries[] | .key as $k | .value |
		(.stats.drops, .rep_stats.drops, .memif_stats.drops) // {} | to_entries[] |
		select(.value != 0) | "\($k) \(.key) \(.value)"]')
	expect_eq "$d" "[]" "drops in sfnic"
}

# memif_rate_setup SINK SFNUM...: the daemon, a sink SF with testpmd
# "rx" (rxonly) and one shaped SF per SFNUM redirected to the sink; one
# testpmd "tx" (txonly, flat out) with a memif port per SFNUM, in order.
# Ports: the sink is 32768, the SFNUMs 32769, 32770, ...
memif_rate_setup() {
	local sink=$1 n eal="" i=0
	shift
	daemon_start --netdevs off || fail "daemon"
	# The daemon on CPU 0, both testpmds on CPU 1: four pollers on two
	# cores would take the worker off-CPU for whole timeslices.
	taskset -a -p -c 0 "$DPID" >/dev/null || fail "taskset"
	sf dev eswitch set $D mode switchdev || fail "switchdev"
	memif_only_sf "$sink"
	for n in "$@"; do
		memif_only_sf "$n"
		sf filter add dev "sfnic0npf0sf$n" ingress flower action mirred egress redirect \
			dev "sfnic0npf0sf$sink" || fail "filter $n -> $sink"
		[ $i -gt 0 ] && eal="$eal --vdev=net_memif$i,role=client,socket=$(msock "$n"),socket-abstract=no,rsize=14"
		i=$((i + 1))
	done
	# All rings are the largest (2^14, 0.6 s of 1000-byte frames at
	# 200 Mbit/s): a testpmd off-CPU for a while must neither see its sink
	# ring overflow nor let its sender's rings run dry (a sender with an
	# empty ring is not flat out, and its siblings rightly take over).
	testpmd_start --cpu 1 --vdev rsize=14 rx client "$(msock "$sink")" rxonly
	testpmd_wait_link rx up
	testpmd_cmd rx start
	testpmd_start --cpu 1 --vdev rsize=14 --eal "$eal" tx client "$(msock "$1")" txonly --txpkts=$MEMIF_FRAME
	testpmd_wait_link tx up
	for i in $(seq 1 $(($# - 1))); do
		for _ in $(seq 100); do [ "$(testpmd_link tx "$i")" = up ] && break; sleep 0.1; done
		[ "$(testpmd_link tx "$i")" = up ] || fail "testpmd tx: link of port $i not up"
	done
}

test_rate_memif_tx_is_shaped() {
	memif_rate_setup 90 88
	sf port function rate set $D/32769 tx_max ${MEMIF_CAP}mbit || fail "tx_max"
	testpmd_cmd tx start
	sleep 1         # past the first burst the bucket allows
	within_retry $MEMIF_CAP 10 "memif tx_max ${MEMIF_CAP}mbit" memif_mbit 3 88
	sf port function rate set $D/32769 tx_max ${MEMIF_RAISED}mbit || fail "raise"
	sleep 1
	within_retry $MEMIF_RAISED 10 "memif raised to ${MEMIF_RAISED}mbit" memif_mbit 3 88
	testpmd_cmd tx stop
	# Shaping, not policing: the client's excess waited in its own ring
	# (testpmd counts what did not fit), sfnic dropped nothing.
	memif_no_drops
	testpmd_stop tx
	testpmd_stop rx
	daemon_stop
}

# ---- zero-copy: an exclusive queue's TX ring ----
# examples/zc_txonly sends 1000-byte frames flat out from an exclusive
# queue of SF 88 (--netdevs off), redirected to p0 (the null uplink, which
# counts and discards).  The rate is read from the queue's transmitted
# bytes (what the daemon took from the TX ring: frame lengths, what the
# shaper charges).

# zc_tx_mbit SECONDS: Mbit/s the daemon took from SF 88's zero-copy TX
# ring over SECONDS, from its counter and the clock.
zc_tx_mbit() {
	local a b t0 t1
	a=$(sf -j -s port show $D/32768 | jq '.port[].zc_stats[0].transmitted.bytes')
	t0=$(date +%s%N)
	sleep "$1"
	b=$(sf -j -s port show $D/32768 | jq '.port[].zc_stats[0].transmitted.bytes')
	t1=$(date +%s%N)
	echo $(((b - a) * 8 * 1000 / (t1 - t0)))
}

test_rate_zc_tx_is_shaped() {
	local app sent
	daemon_start --netdevs off || fail "daemon"
	# The daemon on CPU 0, the application on CPU 1 (as the memif test).
	taskset -a -p -c 0 "$DPID" >/dev/null || fail "taskset"
	sf_active 88
	sf filter add dev sfnic0npf0sf88 ingress flower action mirred egress redirect dev sfnic0np0 ||
		fail "filter"
	sf port function rate set $D/32768 tx_max ${MEMIF_CAP}mbit || fail "tx_max"
	taskset -c 1 "$BIN/zc_txonly" sfnic0S88 new -l $MEMIF_FRAME -d 02:00:00:00:00:02 -t 60 \
		>"$T/tx.out" 2>"$T/tx.err" &
	app=$!
	for _ in $(seq 250); do grep -q '^queue' "$T/tx.out" && break; sleep 0.02; done
	expect_eq "$(head -1 "$T/tx.out")" "queue 2" "zc_txonly attached: $(cat "$T/tx.err")"
	sleep 1         # past the first burst the bucket allows
	within_retry $MEMIF_CAP 10 "zero-copy tx_max ${MEMIF_CAP}mbit" zc_tx_mbit 3
	sf port function rate set $D/32768 tx_max ${MEMIF_RAISED}mbit || fail "raise"
	sleep 1
	within_retry $MEMIF_RAISED 10 "zero-copy raised to ${MEMIF_RAISED}mbit" zc_tx_mbit 3
	kill -TERM $app
	wait $app || fail "zc_txonly: $(cat "$T/tx.out" "$T/tx.err")"
	# Shaping, not policing: the application was held back (every frame it
	# had waited on TX) and every frame it sent left through p0.
	sent=$(sed -n 's/^sent \([0-9]*\) frames.*/\1/p' "$T/tx.out")
	[ "$(sed -n 's/^held_back //p' "$T/tx.out")" -gt 0 ] || fail "never held back: $(cat "$T/tx.out")"
	expect_eq "$(sf -j -s port show $D/32768 | jq '.port[].stats.rx.packets')" "$sent" \
		"frames the SF transmitted, as the application counts them"
	expect_eq "$(sf -j -s port show sfnic/sfnic0/65535 | jq '.port[].stats.tx.packets')" "$sent" \
		"frames out of p0"
	memif_no_drops
	daemon_stop
}

# `rate show -s`: the shaper's counters in text and JSON, exact.  20000
# frames of 1000 bytes under a 100mbit leaf in a 200mbit node (1.6 s).
test_rate_stats_show() {
	local st
	daemon_start --netdevs off || fail "daemon"
	sf_active 88
	sf filter add dev sfnic0npf0sf88 ingress flower action mirred egress redirect dev sfnic0np0 ||
		fail "filter"
	sf port function rate add $D/tenant tx_max 200mbit || fail "node"
	sf port function rate set $D/32768 tx_max 100mbit parent tenant || fail "leaf"
	expect_eq "$(sf -s port function rate show $D/32768)" "$D/32768 type leaf tx_max 100Mbit parent tenant
  stats: sent_bytes 0 sent_packets 0 throttled 0 deferred 0" "before traffic"
	"$BIN/zc_txonly" sfnic0S88 new -l 1000 -c 20000 >"$T/tx.out" 2>&1 || fail "zc_txonly: $(cat "$T/tx.out")"
	expect_eq "$(sed -n 2p "$T/tx.out")" "sent 20000 frames 20000000 bytes" "what the application sent"
	# The leaf's cap held it back (throttled there, deferred for its
	# function); the node's was never reached.
	st=$(sf -j -s port function rate show)
	expect_eq "$(jq -c '.rate | map_values(.stats | del(.throttled, .deferred))' <<<"$st")" \
		'{"sfnic/sfnic0/0":{"sent_bytes":0,"sent_packets":0},"sfnic/sfnic0/32768":{"sent_bytes":20000000,"sent_packets":20000},"sfnic/sfnic0/tenant":{"sent_bytes":20000000,"sent_packets":20000}}' \
		"sent through each object"
	local thr
	thr=$(jq '.rate["sfnic/sfnic0/32768"].stats.throttled' <<<"$st")
	[ "$thr" -gt 0 ] || fail "the leaf never throttled: $st"
	expect_eq "$(jq -c '[.rate["sfnic/sfnic0/32768"].stats.deferred, .rate["sfnic/sfnic0/tenant"].stats]' <<<"$st")" \
		"[$thr,{\"sent_bytes\":20000000,\"sent_packets\":20000,\"throttled\":0}]" \
		"deferred on the leaf, no deferred on a node"
	# Text: a stats line under each object; without -s none.
	expect_eq "$(sf -s port function rate show)" "$D/0 type leaf
  stats: sent_bytes 0 sent_packets 0 throttled 0 deferred 0
$D/32768 type leaf tx_max 100Mbit parent tenant
  stats: sent_bytes 20000000 sent_packets 20000 throttled $thr deferred $thr
$D/tenant type node tx_max 200Mbit
  stats: sent_bytes 20000000 sent_packets 20000 throttled 0" "rate show -s"
	expect_eq "$(sf port function rate show $D/tenant)" "$D/tenant type node tx_max 200Mbit" "without -s"
	expect_eq "$(sf -j port function rate show $D/tenant)" \
		'{"rate":{"sfnic/sfnic0/tenant":{"type":"node","tx_max":25000000}}}' "JSON without -s"
	# The counts survive a change of settings (the tree is rebuilt).
	sf port function rate set $D/32768 tx_max 300mbit || fail "raise"
	expect_eq "$(sf -j -s port function rate show $D/32768 | jq -c '.rate[].stats | [.sent_packets, .deferred]')" \
		"[20000,$thr]" "after rate set"
	daemon_stop
}

# The higher priority is given to the SF the worker polls second, the
# harder case: when the worker comes back from a nap or from waiting for
# its CPU, the lower one is asked first, and the higher one has not been
# refused for that long.  It is still waiting (refused by the node since
# its queue was last drained), so the lower one must not borrow: strict
# priority holds across any gap (src/sched/sched.h).  The lower one may
# get the node's bucket only at the start (before the first refusal) or
# after the higher one was not read for 100 ms (SCHED_STRICT_NS): it must
# get at most 2% of what the node let through.  Measured on this VM at
# load 6: 0 of 166-176 Mbit/s, every run (it was 37-44 of 179-181, 20%,
# with the 2 ms window of demand the shaper had before).
test_rate_strict_priority() {
	# Two shaped SFs (88: port 32769, 89: port 32770) under a capped node,
	# 89 of a higher tx_priority; one testpmd sends flat out on both.
	memif_rate_setup 90 88 89
	sf port function rate add $D/tenant tx_max ${MEMIF_NODE}mbit || fail "node"
	sf port function rate set $D/32769 parent tenant || fail "leaf 88"
	sf port function rate set $D/32770 parent tenant tx_priority 1 || fail "leaf 89"
	testpmd_cmd tx start
	sleep 1
	within_retry $MEMIF_NODE 10 "the node's total" strict_window 3
	testpmd_cmd tx stop
	memif_no_drops
	testpmd_stop tx
	testpmd_stop rx
	daemon_stop
}

# strict_window SECONDS: measures both SFs (88 then 89) for SECONDS,
# fails unless the lower priority (88) got at most 2% of the total, and
# prints the total in Mbit/s.
strict_window() {
	local lo hi
	read -r lo hi <<<"$(memif_mbit "$1" 88 89)"
	echo "both flat out under ${MEMIF_NODE}mbit: priority 0 $lo Mbit/s, priority 1 $hi Mbit/s" >&2
	[ $((lo * 100)) -le $(((lo + hi) * 2)) ] ||
		fail "priority 0 got $lo of $((lo + hi)) Mbit/s, expected at most 2%"
	echo $((lo + hi))
}
