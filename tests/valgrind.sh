#!/usr/bin/env bash
# Run the kit's programs under valgrind memcheck and require 0 errors and 0
# leaks in every process (`make valgrind`). Usage: tests/valgrind.sh BIN_DIR
#
#   1. bin/reference on the built-in source, dump written;
#   2. bin/phase3 (when it is built) on the same stream: its dump must equal the
#      reference's, and every process, supervisor and forked workers, is checked
#      (memcheck follows fork() by itself; --trace-children=yes would also follow
#      an exec);
#   3. bin/phase3 running endless with --control, asked STATS, GET, a bad line and
#      SHUTDOWN by bin/kitctl: the control socket and the graceful shutdown path.
#
# Leaks: "definitely" and "indirectly" lost blocks count as errors
# (--errors-for-leak-kinds); "still reachable" ones (libuv's and msgpack's
# process-lifetime allocations, stdio buffers) do not. Each process writes its own
# log, summarised in one line here; a failing log is printed whole.
# Programs must be built without sanitizers (valgrind cannot run ASan binaries);
# the build uses -gdwarf-4 so that valgrind 3.19 reads the line numbers.
set -u
bin=$(cd "$1" && pwd)
MESSAGES=${VALGRIND_MESSAGES:-100000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kit-valgrind.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
vg=(valgrind --tool=memcheck --error-exitcode=1 --leak-check=full
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
    --trace-children=yes --track-fds=no)
failed=0

# Summarise every log of one run; a log without "0 errors" fails the run.
check_logs() {
    local run=$1 n=0 bad=0
    for log in "$tmp/$run".*.log; do
        n=$((n + 1))
        local errs def ind
        errs=$(grep -Eo 'ERROR SUMMARY: [0-9]+ errors' "$log" | grep -Eo '[0-9]+' | head -n 1)
        def=$(grep -Eo 'definitely lost: [0-9,]+ bytes' "$log" | grep -Eo '[0-9,]+' | head -n 1)
        ind=$(grep -Eo 'indirectly lost: [0-9,]+ bytes' "$log" | grep -Eo '[0-9,]+' | head -n 1)
        grep -q 'All heap blocks were freed' "$log" && { def=0; ind=0; }
        local pid=${log##*.p}
        echo "valgrind: $run: pid ${pid%.log}: ${errs:-?} errors, definitely lost ${def:-?} bytes, indirectly lost ${ind:-?} bytes"
        if [ "${errs:-x}" != 0 ]; then
            bad=1
            cat "$log"
        fi
    done
    [ "$n" -gt 0 ] || { echo "valgrind: $run: no log written"; bad=1; }
    return $bad
}

run() {     # run NAME PROGRAM ARGS...: under memcheck, one log per process
    local name=$1; shift
    local t0=$SECONDS
    "${vg[@]}" --log-file="$tmp/$name.p%p.log" "$@"
    local rc=$?
    echo "valgrind: $name: exit $rc in $((SECONDS - t0)) s: $*" | sed "s|$bin/||"
    check_logs "$name" || failed=1
    [ "$rc" -eq 0 ] || failed=1
    return $rc
}

run reference "$bin/reference" --messages "$MESSAGES" --payload 16 --dump-state "$tmp/ref.csv" --quiet

if [ -x "$bin/phase3" ]; then
    run phase3 "$bin/phase3" --workers 2 --messages "$MESSAGES" --payload 16 --codec json \
        --dump-state "$tmp/p3.csv" --quiet
    if cmp -s "$tmp/ref.csv" "$tmp/p3.csv"; then
        echo "valgrind: phase3: dump equals the reference's ($(($(wc -l <"$tmp/ref.csv") - 1)) keys)"
    else
        echo "valgrind: phase3: dump differs from the reference's"
        failed=1
    fi

    sock="$tmp/ctl/p3.sock"
    mkdir -m 700 "$tmp/ctl"
    "${vg[@]}" --log-file="$tmp/phase3-control.p%p.log" "$bin/phase3" --workers 2 --messages 0 \
        --control "$sock" --quiet &
    pid=$!
    for _ in $(seq 1 300); do [ -S "$sock" ] && break; sleep 0.1; done
    answers=$("$bin/kitctl" "$sock" STATS "GET k0001" "HELLO" SHUTDOWN 2>&1)
    wait "$pid"
    rc=$?
    echo "valgrind: phase3-control: exit $rc; kitctl got:"
    sed 's/^/    /' <<<"$answers"
    check_logs phase3-control || failed=1
    [ "$rc" -eq 0 ] && [ "$(tail -n 1 <<<"$answers")" = OK ] || failed=1
else
    echo "valgrind: $bin/phase3 not built: skipped"
fi

if [ "$failed" -ne 0 ]; then
    echo "valgrind: FAILED"
    exit 1
fi
echo "valgrind: every process: 0 errors, 0 bytes definitely or indirectly lost"
