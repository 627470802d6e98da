/* worker.c: the phase-3 worker's event loop (see worker.h).
 *
 * Why a new loop, and not the supervisor's: after fork() the child has a copy
 * of the parent's uv_loop_t, but the kernel objects behind it are SHARED: the
 * epoll fd (an epoll_ctl() here would change what the parent's loop watches),
 * libuv's signal pipe (a signal here would wake the parent's handlers), and the
 * handles in it refer to the parent's sockets. libuv's rule is "a new loop in
 * the child, or uv_loop_fork() before using the parent's"; we want none of the
 * parent's handles, so the child never touches that copy (it is never written,
 * so copy-on-write never even duplicates its pages) and builds this one.
 *
 * The loop multiplexes two channels (data and query). Data frames are applied
 * in slices of at most cfg->slice messages or WORKER_SLICE_NS of work, whichever
 * ends first; between slices the loop polls again, so a GET arriving on the
 * query channel waits for at most one slice (a quarter of a millisecond, whatever
 * --work is), not for every message already queued. A uv_check handle runs after each poll phase: it
 * sends the cumulative ACK (the supervisor's back-pressure credit) and resets
 * the slice; a uv_idle handle keeps the loop spinning while a backlog remains.
 *
 * Checkpoints (--recovery on; the whole design is in recovery.c). The
 * worker keeps a list of the keys it changed since its last checkpoint (a key
 * joins the list the first time it is touched after one: new, or its last_seq
 * is not after the checkpoint's seq). When the supervisor asks (CKPT_REQ on the
 * query channel), at the end of the current slice it sends those keys' rows and
 * a CKPT_END saying how many of its slot's messages they include: everything
 * applied so far, since a slice ends between two messages. A respawned worker
 * starts from its slot's last checkpoint (cfg->restore, inherited through
 * fork) and the supervisor replays what came after it. As a second line of
 * defence, a message whose seq is not after its key's last_seq was applied
 * already and is skipped (and counted: it never happens while the boundary is
 * exact, which is what the tests check).
 *
 * This loop never uses uv_signal_t: the child closed every inherited fd,
 * including the lock pipe libuv's fork handler re-creates for signals. SIGTERM
 * keeps its default action (die) and SIGINT is ignored (see pool.c). */
#include "worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "channel.h"
#include "registry.h"
#include "timing.h"
#include "wire.h"

struct worker_state {
    const struct worker_cfg *cfg;
    uv_loop_t loop;
    uv_idle_t idle;             /* active while applied frames wait in the framer */
    uv_check_t check;           /* after each poll: ack, new slice */
    struct channel *data, *query;
    struct registry *reg;
    struct buf scratch;         /* the json codec decodes payloads here */
    unsigned slice_left;        /* messages still allowed in this loop turn */
    uint64_t slice_t0;          /* when this turn's slice began (ns) */
    uint64_t last_apply_end;    /* when the last message was applied (ns) */
    int backlog;                /* 1: frames left in the data framer */
    int finishing;              /* 1: pill seen, report queued; exit when flushed */
    int exit_code;
    uint64_t msgs, bytes, last_seq, acked;   /* msgs: applied by this incarnation */
    uint64_t decode_ns, apply_ns, queries;
    /* Checkpoints: keys changed since the last one (registry pointers are stable). */
    struct keystate **dirty;
    size_t ndirty, capdirty;
    int ckpt_wanted;            /* a CKPT_REQ arrived: checkpoint at the end of this slice */
    int ckpt_valid;             /* ckpt_seq holds the seq of the last message in the last checkpoint */
    uint64_t ckpt_seq;
    uint64_t checkpoints, dups;
    uint64_t sink;              /* --work results land here so the work is not optimised away */
};

static void worker_stop(struct worker_state *w, int code)
{
    if (w->exit_code == WORKER_EXIT_OK)
        w->exit_code = code;
    if (w->data) {
        channel_close(w->data);
        w->data = NULL;
    }
    if (w->query) {
        channel_close(w->query);
        w->query = NULL;
    }
    uv_idle_stop(&w->idle);
    uv_close((uv_handle_t *)&w->idle, NULL);
    uv_check_stop(&w->check);
    uv_close((uv_handle_t *)&w->check, NULL);
}

