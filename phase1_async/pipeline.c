/* pipeline.c: phase 1's event loop (see pipeline.h for the shape).
 *
 * Handles on the one loop, and what each is for:
 *   pump     idle handle: while active, the loop never sleeps in poll, and each
 *            iteration runs one slice (refill the ring when unpaced, then route
 *            and apply up to SLICE_MAX messages);
 *   pacer    --rate: a 1 ms timer that lets rate * elapsed messages in;
 *   hb       the heartbeat (loop lag);
 *   ctl      the control socket; its handler runs between slices;
 *   sigint/sigterm   a graceful stop, like SHUTDOWN.
 *   inbox    --input only: the reader thread's async handle (lib/inbox.h);
 *            its callback restarts a pump that found no input.
 * The run ends when the stream is over, the ring is empty and nothing is left
 * on the thread pool: then every handle is closed and uv_run returns.
 *
 * Why --input goes through a thread and the built-in source does not. Until
 * a message is in the ring, the pump asked stream_next() for it on the loop
 * thread; from a file that never waits, but from `--input -` fed by a slow
 * writer, read() waits for the writer's next line, and the heartbeat, the
 * pacer and every control query waited with it (a GET took as long as the
 * writer's pause). The inbox's thread does that waiting instead, and
 * inbox_next() never blocks: with nothing there, the pump stops
 * (input_wait) and the loop sleeps in poll, answering queries, until the
 * thread's uv_async wakes it. The built-in source only computes: it cannot
 * wait for anyone, so pulling it here costs the loop only the time to make
 * the message, as processing it does; a thread would add a copy of every
 * message and a wake-up per batch, and buy nothing (phase 3 measured the
 * same choice: within the noise, and more system time, through the thread). */
#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "dump.h"
#include "param.h"
#include "timing.h"

static void update_pump(struct pipeline *p);

/* The next message: from the inbox (never waiting: 0 and input_wait set when
 * it has none yet) or from the built-in source. Returns 1, 0 (nothing now)
 * or -1 (the stream ended or failed: source_done, read_errno set). */
static int next_msg(struct pipeline *p, struct msg *m)
{
    int rc;
    if (p->inbox) {
        switch (inbox_next(p->inbox, m)) {
        case INBOX_MSG:
            return 1;
        case INBOX_WAIT:
            p->input_wait = true;
            return 0;
        case INBOX_END:
            rc = 0;
            break;
        default:
            rc = -1;
            break;
        }
    } else {
        rc = stream_next(p->o.in, m);
        if (rc > 0)
            return 1;
    }
    if (rc < 0)
        p->read_errno = errno ? errno : EIO;
    p->source_done = true;
    uv_timer_stop(&p->pacer);
    return -1;
}

/* Take messages from the stream into the ring until it is full, the stream
 * ends, the inbox has nothing yet, or `produced` reaches limit. */
static void refill(struct pipeline *p, uint64_t limit)
{
    struct msg m;
    while (!p->source_done && p->produced < limit && msgring_free(&p->ring) > 0) {
        if (next_msg(p, &m) <= 0)
            break;
        msgring_push(&p->ring, &m);
        p->produced++;
    }
}

/* The reader thread has messages (or the end) for a pump that found none. */
static void on_input_ready(struct inbox *ib, void *data)
{
    (void)ib;
    struct pipeline *p = data;
    if (!p->input_wait)
        return;
    p->input_wait = false;
    update_pump(p);             /* paced runs take it at the next pacer tick */
}

static void applied(void *ctx)
{
    struct pipeline *p = ctx;
    p->processed++;
    if (p->blocked) {
        p->blocked = false;
        if (!p->in_pump)
            update_pump(p);
    } else if (!p->in_pump && p->source_done && offload_held(p->off) == 0) {
        update_pump(p);         /* maybe the last one: time to finish */
    }
}

/* The router: find the key's machine and apply the message, or hand it to the
 * offloader. Returns 0, or -1 if the message must stay in the ring. */
static int route(struct pipeline *p, const struct msg *m)
{
    struct keystate *ks = registry_get(p->reg, m->key, m->key_len);
    if (!ks) {
        p->fatal_errno = ENOMEM;
        return -1;
    }
    if (p->off) {
        if (offload_push(p->off, ks, m) < 0) {
            if (errno == EAGAIN)
                p->blocked = true;
            else
                p->fatal_errno = errno;
            return -1;
        }
        return 0;
    }
    /* In the loop itself: while this runs, nothing else on the loop can. */
    if (m->op == OP_DATA && p->o.work)
        p->sink ^= work_burn(p->o.work, m->seq);
    fsm_apply_msg(ks, m);
    p->processed++;
    return 0;
}

