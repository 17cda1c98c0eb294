/*
 * The filter chain: presets, "filters.*" configuration, and the run over
 * one document (URL filter, Gopher repetition, Gopher quality, C4 quality,
 * FineWeb quality, C4 bad words), or in annotate mode the computation of
 * every quality signal into metadata without dropping anything.
 *
 * Approach: the word list is computed at most once per text and only when a
 * rule needs it: the Gopher repetition filter's paragraph and line rules run
 * first and drop many documents without tokenizing. C4 rewrites the text, so
 * FineWeb's word count is asked for the rewritten text, lazily. The passes
 * over the text are shared: the repetition filter's (characters, lines,
 * paragraphs) gives Gopher quality its line and symbol counts and C4 its
 * lines, and C4 gives FineWeb its newlines and a lower bound of its words.
 * Options are read from the configuration through one table (key, type,
 * field offset), so a threshold is added in one line and documented in
 * docs/filter.md.
 * Rejected: a generic plugin list of filters (the order and the data passed
 * between the four filters are part of the recipe being reproduced).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/filter.h"
#include "filter_internal.h"
#include "filter_text.h"
#include "../core/banned.h"

int th_filter_preset_parse(const char *name, enum th_filter_preset *out)
{
    if (!strcmp(name, "fineweb-v1")) {
        *out = TH_PRESET_FINEWEB_V1;
        return 0;
    }
    if (!strcmp(name, "datatrove")) {
        *out = TH_PRESET_DATATROVE;
        return 0;
    }
    return TH_EINVAL;
}

const char *th_filter_preset_name(enum th_filter_preset preset)
{
    return preset == TH_PRESET_DATATROVE ? "datatrove" : "fineweb-v1";
}

void th_filters_opts_init(struct th_filters_opts *opts,
                          enum th_filter_preset preset)
{
    memset(opts, 0, sizeof(*opts));
    opts->preset = preset;
    opts->gopher_repetition = true;
    opts->gopher_quality = true;
    opts->c4_quality = true;
    opts->fineweb_quality = true;
    th_gopher_repetition_opts_init(&opts->repetition, preset);
    th_gopher_quality_opts_init(&opts->quality, preset);
    th_c4_quality_opts_init(&opts->c4, preset);
    th_fineweb_quality_opts_init(&opts->fineweb, preset);
    opts->default_language = "en";
    opts->url.soft_banned_min = 2;
}

/* ---- configuration ------------------------------------------------------ */

enum opt_type { OPT_BOOL, OPT_INT, OPT_DOUBLE, OPT_STR };

struct opt_desc {
    const char *key;        /* config key without the "filters." prefix */
    enum opt_type type;     /* field type */
    size_t offset;          /* offset in struct th_filters_opts */
};

