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
function opt(x) { return x == "" ? "not measured" : us(x) }
function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "n/a" }
function pct(x) { return sprintf("%.0f %%", 100 * x) }
function size(b) { return b >= 1048576 ? sprintf("%g MiB", b / 1048576) : b >= 1024 ? sprintf("%g KiB", b / 1024) : b " B" }
'

# The lang column (c or python; a CSV without it is all C): findl is find
# within one language's rows, and pynote says why a CSV has no Python rows.
prelude='/^# python=not measured/ { pynm = substr($0, 10) }'"$prelude"'
function lang(r) { return ("lang" in H) ? D[r, "lang"] : "c" }
function findl(l, k1, x1, k2, x2, k3, x3,    r) {
    for (r = 1; r <= N; r++)
        if (lang(r) == l && D[r, k1] == x1 && (k2 == "" || D[r, k2] == x2) && (k3 == "" || D[r, k3] == x3))
            return r
    return 0
}
function has(l,    r) { for (r = 1; r <= N; r++) if (lang(r) == l) return 1; return 0 }
function pynote() { if (!has("python")) print (pynm != "" ? "python: " pynm : "python: not measured (no python rows in the CSV)") }
'

case $name in
ipc_size) prog='END {
    for (i = 1; i <= 2; i++) {
        b = i == 1 ? 100 : 1048576
        if (!find("bytes", b)) continue
        p = findl("c", "transport", "pipe", "bytes", b, "pinned", 1)
        q = findl("c", "transport", "pipe", "bytes", b, "pinned", 0)
        if (p && q)
            printf "pipe round trip of %s: %s pinned to one core vs %s with default scheduling (%s)\n", size(b), us(v(p, "round_trip_us")), us(v(q, "round_trip_us")), ratio(v(q, "round_trip_us"), v(p, "round_trip_us"))
    }
    c = findl("c", "transport", "inproc", "bytes", 100, "pinned", 0); p = findl("c", "transport", "pipe", "bytes", 100, "pinned", 0)
    if (c && p)
        printf "100 B: an in-process call with copy costs %s, %s less than a pipe round trip\n", us(v(c, "round_trip_us")), ratio(v(p, "round_trip_us"), v(c, "round_trip_us"))
    big = 0; for (r = 1; r <= N; r++) if (v(r, "bytes") > big) big = v(r, "bytes")
    line = ""
    split("shm pipe socketpair inproc", T, " ")
    for (t = 1; t <= 4; t++) { r = findl("c", "transport", T[t], "bytes", big, "pinned", 0); if (r) line = line sprintf("%s%s %.0f MB/s", line == "" ? "" : ", ", T[t], v(r, "mb_per_s")) }
    if (line != "") printf "one-way stream of %s messages (default scheduling): %s\n", size(big), line
    # Python: the course mp.Pipe and mp.Queue (pickled bytes) beside the C pipe
    for (t = 1; t <= 2; t++) {
        tr = t == 1 ? "mp-pipe" : "mp-queue"
        r = findl("python", "transport", tr, "bytes", 100, "pinned", 0); c = findl("c", "transport", "pipe", "bytes", 100, "pinned", 0)
        if (r) printf "python %s, 100 B round trip (default scheduling): %s%s\n", tr, us(v(r, "round_trip_us")), c ? sprintf(", %s of the C pipe (%s)", ratio(v(r, "round_trip_us"), v(c, "round_trip_us")), us(v(c, "round_trip_us"))) : ""
        r = findl("python", "transport", tr, "bytes", big, "pinned", 0); c = findl("c", "transport", "pipe", "bytes", big, "pinned", 0)
        if (r) printf "python %s, one-way stream of %s messages: %.0f MB/s%s\n", tr, size(big), v(r, "mb_per_s"), c ? sprintf(" (C pipe: %.0f MB/s)", v(c, "mb_per_s")) : ""
    }
    pynote()
    if (!N) print "no rows in the CSV"
}' ;;

