# contention: phase 2's throughput (left) and lock-wait share (right) vs threads,
# one line per lock mode. One global lock held during the work makes threads take
# turns (the GIL in C): its throughput stays flat while its wait share climbs.
load 'plots/common.gpi'
lcol(l) = l eq 'global' ? '#d62728' : l eq 'registry' ? '#ff7f0e' : '#2ca02c'
stats csv using 'threads' nooutput
set logscale x 2
set xrange [0.8:STATS_max * 1.25]
set xlabel 'threads (log2)'
# One legend for both panels, below them (the lines can fill either panel's
# corners): the same bottom margin on both keeps the panels aligned.
set bmargin 6
set key at screen 0.5, screen 0.03 center bottom horizontal font ',10'
set multiplot layout 1,2 title "Threads and locks (contention, bin/phase2)" font ',14'

set yrange [0:*]
set ylabel 'messages per second'
set title 'throughput (median of repeats)'
plot for [l in "global registry sharded"] csv using (strcol('lock') eq l ? column('threads') : NaN):'msgs_per_s' \
    smooth unique with linespoints lw 2 pt 7 lc rgb lcol(l) title sprintf('--lock %s', l)
unset label 100
unset key

set yrange [0:100]
set ylabel 'time threads waited for the lock (%)'
set title 'lock-wait share'
plot for [l in "global registry sharded"] csv using (strcol('lock') eq l ? column('threads') : NaN):(100 * column('lock_wait_share')) \
    smooth unique with linespoints lw 2 pt 7 lc rgb lcol(l) title sprintf('--lock %s', l)
unset multiplot
