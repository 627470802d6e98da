/* console.c: the control thread (console.h). Everything below but
 * console_start/stop runs on the control thread. */
#include "console.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "dump.h"
#include "timing.h"

static void stop_input(struct console *c)
{
    atomic_store(&c->feeder->stop_input, true);
    stream_interrupt(c->feeder->in);
}

static void get(struct console *c, const struct ctl_req *req, char *text, size_t len)
{
    struct rowdata d;
    c->gets++;
    uint64_t t0 = now_ns();
    int rc = feeder_get(c->feeder, req->key, strlen(req->key), &d);
    hist_add(&c->read, now_ns() - t0);
    if (rc == 0) {
        dump_row(&d.ks, text, len);
    } else if (errno == EAGAIN) {
        c->busy++;
        snprintf(text, len, "ERR busy: a write of the row is under way, try again");
    } else {
        snprintf(text, len, "ERR unknown key");
    }
}

static void on_query(struct ctl_query *q, const struct ctl_req *req, void *data)
{
    struct console *c = data;
    struct feeder *f = c->feeder;
    uint64_t t0 = now_ns();
    char text[DUMP_ROW_MAX + 512];

    switch (req->cmd) {
    case CTL_GET:
        get(c, req, text, sizeof text);
        break;
    case CTL_STATS:
        snprintf(text, sizeof text,
                 "messages_in=%llu processed=%llu rejected=%llu queries=%lu workers_alive=%u "
                 "restarts=%llu keys=%llu workers=%u",
                 (unsigned long long)atomic_load(&f->messages_in),
                 (unsigned long long)feeder_processed(f),
                 (unsigned long long)atomic_load(&f->rejected),
                 c->srv ? ctlsrv_queries(c->srv) : 0UL, atomic_load(&f->crew->alive),
                 (unsigned long long)atomic_load(&f->crew->restarts),
                 (unsigned long long)feeder_keys(f), f->board->workers);
        break;
    case CTL_SHUTDOWN:
        stop_input(c);
        snprintf(text, sizeof text, "OK");
        break;
    default:
        snprintf(text, sizeof text, "ERR %s", req->why[0] ? req->why : "bad command");
        break;
    }
    /* Stopped before ctl_answer's write, as phase 3 stops its clock when the
     * worker's answer is in: the same span, arrival to answer ready. */
    hist_add(&c->service, now_ns() - t0);
    ctl_answer(q, text);
}

static void on_signal(uv_signal_t *s, int signum)
{
    (void)signum;
    stop_input(s->data);
}

static void on_quit(uv_async_t *a)
{
    struct console *c = a->data;
    if (c->srv)
        ctlsrv_close(c->srv);
    c->srv = NULL;
    uv_close((uv_handle_t *)&c->quit, NULL);
    uv_close((uv_handle_t *)&c->sigint, NULL);
    uv_close((uv_handle_t *)&c->sigterm, NULL);
}

static void *console_main(void *arg)
{
    struct console *c = arg;
    uv_run(&c->loop, UV_RUN_DEFAULT);
    return NULL;
}

static void close_handles(struct console *c)
{
    uv_close((uv_handle_t *)&c->quit, NULL);
    uv_close((uv_handle_t *)&c->sigint, NULL);
    uv_close((uv_handle_t *)&c->sigterm, NULL);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    uv_loop_close(&c->loop);
}

int console_start(struct console *c, struct feeder *f, const char *path, unsigned flags,
                  char *err, size_t errlen)
{
    int rc;
    memset(c, 0, sizeof *c);
    c->feeder = f;
    hist_init(&c->service);
    hist_init(&c->read);
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
            close_handles(c);
            return -1;
        }
    }
    /* The loop was built on this thread; from here on only console_main touches it. */
    if ((rc = pthread_create(&c->thread, NULL, console_main, c))) {
        snprintf(err, errlen, "pthread_create() failed for the control thread: %s", strerror(rc));
        if (c->srv)
            ctlsrv_close(c->srv);
        close_handles(c);
        return -1;
    }
    return 0;
}

void console_stop(struct console *c)
{
    uv_async_send(&c->quit);    /* the one libuv call that is safe from another thread */
    pthread_join(c->thread, NULL);
    uv_loop_close(&c->loop);
}
