#!/usr/bin/env bash
# zero_copy: what phase 4's shared memory removes, at --work 0 with 2 workers.
# Four programs route the same built-in stream by key to 2 worker processes:
#   phase3        bin/phase3: encode (raw codec), frame, socketpair, decode, apply
#   phase4        bin/phase4: a 24-byte record into a shared ring, applied in place
#   pipe-router   bin/phase4-limits --mode pipe: 24-byte records in 4 KiB write()s,
#                 children that only read them (the bare pipe: no codec, no state)
#   shm-ring      bin/phase4-limits --mode ring: phase 4's rings, children that
#                 only read (phase 4 without its state table)
# Per program, the median of `repeats` runs of `messages` messages: msgs_per_s and
# cpu_us_per_msg (supervisor + workers CPU, user + system, per message). The
# split is each program's own figure, per message, of its last run:
#   phase3: encode_us, decode_us (its --csv ipc_encode_us, ipc_decode_us); its
#           read()/write() CPU time split by a least-squares line of time against
#           bytes over every call (pipeline/iocost.h) into copy_us (the part that
#           grows with the bytes: the kernel's copy) and syscall_us (the fixed
#           cost per call): its ipc_copy_us and ipc_syscall_us, empty if the
#           calls allowed no fit; apply_us (its --workers-csv, weighted by messages);
#   phase4: copy_us = the supervisor's sampled dispatch (row lookup, route, the
#           24-byte record into the ring: its one copy, an upper bound on it),
#           syscall_us = CPU inside its futex calls (futex_us), apply_us
#           (sampled); it has no encode and no decode step: those cells are
#           EMPTY, as are the routers' splits (they report only total CPU);
# syscalls_per_msg: phase 4's futex calls (sleeps + wakes) per message; the pipe
# router's write()s per message (one per 170 records, computed, not counted):
# EMPTY for phase 3 (its calls per message depend on batching: see syscall_us).
# GET latency: a separate run of each pipeline lasting `get_s` seconds while
# qload sends GETs at `qps`/s: the client's p50 (send to answer) and the
# program's own query_p50_us (server side: a GET's arrival to its answer ready).
# Columns: program,msgs_per_s,cpu_us_per_msg,encode_us,copy_us,syscall_us,decode_us,apply_us,
#          syscalls_per_msg,get_client_p50_us,get_server_p50_us,messages,workers,repeats
source "$(dirname "$0")/common.sh"
kit_begin zero_copy
need phase3 phase4 phase4-limits qload

messages=$(pick 100000 1000000 5000000)
repeats=$(pick 1 3 5)
get_s=$(pick 0.5 1.5 5)
qps=$(pick 200 1000 1000)
workers=2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$TMP"' EXIT

meta "repeats=$repeats" "messages=$messages" "workers=$workers" "work=0" \
     "get=$get_s s per pipeline at $qps GETs/s (qload)"
echo "program,msgs_per_s,cpu_us_per_msg,encode_us,copy_us,syscall_us,decode_us,apply_us,syscalls_per_msg,get_client_p50_us,get_server_p50_us,messages,workers,repeats" >> "$TMP"

# cmd PROGRAM: the command line of one throughput run (CSV on stdout).
cmd() {
    case $1 in
        phase3) echo "$KIT_BIN/phase3 --workers-csv $tmp/w.csv" ;;
        phase4) echo "$KIT_BIN/phase4" ;;
        pipe-router) echo "$KIT_BIN/phase4-limits --mode pipe" ;;
        shm-ring) echo "$KIT_BIN/phase4-limits --mode ring" ;;
    esac
}
cpu_of() {  # the run's CPU seconds, from RUN_OUT
    case $1 in
        phase3|phase4) awk -v a="$(col supervisor_cpu_s)" -v b="$(col workers_cpu_s)" 'BEGIN { print a + b }' ;;
        *) col cpu_s ;;
    esac
}
per_msg() { awk -v x="$1" -v n="$messages" 'BEGIN { printf "%.4f", x * 1e6 / n }'; }

# get_run PROGRAM: GET latency while it runs ~get_s s; prints "client server".
get_run() {
    local n sock=$tmp/ctl.sock
    n=$(awk -v r="$1" -v s="$get_s" 'BEGIN { printf "%d", r * s }')
    rm -f "$sock"
    $(cmd "$2") --workers "$workers" --messages "$n" --work 0 --control "$sock" --csv --quiet > "$tmp/g.csv" &
    local pid=$!
    "$KIT_BIN/qload" --control "$sock" --qps "$qps" --keys 100 --quiet > "$tmp/q.csv"
    wait "$pid"
    echo "$(csv_col p50_us < "$tmp/q.csv") $(csv_col query_p50_us < "$tmp/g.csv")"
}

i=0
for prog in phase3 phase4 pipe-router shm-ring; do
    i=$((i + 1))
    rates=""
    for _ in $(seq "$repeats"); do
        run_cmd=$(cmd "$prog")
        RUN_OUT=$($run_cmd --workers "$workers" --messages "$messages" --work 0 --csv --quiet)
        rates+="$(col msgs_per_s)"$'\n'
    done
    rate=$(median <<< "$rates")
    cpu=$(per_msg "$(cpu_of "$prog")")
    enc="" copy="" scall="" dec="" app="" sys="" gc="" gs=""
    case $prog in
        phase3)
            enc=$(col ipc_encode_us) copy=$(col ipc_copy_us) scall=$(col ipc_syscall_us) dec=$(col ipc_decode_us)
            app=$(awk -F, '/^#/ || NF == 0 { next } !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
                  { m += $c["messages"]; s += $c["messages"] * $c["apply_us"] } END { if (m) printf "%.4f", s / m }' "$tmp/w.csv")
            read -r gc gs <<< "$(get_run "$rate" phase3)" ;;
        phase4)
            copy=$(col encode_us) scall=$(col futex_us) app=$(col apply_us)
            sys=$(awk -v a="$(col producer_sleeps)" -v b="$(col consumer_sleeps)" -v c="$(col futex_wakes)" \
                  -v n="$messages" 'BEGIN { printf "%.5f", (a + b + c) / n }')
            read -r gc gs <<< "$(get_run "$rate" phase4)" ;;
        pipe-router)
            sys=$(awk 'BEGIN { printf "%.5f", 24 / 4096 }') ;;
    esac
    row "$prog" "$rate" "$cpu" "$enc" "$copy" "$scall" "$dec" "$app" "$sys" "$gc" "$gs" "$messages" "$workers" "$repeats"
    progress "$i/4 $prog: $(fmt "$rate" 0) msgs/s, $cpu µs CPU per message${gc:+, GET p50 client $gc µs / server $gs µs}"
done
kit_end
