# test_cni.sh - sfnic-cni, the CNI plugin: invoked directly as a runtime
# would (environment, stdin config, result and error JSON) with Debian's
# containernetworking-plugins host-local and static as IPAM delegates, and
# under Debian's podman with the CNI backend.  Needs root.

CNI_PLUGINS=/usr/lib/cni

# cni CMD CONTAINERID NETNS CONF [IFNAME]: runs the plugin as a runtime
# does; its stdout is the result or error JSON.  Exit status 0 or 1 only:
# anything else is a sanitizer's report, on error paths too.
cni() {
	local rc
	CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=$3 CNI_IFNAME=${5:-eth0} CNI_PATH=$CNI_PLUGINS \
		"$BIN/sfnic-cni" <"$4"
	rc=$?
	[ "$rc" -le 1 ] || fail "sfnic-cni $1 $2 exited with $rc"
	return "$rc"
}

cni_need() {
	need_root
	[ -x "$CNI_PLUGINS/host-local" ] ||
		fail "containernetworking-plugins is missing (scripts/deps.sh installs it)"
}

# conf FILE [EXTRA_JSON] [IPAM_JSON]: a network "sfnet" on this test's
# daemon, state under $T/cni, host-local IPAM on 10.66.0.0/24 by default.
conf() {
	local ipam=${3:-"{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"10.66.0.0/24\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"}],\"dataDir\":\"$T/ipam\"}"}
	jq -n --arg run "$T/run" --arg data "$T/cni" --argjson ipam "$ipam" \
		--argjson extra "${2:-{\}}" \
		'{cniVersion:"1.0.0", name:"sfnet", type:"sfnic-cni", runDir:$run, dataDir:$data,
		  ipam:$ipam} + $extra' >"$1"
}

# with_prev CONF RESULT OUT: CONF plus prevResult, as runtimes call CHECK and DEL.
with_prev() { jq --slurpfile p "$2" '. + {prevResult: $p[0]}' "$1" >"$3"; }

# bridge_reps REP...: the representors on one Linux bridge (the slow path
# switches the pods' frames), as the README's Kubernetes setup does.
bridge_reps() {
	ip link add sfbr0 type bridge || fail "bridge"
	ip link set sfbr0 up
	for r in "$@"; do
		ip link set "$r" master sfbr0 || fail "enslave $r"
		ip link set "$r" up
	done
}

sfcount() { sf -j port show | jq '[.port[] | select(.flavour == "pcisf")] | length'; }

