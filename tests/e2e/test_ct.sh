# test_ct.sh - connection tracking as OVS writes it for mlx5: chain 0 sends
# untracked IP through `ct zone 5` to chain 1, where the SF side may open
# connections (+trk+new: ct commit, redirect) and the other side gets only
# +trk+est and +trk+rel through; everything else in chain 1 is dropped.
# First by replayed frames and captures (no root), then with real TCP, UDP
# and ICMP between two SF netdevs in namespaces.

CT_UDP=tests/e2e/ct_udp.py
A=02:00:00:00:00:0a
B=02:00:00:00:00:0b

# stateful REP_OPEN REP_EST: the policy.  Traffic entering REP_OPEN may start
# connections and goes to REP_EST's port; traffic entering REP_EST goes to
# REP_OPEN's port only when it belongs to (or relates to) such a connection.
# ARP passes both ways.
stateful() {
	local open=$1 est=$2
	for r in "$open" "$est"; do
		sf filter add dev "$r" ingress protocol ip prio 1 chain 0 flower ct_state -trk \
			action ct zone 5 pipe action goto chain 1 || fail "chain 0 on $r"
	done
	sf filter add dev "$open" ingress protocol ip prio 1 chain 1 flower ct_state +trk+new \
		action ct commit zone 5 pipe action mirred egress redirect dev "$est" || fail "+new on $open"
	sf filter add dev "$open" ingress protocol ip prio 2 chain 1 flower ct_state +trk+est \
		action mirred egress redirect dev "$est" || fail "+est on $open"
	sf filter add dev "$open" ingress protocol ip prio 3 chain 1 flower ct_state +trk+rel \
		action mirred egress redirect dev "$est" || fail "+rel on $open"
	sf filter add dev "$est" ingress protocol ip prio 1 chain 1 flower ct_state +trk+est \
		action mirred egress redirect dev "$open" || fail "+est on $est"
	sf filter add dev "$est" ingress protocol ip prio 2 chain 1 flower ct_state +trk+rel \
		action mirred egress redirect dev "$open" || fail "+rel on $est"
	sf filter add dev "$est" ingress protocol all prio 9 chain 1 flower action drop || fail "drop on $est"
	sf filter add dev "$open" ingress protocol all prio 9 chain 1 flower action drop || fail "drop on $open"
	sf filter add dev "$open" ingress protocol arp prio 2 flower \
		action mirred egress redirect dev "$est" || fail "arp on $open"
	sf filter add dev "$est" ingress protocol arp prio 2 flower \
		action mirred egress redirect dev "$open" || fail "arp on $est"
}

# rule_pkts REP CHAIN PREF: packets of that rule.
rule_pkts() {
	sf -j -s filter show dev "$1" ingress |
		jq "[.[] | select(.chain == $2 and .pref == $3) | .options.actions[0].stats.packets] | add // 0"
}

# mkframes DIR: one pcap per frame name, between A (10.0.0.1, the SF) and B
# (10.0.0.2, beyond the uplink).
mkframes() {
	python3 - "$1" "$A" "$B" <<'EOF'
import struct, sys
d, A, B = sys.argv[1], bytes.fromhex(sys.argv[2].replace(':', '')), bytes.fromhex(sys.argv[3].replace(':', ''))
IP = {'A': bytes([10, 0, 0, 1]), 'B': bytes([10, 0, 0, 2])}
MAC = {'A': A, 'B': B}

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ip(src, dst, proto, l4):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0, IP[src], IP[dst])
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + l4

def eth(src, dst, payload):
    f = MAC[dst] + MAC[src] + b'\x08\x00' + payload
    return f + bytes(max(0, 60 - len(f)))

def tcp(src, dst, sp, dp, flags):
    return ip(src, dst, 6, struct.pack('!HHIIBBHHH', sp, dp, 1, 1, 0x50, flags, 65535, 0, 0))

def udp(src, dst, sp, dp):
    return ip(src, dst, 17, struct.pack('!HHHH', sp, dp, 12, 0) + b'ping')

frames = {
    'syn_a': eth('A', 'B', tcp('A', 'B', 40000, 80, 0x02)),
    'synack_b': eth('B', 'A', tcp('B', 'A', 80, 40000, 0x12)),
    'ack_a': eth('A', 'B', tcp('A', 'B', 40000, 80, 0x10)),
    'syn_b': eth('B', 'A', tcp('B', 'A', 5555, 22, 0x02)),
    'ack_b': eth('B', 'A', tcp('B', 'A', 81, 40001, 0x10)),
    'udp_b': eth('B', 'A', udp('B', 'A', 53, 1234)),
    'udp_a': eth('A', 'B', udp('A', 'B', 1234, 53)),
}
inner = udp('A', 'B', 1234, 53)[:28]
icmp = struct.pack('!BBHI', 3, 3, 0, 0) + inner
icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
frames['unreach_b'] = eth('B', 'A', ip('B', 'A', 1, icmp))
for name, f in frames.items():
    with open('%s/%s.pcap' % (d, name), 'wb') as out:
        out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        out.write(struct.pack('<IIII', 1700000000, 0, len(f), len(f)) + f)
