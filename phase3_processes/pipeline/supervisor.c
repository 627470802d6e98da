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
 * The loop's jobs:
 *   pump (uv_idle)  read up to --pump-batch messages, route, encode into the
 *                   destination's channel buffer, then one write() per worker:
 *                   a batch of frames per system call. It stops (a "stall") when
 *                   the destination has --queue-depth messages or SUP_QUEUE_BYTES
 *                   bytes not yet acknowledged: memory stays flat however fast
 *                   the input is, and restarts when that worker's ack arrives;
 *   channels        acks (credit), checkpoints, final reports, query answers,
 *                   pongs (lifecycle.c);
 *   SIGCHLD         reap with waitpid(WNOHANG) until 0, account the death,
 *                   respawn into the same slot (the key mapping is per slot)
 *                   from its checkpoint, replay (lifecycle.c);
 *   control socket  GET goes to the owning worker with a correlation id and is
 *                   answered when the reply comes, STATS from our counters,
 *                   SHUTDOWN starts the drain;
 *   tick (timer)    query timeouts, pings, the drain deadline;
 *   ckpt timer      --checkpoint-ms: ask quiet workers for a checkpoint.
 *
 * Shutdown sequence (end of input, SHUTDOWN, SIGINT or SIGTERM):
 *   stop reading input -> queue the poison pill behind each worker's last message
 *   (the channel is FIFO, so that is the drain) -> each worker applies what it has,
 *   sends its report and registry and exits -> reap. If no worker makes progress
 *   for --grace-ms: SIGTERM, then SIGKILL a second later; a second SIGINT or
 *   SIGTERM kills at once. The loop ends when every slot is reaped, and
 *   sup_run() checks with a blocking waitpid() that ECHILD says so.
 *
 * Zero-loss recovery (--recovery on, the default): a worker may be SIGKILLed at
 * any moment and every message is still applied exactly once. Three pieces:
 *   checkpoint   every --checkpoint-every messages routed to a slot, or every
 *                --checkpoint-ms, or when its replay log fills, the supervisor
 *                asks the worker (CKPT_REQ, on the query channel so it does not
 *                queue behind data). At the end of its current slice the worker
 *                sends the rows of the keys it changed since its last checkpoint
 *                and CKPT_END{applied = A}: "these rows are my keys after exactly
 *                A messages of this slot". The supervisor stages the rows and
 *                folds them into the slot's checkpoint only when CKPT_END
 *                arrives (recovery.c), so a worker killed halfway through
 *                sending leaves the previous checkpoint in force.
 *   replay log   every frame routed to a slot is also copied, as is, into the
 *                slot's log; a committed checkpoint drops the log's first
 *                A - A_previous frames.
 *   respawn      a worker that dies is reaped, whatever it sent before dying is
 *                read (a CKPT_END among it still commits), the staged rows are
 *                dropped, and a new worker is forked into the same slot. Being
 *                a fork of the supervisor it inherits the checkpoint in its copy
 *                of memory and copies the rows into its registry; then the whole
 *                log is written to it, before any new message. Also while
 *                draining: the pill follows the replay.
 * Why exactly once. Invariant: checkpoint messages + log frames = messages
 * routed to the slot, in order (A is counted in whole messages, the worker
 * checkpoints only between two messages, and the channel is FIFO). The new
 * worker starts from the state after messages 0..A-1 and is sent A.. in order,
 * so each message takes effect once: messages the dead worker had applied after
 * its checkpoint are rolled back with it and applied again, never added twice.
 * A second guard in the worker: a message whose seq is not after its key's
 * last_seq was already applied and is skipped (counted as dups; 0 when the
 * boundary is exact, which the tests check).
 * Memory stays bounded: a log holds at most --replay-max messages and about
 * --replay-max-bytes bytes; a full log stops the pump exactly like the credit
 * window (back-pressure: input waits, nothing is dropped) and asks for a
 * checkpoint, which empties the log of everything the worker has applied. The
 * checkpoint itself is one row per key the slot ever saw. The price, reported
 * in the summary: one extra copy of every frame, and the checkpoints' bytes
 * and time. --recovery off keeps the old lesson: a death loses the worker's
 * state and what was in flight, and the summary counts it.
 *
 * The input never blocks the loop. --input (a file, or "-": a pipe whose
 * writer may be slow) is read by a thread of its own (lib/inbox.h) that
 * parses lines into batches; the pump takes messages from them and, when
 * none is there, stops until the thread wakes the loop: a control query never
 * waits for the writer's next line. The built-in source cannot wait for
 * anyone, and is pulled on the loop thread directly (see on_pump for why). */
