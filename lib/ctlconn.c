/* ctlconn.c: one control connection (see ctlconn.h; the design is at the top of
 * ctlsrv.c). */
#include "ctlconn.h"

#include <stdio.h>
#include <string.h>

static void conn_pump(struct conn *c);

/* ------------------------------------------------------------------ lifetimes */

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
    ctlsrv_handle_closed(c->srv);
    conn_unref(c);
}

/* Close a connection now. Answers already handed to libuv were written to the
 * kernel right away unless the client stopped reading; those few are cancelled. */
void conn_close(struct conn *c)
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
void conn_send(struct conn *c, const char *text)
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
    c->last_line_ms = uv_now(c->srv->loop);
    c->stamp = ++c->srv->clock;
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

/* ------------------------------------------------------------ accepting, idle */

struct conn *conn_accept(struct ctlsrv *s, uv_stream_t *listener)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;            /* the connection waits in the backlog */
    if (uv_pipe_init(s->loop, &c->pipe, 0) < 0) {
        free(c);
        return NULL;
    }
    c->pipe.data = c;
    c->srv = s;
    c->refs = 1;
    c->last_line_ms = uv_now(s->loop);
    c->stamp = ++s->clock;
    s->handles++;
    if (uv_accept(listener, (uv_stream_t *)&c->pipe) < 0) {
        conn_close(c);
        return NULL;
    }
    return c;
}

void conn_admit(struct conn *c)
{
    struct ctlsrv *s = c->srv;
    c->admitted = true;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->clients++;
    conn_pump(c);               /* starts reading */
}

bool conn_idle(const struct conn *c)
{
    if (c->closing || c->active)
        return false;           /* the program is answering it: that ends soon */
    /* Nothing waiting, or only lines held back because the client does not read
     * its answers: a client that stalls itself may lose its slot. */
    return (!c->head && c->pipe.write_queue_size == 0) || c->pipe.write_queue_size >= CTL_WBUF_MAX;
}
