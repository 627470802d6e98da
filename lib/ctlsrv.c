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
 *   - more than CTL_CONN_MAX connections: the extra one gets
 *     "ERR too many connections" and is closed.
 * A half-open client (connected, silent) holds a slot until it leaves or the
 * server closes; the slot cap is what bounds that. */
#include "ctl.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_PIPELINE_MAX 16         /* queued lines per connection before reading stops */
#define CTL_WBUF_MAX     (64 << 10) /* unsent answer bytes per connection before answering stops */
#define CTL_BACKLOG      64         /* listen() backlog */
#define CTL_RBUF         1024       /* bytes read at once per connection */

struct line {                       /* one received line awaiting its turn */
    struct line *next;
    bool too_long;                  /* discarded: answer "ERR line too long" */
    size_t len;
    char text[];
};

struct conn {
    uv_pipe_t pipe;                 /* pipe.data = this conn */
    struct ctlsrv *srv;             /* valid until the handle's close callback */
    struct conn *prev, *next;       /* in srv->conns while admitted and open */
    int refs;                       /* 1 for the handle + 1 per write + 1 per query out */
    bool admitted;                  /* counted in srv->clients */
    bool closing;                   /* uv_close called: whatever comes now is dropped */
    bool eof;                       /* the client sent EOF: finish the queue, then close */
    bool reading;
    bool pumping;                   /* inside conn_pump: answers must not re-enter it */
    bool discarding;                /* inside an over-long line: drop bytes up to '\n' */
    struct ctl_query *active;       /* the query the program holds, or NULL */
    struct line *head, *tail;       /* lines received, not yet taken */
    size_t nlines;
    size_t partial_len;             /* the line being received so far */
    char partial[CTL_LINE_MAX];
    char rbuf[CTL_RBUF];
};

struct ctl_query {
    struct conn *conn;              /* holds a reference */
};

struct ctlsrv {
    uv_loop_t *loop;
    uv_pipe_t listener;             /* listener.data = this server */
    ctl_handler fn;
    void *data;
    struct conn *conns;             /* admitted, open connections */
    unsigned long queries;          /* lines received */
    unsigned long clients;          /* admitted connections open now */
    int handles;                    /* open handles: the listener and every connection */
    bool closing;
    dev_t dev;                      /* the socket file we created, so that close */
    ino_t ino;                      /* removes that file and not a successor's */
    char path[sizeof ((struct sockaddr_un *)0)->sun_path];
    struct ctl_dir dir;             /* CTLSRV_PRIVATE: the directory we made, if any */
};

struct wreq {                       /* one answer on its way out */
    uv_write_t req;
    struct conn *conn;
    char text[];
};

static void conn_pump(struct conn *c);

/* ------------------------------------------------------------------ lifetimes */

static void srv_release(struct ctlsrv *s)
{
    if (--s->handles == 0 && s->closing)
        free(s);
}

static void conn_unref(struct conn *c)
{
    if (--c->refs == 0)
        free(c);
}

static void conn_drop_lines(struct conn *c)
{
    while (c->head) {
        struct line *l = c->head;
        c->head = l->next;
        free(l);
    }
    c->tail = NULL;
    c->nlines = 0;
}

static void on_conn_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    srv_release(c->srv);
    conn_unref(c);
}

/* Close a connection now. Answers already handed to libuv were written to the
 * kernel right away unless the client stopped reading; those few are cancelled. */
static void conn_close(struct conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    if (c->admitted) {
        struct ctlsrv *s = c->srv;
        if (c->prev)
            c->prev->next = c->next;
        else
            s->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        s->clients--;
    }
    conn_drop_lines(c);
    uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
}

/* -------------------------------------------------------------------- writing */

static void on_written(uv_write_t *req, int status)
{
    struct wreq *w = (struct wreq *)req;
    struct conn *c = w->conn;
    free(w);
    if (status < 0)             /* EPIPE, ECONNRESET: the client left; ECANCELED: closing */
        conn_close(c);
    else
        conn_pump(c);           /* room again, or an EOF'd client now fully answered */
    conn_unref(c);
}

/* Send text and a newline. uv_write writes at once when nothing is queued, so
 * the answer is in the kernel before the next line is even looked at. */