#include "supervisor.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"
#include "control.h"
#include "ctl.h"
#include "gather.h"
#include "inbox.h"
#include "lifecycle.h"
#include "query.h"
#include "recovery.h"
#include "stream.h"
#include "timing.h"
#include "wire.h"

static void on_pump(uv_idle_t *h);

void sup_fail(struct sup *s, const char *fmt, ...)
{
    if (s->failed)
        return;
    s->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
}

uint64_t sup_processed(const struct sup *s)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < s->o->workers; i++)
        n += s->slots[i].done;
    return n;
}

uint64_t sup_lost(const struct sup *s)
{
    uint64_t n = s->lost_unsent;
    for (unsigned i = 0; i < s->o->workers; i++)
        n += s->slots[i].lost_inflight + s->slots[i].lost_applied;
    return n;
}

uint64_t sup_messages_in(const struct sup *s)
{
    /* Not stream_delivered with an inbox: the thread may have read ahead. */
    if (s->inbox)
        return inbox_taken(s->inbox);
    return s->o->cli->stream.input ? s->taken : stream_delivered(s->in);
}

uint64_t sup_rejected(const struct sup *s)
{
    return s->inbox ? inbox_rejected(s->inbox) : stream_rejected(s->in);   /* safe once it is closed */
}

unsigned sup_alive(const struct sup *s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->o->workers; i++)
        n += s->slots[i].pid > 0;
    return n;
}

/* ------------------------------------------------------------- back-pressure */

/* Room in the slot's replay log (always, with --recovery off). */
int sup_replay_room(const struct sup *s, const struct slot *sl)
{
    return !s->o->recovery
        || (sl->rec.log_n < s->o->replay_max && recovery_log_bytes(&sl->rec) < s->o->replay_max_bytes);
}

