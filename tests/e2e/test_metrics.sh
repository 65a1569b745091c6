# test_metrics.sh - sfnicd --metrics (issue 14, part 3): the exposition
# checked by promtool and by shape, a real Prometheus (Debian's 2.42)
# scraping the daemon every second, PromQL through its HTTP API agreeing
# with what the CLI reports, and the HTTP endpoint's errors.
#
# Traffic: an SF's TAP netdev in a namespace pings a host that answers
# nowhere (a static neighbour), so every echo request leaves the SF,
# crosses a flower rule to p0 (the null uplink counts and drops it) and,
# with a tx_max on the SF's leaf, goes through the shaper.

D=sfnic/sfnic0
MPORT=19100     # sfnicd's /metrics (each root test has its own netns)
PPORT=19090     # Prometheus

# metrics_url PATH: curl's output for http://127.0.0.1:MPORT/PATH.
mget() { curl -s --max-time 5 "http://127.0.0.1:${MPORT}$1"; }

# One SF (88, port 32768) with its netdev in a namespace, a rule to p0,
# tx_max 50mbit; a second SF (89) left inactive.
metrics_setup() {
	daemon_start --metrics "127.0.0.1:$MPORT" || fail "daemon"
	sf dev eswitch set $D mode switchdev || fail "switchdev"
	sf port add $D flavour pcisf pfnum 0 sfnum 88 >/dev/null || fail "port add 88"
	sf port add $D flavour pcisf pfnum 0 sfnum 89 >/dev/null || fail "port add 89"
	sf port function set $D/32768 hw_addr 02:00:00:00:00:58 state active || fail "activate"
	ns_add mx$$
	ip link set sfnic0S88 netns mx$$ || fail "move sfnic0S88"
	# The rule first: every frame the SF ever sends matches it.
	sf filter add dev sfnic0npf0sf88 ingress prio 1 flower \
		action mirred egress redirect dev sfnic0np0 || fail "rule sf88 -> p0"
	# No IPv6 chatter: the SF sends the pings and nothing else.
	ip netns exec mx$$ sysctl -qw net.ipv6.conf.sfnic0S88.disable_ipv6=1
	ip -n mx$$ addr add 10.9.0.88/24 dev sfnic0S88
	ip -n mx$$ link set sfnic0S88 up
	ip -n mx$$ neigh replace 10.9.0.1 lladdr 02:00:00:00:00:01 dev sfnic0S88
	sf port function rate set $D/32768 tx_max 50mbit || fail "tx_max"
}

# pings N: N echo requests from the SF (nobody answers; 10 ms apart).
pings() { ip netns exec mx$$ ping -q -c "$1" -i 0.01 -W 0.1 10.9.0.1 >/dev/null 2>&1; true; }

# promql QUERY: the value of the query's single result ("" when none).
promql() {
	curl -s --max-time 5 -G "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r 'if .status == "success" then (.data.result[0].value[1] // "") else "error: \(.error)" end'
}

# promql_wait QUERY WANT [SECONDS]: until the query answers WANT (default 15 s).
promql_wait() {
	local got
	for _ in $(seq $((${3:-15} * 5))); do
		got=$(promql "$1")
		[ "$got" = "$2" ] && return 0
		sleep 0.2
	done
	fail "PromQL $1: got '$got', expected '$2'"
}

prometheus_start() {
	command -v prometheus >/dev/null || fail "prometheus is missing (scripts/deps.sh)"
	cat >"$T/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  evaluation_interval: 1s
	scrape_configs:
	  - job_name: sfnic
	    static_configs:
	      - targets: ['127.0.0.1:$MPORT']
	EOF
	prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
		--web.listen-address="127.0.0.1:$PPORT" >"$T/prometheus.log" 2>&1 &
	PROM=$!
	trap 'kill $PROM 2>/dev/null; wait $PROM 2>/dev/null; daemon_kill9; ns_cleanup' EXIT
	for _ in $(seq 100); do
		curl -sf "http://127.0.0.1:$PPORT/-/ready" >/dev/null 2>&1 && return 0
		kill -0 $PROM 2>/dev/null || break
		sleep 0.1
	done
	cat "$T/prometheus.log" >&2
	fail "prometheus did not come up"
}

