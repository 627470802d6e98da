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
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "taskarena.h"
#include "taskring.h"
#include "timing.h"

#define ALIGN64(n) (((n) + 63) & ~(size_t)63)

/* The supervisor's wake-up word and the per-worker counters, in shared memory. */
struct taskpool_shared {
    _Atomic uint32_t done_word;         /* bumped after every batch a worker finishes */
    _Atomic uint32_t done_waiters;      /* 1 while the supervisor sleeps on it */
    uint8_t pad[56];
};

struct wcount {                         /* one per worker slot, own cache line */
    _Atomic uint64_t done;
    _Atomic uint64_t skipped;
    uint8_t pad[48];
};

struct taskpool {
    const struct taskpool_opts *o;
    uint8_t *mem;
    size_t mem_len;
    struct taskpool_shared *sh;
    struct taskring *ring;
    struct taskarena *arena;
    uint8_t *holders;                   /* workers x holder_len */
    size_t holder_len;
    struct wcount *wc;
    struct task_result *res;
    pid_t pids[WORKERS_MAX];            /* 0 = slot empty (dead, not respawned) */
    uint32_t gen[WORKERS_MAX];          /* incarnation of each slot */
    bool recover[WORKERS_MAX];          /* died holding work: recover before respawn */
    bool closing;
    uint64_t scan;                      /* results below this are all committed */
    uint8_t *retry;                     /* task images to push again */
    size_t retry_n, retry_cap;
    struct taskpool_report *rep;
};

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

static struct taskring_holder *holder(struct taskpool *p, uint32_t w)
{
    return (struct taskring_holder *)(p->holders + (size_t)w * p->holder_len);
}

/* ---------------------------------------------------------------- worker */

static bool die_in_window;

static void window_hook(void)
{
    if (die_in_window)
        raise(SIGKILL);         /* test hook: after the CAS, before the copy */
}

/* What a worker needs: the pool (its shared memory) and its slot. */
struct task_worker {
    struct taskpool *p;
    uint32_t w;
};

/* A worker (run by child_spawn, which also ties it to the supervisor's life):
 * claim, run, commit, until the ring is closed and empty. */
static int task_worker_main(void *arg)
{
    struct taskpool *p = ((struct task_worker *)arg)->p;
    uint32_t w = ((struct task_worker *)arg)->w;
    const struct taskpool_opts *o = p->o;
    struct taskring_holder *h = holder(p, w);
    uint32_t sb = o->slot_bytes;
    bool may_kill = o->kill_after && w == 0 && p->gen[w] == 0;
    uint64_t mine = 0;          /* tasks this incarnation committed */
    for (;;) {
        int n = taskring_claim(p->ring, h, o->batch, may_kill ? window_hook : NULL);
        if (n < 0)
            continue;           /* EINTR */
        if (n == 0)
            break;              /* closed and empty */
        bool freed = false;
        for (int i = 0; i < n; i++) {
            atomic_store_explicit(&h->next, (uint32_t)i, memory_order_relaxed);
            struct task_slot *s = taskring_local(h, sb, (uint32_t)i);
            uint64_t id = s->t.id;
            if (id >= o->tasks)
                continue;       /* cannot happen; verify() would report the gap */
            struct task_result *r = &p->res[id];
            if (atomic_load_explicit(&r->runs, memory_order_acquire) == 0) {
                const uint8_t *bytes = s->t.where == TASK_BYTES_INLINE ? s->bytes
                    : s->t.where == TASK_BYTES_ARENA ? taskarena_at(p->arena, s->t.arena_off) : NULL;
                taskrun_commit(r, id, w, taskfn_run(&s->t, bytes));
                atomic_fetch_add_explicit(&p->wc[w].done, 1, memory_order_relaxed);
                mine++;
            } else {
                atomic_fetch_add_explicit(&p->wc[w].skipped, 1, memory_order_relaxed);
            }
            if (s->t.where == TASK_BYTES_ARENA) {
                taskarena_free(p->arena, s->t.arena_off);   /* after the commit */
                freed = true;
            }
            if (may_kill && mine >= o->kill_after) {
                if (o->kill_in_window)
                    die_in_window = true;                   /* at the next claim */
                else if (i + 1 < n)
                    raise(SIGKILL);                         /* mid-batch */
            }
        }
        taskring_retire(h);
        if (freed)
            taskring_wake_space(p->ring);
        taskrun_notify(&p->sh->done_word, &p->sh->done_waiters);
    }
    return 0;
}

static int start_task_worker(struct taskpool *p, uint32_t w, char *err, size_t errlen)
{
    taskring_holder_reset(holder(p, w));
    struct task_worker tw = { p, w };
    pid_t pid = child_spawn(NULL, task_worker_main, &tw);    /* keeps no fd: all is in the mapping */
    if (pid < 0) {
        snprintf(err, errlen, "fork() failed spawning worker %u: %s", w, strerror(errno));
        return -1;
    }
    p->pids[w] = pid;
    p->rep->w[w].pid = pid;
    return 0;
}

