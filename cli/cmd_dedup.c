/*
 * `thresh dedup PHASE ...`: the scalable multi-phase deduplication path,
 * split as datatrove splits it so that each phase runs as many independent
 * tasks (`--shard I/N`), with memory bounded by `--memory`:
 *
 *   signatures  per input file: exact-text hash, URL hash, priority, LSH
 *               band hashes (DIR/sig-FFFFF.thd), shingle sets for
 *               verification (DIR/shingles-FFFFF.thd), line counts
 *               (DIR/lines-FFFFF.thd); task I takes files F with F % N == I
 *   buckets     per band: (band hash, doc) entries sorted under the budget
 *               (spilling runs), equal hashes -> candidate pairs
 *               (DIR/pairs-BBB.thd); the exact and URL keys are two more
 *               "bands"; task I takes bands B with B % N == I
 *   clusters    one task: URL rule, verification of candidate pairs by
 *               true Jaccard, union-find, keep the first of each cluster
 *               (or the highest --priority), repeated lines over the
 *               corpus (DIR/clusters.thd, DIR/repeated-lines.thd)
 *   filter      per input file: drop duplicates, write cluster id and
 *               size into kept documents, strip repeated lines
 *   all         every phase in turn, in this process
 *
 * A document is named by its global id (input index << 40 | position in
 * that input), which does not depend on the task split, so every split
 * produces byte-identical files. Every intermediate file is checksummed
 * (lib/dedup/dedup_file.c); a damaged one stops the phase with its name.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "thresh/dedup.h"
#include "thresh/io.h"

#define GID(file, doc) ((uint64_t)(file) << 40 | (uint64_t)(doc))
#define GID_FILE(g) ((g) >> 40)
#define GID_DOC(g) ((g) & ((1ull << 40) - 1))

enum url_rule { URL_FIRST, URL_NEWEST, URL_LONGEST };
enum pair_kind { PAIR_NEAR = 0, PAIR_EXACT = 1, PAIR_URL = 2 };
enum reason { R_KEEP = 0, R_EXACT = 1, R_NEAR = 2, R_URL = 3 };

/* Signature record words before the band hashes. */
enum { S_GID, S_TEXT, S_URL, S_PRIO, S_SHOFF, S_NSH, S_BANDS };

struct opts {
    const char *dir;             /* intermediate directory */
    const char *out;             /* filter: output directory */
    const char *rejects;         /* filter: rejects directory, or NULL */
    unsigned shard, n_shards;    /* --shard I/N */
    size_t memory;               /* --memory budget in bytes */
    double threshold;            /* --near-threshold */
    unsigned bands, rows, ngram; /* geometry (0: choose) */
    uint64_t seed;               /* hash seed */
    bool verify;                 /* verify candidates by true Jaccard */
    bool exact, url, near;       /* which kinds of dedup */
    enum url_rule url_rule;      /* which of a URL group is kept */
    const char *priority;        /* metadata field: higher is kept */
    bool by_priority;            /* clusters keep the highest priority */
    int64_t lines_min;           /* repeated lines: > this many docs; 0 off */
    char **inputs;               /* input paths, in order */
    size_t n_inputs;             /* number of inputs */
};

static void on_warning(const char *msg, void *ctx)
{
    (void)ctx;
    if (cli_verbosity >= 1)
        fprintf(stderr, "thresh: warning: %s\n", msg);
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    switch (*end) {
    case 'k': case 'K': v *= 1024.0; end++; break;
    case 'm': case 'M': v *= 1048576.0; end++; break;
    case 'g': case 'G': v *= 1073741824.0; end++; break;
    default: break;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end)
        return -1;
    *out = (size_t)v;
    return 0;
}

static void path_in(char *out, size_t cap, const char *dir, const char *fmt,
                    unsigned long long n)
{
    char name[64];
    snprintf(name, sizeof(name), fmt, n);
    snprintf(out, cap, "%s/%s", dir, name);
}

/* ---- manifest ------------------------------------------------------- */

/*
 * DIR/manifest: the parameters of the run as "key value" lines, then
 * "checksum <XXH3 of the lines before, hex>", so a damaged or truncated
 * manifest is refused like any other intermediate file.
 */
static int write_manifest(const struct opts *o, struct th_error *err)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/manifest", o->dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp.%u", path, o->shard);
    struct th_buf b;
    th_buf_init(&b, 0);
    int rc = th_buf_printf(&b, "inputs %zu\nbands %u\nrows %u\nngram %u\n"
                           "seed %llu\nthreshold %.17g\nverify %d\nexact %d\n"
                           "url %d\nnear %d\nurl_rule %d\nlines_min %lld\n"
                           "priority %d\n",
                           o->n_inputs, o->bands, o->rows, o->ngram,
                           (unsigned long long)o->seed, o->threshold,
                           o->verify, o->exact, o->url, o->near,
                           (int)o->url_rule, (long long)o->lines_min,
                           o->priority != NULL);
    if (rc == 0)
        rc = th_buf_printf(&b, "checksum %016llx\n",
                           (unsigned long long)th_hash64(b.ptr, b.len, 0));
    FILE *f = rc == 0 ? fopen(tmp, "w") : NULL;
    if (!f) {
        th_buf_release(&b);
        return th_error_set(err, TH_EIO, "cannot create '%s': %s", tmp,
                            strerror(errno));
    }
    size_t n = fwrite(b.ptr, 1, b.len, f);
    rc = fclose(f);
    if (n != b.len || rc != 0 || rename(tmp, path) != 0) {
        th_buf_release(&b);
        return th_error_set(err, TH_EIO, "cannot write '%s'", path);
    }
    th_buf_release(&b);
    return 0;
}

