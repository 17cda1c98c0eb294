/*
 * libFuzzer target: the "normalize" + "clean" stages on arbitrary bytes.
 * Checks that the cleaned text is valid UTF-8 and that cleaning it again
 * changes nothing; th_text_clean() on raw, unnormalized bytes must not
 * crash either.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct th_buf norm, once, twice, raw;
    th_buf_init(&norm, 0);
    th_buf_init(&once, 0);
    th_buf_init(&twice, 0);
    th_buf_init(&raw, 0);
    const char *text = (const char *)data;
    th_text_clean(text, size, NULL, &raw, NULL);
    if (th_text_normalize(text, size, TH_TEXT_NORMALIZE_DEFAULT, &norm,
                          NULL) == 0 &&
        th_text_clean(norm.ptr ? norm.ptr : "", norm.len, NULL, &once,
                      NULL) == 0) {
        const char *o = once.ptr ? once.ptr : "";
        if (!th_text_is_valid_utf8(o, once.len))
            abort();
        if (th_text_clean(o, once.len, NULL, &twice, NULL) == 0 &&
            (twice.len != once.len ||
             (once.len && memcmp(twice.ptr, once.ptr, once.len) != 0)))
            abort();
    }
    th_buf_release(&norm);
    th_buf_release(&once);
    th_buf_release(&twice);
    th_buf_release(&raw);
    return 0;
}
