/* fuzz.h: what every fuzz target of the kit shares.
 *
 * A target is one LLVMFuzzerTestOneInput(data, size) that feeds arbitrary bytes
 * to one decoder of lib/ and checks what the decoder promises in its header:
 * not only "no crash" (ASan and UBSan see to that) but the contracts: a rejected
 * input says why, an accepted one obeys the type's invariants, and whatever is
 * accepted survives an encode/decode round trip exactly.
 *
 * The same source is built twice (tests/fuzz/fuzz.mk):
 *   - with clang -fsanitize=fuzzer,address,undefined into build/fuzz/NAME, a
 *     libFuzzer binary (`make fuzz`);
 *   - with the ordinary compiler and -DLLVMFuzzerTestOneInput=NAME_one, linked
 *     into the Check suite tests/test_fuzz_replay.c, which runs every file of the
 *     committed corpus through it, so `make test` catches a regression on any
 *     input the fuzzers ever found, without clang. */
#ifndef KIT_FUZZ_H
#define KIT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The entry point libFuzzer calls once per input. Returns 0 (the only value
 * libFuzzer accepts); a broken invariant aborts with a message instead. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check an invariant: on failure name it and where, then abort(), which
 * libFuzzer turns into a crash report with the input saved as an artifact and
 * the replay suite into a failed test naming the corpus file. */
#define FUZZ_CHECK(cond, ...)                                                   \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__, \
                    #cond);                                                     \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* True if s is a NUL-terminated string of printable ASCII, at most max bytes
 * long: what a reason that ends up on a terminal or a socket must be. */
static inline int fuzz_printable(const char *s, size_t max)
{
    for (size_t i = 0; i < max; i++) {
        if (s[i] == '\0')
            return 1;
        if (s[i] < 0x20 || s[i] > 0x7e)
            return 0;
    }
    return 0;
}

#endif
