#!/bin/bash
# bench/memif_bench.sh - memif throughput side by side, in Mpps at 64 and
# 1500 bytes, medians of RUNS, with Debian's dpdk-testpmd (DPDK 22.11) as
# the traffic source and sink:
#
#   (a) direct     testpmd txonly (client) -> testpmd rxonly (server): one
#                  memif hop, the upper bound
#   (b) testpmd    a testpmd `io` middle box with two memif server ports
#   (c) sfnic      sfnicd: SF A's memif socket -> one flower rule -> SF B's
#                  memif socket (and the rule back), see case_sfnic
#
# Pinning (2 cores, the same in every case): core 0 runs the traffic
# endpoints, core 1 the box in the middle.  (a) has no box: its sink takes
# core 1.  A source, a box and a sink are three busy pollers and this
# machine has two cores; a source and a sink sharing core 0 as separate
# processes would be scheduled in turns of milliseconds and measure the
# scheduler.  So in (b) and (c) the endpoints are ONE testpmd process, the
# "tester", with a client port to each side of the box, forwarding `io`
# between them and primed with `start tx_first N`: a closed loop in both
# directions in which the box is the only other poller.  The rate is the
# sum of what the tester receives on its two ports ("Rx-pps" of `show port
# stats`, read while the links are up), i.e. what the box forwards.  A loop
# that loses frames slows down: the tester's counters are checked for it.
#
#   bench/memif_bench.sh [-n RUNS] [-t SECONDS] [CASE...]
#       RUNS (default 5), SECONDS per measurement (default 5), CASE a, b, c
#       (default all).  BIN selects the sfnic build (default build).
cd "$(dirname "$0")/.." || exit 1
RUNS=5
SECS=5
WARM=2
LOOP_BURSTS=${LOOP_BURSTS:-8}   # tx_first bursts of 32 per direction
while getopts n:t: o; do
	case $o in
	n) RUNS=$OPTARG ;;
	t) SECS=$OPTARG ;;
	*) sed -n '2,/^cd /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
CASES=${*:-a b c}
BIN=${BIN:-build}
T=$(mktemp -d /tmp/memif-bench.XXXXXX)
DPID=
trap '[ -n "$DPID" ] && kill "$DPID" && wait "$DPID"; rm -rf "$T"' EXIT
# testpmd_* (its EXIT trap kills what is left), daemon_*, sf, fail.
. tests/e2e/lib.sh
SFNIC="$BIN/sfnic"
SFNICD="$BIN/sfnicd"
[ "$(nproc)" -ge 2 ] || fail "needs 2 cores"

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# rx_pps NAME SIZE PORT...: the sum of Rx-pps over the ports, averaged
# over SECS (testpmd's pps is "since the last show").  Warns when the
# frames received were not SIZE bytes on average.
rx_pps() {
	local name=$1 size=$2 p sum=0 pk=0 by=0
	shift 2
	for p in "$@"; do
		# shellcheck disable=SC2046
		set -- $(testpmd_stats "$name" "$p") "$@"
		pk=$((pk - $1)); by=$((by - $5))
		shift 6
	done
	sleep "$SECS"
	for p in "$@"; do
		# shellcheck disable=SC2046
		set -- $(testpmd_stats "$name" "$p") "$@"
		sum=$((sum + $3)); pk=$((pk + $1)); by=$((by + $5))
		shift 6
	done
	[ "$pk" -gt 0 ] && [ $(((by + pk / 2) / pk)) != "$size" ] &&
		echo "  warning: frames of $(((by + pk / 2) / pk)) bytes on average, not $size" >&2
	echo "$sum"
}

# ---- (a) direct: txonly client on core 0 -> rxonly server on core 1 ----
case_direct() { # SIZE: sets PPS
	testpmd_start --cpu 1 sink server "$T/a.sock" rxonly
	testpmd_start --cpu 0 src client "$T/a.sock" txonly --txpkts="$1"
	testpmd_wait_link sink up
	testpmd_cmd sink start
	testpmd_cmd src start
	sleep "$WARM"
	PPS=$(rx_pps sink "$1" 0)
	# Forwarding stops on both sides before anyone disconnects: a 22.11
	# server polling a ring whose client just left can crash.
	testpmd_cmd src stop
	testpmd_cmd sink stop
	testpmd_stop src
	testpmd_stop sink
}

