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
# `repeats` runs. Then MPOP's comparison in Python
# (phase3_processes/taskq/python/taskq.py: static ranges vs one
# multiprocessing.Queue of tasks), the same tasks (spin 4: the same
# arithmetic, ~100x slower in Python) on py_tasks, and empty tasks.
# Columns: scheme,tasks,seconds,tasks_per_s,fn,workers,exactly_once,repeats,lang
source "$(dirname "$0")/common.sh"
kit_begin task_queue
need taskq

tasks_list=$(pick "900 9000" "900 9000 90000" "900 9000 90000 900000 1800000")
workers=2
repeats=$(pick 1 3 5)
empty=$(pick 9000 100000 1000000)
py_tasks_list=$(pick "20 60" "900 2000" "900 9000 90000")
py_empty=$(pick 900 20000 200000)
py_repeats=$(pick 1 1 3)
py=1
kit_python_ok || py=0
meta "repeats=$repeats" "workers=$workers" "fn=spin args=4 (four --work units per task; bin/workcal prints one unit's cost); fn=empty rows: the queue alone" \
     "batch=32 (most tasks a worker claims at once)" "$(py_meta)" \
     "py_tasks=$py_tasks_list, py_empty=$py_empty, py_repeats=$py_repeats (Python: fewer tasks and repeats; a Python --work unit costs ~100x C's)"
echo "scheme,tasks,seconds,tasks_per_s,fn,workers,exactly_once,repeats,lang" >> "$TMP"

# point LANG SCHEME TASKS FN ARG...: one row, the median of `repeats` runs
# (`py_repeats` for Python).
point() {
    local lang=$1 scheme=$2 n=$3 fn=$4 secs="" rates="" once=1 rate reps=$repeats
    shift 4
    [ "$lang" = python ] && reps=$py_repeats
    for r in $(seq "$reps"); do
        if [ "$lang" = c ]; then
            run taskq --scheme "$scheme" --tasks "$n" --workers "$workers" --fn "$fn" --batch 32 \
                --no-recheck "$@"
        else
            run_py phase3_processes/taskq/python/taskq.py --scheme "$scheme" --tasks "$n" \
                --workers "$workers" --fn "$fn" "$@"
        fi
        secs+="$(col seconds)"$'\n'
        rates+="$(col tasks_per_s)"$'\n'
        [ "$(col exactly_once)" = 1 ] || once=0
    done
    rate=$(median <<< "$rates")
    row "$scheme" "$n" "$(median <<< "$secs")" "$rate" "$fn" "$workers" "$once" "$reps" "$lang"
    i=$((i + 1))
    progress "$i/$total $lang $scheme fn=$fn tasks=$n: $(fmt "$rate" 0) tasks/s"
}

total=$(( 3 * $(wc -w <<< "$tasks_list") + 2 ))
[ "$py" = 1 ] && total=$(( total + 2 * $(wc -w <<< "$py_tasks_list") + 1 ))
i=0
# One scheme's rows together: a plotted line is a run of consecutive rows.
for scheme in static dynamic shm; do
    for n in $tasks_list; do
        point c "$scheme" "$n" spin --args 4
    done
done
point c shm "$empty" empty --slot-bytes 64
point c dynamic "$empty" empty
if [ "$py" = 1 ]; then
    for scheme in static dynamic; do
        for n in $py_tasks_list; do
            point python "$scheme" "$n" spin --args 4
        done
    done
    point python dynamic "$py_empty" empty
fi
kit_end
