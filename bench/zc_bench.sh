#!/bin/bash
# bench/zc_bench.sh - zero-copy queues (issue 10) side by side, in Mpps at
# 64 and 1500 bytes, medians of RUNS, with cycles per frame on both sides
# and the copies each path makes, from the daemon's counters:
#
#   (a) exclusive  p0 -> flower rule -> SF B -> ntuple rule (udp dst 4000,
#                  action 2) -> an exclusive queue; the application takes
#                  each frame from RX and gives it back on FILL (zc_rxdrop)
#   (b) memif      the same frames, no ntuple rule: SF B's memif socket ->
#                  a DPDK memif client that receives and frees (testpmd
#                  rxonly): the previous issue's path
#   (c) p0 tap     (a) with a read-only tap (single) on p0's RX queue 0,
#                  drained by the application: c/a is what the tap costs
#   (d) zc_fwd     p0 -> SF B's exclusive queue -> the application swaps
#                  MACs and transmits the frame from its own buffer -> rule
#                  on SF B's representor -> p0 -> back to the generator,
#                  which sends it again: a closed loop of INFLIGHT frames
#   (e) SF tap     (b) with a read-only tap on SF B's RX queue 1 (what its
#                  memif interface receives): e/b
#   (f) memif zc   (b) with the DPDK client in zero-copy mode (zero-copy=yes:
#                  its mbufs are the memif buffers, so it copies nothing
#                  either): a/f compares the two rings, one copy each
#
# The generator is p0's wire: sfnicd's uplink is a memif client
# (--uplink memif:PATH) of a DPDK memif server that sends like testpmd
# txonly; DPDK's server copies each frame into a buffer of p0's pool, as a
# NIC's DMA would, so sfnic itself receives in place.
#
# Pinning (2 cores, the same in every case): core 1 runs sfnicd, the whole
# process, with one worker; core 0 runs bench/zc_tester, ONE process with
# one polling loop that is the generator (DPDK memif server) and the
# receiving end (libsfnic queue, or DPDK memif client), and drains the tap.
# A generator and a sink as two processes on core 0 would be two busy
# pollers taking turns of milliseconds (a testpmd rxonly next to a testpmd
# txonly receives ~0.1 Mpps here): that measures the scheduler.
#
# Others share this VM: each measurement starts once the machine has been
# idle for a second (at most QUIET_WAIT s, default 300), and one during
# which the worker or the tester waited more than 5% of the window for its
# core (schedstat's run-queue time) is repeated, twice at most.  The
# script itself sleeps through the window (no polling on the two cores).
#
# Cycles per frame: the worker's is its CPU time in the window
# (/proc/PID/task/TID/schedstat) times the TSC rate, divided by the frames
# the application received (in (d): frames that went round once, two trips
# through the worker); it includes empty polls, so it is the worker's true
# cost only when it is the bottleneck (p0's ring was full on most of the
# generator's tries: the per-run lines say how often).  The application's
# is TSC cycles in its receive calls that returned frames, divided by
# frames.
#
# Copies per frame come from the daemon's counters (`sfnic -j -s port
# show`, before and after): the exclusive queue's `copied`, SF B's page
# pool allocations (a copy into its own region), the memif S2C frames (a
# copy into the client's buffer, by design) and p0's allocations beyond
# the buffers it posts to its peer (copies into p0 to transmit).
#
#   bench/zc_bench.sh [-n RUNS] [-t SECONDS] [CASE...]
#       RUNS (default 5), SECONDS per measurement (default 5), CASE a..f
#       (default all, measured in the order c a b e f d, then backwards).  BIN selects the sfnic build (default build; it needs
#       `make bench` for zc_tester).  INFLIGHT (default 512): frames in the
#       loop of (d).  PERF_DIR=DIR records `perf record -e cpu-clock` of the
#       daemon during every window into DIR/CASE-SIZE-RUN.data.
cd "$(dirname "$0")/.." || exit 1
RUNS=5
SECS=5
WARM=2
INFLIGHT=${INFLIGHT:-512}
while getopts n:t: o; do
	case $o in
	n) RUNS=$OPTARG ;;
	t) SECS=$OPTARG ;;
	*) sed -n '2,/^cd /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
