# test_ctl.sh - sfnicctl and the ctl channel (issue 11, seed 002: fwctl):
#
#   scopes         who may do what follows the peer's credentials: a member
#                  of the socket's group reads (queries, dumps) and every
#                  write it tries is refused before the device, leaving the
#                  device exactly as it was; the daemon's own user may debug
#                  write but not full write; root may do all; the first
#                  debug write taints the device (sfnic dev info, the log)
#                  and nothing before it does; a user outside the group
#                  cannot connect.
#   errnos         malformed, oversized and hostile requests get fwctl's
#                  errnos (ctl_raw.py) or a close, never a crash; a partial
#                  message is dropped at its deadline.
#   lifetimes      kill -9 of a client frees its context and umems; the
#                  per-user connection limit holds and frees with them; 50
#                  concurrent clients and a kill -9 among them.
#   queries        every query compared with what `sfnic` shows.
#
# The daemon runs as an ordinary user (sfnictest-d) so that the three
# classes of caller exist: root, the daemon's user, and a member of the
# ctl group (sfnictest-m); sfnictest-o is in no group of the daemon's.

CTL="$BIN/sfnicctl"
RAW=tests/e2e/ctl_raw.py
PY=/usr/bin/python3     # the system's: other users can run it
U_D=sfnictest-d
U_M=sfnictest-m
U_O=sfnictest-o
G=sfnictest-ctl

ctl_users() {
	need_root
	getent group $G >/dev/null || groupadd -r $G || fail "groupadd $G"
	for u in $U_D $U_M $U_O; do
		id -u $u >/dev/null 2>&1 || useradd -r -M -N -g nogroup -s /usr/sbin/nologin $u ||
			fail "useradd $u"
	done
	# The daemon's user must be in the group to give it the socket.
	usermod -a -G $G $U_M && usermod -a -G $G $U_D || fail "usermod"
}

# as USER CMD...: CMD with USER's uid, primary and supplementary groups.
as() {
	local u=$1
	shift
	setpriv --reuid "$u" --regid "$(id -g "$u")" --init-groups "$@"
}

# ctl_daemon: sfnicd as $U_D, sfnicctl.sock for group $G.
ctl_daemon() {
	ctl_users
	chmod 755 "$T"
	mkdir -p "$T/run" "$T/state"
	chown $U_D "$T/run" "$T/state"
	chmod 755 "$T/run"
	export SFNIC_RUN_DIR="$T/run" SFNIC_STATE_DIR="$T/state"
	# setpriv itself, not a function: $DPID must be the daemon.
	setpriv --reuid $U_D --regid "$(id -g $U_D)" --init-groups \
		"$SFNICD" --netdevs off --ctl-group $G 2>>"$T/sfnicd.log" &
	DPID=$!
	for _ in $(seq 200); do
		[ -S "$T/run/sfnicctl.sock" ] && sf dev show >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || { cat "$T/sfnicd.log" >&2; fail "daemon died"; }
		sleep 0.02
	done
	fail "daemon did not come up"
}

caps() { "$@" info | grep CAP | tr '\n' ' '; }

# The device's state as both tools see it.
state() {
	sf -j port show
	sf -j dev eswitch show sfnic/sfnic0
	sf -j filter show dev sfnic0np0 ingress
	"$CTL" -j query sf-table
	"$CTL" -j query vhca 32768
	"$CTL" -j query esw
}

