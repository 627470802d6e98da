/* primes.c: the is_prime assignment's data and test (see primes.h). */
#include "primes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

int64_t is_prime(int64_t n)
{
    if (n < 2)
        return 0;
    if (n < 4)
        return 1;
    if (n % 2 == 0)
        return 0;
    for (int64_t d = 3; d <= n / d; d += 2)
        if (n % d == 0)
            return 0;
    return 1;
}

int primes_write_file(const char *path, uint64_t count, uint64_t seed)
{
    FILE *f = fopen(path, "we");
    if (!f)
        return -1;
    struct rng r;
    rng_seed(&r, seed);
    for (uint64_t i = 0; i < count; i++)
        fprintf(f, "%llu\n", (unsigned long long)(1 + rng_below(&r, PRIMES_VALUE_MAX)));
    int saved = ferror(f) ? EIO : 0;
    if (fclose(f) != 0 || saved) {
        errno = saved ? saved : errno;
        return -1;
    }
    return 0;
}

/* One line data[s, e) (no newline) as an integer, with strtoll's rules: optional
 * leading blanks and sign, then decimal digits and nothing else, in range.
 * Returns 0, or -1 if malformed. */
static int parse_line(const char *s, const char *e, int64_t *v)
{
    while (s < e && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' || *s == '\f'))
        s++;
    int neg = s < e && *s == '-';
    if (s < e && (*s == '-' || *s == '+'))
        s++;
    if (s == e)
        return -1;
    uint64_t x = 0;
    for (; s < e; s++) {
        unsigned d = (unsigned char)*s - '0';
        if (d > 9 || x > ((uint64_t)INT64_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *v = neg ? -(int64_t)x : (int64_t)x;
    return 0;
}

int primes_count_range(const char *data, size_t len, size_t begin, size_t end, void *tally)
{
    struct primes_tally *t = tally;
    *t = (struct primes_tally){ .bad_off = PRIMES_NO_BAD };
    size_t p = begin < len ? begin : len;
    /* A line that started before begin is the previous range's. */
    if (p > 0 && data[p - 1] != '\n') {
        const char *nl = memchr(data + p, '\n', len - p);
        p = nl ? (size_t)(nl - data) + 1 : len;
    }
    while (p < end && p < len) {
        const char *nl = memchr(data + p, '\n', len - p);
        size_t q = nl ? (size_t)(nl - data) : len;
        int64_t v;
        if (parse_line(data + p, data + q, &v) < 0) {
            t->bad_off = p;
            break;
        }
        t->integers++;
        t->primes += (uint64_t)is_prime(v);
        p = q + 1;
    }
    return 0;
}

uint64_t primes_line_of(const char *data, size_t off)
{
    uint64_t line = 1;
    for (const char *p = data, *e = data + off; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
        line++;
    return line;
}
