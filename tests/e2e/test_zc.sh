# test_zc.sh - libsfnic's zero-copy queues (include/sfnic/zc.h, issue 10),
# each safety property of the memory model as one test that fails if it
# breaks, with exact counts:
#
#   exact delivery     an exclusive queue gets exactly the frames its ntuple
#                      rule steers to it, the netdev queue the rest, one copy
#                      each; a tap on p0 sees every frame in place, zero
#                      copies, while the frames still reach their queues.
#   read-only taps     writing a tapped frame kills the writer (SIGSEGV) and
#                      nothing else: the port and another tap carry on.
#   isolation canary   an exclusive application scans all the memory it was
#                      given after traffic: not one copy of another SF's
#                      marker payload, not one pointer into the daemon's
#                      private memory, and all zero when it was opened.
#   hostile rings      random ring contents under traffic: the daemon
#                      survives and counts them, another SF's counts stay
#                      exact, everything is reclaimed, the queue is reusable.
#   kill -9            an application that holds every frame it can loses
#                      its own frames only (overruns at max_outstanding);
#                      killed, it gives everything back.
#   privilege          who may tap (root, the daemon's user), who may own an
#                      exclusive queue (and the SF's zc_owner), trust domain
#                      checks, single taps, and every refusal's message.
#   zc_fwd             frames bounced from an exclusive queue's own buffers
#                      leave through p0, MACs swapped, exactly as many.
#
# The applications are the examples (zc_rxdrop, zc_fwd, zc_poke) and two
# test programs built next to them: zc_canary.c (the scan) and zc_hostile.c
# (garbage rings, holding, bare opens).  The daemon runs without netdevs:
# an SF's netdev queue (0) has no consumer, its frames are counted in
# drops.no_consumer.  Traffic is replayed into p0 (one worker: RX queue 0).

MK=tests/e2e/mkpcap.py
SRC=02:00:00:00:00:01
MAC_A=02:00:00:00:00:88         # frames for SF A (sfnum 88)
MAC_B=02:00:00:00:00:89         # frames for SF B (sfnum 89)
SF_A=sfnic0S88
SF_B=sfnic0S89
PORT_A=sfnic/sfnic0/32768
PORT_B=sfnic/sfnic0/32769
UPLINK=sfnic/sfnic0/65535
declare -gA APP

# zc_setup [B]: a daemon without netdevs, SF A active; with B, SF B too.
zc_setup() {
	daemon_start --netdevs off || fail "daemon start"
	sf_active 88
	if [ -n "$1" ]; then
		sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 89 >/dev/null || fail "port add 89"
		sf port function set $PORT_B state active || fail "activate 89"
	fi
}

# steer_by_mac: p0's frames to SF A or SF B by destination MAC; UDP/4000
# into queue 2 of each.
steer_by_mac() {
	sf filter add dev sfnic0np0 ingress prio 1 protocol ip flower dst_mac $MAC_A \
		action mirred egress redirect dev sfnic0npf0sf88 || fail "filter A"
	sf filter add dev sfnic0np0 ingress prio 2 protocol ip flower dst_mac $MAC_B \
		action mirred egress redirect dev sfnic0npf0sf89 || fail "filter B"
	sf ethtool -N $SF_A flow-type udp4 dst-port 4000 action 2 >/dev/null || fail "ntuple A"
	sf ethtool -N $SF_B flow-type udp4 dst-port 4000 action 2 >/dev/null || fail "ntuple B"
}

# frames N DST PROTO=PORT: N mkpcap specs.
frames() { for _ in $(seq "$1"); do echo "$2,$SRC,$3"; done; }

# pcap FILE SPEC...: mkpcap with the specs on stdin appended.
pcap() {
	local f=$1
	shift
	# shellcheck disable=SC2046
	python3 $MK "$f" "$@" $(cat) || fail "mkpcap $f"
}

replay() { sf replay p0 -r "$1" >/dev/null || fail "replay $1"; }

