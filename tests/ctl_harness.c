/* ctl_harness.c: a control-socket server on a real loop and a client thread
 * playing a scenario against it (ctl_harness.h). */
#include "ctl_harness.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dump.h"
#include "fsm.h"
#include "kit_test.h"

static void stop(struct harness *h)
{
    if (h->stopped)
        return;
    h->stopped = 1;
    ctlsrv_close(h->srv);
    uv_close((uv_handle_t *)&h->timer, NULL);
    /* Queries still out are answered after the close: the server drops the text. */
    while (h->nslow > 0)
        ctl_answer(h->slow[--h->nslow], "SLOW but too late");
}

static void on_slow(uv_timer_t *t)
{
    struct harness *h = t->data;
    int n = h->nslow;
    h->nslow = 0;
    for (int i = 0; i < n; i++)
        ctl_answer(h->slow[i], "SLOW");
}

static void handle(struct ctl_query *q, const struct ctl_req *req, void *data)
{
    struct harness *h = data;
    char text[DUMP_ROW_MAX];
    const struct keystate *ks;

    switch (req->cmd) {
    case CTL_GET:
        if (strcmp(req->key, "slow") == 0 && h->nslow < (int)(sizeof h->slow / sizeof h->slow[0])) {
            h->slow[h->nslow++] = q;
            if (!uv_is_active((uv_handle_t *)&h->timer))
                uv_timer_start(&h->timer, on_slow, SLOW_MS, 0);
            return;
        }
        if (!(ks = registry_find(h->reg, req->key, strlen(req->key))))
            ctl_answer(q, "ERR unknown key");
        else if (dump_row(ks, text, sizeof text) < 0)
            ctl_answer(q, "ERR row too long");
        else
            ctl_answer(q, text);
        return;
    case CTL_STATS:
        snprintf(text, sizeof text, "queries=%lu clients=%lu",
                 ctlsrv_queries(h->srv), ctlsrv_clients(h->srv));
        ctl_answer(q, text);
        return;
    case CTL_SHUTDOWN:
        ctl_answer(q, "OK");    /* first the answer, then the close */
        stop(h);
        return;
    case CTL_BAD:
        break;
    }
    h->bad_seen++;
    ctl_answer(q, "ERR the handler saw a bad line");
}

/* Record one answer (or the error that came instead) for the main thread. */
void got(struct harness *h, int rc, const char *answer)
{
    if (h->nans >= ANS_MAX)
        return;
    if (rc < 0)
        snprintf(h->ans[h->nans++], sizeof h->ans[0], "<%s>", strerror(errno));
    else
        snprintf(h->ans[h->nans++], sizeof h->ans[0], "%s", answer);
}

void ask(struct harness *h, int fd, const char *cmd)
{
    char a[1024];
    got(h, ctlclient_request(fd, cmd, a, sizeof a, T_MS), a);
}

void read_answer(struct harness *h, int fd)
{
    char a[1024];
    got(h, ctlclient_read_line(fd, a, sizeof a, T_MS), a);
}

static void *client_main(void *arg)
{
    struct harness *h = arg;
    char a[64];
    h->scenario(h);
    /* Whatever the scenario did, end the run (the server may be gone already). */
    ctl_request(h->path, "SHUTDOWN", a, sizeof a, T_MS);
    return NULL;
}

static void harness_start(struct harness *h)
{
    char err[256];
    struct keystate *ks;

    memset(h, 0, sizeof *h);
    h->fds_before = kit_count_fds_uv();
    ck_assert_ptr_nonnull(h->dir = kit_tmpdir());
    snprintf(h->path, sizeof h->path, "%s/ctl.sock", h->dir);
    ck_assert_int_eq(uv_loop_init(&h->loop), 0);
    ck_assert_int_eq(uv_timer_init(&h->loop, &h->timer), 0);
    h->timer.data = h;
    ck_assert_ptr_nonnull(h->reg = registry_new());
    ck_assert_ptr_nonnull(ks = registry_get(h->reg, "k1", 2));
    fsm_apply(ks, OP_START, 0);
    fsm_apply(ks, OP_DATA, 1.5);
    ck_assert_int_gt(dump_row(ks, h->row_k1, sizeof h->row_k1), 0);
    ck_assert_ptr_nonnull(ks = registry_get(h->reg, "k2", 2));
    ck_assert_int_gt(dump_row(ks, h->row_k2, sizeof h->row_k2), 0);
    h->srv = ctlsrv_start(&h->loop, h->path, 0, handle, h, err, sizeof err);
    ck_assert_msg(h->srv != NULL, "ctlsrv_start: expected a server, got '%s'", err);
}

/* Run the loop until the server has closed, then check that nothing is left. */
static void harness_finish(struct harness *h)
{
    struct stat st;
    uv_run(&h->loop, UV_RUN_DEFAULT);
    ck_assert_msg(uv_loop_close(&h->loop) == 0, "expected every handle closed, got UV_EBUSY");
    ck_assert_msg(lstat(h->path, &st) < 0 && errno == ENOENT,
                  "expected %s removed after close, it is still there", h->path);
    registry_free(h->reg);
    kit_rmtree(h->dir);
    free(h->dir);
    ck_assert_int_eq(h->bad_seen, 0);
    ck_assert_msg(kit_count_fds() == h->fds_before, "expected %d fds open, got %d",
                  h->fds_before, kit_count_fds());
}

/* The whole cycle: start, play the scenario on a thread, finish. */
void run_scenario(struct harness *h, void (*scenario)(struct harness *))
{
    pthread_t t;
    harness_start(h);
    h->scenario = scenario;
    ck_assert_int_eq(pthread_create(&t, NULL, client_main, h), 0);
    uv_run(&h->loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    harness_finish(h);
}
