#!/usr/bin/env bash
# handout.sh: write the student tree. Every file of the kit is copied, and each
# exercise region of the reference code becomes a TODO with a stub that compiles
# (worksheets/INSTRUCTOR.md lists the exercises; worksheets/README.md the markers).
#
#   scripts/handout.sh [--untracked] [--only ID,ID] [DEST]   DEST defaults to handout/
#
# --only stubs just those exercises and leaves every other one as the reference
# code (markers removed): how tests/test_handout.c measures what each exercise,
# stubbed alone, costs.
#
# An exercise region in a .c or .h file:
#     /* EXERCISE(phase3-route-pick): pick the worker that owns this key */
#     /* STUB: (void)key; return 0; */        (optional, any number, in order)
#     ...reference code...
#     /* END EXERCISE */
# becomes, in DEST, with the indentation of the EXERCISE line:
#     /* TODO(phase3-route-pick): pick the worker that owns this key */
#     (void)key; return 0;
# The exercise text may run over several comment lines; the stub must leave the
# file -Werror clean (use or void every parameter and every local it leaves
# unused). Regions do not nest; ids are unique across the tree.
#
# Files copied: `git ls-files` (with --untracked, also untracked files git does
# not ignore), less what only instructors get: this script, worksheets/INSTRUCTOR.md
# and tests/test_handout.c. DEST also gets worksheets/EXERCISES.md (the student's
# list) and its own tests/MANIFEST.sha256.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
untracked=0 dest="" only=""
while [ $# -gt 0 ]; do
    case $1 in
        --untracked) untracked=1; shift ;;
        --only) [ $# -ge 2 ] || { echo "handout: --only needs ID,ID" >&2; exit 2; }; only=$2; shift 2 ;;
        -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
        -*) echo "handout: unknown option '$1' (try --help)" >&2; exit 2 ;;
        *) [ -z "$dest" ] || { echo "handout: one destination only" >&2; exit 2; }; dest=$1; shift ;;
    esac
done
dest=${dest:-handout}
cd "$root"
case $dest in /*) ;; *) dest=$root/$dest ;; esac

# A previous handout is replaced; anything else at DEST is left alone.
stamp=.kit-handout
if [ -e "$dest" ]; then
    if [ -f "$dest/$stamp" ] || [ -z "$(ls -A "$dest")" ]; then
        rm -rf "$dest"
    else
        echo "handout: $dest exists and is not a handout (no $stamp): not replacing it" >&2
        exit 1
    fi
fi

# The files: git's list where there is one, else every file outside the build
# outputs (a tree unpacked from a tarball).
list=$(mktemp) && trap 'rm -f "$list"' EXIT
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1 &&
   [ "$(git -C "$root" rev-parse --show-toplevel)" = "$root" ]; then
    { git ls-files -z; [ $untracked = 0 ] || git ls-files -z --others --exclude-standard; } >"$list"
else
    find . -type f ! -path './.git/*' ! -path './build/*' ! -path './bin/*' ! -path './handout/*' \
        ! -path './results/*' ! -path './plots/out/*' ! -path './worksheets/filled/*' \
        -printf '%P\0' >"$list"
fi

mkdir -p "$dest"
touch "$dest/$stamp"
exercises=$dest/.exercises.tmp
: >"$exercises"
nfiles=0 status=0
while IFS= read -r -d '' f; do
    [ -f "$f" ] || continue                      # deleted in the working tree
    case $f in
        scripts/handout.sh|worksheets/INSTRUCTOR.md|tests/test_handout.c) continue ;;
    esac
    mkdir -p "$dest/$(dirname "$f")"
    if [[ $f == *.[ch] ]] && grep -qE 'EXERCISE\(|END EXERCISE|/\*[[:space:]]*STUB:' "$f"; then
        awk -v file="$f" -v list="$exercises" -v only="$only" '
        function fail(why) { printf "handout: %s:%d: %s\n", file, FNR, why > "/dev/stderr"; bad = 1 }
        # Print text as a comment block of lines at most 88 columns wide.
        function wrap(ind, text,    n, w, i, line, width, first, lines) {
            width = 88 - length(ind); n = split(text, w, " "); line = ""; first = 1; lines = 1
            for (i = 1; i <= n; i++) {
                if (line != "" && length(line) + 1 + length(w[i]) > width) {
                    print ind (first ? "" : " * ") line; first = 0; line = w[i]; lines++
                } else line = line (line == "" ? "" : " ") w[i]
            }
            print ind (first ? "" : " * ") line
            return lines
        }
        function finish_text(   t) {
            t = text; gsub(/[ \t]+/, " ", t); sub(/^ /, "", t); sub(/ $/, "", t)
            return t
        }
        state == 0 && /\/\*[ \t]*EXERCISE\(/ {
            if (!match($0, /EXERCISE\([a-z0-9][a-z0-9-]*\):/)) { fail("an exercise id is [a-z0-9-]+: EXERCISE(id): text"); next }
            id = substr($0, RSTART + 9, RLENGTH - 11)
            indent = $0; sub(/[^ \t].*$/, "", indent)
            text = substr($0, RSTART + RLENGTH); start = FNR; nstub = 0
            sel = only == "" || index("," only ",", "," id ",") > 0
            if (index(text, "*/")) { sub(/\*\/.*$/, "", text); state = 2 } else state = 1
            next
        }
        state == 1 {                              # the exercise text goes on
            t = $0; sub(/^[ \t]*\*?[ \t]?/, "", t)
            if (index(t, "*/")) { sub(/\*\/.*$/, "", t); state = 2 }
            text = text " " t
            next
        }
        state == 2 && /\/\*[ \t]*EXERCISE\(/ { fail("EXERCISE inside the region of " id " (line " start "): regions do not nest"); next }
        state == 2 && /\/\*[ \t]*STUB:/ {
            s = $0; sind = s; sub(/[^ \t].*$/, "", sind)
            sub(/^[ \t]*\/\*[ \t]*STUB:[ \t]?/, "", s)
            if (!sub(/[ \t]*\*\/[ \t]*$/, "", s)) { fail("a STUB comment must end on its line: /* STUB: code */"); next }
            stub[++nstub] = sind s
            next
        }
        state == 2 && /\/\*[ \t]*END EXERCISE[ \t]*\*\// {
            t = finish_text()
            if (t == "") fail("exercise " id " has no text")
            printf "%s\t%s\t%d\t%s\t%d\n", id, file, outline + 1, t, sel >> list
            state = 0
            if (!sel) next
            nl = wrap(indent, "/* TODO(" id "): " t " */")
            for (i = 1; i <= nstub; i++) print stub[i]
            outline += nl + nstub
            next
        }
        state == 2 && sel { next }                # reference code: dropped
        state == 2 { print; outline++; next }     # not selected (--only): kept
        /\/\*[ \t]*END EXERCISE/ { fail("END EXERCISE without an EXERCISE"); next }
        /\/\*[ \t]*STUB:/ { fail("STUB outside an exercise region"); next }
        { print; outline++ }
        END {
            if (state != 0) { FNR = start; fail("exercise " id " is never closed by /* END EXERCISE */") }
            exit bad
        }' "$f" >"$dest/$f" || status=1
        chmod --reference="$f" "$dest/$f"
    else
        cp -p "$f" "$dest/$f"
    fi
    nfiles=$((nfiles + 1))
