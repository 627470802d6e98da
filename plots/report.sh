#!/usr/bin/env bash
# plots/report.sh RESULTS_DIR PLOTS_DIR > report/index.html
#
# One self-contained HTML page: every plot in PLOTS_DIR (embedded as a base64
# data URI, so the page can be mailed or uploaded alone), and under each the
# findings computed from its CSV by plots/findings.sh, the CSV's metadata (the
# command, date, machine, commit) and its rows as a table. Plots appear in the
# catalogue order of experiments/README.md; any other plot comes after them.
# Under each plot's findings, the verdict of every lecture claim that plot's
# CSV decides (claims/catalogue.txt, judged by claims/claims.sh as make claims does).
set -euo pipefail
results=${1:?usage: plots/report.sh RESULTS_DIR PLOTS_DIR}
plots=${2:?usage: plots/report.sh RESULTS_DIR PLOTS_DIR}
here=$(dirname "$0")

catalogue=(scaling ipc_size serialization load_balance query_latency batching loop_lag
           contention threads_vs_processes parallel_map startup_memory task_queue
           zero_copy)

esc() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }

# The claims' verdicts, once: id verdict measured why source claim csvs needs.
verdicts=$("$here/../claims/claims.sh" --tsv --results "$results") ||
    verdicts="-	not judged	-	claims/claims.sh failed (see its message)	-	-	-	-"
# claims_of NAME: an HTML list of the verdicts of the claims NAME's CSV decides.
claims_of() {
    printf '%s\n' "$verdicts" | awk -F'\t' -v n="$1" '
        function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
        index(" " $7 " ", " " n " ") == 0 { next }
        !k++ { print "<p>The lecture&#39;s claims this plot decides (<code>make claims</code>):</p><ul class=\"claims\">" }
        { printf "<li><b>%s</b> <code>%s</code>: %s <i>Measured:</i> %s%s</li>\n", esc($2), esc($1), esc($6), esc($3),
              $4 == "" ? "" : " <i>" ($2 == "refuted" ? "By how much" : "Why") ":</i> " esc($4) }
        END { if (k) print "</ul>" }'
}

# The plots that exist, catalogue first.
names=()
for n in "${catalogue[@]}"; do
    [ -f "$plots/$n.png" ] && names+=("$n")
done
for f in "$plots"/*.png; do
    [ -f "$f" ] || continue
    n=$(basename "$f" .png)
    case " ${names[*]-} " in *" $n "*) ;; *) names+=("$n") ;; esac
done

machine=""
for n in ${names[@]+"${names[@]}"}; do
    if [ -f "$results/$n.csv" ]; then
        machine=$(awk -f "$here/meta.awk" "$results/$n.csv")
        break
    fi
done

cat <<EOF
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Concurrency lab kit: experiment report</title>
<style>
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2.5em; }
img { max-width: 100%; border: 1px solid #eee; }
ul.findings li { margin: .3em 0; }
.meta { color: #666; font-size: 85%; font-family: monospace; white-space: pre-wrap; }
table { border-collapse: collapse; font-size: 80%; margin-top: .5em; }
td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: right; }
details { margin-top: .5em; }
</style>
</head>
<body>
<h1>Concurrency lab kit: experiment report</h1>
<p>Generated $(date -u +%Y-%m-%dT%H:%M:%SZ) from <code>$(printf '%s' "$results" | esc)/*.csv</code>
by <code>make report</code>. Machine: $(printf '%s' "${machine:-unknown}" | esc).
Every number below was measured by the kit's own programs on that machine; the
findings are computed from the CSV files, not written by hand.</p>
<p>Plots: ${#names[@]}.</p>
<ul>
EOF
for n in ${names[@]+"${names[@]}"}; do
    echo "<li><a href=\"#$n\">$n</a></li>"
done
echo "</ul>"

for n in ${names[@]+"${names[@]}"}; do
    csv=$results/$n.csv
    echo "<h2 id=\"$n\">$n</h2>"
    printf '<img alt="%s" src="data:image/png;base64,' "$n"
    base64 -w0 "$plots/$n.png"
    echo '">'
    if [ -f "$csv" ]; then
        echo '<ul class="findings">'
        "$here/findings.sh" "$n" "$csv" | esc | sed 's/^/<li>/; s/$/<\/li>/'
        echo '</ul>'
        claims_of "$n"
        echo '<div class="meta">'
        grep '^#' "$csv" | esc
        echo '</div>'
        echo "<details><summary>data ($(grep -v '^#' "$csv" | tail -n +2 | grep -c .) rows)</summary><table>"
        grep -v '^#' "$csv" | esc | awk -F, 'NR == 1 { t = "th" } NR > 1 { t = "td" }
            { printf "<tr>"; for (i = 1; i <= NF; i++) printf "<%s>%s</%s>", t, $i, t; print "</tr>" }'
        echo '</table></details>'
    else
        echo "<p>No $csv: the findings need it (make $csv).</p>"
    fi
done
# Claims whose CSVs have no plot here (routing.csv, say) still get their verdict.
rest=$(for id_csvs in $(printf '%s\n' "$verdicts" | awk -F'\t' '{ split($7, c, " "); print c[1] }' | sort -u); do
    case " ${names[*]-} " in *" $id_csvs "*) ;; *) claims_of "$id_csvs" | grep '<li>' ;; esac
done)
if [ -n "$rest" ]; then
    echo '<h2 id="claims">Claims decided by results without a plot</h2><ul class="claims">'
    printf '%s\n' "$rest"
    echo '</ul>'
fi
echo "</body>"
echo "</html>"
