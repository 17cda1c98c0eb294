/*
 * Filter tests against datatrove's own decisions (../shared/data/parity),
 * using NLTK's reference word lists and C4 sentence lines, so the filters
 * are checked independently of our tokenizer; plus unit cases for the
 * Python string semantics the filters depend on.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/filter.h"
#include "thresh/nlp.h"
#include "../test.h"
#include "parity.h"

#define MAX_REPORT 8

static long stats_compared;  /* statistics found and compared */

/*
 * THRESH_PARITY_ORACLE set: the set under THRESH_SHARED_DATA was written by
 * tools/fw1_oracle.py for documents the parity set does not have (the
 * meson test filter_unseen, tools/fw1_unseen.sh), not by datatrove. Every
 * comparison is the same; only the document counts are those of that set,
 * and the built-in Punkt set's runs are skipped (its allow-list names
 * parity documents only).
 */
static bool oracle_set(void)
{
    const char *v = getenv("THRESH_PARITY_ORACLE");
    return v && *v && strcmp(v, "0") != 0;
}

/* Documents a whole-set run must have compared (errors excluded). */
static long min_docs(const struct parity_set *ps)
{
    return oracle_set() ? (long)(ps->n_docs * 99 / 100) : 6700;
}

/* ---- reference tokenizer --------------------------------------------- */

struct ref_tok {
    const struct parity_doc *doc;   /* the document being filtered */
    size_t next_line;               /* next c4_lines entry */
    int mismatches;                 /* lines that differed */
};

static int ref_words(const char *text, size_t len, struct th_arena *arena,
                     struct th_slice **words_out, size_t *n_out,
                     struct th_error *err, void *ctx)
{
    struct ref_tok *rt = ctx;
    const struct jl_value *toks = jl_get(rt->doc->words, "tokens");
    if (!toks || len != rt->doc->len || memcmp(text, rt->doc->text, len))
        return th_error_set(err, TH_EINVAL, "no reference words");
    struct th_slice *w = th_arena_calloc(arena, toks->len + 1, sizeof(*w));
    if (!w)
        return TH_ENOMEM;
    for (size_t i = 0; i < toks->len; i++)
        w[i] = (struct th_slice){toks->items[i].str, toks->items[i].len};
    *words_out = w;
    *n_out = toks->len;
    return 0;
}

static int ref_sentences(const char *text, size_t len, struct th_arena *arena,
                         size_t *n_out, struct th_error *err, void *ctx)
{
    struct ref_tok *rt = ctx;
    const struct jl_value *lines = jl_get(rt->doc->sentences, "c4_lines");
    if (!lines || rt->next_line >= lines->len)
        return th_error_set(err, TH_EINVAL, "no reference line");
    const struct jl_value *e = &lines->items[rt->next_line++];
    const struct jl_value *line = jl_get(e, "line");
    const struct jl_value *sents = jl_get(e, "sentences");
    if (!line || line->len != len || memcmp(line->str, text, len)) {
        if (rt->mismatches++ < 2)
            printf("#   %s: c4 line differs:\n#   got  %.*s\n#   want %s\n",
                   rt->doc->id, (int)(len > 200 ? 200 : len), text,
                   line ? line->str : "(none)");
    }
    *n_out = sents ? sents->len : 0;
    return 0;
}

static double stat_num(const struct jl_value *e, const char *key, bool *has)
{
    const struct jl_value *v = jl_get(jl_get(e, "stats"), key);
    *has = v && v->type == JL_NUM;
    return *has ? v->num : NAN;
}

/* Compare one statistic; prints and counts a mismatch. */
static void check_stat(const struct parity_doc *d, enum parity_filter f,
                       const char *key, double got, int *bad)
{
    bool has;
    double want = stat_num(d->expected[f], key, &has);
    if (!has)
        return;
    stats_compared++;
    if (want == got || (isnan(want) && isnan(got)))
        return;
    if ((*bad)++ < MAX_REPORT)
        printf("#   %s %s: %s got %.17g want %.17g\n",
               parity_filter_name(f), d->id, key, got, want);
}

