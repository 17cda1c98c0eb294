/*
 * libFuzzer target: the zstd decoding path of the input stream (members or
 * frames, damage, resynchronization), with WARC parsing on top. Inputs
 * that do not start with the zstd magic get it prepended.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_io_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t magic[] = { 0x28, 0xb5, 0x2f, 0xfd };
    if (size >= sizeof(magic) && memcmp(data, magic, sizeof(magic)) == 0) {
        fuzz_read_all(data, size, TH_FORMAT_AUTO);
        return 0;
    }
    uint8_t *buf = malloc(size + sizeof(magic));
    if (!buf)
        return 0;
    memcpy(buf, magic, sizeof(magic));
    if (size)
        memcpy(buf + sizeof(magic), data, size);
    fuzz_read_all(buf, size + sizeof(magic), TH_FORMAT_AUTO);
    free(buf);
    return 0;
}
