#!/usr/bin/env bash
# parallel_map: the is_prime assignment. A file of random integers is counted
# for primes sequentially and by bin/poolmap's fork pool (Pool.map in C) with 1,
# 2 and 4 workers, each run timed as a whole program by hyperfine (reading and
# parsing the file is part of every run, as it is in the assignment). Then
# the assignment in Python (phase3_processes/demos/python/poolmap.py:
# multiprocessing.Pool.map over is_prime; the parent reads the file), on the
# first py_count integers of the same file (a Python is_prime costs ~50x C's).
# Columns: command,mean_s,stddev_s,min_s,max_s,median_s,user_s,system_s,runs,lang
source "$(dirname "$0")/common.sh"
kit_begin parallel_map
need poolmap
command -v hyperfine > /dev/null || { echo "$EXP: hyperfine is missing (scripts/deps.sh installs it)" >&2; exit 1; }

count=$(pick 100000 1000000 5000000)
HF_RUNS=$(pick 2 3 10)  # quick: 3 runs (was 5), to keep quick `make plots` under 4 min
data=$(mktemp -d)
trap 'rm -rf "$data" "$TMP"' EXIT
py_count=$(pick 10000 50000 1000000)
py_runs=$(pick 2 3 5)
py=1
kit_python_ok || py=0
"$KIT_BIN/poolmap" --gen-primes "$data/numbers.txt" --count "$count" --quiet
head -n "$py_count" "$data/numbers.txt" > "$data/py_numbers.txt"
meta "repeats=$HF_RUNS hyperfine runs after 1 warm-up (median, mean, stddev, min, max over them; the plot and findings use the median; quick mode runs 3, FULL 10, to keep a quick make plots under 4 minutes)" "count=$count integers in [1, 1000000] (poolmap --gen-primes, seed 1)" \
     "$(py_meta)" "py_count=$py_count integers (the file's first) for Python" "py_repeats=$py_runs hyperfine runs after 1 warm-up"
echo "command,mean_s,stddev_s,min_s,max_s,median_s,user_s,system_s,runs,lang" >> "$TMP"
progress "$MODE run: $count integers, $HF_RUNS runs each"
p="$KIT_BIN/poolmap --quiet --count-primes $data/numbers.txt"
BENCH_LANG=c bench "sequential" "$p --workers 0" "1 worker" "$p --workers 1" \
      "2 workers" "$p --workers 2" "4 workers" "$p --workers 4"
if [ "$py" = 1 ]; then
    progress "python: $py_count integers, Pool.map, $py_runs runs each"
    p="$PYTHON phase3_processes/demos/python/poolmap.py --quiet --count-primes $data/py_numbers.txt"
    HF_RUNS=$py_runs BENCH_LANG=python bench "sequential" "$p --workers 0" "1 worker" "$p --workers 1" \
          "2 workers" "$p --workers 2" "4 workers" "$p --workers 4"
fi
kit_end
