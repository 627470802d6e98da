# zero_copy: phase 3 against phase 4 at --work 0 with 2 workers, and the two bare
# routers beside them as the limits. Left: msgs/s (log). Middle: where each
# message's time goes, stacked (encode, copy, system calls, decode, apply; each
# program's own per-message figures; a step it does not have, or a figure it
# could not measure, is not drawn). Right: GET p50 while messages flow, by the client and by the server (log).
width = 1300
load 'plots/common.gpi'
pidx(p) = p eq 'phase3' ? 0 : p eq 'phase4' ? 1 : p eq 'pipe-router' ? 2 : 3
pcol(p) = p eq 'phase3' ? '#1f77b4' : p eq 'phase4' ? '#2ca02c' : p eq 'pipe-router' ? '#7f7f7f' : '#9467bd'
z(x) = x eq '' ? 0 : real(x)
set style fill solid 0.85 border -1
set multiplot layout 1,3 title "Zero copy: phase 3 vs phase 4, --work 0, 2 workers (zero_copy)" font ',14'

set boxwidth 0.6
set xrange [-0.6:3.6]
set xtics ('phase3' 0, 'phase4' 1, 'pipe router' 2, 'shm ring' 3) font ',9'
set logscale y
set format y '%.0s%c'
set ylabel 'messages per second (log, median)'
set title 'throughput'
plot for [p in "phase3 phase4 pipe-router shm-ring"] csv \
    using (strcol('program') eq p ? pidx(p) : NaN):'msgs_per_s' with boxes lc rgb pcol(p)
unset label 100

unset logscale y
set format y '%g'
set xrange [-0.6:1.6]
set xtics ('phase3' 0, 'phase4' 1)
set boxwidth 0.5
set yrange [0:*]
set ylabel "µs per message (each program's own figures)"
set title 'one message, step by step'
set key top right font ',9'
e(p) = strcol('program') eq p
# the stack from the top down: each box the sum of its step and the ones below
s1(p) = z(strcol('encode_us'))
s2(p) = s1(p) + z(strcol('copy_us'))
s3(p) = s2(p) + z(strcol('syscall_us'))
s4(p) = s3(p) + z(strcol('decode_us'))
s5(p) = s4(p) + z(strcol('apply_us'))
plot for [p in "phase3 phase4"] csv using (e(p) ? pidx(p) : NaN):(s5(p)) \
        with boxes lc rgb '#8c564b' title (p eq 'phase3' ? 'apply' : ''), \
     for [p in "phase3 phase4"] csv using (e(p) ? pidx(p) : NaN):(s4(p)) \
        with boxes lc rgb '#ff7f0e' title (p eq 'phase3' ? 'decode' : ''), \
     for [p in "phase3 phase4"] csv using (e(p) ? pidx(p) : NaN):(s3(p)) \
        with boxes lc rgb '#d62728' title (p eq 'phase3' ? 'system calls' : ''), \
     for [p in "phase3 phase4"] csv using (e(p) ? pidx(p) : NaN):(s2(p)) \
        with boxes lc rgb '#17becf' title (p eq 'phase3' ? 'copy' : ''), \
     for [p in "phase3 phase4"] csv using (e(p) ? pidx(p) : NaN):(s1(p)) \
        with boxes lc rgb '#bcbd22' title (p eq 'phase3' ? 'encode' : '')

set autoscale y
set logscale y
set xrange [-0.6:1.6]
set boxwidth 0.3
set ylabel 'GET p50 (µs, log)'
set title 'GET while messages flow'
# a program without a GET figure (the routers) draws nothing: NaN, not a 0
g(c) = strcol(c) eq '' ? NaN : real(strcol(c))
plot csv using (pidx(strcol('program')) - 0.16):(g('get_client_p50_us')) \
        with boxes lc rgb '#1f77b4' title 'client: send to answer', \
     csv using (pidx(strcol('program')) + 0.16):(g('get_server_p50_us')) \
        with boxes lc rgb '#2ca02c' title 'server: arrival to answer ready'
unset multiplot