# tester SOCK0 SOCK1 SIZE: the endpoints on core 0, clients of the box's
# two sockets, io forwarding between them; primes the loop and warms up.
tester_start() {
	testpmd_start --cpu 0 --eal "--vdev=net_memif1,role=client,socket=$2,socket-abstract=no" \
		tester client "$1" io --txpkts="$3"
	testpmd_wait_link tester up
	testpmd_cmd tester "start tx_first $LOOP_BURSTS"
	sleep "$WARM"
}

# tester_check: the loop kept its frames (a box that drops would empty it).
tester_check() {
	local r0 r1
	# shellcheck disable=SC2046
	set -- $(testpmd_stats tester 0)
	r0=$1
	# shellcheck disable=SC2046
	set -- $(testpmd_stats tester 1)
	r1=$1
	[ $((r0 + r1)) -gt 0 ] || echo "  warning: nothing came back through the box" >&2
	grep -q "Invalid\|Fail" "$T/testpmd-tester.log" &&
		echo "  warning: tester: $(grep -m1 'Invalid\|Fail' "$T/testpmd-tester.log")" >&2
}

# ---- (b) testpmd io middle box (two memif servers) on core 1 ----
case_testpmd() { # SIZE: sets PPS
	testpmd_start --cpu 1 --eal "--vdev=net_memif1,role=server,socket=$T/b1.sock,socket-abstract=no" \
		box server "$T/b0.sock" io
	testpmd_cmd box start
	tester_start "$T/b0.sock" "$T/b1.sock" "$1"
	PPS=$(rx_pps tester "$1" 0 1)
	tester_check
	testpmd_cmd tester stop
	testpmd_cmd box stop
	box_drops       # while the links are up: memif zeroes its stats after
	testpmd_stop tester
	testpmd_stop box
}

# box_drops: frames the testpmd box took in but did not send on (a loop
# that loses frames runs slower and slower).
box_drops() {
	local in=0 out=0 p
	for p in 0 1; do
		# shellcheck disable=SC2046
		set -- $(testpmd_stats box $p) 0 0
		in=$((in + $1))
		out=$((out + $2))
	done
	[ "$in" = "$out" ] || echo "  warning: the testpmd box dropped $((in - out)) frames" >&2
}

# ---- (c) sfnic: SF A's memif -> flower rule -> SF B's memif, on core 1 ----
# The daemon (one worker, the whole process on core 1) and its two SFs are
# set up once per bench; the tester is restarted for every measurement.
SFNIC_UP=
sfnic_setup() {
	local n inst
	[ -n "$SFNIC_UP" ] && return 0
	mkdir -p "$T/run" "$T/state"
	export SFNIC_RUN_DIR="$T/run" SFNIC_STATE_DIR="$T/state"
	taskset -c 1 "$SFNICD" --netdevs off --workers 1 2>>"$T/sfnicd.log" &
	DPID=$!
	for _ in $(seq 200); do sf dev show >/dev/null 2>&1 && break; sleep 0.05; done
	sf dev eswitch set sfnic/sfnic0 mode switchdev || fail "switchdev"
	for n in 88 89; do
		sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum $n >/dev/null || fail "port add"
		sf port function set "sfnic0npf0sf$n" hw_addr "02:00:00:00:00:$n" state active ||
			fail "activate $n"
		inst=$(sf -j port show "sfnic0npf0sf$n" | jq -r '.port[].function.nested_devlink | keys[0]')
		SFNIC_INSTS="$SFNIC_INSTS $inst"
		# No netdev driver: everything the SF receives goes to memif.
		sf dev param set "$inst" name enable_eth value false cmode driverinit || fail "param"
		sf dev reload "$inst" || fail "reload"
		for _ in $(seq 100); do [ -S "$T/run/memif/sfnic0S$n.sock" ] && break; sleep 0.05; done
		[ -S "$T/run/memif/sfnic0S$n.sock" ] || fail "SF $n has no memif socket"
	done
	sf filter add dev sfnic0npf0sf88 ingress flower action mirred egress redirect \
		dev sfnic0npf0sf89 || fail "rule 88 -> 89"
	sf filter add dev sfnic0npf0sf89 ingress flower action mirred egress redirect \
		dev sfnic0npf0sf88 || fail "rule 89 -> 88"
	SFNIC_UP=1
}

