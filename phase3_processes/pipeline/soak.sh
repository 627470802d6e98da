#!/usr/bin/env bash
# phase3_processes/pipeline/soak.sh: bin/phase3 under fire. SOAK_MESSAGES messages (10 M by
# default) go through bin/phase3 while every SOAK_KILL_MS ms (1000) a random
# worker meets a random fault of SOAK_FAULTS (default "kill stop hang"):
#   kill   SIGKILL: respawned from its checkpoint and replayed;
#   stop   SIGSTOP, then SIGCONT after half of --hang-ms (SOAK_HANG_MS, 400): a
#          pause the run must ride out without killing anyone;
#   hang   SIGSTOP and left so: the watchdog must kill it after --hang-ms and
#          recover it like any death.
# With SOAK_SUP_KILL_MS > 0 (default 0: off) the SUPERVISOR is SIGKILLed that
# often too (its workers follow it) and started again with --resume from its
# --state-dir (a snapshot every SOAK_SNAPSHOT_MS ms, 200). It passes when, at
# the end:
#   1. the dump equals bin/reference's for the same stream, byte for byte, and
#      the last phase3 exited 0 (every killed worker was respawned from its
#      checkpoint and replayed, every killed supervisor resumed from its last
#      snapshot: nothing lost, nothing applied twice);
#   2. the supervisor's memory and fds did not LEAK. Sampled every SOAK_SAMPLE_MS ms
#      (1000) from /proc/PID/status (VmRSS) and /proc/PID/fd, only while STATS
#      says phase=running. The first SOAK_WARMUP percent of the samples (20; at
#      least one) are the warm-up and are not judged; the rest are cut in thirds,
#      and the rule compares FLOORS: the smallest fd count among the first third
#      with the smallest among the last third. The floor of the last third may be
#      at most SOAK_FD_SLACK (2) above the first's; the same for VmRSS with
#      SOAK_RSS_SLACK_KIB (8192). With supervisor kills the samples span its
#      incarnations (each starts afresh, so a leak shows within one only).
#      Why floors and not max - min: a respawn in progress briefly holds more fds
#      (the new worker's two socketpairs beside the dying one's, the sampler's
#      own kitctl connection not closed yet): a sample that lands in one reads
#      ~6 high, and under load that happens. A transient only ever ADDS to a
#      sample, and a third holds many samples, most of them between respawns, so
#      the floor of a third is the resting level. A leak raises the resting
#      level: one fd (or one log) kept per respawn lifts the last third's floor
#      by every kill made between the two thirds, and a kill every KILL_MS over
#      a run of many KILL_MS makes that more than the slack (the Check suite's
#      short soak kills a dozen times; a phase3 built to keep one dup()ed fd per
#      respawn failed it with the floor up by 8 or 9). Memory the same: a replay
#      buffer never trimmed grows the floor with the messages;
#   3. no child is left: every worker pid ever seen in STATS is gone;
#   4. no shared memory: no process of the run mapped a /dev/shm file, and
#      /dev/shm holds no entry that was not there before (set SOAK_SHM_STRICT=0 to
#      report rather than fail on new entries nobody of ours mapped: other
#      programs running at the same time may create some).
# Usage: BIN=bin phase3_processes/pipeline/soak.sh     (exit 0 = passed, 1 = failed)
# Knobs: SOAK_MESSAGES SOAK_KILL_MS SOAK_SAMPLE_MS SOAK_WORKERS SOAK_KEYS SOAK_WORK
#        SOAK_SEED SOAK_WARMUP SOAK_RSS_SLACK_KIB SOAK_FD_SLACK SOAK_SHM_STRICT
#        SOAK_FAULTS SOAK_HANG_MS SOAK_SUP_KILL_MS SOAK_SNAPSHOT_MS
#        SOAK_EXTRA (more phase3 flags, e.g. "--checkpoint-every 1000")
set -uo pipefail
BIN=${BIN:-bin}
P3=$BIN/phase3 REF=$BIN/reference CTL=$BIN/kitctl
MESSAGES=${SOAK_MESSAGES:-10000000}
KILL_MS=${SOAK_KILL_MS:-1000}
SAMPLE_MS=${SOAK_SAMPLE_MS:-1000}
WORKERS=${SOAK_WORKERS:-4}
KEYS=${SOAK_KEYS:-1000}
WORK=${SOAK_WORK:-0}
SEED=${SOAK_SEED:-42}
WARMUP=${SOAK_WARMUP:-20}
RSS_SLACK=${SOAK_RSS_SLACK_KIB:-8192}
FD_SLACK=${SOAK_FD_SLACK:-2}
SHM_STRICT=${SOAK_SHM_STRICT:-1}
read -r -a FAULTS <<<"${SOAK_FAULTS:-kill stop hang}"
HANG_MS=${SOAK_HANG_MS:-400}
SUP_KILL_MS=${SOAK_SUP_KILL_MS:-0}
SNAPSHOT_MS=${SOAK_SNAPSHOT_MS:-200}
read -r -a EXTRA <<<"${SOAK_EXTRA:-}"
for p in "$P3" "$REF" "$CTL"; do
    [[ -x $p ]] || { echo "soak: $p is missing: build it first (make)" >&2; exit 1; }
