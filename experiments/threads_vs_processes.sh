#!/usr/bin/env bash
# threads_vs_processes: the seed's clean_order comparison. One busy loop of N
# iterations per order, 1 or 2 orders, run as threads of one process or as
# forked processes (bin/clean_order), timed as whole programs by hyperfine.
# In C there is no GIL: 2 threads take about as long as 1, like 2 processes,
# where the seed's Python threads took twice as long. Then the seed's own
# Python (phase3_processes/demos/python/clean_order.py, fewer iterations and
# runs: the py_ lines say how many): there the GIL makes 2 threads take
# about twice as long as 1.
# Columns: command,mean_s,stddev_s,min_s,max_s,median_s,user_s,system_s,runs,lang
source "$(dirname "$0")/common.sh"
twins_begin threads_vs_processes clean_order

iters=$(pick 20000000 300000000 1000000000)
py_iters=$(pick 200000 5000000 30000000)
twins_meta "iterations=$iters per order" \
    "py_iterations=$py_iters per order (a Python loop iteration costs ~100x a C one)"
progress "$MODE run: $iters iterations per order, $HF_RUNS runs each"
bench_twins "$KIT_BIN/clean_order --quiet --iterations $iters" \
    "$PYTHON phase3_processes/demos/python/clean_order.py --quiet --iterations $py_iters" \
    "python: $py_iters iterations per order, $PY_RUNS runs each" \
    "1 thread" "--threads 1" "2 threads" "--threads 2" "1 process" "--processes 1" "2 processes" "--processes 2"
kit_end
