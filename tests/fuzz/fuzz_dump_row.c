/* fuzz_dump_row.c: the state dump row (SPEC §3) both ways.
 *
 * 1. dump_parse_row on arbitrary bytes. Rejected: errno EINVAL and the keystate
 *    untouched. Accepted: a valid key, and every number field made of decimal
 *    characters only (dump.c's parsers promise "decimal only, nothing else", so
 *    neither hex nor inf/nan may slip through strtod); dump_row of the result
 *    parses back to the same keystate, bit for bit, and prints the same row
 *    again (a fixed point).
 * 2. dump_row -> dump_parse_row on a keystate made from the same bytes (key,
 *    state, counters and the doubles' raw bits): exact when every double is
 *    finite; a row with inf or nan in it must be refused. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "dump.h"
#include "fsm.h"
#include "fuzz.h"
#include "msg.h"

/* Compare two keystates as the dump sees them: every field, doubles by their
 * bits (so -0 and 0 differ), min/max/last only when there was data. */
static int same_state(const struct keystate *a, const struct keystate *b)
{
    int same = strcmp(a->key, b->key) == 0 && a->state == b->state && a->messages == b->messages &&
               a->data_count == b->data_count && a->invalid == b->invalid &&
               memcmp(&a->sum, &b->sum, sizeof a->sum) == 0 &&
               memcmp(&a->feature_sum, &b->feature_sum, sizeof a->sum) == 0;
    if (same && a->data_count)
        same = memcmp(&a->min, &b->min, sizeof a->min) == 0 &&
               memcmp(&a->max, &b->max, sizeof a->max) == 0 &&
               memcmp(&a->last, &b->last, sizeof a->last) == 0;
    return same;
}

/* Fields 2..9 (every number) hold only characters a %.17g or %llu can print. */
static int numbers_decimal(const char *row, size_t len)
{
    size_t field = 0;
    for (size_t i = 0; i < len; i++) {
        if (row[i] == ',')
            field++;
        else if (field >= 2 && !strchr("0123456789.eE+-", row[i]))
            return 0;
    }
    return 1;
}

static void fuzz_parse(const char *row, size_t len)
{
    struct keystate ks, untouched, again;
    char text[DUMP_ROW_MAX], text2[DUMP_ROW_MAX];

    memset(&ks, 0x5a, sizeof ks);
    untouched = ks;
    errno = 0;
    if (dump_parse_row(row, len, &ks) < 0) {
        FUZZ_CHECK(errno == EINVAL, "errno %d", errno);
        FUZZ_CHECK(memcmp(&ks, &untouched, sizeof ks) == 0, "a refused row changed *ks");
        return;
    }
    FUZZ_CHECK(key_valid(ks.key, strlen(ks.key)), "key '%s'", ks.key);
    FUZZ_CHECK(numbers_decimal(row, len), "accepted a number field that is not decimal: '%.*s'",
               (int)len, row);
    FUZZ_CHECK(ks.last_seq == 0, "last_seq %llu", (unsigned long long)ks.last_seq);
    int n = dump_row(&ks, text, sizeof text);
    FUZZ_CHECK(n > 0, "dump_row failed on a parsed row");
    FUZZ_CHECK(dump_parse_row(text, (size_t)n, &again) == 0, "own row '%s' refused", text);
    FUZZ_CHECK(same_state(&ks, &again), "'%s' parsed back differently", text);
    FUZZ_CHECK(dump_row(&again, text2, sizeof text2) == n && memcmp(text, text2, (size_t)n) == 0,
               "dump_row is not a fixed point: '%s'", text);
}

/* Read bytes cyclically from the input, so any non-empty input makes a state. */
struct cursor {
    const uint8_t *data;
    size_t size, pos;
};

static void take(struct cursor *c, void *out, size_t n)
{
    uint8_t *o = out;
    for (size_t i = 0; i < n; i++)
        o[i] = c->data[c->pos++ % c->size];
}

static void fuzz_build(const uint8_t *data, size_t size)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
    struct cursor c = { data, size, 0 };
    struct keystate ks, back;
    uint8_t klen, kb, st;
    char key[KEY_MAX + 1], text[DUMP_ROW_MAX];

    if (size == 0)
        return;
    take(&c, &klen, 1);
    klen = (uint8_t)(1 + klen % KEY_MAX);
    for (size_t i = 0; i < klen; i++) {
        take(&c, &kb, 1);
        key[i] = alphabet[kb % (sizeof alphabet - 1)];
    }
    fsm_init(&ks, key, klen);
    take(&c, &st, 1);
    ks.state = (enum state)(st % 4);
    take(&c, &ks.messages, sizeof ks.messages);
    take(&c, &ks.data_count, sizeof ks.data_count);
    take(&c, &ks.invalid, sizeof ks.invalid);
    take(&c, &ks.sum, sizeof ks.sum);
    take(&c, &ks.feature_sum, sizeof ks.feature_sum);
    if (ks.data_count) {
        take(&c, &ks.min, sizeof ks.min);
        take(&c, &ks.max, sizeof ks.max);
        take(&c, &ks.last, sizeof ks.last);
    }
    int finite = isfinite(ks.sum) && isfinite(ks.feature_sum) &&
                 (!ks.data_count || (isfinite(ks.min) && isfinite(ks.max) && isfinite(ks.last)));

    int n = dump_row(&ks, text, sizeof text);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof text, "dump_row returned %d", n);
    FUZZ_CHECK(memchr(text, '\n', (size_t)n) == NULL, "a row with a newline");
    int rc = dump_parse_row(text, (size_t)n, &back);
    if (!finite) {
        FUZZ_CHECK(rc < 0, "a row with a non-finite number was accepted: '%s'", text);
        return;
    }
    FUZZ_CHECK(rc == 0, "own row '%s' refused", text);
    FUZZ_CHECK(same_state(&ks, &back), "'%s' parsed back differently", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parse((const char *)data, size);
    fuzz_build(data, size);
    return 0;
}
