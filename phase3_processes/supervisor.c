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
 *   channels        acks (credit), final reports, query answers, pongs;
 *   SIGCHLD         reap with waitpid(WNOHANG) until 0, account the loss,
 *                   respawn into the same slot (the key mapping is per slot);
 *   control socket  GET goes to the owning worker with a correlation id and is
 *                   answered when the reply comes, STATS from our counters,
 *                   SHUTDOWN starts the drain;
 *   tick (timer)    query timeouts, pings, the drain deadline.
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
 * Input reading happens on the loop thread, a batch per turn, so control
 * queries interleave with it. A FILE read may block: with --input from a
 * slow pipe the loop waits for the writer's next line (regular files and the
 * built-in source never wait). */
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
#include "query.h"
#include "recovery.h"
#include "stream.h"
#include "timing.h"
#include "wire.h"

static void on_pump(uv_idle_t *h);

static void sup_fail(struct sup *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sup_fail(struct sup *s, const char *fmt, ...)
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

unsigned sup_alive(const struct sup *s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->o->workers; i++)
        n += s->slots[i].pid > 0;
    return n;
}

/* ------------------------------------------------------------- back-pressure */

/* Room in the slot's replay log (always, with --recovery off). */
static int replay_room(const struct sup *s, const struct slot *sl)
{
    return !s->o->recovery
        || (sl->rec.log_n < s->o->replay_max && recovery_log_bytes(&sl->rec) < s->o->replay_max_bytes);
}

static int slot_can_accept(const struct sup *s, const struct slot *sl)
{
    return sl->state == SLOT_RUNNING && sl->data && !sl->data->dead
        && sl->inc_msgs - sl->ack.msgs < s->o->depth
        && sl->inc_bytes - sl->ack.bytes < s->o->depth_bytes
        && replay_room(s, sl);
}

