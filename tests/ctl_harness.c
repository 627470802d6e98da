/* ctl_harness.c: a control-socket server on a real loop and a client thread
 * playing a scenario against it (ctl_harness.h). */
#include "ctl_harness.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "fsm.h"
#include "kit_test.h"

/* ------------------------------------------------------------------ the server */

static void answer_held(uv_async_t *a)
{
    struct harness *h = a->data;
    while (h->nheld > 0) {
        ctl_answer(h->held[h->nheld - 1], "OK held");
        __atomic_store_n(&h->nheld, h->nheld - 1, __ATOMIC_RELEASE);
    }
}

static void stop(struct harness *h)
{
    if (h->stopped)
        return;
    h->stopped = 1;
    answer_held(&h->release);
    uv_close((uv_handle_t *)&h->release, NULL);
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

/* GET: "slow" and "hold" stay out; any other key from the registry. */
static void get(struct harness *h, struct ctl_query *q, const char *key)
{
    char text[DUMP_ROW_MAX];
    const struct keystate *ks;
    if (strcmp(key, "slow") == 0 && h->nslow < (int)KIT_NELEM(h->slow)) {
        h->slow[h->nslow++] = q;
        if (!uv_is_active((uv_handle_t *)&h->timer))
            uv_timer_start(&h->timer, on_slow, SLOW_MS, 0);
    } else if (strcmp(key, "hold") == 0 && h->nheld < (int)KIT_NELEM(h->held)) {
        h->held[h->nheld] = q;              /* a connection with a line in progress */
        __atomic_store_n(&h->nheld, h->nheld + 1, __ATOMIC_RELEASE);
    } else if (!(ks = registry_find(h->reg, key, strlen(key)))) {
        ctl_answer(q, "ERR unknown key");
    } else if (dump_row(ks, text, sizeof text) < 0) {
        ctl_answer(q, "ERR row too long");
    } else {
        ctl_answer(q, text);
    }
}

static void handle(struct ctl_query *q, const struct ctl_req *req, void *data)
{
    struct harness *h = data;
    char text[128];
    switch (req->cmd) {
    case CTL_GET:
        get(h, q, req->key);
        return;
    case CTL_STATS:
        snprintf(text, sizeof text, "queries=%lu clients=%lu", ctlsrv_queries(h->srv), ctlsrv_clients(h->srv));
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

static void harness_start(struct harness *h, uint64_t idle_ms)
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
    ck_assert_int_eq(uv_async_init(&h->loop, &h->release, answer_held), 0);
    h->release.data = h;
    ck_assert_ptr_nonnull(h->reg = registry_new());
    ck_assert_ptr_nonnull(ks = registry_get(h->reg, "k1", 2));
    fsm_apply(ks, OP_START, 0);
    fsm_apply(ks, OP_DATA, 1.5);
    ck_assert_int_gt(dump_row(ks, h->row_k1, sizeof h->row_k1), 0);
    ck_assert_ptr_nonnull(ks = registry_get(h->reg, "k2", 2));
    ck_assert_int_gt(dump_row(ks, h->row_k2, sizeof h->row_k2), 0);
    h->srv = ctlsrv_start(&h->loop, h->path, 0, handle, h, err, sizeof err);
    ck_assert_msg(h->srv != NULL, "ctlsrv_start: expected a server, got '%s'", err);
    if (idle_ms)
        ctlsrv_set_idle_ms(h->srv, idle_ms);
}

/* Once the loop has run dry: check that nothing is left. */
static void harness_finish(struct harness *h)
{
    struct stat st;
    ck_assert_msg(h->stopped, "expected the run to end with SHUTDOWN");
    ck_assert_msg(uv_loop_close(&h->loop) == 0, "expected every handle closed, got UV_EBUSY");
    ck_assert_msg(lstat(h->path, &st) < 0 && errno == ENOENT,
                  "expected %s removed after close, it is still there", h->path);
    registry_free(h->reg);
    kit_rmtree(h->dir);
    free(h->dir);
    ck_assert_int_eq(h->bad_seen, 0);
    ck_assert_msg(kit_count_fds() == h->fds_before, "expected %d fds open, got %d", h->fds_before,
                  kit_count_fds());
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

void run_scenario_idle(struct harness *h, void (*scenario)(struct harness *), uint64_t idle_ms)
{
    pthread_t t;
    harness_start(h, idle_ms);
    h->scenario = scenario;
    ck_assert_int_eq(pthread_create(&t, NULL, client_main, h), 0);
    uv_run(&h->loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    harness_finish(h);
}

void run_scenario(struct harness *h, void (*scenario)(struct harness *))
{
    run_scenario_idle(h, scenario, 0);
}

/* ------------------------------------------------------------------ the client side */

void note(struct harness *h, const char *fmt, ...)
{
    if (h->nans >= ANS_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->ans[h->nans++], sizeof h->ans[0], fmt, ap);
    va_end(ap);
}

void got(struct harness *h, int rc, const char *answer)
{
    if (rc < 0)
        note(h, "<%s>", strerror(errno));
    else
        note(h, "%s", answer);
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

void probe(struct harness *h, const char *cmd)
{
    char a[DUMP_ROW_MAX];
    got(h, ctl_request(h->path, cmd, a, sizeof a, T_MS), a);
}

void probe_clients(struct harness *h, unsigned long clients)
{
    char a[128] = "", want[32];
    snprintf(want, sizeof want, " clients=%lu", clients);
    for (int tries = 0; tries < 300; tries++) {
        if (ctl_request(h->path, "STATS", a, sizeof a, T_MS) >= 0 && strstr(a, want))
            break;
        kit_sleep_ms(10);
    }
    note(h, "%s", strstr(a, " clients=") ? strstr(a, " clients=") + 1 : a);
}

int send_all(int fd, const void *p, size_t n, int ms)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno != EAGAIN && errno != EINTR)
                return -1;
            struct pollfd pf = { .fd = fd, .events = POLLOUT };
            if (poll(&pf, 1, ms) == 0) {
                errno = ETIMEDOUT;
                return -1;
            }
            continue;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

long read_lines(struct reader *r, long want, int ms, void (*fn)(struct harness *, const char *),
                struct harness *h)
{
    long n = 0;
    while (n < want) {
        struct pollfd pf = { .fd = r->fd, .events = POLLIN };
        if (poll(&pf, 1, ms) <= 0)
            break;
        ssize_t k = recv(r->fd, r->in + r->len, sizeof r->in - r->len, MSG_DONTWAIT);
        if (k <= 0)
            break;
        r->len += (size_t)k;
        char *start = r->in, *nl;
        while ((nl = memchr(start, '\n', r->len - (size_t)(start - r->in)))) {
            *nl = '\0';
            fn(h, start);
            n++;
            start = nl + 1;
        }
        r->len -= (size_t)(start - r->in);
        memmove(r->in, start, r->len);
    }
    return n;
}
