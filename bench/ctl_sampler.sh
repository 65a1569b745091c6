#!/bin/bash
# bench/ctl_sampler.sh - the device's counter sampler (issue 11) as a client
# sees it: `sfnicctl counters p0 --rate HZ --duration 1` at several rates,
# with the port idle and while frames are replayed into it, RUNS times each.
# Prints per rate and load the medians (and ranges) of the achieved rate,
# the samples taken a period or more late (made up after the sampler thread
# was preempted), the deadlines skipped, the median and p99 of the sample
# intervals and the worst lateness, from the tool's JSON report.
#
# The anchor is the request itself: achieved / requested, and the p99
# interval against the period.  Nothing is pinned: sfnicd's worker, its
# control thread, the sampler thread (which spins at these rates, so it
# costs a core while it runs), the replaying `sfnic` and the draining
# `sfnicctl` share the 2 cores as the scheduler places them, which is how
# a user runs it.
#
#   bench/ctl_sampler.sh [-n RUNS] [RATE...]     (default 5 runs; 10000 100000 200000)
#   BIN selects the build (default build).
cd "$(dirname "$0")/.." || exit 1
RUNS=5
while getopts n: o; do
	case $o in
	n) RUNS=$OPTARG ;;
	*) sed -n '2,/^cd /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
RATES=${*:-10000 100000 200000}
BIN=${BIN:-build}
for f in sfnicd sfnic sfnicctl; do
	[ -x "$BIN/$f" ] || { echo "$BIN/$f is missing: make" >&2; exit 1; }
done
command -v jq >/dev/null || { echo "needs jq" >&2; exit 1; }
T=$(mktemp -d /tmp/ctl-sampler.XXXXXX)
DPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID"; rm -rf "$T"' EXIT
export SFNIC_RUN_DIR=$T/run SFNIC_STATE_DIR=$T/state
mkdir -p "$T/run"
"$BIN/sfnicd" --netdevs off 2>"$T/sfnicd.log" &
DPID=$!
for _ in $(seq 50); do [ -S "$T/run/sfnicctl.sock" ] && break; sleep 0.1; done
[ -S "$T/run/sfnicctl.sock" ] || { echo "sfnicd did not start: $(cat "$T/sfnicd.log")" >&2; exit 1; }
# The replay's frames are dropped at p0 (no rule): the sampler reads
# counters that move, the worker does the work of every frame.
# shellcheck disable=SC2046
python3 tests/e2e/mkpcap.py "$T/in.pcap" $(for _ in $(seq 2000); do
	echo "02:00:00:00:00:01,02:00:00:00:00:02,udp=4000"; done) || exit 1

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
range() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s..%s", lo, hi }'; }

run_one() {     # RATE LOAD -> one JSON report in $T/r.json
	local rate=$1 load=$2 lp=
	if [ "$load" = traffic ]; then
		(while :; do "$BIN/sfnic" replay p0 -r "$T/in.pcap" --rate 50000 >/dev/null 2>&1 || break; done) &
		lp=$!
		sleep 0.2
	fi
	"$BIN/sfnicctl" -j counters p0 --rate "$rate" --duration 1 >"$T/r.json" 2>"$T/r.err"
	local rc=$?
	if [ -n "$lp" ]; then
		kill "$lp" 2>/dev/null
		wait "$lp" 2>/dev/null
	fi
	[ $rc -eq 0 ] || { echo "sfnicctl counters failed: $(cat "$T/r.err")" >&2; exit 1; }
}

printf '%-8s %-8s %-22s %-16s %-10s %-12s %-14s %s\n' rate load "achieved Hz (range)" "late % (range)" missed \
	"median us" "p99 us" "worst late us"
for rate in $RATES; do
	for load in idle traffic; do
		: >"$T/rows"
		for _ in $(seq "$RUNS"); do
			run_one "$rate" "$load"
			jq -r '[.achieved_hz, (.late * 100 / (if .samples > 0 then .samples else 1 end)),
				.missed, .interval_median_ns / 1000, .interval_p99_ns / 1000,
				.max_late_ns / 1000] | @tsv' "$T/r.json" >>"$T/rows"
		done
		col() { cut -f"$1" "$T/rows"; }
		printf '%-8s %-8s %-22s %-16s %-10s %-12s %-14s %s\n' "$rate" "$load" \
			"$(col 1 | median | xargs printf %.0f) ($(col 1 | xargs printf '%.0f\n' | range))" \
			"$(col 2 | median | xargs printf %.2f) ($(col 2 | xargs printf '%.2f\n' | range))" \
			"$(col 3 | median)" "$(col 4 | median | xargs printf %.2f)" \
			"$(col 5 | median | xargs printf %.2f)" "$(col 6 | median | xargs printf %.0f)"
	done
done
