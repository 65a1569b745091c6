# test_health.sh - devlink health reporters (issue 12), each driven by the
# fault sfnicctl injects (SET_FAULT, debug_write scope), as netdevsim's
# debugfs knobs drive the kernel's dummy reporter (sfnicctl fault, and once
# the raw SET_FAULT layout through sfnicctl cmd):
#
#   shapes             `health show` text and JSON as devlink's, set and its
#                      errors, settings durable across kill -9, monitor events.
#   zc consumer stuck  a zero-copy application whose returns stop arriving:
#                      rx goes to error, the dump names the queue, auto-recovery
#                      drops the consumer (every buffer home) and a new one gets
#                      every frame; within the grace period a second fault stays
#                      in error until recovered by hand.
#   tx stall           a port's input stops being polled: tx error, diagnose
#                      shows the frames pending, recover resumes it, none lost;
#                      the same for an SF netdev (a TAP) whose queue stops
#                      being drained, but not for one its devlink rate holds.
#   memif stuck        a memif client whose posted buffers stop arriving: rx
#                      error, the client is disconnected, reconnects and gets
#                      every frame.
#   fw                 the next device command fails with INT_ERR: fw error,
#                      diagnose names the command, status and syndrome; a user's
#                      bad request does not count.
#   fw_fatal           a hung worker and a failed store write: fw_fatal error,
#                      auto-recovery reloads, traffic resumes, nothing
#                      acknowledged lost (kill -9 and restart).

# The zero-copy tests' helpers (app_start, zcq, pstat, wait_eq, frames, pcap)
# and the memif tests' (sock, memif_sf, mstat).
. tests/e2e/test_zc.sh
. tests/e2e/test_memif.sh

SFNICCTL="$BIN/sfnicctl"

le32() { printf '%02x%02x%02x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) \
	$((($1 >> 24) & 255)); }

# fault KIND [vport=V] [worker=W] [count=N] [syndrome=S] [status=ST] [rep=R]:
# SET_FAULT with op_mod KIND (dev_cmd.h enum dev_fault).
fault() {
	local kind=$1 vport=0 worker=0 count=0 synd=0 status=0 rep=0 kv
	shift
	for kv in "$@"; do local "$kv"; done
	case $kind in
	clear) kind=0 ;; stall_tx) kind=1 ;; hang_worker) kind=2 ;; fail_cmds) kind=3 ;;
	fail_store) kind=4 ;; zc_no_return) kind=5 ;;
	esac
	"$SFNICCTL" cmd SET_FAULT op_mod "$kind" in "$(le32 "$vport")$(le32 "$worker")$(le32 "$count")$(le32 "$synd")$(printf '%02x%02x' "$status" "$rep")000000000000" \
		>/dev/null || fail "SET_FAULT $kind $*"
}

# sfault ARGS...: sfnicctl fault ARGS (the tool's names for SET_FAULT).
sfault() { "$SFNICCTL" fault "$@" || fail "sfnicctl fault $*"; }

# hstate HANDLE REPORTER: "state error recover" of one reporter.
hstate() {
	sf health show "$1" reporter "$2" -j | jq -r '.health[][] | "\(.state) \(.error) \(.recover)"'
}

