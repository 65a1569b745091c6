# test_flower_action.sh - tc's actions on the eswitch (issue 13): header
# rewrite and checksums, control verbs, police, mirred ingress, filter
# replace and handles, tc's errors.  Frames are replayed into p0 and
# captured where they leave; what leaves is compared byte for byte with a
# frame built independently (tests/e2e/actpkt.py, its own checksums).

PK=tests/e2e/actpkt.py
A=02:00:00:00:00:0a
B=02:00:00:00:00:0b
SF=sfnic0npf0sf88       # SF 88's representor (port 32768)
P0=sfnic0np0            # the uplink's representor

# through SPEC EXPECTED_SPEC WHAT: replays one frame built from SPEC into p0,
# captures what leaves SF 88 and compares it with the frame EXPECTED_SPEC
# builds, byte for byte, and checks its checksums independently.
through() {
	python3 $PK gen "$T/in.pcap" "$1"
	python3 $PK gen "$T/want.pcap" "$2"
	capture_bg pf0sf88 1 "$T/out.pcap"
	sf replay p0 -r "$T/in.pcap" >/dev/null || fail "replay"
	wait_caps
	expect_eq "$(python3 $PK hex "$T/out.pcap")" "$(python3 $PK hex "$T/want.pcap")" "$3: the frame that left"
	expect_eq "$(python3 $PK csum "$T/out.pcap")" "$(python3 $PK csum "$T/want.pcap")" "$3: its checksums"
}

# stats PREF ORDER FIELD: an action's counter from `filter show -s` JSON.
stats() {
	sf -j -s filter show dev $P0 ingress | jq ".[] | select(.pref == $1) | .options.actions[$(($2 - 1))].stats.$3"
}

test_flower_action_pedit_csum() {
	daemon_start
	sf_active 88
	# OVS's header rewrite: MACs, TTL, address and port, then csum, then out.
	sf filter add dev $P0 ingress prio 1 protocol ip flower ip_proto udp \
		action pedit ex munge eth dst set 02:00:00:00:00:99 munge eth src set 02:00:00:00:00:98 \
		munge ip ttl decrement munge ip dst set 10.1.1.1 munge udp dport set 5353 pipe \
		action csum iph and udp pipe action mirred egress redirect dev $SF || fail "pedit rule"
	through "udp4,len=100" "udp4,len=100,dst=02:00:00:00:00:99,src=02:00:00:00:00:98,ttl=63,dip=10.1.1.1,dport=5353" "ipv4/udp rewrite"
	expect_eq "$(stats 1 1 packets),$(stats 1 2 packets),$(stats 1 3 packets)" "1,1,1" "each action ran once"
	expect_eq "$(stats 1 1 bytes)" 100 "pedit's bytes"
	# The text as tc prints pedit's keys.
	sf filter show dev $P0 ingress >"$T/show.txt"
	grep -qxF "	 key #0  at eth+0: val 02000000 mask 00000000" "$T/show.txt" || fail "key #0: $(cat "$T/show.txt")"
	grep -qxF "	 key #1  at eth+4: val 00990000 mask 0000ffff" "$T/show.txt" || fail "key #1"
	grep -qxF "	 key #2  at eth+4: val 00000200 mask ffff0000" "$T/show.txt" || fail "key #2 (eth src)"
	grep -qxF "	 key #3  at eth+8: val 00000098 mask 00000000" "$T/show.txt" || fail "key #3"
	grep -qxF "	 key #4  at ipv4+8: add ff000000 mask 00ffffff" "$T/show.txt" || fail "key #4 (ttl decrement)"
	grep -qxF "	 key #6  at udp+0: val 000014e9 mask ffff0000" "$T/show.txt" || fail "key #6 (udp dport)"
	grep -qxF "	action order 2: csum (iph, udp) action pipe" "$T/show.txt" || fail "csum line"
	expect_eq "$(sf -j filter show dev $P0 ingress | jq -c '.[0].options.actions[0].keys[4]')" \
		'{"htype":"ipv4","offset":8,"cmd":"add","val":"ff000000","mask":"00ffffff"}' "pedit key JSON"
	# IPv6 and TCP: addresses are four keys, hop limit decrements.
	sf filter add dev $P0 ingress prio 2 protocol ipv6 flower ip_proto tcp \
		action pedit ex munge ip6 dst set 2001:db8::99 munge ip6 hoplimit decrement \
		munge tcp sport set 4000 pipe action csum tcp pipe \
		action mirred egress redirect dev $SF || fail "ipv6 rule"
	through "tcp6,len=90" "tcp6,len=90,dip=2001:db8::99,ttl=63,sport=4000" "ipv6/tcp rewrite"
	# ICMP: the IPv4 source and TOS (add), ICMP's checksum needs no pseudo header.
	sf filter add dev $P0 ingress prio 3 protocol ip flower ip_proto icmp \
		action pedit ex munge ip src set 192.168.7.7 munge ip tos add 8 pipe \
		action csum iph and icmp pipe action mirred egress redirect dev $SF || fail "icmp rule"
	through "icmp4,len=80,tos=4" "icmp4,len=80,tos=12,sip=192.168.7.7" "icmp rewrite"
	# Without csum the rewritten frame keeps its old checksums: csum is what fixes them.
	sf filter add dev $P0 ingress prio 4 protocol ipv6 flower ip_proto udp \
		action pedit ex munge ip6 src set 2001:db8::77 pipe action mirred egress redirect dev $SF || fail "no csum rule"
	python3 $PK gen "$T/in.pcap" "udp6,len=80"
	capture_bg pf0sf88 1 "$T/out.pcap"
	sf replay p0 -r "$T/in.pcap" >/dev/null || fail replay
	wait_caps
	expect_eq "$(python3 $PK csum "$T/out.pcap")" "ip=none l4=bad" "pedit alone leaves the UDP checksum stale"
	# pedit's default verdict is pass, as tc's: the frame goes to the representor.
	sf filter add dev $P0 ingress prio 5 protocol ip flower ip_proto tcp \
		action pedit ex munge ip ttl set 5 action mirred egress redirect dev $SF || fail "pass rule"
	python3 $PK gen "$T/in.pcap" "tcp4"
	capture_bg $P0 1 "$T/rep.pcap"
	sf replay p0 -r "$T/in.pcap" >/dev/null || fail replay
	wait_caps
	expect_eq "$(python3 $PK hex "$T/rep.pcap" | cut -c 45-46)" "05" "TTL 5, delivered to p0's representor"
	expect_eq "$(stats 5 2 packets)" 0 "the mirred after a pass never ran"
	# Kept across kill -9, keys and all.
	daemon_kill9
	daemon_start
	expect_eq "$(sf -j filter show dev $P0 ingress | jq '[.[].options.actions[0].nkeys]' | tr -d ' \n')" "[7,6,2,4,1]" "pedit keys after kill -9"
	through "udp4,len=100" "udp4,len=100,dst=02:00:00:00:00:99,src=02:00:00:00:00:98,ttl=63,dip=10.1.1.1,dport=5353" "after restart"
	inflight_zero
	daemon_stop
}

