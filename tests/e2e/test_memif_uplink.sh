# test_memif_uplink.sh - p0 as a memif client of DPDK's testpmd (the
# server): frames both ways with exact counts, chained frames dropped and
# counted, refusals logged with the server's reason, reconnects after the
# server restarts, every buffer home after a disconnect.  No root needed.
# The daemon runs with --netdevs off: nothing consumes p0's representor, so
# what p0 receives is counted there as dropped (no_consumer).

MK=tests/e2e/mkpcap.py
A=02:00:00:00:00:0a
B=02:00:00:00:00:0b

# p0 JQ: a field of p0's entry in `sfnic -j -s port show`.
p0() { sf -j -s port show sfnic/sfnic0/65535 | jq -r ".port[].$1"; }


# wait_p0 JQ VALUE: waits (at most 5 s) until p0's JQ field is VALUE.
wait_p0() {
	for _ in $(seq 100); do
		[ "$(p0 "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	expect_eq "$(p0 "$1")" "$2" "p0 $1"
}

# bigpcap FILE N LEN: N frames of LEN bytes from B to A.
bigpcap() {
	python3 - "$@" <<'PY'
import struct, sys
out, n, ln = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
f = bytes.fromhex('02000000000a' '02000000000b') + b'\x88\xb5' + bytes(ln - 14)
with open(out, 'wb') as o:
    o.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        o.write(struct.pack('<IIII', 1700000000, i, ln, ln) + f)
PY
}

memif_daemon() {
	daemon_start --netdevs off --uplink "memif:$T/m.sock$1" || fail "daemon"
	sf dev eswitch set sfnic/sfnic0 mode switchdev || fail "switchdev"
}

test_frames_from_the_server_arrive_at_p0() {
	testpmd_start srv server "$T/m.sock" txonly --txpkts=64
	memif_daemon
	wait_log "uplink memif: connected to DPDK"
	testpmd_wait_link srv up
	testpmd_cmd srv start
	sleep 1
	testpmd_cmd srv stop
	# shellcheck disable=SC2046
	set -- $(testpmd_stats srv)
	[ "$2" -ge 10000 ] || fail "testpmd sent only $2 frames in a second"
	wait_p0 stats.rx.packets "$2"
	expect_eq "$(p0 stats.rx.bytes)" "$6" "bytes p0 received"
	expect_eq "$(p0 rep_stats.drops.no_consumer)" "$2" "misses for p0's representor"
	echo "testpmd -> p0: $2 frames" >&2
	# The server goes away: p0 lets go of every buffer it had posted.
	testpmd_stop srv
	wait_log "closed the connection"
	inflight_zero
	daemon_stop
}

test_frames_larger_than_a_buffer_are_dropped_and_counted() {
	# 2500-byte frames come as chains of two descriptors; p0's buffers
	# hold 1920 bytes, so each chain is one counted drop, never a frame.
	testpmd_start srv server "$T/m.sock" txonly --txpkts=1500,1000
	memif_daemon
	wait_log "uplink memif: connected to DPDK"
	testpmd_wait_link srv up
	testpmd_cmd srv start
	sleep 0.5
	testpmd_cmd srv stop
	# shellcheck disable=SC2046
	set -- $(testpmd_stats srv)
	[ "$2" -gt 0 ] || fail "testpmd sent nothing"
	# Logged while it happens (at most every 10 s), exactly at disconnect.
	wait_log "uplink memif: dropped "
	testpmd_stop srv
	wait_log "uplink memif: $2 chained and 0 malformed frames"
	expect_eq "$(p0 stats.rx.packets)" 0 "chained frames that entered the eswitch"
	inflight_zero
	daemon_stop
}

test_frames_p0_sends_reach_the_server() {
	testpmd_start srv server "$T/m.sock" rxonly
	testpmd_cmd srv start
	memif_daemon
	wait_log "uplink memif: connected to DPDK"
	testpmd_wait_link srv up
	# Into p0's representor, out of p0: copied once from the host region
	# into p0's own, then handed to the server by reference.
	specs=()
	for _ in $(seq 1500); do specs+=("$A,$B,udp=53"); done
	python3 $MK "$T/small.pcap" "${specs[@]}"
	bigpcap "$T/big.pcap" 500 1514
	sf replay sfnic0np0 -r "$T/small.pcap" >/dev/null || fail "replay small"
	# One request per frame (--rate): 64 frames of 1514 bytes exceed a request.
	sf replay sfnic0np0 -r "$T/big.pcap" --rate 50000 >/dev/null || fail "replay big"
	wait_p0 stats.tx.packets 2000
	expect_eq "$(p0 stats.tx.bytes)" $((1500 * 64 + 500 * 1514)) "bytes p0 sent"
	# shellcheck disable=SC2046
	set -- $(testpmd_stats srv)
	expect_eq "$1" 2000 "frames testpmd received"
	expect_eq "$5" $((1500 * 64 + 500 * 1514)) "bytes testpmd received"
	expect_eq "$(p0 stats.drops.ring_full)" 0 "frames p0 could not send"
	testpmd_stop srv
	wait_log "closed the connection"
	# Down: what p0 would send is dropped and counted.
	sf replay sfnic0np0 -r "$T/big.pcap" --rate 50000 >/dev/null || fail "replay while down"
	wait_p0 stats.drops.no_consumer 500
	inflight_zero
	daemon_stop
}

test_frames_echoed_by_the_server_wake_the_idle_worker() {
	# One frame at a time: the worker sleeps between them, so every echo
	# must wake it through the S2C eventfd (interrupt mode), not by luck.
	testpmd_start srv server "$T/m.sock" macswap
	testpmd_cmd srv start
	memif_daemon
	wait_log "uplink memif: connected to DPDK"
	testpmd_wait_link srv up
	python3 $MK "$T/one.pcap" "$A,$B,udp=7"
	late=0
	for i in $(seq 20); do
		sleep 0.1       # long enough for the worker to fall asleep
		sf replay sfnic0np0 -r "$T/one.pcap" >/dev/null || fail "replay $i"
		# An echo takes microseconds; a missed wakeup would wait for the
		# daemon's one-second watchdog.
		sleep 0.2
		[ "$(p0 stats.rx.packets)" = "$i" ] || late=$((late + 1))
		wait_p0 stats.rx.packets "$i"
	done
	expect_eq "$late" 0 "echoes not back 0.2 s after the frame left"
	expect_eq "$(p0 stats.tx.packets)" 20 "frames p0 sent"
	testpmd_stop srv
	wait_log "closed the connection"
	inflight_zero
	daemon_stop
}

test_a_wrong_secret_is_refused_with_the_servers_reason() {
	testpmd_start --vdev secret=s3cret srv server "$T/m.sock" rxonly
	memif_daemon ",secret=wrong"
	wait_log 'refused the connection: "Incorrect secret" (p0 is down; trying again every second)'
	sleep 2.5       # two more tries: the same reason is logged once
	expect_eq "$(grep -c "Incorrect secret" "$T/sfnicd.log")" 1 "lines about the secret"
	expect_eq "$(testpmd_link srv)" down "server link with a wrong secret"
	daemon_stop
	memif_daemon ""
	wait_log 'refused the connection: "Secret required"'
	daemon_stop
	memif_daemon ",id=0,secret=s3cret"
	wait_log "uplink memif: connected to DPDK"
	testpmd_wait_link srv up
	testpmd_stop srv
	daemon_stop
}

test_p0_waits_for_the_server_and_reconnects_after_a_crash() {
	memif_daemon
	wait_log "cannot connect to $T/m.sock: No such file or directory (p0 is down; trying again every second)"
	testpmd_start srv server "$T/m.sock" txonly --txpkts=64
	wait_log "uplink memif: connected to DPDK"
	testpmd_wait_link srv up
	testpmd_cmd srv start
	sleep 0.5
	testpmd_cmd srv stop
	# shellcheck disable=SC2046
	set -- $(testpmd_stats srv)
	first=$2
	wait_p0 stats.rx.packets "$first"
	# A crash says nothing on the socket; the daemon sees it close.
	testpmd_kill srv
	wait_log "closed the connection"
	inflight_zero
	testpmd_start srv server "$T/m.sock" txonly --txpkts=64
	wait_log "uplink memif: connected to DPDK" 2
	testpmd_wait_link srv up
	testpmd_cmd srv start
	sleep 0.5
	testpmd_cmd srv stop
	# shellcheck disable=SC2046
	set -- $(testpmd_stats srv)
	[ "$2" -gt 0 ] || fail "nothing sent after the reconnect"
	wait_p0 stats.rx.packets $((first + $2))
	echo "before the crash $first frames, after it $2" >&2
	testpmd_stop srv
	wait_log "closed the connection" 2
	inflight_zero
	daemon_stop
}

test_memif_uplink_spec_errors() {
	mkdir -p "$T/run" "$T/state"
	export SFNIC_RUN_DIR="$T/run" SFNIC_STATE_DIR="$T/state"
	for bad in "memif:" "memif:$T/m.sock,id=-1" "memif:$T/m.sock,id=4294967296" \
		"memif:$T/m.sock,secret=123456789012345678901234" "memif:$T/m.sock,mode=ip" \
		"memif:$T/m.sock,id" "memif:$T/m.sock,id=1,id=2"; do
		out=$("$SFNICD" --uplink "$bad" 2>&1); rc=$?
		expect_eq "$rc" 2 "exit code for --uplink $bad"
		echo "$out"
	done >"$T/errors.txt"
	expect_eq "$(grep -v '^$' "$T/errors.txt" | sed 's/^sfnicd: //; s|'"$T"'|T|g')" \
'uplink memif: "" is not a socket path (1 to 107 bytes)
uplink memif: bad id (0 to 4294967295): "-1"
uplink memif: bad id (0 to 4294967295): "4294967296"
uplink memif: a secret is 1 to 23 characters
uplink memif: unknown key "mode" (id or secret)
uplink memif: "id" is not KEY=VALUE
uplink memif: id given twice: "2"' "error lines"
}

test_a_server_that_breaks_the_ring_is_counted_and_disconnected() {
	# A fake server publishes one good frame, one longer than the buffer
	# posted for it and one chain, then moves its tail past our head.
	python3 tests/e2e/memif_fake_server.py "$T/m.sock" frames,badtail >"$T/fake.log" 2>&1 &
	fake=$!
	for _ in $(seq 100); do grep -q listening "$T/fake.log" && break; sleep 0.05; done
	memif_daemon
	wait_log "uplink memif: connected to fake"
	wait_p0 stats.rx.packets 1
	expect_eq "$(p0 stats.rx.bytes)" 100 "bytes of the one good frame"
	wait_log "fake on $T/m.sock moved a ring's tail past its head (p0 is down; trying again every second)"
	wait_log "uplink memif: 1 chained and 1 malformed frames"
	inflight_zero
	for _ in $(seq 100); do kill -0 $fake 2>/dev/null || break; sleep 0.05; done
	kill $fake 2>/dev/null && fail "the fake server was not disconnected"
	grep -q closed "$T/fake.log" || fail "fake server: $(cat "$T/fake.log")"
	daemon_stop
}
