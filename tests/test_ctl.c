/* test_ctl.c: the control socket (SPEC §5): the command parser by table, and the
 * server on a real libuv loop. The loop runs on the test's main thread; a client
 * thread plays one scenario through lib/ctlclient.h, records every answer, and
 * ends with SHUTDOWN, whose handler closes the server so that uv_run returns.
 * Then the test checks the answers, that every handle closed (uv_loop_close),
 * that the socket file is gone and that no fd leaked.
 *
 * The handler answers GET from a small registry, except "GET slow", which it
 * answers 150 ms later from a timer: that is how the tests make a query that is
 * still out while later commands arrive or the client hangs up. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "dump.h"
#include "fsm.h"
#include "kit_test.h"
#include "registry.h"

#define T_MS     3000           /* one client operation's limit */
#define SLOW_MS  150            /* how late "GET slow" is answered */
#define ANS_MAX  64             /* answers one scenario records */

#define K31 "abcdefghijklmnopqrstuvwxyz01234"

/* ------------------------------------------------------------------ ctl_parse */

struct parse_case {
    const char *line;
    size_t len;                 /* 0: strlen(line) */
    int cmd;
    const char *what;           /* the key for CTL_GET, the reason for CTL_BAD */
};

static const struct parse_case parse_cases[] = {
    { "GET k1", 0, CTL_GET, "k1" },
    { "GET k1\r", 0, CTL_GET, "k1" },
    { "GET a.b-c_D9", 0, CTL_GET, "a.b-c_D9" },
    { "GET " K31, 0, CTL_GET, K31 },
    { "STATS", 0, CTL_STATS, "" },
    { "STATS\r", 0, CTL_STATS, "" },
    { "SHUTDOWN", 0, CTL_SHUTDOWN, "" },
    { "SHUTDOWN\r", 0, CTL_SHUTDOWN, "" },
    { "", 0, CTL_BAD, "empty line" },
    { "\r", 0, CTL_BAD, "empty line" },
    { "GET", 0, CTL_BAD, "GET needs a key" },
    { "GET ", 0, CTL_BAD, "GET needs a key" },
    { "GET\r", 0, CTL_BAD, "GET needs a key" },
    { "GET  k1", 0, CTL_BAD, "bad key" },
    { "GET k1 ", 0, CTL_BAD, "bad key" },
    { "GET k1\r\r", 0, CTL_BAD, "bad key" },
    { "GET k/1", 0, CTL_BAD, "bad key" },
    { "GET " K31 "5", 0, CTL_BAD, "bad key" },
    { "GET k\0", 6, CTL_BAD, "bad key" },
    { "get k1", 0, CTL_BAD, "unknown command 'get'" },
    { "GETX k1", 0, CTL_BAD, "unknown command 'GETX'" },
    { "Stats", 0, CTL_BAD, "unknown command 'Stats'" },
    { "STATS now", 0, CTL_BAD, "STATS takes no argument" },
    { "STATS ", 0, CTL_BAD, "STATS takes no argument" },
    { "SHUTDOWN now", 0, CTL_BAD, "SHUTDOWN takes no argument" },
    { "HELLO world", 0, CTL_BAD, "unknown command 'HELLO'" },
    { "\x01\x7f\xff", 0, CTL_BAD, "unknown command '?\?\?'" },
    { "0123456789012345678901234567890123456789", 0, CTL_BAD,
      "unknown command '01234567890123456789012345678901...'" },
};

START_TEST(parse_table)
{
    const struct parse_case *pc = &parse_cases[_i];
    size_t len = pc->len ? pc->len : strlen(pc->line);
    struct ctl_req req;
    int rc = ctl_parse(pc->line, len, &req);

    ck_assert_msg((int)req.cmd == pc->cmd && rc == (pc->cmd == CTL_BAD ? -1 : 0),
                  "case %d: expected cmd %d, got %d (rc %d, why '%s')", _i, pc->cmd, req.cmd, rc, req.why);
    if (pc->cmd == CTL_GET)
        ck_assert_msg(strcmp(req.key, pc->what) == 0, "case %d: expected key '%s', got '%s'",
                      _i, pc->what, req.key);
    if (pc->cmd == CTL_BAD)
        ck_assert_msg(strcmp(req.why, pc->what) == 0, "case %d: expected why '%s', got '%s'",
                      _i, pc->what, req.why);
}
END_TEST

