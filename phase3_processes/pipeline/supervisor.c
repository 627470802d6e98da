/* supervisor.c: phase 3's main process (see supervisor.h).
 *
 * Startup order, and why:
 *   1. the command line is checked and the input opened (main): a bad flag or a
 *      missing file fails before any process exists;
 *   2. routers, the uv loop, SIGPIPE ignored, watchers for SIGCHLD, SIGINT and
 *      SIGTERM: watching SIGCHLD before the first fork() means no death is missed;
 *   3. fork the workers (pool.c), one per slot, each with its two socketpairs;
 *   4. the control socket: last, so that every query has a worker to ask and no
 *      worker inherits the listening socket;
 *   5. start the input pump and the housekeeping timer, run the loop.
 *
 * The loop's jobs: the pump (uv_idle: read up to --pump-batch messages, route,
 * encode into the destination's channel buffer, one write() per worker; it
 * stalls while the destination has --queue-depth messages or SUP_QUEUE_BYTES
 * not yet acked, so memory stays flat); the channels (acks, checkpoints,
 * reports, answers: lifecycle.c); SIGCHLD (reap our own workers by pid,
 * account, respawn into the same slot: lifecycle.c); the control socket
 * (control.c); the tick (query timeouts, pings, hung workers and the drain's
 * deadline: watchdog.c); the checkpoint timer.
 *
 * Shutdown (end of input, SHUTDOWN, SIGINT or SIGTERM): stop reading input ->
 * queue the poison pill behind each worker's last message (the channel is
 * FIFO, so that is the drain) -> each worker applies what it has, sends its
 * report and rows and exits -> reap. A worker the watchdog kills meanwhile is
 * a death like any other (recovered with --recovery on); a second SIGINT or
 * SIGTERM kills every worker at once. The loop ends when every slot is reaped.
 *
 * Zero-loss recovery (--recovery on, the default): a worker may be SIGKILLed at
 * any moment and every message is still applied exactly once; the design
 * (checkpoint, replay log, respawn, why exactly once) is at the top of
 * recovery.c, the slot's side in lifecycle.c, the worker's in worker.c.
 *
 * The input never blocks the loop. --input (a file, or "-": a pipe whose
 * writer may be slow) is read by a thread of its own (lib/inbox.h) that
 * parses lines into batches; the pump takes messages from them and, when
 * none is there, stops until the thread wakes the loop: a control query never
 * waits for the writer's next line. The built-in source cannot wait for
 * anyone, and is pulled on the loop thread directly (see on_pump for why). */
#include "supervisor.h"
#include "sup_state.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "counts.h"
#include "ctl.h"
#include "durable.h"
#include "gather.h"
#include "inbox.h"
#include "lifecycle.h"
#include "query.h"
#include "recovery.h"
#include "stream.h"
#include "timing.h"
#include "watchdog.h"
#include "wire.h"

static void on_pump(uv_idle_t *h);

/* ------------------------------------------------------------- back-pressure */

static int slot_can_accept(const struct sup *s, const struct worker_slot *sl)
{
    return sl->state == SLOT_RUNNING && sl->data && !sl->data->dead
        && sl->inc_msgs - sl->ack.msgs < s->o->depth
        && sl->inc_bytes - sl->ack.bytes < s->o->depth_bytes
        && lifecycle_replay_room(s, sl);
}

static void stall_begin(struct sup *s, const struct msg *m, unsigned w)
{
    /* Keep the message (its payload is borrowed from the stream until the next
     * read) and stop pulling input until worker w has room. */
    s->held_msg = *m;
    buf_reset(&s->held_payload);
    if (m->payload_len && buf_append(&s->held_payload, m->payload, m->payload_len) < 0) {
        sup_fail(s, "out of memory holding a message");
        return;
    }
    s->held_msg.payload = s->held_payload.data;
    s->held = 1;
    s->held_slot = w;
    s->stalls++;
    s->stalled = 1;
    s->stall_t0 = now_ns();
    uv_idle_stop(&s->pump);
}

/* lifecycle.c's on_room hook: sl may take messages again. */
static void sup_stall_check(struct sup *s, const struct worker_slot *sl)
{
    if (s->stalled && s->held_slot == sl->id && s->phase == SUP_RUN && slot_can_accept(s, sl)) {
        s->stalled = 0;
        s->stall_ns += now_ns() - s->stall_t0;
        uv_idle_start(&s->pump, on_pump);
    }
}

/* ---------------------------------------------------------------- the pump */

