#!/usr/bin/env bash
# contention: bin/phase2's throughput and the share of time its threads spent
# waiting for a lock, by number of threads and lock mode:
#   global    one mutex held for all message handling, work included (the GIL)
#   registry  one mutex around the shared registry only
#   sharded   striped locks (--shards, default 64)
# Each point is the median of `repeats` runs (each column's median).
# Columns: lock,threads,msgs_per_s,lock_wait_share,contended,vol_cs,invol_cs,work,messages,repeats
source "$(dirname "$0")/common.sh"
kit_begin contention
need phase2

threads=$(pick "1 2" "1 2 4 8" "1 2 4 8 16")
messages=$(pick 2000 10000 100000)  # quick: 10 k (was 20 k), to keep quick `make plots` under 4 min
work=$(pick 10 20 20)
repeats=$(pick 1 3 5)
meta "repeats=$repeats" "work=$work" "messages=$messages" "queue=per-thread" \
     "trim=quick mode runs 10 k messages per point (FULL: 100 k) to keep a quick make plots under 4 minutes"
echo "lock,threads,msgs_per_s,lock_wait_share,contended,vol_cs,invol_cs,work,messages,repeats" >> "$TMP"

locks="global registry sharded"
total=$(( 3 * $(wc -w <<< "$threads") ))
i=0
for lock in $locks; do
    for n in $threads; do
        i=$((i + 1))
        declare -A acc=()
        for r in $(seq "$repeats"); do
            run phase2 --threads "$n" --lock "$lock" --messages "$messages" --work "$work"
            for c in msgs_per_s lock_wait_share contended vol_cs invol_cs; do
                acc[$c]+="$(col "$c")"$'\n'
            done
        done
        rate=$(median <<< "${acc[msgs_per_s]}")
        wait=$(median <<< "${acc[lock_wait_share]}")
        row "$lock" "$n" "$rate" "$wait" "$(median <<< "${acc[contended]}")" \
            "$(median <<< "${acc[vol_cs]}")" "$(median <<< "${acc[invol_cs]}")" \
            "$work" "$messages" "$repeats"
        unset acc
        progress "$i/$total lock=$lock threads=$n: $(fmt "$rate" 0) msgs/s, lock wait share $(fmt "$wait" 3)"
    done
done
kit_end
