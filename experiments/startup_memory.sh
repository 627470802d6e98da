#!/usr/bin/env bash
# startup_memory: what starting a worker costs (fork, fork+exec, posix_spawn,
# pthread_create; median µs) and what keeping one costs (PSS, RSS and private
# KiB of one idle forked child, exec'd program, or thread). The measuring is done
# by bin/startbench (experiments/startbench.c).
# Then Python (experiments/python/startbench.py): a multiprocessing.Process
# started with fork, spawn and forkserver (methods mp_fork, mp_spawn,
# mp_forkserver), and one idle interpreter worker's memory. A spawned
# interpreter takes ~0.1 s to start, so Python makes fewer starts (the
# py_iterations line says how many).
# Columns: method,us,pss_kib,rss_kib,private_kib,pss_of,iterations,lang
source "$(dirname "$0")/common.sh"
kit_begin startup_memory
need startbench

iters=$(pick 20 300 2000)
py_iters=$(pick 3,2,2 20,3,5 100,20,40)
py=1
kit_python_ok || py=0
progress "$MODE run: 4 methods, median of $iters starts each"
"$KIT_BIN/startbench" --iterations "$iters" |
    awk -v m="# mode=$MODE" -v p="# $(py_meta)" -v i="# py_iterations=$py_iters (fork,spawn,forkserver starts: fewer than C's, each spawn is a new interpreter)" \
        '!done && !/^#/ { print m; print p; print i; done = 1 } { print }' |
    with_lang c > "$TMP"
if [ "$py" = 1 ]; then
    progress "python: Process with fork, spawn, forkserver: $py_iters starts"
    py_rows experiments/python/startbench.py --iterations "$py_iters"
fi
kit_end
