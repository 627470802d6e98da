/* primes.h: the is_prime assignment of seed 004: a file of random integers, and
 * the CPU-heavy test mapped over it. */
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

/* Read one integer per line into a malloc'd array (*n of them). Returns the
 * array, or NULL with errno (EINVAL and the line number in *bad_line for a line
 * that is not an integer). */
int64_t *primes_read_file(const char *path, size_t *n, size_t *bad_line);

#endif
