/* test_ctl_hostile.c: the control socket server (lib/ctlsrv.c) against clients
 * that misbehave: random garbage, a half-sent line and then silence, 64
 * connections at once (the idlest evicted), a full table of busy clients, a
 * silent client past the idle limit, a flood of 100k lines from a client that never reads,
 * NUL bytes and lines of megabytes, clients that hang up with answers due.
 * After each: the server still answers a well-behaved client, every handle
 * closed, the socket file is gone and no fd leaked.
 *
 * The server, its handler ("GET hold" keeps a query out until released) and the
 * client thread are ctl_harness.h's, as for test_ctl.c; the scenarios here
 * speak through plain sockets and lib/ctlclient.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_harness.h"
#include "dump.h"
#include "kit_test.h"
#include "source.h"

#define MANY      64            /* connections opened at once (twice CTL_CONN_MAX) */
#define FLOOD_N   100000        /* lines of the flood */

static struct harness H;        /* big: static, not on the stack */

#define NOTE(i, want) \
    ck_assert_msg(H.nans > (i) && strcmp(H.ans[i], (want)) == 0, \
                  "note %d: expected '%s', got '%s'", (i), (want), H.nans > (i) ? H.ans[i] : "(none)")

/* ------------------------------------------------------------------ scenarios */

/* n[0] lines sent, n[1] answers, n[2] answers not starting "ERR ", n[3] last
 * answer is the k1 row. */
static void count_err(struct harness *h, const char *line)
{
    h->n[1]++;
    h->n[2] += strncmp(line, "ERR ", 4) != 0;
    h->n[3] = strcmp(line, h->row_k1) == 0;
}

static void sc_garbage(struct harness *h)
{
    static uint8_t junk[64 << 10];
    struct rng rng;
    rng_seed(&rng, 8);
    for (size_t i = 0; i < sizeof junk; i++) {
        uint64_t x = rng_next(&rng);
        /* Mostly any byte; newlines often enough that lines are short and long. */
        junk[i] = (x & 0x3f) == 0 ? '\n' : (uint8_t)(x >> 8);
        h->n[0] += junk[i] == '\n';
    }
    static struct reader r;
    r.fd = ctlclient_open(h->path, T_MS);
    r.len = 0;
    /* Send while reading, as a client that reads must always be served. */
    static const char tail[] = "\nGET k1\n";      /* ends the last junk line, then a command */
    h->n[0] += 2;
    for (size_t sent = 0; sent < sizeof junk;) {
        size_t chunk = sizeof junk - sent < 4096 ? sizeof junk - sent : 4096;
        if (send_all(r.fd, junk + sent, chunk, T_MS) < 0) {
            note(h, "<send: %s>", strerror(errno));
            break;
        }
        sent += chunk;
        read_lines(&r, 1, 0, count_err, h);     /* whatever is there already */
    }
    send_all(r.fd, tail, sizeof tail - 1, T_MS);
    read_lines(&r, h->n[0] - h->n[1], T_MS, count_err, h);
    int fd = r.fd;
    close(fd);
    probe(h, "GET k1");                         /* note 0: the server is fine */
}

START_TEST(random_garbage)
{
    run_scenario(&H, sc_garbage);
    /* Every line got exactly one answer; only the last one was a command. */
    ck_assert_msg(H.n[1] == H.n[0], "expected %ld answers, got %ld", H.n[0], H.n[1]);
    ck_assert_msg(H.n[2] == 1 && H.n[3] == 1, "expected only the last answer to be the k1 row, "
                  "got %ld non-ERR answers (last is the row: %ld)", H.n[2], H.n[3]);
    NOTE(0, H.row_k1);
}
END_TEST

/* A client sends half a line and goes silent; another connects and sends
 * nothing at all. Neither may delay a third client; the first then finishes its
 * line and is answered. */
static void sc_half_line(struct harness *h)
{
    int half = ctlclient_open(h->path, T_MS), mute = ctlclient_open(h->path, T_MS);
    char a[DUMP_ROW_MAX];
    send_all(half, "GET k", 5, T_MS);
    kit_sleep_ms(50);
    int fd = ctlclient_open(h->path, T_MS);
    long ok = 0;
    for (int i = 0; i < 20; i++)
        ok += ctlclient_request(fd, "GET k1", a, sizeof a, T_MS) > 0 && strcmp(a, h->row_k1) == 0;
    note(h, "%ld of 20", ok);                                           /* 0 */
    close(fd);
    if (send_all(half, "1\n", 2, T_MS) < 0 || ctlclient_read_line(half, a, sizeof a, T_MS) < 0)
        note(h, "<%s>", strerror(errno));
    else
        note(h, "%s", a);                                               /* 1 */
    close(half);
    close(mute);
    probe_clients(h, 1);                                                /* 2 */
}

