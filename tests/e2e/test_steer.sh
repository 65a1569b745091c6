# test_steer.sh - RX steering of SF functions with ethtool's grammar
# (sfnic ethtool -N/-n/-l): exact output and errors, durability, rules that
# go with their SF, and a rule's drop on the packet path.  No root needed.

SFND=sfnic0S88          # the SF's netdev name (reserved even without netdevs)

# expect_out FILE cmd...: cmd succeeds and prints exactly FILE's bytes.
# (lib.sh's expect_err takes ethtool's two- and three-line errors as they are.)
expect_out() {
	local want="$1"
	shift
	"$@" >"$T/got" || fail "'$*' failed"
	cmp -s "$want" "$T/got" || { diff -u "$want" "$T/got" >&2; fail "'$*': output differs"; }
}

# The three rules test_ntuple_add_show_delete leaves, as ethtool -n prints them.
three_rules() {
	printf '16 RX rings available\nTotal 3 rules\n\n'
	printf 'Filter: 7\n\tRule Type: UDP over IPv6\n'
	printf '\tSrc IP addr: :: mask: ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n'
	printf '\tDest IP addr: 2001:db8::1 mask: ::\n'
	printf '\tTraffic Class: 0x0 mask: 0xff\n\tSrc port: 0 mask: 0xffff\n'
	printf '\tDest port: 53 mask: 0x0\n\tAction: Drop\n\n'
	printf 'Filter: 1022\n\tFlow Type: Raw Ethernet\n'
	printf '\tSrc MAC addr: 00:00:00:00:00:00 mask: FF:FF:FF:FF:FF:FF\n'
	printf '\tDest MAC addr: 00:00:00:00:00:00 mask: FF:FF:FF:FF:FF:FF\n'
	printf '\tEthertype: 0x88CC mask: 0x0\n\tAction: Direct to queue 1\n\n'
	printf 'Filter: 1023\n\tRule Type: TCP over IPv4\n'
	printf '\tSrc IP addr: 0.0.0.0 mask: 255.255.255.255\n'
	printf '\tDest IP addr: 192.168.10.0 mask: 0.0.0.255\n'
	printf '\tTOS: 0x0 mask: 0xff\n\tSrc port: 0 mask: 0xffff\n'
	printf '\tDest port: 80 mask: 0x0\n\tAction: Direct to queue 3\n\n'
}

# Three rules through three of the SF's names; ethtool -n, -n rule, -j.
add_three() {
	expect_eq "$(sf ethtool -N $SFND flow-type tcp4 dst-ip 192.168.10.0 m 0.0.0.255 \
		dst-port 80 action 3)" "Added rule with ID 1023" "add without loc"
	expect_eq "$(sf ethtool -U sfnic/sfnic0/32768 flow-type ether proto 0x88cc action 1)" \
		"Added rule with ID 1022" "the next free slot down"
	expect_eq "$(sf ethtool -N sfnic0npf0sf88 flow-type udp6 dst-ip 2001:db8::1 dst-port 53 \
		action -1 loc 7)" "" "with loc ethtool prints nothing"
}

test_ntuple_add_show_delete() {
	daemon_start || fail "daemon start"
	sf_active 88
	add_three
	three_rules >"$T/want"
	expect_out "$T/want" sf ethtool -n $SFND
	expect_out "$T/want" sf ethtool -u auxiliary/sfnic_core.sf.1
	printf 'Filter: 7\n' >"$T/want7"
	three_rules | sed -n '/^Filter: 7/,/^$/p' | tail -n +2 >>"$T/want7"
	expect_out "$T/want7" sf ethtool -n $SFND rule 7
	expect_eq "$(sf -j ethtool -n $SFND | jq -c '.rules[0]')" \
		'{"loc":7,"flow-type":"udp6","dst-ip":"2001:db8::1","dst-port":53,"action":"drop"}' \
		"a rule in JSON: the words that make it"
	expect_eq "$(sf -j ethtool -n $SFND | jq -c '.rules[2]["dst-ip-mask"], .ifname, .rings')" \
		'"0.0.0.255"
"sfnic0S88"
16' "mask in the m polarity, name, rings"
	# loc N replaces what is there; delete by the representor's name.
	sf ethtool -N $SFND flow-type tcp4 dst-port 443 action 2 loc 1023 || fail "replace"
	expect_eq "$(sf -j ethtool -n $SFND | jq -c '[.rules[] | [.loc, .action]]')" \
		'[[7,"drop"],[1022,1],[1023,2]]' "after replacing 1023"
	sf ethtool -N sfnic0npf0sf88 delete 1022 || fail "delete"
	expect_eq "$(sf ethtool -n $SFND | sed -n 2p)" "Total 2 rules" "after delete"
	expect_eq "$(sf ethtool -N $SFND flow-type ip4 action 4)" "Added rule with ID 1022" \
		"a freed slot is taken again"
	daemon_stop || fail "daemon stop"
}

