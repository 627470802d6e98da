#!/usr/bin/env bash
# ipc_size: round-trip and one-way cost of a message by size (100 B .. 1 MiB)
# over pipe, socketpair, shared memory and an in-process call, with both ends
# pinned to one core and with default scheduling, and between two MPI ranks over
# shared memory and TCP (the MPI block). All the measuring is done by
# bin/ipcbench (experiments/ipcbench.c); this driver picks the run's size.
# Then the same for Python (experiments/python/ipcbench.py): multiprocessing
# Pipe and Queue (transports mp-pipe, mp-queue), pickled bytes objects.
# Columns: transport,bytes,pinned,round_trip_us,one_way_us,mb_per_s,rt_ops,ow_ops,repeats,lang
source "$(dirname "$0")/common.sh"
kit_begin ipc_size
need ipcbench

sizes=$(pick 100,10240 100,1024,10240,102400,1048576 100,1024,10240,102400,1048576)
min_ms=$(pick 2 20 200)
repeats=$(pick 1 3 7)
progress "$MODE run: sizes $sizes B, 4 transports x pinned 1/0, median of $repeats runs of >= $min_ms ms"

py=1
kit_python_ok || py=0
# ipcbench writes its own metadata (its exact command line); add the mode.
"$KIT_BIN/ipcbench" --sizes "$sizes" --min-ms "$min_ms" --repeats "$repeats" |
    awk -v m="# mode=$MODE" -v p="# $(py_meta)" '!done && !/^#/ { print m; print p; done = 1 } { print }' |
    with_lang c > "$TMP"

# --- MPI: bin/mpibench between 2 ranks (phase5_cluster/), over Open MPI's
# shared-memory transport (vader) and over TCP on loopback: the same machine,
# the network's path. pinned=0 (mpirun places the ranks). Same sizes, runs and
# repeats as above.
command -v mpirun > /dev/null || progress "mpi: skipped, mpirun not found (scripts/deps.sh installs openmpi-bin)"
command -v mpirun > /dev/null && for t in shm tcp; do
    progress "mpi-$t: bin/mpibench under mpirun -np 2 --transport $t"
    kit_mpirun --transport "$t" -np 2 "$KIT_BIN/mpibench" --sizes "$sizes" --min-ms "$min_ms" \
        --repeats "$repeats" --label "mpi-$t" --no-header | awk '{ print $0 ",c" }' >> "$TMP"
done

if [ "$py" = 1 ]; then
    progress "python: mp.Pipe and mp.Queue, the same sizes, median of $repeats runs of >= $min_ms ms"
    py_rows experiments/python/ipcbench.py --sizes "$sizes" --min-ms "$min_ms" --repeats "$repeats"
fi
kit_end