static int read_manifest(struct opts *o, struct th_error *err)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/manifest", o->dir);
    char *data;
    size_t len;
    if (cli_read_all(path, &data, &len, err) < 0)
        return th_error_set(err, TH_EIO, "cannot open '%s' (run the "
                            "signatures phase first)", path);
    /* the last line is the checksum of everything before it */
    char *last = len > 1 ? memchr(data, 0, len) : NULL;
    size_t body = len;
    while (body > 0 && data[body - 1] == '\n')
        body--;
    while (body > 0 && data[body - 1] != '\n')
        body--;
    unsigned long long sum = 0;
    int rc = 0;
    if (last || body == 0 ||
        sscanf(data + body, "checksum %16llx", &sum) != 1 ||
        sum != th_hash64(data, body, 0))
        rc = th_error_set(err, TH_EFORMAT, "'%s': damaged manifest (bad "
                          "checksum)", path);
    int got = 0;
    for (char *line = data; rc == 0 && line < data + body;) {
        char *nl = memchr(line, '\n', (size_t)(data + body - line));
        if (nl)
            *nl = 0;
        char key[64], val[64];
        if (sscanf(line, "%63s %63s", key, val) == 2) {
            double v = strtod(val, NULL);
            got++;
            if (!strcmp(key, "inputs")) o->n_inputs = (size_t)v;
            else if (!strcmp(key, "bands")) o->bands = (unsigned)v;
            else if (!strcmp(key, "rows")) o->rows = (unsigned)v;
            else if (!strcmp(key, "ngram")) o->ngram = (unsigned)v;
            else if (!strcmp(key, "seed")) o->seed = strtoull(val, NULL, 10);
            else if (!strcmp(key, "threshold")) o->threshold = v;
            else if (!strcmp(key, "verify")) o->verify = v != 0;
            else if (!strcmp(key, "exact")) o->exact = v != 0;
            else if (!strcmp(key, "url")) o->url = v != 0;
            else if (!strcmp(key, "near")) o->near = v != 0;
            else if (!strcmp(key, "url_rule"))
                o->url_rule = (enum url_rule)v;
            else if (!strcmp(key, "lines_min")) o->lines_min = (int64_t)v;
            else if (!strcmp(key, "priority")) o->by_priority = v != 0;
            else got--;
        }
        line = nl ? nl + 1 : data + body;
    }
    free(data);
    if (rc == 0 && (got < 13 || !o->bands || o->bands > 64 || !o->rows ||
                    o->bands * o->rows > 4096 || !o->ngram || o->ngram > 64 ||
                    o->url_rule > URL_LONGEST || o->n_inputs >= (1u << 23)))
        rc = th_error_set(err, TH_EFORMAT, "'%s': incomplete or invalid "
                          "manifest", path);
    return rc;
}

static int make_minhash(const struct opts *o, struct th_minhash **out,
                        struct th_error *err)
{
    struct th_minhash_params p;
    th_minhash_params_default(&p);
    p.n_bands = o->bands;
    p.n_rows = o->rows;
    p.ngram = o->ngram;
    p.seed = o->seed;
    return th_minhash_new(out, &p, err);
}

static unsigned n_words(const struct opts *o)
{
    return S_BANDS + o->bands;
}

/* ---- phase 1: signatures -------------------------------------------- */

static uint64_t priority_of(const struct opts *o, const struct th_doc *doc)
{
    if (o->priority) {
        const struct th_meta *m = th_doc_get_meta(doc, o->priority);
        if (!m)
            return 0;
        char num[64];
        size_t n = m->json.len < 63 ? m->json.len : 63;
        memcpy(num, m->json.ptr, n);
        num[n] = 0;
        double v = strtod(num[0] == '"' ? num + 1 : num, NULL);
        /* order-preserving map of a double to an unsigned integer */
        uint64_t b;
        memcpy(&b, &v, sizeof(b));
        return b >> 63 ? ~b : b | (1ull << 63);
    }
    if (o->url_rule == URL_LONGEST)
        return doc->text.len;
    if (o->url_rule == URL_NEWEST) {
        /* ISO 8601 dates compare as strings: first 8 bytes big-endian */
        uint64_t v = 0;
        const char *d = doc->source.date.ptr;
        size_t dl = doc->source.date.len;
        size_t k = 0;
        for (size_t i = 0; i < dl && k < 8; i++)
            if (d[i] >= '0' && d[i] <= '9') {
                v = v << 8 | (uint8_t)d[i];
                k++;
            }
        return k ? v << (8 * (8 - k)) : 0;
    }
    return 0;
}

