#!/usr/bin/env bash
# loop_lag: bin/phase1's heartbeat lag (how late a 1 ms timer fires) vs the CPU
# work done per message, with the work on the loop (--offload none) and moved to
# libuv's thread pool (--offload threads). The source is paced (--rate) below
# what one core can do, so the lag shows one message's work blocking the loop,
# not a backlog. work_ms converts --work units with bin/workcal's measurement.
# Each point: the median of `repeats` runs' percentiles.
# Columns: work,offload,lag_p50_ms,lag_p99_ms,lag_max_ms,work_ms,rate,messages,repeats
source "$(dirname "$0")/common.sh"
kit_begin loop_lag
need phase1 workcal

works=$(pick "0 1000" "0 300 1000 3000" "0 100 300 1000 3000 6000")
rate=$(pick 500 200 100)
messages=$(pick 50 100 300)
repeats=$(pick 1 3 5)

run_csv workcal --units 100000 --runs 3
unit_ns=$(col ns_per_unit)
meta "repeats=$repeats" "rate=$rate msgs/s" "messages=$messages" "work_unit_ns=$unit_ns (bin/workcal)"
echo "work,offload,lag_p50_ms,lag_p99_ms,lag_max_ms,work_ms,rate,messages,repeats" >> "$TMP"

total=$(( 2 * $(wc -w <<< "$works") ))
i=0
# One offload mode's rows together: a plotted line is a run of consecutive rows.
for off in none threads; do
    for w in $works; do
        i=$((i + 1))
        p50="" p99="" pmax=""
        for r in $(seq "$repeats"); do
            run phase1 --work "$w" --offload "$off" --rate "$rate" --messages "$messages"
            p50+="$(col lag_p50_ms)"$'\n'
            p99+="$(col lag_p99_ms)"$'\n'
            pmax+="$(col lag_max_ms)"$'\n'
        done
        work_ms=$(awk -v w="$w" -v u="$unit_ns" 'BEGIN { printf "%.4f", w * u / 1e6 }')
        row "$w" "$off" "$(median <<< "$p50")" "$(median <<< "$p99")" "$(median <<< "$pmax")" \
            "$work_ms" "$rate" "$messages" "$repeats"
        progress "$i/$total work=$w (${work_ms} ms) offload=$off: lag p99 $(median <<< "$p99") ms"
    done
done
kit_end
