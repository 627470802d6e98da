/* taskpool.c: the shm scheme of bin/taskq: one supervisor, N workers, one
 * shared mapping holding the ring, the argument arena, the workers' holders
 * (their local queues), per-worker counters and the result array.
 *
 * The shared mapping is anonymous (MAP_SHARED | MAP_ANONYMOUS, made before the
 * first fork): it has no name, so there is nothing to unlink and nothing in
 * /dev/shm survives the run, even when the supervisor is SIGKILLed: the memory
 * goes away with the last process that maps it (and workers die with the
 * supervisor, PR_SET_PDEATHSIG).
 *
 * Exactly once. A worker's only effect is its commit (taskrun_commit: value,
 * then runs += 1); handlers are pure. A worker killed before a task's commit
 * leaves no trace of that task, so running it again is safe; a worker killed
 * after the commit has finished that task for good. When a worker dies the
 * supervisor re-enqueues exactly the tasks it held that have runs == 0: those in
 * its holder (claimed and copied), and those it claimed but had not copied yet
 * (the orphans, taskring.c explains how they are found). Workers also skip a
 * delivered task whose runs is already > 0, and count it: the tests require 0. */
#include "taskpool.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "taskpool_impl.h"
#include "timing.h"

static volatile sig_atomic_t got_child;
static struct taskpool *sig_pool;           /* for the handler's futex kick */

static void on_sigchld(int sig)
{
    int saved = errno;
    (void)sig;
    got_child = 1;
    /* A supervisor between reading a futex ticket and sleeping on it must not
     * sleep through this death: bumping the words makes its FUTEX_WAIT return. */
    if (sig_pool) {
        atomic_fetch_add(&sig_pool->sh->done_word, 1);
        taskring_kick(sig_pool->ring);
    }
    errno = saved;
}

/* ---------------------------------------------------------------- supervisor */

static uint64_t depth(struct taskpool *p)
{
    return taskring_head(p->ring) - taskring_tail(p->ring);
}

static void status_line(struct taskpool *p, uint64_t t0)
{
    while (p->scan < p->o->tasks && atomic_load_explicit(&p->res[p->scan].runs, memory_order_acquire))
        p->scan++;
    uint64_t d = depth(p);
    if (d > p->rep->depth_max)
        p->rep->depth_max = d;
    if (!p->o->status)
        return;
    fprintf(p->o->status, "taskq: %.1fs: %llu/%llu tasks done, queue depth %llu, arena %llu B in use; per worker done:",
            (double)(now_ns() - t0) / 1e9, (unsigned long long)p->scan, (unsigned long long)p->o->tasks,
            (unsigned long long)d, (unsigned long long)taskarena_in_use(p->arena));
    for (uint32_t w = 0; w < p->o->workers; w++)
        fprintf(p->o->status, " %llu", (unsigned long long)atomic_load(&p->wc[w].done));
    fputc('\n', p->o->status);
}

/* Make task `id` into img, its bytes inline or in the arena. Returns 0, 1 when
 * the arena is full for now, -1 when the bytes can never fit. */
static int make_task(struct taskpool *p, uint64_t id, struct task_slot *img)
{
    taskspec_make(&p->o->spec, id, &img->t);
    uint32_t nb = img->t.nbytes;
    if (nb == 0) {
        img->t.where = TASK_BYTES_NONE;
    } else if (nb <= taskring_inline_max(p->ring)) {
        img->t.where = TASK_BYTES_INLINE;
        taskspec_bytes(id, img->bytes, nb);
    } else {
        int64_t off = taskarena_alloc(p->arena, nb);
        if (off < 0)
            return errno == EAGAIN ? 1 : -1;
        img->t.where = TASK_BYTES_ARENA;
        img->t.arena_off = (uint32_t)off;
        taskspec_bytes(id, taskarena_at(p->arena, (uint32_t)off), nb);
    }
    return 0;
}