test_ctl_scopes_follow_credentials() {
	ctl_daemon
	sf_active 88
	sf filter add dev sfnic0np0 ingress prio 1 protocol ip flower dst_mac 02:00:00:00:00:88 \
		action mirred egress redirect dev sfnic0npf0sf88 || fail "filter"
	expect_eq "$(stat -c '%a %G' "$T/run/sfnicctl.sock")" "660 $G" "socket mode and group"
	expect_eq "$(caps "$CTL")" "UCTX CAP: 0xf DEV UCTX CAP: 0xf USER CAP: 0xf " "root's caps"
	expect_eq "$(caps as $U_D "$CTL")" "UCTX CAP: 0x7 DEV UCTX CAP: 0xf USER CAP: 0x7 " "daemon user's caps"
	expect_eq "$(caps as $U_M "$CTL")" "UCTX CAP: 0x3 DEV UCTX CAP: 0xf USER CAP: 0x3 " "member's caps"
	expect_eq "$(as $U_M "$CTL" -j info | jq -r .uid)" "$(id -u $U_M)" "INFO's uid"
	expect_err "sfnicctl: cannot connect to $T/run/sfnicctl.sock: Permission denied (not in the socket's group?)" \
		as $U_O "$CTL" info

	# A member reads everything the tool offers...
	for q in caps "vport 32768" "vhca 32768" sf-table esw flows pools queues eqs; do
		# shellcheck disable=SC2086
		as $U_M "$CTL" query $q >/dev/null || fail "member: query $q"
	done
	as $U_M "$CTL" cmd QUERY_HCA_CAP >/dev/null || fail "member: raw QUERY_HCA_CAP"
	as $U_M "$CTL" resource-dump >/dev/null || fail "member: resource-dump"
	# ...and every write is refused before the device, whatever scope it asks.
	state >"$T/before"
	local eqe=0201000000000000 vhca=0080000001000000 scope
	expect_err "sfnicctl: GEN_EQE: Operation not permitted (scope debug_write is beyond this context's capabilities 0x3)" \
		as $U_M "$CTL" cmd GEN_EQE in $eqe
	expect_err "sfnicctl: MODIFY_VHCA_STATE: Operation not permitted (scope debug_write_full is beyond this context's capabilities 0x3)" \
		as $U_M "$CTL" cmd MODIFY_VHCA_STATE in $vhca
	expect_err "sfnicctl: GEN_EQE: Operation not permitted (opcode 0x0304 needs scope debug_write, above debug_read_only)" \
		as $U_M "$CTL" --scope debug_read_only cmd GEN_EQE in $eqe
	for scope in configuration debug_read_only debug_write debug_write_full; do
		for op in "DISABLE_HCA in 0080000000000000" "DEALLOC_SF in 0080000000000000" \
			"SET_ESW_MODE in 0000000000000000" "MODIFY_VPORT_CTX in 008000000300000000000000000000000000dc05" \
			"DELETE_FLOW_TABLE_ENTRY in ffff0000000000000100000001000000" "ALLOC_SF" "SET_HCA_CAP" \
			"CREATE_UCTX" "DESTROY_UCTX in 0100000000000000" "DESTROY_UMEM in 0100000000000000" \
			"MODIFY_VHCA_STATE in $vhca" "GEN_EQE in $eqe"; do
			# shellcheck disable=SC2086
			out=$(as $U_M "$CTL" --scope $scope cmd $op 2>&1) && fail "member: $op at $scope succeeded"
			echo "$out" | grep -q "Operation not permitted" || fail "member: $op at $scope: $out"
		done
	done
	state >"$T/after"
	cmp -s "$T/before" "$T/after" || fail "the refused writes changed the device: $(diff "$T/before" "$T/after")"
	sf dev info | grep -q tainted && fail "tainted without a debug write"

	# The daemon's user: debug write yes, full write no; the first one taints.
	expect_err "sfnicctl: MODIFY_VHCA_STATE: Operation not permitted (scope debug_write_full is beyond this context's capabilities 0x7)" \
		as $U_D "$CTL" cmd MODIFY_VHCA_STATE in $vhca
	sf dev info | grep -q tainted && fail "tainted by a refused write"
	as $U_D "$CTL" cmd NOP >/dev/null || fail "daemon user: NOP"
	sf dev info | grep -q tainted && fail "tainted by a configuration command"
	as $U_D "$CTL" cmd GEN_EQE in $eqe >"$T/eqe.out" || fail "daemon user: GEN_EQE: $(cat "$T/eqe.out")"
	grep -q "^status OK" "$T/eqe.out" || fail "GEN_EQE: $(cat "$T/eqe.out")"
	sf dev info | grep -Eq "^  tainted fwctl pid [0-9]+ uid $(id -u $U_D)$" ||
		fail "no taint in dev info: $(sf dev info)"
	expect_eq "$(grep -c "has requested full access to the physical device" "$T/sfnicd.log")" 1 "taint log lines"
	grep -Eq "ctl: sfnicctl\([0-9]+\) uid $(id -u $U_D): has requested full access" "$T/sfnicd.log" ||
		fail "taint line: $(grep "full access" "$T/sfnicd.log")"
	# Root: everything reaches the device (full write included), no second taint line.
	"$CTL" cmd MODIFY_VHCA_STATE in 0080000003000000 >"$T/vhca.out" 2>&1
	grep -q "Operation not permitted" "$T/vhca.out" && fail "root: $(cat "$T/vhca.out")"
	grep -q "^status " "$T/vhca.out" || fail "root: MODIFY_VHCA_STATE not delivered: $(cat "$T/vhca.out")"
	"$CTL" cmd GEN_EQE in $eqe >/dev/null || fail "root: GEN_EQE"
	expect_eq "$(grep -c "has requested full access" "$T/sfnicd.log")" 1 "taint logged once"
	daemon_stop || fail "daemon stop"
}