serialization) prog='END {
    split("flat nested array", P, " ")
    for (i = 1; i <= 3; i++) {
        line = ""
        split("raw msgpack json", C, " ")
        for (j = 1; j <= 3; j++) {
            r = findl("c", "codec", C[j], "payload", P[i])
            if (r) line = line sprintf("%s%s %d B in %s", line == "" ? "" : ", ", C[j], v(r, "bytes"), ns(v(r, "encode_ns") + v(r, "decode_ns")))
        }
        if (line != "") printf "%s: %s (encode + decode)\n", P[i], line
    }
    line = ""
    for (i = 1; i <= 3; i++) { r = findl("c", "codec", "json", "payload", P[i]); if (r) line = line sprintf("%s%s %s", line == "" ? "" : ", ", P[i], pct(v(r, "round_trip_share"))) }
    if (line != "") printf "JSON share of a same-size pipe request/reply: %s\n", line
    line = ""
    for (i = 1; i <= 3; i++) { r = findl("c", "codec", "msgpack", "payload", P[i]); if (r) line = line sprintf("%s%s %s", line == "" ? "" : ", ", P[i], pct(v(r, "round_trip_share"))) }
    if (line != "") printf "msgpack share: %s\n", line
    # Python: pickle 4 and 5 beside msgpack and json, on the same payloads and 1 MiB ones
    split("flat array 1mib numpy", Q, " ")
    for (i = 1; i <= 4; i++) {
        line = ""
        split("pickle4 pickle5 msgpack json", C, " ")
        for (j = 1; j <= 4; j++) {
            r = findl("python", "codec", C[j], "payload", Q[i])
            if (r) line = line sprintf("%s%s %s (share %s)", line == "" ? "" : ", ", C[j], ns(v(r, "encode_ns") + v(r, "decode_ns")), pct(v(r, "round_trip_share")))
        }
        if (line != "") printf "python, %s: %s (encode + decode; share of a same-size pipe request/reply)\n", Q[i], line
    }
    pynote()
    if (!N) print "no rows in the CSV"
}' ;;

startup_memory) prog='END {
    f = findl("c", "method", "fork"); e = findl("c", "method", "fork_exec"); s = findl("c", "method", "posix_spawn"); t = findl("c", "method", "pthread")
    if (f && e && s && t) {
        printf "start + reap: fork %s, fork+exec %s (%s of fork), posix_spawn %s, pthread_create + join %s (fork costs %s of a thread)\n", us(v(f, "us")), us(v(e, "us")), ratio(v(e, "us"), v(f, "us")), us(v(s, "us")), us(v(t, "us")), ratio(v(f, "us"), v(t, "us"))
        printf "one idle forked child: Pss %d KiB, of which %d KiB private; an exec of a small kit program: Pss %d KiB; one more thread: %d KiB\n", v(f, "pss_kib"), v(f, "private_kib"), v(e, "pss_kib"), v(t, "pss_kib")
    } else print "rows missing: expected fork, fork_exec, posix_spawn and pthread"
    line = ""; mem = ""
    split("fork spawn forkserver", M, " ")
    for (i = 1; i <= 3; i++) {
        r = findl("python", "method", "mp_" M[i])
        if (!r) continue
        line = line sprintf("%s%s %s", line == "" ? "" : ", ", M[i], us(v(r, "us")))
        mem = mem sprintf("%s%s Pss %d KiB (%d KiB private)", mem == "" ? "" : ", ", M[i], v(r, "pss_kib"), v(r, "private_kib"))
    }
    if (line != "") printf "python Process start + join: %s\n", line
    if (mem != "") printf "python, one idle interpreter worker: %s%s\n", mem, f ? sprintf("; a C forked child: Pss %d KiB", v(f, "pss_kib")) : ""
    pynote()
}' ;;

scaling) prog='END {
    nm = split("processes threads-global threads-sharded mpi shared", M, " ")
    for (i = 1; i <= nm; i++) {
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
    np = split("phase1 phase2 phase3 phase4 py_phase3", P, " ")
    for (i = 1; i <= np; i++) {
        lo = 0; hi = 0
        for (r = 1; r <= N; r++) if (v(r, "program") == P[i]) {
            if (!lo || v(r, "load") < v(lo, "load")) lo = r
            if (!hi || v(r, "load") > v(hi, "load")) hi = r
        }
        if (lo && hi) printf "%s (capacity %.0f msgs/s): query p50 %s at %s load vs %s at %s; p99 %s vs %s\n", P[i], v(lo, "capacity_msgs_per_s"), us(v(lo, "p50_us")), pct(v(lo, "load")), us(v(hi, "p50_us")), pct(v(hi, "load")), us(v(lo, "p99_us")), us(v(hi, "p99_us"))
        else if (P[i] == "py_phase3" && N) print "python (py_phase3): not measured"
    }
    if (!N) print "no rows in the CSV"
}' ;;