# app_start NAME CMD...: starts a zero-copy application in the background
# (stdout in $T/NAME.out, stderr in $T/NAME.err) and waits until it has
# printed `queue N`.
app_start() {
	local name=$1
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.err" &
	APP[$name]=$!
	for _ in $(seq 500); do
		grep -q '^queue ' "$T/$name.out" 2>/dev/null && return 0
		kill -0 "${APP[$name]}" 2>/dev/null || break
		sleep 0.02
	done
	cat "$T/$name.err" >&2
	fail "$name did not attach"
}

# app_stop NAME [SIGNAL]: signals NAME (default TERM) and waits for it;
# returns its exit status.
app_stop() {
	local pid=${APP[$1]} rc
	kill -"${2:-TERM}" "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	unset "APP[$1]"
	return $rc
}

# app_wait NAME: waits (at most 15 s) until NAME exits by itself; returns
# its exit status.
app_wait() {
	local pid=${APP[$1]}
	for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; fail "$1 did not finish"; }
	app_stop "$1"
}

# zcq PORT NAME [JQ]: JQ (default the whole entry) of application NAME's
# queue in PORT's zc_stats; null when it has none.
zcq() {
	sf -j -s port show "$1" |
		jq -c "[.port[].zc_stats[]? | select(.pid == ${APP[$2]:-0})][0] | ${3:-.}"
}

# pstat PORT JQ: JQ of PORT's entry in `port show -s`.
pstat() { sf -j -s port show "$1" | jq -c ".port[] | $2"; }

# wait_eq WANT CMD...: waits (at most 10 s) until CMD prints WANT.
wait_eq() {
	local want=$1 got
	shift
	for _ in $(seq 100); do
		got=$("$@")
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	fail "'$*': got '$got', expected '$want'"
}

# zc_maps [PORT]: the daemon's mappings of zero-copy memfds (queue regions
# and rings, named zc:PORT/...), of PORT or all; 0 once they are reclaimed.
zc_maps() { grep -c "memfd:zc:$1" "/proc/$DPID/maps"; }

# reclaimed: no queue left, every buffer home, every region unmapped.
reclaimed() {
	for p in $UPLINK $PORT_A; do
		expect_eq "$(pstat "$p" '.zc_stats')" null "zc_stats of $p with no application"
	done
	wait_eq 0 zc_maps
	inflight_zero
}

test_zc_exclusive_exact_delivery() {
	zc_setup
	sf filter add dev sfnic0np0 ingress flower action mirred egress redirect dev sfnic0npf0sf88 ||
		fail "filter"
	sf ethtool -N $SF_A flow-type udp4 dst-port 4000 action 2 >/dev/null || fail "ntuple"
	# 50 frames: 30 UDP/4000 for the queue; UDP/4001 and TCP/4000 for the netdev.
	{ frames 10 $MAC_A udp=4000; frames 10 $MAC_A udp=4001; frames 20 $MAC_A udp=4000
	  frames 10 $MAC_A tcp=4000; } | pcap "$T/in.pcap"
	app_start excl "$BIN/zc_rxdrop" $SF_A new -t 30
	app_start tap "$BIN/zc_rxdrop" p0 0 -m single -t 30
	expect_eq "$(cat "$T/excl.out")" "queue 2" "the first free queue"
	expect_eq "$(zcq $PORT_A excl '[.mode, .domain >= 2147483648, .outstanding]')" \
		'["exclusive",true,0]' "the exclusive queue, in a fresh domain"
	expect_eq "$(zcq $UPLINK tap '[.queue, .mode, .domain]')" '[0,"single",0]' "the tap"
	replay "$T/in.pcap"
	wait_eq 30 zcq $PORT_A excl .delivered.packets
	wait_eq 50 zcq $UPLINK tap .delivered.packets
	expect_eq "$(zcq $PORT_A excl '[.delivered.bytes, .copied, .zerocopy, .overruns, .invalid_desc]')" \
		'[1920,30,0,0,0]' "exclusive: one copy per frame"
	expect_eq "$(zcq $UPLINK tap '[.delivered.bytes, .zerocopy, .copied, .overruns, .invalid_desc]')" \
		'[3200,50,0,0,0]' "tap: every frame, in place"
	# The other 20 reach the SF's netdev queue (no consumer without netdevs).
	wait_eq 20 pstat $PORT_A '.stats.drops.no_consumer'
	expect_eq "$(pstat $PORT_A '[.stats.tx.packets, .stats.drops.rule_drop, .stats.drops.ring_full]')" \
		'[0,0,0]' "the SF port: nothing else"
	expect_eq "$(pstat $UPLINK '.stats.rx.packets')" 50 "p0 received"
	expect_eq "$(sf -j -s filter show dev sfnic0np0 ingress | jq '.[0].options.actions[0].stats.packets')" \
		50 "the redirect saw every frame the tap saw"
	app_stop excl || fail "zc_rxdrop exclusive exit"
	app_stop tap || fail "zc_rxdrop tap exit"
	expect_eq "$(tail -1 "$T/excl.out")" "received 30 frames 1920 bytes" "the application's count"
	expect_eq "$(tail -1 "$T/tap.out")" "received 50 frames 3200 bytes" "the tap's count"
	wait_log "exclusive queue 2 of vport 32768 closed"
	wait_log "single queue 0 of vport 65535 closed"
	reclaimed
	daemon_stop || fail "daemon stop"
}