static int slot_can_accept(const struct sup *s, const struct slot *sl)
{
    return sl->state == SLOT_RUNNING && sl->data && !sl->data->dead
        && sl->inc_msgs - sl->ack.msgs < s->o->depth
        && sl->inc_bytes - sl->ack.bytes < s->o->depth_bytes
        && sup_replay_room(s, sl);
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

void sup_stall_check(struct sup *s, const struct slot *sl)
{
    if (s->stalled && s->held_slot == sl->id && s->phase == SUP_RUN && slot_can_accept(s, sl)) {
        s->stalled = 0;
        s->stall_ns += now_ns() - s->stall_t0;
        uv_idle_start(&s->pump, on_pump);
    }
}

/* ---------------------------------------------------------------- the pump */

static int route_msg(struct sup *s, struct slot *sl, const struct msg *m)
{
    struct buf *out = chan_outbuf(sl->data);
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
        struct slot *sl = &s->slots[i];
        if (sl->data && !sl->data->dead && chan_pending(sl->data) > 0)
            chan_flush(sl->data);
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
        struct slot *sl = &s->slots[w];
        if (!slot_can_accept(s, sl)) {
            if (!sup_replay_room(s, sl)) {
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

void sup_check_done(struct sup *s)
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
        struct slot *sl = &s->slots[s->held_slot];
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
        struct slot *sl = &s->slots[i];
        if (sl->state != SLOT_RUNNING || !sl->data || sl->data->dead)
            continue;
        if (wire_put(sl->data, WIRE_PILL, &pill, sizeof pill) == 0)
            sl->state = SLOT_DRAINING;
        chan_flush(sl->data);
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
    uv_close((uv_handle_t *)&s->sigchld, close_cb_none);
    uv_close((uv_handle_t *)&s->sigint, close_cb_none);
    uv_close((uv_handle_t *)&s->sigterm, close_cb_none);
}

static void on_signal(uv_signal_t *h, int sig)
{
    struct sup *s = h->data;
    if (sig == SIGCHLD) {
        lifecycle_reap(s);
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
            struct slot *sl = &s->slots[i];
            if (sl->query && !sl->query->dead && sl->state == SLOT_RUNNING) {
                uint64_t t = now_ns();
                if (wire_put(sl->query, WIRE_PING, &t, sizeof t) == 0)
                    chan_flush(sl->query);
            }
        }
    } else if (s->phase == SUP_DRAIN) {
        uint64_t idle_ms = (now - s->last_progress) / 1000000u;
        if (!s->term_at && idle_ms >= s->o->grace_ms) {
            fprintf(stderr, "phase3: %u workers made no progress for %u ms while draining: SIGTERM\n",
                    pool_signal(s->slots, s->o->workers, SIGTERM), s->o->grace_ms);
            s->term_at = now;
        } else if (s->term_at && !s->killed && now - s->term_at >= 1000000000u) {
            fprintf(stderr, "phase3: %u workers survived SIGTERM for 1 s: SIGKILL\n",
                    pool_signal(s->slots, s->o->workers, SIGKILL));
            s->killed = 1;
        }
    }
}

/* ---------------------------------------------------------------- setup, run */

int sup_init(struct sup *s, const struct sup_opts *o, struct stream *in)
{
    memset(s, 0, sizeof *s);
    s->o = o;
    s->in = in;
    s->held_payload = (struct buf)BUF_INIT;
    hist_init(&s->ping);
    hist_init(&s->ckpt_build);
    hist_init(&s->ckpt_commit);
    hist_init(&s->recover);
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
    s->pump.data = s->tick.data = s->ckpt_timer.data = s;

    uint64_t t0 = now_ns();
    for (unsigned i = 0; i < o->workers; i++) {
        struct slot *sl = &s->slots[i];
        sl->id = i;
        sl->owner = s;
        if (lifecycle_spawn(s, sl) < 0)
            return -1;
    }
    s->t_spawn_ns = now_ns() - t0;

    if (o->cli->control) {
        unsigned flags = o->cli->control_private ? CTLSRV_PRIVATE : 0;
        s->ctl = ctlsrv_start(&s->loop, o->cli->control, flags, control_on_cmd, s, s->why, sizeof s->why);
        if (!s->ctl)
            return -1;
    }
    return 0;
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
    uv_run(&s->loop, UV_RUN_DEFAULT);
    /* Every slot was reaped in the loop; make sure no child at all is left. */
    int status;
    while (waitpid(-1, &status, 0) > 0 || errno == EINTR)
        ;
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

int sup_write_outputs(struct sup *s)
{
    const struct cli *c = s->o->cli;
    if (c->dump_state && gather_write_dump(s->gather, c->dump_state, s->why, sizeof s->why) < 0)
        return -1;
    if (s->o->key_owners && gather_write_owners(s->gather, s->o->key_owners, s->why, sizeof s->why) < 0)
        return -1;
    return 0;
}

void sup_free(struct sup *s)
{
    /* After a failed sup_init some workers may exist: no child outlives us. */
    if (s->slots && pool_signal(s->slots, s->o->workers, SIGKILL) > 0)
        while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
            ;
    for (unsigned i = 0; s->slots && i < s->o->workers; i++) {
        if (s->slots[i].data)
            chan_close(s->slots[i].data);
        if (s->slots[i].query)
            chan_close(s->slots[i].query);
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
    free(s->slots);
}