test_ctl_malformed_requests_get_errnos() {
	expect_err 'sfnicd: --ctl-group: ctl group "sfnictest-nosuch" does not exist' \
		"$SFNICD" --ctl-group sfnictest-nosuch --run-dir "$T/x" --state-dir "$T/y"
	daemon_start --netdevs off || fail "daemon start"
	$PY $RAW abuse "$T/run/sfnicctl.sock" >"$T/abuse.out" 2>&1 || fail "$(cat "$T/abuse.out")"
	$PY $RAW partial "$T/run/sfnicctl.sock" >/dev/null || fail "a partial message outlived its deadline"
	expect_err "sfnicctl: NOP: Message too long (RPC: in 8, out 2097153 bytes: at most 2097152 each)" \
		"$CTL" cmd NOP out_len 2097153
	expect_err "sfnicctl: NOP: Operation not supported (RPC: unknown scope 4)" "$CTL" --scope 4 cmd NOP
	expect_err "sfnicctl: 0x7777: Operation not permitted (opcode 0x7777 is unknown to the device)" \
		"$CTL" cmd 0x7777
	expect_err "sfnicctl: QUERY_VPORT_CTX: device status BAD_PARAM, syndrome 0x00000006" \
		"$CTL" cmd QUERY_VPORT_CTX in 0000010000000000
	"$CTL" info >/dev/null || fail "the daemon stopped answering"
	daemon_stop || fail "daemon stop"
}

test_ctl_kill9_frees_context_and_limit() {
	ctl_daemon
	local pids=() pid i M=(setpriv --reuid $U_M --regid "$(id -g $U_M)" --init-groups)
	# A member holding a umem, killed: its context and memory go.
	"${M[@]}" $PY $RAW hold "$T/run/sfnicctl.sock" >"$T/hold.out" &
	pid=$!
	for _ in $(seq 100); do grep -q held "$T/hold.out" && break; sleep 0.05; done
	grep -q held "$T/hold.out" || fail "hold: $(cat "$T/hold.out")"
	kill -9 $pid
	wait_log "ctl: pid $pid uid $(id -u $U_M) gone: user context"
	grep -q "ctl: pid $pid uid $(id -u $U_M) gone: user context [0-9]* destroyed with 1 umem$" \
		"$T/sfnicd.log" || fail "$(grep gone "$T/sfnicd.log")"
	# 32 connections per user but root; the 33rd is refused, and a killed
	# one makes room again.
	for i in $(seq 32); do
		"${M[@]}" $PY $RAW hold "$T/run/sfnicctl.sock" >"$T/hold$i.out" &
		pids+=($!)
	done
	for i in $(seq 32); do
		for _ in $(seq 200); do grep -q held "$T/hold$i.out" && break; sleep 0.05; done
		grep -q held "$T/hold$i.out" || fail "hold $i: $(cat "$T/hold$i.out")"
	done
	expect_err "sfnicctl: the daemon closed the connection" as $U_M "$CTL" info
	"$CTL" info >/dev/null || fail "root is not limited"
	kill -9 "${pids[0]}"
	wait_log "ctl: pid ${pids[0]} uid"
	as $U_M "$CTL" info >/dev/null || fail "no room after a kill -9"
	kill -9 "${pids[@]:1}"
	wait_log "destroyed with 1 umem" 33
	as $U_M "$CTL" info >/dev/null || fail "member after all were killed"
	daemon_stop || fail "daemon stop"
}

test_ctl_many_concurrent_clients() {
	daemon_start --netdevs off || fail "daemon start"
	local pids=() holder i rc=0
	$PY $RAW hold "$T/run/sfnicctl.sock" >"$T/hold.out" &
	holder=$!
	for i in $(seq 50); do
		"$CTL" -j info >"$T/info$i.out" 2>&1 &
		pids+=($!)
		[ "$i" = 25 ] && kill -9 $holder
	done
	for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
	[ "$rc" = 0 ] || fail "a client failed: $(cat "$T"/info*.out | grep -v uctx_uid | head -3)"
	expect_eq "$(cat "$T"/info*.out | jq -r .uctx_uid | sort -u | wc -l)" 50 "distinct contexts"
	"$CTL" info >/dev/null || fail "the daemon stopped answering"
	daemon_stop || fail "daemon stop"
}

