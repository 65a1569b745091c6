# test_memif.sh - the memif server of every SF, with Debian's unmodified
# dpdk-testpmd as the client: the socket follows the zc driver, frames
# cross the eswitch with exact counts, several queue pairs, chained jumbo
# frames, who may attach, restarts of the client and of the daemon.  No root
# needed (the daemon runs with --netdevs off); the netns and bifurcation
# tests at the end need root.

# sock N: the memif socket of SF sfnum N.
sock() { echo "$T/run/memif/sfnic0S$1.sock"; }

# memif_sf SFNUM [eth]: an active SF with hw_addr 02:00:00:00:00:SFNUM; its
# eth driver is disabled (all its traffic goes to memif) unless "eth".
memif_sf() {
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum "$1" >/dev/null || fail "port add $1"
	sf port function set "sfnic0npf0sf$1" hw_addr "02:00:00:00:00:$1" state active ||
		fail "activate $1"
	local inst
	inst=$(sf -j port show "sfnic0npf0sf$1" | jq -r '.port[].function.nested_devlink | keys[0]')
	if [ "$2" != eth ]; then
		sf dev param set "$inst" name enable_eth value false cmode driverinit || fail "param"
		sf dev reload "$inst" || fail "reload"
	fi
	for _ in $(seq 100); do [ -S "$(sock "$1")" ] && return 0; sleep 0.05; done
	fail "no memif socket for SF $1"
}

# mstat SFNUM JQ: a field of the SF's memif counters (`port show -s` of its
# own port).
mstat() {
	local inst
	inst=$(sf -j port show "sfnic0npf0sf$1" | jq -r '.port[].function.nested_devlink | keys[0]')
	sf -j -s port show "$inst/1" | jq -r ".port[].memif_stats.$2"
}

# wait_mstat SFNUM JQ VALUE: waits (at most 5 s) for a memif counter.
wait_mstat() {
	for _ in $(seq 100); do
		[ "$(mstat "$1" "$2")" = "$3" ] && return 0
		sleep 0.05
	done
	expect_eq "$(mstat "$1" "$2")" "$3" "SF $1 memif $2"
}


start_switchdev() {
	daemon_start --netdevs off "$@" || fail "daemon"
	sf dev eswitch set sfnic/sfnic0 mode switchdev || fail "switchdev"
}

# redirect FROM TO: a flower rule sending what SF FROM sends to SF TO.
redirect() {
	sf filter add dev "sfnic0npf0sf$1" ingress flower action mirred egress redirect \
		dev "sfnic0npf0sf$2" || fail "filter $1 -> $2"
}

# burst NAME SECONDS: lets testpmd NAME forward for a while, then stops it.
burst() {
	testpmd_cmd "$1" start
	sleep "$2"
	testpmd_cmd "$1" stop
}

test_memif_socket_follows_the_zc_driver() {
	start_switchdev
	memif_sf 88 eth
	local s
	s=$(sock 88)
	expect_eq "$(sf -j port show auxiliary/sfnic_core.sf.1/1 | jq -r '.port[].memif')" "$s" \
		"memif path in port show"
	expect_eq "$(sf -j aux show sfnic_core.zc.1 | jq -r '.aux[].memif')" "$s" "aux show"
	sf port show auxiliary/sfnic_core.sf.1/1 | grep -qF "memif $s" || fail "text port show"
	expect_eq "$(stat -c %a "$s")" 660 "socket mode"
	sf aux unbind sfnic_core.zc.1 || fail "unbind"
	[ ! -e "$s" ] || fail "socket left after unbind"
	expect_eq "$(sf -j port show auxiliary/sfnic_core.sf.1/1 | jq -r '.port[].memif')" null \
		"memif after unbind"
	sf aux bind sfnic_core.zc.1 driver sfnic_core.zc || fail "bind"
	[ -S "$s" ] || fail "socket not back after bind"
	sf dev param set auxiliary/sfnic_core.sf.1 name enable_zc value false cmode driverinit
	sf dev reload auxiliary/sfnic_core.sf.1
	[ ! -e "$s" ] || fail "socket left with enable_zc false"
	sf dev param set auxiliary/sfnic_core.sf.1 name enable_zc value true cmode driverinit
	sf dev reload auxiliary/sfnic_core.sf.1
	[ -S "$s" ] || fail "socket not back with enable_zc true"
	sf port function set sfnic0npf0sf88 state inactive
	[ ! -e "$s" ] || fail "socket left after deactivation"
	daemon_stop
}

