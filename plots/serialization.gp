# serialization: grouped bars, one group per payload, one bar per codec.
# Left: encode + decode time (log); middle: encoded size (log); right: the share
# of a same-size pipe request/reply that goes to serialization.
width = 1300
load 'plots/common.gpi'
pidx(p) = p eq 'flat' ? 0 : p eq 'nested' ? 1 : 2
cidx(c) = c eq 'raw' ? -1 : c eq 'msgpack' ? 0 : 1
set xtics ('flat msg' 0, 'nested' 1, '1000 doubles' 2)
set xrange [-0.6:2.6]
set style fill solid 0.85 border -1
set boxwidth 0.26
set key top left font ',9'
set multiplot layout 1,3 title "Serialization cost by codec and payload (serialization)" font ',14'

set logscale y
set ylabel 'encode + decode (ns, log)'
set title 'time per record'
plot for [c in "raw msgpack json"] csv \
    using (strcol('codec') eq c ? pidx(strcol('payload')) + 0.27 * cidx(c) : NaN):(column('encode_ns') + column('decode_ns')) \
    with boxes lc rgb (c eq 'raw' ? '#1f77b4' : c eq 'msgpack' ? '#ff7f0e' : '#2ca02c') title c
unset label 100

set ylabel 'encoded size (bytes, log)'
set title 'bytes on the wire'
plot for [c in "raw msgpack json"] csv \
    using (strcol('codec') eq c ? pidx(strcol('payload')) + 0.27 * cidx(c) : NaN):'bytes' \
    with boxes lc rgb (c eq 'raw' ? '#1f77b4' : c eq 'msgpack' ? '#ff7f0e' : '#2ca02c') title c

unset logscale y
set yrange [0:100]
set ylabel 'serialization share (%)'
set title 'of a same-size pipe request/reply'
plot for [c in "raw msgpack json"] csv \
    using (strcol('codec') eq c ? pidx(strcol('payload')) + 0.27 * cidx(c) : NaN):(100 * column('round_trip_share')) \
    with boxes lc rgb (c eq 'raw' ? '#1f77b4' : c eq 'msgpack' ? '#ff7f0e' : '#2ca02c') title c
unset multiplot
