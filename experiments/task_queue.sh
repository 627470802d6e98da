#!/usr/bin/env bash
# task_queue: MPOP's benchmark table, done fairly (bin/taskq, the same design as
# phase3_processes/taskq/taskq_bench.sh). The same tasks of uniform cost (--fn spin
# --args 4: four --work units each, about MPOP's task size) on the same workers,
# three ways:
#   static   tasks/N handed to each worker up front (no coordination at all)
#   dynamic  a task per request over pipes (the pipe pool)
#   shm      the shared-memory ring: range claims, futex sleep
# Then the queue alone: empty tasks (fn=empty) through the ring and the pipe pool.
# taskq checks that every task ran exactly once; each point is the median of
# `repeats` runs.
# Columns: scheme,tasks,seconds,tasks_per_s,fn,workers,exactly_once,repeats
source "$(dirname "$0")/common.sh"
kit_begin task_queue
need taskq

tasks_list=$(pick "900 9000" "900 9000 90000" "900 9000 90000 900000 1800000")
workers=2
repeats=$(pick 1 3 5)
empty=$(pick 9000 100000 1000000)
meta "repeats=$repeats" "workers=$workers" "fn=spin args=4 (four --work units per task; bin/workcal prints one unit's cost); fn=empty rows: the queue alone" \
     "batch=32 (most tasks a worker claims at once)"
echo "scheme,tasks,seconds,tasks_per_s,fn,workers,exactly_once,repeats" >> "$TMP"

# point SCHEME TASKS FN ARG...: one row, the median of `repeats` runs.
point() {
    local scheme=$1 n=$2 fn=$3 secs="" rates="" once=1 rate
    shift 3
    for r in $(seq "$repeats"); do
        run taskq --scheme "$scheme" --tasks "$n" --workers "$workers" --fn "$fn" --batch 32 \
            --no-recheck "$@"
        secs+="$(col seconds)"$'\n'
        rates+="$(col tasks_per_s)"$'\n'
        [ "$(col exactly_once)" = 1 ] || once=0
    done
    rate=$(median <<< "$rates")
    row "$scheme" "$n" "$(median <<< "$secs")" "$rate" "$fn" "$workers" "$once" "$repeats"
    i=$((i + 1))
    progress "$i/$total $scheme fn=$fn tasks=$n: $(fmt "$rate" 0) tasks/s"
}

total=$(( 3 * $(wc -w <<< "$tasks_list") + 2 ))
i=0
# One scheme's rows together: a plotted line is a run of consecutive rows.
for scheme in static dynamic shm; do
    for n in $tasks_list; do
        point "$scheme" "$n" spin --args 4
    done
done
point shm "$empty" empty --slot-bytes 64
point dynamic "$empty" empty
kit_end