test_memif_txonly_through_a_rule_arrives_exactly() {
	start_switchdev
	memif_sf 88
	memif_sf 89
	redirect 88 89
	testpmd_start rx client "$(sock 89)" rxonly
	testpmd_start tx client "$(sock 88)" txonly --txpkts=64
	testpmd_wait_link rx up
	testpmd_wait_link tx up
	wait_log "connected: 1 C2S and 1 S2C rings of 1024" 2
	testpmd_cmd rx start
	burst tx 1
	# shellcheck disable=SC2046
	set -- $(testpmd_stats tx)
	local sent=$2
	[ "$sent" -ge 10000 ] || fail "testpmd sent only $sent frames"
	wait_mstat 88 rx.packets "$sent"
	expect_eq "$(mstat 88 'queues[0].rx.packets')" "$sent" "C2S packets of SF 88"
	local delivered ringfull
	delivered=$(mstat 89 tx.packets)
	ringfull=$(mstat 89 drops.ring_full)
	expect_eq "$((delivered + ringfull))" "$sent" "SF 89 delivered + ring_full"
	expect_eq "$(mstat 89 'queues[0].tx.packets')" "$delivered" "S2C packets of SF 89"
	sleep 0.3
	# shellcheck disable=SC2046
	set -- $(testpmd_stats rx)
	expect_eq "$1" "$delivered" "frames testpmd received"
	expect_eq "$5" "$((delivered * 64))" "bytes testpmd received"
	echo "txonly -> SF 88 -> rule -> SF 89 -> rxonly: $sent sent, $delivered received, $ringfull ring full" >&2
	testpmd_stop tx
	testpmd_stop rx
	wait_log "client pid" 2
	inflight_zero
	daemon_stop
}

test_memif_without_a_rule_frames_go_to_the_representor() {
	start_switchdev
	memif_sf 88
	testpmd_start tx client "$(sock 88)" txonly --txpkts=64
	testpmd_wait_link tx up
	burst tx 0.5
	# shellcheck disable=SC2046
	set -- $(testpmd_stats tx)
	wait_mstat 88 rx.packets "$2"
	expect_eq "$(sf -j -s port show sfnic0npf0sf88 | jq -r '.port[].rep_stats.drops.no_consumer')" \
		"$2" "misses counted at the representor"
	# A graceful stop tells the connected client why.
	daemon_stop
	grep -q "client pid [0-9]* disconnected: Device closed" "$T/sfnicd.log" ||
		fail "no Device closed for the client"
	testpmd_wait_link tx down
	testpmd_stop tx
}

