#!/usr/bin/env bash
# plots/findings.sh NAME CSV: the findings of one experiment, computed from its
# CSV alone, one plain-text sentence per line ("2 workers: 1.93x of 1").
# The report prints them under the plot. Nothing here is typed in by hand: every
# number is read from the CSV, and a finding whose rows are missing says so.
set -euo pipefail
name=$1 csv=$2

# Every program below starts with this: D[row, column] for every data row, N rows.
prelude='
BEGIN { FS = "," }
/^#/ || NF == 0 { next }
!hdr { for (i = 1; i <= NF; i++) H[$i] = i; hdr = 1; next }
{ N++; for (k in H) D[N, k] = $(H[k]) }
function v(r, k) { return D[r, k] }
# the first row whose columns k1 (and k2, k3) equal x1 (x2, x3); 0 if none
function find(k1, x1, k2, x2, k3, x3,    r) {
    for (r = 1; r <= N; r++)
        if (D[r, k1] == x1 && (k2 == "" || D[r, k2] == x2) && (k3 == "" || D[r, k3] == x3))
            return r
    return 0
}
function us(x) { return x >= 1000 ? sprintf("%.2f ms", x / 1000) : x >= 10 ? sprintf("%.0f µs", x) : sprintf("%.2f µs", x) }
function ns(x) { return x >= 1e6 ? sprintf("%.2f ms", x / 1e6) : x >= 1000 ? sprintf("%.1f µs", x / 1000) : sprintf("%.0f ns", x) }
function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "n/a" }
function pct(x) { return sprintf("%.0f %%", 100 * x) }
function size(b) { return b >= 1048576 ? sprintf("%g MiB", b / 1048576) : b >= 1024 ? sprintf("%g KiB", b / 1024) : b " B" }
'

case $name in
ipc_size) prog='END {
    for (i = 1; i <= 2; i++) {
        b = i == 1 ? 100 : 1048576
        if (!find("bytes", b)) continue
        p = find("transport", "pipe", "bytes", b, "pinned", 1)
        q = find("transport", "pipe", "bytes", b, "pinned", 0)
        if (p && q)
            printf "pipe round trip of %s: %s pinned to one core vs %s with default scheduling (%s)\n", size(b), us(v(p, "round_trip_us")), us(v(q, "round_trip_us")), ratio(v(q, "round_trip_us"), v(p, "round_trip_us"))
    }
    c = find("transport", "inproc", "bytes", 100, "pinned", 0); p = find("transport", "pipe", "bytes", 100, "pinned", 0)
    if (c && p)
        printf "100 B: an in-process call with copy costs %s, %s less than a pipe round trip\n", us(v(c, "round_trip_us")), ratio(v(p, "round_trip_us"), v(c, "round_trip_us"))
    big = 0; for (r = 1; r <= N; r++) if (v(r, "bytes") > big) big = v(r, "bytes")
    line = ""
    split("shm pipe socketpair inproc", T, " ")
    for (t = 1; t <= 4; t++) { r = find("transport", T[t], "bytes", big, "pinned", 0); if (r) line = line sprintf("%s%s %.0f MB/s", line == "" ? "" : ", ", T[t], v(r, "mb_per_s")) }
    if (line != "") printf "one-way stream of %s messages (default scheduling): %s\n", size(big), line
    if (!N) print "no rows in the CSV"
}' ;;

serialization) prog='END {
    split("flat nested array", P, " ")
    for (i = 1; i <= 3; i++) {
        line = ""
        split("raw msgpack json", C, " ")
        for (j = 1; j <= 3; j++) {
            r = find("codec", C[j], "payload", P[i])
            if (r) line = line sprintf("%s%s %d B in %s", line == "" ? "" : ", ", C[j], v(r, "bytes"), ns(v(r, "encode_ns") + v(r, "decode_ns")))
        }
        if (line != "") printf "%s: %s (encode + decode)\n", P[i], line
    }
    line = ""
    for (i = 1; i <= 3; i++) { r = find("codec", "json", "payload", P[i]); if (r) line = line sprintf("%s%s %s", line == "" ? "" : ", ", P[i], pct(v(r, "round_trip_share"))) }
    if (line != "") printf "JSON share of a same-size pipe request/reply: %s\n", line
    line = ""
    for (i = 1; i <= 3; i++) { r = find("codec", "msgpack", "payload", P[i]); if (r) line = line sprintf("%s%s %s", line == "" ? "" : ", ", P[i], pct(v(r, "round_trip_share"))) }
    if (line != "") printf "msgpack share: %s\n", line
    if (!N) print "no rows in the CSV"
}' ;;