test_metrics_prometheus_scrapes_sfnicd() {
	# Prometheus first: it applies new targets after 5 s, while we set up.
	need_root
	ip link set lo up
	prometheus_start
	metrics_setup
	promql_wait 'up{job="sfnic"}' 1
	pings 100
	# The page as Prometheus's own linter reads it.
	mget /metrics >"$T/m1.txt"
	if command -v promtool >/dev/null; then
		promtool check metrics <"$T/m1.txt" || fail "promtool check metrics"
	fi
	local cli_rx cli_rule sel
	cli_rx=$(sf -j -s port show $D/32768 | jq '.port[].stats.rx.packets')
	cli_rule=$(sf -j -s filter show dev sfnic0npf0sf88 ingress | jq '.[0].options.actions[0].stats.packets')
	[ "$cli_rx" -ge 100 ] || fail "the SF sent $cli_rx frames, expected at least 100"
	expect_eq "$cli_rule" "$cli_rx" "every frame the SF sent matched the rule"
	sel="port=\"$D/32768\",netdev=\"sfnic0npf0sf88\",side=\"vport\""
	grep -qxF "sfnic_port_rx_packets_total{$sel} $cli_rx" "$T/m1.txt" ||
		fail "/metrics: $(grep "^sfnic_port_rx_packets_total{$sel}" "$T/m1.txt"), CLI $cli_rx"
	# Through Prometheus: the stored sample equals the CLI's count ...
	promql_wait "sfnic_port_rx_packets_total{$sel}" "$cli_rx"
	promql_wait "sum(sfnic_queue_rx_packets_total{port=\"$D/32768\",side=\"vport\"})" "$cli_rx"
	promql_wait "sfnic_rule_packets_total{dev=\"sfnic0npf0sf88\",pref=\"1\"}" "$cli_rule"
	# ... SFs by state: 88 active and attached, 89 inactive.
	expect_eq "$(promql 'sum by (state) (sfnic_sfs{state="active"})')" 1 "active SFs"
	expect_eq "$(promql 'sum by (state) (sfnic_sfs{state="inactive"})')" 1 "inactive SFs"
	expect_eq "$(promql 'sfnic_sfs{state="active",opstate="attached"}')" 1 "attached SFs"
	# ... the shaper counted every frame it let out, tx_max in bytes/s.
	expect_eq "$(promql "sfnic_rate_tx_max_bytes_per_second{object=\"$D/32768\"}")" 6250000 "tx_max"
	promql_wait "sfnic_rate_sent_packets_total{object=\"$D/32768\"}" "$cli_rx"
	# ... and rates: frames sent while Prometheus watched (10 ms apart).
	pings 150
	local r
	r=$(promql "max_over_time(rate(sfnic_port_rx_packets_total{$sel}[3s])[20s:1s])")
	awk -v r="$r" 'BEGIN { exit !(r > 20 && r < 150) }' ||
		fail "rate() of the SF's frames: '$r' per second, expected about 90"
	expect_eq "$(promql 'sum(sfnic_health_reporter_state{state="error"})')" 0 "reporters in error"
	expect_eq "$(promql 'count(sfnic_health_reporter_state{reporter="fw",state="healthy"} == 1)')" 1 \
		"fw healthy"
	daemon_stop
}