static void worker_ack(struct worker_state *w)
{
    if (!w->data || w->finishing || w->acked == w->msgs)
        return;
    struct wire_ack a = {
        .msgs = w->msgs, .bytes = w->bytes, .last_seq = w->last_seq,
        .keys = registry_count(w->reg),
    };
    if (wire_put(w->data, WIRE_ACK, &a, sizeof a) < 0 || channel_flush(w->data) < 0)
        return;                 /* a dead channel ends the worker through on_dead */
    w->acked = w->msgs;
}

/* The keys changed since the last checkpoint, then CKPT_END with the boundary.
 * Called between slices only, so `applied` counts whole messages. */
static void worker_checkpoint(struct worker_state *w)
{
    if (!w->ckpt_wanted || !w->data || w->finishing)
        return;
    w->ckpt_wanted = 0;
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < w->ndirty;) {
        size_t n = w->ndirty - i < WIRE_CKPT_ROWS_MAX ? w->ndirty - i : WIRE_CKPT_ROWS_MAX;
        uint8_t *p = channel_put_begin(w->data, WIRE_CKPT_ROWS, n * sizeof(struct keystate));
        if (!p) {
            worker_stop(w, WORKER_EXIT_NOMEM);
            return;
        }
        for (size_t k = 0; k < n; k++)
            memcpy(p + k * sizeof(struct keystate), w->dirty[i + k], sizeof(struct keystate));
        i += n;
    }
    struct wire_ckpt c = {
        .applied = w->cfg->base + w->msgs, .last_seq = w->last_seq, .rows = w->ndirty,
        .build_ns = now_ns() - t0,
    };
    if (wire_put(w->data, WIRE_CKPT_END, &c, sizeof c) < 0) {
        worker_stop(w, WORKER_EXIT_NOMEM);
        return;
    }
    channel_flush(w->data);        /* a dead channel ends the worker through on_dead */
    w->ndirty = 0;
    w->ckpt_valid = c.applied > 0;
    w->ckpt_seq = c.last_seq;
    w->checkpoints++;
}

/* Put ks on the changed-keys list if this is its first change since the last
 * checkpoint (called before the message is applied). */
static int worker_mark_dirty(struct worker_state *w, struct keystate *ks)
{
    if (ks->messages > 0 && !(w->ckpt_valid && ks->last_seq <= w->ckpt_seq))
        return 0;               /* changed since the checkpoint: listed already */
    if (w->ndirty == w->capdirty) {
        size_t cap = w->capdirty ? 2 * w->capdirty : 256;
        struct keystate **d = realloc(w->dirty, cap * sizeof *d);
        if (!d)
            return -1;
        w->dirty = d;
        w->capdirty = cap;
    }
    w->dirty[w->ndirty++] = ks;
    return 0;
}

/* The end of a slice: ack (credit), then a checkpoint if one was asked for. */
static void worker_slice_end(struct worker_state *w)
{
    worker_ack(w);
    worker_checkpoint(w);
}

static int send_row(struct keystate *ks, void *arg)
{
    return wire_put(arg, WIRE_ROW, ks, sizeof *ks);
}

/* The pill: everything before it on the channel has been applied. Send the
 * last ack, the report and (if asked) every key's state, then leave once the
 * kernel has taken all of it. */
