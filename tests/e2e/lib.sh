# lib.sh - helpers for sfnic's end-to-end tests (sourced by each test file).
#
# Each test is a shell function named test_*; the runner calls each in a
# subshell with a fresh daemon directory.  BIN selects the build under test.

BIN=${BIN:-build}
SFNIC="$BIN/sfnic"
SFNICD="$BIN/sfnicd"

# Starts a daemon on fresh run/state dirs under $T (or reuses the dirs if
# they exist, for restart tests).
daemon_start() {
	mkdir -p "$T/run" "$T/state"
	export SFNIC_RUN_DIR="$T/run" SFNIC_STATE_DIR="$T/state"
	"$SFNICD" "$@" 2>>"$T/sfnicd.log" &
	DPID=$!
	for _ in $(seq 200); do
		[ -S "$T/run/sfnicd.sock" ] && "$SFNIC" dev show >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || { cat "$T/sfnicd.log" >&2; return 1; }
		sleep 0.02
	done
	echo "daemon did not come up" >&2
	return 1
}

daemon_stop() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	local rc=$?
	DPID=
	# A sanitizer report makes the daemon exit non-zero.
	if [ "$rc" -ne 0 ]; then
		echo "sfnicd exited with $rc" >&2
		cat "$T/sfnicd.log" >&2
		return 1
	fi
}

daemon_kill9() {
	kill -KILL "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=
}

sf() { "$SFNIC" "$@"; }

# sf_active SFNUM: switchdev, one SF (port sfnic/sfnic0/32768) added and active.
sf_active() {
	sf dev eswitch set sfnic/sfnic0 mode switchdev || fail "switchdev"
	sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum "$1" >/dev/null || fail "port add"
	sf port function set sfnic/sfnic0/32768 state active || fail "activate"
}

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; }

# expect_err "ERROR LINE" cmd...: fails unless cmd exits non-zero and prints
# exactly that one line on stderr.
expect_err() {
	local want="$1" out rc
	shift
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	[ "$rc" -ne 0 ] || fail "'$*' succeeded, expected: $want"
	[ "$out" = "$want" ] || fail "'$*': stderr '$out', expected '$want'"
}

jget() { jq -r "$1"; }

# inflight_zero: no page-pool buffer of any port or representor is out.
inflight_zero() {
	local n
	n=$(sf -j -s port show | jq '[.port[] | (.stats.queues[]?, .rep_stats.queues[]?) | .page_pool.inflight // 0] | add')
	expect_eq "$n" 0 "buffers in flight after traffic"
}

# ns_add NAME: a named network namespace (unique per test), removed at exit.
ns_add() {
	ip netns add "$1" || fail "ip netns add $1"
	NSES="$NSES $1"
}

ns_cleanup() {
	for n in $NSES; do ip netns del "$n" 2>/dev/null; done
	NSES=
	# A killed daemon's fd keeper would hold its netdevs until $T goes.
	pkill -f -- "--fd-keeper $T/run" 2>/dev/null
	true
}

# two_sfs: switchdev, SFs 88 and 89 (ports 32768, 32769) active with MACs
# 02:00:00:00:00:88 and :89, their netdevs moved into namespaces $NA and $NB
# with 10.9.0.1/24 and 10.9.0.2/24, up.  Needs root.
two_sfs() {
	NA=sfa$$ NB=sfb$$
	sf dev eswitch set sfnic/sfnic0 mode switchdev || fail "switchdev"
	for n in 88 89; do
		sf port add sfnic/sfnic0 flavour pcisf pfnum 0 sfnum $n >/dev/null || fail "port add $n"
	done
	sf port function set sfnic/sfnic0/32768 hw_addr 02:00:00:00:00:88 state active || fail "activate 88"
	sf port function set sfnic/sfnic0/32769 hw_addr 02:00:00:00:00:89 state active || fail "activate 89"
	ns_add $NA
	ns_add $NB
	ip link set sfnic0S88 netns $NA || fail "move sfnic0S88"
	ip link set sfnic0S89 netns $NB || fail "move sfnic0S89"
	ip -n $NA addr add 10.9.0.1/24 dev sfnic0S88
	ip -n $NB addr add 10.9.0.2/24 dev sfnic0S89
	ip -n $NA link set sfnic0S88 up
	ip -n $NB link set sfnic0S89 up
}

# capture_bg PORT COUNT FILE: starts `sfnic capture` of COUNT frames of
# PORT into FILE in the background and waits until it runs; wait_caps
# collects every capture started so.
capture_bg() {
	"$SFNIC" capture "$1" -c "$2" -w "$3" 2>"$3.log" &
	CAPS="$CAPS $!"
	for _ in $(seq 100); do
		grep -q capturing "$3.log" 2>/dev/null && return 0
		sleep 0.02
	done
	fail "capture on $1 did not start"
}

