/* ctlloop.c: the control socket on its own thread (ctlloop.h). Everything
 * below but ctlloop_start/stop runs on the control thread. */
#include "ctlloop.h"

#include <stdio.h>
#include <string.h>

static void on_signal(uv_signal_t *s, int signum)
{
    (void)signum;
    struct ctlloop *c = s->data;
    c->on_stop(c->data);
}

static void close_handles(struct ctlloop *c)
{
    uv_close((uv_handle_t *)&c->quit, NULL);
    uv_close((uv_handle_t *)&c->sigint, NULL);
    uv_close((uv_handle_t *)&c->sigterm, NULL);
}

static void on_quit(uv_async_t *a)
{
    struct ctlloop *c = a->data;
    if (c->srv)
        ctlsrv_close(c->srv);
    c->srv = NULL;
    close_handles(c);
}

static void *ctlloop_main(void *arg)
{
    struct ctlloop *c = arg;
    uv_run(&c->loop, UV_RUN_DEFAULT);
    return NULL;
}

int ctlloop_start(struct ctlloop *c, const char *path, unsigned flags, ctl_handler fn,
                  ctlloop_stop_fn on_stop, void *data, char *err, size_t errlen)
{
    int rc;
    memset(c, 0, sizeof *c);
    c->on_stop = on_stop;
    c->data = data;
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
    char why[256];
    if (path && !(c->srv = ctlsrv_start(&c->loop, path, flags, fn, data, why, sizeof why))) {
        snprintf(err, errlen, "cannot open the control socket: %s", why);
        goto fail;
    }
    /* The loop was built on this thread; from here on only ctlloop_main touches it. */
    if ((rc = pthread_create(&c->thread, NULL, ctlloop_main, c))) {
        snprintf(err, errlen, "pthread_create() failed for the control thread: %s", strerror(rc));
        if (c->srv)
            ctlsrv_close(c->srv);
        goto fail;
    }
    return 0;
fail:
    close_handles(c);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    uv_loop_close(&c->loop);
    return -1;
}

unsigned long ctlloop_queries(const struct ctlloop *c)
{
    return c->srv ? ctlsrv_queries(c->srv) : 0;
}

void ctlloop_stop(struct ctlloop *c)
{
    uv_async_send(&c->quit);    /* the one libuv call that is safe from another thread */
    pthread_join(c->thread, NULL);
    uv_loop_close(&c->loop);
}
