# test_vxlan.sh - tunnel ports: `link add ... type vxlan`, `neigh`, the
# rules Open vSwitch writes for VXLAN encap and decap, between two sfnic
# hosts over a veth wire and against the kernel's own vxlan device.
#
# Two hosts are two network namespaces ($HA, $HB) joined by a veth pair
# (wa in $HA, 192.168.50.1; wb in $HB, 192.168.50.2): each runs an sfnicd
# whose uplink is its end of the wire (AF_PACKET), with one SF whose netdev
# sits in a container namespace ($CA 10.0.0.1, $CB 10.0.0.2, MTU 1450 as a
# VXLAN overlay has).  The kernel of each host keeps its address on the
# wire, so its routing and ARP give sfnic the outer headers.

MK=tests/e2e/mkpcap.py
D=sfnic/sfnic0
MAC_A=02:00:00:00:00:01
MAC_B=02:00:00:00:00:02
VX=vxlan_sys_4789

# hs HOST ARGS...: the sfnic CLI of host a or b.
hs() { local h=$1; shift; SFNIC_RUN_DIR="$T/$h/run" "$SFNIC" "$@"; }

# host_start HOST NETNS [SFNICD ARGS...]: starts host HOST's daemon in NETNS.
host_start() {
	local h=$1 ns=$2 d="$T/$1"
	shift 2
	mkdir -p "$d/run" "$d/state"
	ip netns exec "$ns" env SFNIC_RUN_DIR="$d/run" SFNIC_STATE_DIR="$d/state" \
		"$SFNICD" "$@" 2>>"$d/sfnicd.log" &
	eval "PID_$h=$!"
	for _ in $(seq 250); do
		[ -S "$d/run/sfnicd.sock" ] && hs "$h" dev show >/dev/null 2>&1 && return 0
		kill -0 "$(eval echo "\$PID_$h")" 2>/dev/null || { cat "$d/sfnicd.log" >&2; fail "host $h died"; }
		sleep 0.02
	done
	fail "host $h did not come up"
}

host_kill9() {
	local p
	p=$(eval echo "\$PID_$1")
	[ -n "$p" ] && kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null
	eval "PID_$1="
	# Its fd keeper holds the netdevs for a restart; this run is over.
	[ "$2" = all ] && for k in $(pgrep -f -- "--fd-keeper $T/$1/run/"); do kill "$k"; done
	true
}

host_stop() {
	local p rc
	p=$(eval echo "\$PID_$1")
	[ -n "$p" ] || return 0
	kill -TERM "$p"
	wait "$p"
	rc=$?
	eval "PID_$1="
	[ "$rc" -eq 0 ] || { cat "$T/$1/sfnicd.log" >&2; fail "host $1 exited with $rc"; }
}

vx_cleanup() {
	host_kill9 a all
	host_kill9 b all
	kill $(cat "$T/iperf3.pids" 2>/dev/null) 2>/dev/null
	ns_cleanup
}

# wire: the two host namespaces and the veth between them.
wire() {
	need_root
	trap vx_cleanup EXIT
	HA=vxha$$ HB=vxhb$$ CA=vxca$$ CB=vxcb$$
	ns_add $HA
	ns_add $HB
	ip link add wa netns $HA type veth peer name wb netns $HB || fail "veth"
	ip -n $HA addr add 192.168.50.1/24 dev wa
	ip -n $HB addr add 192.168.50.2/24 dev wb
	ip -n $HA link set wa up
	ip -n $HB link set wb up
	ip -n $HA link set lo up
	ip -n $HB link set lo up
	# The wire's far end fills in checksums a veth leaves partial.
	ip netns exec $HA ethtool -K wa tx off >/dev/null
	ip netns exec $HB ethtool -K wb tx off >/dev/null
}

