/*
 * Benchmark of lib/dedup (docs/dedup.md), per core (one thread, rates per
 * CPU second of the thread):
 *   - signatures: simplification + shingles + MinHash + bands, MB/s and
 *     docs/s, with the XXH3 hash of the same bytes as a ceiling;
 *   - the streaming "dedup" stage end to end (process + process_serial),
 *     MB/s, docs/s and the memory it keeps per kept document;
 *   - quality on a tools/dedup_gen.py benchmark: the error of MinHash's
 *     Jaccard estimate against the true Jaccard for every generator pair,
 *     agreement of the library's true Jaccard with the generator's, and
 *     precision / recall of the stage's removals at the threshold.
 *
 * usage: bench_dedup BENCH.jsonl [PAIRS.tsv] [MIN_MB]
 * BENCH.jsonl is read with the io module; the signature pass repeats over
 * it until MIN_MB (default 200) megabytes were processed.
 */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "thresh/dedup.h"
#include "thresh/io.h"
#include "thresh/stage.h"

extern const struct th_stage_type th_stage_dedup;

struct corpus {
    char **ids;                  /* document ids */
    char **texts;                /* document texts */
    size_t *lens;                /* text lengths */
    size_t n, cap;               /* documents */
    size_t bytes;                /* total text bytes */
};

/*
 * Thread CPU time: the machine is shared, so rates are bytes per CPU
 * second of this (single) thread - "per core" - not per wall second.
 */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static char *dup_slice(struct th_slice s)
{
    char *p = malloc(s.len + 1);
    if (p) {
        memcpy(p, s.ptr, s.len);
        p[s.len] = 0;
    }
    return p;
}

static int load(const char *path, struct corpus *c)
{
    struct th_reader *r;
    struct th_error err = {0};
    struct th_reader_options ro = {0};
    if (th_reader_open(&r, path, &ro, &err) < 0) {
        fprintf(stderr, "bench_dedup: %s\n", err.msg);
        return -1;
    }
    struct th_arena *a;
    th_arena_new(&a, 0, 0);
    struct th_doc d;
    while (th_reader_next(r, &d, a, &err) > 0) {
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 1024;
            c->ids = realloc(c->ids, c->cap * sizeof(*c->ids));
            c->texts = realloc(c->texts, c->cap * sizeof(*c->texts));
            c->lens = realloc(c->lens, c->cap * sizeof(*c->lens));
        }
        c->ids[c->n] = dup_slice(d.id);
        c->texts[c->n] = dup_slice(d.text);
        c->lens[c->n] = d.text.len;
        c->bytes += d.text.len;
        c->n++;
        th_arena_reset(a);
    }
    th_arena_free(a);
    th_reader_free(r);
    return c->n ? 0 : -1;
}

static void bench_signatures(const struct corpus *c, double min_mb)
{
    struct th_minhash_params p;
    th_minhash_params_default(&p);
    struct th_minhash *mh;
    th_minhash_new(&mh, &p, NULL);
    struct th_buf s, sh;
    th_buf_init(&s, 0);
    th_buf_init(&sh, 0);
    uint32_t sig[112];
    uint64_t bands[14];
    size_t docs = 0, bytes = 0;
    uint64_t t0 = cpu_ns(), t_simp = 0, t_sh = 0, t_sign = 0;
    while (bytes < min_mb * 1e6) {
        for (size_t i = 0; i < c->n; i++) {
            uint64_t a = cpu_ns();
            th_buf_reset(&s);
            th_buf_reset(&sh);
            th_dedup_simplify(c->texts[i], c->lens[i], &s);
            uint64_t b = cpu_ns();
            th_minhash_shingles(mh, s.ptr, s.len, false, &sh);
            uint64_t d = cpu_ns();
            th_minhash_sign(mh, (const uint64_t *)(void *)sh.ptr, sh.len / 8,
                            sig);
            th_minhash_bands(mh, sig, bands);
            t_simp += b - a;
            t_sh += d - b;
            t_sign += cpu_ns() - d;
            bytes += c->lens[i];
            docs++;
        }
    }
    double sec = (double)(cpu_ns() - t0) / 1e9;
    /* ceiling: one XXH3 pass over the same bytes */
    uint64_t h = 0, t1 = cpu_ns();
    size_t cbytes = 0;
    while (cbytes < bytes)
        for (size_t i = 0; i < c->n; i++) {
            h ^= th_hash64(c->texts[i], c->lens[i], h);
            cbytes += c->lens[i];
        }
    double csec = (double)(cpu_ns() - t1) / 1e9;
    printf("signatures: %.1f MB/s, %.0f docs/s per core (%.0f MB); "
           "simplify %.0f MB/s, shingles %.0f MB/s, minhash %.0f MB/s\n",
           bytes / 1e6 / sec, docs / sec, bytes / 1e6,
           bytes / 1e6 / (t_simp / 1e9), bytes / 1e6 / (t_sh / 1e9),
           bytes / 1e6 / (t_sign / 1e9));
    printf("ceiling (XXH3 of the same bytes): %.0f MB/s; signatures at "
           "%.3f of it%s\n", cbytes / 1e6 / csec,
           (bytes / 1e6 / sec) / (cbytes / 1e6 / csec), h ? "" : " ");
    th_buf_release(&s);
    th_buf_release(&sh);
    th_minhash_free(mh);
}

