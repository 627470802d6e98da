#!/usr/bin/env bash
# scaling: throughput vs number of workers for a fixed CPU-bound load (--work
# per DATA message), in three modes:
#   processes        bin/phase3 --workers N  (each worker its own process)
#   threads-global   bin/phase2 --threads N --lock global  (one lock held for all
#                    the work: the GIL in C, so threads take turns)
#   threads-sharded  bin/phase2 --threads N --lock sharded (striped locks)
#   mpi              mpirun -np N+1 bin/phase5 (N worker ranks; see its block below)
#   shared           bin/phase4 --workers N (processes, state in shared memory)
# and the course's own Python, when bin/py_phase3 is built (lang=python):
#   py-processes     bin/py_phase3 --workers N  (mp.Process + mp.Queue per worker)
#   py-threads       bin/py_phase2 --threads N  (threading over one dict: the real GIL)
# Python's --work unit is the same integer mix in bytecode, ~100x a C unit, so its
# rows use fewer messages and units (py_* metadata); compare speedups, not msgs/s.
# speedup = msgs/s at N / msgs/s at 1 of the same mode. Each point is the median
# of `repeats` runs. Past the number of cores nothing can get faster.
# Columns: mode,workers,work,messages,seconds,msgs_per_s,speedup,repeats,cores,lang
source "$(dirname "$0")/common.sh"
kit_begin scaling
need phase3 phase2

workers=$(pick "1 2" "1 2 4 8" "1 2 4 8 16")
messages=$(pick 2000 20000 100000)
work=$(pick 20 50 50)
repeats=$(pick 1 3 5)
# The Python series: fewer messages, each DATA with ~1.2 ms of work (20 units).
py_workers=$(pick "1 2" "1 2" "1 2 4 8 16")
py_messages=$(pick 200 600 4000)
py_work=$(pick 2 20 20)
py_repeats=$(pick 1 5 5)
if [ -x "$KIT_BIN/py_phase3" ] && [ -x "$KIT_BIN/py_phase2" ]; then
    py_unit=$("$KIT_BIN/py_phase2" --calibrate | awk '{ print $5 }')
    py_note=("python=$("$KIT_BIN/py_phase2" --version | awk '{ print $2 }') ($KIT_BIN/py_phase2, $KIT_BIN/py_phase3)"
             "python_rows=py-processes, py-threads: $py_messages messages, --work $py_work (one Python unit = $py_unit us, bin/py_phase2 --calibrate), medians of $py_repeats")
else
    py_note=("python=not measured (no $KIT_BIN/py_phase3: make built no Python lane)")
fi
meta "repeats=$repeats" "work=$work (units of lib/fsm.c work_burn per DATA message; bin/workcal prints one unit's cost)" \
     "messages=$messages" "${py_note[@]}"
echo "mode,workers,work,messages,seconds,msgs_per_s,speedup,repeats,cores,lang" >> "$TMP"

# measure REPEATS CMD...: run CMD (it leaves its --csv row in RUN_OUT) REPEATS
# times; rate and sec become the medians of its msgs_per_s and seconds.
measure() {
    local reps=$1 rates="" secs="" r
    shift
    for r in $(seq "$reps"); do
        "$@"
        rates+="$(col msgs_per_s)"$'\n'
        secs+="$(col seconds)"$'\n'
    done
    rate=$(median <<< "$rates")
    sec=$(median <<< "$secs")
}

# emit MODE N MESSAGES REPEATS: the row of the point just measured; speedup is
# against the mode's first point (base, which each mode resets).
emit() {
    [ -z "$base" ] && base=$rate
    speedup=$(awk -v a="$rate" -v b="$base" 'BEGIN { printf "%.3f", a / b }')
    row "$1" "$2" "$work" "$3" "$sec" "$rate" "$speedup" "$4" "$(cores)" c
}

