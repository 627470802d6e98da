#!/usr/bin/env bash
# Run every Check suite binary given, print each suite's own summary, then the
# total. Usage: scripts/run-tests.sh BIN_DIR SUITE...
#
# Each test case sets its own timeout (tcase_set_timeout); CK_TIMEOUT_MULTIPLIER
# scales them all for a slow machine. A whole suite is also bounded from outside
# so that nothing can hang CI. CK_RUN_SUITE / CK_RUN_CASE narrow a run as usual.
set -u
bin=$1; shift
export KIT_BIN=${KIT_BIN:-$(cd "$bin" && pwd)}
export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-1}
outer=$(( 600 * ${CK_TIMEOUT_MULTIPLIER%.*} ))

# Sanitizer run-time options; they matter only to binaries built with one (make
# sanitize, make tsan) and reach the programs the suites run too. ASan's leak
# check runs at the exit of each Check child, so a leaking test fails ("Early
# exit with return value 1"). tests/tsan.supp holds third-party suppressions.
root=$(cd "$(dirname "$0")/.." && pwd)
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export TSAN_OPTIONS="suppressions=$root/tests/tsan.supp ${TSAN_OPTIONS:-}"

total=0 failed=0 errors=0 bad=0
recap=$(mktemp)
trap 'rm -f "$recap"' EXIT
for suite in "$@"; do
    log=$(mktemp)
    timeout --kill-after=10 "$outer" "$suite" >"$log" 2>&1
    rc=$?
    cat "$log"
    # Check names a failing test "file:line:F|E:case:test:...": keep them for
    # the recap, so the last lines of a long run say what failed.
    grep -E '^[^ ]+:[0-9]+:[FE]:' "$log" | sed "s|^|$(basename "$suite"): |" >>"$recap"
    line=$(grep -E '^[0-9]+%: Checks: [0-9]+' "$log" | tail -n 1)
    rm -f "$log"
    if [ -z "$line" ]; then
        echo "$(basename "$suite"): no Check summary (exit $rc)" | tee -a "$recap" >&2
        bad=$((bad + 1))
        continue
    fi
    read -r c f e < <(sed -E 's/.*Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/' <<<"$line")
    total=$((total + c)) failed=$((failed + f)) errors=$((errors + e))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && [ "$e" -eq 0 ]; then
        echo "$(basename "$suite"): exit $rc although every check passed" >>"$recap"
        bad=$((bad + 1))
    fi
done

if [ -s "$recap" ]; then
    echo "What failed (rerun one with CK_RUN_SUITE=suite CK_RUN_CASE=case):"
    cat "$recap"
fi

echo "All suites: Checks: $total, Failures: $failed, Errors: $errors"
echo "$((total - failed - errors)) passed, $((failed + errors)) failed"
[ "$failed" -eq 0 ] && [ "$errors" -eq 0 ] && [ "$bad" -eq 0 ]