/* Index of id in the corpus (ids are unique; linear map built once). */
struct id_map {
    char **keys;                 /* open addressing by hash */
    size_t *vals;                /* corpus index */
    size_t cap;                  /* slots */
};

static void map_build(struct id_map *m, const struct corpus *c)
{
    m->cap = 1;
    while (m->cap < 2 * c->n)
        m->cap *= 2;
    m->keys = calloc(m->cap, sizeof(*m->keys));
    m->vals = calloc(m->cap, sizeof(*m->vals));
    for (size_t i = 0; i < c->n; i++) {
        size_t j = th_hash64(c->ids[i], strlen(c->ids[i]), 0) & (m->cap - 1);
        while (m->keys[j])
            j = (j + 1) & (m->cap - 1);
        m->keys[j] = c->ids[i];
        m->vals[j] = i;
    }
}

static long map_get(const struct id_map *m, const char *id)
{
    size_t j = th_hash64(id, strlen(id), 0) & (m->cap - 1);
    while (m->keys[j]) {
        if (!strcmp(m->keys[j], id))
            return (long)m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    return -1;
}

static size_t uf_find(size_t *parent, size_t x)
{
    while (parent[x] != x)
        x = parent[x] = parent[parent[x]];
    return x;
}

/* Returns the truth "should be removed" flags from the generator pairs. */
static unsigned char *quality(const struct corpus *c, const char *pairs_path,
                              double threshold)
{
    FILE *f = fopen(pairs_path, "r");
    if (!f)
        return NULL;
    struct id_map m;
    map_build(&m, c);
    struct th_minhash_params p;
    th_minhash_params_default(&p);
    struct th_minhash *mh;
    th_minhash_new(&mh, &p, NULL);
    struct th_buf s, sa, sb;
    th_buf_init(&s, 0);
    th_buf_init(&sa, 0);
    th_buf_init(&sb, 0);
    size_t *parent = malloc(c->n * sizeof(*parent));
    for (size_t i = 0; i < c->n; i++)
        parent[i] = i;
    char line[1024];
    size_t n = 0, disagree = 0, near_n = 0;
    double sum_err = 0, sum_sq = 0, max_err = 0, near_err = 0;
    uint32_t siga[112], sigb[112];
    if (!fgets(line, sizeof(line), f))
        line[0] = 0;
    while (fgets(line, sizeof(line), f)) {
        char *a = strtok(line, "\t"), *b = strtok(NULL, "\t"),
             *j = strtok(NULL, "\t");
        if (!a || !b || !j)
            continue;
        long ia = map_get(&m, a), ib = map_get(&m, b);
        if (ia < 0 || ib < 0)
            continue;
        struct th_buf *sets[2] = {&sa, &sb};
        long idx[2] = {ia, ib};
        uint32_t *sigs[2] = {siga, sigb};
        for (int k = 0; k < 2; k++) {
            th_buf_reset(&s);
            th_buf_reset(sets[k]);
            th_dedup_simplify(c->texts[idx[k]], c->lens[idx[k]], &s);
            th_minhash_shingles(mh, s.ptr, s.len, true, sets[k]);
            th_minhash_sign(mh, (const uint64_t *)(void *)sets[k]->ptr,
                            sets[k]->len / 8, sigs[k]);
        }
        double truth = th_jaccard_sorted(
            (const uint64_t *)(void *)sa.ptr, sa.len / 8,
            (const uint64_t *)(void *)sb.ptr, sb.len / 8);
        double est = th_minhash_estimate(siga, sigb, 112);
        double e = fabs(est - truth);
        sum_err += e;
        sum_sq += e * e;
        max_err = e > max_err ? e : max_err;
        if (fabs(truth - threshold) < 0.1) {
            near_err += e;
            near_n++;
        }
        disagree += fabs(truth - strtod(j, NULL)) > 0.01;
        n++;
        if (truth >= threshold) {
            size_t ra = uf_find(parent, (size_t)ia);
            size_t rb = uf_find(parent, (size_t)ib);
            if (ra < rb)
                parent[rb] = ra;
            else
                parent[ra] = rb;
        }
    }
    fclose(f);
    printf("minhash estimate vs true Jaccard over %zu pairs: mean abs "
           "error %.4f, rmse %.4f, max %.4f; within 0.1 of the threshold "
           "(%zu pairs): mean abs error %.4f\n", n, n ? sum_err / n : 0,
           n ? sqrt(sum_sq / n) : 0, max_err, near_n,
           near_n ? near_err / near_n : 0);
    printf("true Jaccard: library and generator differ by > 0.01 on %zu of "
           "%zu pairs\n", disagree, n);
    unsigned char *truth = calloc(c->n, 1);
    for (size_t i = 0; i < c->n; i++)
        truth[i] = uf_find(parent, i) != i;
    free(parent);
    free(m.keys);
    free(m.vals);
    th_buf_release(&s);
    th_buf_release(&sa);
    th_buf_release(&sb);
    th_minhash_free(mh);
    return truth;
}

static void bench_stage(const struct corpus *c, const unsigned char *truth,
                        const char *verify)
{
    struct th_config *cfg;
    th_config_new(&cfg);
    th_config_set(cfg, "dedup.verify", verify);
    th_config_set(cfg, "dedup.url", "false");
    struct th_error err = {0};
    void *shared, *state;
    struct mallinfo2 mi0 = mallinfo2();
    if (th_stage_dedup.shared_new(&shared, cfg, &err) < 0 ||
        th_stage_dedup.create(&state, shared, cfg, &err) < 0) {
        fprintf(stderr, "bench_dedup: %s\n", err.msg);
        return;
    }
    struct th_arena *a;
    th_arena_new(&a, 0, 0);
    size_t removed = 0, correct = 0, should = 0, kept = 0;
    uint64_t t0 = cpu_ns();
    for (size_t i = 0; i < c->n; i++) {
        struct th_doc d;
        th_doc_init(&d);
        d.seq = i;
        d.id = th_slice_from_cstr(c->ids[i]);
        d.text.ptr = c->texts[i];
        d.text.len = c->lens[i];
        th_stage_dedup.process(state, &d, a, &err);
        th_stage_dedup.process_serial(shared, &d, a, &err);
        if (d.verdict == TH_DROP) {
            removed++;
            correct += truth && truth[i];
        } else {
            kept++;
        }
        should += truth && truth[i];
        th_arena_reset(a);
    }
    double sec = (double)(cpu_ns() - t0) / 1e9;
    /* heap held by the stage's index (the shingle store is a file) */
    struct mallinfo2 mi1 = mallinfo2();
    double held = (double)(mi1.uordblks + mi1.hblkhd) -
                  (double)(mi0.uordblks + mi0.hblkhd);
    printf("stage (verify=%s): %.1f MB/s, %.0f docs/s per core; %zu kept, "
           "%zu removed; index heap %.1f MB = %.0f bytes per document\n",
           verify, c->bytes / 1e6 / sec, c->n / sec, kept, removed,
           held / 1e6, c->n ? held / c->n : 0);
    if (truth)
        printf("stage (verify=%s): precision %.4f recall %.4f at 0.8 "
               "(stage rule: similar to an earlier kept document)\n",
               verify, removed ? (double)correct / removed : 1.0,
               should ? (double)correct / should : 1.0);
    th_arena_free(a);
    th_stage_dedup.destroy(state);
    th_stage_dedup.shared_free(shared);
    th_config_free(cfg);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_dedup BENCH.jsonl [PAIRS.tsv] "
                        "[MIN_MB]\n");
        return 1;
    }
    struct corpus c = {0};
    if (load(argv[1], &c) < 0) {
        fprintf(stderr, "bench_dedup: no documents in '%s'\n", argv[1]);
        return 1;
    }
    printf("corpus: %zu documents, %.1f MB\n", c.n, c.bytes / 1e6);
    bench_signatures(&c, argc > 3 ? strtod(argv[3], NULL) : 200);
    unsigned char *truth = argc > 2 ? quality(&c, argv[2], 0.8) : NULL;
    bench_stage(&c, truth, "jaccard");
    bench_stage(&c, truth, "signature");
    printf("peak RSS %ld MB\n", peak_rss_kb() / 1024);
    free(truth);
    for (size_t i = 0; i < c.n; i++) {
        free(c.ids[i]);
        free(c.texts[i]);
    }
    free(c.ids);
    free(c.texts);
    free(c.lens);
    return 0;
}
