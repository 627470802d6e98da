#!/usr/bin/env bash
# batching: Lecture 36's batch pool (bin/batchpool). The per-record cost as the
# batch size B grows: every pool call pays a fixed IPC cost (frame, pipe, wake-up,
# msgpack), and a batch of B records pays it once for B. mode=sequential rows run
# the same batches in one process (no IPC), the floor the pool approaches, and
# the reference of its speedup.
# Two sweeps per language: work=0 (no CPU per record: the IPC cost alone, which
# no batch size can win back) and work=W (--work W units of CPU per record, the
# pipelines' unit, bin/workcal): a batch of a few thousand C records then takes
# 5-50 ms, Lecture 36's sweet spot, and the pool's 2 workers beat one process
# there, while at B = 1 the per-call cost still loses to it.
# Each point is the median of `repeats` runs. Then Lecture 36's own design
# in Python (phase3_processes/batch/python/batchpool.py: asyncio +
# ProcessPoolExecutor + run_in_executor, the same records and the same --work
# unit, ~100x dearer per unit in Python): fewer records and sizes.
# Columns: batch,records,seconds,per_record_us,work,mode,workers,calls,repeats,lang
source "$(dirname "$0")/common.sh"
kit_begin batching
need batchpool

workers=2
work=$(pick 10 10 10)
# work=0: the per-call IPC cost; work=W: the payoff (B up to a 5-50 ms batch).
batches0=$(pick "1 100" "1 2 5 10 20 50 100 200 500 1000" "1 2 5 10 20 50 100 200 500 1000")
records0=$(pick 2000 20000 100000)
batchesw=$(pick "1 1000" "1 10 100 1000 2000" "1 2 5 10 20 50 100 200 500 1000 2000 5000 10000")
recordsw=$(pick 2000 20000 200000)
repeats=$(pick 1 3 5)
py_batches0=$(pick "1 100" "1 20 100 1000" "1 2 5 10 20 50 100 200 500 1000")
py_records0=$(pick 1000 2000 20000)
py_batchesw=$(pick "1 10" "1 2 5 10 20 50" "1 2 5 10 20 50 100 200")
py_recordsw=$(pick 40 200 1600)
py_repeats=$(pick 1 1 3)
py=1
kit_python_ok || py=0
meta "repeats=$repeats" "workers=$workers" "works=0 $work (units of CPU per record: bin/workcal)" \
     "records=$records0 at work=0 (B=$batches0), $recordsw at work=$work (B=$batchesw)" "$(py_meta)" \
     "py_records=$py_records0 at work=0 (B=$py_batches0), $py_recordsw at work=$work (B=$py_batchesw); py_repeats=$py_repeats (Python: a work unit costs ~100x C's, so fewer records, sizes and repeats)" \
     "trim=quick mode stops the C work=$work sweep at B=2000 on 20 k records (FULL: 10000 on 200 k) to keep a quick make plots under 4 minutes"
echo "batch,records,seconds,per_record_us,work,mode,workers,calls,repeats,lang" >> "$TMP"
nw() { wc -w <<< "$1"; }
total=$(( 2 * ($(nw "$batches0") + $(nw "$batchesw")) ))
[ "$py" = 1 ] && total=$(( total + 2 * ($(nw "$py_batches0") + $(nw "$py_batchesw")) ))
i=0
# point LANG MODE W B N: one row, the median of `repeats` (`py_repeats`) runs.
point() {
    local lang=$1 mode=$2 w=$3 b=$4 n=$5 secs="" per="" extra=() p reps=$repeats
    [ "$mode" = sequential ] && extra=(--sequential)
    [ "$lang" = python ] && reps=$py_repeats
    for r in $(seq "$reps"); do
        if [ "$lang" = c ]; then
            run batchpool --batch "$b" --records "$n" --workers "$workers" --work "$w" \
                ${extra[@]+"${extra[@]}"}
        else
            run_py phase3_processes/batch/python/batchpool.py --batch "$b" --records "$n" \
                --workers "$workers" --work "$w" ${extra[@]+"${extra[@]}"}
        fi
        secs+="$(col seconds)"$'\n'
        per+="$(col per_record_us)"$'\n'
        calls=$(col calls)
    done
    p=$(median <<< "$per")
    row "$b" "$n" "$(median <<< "$secs")" "$p" "$w" "$mode" "$workers" "$calls" "$reps" "$lang"
    i=$((i + 1))
    progress "$i/$total $lang work=$w $mode B=$b: $p µs per record"
}
# sweep LANG W BATCHES N: the pool, then the same batches in one process.
sweep() {
    local mode b
    for mode in pool sequential; do
        for b in $3; do
            point "$1" "$mode" "$2" "$b" "$4"
        done
    done
}
sweep c 0 "$batches0" "$records0"
sweep c "$work" "$batchesw" "$recordsw"
if [ "$py" = 1 ]; then
    sweep python 0 "$py_batches0" "$py_records0"
    sweep python "$work" "$py_batchesw" "$py_recordsw"
fi
kit_end