static int phase_signatures_file(const struct opts *o,
                                 const struct th_minhash *mh, size_t f,
                                 struct th_error *err)
{
    char path[4096], spath[4096], lpath[4096];
    path_in(path, sizeof(path), o->dir, "sig-%05llu.thd", f);
    path_in(spath, sizeof(spath), o->dir, "shingles-%05llu.thd", f);
    path_in(lpath, sizeof(lpath), o->dir, "lines-%05llu.thd", f);
    struct th_reader_options ro = { .on_warning = on_warning };
    struct th_reader *r = NULL;
    struct th_dedup_file *sig = NULL, *sh = NULL, *lines = NULL;
    struct th_sorter *ls = NULL;
    struct th_arena *arena = NULL;
    struct th_buf simp, shing, lbuf, lscratch;
    th_buf_init(&simp, 0);
    th_buf_init(&shing, 0);
    th_buf_init(&lbuf, 0);
    th_buf_init(&lscratch, 0);
    uint64_t *rec = calloc(n_words(o), sizeof(uint64_t));
    uint32_t *sigv = calloc(th_minhash_n_hashes(mh), sizeof(uint32_t));
    int rc = !rec || !sigv ? th_error_set(err, TH_ENOMEM, "out of memory")
                           : 0;
    if (rc == 0)
        rc = th_arena_new(&arena, 0, 0);
    if (rc == 0)
        rc = th_reader_open(&r, o->inputs[f], &ro, err);
    struct th_dedup_file_info info = {
        .kind = TH_DEDUP_FILE_SIGNATURES,
        .record_size = n_words(o) * 8,
        .block_size = 4096 / (n_words(o) * 8) * (n_words(o) * 8),
        .fingerprint = th_minhash_fingerprint(mh),
        .shard = f,
    };
    if (rc == 0)
        rc = th_dedup_file_create(&sig, path, &info, err);
    if (rc == 0 && o->verify && o->near) {
        info.kind = TH_DEDUP_FILE_SHINGLES;
        info.record_size = 8;
        info.block_size = 4096;     /* read back by offset: small blocks */
        rc = th_dedup_file_create(&sh, spath, &info, err);
    }
    if (rc == 0 && o->lines_min > 0)
        rc = th_sorter_new(&ls, 1, o->memory / 2, o->dir, err);
    uint64_t n_docs = 0, n_sh = 0;
    struct th_doc doc;
    int got;
    while (rc == 0 && (got = th_reader_next(r, &doc, arena, err)) > 0) {
        memset(rec, 0, n_words(o) * 8);
        rec[S_GID] = GID(f, n_docs);
        n_docs++;
        if (doc.damage) {
            rc = th_dedup_file_write(sig, rec, 1, err);
            th_arena_reset(arena);
            continue;
        }
        if (o->url)
            rec[S_URL] = th_dedup_url_hash(doc.url.ptr, doc.url.len);
        rec[S_PRIO] = priority_of(o, &doc);
        th_buf_reset(&simp);
        th_buf_reset(&shing);
        if (o->exact || o->near)
            rc = th_dedup_simplify(doc.text.ptr, doc.text.len, &simp);
        if (rc == 0 && o->exact)
            rec[S_TEXT] = th_dedup_text_hash(simp.ptr, simp.len);
        if (rc == 0 && o->near) {
            rc = th_minhash_shingles(mh, simp.ptr, simp.len, o->verify,
                                     &shing);
            if (rc < 0) {
                th_error_set(err, rc, "'%s': document %llu too large",
                             o->inputs[f], (unsigned long long)n_docs - 1);
                break;
            }
            size_t n = shing.len / 8;
            if (n) {
                th_minhash_sign(mh, (const uint64_t *)(void *)shing.ptr, n,
                                sigv);
                th_minhash_bands(mh, sigv, rec + S_BANDS);
                if (sh) {
                    size_t keep = n < 100000 ? n : 100000;
                    rec[S_SHOFF] = n_sh;
                    rec[S_NSH] = keep;
                    rc = th_dedup_file_write(sh, shing.ptr, keep, err);
                    n_sh += keep;
                }
            }
        }
        if (rc == 0 && ls) {
            th_buf_reset(&lbuf);
            rc = th_dedup_line_hashes(doc.text.ptr, doc.text.len, &lscratch,
                                      &lbuf);
            const uint64_t *lh = (const uint64_t *)(void *)lbuf.ptr;
            for (size_t i = 0; rc == 0 && i < lbuf.len / 8; i++)
                rc = th_sorter_add(ls, &lh[i], err);
        }
        if (rc == 0)
            rc = th_dedup_file_write(sig, rec, 1, err);
        th_arena_reset(arena);
    }
    if (rc == 0 && got < 0)
        rc = got;
    if (rc == 0 && ls) {
        info.kind = TH_DEDUP_FILE_LINES;
        info.record_size = 16;
        info.block_size = 0;        /* the default, 64 KiB */
        rc = th_sorter_finish(ls, err);
        if (rc == 0)
            rc = th_dedup_file_create(&lines, lpath, &info, err);
        const uint64_t *v;
        uint64_t cur[2] = {0, 0};
        while (rc == 0 && (got = th_sorter_next(ls, &v, err)) > 0) {
            if (cur[1] && v[0] != cur[0])
                rc = th_dedup_file_write(lines, cur, 1, err);
            if (!cur[1] || v[0] != cur[0]) {
                cur[0] = v[0];
                cur[1] = 0;
            }
            cur[1]++;
        }
        if (rc == 0 && got < 0)
            rc = got;
        if (rc == 0 && cur[1])
            rc = th_dedup_file_write(lines, cur, 1, err);
        if (rc == 0) {
            rc = th_dedup_file_close(lines, err);
            lines = NULL;
        }
    }
    if (rc == 0) {
        th_dedup_file_set_tag(sig, n_docs);
        rc = th_dedup_file_close(sig, err);
        sig = NULL;
    }
    if (rc == 0 && sh) {
        rc = th_dedup_file_close(sh, err);
        sh = NULL;
    }
    th_dedup_file_abort(sig);
    th_dedup_file_abort(sh);
    th_dedup_file_abort(lines);
    th_sorter_free(ls);
    th_reader_free(r);
    th_arena_free(arena);
    th_buf_release(&simp);
    th_buf_release(&shing);
    th_buf_release(&lbuf);
    th_buf_release(&lscratch);
    free(rec);
    free(sigv);
    return rc;
}

static int phase_signatures(struct opts *o, struct th_error *err)
{
    if (o->n_inputs >= (1u << 23))
        return th_error_set(err, TH_ELIMIT, "too many inputs");
    if (mkdir(o->dir, 0777) != 0 && errno != EEXIST)
        return th_error_set(err, TH_EIO, "cannot create '%s': %s", o->dir,
                            strerror(errno));
    if (!o->bands)
        th_minhash_choose_bands(o->threshold, 112, &o->bands, &o->rows);
    struct th_minhash *mh;
    int rc = make_minhash(o, &mh, err);
    if (rc < 0)
        return rc;
    rc = write_manifest(o, err);
    for (size_t f = o->shard; rc == 0 && f < o->n_inputs; f += o->n_shards) {
        uint64_t t0 = th_now_ns();
        rc = phase_signatures_file(o, mh, f, err);
        cli_info("signatures of '%s': %.2f s", o->inputs[f],
                 (double)(th_now_ns() - t0) / 1e9);
    }
    th_minhash_free(mh);
    return rc;
}

/* ---- phase 2: buckets ----------------------------------------------- */

static int open_sig(const struct opts *o, size_t f, uint64_t fingerprint,
                    struct th_dedup_file **out, struct th_error *err)
{
    char path[4096];
    path_in(path, sizeof(path), o->dir, "sig-%05llu.thd", f);
    int rc = th_dedup_file_open(out, path, TH_DEDUP_FILE_SIGNATURES, err);
    if (rc < 0)
        return rc;
    const struct th_dedup_file_info *info = th_dedup_file_info(*out);
    if (info->fingerprint != fingerprint || info->shard != f ||
        info->record_size != n_words(o) * 8) {
        th_dedup_file_free(*out);
        return th_error_set(err, TH_EFORMAT,
                            "'%s': made with other parameters", path);
    }
    return 0;
}

/*
 * Emit the candidate pairs of one group of entries with equal key: all
 * pairs for small groups, a star from the first member for large ones.
 * Records: (a, b, kind) with a < b in input order.
 */
static int emit_group(struct th_dedup_file *out, const uint64_t *gids,
                      size_t n, uint64_t kind, struct th_error *err)
{
    int rc = 0;
    size_t full = n <= 16 ? n : 1;
    for (size_t i = 0; rc == 0 && i < full; i++)
        for (size_t j = i + 1; rc == 0 && j < n; j++) {
            uint64_t rec[3] = {gids[i], gids[j], kind};
            rc = th_dedup_file_write(out, rec, 1, err);
        }
    return rc;
}

/*
 * One "band": b < n_bands is an LSH band; n_bands is the exact-text key;
 * n_bands + 1 is the URL key, whose group is ordered by priority (highest
 * first, then input order) so that the first member is the one kept.
 */