# wait_caps: waits (at most 10 s) for the captures to reach their count.
wait_caps() {
	for pid in $CAPS; do
		for _ in $(seq 500); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
		kill -0 "$pid" 2>/dev/null && { kill "$pid"; fail "capture $pid did not finish"; }
		wait "$pid"
	done
	CAPS=
}

# need_root: netdev tests need CAP_NET_ADMIN (CI runs as root).
need_root() {
	[ "$(id -u)" = 0 ] || fail "this test needs root (TAP netdevs, network namespaces)"
}

# wait_log TEXT [COUNT]: waits (at most 10 s) until the daemon's log has
# COUNT (default 1) lines containing TEXT.
wait_log() {
	for _ in $(seq 200); do
		[ "$(grep -cF -- "$1" "$T/sfnicd.log")" -ge "${2:-1}" ] && return 0
		sleep 0.05
	done
	cat "$T/sfnicd.log" >&2
	fail "the daemon never logged: $1"
}

# ---- testpmd: DPDK 22.11's dpdk-testpmd with the memif PMD as a peer ----
# Each testpmd runs interactive (-i) in the background without hugepages,
# fed from a fifo so a test can type commands; its output is in
# $T/testpmd-NAME.log.  Every instance gets its own --file-prefix (DPDK's
# runtime dir) and is killed by an EXIT trap if the test does not stop it.
# Pitfalls (docs: shared reference memif.md §3): read stats while the link
# is up (memif zeroes them at disconnect); a 22.11 client never reconnects
# by itself (testpmd_cmd NAME "port stop 0", then "port start 0"); start a
# server before its clients.
declare -gA TESTPMD_PID TESTPMD_FD

# testpmd_start [--vdev K=V[,K=V...]] [--eal "ARGS"] [--lcores LIST | --cpu N] \
#               NAME ROLE SOCK MODE [TESTPMD_ARGS...]
# Starts testpmd NAME with one memif port (net_memif0) of ROLE (server or
# client) on the filesystem socket SOCK, forwarding mode MODE (txonly,
# rxonly, io, macswap, ...), and waits for its prompt.  --vdev adds memif
# keys (id=, secret=, zero-copy=yes, rsize=, bsize=), --eal EAL options
# (--single-file-segments, more --vdev=net_memifN,...), --lcores the cores
# (default 0-1: the main lcore and one forwarding lcore); --cpu N puts the
# whole process on CPU N (taskset, both lcores on it: the main lcore only
# waits for commands, the forwarding lcore polls).  TESTPMD_ARGS go
# after "--" (--txpkts=64, --rxq=2 --txq=2, --total-num-mbufs=N).  A
# server's stale socket file is removed first.  Fails the test if testpmd
# does not come up.
testpmd_start() {
	local vdev="" eal="" cores="-l 0-1" pin=()
	while [ "${1#--}" != "$1" ]; do
		case "$1" in
		--vdev) vdev=",$2"; shift 2 ;;
		--eal) eal="$2"; shift 2 ;;
		--lcores) cores="-l $2"; shift 2 ;;
		--cpu) cores="--lcores=0@$2,1@$2"; pin=(taskset -c "$2"); shift 2 ;;
		*) fail "testpmd_start: unknown option $1" ;;
		esac
	done
	local name=$1 role=$2 sock=$3 mode=$4 fd
	shift 4
	command -v dpdk-testpmd >/dev/null || fail "dpdk-testpmd is missing (apt-get install dpdk)"
	[ -z "${TESTPMD_PID[$name]}" ] || fail "testpmd $name is already running"
	testpmd_trap
	[ "$role" = server ] && rm -f "$sock"
	rm -f "$T/testpmd-$name.in"
	mkfifo "$T/testpmd-$name.in" || fail "mkfifo"
	# shellcheck disable=SC2086
	"${pin[@]}" stdbuf -oL dpdk-testpmd --no-huge -m 1024 --no-pci $cores \
		--file-prefix="$(testpmd_prefix "$name")" $eal \
		--vdev="net_memif0,role=$role,socket=$sock,socket-abstract=no$vdev" \
		-- -i --forward-mode="$mode" "$@" \
		<"$T/testpmd-$name.in" >"$T/testpmd-$name.log" 2>&1 &
	TESTPMD_PID[$name]=$!
	# Holding the write end open keeps testpmd from seeing EOF (it quits).
	exec {fd}>"$T/testpmd-$name.in"
	TESTPMD_FD[$name]=$fd
	for _ in $(seq 400); do
		grep -q "testpmd> " "$T/testpmd-$name.log" 2>/dev/null && return 0
		kill -0 "${TESTPMD_PID[$name]}" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/testpmd-$name.log" >&2
	fail "testpmd $name did not come up"
}

