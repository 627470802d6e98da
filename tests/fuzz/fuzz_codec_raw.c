/* fuzz_codec_raw.c: codec_decode(CODEC_RAW) on arbitrary bytes; the checks are
 * in fuzz_codec.h. */
#include "fuzz_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_codec(CODEC_RAW, data, size);
}
