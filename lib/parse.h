/* parse.h: the SPEC §1 line parser and a line reader that never reads past a line. */
#ifndef KIT_PARSE_H
#define KIT_PARSE_H

#include <stddef.h>
#include <stdio.h>

#include "msg.h"

/* Parse one line (without its newline; a trailing '\r' is not allowed) into *m.
 * Returns 0 on success, or -1 with a precise human reason in why[0..whylen)
 * ("unknown op 'FOO'", "value '1e999' is not finite", ...). Never reads past
 * line[len-1]. m->seq, m->payload and m->payload_len are left untouched. */
int parse_line(const char *line, size_t len, struct msg *m, char *why, size_t whylen);

/* True if the line is skipped by the stream: empty, or starting with '#'. */
int parse_is_skipped(const char *line, size_t len);

/* Reads lines of at most LINE_MAX_BYTES from a FILE, counting line numbers.
 * Longer lines are consumed to their end and reported, never split. */
struct lines;

enum lines_status {
    LINES_OK = 1,           /* *line and *len hold the next line (no newline, not NUL-terminated) */
    LINES_EOF = 0,          /* no more input */
    LINES_ERROR = -1,       /* read error; errno set */
    LINES_TOO_LONG = -2     /* the line was longer than LINE_MAX_BYTES and was skipped */
};

/* Wrap an open FILE (not closed by lines_free). Returns NULL on ENOMEM. */
struct lines *lines_new(FILE *f);

/* Next line. The returned pointer stays valid until the next call. */
enum lines_status lines_next(struct lines *l, const char **line, size_t *len);

/* Number of the line last returned (1-based). */
unsigned long lines_number(const struct lines *l);

void lines_free(struct lines *l);

#endif
