#!/usr/bin/env bash
# serialization: encode + decode time and size for raw / msgpack / json x a flat
# message, a nested record and an array of 1000 doubles, and their share of a
# request/reply over a pipe of the same size measured in the same run. The
# measuring is done by bin/serbench (experiments/serbench.c).
# Then Python (experiments/python/serbench.py): pickle protocols 4 and 5,
# msgpack and json over the same three payloads and seed 000's two big ones
# (1mib: a message with a 1 MiB bytes payload; numpy: 131072 float64).
# Columns: codec,payload,bytes,encode_ns,decode_ns,pipe_rt_us,round_trip_share,repeats,lang
source "$(dirname "$0")/common.sh"
kit_begin serialization
need serbench

min_ms=$(pick 2 20 200)
repeats=$(pick 1 3 7)
progress "$MODE run: 3 codecs x 3 payloads, median of $repeats runs of >= $min_ms ms"
py=1
kit_python_ok msgpack numpy || py=0
"$KIT_BIN/serbench" --min-ms "$min_ms" --repeats "$repeats" |
    awk -v m="# mode=$MODE" -v p="# $(py_meta)" '!done && !/^#/ { print m; print p; done = 1 } { print }' |
    with_lang c > "$TMP"
if [ "$py" = 1 ]; then
    progress "python: 4 codecs x 5 payloads, median of $repeats runs of >= $min_ms ms"
    py_rows experiments/python/serbench.py --min-ms "$min_ms" --repeats "$repeats"
fi
kit_end