static int layout(struct taskpool *p, char *err, size_t errlen)
{
    const struct taskpool_opts *o = p->o;
    size_t off_ring = ALIGN64(sizeof(struct taskpool_shared));
    size_t off_arena = off_ring + ALIGN64(taskring_bytes(o->slots, o->slot_bytes));
    size_t off_hold = off_arena + ALIGN64(taskarena_bytes(o->arena_bytes));
    p->holder_len = ALIGN64(taskring_holder_bytes(o->slot_bytes, o->batch));
    size_t off_wc = off_hold + p->holder_len * o->workers;
    size_t off_res = off_wc + sizeof(struct wcount) * o->workers;
    p->mem_len = off_res + sizeof(struct task_result) * o->tasks;
    p->mem = taskrun_shared(p->mem_len);
    if (!p->mem) {
        snprintf(err, errlen, "mmap() of %zu shared bytes failed: %s", p->mem_len, strerror(errno));
        return -1;
    }
    p->sh = (struct taskpool_shared *)p->mem;
    p->ring = taskring_init(p->mem + off_ring, o->slots, o->slot_bytes);
    p->arena = taskarena_init(p->mem + off_arena, o->arena_bytes);
    p->holders = p->mem + off_hold;
    p->wc = (struct wcount *)(p->mem + off_wc);
    p->res = (struct task_result *)(p->mem + off_res);
    return 0;
}

/* The producer's side: the next task image to push, recovered ones first. */
struct feed {
    struct task_slot *img;      /* the next new task, once made */
    bool pending;               /* img holds a made task (maybe with arena bytes) */
    uint64_t next_id;           /* the next new task id to make */
};

/* Set *s to the next image to push: 1. Returns 0 when every task is in the
 * ring, 2 after sleeping on a full arena (call again), -1 with err. */
static int next_image(struct taskpool *p, struct feed *f, int wait_ms, const struct task_slot **s,
                      char *err, size_t errlen)
{
    const struct taskpool_opts *o = p->o;
    if (p->retry_n) {
        *s = (const struct task_slot *)(p->retry + (p->retry_n - 1) * o->slot_bytes);
        return 1;
    }
    if (f->next_id == o->tasks)
        return 0;
    if (!f->pending) {
        uint32_t ticket = atomic_load(&p->sh->done_word);
        int m = make_task(p, f->next_id, f->img);
        if (m < 0) {
            snprintf(err, errlen, "a task's %u bytes do not fit the %u-byte arena (--arena-bytes)",
                     f->img->t.nbytes, o->arena_bytes);
            return -1;
        }
        if (m > 0) {            /* arena full: sleep until a worker finishes a batch */
            atomic_fetch_add(&p->sh->done_waiters, 1);
            futex_wait_shared(&p->sh->done_word, ticket, wait_ms);
            atomic_fetch_sub(&p->sh->done_waiters, 1);
            return 2;
        }
        f->pending = true;
    }
    *s = f->img;
    return 1;
}

/* Push every task (recovering dead workers' tasks as they die), then wait
 * until every result is committed. 0, or -1 with err. */