test_memif_two_queue_pairs_spread_flows() {
	start_switchdev
	memif_sf 88
	memif_sf 89
	redirect 88 89
	# The largest rings (2^14) and 4 KiB buffers on one side, 2^12 on the
	# other; --txonly-multi-flow varies the addresses, so flows spread.
	testpmd_start --vdev rsize=14,bsize=4096 rx client "$(sock 89)" rxonly --rxq=2 --txq=2
	testpmd_start --vdev rsize=12 tx client "$(sock 88)" txonly --txpkts=64 --rxq=2 --txq=2 \
		--txonly-multi-flow
	testpmd_wait_link rx up
	testpmd_wait_link tx up
	wait_log "connected: 2 C2S and 2 S2C rings of 16384"
	wait_log "connected: 2 C2S and 2 S2C rings of 4096"
	testpmd_cmd rx start
	burst tx 1
	# shellcheck disable=SC2046
	set -- $(testpmd_stats tx)
	local sent=$2
	wait_mstat 88 rx.packets "$sent"
	local q0 q1
	q0=$(mstat 88 'queues[0].rx.packets')
	q1=$(mstat 88 'queues[1].rx.packets')
	[ "$q0" -gt 0 ] && [ "$q1" -gt 0 ] || fail "both C2S rings carry frames ($q0, $q1)"
	q0=$(mstat 89 'queues[0].tx.packets')
	q1=$(mstat 89 'queues[1].tx.packets')
	[ "$q0" -gt 0 ] && [ "$q1" -gt 0 ] || fail "flows spread over both S2C rings ($q0, $q1)"
	sleep 0.3
	# shellcheck disable=SC2046
	set -- $(testpmd_stats rx)
	expect_eq "$1" "$((q0 + q1))" "frames testpmd received on two queues"
	testpmd_stop tx
	testpmd_stop rx
	inflight_zero
	daemon_stop
}

test_memif_jumbo_frames_travel_as_chains() {
	need_root       # jumbo frames need the GSO-sized pools netdevs bring
	daemon_start || fail "daemon"
	sf dev eswitch set sfnic/sfnic0 mode switchdev || fail "switchdev"
	memif_sf 88
	memif_sf 89
	redirect 88 89
	testpmd_start rx client "$(sock 89)" rxonly
	# 4000-byte frames in three segments: three 2 KiB descriptors each way.
	testpmd_start tx client "$(sock 88)" txonly --txpkts=1500,1500,1000
	testpmd_wait_link rx up
	testpmd_wait_link tx up
	testpmd_cmd rx start
	burst tx 0.5
	# shellcheck disable=SC2046
	set -- $(testpmd_stats tx)
	local sent=$2
	wait_mstat 88 rx.packets "$sent"
	expect_eq "$(mstat 88 rx.bytes)" "$((sent * 4000))" "bytes of chained frames"
	expect_eq "$(mstat 88 'queues[0].invalid_desc')" 0 "invalid descriptors"
	local delivered
	delivered=$(mstat 89 tx.packets)
	[ "$delivered" -gt 0 ] || fail "no chained frame reached SF 89"
	sleep 0.3
	# shellcheck disable=SC2046
	set -- $(testpmd_stats rx)
	expect_eq "$1" "$delivered" "chained frames testpmd received"
	expect_eq "$5" "$((delivered * 4000))" "bytes testpmd received"
	testpmd_stop tx
	testpmd_stop rx
	inflight_zero
	daemon_stop
}

test_memif_secret_and_a_second_client_are_refused() {
	start_switchdev
	memif_sf 88
	sf dev param set auxiliary/sfnic_core.sf.1 name zc_secret value s3cret cmode runtime ||
		fail "zc_secret"
	expect_err "Error: Parameter \"zc_secret\" supports only cmode runtime." \
		sf dev param set auxiliary/sfnic_core.sf.1 name zc_secret value x cmode driverinit
	expect_err "Error: Value \"abc\" is not UID[:GID]." \
		sf dev param set auxiliary/sfnic_core.sf.1 name zc_owner value abc cmode runtime
	testpmd_start nosecret client "$(sock 88)" rxonly
	wait_log "refused: Secret required"
	testpmd_stop nosecret
	testpmd_start --vdev secret=guess wrong client "$(sock 88)" rxonly
	wait_log "refused: Incorrect secret"
	testpmd_stop wrong
	testpmd_start --vdev secret=s3cret good client "$(sock 88)" rxonly
	testpmd_wait_link good up
	testpmd_start --vdev secret=s3cret second client "$(sock 88)" rxonly
	wait_log "refused: Already connected"
	[ "$(testpmd_link second)" = down ] || fail "a second client got the link"
	testpmd_stop second
	[ "$(testpmd_link good)" = up ] || fail "the first client lost its link"
	# The secret is durable: after a restart it is still asked for.
	testpmd_stop good
	daemon_stop
	daemon_start --netdevs off || fail "restart"
	expect_eq "$(sf -j dev param show auxiliary/sfnic_core.sf.1 name zc_secret |
		jq -r '.param[][0].values[0].value')" s3cret "zc_secret after restart"
	testpmd_start again client "$(sock 88)" rxonly
	wait_log "refused: Secret required" 2
	testpmd_stop again
	daemon_stop
}