startup_memory) prog='END {
    f = find("method", "fork"); e = find("method", "fork_exec"); s = find("method", "posix_spawn"); t = find("method", "pthread")
    if (f && e && s && t) {
        printf "start + reap: fork %s, fork+exec %s (%s of fork), posix_spawn %s, pthread_create + join %s (fork costs %s of a thread)\n", us(v(f, "us")), us(v(e, "us")), ratio(v(e, "us"), v(f, "us")), us(v(s, "us")), us(v(t, "us")), ratio(v(f, "us"), v(t, "us"))
        printf "one idle forked child: Pss %d KiB, of which %d KiB private; an exec of a small kit program: Pss %d KiB; one more thread: %d KiB\n", v(f, "pss_kib"), v(f, "private_kib"), v(e, "pss_kib"), v(t, "pss_kib")
    } else print "rows missing: expected fork, fork_exec, posix_spawn and pthread"
}' ;;

scaling) prog='END {
    split("processes threads-global threads-sharded", M, " ")
    for (i = 1; i <= 3; i++) {
        one = find("mode", M[i], "workers", 1); if (!one) continue
        line = ""; best = 0; bw = 0
        for (r = 1; r <= N; r++) if (v(r, "mode") == M[i]) {
            if (v(r, "workers") == 2 || v(r, "workers") == 4) line = line sprintf("%s%d: %.2fx of 1", line == "" ? "" : ", ", v(r, "workers"), v(r, "msgs_per_s") / v(one, "msgs_per_s"))
            if (v(r, "msgs_per_s") > best) { best = v(r, "msgs_per_s"); bw = v(r, "workers") }
        }
        printf "%s: %s; peak %.0f msgs/s at %d\n", M[i], line, best, bw
    }
    # The Python lane (lang=python): the course programs on the same machine.
    p1 = find("mode", "py-processes", "workers", 1); p2 = find("mode", "py-processes", "workers", 2)
    t1 = find("mode", "py-threads", "workers", 1); t2 = find("mode", "py-threads", "workers", 2)
    if (p1 && p2 && t1 && t2) printf "python, --work %d (%d messages): processes (mp.Queue per worker) 2: %s of 1; threads over one dict (the GIL) 2: %s of 1\n", v(p1, "work"), v(p1, "messages"), ratio(v(p2, "msgs_per_s"), v(p1, "msgs_per_s")), ratio(v(t2, "msgs_per_s"), v(t1, "msgs_per_s"))
    else if (N) print "python: not measured"
    if (!N) print "no rows in the CSV"
}' ;;

load_balance) prog='END {
    for (r = 1; r <= N; r++) {
        g = v(r, "dist") " " v(r, "zipf_s") " " v(r, "route")
        if (!(g in tot)) { order[++ng] = g; mx[g] = 0; w[g] = 0 }
        tot[g] += v(r, "messages"); w[g]++; cpu[g] += v(r, "cpu_s")
        # the mean apply time per message over all the workers messages (weighted)
        app[g] += v(r, "messages") * v(r, "apply_us_per_msg"); hasapp[g] += v(r, "apply_us_per_msg") != ""
        if (v(r, "messages") + 0 > mx[g]) { mx[g] = v(r, "messages"); mxcpu[g] = v(r, "cpu_s"); mxapp[g] = v(r, "apply_us_per_msg") }
    }
    for (i = 1; i <= ng; i++) {
        g = order[i]; split(g, a, " ")
        c = cpu[g] > 0 ? sprintf("; its CPU time %.3f s vs %.3f s mean", mxcpu[g], cpu[g] / w[g]) : ""
        l = hasapp[g] == w[g] && tot[g] > 0 ? sprintf("; mean apply time per message (state machine + --work) on it %s vs %s over all workers", us(mxapp[g]), us(app[g] / tot[g])) : ""
        printf "%s%s, %s: busiest of %d workers has %s of the mean (%d of %d messages)%s%s\n", a[1], a[1] == "zipf" ? " s=" a[2] : "", a[3], w[g], ratio(mx[g], tot[g] / w[g]), mx[g], tot[g], c, l
    }
    if (!N) print "no rows in the CSV"
}' ;;

