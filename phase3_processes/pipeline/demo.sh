#!/usr/bin/env bash
# phase3_processes/pipeline/demo.sh: a ~20 s narrated tour of bin/phase3 (run by `make phase3`).
#   1. CPU-bound work spread over one worker per core (does every core compute? the CPU times say)
#   2. routing consistency: the dump equals bin/reference; roundrobin's does not
#   3. a query answered while messages flow
#   4. a worker SIGKILLed and respawned into its slot, from its checkpoint + replay
#   5. a graceful shutdown through the control socket
set -euo pipefail
BIN=${BIN:-bin}
P3=$BIN/phase3 REF=$BIN/reference CTL=$BIN/kitctl
source "$(dirname "$0")/../../scripts/demo-common.sh"
demo_begin "$P3" "$REF" "$CTL"
CORES=$(nproc)

say "1. CPU-bound work, one worker per core: $CORES workers, each DATA message burns --work 400 (400 units: bin/workcal says what one costs)"
note "Each worker is its own process with its own event loop; the supervisor only routes."
$P3 --workers "$CORES" --work 400 --messages 40000 --keys 64 > "$TMP/busy.txt" 2>&1
sed -n '1,/supervisor cpu/p' "$TMP/busy.txt" | sed 's/^/   /'
# How many cores the workers kept busy: their CPU seconds over the run's wall
# time (from the summary above); the sentence follows that number.
read -r busy wall < <(awk 'NR == 1 { for (i = 1; i < NF; i++) if ($(i + 1) == "s") wall = $i }
    /^ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9.]+ / { cpu += $5 }
    END { printf "%.2f %s\n", (wall > 0 ? cpu / wall : 0), wall }' "$TMP/busy.txt")
if awk -v b="$busy" -v c="$CORES" 'BEGIN { exit !(b >= 0.8 * c) }'; then
    note "The workers' CPU time adds up to $busy cores' worth over the $wall s run: all $CORES cores computed at once."
else
    note "The workers' CPU time adds up to only $busy cores' worth over the $wall s run, on $CORES cores: they did not all"
    LOAD=$(cut -d' ' -f1 /proc/loadavg)
    if awk -v l="$LOAD" -v c="$CORES" 'BEGIN { exit !(l >= c) }'; then
        note "compute at once: other work had the cores (load average $LOAD). Rerun on an idle machine."
    else
        note "compute at once, though the machine was not busy (load average $LOAD): the supervisor did not keep them fed."
    fi
fi

say "2. Routing consistency: the same key always reaches the same worker"
$REF --messages 50000 --keys 300 --dist zipf --seed 5 --dump-state "$TMP/ref.csv" --quiet
for route in modulo consistent map; do
    $P3 --workers 3 --route $route --messages 50000 --keys 300 --dist zipf --seed 5 \
        --dump-state "$TMP/p3.csv" --quiet
    if cmp -s "$TMP/ref.csv" "$TMP/p3.csv"; then
        note "--route $route --workers 3: dump byte-identical to bin/reference (diff is empty)"
    else
        note "--route $route: DIFFERS from bin/reference (this is a bug)"; exit 1
    fi
done
$P3 --workers 3 --route roundrobin --messages 50000 --keys 300 --dist zipf --seed 5 \
    --dump-state "$TMP/rr.csv" 2>&1 | grep 'routing:' | sed 's/^ */   /'
note "diff against the reference, first lines:"
diff "$TMP/ref.csv" "$TMP/rr.csv" | head -4 | sed 's/^/     /' || true

say "3. A query answered while messages flow"
SOCK=$TMP/ctl.sock
$P3 --workers 2 --messages 0 --work 40 --control "$SOCK" 2>"$TMP/err" &
BGPID=$!
demo_get_twice "$CTL" "$SOCK" 100 "the state moves on"
note "\$ kitctl $SOCK STATS"
$CTL "$SOCK" STATS | tr ' ' '\n' | sed 's/^/     /' | head -12

say "4. A worker SIGKILLed: detected at once, reaped, respawned into the same slot, nothing lost"
VICTIM=$($CTL "$SOCK" STATS | sed 's/.*pids=//' | cut -d, -f1)
note "kill -9 $VICTIM (worker 0)"
kill -9 "$VICTIM"
sleep 0.3
grep 'killed by' "$TMP/err" | fold -s -w 100 | sed 's/^/   /'
$CTL "$SOCK" STATS | tr ' ' '\n' | grep -E '^(restarts|workers_alive|lost|checkpoints|replayed|pids)=' | sed 's/^/     /'
note "The respawned worker started from its last checkpoint (inherited through fork) and the"
note "supervisor replayed every message routed to it since: lost=0. (--recovery off shows the old"
note "lesson: the state dies with the worker, and the summary counts the loss.)"

say "5. Graceful shutdown: SHUTDOWN -> stop input, drain, poison pill, reap"
note "\$ kitctl $SOCK SHUTDOWN -> $($CTL "$SOCK" SHUTDOWN)"
wait "$BGPID" || true
BGPID=
sed 's/^/   /' "$TMP/err" | grep -v 'killed by'
if [[ -e $SOCK ]]; then note "socket file left behind (bug)"; else note "the socket file is gone; every child reaped."; fi