START_TEST(parse_length_limit)
{
    char line[CTL_LINE_MAX + 2];
    struct ctl_req req;
    /* Exactly CTL_LINE_MAX bytes is judged on its content; one more is too long,
     * and a '\r' counts: the server cuts lines by the same measure. */
    memset(line, 'k', sizeof line);
    memcpy(line, "GET ", 4);
    ck_assert_int_eq(ctl_parse(line, CTL_LINE_MAX, &req), -1);
    ck_assert_str_eq(req.why, "bad key");
    ck_assert_int_eq(ctl_parse(line, CTL_LINE_MAX + 1, &req), -1);
    ck_assert_str_eq(req.why, "line too long");
    memcpy(line + CTL_LINE_MAX - 5, "STATS", 5);
    ck_assert_int_eq(ctl_parse(line, CTL_LINE_MAX, &req), -1);
}
END_TEST

/* ------------------------------------------------------------------ the harness */

struct harness {
    uv_loop_t loop;
    uv_timer_t timer;
    struct ctlsrv *srv;
    struct registry *reg;
    char *dir;
    char path[256];
    struct ctl_query *slow[CTL_CONN_MAX * 4];
    int nslow;
    int stopped;
    int bad_seen;               /* lines the handler should never have seen */
    int fds_before;
    void (*scenario)(struct harness *);
    char ans[ANS_MAX][1024];    /* what the client got, in order */
    int nans;
    char row_k1[DUMP_ROW_MAX], row_k2[DUMP_ROW_MAX];
};

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
static void got(struct harness *h, int rc, const char *answer)
{
    if (h->nans >= ANS_MAX)
        return;
    if (rc < 0)
        snprintf(h->ans[h->nans++], sizeof h->ans[0], "<%s>", strerror(errno));
    else
        snprintf(h->ans[h->nans++], sizeof h->ans[0], "%s", answer);
}

static void ask(struct harness *h, int fd, const char *cmd)
{
    char a[1024];
    got(h, ctlclient_request(fd, cmd, a, sizeof a, T_MS), a);
}

