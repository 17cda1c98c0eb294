/*
 * libFuzzer target: the "normalize" + "clean" stages on arbitrary bytes.
 * Checks that the cleaned text is valid UTF-8 and that cleaning it again
 * changes nothing; th_text_clean() on raw, unnormalized bytes must not
 * crash either. The glued-word repair runs on the raw bytes too (when the
 * word lists are installed) and must keep every byte but add only spaces.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/text.h"

static void check_glue(const char *text, size_t size)
{
    static struct th_text_glue *glue;
    static bool tried;
    if (!tried) {
        struct th_error err;
        tried = true;
        if (th_text_glue_new(&glue, NULL, &err) < 0)
            glue = NULL;   /* word lists missing: nothing to fuzz */
    }
    if (!glue)
        return;
    struct th_buf out;
    size_t n_split = 0;
    th_buf_init(&out, 0);
    if (th_text_split_glued(glue, text, size, &out, &n_split) == 0) {
        /* the output is the input plus n_split spaces, nothing else */
        size_t i = 0, j = 0, added = 0;
        while (j < out.len) {
            if (i < size && out.ptr[j] == text[i]) {
                i++;
                j++;
            } else if (out.ptr[j] == ' ') {
                added++;
                j++;
            } else {
                abort();
            }
        }
        if (i != size || added != n_split)
            abort();
    }
    th_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct th_buf norm, once, twice, raw;
    th_buf_init(&norm, 0);
    th_buf_init(&once, 0);
    th_buf_init(&twice, 0);
    th_buf_init(&raw, 0);
    const char *text = (const char *)data;
    th_text_clean(text, size, NULL, &raw, NULL);
    check_glue(text, size);
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
