/* leader.c: rank 0's loop.
 *
 * Why one thread for libuv and MPI. Rank 0 must serve the control socket
 * (libuv) while batches, acks and answers flow (MPI), and both want to wait.
 * A second thread that sits in MPI calls would need MPI_THREAD_MULTIPLE (or a
 * hand-off queue to the one MPI thread under MPI_THREAD_FUNNELED) and locks
 * around every shared counter; and Open MPI's blocking calls spin anyway. So
 * every MPI call is made on the loop's thread, non-blocking (MPI_Isend,
 * MPI_Test, MPI_Iprobe): a uv_idle handle (`turn`) pumps the input and polls
 * MPI once per loop turn while anything is in flight, and stops when nothing
 * is (the loop then sleeps in epoll until input, a query or a signal comes).
 * Waiting on the workers alone, it spins for NAP_AFTER_NS, then polls once a
 * millisecond from a timer, so that a busy worker keeps its core.
 * The input-reading thread (lib/inbox.h) never calls MPI, which is what
 * MPI_THREAD_FUNNELED allows.
 *
 * The end: no more input (or SHUTDOWN) -> the held message, if any, goes ->
 * CMSG_END to each worker behind its last batch -> each sends its report and
 * rows -> once a worker's rows are in and it owes no answer, CMSG_BYE -> every
 * BYE sent: the loop stops. GETs for a worker whose rows are in are answered
 * from those rows (its final state). */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "ctl.h"
#include "dump.h"
#include "inbox.h"
#include "leader.h"
#include "outbox.h"
#include "peers.h"
#include "timing.h"

#define HOUSE_MS 100            /* query timeouts are checked this often */
#define NAP_AFTER_NS 200000     /* waiting on MPI alone this long: poll once a millisecond */

struct leader {
    const struct leader_opts *o;
    unsigned n;                 /* worker ranks */
    const struct cmsg_hello *hellos;
    struct peers peers;
    struct asks asks;
    uv_loop_t loop;
    uv_idle_t turn;             /* active while anything is in flight */
    uv_timer_t house;
    uv_timer_t nap;             /* a slow worker: rank 0 sleeps between polls */
    uv_signal_t sig[2];         /* SIGTERM, SIGINT: mpirun tears the job down */
    struct ctlsrv *srv;
    struct stream *s;
    struct inbox *ib;           /* --input: a reader thread; the built-in source is read here */
    struct router *router;
    struct msg held;            /* a message waiting for its worker's credit */
    struct buf held_payload;
    unsigned held_w;
    bool has_held, input_wait, input_done, shutdown, closed, loop_ok;
    uint64_t stalls, t0, t1, started;
    uint64_t quiet_since;       /* when polling MPI last found nothing, 0 after progress */
    uint64_t messages_in, rejected;   /* kept when the inbox closes */
    unsigned long queries;            /* kept when the server closes */
    int failed;
    char *err;
    size_t errlen;
};

static void fail(struct leader *l, const char *fmt, const char *why)
{
    if (!l->failed)
        snprintf(l->err, l->errlen, fmt, why);
    l->failed = 1;
}

static void on_turn(uv_idle_t *h);

static void wake(struct leader *l)
{
    if (!l->closed)
        uv_idle_start(&l->turn, on_turn);
}

/* ------------------------------------------------------------ the input */

/* 1: a message; 0: none yet (the inbox will call back); 2: the end; -1: error. */
static int next_msg(struct leader *l, struct msg *m)
{
    if (!l->ib) {
        int r = stream_next(l->s, m);
        return r == 0 ? 2 : r;
    }
    switch (inbox_next(l->ib, m)) {
    case INBOX_MSG: return 1;
    case INBOX_WAIT: return 0;
    case INBOX_END: return 2;
    default: return -1;
    }
}

static void hold(struct leader *l, const struct msg *m, unsigned w)
{
    l->held = *m;
    buf_reset(&l->held_payload);
    if (m->payload_len && buf_append(&l->held_payload, m->payload, m->payload_len) < 0) {
        fail(l, "%s", "no memory to hold a message");
        return;
    }
    l->held.payload = l->held_payload.data;
    l->held_w = w;
    l->has_held = true;
    l->stalls++;
}

static void put(struct leader *l, unsigned w, const struct msg *m)
{
    char why[256];
    if (outbox_put(&l->peers.p[w].ob, m, why, sizeof why) < 0)
        fail(l, "%s", why);
}

