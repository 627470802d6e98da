# claims/claims.awk: judge every claim of the catalogue against results/*.csv.
# Run with claims/csvsel.awk first (claims/claims.sh does):
#
#   awk -v results=DIR -f claims/csvsel.awk -f claims/claims.awk CATALOGUE
#
# Prints one record per claim, fields separated by tabs:
#   id  verdict  measured  why  source  claim  csvs  needs
# verdict: supported, refuted, "not testable here"; why: how far a refuted
# claim missed, or why it cannot be tested. The catalogue's format is in
# claims/README.md. A malformed catalogue: FILE:LINE: reason on stderr, exit 65.

function bad(msg) {
    printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
    nbad++
}

# ---------------------------------------------------------------- expressions
# tokenize(s): T[1..NT]; numbers, names, + - * / ( ). Returns "" or an error.
function tokenize(s,    c, t) {
    NT = 0
    while (s != "") {
        if (match(s, /^[ \t]+/)) { s = substr(s, RLENGTH + 1); continue }
        if (match(s, /^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?/) ||
            match(s, /^[A-Za-z_][A-Za-z_0-9]*/) || match(s, /^[-+*\/()]/)) {
            T[++NT] = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1); continue
        }
        return "cannot read '" s "' in an expression"
    }
    return ""
}

# eval_expr(s): the value of s over VAL[] and cores. Sets E_err on failure
# (E_why "undefined" for a name with no value, "zero" for a division by zero).
function eval_expr(s,    v) {
    E_err = ""; E_why = ""; E_name = ""
    if ((E_err = tokenize(s)) != "") { E_why = "syntax"; return 0 }
    TP = 1
    v = e_sum()
    if (E_err == "" && TP <= NT) { E_err = "unexpected '" T[TP] "'"; E_why = "syntax" }
    return v
}
function e_sum(    v, op) {
    v = e_prod()
    while (E_err == "" && TP <= NT && (T[TP] == "+" || T[TP] == "-")) {
        op = T[TP++]
        v = op == "+" ? v + e_prod() : v - e_prod()
    }
    return v
}
function e_prod(    v, op, w) {
    v = e_atom()
    while (E_err == "" && TP <= NT && (T[TP] == "*" || T[TP] == "/")) {
        op = T[TP++]; w = e_atom()
        if (op == "*") v *= w
        else if (w == 0) { if (E_err == "") { E_err = "a division by zero"; E_why = "zero" } }
        else v /= w
    }
    return v
}
function e_atom(    t, v) {
    if (TP > NT) { E_err = "the expression ends too soon"; E_why = "syntax"; return 0 }
    t = T[TP++]
    if (t == "-") return -e_atom()
    if (t == "(") {
        v = e_sum()
        if (T[TP] != ")") { if (E_err == "") { E_err = "missing ')'"; E_why = "syntax" }; return v }
        TP++; return v
    }
    if (isnum(t)) return t + 0
    if (t == "cores") {
        if (CORES == "") { E_err = "no '# cores=' line in the CSVs"; E_why = "undefined"; return 0 }
        return CORES
    }
    if (t in VAL) return VAL[t]
    if (t in WHY) { if (E_err == "") { E_err = WHY[t]; E_why = KIND[t]; E_name = t } return 0 }
    E_err = "'" t "' is not defined by a let line"; E_why = "syntax"
    return 0
}

# ---------------------------------------------------------------- one claim
function reset(    k) {
    for (k in C) delete C[k]
    for (k in VAL) delete VAL[k]
    for (k in WHY) delete WHY[k]
    for (k in KIND) delete KIND[k]
    NL = 0; NH = 0; cur = ""; CORES = ""; CSVS = ""
}

function field(name, value) {
    cur = name
    if (name == "let") {
        if (!match(value, /^[A-Za-z_][A-Za-z_0-9]*[ \t]*=/)) { bad("a let line is 'let NAME = SPEC or EXPRESSION'"); return }
        NL++; LN[NL] = trim(substr(value, 1, RLENGTH - 1)); LX[NL] = trim(substr(value, RLENGTH + 1))
        if (LN[NL] == "cores") bad("'cores' is built in: choose another name")
        return
    }
    if (name == "holds") { NH++; HX[NH] = value; return }
    if (name !~ /^(id|source|claim|needs|shows)$/) { bad("unknown field '" name "' (id source claim needs let holds shows)"); return }
    if (name in C) { bad("a second '" name "' line in one claim"); return }
    C[name] = value
}

# Resolve every let in order; an expression may use the names above it.
function bind(    i, x, e, v) {
    for (i = 1; i <= NL; i++) {
        x = LX[i]
        if (x ~ /^((max|min|mean|median|sum|count)[ \t]+)?[a-z_0-9]+\.[A-Za-z_]/) {
            if ((e = parse_spec(x)) != "") { bad("claim " C["id"] ": " e); continue }
            if (index(" " CSVS " ", " " P_name " ") == 0) CSVS = CSVS (CSVS == "" ? "" : " ") P_name
            e = resolve()
            if (CORES == "" && R_cores != "") { CORES = R_cores; CORES_FROM = P_name }
            if (e == "" && !isnum(R_val)) { e = x " is '" R_val "', not a number"; R_why = "nan" }
            if (e != "") { WHY[LN[i]] = e; KIND[LN[i]] = R_why; continue }
            VAL[LN[i]] = R_val + 0
        } else {
            v = eval_expr(x)
            if (E_why == "syntax") { bad("claim " C["id"] ", let " LN[i] ": " E_err); continue }
            if (E_err != "") { WHY[LN[i]] = E_err; KIND[LN[i]] = E_why == "zero" ? "nan" : KIND[E_name]; continue }
            VAL[LN[i]] = v
        }
    }
}

