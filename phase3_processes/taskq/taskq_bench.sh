#!/usr/bin/env bash
# taskq_bench.sh: MPOP's benchmark table, done fairly: the same uniform tasks
# (--fn spin, U units of work_burn each) through three schemes on the same
# workers, clock started once the workers wait (spawning excluded, as MPOP did),
# stopped when the supervisor has seen every result; every run verifies that each
# task ran exactly once. Then empty tasks at 64-byte slots: the ring against the
# pipe pool, i.e. the per-task cost of the queue itself.
#
#   phase3_processes/taskq/taskq_bench.sh [BIN_DIR] > results/task_queue.csv
#   REPEAT=5 WORKERS=2 UNITS=4 SIZES="900 9000 90000 1800000" phase3_processes/taskq/taskq_bench.sh
#
# Output: CSV (scheme,tasks,seconds,tasks_per_s + fn,workers,runs) with the
# median of REPEAT runs per point; the raw rows go to stderr as they come.
set -euo pipefail
bin=${1:-bin}
REPEAT=${REPEAT:-3}
WORKERS=${WORKERS:-2}
UNITS=${UNITS:-4}
SIZES=${SIZES:-"900 9000 90000 1800000"}
EMPTY_TASKS=${EMPTY_TASKS:-1000000}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# One point: median seconds over REPEAT runs of `taskq ARGS --csv`.
point() {
    local scheme=$1 tasks=$2 fn=$3; shift 3
    local secs=()
    for ((i = 0; i < REPEAT; i++)); do
        row=$("$bin/taskq" --scheme "$scheme" --tasks "$tasks" --workers "$WORKERS" --fn "$fn" \
              --no-recheck --quiet --csv "$@" | tail -n 1)
        echo "$row" >&2
        [ "$(cut -d, -f10 <<<"$row")" = 1 ] || { echo "taskq_bench: a run failed its exactly-once check" >&2; exit 1; }
        secs+=("$(cut -d, -f8 <<<"$row")")
    done
    local med
    med=$(printf '%s\n' "${secs[@]}" | median)
    awk -v s="$scheme" -v t="$tasks" -v m="$med" -v f="$fn" -v w="$WORKERS" -v r="$REPEAT" \
        'BEGIN { printf "%s,%d,%.6f,%.0f,%s,%d,%d\n", s, t, m, (m > 0 ? t / m : 0), f, w, r }'
}

"$bin/taskq" --tasks 1 --csv --quiet | grep '^#'
echo "# bench=taskq_bench.sh repeat=$REPEAT workers=$WORKERS spin_units=$UNITS (one unit: see bin/workcal)"
echo "scheme,tasks,seconds,tasks_per_s,fn,workers,runs"
for n in $SIZES; do
    for scheme in static dynamic shm; do
        point "$scheme" "$n" spin --args "$UNITS" --batch 32
    done
done
# The queue alone: empty tasks, 64-byte slots, ring vs pipe pool.
point shm "$EMPTY_TASKS" empty --slot-bytes 64 --batch 32
point dynamic "$EMPTY_TASKS" empty