static int phase_buckets_band(const struct opts *o, unsigned b,
                              uint64_t fingerprint, struct th_error *err)
{
    bool is_url = b == o->bands + 1, is_exact = b == o->bands;
    if ((is_url && !o->url) || (is_exact && !o->exact) ||
        (b < o->bands && !o->near))
        return 0;
    struct th_sorter *s;
    int rc = th_sorter_new(&s, 3, o->memory, o->dir, err);
    if (rc < 0)
        return rc;
    for (size_t f = 0; rc == 0 && f < o->n_inputs; f++) {
        struct th_dedup_file *in;
        if ((rc = open_sig(o, f, fingerprint, &in, err)) < 0)
            break;
        const void *p;
        int got;
        while ((got = th_dedup_file_next(in, &p, err)) > 0) {
            const uint64_t *r = p;
            uint64_t key = is_url ? r[S_URL]
                                  : is_exact ? r[S_TEXT] : r[S_BANDS + b];
            if (!key)
                continue;
            uint64_t e[3] = {key, is_url ? ~r[S_PRIO] : 0, r[S_GID]};
            if ((rc = th_sorter_add(s, e, err)) < 0)
                break;
        }
        if (rc == 0 && got < 0)
            rc = got;
        th_dedup_file_free(in);
    }
    char path[4096];
    path_in(path, sizeof(path), o->dir, "pairs-%03llu.thd", b);
    struct th_dedup_file_info info = {
        .kind = TH_DEDUP_FILE_BUCKETS, .record_size = 24,
        .fingerprint = fingerprint, .shard = b,
    };
    struct th_dedup_file *out = NULL;
    if (rc == 0)
        rc = th_sorter_finish(s, err);
    if (rc == 0)
        rc = th_dedup_file_create(&out, path, &info, err);
    cli_info("band %u: %zu sorted runs spilled", b, th_sorter_runs(s));
    uint64_t kind = is_url ? PAIR_URL : is_exact ? PAIR_EXACT : PAIR_NEAR;
    uint64_t *group = NULL;
    size_t n = 0, cap = 0;
    uint64_t key = 0;
    const uint64_t *e;
    int got = 0;
    while (rc == 0 && (got = th_sorter_next(s, &e, err)) > 0) {
        if (n && e[0] != key) {
            rc = emit_group(out, group, n, kind, err);
            n = 0;
        }
        key = e[0];
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            uint64_t *g = realloc(group, cap * sizeof(*g));
            if (!g) {
                rc = th_error_set(err, TH_ENOMEM, "out of memory");
                break;
            }
            group = g;
        }
        group[n++] = e[2];
    }
    if (rc == 0 && got < 0)
        rc = got;
    if (rc == 0 && n)
        rc = emit_group(out, group, n, kind, err);
    free(group);
    if (rc == 0) {
        rc = th_dedup_file_close(out, err);
        out = NULL;
    }
    th_dedup_file_abort(out);
    th_sorter_free(s);
    return rc;
}

static int phase_buckets(struct opts *o, struct th_error *err)
{
    int rc = read_manifest(o, err);
    struct th_minhash *mh = NULL;
    if (rc == 0)
        rc = make_minhash(o, &mh, err);
    if (rc < 0)
        return rc;
    uint64_t fp = th_minhash_fingerprint(mh);
    th_minhash_free(mh);
    for (unsigned b = o->shard; rc == 0 && b < o->bands + 2;
         b += o->n_shards)
        rc = phase_buckets_band(o, b, fp, err);
    return rc;
}

/* ---- phase 3: clusters ---------------------------------------------- */

struct corpus {
    uint64_t *first;             /* dense id of each input's first doc */
    uint64_t n_docs;             /* total documents */
};

static uint32_t dense(const struct corpus *c, uint64_t gid)
{
    return (uint32_t)(c->first[GID_FILE(gid)] + GID_DOC(gid));
}

static uint64_t gid_of(const struct corpus *c, size_t n_inputs, uint64_t d)
{
    size_t lo = 0, hi = n_inputs;     /* last f with first[f] <= d */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->first[mid] <= d)
            lo = mid;
        else
            hi = mid;
    }
    while (lo + 1 < n_inputs && c->first[lo + 1] <= d)
        lo++;
    return GID(lo, d - c->first[lo]);
}

static int load_corpus(const struct opts *o, uint64_t fp, struct corpus *c,
                       struct th_error *err)
{
    c->first = calloc(o->n_inputs + 1, sizeof(*c->first));
    if (!c->first)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    uint64_t total = 0;
    for (size_t f = 0; f < o->n_inputs; f++) {
        struct th_dedup_file *in;
        int rc = open_sig(o, f, fp, &in, err);
        if (rc < 0)
            return rc;
        c->first[f] = total;
        total += th_dedup_file_info(in)->tag;
        th_dedup_file_free(in);
    }
    c->first[o->n_inputs] = total;
    c->n_docs = total;
    if (total >= UINT32_MAX)
        return th_error_set(err, TH_ELIMIT, "more than 2^32 documents");
    return 0;
}

/* Shingle sets for verification: one random-access reader per input. */
struct shingle_sets {
    struct th_dedup_file **files; /* per input, opened lazily */
    struct th_dedup_file **sigs;  /* per input signature readers */
    uint64_t *a, *b;              /* buffers */
    size_t cap_a, cap_b;          /* their capacities in hashes */
};

static int load_set(const struct opts *o, struct shingle_sets *ss,
                    uint64_t fp, uint64_t gid, uint64_t **buf, size_t *cap,
                    size_t *n_out, struct th_error *err)
{
    size_t f = GID_FILE(gid);
    int rc;
    if (!ss->sigs[f] && (rc = open_sig(o, f, fp, &ss->sigs[f], err)) < 0)
        return rc;
    if (!ss->files[f]) {
        char path[4096];
        path_in(path, sizeof(path), o->dir, "shingles-%05llu.thd", f);
        if ((rc = th_dedup_file_open(&ss->files[f], path,
                                     TH_DEDUP_FILE_SHINGLES, err)) < 0)
            return rc;
    }
    uint64_t rec[S_BANDS + 64];
    if ((rc = th_dedup_file_read_at(ss->sigs[f], GID_DOC(gid), 1, rec,
                                    err)) < 0)
        return rc;
    size_t n = rec[S_NSH];
    if (n > *cap) {
        uint64_t *p = realloc(*buf, n * sizeof(*p));
        if (!p)
            return th_error_set(err, TH_ENOMEM, "out of memory");
        *buf = p;
        *cap = n;
    }
    *n_out = n;
    return n ? th_dedup_file_read_at(ss->files[f], rec[S_SHOFF], n, *buf, err)
             : 0;
}

static int read_pairs(const struct opts *o, unsigned b, uint64_t fp,
                      struct th_dedup_file **out, struct th_error *err)
{
    char path[4096];
    path_in(path, sizeof(path), o->dir, "pairs-%03llu.thd", b);
    int rc = th_dedup_file_open(out, path, TH_DEDUP_FILE_BUCKETS, err);
    if (rc == 0 && th_dedup_file_info(*out)->fingerprint != fp) {
        th_dedup_file_free(*out);
        return th_error_set(err, TH_EFORMAT,
                            "'%s': made with other parameters", path);
    }
    return rc;
}