# "needs" in words, or "" when this machine has what the claim needs.
function lacking(    n, w, i, need) {
    n = split(C["needs"], w, /[ \t,]+/)
    for (i = 1; i <= n; i++) {
        if (w[i] ~ /^cores>=[0-9]+$/) {
            need = substr(w[i], 8) + 0
            if (CORES != "" && CORES < need)
                return "needs >= " need " cores; results/" CORES_FROM ".csv was measured on " CORES " (its # cores= line)"
        } else if (w[i] != "python" && w[i] != "" && w[i] != "-")
            bad("claim " C["id"] ": needs '" w[i] "' is not cores>=N or python")
    }
    return ""
}

# The shows template with every {NAME} or {NAME UNIT} filled in.
function measured(    s, out, body, sp, nm, unit, v) {
    s = C["shows"]; out = ""
    while (match(s, /\{[A-Za-z_][A-Za-z_0-9]*( [^}]*)?\}/)) {
        out = out substr(s, 1, RSTART - 1)
        body = substr(s, RSTART + 1, RLENGTH - 2); s = substr(s, RSTART + RLENGTH)
        sp = index(body, " ")
        nm = sp ? substr(body, 1, sp - 1) : body; unit = sp ? substr(body, sp + 1) : ""
        if (nm == "cores") { out = out (CORES == "" ? "?" : CORES); continue }
        if (!(nm in VAL)) {
            if (!(nm in WHY)) bad("claim " C["id"] ": shows {" nm "}, which no let defines")
            out = out "not measured"; continue
        }
        v = VAL[nm]
        if (unit == "%") out = out fmt(100 * v) " %"
        else if (unit == "x") out = out fmt(v) "x"
        else out = out fmt(v) (unit == "" ? "" : " " unit)
    }
    return tidy(out s)
}

# A "; "-separated part about Python with no number in it says just that.
function tidy(s,    n, part, i, out, t) {
    n = split(s, part, "; ")
    out = ""
    for (i = 1; i <= n; i++) {
        t = part[i]; gsub(/p[0-9]+/, "", t)     # p99 is a name, not a number
        if (t ~ /^Python/ && t !~ /[0-9]/) part[i] = "Python not measured"
        out = out (i > 1 ? "; " : "") part[i]
    }
    gsub(/not measured vs not measured/, "not measured", out)
    return out
}

# Judge the holds lines: sets VERDICT and REASON.
function judge(    h, i, nc, parts, j, p, op, a, b, l, r, off, miss) {
    VERDICT = "supported"; REASON = ""
    if ((miss = lacking()) != "") { VERDICT = "not testable here"; REASON = miss; return }
    miss = ""
    for (h = 1; h <= NH; h++) {
        nc = split(HX[h], parts, / and /)
        for (j = 1; j <= nc; j++) {
            p = parts[j]
            if (!match(p, /(<=|>=|==|<|>)/)) { bad("claim " C["id"] ": '" p "' has no comparison (<= >= == < >)"); continue }
            op = substr(p, RSTART, RLENGTH)
            l = trim(substr(p, 1, RSTART - 1)); r = trim(substr(p, RSTART + RLENGTH))
            a = eval_expr(l)
            if (E_err == "") b = eval_expr(r)
            if (E_why == "syntax") { bad("claim " C["id"] ": " E_err " in '" p "'"); continue }
            if (E_err != "") {          # the python lane first, then the rest
                if (miss == "" || E_why == "python") { miss = E_err; mkind = E_why }
                continue
            }
            if ((op == "<=" && a <= b) || (op == ">=" && a >= b) || (op == "<" && a < b) ||
                (op == ">" && a > b) || (op == "==" && a == b)) continue
            if (VERDICT == "refuted") continue
            VERDICT = "refuted"
            off = b != 0 ? (a - b) / (b < 0 ? -b : b) * 100 : 0
            REASON = l " = " fmt(a) " where the claim needs " op " " fmt(b) \
                     (b != 0 ? sprintf(" (%s %s %%)", off < 0 ? "short by" : "over by", fmt(off < 0 ? -off : off)) : "")
        }
    }
    if (miss != "") {
        VERDICT = "not testable here"
        REASON = miss
    }
}

function finish(    k, m) {
    if (cur == "" && !("id" in C)) return
    for (k = 1; k <= 3; k++) {
        split("id source claim", req, " ")
        if (!(req[k] in C)) bad("a claim without '" req[k] "' (it ends at line " FNR ")")
    }
    if (NH == 0) bad("claim " C["id"] " has no holds line")
    if (!("shows" in C)) bad("claim " C["id"] " has no shows line")
    if (C["id"] in SEEN) bad("claim id " C["id"] " is used twice")
    SEEN[C["id"]] = 1
    bind()
    judge()
    m = measured()
    printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", C["id"], VERDICT, m, REASON, C["source"], C["claim"], CSVS,
        ("needs" in C) ? C["needs"] : "-"
    reset()
}

BEGIN { reset(); nbad = 0 }

/^#/ { next }
/^[ \t]*$/ { finish(); next }
/^[ \t]/ {                              # a continuation of the field above
    if (cur == "" || cur == "let" || cur == "holds") { bad("a continuation line needs a field above it (not let or holds)"); next }
    C[cur] = C[cur] " " trim($0); next
}
{
    name = $1; value = $0; sub(/^[^ \t]+[ \t]*/, "", value)
    field(name, trim(value))
}
END {
    finish()
    if (nbad) exit 65
}