test_health_show_shapes_and_durability() {
	daemon_start --netdevs off || fail "daemon start"
	sf_active 88
	expect_eq "$(sf health show -j | jq -c '.health | keys')" \
		'["sfnic/sfnic0","sfnic/sfnic0/0","sfnic/sfnic0/32768"]' "device first, then PF and SF ports"
	expect_eq "$(sf health show -j | jq -c '.health["sfnic/sfnic0"][0]')" \
		'{"reporter":"fw","state":"healthy","error":0,"recover":0,"grace_period":0,"burst_period":0,"auto_recover":true,"auto_dump":true}' \
		"fw, devlink's keys and native types"
	expect_eq "$(sf health show -j | jq -c '[.[][][] | .reporter]')" \
		'["fw","fw_fatal","tx","rx","tx","rx"]' "every reporter, as the selftest reads them (.[][][])"
	expect_eq "$(sf health show sfnic/sfnic0/32768 reporter tx)" \
"sfnic/sfnic0/32768:
  reporter tx
    state healthy error 0 recover 0 grace_period 0 burst_period 0 auto_recover true auto_dump true" \
		"two lines under the handle"
	sf monitor health >"$T/mon" &
	local mon=$!
	sleep 0.3
	sf health set sfnic/sfnic0/32768 reporter rx grace_period 500 burst_period 200 auto_dump false ||
		fail "health set"
	expect_err "Error: Cannot set burst period without a grace period." \
		sf health set sfnic/sfnic0 reporter fw burst_period 5
	expect_err 'Error: Reporter "foo" not found on sfnic/sfnic0.' \
		sf health show sfnic/sfnic0 reporter foo
	expect_err "Reporter name expected." sf health recover sfnic/sfnic0
	expect_err 'Error: Cannot find port "sfnic/sfnic0/7".' sf health show sfnic/sfnic0/7 reporter tx
	# The empty reporter's test in the selftest: recover of a healthy one is fine.
	sf health recover sfnic/sfnic0 reporter fw || fail "recover of a healthy reporter"
	sleep 0.3
	kill "$mon"
	grep -q '^\[health,status\] sfnic/sfnic0/32768:' "$T/mon" || { cat "$T/mon"; fail "monitor event"; }
	daemon_kill9
	daemon_start --netdevs off || fail "restart"
	expect_eq "$(sf health show sfnic/sfnic0/32768 reporter rx -j | jq -c '.health[][0] | [.grace_period, .burst_period, .auto_recover, .auto_dump]')" \
		'[500,200,true,false]' "settings after kill -9"
	daemon_stop || fail "daemon stop"
}

# zc_stuck_setup: SF A, p0's frames redirected to it, UDP/4000 into queue 2,
# an application on it.
zc_stuck_setup() {
	zc_setup
	sf filter add dev sfnic0np0 ingress flower action mirred egress redirect dev sfnic0npf0sf88 ||
		fail "filter"
	sf ethtool -N $SF_A flow-type udp4 dst-port 4000 action 2 >/dev/null || fail "ntuple"
	{ frames 64 $MAC_A udp=4000; } | pcap "$T/burst.pcap"
	{ frames 30 $MAC_A udp=4000; } | pcap "$T/thirty.pcap"
}

# replay_until HANDLE REPORTER JQ WANT: replays bursts (the stuck consumer
# loses frames) until the reporter's JQ reads WANT (at most 15 s).
replay_until() {
	for _ in $(seq 60); do
		[ "$(sf health show "$1" reporter "$2" -j | jq -r ".health[][] | $3")" = "$4" ] && return 0
		replay "$T/burst.pcap"
		sleep 0.25
	done
	fail "$1 $2: $3 never became $4"
}

test_health_zc_consumer_stops_returning_buffers() {
	local pid
	zc_stuck_setup
	app_start a "$BIN/zc_rxdrop" $SF_A new -t 120
	replay "$T/thirty.pcap"
	wait_eq 30 zcq $PORT_A a .delivered.packets
	pid=${APP[a]}
	sfault zc-no-return $PORT_A
	replay_until $PORT_A rx .error 1
	# Auto-recovery (grace 0) dropped the stuck consumer: its queue closed,
	# every buffer it held came home.
	expect_eq "$(hstate $PORT_A rx)" "healthy 1 1" "rx after auto-recovery"
	wait_log "dropping the stuck consumer of exclusive queue 2 of vport 32768 (pid $pid)"
	expect_eq "$(pstat $PORT_A '.zc_stats')" null "the stuck queue is gone"
	inflight_zero
	# The dump taken at the error names who was stuck.
	expect_eq "$(sf health dump show $PORT_A reporter rx -j | jq -c '[.queues[0].queue, .queues[0].pid, .queues[0].stuck]')" \
		"[2,$pid,true]" "the dump's stuck queue"
	sf health dump show $PORT_A reporter rx -j | jq -r .last_error |
		grep -q "^zero-copy queue 2 (pid $pid) stopped returning buffers" || fail "dump last_error"
	sf health show $PORT_A reporter rx -j | jq -e '.health[][0].last_dump_date' >/dev/null ||
		fail "last_dump_date while a dump is stored"
	app_stop a
	# Traffic resumes: a new consumer gets every frame, exactly.
	app_start b "$BIN/zc_rxdrop" $SF_A new -t 120
	replay "$T/thirty.pcap"
	wait_eq 30 zcq $PORT_A b .delivered.packets
	expect_eq "$(zcq $PORT_A b .overruns)" 0 "no overrun after recovery"
	# Within the grace period the next error is not auto-recovered.
	sf health set $PORT_A reporter rx grace_period 600000 || fail "grace"
	pid=${APP[b]}
	sfault zc-no-return $PORT_A
	replay_until $PORT_A rx .error 2
	sleep 1.5
	expect_eq "$(hstate $PORT_A rx)" "error 2 1" "rx within the grace period"
	expect_eq "$(zcq $PORT_A b .pid)" "$pid" "the stuck consumer is still there"
	expect_eq "$(sf health diagnose $PORT_A reporter rx -j | jq -c '[.queues[0].stuck, .queues[0].in_flight > 0]')" \
		'[true,true]' "diagnose: who is stuck, buffers in flight"
	sf health recover $PORT_A reporter rx || fail "recover by hand"
	expect_eq "$(hstate $PORT_A rx)" "healthy 2 2" "rx after recover"
	expect_eq "$(pstat $PORT_A '.zc_stats')" null "the stuck queue is gone"
	inflight_zero
	app_stop b
	daemon_stop || fail "daemon stop"
}

