#!/usr/bin/env bash
# claims/routing.sh (make results/routing.csv): does splitting a key across
# workers give a wrong result? One Zipf stream through bin/reference (the truth)
# and through bin/phase3 with every --route policy; for each, how many keys'
# final state (their dump row) differs from the reference. Counts, not times:
# one run per policy. Columns: route,workers,messages,keys,keys_differing,identical
source "$(dirname "$0")/../experiments/common.sh"
kit_begin routing
need phase3 reference

messages=$(pick 20000 50000 300000)
keys=300 workers=3
meta "workers=$workers" "messages=$messages" "keys=$keys (zipf s=1.1, seed 5)"
sed -i 's|experiments/routing.sh|claims/routing.sh|' "$TMP"     # this driver lives in claims/
echo "route,workers,messages,keys,keys_differing,identical" >> "$TMP"
dir=$(mktemp -d)
trap 'rm -rf "$dir" "$TMP"' EXIT
stream=(--messages "$messages" --keys "$keys" --dist zipf --seed 5)
"$KIT_BIN/reference" "${stream[@]}" --dump-state "$dir/ref.csv" --quiet
for route in modulo consistent map roundrobin; do
    "$KIT_BIN/phase3" --workers "$workers" --route "$route" "${stream[@]}" \
        --dump-state "$dir/$route.csv" --quiet
    # keys whose row differs: the rows of either dump that the other lacks, by key
    differ=$(sort "$dir/ref.csv" "$dir/$route.csv" | uniq -u | cut -d, -f1 | sort -u | grep -c . || true)
    total=$(( $(wc -l < "$dir/ref.csv") - 1 ))
    same=0; cmp -s "$dir/ref.csv" "$dir/$route.csv" && same=1
    row "$route" "$workers" "$messages" "$total" "$differ" "$same"
    progress "$route: $differ of $total keys differ from bin/reference"
done
rm -rf "$dir"
kit_end
