/*
 * Fuzz target: the reader of dedup intermediate files (header, blocks,
 * trailer, checksums) on arbitrary bytes, through the same code the CLI
 * uses. A valid file must report exactly the records it holds.
 */
#include <stdint.h>
#include <stdlib.h>

#include "thresh/dedup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct th_error err = {0};
    int64_t n = th_dedup_file_check_buffer(data, size, &err);
    if (n < 0 && err.msg[0] == 0)
        abort();
    return 0;
}
