/*
 * Fuzz target: language identification of untrusted text with the built-in
 * model (every preset, paragraph-style line splitting), and the recipe
 * preprocessing on its own. The first input byte picks the preset.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/langid.h"

static struct th_langid *lid;
static struct th_langid_worker *worker;
static int tried;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!tried) {
        struct th_error err = {0};
        tried = 1;
        if (th_langid_new(&lid, NULL, &err) == 0 &&
            th_langid_worker_new(&worker, lid) < 0) {
            th_langid_free(lid);
            lid = NULL;
        }
    }
    if (size == 0)
        return 0;
    enum th_langid_preset preset = (enum th_langid_preset)(data[0] % 5);
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    char *out = malloc(len + 1);
    if (!out)
        return 0;
    size_t n = th_langid_preprocess(preset, text, len, out);
    if (n > len)
        abort();
    free(out);
    if (lid) {
        struct th_langid_result res[3];
        struct th_error err = {0};
        th_langid_predict(lid, worker, preset, text, len, 3, res, &n, &err);
        /* per line, as paragraph mode does */
        for (size_t pos = 0; pos < len;) {
            const char *nl = memchr(text + pos, '\n', len - pos);
            size_t end = nl ? (size_t)(nl - text) : len;
            th_langid_predict(lid, worker, TH_LANGID_PRESET_RAW, text + pos,
                              end - pos, 1, res, &n, &err);
            pos = end + 1;
        }
        char label[64];
        float p;
        memcpy(label, "__label__en", 12);
        th_langid_label_prob(lid, worker, preset, text, len, label, &p,
                             &err);
    }
    return 0;
}
