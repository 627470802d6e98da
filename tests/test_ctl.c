/* test_ctl.c: the control socket (SPEC §5): the command parser by table, and the
 * server's protocol on a real libuv loop, one scenario per test played by a
 * client thread (ctl_harness.h: the loop, the handler with its delayed
 * "GET slow", the checks that nothing is left); then the answers recorded are
 * checked here. The socket file and its folder are test_ctl_socket.c's. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_harness.h"
#include "kit_test.h"
#include "registry.h"

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
    };
    Suite *s = kit_suite("ctl", cases, KIT_NELEM(cases));
    tcase_add_loop_test(kit_tcase(s, "parse_table", 5), parse_table, 0, (int)KIT_NELEM(parse_cases));
    return s;
}

KIT_TEST_MAIN(ctl_suite)