test_zc_tap_is_read_only() {
	local pid
	zc_setup
	{ frames 10 $MAC_A udp=7; } | pcap "$T/ten.pcap"
	{ frames 20 $MAC_A udp=7; } | pcap "$T/twenty.pcap"
	app_start tap "$BIN/zc_rxdrop" p0 0 -m shared -t 30
	# An ASan build would catch the fault itself: let the signal kill.
	( ulimit -c 0; ASAN_OPTIONS="$ASAN_OPTIONS:handle_segv=0" exec "$BIN/zc_poke" p0 0 -m shared -t 10 ) \
		>"$T/poke.out" 2>"$T/poke.err" &
	APP[poke]=$!
	pid=$!
	for _ in $(seq 250); do grep -q '^queue' "$T/poke.out" && break; sleep 0.02; done
	expect_eq "$(head -1 "$T/poke.out")" "queue 0" "zc_poke attached"
	replay "$T/ten.pcap"
	app_wait poke
	expect_eq "$?" 139 "zc_poke's end: killed by SIGSEGV (128 + 11)"
	grep -q '^got frame [0-9]* len 64$' "$T/poke.out" || fail "zc_poke saw no frame: $(cat "$T/poke.out")"
	grep -q 'WRITE SUCCEEDED' "$T/poke.out" && fail "a tap wrote into the port's frame"
	wait_log "shared queue 0 of vport 65535 closed (pid $pid)"
	# The daemon, the port and the other tap carry on.
	kill -0 "$DPID" || fail "the daemon died"
	sf dev show >/dev/null || fail "dev show"
	replay "$T/twenty.pcap"
	wait_eq 30 zcq $UPLINK tap .delivered.packets
	# Everything it was given it gave back (taken on the worker's next passes).
	wait_eq '[30,0,0,0]' zcq $UPLINK tap '[.zerocopy, .overruns, .invalid_desc, .outstanding]'
	# Every frame went on to its destination (no rule: p0's representor).
	wait_eq 30 pstat $UPLINK '.rep_stats.drops.no_consumer'
	expect_eq "$(pstat $UPLINK '.zc_stats | length')" 1 "one tap left"
	app_stop tap || fail "tap exit"
	expect_eq "$(tail -1 "$T/tap.out")" "received 30 frames 1920 bytes" "the tap's count"
	reclaimed
	daemon_stop || fail "daemon stop"
}

