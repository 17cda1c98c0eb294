/*
 * Fuzz target: Punkt parameters (NLTK's JSON form) from untrusted bytes.
 * Loading must either fail with a message or give a tokenizer that splits
 * and tokenizes without reading out of bounds, whatever the types are
 * (empty, long, non-ASCII, "." as a collocation's first type, ...): a few
 * fixed texts with abbreviations, initials and numbers, then the input
 * itself as text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/nlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct th_nlp_options o = {.language = "english",
                               .punkt_json = (const char *)data,
                               .punkt_json_len = size};
    struct th_nlp *nlp;
    struct th_error err = {0};
    if (th_nlp_new_opts(&nlp, &o, &err) < 0)
        return 0;
    struct th_arena *arena;
    if (th_arena_new(&arena, 0, 0) < 0) {
        th_nlp_free(nlp);
        return 0;
    }
    static const char *const texts[] = {
        "Mr. Smith met Dr. J. Jones at 5 p.m. on Jan. 3. Then he left.",
        "It was 5. Kelvin said so... Meanwhile, e.g. the U.S.A. agreed.",
        "\xc3\x89t\xc3\xa9. \xc3\x80 b. c. D. \"Quoted.\" (Paren.) end",
    };
    for (size_t i = 0; i <= sizeof(texts) / sizeof(texts[0]); i++) {
        const char *t = i < 3 ? texts[i] : (const char *)data;
        size_t len = i < 3 ? strlen(t) : size;
        struct th_slice *items;
        size_t n;
        th_nlp_word_tokenize(nlp, t, len, arena, &items, &n, &err);
        th_nlp_sent_tokenize(nlp, t, len, arena, &items, &n, &err);
        th_arena_reset(arena);
    }
    th_arena_free(arena);
    th_nlp_free(nlp);
    return 0;
}
