/* taskq_main.c: bin/taskq, the shared-memory task queue (MPOP's design, done
 * right) and its benchmark schemes. See phase3_processes/taskq/README.md.
 *
 *   bin/taskq --workers 2 --tasks 1000000 --fn empty --batch 32
 *   bin/taskq --scheme dynamic --tasks 90000 --fn spin --args 4 --csv
 *   bin/taskq --tasks 100000 --kill-worker-after 5000 --status */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csv.h"
#include "param.h"
#include "progflags.h"
#include "taskbench.h"
#include "taskpool.h"

#define TASKS_MAX      (1ull << 28)     /* the result array is 24 B per task */
#define ARENA_MAX      (1u << 30)       /* --arena-bytes upper bound */

enum {
    F_WORKERS = 1, F_TASKS, F_SLOTS, F_SLOT_BYTES, F_BATCH, F_FN, F_ARGS, F_TASK_BYTES,
    F_ARENA, F_SCHEME, F_KILL, F_KILL_WINDOW, F_STATUS, F_STATUS_EVERY, F_NO_RECHECK,
    F_CSV, F_QUIET, F_HANG, F_STOP, F_RESULTS,
};

static const struct progflag flags[] = {
    { "workers", "N", "worker processes (default 2)", F_WORKERS },
    { "tasks", "N", "tasks to run (default 100000)", F_TASKS },
    { "scheme", "S", "shm (the ring) | dynamic (a task per request over pipes) | static (tasks/N each up front)", F_SCHEME },
    { "slots", "N", "ring slots, a power of two (default 1024)", F_SLOTS },
    { "slot-bytes", "B", "slot size, a multiple of 64: 64 header + inline bytes (default 64)", F_SLOT_BYTES },
    { "batch", "B", "most tasks a worker claims at once, 1..256 (default 16)", F_BATCH },
    { "fn", "NAME", "the handler every task runs (default empty); see below", F_FN },
    { "args", "A,B,..", "up to 4 integer args per task (i is added to the first for sumsq and prime)", F_ARGS },
    { "task-bytes", "N", "byte argument per task (checksum): inline if it fits the slot, else in the arena", F_TASK_BYTES },
    { "arena-bytes", "N", "shared argument arena size (default 1048576)", F_ARENA },
    { "kill-worker-after", "N", "test hook: worker 0 SIGKILLs itself mid-batch after N tasks", F_KILL },
    { "kill-in-window", NULL, "with --kill-worker-after: die inside the claim window instead", F_KILL_WINDOW },
    { "hang-ms", "MS", "shm: kill a worker that holds a claim with no progress for MS ms and run its tasks "
      "elsewhere (default 5000; 0 = never)", F_HANG },
    { "stop-worker-after", "N", "test hook: worker 0 SIGSTOPs itself mid-batch after N tasks (a hang)", F_STOP },
    { "results", "FILE", "write every task's result (id,runs,worker,value) to FILE as CSV", F_RESULTS },
    { "status", NULL, "print per-worker tasks done, claims and queue depth at the end", F_STATUS },
    { "status-every", "SEC", "also print a status line on stderr every SEC seconds", F_STATUS_EVERY },
    { "no-recheck", NULL, "do not recompute every result sequentially after the run", F_NO_RECHECK },
    { "csv", NULL, "print one metrics row (with metadata and header) on stdout", F_CSV },
    { "quiet", NULL, "no narrated summary on stderr (errors still go there)", F_QUIET },
};

struct taskq_conf {
    struct taskpool_opts o;
    bool fn_set, args_set, bytes_set, status, csv, quiet;
    const char *results;        /* --results FILE */
    struct taskspec user;       /* args/bytes given on the command line */
};

static int flag_u64(const char *arg, uint64_t lo, uint64_t hi, uint64_t *v, char *err, size_t len)
{
    return cli_u64(arg, lo, hi, v, err, len);
}