static int repeated_lines(const struct opts *o, struct th_error *err)
{
    struct th_sorter *s;
    int rc = th_sorter_new(&s, 2, o->memory / 2, o->dir, err);
    if (rc < 0)
        return rc;
    for (size_t f = 0; rc == 0 && f < o->n_inputs; f++) {
        char path[4096];
        path_in(path, sizeof(path), o->dir, "lines-%05llu.thd", f);
        struct th_dedup_file *in;
        if ((rc = th_dedup_file_open(&in, path, TH_DEDUP_FILE_LINES,
                                     err)) < 0)
            break;
        const void *p;
        int got;
        while ((got = th_dedup_file_next(in, &p, err)) > 0) {
            uint64_t r[2];
            memcpy(r, p, 16);
            if ((rc = th_sorter_add(s, r, err)) < 0)
                break;
        }
        if (rc == 0 && got < 0)
            rc = got;
        th_dedup_file_free(in);
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/repeated-lines.thd", o->dir);
    struct th_dedup_file_info info = {.kind = TH_DEDUP_FILE_LINES,
                                      .record_size = 16};
    struct th_dedup_file *out = NULL;
    if (rc == 0)
        rc = th_sorter_finish(s, err);
    if (rc == 0)
        rc = th_dedup_file_create(&out, path, &info, err);
    uint64_t cur[2] = {0, 0};
    const uint64_t *v;
    int got = 0;
    uint64_t n_rep = 0;
    while (rc == 0 && (got = th_sorter_next(s, &v, err)) > 0) {
        if (cur[1] && v[0] != cur[0]) {
            if ((int64_t)cur[1] > o->lines_min && ++n_rep)
                rc = th_dedup_file_write(out, cur, 1, err);
            cur[1] = 0;
        }
        cur[0] = v[0];
        cur[1] += v[1];
    }
    if (rc == 0 && got < 0)
        rc = got;
    if (rc == 0 && cur[1] && (int64_t)cur[1] > o->lines_min && ++n_rep)
        rc = th_dedup_file_write(out, cur, 1, err);
    if (rc == 0) {
        rc = th_dedup_file_close(out, err);
        out = NULL;
        cli_info("repeated lines: %llu distinct lines in more than %lld "
                 "documents", (unsigned long long)n_rep,
                 (long long)o->lines_min);
    }
    th_dedup_file_abort(out);
    th_sorter_free(s);
    return rc;
}

static int phase_clusters(struct opts *o, struct th_error *err)
{
    int rc = read_manifest(o, err);
    struct th_minhash *mh = NULL;
    if (rc == 0)
        rc = make_minhash(o, &mh, err);
    if (rc < 0)
        return rc;
    uint64_t fp = th_minhash_fingerprint(mh);
    th_minhash_free(mh);
    struct corpus c = {0};
    struct th_unionfind uf = {0};
    struct shingle_sets ss = {0};
    uint8_t *reason = NULL;
    uint32_t *dup_of = NULL;
    uint64_t *prio = NULL;       /* --priority: per document */
    uint32_t *keeper = NULL;     /* --priority: keeper of each root */
    struct th_sorter *near_pairs = NULL;
    struct th_dedup_file *out = NULL;
    uint64_t verified = 0, rejected = 0;
    if ((rc = load_corpus(o, fp, &c, err)) < 0)
        goto out_free;
    if ((rc = th_unionfind_init(&uf, c.n_docs)) < 0) {
        th_error_set(err, rc, "out of memory");
        goto out_free;
    }
    reason = calloc(c.n_docs + 1, 1);
    dup_of = calloc(c.n_docs + 1, sizeof(*dup_of));
    ss.files = calloc(o->n_inputs, sizeof(*ss.files));
    ss.sigs = calloc(o->n_inputs, sizeof(*ss.sigs));
    if (!reason || !dup_of || !ss.files || !ss.sigs) {
        rc = th_error_set(err, TH_ENOMEM, "out of memory");
        goto out_free;
    }
    /* 1. URL groups: the first member of each pair list is the keeper */
    struct th_dedup_file *in;
    const void *p;
    int got;
    if (o->url) {
        if ((rc = read_pairs(o, o->bands + 1, fp, &in, err)) < 0)
            goto out_free;
        while ((got = th_dedup_file_next(in, &p, err)) > 0) {
            uint64_t r[3];
            memcpy(r, p, 24);
            uint32_t keep = dense(&c, r[0]), drop = dense(&c, r[1]);
            if (reason[drop] != R_URL && !reason[keep]) {
                reason[drop] = R_URL;
                dup_of[drop] = keep;
            }
        }
        th_dedup_file_free(in);
        if ((rc = got) < 0)
            goto out_free;
    }
    /* 2. exact groups: union, remember the twin */
    if (o->exact) {
        if ((rc = read_pairs(o, o->bands, fp, &in, err)) < 0)
            goto out_free;
        while ((got = th_dedup_file_next(in, &p, err)) > 0) {
            uint64_t r[3];
            memcpy(r, p, 24);
            uint32_t a = dense(&c, r[0]), b = dense(&c, r[1]);
            if (reason[a] == R_URL || reason[b] == R_URL)
                continue;
            th_unionfind_union(&uf, a, b);
            if (!reason[b]) {
                reason[b] = R_EXACT;
                dup_of[b] = a;
            }
        }
        th_dedup_file_free(in);
        if ((rc = got) < 0)
            goto out_free;
    }
    /* 3. near pairs from every band, deduplicated, verified once each */
    if (o->near) {
        if ((rc = th_sorter_new(&near_pairs, 2, o->memory / 2, o->dir,
                                err)) < 0)
            goto out_free;
        for (unsigned b = 0; b < o->bands; b++) {
            if ((rc = read_pairs(o, b, fp, &in, err)) < 0)
                goto out_free;
            while ((got = th_dedup_file_next(in, &p, err)) > 0) {
                uint64_t r[3];
                memcpy(r, p, 24);
                if ((rc = th_sorter_add(near_pairs, r, err)) < 0)
                    break;
            }
            th_dedup_file_free(in);
            if (rc == 0 && got < 0)
                rc = got;
            if (rc < 0)
                goto out_free;
        }
        if ((rc = th_sorter_finish(near_pairs, err)) < 0)
            goto out_free;
        const uint64_t *r;
        uint64_t last[2] = {UINT64_MAX, UINT64_MAX};
        uint64_t cached_a = UINT64_MAX;
        size_t n_a = 0, n_b = 0;
        while ((got = th_sorter_next(near_pairs, &r, err)) > 0) {
            if (r[0] == last[0] && r[1] == last[1])
                continue;
            last[0] = r[0];
            last[1] = r[1];
            uint32_t a = dense(&c, r[0]), b = dense(&c, r[1]);
            if (reason[a] == R_URL || reason[b] == R_URL)
                continue;
            if (th_unionfind_find(&uf, a) == th_unionfind_find(&uf, b))
                continue;
            if (o->verify) {
                if (r[0] != cached_a) {
                    if ((rc = load_set(o, &ss, fp, r[0], &ss.a, &ss.cap_a,
                                       &n_a, err)) < 0)
                        goto out_free;
                    cached_a = r[0];
                }
                if ((rc = load_set(o, &ss, fp, r[1], &ss.b, &ss.cap_b, &n_b,
                                   err)) < 0)
                    goto out_free;
                verified++;
                if (th_jaccard_sorted(ss.a, n_a, ss.b, n_b) < o->threshold) {
                    rejected++;
                    continue;
                }
            }
            th_unionfind_union(&uf, a, b);
        }
        if ((rc = got) < 0)
            goto out_free;
    }
    /* 4. keepers: the root (first in input order) or, with --priority,
     * the member with the highest priority (ties: the first) */
    if (o->by_priority) {
        prio = malloc((c.n_docs + 1) * sizeof(*prio));
        keeper = malloc((c.n_docs + 1) * sizeof(*keeper));
        if (!prio || !keeper) {
            rc = th_error_set(err, TH_ENOMEM, "out of memory");
            goto out_free;
        }
        for (size_t f = 0; f < o->n_inputs; f++) {
            if ((rc = open_sig(o, f, fp, &in, err)) < 0)
                goto out_free;
            uint64_t d = c.first[f];
            while ((got = th_dedup_file_next(in, &p, err)) > 0) {
                memcpy(&prio[d++], (const uint64_t *)p + S_PRIO, 8);
            }
            th_dedup_file_free(in);
            if ((rc = got) < 0)
                goto out_free;
        }
        for (uint64_t d = 0; d < c.n_docs; d++) {
            uint32_t r = th_unionfind_find(&uf, (uint32_t)d);
            if (r == d || prio[d] > prio[keeper[r]])
                keeper[r] = (uint32_t)d;
        }
    }
    /* 5. write clusters: every document in a cluster of 2+ or URL-dropped */
    char path[4096];
    snprintf(path, sizeof(path), "%s/clusters.thd", o->dir);
    struct th_dedup_file_info info = {.kind = TH_DEDUP_FILE_CLUSTERS,
                                      .record_size = 32,
                                      .fingerprint = fp};
    if ((rc = th_dedup_file_create(&out, path, &info, err)) < 0)
        goto out_free;
    uint64_t n_removed = 0, n_clusters = 0;
    size_t f = 0;
    for (uint64_t d = 0; d < c.n_docs; d++) {
        while (d >= c.first[f + 1])
            f++;
        uint64_t gid = GID(f, d - c.first[f]);
        uint64_t rec[4] = {gid, 0, 0, 0};
        uint32_t root = th_unionfind_find(&uf, (uint32_t)d);
        if (reason[d] == R_URL) {
            rec[1] = gid_of(&c, o->n_inputs, dup_of[d]);
            rec[2] = 1;
            rec[3] = R_URL;
        } else if (uf.size[root] > 1) {
            uint32_t keep = keeper ? keeper[root] : root;
            rec[1] = gid_of(&c, o->n_inputs, keep);
            rec[2] = uf.size[root];
            if (keep == d) {
                rec[3] = R_KEEP;
                n_clusters++;
            } else {
                rec[3] = reason[d] == R_EXACT && dup_of[d] == keep ? R_EXACT
                                                                   : R_NEAR;
            }
        } else {
            continue;
        }
        n_removed += rec[3] != R_KEEP;
        if ((rc = th_dedup_file_write(out, rec, 1, err)) < 0)
            goto out_free;
    }
    th_dedup_file_set_tag(out, c.n_docs);
    rc = th_dedup_file_close(out, err);
    out = NULL;
    if (rc < 0)
        goto out_free;
    if (cli_verbosity >= 1)
        fprintf(stderr, "thresh: dedup: %llu documents, %llu clusters, "
                "%llu to remove; %llu candidate pairs verified, %llu "
                "rejected; %zu sorted runs spilled\n",
                (unsigned long long)c.n_docs,
                (unsigned long long)n_clusters,
                (unsigned long long)n_removed, (unsigned long long)verified,
                (unsigned long long)rejected,
                near_pairs ? th_sorter_runs(near_pairs) : 0);
    if (o->lines_min > 0)
        rc = repeated_lines(o, err);
out_free:
    th_dedup_file_abort(out);
    th_sorter_free(near_pairs);
    for (size_t i = 0; ss.files && i < o->n_inputs; i++) {
        th_dedup_file_free(ss.files[i]);
        th_dedup_file_free(ss.sigs[i]);
    }
    free(ss.files);
    free(ss.sigs);
    free(ss.a);
    free(ss.b);
    free(reason);
    free(dup_of);
    free(prio);
    free(keeper);
    th_unionfind_release(&uf);
    free(c.first);
    return rc;
}

/* ---- phase 4: filter ------------------------------------------------ */

struct line_set {
    uint64_t *hashes;            /* sorted repeated-line hashes */
    size_t n;                    /* count */
};

static bool line_set_has(const struct line_set *ls, uint64_t h)
{
    size_t lo = 0, hi = ls->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ls->hashes[mid] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ls->n && ls->hashes[lo] == h;
}

static int load_lines(const struct opts *o, struct line_set *ls,
                      struct th_error *err)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/repeated-lines.thd", o->dir);
    struct th_dedup_file *in;
    int rc = th_dedup_file_open(&in, path, TH_DEDUP_FILE_LINES, err);
    if (rc < 0)
        return rc;
    uint64_t n = th_dedup_file_info(in)->n_records;
    ls->hashes = malloc((n ? n : 1) * sizeof(uint64_t));
    if (!ls->hashes) {
        th_dedup_file_free(in);
        return th_error_set(err, TH_ENOMEM, "out of memory");
    }
    const void *p;
    while ((rc = th_dedup_file_next(in, &p, err)) > 0)
        memcpy(&ls->hashes[ls->n++], p, 8);
    th_dedup_file_free(in);
    return rc;
}