static void pump(struct leader *l)
{
    for (unsigned i = 0; i < l->o->pump_batch && !l->failed; i++) {
        if (l->has_held) {
            struct outbox *ob = &l->peers.p[l->held_w].ob;
            if (!outbox_room(ob, l->held.payload_len))
                break;
            l->has_held = false;
            put(l, l->held_w, &l->held);
            continue;
        }
        if (l->input_done || l->shutdown)
            break;
        struct msg m;
        int r = next_msg(l, &m);
        if (r == 0) {
            l->input_wait = true;
            break;
        }
        if (r == 2) {
            l->input_done = true;
            break;
        }
        if (r < 0) {
            fail(l, "reading the input: %s", strerror(errno));
            break;
        }
        if (l->t0 == 0)
            l->t0 = now_ns();
        unsigned w = route_pick(l->router, m.key, m.key_len);
        if (outbox_room(&l->peers.p[w].ob, m.payload_len))
            put(l, w, &m);
        else
            hold(l, &m, w);
    }
    char why[256];
    for (unsigned w = 0; w < l->n && !l->failed; w++)
        if (outbox_flush(&l->peers.p[w].ob, why, sizeof why) < 0)
            fail(l, "%s", why);
}

static void on_input(struct inbox *ib, void *data)
{
    (void)ib;
    struct leader *l = data;
    l->input_wait = false;
    wake(l);
}

/* ------------------------------------------------------------ the control socket */

static void answer_get(struct leader *l, struct ctl_query *q, const char *key, uint64_t t0)
{
    size_t len = strlen(key);
    int w = route_peek(l->router, key, len);
    if (w < 0) {                /* map: a key never routed has no owner */
        asks_note(&l->asks, t0);
        ctl_answer(q, "ERR unknown key");
        return;
    }
    if (l->peers.p[w].rows_in) {    /* its final rows are here already */
        char row[DUMP_ROW_MAX];
        const struct keystate *ks = registry_find(l->peers.final, key, len);
        asks_note(&l->asks, t0);
        ctl_answer(q, ks && dump_row(ks, row, sizeof row) > 0 ? row : "ERR unknown key");
        return;
    }
    uint64_t id = asks_add(&l->asks, q, w, t0);
    if (id == 0) {
        ctl_answer(q, "ERR too many queries in flight");
        return;
    }
    char why[256];
    if (peers_ask(&l->peers, (unsigned)w, id, key, why, sizeof why) < 0)
        asks_answer(&l->asks, id, errno == EBUSY ? "ERR too many queries in flight" : "ERR cannot reach the owner rank");
    wake(l);
}

static void answer_stats(struct leader *l, struct ctl_query *q)
{
    char line[2048];
    uint64_t in = l->ib ? inbox_taken(l->ib) : stream_delivered(l->s);
    uint64_t rej = l->ib ? inbox_rejected(l->ib) : stream_rejected(l->s);
    uint64_t keys = 0;
    for (unsigned w = 0; w < l->n; w++)
        keys += l->peers.p[w].ob.keys;
    snprintf(line, sizeof line,
             "messages_in=%" PRIu64 " processed=%" PRIu64 " rejected=%" PRIu64 " queries=%lu workers=%u ranks=%u "
             "in_flight=%" PRIu64 " stalls=%" PRIu64 " keys=%" PRIu64 " phase=%s uptime_s=%.3f",
             in, peers_applied(&l->peers), rej, ctlsrv_queries(l->srv), l->n, l->n + 1,
             peers_in_flight(&l->peers), l->stalls, keys,
             l->input_done || l->shutdown ? "draining" : "running", (double)(now_ns() - l->started) / 1e9);
    /* pids last, as phase 3 does: the worker ranks' pids (as each one told), in rank order. */
    size_t at = strlen(line);
    for (unsigned w = 0; w < l->n && at + 24 < sizeof line; w++)
        at += (size_t)snprintf(line + at, sizeof line - at, "%s%" PRId64, w ? "," : " pids=", l->hellos[w].pid);
    ctl_answer(q, line);
}

static void on_query(struct ctl_query *q, const struct ctl_req *req, void *data)
{
    struct leader *l = data;
    uint64_t t0 = now_ns();
    switch (req->cmd) {
    case CTL_GET:
        answer_get(l, q, req->key, t0);
        break;
    case CTL_STATS:
        answer_stats(l, q);
        break;
    case CTL_SHUTDOWN:
        ctl_answer(q, "OK");
        l->shutdown = true;
        wake(l);
        break;
    case CTL_BAD:
        ctl_answer(q, "ERR bad command");   /* ctlsrv answers these itself */
        break;
    }
}

