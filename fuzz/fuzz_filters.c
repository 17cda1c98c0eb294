/*
 * Fuzz target: the quality filters on arbitrary bytes, with the NLTK-style
 * tokenizer of lib/nlp as their word and sentence source (so the tokenizer
 * is fuzzed through the filters too): every filter with full statistics,
 * the chain in drop and annotate mode under both presets, and the URL
 * filter on the first line. The first byte picks options. Each filter's
 * decision without statistics (early exits, bounds, lazy counting) must be
 * the one computed with every statistic, and the chain's decision and
 * kept text those of the filters in sequence: a difference aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/filter.h"
#include "thresh/nlp.h"

static int nlp_words(const char *text, size_t len, struct th_arena *a,
                     struct th_slice **words_out, size_t *n_out,
                     struct th_error *err, void *ctx)
{
    return th_nlp_word_tokenize(ctx, text, len, a, words_out, n_out, err);
}

static int nlp_sentences(const char *text, size_t len, struct th_arena *a,
                         size_t *n_out, struct th_error *err, void *ctx)
{
    return th_nlp_count_sentences(ctx, text, len, a, n_out, err);
}

/* The decisions with and without statistics must agree. */
static void same_reason(const char *filter, const char *with_stats,
                        const char *without)
{
    if (with_stats == without ||
        (with_stats && without && strcmp(with_stats, without) == 0))
        return;
    fprintf(stderr, "%s: %s with statistics, %s without\n", filter,
            with_stats ? with_stats : "keep", without ? without : "keep");
    abort();
}

/*
 * The chain (which shares its passes over the text between the filters)
 * must decide as the four filters run one after the other, and keep the
 * same text.
 */
static void chain_equals_sequence(const struct th_filters_opts *o,
                                  const struct th_doc *doc, const char *text,
                                  size_t len,
                                  const struct th_filter_tokenizer *tok,
                                  struct th_arena *arena)
{
    struct th_error err;
    struct th_slice *w = NULL, out = {text, len};
    size_t nw = 0;
    const char *want = NULL;
    if (tok->words(text, len, arena, &w, &nw, &err, tok->ctx) < 0 ||
        th_gopher_repetition(&o->repetition, text, len, w, nw, arena, NULL,
                             &want, &err) < 0)
        return;
    if (!want)
        th_gopher_quality(&o->quality, text, len, w, nw, NULL, &want);
    if (!want && th_c4_quality(&o->c4, text, len, tok, arena, &out, NULL,
                               &want, &err) < 0)
        return;
    if (!want && th_fineweb_quality(&o->fineweb, out.ptr, out.len, tok,
                                    arena, NULL, &want, &err) < 0)
        return;
    const char *got = doc->verdict == TH_DROP ? doc->drop_reason : NULL;
    same_reason("chain", want, got);
    if (!want && (doc->text.len != out.len ||
                  memcmp(doc->text.ptr, out.ptr, out.len) != 0)) {
        fprintf(stderr, "chain: kept texts differ\n");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct th_error err;
    static struct th_nlp *nlp;  /* immutable, built once, kept reachable */
    struct th_arena *arena;
    if (size < 1 || (!nlp && th_nlp_new(&nlp, "english", &err) < 0))
        return 0;
    if (th_arena_new(&arena, 0, 256u << 20) < 0)
        return 0;
    enum th_filter_preset preset = (data[0] & 1) ? TH_PRESET_DATATROVE
                                                 : TH_PRESET_FINEWEB_V1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    struct th_filter_tokenizer tok = {nlp_words, nlp_sentences, nlp,
                                      TH_NLP_WORD_PAD};

    struct th_slice *w = NULL, out;
    size_t nw = 0;
    const char *reason;
    if (th_nlp_word_tokenize(nlp, text, len, arena, &w, &nw, &err) == 0) {
        struct th_gopher_repetition_opts ro;
        struct th_gopher_repetition_stats rs;
        th_gopher_repetition_opts_init(&ro, preset);
        const char *fast;
        if (th_gopher_repetition(&ro, text, len, w, nw, arena, &rs, &reason,
                                 &err) == 0 &&
            th_gopher_repetition(&ro, text, len, w, nw, arena, NULL, &fast,
                                 &err) == 0)
            same_reason("gopher_repetition", reason, fast);
        struct th_gopher_quality_opts qo;
        struct th_gopher_quality_stats qs;
        th_gopher_quality_opts_init(&qo, preset);
        th_gopher_quality(&qo, text, len, w, nw, &qs, &reason);
        th_gopher_quality(&qo, text, len, w, nw, NULL, &fast);
        same_reason("gopher_quality", reason, fast);
    }
    struct th_c4_quality_opts co;
    struct th_c4_quality_stats cs;
    th_c4_quality_opts_init(&co, preset);
    co.filter_no_terminal_punct = (data[0] & 2) != 0;
    struct th_slice out_fast;
    const char *fast;
    if (th_c4_quality(&co, text, len, &tok, arena, &out, &cs, &reason,
                      &err) == 0 &&
        th_c4_quality(&co, text, len, &tok, arena, &out_fast, NULL, &fast,
                      &err) == 0) {
        same_reason("c4_quality", reason, fast);
        if (!reason && (out.len != out_fast.len ||
                        memcmp(out.ptr, out_fast.ptr, out.len) != 0)) {
            fprintf(stderr, "c4_quality: rewritten texts differ\n");
            abort();
        }
    }
    struct th_fineweb_quality_opts fo;
    struct th_fineweb_quality_stats fs;
    th_fineweb_quality_opts_init(&fo, preset);
    if (th_fineweb_quality(&fo, text, len, &tok, arena, &fs, &reason,
                           &err) == 0 &&
        th_fineweb_quality(&fo, text, len, &tok, arena, NULL, &fast,
                           &err) == 0)
        same_reason("fineweb_quality", reason, fast);

    struct th_filters_opts o;
    th_filters_opts_init(&o, preset);
    o.annotate = (data[0] & 4) != 0;
    struct th_filters *f;
    if (th_filters_new(&f, &o, &err) == 0) {
        struct th_doc doc;
        th_doc_init(&doc);
        doc.text = (struct th_slice){text, len};
        if (th_filters_apply(f, &doc, "filters", &tok, arena, &err) == 0 &&
            !o.annotate)
            chain_equals_sequence(&o, &doc, text, len, &tok, arena);
        th_filters_free(f);
    }

    static struct th_url_filter *uf;  /* built once (reads the PSL) */
    struct th_url_filter_opts uo = {0};
    if (!uf && th_url_filter_new(&uf, &uo, &err) == 0) {
        th_url_filter_add_domain(uf, "example.com", 11, &err);
        th_url_filter_add_word(uf, TH_URL_BANNED_SUBWORD, "xxx", 3, &err);
    }
    if (uf) {
        const char *nl = memchr(text, '\n', len);
        size_t ul = nl ? (size_t)(nl - text) : len;
        th_url_filter_check(uf, text, ul, arena, &reason, &err);
    }
    th_arena_free(arena);
    return 0;
}