query_latency) prog='END {
    split("phase1 phase2 phase3 py_phase3", P, " ")
    for (i = 1; i <= 4; i++) {
        lo = 0; hi = 0
        for (r = 1; r <= N; r++) if (v(r, "program") == P[i]) {
            if (!lo || v(r, "load") < v(lo, "load")) lo = r
            if (!hi || v(r, "load") > v(hi, "load")) hi = r
        }
        if (lo && hi) printf "%s (capacity %.0f msgs/s): query p50 %s at %s load vs %s at %s; p99 %s vs %s\n", P[i], v(lo, "capacity_msgs_per_s"), us(v(lo, "p50_us")), pct(v(lo, "load")), us(v(hi, "p50_us")), pct(v(hi, "load")), us(v(lo, "p99_us")), us(v(hi, "p99_us"))
        else if (i == 4 && N) print "python (py_phase3): not measured"
    }
    if (!N) print "no rows in the CSV"
}' ;;

batching) prog='END {
    lo = 0; hi = 0
    for (r = 1; r <= N; r++) if (v(r, "mode") == "pool") {
        if (!lo || v(r, "batch") < v(lo, "batch")) lo = r
        if (!hi || v(r, "batch") > v(hi, "batch")) hi = r
    }
    if (lo && hi) printf "pool, per-record cost: %s at B=%d vs %s at B=%d (%s less)\n", us(v(lo, "per_record_us")), v(lo, "batch"), us(v(hi, "per_record_us")), v(hi, "batch"), ratio(v(lo, "per_record_us"), v(hi, "per_record_us"))
    s = find("mode", "sequential", "batch", v(hi, "batch")); s1 = find("mode", "sequential", "batch", v(lo, "batch"))
    if (hi && s) printf "at B=%d the pool costs %s per record, the same batches in one process %s\n", v(hi, "batch"), us(v(hi, "per_record_us")), us(v(s, "per_record_us"))
    if (lo && s1) printf "the fixed cost of one pool call (pool minus sequential at B=%d): %s\n", v(lo, "batch"), us((v(lo, "per_record_us") - v(s1, "per_record_us")) * v(lo, "batch"))
    if (!lo) print "no pool rows in the CSV"
}' ;;

loop_lag) prog='END {
    top = 0; for (r = 1; r <= N; r++) if (v(r, "work") + 0 > top) top = v(r, "work")
    a = find("work", 0, "offload", "none"); b = find("work", top, "offload", "none"); c = find("work", top, "offload", "threads")
    if (a && b) printf "heartbeat lag p99 without offload: %.2f ms at work 0 vs %.2f ms at work %d (%.1f ms of CPU per message)\n", v(a, "lag_p99_ms"), v(b, "lag_p99_ms"), top, v(b, "work_ms")
    pool = c && v(c, "pool") != "" ? sprintf(" of %d thread%s", v(c, "pool"), v(c, "pool") == 1 ? "" : "s") : ""
    if (b && c) printf "at work %d, offloading to the thread pool%s: lag p99 %.2f ms vs %.2f ms in the loop\n", top, pool, v(c, "lag_p99_ms"), v(b, "lag_p99_ms")
    # The Python rows (lang=python): asyncio on uvloop, py_phase1.
    pt = 0; for (r = 1; r <= N; r++) if (v(r, "lang") == "python" && v(r, "work") + 0 > pt) pt = v(r, "work")
    pa = find("work", 0, "offload", "none", "lang", "python"); pb = find("work", pt, "offload", "none", "lang", "python"); pc = find("work", pt, "offload", "threads", "lang", "python")
    if (pa && pb && pc) printf "python (asyncio on uvloop): lag p99 %.2f ms at work 0, %.2f ms with %.1f ms of work per message on the loop, %.2f ms with it awaited via run_in_executor on %d thread(s)\n", v(pa, "lag_p99_ms"), v(pb, "lag_p99_ms"), v(pb, "work_ms"), v(pc, "lag_p99_ms"), v(pc, "pool")
    else if (N) print "python: not measured"
    if (!N) print "no rows in the CSV"
}' ;;

