# experiments/common.sh: what every experiment driver shares. Sourced, not run.
#
# A driver is experiments/NAME.sh. It writes results/NAME.csv: the SPEC §6
# metadata lines (from bin/csvmeta, the same code the C programs use), extra
# "# name=value" lines (mode, repeats, ...), the header, one row per point.
# It writes NAME.csv.tmp first and renames it at the end, so a failed or
# interrupted run never leaves a half-written result behind.
#
# Environment:
#   KIT_BIN   where the programs are (default bin)
#   RESULTS   where the CSV goes (default results); EXP_CSV overrides the whole path
#             (a variable of our own: a plain OUT may be set for other reasons)
#   FULL=1    the lecture-size run (more points, more messages, more repeats)
#   QUICK=tiny   the smallest run that still exercises every code path (tests)
# Progress goes to stderr as "NAME: 3/10 processes workers=4 ...".

set -euo pipefail

KIT_BIN=${KIT_BIN:-bin}
RESULTS=${RESULTS:-results}

# The size of the run: tiny (tests), quick (default, minutes for all), full.
if [ "${FULL:-0}" = 1 ]; then
    MODE=full
elif [ "${QUICK:-}" = tiny ]; then
    MODE=tiny
else
    MODE=quick
fi

# kit_begin NAME: start the driver NAME; sets EXP, CSV_OUT and TMP.
kit_begin() {
    EXP=$1
    CSV_OUT=${EXP_CSV:-$RESULTS/$EXP.csv}
    TMP=$CSV_OUT.tmp
    if [ -d "$CSV_OUT" ]; then
        echo "$EXP: $CSV_OUT is a directory, not a CSV file to write" >&2
        exit 1
    fi
    mkdir -p "$(dirname "$CSV_OUT")"
    trap 'rm -f "$TMP"' EXIT
    # One experiment at a time, even under make -j: two would share the cores
    # and each would measure the other.
    exec 9> "$(dirname "$CSV_OUT")/.experiment.lock"
    if ! flock -n 9; then
        progress "waiting for the experiment already running to finish"
        flock 9
    fi
    SECONDS=0                   # the time reported at the end is the run's own
}

# pick TINY QUICK FULL: the value for this run's mode.
pick() {
    case $MODE in
        tiny) echo "$1" ;;
        quick) echo "$2" ;;
        full) echo "$3" ;;
    esac
}

# need PROG...: fail with one clear line unless every program is built.
need() {
    local p
    for p in "$@"; do
        if [ ! -x "$KIT_BIN/$p" ]; then
            echo "$EXP: $KIT_BIN/$p is missing: build it first (make $KIT_BIN/$p)" >&2
            exit 1
        fi
    done
}

# need_flag PROG FLAG: fail clearly if PROG's --help does not mention FLAG.
need_flag() {
    if ! "$KIT_BIN/$1" --help 2>&1 | grep -q -- "$2"; then
        echo "$EXP: $KIT_BIN/$1 has no $2 flag (see its --help); this experiment needs it" >&2
        exit 1
    fi
}

# meta LINE...: the metadata block, then "# LINE" for each extra argument.
# The recorded command is the driver with the mode that was asked for.
meta() {
    local how=()
    [ "$MODE" = full ] && how+=(FULL=1)
    [ "$MODE" = tiny ] && how+=(QUICK=tiny)
    "$KIT_BIN/csvmeta" ${how[@]+"${how[@]}"} "experiments/$EXP.sh" > "$TMP"
    echo "# mode=$MODE" >> "$TMP"
    local l
    for l in "$@"; do
        echo "# $l" >> "$TMP"
    done
}

# row FIELD...: append one CSV row (fields joined by commas).
row() {
    local IFS=,
    echo "$*" >> "$TMP"
}

# progress TEXT: one progress line on stderr.
progress() {
    echo "$EXP: $*" >&2
}

# kit_end: the run is complete; move the result into place.
kit_end() {
    mv "$TMP" "$CSV_OUT"
    trap - EXIT
    progress "wrote $CSV_OUT ($(grep -vc '^#' "$CSV_OUT") lines) in ${SECONDS} s"
}

# csv_col COLUMN < program --csv output: the value of COLUMN in the first data
# row after the header (metadata lines skipped). Empty if there is no such column.
csv_col() {
    awk -F, -v want="$1" '
        /^#/ || NF == 0 { next }
        !hdr { for (i = 1; i <= NF; i++) if ($i == want) col = i; hdr = 1; next }
        { if (col) print $col; exit }'
}

