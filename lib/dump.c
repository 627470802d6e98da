/* dump.c: the state dump of SPEC §3, the bytes every phase must agree on.
 *
 * Doubles are printed with %.17g, which always reads back as the same double
 * (17 significant digits are enough for any binary64), so a dump can be parsed
 * back exactly; the price is forms like 0.10000000000000001. Negative zero
 * prints as "-0" and stays distinct from "0": a key whose DATA values sum to
 * -0.0 (only -0 values) dumps differently from one that sums to 0.0, and the
 * phases agree on that because they all apply the same fsm_apply in order.
 * The %.17g conversions go through lib/fmtg17.h: the same bytes as printf's,
 * several times faster (a phase 4 GET is one dump row). */
#include "dump.h"
#include "fmtg17.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define DUMP_FIELDS 10

/* The row is assembled by hand, not by one snprintf: glibc's printf machinery
 * costs more than the five doubles once lib/fmtg17.h formats those. Every piece
 * is bounded (a key, a state name, 20 digits a counter, FMTG17_MAX a double). */
_Static_assert(KEY_MAX + 16 + 3 * 20 + 5 * FMTG17_MAX + 9 < DUMP_ROW_MAX, "a row fits DUMP_ROW_MAX");

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *put_u64(char *p, uint64_t v)    /* what %" PRIu64 " prints */
{
    char digits[20];
    int k = 0;
    do {
        digits[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k)
        *p++ = digits[--k];
    return p;
}

int dump_row(const struct keystate *ks, char *buf, size_t len)
{
    char row[DUMP_ROW_MAX];
    char *p = put_str(row, ks->key);
    *p++ = ',';
    p = put_str(p, state_name(ks->state));
    *p++ = ',';
    p = put_u64(p, ks->messages);
    *p++ = ',';
    p = put_u64(p, ks->data_count);
    *p++ = ',';
    p += fmtg17_write(p, ks->sum);
    *p++ = ',';
    if (ks->data_count) {       /* min, max, last: empty while there is no data */
        p += fmtg17_write(p, ks->min);
        *p++ = ',';
        p += fmtg17_write(p, ks->max);
        *p++ = ',';
        p += fmtg17_write(p, ks->last);
        *p++ = ',';
    } else {
        p = put_str(p, ",,,");
    }
    p += fmtg17_write(p, ks->feature_sum);
    *p++ = ',';
    p = put_u64(p, ks->invalid);
    size_t n = (size_t)(p - row);
    if (n >= len) {             /* as snprintf would: what fits, NUL-terminated */
        if (len) {
            memcpy(buf, row, len - 1);
            buf[len - 1] = '\0';
        }
        errno = ENOBUFS;
        return -1;
    }
    memcpy(buf, row, n);
    buf[n] = '\0';
    return (int)n;
}

/* Strict number parsers: the whole field, decimal only, nothing else. */
static bool parse_u64(const char *s, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return false;           /* strtoull would take " 5", "+5" and "-5" */
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    if (!*s || !(*s == '-' || *s == '.' || (*s >= '0' && *s <= '9')))
        return false;           /* no spaces, no "inf"/"nan" spelled by strtod */
    /* Nor hex: strtod reads "0x10" as 16 and "-0x1p3" as -8, forms %.17g never
     * prints (found by tests/fuzz/fuzz_dump_row). A decimal float has only these. */
    if (s[strspn(s, "0123456789.eE+-")] != '\0')
        return false;
    char *end;
    double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

int dump_parse_row(const char *row, size_t len, struct keystate *ks)
{
    char copy[DUMP_ROW_MAX];
    char *f[DUMP_FIELDS];
    size_t nf = 0;

    if (len >= sizeof copy || memchr(row, '\0', len))
        goto bad;
    memcpy(copy, row, len);
    copy[len] = '\0';
    for (char *p = copy;;) {    /* split in place at the commas */
        if (nf == DUMP_FIELDS)
            goto bad;
        f[nf++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    if (nf != DUMP_FIELDS || !key_valid(f[0], strlen(f[0])))
        goto bad;

    struct keystate k;
    fsm_init(&k, f[0], strlen(f[0]));
    if (state_parse(f[1], strlen(f[1]), &k.state) < 0 || !parse_u64(f[2], &k.messages) ||
        !parse_u64(f[3], &k.data_count) || !parse_double(f[4], &k.sum) ||
        !parse_double(f[8], &k.feature_sum) || !parse_u64(f[9], &k.invalid))
        goto bad;
    if (k.data_count) {
        if (!parse_double(f[5], &k.min) || !parse_double(f[6], &k.max) ||
            !parse_double(f[7], &k.last))
            goto bad;
    } else if (*f[5] || *f[6] || *f[7]) {
        goto bad;               /* SPEC §3: empty exactly when data_count is 0 */
    }
    *ks = k;
    return 0;
bad:
    errno = EINVAL;
    return -1;
}

/* strcmp compares as unsigned char (C11 7.24.4): bytewise, as SPEC §3 asks. */
static int by_key(const void *a, const void *b)
{
    const struct keystate *x = *(struct keystate *const *)a, *y = *(struct keystate *const *)b;
    return strcmp(x->key, y->key);
}

void dump_sort(struct keystate **rows, size_t n)
{
    if (n > 1)
        qsort(rows, n, sizeof *rows, by_key);
}

int dump_write_rows(FILE *f, struct keystate *const *rows, size_t n)
{
    char row[DUMP_ROW_MAX];
    if (fputs(DUMP_HEADER "\n", f) == EOF)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int len = dump_row(rows[i], row, sizeof row);
        if (len < 0)
            return -1;
        row[len] = '\n';
        if (fwrite(row, 1, (size_t)len + 1, f) != (size_t)len + 1)
            return -1;
    }
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

int dump_write(FILE *f, const struct registry *r)
{
    size_t n;
    struct keystate **rows = registry_sorted(r, &n);
    if (!rows && registry_count(r))
        return -1;              /* ENOMEM */
    int rc = dump_write_rows(f, rows, n);
    int saved = errno;
    free(rows);
    errno = saved;
    return rc;
}

int dump_to_path(const char *path, const struct registry *r, char *err, size_t errlen)
{
    bool is_stdout = strcmp(path, "-") == 0;
    FILE *f = is_stdout ? stdout : fopen(path, "we");
    if (!f) {
        snprintf(err, errlen, "cannot open '%s' for the state dump: %s", path, strerror(errno));
        return -1;
    }
    int rc = dump_write(f, r);
    int saved = errno;
    if (!is_stdout && fclose(f) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc < 0) {
        snprintf(err, errlen, "cannot write the state dump to '%s': %s",
                 is_stdout ? "stdout" : path, strerror(saved));
        errno = saved;
    }
    return rc;
}
