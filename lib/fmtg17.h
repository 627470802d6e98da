/* fmtg17.h: printf's "%.17g" for one double, the same bytes, several times faster.
 *
 * Why: the state dump (SPEC §3, lib/dump.c) prints five doubles a row with
 * %.17g, and phase 4 answers a GET with one dump row. glibc's printf converts a
 * double with multi-precision integer arithmetic (its __printf_fp), which cost
 * ~1.7 µs of CPU for a row's five doubles on the kit's VM: three times the GET's
 * lookup and seqlocked read together (issue 16, point 5).
 *
 * Why not a library: Ryu and its kin print the SHORTEST digits that read back,
 * not %.17g's 17 significant digits, so their output differs ("0.1", not
 * "0.10000000000000001") and SPEC §3's bytes would change. Debian (12) packages
 * no C library for fixed-precision %.17g: `apt-cache search ryu` finds only the
 * Rust crate; libdouble-conversion-dev (DoubleToStringConverter::ToPrecision)
 * does it but is C++, and the kit is C11.
 *
 * How: a double |x| = m * 2^e is scaled by an exact power of ten in x87 long
 * double (64-bit mantissa: 10^0..10^27 are exact there) to y = |x| * 10^(16-X),
 * X the decimal exponent, so y lies in (1e16, 1e17). One correctly rounded
 * multiply or divide is off by at most half an ulp of y (<= 2^-8 below 2^57), so
 * rounding y to the nearest integer gives the correctly rounded 17 digits,
 * unless y's fraction lies within that bound of .5. There, and wherever the
 * argument does not hold (subnormals, |x| outside ~1e-11..1e43, y exactly 1e16,
 * a rounding carry to 1e17, a rounding mode other than to-nearest, a long double
 * that is not x87's 64-bit one), it says so and the caller falls back to
 * snprintf. Integers below 1e17 are printed directly (they are exact).
 * tests/test_fmtg17.c compares every path with glibc byte for byte. */
#ifndef KIT_FMTG17_H
#define KIT_FMTG17_H

#define FMTG17_MAX 32           /* buffer bytes for any %.17g of a double, NUL included */

/* Write %.17g of a finite x into buf[FMTG17_MAX] (NUL-terminated) if the fast
 * path can prove its digits. Returns the length, or -1 (buf then undefined):
 * call snprintf instead. Never -1 for 0, -0 and integers of magnitude < 1e17. */
int fmtg17_fast(char *buf, double x);

/* Write snprintf(buf, FMTG17_MAX, "%.17g", x) into buf[FMTG17_MAX], byte for
 * byte, for any x (inf and nan included). Returns the length. */
int fmtg17_write(char *buf, double x);

#endif