/* ---------------------------------------------------------------- recovery */

static int retry_add(struct taskpool *p, const struct task_slot *s)
{
    size_t sb = p->o->slot_bytes;
    if (p->retry_n == p->retry_cap) {
        size_t cap = p->retry_cap ? p->retry_cap * 2 : 64;
        uint8_t *n = realloc(p->retry, cap * sb);
        if (!n)
            return -1;
        p->retry = n, p->retry_cap = cap;
    }
    memcpy(p->retry + p->retry_n++ * sb, s, sb);
    return 0;
}

static void orphan_cb(const struct task_slot *s, void *arg)
{
    struct taskpool *p = arg;
    if (s->t.id < p->o->tasks && atomic_load(&p->res[s->t.id].runs) == 0) {
        retry_add(p, s);
        p->rep->rerun_orphan++;
    }
}

/* Reap every exited child; mark the ones that died with work in hand. Returns
 * how many died. */
static int reap_workers(struct taskpool *p)
{
    int n = 0, st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0 || (pid < 0 && errno == EINTR)) {
        if (pid < 0)
            continue;
        for (uint32_t w = 0; w < p->o->workers; w++)
            if (p->pids[w] == pid) {
                p->pids[w] = 0;
                bool clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
                if (!clean || !p->closing) {
                    p->recover[w] = true;
                    p->rep->killed++;
                    if (p->o->status)
                        fprintf(p->o->status, "taskq: worker %u (pid %d) %s %d; recovering its tasks\n",
                                w, (int)pid, WIFSIGNALED(st) ? "killed by signal" : "exited with",
                                WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
                }
                n++;
            }
    }
    return n;
}

/* Recover every dead worker's unfinished tasks into the retry list, then
 * respawn it (unless the run is closing). */
static int recover(struct taskpool *p, char *err, size_t errlen)
{
    const struct taskpool_opts *o = p->o;
    uint32_t sb = o->slot_bytes;
again:
    reap_workers(p);
    bool window = false;
    for (uint32_t w = 0; w < o->workers; w++) {
        if (!p->recover[w])
            continue;
        struct taskring_holder *h = holder(p, w);
        uint32_t n = atomic_load(&h->local_n);
        for (uint32_t i = 0; i < n; i++) {      /* its local queue: authoritative */
            struct task_slot *s = taskring_local(h, sb, i);
            if (s->t.id < o->tasks && atomic_load(&p->res[s->t.id].runs) == 0) {
                if (retry_add(p, s) < 0)
                    goto nomem;
                p->rep->rerun_local++;
            } else if (s->t.where == TASK_BYTES_ARENA) {
                taskarena_free(p->arena, s->t.arena_off);   /* done, maybe not freed */
            }
        }
        if (n)
            taskring_release_range(p->ring, atomic_load(&h->local_pos), n);
        else if (taskring_holder_epoch(h) & 1)
            window = true;      /* died inside a claim, before copying */
        taskring_holder_reset(h);
    }
    if (window) {
        /* Tail first, then the epochs (taskring.h says why), then wait for every
         * live worker to leave the claim it is in: a few instructions, no
         * blocking call inside, so yielding is enough. This runs once per death. */
        uint64_t t = taskring_tail(p->ring), snap[WORKERS_MAX];
        for (uint32_t w = 0; w < o->workers; w++)
            snap[w] = taskring_holder_epoch(holder(p, w));
        for (uint32_t w = 0; w < o->workers; w++)
            while (p->pids[w] && !p->recover[w] && !taskring_holder_quiet(holder(p, w), snap[w])) {
                siginfo_t si = { .si_pid = 0 };
                if (waitid(P_PID, (id_t)p->pids[w], &si, WEXITED | WNOHANG | WNOWAIT) == 0
                    && si.si_pid == p->pids[w])
                    goto again; /* it died too: start over with it included */
                sched_yield();
            }
        taskring_orphans(p->ring, t, orphan_cb, p);
    }
    for (uint32_t w = 0; w < o->workers; w++) {
        if (!p->recover[w])
            continue;
        p->recover[w] = false;
        if (!p->closing) {
            p->gen[w]++;
            p->rep->w[w].restarts++;
            if (start_task_worker(p, w, err, errlen) < 0)
                return -1;
        }
    }
    return 0;
nomem:
    snprintf(err, errlen, "out of memory keeping the tasks of a dead worker");
    return -1;
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
    int wait_ms = o->status_every_ms > 0 ? o->status_every_ms : 1000;
    uint64_t next_status = t0 + (uint64_t)wait_ms * 1000000u;
    for (;;) {
        if (got_child) {
            got_child = 0;
            if (recover(p, err, errlen) < 0)
                return -1;
        }
        if (now_ns() >= next_status) {
            status_line(p, t0);
            next_status = now_ns() + (uint64_t)wait_ms * 1000000u;
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
        if (start_task_worker(p, w, err, errlen) < 0)
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
    free(f.img);
    free(p->retry);
    munmap(p->mem, p->mem_len);
    return rc;
}
