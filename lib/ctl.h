/* ctl.h: the control socket (SPEC §5). Two layers:
 *   ctl_parse   the command language, pure and fuzzable;
 *   ctlsrv      a UNIX-domain server on a libuv loop: one line in, one answer out,
 *               answers in order per connection, and the program may answer later
 *               (phase 3 asks a worker first). Line length and connection count are
 *               capped (CTL_LINE_MAX, CTL_CONN_MAX); the socket is created mode 0600,
 *               a live socket at the same path is never replaced, a stale one is,
 *               and the file is removed on close. */
#ifndef KIT_CTL_H
#define KIT_CTL_H

#include <stddef.h>
#include <uv.h>

#include "param.h"

enum ctl_cmd { CTL_GET, CTL_STATS, CTL_SHUTDOWN, CTL_BAD };

struct ctl_req {
    enum ctl_cmd cmd;
    char key[KEY_MAX + 1];      /* for CTL_GET */
    char why[96];               /* for CTL_BAD: the reason, without "ERR " */
};

/* Parse one command line (no newline; a trailing '\r' is ignored). Always fills
 * *req; returns 0 for a valid command, -1 for CTL_BAD. */
int ctl_parse(const char *line, size_t len, struct ctl_req *req);

struct ctlsrv;
struct ctl_query;               /* one command awaiting its answer */

/* Called on the loop thread for every valid command, in order per connection.
 * The callee must call ctl_answer(q, ...) exactly once, now or later. */
typedef void (*ctl_handler)(struct ctl_query *q, const struct ctl_req *req, void *data);

/* Listen on path. Returns the server, or NULL with a reason in err ("another run
 * is listening on /tmp/x.sock"). */
struct ctlsrv *ctlsrv_start(uv_loop_t *loop, const char *path, ctl_handler fn, void *data,
                            char *err, size_t errlen);

/* Answer a query. text is sent as given plus a newline (a multi-line block must
 * end with an empty line, SPEC §5). Safe after the client left (the answer is
 * dropped). Frees q. */
void ctl_answer(struct ctl_query *q, const char *text);

/* Counters for STATS. */
unsigned long ctlsrv_queries(const struct ctlsrv *s);   /* commands received */
unsigned long ctlsrv_clients(const struct ctlsrv *s);   /* connections open now */

/* Stop listening, close every connection (pending queries are answered
 * "ERR shutting down"), remove the socket file. The handles close on the next
 * loop iteration; the server is freed then. */
void ctlsrv_close(struct ctlsrv *s);

#endif
