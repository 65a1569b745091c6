# test_flower_match.sh - issue 13's flower matches end to end: for every key a
# frame that matches and one that does not are replayed into p0, the ones
# that match leave through SF 88 byte for byte and count on their rule, the
# others miss (p0's representor); tc's refusals word for word; tc's JSON and
# text for every key; rules on an inactive SF's representor.  No root needed.

MK=tests/e2e/mkpcap.py
MKF=tests/e2e/mkframe.py
SF88=sfnic0npf0sf88

fr() { python3 $MKF "$@"; }

# pcap_hex FILE: one line of hex per frame.
pcap_hex() {
	python3 - "$1" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
o = 24
while o + 16 <= len(d):
    n = struct.unpack('<IIII', d[o:o + 16])[2]
    print(d[o + 16:o + 16 + n].hex())
    o += 16 + n
EOF
}

# capture_bg PORT COUNT FILE: starts a capture and waits until it runs.
capture_on() {
	"$SFNIC" capture "$1" -c "$2" -w "$3" 2>"$3.log" &
	CAP=$!
	for _ in $(seq 100); do
		grep -q capturing "$3.log" 2>/dev/null && return 0
		sleep 0.02
	done
	fail "capture on $1 did not start"
}

capture_wait() {
	for _ in $(seq 500); do kill -0 "$CAP" 2>/dev/null || break; sleep 0.02; done
	kill -0 "$CAP" 2>/dev/null && { kill "$CAP"; fail "capture did not finish: $(cat "$1.log")"; }
	wait "$CAP"
}

# rule PREF DSTMAC-LAST-BYTE PROTO MATCHES...: a rule redirecting frames to
# 02:00:00:00:01:NN that also match MATCHES into SF 88.
rule() {
	local pref=$1 n=$2 proto=$3
	shift 3
	sf filter add dev sfnic0np0 ingress protocol "$proto" prio "$pref" flower \
		dst_mac "02:00:00:00:01:$n" "$@" action mirred egress redirect dev $SF88 ||
		fail "rule $pref: $*"
}

