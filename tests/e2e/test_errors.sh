# Every rejection: one devlink-style line on stderr, non-zero exit, no change.

test_cli_errors() {
	daemon_start || fail "daemon start"
	expect_err 'Error: SF ports are only supported in eswitch switchdev mode.' \
		sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 88
	expect_err 'Error: Need to set at least one option.' sf dev eswitch set sfnic/sfnic0
	expect_err 'Error: Unknown eswitch mode "bogus".' sf dev eswitch set sfnic/sfnic0 mode bogus
	expect_err 'Unknown option "colour"' sf dev eswitch set sfnic/sfnic0 colour red
	expect_err 'Option "mode" requires a value' sf dev eswitch set sfnic/sfnic0 mode
	expect_err 'Command "frob" not found' sf port frob
	expect_err 'Object "nope" not found' sf nope
	expect_err 'Devlink identification ("bus_name/dev_name") expected' sf dev eswitch show
	expect_err 'sfnicd answers: No such device' sf dev eswitch show sfnic/other
	sf dev eswitch set sfnic/sfnic0 mode switchdev || fail "switchdev"
	expect_err 'Error: Port flavour or PCI PF are not specified.' sf port add sfnic/sfnic0 sfnum 1
	expect_err 'Error: Driver supports only SF port addition.' \
		sf port add sfnic/sfnic0 flavour pcivf pfnum 0 sfnum 1
	expect_err 'Error: Driver does not support user defined port index assignment.' \
		sf port add sfnic/sfnic0/5 flavour pcisf pfnum 0 sfnum 1
	expect_err 'Error: User must provide unique sfnum. Driver does not support auto assignment.' \
		sf port add sfnic/sfnic0 flavour pcisf pfnum 0
	expect_err 'Error: Invalid pfnum supplied.' sf port add sfnic/sfnic0 flavour pcisf pfnum 3 sfnum 1
	expect_err 'Error: Invalid controller number.' \
		sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 1 controller 7
	expect_err '"x1" is not a number' sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum x1
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 88 >/dev/null || fail "add"
	expect_err 'Error: SF already exist. Choose different sfnum.' \
		sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 88
	expect_err 'Error: Non-unicast hardware address unsupported.' \
		sf port function set sfnic/sfnic0/32768 hw_addr 01:00:5e:00:00:01
	expect_err 'Error: Address must be 6 bytes for Ethernet device.' \
		sf port function set sfnic/sfnic0/32768 hw_addr 00:11:22
	expect_err "Error: Port doesn't support function attributes." \
		sf port function set sfnic/sfnic0/65535 hw_addr 00:11:22:33:44:55
	expect_err 'Error: Function does not support state setting.' \
		sf port function set sfnic/sfnic0/0 state active
	expect_err 'Error: Driver supports only SF port deletion.' sf port del sfnic/sfnic0/0
	expect_err 'sfnicd answers: No such device' sf port del sfnic/sfnic0/40000
	expect_err 'sfnicd answers: No such device' sf port del no_such_netdev
	expect_err 'Error: Netdev name "sfnic0npf0sf88" is already in use.' \
		sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 89 netdev sfnic0npf0sf88
	expect_err 'Error: Invalid netdev name "waytoolongname123".' \
		sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 89 netdev waytoolongname123
	expect_err 'Error: Size larger than maximum.' \
		sf resource set sfnic/sfnic0 path /max_local_SFs size 65537
	expect_err 'Error: Resource not found.' sf resource set sfnic/sfnic0 path /kvd size 1
	expect_err 'Error: Parameter "enable_eth" not found.' \
		sf dev param set sfnic/sfnic0 name enable_eth value true cmode driverinit
	# Nothing above changed state: one SF, inactive.
	expect_eq "$(sf port show -j | jq '[.port[] | select(.flavour == "pcisf")] | length')" 1 "one SF"
	daemon_stop || fail "daemon stop"
}

test_resource_limit() {
	daemon_start || fail "daemon start"
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	sf resource set sfnic/sfnic0 path /max_local_SFs size 2 || fail "resource set"
	expect_eq "$(sf resource show -j | jq '.resources["sfnic/sfnic0"][0].size_new')" 2 "size_new"
	sf dev reload sfnic/sfnic0 || fail "reload"
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 1 >/dev/null
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 2 >/dev/null
	expect_err 'Error: max_local_SFs limit of 2 SFs reached.' \
		sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 3
	expect_err 'Error: Size smaller than occupancy: 2 SFs exist.' \
		sf resource set sfnic/sfnic0 path max_local_SFs size 1
	daemon_stop || fail "daemon stop"
}

test_no_daemon() {
	export SFNIC_RUN_DIR="$T/nowhere"
	out=$(sf dev show 2>&1); rc=$?
	[ $rc -ne 0 ] || fail "succeeded without a daemon"
	case "$out" in "cannot reach sfnicd at $T/nowhere/sfnicd.sock"*) ;; *) fail "message: $out";; esac
}