batching) prog='END {
    # the works swept (a CSV without a work column is one sweep at work 0)
    W = 0; for (r = 1; r <= N; r++) if (v(r, "work") + 0 > W) W = v(r, "work") + 0
    split("c python", L, " ")
    for (l = 1; l <= 2; l++) {
        who = L[l] == "c" ? "" : "python, "
        # work 0: the fixed cost of one call, pool minus one process at the smallest B
        lo = 0
        for (r = 1; r <= N; r++) if (lang(r) == L[l] && v(r, "mode") == "pool" && v(r, "work") + 0 == 0)
            if (!lo || v(r, "batch") < v(lo, "batch")) lo = r
        s1 = lo ? findl(L[l], "mode", "sequential", "batch", v(lo, "batch"), "work", v(lo, "work")) : 0
        if (s1) printf "%swork 0: the fixed cost of one pool call (pool minus one process at B=%d): %s\n", who, v(lo, "batch"), us((v(lo, "per_record_us") - v(s1, "per_record_us")) * v(lo, "batch"))
        if (!W) continue
        # work W: where the pool is fastest, its speedup there, and its loss at B=1
        best = 0; one = 0
        for (r = 1; r <= N; r++) if (lang(r) == L[l] && v(r, "mode") == "pool" && v(r, "work") == W) {
            if (!best || v(r, "per_record_us") < v(best, "per_record_us")) best = r
            if (v(r, "batch") == 1) one = r
        }
        if (!best) continue
        s = findl(L[l], "mode", "sequential", "batch", v(best, "batch"), "work", W)
        if (s) printf "%swork %d: the pool is fastest at B=%d, %s per record vs %s in one process: %s with %d workers (a batch takes %.1f ms of a worker)\n", who, W, v(best, "batch"), us(v(best, "per_record_us")), us(v(s, "per_record_us")), ratio(v(s, "per_record_us"), v(best, "per_record_us")), v(best, "workers"), v(best, "batch") * v(s, "per_record_us") / 1000
        s = one ? findl(L[l], "mode", "sequential", "batch", 1, "work", W) : 0
        if (s) printf "%swork %d, B=1: the pool %s, %s per record vs %s in one process (%s)\n", who, W, (v(one, "per_record_us") > v(s, "per_record_us") ? "loses" : "still wins"), us(v(one, "per_record_us")), us(v(s, "per_record_us")), ratio(v(s, "per_record_us"), v(one, "per_record_us"))
    }
    if (!has("c")) print "no C pool rows in the CSV"
    pynote()
}' ;;

loop_lag) prog='END {
    # the C rows (their work units are not Python units: the two lanes never mix)
    top = 0; for (r = 1; r <= N; r++) if (lang(r) == "c" && v(r, "work") + 0 > top) top = v(r, "work")
    a = findl("c", "work", 0, "offload", "none"); b = findl("c", "work", top, "offload", "none"); c = findl("c", "work", top, "offload", "threads")
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
    split("c python", L, " ")
    for (l = 1; l <= 2; l++) {
        who = L[l] == "c" ? "" : "python, "
        t1 = findl(L[l], "command", "1 thread"); t2 = findl(L[l], "command", "2 threads")
        p1 = findl(L[l], "command", "1 process"); p2 = findl(L[l], "command", "2 processes")
        if (t1 && t2) printf "%s2 orders as threads: %.3f s, %s of 1 order (%.3f s; medians)\n", who, v(t2, "median_s"), ratio(v(t2, "median_s"), v(t1, "median_s")), v(t1, "median_s")
        if (p1 && p2) printf "%s2 orders as processes: %.3f s, %s of 1 order (%.3f s; medians)\n", who, v(p2, "median_s"), ratio(v(p2, "median_s"), v(p1, "median_s")), v(p1, "median_s")
        if (t2 && p2) printf "%s2 threads vs 2 processes: %.3f s vs %.3f s median (CPU: %.3f s vs %.3f s user, mean)\n", who, v(t2, "median_s"), v(p2, "median_s"), v(t2, "user_s"), v(p2, "user_s")
    }
    pynote()
    if (!N) print "no rows in the CSV"
}' ;;