test_flower_matches_by_replay() {
	daemon_start
	sf_active 88
	local d yes=() no=()
	# One rule per key (each on its own dst_mac, so no frame meets two).
	rule 1 01 ip ip_tos 0x10/fc
	rule 2 02 ip ip_ttl 64
	rule 3 03 ip ip_proto udp ip_flags frag/firstfrag dst_port 53
	rule 4 04 ip ip_flags frag/nofirstfrag
	rule 5 05 ip ip_proto tcp tcp_flags 0x2/0x12
	rule 6 06 ip ip_proto icmp type 8 code 0
	rule 7 07 ipv6 ip_proto icmpv6 type 128
	rule 8 08 ipv6 ip_proto tcp src_ip 2001:db8::/32 dst_port 80
	rule 9 09 ipv6 ip_tos 32 ip_ttl 5
	rule 10 0a ip ip_proto udp dst_port 4000-4010
	rule 11 0b 802.1ad vlan_id 10 vlan_ethtype 802.1q cvlan_id 20 cvlan_ethtype ipv4 ip_proto icmp
	rule 12 0c arp arp_op request arp_sip 10.0.0.1 arp_tip 10.0.0.0/24 arp_sha 02:00:00:00:00:0b
	rule 13 0d arp arp_tha 00:00:5e:00:00:00/24
	rule 14 0e ipv6 ip_proto udp ip_flags frag/firstfrag dst_port 53
	rule 15 0f ip ip_proto udp src_port 1024/0xfc00 ip_flags nofrag
	rule 16 10 ipv6 ip_proto udp src_port 1000 dst_ip 2001:db8::2
	d() { echo "dst=02:00:00:00:01:$1"; }
	yes+=("$(fr v4 "$(d 01)" tos=0x12)")
	no+=("$(fr v4 "$(d 01)" tos=0x20)")
	yes+=("$(fr v4 "$(d 02)" ttl=64)")
	no+=("$(fr v4 "$(d 02)" ttl=63)")
	yes+=("$(fr v4 "$(d 03)" frag=0 mf=1 proto=udp dport=53)")
	no+=("$(fr v4 "$(d 03)" proto=udp dport=53)")
	yes+=("$(fr v4 "$(d 04)" frag=10 proto=udp)")
	no+=("$(fr v4 "$(d 04)" frag=0 mf=1 proto=udp)")
	yes+=("$(fr v4 "$(d 05)" proto=tcp flags=2)")
	no+=("$(fr v4 "$(d 05)" proto=tcp flags=12)")
	yes+=("$(fr v4 "$(d 06)" proto=icmp type=8 code=0)")
	no+=("$(fr v4 "$(d 06)" proto=icmp type=0 code=0)")
	yes+=("$(fr v6 "$(d 07)" proto=icmpv6 type=128)")
	no+=("$(fr v6 "$(d 07)" proto=icmpv6 type=129)")
	# The L4 header behind hop-by-hop, routing and destination options.
	yes+=("$(fr v6 "$(d 08)" ext=hbh,rt,dest proto=tcp dport=80 saddr=2001:db8:1::5)")
	no+=("$(fr v6 "$(d 08)" ext=hbh,rt,dest proto=tcp dport=80 saddr=2001:db9::5)")
	yes+=("$(fr v6 "$(d 09)" tos=32 ttl=5)")
	no+=("$(fr v6 "$(d 09)" tos=32 ttl=6)")
	yes+=("$(fr v4 "$(d 0a)" proto=udp dport=4000)" "$(fr v4 "$(d 0a)" proto=udp dport=4007)"
	      "$(fr v4 "$(d 0a)" proto=udp dport=4010)")
	no+=("$(fr v4 "$(d 0a)" proto=udp dport=3999)" "$(fr v4 "$(d 0a)" proto=udp dport=4011)")
	yes+=("$(fr v4 "$(d 0b)" qinq=10:20 proto=icmp)")
	no+=("$(fr v4 "$(d 0b)" qinq=10:21 proto=icmp)")
	yes+=("$(fr arp "$(d 0c)" op=1 sip=10.0.0.1 tip=10.0.0.9)")
	no+=("$(fr arp "$(d 0c)" op=2 sip=10.0.0.1 tip=10.0.0.9)")
	yes+=("$(fr arp "$(d 0d)" op=2 tha=00:00:5e:12:34:56)")
	no+=("$(fr arp "$(d 0d)" op=2 tha=00:00:5f:12:34:56)")
	yes+=("$(fr v6 "$(d 0e)" ext=hbh frag=0 mf=1 proto=udp dport=53)")
	no+=("$(fr v6 "$(d 0e)" frag=3 proto=udp dport=53)")
	yes+=("$(fr v4 "$(d 0f)" proto=udp sport=1500)")
	no+=("$(fr v4 "$(d 0f)" proto=udp sport=2100)" "$(fr v4 "$(d 0f)" frag=0 mf=1 proto=udp sport=1500)")
	yes+=("$(fr v6 "$(d 10)" proto=udp sport=1000)")
	no+=("$(fr v6 "$(d 10)" proto=udp sport=1001)")
	# Frames too short for the headers they announce miss without harm.
	no+=("$(fr v6 "$(d 08)" ext=hbh,rt,dest proto=tcp dport=80 | cut -c1-140)")
	python3 $MK "$T/in.pcap" "${yes[@]/#/hex:}" "${no[@]/#/hex:}"
	capture_on pf0sf88 ${#yes[@]} "$T/sf.pcap"
	sf replay p0 -r "$T/in.pcap" >/dev/null || fail replay
	capture_wait "$T/sf.pcap"
	expect_eq "$(pcap_hex "$T/sf.pcap")" "$(printf '%s\n' "${yes[@]}")" "the frames that left through SF 88, byte for byte"
	# One per rule; the range rule (pref 10) counts its three frames.
	expect_eq "$(sf -j -s filter show dev sfnic0np0 ingress |
		jq -c '[.[] | .options.actions[0].stats.packets]')" \
		"[1,1,1,1,1,1,1,1,1,3,1,1,1,1,1,1]" "packets of the rules at prefs 1-16"
	sleep 0.2
	expect_eq "$(sf -j -s port show sfnic/sfnic0/65535 | jq '.port[].rep_stats.drops.no_consumer')" \
		${#no[@]} "the frames that match no rule went to p0's representor"
	inflight_zero
	daemon_stop
}

test_flower_first_hit_within_a_pref() {
	# tc tries a pref's masks in the order they were created and runs the
	# first filter that hits, not the most specific one.
	daemon_start
	sf_active 88
	sf filter add dev sfnic0np0 ingress protocol ip prio 5 handle 1 flower dst_mac 02:00:00:00:01:01 \
		action mirred egress redirect dev $SF88 || fail "h1"
	sf filter add dev sfnic0np0 ingress protocol ip prio 5 handle 2 flower dst_mac 02:00:00:00:01:01 \
		ip_proto udp dst_port 4000-4010 action drop || fail "h2"
	python3 $MK "$T/a.pcap" "hex:$(fr v4 dst=02:00:00:00:01:01 proto=udp dport=4001)"
	sf replay p0 -r "$T/a.pcap" >/dev/null || fail replay
	sleep 0.3
	expect_eq "$(sf -j -s filter show dev sfnic0np0 ingress | jq -c '[.[].options.actions[0].stats.packets]')" \
		"[1,0]" "the first mask of the pref wins"
	# Without the first, the second one's mask is the pref's first.
	sf filter del dev sfnic0np0 ingress prio 5 handle 1 flower || fail del
	sf filter add dev sfnic0np0 ingress protocol ip prio 5 handle 1 flower dst_mac 02:00:00:00:01:01 \
		action mirred egress redirect dev $SF88 || fail "h1 again"
	sf replay p0 -r "$T/a.pcap" >/dev/null || fail replay
	sleep 0.3
	expect_eq "$(sf -j -s filter show dev sfnic0np0 ingress | jq -c '[.[].options.actions[0].stats.packets]')" \
		"[0,1]" "the range rule's mask is now the older one"
	expect_eq "$(sf -j -s port show sfnic/sfnic0/32768 | jq '.port[].stats.drops.no_consumer')" 1 \
		"only the first frame reached SF 88"
	daemon_stop
}

test_flower_refusals() {
	daemon_start
	sf_active 88
	local f="sf filter add dev sfnic0np0 ingress"
	expect_err 'Error: Illegal "ip_ttl".' $f protocol ip flower ip_ttl 64/255 action drop
	expect_err 'Error: Illegal "ip_tos".' $f protocol ip flower ip_tos 300 action drop
	expect_err 'Error: Illegal "ip_flags".' $f protocol ip flower ip_flags frag/nope action drop
	expect_err 'Error: Illegal "tcp_flags".' $f protocol ip flower ip_proto tcp tcp_flags 0x1000 action drop
	expect_err 'Error: Illegal "icmp type".' $f protocol ip flower ip_proto icmp type 0x8 action drop
	expect_err 'Error: Illegal "icmp code".' $f protocol ip flower ip_proto udp code 0 action drop
	expect_err 'Error: Illegal "eth_type" for ip proto.' $f protocol ipv6 flower ip_proto icmp action drop
	expect_err 'Error: Illegal "dst_port".' $f protocol ip flower dst_port 80 action drop
	expect_err 'Error: max value should be greater than min value.' $f protocol ip flower ip_proto tcp dst_port 10-5 action drop
	expect_err 'Error: Illegal "src_port".' $f protocol ip flower ip_proto tcp src_port 0x50 action drop
	expect_err 'Error: inet prefix is expected rather than "2001:db8::1".' $f protocol ip flower src_ip 2001:db8::1 action drop
	expect_err 'Error: inet6 prefix is expected rather than "10.0.0.1".' $f protocol ipv6 flower dst_ip 10.0.0.1 action drop
	expect_err 'Error: Illegal "dst_ip".' $f flower dst_ip 10.0.0.1 action drop
	expect_err "Error: Can't set \"cvlan_id\" if inner vlan ethertype isn't 802.1Q or 802.1AD and num_of_vlans is less than 2." \
		$f protocol 802.1q flower vlan_id 5 cvlan_id 6 action drop
	expect_err "Error: Can't set \"vlan_id\" if ethertype isn't 802.1Q or 802.1AD and num_of_vlans is 0." \
		$f protocol ip flower vlan_id 5 action drop
	expect_err 'Error: Illegal "arp_op".' $f protocol ip flower arp_op request action drop
	expect_err 'Error: Illegal "arp_op".' $f protocol arp flower arp_op 3 action drop
	expect_err 'Error: Illegal "arp_sip".' $f protocol ip flower arp_sip 10.0.0.1 action drop
	expect_err 'Error: Illegal "enc_key_id".' $f protocol ip flower enc_key_id 0x10 action drop
	expect_err 'Error: Illegal "ct_state".' $f protocol ip flower ct_state trk action drop
	expect_err 'Error: Illegal "ct_state".' $f protocol ip flower ct_state +trk,+est action drop
	expect_err 'Error: no trk, so no other flag can be set.' $f protocol ip flower ct_state -trk+est action drop
	expect_err 'Error: new and est are mutually exclusive.' $f protocol ip flower ct_state +trk+new+est action drop
	expect_err 'Error: when inv is set, only trk may be set.' $f protocol ip flower ct_state +trk+inv+rpl action drop
	expect_err 'Error: new and rpl are mutually exclusive.' $f protocol ip flower ct_state +trk+new+rpl action drop
	expect_err 'Error: What is "ip_hops"?' $f protocol ip flower ip_hops 5 action drop
	# Prefixes resolve as tc's if-chain does: "dst_p" is dst_port, "s" skip_hw.
	sf filter add dev sfnic0np0 ingress protocol ip prio 1 flower ip_pr tcp dst_p 80 s action drop ||
		fail "prefixes"
	expect_eq "$(sf -j filter show dev sfnic0np0 ingress | jq -c '.[].options.keys')" \
		'{"eth_type":"ipv4","ip_proto":"tcp","dst_port":80}' "prefix words"
	# ip_proto is hex, as tc reads IP-PROTO.
	sf filter add dev sfnic0np0 ingress protocol ip prio 2 flower ip_proto 11 action drop || fail hex
	expect_eq "$(sf -j filter show dev sfnic0np0 ingress | jq -r '.[] | select(.pref == 2) | .options.keys.ip_proto')" \
		udp "ip_proto 11 is 0x11"
	daemon_stop
}

test_flower_print_every_key() {
	daemon_start
	sf_active 88
	local f="sf filter add dev sfnic0np0 ingress"
	$f protocol ipv6 prio 1 flower ip_proto tcp src_ip 2001:db8::/32 dst_ip 2001:db8::2 \
		dst_port 4000-4010 src_port 80/0xfff0 tcp_flags 0x2/12 ip_flags frag/nofirstfrag \
		ip_ttl 64 ip_tos 16/fc action drop || fail add1
	$f protocol 802.1ad prio 2 flower vlan_id 10 vlan_prio 3 vlan_ethtype 802.1q cvlan_id 20 \
		cvlan_prio 5 cvlan_ethtype ipv4 ip_proto icmp type 8 code 0/240 ct_state +trk+est-rpl \
		ct_zone 5 ct_mark 16/0xff enc_key_id 100 enc_dst_ip 10.1.1.1 enc_src_ip 10.1.1.2/24 \
		enc_dst_port 4789 enc_tos 0x10 enc_ttl 64/f0 action drop || fail add2
	$f protocol arp prio 3 flower arp_op reply arp_sip 10.0.0.1 arp_tip 10.0.0.0/24 \
		arp_sha 02:00:00:00:00:0a arp_tha 00:00:5e:00:00:00/ff:ff:ff:00:ff:00 \
		src_mac 02:00:00:00:00:00/40 action drop || fail add3
	$f protocol ip prio 4 flower ip_proto 2f ip_flags nofrag ip_tos 10 action drop || fail add4
	expect_eq "$(sf -j filter show dev sfnic0np0 ingress | jq -c '[.[] | [.protocol, .options.keys]]')" \
'[["ipv6",{"eth_type":"ipv6","ip_proto":"tcp","ip_tos":16,"ip_tos_mask":"fc","ip_ttl":64,"dst_ip":"2001:db8::2","src_ip":"2001:db8::/32","src_port":80,"src_port_mask":"fff0","dst_port":{"start":4000,"end":4010},"tcp_flags":"0x2/12","ip_flags":{"frag":true,"firstfrag":false}}],'\
'["802.1ad",{"vlan_id":10,"vlan_prio":3,"vlan_ethtype":"802.1Q","cvlan_id":20,"cvlan_prio":5,"cvlan_ethtype":"ip","eth_type":"ipv4","ip_proto":"icmp","icmp_type":"8","icmp_code":"0/240","enc_dst_ip":"10.1.1.1","enc_src_ip":"10.1.1.0/24","enc_key_id":100,"enc_dst_port":4789,"enc_tos":16,"enc_ttl":64,"enc_ttl_mask":"f0","ct_state":"+trk+est-rpl","ct_zone":5,"ct_mark":16,"ct_mark_mask":"ff"}],'\
'["arp",{"src_mac":"02:00:00:00:00:00/40","eth_type":"arp","arp_sip":"10.0.0.1","arp_tip":"10.0.0.0/24","arp_op":"reply","arp_sha":"02:00:00:00:00:0a","arp_tha":"00:00:5e:00:00:00/ff:ff:ff:00:ff:00"}],'\
'["ip",{"eth_type":"ipv4","ip_proto":"0x2f","ip_tos":10,"ip_flags":{"frag":false}}]]' "tc's JSON of every key"
	expect_eq "$(sf filter show dev sfnic0np0 ingress | sed -n '/pref 1 /,/action order/p' | grep '^  ')" \
"  eth_type ipv6
  ip_proto tcp
  ip_tos 16/0xfc
  ip_ttl 64
  dst_ip 2001:db8::2
  src_ip 2001:db8::/32
  src_port 80/0xfff0
  dst_port 4000-4010
  tcp_flags 0x2/12
  ip_flags frag/nofirstfrag
  in_hw in_hw_count 1" "tc's text"
	expect_eq "$(sf filter show dev sfnic0np0 ingress | grep -E '^  (ct_|enc_ttl|arp_op|icmp_code)')" \
"  icmp_code 0/240
  enc_ttl 64/0xf0
  ct_state +trk+est-rpl
  ct_zone 5
  ct_mark 16/0xff
  arp_op reply" "tc's text of masked keys"
	# What was printed is what is kept: kill -9 and the same again.
	local before
	before=$(sf -j filter show dev sfnic0np0 ingress)
	daemon_kill9
	daemon_start
	expect_eq "$(sf -j filter show dev sfnic0np0 ingress)" "$before" "rules after kill -9"
	daemon_stop
}

test_flower_rules_on_an_inactive_sf() {
	# As on mlx5 the representor exists from port add: rules go on it before
	# the function is active and act once it is; capture addresses it too.
	daemon_start
	sf_active 88
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 89 >/dev/null || fail "port add 89"
	expect_eq "$(sf -j port show sfnic/sfnic0/32769 | jq -r '.port[].function.state')" inactive "SF 89"
	sf filter add dev sfnic0npf0sf89 ingress protocol ip prio 1 flower ip_proto udp dst_port 53 \
		action mirred egress redirect dev $SF88 || fail "rule on an inactive SF's representor"
	expect_eq "$(sf -j filter show dev sfnic0npf0sf89 ingress | jq length)" 1 "listed"
	# Durable before activation too.
	daemon_kill9
	daemon_start
	expect_eq "$(sf -j filter show dev sfnic0npf0sf89 ingress | jq length)" 1 "restored on the inactive SF"
	capture_on sfnic0npf0sf89 1 "$T/rep.pcap"
	sf port function set sfnic/sfnic0/32769 state active || fail "activate 89"
	local m n
	m=$(fr v4 dst=02:00:00:00:00:0a src=02:00:00:00:00:59 proto=udp dport=53)
	n=$(fr v4 dst=02:00:00:00:00:0a src=02:00:00:00:00:59 proto=udp dport=54)
	python3 $MK "$T/from89.pcap" "hex:$m" "hex:$n"
	"$SFNIC" capture pf0sf88 -c 1 -w "$T/sf88.pcap" 2>"$T/sf88.log" &
	local c88=$!
	for _ in $(seq 100); do grep -q capturing "$T/sf88.log" && break; sleep 0.02; done
	# Frames the SF sends (replayed into its vport) meet the rule.
	sf replay pf0sf89 -r "$T/from89.pcap" >/dev/null || fail "replay from SF 89"
	capture_wait "$T/rep.pcap"
	for _ in $(seq 500); do kill -0 $c88 2>/dev/null || break; sleep 0.02; done
	kill -0 $c88 2>/dev/null && { kill $c88; fail "capture on SF 88 did not finish"; }
	wait $c88 || fail "capture on SF 88"
	expect_eq "$(pcap_hex "$T/sf88.pcap")" "$m" "the matching frame left through SF 88"
	expect_eq "$(pcap_hex "$T/rep.pcap")" "$n" "the other reached SF 89's representor"
	expect_eq "$(sf -j -s filter show dev sfnic0npf0sf89 ingress | jq '.[].options.actions[0].stats.packets')" 1 "counted"
	# Deleting the port deletes its rules.
	sf port function set sfnic/sfnic0/32769 state inactive || fail deactivate
	sf port del sfnic/sfnic0/32769 || fail "port del"
	expect_eq "$(sqlite3 "$T/state/sfnic.db" 'select count(*) from rule')" 0 "stored rules"
	daemon_stop
}