# sf_host HOST HNS CNS MAC IP: switchdev, SF 88 active with MAC, its
# netdev in container namespace CNS with IP/24 and MTU 1450, and the tunnel
# port as OVS creates it.
sf_host() {
	local h=$1 hns=$2 cns=$3 mac=$4 addr=$5
	hs "$h" dev eswitch set $D mode switchdev || fail "switchdev $h"
	hs "$h" port add $D flavour pcisf pfnum 0 sfnum 88 >/dev/null || fail "port add $h"
	hs "$h" port function set $D/32768 hw_addr "$mac" state active || fail "activate $h"
	ns_add "$cns"
	for _ in $(seq 100); do
		ip -n "$hns" link show sfnic0S88 >/dev/null 2>&1 && break
		sleep 0.05
	done
	ip -n "$hns" link set sfnic0S88 netns "$cns" || fail "move the SF netdev of $h"
	ip -n "$cns" link set sfnic0S88 mtu 1450
	ip -n "$cns" addr add "$addr/24" dev sfnic0S88
	ip -n "$cns" link set sfnic0S88 up
	ip -n "$cns" link set lo up
	hs "$h" link add $VX type vxlan dstport 4789 external || fail "link add on $h"
}

# ovs_rules HOST LOCAL REMOTE LMAC RMAC: the encap and decap flows OVS
# writes for a VXLAN port with VNI 100 (reference tc-offload.md §4), for IP
# and for ARP.
ovs_rules() {
	local h=$1 lip=$2 rip=$3 lmac=$4 rmac=$5 p
	local set="action tunnel_key set src_ip $lip dst_ip $rip id 100 dst_port 4789 ttl 64 nocsum nofrag pipe action mirred egress redirect dev $VX"
	# shellcheck disable=SC2086
	hs "$h" filter add dev sfnic0npf0sf88 ingress protocol ip pref 2 chain 0 flower \
		dst_mac $rmac src_mac $lmac ip_flags nofrag $set || fail "encap ip on $h"
	# shellcheck disable=SC2086
	hs "$h" filter add dev sfnic0npf0sf88 ingress protocol arp pref 3 chain 0 flower \
		src_mac $lmac $set || fail "encap arp on $h"
	for p in "ip pref 2" "arp pref 3"; do
		# shellcheck disable=SC2086
		hs "$h" filter add dev $VX ingress protocol $p chain 0 flower \
			enc_src_ip $rip enc_dst_ip $lip enc_key_id 100 enc_dst_port 4789 \
			action tunnel_key unset pipe action mirred egress redirect dev sfnic0npf0sf88 ||
			fail "decap $p on $h"
	done
}

two_hosts() {
	wire
	host_start a $HA --uplink afpacket:wa
	host_start b $HB --uplink afpacket:wb
	sf_host a $HA $CA $MAC_A 10.0.0.1
	sf_host b $HB $CB $MAC_B 10.0.0.2
	ovs_rules a 192.168.50.1 192.168.50.2 $MAC_A $MAC_B
	ovs_rules b 192.168.50.2 192.168.50.1 $MAC_B $MAC_A
}

# vx_xfer NS_FROM ADDR_FROM NS_TO ADDR_TO: 16 MiB of random bytes over TCP
# from one container to the other arrive intact.
vx_xfer() {
	head -c 16777216 /dev/urandom >"$T/xfer.in"
	rm -f "$T/xfer.out"
	ip netns exec "$3" python3 tests/e2e/tcp_xfer.py recv "$4" 5401 "$T/xfer.out" &
	local r=$!
	ip netns exec "$1" python3 tests/e2e/tcp_xfer.py send "$4" 5401 "$T/xfer.in" ||
		fail "send $2 -> $4"
	wait $r || fail "receive $2 -> $4"
	[ "$(sha256sum <"$T/xfer.in")" = "$(sha256sum <"$T/xfer.out")" ] ||
		fail "$2 -> $4: $(stat -c %s "$T/xfer.out") bytes arrived, not the same"
}

# vx_ping NS ADDR N: N pings all answered (within 8 s).
vx_ping() { ip netns exec "$1" ping -q -c "$3" -i 0.2 -w 8 "$2" >/dev/null 2>&1; }

# ---- grammar, state, errors (no root) ----

