#!/bin/bash
# ./demo.sh - installs dependencies, builds sfnic and runs its main job on an
# embedded default: a daemon on a throw-away state directory, the eswitch in
# switchdev mode, SFs created, configured, activated, attached, shown,
# restarted (state survives kill -9), deactivated and deleted.
set -e
cd "$(dirname "$0")"
scripts/deps.sh
make -j"$(nproc)" build/sfnicd build/sfnic >/dev/null
T=$(mktemp -d /tmp/sfnic-demo.XXXXXX)
export SFNIC_RUN_DIR=$T/run SFNIC_STATE_DIR=$T/state PATH=$PWD/build:$PATH
start() { sfnicd 2>>"$T/sfnicd.log" & DPID=$!; until sfnic dev show >/dev/null 2>&1; do sleep 0.05; done; }
trap 'kill $DPID 2>/dev/null; rm -rf "$T"' EXIT
run() { printf '\n$ %s\n' "$*"; "$@"; }
start
run sfnic dev show
run sfnic dev eswitch set sfnic/sfnic0 mode switchdev
run sfnic dev eswitch show sfnic/sfnic0
run sfnic port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 88
run sfnic port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 89 netdev web0
run sfnic port function set sfnic/sfnic0/32768 hw_addr 00:00:00:00:88:88 state active
run sfnic port function set sfnic0npf0sf89 hw_addr 00:00:00:00:89:89 state active
run sfnic port show
run sfnic port show sfnic/sfnic0/32768 -jp
run sfnic aux show
run sfnic dev show
run sfnic resource show sfnic/sfnic0
printf '\n$ kill -9 sfnicd; sfnicd &   # acknowledged state survives\n'
kill -9 $DPID; wait $DPID 2>/dev/null || true; start
run sfnic port show sfnic/sfnic0/32769
run sfnic port function set sfnic/sfnic0/32768 state inactive
run sfnic port show sfnic/sfnic0/32768
run sfnic port del sfnic/sfnic0/32768
printf '\n$ sfnic port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 89   # an error\n'
sfnic port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum 89 || true
echo
echo "Packet traffic through SFs arrives with the datapath (issue 3) and netdevs (issue 4);"
echo "this build implements the SF lifecycle, the devlink model and durable state."