START_TEST(half_line_does_not_block)
{
    run_scenario(&H, sc_half_line);
    NOTE(0, "20 of 20");
    NOTE(1, H.row_k1);
    NOTE(2, "clients=1");
}
END_TEST

/* MANY silent connections, one after another: each one past CTL_CONN_MAX takes
 * the slot of the connection idle longest, which is told so and closed; so the
 * first MANY - CTL_CONN_MAX are evicted, in order, and the last CTL_CONN_MAX are
 * served. n[0] evicted as expected (and among the first ones), n[1] served,
 * n[2] anything else. */
#define EVICTED "ERR closed: the connection table is full and you were idle longest"

static void sc_many(struct harness *h)
{
    int fds[MANY];
    char a[128], want[32];
    for (int i = 0; i < MANY; i++)
        fds[i] = ctlclient_open(h->path, T_MS);
    for (int i = 0; i < MANY - CTL_CONN_MAX; i++) {
        int n = ctlclient_read_line(fds[i], a, sizeof a, T_MS);
        int eof = ctlclient_read_line(fds[i], a + 96, 32, T_MS) < 0 && errno == ECONNRESET;
        if (n > 0 && strncmp(a, EVICTED, sizeof EVICTED - 1) == 0 && eof)
            h->n[0]++;
        else
            h->n[2]++;
    }
    snprintf(want, sizeof want, " clients=%d", CTL_CONN_MAX);
    for (int i = MANY - CTL_CONN_MAX; i < MANY; i++) {
        if (ctlclient_request(fds[i], "STATS", a, sizeof a, T_MS) > 0 && strstr(a, want))
            h->n[1]++;
        else
            h->n[2]++;
    }
    for (int i = 0; i < MANY; i++)
        close(fds[i]);
    probe_clients(h, 1);                                                /* 0 */
}

START_TEST(many_connections_evict_idlest)
{
    run_scenario(&H, sc_many);
    ck_assert_msg(H.n[0] == MANY - CTL_CONN_MAX && H.n[1] == CTL_CONN_MAX && H.n[2] == 0,
                  "expected the first %d evicted and the last %d served, got %ld evicted, "
                  "%ld served, %ld other", MANY - CTL_CONN_MAX, CTL_CONN_MAX, H.n[0], H.n[1], H.n[2]);
    NOTE(0, "clients=1");
}
END_TEST

/* CTL_CONN_MAX connections each with a command in progress (GET hold, which the
 * handler answers only when released): nothing is idle, so a new client is told
 * "ERR too many connections". Once the holds are answered and those clients
 * leave, a new one gets in. n[0] refused as expected, n[1] served afterwards. */
static void sc_busy(struct harness *h)
{
    int fds[CTL_CONN_MAX];
    char a[128];
    for (int i = 0; i < CTL_CONN_MAX; i++) {
        fds[i] = ctlclient_open(h->path, T_MS);
        send_all(fds[i], "GET hold\n", 9, T_MS);
    }
    /* Until the handler holds every one of them, wait. */
    for (int tries = 0; tries < 1000 && __atomic_load_n(&h->nheld, __ATOMIC_ACQUIRE) < CTL_CONN_MAX; tries++)
        kit_sleep_ms(10);
    int fd = ctlclient_open(h->path, T_MS);
    if (ctlclient_read_line(fd, a, sizeof a, T_MS) > 0 && strcmp(a, "ERR too many connections") == 0)
        h->n[0]++;
    close(fd);
    uv_async_send(&h->release);
    for (int i = 0; i < CTL_CONN_MAX; i++) {
        ctlclient_read_line(fds[i], a, sizeof a, T_MS);     /* "OK held" */
        close(fds[i]);
    }
    for (int tries = 0; tries < 300; tries++) {     /* the closes are seen a little later */
        if (ctl_request(h->path, "GET k1", a, sizeof a, T_MS) > 0 && strcmp(a, h->row_k1) == 0) {
            h->n[1]++;
            break;
        }
        kit_sleep_ms(10);
    }
}

START_TEST(busy_table_refuses)
{
    run_scenario(&H, sc_busy);
    ck_assert_msg(H.n[0] == 1, "expected a new client refused while every slot is busy");
    ck_assert_msg(H.n[1] == 1, "expected a client served once a busy one left");
}
END_TEST

/* With a 200 ms idle limit: a silent client is told so and closed; a client
 * whose command is in progress (GET hold) is not closed however long it waits.
 * n[0] the silent one closed as expected, n[1] the holding one still open after
 * the silent one was closed. */
