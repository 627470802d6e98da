#!/bin/bash
# calls.sh: which file of the pipeline calls which, read from the objects'
# symbol tables (nm), and every pair of files that call each other (there
# should be none: calls go down). Usage: calls.sh [OBJDIR]
# (default build/default/phase3_processes/pipeline; `make p3-calls` builds first).
set -euo pipefail
D=${1:-build/default/phase3_processes/pipeline}
declare -A def
for o in "$D"/*.o; do
    f=$(basename "$o" .o)
    for s in $(nm --defined-only -g "$o" | awk '$2 == "T" { print $3 }'); do def[$s]=$f; done
done
edges=$(for o in "$D"/*.o; do
    f=$(basename "$o" .o)
    for s in $(nm -u "$o" | awk '{ print $2 }'); do
        t=${def[$s]:-}
        if [ -n "$t" ] && [ "$t" != "$f" ]; then echo "$f $t"; fi
    done
done | sort -u)
echo "$edges" | awk '{ a[$1] = a[$1] " " $2 } END { for (k in a) print k ":" a[k] }' | sort
mutual=0
while read -r a b; do
    if grep -qx "$b $a" <<<"$edges"; then echo "calls.sh: $a and $b call each other"; mutual=1; fi
done <<<"$edges"
exit $mutual
