# test_datapath.sh - replayed captures cross the eswitch exactly as the
# mode and the rules say, seen through captures, without root.

MK=tests/e2e/mkpcap.py
A=02:00:00:00:00:0a
B=02:00:00:00:00:0b

# pcap_lines FILE: one line per frame, "dst src [vlan N]" via tcpdump.
pcap_lines() { tcpdump -enr "$1" 2>/dev/null | awk '{ v=""; for (i=1;i<=NF;i++) if ($i=="vlan") v=" vlan " $(i+1); sub(",","",v); print $2, ">", $4 v }' | tr -d ','; }


test_switchdev_rules_and_misses() {
	daemon_start
	sf_active 88
	python3 $MK "$T/in.pcap" "$A,$B,tcp=80" "$A,$B,udp=53" "ff:ff:ff:ff:ff:ff,$B,arp"
	# No rule: every frame is a miss for p0's representor; nobody listens.
	sf replay p0 -r "$T/in.pcap" >/dev/null || fail replay
	sleep 0.3
	expect_eq "$(sf -j -s port show sfnic/sfnic0/65535 | jq '.port[].rep_stats.drops.no_consumer')" 3 "misses dropped at the uplink representor"
	expect_eq "$(sf -j -s port show sfnic/sfnic0/32768 | jq '.port[].stats.tx.packets')" 0 "nothing reaches the SF without a rule"
	# TCP/80 into the SF with VLAN 100 pushed; ARP mirrored to the SF, then dropped.
	sf filter add dev sfnic0np0 ingress prio 10 protocol ip flower ip_proto tcp dst_port 80 \
		action vlan push id 100 action mirred egress redirect dev sfnic0npf0sf88 || fail "filter add"
	sf filter add dev sfnic0np0 ingress prio 20 protocol arp flower \
		action mirred egress mirror dev sfnic0npf0sf88 action drop || fail "filter add arp"
	capture_bg pf0sf88 2 "$T/sf.pcap"
	capture_bg sfnic0np0 1 "$T/rep.pcap"
	sf replay p0 -r "$T/in.pcap" >/dev/null || fail replay
	wait_caps
	expect_eq "$(pcap_lines "$T/sf.pcap")" "$B > $A vlan 100
$B > ff:ff:ff:ff:ff:ff" "frames that left through the SF"
	expect_eq "$(pcap_lines "$T/rep.pcap")" "$B > $A" "the UDP miss went to p0's representor"
	expect_eq "$(sf -j -s filter show dev sfnic0np0 ingress | jq '[.[].options.actions[0].stats.packets]')" "[
  1,
  1
]" "per-rule packet counters"
	# Representor traffic leaves through its vport.
	capture_bg pf0sf88 1 "$T/sf2.pcap"
	python3 $MK "$T/one.pcap" "$A,$B,udp=7"
	sf replay sfnic0npf0sf88 -r "$T/one.pcap" >/dev/null || fail "replay into rep"
	wait_caps
	expect_eq "$(pcap_lines "$T/sf2.pcap")" "$B > $A" "sent into the representor, out of the SF"
	# Rules are durable: kill -9, restart, same rules, same behaviour.
	daemon_kill9
	daemon_start
	expect_eq "$(sf -j filter show dev sfnic0np0 ingress | jq length)" 2 "rules after kill -9"
	sf filter del dev sfnic0np0 ingress prio 10 || fail "filter del"
	expect_eq "$(sf -j filter show dev sfnic0np0 ingress | jq '.[].pref')" 20 "one rule left"
	inflight_zero
	daemon_stop
}

test_legacy_learning() {
	daemon_start --fdb-aging 1
	# Unknown unicast floods from the uplink to the PF; the PF's reply is
	# then switched back to the learned port only.
	python3 $MK "$T/a.pcap" "$B,$A,udp=1"
	python3 $MK "$T/b.pcap" "$A,$B,udp=2"
	capture_bg sfnic0 2 "$T/pf.pcap"
	sf replay p0 -r "$T/a.pcap" >/dev/null || fail replay
	sf replay sfnic0 -r "$T/b.pcap" >/dev/null || fail replay
	wait_caps
	expect_eq "$(pcap_lines "$T/pf.pcap")" "$A > $B
$B > $A" "PF saw the flood in and its reply out"
	expect_eq "$(sf -j -s port show sfnic/sfnic0/65535 | jq '.port[].stats.tx.packets')" 1 "reply switched to the uplink"
	inflight_zero
	daemon_stop
}

