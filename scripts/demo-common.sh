# scripts/demo-common.sh: what the narrated demos of a pipeline with a control
# socket share (phase3_processes/pipeline/demo.sh, phase5_cluster/demo.sh).
# Sourced, not run; the demo sets BIN (and `set -euo pipefail`) first.
#
# demo_begin PROG...: fail with one line unless every PROG is an executable;
#   then TMP, a fresh folder removed at exit, and BGPID, the background run
#   (killed and reaped at exit if still set).
# say TEXT: a section title.   note TEXT: an indented line.
# demo_wait_socket SOCK TRIES: wait up to TRIES x 50 ms for the socket SOCK.
# demo_get_twice CTL SOCK TRIES WHY: once SOCK is there, ask GET k0001 twice,
#   0.5 s apart, with CTL (bin/kitctl); WHY says what the two answers show.

demo_begin() {
    local p
    for p in "$@"; do
        [[ -x $p ]] || { echo "demo: $p is missing: run make first" >&2; exit 1; }
    done
    TMP=$(mktemp -d)
    BGPID=
    trap demo_cleanup EXIT
}

demo_cleanup() {
    [[ -n $BGPID ]] && kill "$BGPID" 2>/dev/null && wait "$BGPID" 2>/dev/null
    rm -rf "$TMP"
}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { printf '   %s\n' "$*"; }

demo_wait_socket() {
    for _ in $(seq "$2"); do [[ -S $1 ]] && break; sleep 0.05; done
}

demo_get_twice() {
    local ctl=$1 sock=$2
    demo_wait_socket "$sock" "$3"
    note "\$ kitctl $sock 'GET k0001'   (twice, 0.5 s apart: $4)"
    "$ctl" "$sock" 'GET k0001' | sed 's/^/     /'
    sleep 0.5
    "$ctl" "$sock" 'GET k0001' | sed 's/^/     /'
}
