/*
 * The "filters" stage: the configured filter chain (th_filters) with the
 * NLTK-compatible tokenizer of lib/nlp plugged in as its word and sentence
 * source. Configuration: every "filters.*" key (docs/filter.md); the
 * default is the fineweb-v1 preset, dropping documents. With
 * filters.annotate=true nothing is dropped and the quality signals go into
 * metadata.
 *
 * Approach: the tokenizer and the chain (word lists, URL blocklists) are
 * built once in shared_new and shared read-only by every worker; a worker's
 * state is the shared object itself, since all per-document memory comes
 * from the arena passed to process().
 */
#include <stdlib.h>

#include "thresh/filter.h"
#include "thresh/nlp.h"
#include "thresh/stage.h"
#include "../core/banned.h"

struct filters_shared {
    struct th_filters *filters;   /* the chain */
    struct th_nlp *nlp;           /* English tokenizer */
    enum th_filter_preset preset; /* filters.preset */
};

static int nlp_words(const char *text, size_t len, struct th_arena *arena,
                     struct th_slice **words_out, size_t *n_out,
                     struct th_error *err, void *ctx)
{
    return th_nlp_word_tokenize(ctx, text, len, arena, words_out, n_out, err);
}

static int nlp_sentences(const char *text, size_t len, struct th_arena *arena,
                         size_t *n_out, struct th_error *err, void *ctx)
{
    return th_nlp_count_sentences(ctx, text, len, arena, n_out, err);
}

static void filters_shared_free(void *shared)
{
    struct filters_shared *s = shared;
    if (!s)
        return;
    th_filters_free(s->filters);
    th_nlp_free(s->nlp);
    free(s);
}

static int filters_shared_new(void **shared_out, const struct th_config *cfg,
                              struct th_error *err)
{
    struct filters_shared *s = calloc(1, sizeof(*s));
    if (!s)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    struct th_filters_opts opts;
    int rc = th_filters_opts_from_config(&opts, cfg, err);
    s->preset = opts.preset;
    if (rc == 0)
        rc = th_filters_new(&s->filters, &opts, err);
    if (rc == 0) {
        /* Punkt parameters: filters.punkt (struct th_nlp_options) */
        struct th_nlp_options no = {
            .language = "english",
            .punkt = th_config_get(cfg, "filters.punkt")};
        rc = th_nlp_new_opts(&s->nlp, &no, err);
    }
    if (rc < 0) {
        filters_shared_free(s);
        return rc;
    }
    *shared_out = s;
    return 0;
}

static int filters_create(void **state_out, void *shared,
                          const struct th_config *cfg, struct th_error *err)
{
    *state_out = shared;
    return 0;
}

static int filters_process(void *state, struct th_doc *doc,
                           struct th_arena *arena, struct th_error *err)
{
    const struct filters_shared *s = state;
    struct th_filter_tokenizer tok = {nlp_words, nlp_sentences, s->nlp,
                                      TH_NLP_WORD_PAD};
    return th_filters_apply(s->filters, doc, "filters", &tok, arena, err);
}

static void filters_destroy(void *state)
{
}

/* stats.json "info": the preset and the tokenizer's Punkt parameters
 * (NLTK's file or the built-in set: outputs differ between the two). */
static int filters_describe(const void *shared, struct th_buf *out)
{
    const struct filters_shared *s = shared;
    return th_buf_printf(out, "preset %s; punkt %s",
                         th_filter_preset_name(s->preset),
                         th_nlp_punkt_source(s->nlp));
}

const struct th_stage_type th_stage_filters = {
    .name = "filters",
    .summary = "Gopher, C4 and FineWeb quality filters (preset fineweb-v1), "
               "URL blocklists, bad words; or quality signals only",
    .flags = TH_STAGE_TEXT_ONLY,
    .shared_new = filters_shared_new,
    .shared_free = filters_shared_free,
    .describe = filters_describe,
    .create = filters_create,
    .process = filters_process,
    .process_serial = NULL,
    .destroy = filters_destroy,
};
