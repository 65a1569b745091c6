# devlink-monitor-style notifications; batch mode.

test_monitor() {
	daemon_start || fail "daemon start"
	sf monitor >"$T/mon.txt" &
	mpid=$!
	sf monitor port -j >"$T/mon.json" &
	jpid=$!
	sleep 0.3
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 88 >/dev/null
	sf port function set sfnic/sfnic0/32768 state active
	sf port del sfnic/sfnic0/32768
	sleep 0.3
	kill $mpid $jpid; wait $mpid $jpid 2>/dev/null
	grep -q '^\[port,new\] sfnic/sfnic0/32768: type eth netdev sfnic0npf0sf88 flavour pcisf' "$T/mon.txt" ||
		fail "no [port,new]: $(cat "$T/mon.txt")"
	grep -qx '\[dev,new\] auxiliary/sfnic_core.sf.1' "$T/mon.txt" || fail "no [dev,new]"
	grep -qx '\[dev,del\] auxiliary/sfnic_core.sf.1' "$T/mon.txt" || fail "no [dev,del]"
	grep -q '^\[port,del\] sfnic/sfnic0/32768' "$T/mon.txt" || fail "no [port,del]"
	grep -A2 '^\[port,new\] sfnic/sfnic0/32768' "$T/mon.txt" | grep -q 'state active opstate attached' ||
		fail "no attach notification"
	# JSON monitor: one object per line, port events only.
	jq -e -s 'all(.[]; has("command") and has("port"))' "$T/mon.json" >/dev/null || fail "json monitor"
	daemon_stop || fail "daemon stop"
}

test_batch() {
	daemon_start || fail "daemon start"
	cat >"$T/cmds" <<-'B'
	# comment lines and blank lines are skipped

	dev eswitch set sfnic/sfnic0 mode switchdev
	port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 10
	port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 11
	port function set sfnic/sfnic0/32768 hw_addr 02:00:00:00:00:0a state active
	B
	sf -b "$T/cmds" >/dev/null || fail "batch"
	expect_eq "$(sf port show sfnic0S10 -j | jq -r '.port | keys[0]')" "auxiliary/sfnic_core.sf.1/1" "batch result"
	printf 'port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 10\nport add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 12\n' >"$T/bad"
	out=$(sf -b "$T/bad" 2>&1 >/dev/null) && fail "batch error not reported"
	echo "$out" | grep -qx "Command failed $T/bad:1" || fail "batch message: $out"
	expect_err "sfnicd answers: No such device" sf port show sfnic0npf0sf12
	sf -force -b "$T/bad" >/dev/null 2>&1 && fail "force batch should still fail"
	sf port show sfnic0npf0sf12 >/dev/null || fail "-force did not continue"
	daemon_stop || fail "daemon stop"
}
