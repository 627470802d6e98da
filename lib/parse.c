/* parse.c: the SPEC §1 line parser and the bounded line reader.
 *
 * The parser works on (pointer, length) and never assumes a NUL: a line read
 * from a file may contain NUL bytes, and a line handed over from a frame or a
 * socket buffer has no terminator at all. The one library call that needs a
 * C string, strtod, gets a bounded copy of the value field, and only after the
 * field passed the grammar check, so strtod never sees "nan", "inf", hex or
 * leading spaces, all of which it would happily accept. strtod follows the
 * locale's decimal point; the kit never calls setlocale, so it is always '.'. */
#include "parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SHOW_MAX 40             /* bytes of a bad field quoted in a reason */

/* Write a reason into why (if the caller gave room for one). */
static int reject(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reject(char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    errno = EINVAL;
    return -1;
}

/* A field as it can be shown on one terminal line: control bytes, NULs and
 * bytes >= 0x7f as \xNN, and at most SHOW_MAX bytes of it followed by "...". */
static const char *show(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n && i < SHOW_MAX && o + 5 < outlen; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f)
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    if (n > SHOW_MAX && o + 4 < outlen) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* SPEC §1's value grammar: [+-]? (D+ ('.' D*)? | '.' D+) ([eE] [+-]? D+)? */
static bool value_grammar(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && is_digit(s[i]))
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i]))
            i++, digits++;
    }
    if (digits == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t exp_digits = 0;
        while (i < n && is_digit(s[i]))
            i++, exp_digits++;
        if (exp_digits == 0)
            return false;
    }
    return i == n;
}

int parse_line(const char *line, size_t len, struct msg *m, char *why, size_t whylen)
{
    char shown[SHOW_MAX * 4 + 8];

    if (len > 0 && line[len - 1] == '\r')
        return reject(why, whylen, "carriage return (CRLF line ending) at the end of the line");

    /* Split at the commas: exactly two, so exactly three fields. */
    const char *c1 = NULL, *c2 = NULL;
    size_t commas = 0;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == ',') {
            if (commas == 0)
                c1 = line + i;
            else if (commas == 1)
                c2 = line + i;
            commas++;
        }
    }
    if (commas != 2)
        return reject(why, whylen, "expected 3 fields, got %zu", commas + 1);

    const char *key = line, *op = c1 + 1, *val = c2 + 1;
    size_t key_len = (size_t)(c1 - line), op_len = (size_t)(c2 - op);
    size_t val_len = (size_t)(line + len - val);

    if (key_len == 0)
        return reject(why, whylen, "empty key");
    if (key_len > KEY_MAX)
        return reject(why, whylen, "key longer than %d characters (%zu)", KEY_MAX, key_len);
    if (!key_valid(key, key_len)) {
        size_t i = 0;
        while (key_valid(key + i, 1))
            i++;
        return reject(why, whylen, "key has invalid character '%s'",
                      show(key + i, 1, shown, sizeof shown));
    }

    enum op o;
    if (op_len == 0)
        return reject(why, whylen, "empty op");
    if (op_parse(op, op_len, &o) < 0)
        return reject(why, whylen, "unknown op '%s'", show(op, op_len, shown, sizeof shown));

    double v = 0.0;
    if (val_len == 0) {
        if (o == OP_DATA)
            return reject(why, whylen, "DATA needs a value");
    } else {
        if (!value_grammar(val, val_len))
            return reject(why, whylen, "value '%s' is not a decimal number",
                          show(val, val_len, shown, sizeof shown));
        /* Grammar-checked, so only digits, signs, '.', 'e': a bounded copy. */
        char num[LINE_MAX_BYTES + 1];
        if (val_len >= sizeof num)
            return reject(why, whylen, "value longer than %d bytes", LINE_MAX_BYTES);
        memcpy(num, val, val_len);
        num[val_len] = '\0';
        v = strtod(num, NULL);  /* underflow to 0 or a denormal is fine: still finite */
        if (!isfinite(v))
            return reject(why, whylen, "value '%s' is not finite",
                          show(val, val_len, shown, sizeof shown));
    }

    msg_set_key(m, key, key_len);
    m->op = o;
    m->has_value = val_len > 0;
    m->value = v;
    return 0;
}

int parse_is_skipped(const char *line, size_t len)
{
    return len == 0 || line[0] == '#';
}

/* ------------------------------------------------------------ line reader */

struct lines {
    FILE *f;
    unsigned long number;       /* of the line last returned */
    char buf[LINE_MAX_BYTES + 1];
};

struct lines *lines_new(FILE *f)
{
    struct lines *l = malloc(sizeof *l);
    if (!l)
        return NULL;
    l->f = f;
    l->number = 0;
    return l;
}

/* getc_unlocked: one reader per FILE, so stdio's per-call lock is pure cost.
 * Bytes past LINE_MAX_BYTES are read and dropped, never stored: memory stays
 * bounded whatever the input. */
enum lines_status lines_next(struct lines *l, const char **line, size_t *len)
{
    size_t n = 0;
    bool too_long = false, any = false;
    int c;
    while ((c = getc_unlocked(l->f)) != EOF) {
        any = true;
        if (c == '\n')
            break;
        if (n < LINE_MAX_BYTES)
            l->buf[n++] = (char)c;
        else
            too_long = true;
    }
    if (c == EOF && ferror(l->f))
        return LINES_ERROR;
    if (!any)
        return LINES_EOF;       /* a last line without newline was returned already */
    l->number++;
    if (too_long)
        return LINES_TOO_LONG;
    *line = l->buf;
    *len = n;
    return LINES_OK;
}

unsigned long lines_number(const struct lines *l)
{
    return l->number;
}

void lines_free(struct lines *l)
{
    free(l);
}
