# loop_lag: how late phase 1's 1 ms heartbeat fires vs the CPU work per message,
# with the work on the event loop and offloaded to the thread pool. On the loop,
# the lag follows the work of one message: the loop cannot interrupt it.
# C (bin/phase1) p99 solid, p50 dashed; Python (py_phase1: asyncio on uvloop,
# lang=python) p99 dash-dot, or "python: not measured".
load 'plots/common.gpi'
set xlabel 'CPU work per message (ms, from --work units x bin/workcal)'
set ylabel 'heartbeat lag (ms)'
set key below font ',9' maxrows 3 height 1.5   # below the plot: an outlier can land anywhere
set yrange [0:*]
set xrange [0:*]
set title "Event-loop lag vs work per message (loop_lag, bin/phase1 and py_phase1)" font ',14'
pyrows = int(system("grep -c ',python$' '" . csv . "' || true"))
if (!pyrows) set label 2 'python: not measured' at graph 0.03, graph 0.93 left font ',10' tc rgb '#9467bd'
c(o) = strcol('lang') ne 'python' && strcol('offload') eq o
py(o) = strcol('lang') eq 'python' && strcol('offload') eq o
plot for [o in "none threads"] csv using (c(o) ? column('work_ms') : NaN):'lag_p99_ms' \
        smooth unique with linespoints lw 2 pt 7 lc rgb (o eq 'none' ? '#d62728' : '#2ca02c') \
        title sprintf('p99, --offload %s', o), \
     for [o in "none threads"] csv using (c(o) ? column('work_ms') : NaN):'lag_p50_ms' \
        smooth unique with linespoints lw 1 pt 6 dt 2 lc rgb (o eq 'none' ? '#d62728' : '#2ca02c') \
        title sprintf('p50, --offload %s', o), \
     for [o in "none threads"] csv using (c(o) ? column('work_ms') : NaN):'lag_max_ms' \
        smooth unique with points pt 2 lc rgb (o eq 'none' ? '#d62728' : '#2ca02c') \
        title sprintf('max, --offload %s', o), \
     for [o in "none threads"] csv using (py(o) ? column('work_ms') : NaN):'lag_p99_ms' \
        smooth unique with linespoints lw 2 pt 4 dt 4 lc rgb (o eq 'none' ? '#d62728' : '#2ca02c') \
        title (pyrows ? sprintf('python p99, %s', o eq 'none' ? 'work on the loop' : 'run_in_executor') : ''), \
     x with lines lc rgb '#aaaaaa' dt 3 title 'lag = work of one message'
