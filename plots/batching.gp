# batching: the batch pool against one process as the batch size B grows, at
# two works per record (batching.csv's work column): work 0, the IPC cost alone,
# and work W (--work W units of CPU per record), the payoff. Left: cost per
# record (log-log); the pool's fixed cost per call is paid once per batch, so it
# falls about as 1/B. Right: the pool's speedup over the same records in one
# process (the median sequential cost at that work over the pool's at B). The
# shaded bands are the B where one batch takes 5-50 ms of a worker's time
# (Lecture 36's sweet spot), from the sequential cost per record at work W:
# B = 5 ms / cost .. 50 ms / cost. Solid: the C kit (bin/batchpool); dashed:
# Lecture 36's Python (ProcessPoolExecutor + run_in_executor), same axes.
width = 1300
load 'plots/common.gpi'
set terminal pngcairo size width,620 noenhanced font 'DejaVu Sans,11'
set output out
stats csv using (strcol('lang') eq 'python' ? 1 : 0) nooutput
npy = int(STATS_sum)
stats csv using 'work' nooutput
W = int(STATS_max)
stats csv using 'workers' nooutput
nworkers = int(STATS_max)
works = W > 0 ? sprintf('0 %d', W) : '0'     # the sweeps: work 0, and work W where there is one
wcol(w) = w == 0 ? '#1f77b4' : '#d62728'
is(l, w, m) = strcol('lang') eq l && column('work') == w && strcol('mode') eq m
# seq[l]: the median sequential cost per record (µs) of language l at work W and 0
array seqw[2]
array seq0[2]
array nrows[2]
do for [i = 1:2] {
    l = i == 1 ? 'c' : 'python'
    stats csv using (is(l, W, 'sequential') ? 1 : 0) nooutput
    nrows[i] = int(STATS_sum)
    seqw[i] = NaN
    seq0[i] = NaN
    if (nrows[i] > 0) {
        stats csv using (is(l, W, 'sequential') ? column('per_record_us') : NaN) nooutput
        seqw[i] = STATS_median
    }
    stats csv using (is(l, 0, 'sequential') ? 1 : 0) nooutput
    if (STATS_sum > 0) {
        stats csv using (is(l, 0, 'sequential') ? column('per_record_us') : NaN) nooutput
        seq0[i] = STATS_median
    }
}
seq(i, w) = w == 0 ? seq0[i] : seqw[i]
# the sweet-spot bands: a batch of B records takes B x cost; 5-50 ms
bandcol(i) = i == 1 ? '#2ca02c' : '#ff7f0e'
do for [i = 1:2] {
    if (W > 0 && nrows[i] > 0 && seqw[i] > 0) {
        set object 10 + i rect from 5000 / seqw[i], graph 0 to 50000 / seqw[i], graph 1 \
            fc rgb bandcol(i) fs transparent solid 0.13 noborder behind
        set label 10 + i sprintf('%s: a batch takes 5-50 ms', i == 1 ? 'C' : 'python') \
            at 5000 / seqw[i] * 1.1, graph 0.03 left font ',8' tc rgb bandcol(i)
    }
}
set logscale xy
set xlabel 'batch size B (records per pool call, log)'
set xrange [0.7:*]
if (npy == 0) set label 2 'python: not measured' at graph 0.02, graph 0.04 left tc rgb '#666666'
set multiplot layout 1,2 title sprintf("Batching amortizes the per-call IPC cost: %d workers vs one process (batching: bin/batchpool, batchpool.py)", nworkers) font ',13'

set title sprintf('cost per record (median of repeats); work %s units per record', W > 0 ? sprintf('0 and %d', W) : '0')
set ylabel 'cost per record (µs, log)'
set key top right font ',8'
plot for [w in works] csv using (is('c', int(w), 'pool') ? column('batch') : NaN):'per_record_us' \
        smooth unique with linespoints lw 2 pt 7 lc rgb wcol(int(w)) title sprintf('C pool, work %s', w), \
     for [w in works] csv using (is('c', int(w), 'sequential') ? column('batch') : NaN):'per_record_us' \
        smooth unique with linespoints lw 1 pt 6 lc rgb wcol(int(w)) title sprintf('C one process, work %s', w), \
     for [w in works] csv using (is('python', int(w), 'pool') ? column('batch') : NaN):'per_record_us' \
        smooth unique with linespoints lw 2 pt 5 dt 2 lc rgb wcol(int(w)) title sprintf('python ProcessPoolExecutor, work %s', w), \
     for [w in works] csv using (is('python', int(w), 'sequential') ? column('batch') : NaN):'per_record_us' \
        smooth unique with linespoints lw 1 pt 4 dt 2 lc rgb wcol(int(w)) title sprintf('python one process, work %s', w)
unset label 100                 # drawn once, not once per panel

set title 'speedup of the pool over one process (above 1: the pool wins)'
set ylabel 'speedup (one process / pool, log)'
set key top left font ',8'
set yrange [*:10]
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lc rgb '#444444' dt 3
set arrow 2 from graph 0, first nworkers to graph 1, first nworkers nohead lc rgb '#444444' dt 3
set label 3 sprintf('%d workers, ideal', nworkers) at graph 0.98, first nworkers * 1.12 right font ',8' tc rgb '#444444'
set label 4 'one process' at graph 0.98, first 1.12 right font ',8' tc rgb '#444444'
plot for [w in works] csv using (is('c', int(w), 'pool') ? column('batch') : NaN):(seq(1, int(w)) / column('per_record_us')) \
        smooth unique with linespoints lw 2 pt 7 lc rgb wcol(int(w)) title sprintf('C, work %s', w), \
     for [w in works] csv using (is('python', int(w), 'pool') ? column('batch') : NaN):(seq(2, int(w)) / column('per_record_us')) \
        smooth unique with linespoints lw 2 pt 5 dt 2 lc rgb wcol(int(w)) title sprintf('python, work %s', w)
unset multiplot