/* Remove the repeated lines of doc's text (new text in arena). */
static int strip_lines(const struct line_set *ls, struct th_doc *doc,
                       struct th_arena *arena, struct th_buf *scratch,
                       uint64_t *removed)
{
    const char *t = doc->text.ptr;
    size_t len = doc->text.len;
    char *o = th_arena_alloc(arena, len + 1);
    if (!o)
        return TH_ENOMEM;
    size_t w = 0, i = 0;
    bool changed = false;
    while (i < len) {
        const char *nl = memchr(t + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - t) : len;
        uint64_t h;
        int rc = th_dedup_line_hash(t + i, e - i, scratch, &h);
        if (rc < 0)
            return rc;
        if (h && line_set_has(ls, h)) {
            changed = true;
            (*removed)++;
        } else {
            memcpy(o + w, t + i, e - i);
            w += e - i;
            if (nl)
                o[w++] = '\n';
        }
        i = e + 1;
    }
    if (changed) {
        while (w && o[w - 1] == '\n')
            w--;
        o[w] = 0;
        doc->text.ptr = o;
        doc->text.len = w;
    }
    return 0;
}

static const char *const reason_names[] = {"", "exact_duplicate",
                                           "near_duplicate", "url_duplicate"};

static int phase_filter_file(const struct opts *o, size_t f,
                             const uint64_t *cl, size_t n_cl,
                             const struct line_set *ls, struct th_error *err)
{
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "f%05zu-", f);
    struct th_writer_options wo = {.compression = TH_COMPRESSION_NONE,
                                   .prefix = prefix,
                                   .shard_bytes = UINT64_MAX / 4};
    struct th_writer *w = NULL, *rj = NULL;
    struct th_reader_options ro = {.on_warning = on_warning};
    struct th_reader *r = NULL;
    struct th_arena *arena = NULL;
    struct th_buf line, scratch;
    th_buf_init(&line, 0);
    th_buf_init(&scratch, 0);
    int rc = th_arena_new(&arena, 0, 0);
    if (rc == 0)
        rc = th_reader_open(&r, o->inputs[f], &ro, err);
    if (rc == 0)
        rc = th_writer_open(&w, o->out, &wo, err);
    if (rc == 0 && o->rejects)
        rc = th_writer_open(&rj, o->rejects, &wo, err);
    struct th_doc doc;
    int got = 0;
    uint64_t d = 0, kept = 0, dropped = 0, lines_removed = 0;
    size_t k = 0;
    while (rc == 0 && (got = th_reader_next(r, &doc, arena, err)) > 0) {
        uint64_t gid = GID(f, d);
        d++;
        while (k < n_cl && cl[4 * k] < gid)
            k++;
        th_buf_reset(&line);
        if (doc.damage) {
            th_arena_reset(arena);
            continue;
        }
        if (k < n_cl && cl[4 * k] == gid) {
            const uint64_t *c = cl + 4 * k;
            /* the keeper as "input:position", the cluster's id */
            char key[48];
            int n = snprintf(key, sizeof(key), "%llu:%llu",
                             (unsigned long long)GID_FILE(c[1]),
                             (unsigned long long)GID_DOC(c[1]));
            if (c[3] != R_KEEP) {
                th_doc_drop(&doc, "dedup", reason_names[c[3]]);
                th_doc_set_meta_str(&doc, arena, "duplicate_of", key,
                                    (size_t)n);
            } else {
                th_doc_set_meta_str(&doc, arena, "dedup_cluster_id", key,
                                    (size_t)n);
                th_doc_set_meta_int(&doc, arena, "dedup_cluster_size",
                                    (int64_t)c[2]);
            }
        }
        if (doc.verdict == TH_KEEP && ls->n &&
            (rc = strip_lines(ls, &doc, arena, &scratch,
                              &lines_removed)) < 0) {
            th_error_set(err, rc, "out of memory");
            break;
        }
        if (doc.verdict == TH_KEEP) {
            kept++;
            if ((rc = th_doc_to_jsonl(&doc, &line)) == 0)
                rc = th_writer_write(w, line.ptr, line.len, err);
        } else {
            dropped++;
            if (rj && (rc = th_doc_to_jsonl(&doc, &line)) == 0)
                rc = th_writer_write(rj, line.ptr, line.len, err);
        }
        th_arena_reset(arena);
    }
    if (rc == 0 && got < 0)
        rc = got;
    if (rc == 0) {
        rc = th_writer_close(w, err);
        w = NULL;
    }
    if (rc == 0 && rj) {
        rc = th_writer_close(rj, err);
        rj = NULL;
    }
    cli_info("filter '%s': %llu kept, %llu removed, %llu repeated lines "
             "removed", o->inputs[f], (unsigned long long)kept,
             (unsigned long long)dropped, (unsigned long long)lines_removed);
    th_writer_abort(w);
    th_writer_abort(rj);
    th_reader_free(r);
    th_arena_free(arena);
    th_buf_release(&line);
    th_buf_release(&scratch);
    return rc;
}