test_zc_isolation_canary() {
	local doms="" d n w
	zc_setup B
	steer_by_mac
	# What SF B bounces leaves through p0.
	sf filter add dev sfnic0npf0sf89 ingress flower action mirred egress redirect dev sfnic0np0 ||
		fail "filter B back"
	{ frames 40 $MAC_A udp=4000; } | pcap "$T/a.pcap"
	python3 tests/e2e/mkmarker.py "$T/b.pcap" $MAC_B $SRC 100 1000 || fail "mkmarker"
	# The scanner's own proof: a marker and a daemon address planted into
	# its region are found, exactly once each.
	"$BIN/zc_canary" $SF_A new -p "$DPID" -t 0.1 -P >"$T/plant.out" 2>"$T/plant.err" &&
		fail "the planted canary passed"
	expect_eq "$(tail -1 "$T/plant.out" | cut -d' ' -f1-4)" "marker 1 pointers 1" "what was planted"
	app_start canary "$BIN/zc_canary" $SF_A new -p "$DPID" -t 60
	# Three cycles: SF B's application opens (a new domain each time),
	# receives the marker frames into its region, transmits them back out
	# through p0, and closes, while A's application receives its own.
	for i in 1 2 3; do
		app_start fwd "$BIN/zc_fwd" $SF_B new -t 30
		d=$(zcq $PORT_B fwd .domain)
		doms="$doms $d"
		replay "$T/b.pcap"
		replay "$T/a.pcap"
		wait_eq '[100,100]' zcq $PORT_B fwd '[.delivered.packets, .transmitted.packets]'
		app_stop fwd || fail "zc_fwd exit"
		expect_eq "$(tail -1 "$T/fwd.out")" "forwarded 100 frames 100000 bytes" "B's round $i"
	done
	wait_eq 120 zcq $PORT_A canary .delivered.packets
	wait_eq 300 pstat $UPLINK '.stats.tx.packets'     # B's marker frames, out through p0
	d=$(sed -n 's/^queue 2 domain \([0-9]*\)$/\1/p' "$T/canary.out")
	[ -n "$d" ] || fail "canary: $(cat "$T/canary.out")"
	# Every exclusive domain is new: not A's, not SF B's own (its vport).
	n=$("$BIN/zc_hostile" $SF_B 0 -m open -M shared | sed -n 's/^queue 0 domain \([0-9]*\) .*/\1/p')
	expect_eq "$n" 32769 "SF B's own domain"
	# shellcheck disable=SC2086
	expect_eq "$(printf '%s\n' $d $n $doms | sort -u | wc -l)" 5 "five distinct domains"
	app_stop canary
	expect_eq "$?" 0 "the canary's verdict: $(cat "$T/canary.out" "$T/canary.err")"
	tail -1 "$T/canary.out" >"$T/canary.tail"
	expect_eq "$(sed -n 2,3p "$T/canary.out")" "received 120 frames
nonzero at open 0" "the canary's traffic"
	read -r -a w <"$T/canary.tail"
	expect_eq "${w[*]:0:4}" "marker 0 pointers 0" "what the canary found"
	# The region (4096 frames of 2048 bytes) and the rings were scanned.
	[ "${w[5]}" -gt $((4096 * 2048)) ] || fail "scanned only ${w[5]} bytes"
	reclaimed
	daemon_stop || fail "daemon stop"
}

