/* ctlconn.h: inside the control socket server (lib only; programs use ctl.h).
 * ctlsrv.c owns the server (listening, admitting, the idle sweep, closing);
 * ctlconn.c owns one connection (reading lines, handing them to the program in
 * order, writing answers). Calls go one way: ctlsrv.c -> ctlconn.c. */
#ifndef KIT_CTLCONN_H
#define KIT_CTLCONN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/un.h>
#include <uv.h>

#include "ctl.h"

#define CTL_PIPELINE_MAX 16         /* queued lines per connection before reading stops */
#define CTL_WBUF_MAX     (64 << 10) /* unsent answer bytes per connection before answering stops */
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
    uint64_t last_line_ms;          /* uv_now() when it connected or last sent a whole line */
    uint64_t stamp;                 /* the same moment on the server's logical clock (ties broken) */
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
    uv_timer_t idle_timer;          /* closes connections idle past idle_ms */
    uint64_t idle_ms;               /* CTL_IDLE_MS unless ctlsrv_set_idle_ms */
    uint64_t clock;                 /* logical clock: +1 per accept and per whole line */
    unsigned long queries;          /* lines received */
    unsigned long clients;          /* admitted connections open now */
    int handles;                    /* open handles: the listener, the timer, every connection */
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

/* A handle of the server has closed: free the server when it was the last one
 * and the server is closing. */
static inline void ctlsrv_handle_closed(struct ctlsrv *s)
{
    if (--s->handles == 0 && s->closing)
        free(s);
}

/* A new connection: initialised on s's loop and accepted from listener. Returns
 * it (one handle more on s, not yet admitted), or NULL when it could not be
 * accepted (nothing left open; a connection refused by uv_accept is closed). */
struct conn *conn_accept(struct ctlsrv *s, uv_stream_t *listener);

/* Admit c into s's table and start reading. */
void conn_admit(struct conn *c);

/* 1 if c may be closed to make room, or for being silent: no command of its is
 * with the program, and either nothing is waiting or it stopped reading its
 * answers (CTL_WBUF_MAX unsent). */
bool conn_idle(const struct conn *c);

/* Send text and a newline (dropped if c is closing). */
void conn_send(struct conn *c, const char *text);

/* Close c now (idempotent); its lines are dropped, an answer due later is too. */
void conn_close(struct conn *c);

#endif