static int route_msg(struct sup *s, struct worker_slot *sl, const struct msg *m)
{
    struct buf *out = channel_outbuf(sl->data);
    size_t start = out->len;
    uint64_t t0 = now_ns();
    long n = wire_put_msg(sl->data, s->o->codec, m);
    uint64_t t1 = now_ns();
    s->encode_ns += t1 - t0;
    if (n < 0)
        return -1;
    if (s->o->recovery) {
        /* The price of recovery on the hot path: one more copy of the frame. */
        if (recovery_log(&sl->rec, out->data + start, (size_t)n) < 0)
            return -1;
        s->log_ns += now_ns() - t1;
        s->log_bytes += (uint64_t)n;
        if (sl->rec.log_n >= s->o->ckpt_every || recovery_log_bytes(&sl->rec) >= s->o->replay_max_bytes / 2)
            lifecycle_ckpt_ask(s, sl);
    }
    sl->inc_msgs++;
    sl->inc_bytes += (uint64_t)n;
    sl->routed++;
    s->routed++;
    return 0;
}

static void flush_all(struct sup *s)
{
    for (unsigned i = 0; i < s->o->workers; i++) {
        struct worker_slot *sl = &s->slots[i];
        if (sl->data && !sl->data->dead && channel_pending(sl->data) > 0)
            channel_flush(sl->data);
    }
}

/* One loop turn's worth of input. --input comes from the reader thread's
 * batches (inbox_next never waits; when it has nothing the pump sleeps until
 * on_input_ready). The built-in source is pulled right here: it only computes,
 * never waits for anyone, and handing it through the thread bought nothing
 * (500 000 messages, 2 workers, 15 runs on the 2-core VM: median 292 ms via
 * the thread vs 298 ms in the loop, within the noise) while costing a copy of
 * every message and about 35 ms more system time (futex and async wake-ups). */
static void on_pump(uv_idle_t *h)
{
    struct sup *s = h->data;
    for (unsigned i = 0; i < s->o->pump_batch && s->phase == SUP_RUN && !s->failed; i++) {
        struct msg m;
        unsigned w;
        if (s->held) {
            m = s->held_msg;
            w = s->held_slot;
        } else {
            int rc = s->inbox ? (int)inbox_next(s->inbox, &m) : stream_next(s->in, &m);
            if (rc == INBOX_WAIT && s->inbox) {
                /* Nothing read yet: sleep until the reader thread has some. */
                s->input_wait = 1;
                uv_idle_stop(&s->pump);
                break;
            }
            if (rc == 0 || rc == INBOX_END) {
                sup_stop(s, "end of input");
                break;
            }
            if (rc < 0) {
                sup_fail(s, "read error on %s: %s", stream_name(s->in), strerror(errno));
                sup_stop(s, "read error");
                break;
            }
            /* Once per message: the map and roundrobin policies remember. */
            w = route_pick(s->router, m.key, m.key_len);
        }
        struct worker_slot *sl = &s->slots[w];
        if (!slot_can_accept(s, sl)) {
            if (!lifecycle_replay_room(s, sl)) {
                /* The replay log is full: wait (never drop) for a checkpoint to empty it. */
                lifecycle_ckpt_ask(s, sl);
                if (!s->held)
                    s->replay_stalls++;
            }
            if (!s->held) {
                stall_begin(s, &m, w);
            } else {            /* still full (or still restarting): the same stall goes on */
                s->stalled = 1;
                s->stall_t0 = now_ns();
                uv_idle_stop(&s->pump);
            }
            break;
        }
        s->held = 0;
        if (route_msg(s, sl, &m) < 0) {
            sup_fail(s, "cannot encode message %" PRIu64 " for worker %u: %s", m.seq, w, strerror(errno));
            sup_stop(s, "encode error");
            break;
        }
    }
    flush_all(s);
}

/* The reader thread has messages (or the end) for a pump that was waiting. */
static void on_input_ready(struct inbox *ib, void *data)
{
    (void)ib;
    struct sup *s = data;
    if (s->input_wait && s->phase == SUP_RUN && !s->stalled) {
        s->input_wait = 0;
        uv_idle_start(&s->pump, on_pump);
    }
}

static void sup_finish(struct sup *s);

/* Draining and nobody alive: finish (close the loop's handles). */
static void sup_check_done(struct sup *s)
{
    if (s->phase == SUP_DRAIN && sup_alive(s) == 0)
        sup_finish(s);
}

void sup_stop(struct sup *s, const char *reason)
{
    if (s->phase != SUP_RUN)
        return;
    s->phase = SUP_DRAIN;
    s->stop_reason = reason;
    uv_idle_stop(&s->pump);
    if (s->held) {
        /* Read but not sent: send it past the credit limit if its worker is
         * there, since the pill follows anyway. */
        struct worker_slot *sl = &s->slots[s->held_slot];
        if (s->stalled)
            s->stall_ns += now_ns() - s->stall_t0;
        s->stalled = 0;
        if (sl->data && !sl->data->dead && sl->state == SLOT_RUNNING)
            route_msg(s, sl, &s->held_msg);
        else
            s->lost_unsent++;
        s->held = 0;
    }
    struct wire_pill pill = { .want_rows = 1 };
    for (unsigned i = 0; i < s->o->workers; i++) {
        struct worker_slot *sl = &s->slots[i];
        if (sl->state != SLOT_RUNNING || !sl->data || sl->data->dead)
            continue;
        if (wire_put(sl->data, WIRE_PILL, &pill, sizeof pill) == 0)
            sl->state = SLOT_DRAINING;
        channel_flush(sl->data);
    }
    s->last_progress = now_ns();
    sup_check_done(s);
}