test_channels_follow_bound_drivers() {
	daemon_start || fail "daemon start"
	sf_active 88
	{
		printf 'Channel parameters for sfnic0S88:\nPre-set maximums:\n'
		printf 'RX:\t\t16\nTX:\t\t16\nOther:\t\tn/a\nCombined:\tn/a\n'
		printf 'Current hardware settings:\n'
		printf 'RX:\t\t2\nTX:\t\t2\nOther:\t\tn/a\nCombined:\tn/a\n'
	} >"$T/want"
	expect_out "$T/want" sf ethtool -l $SFND
	# Without the zc driver only the netdev's queue is left.
	sf aux unbind sfnic_core.zc.1 || fail "unbind zc"
	expect_eq "$(sf -j ethtool -l $SFND | jq -c '[.max.rx, .current.rx, .current.tx]')" \
		"[16,1,1]" "channels with eth only"
	# An inactive SF keeps its name and has no queue at all.
	sf port function set sfnic/sfnic0/32768 state inactive || fail "inactivate"
	for _ in $(seq 100); do
		[ "$(sf -j ethtool -l $SFND | jq .current.rx)" = 0 ] && break
		sleep 0.02
	done
	expect_eq "$(sf -j ethtool -l $SFND | jq .current.rx)" 0 "channels of an inactive SF"
	daemon_stop || fail "daemon stop"
}

test_ntuple_errors() {
	daemon_start || fail "daemon start"
	sf_active 88
	sf ethtool -N $SFND flow-type udp4 action 1 loc 5 || fail "one rule"
	expect_err 'Add rule, unrecognized option[foo]' sf ethtool -N $SFND flow-type tcp4 foo 1
	expect_err 'Add rule, invalid rule type[tcp9]' sf ethtool -N $SFND flow-type tcp9
	expect_err 'Add rule, unsupported rule type[sctp4]' sf ethtool -N $SFND flow-type sctp4
	expect_err 'Add rule, invalid syntax' sf ethtool -N $SFND flow-type tcp4 dst-port
	expect_err 'Invalid dst-port value[70000]' sf ethtool -N $SFND flow-type tcp4 dst-port 70000
	expect_err 'Invalid dst-port value[81] (dst-port given already)' \
		sf ethtool -N $SFND flow-type tcp4 dst-port 80 dst-port 81
	expect_err 'Invalid action value[16] (a queue 0-15, or -1 to drop)' \
		sf ethtool -N $SFND flow-type tcp4 action 16
	expect_err 'Invalid loc value[1024] (locations 0-1023)' \
		sf ethtool -N $SFND flow-type tcp4 loc 1024
	expect_err 'rmgr: Cannot delete RX class rule: No such file or directory
Cannot delete classification rule' sf ethtool -N $SFND delete 9
	expect_err 'rxclass: Cannot get RX class rule: No such file or directory
Cannot get RX classification rule' sf ethtool -n $SFND rule 9
	# Devices that are not SFs: the PF netdev, the uplink's representor.
	expect_err 'Cannot get RX rings: Operation not supported
rxclass: Cannot get RX class rule count: Operation not supported
RX classification rule retrieval failed' sf ethtool -n sfnic0
	expect_err 'rxclass: Cannot get RX class rule count: Operation not supported
Cannot insert classification rule' sf ethtool -N sfnic0np0 flow-type tcp4 action 1
	expect_err 'netlink error: Operation not supported' sf ethtool -l sfnic/sfnic0/65535
	expect_err 'Cannot find device "nosuch0"' sf ethtool -n nosuch0
	expect_err 'Cannot find device "nosuch0"' sf ethtool -N nosuch0 flow-type tcp4
	# The command line itself.
	expect_err 'ethtool: bad command line argument(s): flow-type or delete expected' \
		sf ethtool -N $SFND
	expect_err 'ethtool: bad command line argument(s): delete takes one rule location' \
		sf ethtool -N $SFND delete x
	expect_err 'ethtool: bad command line argument(s): DEV expected' sf ethtool -n
	expect_err 'ethtool: bad command line argument(s): option -K is not supported (-N, -U, -n, -u, -l)' \
		sf ethtool -K $SFND
	# Nothing above changed anything.
	expect_eq "$(sf -j ethtool -n $SFND | jq -c '[.rules[].loc]')" "[5]" "rules after the errors"
	daemon_stop || fail "daemon stop"
}

