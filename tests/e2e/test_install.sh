# test_install.sh - make install gives a working system: binaries, libsfnic
# with pkg-config, man pages that cover every command, bash completion that
# asks the daemon, a systemd unit that verifies; and sfnicd's notify
# protocol against a socket of the test's own (READY, a watchdog fed only
# while the datapath moves, STOPPING).
# shellcheck shell=bash disable=SC2016

# install_tree: make install DESTDIR=$T/root PREFIX=/usr; R is the root.
install_tree() {
	R="$T/root"
	make -s install DESTDIR="$R" PREFIX=/usr >"$T/make.log" 2>&1 ||
		{ cat "$T/make.log"; fail "make install"; }
	UNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
	UNITDIR=${UNITDIR:-/lib/systemd/system}
}

# man_text PAGE: the installed page rendered as text, wide and unhyphenated
# (rendered once per test).
man_text() {
	[ -s "$T/$1.txt" ] || MANWIDTH=250 MANROFFOPT='-rHY=0' man -l "$R/usr/share/man/man8/$1.8" \
		2>/dev/null | col -b >"$T/$1.txt"
	cat "$T/$1.txt"
}

test_install_tree_works() {
	install_tree
	for f in usr/bin/sfnicd usr/bin/sfnic usr/bin/sfnicctl usr/lib/libsfnic.so.1.0.0 \
		usr/lib/libsfnic.a usr/lib/pkgconfig/libsfnic.pc usr/include/sfnic/sfnic.h \
		usr/include/sfnic/zc.h usr/share/man/man8/sfnic.8 usr/share/man/man8/sfnicd.8 \
		usr/share/man/man8/sfnicctl.8 usr/share/bash-completion/completions/sfnic \
		usr/share/bash-completion/completions/sfnicctl "${UNITDIR#/}/sfnicd.service"; do
		[ -f "$R/$f" ] || fail "not installed: $f"
	done
	expect_eq "$(readlink "$R/usr/lib/libsfnic.so.1")" libsfnic.so.1.0.0 "soname link"
	expect_eq "$(readlink "$R/usr/lib/libsfnic.so")" libsfnic.so.1.0.0 "dev link"
	readelf -d "$R/usr/lib/libsfnic.so.1.0.0" | grep -q 'SONAME.*\[libsfnic.so.1\]' ||
		fail "soname"
	expect_eq "$(stat -c %a "$R/usr/bin/sfnicd")" 755 "binary mode"
	expect_eq "$(stat -c %a "$R/${UNITDIR#/}/sfnicd.service")" 644 "unit mode"
	grep -qx 'ExecStart=/usr/bin/sfnicd $SFNICD_OPTS' "$R/${UNITDIR#/}/sfnicd.service" ||
		fail "ExecStart names the installed binary"

	# The installed binaries run.
	"$R/usr/bin/sfnicd" --help | grep -q -- '--uplink SPEC' || fail "sfnicd --help"
	expect_eq "$("$R/usr/bin/sfnicd" --version)" "sfnicd, sfnic 0.1.0" "sfnicd --version"
	expect_eq "$("$R/usr/bin/sfnic" -V)" "sfnic utility, sfnic 0.1.0" "sfnic -V"
	expect_eq "$("$R/usr/bin/sfnicctl" --version)" "sfnicctl utility, sfnic 0.1.0" \
		"sfnicctl --version"
	"$R/usr/bin/sfnicctl" --help | grep -q '^COMMANDS' || fail "sfnicctl --help"

	# pkg-config through the sysroot, and a program built and run against
	# the installed library that talks to a daemon.
	local pc
	pc=$(PKG_CONFIG_SYSROOT_DIR="$R" PKG_CONFIG_PATH="$R/usr/lib/pkgconfig" \
		pkg-config --cflags --libs libsfnic) || fail "pkg-config libsfnic"
	# (jansson, a Requires, is the system's: pkg-config prefixes its -L too.)
	case "$pc " in
	"-I$R/usr/include -L$R/usr/lib -lsfnic "*-ljansson*) ;;
	*) fail "pkg-config --cflags --libs libsfnic: $pc" ;;
	esac
	cat >"$T/hello.c" <<'EOF'