test_flower_action_control_verbs() {
	daemon_start --workers 2
	sf_active 88
	# continue: the next pref of the chain classifies the rewritten frame.
	sf filter add dev $P0 ingress prio 1 protocol ip flower ip_proto udp \
		action pedit ex munge ip ttl set 10 continue || fail "continue rule"
	sf filter add dev $P0 ingress prio 2 protocol ip flower ip_proto udp \
		action csum iph pipe action mirred egress redirect dev $SF || fail "prio 2"
	through "udp4" "udp4,ttl=10" "continue to the next pref"
	# reclassify: chain 0 again, where another rule takes the rewritten frame.
	sf filter add dev $P0 ingress prio 3 flower dst_mac 02:00:00:00:00:c1 \
		action pedit ex munge eth dst set 02:00:00:00:00:c2 pipe action reclassify || fail "reclassify rule"
	sf filter add dev $P0 ingress prio 4 flower dst_mac 02:00:00:00:00:c2 \
		action mirred egress redirect dev $SF || fail "prio 4"
	through "tcp4,dst=02:00:00:00:00:c1" "tcp4,dst=02:00:00:00:00:c2" "reclassify"
	expect_eq "$(stats 3 2 packets),$(stats 4 1 packets)" "1,1" "reclassify and its second hit"
	# A rule that reclassifies forever: 16 times, then the frame is dropped.
	sf filter add dev $P0 ingress prio 5 flower dst_mac 02:00:00:00:00:c3 action reclassify || fail "loop rule"
	python3 $PK gen "$T/in.pcap" "tcp4,dst=02:00:00:00:00:c3"
	sf replay p0 -r "$T/in.pcap" >/dev/null || fail replay
	sleep 0.3
	expect_eq "$(stats 5 1 packets)" 17 "hits of the looping rule"
	expect_eq "$(sf -j -s port show sfnic/sfnic0/65535 | jq '.port[].stats.drops.loop')" 1 "dropped after 16 reclassifies"
	# goto chain and pipe: a pipe list that ends passes to the representor.
	sf filter add dev $P0 ingress prio 6 flower dst_mac 02:00:00:00:00:c4 \
		action pedit ex munge eth src set 02:00:00:00:00:55 pipe action goto chain 7 || fail "goto rule"
	sf filter add dev $P0 ingress chain 7 prio 1 flower src_mac 02:00:00:00:00:55 \
		action pedit ex munge ip ttl set 7 pipe action pipe || fail "chain 7 rule"
	python3 $PK gen "$T/in.pcap" "tcp4,dst=02:00:00:00:00:c4"
	python3 $PK gen "$T/want.pcap" "tcp4,dst=02:00:00:00:00:c4,src=02:00:00:00:00:55,ttl=7"
	capture_bg $P0 1 "$T/rep.pcap"
	sf replay p0 -r "$T/in.pcap" >/dev/null || fail replay
	wait_caps
	# Only ip's TTL changed (no csum asked): compare all but the IP checksum.
	expect_eq "$(python3 $PK hex "$T/rep.pcap" | cut -c 1-48,53-)" "$(python3 $PK hex "$T/want.pcap" | cut -c 1-48,53-)" "goto chain 7, then pipe to the end: passed"
	# continue past the last pref is a miss: the representor.
	sf filter add dev $P0 ingress prio 8 flower dst_mac 02:00:00:00:00:c5 action continue || fail "continue rule"
	python3 $PK gen "$T/in.pcap" "tcp4,dst=02:00:00:00:00:c5"
	capture_bg $P0 1 "$T/rep2.pcap"
	sf replay p0 -r "$T/in.pcap" >/dev/null || fail replay
	wait_caps
	expect_eq "$(stats 8 1 packets)" 1 "continue counted"
	# First hit within a pref: after continue no other filter of that pref
	# is tried (both filters of pref 9 match and continue: one runs).
	sf filter add dev $P0 ingress prio 9 flower dst_mac 02:00:00:00:00:c6 action continue || fail "prio 9 h1"
	sf filter add dev $P0 ingress prio 9 flower src_mac $B dst_mac 02:00:00:00:00:c6 action continue || fail "prio 9 h2"
	sf filter add dev $P0 ingress prio 10 flower dst_mac 02:00:00:00:00:c6 action mirred egress redirect dev $SF || fail "prio 10"
	through "tcp4,dst=02:00:00:00:00:c6" "tcp4,dst=02:00:00:00:00:c6" "continue skips the rest of its pref"
	expect_eq "$(sf -j -s filter show dev $P0 ingress prio 9 | jq '[.[].options.actions[0].stats.packets] | add')" 1 "one filter of pref 9 ran"
	inflight_zero
	daemon_stop
}

