#!/usr/bin/env bash
# query_latency: how long a `GET key` on a pipeline's control socket takes while
# messages flow at 10 %..100 % of what it can process, for the three phases:
# bin/phase1 (one event loop), bin/phase2 (2 threads, sharded locks) and bin/phase3
# (2 worker processes), and bin/phase4 (2 worker processes, GET answered from
# shared memory), all with the same CPU work per message. Per program:
#   1. capacity: it reads a recorded stream (--emit) from a file as fast as it
#      can (median msgs/s of `repeats` runs);
#   2. for each load L: `qload --pace` feeds the same stream to its stdin
#      (--input -) at L x capacity messages/s for `duration` seconds, while
#      `qload --control` sends GETs at a fixed rate and times every answer.
# The same pacing for all three, so the programs are compared on equal terms.
# p50/p99/max are over all the queries of that run (client side, µs: send to
# answer); server_p50/p99 are the program's own figures where it measures them:
# phase 1's service_p50_us/p99 (in the loop, from the command line reaching the
# handler to its answer being queued: the wait before the line is read is not
# in it) and phase 3's query_p50_us/p99 (the supervisor, from a GET's arrival to
# its answer); EMPTY where nothing was measured (phase 2 reports none; or no
# query was answered). workers: 1 for phase 1 (one loop), else the pool's size.
# Past capacity the backlog grows, and so does the wait of a query queued behind it.
# Where bin/py_phase3 is built, the course's Python twin runs too (lang=python):
# 2 worker processes, mp.Queue per worker, the GET sent to the owner with a
# correlation id; its --work is in Python units (~100x a C unit, py_work below),
# its capacity is measured on fewer messages (py_cap_messages), and its own
# figure (server_p50_us) is the supervisor's, from a GET's arrival to its answer.
# Columns: program,load,offered_msgs_per_s,achieved_msgs_per_s,p50_us,p99_us,max_us,
#          mean_us,queries,errors,server_p50_us,server_p99_us,capacity_msgs_per_s,work,
#          workers,duration_s,lang
source "$(dirname "$0")/common.sh"
kit_begin query_latency
need phase1 phase2 phase3 qload phase4

programs=${PROGRAMS:-phase1 phase2 phase3 phase4}
py_work=1
py_cap_messages=$(pick 1000 3000 10000)
if [ -z "${PROGRAMS:-}" ] && [ -x "$KIT_BIN/py_phase3" ]; then
    programs+=" py_phase3"
    py_note=("python=$("$KIT_BIN/py_phase3" --version | awk '{ print $2 }') ($KIT_BIN/py_phase3)"
             "python_rows=py_phase3 --workers 2 --work $py_work (Python units), capacity on $py_cap_messages messages")
else
    py_note=("python=not measured (no $KIT_BIN/py_phase3: make built no Python lane)")
fi
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

# The flags that give each program its workers, and how many that is.
pflags() {
    case $1 in
        phase1) echo "" ;;
        phase2) echo "--threads $workers --lock sharded" ;;
        phase3) echo "--workers $workers" ;;
        py_phase3) echo "--workers $workers" ;;
        phase4) echo "--workers $workers" ;;     # phase4_shared/: GET reads shared memory
    esac
}
# The --work of each program (Python's unit costs ~100x C's), and its language.
pwork() {
    [ "$1" = py_phase3 ] && echo "$py_work" || echo "$work"
}
plang() {
    [ "${1#py_}" != "$1" ] && echo python || echo c
}
pworkers() {
    case $1 in
        phase1) echo 1 ;;
        *) echo "$workers" ;;
    esac
}

# server_col PROG COLUMN: the program's own query latency figure (COLUMN is
# p50 or p99) from its --csv row in RUN_OUT, or nothing where it measured none.
server_col() {
    local n
    case $1 in
        phase1) # no query count of its own: the client's answered queries stand for it
            n=$(csv_col queries < "$tmp/q.csv")
            [ "${n:-0}" -gt 0 ] && csv_col "service_$2_us" <<< "$RUN_OUT" ;;
        phase3|phase4|py_phase3)   # phase 4 and py_phase3 measure query_p50_us as phase 3 does
            n=$(csv_col queries <<< "$RUN_OUT")
            [ "${n:-0}" -gt 0 ] && csv_col "query_$2_us" <<< "$RUN_OUT" ;;
    esac
    return 0
}