test_memif_client_restart_and_daemon_kill9_reconnect() {
	start_switchdev
	memif_sf 88
	testpmd_start tx client "$(sock 88)" txonly --txpkts=64
	testpmd_wait_link tx up
	burst tx 0.3
	# A client that dies mid-transfer: everything of it is let go.
	testpmd_cmd tx start
	testpmd_kill tx
	wait_log "disconnected"
	inflight_zero
	expect_eq "$(mstat 88 connected)" false "connected after the client died"
	testpmd_start tx client "$(sock 88)" txonly --txpkts=64
	testpmd_wait_link tx up
	expect_eq "$(mstat 88 connects)" 2 "connections"
	# The daemon is killed under traffic and restarts: the socket is back
	# and the client comes back with port stop/start (a 22.11 client does
	# not reconnect by itself).
	testpmd_cmd tx start
	daemon_kill9
	testpmd_wait_link tx down
	daemon_start --netdevs off || fail "restart"
	[ -S "$(sock 88)" ] || fail "no socket after restart"
	testpmd_cmd tx stop
	testpmd_cmd tx "port stop 0"
	testpmd_cmd tx "port start 0"
	testpmd_wait_link tx up
	# testpmd's counters still hold what the killed daemon took.
	testpmd_cmd tx "clear port stats 0"
	burst tx 0.3
	# shellcheck disable=SC2046
	set -- $(testpmd_stats tx)
	wait_mstat 88 rx.packets "$2"
	# Deactivating the SF tells the client why and takes the socket away.
	sf port function set sfnic0npf0sf88 state inactive || fail "deactivate"
	wait_log "disconnected: Function inactive"
	testpmd_wait_link tx down
	[ ! -e "$(sock 88)" ] || fail "socket left after deactivation"
	testpmd_stop tx
	inflight_zero
	daemon_stop
}

test_memif_zero_copy_client() {
	start_switchdev
	memif_sf 88
	memif_sf 89
	redirect 88 89
	testpmd_start --eal --single-file-segments --vdev zero-copy=yes rx client "$(sock 89)" rxonly
	testpmd_start --eal --single-file-segments --vdev zero-copy=yes tx client "$(sock 88)" \
		txonly --txpkts=64
	testpmd_wait_link rx up
	testpmd_wait_link tx up
	wait_log "connected: 1 C2S and 1 S2C rings of 1024, 2 regions" 2
	testpmd_cmd rx start
	burst tx 0.5
	# shellcheck disable=SC2046
	set -- $(testpmd_stats tx)
	wait_mstat 88 rx.packets "$2"
	local delivered
	delivered=$(mstat 89 tx.packets)
	[ "$delivered" -gt 0 ] || fail "nothing delivered to a zero-copy client"
	sleep 0.3
	# shellcheck disable=SC2046
	set -- $(testpmd_stats rx)
	expect_eq "$1" "$delivered" "frames the zero-copy client received"
	testpmd_stop tx
	testpmd_stop rx
	inflight_zero
	daemon_stop
}

# netdev_sf SFNUM NS IP: an SF whose netdev is in namespace NS with IP/24.
netdev_sf() {
	memif_sf "$1" eth
	ns_add "$2"
	ip link set "sfnic0S$1" netns "$2" || fail "move sfnic0S$1"
	ip -n "$2" addr add "$3/24" dev "sfnic0S$1"
	ip -n "$2" link set "sfnic0S$1" up
}