test_vxlan_link_and_neigh_commands() {
	daemon_start
	sf link add vxlan0 type vxlan dstport 4789 external || fail "link add"
	# Without dstport: Linux's 8472, iproute2's warning on stderr.
	out=$(sf link add vx1 type vxlan id 7 remote 10.1.1.2 local 10.1.1.1 2>&1) || fail "link add vx1"
	expect_eq "$out" "vxlan: destination port not specified
Will use Linux kernel default (non-standard value)
Use 'dstport 4789' to get the IANA assigned value
Use 'dstport 0' to get default and quiet this message" "the warning"
	expect_eq "$(sf -j link show vx1 | jq -c '.[0].linkinfo.info_data')" \
		'{"id":7,"remote":"10.1.1.2","local":"10.1.1.1","port":8472,"ttl":0,"udp_csum":true}' "vx1"
	expect_eq "$(sf -j link show vxlan0 | jq -c '.[0] | [.ifname, .linkinfo.info_kind, .linkinfo.info_data.external, .linkinfo.info_data.port]')" \
		'["vxlan0","vxlan",true,4789]' "vxlan0"
	expect_eq "$(sf link show vxlan0 | sed -n 2p)" "    vxlan external dstport 4789 ttl auto udpcsum" "text"
	expect_err "Error: RTNETLINK answers: File exists." sf link add vxlan0 type vxlan external
	expect_err "Error: vxlan: both 'external' and vni cannot be specified." \
		sf link add vx2 type vxlan external id 5
	expect_err "Error: vxlan: missing virtual network identifier." sf link add vx2 type vxlan dstport 4789
	expect_err "Error: A VXLAN device with the specified VNI already exists (UDP port 4789 is taken by an external device or this VNI)." \
		sf link add vx2 type vxlan id 9 dstport 4789
	expect_err 'Error: Cannot find device "eth9" (a tunnel'"'"'s dev is the uplink).' \
		sf link add vx2 type vxlan external dstport 4790 dev eth9
	expect_err 'Error: Cannot find device "nope".' sf link del nope
	expect_err 'Error: Device "nope" does not exist.' sf link show nope
	sf link add vx3 type vxlan external dstport 4790 dev p0 || fail "dev p0"
	sf neigh add 192.168.7.2 lladdr 52:54:00:00:07:02 dev p0 || fail "neigh add"
	expect_err 'Error: "52:54:00" is invalid lladdr.' sf neigh add 192.168.7.3 lladdr 52:54:00
	expect_eq "$(sf neigh show)" "192.168.7.2 dev p0 lladdr 52:54:00:00:07:02 PERMANENT" "neigh show"
	# A filter on a tunnel port, named like a netdev.
	sf dev eswitch set $D mode switchdev || fail "switchdev"
	sf filter add dev vxlan0 ingress protocol ip pref 2 flower action drop || fail "filter on vxlan0"
	# Everything survives kill -9.
	daemon_kill9
	daemon_start
	expect_eq "$(sf -j link show | jq -c '[.[].ifname]')" '["vxlan0","vx1","vx3"]' "links after kill -9"
	expect_eq "$(sf neigh show)" "192.168.7.2 dev p0 lladdr 52:54:00:00:07:02 PERMANENT" "neigh after kill -9"
	expect_eq "$(sf -j filter show dev vxlan0 ingress | jq length)" 1 "rule on vxlan0 after kill -9"
	# Deleting a link takes its filters along, as unregistering a netdev does.
	sf link del vxlan0 || fail "link del"
	sf neigh del 192.168.7.2 || fail "neigh del"
	expect_err "Error: RTNETLINK answers: No such file or directory." sf neigh del 192.168.7.2
	daemon_kill9
	daemon_start
	expect_eq "$(sf -j link show | jq -c '[.[].ifname]')" '["vx1","vx3"]' "after link del and kill -9"
	expect_eq "$(sf neigh show)" "" "after neigh del"
	expect_eq "$(sqlite3 "$T/state/sfnic.db" 'select count(*) from rule')" 0 "vxlan0's rule went with it"
	daemon_stop
}