"$KIT_BIN/phase3" --emit --messages "$cap_messages" > "$tmp/cap.txt"

meta "repeats=1 per load point (percentiles over all its queries); capacity: median of $repeats" \
     "workers=$workers (phase2 threads, phase3 processes; phase1 is one loop)" "work=$work" \
     "qps=$qps GET queries per second" "duration=$duration s per load point" \
     "input=a recorded stream paced into --input - by qload --pace" "${py_note[@]}"
echo "program,load,offered_msgs_per_s,achieved_msgs_per_s,p50_us,p99_us,max_us,mean_us,queries,errors,server_p50_us,server_p99_us,capacity_msgs_per_s,work,workers,duration_s,lang" >> "$TMP"

total=$(( $(wc -w <<< "$programs") * $(wc -w <<< "$loads") ))
i=0
for prog in $programs; do
    # 1. Capacity, from the same recorded stream the loaded runs replay.
    rates=""
    cap=$tmp/cap.txt
    if [ "$prog" = py_phase3 ]; then
        cap=$tmp/py_cap.txt
        head -n "$py_cap_messages" "$tmp/cap.txt" > "$cap"
    fi
    for r in $(seq "$repeats"); do
        run "$prog" --input "$cap" $(pflags "$prog") --work "$(pwork "$prog")"
        rates+="$(col msgs_per_s)"$'\n'
    done
    capacity=$(median <<< "$rates")
    progress "$prog capacity: $(fmt "$capacity" 0) msgs/s (--work $(pwork "$prog"), median of $repeats)"
    most=$(awk -v c="$capacity" -v d="$duration" 'BEGIN { printf "%d", c * d * 1.05 + 100 }')
    "$KIT_BIN/phase3" --emit --messages "$most" > "$tmp/stream.txt"

    # 2. The loaded runs.
    for load in $loads; do
        i=$((i + 1))
        rate=$(awk -v c="$capacity" -v l="$load" 'BEGIN { printf "%.0f", c * l }')
        n=$(awk -v r="$rate" -v d="$duration" 'BEGIN { printf "%d", r * d }')
        sock=$tmp/ctl.sock
        rm -f "$sock"
        "$KIT_BIN/qload" --pace "$rate" --count "$n" < "$tmp/stream.txt" |
            "$KIT_BIN/$prog" --input - $(pflags "$prog") --work "$(pwork "$prog")" --control "$sock" \
                --csv --quiet > "$tmp/run.csv" 2> "$tmp/run.err" &
        pipeline=$!
        if ! "$KIT_BIN/qload" --control "$sock" --qps "$qps" --keys 100 --quiet \
                > "$tmp/q.csv" 2> "$tmp/q.err"; then
            kill "$pipeline" 2> /dev/null || true
            wait "$pipeline" 2> /dev/null || true
            echo "$EXP: the query client failed against $prog:" >&2
            cat "$tmp/q.err" "$tmp/run.err" >&2
            exit 1
        fi
        if ! wait "$pipeline"; then
            echo "$EXP: $prog failed under load $load:" >&2
            cat "$tmp/run.err" >&2
            exit 1
        fi
        RUN_OUT=$(cat "$tmp/run.csv")
        achieved=$(col msgs_per_s)
        # The program's own query latency, empty where it measured none.
        sp50=$(server_col "$prog" p50) sp99=$(server_col "$prog" p99)
        RUN_OUT=$(cat "$tmp/q.csv")
        p50=$(col p50_us)
        row "$prog" "$load" "$rate" "$achieved" "$p50" "$(col p99_us)" "$(col max_us)" "$(col mean_us)" \
            "$(col queries)" "$(col errors)" "$sp50" "$sp99" "$capacity" "$(pwork "$prog")" \
            "$(pworkers "$prog")" "$duration" "$(plang "$prog")"
        progress "$i/$total $prog load $load ($rate msgs/s offered, $(fmt "$achieved" 0) achieved): query p50 $p50 µs, p99 $(col p99_us) µs over $(col queries) queries"
    done
done
kit_end