# median: the median of the numbers on stdin, one per line.
# Blank lines are ignored.
median() {
    grep -v '^[[:space:]]*$' | sort -g | awk '{ v[++n] = $1 } END {
        if (n == 0) exit 1
        if (n % 2) print v[(n + 1) / 2]; else printf "%.6g\n", (v[n / 2] + v[n / 2 + 1]) / 2 }'
}

# fmt NUMBER [DIGITS]: a number with a fixed number of decimals (default 3).
fmt() {
    awk -v x="$1" -v d="${2:-3}" 'BEGIN { printf "%.*f\n", d, x }'
}

# cores: CPUs online.
cores() {
    getconf _NPROCESSORS_ONLN
}

# run PROG ARG...: run a kit pipeline with --csv --quiet and keep its output in
# RUN_OUT for col. A failure stops the driver with the program's own message.
run() {
    run_csv "$@" --quiet
}

# run_csv PROG ARG...: the same for a program that has --csv but no --quiet.
run_csv() {
    local prog=$1 err
    shift
    err=$(mktemp)
    if ! RUN_OUT=$("$KIT_BIN/$prog" "$@" --csv 2> "$err"); then
        echo "$EXP: $KIT_BIN/$prog $* failed:" >&2
        cat "$err" >&2
        rm -f "$err"
        exit 1
    fi
    rm -f "$err"
}

# col NAME: column NAME of the last run's --csv row (fails if it has none).
col() {
    local v
    v=$(csv_col "$1" <<< "$RUN_OUT")
    if [ -z "$v" ]; then
        echo "$EXP: no column '$1' in the --csv row of the last run" >&2
        exit 1
    fi
    echo "$v"
}

