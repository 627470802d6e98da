# startup_memory: what a new worker costs to start (left) and to keep (right).
load 'plots/common.gpi'
midx(m) = m eq 'fork' ? 0 : m eq 'fork_exec' ? 1 : m eq 'posix_spawn' ? 2 : 3
set xtics ('fork' 0, 'fork+exec' 1, 'posix_spawn' 2, 'pthread' 3)
set xrange [-0.6:3.6]
set style fill solid 0.85 border -1
set multiplot layout 1,2 title "Starting and keeping a worker (startup_memory)" font ',14'

set boxwidth 0.6
set yrange [0:*]
set ylabel 'start + finish (µs, median)'
set title 'create, run nothing, reap'
plot csv using (midx(strcol('method'))):'us' with boxes lc rgb '#1f77b4', \
     '' using (midx(strcol('method'))):'us':(sprintf('%.0f', column('us'))) with labels offset 0,0.7 font ',9'
unset label 100

set boxwidth 0.35
set key top right font ',9'
set ylabel 'memory of one idle worker (KiB)'
set title 'Pss (shared pages split) and private pages'
plot csv using (midx(strcol('method')) - 0.18):'pss_kib' with boxes lc rgb '#ff7f0e' title 'Pss', \
     '' using (midx(strcol('method')) + 0.18):'private_kib' with boxes lc rgb '#2ca02c' title 'private (Private_Clean + Private_Dirty)'
unset multiplot