test_metrics_http_shape_and_errors() {
	# Without root there is no namespace: a port of this test's own.
	[ "$(id -u)" = 0 ] && ip link set lo up
	[ "$(id -u)" = 0 ] || MPORT=$((20000 + $$ % 20000))
	expect_err 'sfnicd: --metrics: "0" is not [ADDR:]PORT (PORT 1-65535)' "$SFNICD" --metrics 0
	expect_err 'sfnicd: --metrics: "1.2.3.4:x" is not [ADDR:]PORT (PORT 1-65535)' \
		"$SFNICD" --metrics 1.2.3.4:x
	expect_err 'sfnicd: --metrics: "256.1.1.1": Name or service not known' \
		"$SFNICD" --metrics 256.1.1.1:80
	daemon_start --metrics "127.0.0.1:$MPORT" || fail "daemon"
	sf dev eswitch set $D mode switchdev || fail "switchdev"
	python3 tests/e2e/mkpcap.py "$T/in.pcap" "02:00:00:00:00:0a,02:00:00:00:00:0b,udp=53" \
		"02:00:00:00:00:0a,02:00:00:00:00:0b,udp=54" "02:00:00:00:00:0a,02:00:00:00:00:0b,udp=55"
	sf replay p0 -r "$T/in.pcap" >/dev/null || fail replay
	sleep 0.3
	local hdr
	hdr=$(curl -s -D - -o "$T/m.txt" "http://127.0.0.1:$MPORT/metrics" | tr -d '\r')
	echo "$hdr" | grep -qx 'HTTP/1.1 200 OK' || fail "status: $hdr"
	echo "$hdr" | grep -qx 'Content-Type: text/plain; version=0.0.4; charset=utf-8' ||
		fail "content type: $hdr"
	echo "$hdr" | grep -qx "Content-Length: $(stat -c %s "$T/m.txt")" || fail "length: $hdr"
	# Shape: every sample's family has one HELP and one TYPE line before
	# it, names are sfnic_*, counters end in _total, the page ends in \n.
	awk '
		/^# HELP / { if (help[$3]++) { print "second HELP " $3; bad = 1 }; next }
		/^# TYPE / { if (type[$3]) { print "second TYPE " $3; bad = 1 }; type[$3] = $4
			     if ($4 == "counter" && $3 !~ /_total$/) { print "counter " $3; bad = 1 }; next }
		/^#/ { next }
		{ n = $1; sub(/\{.*/, "", n)
		  if (n !~ /^sfnic_[a-z0-9_]+$/) { print "name " n; bad = 1 }
		  if (!type[n] || !help[n]) { print "no HELP/TYPE before " n; bad = 1 }
		  if (NF < 2 || $NF !~ /^[0-9.e+-]+$/) { print "value: " $0; bad = 1 } }
		END { exit bad }' "$T/m.txt" || fail "exposition shape"
	[ "$(tail -c 1 "$T/m.txt" | od -An -c | tr -d ' ')" = '\n' ] || fail "last line unterminated"
	grep -qxF "sfnic_port_rx_packets_total{port=\"$D/65535\",netdev=\"sfnic0np0\",side=\"vport\"} 3" \
		"$T/m.txt" || fail "p0 rx: $(grep '^sfnic_port_rx_packets_total' "$T/m.txt")"
	grep -qxF "sfnic_port_dropped_packets_total{port=\"$D/65535\",netdev=\"sfnic0np0\",side=\"representor\",reason=\"no_consumer\"} 3" \
		"$T/m.txt" || fail "misses dropped at p0's representor"
	grep -q '^sfnic_page_pool_alloc_fast_total{port="sfnic/sfnic0/65535",netdev="sfnic0np0",side="vport",queue="0"} [1-9]' \
		"$T/m.txt" || fail "p0's page pool"
	# Other paths and methods.
	expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/")" 404 "GET /"
	expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/metricsx")" 404 "/metricsx"
	expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$MPORT/metrics")" 405 "POST"
	expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -I "http://127.0.0.1:$MPORT/metrics")" 200 "HEAD"
	expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" \
		"http://127.0.0.1:$MPORT/metrics")" 431 "an 9 KB header"
	# A client that connects and says nothing holds nothing up: the CLI and
	# other scrapes are served meanwhile; so are 40 connections at once.
	exec {idle}<>/dev/tcp/127.0.0.1/$MPORT
	sf dev show >/dev/null || fail "the CLI while a scrape connection idles"
	for i in $(seq 40); do exec {c}<>/dev/tcp/127.0.0.1/$MPORT; eval "c$i=$c"; done
	for i in $(seq 40); do eval "exec {c$i}>&-"; done
	expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/metrics")" 200 \
		"a scrape beside an idle connection"
	exec {idle}>&-
	# The address is taken: a second daemon (its own state) says so.
	mkdir -p "$T/b"
	SFNIC_RUN_DIR="$T/b/run" SFNIC_STATE_DIR="$T/b/state" "$SFNICD" --netdevs off \
		--metrics "127.0.0.1:$MPORT" 2>"$T/b.log" && fail "a second daemon on the same port"
	grep -qF "sfnicd: --metrics: cannot listen on 127.0.0.1:$MPORT: Address already in use" "$T/b.log" ||
		fail "second daemon: $(cat "$T/b.log")"
	daemon_stop
}

# ---- sfnic top (issue 14, part 5) ----

# top_traffic: switchdev, SF 88 active, a rule p0 -> SF; two loops replay
# 1000-byte frames into p0 and 64-byte frames into the SF until the test
# ends, 100 a call, side by side: however fast a busy machine runs them,
# p0 carries the most bits, then the SF, and nothing else moves.
top_traffic() {
	daemon_start --netdevs off || fail "daemon"
	sf_active 88
	sf filter add dev sfnic0np0 ingress prio 10 protocol ip flower ip_proto udp \
		action mirred egress redirect dev sfnic0npf0sf88 || fail "rule"
	local i a=() b=()
	for i in $(seq 100); do
		a+=("02:00:00:00:00:0a,02:00:00:00:00:0b,udp=1,len=1000")
		b+=("02:00:00:00:00:0b,02:00:00:00:00:0a,udp=4")
	done
	python3 tests/e2e/mkpcap.py "$T/big.pcap" "${a[@]}"
	python3 tests/e2e/mkpcap.py "$T/small.pcap" "${b[@]}"
	(while :; do "$SFNIC" replay p0 -r "$T/big.pcap" >/dev/null 2>&1; sleep 0.01; done) &
	TRAFFIC=$!
	(while :; do "$SFNIC" replay pf0sf88 -r "$T/small.pcap" >/dev/null 2>&1; sleep 0.01; done) &
	TRAFFIC="$TRAFFIC $!"
	trap 'kill $TRAFFIC 2>/dev/null; tmux -L "sfnic-top-$$" kill-server 2>/dev/null; daemon_kill9; ns_cleanup' EXIT
}

