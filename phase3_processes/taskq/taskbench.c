/* taskbench.c: the two schemes bin/taskq's ring is measured against (see
 * taskbench.h); they commit into the same result array and are checked the
 * same way as the ring (taskrun.h).
 *
 * dynamic: one request pipe that every worker writes (24-byte requests, below
 * PIPE_BUF, so concurrent writes never interleave) and one task pipe per worker.
 * A worker sends "ready (and here is the result of my last task)"; the supervisor
 * answers with the next task. Two pipe hops and two context switches per task:
 * that is the fixed cost the ring's range claims avoid.
 *
 * static: the ids are cut into N equal ranges before the clock starts; each
 * worker makes and runs its own tasks and commits into a shared result array.
 * No coordination at all, so it is the floor for uniform tasks (and the loser
 * when costs are uneven, which this benchmark does not show). */
#include "taskbench.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "frame.h"
#include "timing.h"

struct bench_shared {
    _Atomic uint32_t start;             /* static: 0 until the clock starts */
    _Atomic uint32_t done_word;         /* bumped when a worker finishes */
    _Atomic uint32_t done_waiters;
    uint32_t reserved;
    _Atomic uint64_t done[WORKERS_MAX]; /* tasks each worker committed */
};

struct request {                        /* worker -> supervisor, dynamic scheme */
    uint32_t worker;
    uint32_t has_result;                /* 0 on the first request */
    uint64_t id;
    uint64_t value;
};

#define STOP_FN UINT16_MAX              /* a task with this fn tells a worker to leave */

/* What a benchmark worker runs: its index and its scheme's context. */
struct bench_worker {
    uint32_t w;
    void (*fn)(uint32_t w, void *ctx);
    void *ctx;
};

static int bench_worker_main(void *arg)
{
    const struct bench_worker *b = arg;
    b->fn(b->w, b->ctx);
    return 0;
}

/* Start worker w running fn(w, ctx), keeping only the fds in keep. */
static pid_t start_bench_worker(uint32_t w, void (*fn)(uint32_t, void *), void *ctx,
                                const int *keep, unsigned nkeep, char *err, size_t errlen)
{
    struct bench_worker b = { w, fn, ctx };
    struct child_opts o = { .keep = keep, .nkeep = nkeep };
    pid_t pid = child_spawn(&o, bench_worker_main, &b);
    if (pid < 0)
        snprintf(err, errlen, "fork() failed spawning worker %u: %s", w, strerror(errno));
    return pid;
}

static void reap_all(pid_t *pids, uint32_t n, bool kill_them)
{
    for (uint32_t w = 0; w < n; w++) {
        if (pids[w] <= 0)
            continue;
        if (kill_them)
            kill(pids[w], SIGKILL);
        while (waitpid(pids[w], NULL, 0) < 0 && errno == EINTR)
            ;
        pids[w] = 0;
    }
}

/* ---------------------------------------------------------------- static */

struct static_ctx {
    const struct taskpool_opts *o;
    struct bench_shared *sh;
    struct task_result *res;
};

static void static_worker(uint32_t w, void *arg)
{
    struct static_ctx *c = arg;
    const struct taskpool_opts *o = c->o;
    while (!atomic_load(&c->sh->start))
        futex_wait_shared(&c->sh->start, 0, -1);
    uint8_t *scratch = o->spec.nbytes ? malloc(o->spec.nbytes) : NULL;
    uint64_t lo = o->tasks * w / o->workers, hi = o->tasks * (w + 1) / o->workers;
    for (uint64_t id = lo; id < hi; id++)
        taskrun_commit(&c->res[id], id, w, taskrun_one(&o->spec, id, scratch));
    atomic_store(&c->sh->done[w], hi - lo);
    taskrun_notify(&c->sh->done_word, &c->sh->done_waiters);
    free(scratch);
}

int taskbench_static(const struct taskpool_opts *o, struct taskpool_report *rep, char *err, size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    rep->tasks = o->tasks;
    rep->workers = o->workers;
    size_t len = sizeof(struct bench_shared) + sizeof(struct task_result) * o->tasks;
    uint8_t *mem = taskrun_shared(len);
    if (!mem) {
        snprintf(err, errlen, "mmap() of %zu shared bytes failed: %s", len, strerror(errno));
        return -1;
    }
    struct static_ctx c = { o, (struct bench_shared *)mem,
                            (struct task_result *)(mem + sizeof(struct bench_shared)) };
    pid_t pids[WORKERS_MAX] = { 0 };
    int rc = -1;
    for (uint32_t w = 0; w < o->workers; w++)
        if ((pids[w] = start_bench_worker(w, static_worker, &c, NULL, 0, err, errlen)) < 0)
            goto out;
    uint64_t t0 = now_ns();
    atomic_store(&c.sh->start, 1);
    futex_wake_shared(&c.sh->start, INT_MAX);
    uint64_t scan = 0;
    while (!taskrun_wait_done(c.res, o->tasks, &scan, &c.sh->done_word, &c.sh->done_waiters, 1000))
        ;
    rep->seconds = (double)(now_ns() - t0) / 1e9;
    rc = 0;
out:
    reap_all(pids, o->workers, rc < 0);
    for (uint32_t w = 0; w < o->workers; w++) {
        rep->w[w].pid = pids[w];
        rep->w[w].done = atomic_load(&c.sh->done[w]);
    }
    if (rc == 0)
        taskrun_verify(c.res, &o->spec, o->recheck, rep);
    if (rc == 0 && o->results)
        taskrun_write(o->results, c.res, o->tasks);
    munmap(mem, len);
    return rc;
}

