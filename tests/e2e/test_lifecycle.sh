# The issue's walk-through, verbatim, as an unprivileged user would run it.

test_walkthrough() {
	daemon_start || fail "daemon start"
	expect_eq "$(sf dev show)" "sfnic/sfnic0" "dev show"
	sf dev eswitch set sfnic/sfnic0 mode switchdev || fail "eswitch set"
	expect_eq "$(sf dev eswitch show sfnic/sfnic0)" \
		"sfnic/sfnic0: mode switchdev inline-mode none encap-mode none" "eswitch show"
	out=$(sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 88) || fail "port add"
	expect_eq "$(echo "$out" | head -1)" \
		"sfnic/sfnic0/32768: type eth netdev sfnic0npf0sf88 flavour pcisf controller 0 pfnum 0 sfnum 88 external false splittable false" \
		"port add output"
	expect_eq "$(echo "$out" | tail -1)" \
		"    hw_addr 00:00:00:00:00:00 state inactive opstate detached" "new port function"
	idx=$(sf port show -j | jq -r '.port | to_entries[] | select(.value.sfnum == 88) | .key')
	expect_eq "$idx" "sfnic/sfnic0/32768" "port index"
	sf port function set "$idx" hw_addr 00:00:00:00:88:88 state active || fail "function set"
	j=$(sf port show "$idx" -jp)
	expect_eq "$(echo "$j" | jget '.port[].function.state')" active "state"
	expect_eq "$(echo "$j" | jget '.port[].function.opstate')" attached "opstate"
	expect_eq "$(echo "$j" | jget '.port[].function.hw_addr')" 00:00:00:00:88:88 "hw_addr"
	expect_eq "$(echo "$j" | jget '.port[].function.nested_devlink | keys[0]')" \
		auxiliary/sfnic_core.sf.1 "nested_devlink"
	expect_eq "$(sf dev show auxiliary/sfnic_core.sf.1)" auxiliary/sfnic_core.sf.1 "SF devlink"
	aux=$(sf aux show)
	echo "$aux" | grep -qx "sfnic_core.sf.1: driver sfnic_core.sf sfnum 88 parent sfnic/sfnic0" ||
		fail "aux show sf: $aux"
	echo "$aux" | grep -qx "sfnic_core.eth.1: driver sfnic_core.eth parent sfnic_core.sf.1" ||
		fail "aux show eth: $aux"
	echo "$aux" | grep -qx "sfnic_core.zc.1: driver sfnic_core.zc memif $T/run/memif/sfnic0S88.sock parent sfnic_core.sf.1" ||
		fail "aux show zc: $aux"
	# The representor's netdev name works as a handle, as in devlink.
	sf port function set sfnic0npf0sf88 state inactive || fail "inactive"
	expect_eq "$(sf port show "$idx" -j | jget '.port[].function.opstate')" detached "detached"
	expect_eq "$(sf aux show -j | jq '.aux | length')" 0 "aux devices gone"
	sf port del "$idx" || fail "port del"
	expect_err "sfnicd answers: No such device" sf port show "$idx"
	daemon_stop || fail "daemon stop"
}

test_text_and_json_shapes() {
	daemon_start || fail "daemon start"
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 88 >/dev/null
	sf port function set sfnic/sfnic0/32768 hw_addr 00:00:00:00:88:88 state active
	expected="sfnic/sfnic0/32768: type eth netdev sfnic0npf0sf88 flavour pcisf controller 0 pfnum 0 sfnum 88 external false splittable false
  function:
    hw_addr 00:00:00:00:88:88 state active opstate attached
    nested_devlink:
      auxiliary/sfnic_core.sf.1"
	expect_eq "$(sf port show sfnic/sfnic0/32768)" "$expected" "port show text"
	expect_eq "$(sf port show sfnic/sfnic0/32768 -j)" \
		'{"port":{"sfnic/sfnic0/32768":{"type":"eth","netdev":"sfnic0npf0sf88","flavour":"pcisf","controller":0,"pfnum":0,"sfnum":88,"external":false,"splittable":false,"function":{"hw_addr":"00:00:00:00:88:88","state":"active","opstate":"attached","nested_devlink":{"auxiliary/sfnic_core.sf.1":{}}}}}}' \
		"port show json"
	expect_eq "$(sf port show sfnic0S88)" \
		"auxiliary/sfnic_core.sf.1/1: type eth netdev sfnic0S88 flavour virtual port 0 splittable false memif $T/run/memif/sfnic0S88.sock" \
		"SF netdev handle"
	expect_eq "$(sf resource show sfnic/sfnic0 | sed -n 2p)" \
		"  name max_local_SFs size 1024 occ 1 unit entry size_min 0 size_max 65536 size_gran 1 dpipe_tables none" \
		"resource show"
	expect_eq "$(sf dev param show auxiliary/sfnic_core.sf.1 name enable_eth -j)" \
		'{"param":{"auxiliary/sfnic_core.sf.1":[{"name":"enable_eth","type":"generic","values":[{"cmode":"driverinit","value":true}]}]}}' \
		"param json"
	expect_eq "$(sf dev info sfnic/sfnic0 -j | jget '.info["sfnic/sfnic0"].driver')" sfnic "dev info"
	# External controller, devlink-port(7): c1 prefix, external true.
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 77 controller 1 -j >"$T/ext.json" || fail "ext add"
	expect_eq "$(jq -r '.port["sfnic/sfnic0/163840"].external' "$T/ext.json")" true "external"
	expect_eq "$(jq -r '.port["sfnic/sfnic0/163840"].controller' "$T/ext.json")" 1 "controller"
	daemon_stop || fail "daemon stop"
}

test_params_reload_and_unbind() {
	daemon_start || fail "daemon start"
	sf_active 1
	sf dev param set auxiliary/sfnic_core.sf.1 name enable_zc value false cmode driverinit || fail "param set"
	sf aux show sfnic_core.zc.1 >/dev/null || fail "zc gone before reload"
	sf dev reload auxiliary/sfnic_core.sf.1 || fail "reload"
	expect_err "sfnicd answers: No such device" sf aux show sfnic_core.zc.1
	sf aux unbind sfnic_core.sf.1 || fail "unbind"
	expect_eq "$(sf port show sfnic/sfnic0/32768 -j | jget '.port[].function.opstate')" detached "unbound"
	sf aux bind sfnic_core.sf.1 driver sfnic_core.sf || fail "bind"
	expect_eq "$(sf port show sfnic/sfnic0/32768 -j | jget '.port[].function.opstate')" attached "rebound"
	daemon_stop || fail "daemon stop"
}

test_legacy_removes_sfs() {
	daemon_start || fail "daemon start"
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	for n in 1 2 3; do sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum $n >/dev/null; done
	sf port function set sfnic0npf0sf2 state active
	sf dev eswitch set sfnic/sfnic0 mode legacy || fail "legacy"
	expect_eq "$(sf port show -j | jq '[.port[] | select(.flavour == "pcisf")] | length')" 0 "SFs removed"
	expect_eq "$(sf resource show -j | jq '.resources["sfnic/sfnic0"][0].occ')" 0 "occ"
	daemon_stop || fail "daemon stop"
}