static int phase_filter(struct opts *o, struct th_error *err)
{
    int rc = read_manifest(o, err);
    if (rc < 0)
        return rc;
    if (!o->out)
        return th_error_set(err, TH_EINVAL, "filter needs --out DIR");
    struct line_set ls = {0};
    if (o->lines_min > 0 && (rc = load_lines(o, &ls, err)) < 0)
        return rc;
    char path[4096];
    snprintf(path, sizeof(path), "%s/clusters.thd", o->dir);
    struct th_dedup_file *in = NULL;
    if ((rc = th_dedup_file_open(&in, path, TH_DEDUP_FILE_CLUSTERS, err)) < 0)
        goto out_free;
    /* this task's records only: memory ~ its share of clustered docs */
    uint64_t *cl = NULL;
    size_t n = 0, cap = 0;
    const void *p;
    while ((rc = th_dedup_file_next(in, &p, err)) > 0) {
        uint64_t r[4];
        memcpy(r, p, 32);
        if (GID_FILE(r[0]) % o->n_shards != o->shard)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            uint64_t *q = realloc(cl, cap * 32);
            if (!q) {
                rc = th_error_set(err, TH_ENOMEM, "out of memory");
                break;
            }
            cl = q;
        }
        memcpy(cl + 4 * n++, r, 32);
    }
    th_dedup_file_free(in);
    for (size_t f = o->shard; rc == 0 && f < o->n_inputs; f += o->n_shards) {
        size_t first = 0;
        while (first < n && GID_FILE(cl[4 * first]) < f)
            first++;
        size_t last = first;
        while (last < n && GID_FILE(cl[4 * last]) == f)
            last++;
        rc = phase_filter_file(o, f, cl ? cl + 4 * first : NULL,
                               last - first, &ls, err);
    }
    free(cl);
out_free:
    free(ls.hashes);
    return rc;
}

