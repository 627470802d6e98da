# plots/meta.awk: the corner label of a plot, from the SPEC §6 metadata lines
# at the top of its CSV ("2 cores, AMD EPYC, 2026-11-23, quick run").
# Usage: awk -f plots/meta.awk results/NAME.csv
/^# cores=/   { cores = substr($0, 9) }
/^# machine=/ { machine = substr($0, 11) }
/^# date=/    { date = substr($0, 8, 10) }
/^# mode=/    { mode = substr($0, 8) }
!/^#/         { exit }
END {
    if (cores == "") cores = "?"
    if (machine == "") machine = "unknown machine"
    if (date == "") date = "undated"
    sub(/, Linux.*/, "", machine)            # the kernel is in the CSV, not needed here
    printf "%s cores, %s\n%s%s", cores, machine, date, mode != "" ? ", " mode " run" : ""
}
