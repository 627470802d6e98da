#!/usr/bin/env bash
# phase3_processes/pipeline/bench.sh: bin/phase3's throughput and per-message IPC cost,
# next to the seed's Python design (bench_python.py: mp.Queue per worker) run
# on the same machine in the same invocation. Prints figures; asserts nothing.
#
#   BIN=bin REPS=5 phase3_processes/pipeline/bench.sh
#
# Every figure is the median of REPS runs (PYREPS for Python, which is slower).
set -euo pipefail
BIN=${BIN:-bin}
REPS=${REPS:-5}
PYREPS=${PYREPS:-3}
P3=$BIN/phase3
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# col NAME: the value of column NAME in the CSV row on stdin (metadata skipped).
col() { grep -v '^#' | awk -F, -v want="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == want) c = i } NR == 2 { print $c }'; }

# p3 COLUMN FLAGS...: median of COLUMN over REPS runs of bin/phase3 FLAGS --csv.
p3() {
    local what=$1; shift
    for _ in $(seq "$REPS"); do "$P3" "$@" --csv --quiet | col "$what"; done | median
}

echo "# bin/phase3 benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?)"
echo "# medians of $REPS runs (Python: $PYREPS); msgs/s = messages / wall seconds of the whole run"
echo

echo "## Throughput, 2 workers, modulo, msgpack"
W0=$(p3 msgs_per_s --workers 2 --messages 1000000)
echo "C   --work 0,  1000000 messages: $W0 msgs/s"
W20=$(p3 msgs_per_s --workers 2 --messages 100000 --work 20)
echo "C   --work 20,  100000 messages: $W20 msgs/s"

echo
echo "## Per-message IPC cost, 1 worker (measured inside the run; see README for how)"
for pl in 100 1048576; do
    n=200000; [[ $pl -gt 100000 ]] && n=300
    enc=$(p3 ipc_encode_us --workers 1 --messages $n --payload $pl)
    ch=$(p3 ipc_channel_us --workers 1 --messages $n --payload $pl)
    dec=$(p3 ipc_decode_us --workers 1 --messages $n --payload $pl)
    rate=$(p3 msgs_per_s --workers 1 --messages $n --payload $pl)
    per=$(awk -v r="$rate" 'BEGIN { printf "%.2f", 1e6 / r }')
    echo "C   payload $pl B: encode $enc us, channel $ch us, decode $dec us; whole run $per us/msg ($rate msgs/s, $n messages)"
done

if ! command -v python3 >/dev/null; then
    echo; echo "(python3 not found: no Python comparison)"; exit 0
fi
echo
echo "## The seed's design in Python $(python3 -c 'import sys; print(sys.version.split()[0])') (mp.Queue per worker, fork)"
"$P3" --emit --messages 200000 > "$TMP/s200k.txt"
"$P3" --emit --messages 2000 > "$TMP/s2k.txt"
py() { python3 "$HERE/bench_python.py" "$@"; }
pyval() { local k=$1; shift; for _ in $(seq "$PYREPS"); do py "$@" | tr ' ' '\n' | sed -n "s/^$k=//p"; done | median; }
echo "Py  --work 0,   200000 messages: $(pyval msgs_per_s --workers 2 --input "$TMP/s200k.txt") msgs/s"
echo "Py  --work 20,    2000 messages: $(pyval msgs_per_s --workers 2 --work 20 --input "$TMP/s2k.txt") msgs/s"
echo "Py  mp.Queue, payload 100 B:     $(pyval us_per_msg --ipc --payload 100 --count 50000) us/msg (50000 messages, put..get throughput)"
echo "Py  mp.Queue, payload 1 MiB:     $(pyval us_per_msg --ipc --payload 1048576 --count 300) us/msg (300 messages)"
