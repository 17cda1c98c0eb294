/*
 * Fuzz target for the NLTK-compatible tokenizers: any bytes through
 * th_nlp_word_tokenize, th_nlp_sent_tokenize and th_nlp_count_sentences.
 * Checks invariants that hold for every input: no empty or
 * whitespace-containing word, sentences are in-order, non-overlapping,
 * non-empty slices of the input, and the sentence count agrees.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/nlp.h"

static int is_ascii_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct th_nlp *nlp = NULL;
    struct th_arena *arena = NULL;
    struct th_error err;
    if (th_nlp_new(&nlp, "english", &err) < 0)
        return 0;
    if (th_arena_new(&arena, 0, 0) < 0)
        goto out;
    const char *text = (const char *)data;
    struct th_slice *w = NULL, *s = NULL;
    size_t nw = 0, ns = 0, count = 0;
    if (th_nlp_word_tokenize(nlp, text, size, arena, &w, &nw, &err) == 0) {
        for (size_t i = 0; i < nw; i++) {
            if (w[i].len == 0)
                abort();
            for (size_t k = 0; k < w[i].len; k++)
                if (is_ascii_space(w[i].ptr[k]))
                    abort();
        }
    }
    if (th_nlp_sent_tokenize(nlp, text, size, arena, &s, &ns, &err) == 0) {
        const char *prev_end = text;
        for (size_t i = 0; i < ns; i++) {
            if (s[i].len == 0 || s[i].ptr < prev_end ||
                s[i].ptr + s[i].len > text + size)
                abort();
            prev_end = s[i].ptr + s[i].len;
        }
        if (th_nlp_count_sentences(nlp, text, size, arena, &count,
                                   &err) == 0 && count != ns)
            abort();
    }
out:
    th_arena_free(arena);
    th_nlp_free(nlp);
    return 0;
}
