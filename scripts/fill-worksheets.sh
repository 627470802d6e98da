#!/usr/bin/env bash
# fill-worksheets.sh: copy each worksheet with its numeric blanks filled from
# the student's own results/*.csv, and say where every number came from.
#
#   scripts/fill-worksheets.sh [--results DIR] [--out DIR] SHEET.md...
#   scripts/fill-worksheets.sh --lint SHEET.md...     check the blanks only
#
# A blank is a placeholder in double braces (worksheets/README.md has the whole
# syntax):
#   {{scaling.speedup where mode=processes, workers=2}}   one cell
#   {{max scaling.speedup where mode=processes}}          max min mean median sum count
#   {{ratio ipc_size.round_trip_us where transport=pipe, bytes=100, pinned=1
#      over ipc_size.round_trip_us where transport=inproc, bytes=100, pinned=1}}
#   {{meta scaling cores}}                                a "# cores=2" line
#   {{claim scaling cores>=16: sixteen workers give sixteen times one}}
#   {{verdict threads-gil-1x}}     a claim of claims/catalogue.txt, its verdict on
#                                  these results and the numbers it was judged on
# (each on one line). The filled copy shows the number in bold followed by [n];
# a list at the end says, for each n, the CSV file, its line and the row. A blank
# whose CSV is missing says which make target writes it; a claim that needs more
# cores than the CSV's "# cores=" line says so in words.
#
# Plain bash and POSIX awk (mawk is enough): no python on the students' machines.
set -euo pipefail

results=results out=worksheets/filled lint=0
sheets=()
while [ $# -gt 0 ]; do
    case $1 in
        --results) results=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --lint) lint=1; shift ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        -*) echo "fill-worksheets: unknown option '$1' (try --help)" >&2; exit 2 ;;
        *) sheets+=("$1"); shift ;;
    esac