static void sc_idle(struct harness *h)
{
    char a[128];
    int hold = ctlclient_open(h->path, T_MS), mute = ctlclient_open(h->path, T_MS);
    send_all(hold, "GET hold\n", 9, T_MS);
    int n = ctlclient_read_line(mute, a, sizeof a, 10 * T_MS);
    int eof = ctlclient_read_line(mute, a + 96, 32, T_MS) < 0 && errno == ECONNRESET;
    h->n[0] = n > 0 && strcmp(a, "ERR idle for too long") == 0 && eof;
    struct pollfd pf = { .fd = hold, .events = POLLIN };
    h->n[1] = poll(&pf, 1, 0) == 0;                 /* nothing to read: no ERR, no EOF */
    close(mute);
    close(hold);
}

START_TEST(idle_connection_closed)
{
    run_scenario_idle(&H, sc_idle, 200);
    ck_assert_msg(H.n[0] == 1, "expected a silent client told 'ERR idle for too long' and closed");
    ck_assert_msg(H.n[1] == 1, "expected a client with a command in progress left open");
}
END_TEST

/* VmRSS of this process in KiB (the server runs here, on the main thread). */
static long rss_kib(void)
{
    char *s = kit_read_file("/proc/self/status", NULL), *p;
    long kib = -1;
    if (s && (p = strstr(s, "VmRSS:")))
        kib = strtol(p + 6, NULL, 10);
    free(s);
    return kib;
}

/* n[0] bytes the flooder got into the socket before the server stopped taking
 * them, n[1] RSS growth in KiB, n[2] answers read afterwards, n[3] wrong ones. */
static void check_row(struct harness *h, const char *line)
{
    h->n[2]++;
    h->n[3] += strcmp(line, h->row_k1) != 0;
}

static void sc_flood(struct harness *h)
{
    static char out[FLOOD_N * 7];
    for (int i = 0; i < FLOOD_N; i++)
        memcpy(out + 7 * i, "GET k1\n", 7);
    long rss0 = rss_kib();
    int fd = ctlclient_open(h->path, T_MS);
    size_t sent = 0;
    /* Send without reading until the socket stays full for 300 ms. */
    while (sent < sizeof out) {
        ssize_t w = send(fd, out + sent, sizeof out - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            sent += (size_t)w;
            continue;
        }
        struct pollfd pf = { .fd = fd, .events = POLLOUT };
        if (poll(&pf, 1, 300) == 0)
            break;
    }
    h->n[0] = (long)sent;
    h->n[1] = rss_kib() - rss0;
    probe(h, "STATS");                                  /* 0: served meanwhile */
    probe(h, "GET k1");                                 /* 1 */
    /* Now read: every complete line sent gets its answer, in order. */
    static struct reader r;
    r.fd = fd;
    r.len = 0;
    long lines = (long)(sent / 7);
    if (sent % 7 && send_all(fd, out + sent, 7 - sent % 7, T_MS) == 0)
        lines++;
    read_lines(&r, lines, T_MS, check_row, h);
    note(h, "%ld of %ld", h->n[2], lines);              /* 2 */
    close(fd);
    probe_clients(h, 1);                                /* 3 */
}

START_TEST(flood_without_reading)
{
    char want[64];
    run_scenario(&H, sc_flood);
    /* Bounded: the server stopped reading long before the 700 KB were sent
     * (what got in sits in socket buffers and 16 queued lines), and its memory
     * barely moved. Socket buffers are ~200 KiB each way on Linux. */
    ck_assert_msg(H.n[0] < (long)(FLOOD_N * 7) / 2, "expected the server to stop reading, but "
                  "the flooder sent %ld of %d bytes", H.n[0], FLOOD_N * 7);
    ck_assert_msg(H.n[1] < 8192, "expected RSS to grow < 8 MiB during the flood, grew %ld KiB", H.n[1]);
    ck_assert_msg(strncmp(H.ans[0], "queries=", 8) == 0, "expected STATS served during the "
                  "flood, got '%s'", H.ans[0]);
    NOTE(1, H.row_k1);
    snprintf(want, sizeof want, "%ld of %ld", H.n[2], H.n[2]);
    NOTE(2, want);
    ck_assert_msg(H.n[3] == 0, "expected every flood answer to be the row, %ld were not", H.n[3]);
    NOTE(3, "clients=1");
}
END_TEST

/* NULs inside lines, a line of NULs, megabyte lines, and a last line that is
 * too long and never ends before EOF. */