test_memif_netdev_sf_pings_a_dpdk_application() {
	need_root
	daemon_start || fail "daemon"
	sf dev eswitch set sfnic/sfnic0 mode switchdev || fail "switchdev"
	local NA=sfma$$
	netdev_sf 88 $NA 10.7.0.1
	memif_sf 89
	redirect 88 89
	redirect 89 88
	# testpmd's icmpecho answers ARP and ICMP echo requests for any address.
	testpmd_start app client "$(sock 89)" icmpecho
	testpmd_wait_link app up
	testpmd_cmd app start
	ip netns exec $NA ping -c 5 -i 0.2 -w 10 10.7.0.2 >"$T/ping.txt" 2>&1 ||
		fail "ping to the DPDK application: $(cat "$T/ping.txt")"
	grep -q "5 received" "$T/ping.txt" || fail "$(cat "$T/ping.txt")"
	# The worker sleeps between pings: the client's eventfd must wake it
	# (the 50 ms armed-sleep timeout would show in the round trips).
	local avg
	avg=$(sed -n 's|.* = [0-9.]*/\([0-9.]*\)/.*|\1|p' "$T/ping.txt")
	awk -v a="$avg" 'BEGIN { exit !(a < 10) }' || fail "ping average $avg ms: no wakeup by interrupt"
	echo "ping to a DPDK application: $(tail -1 "$T/ping.txt")" >&2
	testpmd_cmd app stop
	testpmd_stop app
	inflight_zero
	daemon_stop
}

test_memif_bifurcation_steers_udp_to_memif_and_ping_to_the_netdev() {
	need_root
	daemon_start || fail "daemon"
	sf dev eswitch set sfnic/sfnic0 mode switchdev || fail "switchdev"
	local NA=sfba$$ NB=sfbb$$
	netdev_sf 88 $NA 10.6.0.1
	netdev_sf 89 $NB 10.6.0.2
	redirect 88 89
	redirect 89 88
	# SF 89's function: UDP port 4000 to its memif queue (1), the rest
	# (ARP, ping, other UDP) to its netdev.
	sf ethtool -N sfnic0S89 flow-type udp4 dst-port 4000 action 1 loc 1 >/dev/null ||
		fail "ethtool -N"
	testpmd_start app client "$(sock 89)" rxonly
	testpmd_wait_link app up
	testpmd_cmd app start
	ip netns exec $NA ping -c 3 -i 0.2 -w 10 10.6.0.2 >"$T/ping.txt" 2>&1 ||
		fail "ping to the netdev of a bifurcated SF: $(cat "$T/ping.txt")"
	ip netns exec $NA bash -c 'for i in 1 2 3 4 5 6 7; do echo hi >/dev/udp/10.6.0.2/4000; done;
		echo other >/dev/udp/10.6.0.2/4001'
	wait_mstat 89 tx.packets 7
	sleep 0.3
	# shellcheck disable=SC2046
	set -- $(testpmd_stats app)
	expect_eq "$1" 7 "UDP frames to port 4000 at the DPDK application"
	# Port 4001 went to the netdev, whose kernel answers port unreachable.
	expect_eq "$(mstat 89 tx.packets)" 7 "frames steered to memif"
	ip netns exec $NA ping -c 1 -w 5 10.6.0.2 >/dev/null 2>&1 || fail "ping after the UDP"
	testpmd_cmd app stop
	testpmd_stop app
	inflight_zero
	daemon_stop
}

