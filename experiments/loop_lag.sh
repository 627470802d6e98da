#!/usr/bin/env bash
# loop_lag: bin/phase1's heartbeat lag (how late a 1 ms timer fires) vs the CPU
# work done per message, with the work on the loop (--offload none) and moved to
# libuv's thread pool (--offload threads --pool P). The sweep goes up to a work
# of ~10-20 ms per message (bin/workcal gives the unit's cost), well above the
# jitter of a busy VM, so the lesson shows in one quick run.
#   rate   paced below one core: the loop's work (rate x work) stays at about
#          BUSY of a core, so the lag shows one message's work blocking the
#          loop, not a backlog; capped at the mode's base rate for small work
#   messages  what that rate sends in about RUN_S seconds (at least 10, at most
#          the mode's cap), so the heavy points cost no more time than the light
#   pool   the cores minus the loop's own (1 on 2 cores): a pool of libuv's
#          default 4 on 2 cores makes the loop queue for a CPU and its lag tail
#          grows again (phase1_async/README.md)
# Each point: the median of `repeats` runs' percentiles.
# Python rows (lang=python), when bin/py_phase1 is built: asyncio on uvloop, the
# work on the loop or awaited through run_in_executor on a ThreadPoolExecutor of
# `pool` threads, at about the same ms of work per message as the C points (the
# units converted with py_phase1 --calibrate); fewer repeats (py_repeats).
# Columns: work,offload,lag_p50_ms,lag_p99_ms,lag_max_ms,work_ms,rate,messages,repeats,pool,lang
source "$(dirname "$0")/common.sh"
kit_begin loop_lag
need phase1 workcal
need_flag phase1 --pool

works=$(pick "0 1000" "0 3000 10000 30000" "0 1000 3000 10000 20000 40000")
base_rate=$(pick 500 200 100)
max_messages=$(pick 50 100 300)
run_s=$(pick 0.2 0.75 3)
busy=0.35
repeats=$(pick 1 3 5)
pool=$(( $(cores) > 1 ? $(cores) - 1 : 1 ))

run_csv workcal --units 100000 --runs 3
unit_ns=$(col ns_per_unit)
py_repeats=$(pick 1 1 3)
if [ -x "$KIT_BIN/py_phase1" ]; then
    py_unit_us=$("$KIT_BIN/py_phase1" --calibrate | awk '{ print $5 }')
    py_note=("python=$("$KIT_BIN/py_phase1" --version | awk '{ print $2 }') ($KIT_BIN/py_phase1)"
             "python_rows=one Python unit = $py_unit_us us (py_phase1 --calibrate), repeats=$py_repeats")
else
    py_note=("python=not measured (no $KIT_BIN/py_phase1: make built no Python lane)")
fi
meta "${py_note[@]}" "repeats=$repeats" "rate=min($base_rate, $busy / work per message) msgs/s" \
     "messages=the rate x $run_s s (10..$max_messages)" "pool=$pool (--pool for --offload threads)" \
     "work_unit_ns=$unit_ns (bin/workcal)"
echo "work,offload,lag_p50_ms,lag_p99_ms,lag_max_ms,work_ms,rate,messages,repeats,pool,lang" >> "$TMP"

# lag_point LANG PROG UNITS WORK_MS OFFLOAD REPEATS [FLAG...]: pace PROG so its
# work fills BUSY of a core, run it REPEATS times, write the row (medians of the
# runs' percentiles); LAG_RATE, LAG_MESSAGES and LAG_P99 say what it did.
lag_point() {
    local lang=$1 prog=$2 units=$3 ms=$4 off=$5 reps=$6 r p50="" p99="" pmax=""
    shift 6
    LAG_RATE=$(awk -v ms="$ms" -v b="$busy" -v cap="$base_rate" \
        'BEGIN { r = ms > 0 ? int(b * 1000 / ms) : cap; print (r < cap ? (r < 1 ? 1 : r) : cap) }')
    LAG_MESSAGES=$(awk -v r="$LAG_RATE" -v s="$run_s" -v cap="$max_messages" \
        'BEGIN { m = int(r * s); print (m < 10 ? 10 : m > cap ? cap : m) }')
    for r in $(seq "$reps"); do
        run "$prog" --work "$units" --offload "$off" "$@" --rate "$LAG_RATE" --messages "$LAG_MESSAGES"
        p50+="$(col lag_p50_ms)"$'\n'
        p99+="$(col lag_p99_ms)"$'\n'
        pmax+="$(col lag_max_ms)"$'\n'
    done
    LAG_P99=$(median <<< "$p99")
    row "$units" "$off" "$(median <<< "$p50")" "$LAG_P99" "$(median <<< "$pmax")" "$ms" "$LAG_RATE" \
        "$LAG_MESSAGES" "$reps" "$([ "$off" = threads ] && echo "$pool" || echo 0)" "$lang"
}

total=$(( 2 * $(wc -w <<< "$works") ))
i=0
# One offload mode's rows together: a plotted line is a run of consecutive rows.
for off in none threads; do
    extra=()
    [ "$off" = threads ] && extra=(--pool "$pool")
    for w in $works; do
        i=$((i + 1))
        work_ms=$(awk -v w="$w" -v u="$unit_ns" 'BEGIN { printf "%.4f", w * u / 1e6 }')
        lag_point c phase1 "$w" "$work_ms" "$off" "$repeats" ${extra[@]+"${extra[@]}"}
        progress "$i/$total work=$w (${work_ms} ms) offload=$off: $LAG_MESSAGES messages at $LAG_RATE/s, lag p99 $LAG_P99 ms"
    done
done

# The Python rows: the same ms of work per message, the same pacing.
if [ -x "$KIT_BIN/py_phase1" ]; then
    for off in none threads; do
        for w in $works; do
            work_ms=$(awk -v w="$w" -v u="$unit_ns" 'BEGIN { printf "%.4f", w * u / 1e6 }')
            py_w=$(awk -v ms="$work_ms" -v u="$py_unit_us" 'BEGIN { printf "%d", ms * 1000 / u + 0.5 }')
            py_ms=$(awk -v w="$py_w" -v u="$py_unit_us" 'BEGIN { printf "%.4f", w * u / 1000 }')
            lag_point python py_phase1 "$py_w" "$py_ms" "$off" "$py_repeats" --pool "$pool"
            progress "python work=$py_w (${py_ms} ms) offload=$off: lag p99 $LAG_P99 ms"
        done
    done
else
    progress "python: not measured (no $KIT_BIN/py_phase1)"
fi
kit_end
