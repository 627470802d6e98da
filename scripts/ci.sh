#!/usr/bin/env bash
# `make ci`: everything CI checks, each step in its own build tree, in the order
# that fails fastest. Every step runs even if an earlier one failed, so one red
# step never hides another; the closing lines say which failed and add up the
# Check results of the test steps.
#
#   pyflakes  every .py of the tree under Debian's pyflakes3        1 s
#   test      every Check suite, plain build (bin/)              289 s on 2 cores
#   clang     every program and suite built with clang -Werror     13 s
#   valgrind  bin/reference and bin/phase3 under memcheck          16 s
#   fuzz      every libFuzzer target for 10 s (clang)              106 s
#   sanitize  every suite under AddressSanitizer + UBSan          629 s
#   tsan      every suite under ThreadSanitizer                   778 s
# (a clean clone of commit af01254 on the 2-core VM: 30 min 32 s in all; an
# earlier one of 173e7f3: 26 min 17 s)
set -u
cd "$(dirname "$0")/.."
make=(make --no-print-directory)
jobs=${CI_JOBS:-2}
steps=(pyflakes test clang valgrind fuzz-short sanitize tsan)
failed=() total_pass=0 total_fail=0
recap=$(mktemp)
trap 'rm -f "$recap"' EXIT
for step in "${steps[@]}"; do
    echo "=== ci: make $step" >&2
    log=$(mktemp)
    start=$SECONDS
    "${make[@]}" -j"$jobs" "$step" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    # The test runner closes each test step with "N passed, N failed".
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        total_pass=$((total_pass + ${line%% passed*}))
        f=${line#*, }; total_fail=$((total_fail + ${f%% failed}))
    fi
    # scripts/run-tests.sh lists the failing checks under "What failed";
    # repeat them at the very end, where a truncated CI log still shows them.
    sed -n "/^What failed/,/^All suites:/{/^What failed/d;/^All suites:/d;s/^/$step: /;p}" "$log" >>"$recap"
    rm -f "$log"
    echo "=== ci: make $step: $([ "$rc" -eq 0 ] && echo ok || echo "FAILED (exit $rc)") in $((SECONDS - start)) s" >&2
    [ "$rc" -eq 0 ] || failed+=("$step")
done
if [ ${#failed[@]} -eq 0 ]; then
    echo "ci: every step passed (${steps[*]})"
else
    echo "ci: FAILED steps: ${failed[*]}"
    [ -s "$recap" ] && { echo "ci: the failing checks:"; cat "$recap"; }
fi
echo "ci: $total_pass passed, $total_fail failed"
[ ${#failed[@]} -eq 0 ]
