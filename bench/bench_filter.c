/*
 * Filter benchmark on real text (../shared/data/parity/docs.jsonl.gz, or a
 * JSONL file given as argv[1]): per core (one thread), MB/s and docs/s of
 *   - chain:      the four FineWeb filters chained (fineweb-v1 preset, drop
 *                 mode) with the lib/nlp tokenizer, as the "filters" stage
 *                 runs them;
 *   - tokenizer:  th_nlp_word_tokenize alone over every document;
 *   - filters:    the four filters given precomputed word lists (the
 *                 filters' own cost, tokenizer excluded);
 *   - annotate:   every quality signal (annotate mode);
 *   - pii:        th_pii_redact;
 *   - chain, words given: the chain of the first line over the same
 *                 precomputed lib/nlp words (padded as lib/nlp pads them),
 *                 so the filters' own part measured directly;
 * and peak RSS, all in thread CPU time, each also as a fraction of a plain
 * byte-loop ceiling measured in the same run (the machine is shared).
 * Repeats each measurement until at least 2 s of CPU time have passed.
 * Mode 0 also prints the word tokenizer's share of the chain (and so the
 * filters' own part), mode 2 each filter's share of its time.
 * Usage: bench_filter [docs.jsonl[.gz] [mode 0..5]].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "thresh/filter.h"
#include "thresh/io.h"
#include "thresh/nlp.h"

/* CPU time of this thread in seconds: the machine is shared, wall time
 * would measure the neighbours. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct corpus {
    char **text;        /* document texts (heap) */
    size_t *len;        /* their lengths */
    size_t n;           /* documents */
    size_t bytes;       /* total bytes */
};

static int load(const char *path, struct corpus *c)
{
    struct th_reader *r;
    struct th_error err;
    struct th_reader_options o = {0};
    o.format = TH_FORMAT_JSONL;
    if (th_reader_open(&r, path, &o, &err) < 0) {
        fprintf(stderr, "bench_filter: %s\n", err.msg);
        return -1;
    }
    struct th_arena *a;
    th_arena_new(&a, 0, 0);
    size_t cap = 1024;
    c->text = malloc(cap * sizeof(char *));
    c->len = malloc(cap * sizeof(size_t));
    struct th_doc doc;
    int rc;
    while ((rc = th_reader_next(r, &doc, a, &err)) == 1) {
        if (c->n == cap) {
            cap *= 2;
            c->text = realloc(c->text, cap * sizeof(char *));
            c->len = realloc(c->len, cap * sizeof(size_t));
        }
        c->text[c->n] = malloc(doc.text.len + 1);
        memcpy(c->text[c->n], doc.text.ptr, doc.text.len);
        c->text[c->n][doc.text.len] = '\0';
        c->len[c->n] = doc.text.len;
        c->bytes += doc.text.len;
        c->n++;
        th_arena_reset(a);
    }
    th_arena_free(a);
    th_reader_free(r);
    return rc < 0 ? -1 : 0;
}

/* Monotonic seconds: cheap enough (~25 ns) to time each tokenizer call
 * inside the chain, where thread CPU time (~0.5 us a call) is not. */
static double mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Mode 0's split: monotonic seconds inside the word tokenizer and in the
 * whole chain, so the chain's CPU time can be shared between the two. */
static double chain_tok_mono, chain_all_mono;

static int nlp_words(const char *text, size_t len, struct th_arena *a,
                     struct th_slice **words_out, size_t *n_out,
                     struct th_error *err, void *ctx)
{
    double t = mono_seconds();
    int rc = th_nlp_word_tokenize(ctx, text, len, a, words_out, n_out, err);
    chain_tok_mono += mono_seconds() - t;
    return rc;
}

static int nlp_sentences(const char *text, size_t len, struct th_arena *a,
                         size_t *n_out, struct th_error *err, void *ctx)
{
    return th_nlp_count_sentences(ctx, text, len, a, n_out, err);
}

/* Precomputed words (for the filters-only measurement). */
struct pre {
    struct th_slice **words;   /* per document */
    size_t *n;                 /* per document */
    size_t doc;                /* current document */
    const struct th_nlp *nlp;  /* for texts other than the document's */
};

static int pre_words(const char *text, size_t len, struct th_arena *a,
                     struct th_slice **words_out, size_t *n_out,
                     struct th_error *err, void *ctx)
{
    struct pre *p = ctx;
    (void)text;
    (void)len;
    *words_out = p->words[p->doc];
    *n_out = p->n[p->doc];
    return 0;
}

static int pre_sentences(const char *text, size_t len, struct th_arena *a,
                         size_t *n_out, struct th_error *err, void *ctx)
{
    const struct pre *p = ctx;
    return th_nlp_count_sentences(p->nlp, text, len, a, n_out, err);
}

enum mode {
    M_CHAIN, M_TOKENIZER, M_FILTERS, M_ANNOTATE, M_PII, M_CHAIN_GIVEN
};