static void worker_finish(struct worker_state *w, const struct wire_pill *pill)
{
    worker_ack(w);
    w->finishing = 1;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    struct wire_report r = {
        .msgs = w->msgs, .keys = registry_count(w->reg), .cpu_ns = cpu_ns(),
        .decode_ns = w->decode_ns, .read_io = w->data->io, .reads = w->data->reads,
        .apply_ns = w->apply_ns, .maxrss_kib = (uint64_t)ru.ru_maxrss, .queries = w->queries,
        .checkpoints = w->checkpoints, .dups = w->dups,
    };
    int rc = wire_put(w->data, WIRE_REPORT, &r, sizeof r);
    if (rc == 0 && pill->want_rows)
        rc = registry_each(w->reg, send_row, w->data);
    if (rc == 0)
        rc = wire_put(w->data, WIRE_END, NULL, 0);
    if (rc != 0) {
        worker_stop(w, WORKER_EXIT_NOMEM);
        return;
    }
    channel_pause(w->data, 1);
    channel_flush(w->data);        /* the check handle exits once nothing is pending */
}

static int apply_msg(struct worker_state *w, const uint8_t *body, size_t len)
{
    struct msg m;
    char why[128];
    uint64_t t0 = now_ns();
    int rc = codec_decode(w->cfg->codec, body + 1, len - 1, &m, &w->scratch, why, sizeof why);
    uint64_t t1 = now_ns();
    w->decode_ns += t1 - t0;
    if (rc < 0) {
        fprintf(stderr, "phase3: worker %u: bad message frame: %s\n", w->cfg->slot, why);
        worker_stop(w, WORKER_EXIT_PROTOCOL);
        return -1;
    }
    struct keystate *ks = registry_get(w->reg, m.key, m.key_len);
    if (!ks || (w->cfg->checkpoints && worker_mark_dirty(w, ks) < 0)) {
        worker_stop(w, WORKER_EXIT_NOMEM);
        return -1;
    }
    if (ks->messages > 0 && m.seq <= ks->last_seq) {
        w->dups++;              /* already in the state this worker restored: never twice */
    } else {
        if (w->cfg->work && m.op == OP_DATA)
            w->sink ^= work_burn(w->cfg->work, m.seq);
        fsm_apply_msg(ks, &m);  /* records ks->last_seq, the per-key guard above */
    }
    w->last_apply_end = now_ns();
    w->apply_ns += w->last_apply_end - t1;
    w->msgs++;
    w->bytes += FRAME_HDR + len;
    w->last_seq = m.seq;
    return 0;
}

static void on_idle(uv_idle_t *h);

static int on_data_frame(struct channel *c, const uint8_t *body, size_t len, void *data)
{
    (void)c;
    struct worker_state *w = data;
    if (len == 0)
        goto bad;
    switch (body[0]) {
    case WIRE_MSG:
        if (apply_msg(w, body, len) < 0)
            return -1;
        if (w->slice_left > 0)
            w->slice_left--;
        if (w->slice_left == 0 || w->last_apply_end - w->slice_t0 >= WORKER_SLICE_NS) {
            /* This turn's slice is used up: leave the rest in the framer and
             * let the loop poll (queries!) before the next slice. */
            w->backlog = 1;
            uv_idle_start(&w->idle, on_idle);
            return -1;
        }
        return 0;
    case WIRE_PILL: {
        struct wire_pill p;
        if (wire_get_fixed(body, len, &p, sizeof p) < 0)
            goto bad;
        worker_finish(w, &p);
        return -1;
    }
    default:
        goto bad;
    }
bad:
    fprintf(stderr, "phase3: worker %u: bad frame on the data channel\n", w->cfg->slot);
    worker_stop(w, WORKER_EXIT_PROTOCOL);
    return -1;
}