static void close_cb_none(uv_handle_t *h)
{
    (void)h;
}

static void sup_finish(struct sup *s)
{
    if (s->phase == SUP_DONE)
        return;
    s->phase = SUP_DONE;
    s->t_end = now_ns();
    querytab_fail_all(s->qt, "ERR shutting down", s->t_end);
    if (s->ctl) {
        s->queries = ctlsrv_queries(s->ctl);
        ctlsrv_close(s->ctl);   /* removes the socket file now */
        s->ctl = NULL;
    }
    if (s->inbox) {
        s->taken = inbox_taken(s->inbox);
        inbox_close(s->inbox);  /* joins the reader thread; the stream is ours again */
        s->inbox = NULL;
    }
    uv_close((uv_handle_t *)&s->pump, close_cb_none);
    uv_close((uv_handle_t *)&s->tick, close_cb_none);
    uv_close((uv_handle_t *)&s->ckpt_timer, close_cb_none);
    uv_close((uv_handle_t *)&s->snap_timer, close_cb_none);
    uv_close((uv_handle_t *)&s->sigchld, close_cb_none);
    uv_close((uv_handle_t *)&s->sigint, close_cb_none);
    uv_close((uv_handle_t *)&s->sigterm, close_cb_none);
}

static void on_signal(uv_signal_t *h, int sig)
{
    struct sup *s = h->data;
    if (sig == SIGCHLD) {
        lifecycle_reap(s);
        if (s->stop_want)
            sup_stop(s, s->stop_want);
        sup_check_done(s);
        return;
    }
    if (s->phase == SUP_RUN) {
        sup_stop(s, sig == SIGINT ? "SIGINT" : "SIGTERM");
        return;
    }
    if (!s->killed) {
        fprintf(stderr, "phase3: second %s while draining: killing %u workers\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM", pool_signal(s->slots, s->o->workers, SIGKILL));
        s->killed = 1;
    }
}

static void on_tick(uv_timer_t *h)
{
    struct sup *s = h->data;
    uint64_t now = now_ns();
    querytab_expire(s->qt, now);
    if (s->phase == SUP_RUN) {
        /* The round trip of an empty frame on the query channel: the pure cost
         * of crossing to a worker's loop and back, without any queueing. */
        for (unsigned i = 0; i < s->o->workers; i++) {
            struct worker_slot *sl = &s->slots[i];
            if (sl->query && !sl->query->dead && sl->state == SLOT_RUNNING) {
                uint64_t t = now_ns();
                if (wire_put(sl->query, WIRE_PING, &t, sizeof t) == 0)
                    channel_flush(sl->query);
            }
        }
    }
    watchdog_tick(s, now);
}

/* ---------------------------------------------------------------- setup, run */