static void pump_cb(uv_idle_t *h)
{
    struct pipeline *p = h->data;
    const struct msg *m;
    uint64_t t0 = now_ns();

    p->in_pump = true;
    if (p->o.rate == 0)
        refill(p, UINT64_MAX);
    for (int n = 0; n < SLICE_MAX && (m = msgring_peek(&p->ring)); ) {
        if (route(p, m) < 0)
            break;
        msgring_pop(&p->ring);
        /* Yield between messages once the slice has used its time. */
        if (++n < SLICE_MAX && now_ns() - t0 >= SLICE_BUDGET_NS)
            break;
    }
    p->slices++;
    p->in_pump = false;
    update_pump(p);
}

static void pace_cb(uv_timer_t *t)
{
    struct pipeline *p = t->data;
    uint64_t due = (uint64_t)((double)p->o.rate * (double)(now_ns() - p->t_start) / 1e9);
    refill(p, due);
    if (!p->source_done && p->produced < due && msgring_free(&p->ring) == 0)
        p->stalls++;            /* the ring is full: the consumer is behind the rate */
    update_pump(p);
}

static void close_cb_none(uv_handle_t *h) { (void)h; }

static void finish(struct pipeline *p)
{
    if (p->finished)
        return;
    p->finished = true;
    p->t_end = now_ns();
    uv_close((uv_handle_t *)&p->pump, close_cb_none);
    uv_close((uv_handle_t *)&p->pacer, close_cb_none);
    uv_close((uv_handle_t *)&p->sigint, close_cb_none);
    uv_close((uv_handle_t *)&p->sigterm, close_cb_none);
    heartbeat_stop(&p->hb);
    /* Stops the reader (a wait for the writer is interrupted) and joins it:
     * the stream is the main thread's again. */
    inbox_close(p->inbox);
    p->inbox = NULL;
    if (p->ctl)
        ctlsrv_close(p->ctl);
    p->ctl = NULL;
}

/* Keep the pump running exactly while a slice could do something; finish when
 * nothing is left anywhere. */
static void update_pump(struct pipeline *p)
{
    if (p->finished)
        return;
    size_t held = p->off ? offload_held(p->off) : 0;
    if (p->fatal_errno) {
        /* Out of memory: what is on the pool must come back before the loop ends. */
        p->source_done = true;
        if (held == 0)
            finish(p);
        else
            uv_idle_stop(&p->pump);
        return;
    }
    bool more = p->ring.len > 0 || (p->o.rate == 0 && !p->source_done && !p->input_wait);
    if (more && !p->blocked)
        uv_idle_start(&p->pump, pump_cb);
    else
        uv_idle_stop(&p->pump);
    if (p->source_done && p->ring.len == 0 && held == 0)
        finish(p);
}

/* Stop taking input; what is queued is still applied (drain, then stop). */
static void shutdown_gracefully(struct pipeline *p)
{
    p->source_done = true;
    uv_timer_stop(&p->pacer);
    update_pump(p);
}

static void signal_cb(uv_signal_t *s, int signum)
{
    (void)signum;
    shutdown_gracefully(s->data);
}

