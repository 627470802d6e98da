# ipc_size: what one message costs by size and transport, pinned and not.
# Left: round trip (log-log). Right: one-way throughput. Solid lines: both ends
# pinned to one core; dashed: default scheduling, where a small message mostly
# pays for waking the peer on the other core. Squares: two MPI ranks over Open
# MPI's shared memory and over TCP on loopback (the network's path). Open
# triangles: the course's Python (multiprocessing Pipe and Queue, pickled
# bytes), on the same axes, solid pinned and dashed not, like C's.
load 'plots/common.gpi'
# The MPI rows (bin/mpibench, default placement only): their own colours, squares.
mpicolor(t) = t eq 'mpi-shm' ? '#9467bd' : '#8c564b'
pycolor(t) = t eq 'mp-pipe' ? '#e377c2' : '#17becf'
stats csv using (strcol('lang') eq 'python' ? 1 : 0) nooutput
npy = int(STATS_sum)
set multiplot layout 1,2 title "IPC cost vs message size (ipc_size)" font ',14'
set logscale xy
# sizes in binary units, as the driver sends them (100 B, then powers of 1024 x 1, 10, 100)
set xtics ("100 B" 100, "1 KiB" 1024, "10 KiB" 10240, "100 KiB" 102400, "1 MiB" 1048576)
set xlabel 'message size (bytes, log)'
set xrange [50:2e6]
set key top left font ',8'
if (npy == 0) set label 2 'python: not measured' at graph 0.98, graph 0.04 right tc rgb '#8c564b'

set ylabel 'round trip (µs, log)'
set title 'request + equal-sized reply'
plot for [t in "inproc pipe socketpair shm"] for [p=1:0:-1] csv \
    using (strcol('transport') eq t && column('pinned') == p ? column('bytes') : NaN):'round_trip_us' \
    smooth unique with linespoints lw 2 pt 7 ps 0.7 lc rgb color(t) dt 2-p \
    title sprintf('%s, %s', t, p ? 'pinned (1 core)' : 'default'), \
    for [t in "mpi-shm mpi-tcp"] csv \
    using (strcol('transport') eq t ? column('bytes') : NaN):'round_trip_us' \
    smooth unique with linespoints lw 2 pt 5 ps 0.7 lc rgb mpicolor(t) title sprintf('%s (2 MPI ranks)', t), \
    for [t in "mp-pipe mp-queue"] for [p=1:0:-1] csv \
    using (strcol('transport') eq t && column('pinned') == p ? column('bytes') : NaN):'round_trip_us' \
    smooth unique with linespoints lw 2 pt 8 ps 0.9 lc rgb pycolor(t) dt 2-p \
    title sprintf('python %s, %s', t, p ? 'pinned' : 'default')
unset label 100                 # drawn once, not once per panel

set ylabel 'one-way throughput (MB/s, log)'
set title 'a stream of messages back to back'
set key bottom right
plot for [t in "inproc pipe socketpair shm"] for [p=1:0:-1] csv \
    using (strcol('transport') eq t && column('pinned') == p ? column('bytes') : NaN):'mb_per_s' \
    smooth unique with linespoints lw 2 pt 7 ps 0.7 lc rgb color(t) dt 2-p \
    title sprintf('%s, %s', t, p ? 'pinned' : 'default'), \
    for [t in "mpi-shm mpi-tcp"] csv \
    using (strcol('transport') eq t ? column('bytes') : NaN):'mb_per_s' \
    smooth unique with linespoints lw 2 pt 5 ps 0.7 lc rgb mpicolor(t) title t, \
    for [t in "mp-pipe mp-queue"] for [p=1:0:-1] csv \
    using (strcol('transport') eq t && column('pinned') == p ? column('bytes') : NaN):'mb_per_s' \
    smooth unique with linespoints lw 2 pt 8 ps 0.9 lc rgb pycolor(t) dt 2-p \
    title sprintf('python %s, %s', t, p ? 'pinned' : 'default')
unset multiplot