done
if [ ${#sheets[@]} -eq 0 ]; then
    echo "fill-worksheets: no worksheet given (try --help)" >&2
    exit 2
fi

# The columns SPEC §8 promises for each experiment: a worksheet may select and
# show only these, so that it works with any correct experiment driver.
spec_columns='
scaling mode,workers,work,messages,seconds,msgs_per_s,speedup
ipc_size transport,bytes,pinned,round_trip_us,one_way_us,mb_per_s
serialization codec,payload,bytes,encode_ns,decode_ns
load_balance dist,zipf_s,route,worker,messages,keys
query_latency load,offered_msgs_per_s,p50_us,p99_us,max_us
batching batch,records,seconds,per_record_us
loop_lag work,offload,lag_p50_ms,lag_p99_ms,lag_max_ms
contention lock,threads,msgs_per_s,lock_wait_share
threads_vs_processes command,mean_s,median_s,stddev_s,min_s,max_s
parallel_map command,mean_s,median_s,stddev_s,min_s,max_s
startup_memory method,us,pss_kib
task_queue scheme,tasks,seconds,tasks_per_s
zero_copy program,msgs_per_s,cpu_us_per_msg,encode_us,copy_us,syscall_us,decode_us,apply_us,syscalls_per_msg,get_client_p50_us,get_server_p50_us
'

read -r -d '' prog <<'AWK' || true
# The CSV reading and the selection language (load, parse_spec, resolve, fmt)
# are claims/csvsel.awk's, shared with the claims catalogue; they return plain
# reasons, which a sheet shows in italics.
function note(reason) { return "_(" reason ")_" }

# The verdicts of claims/catalogue.txt on these results (claims/claims.sh --tsv,
# in the file `verdicts`): V[id, k] for k = verdict measured why source claim csvs.
function load_verdicts(    line, f, n) {
    vloaded = 1
    while ((getline line < verdicts) > 0) {
        n = split(line, f, "\t")
        if (n < 7) continue
        V[f[1], "verdict"] = f[2]; V[f[1], "measured"] = f[3]; V[f[1], "why"] = f[4]
        V[f[1], "source"] = f[5]; V[f[1], "claim"] = f[6]; V[f[1], "csvs"] = f[7]
        V[f[1]] = 1
    }
    close(verdicts)
}

# {{verdict ID}}: the claim, its verdict on the student's numbers, those numbers.
function verdict_blank(id,    v, csvs, s) {
    if (!vloaded) load_verdicts()
    if (!(id in V)) return problem("no claim '" id "' in claims/catalogue.txt")
    if (lint) return ""
    v = V[id, "verdict"]; csvs = V[id, "csvs"]; gsub(/ /, ".csv, results/", csvs)
    s = "**Lecture claim** (`" id "`): " V[id, "claim"] " **Verdict on your numbers: " v ".** " \
        (V[id, "measured"] != "" ? "Measured: " V[id, "measured"] ". " : "")
    if (V[id, "why"] != "") s = s (v == "refuted" ? "By how much: " : "Why: ") V[id, "why"] ". "
    return s "[" add_source("claim " id " of claims/catalogue.txt (" V[id, "source"] "), judged on results/" \
           csvs ".csv; make claims prints every verdict") "]"
}

function lint_spec(    i) {
    if (!(P_name in speccols)) return "unknown experiment '" P_name "' (SPEC §8 lists the names)"
    if (!((P_name, P_col) in specc)) return "'" P_col "' is not a SPEC §8 column of " P_name
    return ""
}

function add_source(text) {
    nsrc++; src[nsrc] = text
    return nsrc
}

# One blank: returns its replacement text (or, in lint mode, records problems).
function blank(body,    f, bar, o, a, b, e, va, sa, n, words, need, cores, text, colon) {
    body = trim(body)
    if (body ~ /^verdict[ \t]/) {
        if (split(body, words, /[ \t]+/) != 2) return problem("a verdict blank is written {{verdict CLAIM_ID}}")
        return verdict_blank(words[2])
    }
    if (body ~ /^claim[ \t]/) {
        colon = index(body, ":")
        if (colon == 0 || !match(body, /^claim[ \t]+[a-z_0-9]+[ \t]+cores>=[0-9]+[ \t]*:/))
            return problem("a claim is written {{claim NAME cores>=N: text}}")
        split(substr(body, 1, colon - 1), words, /[ \t]+/)
        need = substr(words[3], 8) + 0; text = trim(substr(body, colon + 1))
        if (lint) { if (!(words[2] in speccols)) return problem("unknown experiment '" words[2] "'"); return "" }
        if (load(words[2]) < 0) return note(missing_note(words[2]))
        if (!((words[2], "cores") in meta)) return "_(results/" words[2] ".csv has no '# cores=' line, so this sheet cannot tell whether your machine can show: " text ")_"
        cores = meta[words[2], "cores"] + 0
        if (cores < need)
            return "**Not on this machine.** The lecture's claim (" text ") needs at least " need \
                   " cores; results/" words[2] ".csv was measured on " cores " (its '# cores=" cores \
                   "' line), so your numbers cannot show it. At most " cores "x is possible here: " \
                   "judge the claim by what your numbers do up to " cores " and say what you predict beyond."
        return "**This machine can test it.** results/" words[2] ".csv was measured on " cores \
               " cores (at least the " need " needed): check the claim (" text ") against your numbers."
    }
    if (body ~ /^meta[ \t]/) {
        n = split(body, words, /[ \t]+/)
        if (n != 3) return problem("a metadata blank is written {{meta NAME KEY}}")
        if (lint) { if (!(words[2] in speccols)) return problem("unknown experiment '" words[2] "'"); return "" }
        if (load(words[2]) < 0) return note(missing_note(words[2]))
        if (!((words[2], words[3]) in meta)) return "_(results/" words[2] ".csv has no '# " words[3] "=' line)_"
        return "**" meta[words[2], words[3]] "** [" add_source("results/" words[2] ".csv metadata line '# " words[3] "=" meta[words[2], words[3]] "'") "]"
    }
    f = ""; bar = index(body, " | ")
    if (bar) { f = trim(substr(body, bar + 3)); body = trim(substr(body, 1, bar - 1))
               if (f !~ /^%[-+ 0#]*[0-9]*(\.[0-9]+)?[dfeEgG]$/) return problem("format '" f "' is not a printf number format") }
    if (body ~ /^ratio[ \t]/) {
        body = substr(body, 7); o = index(body, " over ")
        if (!o) return problem("a ratio is written {{ratio SPEC over SPEC}}")
        a = substr(body, 1, o - 1); b = substr(body, o + 6)
        if ((e = parse_spec(a)) != "") return problem(e)
        if (lint) { if ((e = lint_spec()) != "") return problem(e) }
        else { if ((e = resolve()) != "") return note(e); va = R_val; sa = R_src }
        if ((e = parse_spec(b)) != "") return problem(e)
        if (lint) { if ((e = lint_spec()) != "") return problem(e); return "" }
        if ((e = resolve()) != "") return note(e)
        if (!isnum(va) || !isnum(R_val) || R_val + 0 == 0)
            return "_(cannot divide " va " by " R_val ")_"
        return "**" fmt(va / R_val, f) "** [" add_source("ratio of " va " (" sa ") over " R_val " (" R_src ")") "]"
    }
    if ((e = parse_spec(body)) != "") return problem(e)
    if (lint) { if ((e = lint_spec()) != "") return problem(e); return "" }
    if ((e = resolve()) != "") return note(e)
    return "**" fmt(R_val, f) "** [" add_source(R_src) "]"
}

function problem(why) {
    nbad++
    printf "%s:%d: %s\n", FILENAME, FNR, why > "/dev/stderr"
    return "_(malformed blank: " why ")_"
}

BEGIN {
    n = split(spec, lines, "\n")
    for (i = 1; i <= n; i++) {
        if (lines[i] == "") continue
        split(lines[i], w, " "); speccols[w[1]] = 1
        m = split(w[2], cs, ",")
        for (j = 1; j <= m; j++) specc[w[1], cs[j]] = 1
    }
    nsrc = 0; nbad = 0; nblank = 0; nfilled = 0
}

{
    line = $0; outl = ""
    gsub(/\\\{\{/, "\001", line)          # \{{ is a literal "{{", not a blank
    while ((s = index(line, "{{")) > 0) {
        rest = substr(line, s + 2); t = index(rest, "}}")
        if (t == 0) { outl = outl substr(line, 1, s - 1) problem("'{{' without '}}' on the same line"); line = ""; break }
        before = nsrc
        rep = blank(substr(rest, 1, t - 1)); nblank++
        if (nsrc > before || rep ~ /^\*\*This machine|^\*\*Not on this/) nfilled++
        outl = outl substr(line, 1, s - 1) rep
        line = substr(rest, t + 2)
    }
    outl = outl line
    gsub(/\001/, "{{", outl)
    if (!lint) {
        print outl
        if (FNR == 1 && outl ~ /^# /) {
            print ""
            print "> Filled by `make worksheets` on " date " from `" results "/`. A number in **bold** is"
            print "> one of yours; the [n] after it says which CSV file, line and row it came from"
            print "> (the list is at the end). The prose answers are yours to write."
        }
    }
}

END {
    if (!lint && nsrc > 0) {
        print ""
        print "## Where the numbers came from"
        print ""
        for (i = 1; i <= nsrc; i++) print "[" i "] " src[i] "  "
    }
    if (lint) printf "%s: %d blanks, %d malformed\n", FILENAME, nblank, nbad > "/dev/stderr"
    else printf "%s: %d blanks, %d filled from your results\n", FILENAME, nblank, nfilled > "/dev/stderr"
    exit nbad ? 1 : 0
}
AWK

# merge_answers OLD NEW: NEW, with the answers written under each "_Your answer:_"
# of OLD (a filled copy the student has been writing in) carried over to the same
# question (the **A1.** label before it). Everything else comes from NEW.
merge_answers() {
    awk '
    function label_of(line) {
        return match(line, /^\*\*[A-Z][0-9]+\.\*\*/) ? substr(line, 3, RLENGTH - 4) : ""
    }
    FNR == 1 { file++ }
    file == 1 {                         # the old copy: collect the answers
        l = label_of($0)
        if (l != "") { cur = l; cap = 0; next }
        if ($0 ~ /^#/) { cur = ""; cap = 0; next }
        if ($0 == "_Your answer:_") { cap = cur != ""; n[cur] = 0; last[cur] = 0; next }
        if (cap) { a[cur, ++n[cur]] = $0; if ($0 ~ /[^ \t]/) last[cur] = n[cur] }
        next
    }
    skip && /^[ \t]*$/ { next }        # the new sheet\x27s empty answer space
    { skip = 0; print }
    label_of($0) != "" { cur = label_of($0) }
    /^#/ { cur = "" }
    $0 == "_Your answer:_" && cur != "" && last[cur] > 0 {
        for (i = 1; i <= last[cur]; i++) print a[cur, i]
        print ""
        skip = 1
        kept++
    }
    END { if (kept) printf "%d", kept > "/dev/stderr" }
    ' "$1" "$2"
}

# The selection language comes from claims/csvsel.awk; the verdicts of the
# claims catalogue, once for every sheet, from claims/claims.sh.
claims_dir=$(dirname "$0")/../claims
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%s\n' "$prog" > "$work/fill.awk"
if ! "$claims_dir/claims.sh" --tsv --results "$results" > "$work/verdicts"; then
    echo "fill-worksheets: claims/claims.sh could not judge the claims (see above)" >&2
    exit 1
fi
# fill [-v VAR=VALUE]... SHEET
fill() {
    local sheet=${*: -1}
    awk -v verdicts="$work/verdicts" "${@:1:$#-1}" -f "$claims_dir/csvsel.awk" -f "$work/fill.awk" "$sheet"
}

status=0
[ "$lint" = 1 ] || mkdir -p "$out"
for sheet in "${sheets[@]}"; do
    if [ ! -r "$sheet" ]; then
        echo "fill-worksheets: cannot read '$sheet'" >&2
        status=1
        continue
    fi
    if [ "$lint" = 1 ]; then
        fill -v lint=1 -v results="$results" -v spec="$spec_columns" -v date= "$sheet" || status=1
    else
        target="$out/$(basename "$sheet")"
        fill -v lint=0 -v results="$results" -v spec="$spec_columns" \
            -v date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$sheet" >"$target.tmp" || status=1
        if [ -s "$target" ]; then
            # Refilling a sheet the student has been answering in: keep the
            # answers, and the previous copy as NAME.md.bak.
            merge_answers "$target" "$target.tmp" >"$target.new" 2>"$target.kept" || status=1
            cp "$target" "$target.bak"
            mv "$target.new" "$target.tmp"
            [ -s "$target.kept" ] && echo "fill-worksheets: $target: kept your answers to $(cat "$target.kept") question(s) (the previous copy is $target.bak)" >&2
            rm -f "$target.kept"
        fi
        mv "$target.tmp" "$target"
    fi
done
[ "$lint" = 1 ] || [ $status -ne 0 ] || echo "fill-worksheets: filled sheets are in $out/" >&2
exit $status