static void on_query(struct ctl_query *q, const struct ctl_req *req, void *data)
{
    struct pipeline *p = data;
    uint64_t t0 = now_ns();
    char text[DUMP_ROW_MAX + 512];
    const struct keystate *ks;

    switch (req->cmd) {
    case CTL_GET:
        /* EXERCISE(phase1-get): answer `GET key` from the registry: find the key
         * (registry_find on p->reg) and answer its dump row (dump_row into text), or
         * "ERR unknown key" if it has none. No lock: the registry belongs to the loop
         * thread, and this handler runs on it. */
        /* STUB: ks = NULL; (void)ks; */
        /* STUB: snprintf(text, sizeof text, "ERR unknown key"); */
        /* The registry is the loop thread's alone, and so is this handler. */
        ks = registry_find(p->reg, req->key, strlen(req->key));
        if (!ks || dump_row(ks, text, sizeof text) < 0)
            snprintf(text, sizeof text, "ERR unknown key");
        /* END EXERCISE */
        break;
    case CTL_STATS: {
        struct ctl_stats_head h = { p->produced, p->processed, pipeline_rejected(p),
                                    p->ctl ? ctlsrv_queries(p->ctl) : 0UL, 1, 0 };
        size_t n = ctl_stats_head(text, sizeof text, &h);
        snprintf(text + n, sizeof text - n,
                 " queued=%zu offloaded=%zu keys=%zu heartbeats=%llu lag_p99_ms=%.3f "
                 "lag_max_ms=%.3f stalls=%llu", p->ring.len,
                 p->off ? offload_held(p->off) : (size_t)0, registry_count(p->reg),
                 (unsigned long long)p->hb.lag.count,
                 hist_quantile(&p->hb.lag, 0.99) / 1e6, hist_quantile(&p->hb.lag, 1.0) / 1e6,
                 (unsigned long long)p->stalls);
        break;
    }
    case CTL_SHUTDOWN:
        snprintf(text, sizeof text, "OK");
        break;
    default:
        snprintf(text, sizeof text, "ERR %s", req->why[0] ? req->why : "bad command");
        break;
    }
    ctl_answer(q, text);
    hist_add(&p->service, now_ns() - t0);
    if (req->cmd == CTL_SHUTDOWN)
        shutdown_gracefully(p);
}

int pipeline_init(struct pipeline *p, const struct pipeline_opts *o, char *err, size_t errlen)
{
    int rc;
    memset(p, 0, sizeof *p);
    p->o = *o;
    hist_init(&p->service);
    if ((rc = uv_loop_init(&p->loop))) {
        snprintf(err, errlen, "uv_loop_init() failed: %s", uv_strerror(rc));
        return -1;
    }
    if (!(p->reg = registry_new()) || msgring_init(&p->ring, QUEUE_DEPTH) < 0)
        goto nomem;
    if (o->offload && !(p->off = offload_new(&p->loop, o->work, QUEUE_DEPTH, applied, p)))
        goto nomem;
    uv_idle_init(&p->loop, &p->pump);
    uv_timer_init(&p->loop, &p->pacer);
    uv_signal_init(&p->loop, &p->sigint);
    uv_signal_init(&p->loop, &p->sigterm);
    p->pump.data = p->pacer.data = p->sigint.data = p->sigterm.data = p;
    if ((rc = heartbeat_start(&p->hb, &p->loop, o->heartbeat_ms))) {
        snprintf(err, errlen, "uv_timer_start() failed for the heartbeat: %s", uv_strerror(rc));
        return -1;
    }
    if (o->control) {
        char why[256];
        unsigned flags = o->control_private ? CTLSRV_PRIVATE : 0;
        if (!(p->ctl = ctlsrv_start(&p->loop, o->control, flags, on_query, p, why, sizeof why))) {
            snprintf(err, errlen, "cannot open the control socket: %s", why);
            return -1;
        }
    }
    return 0;
nomem:
    snprintf(err, errlen, "out of memory setting up the pipeline");
    return -1;
}

uint64_t pipeline_rejected(const struct pipeline *p)
{
    /* While the reader thread owns the stream, only the inbox may be asked. */
    return p->inbox ? inbox_rejected(p->inbox) : stream_rejected(p->o.in);
}

int pipeline_run(struct pipeline *p)
{
    if (p->o.threaded_input && !(p->inbox = inbox_start(&p->loop, p->o.in, on_input_ready, p))) {
        p->read_errno = errno;
        finish(p);              /* close the handles, so that pipeline_destroy's uv_run ends */
        return -1;
    }
    p->t_start = now_ns();
    uv_signal_start(&p->sigint, signal_cb, SIGINT);
    uv_signal_start(&p->sigterm, signal_cb, SIGTERM);
    if (p->o.rate)
        uv_timer_start(&p->pacer, pace_cb, PACE_TICK_MS, PACE_TICK_MS);
    update_pump(p);
    uv_run(&p->loop, UV_RUN_DEFAULT);
    return p->read_errno || p->fatal_errno ? -1 : 0;
}

void pipeline_destroy(struct pipeline *p)
{
    /* Every handle was closed by finish(); let the close callbacks run. */
    inbox_close(p->inbox);      /* only if the run never started */
    p->inbox = NULL;
    uv_run(&p->loop, UV_RUN_DEFAULT);
    uv_loop_close(&p->loop);
    offload_free(p->off);
    msgring_destroy(&p->ring);
    registry_free(p->reg);
}
