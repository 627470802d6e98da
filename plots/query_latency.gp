# query_latency: GET latency on phase 3's control socket vs offered load (a
# fraction of the capacity measured in the same run). A query waits behind the
# messages queued for its worker: near capacity the queue, and the wait, grows.
load 'plots/common.gpi'
set logscale y
set xlabel 'offered load (% of measured capacity)'
set ylabel 'query latency (µs, log)'
set xrange [0:105]
set key top left font ',9'
stats csv using 'capacity_msgs_per_s' nooutput
set title sprintf("Query latency vs load (query_latency, bin/phase3; capacity %.0f msgs/s)", STATS_max) font ',13'
plot csv using (100 * column('load')):'p50_us' with linespoints lw 2 pt 7 lc rgb '#1f77b4' title 'p50 (client)', \
     csv using (100 * column('load')):'p99_us' with linespoints lw 2 pt 7 lc rgb '#d62728' title 'p99 (client)', \
     csv using (100 * column('load')):'max_us' with points pt 2 lc rgb '#d62728' title 'max (client)', \
     csv using (100 * column('load')):'server_p50_us' with linespoints lw 1 pt 6 dt 2 lc rgb '#1f77b4' title 'p50 (phase3 own figure)'