/* ---- command line --------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
"usage: thresh dedup signatures --dir DIR [options] INPUT...\n"
"       thresh dedup buckets    --dir DIR [--shard I/N] [--memory SIZE]\n"
"       thresh dedup clusters   --dir DIR [--memory SIZE]\n"
"       thresh dedup filter     --dir DIR --out OUT [--rejects DIR]\n"
"                               [--shard I/N] INPUT...\n"
"       thresh dedup all        --dir DIR --out OUT [options] INPUT...\n"
"\n"
"multi-phase exact, URL and MinHash-LSH near-duplicate removal and\n"
"repeated-line removal; every phase can run as N independent tasks\n"
"\n"
"options (signatures / all; later phases read them from DIR/manifest):\n"
"  --near-threshold T   Jaccard similarity of near duplicates (0.8)\n"
"  --bands B --rows R   LSH geometry (default: chosen for T; 14 x 8)\n"
"  --ngram N            words per shingle (5)\n"
"  --seed S             hash seed (1)\n"
"  --no-verify          keep every LSH candidate pair (no true Jaccard)\n"
"  --no-exact --no-url --no-near   turn a kind of dedup off\n"
"  --url-rule R         first | newest | longest: which of a URL is kept\n"
"  --priority FIELD     metadata field (a number): the highest value is\n"
"                       kept in URL groups and in clusters\n"
"  --lines N            remove lines found in more than N documents\n"
"  --memory SIZE        memory budget (e.g. 1G); data beyond it spills\n"
"  --shard I/N          this task's share (files or bands I, I+N, ...)\n");
}

int cmd_dedup(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    const char *phase = argv[1];
    static const struct option longopts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"out", required_argument, NULL, 'o'},
        {"rejects", required_argument, NULL, 'r'},
        {"shard", required_argument, NULL, 's'},
        {"memory", required_argument, NULL, 'm'},
        {"near-threshold", required_argument, NULL, 't'},
        {"bands", required_argument, NULL, 'b'},
        {"rows", required_argument, NULL, 'R'},
        {"ngram", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 'S'},
        {"no-verify", no_argument, NULL, 'V'},
        {"no-exact", no_argument, NULL, 'E'},
        {"no-url", no_argument, NULL, 'U'},
        {"no-near", no_argument, NULL, 'N'},
        {"url-rule", required_argument, NULL, 'u'},
        {"priority", required_argument, NULL, 'p'},
        {"lines", required_argument, NULL, 'l'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct opts o = {
        .n_shards = 1, .memory = (size_t)1 << 30, .threshold = 0.8,
        .ngram = 5, .seed = 1, .verify = true, .exact = true, .url = true,
        .near = true,
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "d:o:r:s:m:qvh", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'd': o.dir = optarg; break;
        case 'o': o.out = optarg; break;
        case 'r': o.rejects = optarg; break;
        case 's':
            if (sscanf(optarg, "%u/%u", &o.shard, &o.n_shards) != 2 ||
                !o.n_shards || o.shard >= o.n_shards) {
                cli_error("bad --shard '%s' (want I/N, 0 <= I < N)", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'm':
            if (parse_size(optarg, &o.memory) < 0 || o.memory < (1u << 20)) {
                cli_error("bad --memory '%s' (at least 1M)", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 't':
            o.threshold = strtod(optarg, NULL);
            if (!(o.threshold > 0 && o.threshold <= 1)) {
                cli_error("bad --near-threshold '%s'", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'b': o.bands = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'R': o.rows = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'n': o.ngram = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'S': o.seed = strtoull(optarg, NULL, 10); break;
        case 'V': o.verify = false; break;
        case 'E': o.exact = false; break;
        case 'U': o.url = false; break;
        case 'N': o.near = false; break;
        case 'u':
            if (!strcmp(optarg, "first")) o.url_rule = URL_FIRST;
            else if (!strcmp(optarg, "newest")) o.url_rule = URL_NEWEST;
            else if (!strcmp(optarg, "longest")) o.url_rule = URL_LONGEST;
            else {
                cli_error("bad --url-rule '%s'", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'p': o.priority = optarg; break;
        case 'l': o.lines_min = strtoll(optarg, NULL, 10); break;
        case 'q': cli_verbosity = 0; break;
        case 'v': cli_verbosity = 2; break;
        case 'h': usage(stdout); return CLI_EXIT_OK;
        default: return CLI_EXIT_USAGE;
        }
    }
    if (!o.dir) {
        cli_error("dedup needs --dir DIR for its intermediate files");
        return CLI_EXIT_USAGE;
    }
    if ((o.bands == 0) != (o.rows == 0) || o.bands * o.rows > 4096 ||
        o.bands > 64 || !o.ngram || o.ngram > 64) {
        cli_error("bad --bands/--rows/--ngram");
        return CLI_EXIT_USAGE;
    }
    o.inputs = argv + 1 + optind;
    o.n_inputs = (size_t)(argc - 1 - optind);
    bool all = !strcmp(phase, "all");
    bool needs_inputs = all || !strcmp(phase, "signatures") ||
                        !strcmp(phase, "filter");
    if (needs_inputs && !o.n_inputs) {
        cli_error("no input");
        return CLI_EXIT_USAGE;
    }
    struct th_error err = {0};
    int rc;
    if (all) {
        if (!o.out) {
            cli_error("all needs --out DIR");
            return CLI_EXIT_USAGE;
        }
        size_t n_in = o.n_inputs;
        rc = phase_signatures(&o, &err);
        if (rc == 0)
            rc = phase_buckets(&o, &err);
        if (rc == 0)
            rc = phase_clusters(&o, &err);
        if (rc == 0 && o.n_inputs != n_in)
            rc = th_error_set(&err, TH_EINVAL, "inputs changed");
        if (rc == 0)
            rc = phase_filter(&o, &err);
    } else if (!strcmp(phase, "signatures")) {
        rc = phase_signatures(&o, &err);
    } else if (!strcmp(phase, "buckets")) {
        rc = phase_buckets(&o, &err);
    } else if (!strcmp(phase, "clusters")) {
        rc = phase_clusters(&o, &err);
    } else if (!strcmp(phase, "filter")) {
        size_t n_in = o.n_inputs;
        char **in = o.inputs;
        rc = read_manifest(&o, &err);
        if (rc == 0 && o.n_inputs != n_in)
            rc = th_error_set(&err, TH_EINVAL, "filter got %zu inputs, the "
                              "signatures phase %zu", n_in, o.n_inputs);
        o.inputs = in;
        if (rc == 0)
            rc = phase_filter(&o, &err);
    } else {
        cli_error("unknown dedup phase '%s'", phase);
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (rc < 0) {
        cli_error("dedup %s: %s", phase, err.msg[0] ? err.msg
                                                     : th_status_str(rc));
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}
