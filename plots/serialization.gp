# serialization: grouped bars, one group per payload, one bar per codec.
# Left: encode + decode time (log); middle: encoded size (log); right: the share
# of a same-size pipe request/reply that goes to serialization.
# Top row: the C kit (bin/serbench: raw, msgpack, json). Bottom row: the
# course's Python (pickle protocols 4 and 5, msgpack, json) on the same
# payloads and seed 000's 1 MiB message and 1 MiB numpy array.
width = 1300
load 'plots/common.gpi'
set terminal pngcairo size width,1000 noenhanced font 'DejaVu Sans,11'
set output out
stats csv using (strcol('lang') eq 'python' ? 1 : 0) nooutput
npy = int(STATS_sum)
pidx(p) = p eq 'flat' ? 0 : p eq 'nested' ? 1 : p eq 'array' ? 2 : p eq '1mib' ? 3 : 4
ccol(c) = c eq 'raw' ? '#1f77b4' : c eq 'msgpack' ? '#ff7f0e' : c eq 'json' ? '#2ca02c' : \
          c eq 'pickle4' ? '#9467bd' : '#8c564b'
set style fill solid 0.85 border -1
set key top left font ',9'
set multiplot layout 2,3 title "Serialization cost by codec and payload (serialization)" font ',14'

# bars LANG CODECS: the three panels of one language (CODECS: its codecs).
do for [row = 1:2] {
    L = row == 1 ? 'c' : 'python'
    codecs = row == 1 ? "raw msgpack json" : "pickle4 pickle5 msgpack json"
    nc = words(codecs)
    bw = 0.8 / nc
    cpos(c) = (sum [k = 1:nc] (word(codecs, k) eq c ? k : 0)) - (nc + 1) / 2.0
    if (row == 1) {
        set xtics ('flat msg' 0, 'nested' 1, '1000 doubles' 2)
        set xrange [-0.6:2.6]
    } else {
        set xtics ('flat' 0, 'nested' 1, '1000 dbl' 2, '1 MiB' 3, 'numpy' 4) font ',9'
        set xrange [-0.6:4.6]
    }
    set boxwidth bw
    who = row == 1 ? 'C: ' : 'python: '
    if (row == 2 && npy == 0) {
        set label 1 'python: not measured' at graph 0.5, graph 0.5 center
        unset logscale y
        set yrange [0:1]
        unset ylabel
        unset ytics
        set title 'python'
        do for [k = 1:3] { plot -1 notitle }    # empty panels
        unset label 1
        continue
    }
    set logscale y
    set yrange [*:*]
    set ylabel 'encode + decode (ns, log)'
    set title who . 'time per record'
    plot for [c in codecs] csv \
        using (strcol('lang') eq L && strcol('codec') eq c ? pidx(strcol('payload')) + bw * cpos(c) : NaN):(column('encode_ns') + column('decode_ns')) \
        with boxes lc rgb ccol(c) title c
    unset label 100

    set ylabel 'encoded size (bytes, log)'
    set title who . 'bytes on the wire'
    plot for [c in codecs] csv \
        using (strcol('lang') eq L && strcol('codec') eq c ? pidx(strcol('payload')) + bw * cpos(c) : NaN):'bytes' \
        with boxes lc rgb ccol(c) title c

    unset logscale y
    set yrange [0:100]
    set ylabel 'serialization share (%)'
    set title who . 'of a same-size pipe request/reply'
    plot for [c in codecs] csv \
        using (strcol('lang') eq L && strcol('codec') eq c ? pidx(strcol('payload')) + bw * cpos(c) : NaN):(100 * column('round_trip_share')) \
        with boxes lc rgb ccol(c) title c
}
unset multiplot
