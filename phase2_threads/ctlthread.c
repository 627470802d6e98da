/* ctlthread.c: the control socket on a thread of its own (ctlthread.h).
 * Everything below except ctlthread_start/stop runs on the control thread. */
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
                 c->srv ? ctlsrv_queries(c->srv) : 0UL, atomic_load(&p->alive), p->nthreads,
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

static void on_signal(uv_signal_t *s, int signum)
{
    (void)signum;
    stop_input(s->data);
}

static void on_quit(uv_async_t *a)
{
    struct ctlthread *c = a->data;
    if (c->srv)
        ctlsrv_close(c->srv);
    c->srv = NULL;
    uv_close((uv_handle_t *)&c->quit, NULL);
    uv_close((uv_handle_t *)&c->sigint, NULL);
    uv_close((uv_handle_t *)&c->sigterm, NULL);
}

static void *ctl_main(void *arg)
{
    struct ctlthread *c = arg;
    uv_run(&c->loop, UV_RUN_DEFAULT);
    return NULL;
}

int ctlthread_start(struct ctlthread *c, struct pool *pool, struct stream *in, const char *path,
                    unsigned flags, char *err, size_t errlen)
{
    int rc;
    memset(c, 0, sizeof *c);
    c->pool = pool;
    c->in = in;
    hist_init(&c->service);
    if ((rc = uv_loop_init(&c->loop))) {
        snprintf(err, errlen, "uv_loop_init() failed for the control thread: %s", uv_strerror(rc));
        return -1;
    }
    uv_async_init(&c->loop, &c->quit, on_quit);
    uv_signal_init(&c->loop, &c->sigint);
    uv_signal_init(&c->loop, &c->sigterm);
    c->quit.data = c->sigint.data = c->sigterm.data = c;
    uv_signal_start(&c->sigint, on_signal, SIGINT);
    uv_signal_start(&c->sigterm, on_signal, SIGTERM);
    if (path) {
        char why[256];
        if (!(c->srv = ctlsrv_start(&c->loop, path, flags, on_query, c, why, sizeof why))) {
            snprintf(err, errlen, "cannot open the control socket: %s", why);
            goto fail;
        }
    }
    /* The loop was built on this thread; from here on only ctl_main touches it
     * (pthread_create orders everything above before the thread's first step). */
    if ((rc = pthread_create(&c->thread, NULL, ctl_main, c))) {
        snprintf(err, errlen, "pthread_create() failed for the control thread: %s", strerror(rc));
        if (c->srv)
            ctlsrv_close(c->srv);
        goto fail;
    }
    return 0;
fail:
    uv_close((uv_handle_t *)&c->quit, NULL);
    uv_close((uv_handle_t *)&c->sigint, NULL);
    uv_close((uv_handle_t *)&c->sigterm, NULL);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    uv_loop_close(&c->loop);
    return -1;
}

void ctlthread_stop(struct ctlthread *c)
{
    uv_async_send(&c->quit);    /* the one libuv call that is safe from another thread */
    pthread_join(c->thread, NULL);
    uv_loop_close(&c->loop);
}