static void conn_send(struct conn *c, const char *text)
{
    if (c->closing)
        return;
    size_t n = strlen(text);
    struct wreq *w = malloc(sizeof *w + n + 1);
    if (!w) {
        conn_close(c);          /* an answer we cannot send would break the order */
        return;
    }
    memcpy(w->text, text, n);
    w->text[n] = '\n';
    w->conn = c;
    c->refs++;
    uv_buf_t b = uv_buf_init(w->text, (unsigned)n + 1);
    if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_written) < 0) {
        free(w);
        c->refs--;
        conn_close(c);
    }
}

/* -------------------------------------------------------------------- reading */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct conn *c = h->data;
    (void)hint;
    *buf = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void conn_queue(struct conn *c, const char *text, size_t len, bool too_long)
{
    struct line *l = malloc(sizeof *l + len);
    if (!l) {
        conn_close(c);
        return;
    }
    l->next = NULL;
    l->too_long = too_long;
    l->len = len;
    memcpy(l->text, text, len);
    if (c->tail)
        c->tail->next = l;
    else
        c->head = l;
    c->tail = l;
    c->nlines++;
    c->srv->queries++;
}

/* Feed n received bytes into the line splitter. */
static void conn_feed(struct conn *c, const char *p, size_t n)
{
    while (n > 0 && !c->closing) {
        const char *nl = memchr(p, '\n', n);
        size_t seg = nl ? (size_t)(nl - p) : n;
        if (!c->discarding && c->partial_len + seg > CTL_LINE_MAX) {
            c->discarding = true;           /* too long: forget it, answer at its end */
            c->partial_len = 0;
        }
        if (!c->discarding) {
            memcpy(c->partial + c->partial_len, p, seg);
            c->partial_len += seg;
        }
        if (nl) {
            conn_queue(c, c->partial, c->partial_len, c->discarding);
            c->partial_len = 0;
            c->discarding = false;
            seg++;
        }
        p += seg;
        n -= seg;
    }
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = stream->data;

    if (nread > 0)
        conn_feed(c, buf->base, (size_t)nread);
    if (nread < 0 && !c->closing) {
        if (nread != UV_EOF) {
            conn_close(c);                  /* ECONNRESET and the like: nobody to answer */
            return;
        }
        /* EOF: a last line without its newline is still a command. */
        if (c->partial_len > 0 || c->discarding)
            conn_queue(c, c->partial, c->partial_len, c->discarding);
        c->partial_len = 0;
        c->eof = true;
    }
    if (c->closing)
        return;
    if (c->reading && (c->eof || c->nlines >= CTL_PIPELINE_MAX)) {
        uv_read_stop(stream);
        c->reading = false;
    }
    conn_pump(c);
}

/* ------------------------------------------------------------------ answering */

/* Take queued lines while no query is out: answer bad ones here, hand good ones
 * to the program. Then resume reading, or close an EOF'd client that is done. */
static void conn_pump(struct conn *c)
{
    if (c->pumping || c->closing)
        return;
    c->pumping = true;
    while (!c->closing && !c->active && c->head && c->pipe.write_queue_size < CTL_WBUF_MAX) {
        struct line *l = c->head;
        struct ctl_req req;
        if (!(c->head = l->next))
            c->tail = NULL;
        c->nlines--;
        if (l->too_long) {
            conn_send(c, "ERR line too long");
        } else if (ctl_parse(l->text, l->len, &req) < 0) {
            char text[sizeof req.why + 8];
            snprintf(text, sizeof text, "ERR %s", req.why);
            conn_send(c, text);
        } else {
            struct ctl_query *q = malloc(sizeof *q);
            if (!q) {
                conn_send(c, "ERR out of memory");
            } else {
                q->conn = c;
                c->refs++;
                c->active = q;
                c->srv->fn(q, &req, c->srv->data);  /* may answer, or even close, right here */
            }
        }
        free(l);
    }
    c->pumping = false;
    if (c->closing)
        return;
    if (!c->eof && !c->reading && c->nlines < CTL_PIPELINE_MAX) {
        if (uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0) {
            conn_close(c);
            return;
        }
        c->reading = true;
    }
    if (c->eof && !c->active && !c->head && c->pipe.write_queue_size == 0)
        conn_close(c);
}