done <"$list"

# Ids are unique across the tree.
dups=$(cut -f1 "$exercises" | sort | uniq -d)
if [ -n "$only" ]; then
    for id in ${only//,/ }; do
        cut -f1 "$exercises" | grep -qx -- "$id" || { echo "handout: --only: no exercise '$id'" >&2; status=1; }
    done
fi
if [ -n "$dups" ]; then
    echo "handout: exercise id(s) used twice: $dups" >&2
    status=1
fi
if [ $status -ne 0 ]; then
    echo "handout: marker errors above; $dest is incomplete" >&2
    exit 1
fi

# The student's list, with the rubric parts that check each exercise.
mkdir -p "$dest/worksheets"
{
    echo "# Exercises"
    echo
    echo "Each exercise is a \`TODO(id)\` comment in the code, with a stub that compiles"
    echo "but does not do the job. Replace the stub with your code; \`make test\` and"
    echo "\`make grade\` show what still fails (\`make grade GRADE_ARGS='--exercises id'\`"
    echo "grades just the parts that check one exercise)."
    echo
    echo "| id | where | what to write | graded in |"
    echo "| --- | --- | --- | --- |"
    while IFS=$'\t' read -r id file line text sel; do
        [ "$sel" = 1 ] || continue
        parts=$(awk -F'|' -v id="$id" '!/^[ \t]*#/ && NF >= 5 {
                    n = split($5, e, /[ ,\t]+/)
                    for (i = 1; i <= n; i++) if (e[i] == id) { p = $1; gsub(/[ \t]/, "", p); printf "%s%s", (c++ ? ", " : ""), p }
                }' tests/rubric.txt 2>/dev/null)
        echo "| \`$id\` | $file:$line | $text | ${parts:-(not graded)} |"
    done <"$exercises"
} >"$dest/worksheets/EXERCISES.md"
n=$(awk -F'\t' '$5 == 1' "$exercises" | wc -l)
rm -f "$exercises"

# The handout's own manifest: its tests are the shipped ones.
(cd "$dest" && bash scripts/grade.sh --manifest >/dev/null)
echo "handout: $nfiles files, $n exercises -> $dest (list: worksheets/EXERCISES.md)"
