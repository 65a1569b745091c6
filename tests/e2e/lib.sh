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

# need_root: netdev tests need CAP_NET_ADMIN (CI runs as root).
need_root() {
	[ "$(id -u)" = 0 ] || fail "this test needs root (TAP netdevs, network namespaces)"
}