parallel_map) prog='END {
    split("c python", L, " ")
    for (l = 1; l <= 2; l++) {
        who = L[l] == "c" ? "" : "python (Pool.map), "
        s = findl(L[l], "command", "sequential")
        if (!s) { if (L[l] == "c") print "no sequential row in the CSV"; continue }
        line = ""
        for (r = 1; r <= N; r++) if (r != s && lang(r) == L[l]) line = line sprintf("%s%s %.3f s (speedup %s)", line == "" ? "" : ", ", v(r, "command"), v(r, "median_s"), ratio(v(s, "median_s"), v(r, "median_s")))
        printf "%smedians of %d runs: sequential %.3f s; %s\n", who, v(s, "runs"), v(s, "median_s"), line
    }
    pynote()
}' ;;

task_queue) prog='END {
    split("c python", L, " ")
    for (l = 1; l <= 2; l++) {
        top = 0; for (r = 1; r <= N; r++) if (lang(r) == L[l] && v(r, "fn") != "empty" && v(r, "tasks") + 0 > top) top = v(r, "tasks")
        line = ""
        split("static dynamic shm", S, " ")
        for (i = 1; i <= 3; i++) { r = findl(L[l], "scheme", S[i], "tasks", top, "fn", "spin"); if (r) line = line sprintf("%s%s %.0f tasks/s", line == "" ? "" : ", ", S[i], v(r, "tasks_per_s")) }
        if (line != "") printf "%s%d uniform tasks: %s\n", L[l] == "c" ? "" : "python, ", top, line
        else if (L[l] == "c") print "no rows in the CSV"
    }
    a = findl("c", "scheme", "shm", "fn", "empty"); b = findl("c", "scheme", "dynamic", "fn", "empty")
    if (a && b) printf "the queue alone (%d empty tasks): ring %.0f tasks/s vs pipe pool %.0f tasks/s (%s)\n", v(a, "tasks"), v(a, "tasks_per_s"), v(b, "tasks_per_s"), ratio(v(a, "tasks_per_s"), v(b, "tasks_per_s"))
    q = findl("python", "scheme", "dynamic", "fn", "empty")
    if (q) printf "python, the queue alone (%d empty tasks through one mp.Queue): %.0f tasks/s%s\n", v(q, "tasks"), v(q, "tasks_per_s"), b ? sprintf(" (C pipe pool: %.0f)", v(b, "tasks_per_s")) : ""
    pynote()
}' ;;

zero_copy) prog='END {
    a = find("program", "phase3"); b = find("program", "phase4")
    p = find("program", "pipe-router"); s = find("program", "shm-ring")
    if (!a || !b) { print "no phase3 or phase4 row in the CSV"; exit }
    printf "--work 0, %d workers: phase 4 %.0f msgs/s, phase 3 %.0f msgs/s (%s); CPU per message %.3f µs vs %.3f µs\n", v(b, "workers"), v(b, "msgs_per_s"), v(a, "msgs_per_s"), ratio(v(b, "msgs_per_s"), v(a, "msgs_per_s")), v(b, "cpu_us_per_msg"), v(a, "cpu_us_per_msg")
    if (p && s) printf "the bare limits: pipe router %.0f msgs/s, shared-memory ring %.0f msgs/s; phase 4 reaches %s of the pipe router and %s of the bare ring\n", v(p, "msgs_per_s"), v(s, "msgs_per_s"), pct(v(b, "msgs_per_s") / v(p, "msgs_per_s")), pct(v(b, "msgs_per_s") / v(s, "msgs_per_s"))
    printf "phase 3 per message: encode %s, copy %s, system calls %s, decode %s, apply %s\n", us(v(a, "encode_us")), opt(v(a, "copy_us")), opt(v(a, "syscall_us")), us(v(a, "decode_us")), us(v(a, "apply_us"))
    printf "phase 4 per message: copy (the dispatch: row lookup, route, the record into the ring) %s, system calls %s (%.4f futex calls), apply %s; no encode or decode step\n", us(v(b, "copy_us")), ns(1000 * v(b, "syscall_us")), v(b, "syscalls_per_msg"), us(v(b, "apply_us"))
    if (v(a, "get_server_p50_us") != "" && v(b, "get_server_p50_us") != "")
        printf "GET p50 while messages flow: phase 4 %s in the program, %s at the client; phase 3 %s and %s\n", us(v(b, "get_server_p50_us")), us(v(b, "get_client_p50_us")), us(v(a, "get_server_p50_us")), us(v(a, "get_client_p50_us"))
}' ;;

*) echo "no findings defined for $name"; exit 0 ;;
esac

LC_ALL=C awk "$prelude$prog" "$csv"
