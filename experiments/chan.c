/* chan.c: the four transports of the ipc_size experiment and its two
 * measurements (see chan.h). The shared-memory transport is a pair of
 * shmring.h rings, one per direction. */
#include "chan.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "frame.h"
#include "shmring.h"
#include "timing.h"

#define WARMUP_OPS   16           /* untimed operations before a measurement */

static const char *const transport_names[TR_COUNT] = {
    [TR_INPROC] = "inproc", [TR_PIPE] = "pipe",
    [TR_SOCKETPAIR] = "socketpair", [TR_SHM] = "shm",
};

int transport_parse(const char *s, enum transport *out)
{
    for (int i = 0; i < TR_COUNT; i++) {
        if (strcmp(s, transport_names[i]) == 0) {
            *out = (enum transport)i;
            return 0;
        }
    }
    return -1;
}

const char *transport_name(enum transport t)
{
    return (unsigned)t < TR_COUNT ? transport_names[t] : "?";
}

/* ------------------------------------------------------------------ endpoints */

struct end {
    enum transport t;
    int rfd, wfd;               /* pipe, socketpair (the same fd for a socketpair) */
    struct shmring *in, *out;   /* shm */
};

static int end_send(struct end *e, const void *p, size_t n)
{
    if (e->t == TR_SHM) {
        shmring_put(e->out, p, (uint32_t)n);
        return 0;
    }
    return fd_write_all(e->wfd, p, n);
}

/* Returns 1 with n bytes in p, 0 when the sender has stopped, -1 with errno. */
static int end_recv(struct end *e, void *p, size_t n)
{
    if (e->t == TR_SHM)
        return shmring_get(e->in, p, n);
    return fd_read_all(e->rfd, p, n);
}

/* Tell the peer that no more messages follow. */
static int end_stop(struct end *e)
{
    switch (e->t) {
    case TR_SHM:
        shmring_stop(e->out);
        return 0;
    case TR_SOCKETPAIR:
        return shutdown(e->wfd, SHUT_WR);
    default: {
        int rc = close(e->wfd);
        e->wfd = -1;
        return rc;
    }
    }
}

/* ------------------------------------------------------------------ the peer */

typedef void (*peer_fn)(struct end *e, void *buf, size_t n);

/* Round trip: echo every message back until the stop. */
static void peer_echo(struct end *e, void *buf, size_t n)
{
    int rc;
    while ((rc = end_recv(e, buf, n)) == 1)
        if (end_send(e, buf, n) < 0)
            _exit(1);
    _exit(rc < 0 ? 1 : 0);
}

/* One-way: acknowledge the warm-up, then count messages until the stop and
 * send the count back, so the sender knows every message arrived. */
static void peer_sink(struct end *e, void *buf, size_t n)
{
    uint64_t count = 0;
    int rc;
    while ((rc = end_recv(e, buf, n)) == 1) {
        if (++count == WARMUP_OPS && end_send(e, &count, sizeof count) < 0)
            _exit(1);
    }
    if (rc < 0 || end_send(e, &count, sizeof count) < 0)
        _exit(1);
    _exit(0);
}

/* One measured link: this process's end and the forked peer at the other. */
struct peer_link {
    enum transport t;
    struct end me;              /* the parent's end */
    pid_t pid;                  /* the peer, 0 for inproc */
    struct shmring *ring[2];    /* shm: [0] parent -> peer, [1] peer -> parent */
    cpu_set_t saved;            /* the affinity to restore when pinned */
    int pinned;
};

static int fail(char *err, size_t errlen, const char *what)
{
    int e = errno;
    snprintf(err, errlen, "%s failed: %s", what, strerror(e));
    errno = e;
    return -1;
}

/* Both ends of transport c->t for messages of n bytes: c->me and *peer.
 * fds[0..1] get the peer's fds (-1 if none). Returns 0, or -1 with err (and
 * nothing left open). */
static int link_make_ends(struct peer_link *c, size_t n, struct end *peer, int fds[2], char *err, size_t errlen)
{
    int down[2] = { -1, -1 }, up[2] = { -1, -1 };    /* parent->peer, peer->parent */
    enum transport t = c->t;
    *peer = (struct end){ .t = t, .rfd = -1, .wfd = -1 };
    fds[0] = fds[1] = -1;
    if (t == TR_PIPE) {
        if (pipe2(down, O_CLOEXEC) < 0 || pipe2(up, O_CLOEXEC) < 0)
            goto fail_fd;
        c->me.wfd = down[1], c->me.rfd = up[0];
        peer->rfd = fds[0] = down[0], peer->wfd = fds[1] = up[1];
    } else if (t == TR_SOCKETPAIR) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, down) < 0)
            goto fail_fd;
        c->me.rfd = c->me.wfd = down[0];
        peer->rfd = peer->wfd = fds[0] = down[1];
    } else {
        for (int i = 0; i < 2; i++)
            if (!(c->ring[i] = shmring_new(n, CHAN_RING_BYTES))) {
                fail(err, errlen, "mmap(MAP_SHARED) of a ring");
                for (int j = 0; j < i; j++)
                    shmring_free(c->ring[j]), c->ring[j] = NULL;
                return -1;
            }
        c->me.out = peer->in = c->ring[0];
        c->me.in = peer->out = c->ring[1];
    }
    return 0;