# testpmd_prefix NAME: its --file-prefix, unique to the test directory.
testpmd_prefix() { echo "sfnic-$(basename "$T")-$1"; }

# testpmd_cmd NAME CMD: types CMD into testpmd NAME and waits (at most 10 s)
# until it has printed its next prompt, i.e. the command finished.
testpmd_cmd() {
	local name=$1 log="$T/testpmd-$1.log" n
	[ -n "${TESTPMD_FD[$name]}" ] || fail "testpmd $name is not running"
	n=$(grep -o "testpmd> " "$log" | wc -l)
	echo "$2" >&"${TESTPMD_FD[$name]}"
	for _ in $(seq 500); do
		[ "$(grep -o "testpmd> " "$log" | wc -l)" -gt "$n" ] && return 0
		kill -0 "${TESTPMD_PID[$name]}" 2>/dev/null || return 0     # "quit"
		sleep 0.02
	done
	fail "testpmd $name: \"$2\" did not finish"
}

# testpmd_stats NAME [PORT]: "RX-packets TX-packets Rx-pps Tx-pps RX-bytes
# TX-bytes" of port PORT (default 0) from "show port stats"; pps since the
# previous show.  Use: set -- $(testpmd_stats srv); rx=$1 tx=$2 ...
testpmd_stats() {
	local port=${2:-0}
	testpmd_cmd "$1" "show port stats $port"
	awk -v p="$port" '
		/NIC statistics for port/ { on = ($(NF-1) == p); next }
		on && /RX-packets:/ { rx = $2; rxb = $6 }
		on && /TX-packets:/ { tx = $2; txb = $6 }
		on && /Rx-pps:/ { rxp = $2 }
		on && /Tx-pps:/ { txp = $2 }
		END { printf "%.0f %.0f %.0f %.0f %.0f %.0f\n", rx, tx, rxp, txp, rxb, txb }' \
		"$T/testpmd-$1.log"
}

# testpmd_link NAME [PORT]: "up" or "down", from "show port info".
testpmd_link() {
	testpmd_cmd "$1" "show port info ${2:-0}"
	awk '/Link status:/ { s = $3 } END { print s }' "$T/testpmd-$1.log"
}

# testpmd_wait_link NAME STATE [SECONDS]: waits (default 10 s) until port 0
# of NAME is STATE (up or down); fails the test otherwise.
testpmd_wait_link() {
	for _ in $(seq $((${3:-10} * 10))); do
		[ "$(testpmd_link "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	fail "testpmd $1: link not $2"
}

# testpmd_stop NAME: stops forwarding and quits (ports closed cleanly: a
# server removes its socket file); killed if it takes longer than 10 s.
testpmd_stop() {
	local name=$1 pid=${TESTPMD_PID[$1]}
	[ -n "$pid" ] || return 0
	echo "stop" >&"${TESTPMD_FD[$name]}" 2>/dev/null
	echo "quit" >&"${TESTPMD_FD[$name]}" 2>/dev/null
	for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	testpmd_kill "$name"
}

# testpmd_kill NAME: SIGKILL, as a crashed peer (nothing is said on the
# socket; the kernel closes it); then its fifo and runtime dir go.
testpmd_kill() {
	local name=$1 pid=${TESTPMD_PID[$1]} fd=${TESTPMD_FD[$1]}
	[ -n "$pid" ] || return 0
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ -n "$fd" ] && exec {fd}>&-
	unset "TESTPMD_PID[$name]" "TESTPMD_FD[$name]"
	rm -f "$T/testpmd-$name.in"
	rm -rf "/var/run/dpdk/$(testpmd_prefix "$name")" \
		"${XDG_RUNTIME_DIR:-/tmp}/dpdk/$(testpmd_prefix "$name")"
}

# testpmd_trap: kills every testpmd at exit, before whatever the EXIT trap
# did already (the runner's daemon cleanup).
testpmd_trap() {
	[ -n "$TESTPMD_TRAPPED" ] && return 0
	TESTPMD_TRAPPED=1
	local prev
	prev=$(trap -p EXIT)
	prev=${prev#"trap -- '"}
	prev=${prev%"' EXIT"}
	# shellcheck disable=SC2064
	trap "for n in \${!TESTPMD_PID[@]}; do testpmd_kill \$n; done; $prev" EXIT
}