static int on_query_frame(struct channel *c, const uint8_t *body, size_t len, void *data)
{
    struct worker_state *w = data;
    if (len >= 1 && body[0] == WIRE_GET) {
        struct wire_get g;
        if (wire_get_fixed(body, len, &g, sizeof g) < 0)
            goto bad;
        g.key[KEY_MAX] = '\0';
        struct wire_answer a = { .id = g.id };
        struct keystate *ks = registry_find(w->reg, g.key, strlen(g.key));
        if (ks) {
            a.found = 1;
            a.ks = *ks;
        }
        w->queries++;
        if (wire_put(c, WIRE_ANSWER, &a, sizeof a) == 0)
            channel_flush(c);
        return 0;
    }
    if (len == 1 && body[0] == WIRE_CKPT_REQ && w->cfg->checkpoints) {
        w->ckpt_wanted = 1;     /* sent by on_check/on_idle once this slice is over */
        return 0;
    }
    if (len == 1 + sizeof(uint64_t) && body[0] == WIRE_PING) {
        if (wire_put(c, WIRE_PONG, body + 1, sizeof(uint64_t)) == 0)
            channel_flush(c);
        return 0;
    }
bad:
    fprintf(stderr, "phase3: worker %u: bad frame on the query channel\n", w->cfg->slot);
    worker_stop(w, WORKER_EXIT_PROTOCOL);
    return -1;
}

/* Either channel gone: the supervisor closed it or died. Nobody is left to
 * report to, so the worker just ends (its PDEATHSIG would end it anyway). */
static void on_dead(struct channel *c, int err, void *data)
{
    (void)c;
    struct worker_state *w = data;
    if (err < 0 && err != -ECONNRESET && err != -EPIPE)
        fprintf(stderr, "phase3: worker %u: channel error: %s\n", w->cfg->slot, strerror(-err));
    worker_stop(w, err == -EMSGSIZE || err == -ENOMEM ? WORKER_EXIT_PROTOCOL : WORKER_EXIT_OK);
}

static void on_idle(uv_idle_t *h)
{
    struct worker_state *w = h->data;
    w->slice_left = w->cfg->slice;
    w->slice_t0 = now_ns();
    w->backlog = 0;
    if (!w->data)
        return;
    if (channel_drain(w->data) != 1)
        uv_idle_stop(h);        /* the backlog is gone (or the channel is) */
    worker_slice_end(w);
}

static void on_check(uv_check_t *h)
{
    struct worker_state *w = h->data;
    if (w->finishing) {
        if (w->data && channel_pending(w->data) == 0)
            worker_stop(w, WORKER_EXIT_OK);
        return;
    }
    worker_slice_end(w);
    w->slice_left = w->cfg->slice;
    w->slice_t0 = now_ns();
}

/* A respawn: copy the checkpoint's rows (the child's inherited copy of the
 * supervisor's record) into this worker's own registry. */
static int restore_row(struct keystate *ks, void *arg)
{
    return registry_put(arg, ks);
}

int worker_run(const struct worker_cfg *cfg, int data_fd, int query_fd)
{
    struct worker_state w = { .cfg = cfg, .slice_left = cfg->slice, .slice_t0 = now_ns(), .last_seq = UINT64_MAX };
    w.scratch = (struct buf)BUF_INIT;
    w.reg = registry_new();
    if (!w.reg || uv_loop_init(&w.loop) < 0)
        return WORKER_EXIT_NOMEM;
    if (cfg->restore && registry_each(cfg->restore, restore_row, w.reg) != 0)
        return WORKER_EXIT_NOMEM;
    if (cfg->base > 0) {
        w.last_seq = cfg->base_seq;
        w.ckpt_valid = 1;       /* every restored key is clean until touched */
        w.ckpt_seq = cfg->base_seq;
    }
    uv_idle_init(&w.loop, &w.idle);
    uv_check_init(&w.loop, &w.check);
    w.idle.data = w.check.data = &w;
    w.data = channel_open(&w.loop, data_fd, on_data_frame, on_dead, &w);
    w.query = channel_open(&w.loop, query_fd, on_query_frame, on_dead, &w);
    if (!w.data || !w.query) {
        fprintf(stderr, "phase3: worker %u: cannot watch its channels: %s\n", cfg->slot,
                strerror(errno));
        return WORKER_EXIT_NOMEM;
    }
    uv_check_start(&w.check, on_check);
    uv_idle_stop(&w.idle);
    uv_run(&w.loop, UV_RUN_DEFAULT);
    uv_loop_close(&w.loop);
    registry_free(w.reg);
    buf_free(&w.scratch);
    free(w.dirty);
    return w.exit_code;
}
