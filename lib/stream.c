/* stream.c: one message stream, whichever its origin. A pipeline asks for
 * the next valid message and never sees a malformed line: those are reported
 * here, in the one format SPEC §1 fixes, counted, and skipped. */
#include "stream.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "parse.h"

struct stream {
    char *name;                 /* the INPUT of "INPUT:LINE: reason" */
    FILE *f;                    /* NULL for the built-in source */
    bool own_f;                 /* false for stdin */
    struct lines *lines;
    struct source *src;
    FILE *report;
    uint64_t delivered, rejected;
};

struct stream *stream_open(const struct stream_opts *o, char *err, size_t errlen)
{
    struct stream *s = calloc(1, sizeof *s);
    if (!s)
        goto nomem;
    s->report = o->report ? o->report : stderr;

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

void stream_close(struct stream *s)
{
    if (!s)
        return;
    lines_free(s->lines);
    if (s->own_f)
        fclose(s->f);
    source_free(s->src);
    free(s->name);
    free(s);
}
