#!/usr/bin/env bash
# phase1_async/demo.sh (`make phase1`): the event loop's lesson in three runs.
#
#   1. work 0            messages are cheap: the loop is free between them;
#   2. heavy work        each DATA burns ~5 ms of CPU on the loop thread;
#   3. offload threads   the same work on libuv's thread pool (1 thread here,
#                        so the loop keeps a core of its own on a 2-core box);
#   4. offload, pool 4   libuv's default pool size, for comparison.
# Every run is paced with --rate 150 so that it lasts about 2 s (the heavy run
# keeps the loop ~75 % busy), has a control socket
# and a probe thread sending STATS every 5 ms; the figures come from each run's
# --csv row. The work size is calibrated first with bin/workcal. The closing
# sentences are chosen by the figures measured, not written in advance.
set -euo pipefail
BIN=${BIN:-bin}
P1=$BIN/phase1
for p in "$P1" "$BIN/workcal"; do
    [ -x "$p" ] || { echo "demo: $p is missing: run make first" >&2; exit 1; }
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

ns_per_unit=$("$BIN/workcal" --units 100000 --runs 3 --csv | tail -n 1 | awk -F, '{print $3}')
work=$(awk -v ns="$ns_per_unit" 'BEGIN { w = int(5000000 / ns); print (w < 1 ? 1 : w) }')
echo "== phase 1: one thread, one libuv loop =="
echo "one --work unit costs ${ns_per_unit} ns here (bin/workcal), so --work $work is ~5 ms per DATA message"
echo

# run LABEL ARGS...: one paced run; prints its figures from the CSV row.
declare -A lag50 lag99 lagmax q50 q99 rate
run() {
    local label=$1; shift
    "$P1" --messages 300 --rate 150 --control "$dir/ctl.sock" --probe-ms 5 --csv --quiet "$@" \
        > "$dir/$label.csv"
    local row; row=$(tail -n 1 "$dir/$label.csv")
    IFS=, read -r _ _ mps _ _ l50 l99 lmax qp50 qp99 _ <<<"$row"
    lag50[$label]=$l50 lag99[$label]=$l99 lagmax[$label]=$lmax q50[$label]=$qp50 q99[$label]=$qp99
    rate[$label]=$mps
}

echo "running: work 0 ..."; run none
echo "running: --work $work on the loop ..."; run heavy --work "$work"
echo "running: --work $work --offload threads --pool 1 ..."; run offload --work "$work" --offload threads --pool 1
echo "running: --work $work --offload threads (default pool of 4) ..."; run offload4 --work "$work" --offload threads
echo
printf '%-26s %10s %10s %10s %12s %12s %9s\n' "run (300 msgs at 150/s)" "lag p50" "lag p99" "lag max" \
    "query p50" "query p99" "msgs/s"
for l in none heavy offload offload4; do
    case $l in
        none) name="work 0";; heavy) name="heavy work, on the loop";;
        offload) name="offload, pool 1";; offload4) name="offload, pool 4";;
    esac
    printf '%-26s %8s ms %8s ms %8s ms %9s us %9s us %9s\n' "$name" "${lag50[$l]}" "${lag99[$l]}" \
        "${lagmax[$l]}" "${q50[$l]}" "${q99[$l]}" "${rate[$l]}"
done
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }
# a >= k * b (k = 1 when omitted), for choosing the sentence the numbers support
ge() { awk -v a="$1" -v b="$2" -v k="${3:-1}" 'BEGIN { exit !(a >= k * b) }'; }
work_ms=$(awk -v w="$work" -v ns="$ns_per_unit" 'BEGIN { printf "%.1f", w * ns / 1e6 }')
cores=$(nproc) load=$(cut -d' ' -f1 /proc/loadavg)
# Each sentence is chosen by the figures above: where a run does not show the
# lesson, the demo says what it did show.
echo "work 0:          the loop is idle between messages; a beat or a query waits only for poll to wake up (p99 ${lag99[none]} ms)."
if ge "${lag99[heavy]}" "$work_ms" 0.8; then
    echo "heavy work:      lag p99 ${lag99[heavy]} ms, $(ratio "${lag99[heavy]}" "${lag99[none]}") of work 0's and about one message's work ($work_ms ms): a beat or query"
    echo "                 arriving mid-message waits for it; the loop cannot interrupt CPU work."
else
    echo "heavy work:      lag p99 ${lag99[heavy]} ms, $(ratio "${lag99[heavy]}" "${lag99[none]}") of work 0's but below one message's work ($work_ms ms): in this run"
    echo "                 few beats fell due mid-message (the worst, lag max ${lagmax[heavy]} ms, shows what one that did waited)."
fi
if ge "${lag99[heavy]}" "${lag99[offload]}" 2; then
    echo "offload, pool 1: the work runs on libuv's thread pool (uv_queue_work); lag p99 is $(ratio "${lag99[offload]}" "${lag99[heavy]}") of the heavy run's:"
    echo "                 the loop only hands work out and applies results."
else
    echo "offload, pool 1: lag p99 ${lag99[offload]} ms against ${lag99[heavy]} ms on the loop: offloading did not halve it in this run."
    if ge "$load" "$cores"; then
        echo "                 The pool thread needs a core of its own, and other work kept the $cores cores busy (load average $load)."
    else
        echo "                 The machine was not busy (load average $load on $cores cores): rerun, and compare lag max."
    fi
fi
if ge "${lag99[offload4]}" "${lag99[offload]}" 1.2; then
    echo "offload, pool 4: p99 ${lag99[offload4]} ms vs ${lag99[offload]} ms with pool 1: with more pool threads than spare cores the loop thread"
    echo "                 must queue for a CPU; size UV_THREADPOOL_SIZE to the cores."
else
    echo "offload, pool 4: p99 ${lag99[offload4]} ms vs ${lag99[offload]} ms with pool 1: the extra pool threads did not crowd the loop in this run"
    echo "                 ($cores cores); they would once there are more busy threads than spare cores."
fi
echo "(lag = how late a 1 ms heartbeat timer fired; query = STATS round trip seen by a client thread; $cores cores; one run each, expect noise on a shared machine)"
