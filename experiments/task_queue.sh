#!/usr/bin/env bash
# task_queue: MPOP's benchmark table, done fairly (bin/taskq). The same tasks of
# uniform cost (--fn spin --args 1: one --work unit each) on the same workers,
# three ways:
#   static   tasks/N handed to each worker up front (no coordination at all)
#   dynamic  a task per request over pipes (the pipe pool)
#   shm      the shared-memory ring: range claims, futex sleep
# taskq checks that every task ran exactly once; each point is the median of
# `repeats` runs.
# Columns: scheme,tasks,seconds,tasks_per_s,workers,exactly_once,repeats
source "$(dirname "$0")/common.sh"
kit_begin task_queue
need taskq

tasks_list=$(pick "900 9000" "900 9000 90000" "900 9000 90000 900000 1800000")
workers=2
repeats=$(pick 1 3 5)
meta "repeats=$repeats" "workers=$workers" "fn=spin args=1 (one --work unit per task)"
echo "scheme,tasks,seconds,tasks_per_s,workers,exactly_once,repeats" >> "$TMP"
total=$(( 3 * $(wc -w <<< "$tasks_list") ))
i=0
for n in $tasks_list; do
    for scheme in static dynamic shm; do
        i=$((i + 1))
        secs="" rates="" once=1
        for r in $(seq "$repeats"); do
            run taskq --scheme "$scheme" --tasks "$n" --workers "$workers" --fn spin --args 1
            secs+="$(col seconds)"$'\n'
            rates+="$(col tasks_per_s)"$'\n'
            [ "$(col exactly_once)" = 1 ] || once=0
        done
        rate=$(median <<< "$rates")
        row "$scheme" "$n" "$(median <<< "$secs")" "$rate" "$workers" "$once" "$repeats"
        progress "$i/$total $scheme tasks=$n: $(fmt "$rate" 0) tasks/s"
    done
done
kit_end