/* --args A,B,..: up to TASK_ARGS_MAX integers into spec. */
static int parse_args_list(const char *arg, struct taskspec *spec, char *err, size_t len)
{
    char *end;
    const char *s = arg;
    spec->argc = 0;
    for (;;) {
        if (spec->argc == TASK_ARGS_MAX) {
            snprintf(err, len, "at most %d args", TASK_ARGS_MAX);
            return -1;
        }
        errno = 0;
        long long x = strtoll(s, &end, 10);
        if (end == s || errno || (*end && *end != ',')) {
            snprintf(err, len, "'%s' is not a comma-separated list of integers", arg);
            return -1;
        }
        spec->args[spec->argc++] = x;
        if (!*end)
            return 0;
        s = end + 1;
    }
}

static int parse_scheme(const char *arg, enum task_scheme *out, char *err, size_t len)
{
    if (!strcmp(arg, "shm")) *out = SCHEME_SHM;
    else if (!strcmp(arg, "dynamic")) *out = SCHEME_DYNAMIC;
    else if (!strcmp(arg, "static")) *out = SCHEME_STATIC;
    else {
        snprintf(err, len, "unknown scheme '%s' (shm, dynamic or static)", arg);
        return -1;
    }
    return 0;
}

static int on_flag(int val, const char *arg, void *ctx, char *err, size_t len)
{
    struct taskq_conf *c = ctx;
    uint64_t v = 0;
    double d;
    switch (val) {
    case F_WORKERS:
        if (flag_u64(arg, 1, WORKERS_MAX, &v, err, len) < 0) return -1;
        c->o.workers = (uint32_t)v;
        return 0;
    case F_TASKS:
        if (flag_u64(arg, 0, TASKS_MAX, &v, err, len) < 0) return -1;
        c->o.tasks = v;
        return 0;
    case F_SLOTS:
        /* any number here; taskring_check says what is wrong with it */
        if (flag_u64(arg, 0, UINT32_MAX, &v, err, len) < 0) return -1;
        c->o.slots = (uint32_t)v;
        return 0;
    case F_SLOT_BYTES:
        if (flag_u64(arg, 0, UINT32_MAX, &v, err, len) < 0) return -1;
        c->o.slot_bytes = (uint32_t)v;
        return 0;
    case F_BATCH:
        if (flag_u64(arg, 1, TASKRING_BATCH_MAX, &v, err, len) < 0) return -1;
        c->o.batch = (uint32_t)v;
        return 0;
    case F_FN:
        if (taskfn_parse(arg, &c->o.spec.fn) < 0) {
            snprintf(err, len, "unknown handler '%s'", arg);
            return -1;
        }
        c->fn_set = true;
        return 0;
    case F_ARGS:
        if (parse_args_list(arg, &c->user, err, len) < 0) return -1;
        c->args_set = true;
        return 0;
    case F_TASK_BYTES:
        if (flag_u64(arg, 0, ARENA_MAX, &v, err, len) < 0) return -1;
        c->user.nbytes = (uint32_t)v;
        c->bytes_set = true;
        return 0;
    case F_ARENA:
        if (flag_u64(arg, 0, ARENA_MAX, &v, err, len) < 0) return -1;
        c->o.arena_bytes = (uint32_t)v;
        return 0;
    case F_SCHEME:
        return parse_scheme(arg, &c->o.scheme, err, len);
    case F_KILL:
        if (flag_u64(arg, 1, TASKS_MAX, &v, err, len) < 0) return -1;
        c->o.kill_after = v;
        return 0;
    case F_KILL_WINDOW: c->o.kill_in_window = true; return 0;
    case F_HANG:
        if (flag_u64(arg, 0, 3600000, &v, err, len) < 0) return -1;
        c->o.hang_ms = (int)v;
        return 0;
    case F_STOP:
        if (flag_u64(arg, 1, TASKS_MAX, &v, err, len) < 0) return -1;
        c->o.stop_after = v;
        return 0;
    case F_RESULTS: c->results = arg; return 0;
    case F_STATUS: c->status = true; return 0;
    case F_STATUS_EVERY:
        if (cli_double(arg, 0.01, 3600, &d, err, len) < 0) return -1;
        c->o.status_every_ms = (int)(d * 1000);
        return 0;
    case F_NO_RECHECK: c->o.recheck = false; return 0;
    case F_CSV: c->csv = true; return 0;
    case F_QUIET: c->quiet = true; return 0;
    }
    return 0;
}

