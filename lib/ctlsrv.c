/* ctlsrv.c: the control socket server (SPEC §5) on a libuv loop.
 *
 * Design. Each connection reads bytes, cuts them into lines and queues them;
 * conn_pump() takes one line at a time: a bad line is answered "ERR reason" here,
 * a good one becomes a ctl_query handed to the program, and the next line waits
 * until that query is answered. That one-at-a-time rule is what keeps answers in
 * order when a client pipelines commands and the program answers later (phase 3
 * asks a worker process first).
 *
 * Lifetimes. A connection is freed when two things have happened: libuv has
 * closed its handle, and no query points at it any more (refs counts both). So a
 * client may hang up while its query is out, and the late ctl_answer() just drops
 * the text. The server itself is freed when its last handle has closed.
 *
 * Limits, so that a hostile or broken client costs bounded memory:
 *   - a line longer than CTL_LINE_MAX is discarded up to its newline and answered
 *     "ERR line too long"; the newline is an unambiguous place to resynchronise,
 *     so the connection stays usable (SPEC §5: any other line gets ERR);
 *   - reading stops while CTL_PIPELINE_MAX lines wait (plus what one read brought),
 *     and answering stops while CTL_WBUF_MAX bytes wait to be written: a client
 *     that sends without reading stalls itself, not the program;
 *   - a connection that sends no whole line for CTL_IDLE_MS (10 s) while
 *     nothing of its is waiting is told "ERR idle for too long" and closed, so a
 *     half-open client (connected, silent) cannot hold a slot for ever;
 *   - at CTL_CONN_MAX connections, a new one takes the slot of the connection
 *     that has been idle longest (told "ERR closed: the connection table is
 *     full and you were idle longest"), so STATS and SHUTDOWN always get in;
 *     only when every connection has a line in progress is the new one told
 *     "ERR too many connections" and closed.
 * Files: ctlsrv.c the server (listening, admitting, the idle sweep, closing),
 * ctlconn.c one connection, ctlsock.c the socket file. */
#include "ctl.h"
#include "ctlconn.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CTL_BACKLOG      64         /* listen() backlog */

/* ------------------------------------------------------------------ accepting */

/* The admitted connection idle longest, or NULL if every one is busy. */
static struct conn *idlest(struct ctlsrv *s)
{
    struct conn *best = NULL;
    for (struct conn *c = s->conns; c; c = c->next)
        if (conn_idle(c) && (!best || c->stamp < best->stamp))
            best = c;
    return best;
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct ctlsrv *s = listener->data;
    if (status < 0 || s->closing)
        return;
    struct conn *c = conn_accept(s, listener);
    if (!c)
        return;
    if (s->clients >= CTL_CONN_MAX) {
        struct conn *old = idlest(s);
        if (!old) {
            conn_send(c, "ERR too many connections");
            conn_close(c);
            return;
        }
        conn_send(old, "ERR closed: the connection table is full and you were idle longest");
        conn_close(old);
    }
    conn_admit(c);
}

/* Every idle_ms / 4: close the connections idle for idle_ms or more. */
static void on_idle_sweep(uv_timer_t *t)
{
    struct ctlsrv *s = t->data;
    uint64_t now = uv_now(s->loop);
    for (struct conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (conn_idle(c) && now - c->last_line_ms >= s->idle_ms) {
            conn_send(c, "ERR idle for too long");
            conn_close(c);
        }
    }
}

static void sweep_start(struct ctlsrv *s)
{
    uint64_t every = s->idle_ms / 4 ? s->idle_ms / 4 : 1;
    uv_timer_start(&s->idle_timer, on_idle_sweep, every, every);
}

void ctlsrv_set_idle_ms(struct ctlsrv *s, uint64_t ms)
{
    s->idle_ms = ms ? ms : 1;
    sweep_start(s);
}

/* ------------------------------------------------------------ starting, closing */

static void on_handle_closed(uv_handle_t *h)
{
    ctlsrv_handle_closed(h->data);
}

