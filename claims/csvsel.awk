# claims/csvsel.awk: read results/NAME.csv and pick numbers out of it with the
# kit's selection language, the one the worksheet blanks and the claims
# catalogue share (claims/README.md has the syntax). POSIX awk: mawk is enough.
#
#   [FUNC] NAME.COLUMN [where SEL, SEL, ...]
#   FUNC: max min mean median sum count (none: the first matching row's cell)
#   SEL:  COLUMN=VALUE  COLUMN!=VALUE  COLUMN~TEXT (contains, any case)
#         COLUMN>N  COLUMN<N  COLUMN>=N  COLUMN<=N
#   VALUE may be $cores: the CSV's "# cores=" line.
#   A trailing "at min COLUMN2" (or max) picks, of the matching rows, the one
#   with the smallest (largest) COLUMN2, and gives its COLUMN.
#   lang is the Python lane's column (c or python): a CSV without it is all C.
#
# The caller sets `results` (the folder of CSV) and then, for each spec:
#   parse_spec(text) == ""   or the reason it is malformed
#   resolve() == ""          R_val (the number), R_src (file, line and row) and
#                            R_cores (the CSV's "# cores=", "" if none);
#                            or a plain reason, with R_why one of nocsv nohdr
#                            nocol norow python nan.

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
# meta[NAME, KEY] holds each "# KEY=VALUE" line before the header.
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

# The CSV's "# cores=" value, or "" (the CSV must be loaded).
function cores_of(name) { return (name, "cores") in meta ? meta[name, "cores"] + 0 : "" }

function missing_note(name) {
    if (state[name] == -1) return "no results/" name ".csv yet: run make results/" name ".csv"
    return "results/" name ".csv has no header row: run make results/" name ".csv again"
}

# A row as "col=value, col=value" for a source note.
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
function parse_spec(s,    w, aw, rest, sel, n, i, p, dot, op) {
    s = trim(s); P_fn = ""; P_nsel = 0; P_at = ""; P_atcol = ""
    if (match(s, /[ \t]at[ \t]+(min|max)[ \t]+[A-Za-z_0-9]+$/)) {
        split(trim(substr(s, RSTART)), aw, /[ \t]+/)
        P_at = aw[2]; P_atcol = aw[3]; s = trim(substr(s, 1, RSTART - 1))
    }
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
            if (match(p, /^[A-Za-z_0-9]+[ \t]*(>=|<=|!=|=|~|>|<)/)) {
                op = substr(p, 1, RLENGTH); sub(/^[A-Za-z_0-9]+[ \t]*/, "", op)
                P_nsel++
                P_selc[P_nsel] = trim(substr(p, 1, RLENGTH - length(op)))
                P_selop[P_nsel] = op
                P_selv[P_nsel] = trim(substr(p, RLENGTH + 1))
            } else return "selector '" p "' is not COLUMN=VALUE, COLUMN~TEXT or COLUMN>N (also != < >= <=)"
        }
    }
    return ""
}

function sel_text(    i, s) {
    s = ""
    for (i = 1; i <= P_nsel; i++) s = s (i > 1 ? ", " : "") P_selc[i] P_selop[i] P_selv[i]
    return s == "" ? "every row" : s
}

# " where SEL, ..." for a source note, or "" when every row counts.
function where_text() {
    return P_nsel ? " where " sel_text() : ""
}

# Does row r of NAME match every selector? A CSV without a lang column is all C.
function row_matches(name, r,    i, v, want, op) {
    for (i = 1; i <= P_nsel; i++) {
        if ((name, P_selc[i]) in col) v = cell[name, r, col[name, P_selc[i]]]
        else v = "c"                    # only lang may be missing (resolve checks)
        want = P_selv[i]; op = P_selop[i]
        if (want == "$cores") want = cores_of(name)
        if (op == "~") { if (index(tolower(v), tolower(want)) == 0) return 0; continue }
        if (op == "=" || op == "!=") {
            if ((v == want || (isnum(v) && isnum(want) && v + 0 == want + 0)) != (op == "=")) return 0
            continue
        }
        if (!isnum(v) || !isnum(want)) return 0
        if (op == ">" && !(v + 0 > want + 0)) return 0
        if (op == "<" && !(v + 0 < want + 0)) return 0
        if (op == ">=" && !(v + 0 >= want + 0)) return 0
        if (op == "<=" && !(v + 0 <= want + 0)) return 0
    }
    return 1
}