test_rules_survive_kill9_and_restart() {
	daemon_start || fail "daemon start"
	sf_active 88
	add_three
	# A second SF, inactive: its rules are kept all the same.
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 89 >/dev/null || fail "port add 89"
	sf ethtool -N sfnic0S89 flow-type udp4 dst-port 4789 action 2 loc 0 || fail "rule on inactive SF"
	three_rules >"$T/want"
	daemon_kill9
	daemon_start || fail "daemon restart after kill -9"
	expect_out "$T/want" sf ethtool -n $SFND
	expect_eq "$(sf -j ethtool -n sfnic0S89 | jq -c '.rules')" \
		'[{"loc":0,"flow-type":"udp4","dst-port":4789,"action":2}]' "the inactive SF's rule"
	daemon_stop || fail "daemon stop"
	daemon_start || fail "daemon restart"
	expect_out "$T/want" sf ethtool -n $SFND
	# Activated later, the SF finds its rules where it left them.
	sf port function set sfnic/sfnic0/32769 state active || fail "activate 89"
	expect_eq "$(sf ethtool -n auxiliary/sfnic_core.sf.2 | sed -n 2p)" "Total 1 rules" \
		"rules of a newly active SF"
	daemon_stop || fail "daemon stop"
}

test_rules_deleted_with_the_sf() {
	daemon_start || fail "daemon start"
	sf_active 88
	add_three
	sf port del sfnic/sfnic0/32768 || fail "port del"
	expect_err "Cannot find device \"$SFND\"" sf ethtool -n $SFND
	# The same SF again: same name, no rules, and none come back on restart.
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 88 >/dev/null || fail "port add again"
	expect_eq "$(sf ethtool -n $SFND | sed -n 2p)" "Total 0 rules" "a new SF starts empty"
	daemon_kill9
	daemon_start || fail "daemon restart"
	expect_eq "$(sf ethtool -n $SFND | sed -n 2p)" "Total 0 rules" "and stays empty"
	expect_eq "$(sqlite3 "$T/state/sfnic.db" 'SELECT count(*) FROM steer')" 0 "steer rows in the store"
	daemon_stop || fail "daemon stop"
}

# A frame a flower rule redirects into the SF, then steered to action -1:
# dropped and counted as rule_drop on the SF's port; the other frame is not.
test_steer_drop_after_flower_redirect() {
	local A=02:00:00:00:00:0a B=02:00:00:00:00:0b
	daemon_start || fail "daemon start"
	sf_active 88
	sf filter add dev sfnic0np0 ingress protocol ip flower ip_proto udp \
		action mirred egress redirect dev sfnic0npf0sf88 || fail "filter add"
	sf ethtool -N $SFND flow-type udp4 dst-port 53 action -1 >/dev/null || fail "steer add"
	python3 tests/e2e/mkpcap.py "$T/in.pcap" "$A,$B,udp=53" "$A,$B,udp=54" "$A,$B,udp=53"
	sf replay p0 -r "$T/in.pcap" >/dev/null || fail "replay"
	for _ in $(seq 100); do
		[ "$(sf -j -s port show sfnic/sfnic0/32768 | jq '.port[].stats.drops.rule_drop')" = 2 ] && break
		sleep 0.02
	done
	expect_eq "$(sf -j -s port show sfnic/sfnic0/32768 | jq '.port[].stats.drops.rule_drop')" 2 \
		"frames steered to drop"
	expect_eq "$(sf -j -s filter show dev sfnic0np0 ingress | jq '.[0].options.actions[0].stats.packets')" \
		3 "the flower rule saw all three"
	daemon_stop || fail "daemon stop"
}