modes="processes threads-global threads-sharded"
total=$(( $(wc -w <<< "$modes") * $(wc -w <<< "$workers") ))
i=0
for mode in $modes; do
    base=""
    for n in $workers; do
        i=$((i + 1))
        case $mode in
            processes) measure "$repeats" run phase3 --workers "$n" --messages "$messages" --work "$work" ;;
            threads-global) measure "$repeats" run phase2 --threads "$n" --lock global --messages "$messages" --work "$work" ;;
            threads-sharded) measure "$repeats" run phase2 --threads "$n" --lock sharded --messages "$messages" --work "$work" ;;
        esac
        emit "$mode" "$n" "$messages" "$repeats"
        progress "$i/$total $mode workers=$n: $(fmt "$rate" 0) msgs/s (${speedup}x of 1)"
    done
done

# --- mpi: bin/phase5 under mpirun, N worker ranks + rank 0 (phase5_cluster/).
# mpirun costs ~0.5-1 s a start, so this series runs fewer messages and repeats
# in quick mode (its speedup is against its own 1 worker rank, as every mode's).
mpi_workers=$(pick "1 2" "1 2 4 8" "1 2 4 8 16")
mpi_messages=$(pick 2000 10000 "$messages")
mpi_repeats=$(pick 1 2 "$repeats")
command -v mpirun > /dev/null || { progress "mpi: skipped, mpirun not found (scripts/deps.sh installs openmpi-bin)"; mpi_workers=""; }
# mpi_run N: one run of N worker ranks, its --csv row in RUN_OUT.
mpi_run() {
    if ! RUN_OUT=$(kit_mpirun -np $(($1 + 1)) "$KIT_BIN/phase5" --messages "$mpi_messages" --work "$work" \
            --csv --quiet); then
        echo "$EXP: mpirun -np $(($1 + 1)) $KIT_BIN/phase5 failed (see above)" >&2
        exit 1
    fi
}
base=""
for n in $mpi_workers; do
    measure "$mpi_repeats" mpi_run "$n"
    emit mpi "$n" "$mpi_messages" "$mpi_repeats"
    progress "mpi worker ranks=$n: $(fmt "$rate" 0) msgs/s (${speedup}x of 1; median of $mpi_repeats)"
done

# --- phase 4 (phase4_shared/): the same load on bin/phase4 --workers N, the
# process pool with its state in shared memory; mode "shared". Skipped, with a
# line on stderr, where bin/phase4 is not built.
if [ -x "$KIT_BIN/phase4" ]; then
    base=""
    for n in $workers; do
        measure "$repeats" run phase4 --workers "$n" --messages "$messages" --work "$work"
        emit shared "$n" "$messages" "$repeats"
        progress "shared (phase4) workers=$n: $(fmt "$rate" 0) msgs/s (${speedup}x of 1)"
    done
else
    progress "$KIT_BIN/phase4 not built: no shared series"
fi

# The Python series (lang=python), when the Python lane is built. The repeats
# go round the worker counts (1 2 1 2 ...), so a load that comes and goes on a
# shared machine falls on every count alike, not on one.
if [ -x "$KIT_BIN/py_phase3" ] && [ -x "$KIT_BIN/py_phase2" ]; then
    for mode in py-processes py-threads; do
        declare -A rates=() secs=()
        for r in $(seq "$py_repeats"); do
            for n in $py_workers; do
                case $mode in
                    py-processes) run py_phase3 --workers "$n" --messages "$py_messages" --work "$py_work" ;;
                    py-threads) run py_phase2 --threads "$n" --messages "$py_messages" --work "$py_work" ;;
                esac
                rates[$n]+="$(col msgs_per_s)"$'\n'
                secs[$n]+="$(col seconds)"$'\n'
            done
        done
        base=""
        for n in $py_workers; do
            rate=$(median <<< "${rates[$n]}")
            [ -z "$base" ] && base=$rate
            speedup=$(awk -v a="$rate" -v b="$base" 'BEGIN { printf "%.3f", a / b }')
            row "$mode" "$n" "$py_work" "$py_messages" "$(median <<< "${secs[$n]}")" "$rate" "$speedup" \
                "$py_repeats" "$(cores)" python
            progress "python $mode workers=$n: $(fmt "$rate" 0) msgs/s (${speedup}x of 1)"
        done
    done
else
    progress "python: not measured (no $KIT_BIN/py_phase3)"
fi
kit_end
