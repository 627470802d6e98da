/* ctl_harness.h: the control socket server (lib/ctlsrv) on a real libuv loop
 * for test_ctl.c. The loop runs on the test's main thread; a client thread
 * plays one scenario through lib/ctlclient.h, records every answer, and ends
 * with SHUTDOWN, whose handler closes the server so that uv_run returns. Then
 * run_scenario checks that every handle closed (uv_loop_close), that the
 * socket file is gone, that the handler never saw a bad line and that no fd
 * leaked.
 *
 * The handler answers GET from a small registry (k1 after START and DATA 1.5,
 * k2 fresh: their dump rows are in row_k1, row_k2), except "GET slow", which
 * it answers SLOW_MS later from a timer: that is how the tests make a query
 * that is still out while later commands arrive or the client hangs up. */
#ifndef KIT_CTL_HARNESS_H
#define KIT_CTL_HARNESS_H

#include <uv.h>

#include "ctl.h"
#include "dump.h"
#include "registry.h"

#define T_MS     3000           /* one client operation's limit */
#define SLOW_MS  150            /* how late "GET slow" is answered */
#define ANS_MAX  64             /* answers one scenario records */

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

/* Client side (the scenario's thread): record one answer, or the error that
 * came instead (rc < 0: "<strerror(errno)>"), for the main thread to check. */
void got(struct harness *h, int rc, const char *answer);
/* Send cmd on fd and record its answer,
 * or "<strerror>" if none came within T_MS; read_answer records the next line. */
void ask(struct harness *h, int fd, const char *cmd);
void read_answer(struct harness *h, int fd);

/* The whole cycle: start the server, play the scenario on a thread, run the
 * loop until SHUTDOWN closed the server, check that nothing is left. */
void run_scenario(struct harness *h, void (*scenario)(struct harness *));

#endif