test_zc_hostile_app() {
	local out w
	zc_setup B
	steer_by_mac
	{ frames 60 $MAC_A udp=4000; frames 40 $MAC_B udp=4000; frames 10 $MAC_B udp=5000; } |
		pcap "$T/in.pcap"
	app_start good "$BIN/zc_rxdrop" $SF_B new -t 60
	app_start hostile "$BIN/zc_hostile" $SF_A 2 -t 3 -s 7 -f 1024 -q 512 -x 128
	for _ in 1 2 3 4 5; do replay "$T/in.pcap"; sleep 0.2; done
	app_wait hostile || fail "zc_hostile failed: $(cat "$T/hostile.err")"
	out=$(tail -1 "$T/hostile.out")
	read -r -a w <<<"$out"
	if [ "${w[0]}" != delivered ] || [ "${w[5]}" -eq 0 ] || [ "${w[7]}" -eq 0 ]; then
		fail "invalid descriptors and index jumps not counted: $out"
	fi
	echo "hostile: $(sed -n 2p "$T/hostile.out"): $out" >&2
	# The daemon survived; SF B lost nothing.
	kill -0 "$DPID" || fail "the daemon died"
	sf dev show >/dev/null || fail "dev show"
	wait_eq 200 zcq $PORT_B good .delivered.packets
	wait_eq '[0,0,0,0]' zcq $PORT_B good '[.overruns, .invalid_desc, .bad_ring, .outstanding]'
	wait_eq 50 pstat $PORT_B '.stats.drops.no_consumer'       # SF B's netdev queue
	wait_eq 550 pstat $UPLINK '.stats.rx.packets'
	# Everything of the hostile queue is home, and queue 2 works again.
	wait_log "exclusive queue 2 of vport 32768 closed (pid"
	expect_eq "$(pstat $PORT_A '.zc_stats')" null "SF A's queues"
	wait_eq 0 zc_maps $SF_A
	inflight_zero
	app_start again "$BIN/zc_rxdrop" $SF_A 2 -t 30
	replay "$T/in.pcap"
	wait_eq 60 zcq $PORT_A again .delivered.packets
	wait_eq 240 zcq $PORT_B good .delivered.packets
	expect_eq "$(zcq $PORT_A again '[.overruns, .invalid_desc, .bad_ring]')" '[0,0,0]' "queue 2 anew"
	app_stop again || fail "zc_rxdrop exit"
	app_stop good || fail "zc_rxdrop exit"
	expect_eq "$(tail -1 "$T/again.out")" "received 60 frames 3840 bytes" "queue 2's new owner"
	expect_eq "$(tail -1 "$T/good.out")" "received 240 frames 15360 bytes" "SF B's application"
	reclaimed
	daemon_stop || fail "daemon stop"
}

test_zc_kill9_reclaims() {
	local pid
	zc_setup B
	steer_by_mac
	# 200 frames for A's queue, 20 for A's netdev, 50 for B's queue.
	{ frames 200 $MAC_A udp=4000; frames 20 $MAC_A udp=5000; frames 50 $MAC_B udp=4000; } |
		pcap "$T/in.pcap"
	app_start good "$BIN/zc_rxdrop" $SF_B new -t 60
	# 256 frames: the default cap is half of them.
	app_start hold "$BIN/zc_hostile" $SF_A new -m hold -f 256 -q 128
	expect_eq "$(cat "$T/hold.out")" "queue 2 domain $(zcq $PORT_A hold .domain) max_outstanding 128" \
		"the holder"
	replay "$T/in.pcap"
	wait_eq '[128,72,128]' zcq $PORT_A hold '[.delivered.packets, .overruns, .outstanding]'
	# At its cap the queue loses its own frames, nothing else does.
	replay "$T/in.pcap"
	wait_eq '[128,272,128]' zcq $PORT_A hold '[.delivered.packets, .overruns, .outstanding]'
	wait_eq 100 zcq $PORT_B good .delivered.packets
	wait_eq 40 pstat $PORT_A '.stats.drops.no_consumer'
	expect_eq "$(zcq $PORT_B good .overruns)" 0 "SF B's overruns"
	pid=${APP[hold]}
	app_stop hold KILL
	wait_log "exclusive queue 2 of vport 32768 closed (pid $pid)"
	expect_eq "$(pstat $PORT_A '.zc_stats')" null "the killed queue is gone"
	wait_eq 0 zc_maps $SF_A
	inflight_zero
	# Its queue and its frames are back: a new application gets every frame.
	app_start again "$BIN/zc_rxdrop" $SF_A 2 -t 30
	replay "$T/in.pcap"
	wait_eq 200 zcq $PORT_A again .delivered.packets
	wait_eq 150 zcq $PORT_B good .delivered.packets
	expect_eq "$(zcq $PORT_A again '.overruns')" 0 "no overrun once reclaimed"
	app_stop again || fail "zc_rxdrop exit"
	app_stop good || fail "zc_rxdrop exit"
	reclaimed
	daemon_stop || fail "daemon stop"
}

