#!/bin/bash
# bench/idle_cpu.sh - CPU the daemon uses while nothing happens: sfnicd with
# W workers and 16 active SFs in switchdev mode, first idle, then right after
# a burst of traffic (the workers must go back to sleep), each over SECONDS.
# Reports the daemon's CPU time as a percentage of one core and its threads'
# context switches per second (wakeups), medians of RUNS.
#
#   bench/idle_cpu.sh [SECONDS]      default 10; WORKERS=2 RUNS=3
#
# The anchor is a plain `sleep` process measured the same way over the same
# interval: what "nothing" costs on this machine.
if [ "$(id -u)" = 0 ] && [ -z "$SFNIC_BENCH_NETNS" ]; then
	# As root every SF brings two TAP netdevs: keep them out of the host's view.
	SFNIC_BENCH_NETNS=1 exec unshare -n -- "$0" "$@"
fi
cd "$(dirname "$0")/.." || exit 1
BIN=${BIN:-build}
SECS=${1:-10}
RUNS=${RUNS:-3}
WORKERS=${WORKERS:-2}
T=$(mktemp -d /tmp/sfnic-idle.XXXXXX)
trap 'kill $DPID 2>/dev/null; rm -rf "$T"' EXIT
export SFNIC_RUN_DIR=$T/run SFNIC_STATE_DIR=$T/state

# CPU time of all the process's threads, in ns (schedstat: exact, not ticks).
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%d\n", s }'; }
switches() { cat /proc/"$1"/task/*/status | awk '/ctxt_switches/ { s += $2 } END { print s }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# measure PID: "cpu_percent wakeups_per_s" over SECS
measure() {
	local t0 s0 t1 s1
	t0=$(cpu_ns "$1"); s0=$(switches "$1")
	sleep "$SECS"
	t1=$(cpu_ns "$1"); s1=$(switches "$1")
	awk -v t=$((t1 - t0)) -v s=$((s1 - s0)) -v d="$SECS" \
		'BEGIN { printf "%.4f %.1f\n", 100 * t / 1e9 / d, s / d }'
}

"$BIN/sfnicd" --workers "$WORKERS" 2>"$T/log" &
DPID=$!
for _ in $(seq 200); do "$BIN/sfnic" dev show >/dev/null 2>&1 && break; sleep 0.02; done
"$BIN/sfnic" dev eswitch set sfnic/sfnic0 mode switchdev
for i in $(seq 16); do
	echo "port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum $i"
	echo "port function set sfnic/sfnic0/$((32767 + i)) state active"
done | "$BIN/sfnic" -b - >/dev/null
active=$("$BIN/sfnic" -j port show | jq '[.port[] | select(.function.state == "active")] | length')
[ "$active" = 16 ] || { echo "setup failed: $active active SFs" >&2; exit 1; }
python3 tests/e2e/mkpcap.py "$T/in.pcap" $(for i in $(seq 64); do echo "02:00:00:00:00:0a,02:00:00:00:00:0b,udp=$i"; done)

echo "machine: $(nproc) CPUs, $(awk -F: '/model name/ { print $2; exit }' /proc/cpuinfo | sed 's/^ *//'), kernel $(uname -r)"
echo "sfnicd --workers $WORKERS, 16 active SFs, switchdev$( [ "$(id -u)" = 0 ] && echo ', with their 34 TAP netdevs'); $SECS s per run, median of $RUNS"
for what in idle after-traffic sleep-anchor; do
	: >"$T/r"
	for _ in $(seq "$RUNS"); do
		case $what in
		idle) measure $DPID >>"$T/r" ;;
		after-traffic)
			for _ in $(seq 20); do "$BIN/sfnic" replay p0 -r "$T/in.pcap" >/dev/null; done
			sleep 0.1
			measure $DPID >>"$T/r" ;;
		sleep-anchor)
			sleep 3600 & SP=$!
			measure $SP >>"$T/r"
			kill $SP ;;
		esac
	done
	printf '%-14s cpu %8s%% of a core   wakeups %6s/s\n' "$what" \
		"$(awk '{ print $1 }' "$T/r" | median)" "$(awk '{ print $2 }' "$T/r" | median)"
done
