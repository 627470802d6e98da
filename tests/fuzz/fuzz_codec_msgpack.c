/* fuzz_codec_msgpack.c: codec_decode(CODEC_MSGPACK) on arbitrary bytes; the checks are
 * in fuzz_codec.h. */
#include "fuzz_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_codec(CODEC_MSGPACK, data, size);
}
