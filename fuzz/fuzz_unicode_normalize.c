/*
 * libFuzzer target: th_text_normalize() on arbitrary bytes. Checks the
 * promises of the "normalize" stage: the output is valid UTF-8 and
 * normalizing it again changes nothing. Any other flag combination must
 * not crash either (the first input byte picks one).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct th_buf once, twice, other;
    th_buf_init(&once, 0);
    th_buf_init(&twice, 0);
    th_buf_init(&other, 0);
    const char *text = (const char *)data;
    if (th_text_normalize(text, size, TH_TEXT_NORMALIZE_DEFAULT, &once,
                          NULL) == 0) {
        const char *o = once.ptr ? once.ptr : "";
        if (!th_text_is_valid_utf8(o, once.len))
            abort();
        if (th_text_normalize(o, once.len, TH_TEXT_NORMALIZE_DEFAULT,
                              &twice, NULL) == 0 &&
            (twice.len != once.len ||
             (once.len && memcmp(twice.ptr, once.ptr, once.len) != 0)))
            abort();
    }
    unsigned flags = size ? data[0] & TH_TEXT_NORMALIZE_DEFAULT : 0;
    if (th_text_normalize(text, size, flags, &other, NULL) == 0 &&
        !th_text_is_valid_utf8(other.ptr ? other.ptr : "", other.len))
        abort();
    th_buf_release(&once);
    th_buf_release(&twice);
    th_buf_release(&other);
    return 0;
}