fail_fd:
    fail(err, errlen, t == TR_PIPE ? "pipe2()" : "socketpair(AF_UNIX)");
    int e = errno;
    for (int i = 0; i < 2; i++) {
        if (down[i] >= 0)
            close(down[i]);
        if (up[i] >= 0)
            close(up[i]);
    }
    errno = e;
    return -1;
}

/* What the peer process runs: fn over its end, with a buffer of n bytes. */
struct peer_start {
    peer_fn fn;
    struct end *end;
    size_t n;
};

static int peer_main(void *arg)
{
    const struct peer_start *ps = arg;
    void *buf = malloc(ps->n < 8 ? 8 : ps->n);
    if (!buf)
        return 1;
    ps->fn(ps->end, buf, ps->n);            /* never returns */
    return 1;
}

/* Reap the peer (already told to stop, or killed when `kill_it` because a
 * measurement failed half-way), release everything. Returns 0 if the peer exited
 * cleanly, -1 otherwise. */
static int link_close(struct peer_link *c, int kill_it, char *err, size_t errlen)
{
    int rc = 0;
    if (c->pid > 0) {
        if (kill_it)
            kill(c->pid, SIGKILL);
        int st;
        while (waitpid(c->pid, &st, 0) < 0) {
            if (errno != EINTR) {
                rc = fail(err, errlen, "waitpid() for the peer");
                break;
            }
        }
        if (rc == 0 && !kill_it && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
            snprintf(err, errlen, "the %s peer failed (status %d)", transport_name(c->t), st);
            errno = EPROTO;
            rc = -1;
        }
    }
    if (c->me.rfd >= 0)
        close(c->me.rfd);
    if (c->me.wfd >= 0 && c->me.wfd != c->me.rfd)
        close(c->me.wfd);
    for (int i = 0; i < 2; i++)
        shmring_free(c->ring[i]);
    if (c->pinned)
        sched_setaffinity(0, sizeof c->saved, &c->saved);
    return rc;
}

/* Start the peer for transport t running fn over messages of n bytes (the
 * peer dies with this process rather than block on a channel for ever:
 * lib/child.h). With pinned, both ends run on CPU 0. Returns 0, or -1 with
 * err and errno, everything released. */
