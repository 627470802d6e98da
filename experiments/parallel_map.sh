#!/usr/bin/env bash
# parallel_map: the is_prime assignment. A file of random integers is counted
# for primes sequentially and by bin/poolmap's fork pool (Pool.map in C) with 1,
# 2 and 4 workers, each run timed as a whole program by hyperfine (reading and
# parsing the file is part of every run, as it is in the assignment).
# Columns: command,mean_s,stddev_s,min_s,max_s,median_s,user_s,system_s,runs
source "$(dirname "$0")/common.sh"
kit_begin parallel_map
need poolmap
command -v hyperfine > /dev/null || { echo "$EXP: hyperfine is missing (scripts/deps.sh installs it)" >&2; exit 1; }

count=$(pick 100000 1000000 5000000)
HF_RUNS=$(pick 2 5 10)
data=$(mktemp -d)
trap 'rm -rf "$data" "$TMP"' EXIT
"$KIT_BIN/poolmap" --gen-primes "$data/numbers.txt" --count "$count" --quiet
meta "repeats=$HF_RUNS hyperfine runs after 1 warm-up (median, mean, stddev, min, max over them; the plot and findings use the median)" "count=$count integers in [1, 1000000] (poolmap --gen-primes, seed 1)"
echo "command,mean_s,stddev_s,min_s,max_s,median_s,user_s,system_s,runs" >> "$TMP"
progress "$MODE run: $count integers, $HF_RUNS runs each"
p="$KIT_BIN/poolmap --quiet --count-primes $data/numbers.txt"
bench "sequential" "$p --workers 0" "1 worker" "$p --workers 1" \
      "2 workers" "$p --workers 2" "4 workers" "$p --workers 4"
kit_end
