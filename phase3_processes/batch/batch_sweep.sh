#!/usr/bin/env bash
# batch_sweep.sh: Lecture 36's batching lesson measured: the same records through
# bin/batchpool with B = 1 .. 5000 records per pool call, plus the sequential
# run, every record costing WORK units of CPU (--work, lib/fsm.h's unit:
# bin/workcal says what one costs here). per_record_us falls as B grows because
# each call's fixed IPC cost (encode, two pipe hops, decode, wake-ups) is shared
# by B records; with WORK = 10 (~5.6 us per record at 0.56 us per unit) a batch
# of 1000..5000 takes 5..30 ms, the lecture's sweet spot, and the pool beats one
# process there while it loses at B = 1.
#
#   phase3_processes/batch/batch_sweep.sh [BIN_DIR] > results/batching.csv
#   RECORDS=200000 REPEAT=3 WORKERS=2 WORK=10 phase3_processes/batch/batch_sweep.sh
#
# Output: CSV batch,records,seconds,per_record_us,workers,mode,work, the median
# of REPEAT runs per B; every run's checksum must equal the sequential one.
set -euo pipefail
bin=${1:-bin}
RECORDS=${RECORDS:-200000}
REPEAT=${REPEAT:-3}
WORKERS=${WORKERS:-2}
WORK=${WORK:-10}
BATCHES=${BATCHES:-"1 2 5 10 20 50 100 200 500 1000 2000 5000"}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

ref=$("$bin/batchpool" --records "$RECORDS" --work "$WORK" --sequential --csv --quiet | tail -n 1 | cut -d, -f8)
"$bin/batchpool" --records 1 --csv --quiet | grep '^#'
echo "# bench=batch_sweep.sh repeat=$REPEAT workers=$WORKERS records=$RECORDS work=$WORK"
echo "batch,records,seconds,per_record_us,workers,mode,work"
run() {
    local b=$1; shift
    local secs=()
    for ((i = 0; i < REPEAT; i++)); do
        row=$("$bin/batchpool" --records "$RECORDS" --batch "$b" --workers "$WORKERS" --work "$WORK" --csv --quiet "$@" | tail -n 1)
        echo "$row" >&2
        [ "$(cut -d, -f8 <<<"$row")" = "$ref" ] || { echo "batch_sweep: B=$b checksum differs from sequential" >&2; exit 1; }
        secs+=("$(cut -d, -f3 <<<"$row")")
    done
    local med mode
    med=$(printf '%s\n' "${secs[@]}" | median)
    mode=pool; [ "$*" = "--sequential" ] && mode=sequential
    awk -v b="$b" -v n="$RECORDS" -v m="$med" -v w="$WORKERS" -v mode="$mode" -v work="$WORK" \
        'BEGIN { printf "%d,%d,%.6f,%.4f,%d,%s,%d\n", b, n, m, m * 1e6 / n, (mode == "pool" ? w : 0), mode, work }'
}
for b in $BATCHES; do run "$b"; done
run 1000 --sequential
