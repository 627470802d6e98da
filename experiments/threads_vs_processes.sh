#!/usr/bin/env bash
# threads_vs_processes: the seed's clean_order comparison. One busy loop of N
# iterations per order, 1 or 2 orders, run as threads of one process or as
# forked processes (bin/clean_order), timed as whole programs by hyperfine.
# In C there is no GIL: 2 threads take about as long as 1, like 2 processes,
# where the seed's Python threads took twice as long.
# Columns: command,mean_s,stddev_s,min_s,max_s,median_s,user_s,system_s,runs
source "$(dirname "$0")/common.sh"
kit_begin threads_vs_processes
need clean_order
command -v hyperfine > /dev/null || { echo "$EXP: hyperfine is missing (scripts/deps.sh installs it)" >&2; exit 1; }

iters=$(pick 20000000 300000000 1000000000)
HF_RUNS=$(pick 2 5 10)
meta "repeats=$HF_RUNS hyperfine runs after 1 warm-up (median, mean, stddev, min, max over them; the plot and findings use the median)" \
     "iterations=$iters per order"
echo "command,mean_s,stddev_s,min_s,max_s,median_s,user_s,system_s,runs" >> "$TMP"
progress "$MODE run: $iters iterations per order, $HF_RUNS runs each"
p="$KIT_BIN/clean_order --quiet --iterations $iters"
bench "1 thread" "$p --threads 1" "2 threads" "$p --threads 2" \
      "1 process" "$p --processes 1" "2 processes" "$p --processes 2"
kit_end