test_flower_action_police() {
	daemon_start --workers 2
	sf_active 88
	# 1 kbit/s with a 1000-byte bucket: 10 frames of 100 bytes conform,
	# the other 20 exceed and are dropped (refill in the test: ~0.1 frame).
	sf filter add dev $P0 ingress prio 1 protocol ip flower ip_proto udp \
		action police rate 1kbit burst 1000 conform-exceed drop/pipe \
		action mirred egress redirect dev $SF || fail "police rule"
	specs=()
	for _ in $(seq 30); do specs+=("udp4,len=100"); done
	python3 $PK gen "$T/in.pcap" "${specs[@]}"
	sf replay p0 -r "$T/in.pcap" >/dev/null || fail replay
	sleep 0.3
	expect_eq "$(sf -j -s port show sfnic/sfnic0/32768 | jq '.port[].stats.drops.no_consumer')" 10 "conforming frames reached SF 88"
	expect_eq "$(stats 1 1 packets),$(stats 1 1 drops),$(stats 1 1 overlimits)" "30,20,20" "police counters"
	expect_eq "$(stats 1 2 packets)" 10 "mirred saw the conforming frames"
	sf -s filter show dev $P0 ingress >"$T/show.txt"
	grep -qxF "	action order 1:  police 0x1 rate 1Kbit burst 1000b mtu 2Kb action drop/pipe overhead 0b " "$T/show.txt" || fail "police line: $(cat "$T/show.txt")"
	grep -qxF "	Sent 3000 bytes 30 pkt (dropped 20, overlimits 20 requeues 0) " "$T/show.txt" || fail "police stats line"
	# Packets per second: 5 of 12 conform; exceed continue goes to the
	# next pref, which sends the rest to p0's representor.
	sf filter add dev $P0 ingress prio 2 protocol ip flower ip_proto tcp \
		action police pkts_rate 1 pkts_burst 5 conform-exceed continue/pipe \
		action mirred egress redirect dev $SF || fail "pps rule"
	sf filter add dev $P0 ingress prio 3 protocol ip flower ip_proto tcp action drop || fail "prio 3"
	specs=()
	for _ in $(seq 12); do specs+=("tcp4"); done
	python3 $PK gen "$T/in2.pcap" "${specs[@]}"
	sf replay p0 -r "$T/in2.pcap" >/dev/null || fail replay
	sleep 0.3
	expect_eq "$(stats 2 1 packets),$(stats 2 1 overlimits),$(stats 2 1 drops),$(stats 3 1 drops)" "12,7,0,7" "pps police, exceed continues to prio 3"
	expect_eq "$(sf -j -s port show sfnic/sfnic0/32768 | jq '.port[].stats.drops.no_consumer')" 15 "5 more reached SF 88"
	# replace resets the bucket and the counters, as tc's new actions.
	sf filter replace dev $P0 ingress prio 2 handle 1 protocol ip flower ip_proto tcp \
		action police pkts_rate 1 pkts_burst 3 conform-exceed drop \
		action mirred egress redirect dev $SF || fail "replace police"
	expect_eq "$(stats 2 1 packets)" 0 "counters after replace"
	sf replay p0 -r "$T/in2.pcap" >/dev/null || fail replay
	sleep 0.3
	expect_eq "$(stats 2 1 packets),$(stats 2 1 drops)" "12,9" "a fresh bucket of 3"
	inflight_zero
	daemon_stop
}