test_zc_privilege_and_refusals() {
	need_root       # setpriv
	local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	local other=(setpriv --reuid=65533 --regid=65533 --clear-groups)
	zc_setup
	chmod o+rx "$T" "$T/run"
	# An unprivileged user may not tap, nor own a queue it was not given.
	expect_err "zc_rxdrop: Permission denied: a tap sees other flows' data; root or the daemon's user only" \
		"${nobody[@]}" "$BIN/zc_rxdrop" p0 0 -m single -t 0.1
	expect_err "zc_rxdrop: Permission denied: a tap sees other flows' data; root or the daemon's user only" \
		"${nobody[@]}" "$BIN/zc_rxdrop" p0 0 -m shared -t 0.1
	expect_err "zc_rxdrop: Permission denied: $SF_A's zero-copy queues belong to its zc_owner" \
		"${nobody[@]}" "$BIN/zc_rxdrop" $SF_A new -t 0.1
	sf dev param set auxiliary/sfnic_core.sf.1 name zc_owner value 65534 cmode runtime ||
		fail "zc_owner"
	"${nobody[@]}" "$BIN/zc_hostile" $SF_A new -m open >"$T/own.out" 2>&1 ||
		fail "the zc_owner was refused: $(cat "$T/own.out")"
	grep -q "uid 65534 opened exclusive queue 2 of $SF_A" "$T/sfnicd.log" ||
		fail "the owner's open not logged"
	expect_err "zc_rxdrop: Permission denied: $SF_A's zero-copy queues belong to its zc_owner" \
		"${other[@]}" "$BIN/zc_rxdrop" $SF_A new -t 0.1
	expect_err "zc_rxdrop: Permission denied: a tap sees other flows' data; root or the daemon's user only" \
		"${nobody[@]}" "$BIN/zc_rxdrop" p0 0 -m single -t 0.1
	# A single tap is alone on its queue.
	app_start tap "$BIN/zc_rxdrop" p0 0 -m single -t 30
	expect_err "zc_rxdrop: queue 0 of p0 has a single tap" "$BIN/zc_rxdrop" p0 0 -m single -t 0.1
	expect_err "zc_rxdrop: queue 0 of p0 has a single tap" "$BIN/zc_rxdrop" p0 0 -m shared -t 0.1
	app_stop tap || fail "tap exit"
	app_start shared "$BIN/zc_rxdrop" p0 0 -m shared -t 30
	expect_err "zc_rxdrop: queue 0 of p0 has a shared tap" "$BIN/zc_rxdrop" p0 0 -m single -t 0.1
	expect_eq "$("$BIN/zc_hostile" p0 0 -m open -M shared)" "queue 0 domain 0 max_outstanding 256" \
		"a second shared tap"
	app_stop shared || fail "shared exit"
	# Trust domains: p0 is the host's (0), an SF its vport's.
	expect_err "zc_hostile: trust domain mismatch: queue 0 of p0 is in domain 0, not 7" \
		"$BIN/zc_hostile" p0 0 -m open -M shared -d 7
	expect_err "zc_hostile: trust domain mismatch: queue 0 of $SF_A is in domain 32768, not 0" \
		"$BIN/zc_hostile" $SF_A 0 -m open -M single -d 0
	expect_eq "$("$BIN/zc_hostile" $SF_A 0 -m open -M single -d 32768 | cut -d' ' -f1-4)" \
		"queue 0 domain 32768" "the right domain"
	# Queues, ports and options.
	app_start q3 "$BIN/zc_rxdrop" $SF_A 3 -t 30
	expect_err "zc_rxdrop: queue 3 of $SF_A is taken" "$BIN/zc_rxdrop" $SF_A 3 -t 0.1
	expect_err "zc_rxdrop: queue 1: application queues are 2..15" "$BIN/zc_rxdrop" $SF_A 1
	expect_err "zc_rxdrop: queue 16: application queues are 2..15" "$BIN/zc_rxdrop" $SF_A 16
	expect_err "zc_rxdrop: queue 1: p0 has RX queues 0..0" "$BIN/zc_rxdrop" p0 1 -m single
	expect_err 'zc_rxdrop: Cannot find port "nosuch0"' "$BIN/zc_rxdrop" nosuch0 new
	expect_err 'zc_rxdrop: Cannot find port "sfnic/sfnic0/9"' "$BIN/zc_rxdrop" sfnic/sfnic0/9 new
	expect_err "zc_rxdrop: p0 is not an SF: exclusive queues belong to SF functions" \
		"$BIN/zc_rxdrop" p0 new
	expect_err "zc_rxdrop: sfnic0npf0sf88 is a representor: name the function's own port" \
		"$BIN/zc_rxdrop" sfnic0npf0sf88 new
	expect_err "zc_hostile: frames 32: out of range (64..65536)" "$BIN/zc_hostile" $SF_A new -m open -f 32
	expect_err "zc_hostile: ring_size 100: a power of two in 64..16384, at most frames" \
		"$BIN/zc_hostile" $SF_A new -m open -q 100
	expect_err "zc_hostile: max_outstanding 5000: more than the 4096 frames" \
		"$BIN/zc_hostile" $SF_A new -m open -o 5000
	# Queue 3 is taken, 2 was the first free one: "new" skips what is taken.
	expect_eq "$("$BIN/zc_hostile" $SF_A new -m open | cut -d' ' -f1-2)" "queue 2" "new, with 3 taken"
	app_stop q3 || fail "q3 exit"
	# A function that is not active has no queue to give.
	sf port function set $PORT_A state inactive || fail "inactivate"
	expect_err "zc_rxdrop: $SF_A is not active" "$BIN/zc_rxdrop" $SF_A new
	expect_eq "$(grep -c 'zc: pid [0-9]* uid [0-9]* refused: ' "$T/sfnicd.log")" 22 \
		"every refusal logged, with the peer's credentials"
	inflight_zero
	daemon_stop || fail "daemon stop"
	expect_err "zc_rxdrop: cannot connect to sfnicd at $T/run/zc.sock: No such file or directory" \
		"$BIN/zc_rxdrop" $SF_A new
}

