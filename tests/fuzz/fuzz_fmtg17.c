/* fuzz_fmtg17.c: lib/fmtg17.h's %.17g against glibc's snprintf, byte for byte.
 *
 * Every 8 bytes of the input are one double's bits (little-endian as memcpy
 * reads them on x86-64; a short tail is zero-padded): fmtg17_write must print
 * exactly what snprintf(buf, n, "%.17g", x) prints, for every bit pattern (inf
 * and nan included), and fmtg17_fast, when it answers, the same. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fmtg17.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t off = 0; off < size; off += 8) {
        uint64_t bits = 0;
        memcpy(&bits, data + off, size - off < 8 ? size - off : 8);
        double x;
        memcpy(&x, &bits, sizeof x);
        char want[64], got[FMTG17_MAX];
        int wn = snprintf(want, sizeof want, "%.17g", x);
        int gn = fmtg17_write(got, x);
        FUZZ_CHECK(gn == wn && strcmp(got, want) == 0, "0x%016llx: glibc '%s', fmtg17 '%s'",
                   (unsigned long long)bits, want, got);
        int fn = fmtg17_fast(got, x);
        FUZZ_CHECK(fn < 0 || (fn == wn && strcmp(got, want) == 0),
                   "0x%016llx: glibc '%s', fast path '%s'", (unsigned long long)bits, want, got);
    }
    return 0;
}