test_flower_action_mirred_ingress() {
	daemon_start
	sf_active 88
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 89 >/dev/null || fail "port add 89"
	sf port function set sfnic/sfnic0/32769 state active || fail "activate 89"
	# Into the eswitch again as if SF 89 had sent it: SF 89's rules apply.
	sf filter add dev $P0 ingress prio 1 protocol ip flower ip_proto udp \
		action mirred ingress redirect dev sfnic0npf0sf89 || fail "ingress redirect"
	sf filter add dev sfnic0npf0sf89 ingress prio 1 protocol ip flower ip_proto udp \
		action pedit ex munge ip ttl set 33 pipe action csum iph pipe \
		action mirred egress redirect dev $SF || fail "sf89 rule"
	through "udp4" "udp4,ttl=33" "mirred ingress redirect"
	expect_eq "$(sf -j -s filter show dev sfnic0npf0sf89 ingress | jq '.[0].options.actions[0].stats.packets')" 1 "SF 89's rule ran"
	sf filter show dev $P0 ingress | grep -qxF "	action order 1: mirred (Ingress Redirect to device sfnic0npf0sf89) stolen" || fail "mirred ingress text"
	# mirror: the original goes on (to SF 88), a copy enters as SF 89's and,
	# matching nothing there, reaches SF 89's representor.
	sf filter add dev $P0 ingress prio 2 protocol ip flower ip_proto tcp \
		action mirred ingress mirror dev sfnic0npf0sf89 pipe \
		action mirred egress redirect dev $SF || fail "ingress mirror"
	capture_bg sfnic0npf0sf89 1 "$T/rep89.pcap"
	through "tcp4" "tcp4" "mirrored, the original"
	wait_caps
	expect_eq "$(python3 $PK hex "$T/rep89.pcap")" "$(python3 $PK hex "$T/in.pcap")" "the copy at SF 89's representor"
	# A frame that keeps re-entering is dropped as a loop, not spun on.
	sf filter add dev sfnic0npf0sf89 ingress prio 2 protocol ip flower ip_proto icmp \
		action mirred ingress redirect dev sfnic0npf0sf89 || fail "loop rule"
	sf filter add dev $P0 ingress prio 3 protocol ip flower ip_proto icmp \
		action mirred ingress redirect dev sfnic0npf0sf89 || fail "into loop"
	python3 $PK gen "$T/in.pcap" "icmp4"
	sf replay p0 -r "$T/in.pcap" >/dev/null || fail replay
	sleep 0.3
	expect_eq "$(sf -j -s port show sfnic/sfnic0/32769 | jq '.port[].stats.drops.loop')" 1 "the looping frame"
	inflight_zero
	daemon_stop
}