# sfnic_drops: every drop counter of every port, representor and memif
# interface (the SF instances' ports carry the memif counters).
sfnic_drops() {
	local i
	{
		sf -j -s port show
		for i in $SFNIC_INSTS; do sf -j -s port show "$i/1"; done
	} | jq -s '[.[].port[] | ((.stats.drops, .rep_stats.drops, .memif_stats.drops)
		| select(. != null) | to_entries[].value),
		(.memif_stats.queues[]? | .invalid_desc, .ring_full, .bad_ring, .too_long)] | add // 0'
}

case_sfnic() { # SIZE: sets PPS
	sfnic_setup
	tester_start "$T/run/memif/sfnic0S88.sock" "$T/run/memif/sfnic0S89.sock" "$1"
	PPS=$(rx_pps tester "$1" 0 1)
	tester_check
	testpmd_cmd tester stop
	testpmd_stop tester
	local drops
	drops=$(sfnic_drops)
	[ "$drops" = "${SFNIC_DROPS:-0}" ] ||
		echo "  warning: sfnic dropped $((drops - ${SFNIC_DROPS:-0})) frames" >&2
	SFNIC_DROPS=$drops
}

# ---- the report ----
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A RES
# Runs are interleaved (a b c, a b c, ...): this VM's throughput has
# regimes that last minutes (two clusters about 2x apart, likely where the
# host places the two vCPUs), and every case must see the same ones.
for c in $CASES; do
	case $c in
	a|b|c) ;;
	*) fail "unknown case $c (a, b or c)" ;;
	esac
done
fn_of() { case $1 in a) echo case_direct ;; b) echo case_testpmd ;; c) echo case_sfnic ;; esac; }
for size in 64 1500; do
	for c in $CASES; do : >"$T/$c-$size"; done
	for r in $(seq "$RUNS"); do
		for c in $CASES; do
			PPS=
			$(fn_of "$c") "$size"
			echo "  ($c) $size B run $r: $PPS pps" >&2
			echo "$PPS" >>"$T/$c-$size"
		done
	done
	for c in $CASES; do RES[$c-$size]=$(median <"$T/$c-$size"); done
done

mpps() { [ -n "$1" ] && awk -v p="$1" 'BEGIN { printf "%.2f", p / 1e6 }' || echo "-"; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && [ "$2" != 0 ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }' || echo "-"; }
echo
echo "memif_bench: $(nproc) cores, load average $LOAD before the runs, median of $RUNS runs of ${SECS} s"
echo "  core 0: testpmd txonly (a); the tester, one testpmd with both endpoints (b, c)"
echo "  core 1: testpmd rxonly (a); testpmd io with two memif servers (b); sfnicd, 1 worker (c)"
printf '%-52s %10s %10s\n' "case" "64 B Mpps" "1500 B Mpps"
printf '%-52s %10s %10s\n' "(a) txonly -> rxonly, one memif hop" "$(mpps "${RES[a-64]}")" "$(mpps "${RES[a-1500]}")"
printf '%-52s %10s %10s\n' "(b) tester <-> testpmd io box, both directions" "$(mpps "${RES[b-64]}")" "$(mpps "${RES[b-1500]}")"
printf '%-52s %10s %10s\n' "(c) tester <-> sfnic SF -> rule -> SF, both ways" "$(mpps "${RES[c-64]}")" "$(mpps "${RES[c-1500]}")"
echo "ratios (64 B, 1500 B): b/a $(ratio "${RES[b-64]}" "${RES[a-64]}"), $(ratio "${RES[b-1500]}" "${RES[a-1500]}");" \
	"c/b $(ratio "${RES[c-64]}" "${RES[b-64]}"), $(ratio "${RES[c-1500]}" "${RES[b-1500]}")"
echo "anchor: DPDK client txonly -> DPDK server rxonly on a VM like this one, ~21 Mpps at 64 B (reference/memif.md §4)"