test_cni_add_check_del_with_host_local() {
	cni_need
	daemon_start || fail "daemon"
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	ns_add cna$$
	ns_add cnb$$
	conf "$T/net.json" '{"mtu":1400}'
	cni ADD ca /run/netns/cna$$ "$T/net.json" >"$T/a.json" || fail "ADD a: $(cat "$T/a.json")"
	cni ADD cb /run/netns/cnb$$ "$T/net.json" >"$T/b.json" || fail "ADD b: $(cat "$T/b.json")"
	# The result: the representor on the host, eth0 in the sandbox with
	# the SF function's hw_addr, host-local's address pointing at it.
	expect_eq "$(jq -r .cniVersion "$T/a.json")" 1.0.0 "cniVersion"
	expect_eq "$(jq -r '.interfaces[0].name' "$T/a.json")" sfnic0npf0sf100 "host interface"
	expect_eq "$(jq -r '.interfaces[0].sandbox // "none"' "$T/a.json")" none "host interface sandbox"
	expect_eq "$(jq -r '.interfaces[1] | "\(.name) \(.sandbox)"' "$T/a.json")" "eth0 /run/netns/cna$$" "container interface"
	expect_eq "$(jq -c '.ips' "$T/a.json")" '[{"address":"10.66.0.2/24","gateway":"10.66.0.1","interface":1}]' "ips"
	expect_eq "$(jq -c '.routes' "$T/a.json")" '[{"dst":"0.0.0.0/0"}]' "routes"
	expect_eq "$(jq -r '.ips[0].address' "$T/b.json")" 10.66.0.3/24 "second lease"
	mac=$(jq -r '.interfaces[1].mac' "$T/a.json")
	expect_eq "$(sf -j port show sfnic/sfnic0/32768 | jq -r '.port[].function.hw_addr')" "$mac" "function hw_addr"
	expect_eq "$(ip -n cna$$ -j link show eth0 | jq -r '.[0] | "\(.address) \(.mtu) \(.operstate)"')" "$mac 1400 UNKNOWN" "eth0 in the container"
	expect_eq "$(ip -n cna$$ -j addr show eth0 | jq -r '[.[0].addr_info[] | select(.family == "inet") | "\(.local)/\(.prefixlen)"] | join(",")')" 10.66.0.2/24 "address"
	expect_eq "$(ip -n cna$$ -j route show default | jq -r '.[0] | "\(.gateway) \(.dev)"')" "10.66.0.1 eth0" "default route"
	ip link show sfnic0S100 >/dev/null 2>&1 && fail "the SF netdev stayed on the host"
	# Pods meet on a bridge over their representors.
	bridge_reps sfnic0npf0sf100 sfnic0npf0sf101
	ip netns exec cna$$ ping -q -c 3 -i 0.2 -w 5 10.66.0.3 >/dev/null || fail "ping a -> b"
	ip netns exec cnb$$ ping -q -c 3 -i 0.2 -w 5 10.66.0.2 >/dev/null || fail "ping b -> a"
	# CHECK passes on what ADD made and fails when it is changed.
	with_prev "$T/net.json" "$T/a.json" "$T/check-a.json"
	cni CHECK ca /run/netns/cna$$ "$T/check-a.json" >"$T/out.json" || fail "CHECK: $(cat "$T/out.json")"
	ip -n cna$$ addr del 10.66.0.2/24 dev eth0
	cni CHECK ca /run/netns/cna$$ "$T/check-a.json" >"$T/out.json" 2>/dev/null && fail "CHECK passed without the address"
	expect_eq "$(jq -r '"\(.code) \(.details)"' "$T/out.json")" "102 address 10.66.0.2/24 is missing from eth0" "CHECK error"
	# DEL, twice; the SF, its netdev and the lease are gone.
	cni DEL ca /run/netns/cna$$ "$T/check-a.json" >"$T/out.json" || fail "DEL: $(cat "$T/out.json")"
	expect_eq "$(cat "$T/out.json")" "" "DEL prints nothing"
	cni DEL ca /run/netns/cna$$ "$T/check-a.json" >"$T/out.json" || fail "second DEL: $(cat "$T/out.json")"
	cni DEL cz /run/netns/cna$$ "$T/net.json" >/dev/null || fail "DEL of an unknown container"
	expect_eq "$(sfcount)" 1 "SFs after DEL"
	ip -n cna$$ link show eth0 >/dev/null 2>&1 && fail "eth0 left in the container"
	[ -e "$T/ipam/sfnet/10.66.0.2" ] && fail "host-local lease kept"
	[ -e "$T/cni/sfnet-ca-eth0.json" ] && fail "record kept"
	cni DEL cb /run/netns/cnb$$ "$T/net.json" >/dev/null || fail "DEL b"
	expect_eq "$(sfcount)" 0 "SFs after both DELs"
	daemon_stop
}

