/* ctl.h: the control socket (SPEC §5). Two layers:
 *   ctl_parse   the command language, pure and fuzzable;
 *   ctlsrv      a UNIX-domain server on a libuv loop: one line in, one answer out,
 *               answers in order per connection, and the program may answer later
 *               (phase 3 asks a worker first). Line length and connection count are
 *               capped (CTL_LINE_MAX, CTL_CONN_MAX), a silent connection is closed
 *               after CTL_IDLE_MS, and a full table makes room for a new client by
 *               closing the connection idle longest; the socket is created mode 0600,
 *               a live socket at the same path is never replaced, a stale one is,
 *               and the file is removed on close. With CTLSRV_PRIVATE
 *               (--control-private) its directory is private too (ctl_private_dir). */
#ifndef KIT_CTL_H
#define KIT_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <uv.h>

#include "ctlclient.h"       /* the client side, for tests, experiments and bin/kitctl */
#include "param.h"

#define CTLSRV_PRIVATE 0x1u     /* ctlsrv_start flag: ctl_private_dir first; a directory it made goes on close */

/* A directory ctl_private_dir created, so that only that one is removed later. */
struct ctl_dir {
    char path[sizeof ((struct sockaddr_un *)0)->sun_path];  /* "" when it created none */
    dev_t dev;                  /* with ino: the directory itself, not a successor */
    ino_t ino;                  /* at the same path */
};

enum ctl_cmd { CTL_GET, CTL_STATS, CTL_SHUTDOWN, CTL_BAD };

struct ctl_req {
    enum ctl_cmd cmd;
    char key[KEY_MAX + 1];      /* for CTL_GET */
    char why[96];               /* for CTL_BAD: the reason, without "ERR " */
};

/* Parse one command line (no newline; a trailing '\r' is ignored but counts
 * toward CTL_LINE_MAX). Always fills *req; returns 0 for a valid command, -1 for
 * CTL_BAD with req->why one of: "line too long", "empty line", "GET needs a key",
 * "bad key", "STATS takes no argument", "SHUTDOWN takes no argument",
 * "unknown command 'WORD'" (WORD cut at 32 bytes, control bytes shown as '?'). */
int ctl_parse(const char *line, size_t len, struct ctl_req *req);

struct ctlsrv;
struct ctl_query;               /* one command awaiting its answer */

/* Called on the loop thread for every valid command, in order per connection;
 * the next command of that connection waits until this one is answered. The
 * callee must call ctl_answer(q, ...) exactly once, now or later (even after
 * ctlsrv_close: q stays valid until then). req is only valid during the call.
 * Lines that are not GET/STATS/SHUTDOWN never get here: the server answers them
 * "ERR reason" itself (ctl_parse's reason; "ERR line too long" past CTL_LINE_MAX). */
typedef void (*ctl_handler)(struct ctl_query *q, const struct ctl_req *req, void *data);

/* Make the directory holding sock_path (the part before its last '/') ours alone,
 * before a socket goes in it. A missing directory is created with mode 0700 (its
 * parent must exist) and recorded in *made, for ctl_private_dir_remove. An
 * existing one is accepted only if it is a real directory, not a symlink (the
 * components above it resolve as usual), owned by the effective uid, with no
 * group or other permission bits; it is left as it was (made->path is ""). Returns
 * 0, or -1 with errno (EINVAL: no directory in the path, or it is "/"; ENOTDIR:
 * not a directory; EPERM: someone else's, or open to others; ENAMETOOLONG; or
 * what mkdir(), chmod() or lstat() set) and a reason in err ("'/tmp/d' has
 * mode 0755: others can enter it; ..."). */
int ctl_private_dir(const char *sock_path, struct ctl_dir *made, char *err, size_t errlen);

/* Remove the directory ctl_private_dir made, if it is still that directory and
 * empty (call it after the socket file is gone); then made->path is "". Does
 * nothing when it made none. Keeps errno, so failure paths may call it. */
void ctl_private_dir_remove(struct ctl_dir *made);

/* The socket file of ctlsrv_start (ctlsock.c): if a file is at path, a stale
 * socket (nobody accepts) is removed, a live one or any other file refused;
 * then a socket is bound at sa (whose sun_path is path) with mode 0600 from the
 * first instant, and listens with backlog. Returns the listening fd (CLOEXEC,
 * blocking) with the file's identity in *st, or -1 with errno and a reason in
 * err ("another run is listening on /tmp/x.sock", "/tmp/x exists and is not a
 * socket"). */
int ctl_listen(const char *path, const struct sockaddr_un *sa, int backlog, struct stat *st,
               char *err, size_t errlen);

/* Listen on path (socket mode 0600). A stale socket file at path (nobody accepts)
 * is replaced; a live one, a non-socket file or a path too long for a UNIX socket
 * is refused. flags: 0, or CTLSRV_PRIVATE to call ctl_private_dir(path) first
 * (refusing a directory others can enter) and to remove on close, after the
 * socket, a directory that call created. Returns the server, or NULL with errno
 * and a reason in err ("another run is listening on /tmp/x.sock", "/tmp/x exists
 * and is not a socket"); a directory made for a server that failed to start is
 * removed again. Sets SIGPIPE to SIG_IGN if it was SIG_DFL (a client that leaves
 * must not kill the program). */
struct ctlsrv *ctlsrv_start(uv_loop_t *loop, const char *path, unsigned flags, ctl_handler fn,
                            void *data, char *err, size_t errlen);

/* Answer a query. text is sent as given plus a newline (a multi-line block must
 * end with an empty line, SPEC §5). Safe after the client left or the server
 * closed (the answer is dropped). Frees q. Call it on the loop's thread only
 * (libuv handles are not thread-safe): a worker thread hands its answer to the
 * loop with a uv_async_t first. */
void ctl_answer(struct ctl_query *q, const char *text);

/* Close connections that send no whole line for ms milliseconds while nothing
 * of theirs is waiting (CTL_IDLE_MS by default; 0 means 1). For tests, and for a
 * program that wants another limit. */
void ctlsrv_set_idle_ms(struct ctlsrv *s, uint64_t ms);

/* Counters for STATS (valid until ctlsrv_close). */
unsigned long ctlsrv_queries(const struct ctlsrv *s);   /* lines received, bad ones too */
unsigned long ctlsrv_clients(const struct ctlsrv *s);   /* connections open now */

/* Stop listening, remove the socket file (now) and, with CTLSRV_PRIVATE, the
 * directory ctlsrv_start made (if it is still that one and empty), answer every
 * line still waiting "ERR shutting down", close every connection. The handles
 * close on the next loop iteration and the server is freed then: the caller
 * keeps running the loop (uv_run until it returns) and must not use s afterwards. For SHUTDOWN, answer
 * "OK" first, then close: the other order answers it "ERR shutting down". */
void ctlsrv_close(struct ctlsrv *s);

#endif