static void read_answer(struct harness *h, int fd)
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
static void run_scenario(struct harness *h, void (*scenario)(struct harness *))
{
    pthread_t t;
    harness_start(h);
    h->scenario = scenario;
    ck_assert_int_eq(pthread_create(&t, NULL, client_main, h), 0);
    uv_run(&h->loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    harness_finish(h);
}

static struct harness H;        /* big (the answers): static, not on the stack */

#define ANSWER(i, want) \
    ck_assert_msg(H.nans > (i) && strcmp(H.ans[i], (want)) == 0, \
                  "answer %d: expected '%s', got '%s'", (i), (want), H.nans > (i) ? H.ans[i] : "(none)")
#define ANSWER_PREFIX(i, want) \
    ck_assert_msg(H.nans > (i) && strncmp(H.ans[i], (want), strlen(want)) == 0, \
                  "answer %d: expected '%s...', got '%s'", (i), (want), H.nans > (i) ? H.ans[i] : "(none)")

/* ------------------------------------------------------------------ scenarios */

static void sc_pipelined(struct harness *h)
{
    int fd = ctlclient_open(h->path, T_MS);
    /* Five commands in one write; the slow one holds the two behind it. */
    if (fd < 0 || ctlclient_send(fd, "GET k1\nSTATS\nGET nokey\nGET slow\nGET k2", T_MS) < 0) {
        got(h, -1, NULL);
        return;
    }
    for (int i = 0; i < 5; i++)
        read_answer(h, fd);
    close(fd);
}

START_TEST(pipelined_in_order)
{
    run_scenario(&H, sc_pipelined);
    ck_assert_int_eq(H.nans, 5);
    ANSWER(0, H.row_k1);
    ANSWER_PREFIX(1, "queries=");
    ck_assert_msg(strstr(H.ans[1], " clients=1"), "expected clients=1 in '%s'", H.ans[1]);
    ANSWER(2, "ERR unknown key");
    ANSWER(3, "SLOW");
    ANSWER(4, H.row_k2);
}
END_TEST

static void sc_garbage(struct harness *h)
{
    int fd = ctlclient_open(h->path, T_MS);
    static const char *const lines[] = {
        "HELLO", "get k1", "GET", "GET bad/key", "", "STATS now", "\x01\x7f", "GET k1", "STATS\r",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        ask(h, fd, lines[i]);
    close(fd);
}

START_TEST(garbage_gets_err_and_connection_stays)
{
    run_scenario(&H, sc_garbage);
    ANSWER(0, "ERR unknown command 'HELLO'");
    ANSWER(1, "ERR unknown command 'get'");
    ANSWER(2, "ERR GET needs a key");
    ANSWER(3, "ERR bad key");
    ANSWER(4, "ERR empty line");
    ANSWER(5, "ERR STATS takes no argument");
    ANSWER(6, "ERR unknown command '?\?'");
    ANSWER(7, H.row_k1);
    ANSWER_PREFIX(8, "queries=9 ");     /* bad lines count as received */
}
END_TEST

static void sc_long_lines(struct harness *h)
{
    static char big[100000];
    char edge[CTL_LINE_MAX + 1];
    int fd = ctlclient_open(h->path, T_MS);

    memset(edge, 'A', sizeof edge - 1);
    edge[CTL_LINE_MAX] = '\0';
    ask(h, fd, edge);                   /* exactly the limit: judged on content */
    edge[CTL_LINE_MAX - 1] = '\0';
    memcpy(edge, "GET ", 4);
    ask(h, fd, edge);                   /* GET with a 507-byte key */
    memset(big, 'B', sizeof big - 1);
    big[CTL_LINE_MAX + 1] = '\0';
    ask(h, fd, big);                    /* one byte over */
    big[CTL_LINE_MAX + 1] = 'B';
    ask(h, fd, big);                    /* 100 KB, discarded up to its newline */
    ask(h, fd, "GET k1");
    close(fd);
}

START_TEST(long_line_discarded_to_newline)
{
    run_scenario(&H, sc_long_lines);
    ck_assert_int_eq(H.nans, 5);
    ck_assert_msg(strncmp(H.ans[0], "ERR unknown command 'AAAA", 25) == 0, "got '%s'", H.ans[0]);
    ANSWER(1, "ERR bad key");
    ANSWER(2, "ERR line too long");
    ANSWER(3, "ERR line too long");
    ANSWER(4, H.row_k1);
}
END_TEST

static void sc_conn_cap(struct harness *h)
{
    int fds[CTL_CONN_MAX];
    char a[128];

    for (int i = 0; i < CTL_CONN_MAX; i++) {
        fds[i] = ctlclient_open(h->path, T_MS);
        if (ctlclient_request(fds[i], "STATS", a, sizeof a, T_MS) < 0) {
            got(h, -1, NULL);
            return;
        }
    }
    got(h, 0, a);                                       /* 0: the 32nd STATS */
    /* A 33rd client takes the slot of the one idle longest: fds[0]. */
    int extra = ctlclient_open(h->path, T_MS);
    if (ctlclient_request(extra, "STATS", a, sizeof a, T_MS) < 0)
        got(h, -1, NULL);
    else
        got(h, 0, a);                                   /* 1: admitted */
    read_answer(h, fds[0]);                             /* 2: told why */
    read_answer(h, fds[0]);                             /* 3: then closed */
    close(extra);
    for (int i = 0; i < CTL_CONN_MAX; i++)
        close(fds[i]);
}

START_TEST(connection_cap)
{
    char want[64];
    run_scenario(&H, sc_conn_cap);
    snprintf(want, sizeof want, " clients=%d", CTL_CONN_MAX);
    ck_assert_msg(strstr(H.ans[0], want), "expected '%s' in '%s'", want, H.ans[0]);
    ck_assert_msg(strstr(H.ans[1], want), "expected the 33rd client admitted ('%s') in '%s'",
                  want, H.ans[1]);
    ANSWER(2, "ERR closed: the connection table is full and you were idle longest");
    ck_assert_msg(strcmp(H.ans[3], "<Connection reset by peer>") == 0,
                  "expected the evicted connection closed, got '%s'", H.ans[3]);
}
END_TEST

static void sc_hangup_pending(struct harness *h)
{
    int fd = ctlclient_open(h->path, T_MS);
    char a[128];
    ctlclient_send(fd, "GET slow", T_MS);
    close(fd);                                          /* gone with its query out */
    fd = ctlclient_open(h->path, T_MS);
    ask(h, fd, "GET slow");                             /* 0: answered with the orphan */
    for (int tries = 0; tries < 200; tries++) {         /* until the orphan's close is seen */
        if (ctlclient_request(fd, "STATS", a, sizeof a, T_MS) < 0 || strstr(a, " clients=1"))
            break;
        nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
    }
    got(h, 0, a);                                       /* 1 */
    close(fd);
}

START_TEST(client_leaves_with_query_pending)
{
    run_scenario(&H, sc_hangup_pending);
    ANSWER(0, "SLOW");
    ck_assert_msg(strstr(H.ans[1], " clients=1"), "expected clients=1, got '%s'", H.ans[1]);
}
END_TEST

static void sc_shutdown_pending(struct harness *h)
{
    int a = ctlclient_open(h->path, T_MS), b = ctlclient_open(h->path, T_MS);
    char s[128];
    ctlclient_send(a, "GET slow\nSTATS", T_MS);
    /* Wait until the server has both of a's lines (b's STATS is the third). */
    for (int tries = 0; tries < 200; tries++) {
        if (ctlclient_request(b, "STATS", s, sizeof s, T_MS) < 0 || strtoul(s + 8, NULL, 10) >= 3)
            break;
        nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
    }
    ask(h, b, "SHUTDOWN");                              /* 0 */
    read_answer(h, a);                                  /* 1: the slow GET */
    read_answer(h, a);                                  /* 2: the STATS behind it */
    read_answer(h, a);                                  /* 3: then EOF */
    read_answer(h, b);                                  /* 4: b closed too */
    close(a);
    close(b);
}

START_TEST(shutdown_answers_pending)
{
    run_scenario(&H, sc_shutdown_pending);
    ANSWER(0, "OK");
    ANSWER(1, "ERR shutting down");
    ANSWER(2, "ERR shutting down");
    ANSWER(3, "<Connection reset by peer>");
    ANSWER(4, "<Connection reset by peer>");
}
END_TEST

static void sc_eof_without_newline(struct harness *h)
{
    int fd = ctlclient_open(h->path, T_MS);
    if (send(fd, "GET k2", 6, MSG_NOSIGNAL) != 6 || shutdown(fd, SHUT_WR) < 0) {
        got(h, -1, NULL);
        return;
    }
    read_answer(h, fd);
    read_answer(h, fd);
    close(fd);
}

START_TEST(eof_last_line_answered)
{
    run_scenario(&H, sc_eof_without_newline);
    ANSWER(0, H.row_k2);
    ANSWER(1, "<Connection reset by peer>");
}
END_TEST

/* Send FLOOD_N commands without waiting for answers, reading whatever comes
 * meanwhile: the server stops reading while answers pile up, so a client that
 * only sent would stall; one that also reads must get every answer, in order. */
#define FLOOD_N 20000

static void sc_flood(struct harness *h)
{
    int fd = ctlclient_open(h->path, T_MS);
    static char out[FLOOD_N * 7];
    static char in[1 << 16];
    size_t sent = 0, inlen = 0;
    long answers = 0, wrong = 0;

    for (int i = 0; i < FLOOD_N; i++)
        memcpy(out + 7 * i, "GET k1\n", 7);
    while (answers < FLOOD_N) {
        struct pollfd p = { .fd = fd, .events = POLLIN | (sent < sizeof out ? POLLOUT : 0) };
        if (poll(&p, 1, T_MS) <= 0)
            break;
        if (p.revents & POLLOUT) {
            ssize_t w = send(fd, out + sent, sizeof out - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0)
                sent += (size_t)w;
        }
        if (p.revents & (POLLIN | POLLHUP)) {
            ssize_t r = recv(fd, in + inlen, sizeof in - inlen, MSG_DONTWAIT);
            if (r <= 0)
                break;
            inlen += (size_t)r;
            char *start = in, *nl;
            while ((nl = memchr(start, '\n', inlen - (size_t)(start - in)))) {
                *nl = '\0';
                wrong += strcmp(start, h->row_k1) != 0;
                answers++;
                start = nl + 1;
            }
            inlen -= (size_t)(start - in);
            memmove(in, start, inlen);
        }
    }
    snprintf(h->ans[0], sizeof h->ans[0], "answers=%ld wrong=%ld", answers, wrong);
    h->nans = 1;
    close(fd);
}

START_TEST(flood_pipelined)
{
    char want[64];
    run_scenario(&H, sc_flood);
    snprintf(want, sizeof want, "answers=%d wrong=0", FLOOD_N);
    ANSWER(0, want);
}
END_TEST

static void sc_kitctl(struct harness *h)
{
    struct kit_run r;
    if (kit_run(&r, NULL, 10, kit_bin("kitctl"), h->path, "GET k1", "FOO", "GET nope", "STATS",
                (char *)NULL) == 0) {
        snprintf(h->ans[h->nans++], sizeof h->ans[0], "%d", r.status);
        snprintf(h->ans[h->nans++], sizeof h->ans[0], "%s", r.out);
        kit_run_free(&r);
    }
    if (kit_run(&r, "GET k2\nSHUTDOWN\n", 10, kit_bin("kitctl"), h->path, (char *)NULL) == 0) {
        snprintf(h->ans[h->nans++], sizeof h->ans[0], "%d", r.status);
        snprintf(h->ans[h->nans++], sizeof h->ans[0], "%s", r.out);
        kit_run_free(&r);
    }
}

START_TEST(kitctl_program)
{
    char want[1024];
    run_scenario(&H, sc_kitctl);
    ANSWER(0, "0");
    snprintf(want, sizeof want, "%s\nERR unknown command 'FOO'\nERR unknown key\nqueries=4 clients=1\n",
             H.row_k1);
    ANSWER(1, want);
    ANSWER(2, "0");
    snprintf(want, sizeof want, "%s\nOK\n", H.row_k2);
    ANSWER(3, want);
    ck_assert(!kit_children_alive());
}
END_TEST

START_TEST(kitctl_errors)
{
    struct kit_run r;
    int fds = kit_count_fds();
    ck_assert_int_eq(kit_run(&r, NULL, 10, kit_bin("kitctl"), "/nonexistent/ctl.sock", "STATS",
                             (char *)NULL), 0);
    ck_assert_msg(r.status == 1, "expected exit 1, got %d", r.status);
    ck_assert_msg(strstr(r.err, "kitctl: cannot connect to /nonexistent/ctl.sock: No such file"),
                  "expected 'cannot connect', got '%s'", r.err);
    kit_run_free(&r);
    ck_assert_int_eq(kit_run(&r, NULL, 10, kit_bin("kitctl"), (char *)NULL), 0);
    ck_assert_msg(r.status == 2 && strstr(r.err, "Usage: kitctl PATH"),
                  "expected exit 2 and the usage, got %d '%s'", r.status, r.err);
    kit_run_free(&r);
    ck_assert_int_eq(kit_count_fds(), fds);
    ck_assert(!kit_children_alive());
}
END_TEST

/* ------------------------------------------------------------------ the socket file */

static void noop_handler(struct ctl_query *q, const struct ctl_req *req, void *data)
{
    (void)req, (void)data;
    ctl_answer(q, "OK");
}

/* Close srv, run the loop dry and check the loop has nothing left. */
static void close_and_drain(uv_loop_t *loop, struct ctlsrv *srv)
{
    if (srv)
        ctlsrv_close(srv);
    uv_run(loop, UV_RUN_DEFAULT);
    ck_assert_msg(uv_loop_close(loop) == 0, "expected every handle closed, got UV_EBUSY");
}

START_TEST(live_socket_refused)
{
    int fds = kit_count_fds_uv();
    char *dir = kit_tmpdir(), path[256], err[256];
    struct stat before, after;
    uv_loop_t loop;

    snprintf(path, sizeof path, "%s/ctl.sock", dir);
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    struct ctlsrv *first = ctlsrv_start(&loop, path, 0, noop_handler, NULL, err, sizeof err);
    ck_assert_msg(first, "first server: %s", err);
    ck_assert_int_eq(lstat(path, &before), 0);
    errno = 0;
    struct ctlsrv *second = ctlsrv_start(&loop, path, 0, noop_handler, NULL, err, sizeof err);
    ck_assert_ptr_null(second);
    ck_assert_int_eq(errno, EADDRINUSE);
    char want[300];
    snprintf(want, sizeof want, "another run is listening on %s", path);
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(lstat(path, &after), 0);
    ck_assert_msg(before.st_ino == after.st_ino, "the live socket file was replaced");
    close_and_drain(&loop, first);
    ck_assert_int_eq(access(path, F_OK), -1);
    kit_rmtree(dir);
    free(dir);
    ck_assert_int_eq(kit_count_fds(), fds);
}
END_TEST

START_TEST(stale_socket_replaced)
{
    int fds = kit_count_fds_uv();
    char *dir = kit_tmpdir(), err[256];
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    uv_loop_t loop;

    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/ctl.sock", dir);
    /* A socket file whose owner died: bound, never unlinked, nobody listening. */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd);
    ck_assert_int_eq(lstat(sa.sun_path, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));

    ck_assert_int_eq(uv_loop_init(&loop), 0);
    struct ctlsrv *s = ctlsrv_start(&loop, sa.sun_path, 0, noop_handler, NULL, err, sizeof err);
    ck_assert_msg(s, "expected the stale socket replaced, got '%s'", err);
    /* Live now: a connect succeeds (an inode number could be reused, so not that). */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0,
                  "expected the new socket to accept, got %s", strerror(errno));
    close(fd);
    close_and_drain(&loop, s);
    ck_assert_int_eq(access(sa.sun_path, F_OK), -1);
    kit_rmtree(dir);
    free(dir);
    ck_assert_int_eq(kit_count_fds(), fds);
}
END_TEST