static void sc_nul_long(struct harness *h)
{
    static char big[1 << 20];
    char a[DUMP_ROW_MAX];
    int fd = ctlclient_open(h->path, T_MS);
    memset(big, 0, sizeof big);
    send_all(fd, "GET k\0" "1\n", 8, T_MS);                    /* 0: NUL in a key */
    send_all(fd, "\0\0\0\n", 4, T_MS);                          /* 1: NULs only */
    send_all(fd, big, CTL_LINE_MAX, T_MS);                      /* 2: the limit, NULs */
    send_all(fd, "\n", 1, T_MS);
    for (int i = 0; i < 2; i++) {                               /* 3, 4: 1 MiB each */
        send_all(fd, big, sizeof big, T_MS);
        send_all(fd, "\n", 1, T_MS);
    }
    send_all(fd, "GET k1\n", 7, T_MS);                          /* 5 */
    for (int i = 0; i < 6; i++) {
        if (ctlclient_read_line(fd, a, sizeof a, T_MS) < 0)
            note(h, "<%s>", strerror(errno));
        else
            note(h, "%s", a);
    }
    close(fd);
    /* 2 MiB without a newline, then EOF: answered, then closed. */
    fd = ctlclient_open(h->path, T_MS);
    memset(big, 'x', sizeof big);
    send_all(fd, big, sizeof big, T_MS);
    send_all(fd, big, sizeof big, T_MS);
    shutdown(fd, SHUT_WR);
    for (int i = 0; i < 2; i++) {                               /* 6, 7 */
        if (ctlclient_read_line(fd, a, sizeof a, T_MS) < 0)
            note(h, "<%s>", strerror(errno));
        else
            note(h, "%s", a);
    }
    close(fd);
    probe(h, "GET k1");                                         /* 8 */
}

START_TEST(nul_bytes_and_long_lines)
{
    run_scenario(&H, sc_nul_long);
    NOTE(0, "ERR bad key");
    NOTE(1, "ERR unknown command '?\?\?'");
    NOTE(2, "ERR unknown command '?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?\?...'");
    NOTE(3, "ERR line too long");
    NOTE(4, "ERR line too long");
    NOTE(5, H.row_k1);
    NOTE(6, "ERR line too long");
    NOTE(7, "<Connection reset by peer>");
    NOTE(8, H.row_k1);
}
END_TEST

/* Clients that leave with answers due: one closes right after a burst of
 * commands (the server's writes then fail with EPIPE), one closes in the middle
 * of a line (EOF makes it a command, answered to nobody); and one shuts down its
 * write side after a command and still gets the answer. */
static void sc_hangups(struct harness *h)
{
    static char burst[1000 * 7];
    char a[DUMP_ROW_MAX];
    for (int i = 0; i < 1000; i++)
        memcpy(burst + 7 * i, "GET k1\n", 7);
    for (int round = 0; round < 20; round++) {
        int fd = ctlclient_open(h->path, T_MS);
        send_all(fd, burst, sizeof burst, T_MS);
        close(fd);                                  /* answers due: EPIPE on the server */
        fd = ctlclient_open(h->path, T_MS);
        send_all(fd, "GET k1\nGET", 10, T_MS);
        close(fd);
    }
    probe_clients(h, 1);                            /* 0: every slot came back */
    int fd = ctlclient_open(h->path, T_MS);
    send_all(fd, "GET k1\n", 7, T_MS);
    shutdown(fd, SHUT_WR);
    for (int i = 0; i < 2; i++) {                   /* 1, 2: the answer, then EOF */
        if (ctlclient_read_line(fd, a, sizeof a, T_MS) < 0)
            note(h, "<%s>", strerror(errno));
        else
            note(h, "%s", a);
    }
    close(fd);
}

START_TEST(clients_hang_up)
{
    run_scenario(&H, sc_hangups);
    NOTE(0, "clients=1");
    NOTE(1, H.row_k1);
    NOTE(2, "<Connection reset by peer>");
}
END_TEST

/* ------------------------------------------------------------------ the suite */

static Suite *ctl_hostile_suite(void)
{
    const struct kit_case cases[] = {
        { "random_garbage", random_garbage, 20 },
        { "half_line_does_not_block", half_line_does_not_block, 20 },
        { "many_connections_evict_idlest", many_connections_evict_idlest, 20 },
        { "busy_table_refuses", busy_table_refuses, 20 },
        { "idle_connection_closed", idle_connection_closed, 30 },
        { "flood_without_reading", flood_without_reading, 30 },
        { "nul_bytes_and_long_lines", nul_bytes_and_long_lines, 20 },
        { "clients_hang_up", clients_hang_up, 30 },
    };
    return kit_suite("ctl_hostile", cases, KIT_NELEM(cases));
}

KIT_TEST_MAIN(ctl_hostile_suite)