struct ctlsrv *ctlsrv_start(uv_loop_t *loop, const char *path, unsigned flags, ctl_handler fn,
                            void *data, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct ctl_dir dir = { .path = "" };
    struct stat st;
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof sa.sun_path) {
        snprintf(err, errlen, "control socket path '%s' is %zu bytes; a UNIX socket path "
                 "must be 1 to %zu", path, n, sizeof sa.sun_path - 1);
        errno = n ? ENAMETOOLONG : EINVAL;
        return NULL;
    }
    memcpy(sa.sun_path, path, n + 1);
    /* The directory first: the stale-socket check below must not even look
     * inside a directory we have not yet decided to trust. */
    if ((flags & CTLSRV_PRIVATE) && ctl_private_dir(path, &dir, err, errlen) < 0)
        return NULL;
    int fd = ctl_listen(path, &sa, CTL_BACKLOG, &st, err, errlen);
    if (fd < 0)
        goto fail;

    struct ctlsrv *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory starting control socket %s", path);
        unlink(path);
        close(fd);
        errno = ENOMEM;
        goto fail;
    }
    *s = (struct ctlsrv){ .loop = loop, .fn = fn, .data = data, .dev = st.st_dev, .ino = st.st_ino,
                          .dir = dir, .idle_ms = CTL_IDLE_MS };
    memcpy(s->path, path, n + 1);
    int rc = uv_pipe_init(loop, &s->listener, 0);
    if (rc < 0) {
        snprintf(err, errlen, "uv_pipe_init() failed for control socket %s: %s", path, uv_strerror(rc));
        unlink(path);
        close(fd);
        free(s);
        errno = -rc;
        goto fail;
    }
    s->listener.data = s;
    s->handles = 1;
    /* The idle sweep never keeps the loop alive on its own. */
    uv_timer_init(loop, &s->idle_timer);
    s->idle_timer.data = s;
    s->handles++;
    uv_unref((uv_handle_t *)&s->idle_timer);
    sweep_start(s);
    if ((rc = uv_pipe_open(&s->listener, fd)) < 0)
        close(fd);              /* not the handle's yet */
    if (rc < 0 || (rc = uv_listen((uv_stream_t *)&s->listener, CTL_BACKLOG, on_connection)) < 0) {
        snprintf(err, errlen, "listening on control socket %s failed: %s", path, uv_strerror(rc));
        ctlsrv_close(s);        /* removes the file and our directory; frees s once the */
        errno = -rc;            /* loop has closed the handle */
        return NULL;
    }
    /* An answer written to a client that has gone raises SIGPIPE, whose default
     * action kills the whole program; libuv does not block it. A program that
     * chose its own disposition keeps it. */
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN);
    return s;
fail:
    ctl_private_dir_remove(&dir);   /* keeps errno */
    return NULL;
}

unsigned long ctlsrv_queries(const struct ctlsrv *s)
{
    return s->queries;
}

unsigned long ctlsrv_clients(const struct ctlsrv *s)
{
    return s->clients;
}

void ctlsrv_close(struct ctlsrv *s)
{
    struct stat st;
    if (s->closing)
        return;
    s->closing = true;
    /* Remove the file first, so a new run may start at once; only if it is still
     * ours: a later run may have replaced it after we were declared stale. */
    if (lstat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
        unlink(s->path);
    ctl_private_dir_remove(&s->dir);    /* then its private directory, if we made it */
    uv_close((uv_handle_t *)&s->listener, on_handle_closed);
    uv_close((uv_handle_t *)&s->idle_timer, on_handle_closed);
    for (struct conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        /* Every line this connection sent gets an answer, in order. The program
         * may still answer an active query later: ctl_answer drops that text. */
        if (c->active)
            conn_send(c, "ERR shutting down");
        for (struct line *l = c->head; l; l = l->next)
            conn_send(c, "ERR shutting down");
        conn_close(c);
    }
}