static const char *scheme_name(enum task_scheme s)
{
    return s == SCHEME_SHM ? "shm" : s == SCHEME_DYNAMIC ? "dynamic" : "static";
}

static void print_status(const struct taskpool_report *r, enum task_scheme s)
{
    fprintf(stderr, "taskq: status per worker slot (done = tasks it committed, all incarnations)\n");
    fprintf(stderr, "  worker      pid       done     claims    claimed  per-claim  skipped  restarts\n");
    for (uint32_t w = 0; w < r->workers; w++) {
        const struct taskpool_worker_stats *x = &r->w[w];
        fprintf(stderr, "  %6u %8d %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10.2f %8" PRIu64 " %9u\n",
                w, x->pid, x->done, x->claims, x->claimed,
                x->claims ? (double)x->claimed / (double)x->claims : 0.0, x->skipped, x->restarts);
    }
    if (s == SCHEME_SHM)
        fprintf(stderr, "  queue depth: 0 at the end, %" PRIu64 " at the deepest status tick\n", r->depth_max);
}

/* --csv: the metadata, the header and one row. */
static void print_csv(const struct taskq_conf *c, const struct taskpool_report *rep, bool ok, int argc, char **argv)
{
    double tps = rep->seconds > 0 ? (double)rep->tasks / rep->seconds : 0;
    uint64_t rerun = rep->rerun_local + rep->rerun_orphan;
    csv_meta(stdout, argc, argv);
    printf("scheme,tasks,workers,fn,batch,slots,slot_bytes,seconds,tasks_per_s,exactly_once,killed,rerun\n");
    printf("%s,%" PRIu64 ",%u,%s,%u,%u,%u,%.6f,%.0f,%d,%" PRIu64 ",%" PRIu64 "\n",
           scheme_name(c->o.scheme), rep->tasks, c->o.workers, taskfn_name(c->o.spec.fn),
           c->o.scheme == SCHEME_SHM ? c->o.batch : 1, c->o.scheme == SCHEME_SHM ? c->o.slots : 0,
           c->o.scheme == SCHEME_SHM ? c->o.slot_bytes : 0, rep->seconds, tps, ok, rep->killed, rerun);
}

/* The narrated summary on stderr: what was measured and how, and the check. */
static void narrate(const struct taskq_conf *c, const struct taskpool_report *rep, bool ok)
{
    double tps = rep->seconds > 0 ? (double)rep->tasks / rep->seconds : 0;
    char mach[256];
    if (c->o.scheme == SCHEME_SHM)
        fprintf(stderr, "taskq: shm ring of %u x %u-byte slots (%u inline bytes), claims of up to %u tasks\n",
                c->o.slots, c->o.slot_bytes, c->o.slot_bytes - TASKRING_HDR, c->o.batch);
    fprintf(stderr, "taskq: %s scheme, %u workers, %" PRIu64 " '%s' tasks in %.6f s = %.0f tasks/s "
            "(clock: workers spawned and waiting -> last result seen)\n",
            scheme_name(c->o.scheme), c->o.workers, rep->tasks, taskfn_name(c->o.spec.fn),
            rep->seconds, tps);
    uint64_t skipped = 0;
    for (uint32_t w = 0; w < rep->workers; w++)
        skipped += rep->w[w].skipped;
    fprintf(stderr, "taskq: %s: %" PRIu64 " of %" PRIu64 " tasks ran exactly once, %" PRIu64 " never, %" PRIu64
            " more than once; id sum %" PRIu64 " (expected %" PRIu64 "); %s; %" PRIu64
            " duplicate deliveries skipped\n",
            ok ? "verified" : "FAILED", rep->once, rep->tasks, rep->missing, rep->dup,
            rep->id_sum, rep->id_sum_expected,
            rep->rechecked ? (rep->wrong ? "SOME VALUES DIFFER from a sequential recheck"
                                         : "every value equals a sequential recheck")
                           : "values not rechecked", skipped);
    if (rep->killed)
        fprintf(stderr, "taskq: %" PRIu64 " worker(s) died holding tasks; re-enqueued %" PRIu64
                " from their local queues and %" PRIu64 " orphaned in a claim window; "
                "a task's only effect is its commit, so none is 'maybe ran'\n",
                rep->killed, rep->rerun_local, rep->rerun_orphan);
    if (rep->hangs)
        fprintf(stderr, "taskq: %" PRIu64 " of them held a claim with no progress for --hang-ms %d and "
                "were killed by the supervisor (a stopped or stuck worker never commits again)\n",
                rep->hangs, c->o.hang_ms);
    fprintf(stderr, "taskq: machine: %s\n", csv_machine(mach, sizeof mach));
}