# ports_sorted FILE: the PORTS table's rows (PORT SIDE RXpps RXbit TXpps
# TXbit), and fails unless RX+TX bit/s never grows down the table.
ports_sorted() {
	awk '
		function num(s) { m = 1; if (s ~ /K$/) m = 1e3; else if (s ~ /M$/) m = 1e6; else if (s ~ /G$/) m = 1e9
				  sub(/[KMG]$/, "", s); return s * m }
		/^PORTS/ { on = 1; next }
		on && /^PORT / { next }
		on && NF < 9 { on = 0 }
		on { v = num($6) + num($8); print $1, $3, $5, $6, $7, $8
		     if (n++ && v > last) { print "NOT SORTED at " $1 " " $3; bad = 1 }; last = v }
		END { exit bad }' "$1"
}

test_top_live_view_under_tmux_and_batch() {
	command -v tmux >/dev/null || fail "tmux is missing (scripts/deps.sh)"
	top_traffic
	tmux -L "sfnic-top-$$" new-session -d -s top -x 160 -y 45 \
		"$SFNIC top -d 1; echo \$? >$T/top.rc" || fail "tmux"
	local ok=
	for _ in $(seq 120); do
		sleep 0.25
		tmux -L "sfnic-top-$$" capture-pane -p -t top >"$T/screen.txt" 2>/dev/null || continue
		# A frame with rates: p0's vport first, the SF's second, both
		# with frames per second, the table sorted.
		ports_sorted "$T/screen.txt" >"$T/rows.txt" 2>&1 || continue
		head -1 "$T/rows.txt" | grep -q "^sfnic/sfnic0/65535 vport [1-9]" &&
			sed -n 2p "$T/rows.txt" | grep -q "^sfnic/sfnic0/32768 vport [1-9]" && { ok=1; break; }
	done
	[ -n "$ok" ] || { cat "$T/screen.txt" "$T/rows.txt" >&2; fail "no sorted frame with p0, then the SF"; }
	grep -q '^sfnic top - [0-9:]*, every 1.0 s' "$T/screen.txt" || fail "header: $(head -2 "$T/screen.txt")"
	grep -q '^SFs: 1, 1 active, 1 attached ' "$T/screen.txt" || fail "SF line"
	grep -q '^sfnic0np0 .* 0x1 *[1-9][0-9.]*K\? ' "$T/screen.txt" || fail "the rule's pkt/s"
	grep -q '^sfnic/sfnic0/65535 *vport *0 *[1-9]' "$T/screen.txt" || fail "p0's pool alloc/s"
	# q ends it, with status 0, and the terminal gets its screen back.
	tmux -L "sfnic-top-$$" send-keys -t top q
	for _ in $(seq 50); do
		tmux -L "sfnic-top-$$" has-session -t top 2>/dev/null || break
		sleep 0.1
	done
	tmux -L "sfnic-top-$$" has-session -t top 2>/dev/null && fail "q did not end sfnic top"
	expect_eq "$(cat "$T/top.rc")" 0 "sfnic top's exit status"
	# Batch mode (-b): frames one after another, for scripts.
	sf top -b -n 3 -d 1 >"$T/top.txt" || fail "sfnic top -b"
	expect_eq "$(grep -c '^sfnic top - ' "$T/top.txt")" 3 "three frames"
	grep -q $'\033' "$T/top.txt" && fail "control sequences in batch output"
	# The first frame has no rates yet; the last is sorted, traffic on top.
	csplit -s -f "$T/frame" "$T/top.txt" '/^sfnic top - /' '{2}' || fail csplit
	grep -q '^sfnic/sfnic0/65535 *sfnic0np0 *vport *- *- *- *- *- *-$' "$T/frame01" ||
		fail "first frame: $(grep 65535 "$T/frame01")"
	ports_sorted "$T/frame03" >"$T/rows.txt" || { cat "$T/frame03" >&2; fail "last frame not sorted"; }
	head -1 "$T/rows.txt" | grep -q "^sfnic/sfnic0/\(65535\|32768\) vport [1-9]" ||
		fail "last frame: $(head -3 "$T/rows.txt")"
	# Every port side of port show is a row (3 ports, 2 sides each).
	expect_eq "$(wc -l <"$T/rows.txt")" 6 "rows"
	expect_err 'Invalid delay "0": seconds from 0.1 to 3600' sf top -d 0
	expect_err 'Invalid iteration count "x"' sf top -n x
	expect_err 'Option "-x" is unknown: sfnic top [ -b ] [ -d SECS ] [ -n ITERATIONS ]' sf top -x
	kill $TRAFFIC
	daemon_stop
}
