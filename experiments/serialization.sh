#!/usr/bin/env bash
# serialization: encode + decode time and size for raw / msgpack / json x a flat
# message, a nested record and an array of 1000 doubles, and their share of a
# request/reply over a pipe of the same size measured in the same run. The
# measuring is done by bin/serbench (experiments/serbench.c).
# Columns: codec,payload,bytes,encode_ns,decode_ns,pipe_rt_us,round_trip_share,repeats
source "$(dirname "$0")/common.sh"
kit_begin serialization
need serbench

min_ms=$(pick 2 20 200)
repeats=$(pick 1 3 7)
progress "$MODE run: 3 codecs x 3 payloads, median of $repeats runs of >= $min_ms ms"
"$KIT_BIN/serbench" --min-ms "$min_ms" --repeats "$repeats" |
    awk -v m="# mode=$MODE" '!done && !/^#/ { print m; done = 1 } { print }' > "$TMP"
kit_end