test_cni_static_ipam_and_flower_rules() {
	cni_need
	daemon_start || fail "daemon"
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	ns_add csa$$
	ns_add csb$$
	# static: the address is in each container's config; the plugin
	# speaks 0.4.0 results too (ips carry "version").
	conf "$T/a.conf" '{"cniVersion":"0.4.0"}' '{"type":"static","addresses":[{"address":"10.67.0.1/24"},{"address":"fd67::1/64"}]}'
	conf "$T/b.conf" '{"cniVersion":"0.4.0"}' '{"type":"static","addresses":[{"address":"10.67.0.2/24"},{"address":"fd67::2/64"}]}'
	cni ADD sa /run/netns/csa$$ "$T/a.conf" >"$T/a.json" || fail "ADD a: $(cat "$T/a.json")"
	cni ADD sb /run/netns/csb$$ "$T/b.conf" >"$T/b.json" || fail "ADD b: $(cat "$T/b.json")"
	expect_eq "$(jq -cS '.ips' "$T/a.json")" '[{"address":"10.67.0.1/24","interface":1,"version":"4"},{"address":"fd67::1/64","interface":1,"version":"6"}]' "0.4.0 ips"
	expect_eq "$(jq -r .cniVersion "$T/a.json")" 0.4.0 "cniVersion echoed"
	ip netns exec csa$$ ping -q -c 1 -W 1 10.67.0.2 >/dev/null 2>&1 && fail "ping without rules"
	# Per-pair rules instead of a bridge.
	sf filter add dev sfnic0npf0sf100 ingress prio 1 flower action mirred egress redirect dev sfnic0npf0sf101 || fail "rule"
	sf filter add dev sfnic0npf0sf101 ingress prio 1 flower action mirred egress redirect dev sfnic0npf0sf100 || fail "rule"
	ip netns exec csa$$ ping -q -c 3 -i 0.2 -w 5 10.67.0.2 >/dev/null || fail "ping over the rules"
	ip netns exec csa$$ ping -6 -q -c 3 -i 0.2 -w 5 fd67::2 >/dev/null || fail "ping6 over the rules"
	with_prev "$T/a.conf" "$T/a.json" "$T/check.json"
	cni CHECK sa /run/netns/csa$$ "$T/check.json" >"$T/out.json" || fail "CHECK: $(cat "$T/out.json")"
	cni DEL sa /run/netns/csa$$ "$T/check.json" >/dev/null || fail "DEL a"
	cni DEL sb /run/netns/csb$$ "$T/b.conf" >/dev/null || fail "DEL b"
	expect_eq "$(sfcount)" 0 "SFs after DEL"
	daemon_stop
}

test_cni_del_after_daemon_kill9_and_restart() {
	cni_need
	daemon_start || fail "daemon"
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	ns_add ck$$
	conf "$T/net.json"
	cni ADD ck /run/netns/ck$$ "$T/net.json" >"$T/a.json" || fail "ADD: $(cat "$T/a.json")"
	with_prev "$T/net.json" "$T/a.json" "$T/prev.json"
	daemon_kill9
	# DEL while sfnicd is down: try again later, the record is kept.
	cni DEL ck /run/netns/ck$$ "$T/prev.json" >"$T/out.json" 2>/dev/null && fail "DEL without a daemon succeeded"
	expect_eq "$(jq -r '"\(.code) \(.msg)"' "$T/out.json")" "11 sfnicd is not reachable" "DEL error"
	cni CHECK ck /run/netns/ck$$ "$T/prev.json" >"$T/out.json" 2>/dev/null && fail "CHECK without a daemon"
	expect_eq "$(jq -r .code "$T/out.json")" 11 "CHECK error"
	[ -e "$T/cni/sfnet-ck-eth0.json" ] || fail "the record went with a failed DEL"
	# The restarted daemon has the SF, the container kept its netdev.
	daemon_start || fail "restart"
	cni CHECK ck /run/netns/ck$$ "$T/prev.json" >"$T/out.json" || fail "CHECK after restart: $(cat "$T/out.json")"
	cni DEL ck /run/netns/ck$$ "$T/prev.json" >"$T/out.json" || fail "DEL after restart: $(cat "$T/out.json")"
	expect_eq "$(sfcount)" 0 "SFs after DEL"
	ip -n ck$$ link show eth0 >/dev/null 2>&1 && fail "eth0 left in the container"
	# A restart between two DELs changes nothing.
	daemon_kill9
	daemon_start || fail "restart"
	cni DEL ck /run/netns/ck$$ "$T/prev.json" >/dev/null || fail "DEL after DEL and restart"
	expect_eq "$(sfcount)" 0 "SFs after a restart"
	daemon_stop
}

# cni_err OUT CODE MSG: the error JSON OUT has that code and msg.
cni_err() {
	expect_eq "$(jq -r '"\(.code) \(.msg)"' "$1")" "$2 $3" "error JSON $(cat "$1")"
}

