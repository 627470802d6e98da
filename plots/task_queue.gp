# task_queue: tasks per second vs number of tasks for the three ways of handing
# out work (MPOP's table): static split, dynamic over pipes, the shared-memory
# ring, with tasks of uniform cost (fn=spin). The open squares are the queue
# alone (fn=empty): what one hand-off costs when the task costs nothing.
# Solid: the C kit (bin/taskq); dashed, open triangles for the queue alone:
# the course's Python (taskq.py: static ranges vs one multiprocessing.Queue),
# the same tasks (the same arithmetic, ~100x slower in Python).
load 'plots/common.gpi'
scol(s) = s eq 'static' ? '#7f7f7f' : s eq 'dynamic' ? '#1f77b4' : '#2ca02c'
stats csv using (strcol('lang') eq 'python' ? 1 : 0) nooutput
npy = int(STATS_sum)
set logscale xy
# Half a decade of room either side, so the first and last points are not
# drawn on the border.
stats csv using 'tasks' nooutput
set xrange [STATS_min / 2 : STATS_max * 2]
set xlabel 'tasks (log)'
set ylabel 'tasks per second (log, median of repeats)'
set key below font ',9' maxrows 3 height 1   # below: the lines can reach any corner
set format x '%.0s%c'
set format y '%.0s%c'
if (npy == 0) set label 2 'python: not measured' at graph 0.02, graph 0.04 left tc rgb '#666666'
set title "Handing out tasks: static, dynamic over pipes, shared-memory ring (task_queue)" font ',13'
sel(l, s, f) = strcol('lang') eq l && strcol('scheme') eq s && strcol('fn') eq f ? column('tasks') : NaN
plot for [s in "static dynamic shm"] csv \
        using (sel('c', s, 'spin')):'tasks_per_s' \
        smooth unique with linespoints lw 2 pt 7 lc rgb scol(s) title sprintf('%s (uniform tasks)', s), \
     for [s in "dynamic shm"] csv \
        using (sel('c', s, 'empty')):'tasks_per_s' \
        with points pt 4 ps 1.5 lw 2 lc rgb scol(s) title sprintf('%s, empty tasks: the queue alone', s), \
     for [s in "static dynamic"] csv \
        using (sel('python', s, 'spin')):'tasks_per_s' \
        smooth unique with linespoints lw 2 pt 5 dt 2 lc rgb scol(s) title sprintf('python %s (uniform tasks)', s), \
     csv using (sel('python', 'dynamic', 'empty')):'tasks_per_s' \
        with points pt 8 ps 1.5 lw 2 lc rgb scol('dynamic') title 'python mp.Queue, empty tasks'
