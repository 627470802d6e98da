#!/usr/bin/env bash
# batching: Lecture 36's batch pool (bin/batchpool). The per-record cost as the
# batch size B grows: every pool call pays a fixed IPC cost (frame, pipe, wake-up,
# msgpack), and a batch of B records pays it once for B. mode=sequential rows run
# the same batches in one process (no IPC), the floor the pool approaches.
# Each point is the median of `repeats` runs. Then Lecture 36's own design
# in Python (phase3_processes/batch/python/batchpool.py: asyncio +
# ProcessPoolExecutor + run_in_executor, the same records), on py_records
# records and the py_batches sizes (a pool call costs ~20x C's there).
# Columns: batch,records,seconds,per_record_us,mode,workers,calls,repeats,lang
source "$(dirname "$0")/common.sh"
kit_begin batching
need batchpool

batches=$(pick "1 100" "1 2 5 10 20 50 100 200 500 1000" "1 2 5 10 20 50 100 200 500 1000")
records=$(pick 2000 20000 100000)
workers=2
repeats=$(pick 1 3 5)
py_batches=$(pick "1 100" "1 10 20 100 1000" "1 2 5 10 20 50 100 200 500 1000")
py_records=$(pick 1000 2000 20000)
py_repeats=$(pick 1 3 5)
py=1
kit_python_ok || py=0
meta "repeats=$repeats" "records=$records" "workers=$workers" "$(py_meta)" \
     "py_records=$py_records, py_batches=$py_batches, py_repeats=$py_repeats (Python: fewer records and sizes)"
echo "batch,records,seconds,per_record_us,mode,workers,calls,repeats,lang" >> "$TMP"
total=$(( 2 * $(wc -w <<< "$batches") ))
[ "$py" = 1 ] && total=$(( total + 2 * $(wc -w <<< "$py_batches") ))
i=0
# point LANG MODE B N: one row, the median of `repeats` (`py_repeats`) runs.
point() {
    local lang=$1 mode=$2 b=$3 n=$4 secs="" per="" extra=() p reps=$repeats
    [ "$mode" = sequential ] && extra=(--sequential)
    [ "$lang" = python ] && reps=$py_repeats
    for r in $(seq "$reps"); do
        if [ "$lang" = c ]; then
            run batchpool --batch "$b" --records "$n" --workers "$workers" ${extra[@]+"${extra[@]}"}
        else
            run_py phase3_processes/batch/python/batchpool.py --batch "$b" --records "$n" \
                --workers "$workers" ${extra[@]+"${extra[@]}"}
        fi
        secs+="$(col seconds)"$'\n'
        per+="$(col per_record_us)"$'\n'
        calls=$(col calls)
    done
    p=$(median <<< "$per")
    row "$b" "$n" "$(median <<< "$secs")" "$p" "$mode" "$workers" "$calls" "$reps" "$lang"
    i=$((i + 1))
    progress "$i/$total $lang $mode B=$b: $p µs per record"
}
for mode in pool sequential; do
    for b in $batches; do
        point c "$mode" "$b" "$records"
    done
done
if [ "$py" = 1 ]; then
    for mode in pool sequential; do
        for b in $py_batches; do
            point python "$mode" "$b" "$py_records"
        done
    done
fi
kit_end