test_health_memif_client_stops_draining() {
	local got
	# shellcheck disable=SC2119
	start_switchdev
	memif_sf 88
	sf filter add dev sfnic0np0 ingress flower action mirred egress redirect dev sfnic0npf0sf88 ||
		fail "filter"
	{ frames 512 $MAC_A udp=4000; } | pcap "$T/burst.pcap"
	{ frames 30 $MAC_A udp=4000; } | pcap "$T/thirty.pcap"
	testpmd_trap
	testpmd_start rx client "$(sock 88)" rxonly
	testpmd_wait_link rx up
	testpmd_cmd rx start
	replay "$T/thirty.pcap"
	wait_mstat 88 tx.packets 30
	sfault memif-no-return $PORT_A
	replay_until $PORT_A rx .error 1
	expect_eq "$(hstate $PORT_A rx)" "healthy 1 1" "rx after auto-recovery"
	wait_log "disconnected: Stopped draining (devlink health)"
	testpmd_wait_link rx down
	expect_eq "$(sf health dump show $PORT_A reporter rx -j | jq -c '[.memif.stuck, .memif.pid > 0]')" \
		'[true,true]' "the dump: the memif client was stuck"
	inflight_zero
	# The client comes back (a 22.11 client needs port stop/start) and
	# gets every frame.
	testpmd_cmd rx stop
	testpmd_cmd rx "port stop 0"
	testpmd_cmd rx "port start 0"
	testpmd_wait_link rx up
	testpmd_cmd rx "clear port stats 0"
	testpmd_cmd rx start
	got=$(mstat 88 tx.packets)
	replay "$T/thirty.pcap"
	wait_mstat 88 tx.packets $((got + 30))
	sleep 0.3
	# shellcheck disable=SC2046
	set -- $(testpmd_stats rx)
	expect_eq "$1" 30 "frames the reconnected client received"
	testpmd_stop rx
	daemon_stop || fail "daemon stop"
}

test_health_tx_stall() {
	daemon_start --netdevs off || fail "daemon start"
	sf_active 88
	{ frames 10 $MAC_B udp=9; } | pcap "$T/ten.pcap"
	sf health set $PORT_A reporter tx auto_recover false || fail "auto_recover false"
	sfault stall-tx $PORT_A
	sf replay $PORT_A -r "$T/ten.pcap" >/dev/null || fail "replay"
	wait_eq "error 1 0" hstate $PORT_A tx
	expect_eq "$(sf health diagnose $PORT_A reporter tx -j | jq -c '.input | [.pending, .polled, .stuck]')" \
		'[10,false,true]' "diagnose: ten frames wait, not polled"
	expect_eq "$(pstat $PORT_A '.stats.rx.packets')" 0 "nothing sent while stalled"
	sf health diagnose $PORT_A reporter tx | grep -q '^ input:$' || fail "diagnose text"
	sf health recover $PORT_A reporter tx || fail "recover"
	expect_eq "$(hstate $PORT_A tx)" "healthy 1 1" "tx after recover"
	wait_eq 10 pstat $PORT_A '.stats.rx.packets'
	# Auto-recovery on: the next stall is fixed by itself.
	sf health set $PORT_A reporter tx auto_recover true || fail "auto_recover true"
	sfault stall-tx $PORT_A
	sf replay $PORT_A -r "$T/ten.pcap" >/dev/null || fail "replay"
	wait_eq "healthy 2 2" hstate $PORT_A tx
	wait_eq 20 pstat $PORT_A '.stats.rx.packets'
	daemon_stop || fail "daemon stop"
}