test_filter_errors() {
	daemon_start
	expect_err 'Error: Cannot find device "sfnic0np0".' sf filter add dev sfnic0np0 ingress flower action drop
	sf_active 7
	expect_err 'Error: Illegal "eth_type" for ip proto.' sf filter add dev sfnic0np0 ingress flower ip_proto tcp action drop
	expect_err 'Error: What is "bogus"?' sf filter add dev sfnic0np0 ingress flower bogus 1 action drop
	expect_err 'Error: Illegal "vlan_id".' sf filter add dev sfnic0np0 ingress protocol 802.1Q flower vlan_id 5000 action drop
	expect_err 'Error: bad action type frob.' sf filter add dev sfnic0np0 ingress flower action frob
	expect_err 'Error: Cannot find device "nope".' sf filter add dev sfnic0np0 ingress flower action mirred egress redirect dev nope
	sf filter add dev sfnic0np0 ingress prio 3 handle 9 flower action drop || fail add
	expect_err 'Error: Filter already exists.' sf filter add dev sfnic0np0 ingress prio 3 handle 9 flower action pass
	expect_err 'Error: Filter with specified priority/protocol not found.' sf filter del dev sfnic0np0 ingress prio 4
	# Deleting the SF removes the rules on its representor.
	sf filter add dev sfnic0npf0sf7 ingress flower action drop || fail "add on sf rep"
	sf port function set sfnic/sfnic0/32768 state inactive
	sf port del sfnic/sfnic0/32768 || fail "port del"
	expect_eq "$(sqlite3 "$T/state/sfnic.db" 'select count(*) from rule')" 1 "stored rules after SF deletion"
	daemon_stop
}

test_pcap_uplink() {
	# Rules first (they are durable), then a restart with the pcap uplink:
	# p0 receives in.pcap at start-up; what p0 transmits lands in out.pcap.
	daemon_start
	sf_active 88
	sf filter add dev sfnic0np0 ingress prio 1 protocol ip flower ip_proto udp dst_port 53 \
		action mirred egress redirect dev sfnic0npf0sf88 || fail "filter add p0"
	sf filter add dev sfnic0np0 ingress prio 2 protocol ip flower ip_proto tcp dst_port 80 \
		action vlan push id 7 action mirred egress redirect dev sfnic0np0 || fail "hairpin rule"
	sf filter add dev sfnic0npf0sf88 ingress prio 1 flower \
		action mirred egress redirect dev sfnic0np0 || fail "filter add sf"
	daemon_stop
	python3 $MK "$T/in.pcap" "$A,$B,udp=53" "$A,$B,tcp=80" "$A,$B,udp=9" "$A,$B,udp=53"
	daemon_start --uplink "pcap:rx=$T/in.pcap,tx=$T/out.pcap" || fail "daemon with pcap uplink"
	for _ in $(seq 100); do
		grep -q "4 frames received" "$T/sfnicd.log" && break
		sleep 0.05
	done
	grep -q "uplink pcap: 4 frames received from $T/in.pcap" "$T/sfnicd.log" || fail "rx file not replayed"
	sleep 0.3
	expect_eq "$(sf -j -s port show sfnic/sfnic0/65535 | jq '.port[].stats.rx.packets')" 4 "p0 received the file"
	# Nothing consumes the SF (no netdev here): the two DNS frames reach it and
	# are counted as dropped there.
	expect_eq "$(sf -j -s port show sfnic/sfnic0/32768 | jq '.port[].stats.drops.no_consumer')" 2 "DNS went to the SF"
	expect_eq "$(sf -j -s port show sfnic/sfnic0/65535 | jq '.port[].rep_stats.drops.no_consumer')" 1 "the miss"
	# What the SF sends leaves through the uplink into out.pcap.
	python3 $MK "$T/sf.pcap" "$B,$A,udp=1000"
	sf replay pf0sf88 -r "$T/sf.pcap" >/dev/null || fail "replay from the SF"
	sleep 0.3
	expect_eq "$(pcap_lines "$T/out.pcap")" "$B > $A vlan 7
$A > $B" "out.pcap while the daemon runs"
	daemon_stop
	grep -q "uplink pcap: 2 frames written to $T/out.pcap" "$T/sfnicd.log" || fail "close summary"
}

