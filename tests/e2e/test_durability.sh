# Acknowledged state survives restart and kill -9 at any moment.

# The memif socket path names the run directory, which differs per trial.
snap() { sf port show -j | jq -S -c . | sed "s|$T/run/|RUN/|g"; }

# A sequence touching every kind of durable state.
steps() {
	echo "dev eswitch set sfnic/sfnic0 mode switchdev"
	echo "resource set sfnic/sfnic0 path /max_local_SFs size 2000"
	echo "dev reload sfnic/sfnic0"
	for i in 1 2 3 4 5 6; do
		echo "port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum $((10 + i))"
		echo "port function set sfnic/sfnic0/$((32767 + i)) hw_addr 02:00:00:00:00:0$i state active"
	done
	echo "port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 77 controller 1 netdev ext77"
	echo "port function set sfnic/sfnic0/163840 state active"
	echo "port function set sfnic/sfnic0/32769 state inactive"
	echo "port del sfnic/sfnic0/32770"
	echo "dev param set auxiliary/sfnic_core.sf.1 name enable_eth value false cmode driverinit"
	echo "dev reload auxiliary/sfnic_core.sf.1"
	echo "aux unbind sfnic_core.sf.4"
	echo "port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 99"
	echo "port function set sfnic/sfnic0/32769 state active"
	echo "port function set sfnic/sfnic0/32770 hw_addr 02:00:00:00:00:99 state active"
	echo "port function set sfnic0npf0 hw_addr 02:00:00:00:00:f0"
	echo "port del sfnic/sfnic0/32771"
}

test_restart_identical() {
	daemon_start || fail "daemon start"
	steps >"$T/steps"
	sf -b "$T/steps" >/dev/null || fail "steps"
	before=$(snap); aux_before=$(sf aux show -j | jq -S -c .)
	daemon_stop || fail "daemon stop"
	daemon_start || fail "daemon restart"
	expect_eq "$(snap)" "$before" "port show after restart"
	expect_eq "$(sf aux show -j | jq -S -c .)" "$aux_before" "aux show after restart"
	expect_eq "$(sf resource show -j | jq '.resources["sfnic/sfnic0"][0].size')" 2000 "resource size"
	expect_eq "$(sf dev param show auxiliary/sfnic_core.sf.1 -j | jq '.param[][0].values[0].value')" false "param"
	daemon_kill9
	daemon_start || fail "daemon restart after kill -9"
	expect_eq "$(snap)" "$before" "port show after kill -9"
	daemon_stop || fail "daemon stop"
}

test_kill9_at_random_points() {
	steps >"$T/steps"
	nsteps=$(wc -l <"$T/steps")
	# Reference: the state after each acknowledged step.
	T0=$T; T=$T0/ref
	daemon_start || fail "reference daemon"
	snap >"$T0/snap.0"
	k=0
	while read -r line; do
		k=$((k + 1))
		sf $line >/dev/null || fail "reference step $k: $line"
		snap >"$T0/snap.$k"
	done <"$T0/steps"
	daemon_stop || fail "reference stop"
	trials=${SFNIC_KILL_TRIALS:-12}
	for trial in $(seq "$trials"); do
		T=$T0/trial$trial
		daemon_start || fail "trial $trial start"
		# Kill somewhere in the run: between commands, mid-command, mid-commit.
		delay=$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.3f", rand() * 0.5 }')
		( sleep "$delay"; kill -KILL "$DPID" 2>/dev/null ) &
		killer=$!
		acked=0
		while read -r line; do
			sf $line >/dev/null 2>&1 || break
			acked=$((acked + 1))
		done <"$T0/steps"
		wait $killer
		daemon_kill9
		daemon_start || fail "trial $trial restart"
		got=$(snap)
		next=$((acked < nsteps ? acked + 1 : acked))
		if [ "$got" != "$(cat "$T0/snap.$acked")" ] && [ "$got" != "$(cat "$T0/snap.$next")" ]; then
			fail "trial $trial (killed after ${delay}s, $acked steps acked): state differs
got:      $got
expected: $(cat "$T0/snap.$acked")"
		fi
		echo "trial $trial: killed after ${delay}s, $acked/$nsteps acked, state matches" >>"$T0/trials.log"
		daemon_stop || fail "trial $trial stop"
	done
}
