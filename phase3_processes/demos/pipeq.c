/* pipeq.c: bin/pipeq, seed 003/004's "Pipe or Queue?": one producer sends N
 * integers, the consumers add them up, and we time it.
 *
 *   pipe   one producer, one consumer, a pipe between them (Python's Pipe: two
 *          endpoints only); the producer ends with a sentinel (-1).
 *   queue  one producer, C consumers, a bounded queue in shared memory guarded
 *          by a process-shared mutex with two counting semaphores (the textbook
 *          bounded buffer; Python's Queue is a pipe plus a lock plus a feeder
 *          thread). Any consumer may take any item, so the producer ends with C
 *          sentinels, one per consumer, or some consumer would wait forever.
 * Both check that the sum received equals the sum sent. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "cli.h"
#include "csv.h"
#include "frame.h"
#include "param.h"
#include "progflags.h"
#include "timing.h"

#define QCAP     1024           /* items the shared queue holds */
#define SENTINEL (-1)

enum { F_MSGS = 1, F_CONS, F_MODE, F_CSV, F_QUIET };

static const struct progflag flags[] = {
    { "messages", "N", "integers to send (default 1000000)", F_MSGS },
    { "consumers", "C", "queue consumers (default 2)", F_CONS },
    { "mode", "MODE", "pipe | queue | both (default both)", F_MODE },
    { "csv", NULL, "print the metrics rows (with metadata and header) on stdout", F_CSV },
    { "quiet", NULL, "no narrated summary on stderr", F_QUIET },
};

struct queue {
    sem_t items, spaces;        /* process-shared counting semaphores */
    pthread_mutex_t lock;       /* guards head, tail, buf */
    uint32_t head, tail;
    int64_t buf[QCAP];
    int64_t sum[WORKERS_MAX];   /* each consumer's total, written once at its end */
    uint64_t got[WORKERS_MAX];
};

struct pipeq_conf { uint64_t msgs, cons; int mode, csv, quiet; };

static int on_flag(int val, const char *arg, void *ctx, char *err, size_t len)
{
    struct pipeq_conf *c = ctx;
    switch (val) {
    case F_MSGS: return cli_u64(arg, 1, 1ull << 34, &c->msgs, err, len);
    case F_CONS: return cli_u64(arg, 1, WORKERS_MAX, &c->cons, err, len);
    case F_MODE:
        c->mode = !strcmp(arg, "pipe") ? 1 : !strcmp(arg, "queue") ? 2 : !strcmp(arg, "both") ? 3 : 0;
        if (!c->mode) {
            snprintf(err, len, "'%s' is not pipe, queue or both", arg);
            return -1;
        }
        return 0;
    case F_CSV: c->csv = 1; return 0;
    case F_QUIET: c->quiet = 1; return 0;
    }
    return 0;
}

static void q_put(struct queue *q, int64_t v)
{
    while (sem_wait(&q->spaces) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&q->lock);
    q->buf[q->tail++ % QCAP] = v;
    pthread_mutex_unlock(&q->lock);
    sem_post(&q->items);
}

static int64_t q_get(struct queue *q)
{
    while (sem_wait(&q->items) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&q->lock);
    int64_t v = q->buf[q->head++ % QCAP];
    pthread_mutex_unlock(&q->lock);
    sem_post(&q->spaces);
    return v;
}

/* The consumers are started by lib/child.h's child_spawn(), not a bare fork():
 * a queue consumer sleeps on a shared semaphore and would outlive a killed
 * parent for ever; child_spawn ties each one to the parent's life. */

/* The pipe's consumer: sum the values until the sentinel, send the sum back. */
struct pipe_consumer {
    int in, out;
};

static int pipe_consumer_main(void *arg)
{
    const struct pipe_consumer *pc = arg;
    int64_t v, s = 0;
    /* One value per read: the per-message cost is the lesson. */
    while (fd_read_all(pc->in, &v, sizeof v) == 1 && v != SENTINEL)
        s += v;
    return fd_write_all(pc->out, &s, sizeof s) < 0;
}

/* A queue consumer: sum its share until its sentinel, into its own slot. */
struct queue_consumer {
    struct queue *q;
    uint64_t i;
};

static int queue_consumer_main(void *arg)
{
    const struct queue_consumer *qc = arg;
    int64_t v, s = 0;
    uint64_t n = 0;
    while ((v = q_get(qc->q)) != SENTINEL)
        s += v, n++;
    qc->q->sum[qc->i] = s, qc->q->got[qc->i] = n;
    return 0;
}

