#!/usr/bin/env bash
# phase5_cluster/demo.sh: a ~25 s narrated tour of bin/phase5 (run by `make phase5`).
#   1. the same pipeline as phase 3, on MPI ranks: the dump equals bin/reference's
#   2. the same run with the network transport (TCP on loopback) instead of shared memory
#   3. a query answered while messages flow, then SHUTDOWN
#   4. a worker rank killed: MPI ends the whole job, and says so
# Every mpirun goes through kitmpirun.sh, which adds what root and a small
# machine need (--oversubscribe, OMPI_ALLOW_RUN_AS_ROOT*); the commands shown
# are the ones you would type yourself.
set -euo pipefail
BIN=${BIN:-bin}
HERE=$(cd "$(dirname "$0")" && pwd)
P5=$BIN/phase5 REF=$BIN/reference CTL=$BIN/kitctl MPIRUN=$HERE/kitmpirun.sh
source "$HERE/../scripts/demo-common.sh"
demo_begin "$P5" "$REF" "$CTL"
command -v mpirun >/dev/null || { echo "demo: mpirun is missing: scripts/deps.sh installs openmpi-bin" >&2; exit 1; }
FLAGS=(--messages 200000 --keys 500 --dist zipf --seed 5)

say "1. The phase-3 pipeline on MPI: rank 0 reads and routes, ranks 1..N apply"
$REF "${FLAGS[@]}" --dump-state "$TMP/ref.csv" --quiet
for n in 2 4; do
    note "\$ mpirun -np $((n + 1)) $P5 ${FLAGS[*]} --dump-state p5.csv"
    $MPIRUN -np $((n + 1)) "$P5" "${FLAGS[@]}" --dump-state "$TMP/p5.csv" 2>&1 | sed 's/^/     /'
    if cmp -s "$TMP/ref.csv" "$TMP/p5.csv"; then
        note "$n worker ranks: dump byte-identical to bin/reference"
    else
        note "$n worker ranks: DIFFERS from bin/reference (this is a bug)"; exit 1
    fi
done
note "Across machines it is the same program: mpirun --hostfile hosts -np 5 $P5 ..."

say "2. Shared memory against the network: --mca btl tcp,self (TCP on loopback)"
for t in shm tcp; do
    note "--transport $t:"
    $MPIRUN --transport $t -np 3 "$P5" "${FLAGS[@]}" 2>&1 | head -1 | grep -o 'applied.*msgs/s' | sed 's/^/     /'
done
note "Same machine, same ranks: only the path between them changed (bin/mpibench and the"
note "ipc_size plot show what one message costs on each)."

say "3. A query answered while messages flow"
SOCK=$TMP/ctl.sock
$MPIRUN -np 3 "$P5" --messages 0 --work 40 --control "$SOCK" 2>"$TMP/err" &
BGPID=$!
demo_get_twice "$CTL" "$SOCK" 200 "the owner rank answers, the state moves on"
note "\$ kitctl $SOCK STATS"
$CTL "$SOCK" STATS | tr ' ' '\n' | sed 's/^/     /'
note "\$ kitctl $SOCK SHUTDOWN -> $($CTL "$SOCK" SHUTDOWN)"
wait "$BGPID" || true
BGPID=
sed 's/^/   /' "$TMP/err"

say "4. A worker rank dies: MPI ends the whole job (there is no respawn, unlike phase 3)"
$MPIRUN -np 4 "$P5" --messages 0 --control "$SOCK" --quiet 2>"$TMP/err" &
BGPID=$!
demo_wait_socket "$SOCK" 200
sleep 0.5
VICTIM=$($CTL "$SOCK" STATS | sed 's/.*pids=//' | cut -d, -f2)
note "kill -9 $VICTIM (rank 2)"
kill -9 "$VICTIM"
rc=0
wait "$BGPID" || rc=$?
BGPID=
grep -E '^(phase5|kitmpirun|mpirun noticed)' "$TMP/err" | fold -s -w 110 | sed 's/^/   /'
note "exit status $rc. Surviving this takes what a real cluster adds: checkpoints to restart"
note "from, or ULFM (MPI_Comm_shrink) to carry on without the dead rank. See README.md."
