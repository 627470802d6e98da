#!/usr/bin/env bash
# phase2_threads/demo.sh (`make phase2`): the GIL, in C. The same CPU-bound
# stream (~1 ms of --work per DATA message, calibrated with bin/workcal) through
# bin/phase2 with one global mutex held for all of a message's handling, and
# with a sharded registry (64 striped locks, the work outside any lock), at 1 and
# 2 threads. Each point is the median msgs/s of REPEAT runs (default 3); the
# speedup is against the same lock mode at 1 thread. The closing sentences are
# chosen by the speedups measured (a run on a busy or 1-core machine says what
# its numbers show, not what the lecture expects).
set -euo pipefail
BIN=${BIN:-bin}
P2=$BIN/phase2
REPEAT=${REPEAT:-3}
MESSAGES=${MESSAGES:-1500}
for p in "$P2" "$BIN/workcal"; do
    [ -x "$p" ] || { echo "demo: $p is missing: run make first" >&2; exit 1; }
done

ns_per_unit=$("$BIN/workcal" --units 100000 --runs 3 --csv | tail -n 1 | awk -F, '{print $3}')
work=$(awk -v ns="$ns_per_unit" 'BEGIN { w = int(1000000 / ns); print (w < 1 ? 1 : w) }')
echo "== phase 2: worker threads over one shared registry =="
echo "one --work unit costs ${ns_per_unit} ns here (bin/workcal): --work $work is ~1 ms per DATA message"
echo "$MESSAGES messages, 100 keys, per-thread queues; median of $REPEAT runs per point; $(nproc) cores"
echo

# point LOCK THREADS: prints "msgs_per_s lock_wait_share contended vol_cs invol_cs idle_share"
# of the median run (by msgs/s).
point() {
    for _ in $(seq "$REPEAT"); do
        "$P2" --messages "$MESSAGES" --work "$work" --lock "$1" --threads "$2" --csv --quiet |
            tail -n 1 | awk -F, '{ print $3, $8, $9, $10, $11, $16 }'
    done | sort -n -k1,1 | awk -v n="$REPEAT" 'NR == int((n + 1) / 2)'
}

printf '%-8s %7s %10s %8s %11s %12s %10s %10s\n' lock threads msgs/s speedup "lock wait" "wait for work" contended "vol. cs"
declare -A rate wait
for lock in global sharded; do
    for t in 1 2; do
        read -r mps share cont vol _ idle <<<"$(point "$lock" "$t")"
        rate[$lock$t]=$mps wait[$lock$t]=$share
        speed=$(awk -v a="$mps" -v b="${rate[${lock}1]}" 'BEGIN { printf "%.2fx", a / b }')
        printf '%-8s %7s %10s %8s %10.1f%% %12.1f%% %10s %10s\n' "$lock" "$t" "$mps" "$speed" \
            "$(awk -v s="$share" 'BEGIN { print 100 * s }')" "$(awk -v s="$idle" 'BEGIN { print 100 * s }')" \
            "$cont" "$vol"
    done
done
echo
g=$(awk -v a="${rate[global2]}" -v b="${rate[global1]}" 'BEGIN { printf "%.2f", a / b }')
s=$(awk -v a="${rate[sharded2]}" -v b="${rate[sharded1]}" 'BEGIN { printf "%.2f", a / b }')
gw=$(awk -v x="${wait[global2]}" 'BEGIN { printf "%.0f %%", 100 * x }')
sw=$(awk -v x="${wait[sharded2]}" 'BEGIN { printf "%.0f %%", 100 * x }')
cores=$(nproc)
load=$(cut -d' ' -f1 /proc/loadavg)
at_least() { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x >= y) }'; }
# The sentences follow the numbers: a claim is made only where they show it.
if at_least 1.3 "$g"; then
    echo "global:  2 threads run ${g}x as fast as 1: the work is inside the one lock, so the threads take turns (the GIL)."
else
    echo "global:  2 threads ran ${g}x as fast as 1, more than one lock around the work should allow (lock wait $gw):"
    echo "         in this run the threads overlapped outside the lock (queues, parsing) more than usual; rerun to compare."
fi
echo "         'lock wait' + 'wait for work' is the time the second thread could not use: it waits on the lock, or starves"
echo "         because the dispatcher is stuck on the other thread's full queue."
if [ "$cores" -lt 2 ]; then
    echo "sharded: 2 threads ran ${s}x as fast as 1: this machine has 1 core, so two threads can only take turns."
elif at_least "$s" 1.6; then
    echo "sharded: 2 threads run ${s}x as fast as 1: the work runs unlocked and two keys rarely share a stripe, so both cores compute."
else
    echo "sharded: 2 threads ran only ${s}x as fast as 1, although they waited for a lock only $sw of the time: the lock is not"
    if at_least "$load" "$cores"; then
        echo "         what held them back. Other work kept the cores busy (load average $load on $cores cores), so the two"
        echo "         threads shared a core part of the time. Run it again on an idle machine: the lecture expects close to 2x."
    else
        echo "         what held them back, nor other work (load average $load on $cores cores). Look at 'wait for work': a"
        echo "         thread that starves waits for the dispatcher, which feeds both threads from one core."
    fi
fi
echo "(lock wait = share of the workers' time blocked in pthread_mutex_lock after a failed trylock; vol. cs = voluntary"
echo " context switches of the workers, from getrusage(RUSAGE_THREAD))"