test_ctl_queries_match_sfnic() {
	daemon_start --netdevs off || fail "daemon start"
	sf dev eswitch set sfnic/sfnic0 mode switchdev || fail switchdev
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 88 >/dev/null || fail "add 88"
	sf port function set sfnic/sfnic0/32768 hw_addr 00:00:00:00:88:88 state active || fail "activate"
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 89 >/dev/null || fail "add 89"
	sf filter add dev sfnic0np0 ingress prio 1 protocol ip flower dst_mac 02:00:00:00:00:88 \
		action mirred egress redirect dev sfnic0npf0sf88 || fail "filter 1"
	sf filter add dev sfnic0np0 ingress prio 2 protocol ip flower dst_mac 02:00:00:00:00:89 \
		action drop || fail "filter 2"
	# The SF table: index, sfnum, hw_addr and state of every pcisf port.
	expect_eq "$("$CTL" -j query sf-table | jq -c '[.functions[] | select(.flavour == "pcisf") |
			[.fn_id, .sfnum, .hw_addr, (if .state == "allocated" then "inactive" else "active" end)]]')" \
		"$(sf -j port show | jq -c '[.port | to_entries[] | select(.value.flavour == "pcisf") |
			[(.key | split("/")[2] | tonumber), .value.sfnum, .value.function.hw_addr,
			 .value.function.state]]')" "sf-table vs port show"
	expect_eq "$("$CTL" -j query vport 32768 | jq -r .vport.hw_addr)" \
		"$(sf -j port show sfnic/sfnic0/32768 | jq -r '.port[].function.hw_addr')" "vport hw_addr"
	expect_eq "$("$CTL" -j query vport 32768 | jq -r .vport.mtu)" 1500 "vport mtu (the default)"
	expect_eq "$("$CTL" -j query vhca 32768 | jq -r .vhca.state)" in_use "vhca of an attached SF"
	expect_eq "$("$CTL" -j query vhca 32769 | jq -r .vhca.state)" allocated "vhca of an inactive SF"
	expect_eq "$("$CTL" -j query esw | jq -r .esw.mode)" \
		"$(sf -j dev eswitch show sfnic/sfnic0 | jq -r '.dev[].mode')" "eswitch mode"
	expect_eq "$("$CTL" -j query flows | jq -c '[.flows[] | [.prio, .handle, .actions]]')" \
		'[[1,1,"redirect:32768"],[2,1,"drop"]]' "flows"
	expect_eq "$("$CTL" -j query flows | jq -c '[.flows[] | [.prio, .handle]]')" \
		"$(sf -j filter show dev sfnic0np0 ingress | jq -c '[.[] | [.pref, .options.handle]]')" \
		"flows vs filter show"
	expect_eq "$("$CTL" -j query caps | jq -c '[.caps.used_sfs[0], .caps.max_sfs[0]]')" \
		"[2,$(sf -j resource show sfnic/sfnic0 | jq '.resources["sfnic/sfnic0"][0].size')]" "caps"
	"$CTL" query eqs | grep -q "^eq 0: depth" || fail "eqs"
	# The resource dump holds the same objects; saved and decoded, the same text.
	expect_eq "$("$CTL" -j resource-dump functions | jq -c .functions)" \
		"$("$CTL" -j query sf-table | jq -c .functions)" "dump functions vs sf-table"
	expect_eq "$("$CTL" -j resource-dump flows | jq -c .flows)" \
		"$("$CTL" -j query flows | jq -c .flows)" "dump flows vs query flows"
	"$CTL" resource-dump -o "$T/dump.bin" >/dev/null || fail "dump -o"
	expect_eq "$("$CTL" resource-dump -r "$T/dump.bin")" "$("$CTL" resource-dump)" "a saved dump decodes the same"
	expect_eq "$("$CTL" -j resource-dump caps esw | jq -c 'keys')" '["caps","esw"]' "segments chosen"
	"$CTL" query pools | grep -q "^vport 65535 queue 0" || fail "pools"
	daemon_stop || fail "daemon stop"
}