#define F(field) offsetof(struct th_filters_opts, field)
static const struct opt_desc opt_table[] = {
    {"annotate", OPT_BOOL, F(annotate)},
    {"gopher_repetition", OPT_BOOL, F(gopher_repetition)},
    {"gopher_quality", OPT_BOOL, F(gopher_quality)},
    {"c4_quality", OPT_BOOL, F(c4_quality)},
    {"fineweb_quality", OPT_BOOL, F(fineweb_quality)},
    {"c4_badwords", OPT_BOOL, F(c4_badwords)},
    {"url", OPT_BOOL, F(url_filter)},
    {"badwords_dir", OPT_STR, F(badwords_dir)},
    {"default_language", OPT_STR, F(default_language)},
    {"gopher_repetition.dup_line_frac", OPT_DOUBLE,
     F(repetition.dup_line_frac)},
    {"gopher_repetition.dup_para_frac", OPT_DOUBLE,
     F(repetition.dup_para_frac)},
    {"gopher_repetition.dup_line_char_frac", OPT_DOUBLE,
     F(repetition.dup_line_char_frac)},
    {"gopher_repetition.dup_para_char_frac", OPT_DOUBLE,
     F(repetition.dup_para_char_frac)},
    {"gopher_repetition.top_2_gram_frac", OPT_DOUBLE,
     F(repetition.top_ngram_frac[0])},
    {"gopher_repetition.top_3_gram_frac", OPT_DOUBLE,
     F(repetition.top_ngram_frac[1])},
    {"gopher_repetition.top_4_gram_frac", OPT_DOUBLE,
     F(repetition.top_ngram_frac[2])},
    {"gopher_repetition.dup_5_gram_frac", OPT_DOUBLE,
     F(repetition.dup_ngram_frac[0])},
    {"gopher_repetition.dup_6_gram_frac", OPT_DOUBLE,
     F(repetition.dup_ngram_frac[1])},
    {"gopher_repetition.dup_7_gram_frac", OPT_DOUBLE,
     F(repetition.dup_ngram_frac[2])},
    {"gopher_repetition.dup_8_gram_frac", OPT_DOUBLE,
     F(repetition.dup_ngram_frac[3])},
    {"gopher_repetition.dup_9_gram_frac", OPT_DOUBLE,
     F(repetition.dup_ngram_frac[4])},
    {"gopher_repetition.dup_10_gram_frac", OPT_DOUBLE,
     F(repetition.dup_ngram_frac[5])},
    {"gopher_repetition.lines_by_newline_runs", OPT_BOOL,
     F(repetition.lines_by_newline_runs)},
    {"gopher_quality.min_doc_words", OPT_INT, F(quality.min_doc_words)},
    {"gopher_quality.max_doc_words", OPT_INT, F(quality.max_doc_words)},
    {"gopher_quality.min_avg_word_length", OPT_DOUBLE,
     F(quality.min_avg_word_length)},
    {"gopher_quality.max_avg_word_length", OPT_DOUBLE,
     F(quality.max_avg_word_length)},
    {"gopher_quality.max_symbol_word_ratio", OPT_DOUBLE,
     F(quality.max_symbol_word_ratio)},
    {"gopher_quality.max_bullet_lines_ratio", OPT_DOUBLE,
     F(quality.max_bullet_lines_ratio)},
    {"gopher_quality.max_ellipsis_lines_ratio", OPT_DOUBLE,
     F(quality.max_ellipsis_lines_ratio)},
    {"gopher_quality.max_non_alpha_words_ratio", OPT_DOUBLE,
     F(quality.max_non_alpha_words_ratio)},
    {"gopher_quality.min_stop_words", OPT_INT, F(quality.min_stop_words)},
    {"gopher_quality.unique_stop_words", OPT_BOOL,
     F(quality.unique_stop_words)},
    {"gopher_quality.terminal_in_punctuation", OPT_BOOL,
     F(quality.terminal_in_punctuation)},
    {"c4_quality.remove_citations", OPT_BOOL, F(c4.remove_citations)},
    {"c4_quality.filter_no_terminal_punct", OPT_BOOL,
     F(c4.filter_no_terminal_punct)},
    {"c4_quality.min_num_sentences", OPT_INT, F(c4.min_num_sentences)},
    {"c4_quality.min_words_per_line", OPT_INT, F(c4.min_words_per_line)},
    {"c4_quality.max_word_length", OPT_INT, F(c4.max_word_length)},
    {"c4_quality.filter_lorem_ipsum", OPT_BOOL, F(c4.filter_lorem_ipsum)},
    {"c4_quality.filter_javascript", OPT_BOOL, F(c4.filter_javascript)},
    {"c4_quality.filter_curly_bracket", OPT_BOOL,
     F(c4.filter_curly_bracket)},
    {"c4_quality.filter_policy", OPT_BOOL, F(c4.filter_policy)},
    {"fineweb_quality.line_punct_thr", OPT_DOUBLE,
     F(fineweb.line_punct_thr)},
    {"fineweb_quality.line_punct_exclude_zero", OPT_BOOL,
     F(fineweb.line_punct_exclude_zero)},
    {"fineweb_quality.short_line_thr", OPT_DOUBLE,
     F(fineweb.short_line_thr)},
    {"fineweb_quality.short_line_length", OPT_INT,
     F(fineweb.short_line_length)},
    {"fineweb_quality.char_duplicates_ratio", OPT_DOUBLE,
     F(fineweb.char_duplicates_ratio)},
    {"fineweb_quality.new_line_ratio", OPT_DOUBLE,
     F(fineweb.new_line_ratio)},
    {"fineweb_quality.inclusive", OPT_BOOL, F(fineweb.inclusive)},
    {"fineweb_quality.skip_empty_lines", OPT_BOOL,
     F(fineweb.skip_empty_lines)},
    {"fineweb_quality.terminal_punctuation", OPT_BOOL,
     F(fineweb.terminal_punctuation)},
    {"url.domains", OPT_STR, F(url_domains)},
    {"url.urls", OPT_STR, F(url_urls)},
    {"url.banned_words", OPT_STR, F(url.banned_words_file)},
    {"url.soft_banned_words", OPT_STR, F(url.soft_banned_words_file)},
    {"url.banned_subwords", OPT_STR, F(url.banned_subwords_file)},
    {"url.soft_banned_min", OPT_INT, F(url.soft_banned_min)},
};
#undef F

