#!/usr/bin/env bash
# scaling: throughput vs number of workers for a fixed CPU-bound load (--work
# per DATA message), in three modes:
#   processes        bin/phase3 --workers N  (each worker its own process)
#   threads-global   bin/phase2 --threads N --lock global  (one lock held for all
#                    the work: the GIL in C, so threads take turns)
#   threads-sharded  bin/phase2 --threads N --lock sharded (striped locks)
#   mpi              mpirun -np N+1 bin/phase5 (N worker ranks; see its block below)
#   shared           bin/phase4 --workers N (processes, state in shared memory)
# speedup = msgs/s at N / msgs/s at 1 of the same mode. Each point is the median
# of `repeats` runs. Past the number of cores nothing can get faster.
# Columns: mode,workers,work,messages,seconds,msgs_per_s,speedup,repeats,cores
source "$(dirname "$0")/common.sh"
kit_begin scaling
need phase3 phase2

workers=$(pick "1 2" "1 2 4 8" "1 2 4 8 16")
messages=$(pick 2000 20000 100000)
work=$(pick 20 50 50)
repeats=$(pick 1 3 5)
meta "repeats=$repeats" "work=$work (units of lib/fsm.c work_burn per DATA message; bin/workcal prints one unit's cost)" \
     "messages=$messages"
echo "mode,workers,work,messages,seconds,msgs_per_s,speedup,repeats,cores" >> "$TMP"

modes="processes threads-global threads-sharded"
total=$(( $(wc -w <<< "$modes") * $(wc -w <<< "$workers") ))
i=0
for mode in $modes; do
    base=""
    for n in $workers; do
        i=$((i + 1))
        rates="" secs=""
        for r in $(seq "$repeats"); do
            case $mode in
                processes) run phase3 --workers "$n" --messages "$messages" --work "$work" ;;
                threads-global) run phase2 --threads "$n" --lock global --messages "$messages" --work "$work" ;;
                threads-sharded) run phase2 --threads "$n" --lock sharded --messages "$messages" --work "$work" ;;
            esac
            rates+="$(col msgs_per_s)"$'\n'
            secs+="$(col seconds)"$'\n'
        done
        rate=$(median <<< "$rates")
        sec=$(median <<< "$secs")
        [ -z "$base" ] && base=$rate
        speedup=$(awk -v a="$rate" -v b="$base" 'BEGIN { printf "%.3f", a / b }')
        row "$mode" "$n" "$work" "$messages" "$sec" "$rate" "$speedup" "$repeats" "$(cores)"
        progress "$i/$total $mode workers=$n: $(fmt "$rate" 0) msgs/s (${speedup}x of 1)"
    done
done

# --- mpi: bin/phase5 under mpirun, N worker ranks + rank 0 (phase5_cluster/).
# mpirun costs ~0.5-1 s a start, so this series runs fewer messages and repeats
# in quick mode (its speedup is against its own 1 worker rank, as every mode's).
mpi_workers=$(pick "1 2" "1 2 4 8" "1 2 4 8 16")
mpi_messages=$(pick 2000 10000 "$messages")
mpi_repeats=$(pick 1 2 "$repeats")
mpi_base=""
command -v mpirun > /dev/null || { progress "mpi: skipped, mpirun not found (scripts/deps.sh installs openmpi-bin)"; mpi_workers=""; }
for n in $mpi_workers; do
    rates="" secs=""
    for r in $(seq "$mpi_repeats"); do
        if ! RUN_OUT=$(kit_mpirun -np $((n + 1)) "$KIT_BIN/phase5" --messages "$mpi_messages" --work "$work" \
                --csv --quiet); then
            echo "$EXP: mpirun -np $((n + 1)) $KIT_BIN/phase5 failed (see above)" >&2
            exit 1
        fi
        rates+="$(col msgs_per_s)"$'\n'
        secs+="$(col seconds)"$'\n'
    done
    rate=$(median <<< "$rates")
    sec=$(median <<< "$secs")
    [ -z "$mpi_base" ] && mpi_base=$rate
    speedup=$(awk -v a="$rate" -v b="$mpi_base" 'BEGIN { printf "%.3f", a / b }')
    row mpi "$n" "$work" "$mpi_messages" "$sec" "$rate" "$speedup" "$mpi_repeats" "$(cores)"
    progress "mpi worker ranks=$n: $(fmt "$rate" 0) msgs/s (${speedup}x of 1; median of $mpi_repeats)"
done

# --- phase 4 (phase4_shared/): the same load on bin/phase4 --workers N, the
# process pool with its state in shared memory; mode "shared". Skipped, with a
# line on stderr, where bin/phase4 is not built.
if [ -x "$KIT_BIN/phase4" ]; then
    base=""
    for n in $workers; do
        rates="" secs=""
        for r in $(seq "$repeats"); do
            run phase4 --workers "$n" --messages "$messages" --work "$work"
            rates+="$(col msgs_per_s)"$'\n'
            secs+="$(col seconds)"$'\n'
        done
        rate=$(median <<< "$rates")
        sec=$(median <<< "$secs")
        [ -z "$base" ] && base=$rate
        speedup=$(awk -v a="$rate" -v b="$base" 'BEGIN { printf "%.3f", a / b }')
        row shared "$n" "$work" "$messages" "$sec" "$rate" "$speedup" "$repeats" "$(cores)"
        progress "shared (phase4) workers=$n: $(fmt "$rate" 0) msgs/s (${speedup}x of 1)"
    done
else
    progress "$KIT_BIN/phase4 not built: no shared series"
fi
kit_end
