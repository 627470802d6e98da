/* ctlthread.c: phase 2's control commands, on the control thread that
 * lib/ctlloop.h runs (ctlthread.h). Everything below except ctlthread_start/stop
 * runs on that thread. */
#include "ctlthread.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "dump.h"
#include "timing.h"

/* Stop reading: the flag for a dispatcher between messages, the interrupt
 * for one waiting inside a read (the order matters: the interrupt's wake pipe
 * stays readable, so a read that starts after it ends at once too). */
static void stop_input(struct ctlthread *c)
{
    atomic_store(&c->pool->stop_input, true);
    stream_interrupt(c->in);
}

static void on_query(struct ctl_query *q, const struct ctl_req *req, void *data)
{
    struct ctlthread *c = data;
    struct pool *p = c->pool;
    uint64_t t0 = now_ns();
    char text[DUMP_ROW_MAX + 512];

    switch (req->cmd) {
    case CTL_GET:
        if (store_get_row(p->store, req->key, text, sizeof text, &c->locks) < 0)
            snprintf(text, sizeof text, "ERR unknown key");
        break;
    case CTL_STATS:
        snprintf(text, sizeof text,
                 "messages_in=%llu processed=%llu rejected=%llu queries=%lu "
                 "workers_alive=%u restarts=0 threads=%u contended=%llu order_breaks=%llu "
                 "order_broken_keys=%llu",
                 (unsigned long long)stat_read(&p->messages_in),
                 (unsigned long long)pool_processed(p),
                 (unsigned long long)stat_read(&p->rejected),
                 ctlloop_queries(&c->cl), atomic_load(&p->alive), p->nthreads,
                 (unsigned long long)pool_contended(p),
                 (unsigned long long)pool_order_breaks(p),
                 (unsigned long long)pool_order_broken_keys(p));
        break;
    case CTL_SHUTDOWN:
        stop_input(c);          /* the threads drain what was read, then the run ends */
        snprintf(text, sizeof text, "OK");
        break;
    case CTL_BAD:               /* never: ctlsrv answers bad lines itself */
        snprintf(text, sizeof text, "ERR %s", req->why);
        break;
    }
    ctl_answer(q, text);
    hist_add(&c->service, now_ns() - t0);
}

/* SIGINT and SIGTERM stop a run as SHUTDOWN does. */
static void on_stop(void *data)
{
    stop_input(data);
}

int ctlthread_start(struct ctlthread *c, struct pool *pool, struct stream *in, const char *path,
                    unsigned flags, char *err, size_t errlen)
{
    c->pool = pool;
    c->in = in;
    memset(&c->locks, 0, sizeof c->locks);
    hist_init(&c->service);
    return ctlloop_start(&c->cl, path, flags, on_query, on_stop, c, err, errlen);
}

void ctlthread_stop(struct ctlthread *c)
{
    ctlloop_stop(&c->cl);
}