test_zc_fwd_bounces() {
	zc_setup
	sf filter add dev sfnic0np0 ingress flower action mirred egress redirect dev sfnic0npf0sf88 ||
		fail "filter in"
	sf filter add dev sfnic0npf0sf88 ingress flower action mirred egress redirect dev sfnic0np0 ||
		fail "filter out"
	sf ethtool -N $SF_A flow-type udp4 dst-port 4000 action 2 >/dev/null || fail "ntuple"
	{ frames 30 $MAC_A udp=4000; frames 20 $MAC_A udp=5000; } | pcap "$T/in.pcap"
	app_start fwd "$BIN/zc_fwd" $SF_A new -t 30
	"$SFNIC" capture p0 -c 80 -w "$T/p0.pcap" 2>"$T/cap.log" &
	APP[cap]=$!
	for _ in $(seq 100); do grep -q capturing "$T/cap.log" && break; sleep 0.02; done
	replay "$T/in.pcap"
	wait_eq '[30,30]' zcq $PORT_A fwd '[.delivered.packets, .transmitted.packets]'
	expect_eq "$(zcq $PORT_A fwd '[.transmitted.bytes, .invalid_desc, .overruns]')" '[1920,0,0]' \
		"what the application transmitted"
	# What it sent entered the eswitch as SF A's frames, and left by p0.
	wait_eq 30 pstat $UPLINK '.stats.tx.packets'
	wait_eq '[30,1920,20]' pstat $PORT_A '[.stats.rx.packets, .stats.rx.bytes, .stats.drops.no_consumer]'
	expect_eq "$(sf -j -s filter show dev sfnic0npf0sf88 ingress | jq '.[0].options.actions[0].stats.packets')" \
		30 "the rule back to p0"
	app_wait cap || fail "capture"
	# p0 both ways: 50 in from B to A, 30 out from A to B (MACs swapped).
	expect_eq "$(tcpdump -enr "$T/p0.pcap" 2>/dev/null | awk '{print $2, $4}' | sort | uniq -c |
		awk '{print $1, $2, $3}')" "50 $SRC $MAC_A,
30 $MAC_A $SRC," "p0's frames, by source and destination"
	app_stop fwd || fail "zc_fwd exit"
	expect_eq "$(tail -1 "$T/fwd.out")" "forwarded 30 frames 1920 bytes" "zc_fwd's count"
	expect_eq "$(pstat $UPLINK '.stats.tx.packets')" 30 "p0 transmitted"
	reclaimed
	daemon_stop || fail "daemon stop"
}