CASES=${*:-a b c d e f}
BIN=${BIN:-build}
T=$(mktemp -d /tmp/zc-bench.XXXXXX)
DPID=
TPID=
trap '[ -n "$TPID" ] && kill "$TPID" 2>/dev/null && wait "$TPID"
	if [ -n "$DPID" ] && ! kill "$DPID" 2>/dev/null; then
		wait "$DPID"; echo "sfnicd exited with $?; its log ends:" >&2; tail -5 "$T/sfnicd.log" >&2
	fi
	[ -n "$DPID" ] && wait "$DPID"; rm -rf "$T"' EXIT
# sf, fail.
. tests/e2e/lib.sh
# Private copies: the run uses one build from start to end (others may
# rebuild the tree meanwhile), and perf finds the binary it sampled.
mkdir -p "$T/bin"
for f in sfnicd sfnic zc_tester libsfnic.so.1; do
	[ -e "$BIN/$f" ] || fail "$BIN/$f is missing: make && make bench"
	cp "$BIN/$f" "$T/bin/" || fail "cp $BIN/$f"
done
SFNIC="$T/bin/sfnic"
SFNICD="$T/bin/sfnicd"
TESTER="$T/bin/zc_tester"
SFB=sfnic0npf0sf89      # SF B's representor; its function's netdev name is sfnic0S89
[ "$(nproc)" -ge 2 ] || fail "needs 2 cores"
for c in $CASES; do
	case $c in
	a|b|c|d|e|f) ;;
	*) fail "unknown case $c (a..f)" ;;
	esac
done

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# ---- the daemon: p0 a memif client of the tester, SF 89 (B), two rules ----
sfnic_setup() {
	local inst
	mkdir -p "$T/run" "$T/state"
	export SFNIC_RUN_DIR="$T/run" SFNIC_STATE_DIR="$T/state"
	taskset -c 1 "$SFNICD" --netdevs off --workers 1 --uplink "memif:$T/up.sock" \
		2>>"$T/sfnicd.log" &
	DPID=$!
	for _ in $(seq 200); do sf dev show >/dev/null 2>&1 && break; sleep 0.05; done
	sf dev eswitch set sfnic/sfnic0 mode switchdev || fail "switchdev"
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 89 >/dev/null || fail "port add"
	sf port function set $SFB hw_addr 02:00:00:00:00:89 state active || fail "activate"
	inst=$(sf -j port show $SFB | jq -r '.port[].function.nested_devlink | keys[0]')
	SFB_MEMIF="$inst/1"
	# No netdev driver: what steering does not send elsewhere goes to memif.
	sf dev param set "$inst" name enable_eth value false cmode driverinit || fail "param"
	sf dev reload "$inst" || fail "reload"
	for _ in $(seq 100); do [ -S "$T/run/memif/sfnic0S89.sock" ] && break; sleep 0.05; done
	[ -S "$T/run/memif/sfnic0S89.sock" ] || fail "SF B has no memif socket"
	sf filter add dev sfnic0np0 ingress flower action mirred egress redirect dev $SFB ||
		fail "rule p0 -> B"
	sf filter add dev $SFB ingress flower action mirred egress redirect dev sfnic0np0 ||
		fail "rule B -> p0"
}

# counters: the daemon's counters this benchmark reads, as one JSON object.
counters() {
	{
		sf -j -s port show sfnic/sfnic0/65535
		sf -j -s port show $SFB
		sf -j -s port show "$SFB_MEMIF"
	} | jq -s -c '
		def pp: [.stats.queues[]?.page_pool | select(. != null) | .alloc_fast + .alloc_slow] | add // 0;
		def drops(n): [{ k: "\(n).stats", v: .stats.drops }, { k: "\(n).rep", v: .rep_stats.drops },
			{ k: "\(n).memif", v: .memif_stats.drops }] | map(select(.v != null)
			| .k as $k | .v | to_entries[] | { key: "\($k).\(.key)", value }) | from_entries;
		def zc(m): [.zc_stats[]? | select(.mode == m)] | first // {};
		(.[0].port[]) as $p0 | (.[1].port[]) as $b | (.[2].port[]) as $m |
		{ p0_rx: $p0.stats.rx.packets, p0_tx: $p0.stats.tx.packets, p0_alloc: ($p0 | pp),
		  b_alloc: ($b | pp), memif_tx: $m.memif_stats.tx.packets,
		  drops: (($p0 | drops("p0")) + ($b | drops("B")) + ($m | drops("B"))),
		  excl: ($b | zc("exclusive")),
		  tap: (($p0 | zc("single")) + ($b | zc("single"))) }'
}