test_uplink_errors() {
	mkdir -p "$T/run" "$T/state"
	export SFNIC_RUN_DIR="$T/run" SFNIC_STATE_DIR="$T/state"
	out=$("$SFNICD" --uplink bogus 2>&1); rc=$?
	expect_eq "$rc" 2 "exit code for an unknown uplink"
	echo "$out" | grep -q 'uplink "bogus" is not supported (use null, afxdp:IFNAME\[@QUEUE\], afpacket:IFNAME, memif:PATH\[,id=N\]\[,secret=S\] or pcap:rx=IN.pcap,tx=OUT.pcap)' || fail "message: $out"
	out=$("$SFNICD" --uplink pcap:tx 2>&1)
	echo "$out" | grep -q 'uplink pcap: "tx" is not KEY=FILE' || fail "message: $out"
	out=$("$SFNICD" --uplink pcap:rx=a,rx=b 2>&1)
	echo "$out" | grep -q 'uplink pcap: rx given twice' || fail "message: $out"
	out=$("$SFNICD" --uplink "pcap:rx=$T/missing.pcap" 2>&1); rc=$?
	expect_eq "$rc" 1 "exit code for a missing capture"
	echo "$out" | grep -q "uplink pcap: $T/missing.pcap: No such file or directory" || fail "message: $out"
	# Nothing was left behind: the state directory is usable at once.
	daemon_start || fail "daemon after a failed start"
	daemon_stop
}

test_rules_change_under_traffic() {
	# Two workers.  Flow A (udp/53) is redirected to SF 88 by a rule that
	# never changes; while A and B (udp/54) are replayed at a steady rate,
	# rules for B come and go on new masks and prios (each change republishes
	# the tuple space and invalidates the EMC).  Every A frame must arrive.
	daemon_start --workers 2
	sf_active 88
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 89 >/dev/null || fail "port add 89"
	sf port function set sfnic/sfnic0/32769 state active || fail "activate 89"
	sf filter add dev sfnic0np0 ingress prio 5 protocol ip flower ip_proto udp dst_port 53 \
		action mirred egress redirect dev sfnic0npf0sf88 || fail "rule A"
	specs=()
	for _ in $(seq 1500); do specs+=("$A,$B,udp=53" "$A,$B,udp=54"); done
	python3 $MK "$T/mix.pcap" "${specs[@]}"
	# 1000/s: 3 s of traffic, room for rule rounds even with a slow
	# (sanitizer-built) CLI on a loaded machine.
	sf replay p0 -r "$T/mix.pcap" --rate 1000 >"$T/replay.out" &
	rp=$!
	churn=0
	while kill -0 $rp 2>/dev/null; do
		sf filter add dev sfnic0np0 ingress prio 1 protocol ip flower ip_proto udp dst_port 54 \
			src_ip 10.0.0.1 action mirred egress redirect dev sfnic0npf0sf89 || fail "churn add"
		sf filter add dev sfnic0np0 ingress prio 9 protocol ip flower dst_ip 10.0.0.0/8 \
			action drop || fail "churn add 2"
		sf filter del dev sfnic0np0 ingress prio 1 || fail "churn del"
		sf filter del dev sfnic0np0 ingress prio 9 || fail "churn del 2"
		churn=$((churn + 1))
	done
	wait $rp || fail "replay"
	grep -q "Actual: 3000 packets sent" "$T/replay.out" || fail "replay: $(cat "$T/replay.out")"
	[ "$churn" -ge 5 ] || fail "only $churn rule changes happened under traffic"
	sleep 0.3
	expect_eq "$(sf -j -s port show sfnic/sfnic0/32768 | jq '.port[].stats.drops.no_consumer')" 1500 "every A frame reached SF 88"
	expect_eq "$(sf -j -s filter show dev sfnic0np0 ingress | jq '.[] | select(.pref == 5) | .options.actions[0].stats.packets')" 1500 "rule A counted every A frame"
	expect_eq "$(sf -j -s port show sfnic/sfnic0/65535 | jq '.port[].stats.rx.packets')" 3000 "p0 received everything"
	echo "rule changes under traffic: $churn rounds of 4" >&2
	inflight_zero
	daemon_stop
}