test_cni_errors_and_version() {
	cni_need
	conf "$T/net.json"
	ns_add ce$$
	# VERSION answers with the config's version and the list.
	echo '{"cniVersion":"1.0.0"}' >"$T/v.json"
	expect_eq "$(CNI_COMMAND=VERSION "$BIN/sfnic-cni" <"$T/v.json" | jq -c .)" \
		'{"cniVersion":"1.0.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0"]}' "VERSION"
	# Environment (code 4), config (1, 6, 7), then the daemon (11).
	CNI_COMMAND=ADD CNI_CONTAINERID=c1 "$BIN/sfnic-cni" <"$T/net.json" >"$T/e.json" 2>/dev/null && fail "ADD without env"
	cni_err "$T/e.json" 4 "required environment variables missing"
	expect_eq "$(jq -r .details "$T/e.json")" "CNI_NETNS CNI_IFNAME is not set" "details"
	CNI_COMMAND=GC "$BIN/sfnic-cni" <"$T/net.json" >"$T/e.json" 2>/dev/null && fail "GC"
	cni_err "$T/e.json" 4 "unknown CNI_COMMAND"
	cni ADD c1 /run/netns/ce$$ "$T/net.json" bad/name >"$T/e.json" 2>/dev/null && fail "bad ifname"
	cni_err "$T/e.json" 4 "invalid CNI_IFNAME"
	echo '{"cniVersion":' >"$T/bad.json"
	cni ADD c1 /run/netns/ce$$ "$T/bad.json" >"$T/e.json" 2>/dev/null && fail "bad JSON"
	cni_err "$T/e.json" 6 "cannot decode the network config"
	conf "$T/bad.json" '{"cniVersion":"2.0.0"}'
	cni ADD c1 /run/netns/ce$$ "$T/bad.json" >"$T/e.json" 2>/dev/null && fail "bad version"
	cni_err "$T/e.json" 1 "incompatible CNI versions"
	conf "$T/bad.json" '{"interface":"vf"}'
	cni ADD c1 /run/netns/ce$$ "$T/bad.json" >"$T/e.json" 2>/dev/null && fail "bad interface"
	cni_err "$T/e.json" 7 "invalid network config"
	expect_eq "$(jq -r .details "$T/e.json")" '"interface": expected "netdev" or "memif"' "details"
	cni ADD c1 /run/netns/ce$$ "$T/net.json" >"$T/e.json" 2>/dev/null && fail "ADD without a daemon"
	cni_err "$T/e.json" 11 "sfnicd is not reachable"
	[ -n "$(ls "$T/cni"/*.json 2>/dev/null)" ] && fail "a record of a failed ADD"
	daemon_start || fail "daemon"
	# Legacy mode: the daemon's own message comes through.
	cni ADD c1 /run/netns/ce$$ "$T/net.json" >"$T/e.json" 2>/dev/null && fail "ADD in legacy mode"
	cni_err "$T/e.json" 100 "sfnicd refused the request"
	expect_eq "$(jq -r .details "$T/e.json")" "port.add sfnic/sfnic0: SF ports are only supported in eswitch switchdev mode." "details"
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	# An IPAM plugin that is not there; then one that fails: nothing is left behind.
	conf "$T/bad.json" '{}' '{"type":"nosuch-ipam"}'
	cni ADD c1 /run/netns/ce$$ "$T/bad.json" >"$T/e.json" 2>/dev/null && fail "missing IPAM"
	cni_err "$T/e.json" 7 "invalid network config"
	conf "$T/one.json" '{}' "{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"10.68.0.0/30\"}]],\"dataDir\":\"$T/ipam\"}"
	cni ADD c1 /run/netns/ce$$ "$T/one.json" >/dev/null || fail "ADD"
	ns_add ce2$$
	cni ADD c2 /run/netns/ce2$$ "$T/one.json" >"$T/e.json" 2>/dev/null && fail "ADD with the range exhausted"
	expect_eq "$(jq -r .code "$T/e.json")" 999 "host-local's code"
	jq -r .msg "$T/e.json" | grep -q "no IP addresses available" || fail "host-local's message: $(cat "$T/e.json")"
	expect_eq "$(sfcount)" 1 "SFs after a failed ADD"
	[ -e "$T/cni/sfnet-c2-eth0.json" ] && fail "a record of a failed ADD"
	ip -n ce2$$ link show | grep -q sfnic && fail "a netdev of a failed ADD"
	# ADD twice for one attachment; CHECK without prevResult.
	cni ADD c1 /run/netns/ce$$ "$T/one.json" >"$T/e.json" 2>/dev/null && fail "second ADD"
	cni_err "$T/e.json" 103 "the attachment exists already"
	cni CHECK c1 /run/netns/ce$$ "$T/one.json" >"$T/e.json" 2>/dev/null && fail "CHECK without prevResult"
	cni_err "$T/e.json" 7 "invalid network config"
	cni DEL c1 /run/netns/ce$$ "$T/one.json" >/dev/null || fail "DEL"
	expect_eq "$(sfcount)" 0 "SFs"
	daemon_stop
}