int main(int argc, char **argv)
{
    struct taskq_conf c = { .o = { .scheme = SCHEME_SHM, .workers = 2, .tasks = 100000, .slots = 1024,
                             .slot_bytes = 64, .batch = 16, .arena_bytes = 1u << 20, .recheck = true,
                             .hang_ms = 5000 } };
    char summary[640];
    snprintf(summary, sizeof summary,
             "Run N tasks on worker processes through a shared-memory ring (Vyukov's bounded queue,\n"
             "range claims, futex sleeping, crash recovery), or over pipes, or statically split;\n"
             "verify that every task ran exactly once.\n"
             "handlers (--fn): %s.", taskfn_help());
    struct progflags pf = { .summary = summary, .flags = flags, .n = sizeof flags / sizeof flags[0] };
    progflags_parse(&pf, argc, argv, on_flag, &c);

    char err[256];
    if (c.o.scheme == SCHEME_SHM && taskring_check(c.o.slots, c.o.slot_bytes, err, sizeof err) < 0)
        progflags_usage_error(&pf, "%s", err);
    if (c.o.kill_in_window && !c.o.kill_after)
        progflags_usage_error(&pf, "--kill-in-window needs --kill-worker-after N");
    if (c.o.kill_after && c.o.scheme != SCHEME_SHM)
        progflags_usage_error(&pf, "--kill-worker-after is a test of the shm scheme's recovery");
    if (c.o.stop_after && c.o.scheme != SCHEME_SHM)
        progflags_usage_error(&pf, "--stop-worker-after is a test of the shm scheme's hang recovery");
    if (c.o.stop_after && !c.o.hang_ms)
        progflags_usage_error(&pf, "--stop-worker-after with --hang-ms 0 would wait for ever");
    uint16_t fn = c.o.spec.fn;
    taskspec_default(&c.o.spec, fn);
    if (c.args_set) {
        c.o.spec.argc = c.user.argc;
        memcpy(c.o.spec.args, c.user.args, sizeof c.user.args);
    }
    if (c.bytes_set)
        c.o.spec.nbytes = c.user.nbytes;
    if (c.o.spec.fn == TASKFN_SPIN && c.o.spec.args[0] < 0)
        progflags_usage_error(&pf, "spin needs a unit count >= 0 in --args");
    c.o.status = c.quiet ? NULL : stderr;

    struct taskpool_report *rep = calloc(1, sizeof *rep);
    if (!rep) {
        fprintf(stderr, "%s: out of memory\n", pf.prog);
        return EXIT_FAILURE_RT;
    }
    if (c.results && !(c.o.results = fopen(c.results, "w"))) {
        fprintf(stderr, "%s: cannot write '%s': %s\n", pf.prog, c.results, strerror(errno));
        free(rep);
        return EXIT_FAILURE_RT;
    }
    int rc = c.o.scheme == SCHEME_SHM ? taskpool_run(&c.o, rep, err, sizeof err)
           : c.o.scheme == SCHEME_DYNAMIC ? taskbench_dynamic(&c.o, rep, err, sizeof err)
           : taskbench_static(&c.o, rep, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", pf.prog, err);
        if (c.o.results)
            fclose(c.o.results);
        free(rep);
        return EXIT_FAILURE_RT;
    }
    bool ok = taskrun_ok(rep);
    if (c.o.results && fclose(c.o.results) != 0) {
        fprintf(stderr, "%s: writing '%s' failed: %s\n", pf.prog, c.results, strerror(errno));
        ok = false;
    }

    if (c.csv)
        print_csv(&c, rep, ok, argc, argv);
    if (!c.quiet)
        narrate(&c, rep, ok);
    if (c.status)
        print_status(rep, c.o.scheme);
    free(rep);
    return ok ? EXIT_OK : EXIT_FAILURE_RT;
}
