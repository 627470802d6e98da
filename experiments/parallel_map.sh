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
twins_begin parallel_map poolmap

count=$(pick 100000 1000000 5000000)
data=$(mktemp -d)
trap 'rm -rf "$data" "$TMP"' EXIT
py_count=$(pick 10000 50000 1000000)
"$KIT_BIN/poolmap" --gen-primes "$data/numbers.txt" --count "$count" --quiet
head -n "$py_count" "$data/numbers.txt" > "$data/py_numbers.txt"
twins_meta "count=$count integers in [1, 1000000] (poolmap --gen-primes, seed 1)" "py_count=$py_count integers (the file's first) for Python"
progress "$MODE run: $count integers, $HF_RUNS runs each"
bench_twins "$KIT_BIN/poolmap --quiet --count-primes $data/numbers.txt" \
    "$PYTHON phase3_processes/demos/python/poolmap.py --quiet --count-primes $data/py_numbers.txt" \
    "python: $py_count integers, Pool.map, $PY_RUNS runs each" \
    "sequential" "--workers 0" "1 worker" "--workers 1" "2 workers" "--workers 2" "4 workers" "--workers 4"
kit_end