EOF
}

replay() { sf replay "$1" -r "$T/$2.pcap" >/dev/null || fail "replay $2 into $1"; }
p0_tx() { sf -j -s port show sfnic/sfnic0/65535 | jq '.port[].stats.tx.packets'; }
sf_tx() { sf -j -s port show sfnic/sfnic0/32768 | jq '.port[].stats | .tx.packets + .drops.no_consumer'; }

test_ct_stateful_policy_by_replay() {
	daemon_start
	sf_active 88
	stateful sfnic0npf0sf88 sfnic0np0
	mkframes "$T"
	# New connections from beyond the uplink: a SYN, a mid-stream ACK
	# (picked up as +new, nf_conntrack_tcp_loose), a UDP datagram: dropped.
	for f in syn_b ack_b udp_b; do replay p0 $f; done
	sleep 0.3
	expect_eq "$(rule_pkts sfnic0np0 1 9)" 3 "new from the uplink dropped"
	expect_eq "$(sf_tx)" 0 "nothing reached the SF"
	expect_eq "$(sf -j ct show | jq '.ct | length')" 0 "nothing committed from the uplink"
	# The SF opens TCP and UDP: they leave through p0.
	tx0=$(p0_tx)
	replay pf0sf88 syn_a
	replay pf0sf88 udp_a
	sleep 0.3
	expect_eq "$(( $(p0_tx) - tx0 ))" 2 "the SF's SYN and datagram left through p0"
	expect_eq "$(rule_pkts sfnic0npf0sf88 1 1)" 2 "+trk+new on the SF side"
	# The answers come in: the SYN-ACK is +est+rpl, the port unreachable
	# about the datagram is +rel; both reach the SF.
	capture_bg pf0sf88 2 "$T/sf.pcap"
	replay p0 synack_b
	replay p0 unreach_b
	wait_caps
	expect_eq "$(tcpdump -nr "$T/sf.pcap" 2>/dev/null | awk '{print $3, $4, $5}' | tr -d ':,')" \
"10.0.0.2.80 > 10.0.0.1.40000
10.0.0.2 > 10.0.0.1" "frames that reached the SF"
	expect_eq "$(rule_pkts sfnic0np0 1 1)" 1 "+trk+est from the uplink"
	expect_eq "$(rule_pkts sfnic0np0 1 2)" 1 "+trk+rel from the uplink"
	expect_eq "$(sf_tx)" 2 "frames the SF received"
	replay pf0sf88 ack_a
	sleep 0.2
	expect_eq "$(rule_pkts sfnic0npf0sf88 1 2)" 1 "+trk+est on the SF side"
	# The table as conntrack -L shows it.
	sf -j ct show >"$T/ct.json" || fail "ct show"
	expect_eq "$(jq -c '[.ct[] | [.proto, .state, .zone, .orig.src, .orig.dport, .orig.packets, .reply.packets, .unreplied]] | sort' "$T/ct.json")" \
		'[["tcp","ESTABLISHED",5,"10.0.0.1",80,2,1,false],["udp",null,5,"10.0.0.1",53,1,0,true]]' "connections"
	sf ct show >"$T/ct.txt" 2>"$T/ct.err" || fail "ct show text"
	grep -Eq '^tcp +6 43[0-9]{4} ESTABLISHED src=10\.0\.0\.1 dst=10\.0\.0\.2 sport=40000 dport=80 packets=2 bytes=[0-9]+ src=10\.0\.0\.2 dst=10\.0\.0\.1 sport=80 dport=40000 packets=1 bytes=[0-9]+ \[ASSURED\] mark=0 zone=5 use=1$' "$T/ct.txt" ||
		fail "tcp line: $(cat "$T/ct.txt")"
	grep -Eq '^udp +17 [0-9]+ src=10\.0\.0\.1 dst=10\.0\.0\.2 sport=1234 dport=53 packets=1 bytes=[0-9]+ \[UNREPLIED\] src=10\.0\.0\.2 dst=10\.0\.0\.1 sport=53 dport=1234 packets=0 bytes=0 mark=0 zone=5 use=1$' "$T/ct.txt" ||
		fail "udp line: $(cat "$T/ct.txt")"
	grep -q "2 flow entries have been shown" "$T/ct.err" || fail "count line: $(cat "$T/ct.err")"
	expect_eq "$(sf -j ct stats | jq -c '.ct_stats | [.entries, .created, .related, .invalid]')" '[2,2,1,0]' "counters"
	# The filter shows its ct actions as tc does.
	sf filter show dev sfnic0npf0sf88 ingress >"$T/f.txt"
	grep -q "ct zone 5 pipe" "$T/f.txt" || fail "ct action text: $(cat "$T/f.txt")"
	grep -q "ct commit zone 5 pipe" "$T/f.txt" || fail "ct commit text: $(cat "$T/f.txt")"
	# Flushed, the connection is gone: the SYN-ACK is refused again.
	sf ct flush 2>/dev/null || fail "ct flush"
	expect_eq "$(sf -j ct show | jq '.ct | length')" 0 "after flush"
	replay p0 synack_b
	sleep 0.2
	expect_eq "$(rule_pkts sfnic0np0 1 9)" 4 "SYN-ACK after the flush dropped"
	expect_err "Command \"bogus\" is unknown, try \"sfnic ct help\"." sf ct bogus
	expect_err "\"70000\" is not a valid zone" sf ct show zone 70000
	inflight_zero
	daemon_stop
}