/* Ask slot's worker for a checkpoint (one request outstanding at a time). */
static void ckpt_ask(struct sup *s, struct slot *sl)
{
    if (sl->ckpt_asked || sl->state != SLOT_RUNNING || !sl->query || sl->query->dead)
        return;
    if (wire_put(sl->query, WIRE_CKPT_REQ, NULL, 0) == 0 && chan_flush(sl->query) == 0) {
        sl->ckpt_asked = 1;
        s->ckpt_asks++;
    }
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

static void stall_check(struct sup *s, const struct slot *sl)
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
            ckpt_ask(s, sl);
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
            int rc = stream_next(s->in, &m);
            if (rc == 0) {
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
            if (!replay_room(s, sl)) {
                /* The replay log is full: wait (never drop) for a checkpoint to empty it. */
                ckpt_ask(s, sl);
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

/* ---------------------------------------------------------------- channels */

static void on_data_frame_done(struct sup *s)
{
    s->last_progress = now_ns();
}

/* Kill slot's worker, unless it has been reaped already (its leftovers are
 * being read): a reaped pid may belong to someone else by now. */
static void slot_kill(struct slot *sl)
{
    if (sl->pid > 0 && sl->state != SLOT_DEAD)
        kill(sl->pid, SIGKILL);
}

/* A complete checkpoint from slot's worker: commit it and trim the log. */
static int ckpt_commit(struct sup *s, struct slot *sl, const struct wire_ckpt *c)
{
    if (!s->o->recovery) {
        errno = EBADMSG;
        return -1;
    }
    uint64_t t0 = now_ns();
    if (recovery_commit(&sl->rec, c) < 0) {
        if (errno == ENOMEM)
            sup_fail(s, "out of memory committing worker %u's checkpoint", sl->id);
        return -1;
    }
    uint64_t t1 = now_ns();
    hist_add(&s->ckpt_commit, t1 - t0);
    hist_add(&s->ckpt_build, c->build_ns);
    uint64_t frames = (c->rows + WIRE_CKPT_ROWS_MAX - 1) / WIRE_CKPT_ROWS_MAX;
    s->checkpoints++;
    s->ckpt_rows += c->rows;
    s->ckpt_bytes += c->rows * sizeof(struct keystate) + frames * (FRAME_HDR + 1)
                   + FRAME_HDR + 1 + sizeof *c;
    sl->ckpt_asked = 0;
    sl->ckpt_at = t1;
    if (!replay_room(s, sl))
        ckpt_ask(s, sl);        /* still full of messages the worker has not reached: again */
    stall_check(s, sl);
    return 0;
}

static int on_data_frame(struct chan *c, const uint8_t *body, size_t len, void *data)
{
    struct slot *sl = data;
    struct sup *s = sl->owner;
    int rc = -1;
    switch (len ? body[0] : 0) {
    case WIRE_ACK: {
        struct wire_ack a;
        if ((rc = wire_get_fixed(body, len, &a, sizeof a)) < 0)
            break;
        if (sl->inc_base + a.msgs > sl->done) {
            /* A replayed message was counted when first acked: count new ground only. */
            sl->done = sl->inc_base + a.msgs;
            sl->fails = 0;
        }
        sl->ack = a;
        if (sl->t_died && a.msgs >= sl->inc_replay) {
            hist_add(&s->recover, now_ns() - sl->t_died);
            sl->t_died = 0;
        }
        stall_check(s, sl);
        break;
    }
    case WIRE_CKPT_ROWS:
        if ((rc = recovery_stage(&sl->rec, body + 1, len - 1)) < 0 && errno == ENOMEM)
            sup_fail(s, "out of memory staging worker %u's checkpoint", sl->id);
        break;
    case WIRE_CKPT_END: {
        struct wire_ckpt ck;
        if ((rc = wire_get_fixed(body, len, &ck, sizeof ck)) == 0)
            rc = ckpt_commit(s, sl, &ck);
        break;
    }
    case WIRE_REPORT:
        rc = wire_get_fixed(body, len, &sl->report, sizeof sl->report);
        sl->reported_pid = sl->pid;
        break;
    case WIRE_ROW: {
        struct keystate ks;
        if ((rc = wire_get_fixed(body, len, &ks, sizeof ks)) < 0)
            break;
        if (gather_add(s->gather, &ks, sl->id, sl->pid) < 0)
            sup_fail(s, "out of memory gathering worker %u's state", sl->id);
        break;
    }
    case WIRE_END:
        sl->reported = 1;
        rc = 0;
        break;
    }
    if (rc < 0) {
        fprintf(stderr, "phase3: bad frame from worker %u (pid %ld): killing it\n", sl->id, (long)sl->pid);
        slot_kill(sl);
        chan_pause(c, 1);
        return -1;
    }
    on_data_frame_done(s);
    return 0;
}

static int on_query_frame(struct chan *c, const uint8_t *body, size_t len, void *data)
{
    struct slot *sl = data;
    struct sup *s = sl->owner;
    if (len >= 1 && body[0] == WIRE_ANSWER) {
        struct wire_answer a;
        if (wire_get_fixed(body, len, &a, sizeof a) == 0) {
            querytab_answer(s->qt, sl->id, &a, now_ns());
            return 0;
        }
    } else if (len == 1 + sizeof(uint64_t) && body[0] == WIRE_PONG) {
        uint64_t t;
        memcpy(&t, body + 1, sizeof t);
        hist_add(&s->ping, now_ns() - t);
        return 0;
    }
    fprintf(stderr, "phase3: bad query frame from worker %u (pid %ld): killing it\n", sl->id, (long)sl->pid);
    slot_kill(sl);
    chan_pause(c, 1);
    return -1;
}

/* A channel broke. The death itself is handled when SIGCHLD reaps the pid; a
 * worker whose channel broke while it should be working is no use, so make
 * sure that death comes (a clean exit after its report needs no help). */
static void on_chan_dead(struct chan *c, int err, void *data)
{
    (void)c;
    (void)err;
    struct slot *sl = data;
    if (!sl->reported)
        slot_kill(sl);
}

static void chan_retire(struct sup *s, struct chan **cp, int data_side)
{
    if (!*cp)
        return;
    chan_read_rest(*cp);        /* acks and answers it sent before dying */
    if (data_side) {
        s->chan_ns += (*cp)->io_ns;
        s->chan_writes += (*cp)->writes;
    }
    chan_close(*cp);
    *cp = NULL;
}

/* ---------------------------------------------------------------- lifecycle */

/* Fork a worker into sl. With --recovery on it starts from the slot's
 * checkpoint (inherited through fork) and is sent the replay log before
 * anything else; while draining, the pill follows. */
static int slot_spawn(struct sup *s, struct slot *sl)
{
    int dfd, qfd;
    s->wcfg.slot = sl->id;
    s->wcfg.restore = NULL;
    s->wcfg.base = s->wcfg.base_seq = 0;
    if (s->o->recovery && sl->rec.ckpt_applied > 0) {
        s->wcfg.restore = sl->rec.ckpt;
        s->wcfg.base = sl->rec.ckpt_applied;
        s->wcfg.base_seq = sl->rec.ckpt_seq;
    }
    if (pool_spawn(sl, &s->wcfg, &dfd, &qfd, s->why, sizeof s->why) < 0) {
        s->failed = 1;
        return -1;
    }
    sl->data = chan_open(&s->loop, dfd, on_data_frame, on_chan_dead, sl);
    sl->query = chan_open(&s->loop, qfd, on_query_frame, on_chan_dead, sl);
    if (!sl->data || !sl->query) {
        sup_fail(s, "cannot watch worker %u's channels: %s", sl->id, strerror(errno));
        return -1;
    }
    sl->reported = 0;
    sl->ckpt_asked = 0;
    sl->ckpt_at = now_ns();
    sl->inc_msgs = sl->inc_bytes = 0;
    memset(&sl->ack, 0, sizeof sl->ack);
    sl->inc_base = s->o->recovery ? sl->rec.ckpt_applied : sl->done;
    sl->inc_replay = 0;
    if (s->o->recovery && sl->rec.log_n > 0) {
        if (recovery_replay(&sl->rec, chan_outbuf(sl->data)) < 0) {
            sup_fail(s, "out of memory replaying worker %u's log", sl->id);
            return -1;
        }
        sl->inc_replay = sl->inc_msgs = sl->rec.log_n;
        sl->inc_bytes = recovery_log_bytes(&sl->rec);
        chan_flush(sl->data);
    }
    if (s->phase == SUP_DRAIN) {
        struct wire_pill pill = { .want_rows = 1 };
        if (wire_put(sl->data, WIRE_PILL, &pill, sizeof pill) == 0)
            sl->state = SLOT_DRAINING;
        chan_flush(sl->data);
    }
    return 0;
}

static void sup_finish(struct sup *s);

/* What a death cost, with --recovery off or when no respawn can follow. */
static void account_loss(struct sup *s, struct slot *sl, pid_t pid, const char *st)
{
    uint64_t inflight = sl->inc_msgs - sl->ack.msgs;
    uint64_t applied = sl->ack.msgs, keys = sl->ack.keys;
    if (s->o->recovery) {
        /* Nobody will replay: the checkpoint and the log die too. */
        applied += sl->inc_base;
        if (registry_count(sl->rec.ckpt) > keys)
            keys = registry_count(sl->rec.ckpt);
    }
    sl->lost_inflight += inflight;
    sl->lost_applied += applied;
    sl->lost_keys += keys;
    if (!s->o->cli->quiet || s->phase == SUP_RUN)
        fprintf(stderr,
                "phase3: worker %u (pid %ld) %s: the state of its %" PRIu64 " keys is lost "
                "(%" PRIu64 " messages it had applied), and %" PRIu64 " messages in flight to it%s\n",
                sl->id, (long)pid, st, keys, applied, inflight,
                s->phase == SUP_RUN ? "; respawning into the same slot" : "");
}

static void slot_reaped(struct sup *s, struct slot *sl, int status)
{
    pid_t pid = sl->pid;
    uint64_t t_reap = now_ns();
    char st[64];
    /* Read what it sent before dying (acks, a whole checkpoint, its report)
     * while sl->pid still names it: rows are filed under that pid. DEAD first:
     * nothing may be sent to it, nor the pid signalled, meanwhile. */
    sl->state = SLOT_DEAD;
    chan_retire(s, &sl->data, 1);
    chan_retire(s, &sl->query, 0);
    sl->exit_status = status;
    sl->pid = 0;
    querytab_slot_gone(s->qt, sl->id, t_reap);
    s->last_progress = t_reap;
    pool_status_str(status, st, sizeof st);
    if (sl->reported && sl->reported_pid == pid) {
        sl->state = SLOT_EXITED;
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            fprintf(stderr, "phase3: worker %u (pid %ld) reported, then ended with %s\n", sl->id, (long)pid, st);
        return;
    }
    /* Died without finishing: everything this incarnation held is gone; half
     * a final report would be worse than none. */
    gather_drop(s->gather, pid);
    recovery_abort(&sl->rec);
    int respawn = s->phase == SUP_RUN
               || (s->o->recovery && s->phase == SUP_DRAIN && !s->killed && !s->term_at);
    if (!s->o->recovery || !respawn) {
        account_loss(s, sl, pid, st);
    } else {
        uint64_t applied = sl->inc_base + sl->ack.msgs;
        uint64_t back = applied > sl->rec.ckpt_applied ? applied - sl->rec.ckpt_applied : 0;
        s->rolled_back += back;
        s->replayed += sl->rec.log_n;
        s->replayed_bytes += recovery_log_bytes(&sl->rec);
        s->restored_rows += registry_count(sl->rec.ckpt);
        if (!s->o->cli->quiet)
            fprintf(stderr,
                    "phase3: worker %u (pid %ld) %s: respawning it from its checkpoint (%zu keys after "
                    "%" PRIu64 " messages) and replaying the %" PRIu64 " messages routed since "
                    "(%" PRIu64 " it had applied, the rest in flight)\n",
                    sl->id, (long)pid, st, registry_count(sl->rec.ckpt), sl->rec.ckpt_applied,
                    sl->rec.log_n, back);
    }
    sl->inc_msgs = sl->inc_bytes = 0;
    memset(&sl->ack, 0, sizeof sl->ack);
    if (!respawn) {
        sl->state = SLOT_DEAD;
        return;
    }
    if (++sl->fails > SUP_RESTART_MAX) {
        sup_fail(s, "worker %u keeps dying (%u deaths in a row without progress, last: %s)", sl->id,
                 sl->fails - 1, st);
        sl->state = SLOT_DEAD;
        sup_stop(s, "a worker keeps dying");
        return;
    }
    sl->restarts++;
    s->restarts++;
    uint64_t t0 = now_ns();
    if (slot_spawn(s, sl) < 0) {
        if (s->o->recovery) {   /* nobody to replay to after all */
            sl->lost_applied += sl->rec.ckpt_applied;
            sl->lost_inflight += sl->rec.log_n;
            sl->lost_keys += registry_count(sl->rec.ckpt);
        }
        sl->state = SLOT_DEAD;
        sup_stop(s, "respawn failed");
        return;
    }
    s->respawn_ns += now_ns() - t0;
    sl->t_died = t_reap;
    if (sl->inc_replay == 0) {
        hist_add(&s->recover, now_ns() - sl->t_died);
        sl->t_died = 0;
    }
    stall_check(s, sl);
}

static void check_done(struct sup *s)
{
    if (s->phase == SUP_DRAIN && sup_alive(s) == 0)
        sup_finish(s);
}

/* Every fork() has a reaper: collect every child that has ended, until
 * waitpid() says there is none left to collect right now. */
static void reap(struct sup *s)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid == 0 || (pid < 0 && errno == ECHILD))
            break;
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        struct slot *sl = pool_find(s->slots, s->o->workers, pid);
        if (sl)
            slot_reaped(s, sl, status);
    }
    check_done(s);
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
    check_done(s);
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
    control_private_done(s->ctl_dir);
    s->ctl_dir = NULL;
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
        reap(s);
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

/* --checkpoint-ms: a worker that has had messages since its last checkpoint
 * for that long is asked for one, so a quiet slot's log does not linger. */
static void on_ckpt_timer(uv_timer_t *h)
{
    struct sup *s = h->data;
    uint64_t now = now_ns();
    for (unsigned i = 0; i < s->o->workers; i++) {
        struct slot *sl = &s->slots[i];
        if (sl->rec.log_n > 0 && now - sl->ckpt_at >= (uint64_t)s->o->ckpt_ms * 1000000u)
            ckpt_ask(s, sl);
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
        if (slot_spawn(s, sl) < 0)
            return -1;
    }
    s->t_spawn_ns = now_ns() - t0;

    if (o->cli->control) {
        if (o->control_private && control_private_dir(o->cli->control, &s->ctl_dir, s->why, sizeof s->why) < 0)
            return -1;
        s->ctl = ctlsrv_start(&s->loop, o->cli->control, control_on_cmd, s, s->why, sizeof s->why);
        if (!s->ctl)
            return -1;
    }
    return 0;
}

int sup_run(struct sup *s)
{
    s->t_start = now_ns();
    s->last_progress = s->t_start;
    uv_idle_start(&s->pump, on_pump);
    uv_timer_start(&s->tick, on_tick, SUP_TICK_MS, SUP_TICK_MS);
    if (s->o->recovery)
        uv_timer_start(&s->ckpt_timer, on_ckpt_timer, s->o->ckpt_ms, s->o->ckpt_ms);
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
    control_private_done(s->ctl_dir);
    s->ctl_dir = NULL;
}
