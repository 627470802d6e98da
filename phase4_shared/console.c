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
                 ctlloop_queries(&c->ctl), atomic_load(&f->crew->alive),
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

static void on_stop(void *data)
{
    stop_input(data);
}

int console_start(struct console *c, struct feeder *f, const char *path, unsigned flags,
                  char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->feeder = f;
    hist_init(&c->service);
    hist_init(&c->read);
    return ctlloop_start(&c->ctl, path, flags, on_query, on_stop, c, err, errlen);
}

void console_stop(struct console *c)
{
    ctlloop_stop(&c->ctl);
}