done

TMP=$(mktemp -d)
P3PID=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
    if [[ -n $P3PID ]] && kill -0 "$P3PID" 2>/dev/null; then
        kill -KILL "$P3PID" 2>/dev/null
        wait "$P3PID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
say() { printf 'soak: %s\n' "$*" >&2; }

STREAM=(--messages "$MESSAGES" --keys "$KEYS" --seed "$SEED" --dist zipf)
find /dev/shm -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort >"$TMP/shm.before"

say "reference dump of ${MESSAGES} messages (${KEYS} keys, zipf, seed ${SEED}) ..."
"$REF" "${STREAM[@]}" --dump-state "$TMP/ref.csv" --quiet || { say "bin/reference failed"; exit 1; }

say "phase3 --workers $WORKERS --work $WORK ${EXTRA[*]}: every ${KILL_MS} ms a random worker meets one of: ${FAULTS[*]} (--hang-ms $HANG_MS)$( ((SUP_KILL_MS > 0)) && echo "; the supervisor SIGKILLed every ${SUP_KILL_MS} ms and resumed"); sampling every ${SAMPLE_MS} ms"
SOCK=$TMP/ctl.sock
DURABLE=()
((SUP_KILL_MS > 0)) && DURABLE=(--state-dir "$TMP/state" --snapshot-ms "$SNAPSHOT_MS")
start_p3() {                                # $1: --resume or nothing
    "$P3" "${STREAM[@]}" --workers "$WORKERS" --work "$WORK" --hang-ms "$HANG_MS" "${EXTRA[@]}" "${DURABLE[@]}" \
        ${1:+"$1"} --control "$SOCK" --dump-state "$TMP/p3.csv" 2>>"$TMP/err" &
    P3PID=$!
}
: >"$TMP/err"
start_p3

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
sample() {                                  # one line: ms rss_kib fds
    local rss fds
    # Only while it runs: once the input is over it closes its channels and
    # frees its logs (and a sanitizer build checks for leaks at exit), which
    # would read as a drop, and a zombie has nothing left to count.
    "$CTL" "$SOCK" STATS 2>/dev/null | grep -q 'phase=running' || return 1
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$P3PID/status" 2>/dev/null) || return 1
    fds=$(find "/proc/$P3PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    [[ -n $rss ]] && echo "$(now_ms) $rss $fds" >>"$TMP/samples"
}
maps_shm() {                                # any /dev/shm mapping in our processes?
    local p
    for p in "$P3PID" "$@"; do
        grep -q ' /dev/shm/' "/proc/$p/maps" 2>/dev/null && echo "$p" >>"$TMP/shm.mapped"
    done
}

: >"$TMP/samples"
: >"$TMP/pids"
kills=0 stops=0 hangs=0 sup_kills=0 stopped= cont_at=0
next_kill=$(( $(now_ms) + KILL_MS )) next_sample=$(now_ms) next_sup=$(( $(now_ms) + SUP_KILL_MS ))
# One fault on a random worker of a running phase3 (STATS names them).
fault() {
    local stats pids victim f
    stats=$("$CTL" "$SOCK" STATS 2>/dev/null) && [[ $stats == *phase=running* ]] || return 0
    IFS=, read -r -a pids <<<"${stats##*pids=}"
    printf '%s\n' "${pids[@]}" >>"$TMP/pids"
    maps_shm "${pids[@]}"
    victim=${pids[RANDOM % ${#pids[@]}]}
    f=${FAULTS[RANDOM % ${#FAULTS[@]}]}
    [[ $victim != 0 ]] || return 0
    case $f in
    kill) kill -KILL "$victim" 2>/dev/null && kills=$((kills + 1)) ;;
    stop) if [[ -z $stopped ]] && kill -STOP "$victim" 2>/dev/null; then
              stops=$((stops + 1)) stopped=$victim cont_at=$(( $(now_ms) + HANG_MS / 2 ))
          fi ;;
    hang) kill -STOP "$victim" 2>/dev/null && hangs=$((hangs + 1)) ;;
    esac
}
while :; do
    if ! kill -0 "$P3PID" 2>/dev/null; then
        wait "$P3PID"
        rc=$?
        break
    fi
    t=$(now_ms)
    if [[ -n $stopped ]] && (( t >= cont_at )); then
        kill -CONT "$stopped" 2>/dev/null
        stopped=
    fi
    if (( t >= next_sample )); then
        sample
        next_sample=$(( next_sample + SAMPLE_MS ))
    fi
    if (( t >= next_kill )); then
        next_kill=$(( next_kill + KILL_MS ))
        fault                               # only while running: the drain is the Check suite's business
    fi
    if (( SUP_KILL_MS > 0 && t >= next_sup )); then
        next_sup=$(( next_sup + SUP_KILL_MS ))
        if "$CTL" "$SOCK" STATS 2>/dev/null | grep -q 'phase=running'; then
            kill -KILL "$P3PID" 2>/dev/null
            wait "$P3PID" 2>/dev/null
            sup_kills=$((sup_kills + 1))
            say "supervisor SIGKILLed ($sup_kills), resuming from $(find "$TMP/state" -name 'snap-*' ! -name '*.tmp' | sort -V | tail -1 | xargs -r basename)"
            [[ -n $stopped ]] && stopped=        # it died with its supervisor
            start_p3 --resume
        fi
    fi
    sleep 0.02
done
P3PID=

fail=0
bad() { say "FAIL: $*"; fail=1; }
ok() { say "ok: $*"; }

# 1. the dump
summary_line() { grep -- "$1" "$TMP/err" | tail -n 1 | sed 's/^ *//'; }     # the last run's
if [[ $rc -ne 0 ]]; then
    bad "phase3 exited $rc:"; tail -n 20 "$TMP/err" >&2
elif ! cmp -s "$TMP/ref.csv" "$TMP/p3.csv"; then
    bad "the dump differs from bin/reference ($(diff "$TMP/ref.csv" "$TMP/p3.csv" | grep -c '^>') rows)"
else
    ok "dump == bin/reference ($(($(wc -l <"$TMP/ref.csv") - 1)) keys), exit 0, after $kills SIGKILLs, $stops stops, $hangs hangs, $sup_kills supervisor SIGKILLs + resumes"
fi
say "   $(summary_line '^phase3: [0-9]* messages')"
say "   $(summary_line 'restarts: ')"
say "   $(summary_line 'recovery: ')"
grep -A3 '  recovery: ' "$TMP/err" | tail -n 3 | sed 's/^ */soak:    /' >&2
[[ -n $(summary_line 'hangs: ') ]] && say "   $(summary_line 'hangs: ' | cut -c1-200)"
((SUP_KILL_MS > 0)) && say "   $(summary_line 'durable: ')"

# 2. no leak: the floor (minimum) of the last third of the samples against the
# floor of the first third, after the warm-up (see the header for why floors).
n=$(wc -l <"$TMP/samples")
skip=$(( n * WARMUP / 100 ))
(( skip < 1 )) && skip=1
m=$(( n - skip ))
if (( m < 3 )); then
    bad "only $n samples: the run was too short to judge a leak (more SOAK_MESSAGES or a smaller SOAK_SAMPLE_MS)"
else
    third=$(( m / 3 ))
    # r1/f1: floors of the first third, r3/f3: of the last; rlo..rhi, flo..fhi: the range.
    read -r r1 r3 rlo rhi f1 f3 flo fhi < <(tail -n +$((skip + 1)) "$TMP/samples" |
        awk -v t="$third" -v m="$m" '
            function lo(a, b) { return a == "" || b < a ? b : a }
            function hi(a, b) { return a == "" || b > a ? b : a }
            { rlo = lo(rlo, $2); rhi = hi(rhi, $2); flo = lo(flo, $3); fhi = hi(fhi, $3) }
            NR <= t     { r1 = lo(r1, $2); f1 = lo(f1, $3) }
            NR > m - t  { r3 = lo(r3, $2); f3 = lo(f3, $3) }
            END { print r1, r3, rlo, rhi, f1, f3, flo, fhi }')
    first=$(head -n 1 "$TMP/samples" | cut -d' ' -f2)
    what="$m samples after a warm-up of $skip, thirds of $third, $kills SIGKILLs, $hangs hangs, $sup_kills supervisor kills in all"
    if (( r3 - r1 > RSS_SLACK )); then
        bad "supervisor RSS grew: floor $r1 KiB over the first third, $r3 KiB over the last (+$((r3 - r1)) > $RSS_SLACK KiB; range $rlo..$rhi KiB over $what)"
    else
        ok "supervisor RSS flat: floor $r1 KiB over the first third, $r3 KiB over the last ($((r3 - r1)) <= $RSS_SLACK KiB; range $rlo..$rhi KiB over $what; first sample $first KiB)"
    fi
    if (( f3 - f1 > FD_SLACK )); then
        bad "supervisor fd count grew: floor $f1 over the first third, $f3 over the last (+$((f3 - f1)) > $FD_SLACK; range $flo..$fhi over $what)"
    else
        ok "supervisor fds flat: floor $f1 over the first third, $f3 over the last ($((f3 - f1)) <= $FD_SLACK; range $flo..$fhi over $what)"
    fi
fi

# 3. no child left
left=0
while read -r p; do
    [[ $p == 0 ]] && continue
    if [[ -r /proc/$p/stat ]] && ! awk '{ exit !($3 == "Z" || $3 == "X") }' "/proc/$p/stat" 2>/dev/null; then
        left=$((left + 1))
    fi
done < <(sort -u "$TMP/pids")
seen=$(sort -u "$TMP/pids" | grep -vc '^0$')
if (( left > 0 )); then bad "$left of $seen worker pids seen in STATS are still alive"; else ok "none of the $seen worker pids seen is alive"; fi

# 4. no shared memory
find /dev/shm -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort >"$TMP/shm.after"
new=$(comm -13 "$TMP/shm.before" "$TMP/shm.after" | tr '\n' ' ')
if [[ -s $TMP/shm.mapped ]]; then
    bad "processes of the run mapped /dev/shm files: pids $(sort -u "$TMP/shm.mapped" | tr '\n' ' ')"
elif [[ -n $new ]]; then
    if [[ $SHM_STRICT == 1 ]]; then bad "new in /dev/shm: $new"; else say "note: new in /dev/shm (not mapped by this run): $new"; fi
else
    ok "/dev/shm unchanged, and no process of the run mapped a /dev/shm file"
fi
if [[ $fail == 0 ]]; then say "PASSED"; else say "FAILED"; fi
exit "$fail"
