#!/usr/bin/env bash
# query_latency: how long a `GET key` on bin/phase3's control socket takes while
# messages flow at 10 %..100 % of what the pool can process.
#   1. capacity: phase3 reads a recorded stream (--emit) from a file as fast as
#      it can, with CPU work per message (median msgs/s of `repeats` runs);
#   2. for each load L: `qload --pace` feeds the same stream to phase3's stdin at
#      L x capacity messages/s for `duration` seconds, while `qload --control`
#      sends GETs at a fixed rate and times every answer.
# p50/p99/max are over all the queries of that run (client side, µs: send to
# answer); server_p50/p99 are phase3's own figures for the same queries. A query
# waits behind the messages already queued for its worker, so the latency grows
# with the load, and past capacity with the backlog.
# Columns: load,offered_msgs_per_s,achieved_msgs_per_s,p50_us,p99_us,max_us,mean_us,
#          queries,errors,server_p50_us,server_p99_us,capacity_msgs_per_s,work,workers,duration_s
source "$(dirname "$0")/common.sh"
kit_begin query_latency
need phase3 qload

loads=$(pick "0.5 1.0" "0.1 0.5 0.9 1.0" "0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1.0")
cap_messages=$(pick 3000 30000 100000)
duration=$(pick 0.5 2 5)
repeats=$(pick 1 3 5)
qps=$(pick 100 100 200)
workers=2
work=50

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$TMP"' EXIT
chmod 700 "$tmp"

# 1. Capacity, from the same recorded stream the loaded runs replay.
"$KIT_BIN/phase3" --emit --messages "$cap_messages" > "$tmp/cap.txt"
rates=""
for r in $(seq "$repeats"); do
    run phase3 --input "$tmp/cap.txt" --workers "$workers" --work "$work"
    rates+="$(col msgs_per_s)"$'\n'
done
capacity=$(median <<< "$rates")
progress "capacity: $(fmt "$capacity" 0) msgs/s ($workers workers, --work $work, median of $repeats)"

# Enough stream for the heaviest load point.
most=$(awk -v c="$capacity" -v d="$duration" 'BEGIN { printf "%d", c * d * 1.05 + 100 }')
"$KIT_BIN/phase3" --emit --messages "$most" > "$tmp/stream.txt"

meta "repeats=1 per load point (percentiles over all its queries); capacity: median of $repeats" \
     "workers=$workers" "work=$work" "qps=$qps GET queries per second" "duration=$duration s per load point"
echo "load,offered_msgs_per_s,achieved_msgs_per_s,p50_us,p99_us,max_us,mean_us,queries,errors,server_p50_us,server_p99_us,capacity_msgs_per_s,work,workers,duration_s" >> "$TMP"

total=$(wc -w <<< "$loads")
i=0
for load in $loads; do
    i=$((i + 1))
    rate=$(awk -v c="$capacity" -v l="$load" 'BEGIN { printf "%.0f", c * l }')
    n=$(awk -v r="$rate" -v d="$duration" 'BEGIN { printf "%d", r * d }')
    sock=$tmp/ctl.sock
    rm -f "$sock"
    "$KIT_BIN/qload" --pace "$rate" --count "$n" < "$tmp/stream.txt" |
        "$KIT_BIN/phase3" --input - --workers "$workers" --work "$work" --control "$sock" \
            --csv --quiet > "$tmp/run.csv" 2> "$tmp/run.err" &
    pipeline=$!
    if ! "$KIT_BIN/qload" --control "$sock" --qps "$qps" --keys 100 --quiet > "$tmp/q.csv" 2> "$tmp/q.err"; then
        kill "$pipeline" 2> /dev/null || true
        wait "$pipeline" 2> /dev/null || true
        echo "$EXP: the query client failed:" >&2
        cat "$tmp/q.err" "$tmp/run.err" >&2
        exit 1
    fi
    if ! wait "$pipeline"; then
        echo "$EXP: phase3 failed under load $load:" >&2
        cat "$tmp/run.err" >&2
        exit 1
    fi
    RUN_OUT=$(cat "$tmp/run.csv")
    achieved=$(col msgs_per_s) sp50=$(col query_p50_us) sp99=$(col query_p99_us)
    RUN_OUT=$(cat "$tmp/q.csv")
    p50=$(col p50_us)
    row "$load" "$rate" "$achieved" "$p50" "$(col p99_us)" "$(col max_us)" "$(col mean_us)" \
        "$(col queries)" "$(col errors)" "$sp50" "$sp99" "$capacity" "$work" "$workers" "$duration"
    progress "$i/$total load $load ($rate msgs/s offered, $(fmt "$achieved" 0) achieved): query p50 $p50 µs, p99 $(col p99_us) µs over $(col queries) queries"
done
kit_end
