# task_queue: tasks per second vs number of tasks for the three ways of handing
# out work (MPOP's table): static split, dynamic over pipes, the shared-memory
# ring, with tasks of uniform cost (fn=spin). The open squares are the queue
# alone (fn=empty): what one hand-off costs when the task costs nothing.
load 'plots/common.gpi'
scol(s) = s eq 'static' ? '#7f7f7f' : s eq 'dynamic' ? '#1f77b4' : '#2ca02c'
set logscale xy
# Half a decade of room either side, so the first and last points are not
# drawn on the border.
stats csv using 'tasks' nooutput
set xrange [STATS_min / 2 : STATS_max * 2]
set xlabel 'tasks (log)'
set ylabel 'tasks per second (log, median of repeats)'
set key below font ',9' maxrows 2 height 1   # below: the lines can reach any corner
set format x '%.0s%c'
set format y '%.0s%c'
set title "Handing out tasks: static, dynamic over pipes, shared-memory ring (task_queue)" font ',13'
plot for [s in "static dynamic shm"] csv \
        using (strcol('scheme') eq s && strcol('fn') eq 'spin' ? column('tasks') : NaN):'tasks_per_s' \
        smooth unique with linespoints lw 2 pt 7 lc rgb scol(s) title sprintf('%s (uniform tasks)', s), \
     for [s in "dynamic shm"] csv \
        using (strcol('scheme') eq s && strcol('fn') eq 'empty' ? column('tasks') : NaN):'tasks_per_s' \
        with points pt 4 ps 1.5 lw 2 lc rgb scol(s) title sprintf('%s, empty tasks: the queue alone', s)