test_ctl_trace_shows_port_lifecycle() {
	daemon_start --netdevs off || fail "daemon start"
	sf dev eswitch set sfnic/sfnic0 mode switchdev || fail switchdev
	"$CTL" trace --follow -o "$T/trace" &
	local tp=$!
	for _ in $(seq 100); do grep -q SET_TRACER "$T/trace" 2>/dev/null && break; sleep 0.05; done
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 88 >/dev/null || fail "add"
	sf port function set sfnic/sfnic0/32768 state active || fail "activate"
	sf port function set sfnic/sfnic0/32768 state inactive || fail "deactivate"
	sf port del sfnic/sfnic0/32768 || fail "del"
	for _ in $(seq 100); do grep -q DEALLOC_SF "$T/trace" && break; sleep 0.05; done
	kill -INT $tp
	wait $tp || fail "trace exited with $?"
	expect_eq "$(grep -v "^.* event " "$T/trace" | awk '{print $2, $6, $8}' | grep -v "uid 1" |
		grep -v SET_TRACER | tr '\n' ' ')" \
		"ALLOC_SF 0 OK ENABLE_HCA 0 OK INIT_HCA 0 OK DISABLE_HCA 0 OK TEARDOWN_HCA 0 OK DEALLOC_SF 0 OK " \
		"the command sequence (opcode, uid, status)"
	expect_eq "$(grep " event vhca_state fn_id 32768" "$T/trace" | awk '{print $NF}' | tr '\n' ' ')" \
		"allocated active in_use teardown_request allocated invalid " "the vhca state events"
	# A failed command is traced with its status and syndrome.
	"$CTL" trace -o "$T/trace2" &
	tp=$!
	sleep 0.3
	"$CTL" cmd QUERY_VPORT_CTX in 0000010000000000 >/dev/null 2>&1
	wait $tp
	grep -q "QUERY_VPORT_CTX op_mod 0 uid [0-9]* status BAD_PARAM syndrome 0x00000006" "$T/trace2" ||
		fail "failed command not traced: $(cat "$T/trace2")"
	daemon_stop || fail "daemon stop"
}

test_ctl_counters_100khz_under_traffic() {
	# The rate is a performance property: measured on the optimised build
	# when there is one (under ASan the sampler thread runs ~25% slower).
	local SFNICD=$SFNICD SFNIC=$SFNIC CTL=$CTL
	[ -x build/sfnicd ] && [ -x build/sfnicctl ] && SFNICD=build/sfnicd SFNIC=build/sfnic CTL=build/sfnicctl
	daemon_start --netdevs off || fail "daemon start"
	# 3000 frames into p0 at 3000/s, while p0 is sampled at 100 kHz for 1 s.
	# shellcheck disable=SC2046
	python3 tests/e2e/mkpcap.py "$T/in.pcap" $(for _ in $(seq 3000); do
		echo "02:00:00:00:00:01,02:00:00:00:00:02,udp=4000"; done) || fail mkpcap
	sf replay p0 -r "$T/in.pcap" --rate 3000 >"$T/replay.out" &
	local rp=$!
	"$CTL" counters p0 --rate 100000 --duration 1 -o "$T/c.csv" >"$T/counters.out" ||
		fail "counters: $(cat "$T/counters.out")"
	wait $rp || fail "replay"
	cat "$T/counters.out"
	local n
	n=$(($(wc -l <"$T/c.csv") - 1))
	[ "$n" -ge "${CTL_MIN_SAMPLES:-95000}" ] || fail "$n samples in 1 s at 100 kHz (at least ${CTL_MIN_SAMPLES:-95000}; the device sampler missed deadlines)"
	grep -q "^samples $n in " "$T/counters.out" || fail "report: $(cat "$T/counters.out")"
	# Every counter monotonic, timestamps strictly increasing.
	awk -F, 'NR > 2 { for (i = 1; i <= 6; i++) if ($i + 0 < p[i] + 0 || (i == 1 && $i == p[i])) {
			print "line " NR " column " i ": " $i " after " p[i]; exit 1 } }
		NR > 1 { for (i = 1; i <= 6; i++) p[i] = $i }' "$T/c.csv" || fail "not monotonic"
	# Traffic flowed while sampling, and a sample taken after it stopped
	# equals what sfnic shows.
	[ "$(tail -1 "$T/c.csv" | cut -d, -f2)" -gt "$(sed -n 2p "$T/c.csv" | cut -d, -f2)" ] ||
		fail "no traffic was sampled"
	"$CTL" -j counters p0 --rate 1000 --duration 1 >"$T/last.json" || fail "counters after traffic"
	expect_eq "$(jq -c '.last | [.rx_packets, .rx_bytes, .tx_packets, .tx_bytes]' "$T/last.json")" \
		"$(sf -j -s port show sfnic/sfnic0/65535 | jq -c '.port[].stats | [.rx.packets, .rx.bytes, .tx.packets, .tx.bytes]')" \
		"the last sample vs sfnic -s port show"
	expect_eq "$(jq .last.rx_packets "$T/last.json")" 3000 "frames sampled"
	daemon_stop || fail "daemon stop"
}
