#!/usr/bin/env bash
# kitmpirun.sh: mpirun as the kit's own scripts and tests run it. Usage:
#
#   phase5_cluster/kitmpirun.sh [--transport shm|tcp] MPIRUN-ARGS...
#   e.g. phase5_cluster/kitmpirun.sh --transport tcp -np 3 bin/phase5 --messages 1000
#
# What it adds, and only here (never in the user's environment):
#   OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
#       CI runs as root, which Open MPI refuses without both;
#   --oversubscribe
#       more ranks than cores (the tests run 5 ranks on 2 cores); mpirun then
#       also makes waiting ranks yield their core;
#   --transport shm|tcp
#       --mca pml ob1 --mca btl vader,self (shared memory) or tcp,self (TCP over
#       loopback, the network path of a real cluster); default: mpirun's choice;
#   a time limit ($KIT_MPI_TIMEOUT seconds, default 120): timeout sends mpirun
#       SIGTERM, and mpirun takes its ranks down with it, so no rank outlives a
#       test that gave up (a SIGKILLed mpirun would orphan them);
#   exit status per SPEC §4: 0, 2 and 65 pass through; anything else (mpirun
#       exits 128+N when a rank was killed by signal N, or the code MPI_Abort
#       was given) becomes 1, with one line saying what mpirun returned.
set -u
transport=
if [ "${1:-}" = --transport ]; then
    transport=${2:-}
    shift 2
fi
case $transport in
    '') mca=() ;;
    shm) mca=(--mca pml ob1 --mca btl vader,self) ;;
    tcp) mca=(--mca pml ob1 --mca btl tcp,self --mca btl_tcp_if_include lo) ;;
    *) echo "kitmpirun.sh: --transport takes shm or tcp, not '$transport'" >&2; exit 2 ;;
esac
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Open MPI's session directory (shared-memory backing files) goes to $TMPDIR.
timeout --kill-after=5 "${KIT_MPI_TIMEOUT:-120}" mpirun --oversubscribe "${mca[@]}" "$@"
rc=$?
case $rc in
    0|2|65) exit $rc ;;
    124) echo "kitmpirun.sh: mpirun ran past ${KIT_MPI_TIMEOUT:-120} s and was stopped" >&2 ;;
    *) if [ $rc -gt 128 ]; then
           echo "kitmpirun.sh: mpirun exited $rc: a rank was killed by signal $((rc - 128)); the run is lost (exit 1)" >&2
       else
           echo "kitmpirun.sh: mpirun exited $rc: a rank failed; the run is lost (exit 1)" >&2
       fi ;;
esac
exit 1