# ---- one measurement ----
# measure CASE SIZE: runs the tester; sets RES (its key=value line, plus
# the counters' deltas: copies=... and the like).
measure() {
	local c=$1 size=$2 mode tap=() eal=() zc='' before after tp perf_pid=''
	case $c in
	a) mode=excl ;;
	b) mode=memif ;;
	c) mode=excl; tap=(-T p0 -Q 0) ;;
	d) mode=fwd ;;
	e) mode=memif; tap=(-T sfnic0S89 -Q 1) ;;
	f) mode=memif; zc=",zero-copy=yes"; eal=(--single-file-segments) ;;
	esac
	[ $mode != memif ] &&
		{ sf ethtool -N sfnic0S89 flow-type udp4 dst-port 4000 action 2 loc 1 >/dev/null ||
			fail "ntuple rule"; }
	before=$(counters)
	rm -f "$T/up.sock"
	eal+=(--vdev="net_memif0,role=server,socket=$T/up.sock,socket-abstract=no")
	[ $mode = memif ] &&
		eal+=(--vdev="net_memif1,role=client,socket=$T/run/memif/sfnic0S89.sock,socket-abstract=no$zc")
	: >"$T/tester.out"
	taskset -c 0 "$TESTER" --no-huge -m 1024 --no-pci -l 0 --log-level=5 \
		--file-prefix="zc-bench-$(basename "$T")" "${eal[@]}" -- -m $mode -s "$size" \
		-t "$SECS" -w "$WARM" -i "$INFLIGHT" -p "$DPID" -r "$T/run" -H "${tap[@]}" \
		>"$T/tester.out" 2>"$T/tester.err" &
	TPID=$!
	tp=$TPID
	# Polled until the window opens, then one sleep: a poll loop's forks
	# would land on the measured cores 20 times a second.
	for _ in $(seq $(((WARM + 30) * 20))); do
		grep -q '^measuring' "$T/tester.out" && break
		kill -0 "$tp" 2>/dev/null || break
		sleep 0.05
	done
	if grep -q '^measuring' "$T/tester.out"; then
		if [ -n "$PERF_DIR" ]; then
			rm -f "$PERF_DIR/$c-$size-$RUN.data"
			perf record -q -e cpu-clock -p "$DPID" -o "$PERF_DIR/$c-$size-$RUN.data" \
				-- sleep "$SECS" >/dev/null 2>&1 &
			perf_pid=$!
		fi
		sleep "$SECS"
		for _ in $(seq 200); do
			grep -q '^mode=' "$T/tester.out" && break
			kill -0 "$tp" 2>/dev/null || break
			sleep 0.05
		done
	fi
	grep -q '^mode=' "$T/tester.out" || { cat "$T/tester.err" >&2; fail "($c) the tester failed"; }
	after=$(counters)
	kill -TERM "$tp"
	wait "$tp"
	TPID=
	[ -n "$perf_pid" ] && wait "$perf_pid"
	[ $mode != memif ] && { sf ethtool -N sfnic0S89 delete 1 || fail "ntuple delete"; }
	RES="$(grep '^mode=' "$T/tester.out") $(jq -n -r --argjson b "$before" --argjson a "$after" '
		def d(k): $a[k] - $b[k];
		# Copies sfnic made: into the exclusive queue (its copied counter),
		# into SF B own region (its pool allocations: a tap on its queue
		# needs the frame there first), into the memif client buffers (each
		# S2C frame, by design), into p0 pool for transmission (p0
		# allocations beyond the buffers it posts for what it receives).
		(($a.excl.copied // 0) + d("b_alloc") + d("memif_tx")
		 + ([d("p0_alloc") - d("p0_rx"), 0] | max)) as $copies |
		"copies=\($copies) p0_frames=\(d("p0_rx")) b_alloc=\(d("b_alloc")) memif_tx=\(d("memif_tx"))" +
		" p0_tx=\(d("p0_tx")) p0_extra_alloc=\(d("p0_alloc") - d("p0_rx"))" +
		" drops=\([$a.drops | to_entries[] | select(.value != $b.drops[.key]) |
			"\(.key):\(.value - $b.drops[.key])"] | if length > 0 then join(",") else "0" end)" +
		" excl_delivered=\($a.excl.delivered.packets // 0) excl_copied=\($a.excl.copied // 0)" +
		" excl_overruns=\($a.excl.overruns // 0)" +
		" ptap_delivered=\($a.tap.delivered.packets // 0) ptap_zerocopy=\($a.tap.zerocopy // 0)" +
		" ptap_copied=\($a.tap.copied // 0)"')"
}