#include <sfnic/sfnic.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	char err[256], *s;
	struct sfnic_client *c = sfnic_connect(argc > 1 ? argv[1] : NULL, err, sizeof(err));
	json_t *reply = NULL;

	if (!c || sfnic_request(c, json_pack("{s:s}", "cmd", "dev.show"), &reply)) {
		fprintf(stderr, "%s\n", c ? "request failed" : err);
		return 1;
	}
	s = json_dumps(json_object_get(reply, "result"), JSON_COMPACT);
	puts(s);
	free(s);
	json_decref(reply);
	sfnic_close(c);
	return 0;
}
EOF
	# shellcheck disable=SC2086
	cc -o "$T/hello" "$T/hello.c" $pc || fail "building against the installed library"
	LD_LIBRARY_PATH="$R/usr/lib" ldd "$T/hello" | grep -q "libsfnic.so.1 => $R/usr/lib/libsfnic.so.1" ||
		fail "hello does not load the installed libsfnic"
	daemon_start --netdevs off || fail "daemon start"
	expect_eq "$(LD_LIBRARY_PATH="$R/usr/lib" "$T/hello" "$T/run")" '{"dev":{"sfnic/sfnic0":{}}}' \
		"a libsfnic program's dev.show"
	daemon_stop || fail "daemon stop"

	# Man pages render without groff warnings and cover the real grammar.
	for m in sfnic sfnicd sfnicctl; do
		[ -z "$(man --warnings -l "$R/usr/share/man/man8/$m.8" 2>&1 >/dev/null)" ] ||
			fail "$m.8 renders with warnings"
		man_text "$m" | grep -q "^NAME" || fail "$m.8 has no NAME"
		for s in SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
			man_text "$m" | grep -q "^$s" || fail "$m.8 has no $s section"
		done
	done
	local o
	for o in $("$R/usr/bin/sfnicd" --help | grep -o -- '--[a-z-]*' | sort -u); do
		man_text sfnicd | grep -q -- "$o" || fail "sfnicd.8 does not document $o"
	done
	# Every object of sfnic's help (and health) has its commands in sfnic.8.
	for o in $("$R/usr/bin/sfnic" help | sed -n '/OBJECT :=/,/}/p' | tr -d '{}|' |
		sed 's/.*OBJECT :=//') health; do
		man_text sfnic | grep -q "^ *sfnic \(\[-s\] \)\?$o\b" || fail "sfnic.8 has no 'sfnic $o' command"
	done
	# ... and every "sfnic OBJECT COMMAND" of its help.
	for o in $("$R/usr/bin/sfnic" help | grep -o '^       sfnic [a-z]* [a-z]*' |
		awk '$3 ~ /^[a-z]/ {print $2"_"$3}' | sort -u); do
		man_text sfnic | grep -q "sfnic ${o/_/ }" || fail "sfnic.8 lacks 'sfnic ${o/_/ }'"
	done
	for o in $("$R/usr/bin/sfnicctl" --help | sed -n '/^COMMANDS/,/^OPCODES/p' |
		grep -o '^    [a-z-]*' | sort -u); do
		man_text sfnicctl | grep -q "^ *$o\b" || fail "sfnicctl.8 has no command $o"
	done
	for o in $("$R/usr/bin/sfnicctl" --help | sed -n '/^OPTIONS/,/^COMMANDS/p' |
		grep -o -- ' --[a-z-]*' | sort -u); do
		man_text sfnicctl | grep -q -- "$o" || fail "sfnicctl.8 does not document $o"
	done

	# uninstall leaves nothing behind.
	make -s uninstall DESTDIR="$R" PREFIX=/usr >/dev/null 2>&1 || fail "make uninstall"
	expect_eq "$(find "$R" -type f -o -type l | wc -l)" 0 "files left after uninstall"
}