#define MAX_LIST_FILES 64

/* Where scripts/npm-setup.sh installs the naughty-words package. */
#define TH_FILTER_BADWORDS_DIR \
    "/usr/local/share/thresh/npm/node_modules/naughty-words"

static int split_paths(const char *value, const char **out, size_t *n_out,
                       char *storage, size_t cap)
{
    size_t n = 0, len = strlen(value);
    if (len + 1 > cap)
        return TH_ELIMIT;
    memcpy(storage, value, len + 1);
    char *p = storage;
    while (*p) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (*p) {
            if (n == MAX_LIST_FILES)
                return TH_ELIMIT;
            out[n++] = p;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    *n_out = n;
    return 0;
}

int th_filters_opts_from_config(struct th_filters_opts *opts,
                                const struct th_config *cfg,
                                struct th_error *err)
{
    enum th_filter_preset preset = TH_PRESET_FINEWEB_V1;
    const char *name = th_config_get(cfg, "filters.preset");
    if (name && th_filter_preset_parse(name, &preset) < 0)
        return th_error_set(err, TH_EINVAL, "unknown filters.preset '%s' "
                            "(fineweb-v1, datatrove)", name);
    th_filters_opts_init(opts, preset);
    char key[128];
    for (size_t i = 0; i < sizeof(opt_table) / sizeof(opt_table[0]); i++) {
        const struct opt_desc *d = &opt_table[i];
        char *field = (char *)opts + d->offset;
        snprintf(key, sizeof(key), "filters.%s", d->key);
        int rc = 0;
        switch (d->type) {
        case OPT_BOOL:
            rc = th_config_get_bool(cfg, key, *(bool *)field, (bool *)field,
                                    err);
            break;
        case OPT_INT:
            rc = th_config_get_int(cfg, key, *(int64_t *)field,
                                   (int64_t *)field, err);
            break;
        case OPT_DOUBLE:
            rc = th_config_get_double(cfg, key, *(double *)field,
                                      (double *)field, err);
            break;
        case OPT_STR: {
            const char *v = th_config_get(cfg, key);
            if (v)
                *(const char **)field = v;
            break;
        }
        }
        if (rc < 0)
            return rc;
    }
    if (!opts->badwords_dir)
        opts->badwords_dir = getenv("THRESH_NAUGHTY_WORDS_DIR");
    if (!opts->badwords_dir)
        opts->badwords_dir = TH_FILTER_BADWORDS_DIR;
    if (opts->url_domains || opts->url_urls || opts->url.banned_words_file ||
        opts->url.soft_banned_words_file || opts->url.banned_subwords_file) {
        bool on = true;
        int rc = th_config_get_bool(cfg, "filters.url", true, &on, err);
        if (rc < 0)
            return rc;
        opts->url_filter = on;
    }
    return 0;
}

/* ---- the chain ---------------------------------------------------------- */

struct th_filters {
    struct th_filters_opts opts;      /* copy; list paths copied below */
    struct th_badwords *badwords;     /* NULL when c4_badwords is off */
    struct th_url_filter *url;        /* NULL when the URL filter is off */
};

int th_filters_new(struct th_filters **out, const struct th_filters_opts *opts,
                   struct th_error *err)
{
    struct th_filters *f = calloc(1, sizeof(*f));
    if (!f)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    f->opts = *opts;
    int rc = 0;
    if (opts->c4_badwords) {
        if (!opts->badwords_dir) {
            rc = th_error_set(err, TH_EINVAL, "filters.c4_badwords needs "
                              "filters.badwords_dir (or "
                              "THRESH_NAUGHTY_WORDS_DIR)");
            goto out_free;
        }
        rc = th_badwords_new(&f->badwords, opts->badwords_dir, err);
        if (rc == 0)
            rc = th_badwords_load_all(f->badwords, err);
        if (rc < 0)
            goto out_free;
    }
    if (opts->url_filter) {
        /* the URL filter copies what it reads: the arrays can be local */
        const char *domains[MAX_LIST_FILES], *urls[MAX_LIST_FILES];
        char dbuf[4096], ubuf[4096];
        struct th_url_filter_opts uo = opts->url;
        size_t nd = 0, nu = 0;
        if ((opts->url_domains &&
             split_paths(opts->url_domains, domains, &nd, dbuf,
                         sizeof(dbuf)) < 0) ||
            (opts->url_urls &&
             split_paths(opts->url_urls, urls, &nu, ubuf, sizeof(ubuf)) < 0)) {
            rc = th_error_set(err, TH_ELIMIT, "too many URL list files");
            goto out_free;
        }
        uo.domain_files = domains;
        uo.n_domain_files = nd;
        uo.url_files = urls;
        uo.n_url_files = nu;
        rc = th_url_filter_new(&f->url, &uo, err);
        if (rc < 0)
            goto out_free;
    }
    *out = f;
    return 0;
out_free:
    th_filters_free(f);
    return rc;
}

void th_filters_free(struct th_filters *filters)
{
    if (!filters)
        return;
    th_badwords_free(filters->badwords);
    th_url_filter_free(filters->url);
    free(filters);
}

/* Lazily computed word list of one text. */
struct word_cache {
    const char *text;               /* the text the words belong to */
    size_t len;                     /* its length */
    struct th_slice *words;         /* tokens */
    size_t n;                       /* token count */
    bool done;                      /* computed */
    const struct th_filter_tokenizer *tok; /* the real tokenizer */
};

static int cached_words(struct word_cache *wc, struct th_arena *arena,
                        struct th_error *err)
{
    if (wc->done)
        return 0;
    int rc = wc->tok->words(wc->text, wc->len, arena, &wc->words, &wc->n, err,
                            wc->tok->ctx);
    if (rc < 0)
        return rc;
    wc->done = true;
    return 0;
}

/* Tokenizer adapter for FineWeb: serves the cache for the same text. */
static int cache_words_fn(const char *text, size_t len,
                          struct th_arena *arena, struct th_slice **words_out,
                          size_t *n_out, struct th_error *err, void *ctx)
{
    struct word_cache *wc = ctx;
    if (wc->text != text || wc->len != len) {
        wc->text = text;
        wc->len = len;
        wc->done = false;
    }
    int rc = cached_words(wc, arena, err);
    if (rc < 0)
        return rc;
    *words_out = wc->words;
    *n_out = wc->n;
    return 0;
}

static int cache_sentences_fn(const char *text, size_t len,
                              struct th_arena *arena, size_t *n_out,
                              struct th_error *err, void *ctx)
{
    struct word_cache *wc = ctx;
    return wc->tok->count_sentences(text, len, arena, n_out, err,
                                    wc->tok->ctx);
}

static int meta_double(struct th_doc *doc, struct th_arena *arena,
                       const char *key, double v)
{
    if (isnan(v) || isinf(v))
        return th_doc_set_meta_json(doc, arena, key, "null", 4);
    return th_doc_set_meta_double(doc, arena, key, v);
}

static int meta_bool(struct th_doc *doc, struct th_arena *arena,
                     const char *key, bool v)
{
    return th_doc_set_meta_json(doc, arena, key, v ? "true" : "false",
                                v ? 4 : 5);
}

/* Word-list signals beyond the filters' own (RedPajama-V2 style). */
static int word_signals(const struct th_slice *w, size_t n,
                        struct th_arena *arena, double *unique_frac,
                        double *entropy, double *caps_frac)
{
    *unique_frac = *entropy = *caps_frac = 0;
    if (!n)
        return 0;
    size_t cap = 16;
    while (cap < n * 2)
        cap <<= 1;
    struct slot {
        uint64_t key;    /* hash, 0 = empty */
        uint32_t index;  /* first token with it */
        uint32_t count;  /* occurrences */
    } *set = th_arena_calloc(arena, cap, sizeof(*set));
    if (!set)
        return TH_ENOMEM;
    size_t distinct = 0, caps = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t key = th_hash64(w[i].ptr, w[i].len, 0) | 1;
        size_t j = key & (cap - 1);
        while (set[j].key &&
               !(set[j].key == key && w[set[j].index].len == w[i].len &&
                 memcmp(w[set[j].index].ptr, w[i].ptr, w[i].len) == 0))
            j = (j + 1) & (cap - 1);
        if (!set[j].key) {
            set[j].key = key;
            set[j].index = (uint32_t)i;
            distinct++;
        }
        set[j].count++;
        bool letter = false, lower = false;
        for (size_t k = 0; k < w[i].len; k++) {
            char c = w[i].ptr[k];
            letter |= (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
            lower |= c >= 'a' && c <= 'z';
        }
        caps += letter && !lower;
    }
    double h = 0;
    for (size_t j = 0; j < cap; j++) {
        if (!set[j].key)
            continue;
        double p = (double)set[j].count / (double)n;
        h -= p * log(p);
    }
    *unique_frac = (double)distinct / (double)n;
    *entropy = h;
    *caps_frac = (double)caps / (double)n;
    return 0;
}

static const char *const top_names[TH_GOPHER_TOP_NGRAMS] = {
    "qs_frac_chars_top_2gram", "qs_frac_chars_top_3gram",
    "qs_frac_chars_top_4gram",
};
static const char *const dup_names[TH_GOPHER_DUP_NGRAMS] = {
    "qs_frac_chars_dupe_5grams", "qs_frac_chars_dupe_6grams",
    "qs_frac_chars_dupe_7grams", "qs_frac_chars_dupe_8grams",
    "qs_frac_chars_dupe_9grams", "qs_frac_chars_dupe_10grams",
};

/* Annotate mode: every signal into metadata, the would-be decision too. */
static int annotate(const struct th_filters *f, struct th_doc *doc,
                    struct word_cache *wc, struct th_arena *arena,
                    struct th_error *err)
{
    const struct th_filters_opts *o = &f->opts;
    const char *text = doc->text.ptr;
    size_t len = doc->text.len;
    const char *would = NULL;
    char would_buf[96];
    int rc;

    if (f->url && doc->url.len) {
        const char *r;
        if ((rc = th_url_filter_check(f->url, doc->url.ptr, doc->url.len,
                                      arena, &r, err)) < 0)
            return rc;
        if (r && !would)
            would = r;
        if (r && (rc = th_doc_set_meta_str(doc, arena, "qs_url_blocked", r,
                                           strlen(r))) < 0)
            return rc;
    }
    if ((rc = cached_words(wc, arena, err)) < 0)
        return rc;
    struct th_gopher_repetition_stats rs;
    const char *r;
    if ((rc = th_gopher_repetition(&o->repetition, text, len, wc->words,
                                   wc->n, arena, &rs, &r, err)) < 0)
        return rc;
    if (r && !would && o->gopher_repetition)
        would = r;
    struct th_gopher_quality_stats qs;
    th_gopher_quality(&o->quality, text, len, wc->words, wc->n, &qs, &r);
    if (r && !would && o->gopher_quality)
        would = r;
    /* the document's own words: FineWeb below tokenizes C4's rewritten
     * text into the same cache (until session 10 these three signals were
     * taken after it, from the rewritten text's words) */
    double uniq, ent, caps;
    if ((rc = word_signals(wc->words, wc->n, arena, &uniq, &ent, &caps)) < 0)
        return th_error_set(err, rc, "out of memory");
    struct th_c4_quality_stats cs;
    struct th_slice c4_text;
    struct th_filter_tokenizer ctok = {cache_words_fn, cache_sentences_fn,
                                       wc, wc->tok->word_pad};
    if ((rc = th_c4_quality(&o->c4, text, len, &ctok, arena, &c4_text, &cs,
                            &r, err)) < 0)
        return rc;
    const char *c4_reason = r;
    if (r && !would && o->c4_quality)
        would = r;
    if (r || !o->c4_quality)
        c4_text = doc->text;
    struct th_fineweb_quality_stats fs;
    if ((rc = th_fineweb_quality(&o->fineweb, c4_text.ptr, c4_text.len, &ctok,
                                 arena, &fs, &r, err)) < 0)
        return rc;
    if (r && !would && o->fineweb_quality)
        would = r;
    if (f->badwords) {
        bool found = false;
        const char *lang = doc->lang.len ? NULL : o->default_language;
        char lang_buf[32];
        if (!lang) {
            size_t l = doc->lang.len < 31 ? doc->lang.len : 31;
            memcpy(lang_buf, doc->lang.ptr, l);
            lang_buf[l] = '\0';
            lang = lang_buf;
        }
        if ((rc = th_badwords_check(f->badwords, lang, text, len, arena,
                                    &found, err)) < 0)
            return rc;
        if (found && !would)
            would = "document_removed_with_badwords";
        if ((rc = meta_bool(doc, arena, "qs_badwords", found)) < 0)
            return rc;
    }
    struct {
        const char *key;   /* metadata key */
        double value;      /* signal */
    } sig[] = {
        {"qs_word_count", (double)qs.n_non_symbol_words},
        {"qs_token_count", (double)qs.n_words},
        {"qs_mean_word_length", qs.avg_word_length},
        {"qs_symbol_to_word_ratio", qs.hash_ratio},
        {"qs_ellipsis_to_word_ratio", qs.ellipsis_ratio},
        {"qs_frac_lines_bullet", qs.bullet_lines_ratio},
        {"qs_frac_lines_end_ellipsis", qs.end_ellipsis_lines_ratio},
        {"qs_frac_alpha_words", qs.alpha_words_ratio},
        {"qs_stop_word_count", (double)qs.stop_words},
        {"qs_stop_word_fraction",
         qs.n_words ? (double)qs.stop_words / (double)qs.n_words : 0},
        {"qs_frac_unique_words", uniq},
        {"qs_unigram_entropy", ent},
        {"qs_frac_all_caps_words", caps},
        {"qs_num_lines", (double)qs.n_lines},
        {"qs_frac_dup_paragraphs", rs.dup_para_frac},
        {"qs_frac_chars_dup_paragraphs", rs.dup_para_char_frac},
        {"qs_frac_dup_lines", rs.dup_line_frac},
        {"qs_frac_chars_dup_lines", rs.dup_line_char_frac},
        {"qs_c4_num_sentences", (double)cs.num_sentences},
        {"qs_c4_frac_lines_kept",
         cs.lines ? (double)cs.kept_lines / (double)cs.lines : 0},
        {"qs_c4_javascript_lines", (double)cs.dropped_javascript},
        {"qs_c4_policy_lines", (double)cs.dropped_policy},
        {"qs_fw_line_punct_ratio", fs.line_punct_ratio},
        {"qs_fw_short_line_ratio", fs.short_line_ratio},
        {"qs_fw_char_dup_ratio", fs.char_dup_ratio},
        {"qs_fw_new_line_ratio", fs.new_line_ratio},
    };
    for (size_t i = 0; i < sizeof(sig) / sizeof(sig[0]); i++)
        if ((rc = meta_double(doc, arena, sig[i].key, sig[i].value)) < 0)
            return rc;
    for (int t = 0; t < TH_GOPHER_TOP_NGRAMS; t++)
        if ((rc = meta_double(doc, arena, top_names[t],
                              rs.top_ngram_frac[t])) < 0)
            return rc;
    for (int d = 0; d < TH_GOPHER_DUP_NGRAMS; d++)
        if ((rc = meta_double(doc, arena, dup_names[d],
                              rs.dup_ngram_frac[d])) < 0)
            return rc;
    bool lorem = c4_reason && !strcmp(c4_reason, "lorem_ipsum");
    bool curly = c4_reason && !strcmp(c4_reason, "curly_bracket");
    if ((rc = meta_bool(doc, arena, "qs_c4_lorem_ipsum", lorem)) < 0 ||
        (rc = meta_bool(doc, arena, "qs_c4_curly_bracket", curly)) < 0)
        return rc;
    if (would) {
        snprintf(would_buf, sizeof(would_buf), "%s", would);
        return th_doc_set_meta_str(doc, arena, "filter_would_drop",
                                   would_buf, strlen(would_buf));
    }
    return th_doc_set_meta_json(doc, arena, "filter_would_drop", "null", 4);
}

int th_filters_apply(const struct th_filters *filters, struct th_doc *doc,
                     const char *stage, const struct th_filter_tokenizer *tok,
                     struct th_arena *arena, struct th_error *err)
{
    const struct th_filters_opts *o = &filters->opts;
    struct word_cache wc = {doc->text.ptr, doc->text.len, NULL, 0, false,
                            tok};
    if (o->annotate)
        return annotate(filters, doc, &wc, arena, err);

    const char *reason = NULL;
    int rc;
    if (filters->url && doc->url.len) {
        if ((rc = th_url_filter_check(filters->url, doc->url.ptr,
                                      doc->url.len, arena, &reason, err)) < 0)
            return rc;
        if (reason)
            goto drop;
    }
    const char *text = doc->text.ptr;
    size_t len = doc->text.len;
    /* Gopher quality's token (and, with splitlines() lines, line and
     * symbol) statistics come from the repetition filter's passes when
     * both run, and C4 takes the splitlines() lines found there */
    struct th_ft_token_stats qts = {0};
    struct th_ft_line_stats qls = {0};
    bool quality_done = false;
    if (o->gopher_repetition) {
        struct th_gopher_repetition_stats rs;
        if ((rc = th_ft_repetition_text(&o->repetition, text, len, arena,
                                        false, &rs, &reason,
                                        o->gopher_quality || o->c4_quality
                                            ? &qls : NULL,
                                        err)) < 0)
            return rc;
        if (reason)
            goto drop;
        if ((rc = cached_words(&wc, arena, err)) < 0)
            return rc;
        rc = o->gopher_quality
                 ? th_ft_repetition_words_quality(
                       &o->repetition, wc.words, wc.n, tok->word_pad, arena,
                       &rs, &reason, &qts, o->quality.terminal_in_punctuation,
                       err)
                 : th_ft_repetition_words(&o->repetition, wc.words, wc.n,
                                          tok->word_pad, arena, false, &rs,
                                          &reason, err);
        if (rc < 0)
            return rc;
        if (reason)
            goto drop;
        quality_done = o->gopher_quality;
    }
    if (o->gopher_quality) {
        if ((rc = cached_words(&wc, arena, err)) < 0)
            return rc;
        if (quality_done)
            th_ft_quality_decide(&o->quality, text, len, wc.n, &qts, &qls,
                                 NULL, &reason);
        else
            th_gopher_quality(&o->quality, text, len, wc.words, wc.n, NULL,
                              &reason);
        if (reason)
            goto drop;
    }
    struct th_filter_tokenizer ctok = {cache_words_fn, cache_sentences_fn,
                                       &wc, tok->word_pad};
    /* C4's newlines and word counts, for FineWeb */
    struct th_ft_c4_lines c4l = {NULL, 0, 0};
    if (o->c4_quality) {
        struct th_slice out;
        /* the lines the repetition filter split, when it did */
        bool split = qls.done;
        if ((rc = th_ft_c4_quality_lines(
                 &o->c4, text, len, split ? qls.bounds : NULL,
                 split ? qls.n_lines : 0, &ctok, arena, &out, NULL, &reason,
                 &c4l, err)) < 0)
            return rc;
        if (reason)
            goto drop;
        doc->text = out;
        text = out.ptr;
        len = out.len;
    }
    if (o->fineweb_quality) {
        if ((rc = th_ft_fineweb_quality_lines(&o->fineweb, text, len, &c4l,
                                              &ctok, arena, NULL, &reason,
                                              err)) < 0)
            return rc;
        if (reason)
            goto drop;
    }
    if (filters->badwords) {
        bool found = false;
        char lang[32];
        size_t l = doc->lang.len < 31 ? doc->lang.len : 31;
        if (l) {
            memcpy(lang, doc->lang.ptr, l);
            lang[l] = '\0';
        } else {
            snprintf(lang, sizeof(lang), "%s", o->default_language);
        }
        if ((rc = th_badwords_check(filters->badwords, lang, text, len, arena,
                                    &found, err)) < 0)
            return rc;
        if (found) {
            reason = "document_removed_with_badwords";
            goto drop;
        }
    }
    return 0;
drop:
    th_doc_drop(doc, stage, reason);
    return 0;
}