START_TEST(non_socket_refused)
{
    int fds = kit_count_fds_uv();
    char *dir = kit_tmpdir(), path[256], link[256], err[256], want[300];
    uv_loop_t loop;

    ck_assert_int_eq(uv_loop_init(&loop), 0);
    /* A regular file, a directory, a symlink: none is ours to remove. */
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    ck_assert_int_eq(kit_write_file(path, "keep me\n"), 0);
    errno = 0;
    ck_assert_ptr_null(ctlsrv_start(&loop, path, 0, noop_handler, NULL, err, sizeof err));
    ck_assert_int_eq(errno, EEXIST);
    snprintf(want, sizeof want, "%s exists and is not a socket", path);
    ck_assert_str_eq(err, want);
    char *text = kit_read_file(path, NULL);
    ck_assert_str_eq(text, "keep me\n");
    free(text);

    ck_assert_ptr_null(ctlsrv_start(&loop, dir, 0, noop_handler, NULL, err, sizeof err));
    ck_assert_msg(strstr(err, "exists and is not a socket"), "directory: got '%s'", err);

    snprintf(link, sizeof link, "%s/link.sock", dir);
    ck_assert_int_eq(symlink(path, link), 0);
    ck_assert_ptr_null(ctlsrv_start(&loop, link, 0, noop_handler, NULL, err, sizeof err));
    ck_assert_msg(strstr(err, "exists and is not a socket"), "symlink: got '%s'", err);
    close_and_drain(&loop, NULL);
    kit_rmtree(dir);
    free(dir);
    ck_assert_int_eq(kit_count_fds(), fds);
}
END_TEST