static int sup_init(struct sup *s, const struct sup_opts *o, struct stream *in)
{
    s->o = o;
    s->on_room = sup_stall_check;
    s->in = in;
    s->held_payload = (struct buf)BUF_INIT;
    hist_init(&s->ping);
    hist_init(&s->ckpt_build);
    hist_init(&s->ckpt_commit);
    hist_init(&s->recover);
    hist_init(&s->snap_ns);
    s->snap_buf = (struct buf)BUF_INIT;
    s->wcfg = (struct worker_cfg){ .codec = o->codec, .work = o->cli->work, .slice = WORKER_SLICE,
                                   .checkpoints = o->recovery };
    if (!(s->router = router_new(o->route, o->workers))) {
        snprintf(s->why, sizeof s->why, "cannot make the %s router: %s", route_name(o->route), strerror(errno));
        return -1;
    }
    if (o->route_map && router_load_map(s->router, o->route_map, s->why, sizeof s->why) < 0)
        return -1;
    s->slots = calloc(o->workers, sizeof *s->slots);
    s->qt = querytab_new(o->recovery);
    s->gather = gather_new();
    if (!s->slots || !s->qt || !s->gather) {
        snprintf(s->why, sizeof s->why, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < o->workers; i++)
        if (recovery_init(&s->slots[i].rec) < 0) {
            snprintf(s->why, sizeof s->why, "out of memory");
            return -1;
        }
    int rc = uv_loop_init(&s->loop);
    if (rc < 0) {
        snprintf(s->why, sizeof s->why, "uv_loop_init() failed: %s", uv_strerror(rc));
        return -1;
    }
    s->loop_ok = 1;
    /* A write to a worker that just died must be an EPIPE we can count, not a
     * signal that kills the supervisor. */
    signal(SIGPIPE, SIG_IGN);
    uv_signal_t *sigs[] = { &s->sigchld, &s->sigint, &s->sigterm };
    int signums[] = { SIGCHLD, SIGINT, SIGTERM };
    for (int i = 0; i < 3; i++) {
        uv_signal_init(&s->loop, sigs[i]);
        sigs[i]->data = s;
        uv_signal_start(sigs[i], on_signal, signums[i]);
    }
    uv_idle_init(&s->loop, &s->pump);
    uv_timer_init(&s->loop, &s->tick);
    uv_timer_init(&s->loop, &s->ckpt_timer);
    uv_timer_init(&s->loop, &s->snap_timer);
    s->pump.data = s->tick.data = s->ckpt_timer.data = s->snap_timer.data = s;
    if (durable_start(s) < 0)   /* --resume: the slots start from the snapshot */
        return -1;

    uint64_t t0 = now_ns();
    for (unsigned i = 0; i < o->workers; i++) {
        struct worker_slot *sl = &s->slots[i];
        sl->id = i;
        sl->owner = s;
        if (lifecycle_spawn(s, sl) < 0)
            return -1;
    }
    s->t_spawn_ns = now_ns() - t0;

    if (o->cli->control) {
        unsigned flags = o->cli->control_private ? CTLSRV_PRIVATE : 0;
        s->ctl = ctlsrv_start(&s->loop, o->cli->control, flags, o->on_cmd, s, s->why, sizeof s->why);
        if (!s->ctl)
            return -1;
    }
    return 0;
}

struct sup *sup_new(const struct sup_opts *o, struct stream *in)
{
    struct sup *s = calloc(1, sizeof *s);
    if (!s) {
        stream_close(in);
        return NULL;
    }
    if (sup_init(s, o, in) < 0)
        s->failed = 1;
    return s;
}

int sup_run(struct sup *s)
{
    if (s->o->cli->stream.input && !(s->inbox = inbox_start(&s->loop, s->in, on_input_ready, s))) {
        sup_fail(s, "cannot start the input reader thread: %s", strerror(errno));
        return -1;
    }
    s->t_start = now_ns();
    s->last_progress = s->t_start;
    uv_idle_start(&s->pump, on_pump);
    uv_timer_start(&s->tick, on_tick, SUP_TICK_MS, SUP_TICK_MS);
    if (s->o->recovery) {
        /* A quarter period: a checkpoint is asked for between 1 and 1.25 times
         * --checkpoint-ms after the previous one. */
        uint64_t period = s->o->ckpt_ms >= 4 ? s->o->ckpt_ms / 4 : 1;
        uv_timer_start(&s->ckpt_timer, lifecycle_ckpt_timer, period, period);
    }
    if (s->o->state_dir)
        uv_timer_start(&s->snap_timer, durable_timer, s->o->snapshot_ms, s->o->snapshot_ms);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    /* Every slot was reaped in the loop. Only our own workers are waited for,
     * by pid: a child we did not fork (a shell's process substitution, say)
     * is not ours to wait for, and waiting for it could take for ever. */
    if (pool_signal(s->slots, s->o->workers, SIGKILL) > 0)
        pool_wait_all(s->slots, s->o->workers);
    s->cpu_ns = cpu_ns();
    if (gather_finish(s->gather, &s->keys, &s->split) < 0)
        sup_fail(s, "out of memory sorting the final state");
    return s->failed ? -1 : 0;
}

static void walk_close(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, close_cb_none);
}

void sup_free(struct sup *s)
{
    if (!s)
        return;
    /* After a failed sup_init some workers may exist: no child outlives us. */
    if (s->slots && pool_signal(s->slots, s->o->workers, SIGKILL) > 0)
        pool_wait_all(s->slots, s->o->workers);
    for (unsigned i = 0; s->slots && i < s->o->workers; i++) {
        if (s->slots[i].data)
            channel_close(s->slots[i].data);
        if (s->slots[i].query)
            channel_close(s->slots[i].query);
        s->slots[i].data = s->slots[i].query = NULL;
        recovery_free(&s->slots[i].rec);
    }
    if (s->inbox) {
        s->taken = inbox_taken(s->inbox);
        inbox_close(s->inbox);
        s->inbox = NULL;
    }
    if (s->loop_ok) {
        uv_walk(&s->loop, walk_close, NULL);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        uv_loop_close(&s->loop);
    }
    stream_close(s->in);
    router_free(s->router);
    querytab_free(s->qt);
    gather_free(s->gather);
    buf_free(&s->held_payload);
    buf_free(&s->snap_buf);
    free(s->slots);
    free(s);
}
