# batching: cost per record vs batch size B in the batch pool. The pool's fixed
# cost per call is paid once per batch, so the per-record cost falls about as
# 1/B until it reaches the sequential floor.
load 'plots/common.gpi'
set logscale xy
set xlabel 'batch size B (records per pool call, log)'
set xrange [0.8:1250]
set ylabel 'cost per record (µs, log, median of repeats)'
set key top right font ',9'
set title "Batching amortizes the per-call IPC cost (batching, bin/batchpool)" font ',13'
plot csv using (strcol('mode') eq 'pool' ? column('batch') : NaN):'per_record_us' \
        smooth unique with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'process pool', \
     csv using (strcol('mode') eq 'sequential' ? column('batch') : NaN):'per_record_us' \
        smooth unique with linespoints lw 2 pt 6 dt 2 lc rgb '#7f7f7f' title 'sequential (no IPC)'
