/* taskbench.c: the two schemes bin/taskq's ring is measured against, and the
 * result check all three share (see taskpool.h).
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
#include "taskpool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

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

uint64_t taskpool_run_one(const struct taskspec *spec, uint64_t id, uint8_t *scratch)
{
    struct task t;
    taskspec_make(spec, id, &t);
    if (t.nbytes)
        taskspec_bytes(id, scratch, t.nbytes);
    return taskfn_run(&t, t.nbytes ? scratch : NULL);
}

void taskpool_verify(const struct task_result *res, const struct taskspec *spec, bool recheck,
                     struct taskpool_report *rep)
{
    uint64_t n = rep->tasks;
    uint8_t *scratch = spec->nbytes ? malloc(spec->nbytes) : NULL;
    rep->once = rep->missing = rep->dup = rep->bad_id = rep->wrong = rep->id_sum = 0;
    rep->id_sum_expected = n ? (n % 2 ? n * ((n - 1) / 2) : (n / 2) * (n - 1)) : 0;
    rep->rechecked = recheck && (scratch || !spec->nbytes);
    for (uint64_t i = 0; i < n; i++) {
        uint32_t runs = atomic_load(&res[i].runs);
        if (runs == 0) {
            rep->missing++;
            continue;
        }
        if (runs == 1)
            rep->once++;
        else
            rep->dup++;
        if (res[i].id != i)
            rep->bad_id++;
        rep->id_sum += res[i].id;
        if (rep->rechecked && taskpool_run_one(spec, i, scratch) != res[i].value)
            rep->wrong++;
    }
    free(scratch);
}

bool taskpool_ok(const struct taskpool_report *rep)
{
    return rep->once == rep->tasks && !rep->missing && !rep->dup && !rep->bad_id && !rep->wrong
           && rep->id_sum == rep->id_sum_expected;
}

/* Fork worker w running fn(w, arg); the child dies with the supervisor. */
static pid_t fork_worker(uint32_t w, void (*fn)(uint32_t, void *), void *arg, char *err, size_t errlen)
{
    pid_t sup = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork() failed spawning worker %u: %s", w, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != sup)
            _exit(0);
        fn(w, arg);
        _exit(0);
    }
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
        taskpool_commit(&c->res[id], id, w, taskpool_run_one(&o->spec, id, scratch));
    atomic_store(&c->sh->done[w], hi - lo);
    atomic_fetch_add(&c->sh->done_word, 1);
    if (atomic_load(&c->sh->done_waiters))
        futex_wake_shared(&c->sh->done_word, 1);
    free(scratch);
}

int taskbench_static(const struct taskpool_opts *o, struct taskpool_report *rep, char *err, size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    rep->tasks = o->tasks;
    rep->workers = o->workers;
    size_t len = sizeof(struct bench_shared) + sizeof(struct task_result) * o->tasks;
    uint8_t *mem = taskpool_shared(len);
    if (!mem) {
        snprintf(err, errlen, "mmap() of %zu shared bytes failed: %s", len, strerror(errno));
        return -1;
    }
    struct static_ctx c = { o, (struct bench_shared *)mem,
                            (struct task_result *)(mem + sizeof(struct bench_shared)) };
    pid_t pids[WORKERS_MAX] = { 0 };
    int rc = -1;
    for (uint32_t w = 0; w < o->workers; w++)
        if ((pids[w] = fork_worker(w, static_worker, &c, err, errlen)) < 0)
            goto out;
    uint64_t t0 = now_ns();
    atomic_store(&c.sh->start, 1);
    futex_wake_shared(&c.sh->start, INT_MAX);
    for (uint64_t scan = 0;;) {
        uint32_t ticket = atomic_load(&c.sh->done_word);
        while (scan < o->tasks && atomic_load_explicit(&c.res[scan].runs, memory_order_acquire))
            scan++;
        if (scan == o->tasks)
            break;
        atomic_fetch_add(&c.sh->done_waiters, 1);
        futex_wait_shared(&c.sh->done_word, ticket, 1000);
        atomic_fetch_sub(&c.sh->done_waiters, 1);
    }
    rep->seconds = (double)(now_ns() - t0) / 1e9;
    rc = 0;
out:
    reap_all(pids, o->workers, rc < 0);
    for (uint32_t w = 0; w < o->workers; w++) {
        rep->w[w].pid = pids[w];
        rep->w[w].done = atomic_load(&c.sh->done[w]);
    }
    if (rc == 0)
        taskpool_verify(c.res, &o->spec, o->recheck, rep);
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
    struct dyn_ctx *c = arg;
    /* Keep only our own ends: the request pipe's write end and our task pipe's read end. */
    close(c->req_r);
    for (uint32_t i = 0; i < c->o->workers; i++) {
        close(c->task_w[i]);
        if (i != w)
            close(c->task_r[i]);
    }
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
        if ((pids[w] = fork_worker(w, dyn_worker, &c, err, errlen)) < 0)
            goto out;
    close(c.req_w), c.req_w = -1;
    for (uint32_t w = 0; w < o->workers; w++)
        close(c.task_r[w]), c.task_r[w] = -1;

    uint64_t t0 = now_ns(), next_id = 0;
    uint32_t stopped = 0;
    while (stopped < o->workers) {
        struct request rq;
        int r = fd_read_all(c.req_r, &rq, sizeof rq);
        if (r != 1 || rq.worker >= o->workers) {
            snprintf(err, errlen, "reading the request pipe failed: %s",
                     r == 0 ? "every worker is gone" : strerror(errno));
            goto out;
        }
        if (rq.has_result && rq.id < o->tasks) {
            taskpool_commit(&res[rq.id], rq.id, rq.worker, rq.value);
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
        if (fd_write_all(c.task_w[rq.worker], &t, sizeof t) < 0
            || (t.fn != STOP_FN && t.nbytes && fd_write_all(c.task_w[rq.worker], bytes, t.nbytes) < 0)) {
            snprintf(err, errlen, "write() to worker %u failed: %s", rq.worker, strerror(errno));
            goto out;
        }
    }
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
        taskpool_verify(res, &o->spec, o->recheck, rep);
    free(res);
    free(bytes);
    return rc;
}