static int supervise(struct taskpool *p, struct feed *f, uint64_t t0, char *err, size_t errlen)
{
    const struct taskpool_opts *o = p->o;
    int status_ms = o->status_every_ms > 0 ? o->status_every_ms : 1000;
    /* Every wait below ends after wait_ms, so the status and the hang watch run. */
    int wait_ms = o->hang_ms > 0 && o->hang_ms / 4 < status_ms ? (o->hang_ms + 3) / 4 : status_ms;
    uint64_t next_status = t0 + (uint64_t)status_ms * 1000000u, next_watch = t0;
    for (;;) {
        if (got_child) {
            got_child = 0;
            if (taskrecover_run(p, err, errlen) < 0)
                return -1;
            if (p->broken) {
                snprintf(err, errlen, "a worker found the task ring's claim broken: not respawning");
                return -1;
            }
        }
        uint64_t now = now_ns();
        if (now >= next_status) {
            status_line(p, t0);
            next_status = now + (uint64_t)status_ms * 1000000u;
        }
        if (o->hang_ms > 0 && now >= next_watch) {
            taskrecover_watch(p, now);
            next_watch = now + (uint64_t)wait_ms * 1000000u;
        }
        const struct task_slot *s = NULL;
        int m = next_image(p, f, wait_ms, &s, err, errlen);
        if (m < 0)
            return -1;
        if (m == 2)
            continue;
        if (m == 1) {
            if (taskring_push(p->ring, &s->t, s->bytes, wait_ms) < 0)
                continue;       /* EINTR (a death) or the status timeout */
            if (s == f->img)
                f->pending = false, f->next_id++;
            else
                p->retry_n--;
            continue;
        }
        /* Everything is in the ring: wait for the results. */
        if (taskrun_wait_done(p->res, o->tasks, &p->scan, &p->sh->done_word, &p->sh->done_waiters, wait_ms))
            return 0;
    }
}

/* Close the ring, let the workers leave (killed, after a failure), reap them
 * all, and collect the per-worker counters. */
static void shut_down(struct taskpool *p, bool failed)
{
    const struct taskpool_opts *o = p->o;
    p->closing = true;
    taskring_close(p->ring);
    for (uint32_t w = 0; w < o->workers; w++)
        while (p->pids[w]) {
            if (failed)
                kill(p->pids[w], SIGKILL);
            int st;
            pid_t got = waitpid(p->pids[w], &st, 0);
            if (got == p->pids[w] || (got < 0 && errno == ECHILD))
                p->pids[w] = 0;
        }
    for (uint32_t w = 0; w < o->workers; w++) {
        struct taskring_holder *h = holder(p, w);
        p->rep->w[w].done = atomic_load(&p->wc[w].done);
        p->rep->w[w].skipped = atomic_load(&p->wc[w].skipped);
        p->rep->w[w].claims = atomic_load(&h->claims);
        p->rep->w[w].claimed = atomic_load(&h->claimed);
    }
}

int taskpool_run(const struct taskpool_opts *o, struct taskpool_report *rep, char *err, size_t errlen)
{
    struct taskpool pool = { .o = o, .rep = rep }, *p = &pool;
    memset(rep, 0, sizeof *rep);
    rep->tasks = o->tasks;
    rep->workers = o->workers;
    if (taskring_check(o->slots, o->slot_bytes, err, errlen) < 0 || layout(p, err, errlen) < 0)
        return -1;
    struct feed f = { .img = calloc(1, o->slot_bytes) };
    struct sigaction sa = { .sa_handler = on_sigchld }, old;
    sigemptyset(&sa.sa_mask);   /* no SA_RESTART: a death interrupts FUTEX_WAIT */
    got_child = 0;
    sig_pool = p;
    sigaction(SIGCHLD, &sa, &old);
    int rc = -1;
    if (!f.img) {
        snprintf(err, errlen, "out of memory for a %u-byte task image", o->slot_bytes);
        goto out;
    }
    for (uint32_t w = 0; w < o->workers; w++)
        if (taskworker_start(p, w, err, errlen) < 0)
            goto out;
    uint64_t t0 = now_ns();
    if (supervise(p, &f, t0, err, errlen) < 0)
        goto out;
    rep->seconds = (double)(now_ns() - t0) / 1e9;
    status_line(p, t0);
    rc = 0;
out:
    shut_down(p, rc < 0);
    sigaction(SIGCHLD, &old, NULL);
    sig_pool = NULL;
    if (rc == 0)
        taskrun_verify(p->res, &o->spec, o->recheck, rep);
    if (rc == 0 && o->results)
        taskrun_write(o->results, p->res, o->tasks);
    free(f.img);
    free(p->retry);
    munmap(p->mem, p->mem_len);
    return rc;
}
