/* primes.h: the is_prime assignment of seed 004: a file of random integers, and
 * the CPU-heavy test mapped over it, either element by element (is_prime, for
 * poolmap_run) or over a byte range of the file itself (primes_count_range,
 * for poolmap_ranges: each worker parses its own part). */
#ifndef KIT_PRIMES_H
#define KIT_PRIMES_H

#include <stddef.h>
#include <stdint.h>

#define PRIMES_VALUE_MAX 1000000    /* the assignment's range: 1 .. 1,000,000 */

/* 1 if n is prime (trial division by 2 and the odd numbers up to sqrt(n)). */
int64_t is_prime(int64_t n);

/* Write count random integers in [1, PRIMES_VALUE_MAX], one per line, made by
 * the kit's seeded PRNG. Returns 0, or -1 with errno. */
int primes_write_file(const char *path, uint64_t count, uint64_t seed);

/* What primes_count_range found in its range. */
struct primes_tally {
    uint64_t integers;          /* lines read (up to the first malformed one) */
    uint64_t primes;            /* how many of them are prime */
    uint64_t bad_off;           /* byte offset of the first malformed line, or PRIMES_NO_BAD */
};

#define PRIMES_NO_BAD UINT64_MAX    /* bad_off when every line was an integer */

/* Count the primes among the integers of the lines of data[0, len) (one
 * decimal integer per line, as primes_write_file writes them) that START in
 * [begin, end): a range that begins mid-line leaves that line to the range
 * before it, so ranges that tile [0, len) see every line exactly once,
 * wherever they were cut. Parses and tests in one pass; a malformed line
 * stops the count there (its offset in bad_off). Fills *(struct primes_tally
 * *)tally and returns 0 (the poolmap_range_fn shape). */
int primes_count_range(const char *data, size_t len, size_t begin, size_t end, void *tally);

/* The 1-based number of the line that starts at byte off of data. */
uint64_t primes_line_of(const char *data, size_t off);

#endif
