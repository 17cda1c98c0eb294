/*
 * Fuzz target: a fastText model file from untrusted bytes. Loading must
 * either fail with a message or give a model that predicts without reading
 * out of bounds, for every loss and matrix kind.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/fasttext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct th_fasttext *model;
    struct th_error err = {0};
    if (th_fasttext_open_memory(&model, data, size, &err) < 0)
        return 0;
    struct th_fasttext_info info;
    th_fasttext_get_info(model, &info);
    struct th_fasttext_state *st;
    if (th_fasttext_state_new(&st, model) == 0) {
        static const char *const lines[] = {
            "hello world\n", "", "\n", "a </s> b", "__label__x y z",
            "\xc3\xa9t\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 w\xff\xfe", "  \t\v ",
        };
        size_t cap = info.n_labels > 0 ? (size_t)info.n_labels : 1;
        struct th_fasttext_prediction *pred = calloc(cap, sizeof(*pred));
        for (size_t i = 0; pred && i < sizeof(lines) / sizeof(lines[0]);
             i++) {
            size_t n, used;
            int32_t k = i % 2 ? -1 : (int32_t)(cap < 3 ? cap : 3);
            th_fasttext_predict(model, st, lines[i], strlen(lines[i]), k,
                                i == 3 ? 0.1f : 0.0f,
                                TH_FASTTEXT_APPEND_EOS, pred, &n, &used,
                                &err);
        }
        free(pred);
        th_fasttext_state_free(st);
    }
    th_fasttext_free(model);
    return 0;
}
