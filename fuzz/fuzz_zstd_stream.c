/*
 * libFuzzer target: the zstd decoding path of the input stream (members or
 * frames, damage, resynchronization), with WARC parsing on top. Inputs
 * that do not start with the zstd magic get it prepended.
 */
#include <stdint.h>

#include "fuzz_io_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t magic[] = { 0x28, 0xb5, 0x2f, 0xfd };
    fuzz_read_with_magic(data, size, magic, sizeof(magic));
    return 0;
}
