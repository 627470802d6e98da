#!/usr/bin/env bash
# load_balance: how evenly bin/phase3's routing spreads 10 k messages over its
# workers, for uniform keys and Zipf keys (s = 0.8, 1.1, 1.5), with modulo and
# consistent-hash routing. Everything comes from the real run:
#   keys per worker      --key-owners (key,worker,pid for every key a worker held)
#   messages per worker  joined with --dump-state (every message counts once in
#                        its key's `messages`), so the rows of one run add up to
#                        the messages sent
#   cpu_s                the worker's CPU time from --workers-csv (one row per
#                        worker; its messages must agree with the dump's): with
#                        --work per message it is the worker's busy time, and the
#                        busiest worker decides when the run ends
#   decode_us_per_msg, apply_us_per_msg   the worker's own mean time per message
#                        to decode it and to apply it (state machine + --work),
#                        from --workers-csv's decode_us and apply_us: the time a
#                        message costs on its worker once it is there. phase3 does
#                        not measure the wait in the worker's channel (queueing),
#                        so that is not here: a hot worker's longer queue shows in
#                        its messages and cpu_s, not in these columns
# Counts are deterministic (same seed, same stream): one run per configuration.
# Columns: dist,zipf_s,route,worker,messages,keys,cpu_s,share,workers,total_messages,
#          decode_us_per_msg,apply_us_per_msg
source "$(dirname "$0")/common.sh"
kit_begin load_balance
need phase3
need_flag phase3 --key-owners
need_flag phase3 --workers-csv

workers=4
messages=$(pick 2000 10000 10000)
keys=100
work=$(pick 5 20 20)
meta "repeats=1 (counts are deterministic; cpu_s from that run)" "workers=$workers" \
     "messages=$messages" "keys=$keys" "work=$work"
echo "dist,zipf_s,route,worker,messages,keys,cpu_s,share,workers,total_messages,decode_us_per_msg,apply_us_per_msg" >> "$TMP"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$TMP"' EXIT
configs="uniform:0 zipf:0.8 zipf:1.1 zipf:1.5"
total=8 i=0
for cfg in $configs; do
    dist=${cfg%%:*} s=${cfg#*:}
    for route in modulo consistent; do
        i=$((i + 1))
        args=(--workers "$workers" --route "$route" --messages "$messages" --keys "$keys"
              --work "$work" --dist "$dist")
        [ "$dist" = zipf ] && args+=(--zipf-s "$s")
        if ! "$KIT_BIN/phase3" "${args[@]}" --key-owners "$tmp/owners.csv" \
                --dump-state "$tmp/dump.csv" --workers-csv "$tmp/workers.csv" --quiet \
                > /dev/null 2> "$tmp/summary.txt"; then
            echo "$EXP: $KIT_BIN/phase3 ${args[*]} failed:" >&2
            cat "$tmp/summary.txt" >&2
            exit 1
        fi
        # Per worker: keys from the owners file, messages from the dump, cpu_s
        # and the per-message times from --workers-csv (columns found by name;
        # '#' lines skipped; empty where the worker left no report).
        awk -F, -v W="$workers" -v dist="$dist" -v s="$s" -v route="$route" -v total="$messages" '
            FILENAME ~ /owners/ && FNR > 1 { owner[$1] = $2; nkeys[$2]++; next }
            FILENAME ~ /dump/ && FNR == 1 { for (i = 1; i <= NF; i++) if ($i == "messages") mc = i; next }
            FILENAME ~ /dump/ { if (!($1 in owner)) { print "key " $1 " has no owner" > "/dev/stderr"; exit 1 }
                                msgs[owner[$1]] += $mc; sum += $mc; next }
            FILENAME ~ /workers/ && /^#/ { next }
            FILENAME ~ /workers/ && !wc { for (i = 1; i <= NF; i++) col[$i] = i; wc = 1; next }
            FILENAME ~ /workers/ { if ($col["reported"] == 1) { cpu[$1] = $col["cpu_s"]
                                       dec[$1] = $col["decode_us"]; app[$1] = $col["apply_us"] }
                                   tmsg[$1] = $col["messages"]; next }
            END {
                if (sum != total) { printf "messages add up to %d, expected %d\n", sum, total > "/dev/stderr"; exit 1 }
                for (w = 0; w < W; w++) {
                    if ((w in tmsg) && tmsg[w] != msgs[w] + 0) {
                        printf "worker %d: --workers-csv says %d messages, the dump %d\n", w, tmsg[w], msgs[w] > "/dev/stderr"; exit 1 }
                    printf "%s,%s,%s,%d,%d,%d,%s,%.4f,%d,%d,%s,%s\n", dist, s, route, w, msgs[w], nkeys[w],
                        (w in cpu) ? cpu[w] : "", msgs[w] / total, W, total,
                        (w in dec) ? dec[w] : "", (w in app) ? app[w] : ""
                }
            }' "$tmp/owners.csv" "$tmp/dump.csv" "$tmp/workers.csv" >> "$TMP"
        busiest=$(tail -n "$workers" "$TMP" | awk -F, '$5 > m { m = $5 } END { print m }')
        progress "$i/$total $dist${s:+ s=$s} $route: busiest worker $busiest of $messages messages"
    done
done
rm -rf "$tmp"
kit_end