test_cni_pool_and_memif() {
	cni_need
	daemon_start || fail "daemon"
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	for n in 200 201; do
		sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum $n >/dev/null || fail "port add $n"
	done
	ns_add cpa$$
	ns_add cpb$$
	ns_add cpc$$
	conf "$T/pool.json" '{"pool":"200-201"}'
	cni ADD pa /run/netns/cpa$$ "$T/pool.json" >"$T/a.json" || fail "ADD a: $(cat "$T/a.json")"
	cni ADD pb /run/netns/cpb$$ "$T/pool.json" >"$T/b.json" || fail "ADD b: $(cat "$T/b.json")"
	expect_eq "$(jq -r '.interfaces[0].name' "$T/a.json") $(jq -r '.interfaces[0].name' "$T/b.json")" \
		"sfnic0npf0sf200 sfnic0npf0sf201" "pool SFs taken in order"
	cni ADD pc /run/netns/cpc$$ "$T/pool.json" >"$T/e.json" 2>/dev/null && fail "ADD with the pool empty"
	cni_err "$T/e.json" 11 "the SF pool is exhausted"
	# DEL gives the SF back, inactive, out of the container; it is reused.
	cni DEL pa /run/netns/cpa$$ "$T/pool.json" >/dev/null || fail "DEL a"
	expect_eq "$(sf -j port show sfnic0npf0sf200 | jq -r '.port[].function.state')" inactive "returned SF"
	ip -n cpa$$ link show eth0 >/dev/null 2>&1 && fail "eth0 stayed in the container"
	cni ADD pc /run/netns/cpc$$ "$T/pool.json" >"$T/c.json" || fail "ADD c: $(cat "$T/c.json")"
	expect_eq "$(jq -r '.interfaces[0].name' "$T/c.json")" sfnic0npf0sf200 "pool SF reused"
	ip -n cpc$$ link show eth0 >/dev/null || fail "no eth0 in c"
	cni DEL pb /run/netns/cpb$$ "$T/pool.json" >/dev/null || fail "DEL b"
	cni DEL pc /run/netns/cpc$$ "$T/pool.json" >/dev/null || fail "DEL c"
	expect_eq "$(sfcount)" 2 "pool SFs stay"
	# memif: the SF without eth; its socket linked where the config says.
	conf "$T/memif.json" "{\"interface\":\"memif\",\"memifSocketDir\":\"$T/pods\"}"
	cni ADD ma /run/netns/cpa$$ "$T/memif.json" >"$T/m.json" || fail "ADD memif: $(cat "$T/m.json")"
	sock=$(jq -r '.interfaces[1].socketPath' "$T/m.json")
	expect_eq "$sock" "$T/pods/ma-eth0.sock" "socketPath"
	[ -S "$sock" ] || fail "no socket at $sock"
	expect_eq "$(stat -c %i "$sock")" "$(stat -c %i "$T/run/memif/sfnic0S100.sock")" "the link is the daemon's socket"
	ip -n cpa$$ link show eth0 >/dev/null 2>&1 && fail "a netdev for a memif attachment"
	expect_eq "$(sf -j port show | jq -r '[.port[] | select(.flavour == "virtual") | .netdev // "none"] | join(",")')" none "eth disabled"
	# A memif client connecting through the link hears the server's HELLO.
	python3 - "$sock" <<'EOF' || fail "memif HELLO through the link"
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.settimeout(5)
msg = s.recv(128)
assert len(msg) == 128 and struct.unpack_from("<H", msg)[0] == 2, msg[:4]
EOF
	with_prev "$T/memif.json" "$T/m.json" "$T/mcheck.json"
	cni CHECK ma /run/netns/cpa$$ "$T/mcheck.json" >"$T/out.json" || fail "CHECK memif: $(cat "$T/out.json")"
	cni DEL ma /run/netns/cpa$$ "$T/mcheck.json" >/dev/null || fail "DEL memif"
	[ -e "$sock" ] && fail "the socket link stayed"
	expect_eq "$(sfcount)" 2 "SFs after the memif DEL"
	daemon_stop
}

