#!/usr/bin/env bash
# startup_memory: what starting a worker costs (fork, fork+exec, posix_spawn,
# pthread_create; median µs) and what keeping one costs (PSS, RSS and private
# KiB of one idle forked child, exec'd program, or thread). The measuring is done
# by bin/startbench (experiments/startbench.c).
# Columns: method,us,pss_kib,rss_kib,private_kib,pss_of,iterations
source "$(dirname "$0")/common.sh"
kit_begin startup_memory
need startbench

iters=$(pick 20 300 2000)
progress "$MODE run: 4 methods, median of $iters starts each"
"$KIT_BIN/startbench" --iterations "$iters" |
    awk -v m="# mode=$MODE" '!done && !/^#/ { print m; done = 1 } { print }' > "$TMP"
kit_end
