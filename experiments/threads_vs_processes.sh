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
kit_begin threads_vs_processes
need clean_order
command -v hyperfine > /dev/null || { echo "$EXP: hyperfine is missing (scripts/deps.sh installs it)" >&2; exit 1; }

iters=$(pick 20000000 300000000 1000000000)
HF_RUNS=$(pick 2 3 10)  # quick: 3 runs (was 5), to keep quick `make plots` under 4 min
py_iters=$(pick 200000 5000000 30000000)
py_runs=$(pick 2 3 5)
py=1
kit_python_ok || py=0
meta "repeats=$HF_RUNS hyperfine runs after 1 warm-up (median, mean, stddev, min, max over them; the plot and findings use the median; quick mode runs 3, FULL 10, to keep a quick make plots under 4 minutes)" \
     "iterations=$iters per order" "$(py_meta)" \
     "py_iterations=$py_iters per order (a Python loop iteration costs ~100x a C one)" "py_repeats=$py_runs hyperfine runs after 1 warm-up"
echo "command,mean_s,stddev_s,min_s,max_s,median_s,user_s,system_s,runs,lang" >> "$TMP"
progress "$MODE run: $iters iterations per order, $HF_RUNS runs each"
p="$KIT_BIN/clean_order --quiet --iterations $iters"
BENCH_LANG=c bench "1 thread" "$p --threads 1" "2 threads" "$p --threads 2" \
      "1 process" "$p --processes 1" "2 processes" "$p --processes 2"
if [ "$py" = 1 ]; then
    progress "python: $py_iters iterations per order, $py_runs runs each"
    p="$PYTHON phase3_processes/demos/python/clean_order.py --quiet --iterations $py_iters"
    HF_RUNS=$py_runs BENCH_LANG=python bench "1 thread" "$p --threads 1" "2 threads" "$p --threads 2" \
          "1 process" "$p --processes 1" "2 processes" "$p --processes 2"
fi
kit_end
