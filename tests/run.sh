#!/bin/bash
# tests/run.sh - sfnic's whole suite: unit tests (cmocka) in the normal and the
# ASan+UBSan build, end-to-end tests against the sanitizer build, and short
# fuzz runs.  The last line is "N passed, N failed".
#
#   tests/run.sh               everything
#   tests/run.sh e2e PATTERN   only end-to-end tests whose name matches
cd "$(dirname "$0")/.." || exit 1
pass=0 failed=0 failures=()
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=66
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=67

record() { # name rc
	if [ "$2" -eq 0 ]; then pass=$((pass + 1)); echo "PASS $1"
	else failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1"; fi
}

unit() {
	for b in build build-san; do
		for t in "$b"/test_*; do
			[ -x "$t" ] || continue
			out=$("$t" 2>&1); rc=$?
			n=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p')
			f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p')
			[ "$rc" -eq 0 ] && [ -z "$f" ] || echo "$out"
			pass=$((pass + ${n:-0})); failed=$((failed + ${f:-0}))
			[ "$rc" -eq 0 ] || [ -n "$f" ] || record "$t (crashed)" 1
			echo "unit $t: ${n:-0} passed, ${f:-0} failed"
		done
	done
}

e2e() {
	local pattern=${1:-.}
	NETNS=()
	[ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null && NETNS=(unshare -n --)
	for file in tests/e2e/test_*.sh; do
		for fn in $(grep -o '^test_[a-z0-9_]*' "$file"); do
			echo "$fn" | grep -q -- "$pattern" || continue
			T=$(mktemp -d /tmp/sfnic-e2e.XXXXXX)
			# As root each test gets a network namespace of its own: its
			# netdevs are private and vanish with it.
			"${NETNS[@]}" bash -c 'export T="$1" BIN="$2"; . tests/e2e/lib.sh; . "$3"
				trap "daemon_kill9; ns_cleanup" EXIT; "$4"' _ "$T" "${BIN:-build-san}" \
				"$file" "$fn" >"$T.out" 2>&1
			rc=$?
			[ "$rc" -eq 0 ] || { cat "$T.out"; tail -20 "$T/sfnicd.log" 2>/dev/null; }
			# E2E_SHOW=1: what a passing test printed too (measured figures).
			[ "$rc" -ne 0 ] || [ -z "$E2E_SHOW" ] || cat "$T.out"
			record "e2e $(basename "$file" .sh):$fn" "$rc"
			[ "$rc" -ne 0 ] || rm -rf "$T" "$T.out"
		done
	done
}

fuzz() {
	for f in build-fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=$(basename "$f")
		mkdir -p "/tmp/sfnic-corpus/$name"
		seeds=()
		[ -d "tests/fuzz/seeds/$name" ] && seeds=("tests/fuzz/seeds/$name")
		"$f" -max_total_time="${SFNIC_FUZZ_SECONDS:-20}" -print_final_stats=1 \
			-artifact_prefix="/tmp/$name-" \
			"/tmp/sfnic-corpus/$name" "${seeds[@]}" >"/tmp/$name.log" 2>&1
		rc=$?
		[ "$rc" -eq 0 ] || tail -40 "/tmp/$name.log"
		record "fuzz $name ($(grep -o 'stat::number_of_executed_units: [0-9]*' "/tmp/$name.log" |
			awk '{print $2}') runs)" "$rc"
	done
}

case "$1" in
e2e) e2e "$2" ;;
unit) unit ;;
fuzz) fuzz ;;
*) unit; e2e; fuzz ;;
esac
[ "${#failures[@]}" -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