test_flower_action_replace_and_handles() {
	daemon_start
	sf_active 88
	# Handles: flower's lowest free from 1; prefs: 49152, then one below.
	sf filter add dev $P0 ingress protocol ip flower ip_proto udp action drop || fail add1
	sf filter add dev $P0 ingress protocol ip flower ip_proto tcp action drop || fail add2
	expect_eq "$(sf -j filter show dev $P0 ingress | jq -c '[.[] | [.pref, .options.handle]]')" "[[49151,1],[49152,1]]" "automatic prefs"
	sf filter add dev $P0 ingress prio 7 protocol ip flower ip_proto udp action drop || fail add3
	sf filter add dev $P0 ingress prio 7 protocol ip flower ip_proto tcp action drop || fail add4
	sf filter add dev $P0 ingress prio 7 protocol ip flower ip_proto icmp action drop || fail add5
	sf filter del dev $P0 ingress prio 7 handle 2 || fail "del handle 2"
	sf filter add dev $P0 ingress prio 7 protocol ip flower ip_proto 47 action drop || fail add6
	expect_eq "$(sf -j filter show dev $P0 ingress prio 7 | jq -c '[.[].options.handle]')" "[1,2,3]" "a freed handle is reused"
	sf filter add dev $P0 ingress prio 7 handle 0x10 protocol ip flower ip_proto 50 action drop || fail "explicit handle"
	sf filter add dev $P0 ingress prio 7 protocol ip flower ip_proto 51 action drop || fail add7
	expect_eq "$(sf -j filter show dev $P0 ingress prio 7 | jq -c '[.[].options.handle]')" "[1,2,3,4,16]" "lowest free, not max + 1"
	# tc's refusals.
	expect_err 'Error: Filter already exists.' sf filter add dev $P0 ingress prio 7 handle 1 protocol ip flower ip_proto 99 action drop
	expect_err "RTNETLINK answers: File exists
We have an error talking to the kernel" sf filter add dev $P0 ingress prio 7 protocol ip flower ip_proto udp action pass
	expect_err "RTNETLINK answers: Invalid argument
We have an error talking to the kernel" sf filter replace dev $P0 ingress prio 7 handle 1 protocol ip flower dst_mac $A action pass
	expect_err 'Error: Filter with specified priority/protocol not found.' sf filter add dev $P0 ingress prio 7 protocol ipv6 flower action drop
	# replace swaps one rule under traffic: redirect, then drop, counters reset.
	sf filter add dev $P0 ingress prio 1 protocol ip flower ip_proto udp action mirred egress redirect dev $SF || fail "prio 1"
	through "udp4" "udp4" "before replace"
	expect_eq "$(stats 1 1 packets)" 1 "counted before replace"
	sf filter replace dev $P0 ingress prio 1 handle 1 protocol ip flower ip_proto udp action drop || fail "replace"
	expect_eq "$(stats 1 1 packets)" 0 "counters reset by replace"
	python3 $PK gen "$T/in.pcap" "udp4"
	sf replay p0 -r "$T/in.pcap" >/dev/null || fail replay
	sleep 0.3
	expect_eq "$(stats 1 1 drops)" 1 "the replaced rule drops"
	expect_eq "$(sf -j filter show dev $P0 ingress prio 1 | jq length)" 1 "replace kept one rule"
	# replace of a handle that does not exist adds it.
	sf filter replace dev $P0 ingress prio 1 handle 5 protocol ip flower ip_proto tcp action pass || fail "replace adds"
	expect_eq "$(sf -j filter show dev $P0 ingress prio 1 | jq -c '[.[].options.handle]')" "[1,5]" "replace created handle 5"
	# -br: no keys, each action's kind.
	expect_eq "$(sf -br filter show dev $P0 ingress prio 1)" "filter protocol ip pref 1 flower chain 0 
filter protocol ip pref 1 flower chain 0 handle 0x1 
  in_hw in_hw_count 1
	action order 1: gact 

filter protocol ip pref 1 flower chain 0 handle 0x5 
  in_hw in_hw_count 1
	action order 1: gact " "brief show"
	# Durable: the replaced rule survives kill -9; a stored rule of an
	# older layout is refused with a log line, never misread.
	daemon_kill9
	sqlite3 "$T/state/sfnic.db" "insert into rule values (32768, 0, 3, 1, zeroblob(164))"
	daemon_start
	expect_eq "$(sf -j filter show dev $P0 ingress prio 1 | jq -r '.[0].options.actions[0].control_action.type')" drop "replaced rule after kill -9"
	grep -q "stored rule of 164 bytes not restored: not the rule layout" "$T/sfnicd.log" || fail "no log line for the old blob: $(tail -5 "$T/sfnicd.log")"
	inflight_zero
	daemon_stop
}

