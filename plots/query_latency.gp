# query_latency: GET latency on the control socket vs offered load (a fraction of
# each program's capacity, measured in the same run), for the three phases. A
# query waits behind the work already queued ahead of it: near capacity the
# queue, and the wait, grows. Solid: p50; dashed: p99 (client side). The
# Python twin py_phase3 (lang=python) in brown, dash-dot, open squares; or
# "python: not measured".
load 'plots/common.gpi'
pcol(p) = p eq 'phase1' ? '#ff7f0e' : p eq 'phase2' ? '#d62728' : p eq 'phase4' ? '#9467bd' : '#1f77b4'
plabel(p) = p eq 'phase1' ? 'phase1 (event loop)' : p eq 'phase2' ? 'phase2 (threads)' : p eq 'phase4' ? 'phase4 (shared memory)' : 'phase3 (processes)'
set logscale y
set xlabel 'offered load (% of the program''s measured capacity)'
set ylabel 'query latency (µs, log)'
set xrange [0:105]
set key below font ',9' maxrows 2 height 1   # below the plot: latencies span the whole height
set title "Query latency vs load (query_latency)" font ',14'
pyrows = int(system("grep -c ',python$' '" . csv . "' || true"))
if (!pyrows) set label 2 'python: not measured' at graph 0.03, graph 0.93 left font ',10' tc rgb '#8c564b'
plot for [p in "phase1 phase2 phase3 phase4"] csv using (strcol('program') eq p ? 100 * column('load') : NaN):'p50_us' \
        with linespoints lw 2 pt 7 lc rgb pcol(p) title sprintf('%s p50', plabel(p)), \
     for [p in "phase1 phase2 phase3 phase4"] csv using (strcol('program') eq p ? 100 * column('load') : NaN):'p99_us' \
        with linespoints lw 1 pt 6 dt 2 lc rgb pcol(p) title sprintf('%s p99', plabel(p)), \
     csv using (strcol('program') eq 'py_phase3' ? 100 * column('load') : NaN):'p50_us' \
        with linespoints lw 2 pt 4 dt 4 lc rgb '#8c564b' title (pyrows ? 'py_phase3 (Python processes) p50' : ''), \
     csv using (strcol('program') eq 'py_phase3' ? 100 * column('load') : NaN):'p99_us' \
        with linespoints lw 1 pt 4 dt 5 lc rgb '#8c564b' title (pyrows ? 'py_phase3 (Python processes) p99' : '')
