/* test_findings.c: the findings plots/findings.sh prints under each plot,
 * recomputed here from the fixture (tests/fixtures/experiments/NAME.csv) with
 * this test's own arithmetic: for every experiment, a function
 * below builds every line findings.sh must print (ratios, extremes, groups'
 * sums, the Python rows' lines) and the test asserts that findings.sh prints
 * exactly those lines, no more. The number formats are the report's (us, ns,
 * ratio, pct, size as in findings.sh); the numbers are the test's.
 * Scripts are found relative to the repository root ($KIT_SRC, else "."). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit_table.h"
#include "kit_test.h"

#define LINE 1024

/* What findings.sh must print, one line at a time. */
struct text {
    char s[8192];
};

static void say(struct text *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct text *o, const char *fmt, ...)
{
    size_t len = strlen(o->s);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->s + len, sizeof o->s - len, fmt, ap);
    va_end(ap);
    len = strlen(o->s);
    ck_assert_msg(len + 1 < sizeof o->s, "findings text too long");
    o->s[len] = '\n';
    o->s[len + 1] = '\0';
}

/* Append one item of a list "a, b, c" to line. */
static void add(char *line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(char *line, const char *fmt, ...)
{
    size_t len = strlen(line);
    if (len)
        len += (size_t)snprintf(line + len, LINE - len, ", ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + len, LINE - len, fmt, ap);
    va_end(ap);
}

/* Numbers as the report writes them; each result lives until 16 more are made. */
static char *slot(void)
{
    static char ring[16][64];
    static int next;
    return ring[next++ % 16];
}

static const char *us(double x)
{
    char *s = slot();
    snprintf(s, 64, x >= 1000 ? "%.2f ms" : x >= 10 ? "%.0f µs" : "%.2f µs", x >= 1000 ? x / 1000 : x);
    return s;
}

static const char *ns(double x)
{
    char *s = slot();
    snprintf(s, 64, x >= 1e6 ? "%.2f ms" : x >= 1000 ? "%.1f µs" : "%.0f ns",
             x >= 1e6 ? x / 1e6 : x >= 1000 ? x / 1000 : x);
    return s;
}

static const char *ratio(double a, double b)
{
    char *s = slot();
    if (b > 0)
        snprintf(s, 64, "%.2fx", a / b);
    else
        snprintf(s, 64, "n/a");
    return s;
}

static const char *pct(double x)
{
    char *s = slot();
    snprintf(s, 64, "%.0f %%", 100 * x);
    return s;
}

static const char *size(double b)
{
    char *s = slot();
    snprintf(s, 64, b >= 1048576 ? "%g MiB" : b >= 1024 ? "%g KiB" : "%g B",
             b >= 1048576 ? b / 1048576 : b >= 1024 ? b / 1024 : b);
    return s;
}

/* The first row passing filter with the least (sign < 0) or the most (sign > 0)
 * value of col; -1 if no row passes. */
static int extreme(const struct table *t, const char *filter, const char *col, int sign)
{
    int best = -1;
    for (int r = 0; r < t->nrows; r++)
        if (table_match(t, r, filter) && (best < 0 || sign * (num(t, r, col) - num(t, best, col)) > 0))
            best = r;
    return best;
}

static const char *who(const char *lang, const char *python)
{
    return strcmp(lang, "c") == 0 ? "" : python;
}

static const char *const langs[] = { "c", "python" };

/* scaling: per mode, 2 and 4 workers against 1 and the peak; the Python lane. */
static void scaling(const struct table *t, struct text *o)
{
    static const char *const modes[] = { "processes", "threads-global", "threads-sharded", "mpi", "shared" };
    for (size_t m = 0; m < KIT_NELEM(modes); m++) {
        int one = table_find(t, "mode=%s,workers=1", modes[m]), best = -1;
        if (one < 0)
            continue;
        char line[LINE] = "";
        for (int r = 0; r < t->nrows; r++) {
            if (strcmp(cell(t, r, "mode"), modes[m]) != 0)
                continue;
            double w = num(t, r, "workers"), rate = num(t, r, "msgs_per_s");
            if (w == 2 || w == 4)
                add(line, "%.0f: %.2fx of 1", w, rate / num(t, one, "msgs_per_s"));
            if (best < 0 || rate > num(t, best, "msgs_per_s"))
                best = r;
        }
        say(o, "%s: %s; peak %.0f msgs/s at %.0f", modes[m], line, num(t, best, "msgs_per_s"),
            num(t, best, "workers"));
    }
    int p1 = table_find(t, "mode=py-processes,workers=1"), p2 = table_find(t, "mode=py-processes,workers=2");
    int t1 = table_find(t, "mode=py-threads,workers=1"), t2 = table_find(t, "mode=py-threads,workers=2");
    ck_assert_msg(p1 >= 0 && p2 >= 0 && t1 >= 0 && t2 >= 0, "scaling fixture: python rows missing");
    say(o, "python, --work %.0f (%.0f messages): processes (mp.Queue per worker) 2: %s of 1; threads over one dict "
        "(the GIL) 2: %s of 1", num(t, p1, "work"), num(t, p1, "messages"),
        ratio(num(t, p2, "msgs_per_s"), num(t, p1, "msgs_per_s")),
        ratio(num(t, t2, "msgs_per_s"), num(t, t1, "msgs_per_s")));
}

/* contention: per lock, 2 threads against 1 and their share of time waiting. */
static void contention(const struct table *t, struct text *o)
{
    static const char *const locks[] = { "global", "registry", "sharded" };
    for (size_t l = 0; l < KIT_NELEM(locks); l++) {
        int one = table_find(t, "lock=%s,threads=1", locks[l]), two = table_find(t, "lock=%s,threads=2", locks[l]);
        if (one >= 0 && two >= 0)
            say(o, "%s lock: 2 threads %.0f msgs/s, %s of 1 thread; threads spent %s of their time waiting for "
                "the lock", locks[l], num(t, two, "msgs_per_s"),
                ratio(num(t, two, "msgs_per_s"), num(t, one, "msgs_per_s")), pct(num(t, two, "lock_wait_share")));
    }
}

/* ipc_size: pinned vs default, in-process vs pipe, the streams, and Python's
 * mp.Pipe and mp.Queue beside the C pipe. */
static void ipc_size(const struct table *t, struct text *o)
{
#define RT(r) num(t, r, "round_trip_us")
    static const double sizes[] = { 100, 1048576 };
    for (size_t i = 0; i < KIT_NELEM(sizes); i++) {
        int p = table_find(t, "lang=c,transport=pipe,bytes=%.0f,pinned=1", sizes[i]);
        int q = table_find(t, "lang=c,transport=pipe,bytes=%.0f,pinned=0", sizes[i]);
        if (p >= 0 && q >= 0)
            say(o, "pipe round trip of %s: %s pinned to one core vs %s with default scheduling (%s)", size(sizes[i]),
                us(RT(p)), us(RT(q)), ratio(RT(q), RT(p)));
    }
    int c = table_find(t, "lang=c,transport=inproc,bytes=100,pinned=0");
    int pipe = table_find(t, "lang=c,transport=pipe,bytes=100,pinned=0");
    ck_assert(c >= 0 && pipe >= 0);
    say(o, "100 B: an in-process call with copy costs %s, %s less than a pipe round trip", us(RT(c)),
        ratio(RT(pipe), RT(c)));
    const char *big = cell(t, extreme(t, "", "bytes", 1), "bytes");
    char line[LINE] = "";
    static const char *const transports[] = { "shm", "pipe", "socketpair", "inproc" };
    for (size_t i = 0; i < KIT_NELEM(transports); i++) {
        int r = table_find(t, "lang=c,transport=%s,bytes=%s,pinned=0", transports[i], big);
        if (r >= 0)
            add(line, "%s %.0f MB/s", transports[i], num(t, r, "mb_per_s"));
    }
    say(o, "one-way stream of %s messages (default scheduling): %s", size(strtod(big, NULL)), line);
    int cbig = table_find(t, "lang=c,transport=pipe,bytes=%s,pinned=0", big);
    ck_assert(cbig >= 0);
    for (const char *tr = "mp-pipe"; tr; tr = strcmp(tr, "mp-pipe") == 0 ? "mp-queue" : NULL) {
        int r = table_find(t, "lang=python,transport=%s,bytes=100,pinned=0", tr);
        int s = table_find(t, "lang=python,transport=%s,bytes=%s,pinned=0", tr, big);
        ck_assert_msg(r >= 0 && s >= 0, "ipc_size fixture: no python %s rows", tr);
        say(o, "python %s, 100 B round trip (default scheduling): %s, %s of the C pipe (%s)", tr, us(RT(r)),
            ratio(RT(r), RT(pipe)), us(RT(pipe)));
        say(o, "python %s, one-way stream of %s messages: %.0f MB/s (C pipe: %.0f MB/s)", tr, size(strtod(big, NULL)),
            num(t, s, "mb_per_s"), num(t, cbig, "mb_per_s"));
    }
#undef RT
}

/* serialization: per payload each codec's size and encode + decode time, the
 * share of a pipe round trip, and Python's codecs on their payloads. */
static void serialization(const struct table *t, struct text *o)
{
#define CODEC_NS(r) (num(t, r, "encode_ns") + num(t, r, "decode_ns"))
    static const char *const payloads[] = { "flat", "nested", "array" };
    static const char *const codecs[] = { "raw", "msgpack", "json" };
    for (size_t p = 0; p < 3; p++) {
        char line[LINE] = "";
        for (size_t c = 0; c < 3; c++) {
            int r = table_find(t, "lang=c,codec=%s,payload=%s", codecs[c], payloads[p]);
            if (r >= 0)
                add(line, "%s %.0f B in %s", codecs[c], num(t, r, "bytes"), ns(CODEC_NS(r)));
        }
        say(o, "%s: %s (encode + decode)", payloads[p], line);
    }
    static const char *const shares[][2] = {
        { "json", "JSON share of a same-size pipe request/reply: " }, { "msgpack", "msgpack share: " },
    };
    for (size_t c = 0; c < 2; c++) {
        char line[LINE] = "";
        for (size_t p = 0; p < 3; p++) {
            int r = table_find(t, "lang=c,codec=%s,payload=%s", shares[c][0], payloads[p]);
            if (r >= 0)
                add(line, "%s %s", payloads[p], pct(num(t, r, "round_trip_share")));
        }
        say(o, "%s%s", shares[c][1], line);
    }
    static const char *const pypayloads[] = { "flat", "array", "1mib", "numpy" };
    static const char *const pycodecs[] = { "pickle4", "pickle5", "msgpack", "json" };
    for (size_t p = 0; p < 4; p++) {
        char line[LINE] = "";
        for (size_t c = 0; c < 4; c++) {
            int r = table_find(t, "lang=python,codec=%s,payload=%s", pycodecs[c], pypayloads[p]);
            if (r >= 0)
                add(line, "%s %s (share %s)", pycodecs[c], ns(CODEC_NS(r)), pct(num(t, r, "round_trip_share")));
        }
        say(o, "python, %s: %s (encode + decode; share of a same-size pipe request/reply)", pypayloads[p], line);
    }
#undef CODEC_NS
}

/* startup_memory: start + reap of each method, the idle worker's memory, and
 * Python's three start methods. */
static void startup_memory(const struct table *t, struct text *o)
{
    int f = table_find(t, "lang=c,method=fork"), e = table_find(t, "lang=c,method=fork_exec");
    int s = table_find(t, "lang=c,method=posix_spawn"), th = table_find(t, "lang=c,method=pthread");
    ck_assert_msg(f >= 0 && e >= 0 && s >= 0 && th >= 0, "startup_memory fixture: a C method missing");
    say(o, "start + reap: fork %s, fork+exec %s (%s of fork), posix_spawn %s, pthread_create + join %s (fork costs %s "
        "of a thread)", us(num(t, f, "us")), us(num(t, e, "us")), ratio(num(t, e, "us"), num(t, f, "us")),
        us(num(t, s, "us")), us(num(t, th, "us")), ratio(num(t, f, "us"), num(t, th, "us")));
    say(o, "one idle forked child: Pss %.0f KiB, of which %.0f KiB private; an exec of a small kit program: Pss %.0f "
        "KiB; one more thread: %.0f KiB", num(t, f, "pss_kib"), num(t, f, "private_kib"), num(t, e, "pss_kib"),
        num(t, th, "pss_kib"));
    char line[LINE] = "", mem[LINE] = "";
    static const char *const methods[] = { "fork", "spawn", "forkserver" };
    for (size_t m = 0; m < KIT_NELEM(methods); m++) {
        int r = table_find(t, "lang=python,method=mp_%s", methods[m]);
        ck_assert_msg(r >= 0, "startup_memory fixture: no python mp_%s row", methods[m]);
        add(line, "%s %s", methods[m], us(num(t, r, "us")));
        add(mem, "%s Pss %.0f KiB (%.0f KiB private)", methods[m], num(t, r, "pss_kib"), num(t, r, "private_kib"));
    }
    say(o, "python Process start + join: %s", line);
    say(o, "python, one idle interpreter worker: %s; a C forked child: Pss %.0f KiB", mem, num(t, f, "pss_kib"));
}

/* load_balance: per (dist, zipf_s, route) in the fixture's order, the busiest
 * worker against the mean, its CPU time and its apply time per message. */
static void load_balance(const struct table *t, struct text *o)
{
    for (int g = 0; g < t->nrows; g++) {
        char group[256];
        snprintf(group, sizeof group, "dist=%s,zipf_s=%s,route=%s", cell(t, g, "dist"), cell(t, g, "zipf_s"),
                 cell(t, g, "route"));
        if (table_find(t, "%s", group) != g)
            continue;                   /* not the group's first row */
        int w = 0, busiest = -1;
        double total = 0, cpu = 0, apply = 0;
        for (int r = 0; r < t->nrows; r++) {
            if (!table_match(t, r, group))
                continue;
            double m = num(t, r, "messages");
            w++, total += m, cpu += num(t, r, "cpu_s"), apply += m * num(t, r, "apply_us_per_msg");
            if (busiest < 0 || m > num(t, busiest, "messages"))
                busiest = r;
        }
        double most = num(t, busiest, "messages");
        char zipf[64] = "";
        if (strcmp(cell(t, g, "dist"), "zipf") == 0)
            snprintf(zipf, sizeof zipf, " s=%s", cell(t, g, "zipf_s"));
        say(o, "%s%s, %s: busiest of %d workers has %s of the mean (%.0f of %.0f messages); its CPU time %.3f s vs "
            "%.3f s mean; mean apply time per message (state machine + --work) on it %s vs %s over all workers",
            cell(t, g, "dist"), zipf, cell(t, g, "route"), w, ratio(most, total / w), most, total,
            num(t, busiest, "cpu_s"), cpu / w, us(num(t, busiest, "apply_us_per_msg")), us(apply / total));
    }
}

/* query_latency: per program, p50 and p99 at its lowest and highest load. */
static void query_latency(const struct table *t, struct text *o)
{
    static const char *const programs[] = { "phase1", "phase2", "phase3", "phase4", "py_phase3" };
    for (size_t p = 0; p < KIT_NELEM(programs); p++) {
        char filter[64];
        snprintf(filter, sizeof filter, "program=%s", programs[p]);
        int lo = extreme(t, filter, "load", -1), hi = extreme(t, filter, "load", 1);
        ck_assert_msg(lo >= 0, "query_latency fixture: no %s rows", programs[p]);
        say(o, "%s (capacity %.0f msgs/s): query p50 %s at %s load vs %s at %s; p99 %s vs %s", programs[p],
            num(t, lo, "capacity_msgs_per_s"), us(num(t, lo, "p50_us")), pct(num(t, lo, "load")),
            us(num(t, hi, "p50_us")), pct(num(t, hi, "load")), us(num(t, lo, "p99_us")), us(num(t, hi, "p99_us")));
    }
}

/* batching, per language: the fixed cost of a pool call at work 0; at the most
 * work, the fastest batch size against one process, and B=1. */
static void batching(const struct table *t, struct text *o)
{
#define PER(r) num(t, r, "per_record_us")
    const char *top = cell(t, extreme(t, "", "work", 1), "work");
    for (size_t l = 0; l < KIT_NELEM(langs); l++) {
        const char *L = langs[l], *w = who(L, "python, ");
        char filter[128];
        snprintf(filter, sizeof filter, "lang=%s,mode=pool,work=0", L);
        int lo = extreme(t, filter, "batch", -1);
        int s1 = table_find(t, "lang=%s,mode=sequential,batch=%s,work=0", L, cell(t, lo, "batch"));
        ck_assert_msg(lo >= 0 && s1 >= 0, "batching fixture: no %s rows at work 0", L);
        say(o, "%swork 0: the fixed cost of one pool call (pool minus one process at B=%s): %s", w, cell(t, lo, "batch"),
            us((PER(lo) - PER(s1)) * num(t, lo, "batch")));
        snprintf(filter, sizeof filter, "lang=%s,mode=pool,work=%s", L, top);
        int best = extreme(t, filter, "per_record_us", -1), one = table_find(t, "%s,batch=1", filter);
        int s = table_find(t, "lang=%s,mode=sequential,batch=%s,work=%s", L, cell(t, best, "batch"), top);
        int s_one = table_find(t, "lang=%s,mode=sequential,batch=1,work=%s", L, top);
        ck_assert_msg(best >= 0 && one >= 0 && s >= 0 && s_one >= 0, "batching fixture: %s rows missing at work %s",
                      L, top);
        say(o, "%swork %s: the pool is fastest at B=%s, %s per record vs %s in one process: %s with %s workers (a batch "
            "takes %.1f ms of a worker)", w, top, cell(t, best, "batch"), us(PER(best)), us(PER(s)),
            ratio(PER(s), PER(best)), cell(t, best, "workers"), num(t, best, "batch") * PER(s) / 1000);
        say(o, "%swork %s, B=1: the pool %s, %s per record vs %s in one process (%s)", w, top,
            PER(one) > PER(s_one) ? "loses" : "still wins", us(PER(one)), us(PER(s_one)), ratio(PER(s_one), PER(one)));
    }
#undef PER
}

/* loop_lag: the heartbeat's p99 lag without work, with the most work on the
 * loop and with it offloaded; the same for Python's asyncio. */
static void loop_lag(const struct table *t, struct text *o)
{
#define P99(r) num(t, r, "lag_p99_ms")
    const char *top = cell(t, extreme(t, "lang=c", "work", 1), "work");
    int a = table_find(t, "lang=c,work=0,offload=none"), b = table_find(t, "lang=c,work=%s,offload=none", top);
    int c = table_find(t, "lang=c,work=%s,offload=threads", top);
    ck_assert_msg(a >= 0 && b >= 0 && c >= 0, "loop_lag fixture: C rows missing");
    say(o, "heartbeat lag p99 without offload: %.2f ms at work 0 vs %.2f ms at work %s (%.1f ms of CPU per message)",
        P99(a), P99(b), top, num(t, b, "work_ms"));
    say(o, "at work %s, offloading to the thread pool of %s thread%s: lag p99 %.2f ms vs %.2f ms in the loop", top,
        cell(t, c, "pool"), num(t, c, "pool") == 1 ? "" : "s", P99(c), P99(b));
    const char *pt = cell(t, extreme(t, "lang=python", "work", 1), "work");
    int pa = table_find(t, "lang=python,work=0,offload=none"), pb = table_find(t, "lang=python,work=%s,offload=none", pt);
    int pc = table_find(t, "lang=python,work=%s,offload=threads", pt);
    ck_assert_msg(pa >= 0 && pb >= 0 && pc >= 0, "loop_lag fixture: python rows missing");
    say(o, "python (asyncio on uvloop): lag p99 %.2f ms at work 0, %.2f ms with %.1f ms of work per message on the "
        "loop, %.2f ms with it awaited via run_in_executor on %s thread(s)", P99(pa), P99(pb), num(t, pb, "work_ms"),
        P99(pc), cell(t, pc, "pool"));
#undef P99
}

/* threads_vs_processes, per language: 2 orders against 1 as threads and as
 * processes (hyperfine's medians), and their CPU time. */
static void threads_vs_processes(const struct table *t, struct text *o)
{
#define MED(r) num(t, r, "median_s")
    for (size_t l = 0; l < KIT_NELEM(langs); l++) {
        const char *L = langs[l], *w = who(L, "python, ");
        int t1 = table_find(t, "lang=%s,command=1 thread", L), t2 = table_find(t, "lang=%s,command=2 threads", L);
        int p1 = table_find(t, "lang=%s,command=1 process", L), p2 = table_find(t, "lang=%s,command=2 processes", L);
        ck_assert_msg(t1 >= 0 && t2 >= 0 && p1 >= 0 && p2 >= 0, "threads_vs_processes fixture: %s rows missing", L);
        say(o, "%s2 orders as threads: %.3f s, %s of 1 order (%.3f s; medians)", w, MED(t2), ratio(MED(t2), MED(t1)),
            MED(t1));
        say(o, "%s2 orders as processes: %.3f s, %s of 1 order (%.3f s; medians)", w, MED(p2),
            ratio(MED(p2), MED(p1)), MED(p1));
        say(o, "%s2 threads vs 2 processes: %.3f s vs %.3f s median (CPU: %.3f s vs %.3f s user, mean)", w, MED(t2),
            MED(p2), num(t, t2, "user_s"), num(t, p2, "user_s"));
    }
}

/* parallel_map, per language: each pool's median against the sequential one. */
static void parallel_map(const struct table *t, struct text *o)
{
    for (size_t l = 0; l < KIT_NELEM(langs); l++) {
        int s = table_find(t, "lang=%s,command=sequential", langs[l]);
        ck_assert_msg(s >= 0, "parallel_map fixture: no %s sequential row", langs[l]);
        char line[LINE] = "";
        for (int r = 0; r < t->nrows; r++)
            if (r != s && strcmp(cell(t, r, "lang"), langs[l]) == 0)
                add(line, "%s %.3f s (speedup %s)", cell(t, r, "command"), MED(r), ratio(MED(s), MED(r)));
        say(o, "%smedians of %s runs: sequential %.3f s; %s", who(langs[l], "python (Pool.map), "), cell(t, s, "runs"),
            MED(s), line);
    }
#undef MED
}

/* task_queue: each scheme's rate at the most uniform tasks, per language; the
 * queue alone (empty tasks): the ring against the pipe pool, and mp.Queue. */
static void task_queue(const struct table *t, struct text *o)
{
#define RATE(r) num(t, r, "tasks_per_s")
    static const char *const schemes[] = { "static", "dynamic", "shm" };
    for (size_t l = 0; l < KIT_NELEM(langs); l++) {
        char filter[64], line[LINE] = "";
        snprintf(filter, sizeof filter, "lang=%s,fn=spin", langs[l]);
        const char *top = cell(t, extreme(t, filter, "tasks", 1), "tasks");
        for (size_t s = 0; s < KIT_NELEM(schemes); s++) {
            int r = table_find(t, "%s,scheme=%s,tasks=%s", filter, schemes[s], top);
            if (r >= 0)
                add(line, "%s %.0f tasks/s", schemes[s], RATE(r));
        }
        say(o, "%s%s uniform tasks: %s", who(langs[l], "python, "), top, line);
    }
    int a = table_find(t, "lang=c,scheme=shm,fn=empty"), b = table_find(t, "lang=c,scheme=dynamic,fn=empty");
    int q = table_find(t, "lang=python,scheme=dynamic,fn=empty");
    ck_assert_msg(a >= 0 && b >= 0 && q >= 0, "task_queue fixture: an empty-task row missing");
    say(o, "the queue alone (%s empty tasks): ring %.0f tasks/s vs pipe pool %.0f tasks/s (%s)", cell(t, a, "tasks"),
        RATE(a), RATE(b), ratio(RATE(a), RATE(b)));
    say(o, "python, the queue alone (%s empty tasks through one mp.Queue): %.0f tasks/s (C pipe pool: %.0f)",
        cell(t, q, "tasks"), RATE(q), RATE(b));
#undef RATE
}

/* zero_copy: phase 4 against phase 3 and the bare limits; each one's steps
 * (phase 3's copy and system calls "not measured" where its run made no fit);
 * GET p50 inside the program and at the client. */
static void zero_copy(const struct table *t, struct text *o)
{
#define V(r, c) num(t, r, c)
    int a = table_find(t, "program=phase3"), b = table_find(t, "program=phase4");
    int p = table_find(t, "program=pipe-router"), s = table_find(t, "program=shm-ring");
    ck_assert_msg(a >= 0 && b >= 0 && p >= 0 && s >= 0, "zero_copy fixture: a program's row missing");
    say(o, "--work 0, %.0f workers: phase 4 %.0f msgs/s, phase 3 %.0f msgs/s (%s); CPU per message %.3f µs vs %.3f µs",
        V(b, "workers"), V(b, "msgs_per_s"), V(a, "msgs_per_s"), ratio(V(b, "msgs_per_s"), V(a, "msgs_per_s")),
        V(b, "cpu_us_per_msg"), V(a, "cpu_us_per_msg"));
    say(o, "the bare limits: pipe router %.0f msgs/s, shared-memory ring %.0f msgs/s; phase 4 reaches %s of the "
        "pipe router and %s of the bare ring", V(p, "msgs_per_s"), V(s, "msgs_per_s"),
        pct(V(b, "msgs_per_s") / V(p, "msgs_per_s")), pct(V(b, "msgs_per_s") / V(s, "msgs_per_s")));
    int fit = *cell(t, a, "copy_us") != '\0';
    say(o, "phase 3 per message: encode %s, copy %s, system calls %s, decode %s, apply %s", us(V(a, "encode_us")),
        fit ? us(V(a, "copy_us")) : "not measured", fit ? us(V(a, "syscall_us")) : "not measured",
        us(V(a, "decode_us")), us(V(a, "apply_us")));
    say(o, "phase 4 per message: copy (the dispatch: row lookup, route, the record into the ring) %s, system calls "
        "%s (%.4f futex calls), apply %s; no encode or decode step", us(V(b, "copy_us")),
        ns(1000 * V(b, "syscall_us")), V(b, "syscalls_per_msg"), us(V(b, "apply_us")));
    say(o, "GET p50 while messages flow: phase 4 %s in the program, %s at the client; phase 3 %s and %s",
        us(V(b, "get_server_p50_us")), us(V(b, "get_client_p50_us")), us(V(a, "get_server_p50_us")),
        us(V(a, "get_client_p50_us")));
#undef V
}

static const struct {
    const char *name;
    void (*findings)(const struct table *t, struct text *o);
} experiments[] = {
    { "scaling", scaling }, { "contention", contention }, { "ipc_size", ipc_size },
    { "serialization", serialization }, { "startup_memory", startup_memory }, { "load_balance", load_balance },
    { "query_latency", query_latency }, { "batching", batching }, { "loop_lag", loop_lag },
    { "threads_vs_processes", threads_vs_processes }, { "parallel_map", parallel_map },
    { "task_queue", task_queue }, { "zero_copy", zero_copy },
};

/* findings.sh prints exactly the lines this test computes from the fixture. */
START_TEST(test_findings_recomputed)
{
    const char *name = experiments[_i].name;
    struct table *t = table_read(name);
    static struct text want;
    want.s[0] = '\0';
    experiments[_i].findings(t, &want);
    char path[512];
    snprintf(path, sizeof path, "%stests/fixtures/experiments/%s.csv", kit_src(""), name);
    struct kit_run r;
    ck_assert_int_eq(kit_run(&r, NULL, 20, "/bin/bash", kit_src("plots/findings.sh"), name, path, NULL), 0);
    ck_assert_msg(r.status == 0, "findings.sh %s exited %d: %s", name, r.status, r.err);
    ck_assert_msg(strcmp(r.out, want.s) == 0, "findings.sh %s printed:\n%s\nthe test computes from the fixture:\n%s",
                  name, r.out, want.s);
    kit_run_free(&r);
    table_free(t);
}
END_TEST

static Suite *findings_suite(void)
{
    Suite *s = suite_create("findings");
    tcase_add_loop_test(kit_tcase(s, "recomputed", 30), test_findings_recomputed, 0, (int)KIT_NELEM(experiments));
    return s;
}

KIT_TEST_MAIN(findings_suite)
