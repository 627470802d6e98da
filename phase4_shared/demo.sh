#!/usr/bin/env bash
# phase4_shared/demo.sh (`make phase4`): what shared memory buys and costs, in
# five short measurements on this machine (~30 s). Every sentence printed at the
# end is made from the numbers measured here.
#   1. throughput at --work 0, 2 workers: bin/phase3 (encode, socketpair,
#      decode) against bin/phase4 (24-byte records in a shared ring);
#   2. GET while messages flow: the program's own answer time and the client's;
#   3. a worker SIGKILLed 5 times mid-run, then the dump against bin/reference;
#   4. the supervisor SIGKILLed: workers left alive, entries left in /dev/shm;
#   5. false sharing: the workers' positions padded (default) or on one line.
set -euo pipefail
BIN=${BIN:-bin}
MESSAGES=${MESSAGES:-1000000}
for p in phase3 phase4 reference qload; do
    [ -x "$BIN/$p" ] || { echo "demo: $BIN/$p is missing: run make first" >&2; exit 1; }
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
col() {  # col NAME < csv
    awk -F, -v want="$1" '/^#/ || NF == 0 { next }
        !h { for (i = 1; i <= NF; i++) if ($i == want) c = i; h = 1; next } { print $c; exit }'
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
median3() { sort -g | sed -n 2p; }
echo "== phase 4: the process pool with its state in shared memory =="
echo "$(nproc) cores; a shared machine: the figures move from run to run"
echo

echo "-- 1. $MESSAGES messages, --work 0, 2 workers (median of 3 runs each)"
declare -A mps cpu
for prog in phase3 phase4; do
    rates=""
    for _ in 1 2 3; do
        "$BIN/$prog" --workers 2 --messages "$MESSAGES" --work 0 --csv --quiet > "$dir/$prog.csv"
        rates+="$(col msgs_per_s < "$dir/$prog.csv")"$'\n'
    done
    mps[$prog]=$(printf '%s' "$rates" | median3)
    cpu[$prog]=$(calc %.3f "($(col supervisor_cpu_s < "$dir/$prog.csv") + $(col workers_cpu_s < "$dir/$prog.csv")) * 1e6 / $MESSAGES")
    printf '   %-7s %10.0f msgs/s, %s us of CPU per message (supervisor + workers, last run)\n' "$prog" "${mps[$prog]}" "${cpu[$prog]}"
done
sys4=$(calc %.4f "($(col producer_sleeps < "$dir/phase4.csv") + $(col consumer_sleeps < "$dir/phase4.csv") + $(col futex_wakes < "$dir/phase4.csv")) / $MESSAGES")
echo

echo "-- 2. GET while messages flow (1000 GETs/s for ~2 s)"
declare -A srv cli
for prog in phase3 phase4; do
    n=$(calc %d "${mps[$prog]} * 2")
    rm -f "$dir/ctl.sock"
    "$BIN/$prog" --workers 2 --messages "$n" --control "$dir/ctl.sock" --csv --quiet > "$dir/q$prog.csv" &
    "$BIN/qload" --control "$dir/ctl.sock" --qps 1000 --keys 100 --quiet > "$dir/c$prog.csv"
    wait $!
    srv[$prog]=$(col query_p50_us < "$dir/q$prog.csv")
    cli[$prog]=$(col p50_us < "$dir/c$prog.csv")
    printf '   %-7s the program: p50 %8s us; the client (send to answer): p50 %8s us over %s GETs\n' \
        "$prog" "${srv[$prog]}" "${cli[$prog]}" "$(col queries < "$dir/c$prog.csv")"
done
rd=$(col get_read_p50_us < "$dir/qphase4.csv")
echo

echo "-- 3. a worker SIGKILLed 5 times while 3 workers apply 400000 messages (--work 2)"
"$BIN/phase4" --workers 3 --messages 400000 --work 2 --ring 256 --dump-state "$dir/p4.dump" --csv --quiet > "$dir/k.csv" &
sup=$!
kills=0
for _ in 1 2 3 4 5; do
    sleep 0.05
    w=$(awk '{ print $1 }' "/proc/$sup/task/$sup/children" 2>/dev/null || true)
    [ -n "$w" ] && kill -9 "$w" 2>/dev/null && kills=$((kills + 1))
done
wait "$sup"
"$BIN/reference" --messages 400000 --dump-state "$dir/ref.dump" --quiet
same=$(cmp -s "$dir/p4.dump" "$dir/ref.dump" && echo yes || echo no)
echo "   $kills kills landed, $(col restarts < "$dir/k.csv") workers respawned, processed=$(col processed < "$dir/k.csv"); dump equal to bin/reference's: $same"
echo

echo "-- 4. the supervisor SIGKILLed mid-run"
shm_before=$(ls -A /dev/shm 2>/dev/null | wc -l)
"$BIN/phase4" --workers 2 --messages 0 --work 20 --quiet &
sup=$!
sleep 0.3
workers=$(cat "/proc/$sup/task/$sup/children" 2>/dev/null || true)
memfd=$(for w in $workers; do grep -c 'memfd:phase4' "/proc/$w/maps" 2>/dev/null || true; done | awk '{ s += $1 } END { print s + 0 }')
kill -9 "$sup"
wait "$sup" 2>/dev/null || true
sleep 0.3
alive=0
for w in $workers; do
    state=$(awk '{ print $3 }' "/proc/$w/stat" 2>/dev/null || true)
    [ -n "$state" ] && [ "$state" != Z ] && alive=$((alive + 1))
done
shm_after=$(ls -A /dev/shm 2>/dev/null | wc -l)
echo "   workers: $(wc -w <<< "$workers"), mapping the memfd segment: $memfd; alive 0.3 s after the kill: $alive; /dev/shm entries before $shm_before, after $shm_after"
echo

echo "-- 5. false sharing: each worker's consumed position on its own line, or all on one (median of 3)"
declare -A pad
for p in on off; do
    rates=""
    for _ in 1 2 3; do
        rates+="$("$BIN/phase4" --workers 2 --messages "$MESSAGES" --pad "$p" --csv --quiet | col msgs_per_s)"$'\n'
    done
    pad[$p]=$(printf '%s' "$rates" | median3)
    printf '   --pad %-3s %10.0f msgs/s\n' "$p" "${pad[$p]}"
done
echo

echo "== what the numbers say"
r=$(calc %.1f "${mps[phase4]} / ${mps[phase3]}")
echo "phase 4 moved ${r}x as many messages per second as phase 3 and spent ${cpu[phase4]} us of CPU per message against ${cpu[phase3]} us:"
echo "  no encoding, no copy through the kernel, and $sys4 futex system calls per message (a ring only sleeps when empty or full)."
g=$(calc %.0f "${srv[phase3]} / ${srv[phase4]}")
echo "A GET took ${srv[phase4]} us inside phase 4 (${rd} us of it the lookup and the seqlocked read, the rest formatting the row)"
echo "  against ${srv[phase3]} us inside phase 3 (${g}x): phase 3 asks the worker and waits; phase 4 reads the row itself."
if [ "$same" = yes ]; then
    echo "After $kills SIGKILLs of workers, the dump was bin/reference's, byte for byte: the rows live in shared memory and outlive"
    echo "  their writer; a replacement finds where its predecessor stopped (its consumed position, the row's applied seq, the redo copy)."
else
    echo "After $kills SIGKILLs of workers the dump DIFFERED from bin/reference's: a bug (see test_phase4:kills)."
fi
if [ "$alive" = 0 ] && [ "$shm_before" = "$shm_after" ]; then
    echo "The supervisor's SIGKILL left no worker alive (PR_SET_PDEATHSIG) and nothing in /dev/shm: the memfd went with its last mapping."
else
    echo "The supervisor's SIGKILL left $alive workers alive and /dev/shm went from $shm_before to $shm_after entries."
fi
fs=$(calc %.0f "100 * (1 - ${pad[off]} / ${pad[on]})")
if [ "$fs" -ge 5 ]; then
    echo "Packing the workers' positions on one cache line cost ${fs} % of the throughput: false sharing, every store moves the line."
elif [ "$fs" -le -5 ]; then
    echo "The packed run was $((-fs)) % FASTER than the padded one: false sharing cannot speed anything up, so the machine's load"
    echo "  moved more than the padding did here (each figure is a median of 3 short runs); run it again, or on a quiet machine."
else
    echo "Packing the workers' positions on one cache line changed the throughput by ${fs} %: within this machine's noise here;"
    echo "  with 2 cores the supervisor and 2 workers also take turns, which hides part of the line's ping-pong."
fi