# Does the parsed spec ask for the Python lane?
function wants_python(    i) {
    for (i = 1; i <= P_nsel; i++)
        if (P_selc[i] == "lang" && P_selop[i] == "=" && P_selv[i] == "python") return 1
    return 0
}

# How many rows of NAME are Python rows (0 without a lang column).
function python_rows(name,    r, n) {
    if (!((name, "lang") in col)) return 0
    n = 0
    for (r = 1; r <= nrows[name]; r++) if (cell[name, r, col[name, "lang"]] == "python") n++
    return n
}

function fail_as(kind, text) { R_why = kind; return text }

# Resolve a parsed spec (see the top of the file).
function resolve(    name, c, i, r, n, m, v, best, bestr, sum, vals, j, t) {
    name = P_name; R_why = ""; R_cores = ""
    if (load(name) < 0) return fail_as(state[name] == -1 ? "nocsv" : "nohdr", missing_note(name))
    R_cores = cores_of(name)
    if (!((name, P_col) in col)) return fail_as("nocol", "results/" name ".csv has no column " P_col)
    for (i = 1; i <= P_nsel; i++)
        if (!((name, P_selc[i]) in col) && P_selc[i] != "lang")
            return fail_as("nocol", "results/" name ".csv has no column " P_selc[i])
    c = col[name, P_col]; m = 0
    for (r = 1; r <= nrows[name]; r++)
        if (row_matches(name, r)) match_row[++m] = r
    if (m == 0 && wants_python() && python_rows(name) == 0)
        return fail_as("python", "the Python lane is missing (no python rows in results/" name ".csv)")
    if (m == 0) return fail_as("norow", "no row of results/" name ".csv has " sel_text() "; FULL=1 measures more points")
    if (P_at != "") {
        if (P_fn != "") return fail_as("nocol", "'at " P_at "' picks one row: no " P_fn " with it")
        if (!((name, P_atcol) in col)) return fail_as("nocol", "results/" name ".csv has no column " P_atcol)
        bestr = 0
        for (i = 1; i <= m; i++) {
            v = cell[name, match_row[i], col[name, P_atcol]]
            if (!isnum(v)) continue
            if (!bestr || (P_at == "min" && v + 0 < best) || (P_at == "max" && v + 0 > best)) { best = v + 0; bestr = match_row[i] }
        }
        if (!bestr) return fail_as("nan", P_atcol " is not a number in any row of results/" name ".csv with " sel_text())
        R_val = cell[name, bestr, c]
        R_src = "results/" name ".csv line " rowline[name, bestr] " (" P_at " " P_atcol where_text() "): " row_text(name, bestr)
        return R_val == "" ? fail_as("nan", P_col " is empty at results/" name ".csv line " rowline[name, bestr]) : ""
    }
    if (P_fn == "count") {
        R_val = m; R_src = "results/" name ".csv: " m " rows" where_text(); return ""
    }
    if (P_fn == "") {
        r = match_row[1]; R_val = cell[name, r, c]
        R_src = "results/" name ".csv line " rowline[name, r] ": " row_text(name, r)
        if (m > 1) R_src = R_src " (" m " rows have " sel_text() "; the first is shown)"
        if (R_val == "") return fail_as("nan", P_col " is empty at results/" name ".csv line " rowline[name, r])
        return ""
    }
    n = 0; sum = 0
    for (i = 1; i <= m; i++) {
        v = cell[name, match_row[i], c]
        if (!isnum(v)) return fail_as("nan", P_col " is not a number at results/" name ".csv line " rowline[name, match_row[i]])
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

# A number with 2-3 significant digits (or printf format f).
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