/* ------------------------------------------------------------ the loop */

static void close_all(struct leader *l)
{
    if (l->closed)
        return;
    l->closed = true;
    l->t1 = now_ns();
    l->messages_in = l->ib ? inbox_taken(l->ib) : stream_delivered(l->s);
    l->rejected = l->ib ? inbox_rejected(l->ib) : stream_rejected(l->s);
    if (l->srv) {
        l->queries = ctlsrv_queries(l->srv);
        ctlsrv_close(l->srv);
    }
    l->srv = NULL;
    inbox_close(l->ib);         /* joins the reader thread; the stream is ours again */
    l->ib = NULL;
    uv_close((uv_handle_t *)&l->turn, NULL);
    uv_close((uv_handle_t *)&l->house, NULL);
    uv_close((uv_handle_t *)&l->nap, NULL);
    for (int i = 0; i < 2; i++)
        uv_close((uv_handle_t *)&l->sig[i], NULL);
}

static void on_nap(uv_timer_t *t)
{
    wake(t->data);
}

static void on_turn(uv_idle_t *h)
{
    struct leader *l = h->data;
    if (!l->failed)
        pump(l);
    char why[256];
    int got = 0, done = 0;
    if (!l->failed && (got = peers_poll(&l->peers, why, sizeof why)) < 0)
        fail(l, "%s", why);
    bool ending = (l->input_done || l->shutdown) && !l->has_held;
    if (!l->failed && (done = peers_end(&l->peers, ending, why, sizeof why)) < 0)
        fail(l, "%s", why);
    if (l->failed || done == 1) {
        close_all(l);
        return;
    }
    /* Sleep in epoll when MPI owes nothing and the input has nothing either. */
    bool mpi_owes = ending || peers_busy(&l->peers) || asks_pending(&l->asks, -1) > 0;
    bool input_can = !l->has_held && !l->input_wait && !l->input_done && !l->shutdown;
    if (!mpi_owes && !input_can) {
        uv_idle_stop(&l->turn);
        return;
    }
    if (got || input_can) {
        l->quiet_since = 0;
        return;
    }
    /* Waiting for worker ranks only. Spin a little (an ack is usually a few
     * microseconds away), then nap: busy with --work, a worker takes
     * milliseconds per batch, and a spinning rank 0 would take a core from it. */
    uint64_t now = now_ns();
    if (!l->quiet_since)
        l->quiet_since = now;
    if (now - l->quiet_since < NAP_AFTER_NS) {
        sched_yield();
        return;
    }
    uv_idle_stop(&l->turn);
    uv_timer_start(&l->nap, on_nap, 1, 0);
}

static void on_house(uv_timer_t *t)
{
    struct leader *l = t->data;
    asks_expire(&l->asks, now_ns(), (uint64_t)CTL_REPLY_TIMEOUT_MS * 1000000u);
    wake(l);
}

/* ------------------------------------------------------------ a rank died */

/* mpirun is tearing the job down. Say what was applied, and which local
 * worker rank is already gone (the worker ranks ignore SIGTERM and wait for
 * mpirun's SIGKILL, so the one that died first is the one without a process;
 * ranks on other hosts cannot be checked from here, and mpirun names them). */
static void on_signal(uv_signal_t *h, int signum)
{
    struct leader *l = h->data;
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    uint64_t in = l->ib ? inbox_taken(l->ib) : stream_delivered(l->s);
    fprintf(stderr,
            "phase5: rank 0 got %s: mpirun is ending the job, as MPI ends every job in which a rank dies "
            "(MPI_ERRORS_ARE_FATAL) or that is interrupted; nothing is dumped, the worker ranks' state is lost\n",
            signum == SIGTERM ? "SIGTERM" : "SIGINT");
    for (unsigned w = 0; w < l->n; w++) {
        const struct cmsg_hello *p = &l->hellos[w];
        if (strcmp(p->host, host) == 0 && kill((pid_t)p->pid, 0) < 0 && errno == ESRCH)
            fprintf(stderr, "phase5: rank %u (pid %" PRId64 " on %s) died first: its process is gone\n", w + 1,
                    p->pid, p->host);
    }
    fprintf(stderr, "phase5: by then rank 0 had read %" PRIu64 " messages and the worker ranks had applied %" PRIu64
            " (acked):", in, peers_applied(&l->peers));
    for (unsigned w = 0; w < l->n; w++)
        fprintf(stderr, "%s rank %u %" PRIu64, w ? "," : "", w + 1, l->peers.p[w].ob.applied);
    fprintf(stderr, "\n");
    if (l->srv)
        ctlsrv_close(l->srv);   /* removes the socket file now */
    _exit(EXIT_FAILURE_RT);
}