test_health_fw_command_failures() {
	daemon_start --netdevs off || fail "daemon start"
	sf_active 88
	sf health set sfnic/sfnic0 reporter fw auto_recover false || fail "auto_recover false"
	# The raw layout (dev_cmd.h struct dev_set_fault_in), as a debugger would.
	fault fail_cmds count=1 status=1 synd=0x42
	sf port function set $PORT_A hw_addr 02:00:00:00:00:42 2>/dev/null && fail "the injected failure"
	expect_eq "$(hstate sfnic/sfnic0 fw)" "error 1 0" "fw after an INT_ERR"
	expect_eq "$(sf health diagnose sfnic/sfnic0 reporter fw -j | jq -c '.last_command | [.opcode, .status_name, .syndrome]')" \
		'["MODIFY_VPORT_CTX","INT_ERR",252706882]' "diagnose: command, status, syndrome (0x0f100042)"
	# A user's bad request is not the device's fault.
	sf port add sfnic/sfnic0 flavour pcisf pfnum 7 sfnum 5 2>/dev/null && fail "pfnum 7"
	expect_eq "$(hstate sfnic/sfnic0 fw)" "error 1 0" "a BAD_PARAM does not count"
	sf health recover sfnic/sfnic0 reporter fw || fail "recover"
	expect_eq "$(hstate sfnic/sfnic0 fw)" "healthy 1 1" "fw after recover"
	sf port function set $PORT_A hw_addr 02:00:00:00:00:42 || fail "the command works again"
	daemon_stop || fail "daemon stop"
}

test_health_fw_fatal_hung_worker() {
	daemon_start --netdevs off || fail "daemon start"
	sf_active 88
	{ frames 10 $MAC_B udp=9; } | pcap "$T/ten.pcap"
	sfault hang-worker 0
	sf replay $PORT_A -r "$T/ten.pcap" >/dev/null || fail "replay"
	wait_eq "healthy 1 1" hstate sfnic/sfnic0 fw_fatal
	expect_eq "$(sf health dump show sfnic/sfnic0 reporter fw_fatal -j | jq -c '[.workers[0].stuck, .workers[0].sleeping]')" \
		'[true,false]' "the dump: worker 0 stuck, awake"
	sf health dump show sfnic/sfnic0 reporter fw_fatal -j | jq -r .last_error |
		grep -q "^datapath worker 0 stopped making progress" || fail "dump last_error"
	# Reloaded: the frames that waited went on, and new ones do too.
	wait_eq 10 pstat $PORT_A '.stats.rx.packets'
	sf replay $PORT_A -r "$T/ten.pcap" >/dev/null || fail "replay"
	wait_eq 20 pstat $PORT_A '.stats.rx.packets'
	daemon_stop || fail "daemon stop"
}

test_health_fw_fatal_store_failure() {
	daemon_start --netdevs off || fail "daemon start"
	sf_active 88
	sf port function set $PORT_A hw_addr 02:00:00:00:00:01 || fail "hw_addr 1"
	sfault fail-store 1
	expect_err "Error: cannot store state: injected write failure (SET_FAULT FAIL_STORE)." \
		sf port function set $PORT_A hw_addr 02:00:00:00:00:02
	wait_eq "healthy 1 1" hstate sfnic/sfnic0 fw_fatal
	sf health dump show sfnic/sfnic0 reporter fw_fatal -j | jq -r .last_error |
		grep -q "^state store write failed" || fail "dump last_error"
	sf port function set $PORT_A hw_addr 02:00:00:00:00:03 || fail "hw_addr 3 after recovery"
	daemon_kill9
	daemon_start --netdevs off || fail "restart"
	expect_eq "$(sf port show $PORT_A -j | jq -r '.port[].function.hw_addr')" 02:00:00:00:00:03 \
		"what was acknowledged, after kill -9"
	daemon_stop || fail "daemon stop"
}