# hostile_run MODE: a hostile client on SF 90 while testpmd sends from SF 88
# to SF 89 (and a mirror of it to SF 90): the others' traffic is exact, the
# daemon lives, the hostile SF's counters say what happened.
hostile_run() {
	start_switchdev
	memif_sf 88
	memif_sf 89
	memif_sf 90
	sf filter add dev sfnic0npf0sf88 ingress flower action mirred egress mirror \
		dev sfnic0npf0sf90 action mirred egress redirect dev sfnic0npf0sf89 || fail "filter"
	testpmd_start rx client "$(sock 89)" rxonly
	testpmd_start tx client "$(sock 88)" txonly --txpkts=64
	testpmd_wait_link rx up
	testpmd_wait_link tx up
	python3 tests/e2e/memif_hostile.py "$(sock 90)" 3 "$1" >"$T/hostile.txt" 2>&1 &
	local hp=$!
	testpmd_cmd rx start
	burst tx 1.5
	wait $hp || fail "hostile client: $(cat "$T/hostile.txt")"
	grep -q "rounds of garbage" "$T/hostile.txt" || fail "$(cat "$T/hostile.txt")"
	kill -0 "$DPID" || fail "the daemon died"
	# shellcheck disable=SC2046
	set -- $(testpmd_stats tx)
	local sent=$2
	wait_mstat 88 rx.packets "$sent"
	local delivered ringfull
	delivered=$(mstat 89 tx.packets)
	ringfull=$(mstat 89 drops.ring_full)
	expect_eq "$((delivered + ringfull))" "$sent" "SF 89 delivered + ring_full beside a hostile SF"
	sleep 0.3
	# shellcheck disable=SC2046
	set -- $(testpmd_stats rx)
	expect_eq "$1" "$delivered" "frames testpmd received beside a hostile SF"
	testpmd_stop tx
	testpmd_stop rx
	wait_log "memif sfnic0S90: client pid"
	inflight_zero
	echo "hostile $1: $(sf -j -s port show auxiliary/sfnic_core.sf.3/1 | jq -c '.port[].memif_stats.queues')" >&2
}

test_memif_hostile_client_garbage_hurts_only_itself() {
	hostile_run garbage
	[ "$(mstat 90 'queues[0].invalid_desc')" -gt 0 ] || fail "no invalid descriptor counted"
	[ "$(mstat 90 'queues[0].bad_ring')" -gt 0 ] || fail "no jumping head counted"
	daemon_stop
}

test_memif_client_that_shrinks_its_memory_cannot_crash_the_daemon() {
	hostile_run shrink
	daemon_stop
}

test_memif_zc_owner_decides_who_may_attach() {
	need_root       # the socket changes owner only under a root daemon
	start_switchdev
	memif_sf 88
	local h=tests/e2e/memif_hostile.py py=/usr/bin/python3
	local nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chmod o+rx "$T" "$T/run"
	$nobody $py $h "$(sock 88)" 0 hello >"$T/who.txt" 2>&1 &&
		fail "uid 65534 attached without being zc_owner"
	grep -q "s.connect(path)" "$T/who.txt" && grep -q "Permission denied" "$T/who.txt" ||
		fail "$(cat "$T/who.txt")"
	sf dev param set auxiliary/sfnic_core.sf.1 name zc_owner value 65534:65534 cmode runtime ||
		fail "zc_owner"
	expect_eq "$(stat -c %u:%g "$(sock 88)")" 65534:65534 "socket owner"
	$nobody $py $h "$(sock 88)" 0 hello >"$T/who.txt" 2>&1 ||
		fail "zc_owner could not attach: $(cat "$T/who.txt")"
	wait_log "hostile0 (hostile, pid"
	grep -q "uid 65534" "$T/sfnicd.log" || fail "peer credentials not logged"
	# Root still may; another user still may not.
	$py $h "$(sock 88)" 0 hello >/dev/null || fail "root refused"
	setpriv --reuid=65533 --regid=65533 --clear-groups $py $h "$(sock 88)" 0 hello \
		>/dev/null 2>&1 && fail "uid 65533 attached"
	# Durable, and in effect after a restart.
	daemon_stop
	daemon_start --netdevs off || fail "restart"
	expect_eq "$(stat -c %u:%g "$(sock 88)")" 65534:65534 "socket owner after restart"
	daemon_stop
}