test_install_systemd_unit_verifies() {
	command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (apt-get install systemd)"
	install_tree
	local unit="$T/unit/sfnicd.service" out
	mkdir -p "$T/unit"
	# The installed unit, its ExecStart pointing into the DESTDIR; its man
	# pages (Documentation=) found there too.
	sed "s|^ExecStart=/usr/bin/|ExecStart=$R/usr/bin/|" "$R/${UNITDIR#/}/sfnicd.service" >"$unit"
	out=$(MANPATH="$R/usr/share/man" systemd-analyze verify "$unit" 2>&1) ||
		fail "systemd-analyze verify: $out"
	! grep -q sfnicd <<<"$out" || fail "systemd-analyze verify warns: $out"
	# A misspelled capability would be dropped silently: all eight are there.
	out=$(MANPATH="$R/usr/share/man" SYSTEMD_LOG_LEVEL=debug systemd-analyze verify "$unit" 2>&1 |
		grep 'CapabilityBoundingSet:' | tr ' ' '\n' | grep '^cap_' | sort | tr '\n' ' ')
	expect_eq "$out" "cap_bpf cap_chown cap_dac_override cap_ipc_lock cap_net_admin cap_net_raw cap_perfmon cap_sys_admin " \
		"the unit's capability bounding set"
	for k in Type=notify NotifyAccess=main WatchdogSec= Restart=on-failure RuntimeDirectory=sfnic \
		StateDirectory=sfnic KillMode=process LimitMEMLOCK=infinity; do
		grep -q "^$k" "$unit" || fail "the unit lacks $k"
	done
	# A binary that is not there fails verification (the check is real).
	sed -i "s|^ExecStart=$R/usr/bin/sfnicd|ExecStart=$R/usr/bin/nosuchd|" "$unit"
	MANPATH="$R/usr/share/man" systemd-analyze verify "$unit" >/dev/null 2>&1 &&
		fail "verify accepted a missing ExecStart binary"
	true
}

# notify_listen NAME LOG: an abstract AF_UNIX datagram socket @NAME, as
# systemd's manager binds; each message is one line of LOG: "TIME MSG" with
# the message's newlines as '|'.
notify_listen() {
	python3 - "$1" "$2" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
out.write("%.3f LISTENING\n" % time.monotonic())
while True:
    m = s.recv(4096).decode()
    out.write("%.3f %s\n" % (time.monotonic(), m.replace("\n", "|")))
EOF
	LPID=$!
	for _ in $(seq 100); do
		grep -q LISTENING "$2" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "the notify listener did not start"
}

# wait_msg LOG TEXT: waits (at most 10 s) until LOG has a message TEXT.
wait_msg() {
	for _ in $(seq 200); do
		grep -qxF -- "$2" <(cut -d' ' -f2- "$1") && return 0
		sleep 0.05
	done
	cat "$1" >&2
	fail "no notification '$2'"
}

# pings LOG FROM: WATCHDOG=1 messages after line FROM of LOG.
pings() { tail -n +"$(($2 + 1))" "$1" | grep -c ' WATCHDOG=1'; }

