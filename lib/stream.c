/* stream.c: one message stream, whichever its origin. A pipeline asks for
 * the next valid message and never sees a malformed line: those are reported
 * here, in the one format SPEC §1 fixes, counted, and skipped. */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse.h"

struct stream {
    char *name;                 /* the INPUT of "INPUT:LINE: reason" */
    FILE *f;                    /* NULL for the built-in source */
    bool own_f;                 /* false for stdin */
    struct lines *lines;
    struct source *src;
    FILE *report;
    uint64_t delivered, rejected;
    /* stream_make_interruptible: f read through poll() by a cookie FILE. */
    FILE *cf;                   /* the FILE lines reads, NULL until then */
    int fd;                     /* f's fd */
    int wake[2];                /* stream_interrupt writes a byte into wake[1] */
    stream_wait_fn on_wait;
    void *wait_arg;
};

struct stream *stream_open(const struct stream_opts *o, char *err, size_t errlen)
{
    struct stream *s = calloc(1, sizeof *s);
    if (!s)
        goto nomem;
    s->report = o->report ? o->report : stderr;
    s->wake[0] = s->wake[1] = -1;

    if (!o->input) {
        if (!(s->name = strdup("built-in")))
            goto nomem;
        if (!(s->src = source_new(&o->src))) {
            snprintf(err, errlen, "cannot make the built-in source: %s", strerror(errno));
            goto fail;
        }
        return s;
    }

    if (!(s->name = strdup(o->input)))
        goto nomem;
    if (strcmp(o->input, "-") == 0) {
        s->f = stdin;
    } else {
        if (!(s->f = fopen(o->input, "re"))) {
            snprintf(err, errlen, "cannot open '%s': %s", o->input, strerror(errno));
            goto fail;
        }
        s->own_f = true;
        /* fopen succeeds on a directory; say so now rather than at the first read. */
        struct stat st;
        if (fstat(fileno(s->f), &st) == 0 && S_ISDIR(st.st_mode)) {
            errno = EISDIR;
            snprintf(err, errlen, "cannot read '%s': %s", o->input, strerror(errno));
            goto fail;
        }
    }
    if (!(s->lines = lines_new(s->f)))
        goto nomem;
    return s;

nomem:
    errno = ENOMEM;
    snprintf(err, errlen, "cannot open the input stream: %s", strerror(errno));
fail:;
    int saved = errno;
    stream_close(s);
    errno = saved;
    return NULL;
}

static void report(struct stream *s, const char *why)
{
    fprintf(s->report, "%s:%lu: %s\n", s->name, lines_number(s->lines), why);
    s->rejected++;
}

int stream_next(struct stream *s, struct msg *m)
{
    if (s->src) {
        if (!source_next(s->src, m))
            return 0;
        m->seq = s->delivered++;
        return 1;
    }
    for (;;) {
        const char *line;
        size_t len;
        char why[160];
        switch (lines_next(s->lines, &line, &len)) {
        case LINES_EOF:
            return 0;
        case LINES_ERROR:
            return -1;
        case LINES_TOO_LONG:
            snprintf(why, sizeof why, "line longer than %d bytes", LINE_MAX_BYTES);
            report(s, why);
            continue;
        case LINES_OK:
            break;
        }
        if (parse_is_skipped(line, len))
            continue;
        if (parse_line(line, len, m, why, sizeof why) < 0) {
            report(s, why);
            continue;
        }
        m->seq = s->delivered++;
        m->payload = NULL;
        m->payload_len = 0;
        return 1;
    }
}

uint64_t stream_delivered(const struct stream *s)
{
    return s->delivered;
}

uint64_t stream_rejected(const struct stream *s)
{
    return s->rejected;
}

const char *stream_name(const struct stream *s)
{
    return s->name;
}

/* The cookie FILE's read: wait in poll() on the input and the wake pipe, so
 * that a waiting reader can be told first (on_wait) and ended (interrupt);
 * what a plain read() would not allow: closing an fd does not wake a thread
 * blocked reading it. */
static ssize_t cookie_read(void *cookie, char *buf, size_t n)
{
    struct stream *s = cookie;
    struct pollfd p[2] = { { .fd = s->fd, .events = POLLIN }, { .fd = s->wake[0], .events = POLLIN } };
    int timeout = 0;            /* first: is anything there without waiting? */
    for (;;) {
        int r = poll(p, 2, timeout);
        if (r < 0 && errno != EINTR)
            return -1;
        if (r > 0 && p[1].revents) {
            errno = ECANCELED;
            return -1;
        }
        if (r > 0 && p[0].revents)
            break;              /* data, EOF (POLLHUP) or an error: read() says which */
        if (r == 0 && timeout == 0) {
            if (s->on_wait)
                s->on_wait(s->wait_arg);
            timeout = -1;
        }
    }
    for (;;) {
        ssize_t k = read(s->fd, buf, n);
        if (k >= 0 || errno != EINTR)
            return k;
    }
}

int stream_make_interruptible(struct stream *s, stream_wait_fn fn, void *arg)
{
    struct stat st;
    if (!s->f || (fstat(fileno(s->f), &st) == 0 && S_ISREG(st.st_mode)))
        return 0;               /* the built-in source and regular files never wait */
    if (s->cf || s->delivered || s->rejected || lines_number(s->lines)) {
        errno = EBUSY;
        return -1;
    }
    s->fd = fileno(s->f);
    if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    cookie_io_functions_t io = { .read = cookie_read };
    struct lines *l = NULL;
    if (!(s->cf = fopencookie(s, "r", io)) || !(l = lines_new(s->cf))) {
        int saved = errno ? errno : ENOMEM;
        if (s->cf)
            fclose(s->cf);
        s->cf = NULL;
        close(s->wake[0]);
        close(s->wake[1]);
        s->wake[0] = s->wake[1] = -1;
        errno = saved;
        return -1;
    }
    setvbuf(s->cf, NULL, _IOFBF, 64 << 10);    /* a pipe holds 64 KiB: one read can take it all */
    lines_free(s->lines);
    s->lines = l;
    s->on_wait = fn;
    s->wait_arg = arg;
    return 0;
}

void stream_interrupt(struct stream *s)
{
    if (s && s->wake[1] >= 0) {
        int saved = errno;
        ssize_t k = write(s->wake[1], "x", 1);  /* full already (EAGAIN) is as good */
        (void)k;
        errno = saved;
    }
}

void stream_close(struct stream *s)
{
    if (!s)
        return;
    lines_free(s->lines);
    if (s->cf)
        fclose(s->cf);          /* the cookie has no close: s->f keeps the fd */
    if (s->wake[0] >= 0) {
        close(s->wake[0]);
        close(s->wake[1]);
    }
    if (s->own_f)
        fclose(s->f);
    source_free(s->src);
    free(s->name);
    free(s);
}