# rule_hits: packets the uplink's first rule has counted.
rule_hits() { sf -j -s filter show dev sfnic0np0 ingress | jq '[.[].options.actions[0].stats.packets] | add // "none"'; }
# at_sf: frames that reached SF A's port (it has no netdev: no consumer).
at_sf() { pstat $PORT_A '.stats.tx.packets + .stats.drops.no_consumer'; }

# A deletion whose store writes failed leaves the device ahead of its
# durable state (the SF or rule is gone, the store still holds it: the user
# got an error, nothing was acknowledged).  fw_fatal's recovery reloads the
# device from the store: the rule, then the SF with its rule, run again.
test_health_fw_fatal_reload_restores_what_was_acknowledged() {
	daemon_start --netdevs off || fail "daemon start"
	sf_active 88
	sf filter add dev sfnic0np0 ingress prio 1 protocol ip flower dst_mac $MAC_A \
		action mirred egress redirect dev sfnic0npf0sf88 || fail "filter"
	# A rule of the SF's own representor goes and comes with the SF.
	sf filter add dev sfnic0npf0sf88 ingress prio 1 flower action drop || fail "SF's filter"
	{ frames 10 $MAC_A udp=9; } | pcap "$T/ten.pcap"
	replay "$T/ten.pcap"
	wait_eq 10 rule_hits
	wait_eq 10 at_sf
	sfault fail-store 1
	sf filter del dev sfnic0np0 ingress prio 1 handle 1 2>/dev/null && fail "filter del succeeded"
	wait_eq "healthy 1 1" hstate sfnic/sfnic0 fw_fatal
	expect_eq "$(sf -j filter show dev sfnic0np0 ingress | jq -c '[.[] | [.pref, .options.handle]]')" \
		"[[1,1]]" "the rule, reloaded"
	replay "$T/ten.pcap"
	wait_eq 10 rule_hits
	wait_eq 20 at_sf
	# Three failures (its rule, its rules by port, the SF): the SF and
	# its rule stay in the store while the device drops them.
	sfault fail-store 3
	sf port del $PORT_A 2>/dev/null && fail "port del succeeded"
	wait_eq "healthy 2 2" hstate sfnic/sfnic0 fw_fatal
	grep -q "reloaded from durable state: 1 SF ports created, 0 deleted, 1 rules added" \
		"$T/sfnicd.log" || fail "log of the reload"
	expect_eq "$(sf -j filter show dev sfnic0npf0sf88 ingress | jq length)" 1 "SF's rule reloaded"
	sf health dump show sfnic/sfnic0 reporter fw_fatal -j | jq -r .last_error |
		grep -q "^state store write failed: injected write failure" || fail "dump last_error"
	expect_eq "$(sf -j port show $PORT_A | jq -r '.port[].function.state')" active "SF reloaded"
	replay "$T/ten.pcap"
	wait_eq 20 rule_hits
	wait_eq 10 at_sf
	daemon_kill9
	daemon_start --netdevs off || fail "restart"
	expect_eq "$(sf -j port show $PORT_A | jq -r '.port[].function.state')" active "after kill -9"
	expect_eq "$(sf -j filter show dev sfnic0np0 ingress | jq length)" 1 "rule after kill -9"
	expect_eq "$(sf -j filter show dev sfnic0npf0sf88 ingress | jq length)" 1 "SF's rule after kill -9"
	daemon_stop || fail "daemon stop"
}

# sf_send N: N broadcast frames out of SF A's netdev (what the SF sends).
sf_send() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("sfnic0S88", 0))
for _ in range(int(sys.argv[1])):
    s.send(b"\xff" * 6 + bytes.fromhex("020000000088") + b"\x88\xb5" + bytes(50))' "$1" ||
		fail "sf_send"
}