/* Mode 2's CPU seconds per filter (printed with the mode: where the
 * filters' time goes) and the documents each one examined. */
struct breakdown {
    double secs[4];            /* repetition, quality, c4, fineweb */
    size_t docs[4];            /* documents each filter examined */
};

static double run(enum mode m, const struct corpus *c, struct th_nlp *nlp,
                  const struct th_filters *chain,
                  const struct th_filters *annot, struct pre *pre,
                  struct th_arena *a, struct breakdown *bd, size_t *kept)
{
    struct th_error err;
    struct th_filter_tokenizer tok = {nlp_words, nlp_sentences, nlp,
                                      TH_NLP_WORD_PAD};
    /* FineWeb's word count reuses the document's words (not those of the
     * C4-rewritten text): this mode measures the filters, not tokenizing */
    struct th_filter_tokenizer ptok = {pre_words, pre_sentences, pre, 0};
    /* the chain over the same precomputed words, as lib/nlp gave them
     * (their padding holds: they live in their own arena) */
    struct th_filter_tokenizer gtok = {pre_words, pre_sentences, pre,
                                       TH_NLP_WORD_PAD};
    struct th_gopher_repetition_opts ro;
    struct th_gopher_quality_opts qo;
    struct th_c4_quality_opts co;
    struct th_fineweb_quality_opts fo;
    th_gopher_repetition_opts_init(&ro, TH_PRESET_FINEWEB_V1);
    th_gopher_quality_opts_init(&qo, TH_PRESET_FINEWEB_V1);
    th_c4_quality_opts_init(&co, TH_PRESET_FINEWEB_V1);
    th_fineweb_quality_opts_init(&fo, TH_PRESET_FINEWEB_V1);
    struct th_pii_opts po;
    th_pii_opts_init(&po);
    *kept = 0;
    double t0 = cpu_seconds(), m0 = mono_seconds();
    for (size_t i = 0; i < c->n; i++) {
        th_arena_reset(a);
        struct th_doc doc;
        th_doc_init(&doc);
        doc.text = (struct th_slice){c->text[i], c->len[i]};
        const char *reason = NULL;
        switch (m) {
        case M_CHAIN:
            th_filters_apply(chain, &doc, "filters", &tok, a, &err);
            *kept += doc.verdict == TH_KEEP;
            break;
        case M_CHAIN_GIVEN:
            pre->doc = i;
            th_filters_apply(chain, &doc, "filters", &gtok, a, &err);
            *kept += doc.verdict == TH_KEEP;
            break;
        case M_ANNOTATE:
            th_filters_apply(annot, &doc, "filters", &tok, a, &err);
            (*kept)++;
            break;
        case M_TOKENIZER: {
            struct th_slice *w;
            size_t n;
            th_nlp_word_tokenize(nlp, c->text[i], c->len[i], a, &w, &n,
                                 &err);
            *kept += n > 0;
            break;
        }
        case M_FILTERS: {
            /* the chain of the four filters over precomputed words */
            pre->doc = i;
            struct th_slice out;
            double t = cpu_seconds(), u;
            th_gopher_repetition(&ro, c->text[i], c->len[i], pre->words[i],
                                 pre->n[i], a, NULL, &reason, &err);
            u = cpu_seconds();
            bd->secs[0] += u - t;
            bd->docs[0]++;
            if (!reason) {
                th_gopher_quality(&qo, c->text[i], c->len[i], pre->words[i],
                                  pre->n[i], NULL, &reason);
                t = cpu_seconds();
                bd->secs[1] += t - u;
                bd->docs[1]++;
            }
            if (!reason) {
                t = cpu_seconds();
                th_c4_quality(&co, c->text[i], c->len[i], &ptok, a, &out,
                              NULL, &reason, &err);
                u = cpu_seconds();
                bd->secs[2] += u - t;
                bd->docs[2]++;
            }
            if (!reason) {
                u = cpu_seconds();
                th_fineweb_quality(&fo, out.ptr, out.len, &ptok, a, NULL,
                                   &reason, &err);
                bd->secs[3] += cpu_seconds() - u;
                bd->docs[3]++;
            }
            *kept += reason == NULL;
            break;
        }
        case M_PII: {
            struct th_slice out;
            size_t counts[TH_PII_N_KINDS];
            th_pii_redact(&po, c->text[i], c->len[i], a, &out, counts, &err);
            *kept += out.ptr != c->text[i];
            break;
        }
        }
    }
    if (m == M_CHAIN)
        chain_all_mono += mono_seconds() - m0;
    return cpu_seconds() - t0;
}

/* The ceiling's count, kept (a count nobody reads let the compiler drop
 * the compares and halve the ceiling in one build). */
static volatile size_t ceiling_count;

/* Ceiling: one pass counting spaces, bytes at a time (what any byte-wise
 * scan of the text costs on this machine, in the same run); not inlined,
 * so that every build compiles it alike. */