/* ------------------------------------------------------------ the run */

static int start(struct leader *l, char *why, size_t len)
{
    const struct cli *c = l->o->c;
    l->router = router_new(l->o->route, l->n);
    if (!l->router) {
        snprintf(why, len, "cannot make the router: %s", strerror(errno));
        return -1;
    }
    if (l->o->route_map && router_load_map(l->router, l->o->route_map, why, len) < 0)
        return -1;
    if (peers_init(&l->peers, l->peers.comm, l->n, l->o->depth, &l->asks) < 0) {
        snprintf(why, len, "no memory for %u worker ranks", l->n);
        return -1;
    }
    if (uv_loop_init(&l->loop) != 0) {
        snprintf(why, len, "uv_loop_init failed");
        return -1;
    }
    l->loop_ok = true;
    uv_idle_init(&l->loop, &l->turn);
    uv_timer_init(&l->loop, &l->house);
    uv_timer_init(&l->loop, &l->nap);
    l->turn.data = l->house.data = l->nap.data = l;
    const int sigs[2] = { SIGTERM, SIGINT };
    for (int i = 0; i < 2; i++) {
        uv_signal_init(&l->loop, &l->sig[i]);
        l->sig[i].data = l;
        uv_signal_start(&l->sig[i], on_signal, sigs[i]);
    }
    if (c->stream.input && !(l->ib = inbox_start(&l->loop, l->s, on_input, l)))
        snprintf(why, len, "cannot start the input thread: %s", strerror(errno));
    if (c->control && (!c->stream.input || l->ib))
        l->srv = ctlsrv_start(&l->loop, c->control, c->control_private ? CTLSRV_PRIVATE : 0, on_query, l, why, len);
    if ((c->stream.input && !l->ib) || (c->control && !l->srv)) {
        close_all(l);
        uv_run(&l->loop, UV_RUN_DEFAULT);
        return -1;
    }
    return 0;
}

static void fill(const struct leader *l, struct leader_result *res)
{
    const struct hist *lat = &l->asks.lat_ns;
    *res = (struct leader_result){
        .messages_in = l->messages_in, .rejected = l->rejected, .processed = peers_applied(&l->peers),
        .stalls = l->stalls, .queries = l->queries, .answered = lat->count, .timeouts = l->asks.timeouts,
        .p50_us = (double)hist_quantile(lat, 0.5) / 1e3, .p99_us = (double)hist_quantile(lat, 0.99) / 1e3,
        .seconds = (double)(l->t1 - (l->t0 ? l->t0 : l->started)) / 1e9,
    };
}

int leader_run(const struct leader_opts *o, MPI_Comm comm, unsigned workers, struct stream *s,
               const struct cmsg_hello *hellos, struct leader_result *res, char *err, size_t errlen)
{
    struct leader *l = calloc(1, sizeof *l);    /* the latency histogram is 30 KiB */
    if (!l) {
        snprintf(err, errlen, "no memory for rank 0's state");
        return -1;
    }
    l->o = o;
    l->n = workers;
    l->hellos = hellos;
    l->s = s;
    l->err = err;
    l->errlen = errlen;
    l->peers.comm = comm;
    l->started = now_ns();
    asks_init(&l->asks);
    int rc = start(l, err, errlen);
    if (rc == 0) {
        uv_timer_start(&l->house, on_house, HOUSE_MS, HOUSE_MS);
        uv_idle_start(&l->turn, on_turn);
        uv_run(&l->loop, UV_RUN_DEFAULT);
        rc = l->failed ? -1 : 0;
    }
    if (rc == 0) {
        fill(l, res);
        res->final = l->peers.final;
        l->peers.final = NULL;
        res->reports = calloc(workers, sizeof *res->reports);
        for (unsigned w = 0; res->reports && w < workers; w++)
            res->reports[w] = l->peers.p[w].rep;
    }
    if (l->loop_ok)
        uv_loop_close(&l->loop);
    registry_free(l->peers.final);
    peers_free(&l->peers);
    router_free(l->router);
    buf_free(&l->held_payload);
    stream_close(s);
    free(l);
    return rc;
}