static bool same_reason(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

/*
 * Whether the allow-list applies: its entries are differences of the
 * built-in Punkt set (the tokenizer's fallback); with NLTK's own
 * parameters no document may differ.
 */
static bool allow_ok = true;

/* Count and print a decision mismatch unless allow-listed. */
static void check_reason(const struct parity_set *ps,
                         const struct parity_doc *d, enum parity_filter f,
                         const char *got, int *bad, int *allowed)
{
    bool error;
    const char *want = parity_expected_reason(d, f, &error);
    if (error || same_reason(got, want))
        return;
    if (allow_ok && parity_allowed(ps, f, d->id)) {
        (*allowed)++;
        return;
    }
    if ((*bad)++ < MAX_REPORT)
        printf("#   %s %s: got %s want %s\n", parity_filter_name(f), d->id,
               got ? got : "keep", want ? want : "keep");
}

static struct th_arena *arena;

static const struct parity_set *setup(void)
{
    stats_compared = 0;
    const struct parity_set *ps = parity_load();
    if (!ps) {
        printf("# parity data missing\n");
        CHECK(ps != NULL);
        return NULL;
    }
    if (!arena)
        th_arena_new(&arena, 0, 0);
    return ps;
}

static void gopher_quality_reference_words(void)
{
    const struct parity_set *ps = setup();
    if (!ps)
        return;
    struct th_gopher_quality_opts o;
    th_gopher_quality_opts_init(&o, TH_PRESET_FINEWEB_V1);
    int bad = 0, allowed = 0, bad_stats = 0, n = 0;
    for (size_t i = 0; i < ps->n_docs; i++) {
        const struct parity_doc *d = &ps->docs[i];
        if (!d->words)
            continue;
        struct ref_tok rt = {d, 0, 0};
        struct th_slice *w;
        size_t nw;
        struct th_error err;
        th_arena_reset(arena);
        CHECK(ref_words(d->text, d->len, arena, &w, &nw, &err, &rt) == 0);
        struct th_gopher_quality_stats st;
        const char *reason;
        th_gopher_quality(&o, d->text, d->len, w, nw, &st, &reason);
        check_reason(ps, d, PF_GOPHER_QUALITY, reason, &bad, &allowed);
        enum parity_filter f = PF_GOPHER_QUALITY;
        check_stat(d, f, "n_words", (double)st.n_words, &bad_stats);
        check_stat(d, f, "n_non_symbol_words", (double)st.n_non_symbol_words,
                   &bad_stats);
        check_stat(d, f, "avg_word_length", st.avg_word_length, &bad_stats);
        check_stat(d, f, "hash_ratio", st.hash_ratio, &bad_stats);
        check_stat(d, f, "ellipsis_ratio", st.ellipsis_ratio, &bad_stats);
        check_stat(d, f, "bullet_lines_ratio", st.bullet_lines_ratio,
                   &bad_stats);
        check_stat(d, f, "end_ellipsis_lines_ratio",
                   st.end_ellipsis_lines_ratio, &bad_stats);
        check_stat(d, f, "alpha_words_ratio", st.alpha_words_ratio,
                   &bad_stats);
        check_stat(d, f, "stop_words", (double)st.stop_words, &bad_stats);
        check_stat(d, f, "n_lines", (double)st.n_lines, &bad_stats);
        n++;
    }
    printf("# gopher_quality: %d docs, %d decision mismatches, %d stat "
           "mismatches, %d allow-listed\n", n, bad, bad_stats, allowed);
    CHECK(n >= 1990);
    CHECK(stats_compared >= 5L * n);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(bad_stats, 0);
}

static void gopher_repetition_reference_words(void)
{
    const struct parity_set *ps = setup();
    if (!ps)
        return;
    struct th_gopher_repetition_opts o;
    th_gopher_repetition_opts_init(&o, TH_PRESET_FINEWEB_V1);
    int bad = 0, allowed = 0, bad_stats = 0, n = 0;
    static const char *const top_keys[] = {
        "top_2_gram_chars", "top_3_gram_chars", "top_4_gram_chars"};
    static const char *const dup_keys[] = {
        "dup_5_gram_chars", "dup_6_gram_chars", "dup_7_gram_chars",
        "dup_8_gram_chars", "dup_9_gram_chars", "dup_10_gram_chars"};
    for (size_t i = 0; i < ps->n_docs; i++) {
        const struct parity_doc *d = &ps->docs[i];
        if (!d->words)
            continue;
        struct ref_tok rt = {d, 0, 0};
        struct th_slice *w;
        size_t nw;
        struct th_error err;
        th_arena_reset(arena);
        CHECK(ref_words(d->text, d->len, arena, &w, &nw, &err, &rt) == 0);
        struct th_gopher_repetition_stats st;
        const char *reason;
        CHECK(th_gopher_repetition(&o, d->text, d->len, w, nw, arena, &st,
                                   &reason, &err) == 0);
        enum parity_filter f = PF_GOPHER_REPETITION;
        check_reason(ps, d, f, reason, &bad, &allowed);
        check_stat(d, f, "len_text", (double)st.len_text, &bad_stats);
        check_stat(d, f, "para_dups", (double)st.para_dups, &bad_stats);
        check_stat(d, f, "para_dup_chars", (double)st.para_dup_chars,
                   &bad_stats);
        check_stat(d, f, "n_paragraphs", (double)st.n_paragraphs,
                   &bad_stats);
        check_stat(d, f, "n_lines", (double)st.n_lines, &bad_stats);
        check_stat(d, f, "line_dups", (double)st.line_dups, &bad_stats);
        check_stat(d, f, "line_dup_chars", (double)st.line_dup_chars,
                   &bad_stats);
        for (int t = 0; t < 3; t++)
            check_stat(d, f, top_keys[t], (double)st.top_ngram_chars[t],
                       &bad_stats);
        for (int k = 0; k < 6; k++)
            check_stat(d, f, dup_keys[k], (double)st.dup_ngram_chars[k],
                       &bad_stats);
        n++;
    }
    printf("# gopher_repetition: %d docs, %d decision mismatches, %d stat "
           "mismatches, %d allow-listed\n", n, bad, bad_stats, allowed);
    CHECK(n >= 1990);
    CHECK(stats_compared >= 5L * n);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(bad_stats, 0);
}

static void c4_quality_reference_sentences(void)
{
    const struct parity_set *ps = setup();
    if (!ps)
        return;
    struct th_c4_quality_opts o;
    th_c4_quality_opts_init(&o, TH_PRESET_FINEWEB_V1);
    int bad = 0, allowed = 0, bad_text = 0, bad_lines = 0, n = 0;
    int bad_stats = 0;
    for (size_t i = 0; i < ps->n_docs; i++) {
        const struct parity_doc *d = &ps->docs[i];
        if (!d->sentences)
            continue;
        struct ref_tok rt = {d, 0, 0};
        struct th_filter_tokenizer tok = {ref_words, ref_sentences, &rt, 0};
        struct th_error err;
        struct th_slice out;
        struct th_c4_quality_stats st;
        const char *reason;
        th_arena_reset(arena);
        int rc = th_c4_quality(&o, d->text, d->len, &tok, arena, &out, &st,
                               &reason, &err);
        CHECK(rc == 0);
        enum parity_filter f = PF_C4_QUALITY;
        check_reason(ps, d, f, reason, &bad, &allowed);
        bad_lines += rt.mismatches != 0;
        if (st.sentences_counted && !reason)
            check_stat(d, f, "num_sentences", (double)st.num_sentences,
                       &bad_stats);
        check_stat(d, f, "dropped_javascript", (double)st.dropped_javascript,
                   &bad_stats);
        check_stat(d, f, "dropped_policy", (double)st.dropped_policy,
                   &bad_stats);
        const struct jl_value *want = jl_get(d->expected[f], "text");
        if (!reason && want && want->type == JL_STR &&
            (want->len != out.len || memcmp(want->str, out.ptr, out.len))) {
            if (bad_text++ < MAX_REPORT)
                printf("#   c4 %s: rewritten text differs\n", d->id);
        }
        n++;
    }
    printf("# c4_quality: %d docs, %d decision, %d text, %d line, %d stat "
           "mismatches, %d allow-listed\n", n, bad, bad_text, bad_lines,
           bad_stats, allowed);
    CHECK(n >= 1990);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(bad_text, 0);
    CHECK_EQ_INT(bad_lines, 0);
    CHECK_EQ_INT(bad_stats, 0);
}

static void fineweb_quality_reference_words(void)
{
    const struct parity_set *ps = setup();
    if (!ps)
        return;
    struct th_fineweb_quality_opts o;
    th_fineweb_quality_opts_init(&o, TH_PRESET_FINEWEB_V1);
    int bad = 0, allowed = 0, bad_stats = 0, n = 0;
    for (size_t i = 0; i < ps->n_docs; i++) {
        const struct parity_doc *d = &ps->docs[i];
        if (!d->words)
            continue;
        struct ref_tok rt = {d, 0, 0};
        struct th_filter_tokenizer tok = {ref_words, ref_sentences, &rt, 0};
        struct th_error err;
        struct th_fineweb_quality_stats st;
        const char *reason;
        th_arena_reset(arena);
        CHECK(th_fineweb_quality(&o, d->text, d->len, &tok, arena, &st,
                                 &reason, &err) == 0);
        enum parity_filter f = PF_FINEWEB_QUALITY;
        check_reason(ps, d, f, reason, &bad, &allowed);
        check_stat(d, f, "line_punct_ratio", st.line_punct_ratio, &bad_stats);
        check_stat(d, f, "short_line_ratio", st.short_line_ratio, &bad_stats);
        check_stat(d, f, "char_dup_ratio", st.char_dup_ratio, &bad_stats);
        check_stat(d, f, "new_line_ratio", st.new_line_ratio, &bad_stats);
        check_stat(d, f, "n_words", (double)st.n_words, &bad_stats);
        n++;
    }
    printf("# fineweb_quality: %d docs, %d decision mismatches, %d stat "
           "mismatches (%ld compared), %d allow-listed\n", n, bad, bad_stats,
           stats_compared, allowed);
    CHECK(n >= 1990);
    CHECK(stats_compared >= 4L * n);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(bad_stats, 0);
}

/* Line and paragraph statistics need no tokens: check every document. */
static void line_statistics_all_documents(void)
{
    const struct parity_set *ps = setup();
    if (!ps)
        return;
    struct th_gopher_repetition_opts ro;
    th_gopher_repetition_opts_init(&ro, TH_PRESET_FINEWEB_V1);
    for (int t = 0; t < 3; t++)
        ro.top_ngram_frac[t] = 0;
    for (int k = 0; k < 6; k++)
        ro.dup_ngram_frac[k] = 0;
    int bad_stats = 0, n = 0;
    for (size_t i = 0; i < ps->n_docs; i++) {
        const struct parity_doc *d = &ps->docs[i];
        struct th_error err;
        struct th_gopher_repetition_stats st;
        const char *reason;
        th_arena_reset(arena);
        CHECK(th_gopher_repetition(&ro, d->text, d->len, NULL, 0, arena, &st,
                                   &reason, &err) == 0);
        enum parity_filter f = PF_GOPHER_REPETITION;
        check_stat(d, f, "len_text", (double)st.len_text, &bad_stats);
        check_stat(d, f, "para_dups", (double)st.para_dups, &bad_stats);
        check_stat(d, f, "para_dup_chars", (double)st.para_dup_chars,
                   &bad_stats);
        check_stat(d, f, "n_paragraphs", (double)st.n_paragraphs,
                   &bad_stats);
        check_stat(d, f, "n_lines", (double)st.n_lines, &bad_stats);
        check_stat(d, f, "line_dups", (double)st.line_dups, &bad_stats);
        check_stat(d, f, "line_dup_chars", (double)st.line_dup_chars,
                   &bad_stats);
        struct th_gopher_quality_opts qo;
        th_gopher_quality_opts_init(&qo, TH_PRESET_FINEWEB_V1);
        struct th_gopher_quality_stats qs;
        th_gopher_quality(&qo, d->text, d->len, NULL, 0, &qs, &reason);
        check_stat(d, PF_GOPHER_QUALITY, "n_lines", (double)qs.n_lines,
                   &bad_stats);
        n++;
    }
    printf("# line statistics: %d docs, %d mismatches\n", n, bad_stats);
    CHECK(n >= min_docs(ps));
    CHECK_EQ_INT(bad_stats, 0);
}

static void allow_list_is_small(void)
{
    const struct parity_set *ps = setup();
    if (!ps)
        return;
    printf("# allow-list: %zu entries for %zu documents\n", ps->n_allow,
           ps->n_docs);
    CHECK(ps->n_allow * 1000 <= ps->n_docs);
}

/* ---- with the real tokenizer (lib/nlp), every document ------------------ */

static struct th_nlp *nlp;

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

static struct th_nlp *nlp_auto, *nlp_builtin;

/* nlp: th_nlp_new()'s default, NLTK's Punkt parameters when installed
 * (then the allow-list is off). */
static bool nlp_ready(void)
{
    struct th_error err;
    if (!nlp_auto && th_nlp_new(&nlp_auto, "english", &err) < 0) {
        printf("# th_nlp_new: %s\n", err.msg);
        return false;
    }
    if (!nlp) {
        nlp = nlp_auto;
        allow_ok = !strcmp(th_nlp_punkt_source(nlp), "builtin");
        printf("# Punkt parameters: %s (allow-list %s)\n",
               th_nlp_punkt_source(nlp), allow_ok ? "on" : "off");
    }
    return true;
}

/* Run fn with the built-in Punkt set, the allow-list on. */
static void with_builtin(void (*fn)(void))
{
    struct th_error err;
    if (oracle_set()) {
        printf("# skipped: the built-in Punkt set on an oracle set\n");
        return;
    }
    struct th_nlp_options o = {.language = "english", .punkt = "builtin"};
    if (!nlp_ready() ||
        (!nlp_builtin && th_nlp_new_opts(&nlp_builtin, &o, &err) < 0)) {
        CHECK(0);
        return;
    }
    bool keep = allow_ok;
    nlp = nlp_builtin;
    allow_ok = true;
    printf("# with the built-in Punkt parameters\n");
    fn();
    nlp = nlp_auto;
    allow_ok = keep;
}

static void every_filter_alone_nlp_tokenizer(void)
{
    const struct parity_set *ps = setup();
    if (!ps || !nlp_ready()) {
        CHECK(0);
        return;
    }
    struct th_filter_tokenizer tok = {nlp_words, nlp_sentences, nlp,
                                      TH_NLP_WORD_PAD};
    struct th_gopher_repetition_opts ro;
    struct th_gopher_quality_opts qo;
    struct th_c4_quality_opts co;
    struct th_fineweb_quality_opts fo;
    th_gopher_repetition_opts_init(&ro, TH_PRESET_FINEWEB_V1);
    th_gopher_quality_opts_init(&qo, TH_PRESET_FINEWEB_V1);
    th_c4_quality_opts_init(&co, TH_PRESET_FINEWEB_V1);
    th_fineweb_quality_opts_init(&fo, TH_PRESET_FINEWEB_V1);
    int bad[PF_N] = {0}, allowed[PF_N] = {0}, bad_text = 0, n = 0;
    for (size_t i = 0; i < ps->n_docs; i++) {
        const struct parity_doc *d = &ps->docs[i];
        struct th_error err;
        struct th_slice *w = NULL, out;
        size_t nw = 0;
        const char *reason;
        th_arena_reset(arena);
        CHECK(nlp_words(d->text, d->len, arena, &w, &nw, &err, nlp) == 0);
        CHECK(th_gopher_repetition(&ro, d->text, d->len, w, nw, arena, NULL,
                                   &reason, &err) == 0);
        check_reason(ps, d, PF_GOPHER_REPETITION, reason,
                     &bad[PF_GOPHER_REPETITION],
                     &allowed[PF_GOPHER_REPETITION]);
        th_gopher_quality(&qo, d->text, d->len, w, nw, NULL, &reason);
        check_reason(ps, d, PF_GOPHER_QUALITY, reason,
                     &bad[PF_GOPHER_QUALITY], &allowed[PF_GOPHER_QUALITY]);
        CHECK(th_c4_quality(&co, d->text, d->len, &tok, arena, &out, NULL,
                            &reason, &err) == 0);
        check_reason(ps, d, PF_C4_QUALITY, reason, &bad[PF_C4_QUALITY],
                     &allowed[PF_C4_QUALITY]);
        const struct jl_value *want = jl_get(d->expected[PF_C4_QUALITY],
                                             "text");
        if (!reason && want && want->type == JL_STR &&
            (want->len != out.len || memcmp(want->str, out.ptr, out.len)) &&
            bad_text++ < MAX_REPORT)
            printf("#   c4 %s: rewritten text differs\n", d->id);
        CHECK(th_fineweb_quality(&fo, d->text, d->len, &tok, arena, NULL,
                                 &reason, &err) == 0);
        check_reason(ps, d, PF_FINEWEB_QUALITY, reason,
                     &bad[PF_FINEWEB_QUALITY], &allowed[PF_FINEWEB_QUALITY]);
        n++;
    }
    for (int f = 0; f < PF_CHAIN; f++) {
        printf("# %s alone (nlp tokenizer): %d docs, %d mismatches, %d "
               "allow-listed\n", parity_filter_name(f), n, bad[f],
               allowed[f]);
        CHECK_EQ_INT(bad[f], 0);
    }
    printf("# c4 rewritten text mismatches: %d\n", bad_text);
    CHECK_EQ_INT(bad_text, 0);
    CHECK(n >= min_docs(ps));
}

static void fineweb_chain_nlp_tokenizer(void)
{
    const struct parity_set *ps = setup();
    if (!ps || !nlp_ready()) {
        CHECK(0);
        return;
    }
    struct th_filter_tokenizer tok = {nlp_words, nlp_sentences, nlp,
                                      TH_NLP_WORD_PAD};
    struct th_filters_opts opts;
    th_filters_opts_init(&opts, TH_PRESET_FINEWEB_V1);
    struct th_filters *f;
    struct th_error err;
    CHECK(th_filters_new(&f, &opts, &err) == 0);
    int bad = 0, allowed = 0, bad_text = 0, bad_stage = 0, n = 0, kept = 0;
    for (size_t i = 0; i < ps->n_docs; i++) {
        const struct parity_doc *d = &ps->docs[i];
        struct th_doc doc;
        th_doc_init(&doc);
        doc.text = (struct th_slice){d->text, d->len};
        th_arena_reset(arena);
        CHECK(th_filters_apply(f, &doc, "filters", &tok, arena, &err) == 0);
        const char *reason = doc.verdict == TH_DROP ? doc.drop_reason : NULL;
        check_reason(ps, d, PF_CHAIN, reason, &bad, &allowed);
        bool error;
        parity_expected_reason(d, PF_CHAIN, &error);
        if (error)
            continue;
        const struct jl_value *want = jl_get(d->expected[PF_CHAIN],
                                             "final_text");
        if (!reason) {
            kept++;
            if (want && want->type == JL_STR &&
                (want->len != doc.text.len ||
                 memcmp(want->str, doc.text.ptr, doc.text.len)) &&
                bad_text++ < MAX_REPORT)
                printf("#   chain %s: final text differs\n", d->id);
        } else if (doc.drop_stage == NULL ||
                   strcmp(doc.drop_stage, "filters") != 0) {
            bad_stage++;
        }
        n++;
    }
    th_filters_free(f);
    printf("# chain (nlp tokenizer): %d docs, %d kept, %d mismatches, %d "
           "text mismatches, %d allow-listed\n", n, kept, bad, bad_text,
           allowed);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(bad_text, 0);
    CHECK_EQ_INT(bad_stage, 0);
    CHECK(n >= min_docs(ps));
}

/*
 * The chain shares work between filters (Gopher quality's token statistics
 * come from the repetition filter's pass): its decision must be the one of
 * the four filters run one after the other, in both presets.
 */
static void chain_equals_filters_in_sequence(void)
{
    const struct parity_set *ps = setup();
    if (!ps || !nlp_ready()) {
        CHECK(0);
        return;
    }
    struct th_filter_tokenizer tok = {nlp_words, nlp_sentences, nlp,
                                      TH_NLP_WORD_PAD};
    int bad = 0, n = 0;
    for (int preset = 0; preset < 2; preset++) {
        enum th_filter_preset p = preset ? TH_PRESET_DATATROVE
                                         : TH_PRESET_FINEWEB_V1;
        struct th_filters_opts opts;
        th_filters_opts_init(&opts, p);
        struct th_filters *f;
        struct th_error err;
        CHECK(th_filters_new(&f, &opts, &err) == 0);
        for (size_t i = 0; i < ps->n_docs; i++) {
            const struct parity_doc *d = &ps->docs[i];
            th_arena_reset(arena);
            struct th_doc doc;
            th_doc_init(&doc);
            doc.text = (struct th_slice){d->text, d->len};
            CHECK(th_filters_apply(f, &doc, "filters", &tok, arena,
                                   &err) == 0);
            const char *got = doc.verdict == TH_DROP ? doc.drop_reason
                                                     : NULL;
            struct th_slice *w = NULL, out = {d->text, d->len};
            size_t nw = 0;
            const char *want = NULL;
            CHECK(nlp_words(d->text, d->len, arena, &w, &nw, &err, nlp) == 0);
            CHECK(th_gopher_repetition(&opts.repetition, d->text, d->len, w,
                                       nw, arena, NULL, &want, &err) == 0);
            if (!want)
                th_gopher_quality(&opts.quality, d->text, d->len, w, nw,
                                  NULL, &want);
            if (!want)
                CHECK(th_c4_quality(&opts.c4, d->text, d->len, &tok, arena,
                                    &out, NULL, &want, &err) == 0);
            if (!want)
                CHECK(th_fineweb_quality(&opts.fineweb, out.ptr, out.len,
                                         &tok, arena, NULL, &want,
                                         &err) == 0);
            if (!same_reason(got, want) && bad++ < MAX_REPORT)
                printf("#   %s %s: chain %s, in sequence %s\n",
                       th_filter_preset_name(p), d->id, got ? got : "keep",
                       want ? want : "keep");
            n++;
        }
        th_filters_free(f);
    }
    printf("# chain vs filters in sequence: %d runs, %d differences\n", n,
           bad);
    CHECK(n >= 2 * min_docs(ps));
    CHECK_EQ_INT(bad, 0);
}

static void every_filter_alone_builtin_punkt(void)
{
    with_builtin(every_filter_alone_nlp_tokenizer);
}

static void fineweb_chain_builtin_punkt(void)
{
    with_builtin(fineweb_chain_nlp_tokenizer);
}

static const struct th_test tests[] = {
    {"gopher_quality_reference_words", gopher_quality_reference_words},
    {"gopher_repetition_reference_words", gopher_repetition_reference_words},
    {"c4_quality_reference_sentences", c4_quality_reference_sentences},
    {"fineweb_quality_reference_words", fineweb_quality_reference_words},
    {"line_statistics_all_documents", line_statistics_all_documents},
    {"allow_list_is_small", allow_list_is_small},
    {"every_filter_alone_nlp_tokenizer", every_filter_alone_nlp_tokenizer},
    {"fineweb_chain_nlp_tokenizer", fineweb_chain_nlp_tokenizer},
    {"every_filter_alone_builtin_punkt", every_filter_alone_builtin_punkt},
    {"fineweb_chain_builtin_punkt", fineweb_chain_builtin_punkt},
    {"chain_equals_filters_in_sequence", chain_equals_filters_in_sequence},
};

TH_TEST_MAIN(tests)
