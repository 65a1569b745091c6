#!/bin/bash
# bench/sf_scale.sh - SF scale: add + activate N SFs with `sfnic -b` until all
# are attached; time per SF and daemon RSS per SF; then delete all and show
# that RSS returns near its start.  Medians of RUNS runs.
#
#   bench/sf_scale.sh [N...]        default: 1000 10000; RUNS=5
#
# No side-by-side anchor is possible here: the real thing (mlx5 SFs through
# firmware commands) needs a ConnectX card, and netdevsim, the kernel's
# simulated devlink device, has no SF ports and cannot be loaded on these
# machines.  --netdevs off: this measures the devlink model; with netdevs
# (root) every SF also costs a TAP for its netdev and one for its
# representor.  The goals come from the issue: 10,000 SFs attached in < 2 s,
# < 8 KiB RSS per idle SF.
cd "$(dirname "$0")/.." || exit 1
BIN=${BIN:-build}
RUNS=${RUNS:-5}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
now() { date +%s%N; }

echo "machine: $(nproc) CPUs, $(awk -F: '/model name/ { print $2; exit }' /proc/cpuinfo | sed 's/^ *//'), kernel $(uname -r)"
printf '%-7s %-5s %12s %12s %12s %12s %10s %10s\n' N run "total_ms" "us_per_SF" "rss_base_KiB" "KiB_per_SF" "rss_del_KiB" "del_ms"
for n in "${sizes[@]}"; do
	for i in $(seq "$n"); do
		echo "port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum $i"
		printf 'port function set sfnic/sfnic0/%d state active\n' $((32768 + i - 1 + (32768 + i - 1 >= 65535)))
	done >/tmp/sfnic-bench-add.$n
	for i in $(seq "$n"); do
		printf 'port del sfnic/sfnic0/%d\n' $((32768 + i - 1 + (32768 + i - 1 >= 65535)))
	done >/tmp/sfnic-bench-del.$n
	: >/tmp/sfnic-bench-res.$n
	for run in $(seq "$RUNS"); do
		T=$(mktemp -d /tmp/sfnic-bench.XXXXXX)
		export SFNIC_RUN_DIR=$T/run SFNIC_STATE_DIR=$T/state
		"$BIN/sfnicd" --netdevs off 2>"$T/log" &
		pid=$!
		until "$BIN/sfnic" dev show >/dev/null 2>&1; do sleep 0.02; done
		"$BIN/sfnic" dev eswitch set sfnic/sfnic0 mode switchdev
		"$BIN/sfnic" resource set sfnic/sfnic0 path /max_local_SFs size 65536
		"$BIN/sfnic" dev reload sfnic/sfnic0
		base=$(rss $pid)
		t0=$(now)
		"$BIN/sfnic" -b /tmp/sfnic-bench-add.$n >/dev/null || { echo "add failed"; exit 1; }
		t1=$(now)
		full=$(rss $pid)
		attached=$("$BIN/sfnic" port show -j | jq '[.port[] | select(.function.opstate == "attached")] | length')
		[ "$attached" = "$n" ] || { echo "only $attached of $n attached"; exit 1; }
		sleep 1.5 # the daemon trims its heap after 1 s idle
		t2=$(now)
		"$BIN/sfnic" -b /tmp/sfnic-bench-del.$n >/dev/null || { echo "del failed"; exit 1; }
		t3=$(now)
		sleep 1.5
		after=$(rss $pid)
		kill $pid; wait $pid
		rm -rf "$T"
		total_ms=$(( (t1 - t0) / 1000000 ))
		us=$(( (t1 - t0) / 1000 / n ))
		per=$(awk -v a="$full" -v b="$base" -v n="$n" 'BEGIN { printf "%.2f", (a - b) / n }')
		printf '%-7s %-5s %12s %12s %12s %12s %10s %10s\n' "$n" "$run" "$total_ms" "$us" "$base" "$per" "$after" $(( (t3 - t2) / 1000000 ))
		echo "$total_ms $us $per $base $after" >>/tmp/sfnic-bench-res.$n
	done
	printf '%-7s %-5s %12s %12s %12s %12s %10s\n' "$n" median \
		"$(cut -d' ' -f1 /tmp/sfnic-bench-res.$n | median)" \
		"$(cut -d' ' -f2 /tmp/sfnic-bench-res.$n | median)" \
		"$(cut -d' ' -f4 /tmp/sfnic-bench-res.$n | median)" \
		"$(cut -d' ' -f3 /tmp/sfnic-bench-res.$n | median)" \
		"$(cut -d' ' -f5 /tmp/sfnic-bench-res.$n | median)"
done