# SF A's netdev (a TAP) stops being drained: what the SF transmits waits in
# the kernel's TAP queue (its fd readable) while the datapath takes none
# (SET_FAULT STALL_TX on the port).  tx goes to error with the netdev's
# queue in diagnose; recover resumes reading and the frames that waited go
# on, none lost; with auto_recover on it fixes itself.  A queue that waits
# because its devlink rate holds it back is not stuck.  About 35 s on a
# loaded VM (the daemon, 3 reports, 3.5 s of a shaped queue).
test_health_tap_stops_draining() {
	daemon_start || fail "daemon start"
	sf_active 88
	sysctl -qw net.ipv6.conf.sfnic0S88.disable_ipv6=1 || fail "disable_ipv6"
	ip link set sfnic0S88 up || fail "link up"
	sf health set $PORT_A reporter tx auto_recover false || fail "auto_recover false"
	sf_send 30
	wait_eq 30 pstat $PORT_A .stats.rx.packets
	sfault stall-tx $PORT_A
	sf_send 30
	wait_eq "error 1 0" hstate $PORT_A tx
	expect_eq "$(pstat $PORT_A .stats.rx.packets)" 30 "nothing taken while stalled"
	expect_eq "$(sf health diagnose $PORT_A reporter tx -j | jq -c '.netdev | [.queues, .queues_waiting, .taken, .stuck]')" \
		'[1,1,30,true]' "diagnose: the netdev's queue waits, stuck"
	sf health diagnose $PORT_A reporter tx -j | jq -r .last_error |
		grep -q "^TX queue stopped: the netdev's queue has frames waiting (1 of 1 queues)" ||
		fail "diagnose: last_error"
	expect_eq "$(hstate $PORT_A rx)" "healthy 0 0" "rx: not its fault"
	expect_eq "$(hstate sfnic/sfnic0 fw_fatal)" "healthy 0 0" "fw_fatal: the worker is fine"
	sf health recover $PORT_A reporter tx || fail "recover"
	expect_eq "$(hstate $PORT_A tx)" "healthy 1 1" "tx after recover"
	wait_eq 60 pstat $PORT_A .stats.rx.packets      # the 30 that waited
	expect_eq "$(sf health diagnose $PORT_A reporter tx -j | jq -c '.netdev | [.queues_waiting, .stuck]')" \
		'[0,false]' "diagnose: drained"
	# Auto-recovery on: the next stall is fixed by itself.
	sf health set $PORT_A reporter tx auto_recover true || fail "auto_recover true"
	sfault stall-tx $PORT_A
	sf_send 30
	wait_eq "healthy 2 2" hstate $PORT_A tx
	wait_eq 90 pstat $PORT_A .stats.rx.packets
	# Shaped to 800 bit/s after the bucket's first 128 KiB (2048 frames of
	# 64 bytes): the rest wait on purpose, read one every 0.64 s, for
	# longer than the reporter's threshold.  Not a fault.  (Sent 256 at a
	# time, 50 ms apart: the TAP's queue holds 500.)
	sf port function rate set $PORT_A tx_max 800bit || fail "tx_max"
	python3 -c 'import socket, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("sfnic0S88", 0))
for _ in range(12):
    for _ in range(256):
        s.send(b"\xff" * 6 + bytes.fromhex("020000000088") + b"\x88\xb5" + bytes(50))
    time.sleep(0.05)' || fail "paced send"
	sleep 3.5
	[ "$(pstat $PORT_A .stats.rx.packets)" -lt $((90 + 12 * 256)) ] || fail "the rate did not hold frames back"
	expect_eq "$(hstate $PORT_A tx)" "healthy 2 2" "a shaped queue is not stuck"
	expect_eq "$(sf health diagnose $PORT_A reporter tx -j | jq -c '.netdev | [.queues_waiting, .stuck, .rate_deferred > 0]')" \
		'[1,false,true]' "diagnose: waiting, deferred by the rate, not stuck"
	daemon_stop || fail "daemon stop"
}

