#!/usr/bin/env bash
# batching: Lecture 36's batch pool (bin/batchpool). The per-record cost as the
# batch size B grows: every pool call pays a fixed IPC cost (frame, pipe, wake-up,
# msgpack), and a batch of B records pays it once for B. mode=sequential rows run
# the same batches in one process (no IPC), the floor the pool approaches.
# Each point is the median of `repeats` runs.
# Columns: batch,records,seconds,per_record_us,mode,workers,calls,repeats
source "$(dirname "$0")/common.sh"
kit_begin batching
need batchpool

batches=$(pick "1 100" "1 2 5 10 20 50 100 200 500 1000" "1 2 5 10 20 50 100 200 500 1000")
records=$(pick 2000 20000 100000)
workers=2
repeats=$(pick 1 3 5)
meta "repeats=$repeats" "records=$records" "workers=$workers"
echo "batch,records,seconds,per_record_us,mode,workers,calls,repeats" >> "$TMP"
total=$(( 2 * $(wc -w <<< "$batches") ))
i=0
for mode in pool sequential; do
    for b in $batches; do
        i=$((i + 1))
        secs="" per=""
        extra=()
        [ "$mode" = sequential ] && extra=(--sequential)
        for r in $(seq "$repeats"); do
            run batchpool --batch "$b" --records "$records" --workers "$workers" ${extra[@]+"${extra[@]}"}
            secs+="$(col seconds)"$'\n'
            per+="$(col per_record_us)"$'\n'
            calls=$(col calls)
        done
        p=$(median <<< "$per")
        row "$b" "$records" "$(median <<< "$secs")" "$p" "$mode" "$workers" "$calls" "$repeats"
        progress "$i/$total $mode B=$b: $p µs per record"
    done
done
kit_end
