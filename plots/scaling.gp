# scaling: throughput (left) and speedup (right) vs workers for a fixed CPU-bound
# load, processes vs threads under one global lock vs threads with sharded locks
# vs MPI worker ranks (bin/phase5 under mpirun; workers = worker ranks).
# Grey dashed: ideal linear scaling; grey dotted: the ideal on this machine,
# which cannot go past its number of cores. The speedup panel also draws the
# Python rows (lang=python) dashed: py-processes in the processes' colour,
# py-threads (the GIL) in the global lock's; or says "python: not measured".
load 'plots/common.gpi'
cores = int(system("awk -F= '/^# cores=/ { print $2; exit }' '" . csv . "'"))
if (cores < 1) cores = 1
stats csv using (strcol('mode') eq 'processes' && column('workers') == 1 ? column('msgs_per_s') : NaN) nooutput
base = STATS_max
stats csv using 'workers' nooutput
maxw = STATS_max
stats csv using 'msgs_per_s' nooutput
maxrate = STATS_max
stats csv using 'speedup' nooutput
maxspeedup = STATS_max
pyrows = int(system("grep -c ',python$' '" . csv . "' || true"))
min(a, b) = a < b ? a : b
max(a, b) = a > b ? a : b

set multiplot layout 1,2 title "Throughput vs workers, CPU-bound work (scaling)" font ',14'
set logscale x 2
set xrange [0.8:maxw * 1.25]
set xlabel 'workers (processes or threads, log2)'
set key top left font ',9'
set arrow 1 from cores, graph 0 to cores, graph 1 nohead lc rgb '#aaaaaa' dt 3
set label 1 sprintf('%d cores', cores) at cores, graph 0.03 offset 0.5,0 font ',9' tc rgb '#888888'

set yrange [0:1.3 * max(maxrate, base * min(maxw, cores))]
set ylabel 'messages per second'
set title 'throughput (median of repeats)'
set samples 200
plot base * x with lines lc rgb '#aaaaaa' dt 2 title 'ideal: N x (1 process)', \
     base * min(x, cores) with lines lc rgb '#aaaaaa' dt 3 title sprintf('ideal on %d cores', cores), \
     for [m in "processes threads-global threads-sharded mpi shared"] csv \
     using (strcol('mode') eq m ? column('workers') : NaN):'msgs_per_s' \
     smooth unique with linespoints lw 2 pt 7 lc rgb color(m) title m
unset label 100

set yrange [0:1.3 * max(maxspeedup, min(maxw, cores))]
set ylabel 'speedup (x of 1 worker, same mode)'
set title 'speedup: C solid, Python dashed'
if (!pyrows) set label 2 'python: not measured' at graph 0.97, graph 0.05 right font ',10' tc rgb '#9467bd'
pycolor(m) = m eq 'py-processes' ? color('processes') : color('threads-global')
plot x with lines lc rgb '#aaaaaa' dt 2 title 'ideal', \
     min(x, cores) with lines lc rgb '#aaaaaa' dt 3 title sprintf('ideal on %d cores', cores), \
     for [m in "processes threads-global threads-sharded mpi shared"] csv \
     using (strcol('mode') eq m ? column('workers') : NaN):'speedup' \
     smooth unique with linespoints lw 2 pt 7 lc rgb color(m) title m, \
     for [m in "py-processes py-threads"] csv \
     using (strcol('mode') eq m ? column('workers') : NaN):'speedup' \
     smooth unique with linespoints lw 2 dt 2 pt 6 lc rgb pycolor(m) \
     title (pyrows ? m . (m eq 'py-threads' ? ' (GIL)' : '') : '')
unset multiplot