# The pools of SF A cannot refill (SET_FAULT POOL_STARVE: every buffer of
# its region held, as by a tap holding everything): what the SF sends waits
# in its netdev's queue, rx goes to error and diagnose names the pool;
# recovery fails while nothing of the port holds the buffers (it stays in
# error); once the cause is gone the pool refills, the frames that waited go
# on (none lost), recovery by hand succeeds and no buffer stays out.
test_health_pool_cannot_refill() {
	daemon_start || fail "daemon start"
	sf_active 88
	# Only the test's frames: no IPv6 autoconfiguration chatter.
	sysctl -qw net.ipv6.conf.sfnic0S88.disable_ipv6=1 || fail "disable_ipv6"
	ip link set sfnic0S88 up || fail "link up"
	sf health set $PORT_A reporter rx auto_recover false || fail "auto_recover false"
	sf_send 30
	wait_eq 30 pstat $PORT_A .stats.rx.packets
	sfault pool-starve $PORT_A
	sf_send 30
	wait_eq "error 1 0" hstate $PORT_A rx
	expect_eq "$(pstat $PORT_A .stats.rx.packets)" 30 "nothing sent while the pool is dry"
	sf health diagnose $PORT_A reporter rx -j |
		jq -e '[.page_pools[] | select(.cannot_refill and .alloc_empty > 0)] | length == 1' \
		>/dev/null || fail "diagnose: the pool that cannot refill"
	sf health diagnose $PORT_A reporter rx -j | jq -r .last_error |
		grep -q "^page pool of queue 0 cannot refill" || fail "diagnose: last_error"
	expect_err "Error: page pool of queue 0 has not refilled and no consumer of the port holds its buffers: nothing to drop." \
		sf health recover $PORT_A reporter rx
	expect_eq "$(hstate $PORT_A rx)" "error 1 0" "still in error"
	# The netdev's queue waits too, but for the pool: not tx's to report.
	expect_eq "$(hstate $PORT_A tx)" "healthy 0 0" "tx: a dry pool is rx's"
	sfault clear
	wait_eq 60 pstat $PORT_A .stats.rx.packets     # the 30 that waited
	sf health recover $PORT_A reporter rx || fail "recover once the pool refills"
	expect_eq "$(hstate $PORT_A rx)" "healthy 1 1" "recovered"
	sf_send 30
	wait_eq 90 pstat $PORT_A .stats.rx.packets
	inflight_zero
	daemon_stop || fail "daemon stop"
}

# A tap that stops returning frames holds as many as its cap lets it (here
# the SF pool's whole cap, 128): the pool parks them and refills from the
# region, so the port never runs dry (issue 10's promise) and the rx
# reporter sees no pool that cannot refill; the tap misses later frames.
test_health_tap_never_holds_the_pool_dry() {
	local pid
	daemon_start || fail "daemon start"
	sf_active 88
	ip link set sfnic0S88 up || fail "link up"
	sf filter add dev sfnic0np0 ingress flower action mirred egress redirect dev sfnic0npf0sf88 ||
		fail "filter"
	{ frames 30 $MAC_A udp=4000; } | pcap "$T/thirty.pcap"
	{ frames 200 $MAC_A udp=4000; } | pcap "$T/many.pcap"
	# The reporter may see the stuck tap; it must not drop it mid-test.
	sf health set $PORT_A reporter rx auto_recover false || fail "auto_recover false"
	app_start tap "$BIN/zc_rxdrop" $SF_A 0 -m shared -o 128 -t 120
	pid=${APP[tap]}
	replay "$T/thirty.pcap"
	wait_eq 30 pstat $PORT_A .stats.tx.packets
	expect_eq "$(pstat $PORT_A '.stats.queues[0].page_pool.max_buffers')" 128 "the pool's cap"
	wait_eq 0 zcq $PORT_A tap .outstanding         # the 30 came back
	sfault zc-no-return $PORT_A
	replay "$T/many.pcap"
	wait_eq 230 pstat $PORT_A .stats.tx.packets   # every frame reached the netdev
	expect_eq "$(pstat $PORT_A .stats.drops.no_buffer)" 0 "no frame lacked a buffer"
	expect_eq "$(zcq $PORT_A tap .outstanding)" 128 "the tap holds its cap"
	[ "$(zcq $PORT_A tap .overruns)" -ge 72 ] || fail "the tap missed frames: $(zcq $PORT_A tap .overruns)"
	sf health diagnose $PORT_A reporter rx -j | jq -e '[.page_pools[] | select(.cannot_refill)] | length == 0' \
		>/dev/null || fail "a pool reported as unable to refill"
	kill "$pid" 2>/dev/null
	daemon_stop || fail "daemon stop"
}
