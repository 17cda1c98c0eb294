/*
 * Fuzz target for the NLTK-compatible tokenizers: any bytes through
 * th_nlp_word_tokenize, th_nlp_sent_tokenize and th_nlp_count_sentences.
 * Checks invariants that hold for every input: no empty or
 * whitespace-containing word, sentences are in-order, non-overlapping,
 * non-empty slices of the input, and the sentence count agrees. It also
 * checks the Treebank fast paths against the plain rewrite pipeline: the
 * input taken as one sentence must give the same tokens both ways; and
 * Punkt's fast decisions against its full procedure (same spans).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/nlp.h"
#include "../lib/nlp/nlp_internal.h"

/* Tokens joined by NUL bytes, for comparing two tokenizations. */
struct joined {
    char *bytes;     /* heap */
    size_t len;      /* used */
    size_t cap;      /* allocated */
};

static int join_emit(const char *tok, size_t len, void *ctx)
{
    struct joined *j = ctx;
    if (j->len + len + 1 > j->cap) {
        size_t cap = (j->len + len + 1) * 2;
        char *b = realloc(j->bytes, cap);
        if (!b)
            return TH_ENOMEM;
        j->bytes = b;
        j->cap = cap;
    }
    memcpy(j->bytes + j->len, tok, len);
    j->bytes[j->len + len] = 0;
    j->len += len + 1;
    return 0;
}

static void check_fast_paths(const struct th_nlp *nlp, const char *s,
                             size_t n)
{
    struct joined a = {0}, b = {0};
    struct nlp_str w1[2] = {{0}}, w2[2] = {{0}};
    int ra = nlp_treebank_tokenize(nlp, s, n, w1, join_emit, &a);
    int rb = nlp_treebank_tokenize_reference(nlp, s, n, w2, join_emit, &b);
    if (ra == 0 && rb == 0 &&
        (a.len != b.len || (a.len && memcmp(a.bytes, b.bytes, a.len))))
        abort();
    free(a.bytes);
    free(b.bytes);
    for (int k = 0; k < 2; k++) {
        nlp_str_release(&w1[k]);
        nlp_str_release(&w2[k]);
    }
}

static void no_trace(const struct nlp_punkt_trace *t, void *ctx)
{
    (void)t;
    (void)ctx;
}

/*
 * Punkt's fast decisions (taken only without a trace) against the full
 * procedure (always taken with one): the same spans.
 */
static void check_punkt_fast(const struct th_nlp *nlp, const char *s,
                             size_t n)
{
    struct nlp_span *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    int ra = nlp_punkt_spans(nlp, s, n, &a, &na);
    int rb = nlp_punkt_spans_traced(nlp, s, n, &b, &nb, no_trace, NULL);
    if (ra == 0 && rb == 0 &&
        (na != nb || (na && memcmp(a, b, na * sizeof(*a)))))
        abort();
    free(a);
    free(b);
}

static int is_ascii_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* The checks of one input with one tokenizer. */
static void run_one(const struct th_nlp *nlp, const uint8_t *data,
                    size_t size)
{
    struct th_arena *arena = NULL;
    struct th_error err;
    if (th_arena_new(&arena, 0, 0) < 0)
        return;
    const char *text = (const char *)data;
    check_fast_paths(nlp, text, size);
    check_punkt_fast(nlp, text, size);
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
    th_arena_free(arena);
}

/*
 * Every input with both Punkt parameter sets: th_nlp_new()'s default
 * (NLTK's when installed) and the built-in one, each made once (parsing
 * NLTK's 400 KB file per input would be most of the time).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct th_nlp *nlp_auto, *nlp_builtin;
    struct th_error err;
    struct th_nlp_options o = {.language = "english", .punkt = "builtin"};
    if (!nlp_auto && th_nlp_new(&nlp_auto, "english", &err) < 0)
        return 0;
    if (!nlp_builtin && th_nlp_new_opts(&nlp_builtin, &o, &err) < 0)
        return 0;
    run_one(nlp_auto, data, size);
    run_one(nlp_builtin, data, size);
    return 0;
}