contention) prog='END {
    split("global registry sharded", L, " ")
    for (i = 1; i <= 3; i++) {
        one = find("lock", L[i], "threads", 1); two = find("lock", L[i], "threads", 2)
        if (one && two) printf "%s lock: 2 threads %.0f msgs/s, %s of 1 thread; threads spent %s of their time waiting for the lock\n", L[i], v(two, "msgs_per_s"), ratio(v(two, "msgs_per_s"), v(one, "msgs_per_s")), pct(v(two, "lock_wait_share"))
    }
    if (!N) print "no rows in the CSV"
}' ;;

threads_vs_processes) prog='END {
    # medians of the hyperfine runs (user_s is the mean CPU time of the runs)
    t1 = find("command", "1 thread"); t2 = find("command", "2 threads")
    p1 = find("command", "1 process"); p2 = find("command", "2 processes")
    if (t1 && t2) printf "2 orders as threads: %.3f s, %s of 1 order (%.3f s; medians)\n", v(t2, "median_s"), ratio(v(t2, "median_s"), v(t1, "median_s")), v(t1, "median_s")
    if (p1 && p2) printf "2 orders as processes: %.3f s, %s of 1 order (%.3f s; medians)\n", v(p2, "median_s"), ratio(v(p2, "median_s"), v(p1, "median_s")), v(p1, "median_s")
    if (t2 && p2) printf "2 threads vs 2 processes: %.3f s vs %.3f s median (CPU: %.3f s vs %.3f s user, mean)\n", v(t2, "median_s"), v(p2, "median_s"), v(t2, "user_s"), v(p2, "user_s")
    if (!N) print "no rows in the CSV"
}' ;;

parallel_map) prog='END {
    s = find("command", "sequential")
    if (!s) { print "no sequential row in the CSV"; exit }
    line = ""
    for (r = 1; r <= N; r++) if (r != s) line = line sprintf("%s%s %.3f s (speedup %s)", line == "" ? "" : ", ", v(r, "command"), v(r, "median_s"), ratio(v(s, "median_s"), v(r, "median_s")))
    printf "medians of %d runs: sequential %.3f s; %s\n", v(s, "runs"), v(s, "median_s"), line
}' ;;

task_queue) prog='END {
    top = 0; for (r = 1; r <= N; r++) if (v(r, "fn") != "empty" && v(r, "tasks") + 0 > top) top = v(r, "tasks")
    line = ""
    split("static dynamic shm", S, " ")
    for (i = 1; i <= 3; i++) { r = find("scheme", S[i], "tasks", top, "fn", "spin"); if (r) line = line sprintf("%s%s %.0f tasks/s", line == "" ? "" : ", ", S[i], v(r, "tasks_per_s")) }
    if (line != "") printf "%d uniform tasks: %s\n", top, line
    else print "no rows in the CSV"
    a = find("scheme", "shm", "fn", "empty"); b = find("scheme", "dynamic", "fn", "empty")
    if (a && b) printf "the queue alone (%d empty tasks): ring %.0f tasks/s vs pipe pool %.0f tasks/s (%s)\n", v(a, "tasks"), v(a, "tasks_per_s"), v(b, "tasks_per_s"), ratio(v(a, "tasks_per_s"), v(b, "tasks_per_s"))
}' ;;

*) echo "no findings defined for $name"; exit 0 ;;
esac

LC_ALL=C awk "$prelude$prog" "$csv"