# The runtime: podman 4.3 with the CNI backend runs two containers from a
# busybox rootfs on an sfnic network; they ping each other and a host
# behind the uplink; stopping them deletes their SFs.  Everything podman
# keeps (storage, run root, CNI result cache, netns mounts) is under $T, in a
# mount namespace of the test's own.
test_cni_podman_two_containers() {
	cni_need
	command -v podman >/dev/null && command -v runc >/dev/null && [ -x /bin/busybox ] ||
		fail "podman, runc or busybox-static is missing (scripts/deps.sh installs them)"
	mkdir -p "$T/cnicache"
	unshare -m --propagation private -- bash -c '
		mount --bind "$T/cnicache" /var/lib/cni 2>/dev/null ||
			{ mkdir -p /var/lib/cni && mount --bind "$T/cnicache" /var/lib/cni; } || exit 1
		. tests/e2e/lib.sh; . tests/e2e/test_cni.sh
		trap "podman_cleanup; daemon_kill9; ns_cleanup" EXIT
		podman_body' || fail "podman test"
}

podman_cleanup() {
	[ -n "$P" ] && $P rm -f -t 0 c1 c2 >/dev/null 2>&1
	true
}

podman_body() {
	NH=cnh$$
	ns_add $NH
	ip link add up0 type veth peer name hostif netns $NH || fail "veth"
	ip link set up0 up
	ip -n $NH addr add 10.69.0.1/24 dev hostif
	ip -n $NH link set hostif up
	daemon_start --uplink afpacket:up0 || fail "daemon"
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	mkdir -p "$T/bin" "$T/net.d" "$T/rootfs/bin" "$T/rootfs/etc" "$T/rootfs/proc" \
		"$T/rootfs/sys" "$T/rootfs/dev" "$T/rootfs/tmp"
	cp "$BIN/sfnic-cni" "$T/bin/"
	cp /bin/busybox "$T/rootfs/bin/"
	for a in sh sleep ping ip; do ln -s busybox "$T/rootfs/bin/$a"; done
	cat >"$T/containers.conf" <<EOF
[network]
network_backend = "cni"
cni_plugin_dirs = ["$T/bin", "$CNI_PLUGINS"]
network_config_dir = "$T/net.d"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/events.log"
tmp_dir = "$T/libpod"
EOF
	jq -n --arg run "$T/run" --arg data "$T/cni" --arg ipam "$T/ipam" \
		'{cniVersion:"1.0.0", name:"sfnet", plugins:[{type:"sfnic-cni", runDir:$run,
		  dataDir:$data, ipam:{type:"host-local", ranges:[[{subnet:"10.69.0.0/24",
		  gateway:"10.69.0.1"}]], routes:[{dst:"0.0.0.0/0"}], dataDir:$ipam}}]}' \
		>"$T/net.d/sfnet.conflist"
	export CONTAINERS_CONF="$T/containers.conf"
	P="podman --root $T/storage --runroot $T/runroot --runtime runc --cgroup-manager=cgroupfs"
	expect_eq "$($P network ls --format '{{.Name}} {{.Driver}}' | grep sfnet)" "sfnet sfnic-cni" "podman network ls"
	# This sandbox has no CAP_SYS_RESOURCE: podman's "--ulimit host"
	# still asks runc for limits above ours, explicit low ones work.
	local run="$P run -d --network sfnet --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --cap-add NET_RAW"
	$run --name c1 --rootfs "$T/rootfs" /bin/sleep 120 >/dev/null || fail "podman run c1"
	$run --name c2 --rootfs "$T/rootfs" /bin/sleep 120 >/dev/null || fail "podman run c2"
	expect_eq "$(sfcount)" 2 "SFs of two containers"
	# Every pod's representor and the uplink's on one bridge.
	bridge_reps sfnic0npf0sf100 sfnic0npf0sf101 sfnic0np0
	ip2=$($P inspect c2 --format '{{.NetworkSettings.Networks.sfnet.IPAddress}}')
	expect_eq "$ip2" 10.69.0.3 "c2's address"
	mac1=$($P inspect c1 --format '{{.NetworkSettings.Networks.sfnet.MacAddress}}')
	expect_eq "$(sf -j port show sfnic/sfnic0/32768 | jq -r '.port[].function.hw_addr')" "$mac1" "c1's MAC is its SF's hw_addr"
	$P exec c1 ping -c 3 -W 2 10.69.0.3 >"$T/ping.txt" 2>&1 || fail "c1 -> c2: $(cat "$T/ping.txt")"
	$P exec c2 ping -c 3 -W 2 10.69.0.1 >"$T/ping.txt" 2>&1 || fail "c2 -> host through the uplink: $(cat "$T/ping.txt")"
	[ "$(sf -j -s port show sfnic/sfnic0/65535 | jq '.port[].stats.tx.packets')" -ge 3 ] || fail "nothing left through p0"
	$P stop -t 0 c1 c2 >/dev/null || fail "podman stop"
	expect_eq "$(sfcount)" 0 "SFs after podman stop"
	expect_eq "$(ls "$T/cni" | grep -c json)" 0 "records after podman stop"
	$P rm c1 c2 >/dev/null || fail "podman rm"
	daemon_stop
}