test_sd_notify_ready_watchdog_stopping() {
	local log="$T/notify.log" name="sfnic-notify-$$-$RANDOM" n mark
	notify_listen "$name" "$log"
	trap 'kill $LPID 2>/dev/null; daemon_kill9; ns_cleanup' EXIT
	NOTIFY_SOCKET="@$name" WATCHDOG_USEC=1000000 daemon_start --netdevs off --workers 2 ||
		fail "daemon start"
	wait_msg "$log" "READY=1|STATUS=sfnic/sfnic0 ready: 0 SFs, uplink null, 2 workers"
	# Fed at half of WATCHDOG_USEC while both (idle) workers are fine.
	mark=$(wc -l <"$log")
	sleep 2.2
	n=$(pings "$log" "$mark")
	if [ "$n" -lt 3 ] || [ "$n" -gt 6 ]; then
		fail "$n watchdog pings in 2.2 s, expected about 4"
	fi
	# On a timer grid: a late tick shortens the next interval, so the mean
	# is what is checked.
	awk '/ WATCHDOG=1$/ { if (!f) f = $1; l = $1; n++ }
	     END { m = (l - f) / (n - 1); exit !(m > 0.4 && m < 0.6) }' "$log" ||
		fail "pings are not 0.5 s apart: $(cat "$log")"
	# Worker 1 hung (fw_fatal may not reload it away): the pings stop.
	sf health set sfnic/sfnic0 reporter fw_fatal auto_recover false || fail "auto_recover"
	"$BIN/sfnicctl" fault hang-worker 1 >/dev/null || fail "hang-worker"
	# The first tick that finds it stuck says so; from then on, silence.
	wait_msg "$log" "STATUS=datapath worker 1 stopped making progress; watchdog not fed"
	mark=$(wc -l <"$log")
	sleep 2
	expect_eq "$(pings "$log" "$mark")" 0 "watchdog pings while worker 1 hangs"
	wait_log "watchdog: datapath worker 1 made no progress in 500 ms"
	# Released: fed again, and said so.
	"$BIN/sfnicctl" fault clear >/dev/null || fail "fault clear"
	wait_msg "$log" "WATCHDOG=1|STATUS=running: every datapath worker makes progress"
	mark=$(wc -l <"$log")
	sleep 1.2
	n=$(pings "$log" "$mark")
	[ "$n" -ge 1 ] || fail "no pings after the worker was released"
	# A graceful stop says so first.
	daemon_stop || fail "daemon stop"
	wait_msg "$log" "STOPPING=1|STATUS=shutting down"
	expect_eq "$(tail -1 "$log" | cut -d' ' -f2-)" "STOPPING=1|STATUS=shutting down" "last message"
	# Not under systemd's watchdog: no pings at all, READY all the same.
	: >"$log"
	NOTIFY_SOCKET="@$name" daemon_start --netdevs off || fail "daemon start"
	wait_msg "$log" "READY=1|STATUS=sfnic/sfnic0 ready: 0 SFs, uplink null, 1 worker"
	sleep 1.2
	expect_eq "$(pings "$log" 0)" 0 "pings without WATCHDOG_USEC"
	daemon_stop || fail "daemon stop"
	kill "$LPID"
}

test_bash_completion_asks_the_daemon() {
	install_tree
	daemon_start --netdevs off || fail "daemon start"
	sf_active 88
	local out
	out=$(PATH="$R/usr/bin:$PATH" bash --norc --noprofile -c '
		. "$1/usr/share/bash-completion/completions/sfnic"
		. "$1/usr/share/bash-completion/completions/sfnicctl"
		complete -p sfnic sfnicctl
		c() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
		      "_$1"; echo "$*: ${COMPREPLY[*]}"; }
		c sfnic po
		c sfnic port show sfnic/sfnic0/3
		c sfnic port function set sfnic0npf0sf88 st
		c sfnic -j dev eswitch set sfnic/sfnic0 mode sw
		c sfnic filter add dev sfnic0npf0
		c sfnic filter add dev sfnic0npf0sf88 ingress flower action mirred egress redirect dev sfnic0n
		c sfnic aux unbind sfnic_core.s
		c sfnic health show sfnic/sfnic0 reporter f
		c sfnic ethtool -N sfnic0S
		c sfnic ethtool -N sfnic0S88 flow-type tcp4 dst-
		c sfnic -j mon
		c sfnic top -
		c sfnicctl fault h
		c sfnicctl cmd GEN
		c sfnicctl counters sfnic/sfnic0/32
		unset SFNIC_RUN_DIR
		c sfnic --run-dir "$2" dev show ""
	' _ "$R" "$T/run" 2>&1)
	expect_eq "$out" "complete -F _sfnic sfnic
complete -F _sfnicctl sfnicctl
sfnic po: port
sfnic port show sfnic/sfnic0/3: sfnic/sfnic0/32768
sfnic port function set sfnic0npf0sf88 st: state
sfnic -j dev eswitch set sfnic/sfnic0 mode sw: switchdev switchdev_inactive
sfnic filter add dev sfnic0npf0: sfnic0npf0 sfnic0npf0sf88
sfnic filter add dev sfnic0npf0sf88 ingress flower action mirred egress redirect dev sfnic0n: sfnic0npf0 sfnic0npf0sf88 sfnic0np0
sfnic aux unbind sfnic_core.s: sfnic_core.sf.1
sfnic health show sfnic/sfnic0 reporter f: fw fw_fatal
sfnic ethtool -N sfnic0S: sfnic0S88
sfnic ethtool -N sfnic0S88 flow-type tcp4 dst-: dst-ip dst-port dst-mac
sfnic -j mon: monitor
sfnic top -: -b -d -n
sfnicctl fault h: hang-worker
sfnicctl cmd GEN: GEN_EQE
sfnicctl counters sfnic/sfnic0/32: sfnic/sfnic0/32768
sfnic --run-dir $T/run dev show : sfnic/sfnic0 auxiliary/sfnic_core.sf.1" "completions"
	daemon_stop || fail "daemon stop"
}