test_ct_stateful_policy_two_sfs() {
	need_root
	daemon_start
	two_sfs
	stateful sfnic0npf0sf88 sfnic0npf0sf89
	# ICMP echo: A may ping B, B may not ping A.
	ip netns exec $NA ping -q -c 3 -i 0.2 -w 5 10.9.0.2 >/dev/null 2>&1 || fail "A pings B"
	ip netns exec $NB ping -q -c 2 -i 0.2 -w 2 10.9.0.1 >/dev/null 2>&1 && fail "B pinged A"
	# TCP: A's connection to B carries iperf3; B's to A never opens.
	ip netns exec $NB iperf3 -s -1 -D -B 10.9.0.2 >/dev/null 2>&1
	ip netns exec $NA iperf3 -s -1 -D -B 10.9.0.1 >/dev/null 2>&1
	sleep 0.3
	ip netns exec $NA iperf3 -c 10.9.0.2 -t 1 -J >"$T/iperf.json" 2>&1 || fail "iperf3 A -> B: $(tail -5 "$T/iperf.json")"
	bps=$(jq '.end.sum_received.bits_per_second | floor' "$T/iperf.json")
	[ "$bps" -gt 1000000 ] || fail "iperf3 A -> B: $bps bit/s"
	echo "iperf3 A -> B through ct rules: $bps bit/s" >&2
	# iperf3's control and data connections, tracked from A (the data
	# one may end with a RST: CLOSE, 10 s).
	sf -j ct show >"$T/ct1.json"
	[ "$(jq '[.ct[] | select(.proto == "tcp" and .orig.src == "10.9.0.1" and .orig.dport == 5201)] | length' "$T/ct1.json")" -ge 2 ] ||
		fail "iperf3's control and data connections: $(jq -c . "$T/ct1.json")"
	ip netns exec $NB iperf3 -c 10.9.0.1 -t 1 --connect-timeout 1500 >"$T/iperf2.txt" 2>&1 &&
		fail "iperf3 B -> A connected: $(tail -3 "$T/iperf2.txt")"
	# UDP: A's datagram to B's echo server comes back; B's to A's does not
	# even arrive.
	ip netns exec $NB python3 $CT_UDP server 10.9.0.2 7777 4 "$T/b.count" &
	bsrv=$!
	ip netns exec $NA python3 $CT_UDP server 10.9.0.1 7777 4 "$T/a.count" &
	asrv=$!
	sleep 0.5
	ip netns exec $NA python3 $CT_UDP client 10.9.0.2 7777 || fail "UDP A -> B -> A"
	ip netns exec $NB python3 $CT_UDP client 10.9.0.1 7777
	expect_eq "$?" 1 "UDP B -> A: silence"
	wait $bsrv $asrv
	expect_eq "$(cat "$T/b.count")" 1 "datagrams B's server got"
	expect_eq "$(cat "$T/a.count")" 0 "datagrams A's server got"
	# ICMP errors are related: B's port unreachable for A's datagram to a
	# closed port reaches A (ECONNREFUSED) through the +trk+rel rule.
	rel0=$(rule_pkts sfnic0npf0sf89 1 2)
	ip netns exec $NA python3 $CT_UDP client 10.9.0.2 9
	expect_eq "$?" 2 "A's datagram to a closed port: refused"
	[ "$(rule_pkts sfnic0npf0sf89 1 2)" -gt "$rel0" ] || fail "+trk+rel rule did not count"
	# The table: A's connections, all in zone 5, originals from 10.9.0.1.
	sf -j ct show >"$T/ct.json"
	expect_eq "$(jq '[.ct[] | select(.orig.src != "10.9.0.1" or .zone != 5)] | length' "$T/ct.json")" 0 "only A's connections"
	expect_eq "$(jq '[.ct[] | select(.proto == "icmp")] | length' "$T/ct.json")" 1 "A's ping"
	[ "$(rule_pkts sfnic0npf0sf89 1 9)" -ge 3 ] || fail "B's new traffic was not dropped"
	sf port function set sfnic/sfnic0/32768 state inactive
	sf port function set sfnic/sfnic0/32769 state inactive
	inflight_zero
	daemon_stop
}