/* ---------------------------------------------------------------- dynamic */

struct dyn_ctx {
    const struct taskpool_opts *o;
    int req_w;                          /* every worker writes requests here */
    int task_r[WORKERS_MAX];            /* worker w reads its tasks here */
    int task_w[WORKERS_MAX];
    int req_r;
};

static void dyn_worker(uint32_t w, void *arg)
{
    struct dyn_ctx *c = arg;   /* of its fds only req_w and task_r[w] are open here */
    uint8_t *bytes = c->o->spec.nbytes ? malloc(c->o->spec.nbytes) : NULL;
    struct request rq = { .worker = w };
    for (;;) {
        if (fd_write_all(c->req_w, &rq, sizeof rq) < 0)
            _exit(1);
        struct task t;
        if (fd_read_all(c->task_r[w], &t, sizeof t) != 1 || t.fn == STOP_FN)
            break;
        if (t.nbytes && fd_read_all(c->task_r[w], bytes, t.nbytes) != 1)
            _exit(1);
        rq.has_result = 1;
        rq.id = t.id;
        rq.value = taskfn_run(&t, bytes);
    }
    free(bytes);
}

/* The supervisor's side of the dynamic scheme: answer every request with the
 * next task (or a stop), commit the result it carries. 0, or -1 with err. */
static int dyn_serve(struct dyn_ctx *c, struct task_result *res, uint8_t *bytes,
                     struct taskpool_report *rep, char *err, size_t errlen)
{
    const struct taskpool_opts *o = c->o;
    uint64_t next_id = 0;
    uint32_t stopped = 0;
    while (stopped < o->workers) {
        struct request rq;
        int r = fd_read_all(c->req_r, &rq, sizeof rq);
        if (r != 1 || rq.worker >= o->workers) {
            snprintf(err, errlen, "reading the request pipe failed: %s",
                     r == 0 ? "every worker is gone" : strerror(errno));
            return -1;
        }
        if (rq.has_result && rq.id < o->tasks) {
            taskrun_commit(&res[rq.id], rq.id, rq.worker, rq.value);
            rep->w[rq.worker].done++;
        }
        struct task t;
        if (next_id < o->tasks) {
            taskspec_make(&o->spec, next_id, &t);
            if (t.nbytes)
                taskspec_bytes(next_id, bytes, t.nbytes);
            next_id++;
        } else {
            memset(&t, 0, sizeof t);
            t.fn = STOP_FN;
            stopped++;
        }
        if (fd_write_all(c->task_w[rq.worker], &t, sizeof t) < 0
            || (t.fn != STOP_FN && t.nbytes && fd_write_all(c->task_w[rq.worker], bytes, t.nbytes) < 0)) {
            snprintf(err, errlen, "write() to worker %u failed: %s", rq.worker, strerror(errno));
            return -1;
        }
    }
    return 0;
}

int taskbench_dynamic(const struct taskpool_opts *o, struct taskpool_report *rep, char *err, size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    rep->tasks = o->tasks;
    rep->workers = o->workers;
    struct dyn_ctx c = { .o = o, .req_w = -1, .req_r = -1 };
    for (uint32_t w = 0; w < WORKERS_MAX; w++)
        c.task_r[w] = c.task_w[w] = -1;
    struct task_result *res = calloc(o->tasks ? o->tasks : 1, sizeof *res);
    uint8_t *bytes = o->spec.nbytes ? malloc(o->spec.nbytes) : NULL;
    pid_t pids[WORKERS_MAX] = { 0 };
    int rc = -1, fds[2];
    if (!res || (o->spec.nbytes && !bytes)) {
        snprintf(err, errlen, "out of memory for %llu results", (unsigned long long)o->tasks);
        goto out;
    }
    if (pipe2(fds, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe() failed for the request pipe: %s", strerror(errno));
        goto out;
    }
    c.req_r = fds[0], c.req_w = fds[1];
    for (uint32_t w = 0; w < o->workers; w++) {
        if (pipe2(fds, O_CLOEXEC) < 0) {
            snprintf(err, errlen, "pipe() failed spawning worker %u: %s", w, strerror(errno));
            goto out;
        }
        c.task_r[w] = fds[0], c.task_w[w] = fds[1];
    }
    for (uint32_t w = 0; w < o->workers; w++)
        if ((pids[w] = start_bench_worker(w, dyn_worker, &c, (int[]){ c.req_w, c.task_r[w] }, 2,
                                          err, errlen)) < 0)
            goto out;
    close(c.req_w), c.req_w = -1;
    for (uint32_t w = 0; w < o->workers; w++)
        close(c.task_r[w]), c.task_r[w] = -1;

    uint64_t t0 = now_ns();
    if (dyn_serve(&c, res, bytes, rep, err, errlen) < 0)
        goto out;
    rep->seconds = (double)(now_ns() - t0) / 1e9;
    rc = 0;
out:
    for (uint32_t w = 0; w < WORKERS_MAX; w++) {
        if (c.task_w[w] >= 0)
            close(c.task_w[w]);
        if (c.task_r[w] >= 0)
            close(c.task_r[w]);
    }
    if (c.req_w >= 0)
        close(c.req_w);
    reap_all(pids, o->workers, rc < 0);
    if (c.req_r >= 0)
        close(c.req_r);
    if (rc == 0)
        taskrun_verify(res, &o->spec, o->recheck, rep);
    if (rc == 0 && o->results)
        taskrun_write(o->results, res, o->tasks);
    free(res);
    free(bytes);
    return rc;
}
