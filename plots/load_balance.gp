# load_balance: messages handled by each worker, for uniform and Zipf keys, with
# modulo (top) and consistent-hash (bottom) routing. The dashed line is a perfect
# split; a hot key cannot be split (its messages must stay in order on one
# worker), so the more skewed the keys, the busier one worker gets.
load 'plots/common.gpi'
stats csv using 'workers' nooutput
W = int(STATS_max)
stats csv using 'total_messages' nooutput
mean = STATS_max / W
stats csv using 'messages' nooutput
top = STATS_max
gidx(d, s) = d eq 'uniform' ? 0 : s < 1.0 ? 1 : s < 1.3 ? 2 : 3
wcol(w) = w == 0 ? '#1f77b4' : w == 1 ? '#ff7f0e' : w == 2 ? '#2ca02c' : w == 3 ? '#d62728' : \
          w == 4 ? '#9467bd' : w == 5 ? '#8c564b' : w == 6 ? '#e377c2' : '#7f7f7f'
bw = 0.8 / W
set boxwidth bw
set style fill solid 0.85 border -1
set xtics ('uniform' 0, 'zipf s=0.8' 1, 'zipf s=1.1' 2, 'zipf s=1.5' 3)
set xrange [-0.6:3.6]
set yrange [0:top * 1.15]
set ylabel 'messages handled'
set key top left font ',9' horizontal
set multiplot layout 2,1 title sprintf("Messages per worker, %d workers (load_balance, bin/phase3)", W) font ',14'
do for [route in "modulo consistent"] {
    set title sprintf('--route %s', route)
    plot for [w=0:W-1] csv using (strcol('route') eq route && column('worker') == w ? \
            gidx(strcol('dist'), column('zipf_s')) + (w - (W - 1) / 2.0) * bw : NaN):'messages' \
            with boxes lc rgb wcol(w) title sprintf('worker %d', w), \
         mean with lines lc rgb '#555555' dt 2 title 'even split'
    unset label 100
}
unset multiplot
