# loop_lag: how late phase 1's 1 ms heartbeat fires vs the CPU work per message,
# with the work on the event loop and offloaded to the thread pool. On the loop,
# the lag follows the work of one message: the loop cannot interrupt it.
load 'plots/common.gpi'
set xlabel 'CPU work per message (ms, from --work units x bin/workcal)'
set ylabel 'heartbeat lag (ms)'
set key below font ',9' maxrows 3 height 1.5   # below the plot: an outlier can land anywhere
set yrange [0:*]
set xrange [0:*]
set title "Event-loop lag vs work per message (loop_lag, bin/phase1)" font ',14'
plot for [o in "none threads"] csv using (strcol('offload') eq o ? column('work_ms') : NaN):'lag_p99_ms' \
        smooth unique with linespoints lw 2 pt 7 lc rgb (o eq 'none' ? '#d62728' : '#2ca02c') \
        title sprintf('p99, --offload %s', o), \
     for [o in "none threads"] csv using (strcol('offload') eq o ? column('work_ms') : NaN):'lag_p50_ms' \
        smooth unique with linespoints lw 1 pt 6 dt 2 lc rgb (o eq 'none' ? '#d62728' : '#2ca02c') \
        title sprintf('p50, --offload %s', o), \
     for [o in "none threads"] csv using (strcol('offload') eq o ? column('work_ms') : NaN):'lag_max_ms' \
        smooth unique with points pt 2 lc rgb (o eq 'none' ? '#d62728' : '#2ca02c') \
        title sprintf('max, --offload %s', o), \
     x with lines lc rgb '#aaaaaa' dt 3 title 'lag = work of one message'
