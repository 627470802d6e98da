/* fuzz_parse.c: the SPEC §1 line parser and the bounded line reader on
 * arbitrary bytes.
 *
 * parse_line gets the whole input as one line (NULs, newlines, anything):
 *   - accepted: the message obeys msg.h (valid key, op in range, finite value,
 *     no value means 0), and msg_format prints a line that parses back to the
 *     same message, bit for bit, and prints the same again (a fixed point);
 *   - rejected: errno EINVAL and a printable, non-empty reason.
 * lines_next reads the input through fmemopen and must return exactly the
 * newline-separated pieces of it, in order, numbered 1, 2, ..., with the pieces
 * longer than LINE_MAX_BYTES reported as LINES_TOO_LONG instead of cut. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "msg.h"
#include "param.h"
#include "parse.h"

static void check_msg(const struct msg *m)
{
    FUZZ_CHECK(key_valid(m->key, m->key_len) && strlen(m->key) == m->key_len,
               "key '%s' (len %u)", m->key, m->key_len);
    FUZZ_CHECK((unsigned)m->op < OP_COUNT, "op %d", (int)m->op);
    FUZZ_CHECK(isfinite(m->value), "value %g", m->value);
    FUZZ_CHECK(m->has_value || m->value == 0.0, "no value but %g", m->value);
    FUZZ_CHECK(m->op != OP_DATA || m->has_value, "DATA without a value");
}

static int same_msg(const struct msg *a, const struct msg *b)
{
    return strcmp(a->key, b->key) == 0 && a->key_len == b->key_len && a->op == b->op &&
           a->has_value == b->has_value && memcmp(&a->value, &b->value, sizeof a->value) == 0;
}

static void fuzz_parse_line(const char *line, size_t len)
{
    struct msg m, m2;
    char why[160], text[KEY_MAX + 48], text2[KEY_MAX + 48];

    memset(why, 0x55, sizeof why);
    errno = 0;
    if (parse_line(line, len, &m, why, sizeof why) < 0) {
        FUZZ_CHECK(errno == EINVAL, "errno %d", errno);
        FUZZ_CHECK(why[0] != '\0' && fuzz_printable(why, sizeof why), "reason not printable");
        return;
    }
    check_msg(&m);
    FUZZ_CHECK(memchr(line, '\n', len) == NULL, "a line with a newline was accepted");

    /* Round trip: format, parse the line back (without its newline). */
    int n = msg_format(&m, text, sizeof text);
    FUZZ_CHECK(n > 0 && text[n - 1] == '\n', "msg_format returned %d", n);
    FUZZ_CHECK(parse_line(text, (size_t)n - 1, &m2, why, sizeof why) == 0,
               "formatted line '%.*s' rejected: %s", n - 1, text, why);
    FUZZ_CHECK(same_msg(&m, &m2), "'%.*s' parsed back differently", n - 1, text);
    int n2 = msg_format(&m2, text2, sizeof text2);
    FUZZ_CHECK(n2 == n && memcmp(text, text2, (size_t)n) == 0, "format is not a fixed point");
}

/* The reader against a plain split of the same bytes at '\n'. */
static void fuzz_lines(const uint8_t *data, size_t size)
{
    if (size == 0)
        return;                 /* fmemopen wants a non-empty buffer */
    FILE *f = fmemopen((void *)data, size, "r");
    FUZZ_CHECK(f != NULL, "fmemopen: %s", strerror(errno));
    struct lines *l = lines_new(f);
    FUZZ_CHECK(l != NULL, "lines_new");

    size_t pos = 0;
    unsigned long number = 0;
    for (;;) {
        const char *line = NULL;
        size_t len = 0;
        enum lines_status st = lines_next(l, &line, &len);
        if (pos == size) {
            FUZZ_CHECK(st == LINES_EOF, "expected EOF at byte %zu, got %d", pos, (int)st);
            break;
        }
        /* The next piece: up to the next newline or the end of the input. */
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t piece = nl ? (size_t)(nl - (data + pos)) : size - pos;
        number++;
        if (piece > LINE_MAX_BYTES) {
            FUZZ_CHECK(st == LINES_TOO_LONG, "line %lu of %zu bytes: status %d", number, piece, (int)st);
        } else {
            FUZZ_CHECK(st == LINES_OK, "line %lu of %zu bytes: status %d", number, piece, (int)st);
            FUZZ_CHECK(len == piece && memcmp(line, data + pos, len) == 0,
                       "line %lu: got %zu bytes, expected %zu", number, len, piece);
            if (!parse_is_skipped(line, len)) {
                struct msg m;
                char why[160];
                if (parse_line(line, len, &m, why, sizeof why) == 0)
                    check_msg(&m);
            }
        }
        FUZZ_CHECK(lines_number(l) == number, "line number %lu, expected %lu", lines_number(l), number);
        pos += piece + (nl ? 1 : 0);
    }
    lines_free(l);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parse_line((const char *)data, size);
    fuzz_lines(data, size);
    return 0;
}
