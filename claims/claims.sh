#!/usr/bin/env bash
# claims/claims.sh: judge the lecture's claims (claims/catalogue.txt) against
# the CSV of your own runs. `make claims` runs the missing experiments first.
#
#   claims/claims.sh [--results DIR] [--catalogue FILE] [--csv OUT]   the table
#   claims/claims.sh --tsv [--results DIR] [--catalogue FILE]         for scripts
#
# The table: one line per claim (id, verdict, the measured numbers, the claim,
# and why when it is refuted or cannot be tested here). --csv OUT (make claims:
# results/claims.csv) also writes it as CSV: id,source,claim,verdict,measured,
# why,needs,csvs. --tsv prints the evaluator's tab-separated records instead
# (id verdict measured why source claim csvs needs), which plots/report.sh and
# scripts/fill-worksheets.sh read. Exit 0 whatever the verdicts; 65 if the
# catalogue is malformed (FILE:LINE: reason), 2 on a bad command line.
# Plain bash and POSIX awk: no Python needed to judge even the Python claims.
set -euo pipefail
here=$(dirname "$0")
results=results catalogue=$here/catalogue.txt csv_out="" tsv=0
usage() { echo "usage: claims/claims.sh [--results DIR] [--catalogue FILE] [--csv OUT | --tsv]" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --results) [ $# -ge 2 ] || usage; results=$2; shift 2 ;;
        --catalogue) [ $# -ge 2 ] || usage; catalogue=$2; shift 2 ;;
        --csv) [ $# -ge 2 ] || usage; csv_out=$2; shift 2 ;;
        --tsv) tsv=1; shift ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        *) echo "claims: unknown argument '$1'" >&2; usage ;;
    esac
done
[ -r "$catalogue" ] || { echo "claims: cannot read the catalogue '$catalogue'" >&2; exit 1; }

records=$(LC_ALL=C awk -v results="$results" -f "$here/csvsel.awk" -f "$here/claims.awk" "$catalogue")
if [ "$tsv" = 1 ]; then
    printf '%s\n' "$records"
    exit 0
fi

# The table, then the tally.
printf '%s\n' "$records" | awk -F'\t' '
    { n++; t[$2]++
      printf "%-28s %-18s %s\n", $1, $2, $3
      printf "%-28s %-18s   claim: %s\n", "", "", $6
      if ($4 != "") printf "%-28s %-18s   %s: %s\n", "", "", $2 == "refuted" ? "by" : "why", $4 }
    END { printf "\n%d claims: %d supported, %d refuted, %d not testable here\n", n,
              t["supported"], t["refuted"], t["not testable here"] }'

if [ -n "$csv_out" ]; then
    mkdir -p "$(dirname "$csv_out")"
    {
        echo "# date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "# cores=$(getconf _NPROCESSORS_ONLN)"
        echo "# cmd=claims/claims.sh --results $results --catalogue $catalogue"
        echo "id,source,claim,verdict,measured,why,needs,csvs"
        printf '%s\n' "$records" | awk -F'\t' '
            function q(s) { gsub(/"/, "\"\"", s); return "\"" s "\"" }
            { print $1 "," q($5) "," q($6) "," $2 "," q($3) "," q($4) "," q($8) "," q($7) }'
    } > "$csv_out.tmp"
    mv "$csv_out.tmp" "$csv_out"
    echo "claims: wrote $csv_out" >&2
fi