test_flower_action_errors() {
	daemon_start
	sf_active 88
	f() { sf filter add dev $P0 ingress protocol ip flower "$@"; }
	expect_err 'Error: bad action type frob.' f action frob
	expect_err 'Error: Bad pedit construct (eth).' f action pedit munge eth dst set $A
	expect_err 'Error: Bad pedit construct (ip).' f action pedit ex munge ip ttlx set 1
	expect_err 'Error: decrement command is not supported for this field.' f action pedit ex munge ip src decrement
	expect_err "Error: Non extended mode. only 'set' command is supported." f action pedit munge ip ttl add 1
	expect_err 'Error: Bad pedit construct (ip).' f action pedit ex munge ip dst set 1.2.3
	expect_err "Error: retain is not supported for fields longer the 32 bits." f action pedit ex munge eth dst set $A retain 0xff
	expect_err 'Error: Illegal csum construct (foo).' f action csum foo
	expect_err "Error: 'burst' requires 'rate'." f action police rate 1mbit
	expect_err "Error: 'pkts_burst' requires 'pkts_rate'." f action police pkts_rate 10
	expect_err "Error: 'rate' and 'pkts_rate' are not allowed in same action." f action police rate 1mbit burst 10k pkts_rate 5 pkts_burst 5
	expect_err 'Error: argument "1furlong" is wrong: rate.' f action police rate 1furlong burst 1k
	expect_err 'Error: Bad action type explode.' f action police rate 1mbit burst 10k conform-exceed explode
	# What sfnic does not do is refused by name, never accepted and ignored.
	expect_err 'Error: police: "index" is not supported by sfnic (a policer is not shared between rules).' \
		f action police rate 1mbit burst 10k index 5
	expect_err 'Error: police: "peakrate" is not supported by sfnic.' f action police rate 1mbit burst 10k peakrate 2mbit
	expect_err 'Error: ct: "nat" is not supported by sfnic.' f action ct nat
	expect_err 'Error: Bad action type jump (not supported by sfnic).' f action jump 1
	expect_err 'Error: pedit: "munge offset" is not supported by sfnic; use a header field.' \
		f action pedit munge offset 12 u32 set 1
	expect_err 'Error: set needs tunnel_key parameters.' f action tunnel_key set id 5
	expect_err 'Error: ct: clear can only be used alone.' f action ct clear zone 3
	expect_err 'Error: Illegal "chain index".' f action goto chain x
	expect_err 'Error: "chain index" expected.' f action goto 5
	expect_err 'Error: was expecting egress or ingress (sideways).' f action mirred sideways redirect dev $SF
	expect_err 'Error: Cannot find device "nope".' f action mirred ingress redirect dev nope
	# Accepted forms print back as tc prints them.
	g() { local p=$1; shift; sf filter add dev $P0 ingress prio "$p" protocol ip flower "$@"; }
	g 20 action ct commit zone 404 mark 66 pipe action goto chain 1 || fail "ct"
	g 21 action ct mark 66/0xf0 || fail "ct mark mask"
	g 22 action tunnel_key set src_ip 10.0.0.1 dst_ip 10.0.0.2 id 100 dst_port 4789 ttl 64 nocsum || fail "tunnel_key"
	g 23 action ok action continue action reclassify || fail "gact words"
	sf filter show dev $P0 ingress >"$T/show.txt"
	for line in "	action order 1: ct commit mark 66 zone 404 pipe" \
		"	action order 2: gact action goto chain 1" \
		"	action order 1: ct mark 66/0xf0 zone 0 pipe" \
		"	action order 1: tunnel_key  set" "	key_id 100" "	nocsum" "	ttl 64 pipe" \
		"	action order 1: gact action pass" "	action order 2: gact action continue" \
		"	action order 3: gact action reclassify"; do
		grep -qxF "$line" "$T/show.txt" || fail "missing line '$line' in: $(cat "$T/show.txt")"
	done
	daemon_stop
}