static int link_open(struct peer_link *c, enum transport t, size_t n, int pinned, peer_fn fn,
                     char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->t = t;
    c->me = (struct end){ .t = t, .rfd = -1, .wfd = -1 };
    if (pinned) {
        /* Set before fork so that the peer inherits it: both ends on CPU 0. */
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(0, &one);
        if (sched_getaffinity(0, sizeof c->saved, &c->saved) < 0 ||
            sched_setaffinity(0, sizeof one, &one) < 0)
            return fail(err, errlen, "sched_setaffinity(cpu 0)");
        c->pinned = 1;
    }
    if (t == TR_INPROC)
        return 0;
    struct end peer;
    int fds[2];
    if (link_make_ends(c, n, &peer, fds, err, errlen) < 0) {
        int e = errno;
        link_close(c, 1, NULL, 0);
        errno = e;
        return -1;
    }
    struct peer_start ps = { fn, &peer, n };
    struct child_opts o = { .keep = fds, .nkeep = (unsigned)(fds[0] >= 0) + (unsigned)(fds[1] >= 0) };
    c->pid = child_spawn(&o, peer_main, &ps);
    int e = errno;
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);              /* the peer's ends are the peer's */
    if (c->pid < 0) {
        fail(err, errlen, "fork() of the peer");
        c->pid = 0;
        link_close(c, 1, NULL, 0);
        errno = e;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ inproc */

/* The in-process "peer": a call that copies its argument in and its answer out.
 * Called through a volatile pointer so the compiler cannot inline it away. */
static uint8_t *inproc_mem;

static void inproc_echo(void *msg, size_t n)
{
    memcpy(inproc_mem, msg, n);
    memcpy(msg, inproc_mem, n);
    __asm__ volatile("" ::: "memory");
}

static void inproc_sink(void *msg, size_t n)
{
    memcpy(inproc_mem, msg, n);
    __asm__ volatile("" ::: "memory");
}

static void (*volatile inproc_rt)(void *, size_t) = inproc_echo;
static void (*volatile inproc_ow)(void *, size_t) = inproc_sink;

/* ------------------------------------------------------------------ measuring */

struct op_ctx {
    struct peer_link *c;
    uint8_t *msg;
    size_t bytes;
};

static int op_inproc_rt(struct op_ctx *x) { inproc_rt(x->msg, x->bytes); return 0; }
static int op_inproc_ow(struct op_ctx *x) { inproc_ow(x->msg, x->bytes); return 0; }

static int op_round_trip(struct op_ctx *x)
{
    if (end_send(&x->c->me, x->msg, x->bytes) < 0)
        return -1;
    int rc = end_recv(&x->c->me, x->msg, x->bytes);
    if (rc == 0)
        errno = EPROTO;                     /* the peer hung up mid-run */
    return rc == 1 ? 0 : -1;
}

static int op_send(struct op_ctx *x)
{
    return end_send(&x->c->me, x->msg, x->bytes);
}

/* Run op in doubling batches until min_ns have passed (the clock is read once
 * per batch, not once per op). Returns 0 with the ops done, or -1 with errno. */
static int timed_loop(int (*op)(struct op_ctx *), struct op_ctx *x, uint64_t min_ns,
                      uint64_t *ops, uint64_t *elapsed)
{
    uint64_t t0 = now_ns(), batch = 1;
    *ops = 0;
    do {
        for (uint64_t i = 0; i < batch; i++)
            if (op(x) < 0)
                return -1;
        *ops += batch;
        *elapsed = now_ns() - t0;
        if (*elapsed * 16 < min_ns && batch < (1u << 20))
            batch *= 2;
    } while (*elapsed < min_ns);
    return 0;
}

static int check_bytes(size_t bytes, char *err, size_t errlen)
{
    if (bytes == 0 || bytes > CHAN_MAX_BYTES) {
        snprintf(err, errlen, "message size %zu out of range 1..%u", bytes, CHAN_MAX_BYTES);
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* Everything both measurements share: the message, the channel, inproc's buffer. */
static int measure(int one_way, enum transport t, size_t bytes, int pinned, uint64_t min_ns,
                   struct chan_result *res, char *err, size_t errlen)
{
    if (check_bytes(bytes, err, errlen) < 0)
        return -1;
    uint8_t *msg = malloc(bytes < 8 ? 8 : bytes);
    if (!msg)
        return fail(err, errlen, "malloc of the message");
    memset(msg, 0xa5, bytes);
    struct peer_link c;
    if (link_open(&c, t, bytes, pinned, one_way ? peer_sink : peer_echo, err, errlen) < 0) {
        free(msg);
        return -1;
    }
    struct op_ctx x = { .c = &c, .msg = msg, .bytes = bytes };
    uint64_t ops = 0, elapsed = 0, ack = 0;
    int rc = 0;
    if (t == TR_INPROC) {
        int (*op)(struct op_ctx *) = one_way ? op_inproc_ow : op_inproc_rt;
        if (!(inproc_mem = malloc(bytes))) {
            rc = fail(err, errlen, "malloc of the callee's buffer");
        } else {
            for (int i = 0; i < WARMUP_OPS; i++)
                op(&x);
            timed_loop(op, &x, min_ns, &ops, &elapsed);
        }
        free(inproc_mem);
        inproc_mem = NULL;
    } else if (!one_way) {
        for (int i = 0; i < WARMUP_OPS && rc == 0; i++)
            if (op_round_trip(&x) < 0)
                rc = fail(err, errlen, "warm-up round trip");
        if (rc == 0 && timed_loop(op_round_trip, &x, min_ns, &ops, &elapsed) < 0)
            rc = fail(err, errlen, "round trip");
        if (rc == 0 && end_stop(&c.me) < 0)
            rc = fail(err, errlen, "stopping the peer");
    } else {
        for (int i = 0; i < WARMUP_OPS && rc == 0; i++)
            if (op_send(&x) < 0)
                rc = fail(err, errlen, "warm-up message");
        if (rc == 0 && end_recv(&c.me, &ack, sizeof ack) != 1)
            rc = fail(err, errlen, "waiting for the warm-up acknowledgement");
        uint64_t t0 = now_ns();
        if (rc == 0 && timed_loop(op_send, &x, min_ns, &ops, &elapsed) < 0)
            rc = fail(err, errlen, "sending");
        /* The loop's clock stopped at the last write; the peer's acknowledgement
         * adds the time it took to drain what was still in flight. */
        if (rc == 0 && end_stop(&c.me) < 0)
            rc = fail(err, errlen, "stopping the peer");
        if (rc == 0 && end_recv(&c.me, &ack, sizeof ack) != 1)
            rc = fail(err, errlen, "waiting for the final acknowledgement");
        elapsed = now_ns() - t0;
        if (rc == 0 && ack != ops + WARMUP_OPS) {
            snprintf(err, errlen, "peer received %llu messages, expected %llu",
                     (unsigned long long)ack, (unsigned long long)(ops + WARMUP_OPS));
            errno = EPROTO;
            rc = -1;
        }
    }
    if (link_close(&c, rc < 0, err, errlen) < 0 && rc == 0)
        rc = -1;
    free(msg);
    if (rc == 0) {
        res->ops = ops;
        res->ns_per_op = (double)elapsed / (double)ops;
    }
    return rc;
}

int chan_round_trip(enum transport t, size_t bytes, int pinned, uint64_t min_ns,
                    struct chan_result *res, char *err, size_t errlen)
{
    return measure(0, t, bytes, pinned, min_ns, res, err, errlen);
}

int chan_one_way(enum transport t, size_t bytes, int pinned, uint64_t min_ns,
                 struct chan_result *res, char *err, size_t errlen)
{
    return measure(1, t, bytes, pinned, min_ns, res, err, errlen);
}