START_TEST(path_too_long)
{
    char path[300], err[512];
    uv_loop_t loop;
    memset(path, 'x', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = '\0';
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    errno = 0;
    ck_assert_ptr_null(ctlsrv_start(&loop, path, 0, noop_handler, NULL, err, sizeof err));
    ck_assert_int_eq(errno, ENAMETOOLONG);
    ck_assert_msg(strstr(err, "is 299 bytes; a UNIX socket path must be 1 to 107"),
                  "expected the length and the limit, got '%s'", err);
    close_and_drain(&loop, NULL);
}
END_TEST

START_TEST(socket_mode_0600)
{
    char *dir = kit_tmpdir(), path[256], err[256];
    struct stat st;
    uv_loop_t loop;

    snprintf(path, sizeof path, "%s/ctl.sock", dir);
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    mode_t old = umask(0);      /* the most permissive umask a user could have */
    struct ctlsrv *s = ctlsrv_start(&loop, path, 0, noop_handler, NULL, err, sizeof err);
    ck_assert_msg(umask(old) == 0, "expected ctlsrv_start to restore the umask");
    ck_assert_msg(s, "%s", err);
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert_msg((st.st_mode & 07777) == 0600, "expected mode 0600, got %04o",
                  (unsigned)(st.st_mode & 07777));
    close_and_drain(&loop, s);
    kit_rmtree(dir);
    free(dir);
}
END_TEST

/* ------------------------------------------------------------------ the private directory */

/* Mode bits of path (lstat), or -1 if it is not there. */
static int mode_of(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* A missing directory is made 0700, even under a umask that would take the
 * owner's bits, and removed again by ctl_private_dir_remove. */
START_TEST(private_dir_created_and_removed)
{
    char *dir = kit_tmpdir(), sub[256], sock[300], err[256];
    struct ctl_dir made;

    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(sock, sizeof sock, "%s//ctl.sock", sub);     /* a doubled slash is still sub */
    mode_t old = umask(0177);
    int rc = ctl_private_dir(sock, &made, err, sizeof err);
    umask(old);
    ck_assert_msg(rc == 0, "expected the directory made, got '%s'", err);
    ck_assert_str_eq(made.path, sub);
    struct stat st;
    ck_assert(lstat(sub, &st) == 0 && S_ISDIR(st.st_mode));
    ck_assert_msg(mode_of(sub) == 0700, "expected %s mode 0700, got %04o", sub, mode_of(sub));
    ctl_private_dir_remove(&made);
    ck_assert_msg(access(sub, F_OK) != 0, "expected %s removed", sub);
    ck_assert_str_eq(made.path, "");
    ctl_private_dir_remove(&made);                          /* twice: a no-op */
    kit_rmtree(dir);
    free(dir);
}
END_TEST

/* An existing directory that is ours and 0700 is used and left alone; the
 * components above it resolve as usual (a symlinked parent is fine). */
START_TEST(private_dir_existing_kept)
{
    char *dir = kit_tmpdir(), real[256], link[256], sub[300], sock[350], err[256];
    struct ctl_dir made;

    snprintf(real, sizeof real, "%s/real", dir);
    snprintf(link, sizeof link, "%s/link", dir);
    snprintf(sub, sizeof sub, "%s/sub", link);
    snprintf(sock, sizeof sock, "%s/ctl.sock", sub);
    ck_assert_int_eq(mkdir(real, 0755), 0);
    ck_assert_int_eq(symlink(real, link), 0);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    ck_assert_msg(ctl_private_dir(sock, &made, err, sizeof err) == 0, "expected it accepted, got '%s'", err);
    ck_assert_msg(made.path[0] == '\0', "expected no directory made, got '%s'", made.path);
    ctl_private_dir_remove(&made);
    ck_assert_msg(mode_of(sub) == 0700, "expected the existing directory kept at 0700, got %04o", mode_of(sub));

    /* Through a symlinked parent, a missing one is made in the real parent. */
    ck_assert_int_eq(rmdir(sub), 0);
    ck_assert_msg(ctl_private_dir(sock, &made, err, sizeof err) == 0, "expected it made, got '%s'", err);
    snprintf(sub, sizeof sub, "%s/sub", real);
    ck_assert_msg(mode_of(sub) == 0700, "expected %s made 0700, got %04o", sub, mode_of(sub));
    ctl_private_dir_remove(&made);
    ck_assert_int_eq(mode_of(sub), -1);
    kit_rmtree(dir);
    free(dir);
}
END_TEST

/* Refused, and left exactly as it was: a directory others may enter (group or
 * other bits), one that is a symlink (even to a private directory of ours),
 * one owned by someone else (root only: chown), a file, and paths without a
 * directory of their own. */
START_TEST(private_dir_refused)
{
    char *dir = kit_tmpdir(), sub[256], sock[300], target[256], err[256];
    struct ctl_dir made;
    static const int open_modes[] = { 0755, 0750, 0710, 0701, 0707 };

    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(sock, sizeof sock, "%s/ctl.sock", sub);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    for (size_t i = 0; i < KIT_NELEM(open_modes); i++) {
        char want[16];
        ck_assert_int_eq(chmod(sub, (mode_t)open_modes[i]), 0);
        errno = 0;
        ck_assert_int_eq(ctl_private_dir(sock, &made, err, sizeof err), -1);
        ck_assert_int_eq(errno, EPERM);
        snprintf(want, sizeof want, "mode %04o", open_modes[i]);
        ck_assert_msg(strstr(err, want) && strstr(err, "others can enter it"),
                      "mode %04o: expected '%s' in the reason, got '%s'", open_modes[i], want, err);
        ck_assert_int_eq(mode_of(sub), open_modes[i]);
    }

    if (geteuid() == 0) {       /* only root can give a directory away */
        ck_assert_int_eq(chmod(sub, 0700), 0);
        ck_assert_int_eq(chown(sub, 65534, 65534), 0);
        errno = 0;
        ck_assert_int_eq(ctl_private_dir(sock, &made, err, sizeof err), -1);
        ck_assert_int_eq(errno, EPERM);
        ck_assert_msg(strstr(err, "belongs to uid 65534"), "expected the owner named, got '%s'", err);
    }

    ck_assert_int_eq(rmdir(sub), 0);
    snprintf(target, sizeof target, "%s/target", dir);
    ck_assert_int_eq(mkdir(target, 0700), 0);
    ck_assert_int_eq(symlink(target, sub), 0);
    errno = 0;
    ck_assert_int_eq(ctl_private_dir(sock, &made, err, sizeof err), -1);
    ck_assert_int_eq(errno, ENOTDIR);
    ck_assert_msg(strstr(err, "is not a directory (a symlink?)"), "symlink: got '%s'", err);

    ck_assert_int_eq(unlink(sub), 0);
    ck_assert_int_eq(kit_write_file(sub, "keep me\n"), 0);
    snprintf(sock, sizeof sock, "%s/ctl.sock", sub);
    errno = 0;
    ck_assert_int_eq(ctl_private_dir(sock, &made, err, sizeof err), -1);
    ck_assert_int_eq(errno, ENOTDIR);

    static const char *const no_dir[] = { "ctl.sock", "/ctl.sock", "//ctl.sock" };
    for (size_t i = 0; i < KIT_NELEM(no_dir); i++) {
        errno = 0;
        ck_assert_int_eq(ctl_private_dir(no_dir[i], &made, err, sizeof err), -1);
        ck_assert_msg(errno == EINVAL && strstr(err, "inside a directory of its own"),
                      "%s: expected EINVAL and the reason, got %s: '%s'", no_dir[i], strerror(errno), err);
    }
    kit_rmtree(dir);
    free(dir);
}
END_TEST

/* ctlsrv_start with CTLSRV_PRIVATE: directory 0700, socket 0600, both gone on
 * close; an existing private directory stays; a refused one gets no socket. */
START_TEST(server_private_dir)
{
    int fds = kit_count_fds_uv();
    char *dir = kit_tmpdir(), sub[256], sock[300], err[256];
    uv_loop_t loop;

    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(sock, sizeof sock, "%s/ctl.sock", sub);
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    struct ctlsrv *s = ctlsrv_start(&loop, sock, CTLSRV_PRIVATE, noop_handler, NULL, err, sizeof err);
    ck_assert_msg(s, "expected a server, got '%s'", err);
    ck_assert_msg(mode_of(sub) == 0700, "expected the directory 0700, got %04o", mode_of(sub));
    ck_assert_msg(mode_of(sock) == 0600, "expected the socket 0600, got %04o", mode_of(sock));
    close_and_drain(&loop, s);
    ck_assert_msg(mode_of(sock) == -1 && mode_of(sub) == -1, "expected socket and directory gone");

    /* Ours already: used, and only the socket goes. */
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    s = ctlsrv_start(&loop, sock, CTLSRV_PRIVATE, noop_handler, NULL, err, sizeof err);
    ck_assert_msg(s, "expected a server, got '%s'", err);
    close_and_drain(&loop, s);
    ck_assert_msg(mode_of(sock) == -1 && mode_of(sub) == 0700, "expected the socket gone, the directory kept");

    /* Open to others: refused before anything is created in it. */
    ck_assert_int_eq(chmod(sub, 0755), 0);
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    errno = 0;
    ck_assert_ptr_null(ctlsrv_start(&loop, sock, CTLSRV_PRIVATE, noop_handler, NULL, err, sizeof err));
    ck_assert_int_eq(errno, EPERM);
    ck_assert_msg(strstr(err, "0755"), "expected the mode named, got '%s'", err);
    ck_assert_msg(mode_of(sock) == -1 && mode_of(sub) == 0755, "the refused directory was touched");
    close_and_drain(&loop, NULL);
    ck_assert_int_eq(rmdir(sub), 0);

    /* A server that fails to start removes the directory it made. "DIR/sub/"
     * names the directory sub (made) as the socket, which is then refused. */
    snprintf(sock, sizeof sock, "%s/", sub);
    ck_assert_int_eq(uv_loop_init(&loop), 0);
    errno = 0;
    ck_assert_ptr_null(ctlsrv_start(&loop, sock, CTLSRV_PRIVATE, noop_handler, NULL, err, sizeof err));
    ck_assert_msg(errno == EEXIST && strstr(err, "exists and is not a socket"),
                  "expected EEXIST, got %s: '%s'", strerror(errno), err);
    close_and_drain(&loop, NULL);
    ck_assert_msg(mode_of(sub) == -1, "expected the directory made for the failed server removed");
    kit_rmtree(dir);
    free(dir);
    ck_assert_int_eq(kit_count_fds(), fds);
}
END_TEST

/* ------------------------------------------------------------------ the suite */

static Suite *ctl_suite(void)
{
    const struct kit_case cases[] = {
        { "parse_length_limit", parse_length_limit, 5 },
        { "pipelined_in_order", pipelined_in_order, 10 },
        { "garbage_gets_err_and_connection_stays", garbage_gets_err_and_connection_stays, 10 },
        { "long_line_discarded_to_newline", long_line_discarded_to_newline, 10 },
        { "connection_cap", connection_cap, 15 },
        { "client_leaves_with_query_pending", client_leaves_with_query_pending, 10 },
        { "shutdown_answers_pending", shutdown_answers_pending, 10 },
        { "eof_last_line_answered", eof_last_line_answered, 10 },
        { "flood_pipelined", flood_pipelined, 20 },
        { "kitctl_program", kitctl_program, 20 },
        { "kitctl_errors", kitctl_errors, 20 },
        { "live_socket_refused", live_socket_refused, 10 },
        { "stale_socket_replaced", stale_socket_replaced, 10 },
        { "non_socket_refused", non_socket_refused, 10 },
        { "path_too_long", path_too_long, 5 },
        { "socket_mode_0600", socket_mode_0600, 5 },
        { "private_dir_created_and_removed", private_dir_created_and_removed, 5 },
        { "private_dir_existing_kept", private_dir_existing_kept, 5 },
        { "private_dir_refused", private_dir_refused, 5 },
        { "server_private_dir", server_private_dir, 10 },
    };
    Suite *s = kit_suite("ctl", cases, KIT_NELEM(cases));
    tcase_add_loop_test(kit_tcase(s, "parse_table", 5), parse_table, 0, (int)KIT_NELEM(parse_cases));
    return s;
}

KIT_TEST_MAIN(ctl_suite)