/* Returns wall seconds, or -1 with err. *sum_in gets what the consumers added. */
static double run_pipe(const struct pipeq_conf *c, int64_t *sum_in, char *err, size_t len)
{
    int fd[2];
    if (pipe2(fd, O_CLOEXEC) < 0) {
        snprintf(err, len, "pipe() failed: %s", strerror(errno));
        return -1;
    }
    int res[2];
    if (pipe2(res, O_CLOEXEC) < 0) {
        snprintf(err, len, "pipe() failed: %s", strerror(errno));
        close(fd[0]), close(fd[1]);
        return -1;
    }
    uint64_t t0 = now_ns();
    struct pipe_consumer pc = { fd[0], res[1] };
    struct child_opts o = { .keep = (int[]){ fd[0], res[1] }, .nkeep = 2 };
    pid_t pid = child_spawn(&o, pipe_consumer_main, &pc);
    if (pid < 0) {
        snprintf(err, len, "fork() failed spawning the consumer: %s", strerror(errno));
        close(fd[0]), close(fd[1]), close(res[0]), close(res[1]);
        return -1;
    }
    close(fd[0]), close(res[1]);
    for (uint64_t i = 0; i < c->msgs; i++) {
        int64_t v = (int64_t)i;
        fd_write_all(fd[1], &v, sizeof v);
    }
    int64_t stop = SENTINEL;
    fd_write_all(fd[1], &stop, sizeof stop);
    *sum_in = 0;
    fd_read_all(res[0], sum_in, sizeof *sum_in);
    double secs = (double)(now_ns() - t0) / 1e9;
    close(fd[1]), close(res[0]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return secs;
}

static double run_queue(const struct pipeq_conf *c, int64_t *sum_in, char *err, size_t len)
{
    struct queue *q = mmap(NULL, sizeof *q, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED) {
        snprintf(err, len, "mmap() of the queue failed: %s", strerror(errno));
        return -1;
    }
    sem_init(&q->items, 1, 0);
    sem_init(&q->spaces, 1, QCAP);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&q->lock, &a);
    pthread_mutexattr_destroy(&a);
    pid_t pid[WORKERS_MAX];
    uint64_t started = 0;
    double secs = -1;
    uint64_t t0 = now_ns();
    for (; started < c->cons; started++) {
        struct queue_consumer qc = { q, started };
        if ((pid[started] = child_spawn(NULL, queue_consumer_main, &qc)) < 0) {
            snprintf(err, len, "fork() failed spawning consumer %" PRIu64 ": %s", started, strerror(errno));
            break;
        }
    }
    if (started == c->cons) {
        for (uint64_t i = 0; i < c->msgs; i++)
            q_put(q, (int64_t)i);
        for (uint64_t i = 0; i < c->cons; i++)
            q_put(q, SENTINEL);     /* one per consumer */
    } else {
        for (uint64_t i = 0; i < started; i++)
            q_put(q, SENTINEL);
    }
    for (uint64_t i = 0; i < started; i++)
        while (waitpid(pid[i], NULL, 0) < 0 && errno == EINTR)
            ;
    if (started == c->cons) {
        secs = (double)(now_ns() - t0) / 1e9;
        *sum_in = 0;
        for (uint64_t i = 0; i < c->cons; i++)
            *sum_in += q->sum[i];
    }
    pthread_mutex_destroy(&q->lock);
    sem_destroy(&q->items), sem_destroy(&q->spaces);
    munmap(q, sizeof *q);
    return secs;
}

int main(int argc, char **argv)
{
    struct pipeq_conf c = { .msgs = 1000000, .cons = 2, .mode = 3 };
    struct progflags pf = { .summary =
        "Producer/consumer over a pipe (1 consumer) and over a shared multi-consumer queue\n"
        "(C consumers, one sentinel each); messages/s for each.",
        .flags = flags, .n = sizeof flags / sizeof flags[0] };
    progflags_parse(&pf, argc, argv, on_flag, &c);
    int64_t expect = (int64_t)(c.msgs * (c.msgs - 1) / 2);
    char err[256], mach[256];
    if (c.csv) {
        csv_meta(stdout, argc, argv);
        printf("transport,consumers,messages,seconds,msgs_per_s,sum_ok,sum\n");
    }
    int rc = EXIT_OK;
    for (int m = 1; m <= 2; m++) {
        if (!(c.mode & m))
            continue;
        int64_t got = 0;
        double secs = m == 1 ? run_pipe(&c, &got, err, sizeof err) : run_queue(&c, &got, err, sizeof err);
        if (secs < 0) {
            fprintf(stderr, "%s: %s\n", pf.prog, err);
            return EXIT_FAILURE_RT;
        }
        uint64_t cons = m == 1 ? 1 : c.cons;
        double rate = secs > 0 ? (double)c.msgs / secs : 0;
        if (got != expect)
            rc = EXIT_FAILURE_RT;
        if (c.csv)
            printf("%s,%" PRIu64 ",%" PRIu64 ",%.6f,%.0f,%d,%" PRId64 "\n", m == 1 ? "pipe" : "queue", cons,
                   c.msgs, secs, rate, got == expect, got);
        if (!c.quiet)
            fprintf(stderr, "pipeq: %-5s 1 producer -> %" PRIu64 " consumer(s), %" PRIu64 " 8-byte messages: %.3f s = "
                    "%.0f msgs/s (%.2f us each); sum %s\n", m == 1 ? "pipe" : "queue", cons, c.msgs, secs, rate,
                    secs * 1e6 / (double)c.msgs, got == expect ? "correct" : "WRONG");
    }
    if (!c.quiet)
        fprintf(stderr, "pipeq: pipe = one write() and one read() per message; queue = a lock and two semaphore "
                "operations per message on each side\npipeq: machine: %s\n", csv_machine(mach, sizeof mach));
    return rc;
}
