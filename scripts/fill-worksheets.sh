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
zero_copy program,msgs_per_s,cpu_us_per_msg,encode_us,channel_us,decode_us,apply_us,syscalls_per_msg,get_client_p50_us,get_server_p50_us
'

read -r -d '' prog <<'AWK' || true
# ---------------------------------------------------------------- CSV reading
function isnum(s) { return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }

# Split one CSV line (RFC 4180 quotes allowed) into out[1..n]; returns n.
function csv_split(line, out,    n, i, c, f, q, len) {
    if (index(line, "\"") == 0)
        return split(line, out, ",")
    n = 0; f = ""; q = 0; len = length(line)
    for (i = 1; i <= len; i++) {
        c = substr(line, i, 1)
        if (q) {
            if (c == "\"") {
                if (substr(line, i + 1, 1) == "\"") { f = f "\""; i++ } else q = 0
            } else f = f c
        } else if (c == "\"") q = 1
        else if (c == ",") { out[++n] = f; f = "" }
        else f = f c
    }
    out[++n] = f
    return n
}

# Load results/NAME.csv once. state[NAME]: 1 loaded, -1 missing, -2 no header.
function load(name,    path, line, f, n, i, r, lineno, hdr, row, kv, eq) {
    if (name in state) return state[name]
    path = results "/" name ".csv"
    lineno = 0; hdr = 0; row = 0
    while ((r = (getline line < path)) > 0) {
        lineno++
        sub(/\r$/, "", line)
        if (line ~ /^#/) {
            if (!hdr) {
                kv = line; sub(/^#[ \t]*/, "", kv); eq = index(kv, "=")
                if (eq > 1) meta[name, substr(kv, 1, eq - 1)] = substr(kv, eq + 1)
            }
            continue
        }
        if (line == "") continue
        n = csv_split(line, f)
        if (!hdr) {
            hdr = 1; ncol[name] = n
            for (i = 1; i <= n; i++) { col[name, trim(f[i])] = i; colname[name, i] = trim(f[i]) }
            continue
        }
        row++
        for (i = 1; i <= n; i++) cell[name, row, i] = f[i]
        rowline[name, row] = lineno
    }
    if (r < 0 && lineno == 0) { state[name] = -1; return -1 }
    close(path)
    nrows[name] = row
    state[name] = hdr ? 1 : -2
    return state[name]
}

# ---------------------------------------------------------------- blanks
function fmt(v, f,    x, ax) {
    if (f != "") return sprintf(f, v)
    if (!isnum(v)) return v
    x = v + 0; ax = x < 0 ? -x : x
    if (x == int(x) && ax < 1e15) return sprintf("%d", x)
    if (ax >= 100) return sprintf("%.0f", x)
    if (ax >= 10) return sprintf("%.1f", x)
    if (ax >= 1) return sprintf("%.2f", x)
    return sprintf("%.3g", x)
}

function missing_note(name) {
    if (state[name] == -1) return "_(no results/" name ".csv yet: run make results/" name ".csv)_"
    return "_(results/" name ".csv has no header row: run make results/" name ".csv again)_"
}

# A row as "col=value, col=value" for the sources list.
function row_text(name, r,    i, s, v) {
    s = ""
    for (i = 1; i <= ncol[name]; i++) {
        v = cell[name, r, i]
        if (length(v) > 60) v = substr(v, 1, 57) "..."
        s = s (i > 1 ? ", " : "") colname[name, i] "=" v
    }
    return s
}

# Parse "[FUNC] NAME.COLUMN [where SEL, ...]" into P_fn, P_name, P_col, P_nsel,
# P_selc[i], P_selop[i], P_selv[i]. Returns "" or the reason it is malformed.
function parse_spec(s,    w, rest, sel, n, i, p, dot) {
    s = trim(s); P_fn = ""; P_nsel = 0
    if (match(s, /^(max|min|mean|median|sum|count)[ \t]+/)) {
        P_fn = trim(substr(s, 1, RLENGTH)); s = substr(s, RLENGTH + 1)
    }
    w = index(s, " where ")
    if (w) { rest = substr(s, w + 7); s = trim(substr(s, 1, w - 1)) } else rest = ""
    if (s !~ /^[a-z_0-9]+\.[A-Za-z_0-9]+$/) return "expected NAME.COLUMN, got '" s "'"
    dot = index(s, "."); P_name = substr(s, 1, dot - 1); P_col = substr(s, dot + 1)
    if (rest != "") {
        n = split(rest, sel, ",")
        for (i = 1; i <= n; i++) {
            p = trim(sel[i])
            if (match(p, /^[A-Za-z_0-9]+[ \t]*[=~]/)) {
                P_nsel++
                P_selc[P_nsel] = trim(substr(p, 1, RLENGTH - 1))
                P_selop[P_nsel] = substr(p, RLENGTH, 1)
                P_selv[P_nsel] = trim(substr(p, RLENGTH + 1))
            } else return "selector '" p "' is not COLUMN=VALUE or COLUMN~TEXT"
        }
    }
    return ""
}

function sel_text(    i, s) {
    s = ""
    for (i = 1; i <= P_nsel; i++) s = s (i > 1 ? ", " : "") P_selc[i] P_selop[i] P_selv[i]
    return s == "" ? "every row" : s
}

# " where SEL, ..." for a sources line, or "" when every row counts.
function where_text() {
    return P_nsel ? " where " sel_text() : ""
}

function row_matches(name, r,    i, v, want) {
    for (i = 1; i <= P_nsel; i++) {
        v = cell[name, r, col[name, P_selc[i]]]; want = P_selv[i]
        if (P_selop[i] == "~") { if (index(v, want) == 0) return 0; continue }
        if (v == want) continue
        if (isnum(v) && isnum(want) && v + 0 == want + 0) continue
        return 0
    }
    return 1
}

# Resolve a parsed spec. Sets R_val (raw value) and R_src (where it came from);
# returns "" or a note to show instead of a number.
function resolve(    name, c, i, r, n, m, v, best, bestr, sum, vals, k, j, t) {
    name = P_name
    if (load(name) < 0) return missing_note(name)
    if (!((name, P_col) in col)) return "_(results/" name ".csv has no column " P_col ")_"
    for (i = 1; i <= P_nsel; i++)
        if (!((name, P_selc[i]) in col)) return "_(results/" name ".csv has no column " P_selc[i] ")_"
    c = col[name, P_col]; m = 0
    for (r = 1; r <= nrows[name]; r++)
        if (row_matches(name, r)) match_row[++m] = r
    if (m == 0) return "_(no row of results/" name ".csv has " sel_text() "; FULL=1 measures more points)_"
    if (P_fn == "count") {
        R_val = m; R_src = "results/" name ".csv: " m " rows" where_text(); return ""
    }
    if (P_fn == "") {
        r = match_row[1]; R_val = cell[name, r, c]
        R_src = "results/" name ".csv line " rowline[name, r] ": " row_text(name, r)
        if (m > 1) R_src = R_src " (" m " rows have " sel_text() "; the first is shown)"
        return ""
    }
    n = 0; sum = 0
    for (i = 1; i <= m; i++) {
        v = cell[name, match_row[i], c]
        if (!isnum(v)) return "_(" P_col " is not a number at results/" name ".csv line " rowline[name, match_row[i]] ")_"
        vals[++n] = v + 0; sum += v
        if (n == 1 || (P_fn == "max" && v + 0 > best) || (P_fn == "min" && v + 0 < best)) { best = v + 0; bestr = match_row[i] }
    }
    if (P_fn == "max" || P_fn == "min") {
        R_val = best
        R_src = "results/" name ".csv, " P_fn " of " P_col " over " n " rows" where_text() \
                ", found at line " rowline[name, bestr] ": " row_text(name, bestr)
        return ""
    }
    if (P_fn == "sum" || P_fn == "mean") {
        R_val = P_fn == "sum" ? sum : sum / n
        R_src = "results/" name ".csv, " P_fn " of " P_col " over " n " rows" where_text()
        return ""
    }
    for (i = 2; i <= n; i++) {          # median: insertion sort, the lists are short
        t = vals[i]
        for (j = i - 1; j >= 1 && vals[j] > t; j--) vals[j + 1] = vals[j]
        vals[j + 1] = t
    }
    R_val = n % 2 ? vals[(n + 1) / 2] : (vals[n / 2] + vals[n / 2 + 1]) / 2
    R_src = "results/" name ".csv, median of " P_col " over " n " rows" where_text()
    return ""
}

# Check a parsed spec against SPEC §8 (lint mode): the experiment and the column
# shown must be ones SPEC §8 promises; a selector may also use a column a driver
# adds to tell its rows apart (the fill says so if a CSV lacks it).
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
    if (body ~ /^claim[ \t]/) {
        colon = index(body, ":")
        if (colon == 0 || !match(body, /^claim[ \t]+[a-z_0-9]+[ \t]+cores>=[0-9]+[ \t]*:/))
            return problem("a claim is written {{claim NAME cores>=N: text}}")
        split(substr(body, 1, colon - 1), words, /[ \t]+/)
        need = substr(words[3], 8) + 0; text = trim(substr(body, colon + 1))
        if (lint) { if (!(words[2] in speccols)) return problem("unknown experiment '" words[2] "'"); return "" }
        if (load(words[2]) < 0) return missing_note(words[2])
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
        if (load(words[2]) < 0) return missing_note(words[2])
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
        else { if ((e = resolve()) != "") return e; va = R_val; sa = R_src }
        if ((e = parse_spec(b)) != "") return problem(e)
        if (lint) { if ((e = lint_spec()) != "") return problem(e); return "" }
        if ((e = resolve()) != "") return e
        if (!isnum(va) || !isnum(R_val) || R_val + 0 == 0)
            return "_(cannot divide " va " by " R_val ")_"
        return "**" fmt(va / R_val, f) "** [" add_source("ratio of " va " (" sa ") over " R_val " (" R_src ")") "]"
    }
    if ((e = parse_spec(body)) != "") return problem(e)
    if (lint) { if ((e = lint_spec()) != "") return problem(e); return "" }
    if ((e = resolve()) != "") return e
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

status=0
[ "$lint" = 1 ] || mkdir -p "$out"
for sheet in "${sheets[@]}"; do
    if [ ! -r "$sheet" ]; then
        echo "fill-worksheets: cannot read '$sheet'" >&2
        status=1
        continue
    fi
    if [ "$lint" = 1 ]; then
        awk -v lint=1 -v results="$results" -v spec="$spec_columns" -v date= "$prog" "$sheet" || status=1
    else
        target="$out/$(basename "$sheet")"
        awk -v lint=0 -v results="$results" -v spec="$spec_columns" \
            -v date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$prog" "$sheet" >"$target.tmp" || status=1
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