void ctl_answer(struct ctl_query *q, const char *text)
{
    struct conn *c = q->conn;
    if (c->active == q)
        c->active = NULL;
    free(q);
    conn_send(c, text ? text : "ERR no answer");   /* dropped if the connection closed */
    conn_pump(c);                                   /* a no-op when called from inside it */
    conn_unref(c);
}

/* ------------------------------------------------------------------ accepting */

static void on_connection(uv_stream_t *listener, int status)
{
    struct ctlsrv *s = listener->data;
    if (status < 0 || s->closing)
        return;
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return;                 /* the connection waits in the backlog */
    if (uv_pipe_init(s->loop, &c->pipe, 0) < 0) {
        free(c);
        return;
    }
    c->pipe.data = c;
    c->srv = s;
    c->refs = 1;
    s->handles++;
    if (uv_accept(listener, (uv_stream_t *)&c->pipe) < 0) {
        conn_close(c);
        return;
    }
    if (s->clients >= CTL_CONN_MAX) {
        conn_send(c, "ERR too many connections");
        conn_close(c);
        return;
    }
    c->admitted = true;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->clients++;
    conn_pump(c);               /* starts reading */
}

/* ------------------------------------------------------------ starting, closing */

/* Decide what to do about a file already at path: nothing there, or a stale
 * socket (removed here), is fine; a live socket or any other file is refused.
 * "Live" means a connect() succeeds, or is only delayed by a full backlog. */
static int path_claim(const char *path, const struct sockaddr_un *sa, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot check control socket %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s exists and is not a socket", path);
        errno = EEXIST;
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket() failed probing %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = connect(fd, (const struct sockaddr *)sa, sizeof *sa), e = errno;
    close(fd);
    if (rc == 0 || e == EAGAIN || e == EINPROGRESS) {
        snprintf(err, errlen, "another run is listening on %s", path);
        errno = EADDRINUSE;
        return -1;
    }
    if (e != ECONNREFUSED) {
        snprintf(err, errlen, "cannot check control socket %s: connect() failed: %s",
                 path, strerror(e));
        errno = e;
        return -1;
    }
    /* Nobody listens: the run that made it died without removing it. */
    if (unlink(path) < 0 && errno != ENOENT) {
        snprintf(err, errlen, "cannot remove stale control socket %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Create, bind and listen on the socket. The socket must never be connectable by
 * others, not even for an instant: bind() creates the file with 0777 & ~umask, so
 * the umask is narrowed around bind() (chmod afterwards would leave a window).
 * umask is process-wide: a file another thread creates in that instant comes out
 * more private than it asked, never less. chmod then trims the meaningless x bits
 * to the documented 0600. */
static int listen_fd(const char *path, const struct sockaddr_un *sa, struct stat *st,
                     char *err, size_t errlen)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket() failed for control socket %s: %s", path, strerror(errno));
        return -1;
    }
    mode_t old = umask(077);
    int rc = bind(fd, (const struct sockaddr *)sa, sizeof *sa), e = errno;
    umask(old);
    if (rc < 0) {
        if (e == EADDRINUSE)    /* someone bound it between our check and here */
            snprintf(err, errlen, "another run is listening on %s", path);
        else
            snprintf(err, errlen, "bind() failed for control socket %s: %s", path, strerror(e));
        close(fd);
        errno = e;
        return -1;
    }
    const char *what = chmod(path, 0600) < 0 ? "chmod()" : lstat(path, st) < 0 ? "lstat()"
                     : listen(fd, CTL_BACKLOG) < 0 ? "listen()" : NULL;
    if (what) {
        e = errno;
        snprintf(err, errlen, "%s failed for control socket %s: %s", what, path, strerror(e));
        unlink(path);
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void on_listener_closed(uv_handle_t *h)
{
    srv_release(h->data);
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
    if (path_claim(path, &sa, err, errlen) < 0)
        goto fail;
    int fd = listen_fd(path, &sa, &st, err, errlen);
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
                          .dir = dir };
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
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
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