# cap_bit NAME: a capability's number (capability.h), for the ones the unit
# grants.
cap_bit() {
	case $1 in
	cap_chown) echo 0 ;; cap_dac_override) echo 1 ;; cap_net_admin) echo 12 ;;
	cap_net_raw) echo 13 ;; cap_ipc_lock) echo 14 ;; cap_sys_admin) echo 21 ;;
	cap_perfmon) echo 38 ;; cap_bpf) echo 39 ;; *) fail "no number for $1" ;;
	esac
}

test_unit_capabilities_suffice() {
	need_root
	install_tree
	local unit="$R/${UNITDIR#/}/sfnicd.service" names caps mask=0 eff n ns=capns$$
	names=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr '[:upper:]' '[:lower:]')
	for n in $names; do mask=$((mask | 1 << $(cap_bit "$n"))); done
	caps=$(echo "$names" | sed 's/cap_/+/g; s/ /,/g')
	# The daemon with the unit's bounding set and memlock limit, as root:
	# exactly those capabilities, as systemd would leave it.
	cat >"$T/sfnicd-unit" <<EOT
#!/bin/sh
exec setpriv --bounding-set=-all,$caps --inh-caps=-all "$PWD/$BIN/sfnicd" "\$@"
EOT
	chmod +x "$T/sfnicd-unit"
	ulimit -l unlimited
	ip link add up0 type veth peer name up1 || fail "veth"
	ip link set up0 up && ip link set up1 up
	SFNICD="$T/sfnicd-unit" daemon_start --uplink afxdp:up0 || fail "daemon with the unit's capabilities"
	# shellcheck disable=SC2153 # DPID: daemon_start's
	eff=$(awk '/^CapEff/ { print $2 }' "/proc/$DPID/status")
	expect_eq "$((16#$eff))" "$mask" "the daemon's effective capabilities (CapEff $eff)"
	# AF_XDP (CAP_NET_RAW, CAP_BPF, CAP_IPC_LOCK), TAP netdevs (CAP_NET_ADMIN),
	# a netns move (setns: CAP_SYS_ADMIN), a socket given away (CAP_CHOWN).
	grep -q "uplink AF_XDP on up0" "$T/sfnicd.log" || fail "AF_XDP: $(grep uplink "$T/sfnicd.log")"
	sf_active 88
	for _ in $(seq 100); do ip link show sfnic0S88 >/dev/null 2>&1 && break; sleep 0.05; done
	ip link show sfnic0S88 >/dev/null 2>&1 || fail "no SF netdev: $(tail -3 "$T/sfnicd.log")"
	ns_add $ns
	sf dev reload auxiliary/sfnic_core.sf.1 netns $ns || fail "dev reload netns"
	for _ in $(seq 100); do ip -n $ns link show sfnic0S88 >/dev/null 2>&1 && break; sleep 0.05; done
	ip -n $ns link show sfnic0S88 >/dev/null 2>&1 || fail "the SF netdev did not move"
	sf dev param set auxiliary/sfnic_core.sf.1 name zc_owner value 4242:4242 cmode runtime ||
		fail "zc_owner"
	expect_eq "$(stat -c %u:%g "$T/run/memif/sfnic0S88.sock")" 4242:4242 "memif socket owner"
	grep -q "unavailable\|Operation not permitted" "$T/sfnicd.log" &&
		fail "something was refused: $(grep 'unavailable\|not permitted' "$T/sfnicd.log")"
	daemon_stop || fail "daemon stop"
}
