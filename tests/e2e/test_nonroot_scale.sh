# Runs as an ordinary user; scales to 65536 SFs.

test_runs_without_root() {
	mkdir -p "$T/home" "$T/xdg"
	local runner=()
	if [ "$(id -u)" = 0 ]; then
		chown -R 65534:65534 "$T/home" "$T/xdg"
		chmod 755 "$T"
		runner=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	fi
	env -u SFNIC_RUN_DIR -u SFNIC_STATE_DIR -u XDG_STATE_HOME HOME="$T/home" \
		XDG_RUNTIME_DIR="$T/xdg" "${runner[@]}" "$SFNICD" 2>"$T/sfnicd.log" &
	DPID=$!
	u() { env -u SFNIC_RUN_DIR -u SFNIC_STATE_DIR HOME="$T/home" XDG_RUNTIME_DIR="$T/xdg" \
		"${runner[@]}" "$SFNIC" "$@"; }
	for _ in $(seq 200); do u dev show >/dev/null 2>&1 && break; sleep 0.02; done
	u dev eswitch set sfnic/sfnic0 mode switchdev || fail "eswitch"
	u port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 88 >/dev/null || fail "add"
	u port function set sfnic/sfnic0/32768 state active || fail "activate"
	expect_eq "$(u port show sfnic/sfnic0/32768 -j | jq -r '.port[].function.opstate')" attached "attached"
	[ -S "$T/xdg/sfnic/sfnicd.sock" ] || fail "socket not in \$XDG_RUNTIME_DIR/sfnic"
	[ -f "$T/home/.local/state/sfnic/sfnic.db" ] || fail "state not in ~/.local/state/sfnic"
	grep -q "not root: TAP netdevs, AF_XDP and netns moves are unavailable" "$T/sfnicd.log" ||
		fail "no notice about privileges: $(cat "$T/sfnicd.log")"
	daemon_stop || fail "daemon stop"
}

test_65536_sfs() {
	# The devlink model at full scale; 131,072 TAP netdevs (an SF netdev
	# and a representor each) are not what this test is about.
	daemon_start --netdevs off || fail "daemon start"
	sf dev eswitch set sfnic/sfnic0 mode switchdev
	sf resource set sfnic/sfnic0 path /max_local_SFs size 65536
	sf dev reload sfnic/sfnic0
	seq 0 65535 | sed 's|.*|port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum &|' >"$T/add"
	sf -b "$T/add" >/dev/null || fail "adding 65536 SFs"
	expect_eq "$(sf resource show -j | jq '.resources["sfnic/sfnic0"][0].occ')" 65536 "occ"
	expect_err "Error: max_local_SFs limit of 65536 SFs reached." \
		sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 70000
	expect_eq "$(sf port show sfnic/sfnic0/98304 -j | jq '.port[].sfnum')" 65535 "last SF"
	sf port function set sfnic/sfnic0/98304 state active || fail "activate last"
	sf dev eswitch set sfnic/sfnic0 mode legacy || fail "legacy with 65536 SFs"
	expect_eq "$(sf resource show -j | jq '.resources["sfnic/sfnic0"][0].occ')" 0 "all removed"
	daemon_stop || fail "daemon stop"
}
