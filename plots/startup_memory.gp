# startup_memory: what a new worker costs to start (left) and to keep (right).
# Top row: the C kit (bin/startbench). Bottom row: the course's Python, a
# multiprocessing.Process started with fork, spawn and forkserver, and one
# idle interpreter worker (its own axes: milliseconds and MiB, not µs and KiB).
load 'plots/common.gpi'
set terminal pngcairo size width,1000 noenhanced font 'DejaVu Sans,11'
set output out
stats csv using (strcol('lang') eq 'python' ? 1 : 0) nooutput
npy = int(STATS_sum)
midx(m) = m eq 'fork' ? 0 : m eq 'fork_exec' ? 1 : m eq 'posix_spawn' ? 2 : m eq 'pthread' ? 3 : \
          m eq 'mp_fork' ? 0 : m eq 'mp_spawn' ? 1 : 2
set style fill solid 0.85 border -1
set multiplot layout 2,2 title "Starting and keeping a worker (startup_memory)" font ',14'

set xtics ('fork' 0, 'fork+exec' 1, 'posix_spawn' 2, 'pthread' 3)
set xrange [-0.6:3.6]
set boxwidth 0.6
set yrange [0:*]
set ylabel 'start + finish (µs, median)'
set title 'C: create, run nothing, reap'
plot csv using (strcol('lang') eq 'c' ? midx(strcol('method')) : NaN):'us' with boxes lc rgb '#1f77b4', \
     '' using (strcol('lang') eq 'c' ? midx(strcol('method')) : NaN):'us':(sprintf('%.0f', column('us'))) with labels offset 0,0.7 font ',9'
unset label 100

set boxwidth 0.35
set key top right font ',9'
set ylabel 'memory of one idle worker (KiB)'
set title 'C: Pss (shared pages split) and private pages'
plot csv using (strcol('lang') eq 'c' ? midx(strcol('method')) - 0.18 : NaN):'pss_kib' with boxes lc rgb '#ff7f0e' title 'Pss', \
     '' using (strcol('lang') eq 'c' ? midx(strcol('method')) + 0.18 : NaN):'private_kib' with boxes lc rgb '#2ca02c' title 'private (Private_Clean + Private_Dirty)'

set xtics ('fork' 0, 'spawn' 1, 'forkserver' 2)
set xrange [-0.6:2.6]
if (npy == 0) {
    set label 1 'python: not measured' at graph 0.5, graph 0.5 center
    set yrange [0:1]
    unset ylabel
    unset ytics
    set title 'python'
    plot -1 notitle                 # empty panels (a line below the range)
    plot -1 notitle
} else {
    set boxwidth 0.6
    set ylabel 'start + join (ms, median)'
    set title 'python: Process(target=nothing).start() + join()'
    plot csv using (strcol('lang') eq 'python' ? midx(strcol('method')) : NaN):(column('us') / 1000) with boxes lc rgb '#1f77b4' notitle, \
         '' using (strcol('lang') eq 'python' ? midx(strcol('method')) : NaN):(column('us') / 1000):(sprintf('%.1f', column('us') / 1000)) with labels offset 0,0.7 font ',9' notitle
    set boxwidth 0.35
    set ylabel 'memory of one idle interpreter worker (MiB)'
    set title 'python: Pss and private pages'
    plot csv using (strcol('lang') eq 'python' ? midx(strcol('method')) - 0.18 : NaN):(column('pss_kib') / 1024.0) with boxes lc rgb '#ff7f0e' title 'Pss', \
         '' using (strcol('lang') eq 'python' ? midx(strcol('method')) + 0.18 : NaN):(column('private_kib') / 1024.0) with boxes lc rgb '#2ca02c' title 'private'
}
unset multiplot
