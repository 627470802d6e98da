# batching: cost per record vs batch size B in the batch pool. The pool's fixed
# cost per call is paid once per batch, so the per-record cost falls about as
# 1/B until it reaches the sequential floor. One colour per program (the pool,
# the same batches in one process); solid: the C kit (bin/batchpool), dashed:
# Lecture 36's Python (ProcessPoolExecutor + run_in_executor), same axes.
load 'plots/common.gpi'
stats csv using (strcol('lang') eq 'python' ? 1 : 0) nooutput
npy = int(STATS_sum)
set logscale xy
set xlabel 'batch size B (records per pool call, log)'
set xrange [0.8:1250]
set ylabel 'cost per record (µs, log, median of repeats)'
set key top right font ',9'
if (npy == 0) set label 2 'python: not measured' at graph 0.02, graph 0.04 left tc rgb '#666666'
set title "Batching amortizes the per-call IPC cost (batching: bin/batchpool, batchpool.py)" font ',13'
sel(l, m) = strcol('lang') eq l && strcol('mode') eq m ? column('batch') : NaN
plot csv using (sel('c', 'pool')):'per_record_us' \
        smooth unique with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'C: process pool', \
     csv using (sel('c', 'sequential')):'per_record_us' \
        smooth unique with linespoints lw 2 pt 6 lc rgb '#7f7f7f' title 'C: sequential (no IPC)', \
     csv using (sel('python', 'pool')):'per_record_us' \
        smooth unique with linespoints lw 2 pt 5 dt 2 lc rgb '#1f77b4' title 'python: ProcessPoolExecutor', \
     csv using (sel('python', 'sequential')):'per_record_us' \
        smooth unique with linespoints lw 2 pt 4 dt 2 lc rgb '#7f7f7f' title 'python: sequential'
