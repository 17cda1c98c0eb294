/* libFuzzer target: the warc reader over arbitrary bytes. */
#include <stdint.h>

#include "fuzz_io_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_read_all(data, size, TH_FORMAT_WARC);
    return 0;
}