# Encap and decap byte for byte through pcap uplinks (no interface: the
# outer Ethernet header comes from `neigh` entries): host 1's SF sends a
# frame, encapsulated into out.pcap; host 2 reads that file and decaps it.
test_vxlan_pcap_encap_and_decap() {
	local set="action tunnel_key set src_ip 192.168.1.1 dst_ip 192.168.1.2 id 100 dst_port 4789 ttl 64 nocsum nofrag pipe action mirred egress redirect dev $VX"
	daemon_start --uplink "pcap:tx=$T/vx.pcap"
	sf_active 88
	sf link add $VX type vxlan dstport 4789 external || fail "link add"
	# No interface and no neighbour: refused when added, with the reason.
	# shellcheck disable=SC2086
	expect_err 'Error: cannot encapsulate to 192.168.1.2: no neighbour for 192.168.1.2: the uplink has no interface, add one with "sfnic neigh add 192.168.1.2 lladdr MAC".' \
		sf filter add dev sfnic0npf0sf88 ingress protocol ip pref 2 flower $set
	sf neigh add 192.168.1.2 lladdr 52:54:00:00:00:02 || fail "neigh add"
	# shellcheck disable=SC2086
	sf filter add dev sfnic0npf0sf88 ingress protocol ip pref 2 flower $set || fail "encap rule"
	python3 $MK "$T/sf.pcap" "$MAC_B,$MAC_A,udp=53"
	sf replay pf0sf88 -r "$T/sf.pcap" >/dev/null || fail "replay"
	sleep 0.3
	expect_eq "$(sf -s -j link show $VX | jq -c '.[0].stats.tx')" '{"packets":1,"bytes":114}' "encapsulated"
	daemon_stop
	# The outer headers: Ethernet from the neighbour, IPv4 with DF and ttl
	# 64, UDP to 4789 from a port in 32768..60998 without checksum, VXLAN
	# with VNI 100, then the SF's frame unchanged.
	hex=$(tcpdump -r "$T/vx.pcap" -xx 2>/dev/null | sed -n 's/^\t0x[0-9a-f]*: *//p' | tr -d ' \n')
	[ "${#hex}" = 228 ] || fail "frame length: $hex"
	expect_eq "${hex:0:12}" 525400000002 "outer dst MAC"
	expect_eq "${hex:24:4}" 0800 "IPv4"
	expect_eq "${hex:28:4}" 4500 "version, tos 0"
	expect_eq "${hex:32:4}" 0064 "total length 100"
	expect_eq "${hex:40:8}" 40004011 "DF, ttl 64, UDP"
	expect_eq "${hex:52:16}" c0a80101c0a80102 "addresses"
	sport=$((16#${hex:68:4}))
	[ "$sport" -ge 32768 ] && [ "$sport" -lt 60999 ] || fail "source port $sport"
	expect_eq "${hex:72:12}" 12b500500000 "dport 4789, UDP length 80, no checksum"
	expect_eq "${hex:84:16}" 0800000000006400 "VXLAN, VNI 100"
	expect_eq "${hex:100}" "$(tcpdump -r "$T/sf.pcap" -xx 2>/dev/null | sed -n 's/^\t0x[0-9a-f]*: *//p' | tr -d ' \n')" "the inner frame"
	# Host 2 receives that frame: decapsulated, its enc_* keys match, and
	# tunnel_key unset + redirect hand it to its SF; a second frame to
	# another VNI matches no rule and goes to the tunnel port's representor
	# (nobody: dropped, counted).
	rm -rf "$T/state" "$T/run"
	python3 - "$T/vx.pcap" "$T/vx2.pcap" <<'EOF'
import sys
d = open(sys.argv[1], 'rb').read()
hdr, rec = d[:24], d[24:]
f = bytearray(rec[16:])
g = bytearray(f)
g[48] = 0x65            # VNI 101
open(sys.argv[2], 'wb').write(hdr + rec[:16] + bytes(f) + rec[:16] + bytes(g))
EOF
	daemon_start --uplink "pcap:rx=$T/vx2.pcap"
	sf_active 88
	sf link add $VX type vxlan dstport 4789 external || fail "link add 2"
	sf filter add dev $VX ingress protocol ip pref 2 flower enc_src_ip 192.168.1.1 \
		enc_dst_ip 192.168.1.2 enc_key_id 100 enc_dst_port 4789 \
		action tunnel_key unset pipe action mirred egress redirect dev sfnic0npf0sf88 || fail "decap rule"
	daemon_stop
	daemon_start --uplink "pcap:rx=$T/vx2.pcap"
	sleep 0.5
	expect_eq "$(sf -s -j link show $VX | jq -c '.[0].stats.rx')" '{"packets":2,"bytes":128}' "decapsulated"
	expect_eq "$(sf -s -j link show $VX | jq -c '.[0].rep_stats.drops')" '{"no_consumer":1}' "VNI 101: the representor"
	expect_eq "$(sf -s -j filter show dev $VX ingress | jq '.[0].options.actions[0].stats.packets')" 1 "decap rule hit"
	expect_eq "$(sf -j -s port show $D/32768 | jq '.port[].stats.drops.no_consumer')" 1 "the SF got the inner frame"
	daemon_stop
}

# ---- two sfnic hosts (root) ----

test_vxlan_two_sfnic_hosts_ping_iperf3() {
	command -v iperf3 >/dev/null || fail "iperf3 is missing (scripts/deps.sh)"
	two_hosts
	vx_ping $CA 10.0.0.2 5 || fail "ping A -> B over VXLAN: $(tail -5 "$T/a/sfnicd.log")"
	vx_ping $CB 10.0.0.1 3 || fail "ping B -> A"
	# The frames went through the tunnel ports both ways.
	[ "$(hs a -s -j link show $VX | jq '.[0].stats.tx.packets')" -ge 8 ] || fail "A encapsulated too little"
	[ "$(hs b -s -j link show $VX | jq '.[0].stats.rx.packets')" -ge 8 ] || fail "B decapsulated too little"
	# On the wire: VXLAN with VNI 100 and no UDP checksum (nocsum).
	ip netns exec $HB timeout 5 tcpdump -c 1 -nvvi wb udp port 4789 >"$T/wire.txt" 2>/dev/null &
	local tp=$!
	sleep 0.5
	vx_ping $CA 10.0.0.2 1 || fail "ping under tcpdump"
	wait $tp
	grep -q "VXLAN, flags \[I\] (0x08), vni 100" "$T/wire.txt" || fail "wire: $(cat "$T/wire.txt")"
	grep -q "192.168.50.1.[0-9]* > 192.168.50.2.4789: \[no cksum\] VXLAN" "$T/wire.txt" || fail "wire: $(cat "$T/wire.txt")"
	# TCP: segmented before encapsulation (the SF's TSO frames), MSS of 1450.
	ip netns exec $CB iperf3 -s -1 -p 5201 -B 10.0.0.2 >/dev/null 2>&1 &
	echo $! >>"$T/iperf3.pids"
	sleep 0.5
	ip netns exec $CA iperf3 -c 10.0.0.2 -p 5201 -t 2 -J >"$T/iperf.json" 2>&1 ||
		fail "iperf3 over VXLAN: $(tail -5 "$T/iperf.json")"
	mbit=$(jq '.end.sum_received.bits_per_second / 1000000 | floor' "$T/iperf.json")
	[ "$mbit" -gt 10 ] || fail "iperf3: $mbit Mbit/s"
	echo "iperf3 SF -> SF over VXLAN: $mbit Mbit/s" >&2
	# Receive coalescing: B wrote trains of segments into its SF netdev as
	# super-frames (each of two segments or more).
	local gro
	gro=$(hs b -s -j port show $D/32768 | jq -c '.port[].stats.gro')
	[ "$(jq .frames <<<"$gro")" -gt 0 ] || fail "B merged nothing: $gro"
	[ "$(jq '.segments >= 2 * .frames' <<<"$gro")" = true ] || fail "B's merges: $gro"
	hs b -s port show $D/32768 | grep -q "gro: frames [1-9][0-9]* segments" ||
		fail "gro counters not shown: $(hs b -s port show $D/32768)"
	# Byte for byte, both ways, through the coalescing receivers.
	vx_xfer $CA 10.0.0.1 $CB 10.0.0.2
	vx_xfer $CB 10.0.0.2 $CA 10.0.0.1
	[ "$(hs a -s -j port show $D/32768 | jq '.port[].stats.gro.frames')" -gt 0 ] ||
		fail "A merged nothing"
	# A destination with a route but no neighbour: the rule is taken, frames
	# are dropped and counted until ARP answers (nobody has .77).
	hs a filter add dev sfnic0npf0sf88 ingress protocol ip pref 1 flower dst_ip 10.0.0.77 \
		action tunnel_key set src_ip 192.168.50.1 dst_ip 192.168.50.77 id 100 dst_port 4789 \
		pipe action mirred egress redirect dev $VX || fail "rule to an unresolved neighbour"
	ip -n $CA neigh replace 10.0.0.77 lladdr 02:00:00:00:00:77 dev sfnic0S88
	ip netns exec $CA ping -q -c 3 -i 0.3 -W 1 10.0.0.77 >/dev/null 2>&1
	[ "$(hs a -s -j link show $VX | jq '.[0].stats.drops.no_neigh')" -ge 1 ] || fail "no_neigh not counted"
	grep -q "tunnel 192.168.50.77: no neighbour" "$T/a/sfnicd.log" || fail "no log line for the neighbour"
	# No route: refused when the rule is added.
	expect_err "Error: cannot encapsulate to 10.99.0.9: no route to 10.99.0.9." \
		hs a filter add dev sfnic0npf0sf88 ingress protocol ip pref 1 flower dst_ip 10.0.0.99 \
		action tunnel_key set src_ip 192.168.50.1 dst_ip 10.99.0.9 id 100 \
		pipe action mirred egress redirect dev $VX
	# kill -9 and restart of host A: links, rules and the SF come back.
	host_kill9 a
	host_start a $HA --uplink afpacket:wa
	vx_ping $CA 10.0.0.2 3 || fail "ping after host A's kill -9: $(tail -5 "$T/a/sfnicd.log")"
	host_stop a
	host_stop b
}

# ---- against the kernel's vxlan (root) ----

test_vxlan_interop_with_linux_vxlan() {
	wire
	host_start a $HA --uplink afpacket:wa
	sf_host a $HA $CA $MAC_A 10.0.0.1
	ovs_rules a 192.168.50.1 192.168.50.2 $MAC_A $MAC_B
	# Host B is plain Linux: a vxlan device with VNI 100 towards A, its
	# default UDP checksum on, in the role of B's container.
	ip -n $HB link add vx0 type vxlan id 100 dstport 4789 remote 192.168.50.1 local 192.168.50.2 ||
		fail "kernel vxlan"
	ip -n $HB link set vx0 address $MAC_B mtu 1450 up
	ip -n $HB addr add 10.0.0.2/24 dev vx0
	vx_ping $CA 10.0.0.2 5 || fail "ping sfnic -> Linux vxlan: $(tail -5 "$T/a/sfnicd.log")"
	vx_ping $HB 10.0.0.1 3 || fail "ping Linux vxlan -> sfnic"
	ip netns exec $CA iperf3 -s -1 -p 5202 -B 10.0.0.1 >/dev/null 2>&1 &
	echo $! >>"$T/iperf3.pids"
	sleep 0.5
	ip netns exec $HB iperf3 -c 10.0.0.1 -p 5202 -t 2 -J >"$T/iperf.json" 2>&1 ||
		fail "iperf3 Linux -> sfnic: $(tail -5 "$T/iperf.json")"
	mbit=$(jq '.end.sum_received.bits_per_second / 1000000 | floor' "$T/iperf.json")
	[ "$mbit" -gt 10 ] || fail "iperf3: $mbit Mbit/s"
	echo "iperf3 Linux vxlan -> SF: $mbit Mbit/s" >&2
	# Linux checksummed its datagrams; sfnic checked each (bad ones would
	# be counted as bad_tunnel on the uplink).
	expect_eq "$(hs a -j -s port show $D/65535 | jq '.port[].stats.drops.bad_tunnel')" 0 "bad tunnel frames"
	host_stop a
}