# quiet_wait: waits (at most QUIET_WAIT s, default 300) until the machine
# has been idle for a second (under 5% busy over both cores): other
# people's jobs on this VM would otherwise share the cores being measured.
quiet_wait() {
	local t0 busy
	t0=$(date +%s)
	while :; do
		busy=$({ head -1 /proc/stat; sleep 1; head -1 /proc/stat; } | awk '
			{ idle[NR] = $5 + $6; tot[NR] = 0; for (i = 2; i <= NF; i++) tot[NR] += $i }
			END { d = tot[2] - tot[1]; printf "%.0f", d ? 100 * (d - idle[2] + idle[1]) / d : 0 }')
		[ "$busy" -lt 5 ] && return 0
		if [ $(($(date +%s) - t0)) -ge "${QUIET_WAIT:-300}" ]; then
			echo "  warning: the machine was still ${busy}% busy after ${QUIET_WAIT:-300} s; measuring anyway" >&2
			return 0
		fi
	done
}

# contended: whether the tester or the worker waited more than 5% of the
# window for its core (someone else ran there).
contended() {
	awk -v win="$(get secs)" -v a="$(get wait_ns)" -v b="$(get dwait_ns)" \
		'BEGIN { exit !(a / win / 1e9 > 0.05 || b / win / 1e9 > 0.05) }'
}

# get KEY: a field of RES.
get() { tr ' ' '\n' <<<"$RES" | sed -n "s/^$1=//p"; }

# run_line CASE SIZE RUN: records one measurement and prints it.
record() {
	local c=$1 size=$2 r=$3 rx pps hz w a cp
	rx=$(get rx)
	pps=$(get pps)
	hz=$(get tsc_hz)
	w=$(awk -v n="$(get dcpu_ns)" -v h="$hz" -v f="$rx" 'BEGIN { if (f) printf "%.0f", n * h / 1e9 / f }')
	a=$(awk -v c="$(get app_cyc)" -v f="$rx" 'BEGIN { if (f) printf "%.0f", c / f }')
	# Copies per frame that entered p0.
	cp=$(awk -v c="$(get copies)" -v f="$(get p0_frames)" 'BEGIN { if (f) printf "%.2f", c / f }')
	echo "$pps" >>"$T/$c-$size.pps"
	echo "$w" >>"$T/$c-$size.wcyc"
	echo "$a" >>"$T/$c-$size.acyc"
	echo "$cp" >>"$T/$c-$size.copies"
	awk -v c="$c" -v s="$size" -v r="$r" -v p="$pps" -v w="$w" -v a="$a" -v cp="$cp" \
		-v win="$(get secs)" -v dn="$(get dcpu_ns)" -v dw="$(get dwait_ns)" \
		-v tw="$(get wait_ns)" -v ts="$(get tx_short)" -v t="$(get tx)" \
		-v tc="$(get tap_cyc)" -v tr="$(get tap_rx)" -v l="$(get loops)" 'BEGIN {
		printf "  (%s) %4d B run %d: %6.3f Mpps, worker %4d cyc/frame (on cpu %3.0f%%, waited %2.0f%%), app %3d cyc/frame, %s copies/frame",
			c, s, r, p / 1e6, w, dn / win / 1e7, dw / win / 1e7, a, cp
		if (tr > 0) printf ", tap %d cyc/frame", tc / tr
		if (c != "d")
			printf ", p0 ring full on %.0f%% of the generator'"'"'s tries", 100 * ts / l
		printf "\n"
		if (tw / win / 1e9 > 0.02)
			printf "  warning: the tester waited %.0f%% of the window for core 0\n", tw / win / 1e7
		if (dw / win / 1e9 > 0.02)
			printf "  warning: the worker waited %.0f%% of the window for core 1\n", dw / win / 1e7
	}' >&2
	[ "$rx" -gt 0 ] && [ $((($(get rx_bytes) + rx / 2) / rx)) != "$size" ] &&
		echo "  warning: frames of $((($(get rx_bytes) + rx / 2) / rx)) bytes on average, not $size" >&2
	[ "$(get drops)" = 0 ] || echo "  warning: sfnic dropped frames: $(get drops)" >&2
	[ "$(get excl_overruns)" = 0 ] || echo "  warning: $(get excl_overruns) overruns on the exclusive queue" >&2
	case $c in
	c|e)
		[ "$(get ptap_copied)" = 0 ] || echo "  warning: the tap copied $(get ptap_copied) frames" >&2
		echo "  tap: $(get ptap_delivered) frames delivered, $(get ptap_zerocopy) in place, $(get tap_overruns) missed (cap)" >&2 ;;
	esac
	true
}

