/* fmtg17.c: "%.17g" of a double, on a proven fast path or through snprintf.
 * The argument for the fast path is in fmtg17.h; each step below names its part. */
#include "fmtg17.h"

#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define DIGITS 17                       /* %.17g's significant digits */
#define TEN17 100000000000000000ULL     /* the first 18-digit integer */

/* The 17 decimal digits of n < 10^17, leading zeros included. */
static void digits17(char d[DIGITS], uint64_t n)
{
    for (int i = DIGITS - 1; i >= 0; i--, n /= 10)
        d[i] = (char)('0' + n % 10);
}

#if LDBL_MANT_DIG == 64
/* %g's layout (C11 7.21.6.1) of the 17 significant digits d with decimal
 * exponent x, written at buf + len (a sign already there): fixed notation if
 * -4 <= x < 17, else d.ddde±XX with at least two exponent digits; trailing zeros
 * of the fraction dropped, and the point with them when nothing follows it. */
static int layout(char *buf, int len, const char d[DIGITS], int x)
{
    int nd = DIGITS;
    while (nd > 1 && d[nd - 1] == '0')
        nd--;
    char *p = buf + len;
    if (x < -4 || x >= DIGITS) {
        *p++ = d[0];
        if (nd > 1) {
            *p++ = '.';
            memcpy(p, d + 1, (size_t)nd - 1);
            p += nd - 1;
        }
        *p++ = 'e';
        *p++ = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;
        if (ax >= 100)
            *p++ = (char)('0' + ax / 100);
        *p++ = (char)('0' + ax / 10 % 10);
        *p++ = (char)('0' + ax % 10);
    } else if (x >= 0) {
        int ip = x + 1;                 /* integer digits; all of them are in d */
        memcpy(p, d, (size_t)ip);
        p += ip;
        if (nd > ip) {
            *p++ = '.';
            memcpy(p, d + ip, (size_t)(nd - ip));
            p += nd - ip;
        }
    } else {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -x - 1; i++)
            *p++ = '0';
        memcpy(p, d, (size_t)nd);
        p += nd;
    }
    *p = '\0';
    return (int)(p - buf);
}

/* 10^0..10^27: every one exact in a 64-bit mantissa (5^27 < 2^64 <= 5^28). */
static const long double pow10_exact[] = {
    1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
    1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
    1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L,
};
#define POW10_MAX (int)(sizeof pow10_exact / sizeof pow10_exact[0] - 1)

/* *y = ax * 10^(16 - x), one correctly rounded operation by an exact power.
 * Returns -1 when that power is not in the table. */
static int scale(double ax, int x, long double *y)
{
    int k = 16 - x;
    if (k > POW10_MAX || k < -POW10_MAX)
        return -1;
    *y = k >= 0 ? (long double)ax * pow10_exact[k] : (long double)ax / pow10_exact[-k];
    return 0;
}

/* Long double arithmetic really keeps 64 bits here: not so under valgrind
 * (which does x87 in double precision) or with the x87 precision control
 * lowered; and rounding is to nearest, as the error bound assumes. */
static int arithmetic_as_assumed(void)
{
    volatile long double one = 1.0L;
    return one + 0x1p-63L != 1.0L && fegetround() == FE_TONEAREST;
}
#endif

int fmtg17_fast(char *buf, double x)
{
    int len = 0;
    if (signbit(x))
        buf[len++] = '-';
    double ax = fabs(x);
    if (ax == 0) {
        buf[len++] = '0';
        buf[len] = '\0';
        return len;
    }
    if (ax < 1e17 && ax == (double)(uint64_t)ax) {  /* an integer: exact, fixed notation */
        char d[DIGITS];
        digits17(d, (uint64_t)ax);
        int lead = 0;
        while (d[lead] == '0')          /* ax >= 1: some digit is not 0 */
            lead++;
        memcpy(buf + len, d + lead, (size_t)(DIGITS - lead));
        len += DIGITS - lead;
        buf[len] = '\0';
        return len;
    }
#if LDBL_MANT_DIG == 64
    if (!isfinite(ax) || !arithmetic_as_assumed())
        return -1;
    int e2;
    frexp(ax, &e2);             /* ax in [2^(e2-1), 2^e2): x10 below is X or X-1 */
    int x10 = (int)floor((e2 - 1) * 0.30102999566398120);
    long double y;
    for (int tries = 0;; tries++) {
        if (tries == 3 || scale(ax, x10, &y) < 0)
            return -1;
        if (y < 1e16L)
            x10--;
        else if (y >= 1e17L)
            x10++;
        else
            break;
    }
    /* Rounding is monotone and 1e16, 1e17 are exact: y in (1e16, 1e17) puts the
     * exact product there too, so X = x10. y == 1e16 may have been rounded up. */
    if (y == 1e16L)
        return -1;
    uint64_t n = (uint64_t)y;
    long double frac = y - (long double)n;          /* exact */
    if (fabsl(frac - 0.5L) <= 0x1p-8L)              /* within half an ulp of y of a tie */
        return -1;
    n += frac > 0.5L;
    if (n >= TEN17)                                 /* carried into an 18th digit */
        return -1;
    char d[DIGITS];
    digits17(d, n);
    return layout(buf, len, d, x10);
#else
    return -1;                  /* no 64-bit long double: nothing proven */
#endif
}

int fmtg17_write(char *buf, double x)
{
    int n = fmtg17_fast(buf, x);
    return n >= 0 ? n : snprintf(buf, FMTG17_MAX, "%.17g", x);
}
