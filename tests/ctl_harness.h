/* ctl_harness.h: the control socket server (lib/ctlsrv) on a real libuv loop,
 * played against by a client thread, for test_ctl.c (the protocol) and
 * test_ctl_hostile.c (clients that misbehave).
 *
 * The loop runs on the test's main thread; a client thread plays one scenario
 * and only records what it saw (Check's asserts belong to the main thread),
 * then sends SHUTDOWN, whose handler closes the server so that uv_run returns.
 * run_scenario then checks that the run ended with SHUTDOWN, that every handle
 * closed (uv_loop_close), that the socket file is gone, that the handler never
 * saw a line the parser should have refused, and that no fd leaked; the test
 * checks what the scenario recorded.
 *
 * The handler answers GET from a small registry (k1 after START and DATA 1.5,
 * k2 fresh: their dump rows are row_k1, row_k2), except two keys that make a
 * query stay out: "GET slow" is answered SLOW_MS later from a timer, "GET hold"
 * only when the client thread asks (uv_async_send(&h->release)) or at
 * SHUTDOWN. */
#ifndef KIT_CTL_HARNESS_H
#define KIT_CTL_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "ctl.h"
#include "dump.h"
#include "registry.h"

#define T_MS     3000           /* one client operation's limit */
#define SLOW_MS  150            /* how late "GET slow" is answered */
#define ANS_MAX  64             /* answers or findings one scenario records */

struct harness {
    uv_loop_t loop;
    uv_timer_t timer;           /* answers the slow queries */
    uv_async_t release;         /* the client thread asks the loop to answer the holds */
    struct ctlsrv *srv;
    struct registry *reg;
    char *dir;
    char path[256];
    struct ctl_query *slow[CTL_CONN_MAX * 4];
    int nslow;
    struct ctl_query *held[CTL_CONN_MAX + 1];
    int nheld;                  /* loop thread writes, client thread reads: __atomic */
    int stopped;
    int bad_seen;               /* lines the handler should never have seen */
    int fds_before;
    uint64_t idle_ms;           /* ctlsrv_set_idle_ms before the scenario, if nonzero */
    void (*scenario)(struct harness *);
    char row_k1[DUMP_ROW_MAX], row_k2[DUMP_ROW_MAX];
    /* What the client thread found, checked by the test afterwards. */
    long n[8];                  /* counters, meaning per scenario */
    char ans[ANS_MAX][1024];    /* answers or findings, in order */
    int nans;
};

/* Client side (the scenario's thread): record a finding (printf-style); got
 * records one answer, or the error that came instead (rc < 0: "<strerror>"). */
void note(struct harness *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void got(struct harness *h, int rc, const char *answer);
/* Send cmd on fd and record its answer (or the error) within T_MS;
 * read_answer records the next line. */
void ask(struct harness *h, int fd, const char *cmd);
void read_answer(struct harness *h, int fd);
/* One request on a fresh connection, its answer recorded. */
void probe(struct harness *h, const char *cmd);
/* STATS on fresh connections until the server counts `clients` (closes are
 * seen a little later than they happen); the last "clients=N" recorded. */
void probe_clients(struct harness *h, unsigned long clients);
/* Send all n bytes within ms. 0, or -1 with errno (ETIMEDOUT when the server
 * stopped reading). */
int send_all(int fd, const void *p, size_t n, int ms);

/* A client's answer stream: bytes received and not yet cut into lines. */
struct reader {
    int fd;
    size_t len;
    char in[1 << 16];
};

/* Read answer lines for up to ms per wait, until `want` more lines came; calls
 * fn for each. A partial line stays in r for the next call. Returns the count. */
long read_lines(struct reader *r, long want, int ms, void (*fn)(struct harness *, const char *),
                struct harness *h);

/* The whole cycle: start the server (with an idle limit, if idle_ms), play the
 * scenario on a thread, run the loop until SHUTDOWN closed the server, check
 * that nothing is left. */
void run_scenario_idle(struct harness *h, void (*scenario)(struct harness *), uint64_t idle_ms);
void run_scenario(struct harness *h, void (*scenario)(struct harness *));

#endif