# Runtimes run different containers' ADDs and DELs in parallel: each gets
# its own SF and lease, and all DELs leave nothing.
test_cni_parallel_adds_and_dels() {
	cni_need
	daemon_start || fail "daemon"
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	conf "$T/net.json"
	for i in 1 2 3 4; do ns_add cpp$i$$; done
	local pids=()
	for i in 1 2 3 4; do
		cni ADD p$i /run/netns/cpp$i$$ "$T/net.json" >"$T/p$i.json" 2>"$T/p$i.err" &
		pids+=($!)
	done
	wait "${pids[@]}"       # not the daemon
	for i in 1 2 3 4; do
		jq -e '.ips[0].address' "$T/p$i.json" >/dev/null || fail "ADD p$i: $(cat "$T/p$i.json" "$T/p$i.err")"
	done
	expect_eq "$(sfcount)" 4 "SFs"
	expect_eq "$(cat "$T"/p?.json | jq -r '.interfaces[0].name' | sort -u | wc -l)" 4 "distinct SFs"
	expect_eq "$(cat "$T"/p?.json | jq -r '.ips[0].address' | sort -u | wc -l)" 4 "distinct addresses"
	pids=()
	for i in 1 2 3 4; do cni DEL p$i /run/netns/cpp$i$$ "$T/net.json" >/dev/null & pids+=($!); done
	wait "${pids[@]}"
	expect_eq "$(sfcount)" 0 "SFs after DEL"
	expect_eq "$(ls "$T/cni" | grep -c json)" 0 "records after DEL"
	daemon_stop
}

# A namespace path longer than sfnicd records (63 characters, as kubelets'
# and CRI-O's may be): the plugin moves the netdev itself.
test_cni_long_netns_path() {
	cni_need
	daemon_start || fail "daemon"
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	ns_add cl$$
	local long="$T/a-network-namespace-path-longer-than-sixty-three-characters"
	touch "$long"
	mount --bind /run/netns/cl$$ "$long" || fail "bind mount"
	conf "$T/net.json"
	cni ADD cl "$long" "$T/net.json" >"$T/a.json" || { umount "$long"; fail "ADD: $(cat "$T/a.json")"; }
	ip -n cl$$ link show eth0 >/dev/null 2>&1 || { umount "$long"; fail "no eth0 in the namespace"; }
	with_prev "$T/net.json" "$T/a.json" "$T/prev.json"
	cni CHECK cl "$long" "$T/prev.json" >"$T/out.json" || { umount "$long"; fail "CHECK: $(cat "$T/out.json")"; }
	cni DEL cl "$long" "$T/prev.json" >/dev/null || { umount "$long"; fail "DEL"; }
	umount "$long"
	expect_eq "$(sfcount)" 0 "SFs after DEL"
	daemon_stop
}
