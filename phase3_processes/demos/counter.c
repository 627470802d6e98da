/* counter.c: bin/counter, seed 004's Value/Array lesson: N processes each add 1
 * to a counter in shared memory M times.
 *
 *   unlocked  `counter = counter + 1` on a volatile int: a load, an add and a
 *             store. Two processes that load the same value both store value+1,
 *             and one increment is lost. The total comes out short.
 *   locked    the same increment inside a pthread mutex made PTHREAD_PROCESS_SHARED
 *             and placed in the MAP_SHARED memory itself: the total is exact,
 *             and slower, because the increments now take turns.
 * Lost updates need the processes to really overlap (2+ cores, and enough
 * increments); when a run loses none, the summary says so instead of pretending. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "csv.h"
#include "param.h"
#include "progflags.h"
#include "timing.h"

enum { F_PROCS = 1, F_INCR, F_MODE, F_CSV, F_QUIET };

static const struct progflag flags[] = {
    { "procs", "N", "processes incrementing (default 4)", F_PROCS },
    { "increments", "M", "increments per process (default 10000000)", F_INCR },
    { "mode", "MODE", "unlocked | locked | both (default both)", F_MODE },
    { "csv", NULL, "print the metrics rows (with metadata and header) on stdout", F_CSV },
    { "quiet", NULL, "no narrated summary on stderr", F_QUIET },
};

struct shared {
    volatile int unlocked;      /* no lock: plain read-modify-write */
    pthread_mutex_t lock;       /* process-shared: it lives in this shared page */
    int locked;                 /* guarded by lock */
};

struct counter_conf { uint64_t procs, incr; int mode; int csv, quiet; };   /* mode: 1 unlocked, 2 locked, 3 both */

static int on_flag(int val, const char *arg, void *ctx, char *err, size_t len)
{
    struct counter_conf *c = ctx;
    switch (val) {
    case F_PROCS: return cli_u64(arg, 1, WORKERS_MAX, &c->procs, err, len);
    case F_INCR: return cli_u64(arg, 1, 100000000, &c->incr, err, len);
    case F_MODE:
        c->mode = !strcmp(arg, "unlocked") ? 1 : !strcmp(arg, "locked") ? 2 : !strcmp(arg, "both") ? 3 : 0;
        if (!c->mode) {
            snprintf(err, len, "'%s' is not unlocked, locked or both", arg);
            return -1;
        }
        return 0;
    case F_CSV: c->csv = 1; return 0;
    case F_QUIET: c->quiet = 1; return 0;
    }
    return 0;
}

static void incr_unlocked(struct shared *s, uint64_t m)
{
    for (uint64_t i = 0; i < m; i++)
        s->unlocked = s->unlocked + 1;      /* load, add, store: not atomic */
}

static void incr_locked(struct shared *s, uint64_t m)
{
    /* EXERCISE(demos-counter-lock): the fix for the lost updates: do the m increments
     * of s->locked, each one inside s->lock (the process-shared mutex in the shared
     * page), so that no two processes read-modify-write the counter at once. */
    /* STUB: (void)s; (void)m; */
    for (uint64_t i = 0; i < m; i++) {
        pthread_mutex_lock(&s->lock);
        s->locked = s->locked + 1;
        pthread_mutex_unlock(&s->lock);
    }
    /* END EXERCISE */
}

/* Run N processes of fn; returns the wall time, or -1 on a failed fork. */
static double run(struct shared *s, const struct counter_conf *c, void (*fn)(struct shared *, uint64_t), char *err, size_t len)
{
    pid_t pid[WORKERS_MAX];
    uint64_t started = 0;
    /* The start gate: every child blocks reading this pipe until the parent
     * closes its write end, so they all start together. Without it the first
     * child can finish before the last is forked, and nothing overlaps. */
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) < 0) {
        snprintf(err, len, "pipe() failed for the start gate: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    for (; started < c->procs; started++) {
        /* A bare fork(), not lib/child.h: seed 004's lesson is what fork()
         * shares (the MAP_SHARED counter) and these children only count and exit. */
        if ((pid[started] = fork()) < 0) {
            snprintf(err, len, "fork() failed spawning process %" PRIu64 ": %s", started, strerror(errno));
            break;
        }
        if (pid[started] == 0) {
            char b;
            close(gate[1]);
            while (read(gate[0], &b, 1) < 0 && errno == EINTR)
                ;
            fn(s, c->incr);
            _exit(0);
        }
    }
    close(gate[0]);
    uint64_t t0 = now_ns();
    close(gate[1]);                         /* open the gate */
    for (uint64_t i = 0; i < started; i++)
        while (waitpid(pid[i], NULL, 0) < 0 && errno == EINTR)
            ;
    return started == c->procs ? (double)(now_ns() - t0) / 1e9 : -1;
}

int main(int argc, char **argv)
{
    struct counter_conf c = { .procs = 4, .incr = 10000000, .mode = 3 };
    struct progflags pf = { .summary =
        "N processes increment a shared counter M times each, without and with a process-shared lock.",
        .flags = flags, .n = sizeof flags / sizeof flags[0] };
    progflags_parse(&pf, argc, argv, on_flag, &c);
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) {
        fprintf(stderr, "%s: mmap() of the shared counter failed: %s\n", pf.prog, strerror(errno));
        return EXIT_FAILURE_RT;
    }
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&s->lock, &a);
    pthread_mutexattr_destroy(&a);

    char err[256], mach[256];
    uint64_t expect = c.procs * c.incr;
    if (c.csv) {
        csv_meta(stdout, argc, argv);
        printf("mode,procs,increments,expected,got,lost,seconds\n");
    }
    int rc = EXIT_OK;
    for (int m = 1; m <= 2; m++) {
        if (!(c.mode & m))
            continue;
        double secs = run(s, &c, m == 1 ? incr_unlocked : incr_locked, err, sizeof err);
        if (secs < 0) {
            fprintf(stderr, "%s: %s\n", pf.prog, err);
            rc = EXIT_FAILURE_RT;
            break;
        }
        uint64_t got = (uint64_t)(unsigned)(m == 1 ? s->unlocked : s->locked);
        int64_t lost = (int64_t)expect - (int64_t)got;
        if (c.csv)
            printf("%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRId64 ",%.6f\n",
                   m == 1 ? "unlocked" : "locked", c.procs, c.incr, expect, got, lost, secs);
        if (!c.quiet) {
            fprintf(stderr, "counter: %-8s %" PRIu64 " processes x %" PRIu64 " increments: expected %" PRIu64
                    ", got %" PRIu64 " (%" PRId64 " lost, %.2f%%) in %.3f s\n",
                    m == 1 ? "unlocked" : "locked", c.procs, c.incr, expect, got, lost,
                    100.0 * (double)lost / (double)expect, secs);
            if (m == 1 && lost == 0)
                fprintf(stderr, "counter: no update was lost this time: the processes did not overlap enough "
                        "(one core, or too few increments); the race is still there\n");
        }
        if (m == 2 && lost != 0)
            rc = EXIT_FAILURE_RT;   /* the locked total must be exact */
    }
    if (!c.quiet)
        fprintf(stderr, "counter: machine: %s\n", csv_machine(mach, sizeof mach));
    pthread_mutex_destroy(&s->lock);
    munmap(s, sizeof *s);
    return rc;
}