__attribute__((noinline)) static double ceiling(const struct corpus *c)
{
    double t0 = cpu_seconds();
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        const volatile char *p = c->text[i];
        for (size_t j = 0; j < c->len[i]; j++)
            n += p[j] == ' ';
    }
    ceiling_count = n;
    return cpu_seconds() - t0;
}

int main(int argc, char **argv)
{
    char path[4096];
    const char *data = getenv("THRESH_SHARED_DATA");
    if (argc > 1)
        snprintf(path, sizeof(path), "%s", argv[1]);
    else
        snprintf(path, sizeof(path), "%s/parity/docs.jsonl.gz",
                 data ? data : "../shared/data");
    struct corpus c = {0};
    if (load(path, &c) < 0 || !c.n) {
        fprintf(stderr, "bench_filter: cannot read %s\n", path);
        return 1;
    }
    struct th_error err;
    struct th_nlp *nlp;
    if (th_nlp_new(&nlp, "english", &err) < 0) {
        fprintf(stderr, "bench_filter: %s\n", err.msg);
        return 1;
    }
    struct th_filters_opts o;
    th_filters_opts_init(&o, TH_PRESET_FINEWEB_V1);
    struct th_filters *chain, *annot;
    th_filters_new(&chain, &o, &err);
    o.annotate = true;
    th_filters_new(&annot, &o, &err);
    struct th_arena *a, *words_arena;
    th_arena_new(&a, 0, 0);
    th_arena_new(&words_arena, 0, 0);

    /* precompute the word lists once (kept in their own arena) */
    struct pre pre = {calloc(c.n, sizeof(struct th_slice *)),
                      calloc(c.n, sizeof(size_t)), 0, nlp};
    for (size_t i = 0; i < c.n; i++)
        th_nlp_word_tokenize(nlp, c.text[i], c.len[i], words_arena,
                             &pre.words[i], &pre.n[i], &err);

    printf("bench_filter: %zu documents, %.1f MB of real text (%s)\n", c.n,
           (double)c.bytes / 1e6, path);
    static const char *const names[] = {
        "chain (4 filters + nlp tokenizer)", "tokenizer alone",
        "4 filters, words given", "annotate (all signals)", "pii redact",
        "chain, words given",
    };
    double cs = 0;
    int creps = 0;
    while (cs < 1.0) {
        cs += ceiling(&c);
        creps++;
    }
    double ceil_mbs = (double)c.bytes * creps / 1e6 / cs;
    printf("  %-36s %9.1f MB/s  (byte-loop ceiling, this run)\n",
           "ceiling", ceil_mbs);
    /* argv[2]: run one mode only (0..5), for profiling */
    int only = argc > 2 ? atoi(argv[2]) : -1;
    for (int m = 0; m <= M_CHAIN_GIVEN; m++) {
        if (only >= 0 && m != only)
            continue;
        double secs = 0;
        int reps = 0;
        size_t kept = 0;
        struct breakdown bd = {{0}, {0}};
        while (secs < 2.0 && reps < 1000) {
            secs += run((enum mode)m, &c, nlp, chain, annot, &pre, a, &bd,
                        &kept);
            reps++;
        }
        double mb = (double)c.bytes * reps / 1e6;
        printf("  %-36s %9.1f MB/s %10.0f docs/s  ceiling/%.1f  (%d reps, "
               "kept %zu)\n", names[m], mb / secs, (double)c.n * reps / secs,
               ceil_mbs / (mb / secs), reps, kept);
        if (m == M_CHAIN && chain_all_mono > 0) {
            /* the filters' own share of the chain: its CPU time less the
             * tokenizer's share (both shares by the monotonic clock) */
            double tok = chain_tok_mono / chain_all_mono;
            printf("    %-34s %5.1f%% of the time; the filters' own part "
                   "%.1f MB/s, %.1f us/doc\n", "of which word tokenizing",
                   100 * tok, mb / (secs * (1 - tok)),
                   1e6 * secs * (1 - tok) / ((double)c.n * reps));
        }
        static const char *const filter_names[4] = {
            "gopher_repetition", "gopher_quality", "c4_quality",
            "fineweb_quality",
        };
        for (int f = 0; m == M_FILTERS && f < 4; f++)
            printf("    %-34s %5.1f%% of the time, %.0f us/doc, %zu docs "
                   "a pass\n", filter_names[f], 100 * bd.secs[f] / secs,
                   bd.docs[f] ? 1e6 * bd.secs[f] / (double)bd.docs[f] : 0,
                   bd.docs[f] / (size_t)reps);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  peak RSS %.1f MB (corpus and precomputed words included)\n",
           (double)ru.ru_maxrss / 1024.0);
    th_filters_free(chain);
    th_filters_free(annot);
    th_nlp_free(nlp);
    th_arena_free(a);
    th_arena_free(words_arena);
    for (size_t i = 0; i < c.n; i++)
        free(c.text[i]);
    free(c.text);
    free(c.len);
    free(pre.words);
    free(pre.n);
    return 0;
}
