/* primes.c: the is_prime assignment's data and test (see primes.h). */
#include "primes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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

int64_t *primes_read_file(const char *path, size_t *n, size_t *bad_line)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    size_t cap = 1024, len = 0, line = 0;
    int64_t *a = malloc(cap * sizeof *a);
    char buf[64];
    while (a && fgets(buf, sizeof buf, f)) {
        line++;
        char *end;
        errno = 0;
        long long v = strtoll(buf, &end, 10);
        if (end == buf || errno || (*end && *end != '\n')) {
            *bad_line = line;
            free(a);
            fclose(f);
            errno = EINVAL;
            return NULL;
        }
        if (len == cap) {
            int64_t *b = realloc(a, (cap *= 2) * sizeof *a);
            if (!b) {
                free(a);
                a = NULL;
                break;
            }
            a = b;
        }
        a[len++] = v;
    }
    int saved = errno;
    fclose(f);
    if (!a) {
        errno = saved ? saved : ENOMEM;
        return NULL;
    }
    *n = len;
    return a;
}