# ---- the report ----
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
REPEATS=0
sfnic_setup
# Runs are interleaved, and every other run goes backwards (c a b e f d,
# d f e b a c, ...): this VM's throughput has regimes about 2-3x apart that
# last from seconds to minutes (probably where the host runs the two vCPUs:
# every frame crosses between them), and the cases compared with each
# other are measured next to each other, so that a ratio of one run
# compares like with like.  Ratios are the medians of each run's ratio.
ORDER=$CASES
[ $# -eq 0 ] && ORDER="c a b e f d"
BACKWARDS=$(tr ' ' '\n' <<<"$ORDER" | tac | tr '\n' ' ')
declare -A RES_PPS RES_W RES_A RES_CP
for size in 64 1500; do
	for RUN in $(seq "$RUNS"); do
		order=$ORDER
		[ $((RUN % 2)) = 0 ] && order=$BACKWARDS
		for c in $order; do
			# A measurement that shared its cores is repeated (twice at most).
			for try in 1 2 3; do
				quiet_wait
				kill -0 "$DPID" 2>/dev/null || fail "sfnicd is gone"
				measure "$c" "$size"
				if ! contended || [ "$try" -ge 3 ]; then break; fi
				echo "  ($c) $size B run $RUN: a core was shared (worker waited" \
					"$(get dwait_ns) ns, tester $(get wait_ns) ns): measuring again" >&2
				REPEATS=$((REPEATS + 1))
			done
			record "$c" "$size" "$RUN"
			echo "$size $RUN $c $(get pps)" >>"$T/all"
		done
	done
	for c in $CASES; do
		RES_PPS[$c-$size]=$(median <"$T/$c-$size.pps")
		RES_W[$c-$size]=$(median <"$T/$c-$size.wcyc")
		RES_A[$c-$size]=$(median <"$T/$c-$size.acyc")
		RES_CP[$c-$size]=$(median <"$T/$c-$size.copies")
	done
done

mpps() { [ -n "$1" ] && awk -v p="$1" 'BEGIN { printf "%.2f", p / 1e6 }' || echo "-"; }
# ratio X Y SIZE: the median of the runs' X/Y, and their range.
ratio() {
	awk -v x="$1" -v y="$2" -v s="$3" '$1 == s && $3 == x { a[$2] = $4 } $1 == s && $3 == y { b[$2] = $4 }
		END { for (r in a) if (b[r]) print a[r] / b[r] }' "$T/all" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) printf "%.2fx (%.2f-%.2f)", v[int((NR + 1) / 2)], v[1], v[NR]; else printf "-" }'
}
# goal X Y MIN: whether the median of X/Y is MIN or more, at both sizes.
goal() {
	local s m
	for s in 64 1500; do
		m=$(ratio "$1" "$2" $s)
		awk -v m="${m%%x*}" -v g="$3" 'BEGIN { exit !(m >= g) }' && echo "met at $s B" || echo "NOT met at $s B"
	done | paste -sd, - | sed 's/,/, /'
}
declare -A NAME=(
	[a]="(a) p0 -> SF B exclusive queue (zc_rxdrop loop)"
	[b]="(b) p0 -> SF B memif -> DPDK rxonly"
	[c]="(c) (a) + single tap on p0 queue 0"
	[d]="(d) p0 -> SF B excl -> zc_fwd -> p0, loop"
	[e]="(e) (b) + single tap on SF B queue 1"
	[f]="(f) (b) with a zero-copy DPDK client"
)
echo
echo "zc_bench: $(nproc) cores, load average $LOAD before the runs, median of $RUNS runs of ${SECS} s," \
	"TSC $(awk -v h="$(get tsc_hz)" 'BEGIN { printf "%.2f", h / 1e9 }') GHz, $REPEATS measurements repeated (cores shared)"
echo "  core 0: zc_tester, one loop: DPDK memif server (p0's wire, txonly) + the receiving end (libsfnic queue or DPDK memif client)"
echo "  core 1: sfnicd --workers 1 --uplink memif (the whole process)"
echo "  order: $ORDER, every other run backwards"
printf '%-47s %14s %17s %14s %14s\n' "" "Mpps" "worker cyc/frame" "app cyc/frame" "copies/frame"
printf '%-47s %6s %7s %8s %8s %6s %7s %6s %7s\n' "case (medians)" "64 B" "1500 B" "64 B" "1500 B" "64 B" "1500 B" "64 B" "1500 B"
for c in $(tr ' ' '\n' <<<"$CASES" | sort); do
	printf '%-47s %6s %7s %8s %8s %6s %7s %6s %7s\n' "${NAME[$c]}" \
		"$(mpps "${RES_PPS[$c-64]}")" "$(mpps "${RES_PPS[$c-1500]}")" \
		"${RES_W[$c-64]}" "${RES_W[$c-1500]}" "${RES_A[$c-64]}" "${RES_A[$c-1500]}" \
		"${RES_CP[$c-64]}" "${RES_CP[$c-1500]}"
done
echo "copies/frame: made by sfnic per frame that entered p0, from its counters (exclusive queue's copied," \
	"SF B's pool allocations, memif S2C frames, p0's transmit copies); the DPDK memif client" \
	"in (b) and (e) adds one more into its mbuf; in zero-copy mode (f) and the libsfnic application none."
echo "Mpps of each run (the regimes):"
for size in 64 1500; do
	for r in $(seq "$RUNS"); do
		printf '  %4s B run %d:' "$size" "$r"
		for c in $(tr ' ' '\n' <<<"$CASES" | sort); do
			printf ' %s %6s' "$c" "$(awk -v s="$size" -v r="$r" -v c="$c" \
				'$1 == s && $2 == r && $3 == c { printf "%.2f", $4 / 1e6 }' "$T/all")"
		done
		echo
	done
done
has() { case " $CASES " in *" $1 "*) return 0 ;; esac; return 1; }
echo "ratios, median of the runs' (range), 64 B and 1500 B:"
has a && has b && echo "  a/b exclusive vs memif:        $(ratio a b 64), $(ratio a b 1500); goal >= 1.00x: $(goal a b 1)"
has a && has f && echo "  a/f exclusive vs zero-copy memif: $(ratio a f 64), $(ratio a f 1500)"
has c && has a && echo "  c/a p0 tapped vs not:          $(ratio c a 64), $(ratio c a 1500); goal >= 0.90x: $(goal c a 0.9)"
has e && has b && echo "  e/b SF B tapped vs not:        $(ratio e b 64), $(ratio e b 1500); goal >= 0.90x: $(goal e b 0.9)"
true