# bench CSV_ROWS_FILE NAME CMD [NAME CMD ...]: time whole programs with hyperfine
# (HF_RUNS runs after one warm-up, no shell in between: -N) and append rows
#   command,mean_s,stddev_s,min_s,max_s,median_s,user_s,system_s,runs
# to the result, converted from hyperfine's --export-csv, with ",$BENCH_LANG"
# after runs when BENCH_LANG is set (the lang column). Its own progress goes
# to stderr.
bench() {
    local raw args=()
    raw=$(mktemp)
    while [ $# -ge 2 ]; do
        args+=(-n "$1" "$2")
        shift 2
    done
    if ! hyperfine -N --style basic --warmup 1 --runs "${HF_RUNS:-5}" --export-csv "$raw" \
            "${args[@]}" >&2; then
        echo "$EXP: hyperfine failed (see above)" >&2
        rm -f "$raw"
        exit 1
    fi
    awk -F, -v runs="${HF_RUNS:-5}" -v lang="${BENCH_LANG:+,$BENCH_LANG}" '
        NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
        { printf "%s,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%d%s\n", $h["command"], $h["mean"], $h["stddev"],
              $h["min"], $h["max"], $h["median"], $h["user"], $h["system"], runs, lang }' "$raw" >> "$TMP"
    rm -f "$raw"
}

# kit_mpirun ARG...: phase5_cluster/kitmpirun.sh ARG... (mpirun as the kit runs
# it: root, --oversubscribe, --transport shm|tcp, a time limit). Open MPI is not
# built with the sanitizers: under ASan the ranks run without the leak check
# (Open MPI dlclose()s its components, leaving leaks no suppression can name),
# under TSan without reports (its TCP transport's own locks read as lock-order
# inversions). tests/test_phase5.c says the same for the suites.
kit_mpirun() {
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" TSAN_OPTIONS="${TSAN_OPTIONS:-} report_bugs=0" \
        "$(dirname "${BASH_SOURCE[0]}")/../phase5_cluster/kitmpirun.sh" "$@"
}

# ------------------------------------------------------------ the Python lane
# The course's own programs, measured beside the C kit (a `lang` column:
# c or python). PYTHON is the interpreter whose packages scripts/deps.sh
# installs (Debian's); a machine without it still runs every C row.
PYTHON=${PYTHON:-/usr/bin/python3}

# kit_python_ok MODULE...: true if $PYTHON runs and imports every MODULE.
# Otherwise one progress line saying what is missing, PY_MISSING set to it
# (for the "# python=not measured (...)" metadata line), and false.
kit_python_ok() {
    local err
    if ! err=$("$PYTHON" -c "import sys; sys.path.pop(0); import multiprocessing${1:+, $(IFS=,; echo "$*")}" 2>&1); then
        PY_MISSING="$PYTHON cannot import what it needs: ${err##*$'\n'} (install python3 and python3-msgpack, python3-numpy: scripts/deps.sh)"
        command -v "$PYTHON" > /dev/null || PY_MISSING="no $PYTHON (install python3: scripts/deps.sh)"
        progress "python: not measured: $PY_MISSING"
        return 1
    fi
    return 0
}

# py_meta: the metadata line that says whether the Python rows were measured.
py_meta() {
    if [ -n "${PY_MISSING:-}" ]; then
        echo "python=not measured ($PY_MISSING)"
    else
        echo "python=$("$PYTHON" -c 'import platform; print(platform.python_version())') ($PYTHON)"
    fi
}

# with_lang LANG: copy a CSV from stdin adding a last column, lang, whose
# value is LANG in every row (the header gains "lang"; # lines pass).
with_lang() {
    awk -F, -v lang="$1" '/^#/ || NF == 0 { print; next }
        !hdr { print $0 ",lang"; hdr = 1; next } { print $0 "," lang }'
}

# py_rows SCRIPT ARG...: run the Python measuring SCRIPT with $PYTHON and
# append its rows to the result; its header must be the result's (lang
# included), so a column never lands under another's name.
py_rows() {
    local out want
    if ! out=$("$PYTHON" "$@"); then
        echo "$EXP: $PYTHON $* failed (see above)" >&2
        exit 1
    fi
    want=$(grep -v '^#' "$TMP" | head -n 1)
    if [ "$(head -n 1 <<< "$out")" != "$want" ]; then
        echo "$EXP: $PYTHON $1 wrote columns '$(head -n 1 <<< "$out")', not '$want'" >&2
        exit 1
    fi
    tail -n +2 <<< "$out" >> "$TMP"
}

# run_py SCRIPT ARG...: run a Python twin with --csv --quiet under $PYTHON and
# keep its output in RUN_OUT for col, as run does for a kit program.
run_py() {
    local err
    err=$(mktemp)
    if ! RUN_OUT=$("$PYTHON" "$@" --csv --quiet 2> "$err"); then
        echo "$EXP: $PYTHON $* failed:" >&2
        cat "$err" >&2
        rm -f "$err"
        exit 1
    fi
    rm -f "$err"
}

# ------------------------------------------------- a C program and its twin
# A driver that times bin/PROG and its Python twin as whole programs with
# hyperfine (threads_vs_processes, parallel_map).
#
# twins_begin NAME PROG: kit_begin NAME; fail with one clear line unless PROG
# is built and hyperfine installed; set HF_RUNS (C) and PY_RUNS (Python) for
# this mode, and PY_OK (1 if the twin can run here, else 0).
twins_begin() {
    kit_begin "$1"
    need "$2"
    command -v hyperfine > /dev/null || { echo "$EXP: hyperfine is missing (scripts/deps.sh installs it)" >&2; exit 1; }
    HF_RUNS=$(pick 2 3 10)   # quick: 3 runs (was 5), to keep a quick `make plots` under 4 min
    PY_RUNS=$(pick 2 3 5)
    PY_OK=1
    kit_python_ok || PY_OK=0
}

# twins_meta C_LINE PY_LINE: meta with the repeats, C_LINE, the python (py_meta),
# PY_LINE and the Python repeats.
twins_meta() {
    meta "repeats=$HF_RUNS hyperfine runs after 1 warm-up (median, mean, stddev, min, max over them; the plot and findings use the median; quick mode runs 3, FULL 10, to keep a quick make plots under 4 minutes)" \
         "$1" "$(py_meta)" "$2" "py_repeats=$PY_RUNS hyperfine runs after 1 warm-up"
}

# bench_twins C_CMD PY_CMD PY_NOTE NAME ARGS [NAME ARGS ...]: bench's header
# (with lang), then each point NAME timed as "C_CMD ARGS" (lang c, HF_RUNS
# runs), then, if PY_OK, as "PY_CMD ARGS" (lang python, PY_RUNS runs) after the
# progress line PY_NOTE.
bench_twins() {
    local c=$1 p=$2 note=$3 c_points=() p_points=()
    shift 3
    while [ $# -ge 2 ]; do
        c_points+=("$1" "$c $2")
        p_points+=("$1" "$p $2")
        shift 2
    done
    echo "command,mean_s,stddev_s,min_s,max_s,median_s,user_s,system_s,runs,lang" >> "$TMP"
    BENCH_LANG=c bench "${c_points[@]}"
    if [ "$PY_OK" = 1 ]; then
        progress "$note"
        HF_RUNS=$PY_RUNS BENCH_LANG=python bench "${p_points[@]}"
    fi
}
