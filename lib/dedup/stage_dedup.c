/*
 * The "dedup" stage: streaming exact, URL and near-duplicate removal inside
 * `thresh run`, deterministic for any number of worker threads.
 *
 * Split: process() runs on the workers and computes everything that needs
 * only the document - the exact-text hash, the normalized-URL hash, the
 * simplified text's shingles, the MinHash signature and its band hashes -
 * into doc->priv (arena memory). process_serial() runs on one thread in
 * input order and decides against an index of the documents kept so far:
 *   1. exact: same text hash as a kept document -> "exact_duplicate";
 *   2. url: same normalized URL as a kept document -> "url_duplicate"
 *      (the streaming rule is "first seen"; the newest-date and
 *      longest-text rules need the whole run and live in the multi-phase
 *      `thresh dedup` path);
 *   3. near: shares an LSH band with a kept document whose similarity is
 *      at least the threshold -> "near_duplicate".
 * A dropped document gets "duplicate_of" (the kept document's id) and, for
 * near duplicates, "near_similarity" (to the earlier document it matched)
 * in its metadata. Near duplicates stay in the index, standing for their
 * kept document, so chains of edits are followed. Decisions are made in
 * input order against earlier documents only, so the result is the same
 * for any -j and any batch size.
 *
 * Verification (dedup.verify): "jaccard" (default) compares the true
 * Jaccard similarity of the two shingle sets; "signature" compares the
 * MinHash estimate; "none" accepts every LSH candidate. Shingle sets and
 * signatures of kept documents go to an unlinked temporary file (written
 * sequentially, read back with pread only for candidates), so the memory
 * per remembered document is the index alone: one 12-byte slot per band
 * and per key at load <= 1/2 plus a 24-byte record and the id
 * (docs/dedup.md).
 *
 * Differences from the multi-phase path: there a document is removed when
 * it is in the same connected component as an earlier one (union-find);
 * here when it is similar to an earlier document. With A ~ C, B ~ C and
 * A !~ B in input order A, B, C, the multi-phase path removes B (joined to
 * A through the later C) and this stage keeps it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thresh/dedup.h"
#include "thresh/stage.h"
#include "../core/banned.h"

enum verify_mode {
    VERIFY_NONE,             /* every LSH candidate is a duplicate */
    VERIFY_SIGNATURE,        /* MinHash estimate >= threshold */
    VERIFY_JACCARD,          /* true Jaccard of the shingle sets */
};

/* Per-document results of process(), in the batch arena. */
struct dedup_priv {
    uint64_t text_hash;      /* exact key, 0 when exact dedup is off */
    uint64_t url_hash;       /* URL key, 0 when none or off */
    uint64_t *bands;         /* n_bands band hashes, NULL when no shingles */
    uint32_t *sig;           /* n_hashes signature values, or NULL */
    uint64_t *shingles;      /* sorted unique shingle hashes (verify) */
    size_t n_shingles;       /* count of shingles */
};

/* Open-addressing multimap from nonzero 64-bit keys to 32-bit values. */
struct table {
    uint64_t *keys;          /* 0 marks an empty slot */
    uint32_t *vals;          /* value of each used slot */
    size_t cap;              /* slots, a power of two */
    size_t n;                /* used slots */
};

/*
 * A document the index remembers: every kept document and every near
 * duplicate (so that a chain A ~ B ~ C is followed to A even when C is not
 * similar to A itself).
 */
struct kept {
    uint64_t store_off;      /* offset of its shingles/signature in store */
    uint32_t n_shingles;     /* shingles stored at store_off */
    uint32_t id_off;         /* offset of its id in ids */
    uint32_t id_len;         /* id length */
    uint32_t keeper;         /* index of the kept document it stands for */
};

struct dedup_shared {
    bool exact;              /* dedup.exact */
    bool url;                /* dedup.url */
    bool near;               /* dedup.near */
    enum verify_mode verify; /* dedup.verify */
    double threshold;        /* dedup.near_threshold */
    size_t max_shingles;     /* shingles kept per doc for verification */
    struct th_minhash *minhash; /* immutable hash family */
    struct table exact_set;  /* text hash -> kept index */
    struct table url_set;    /* url hash -> kept index */
    struct table band_set;   /* band hash -> kept index (multimap) */
    struct kept *kept;       /* kept documents in input order */
    size_t n_kept;           /* number of kept documents */
    size_t cap_kept;         /* allocated */
    struct th_buf ids;       /* ids of kept documents, back to back */
    FILE *store;             /* unlinked temp file of shingles/signatures */
    uint64_t store_len;      /* bytes written to store */
    struct th_buf read_buf;  /* pread buffer for candidates */
    struct th_buf simplified; /* serial fallback scratch */
    struct th_buf shingle_buf; /* serial fallback scratch */
};

struct dedup_worker {
    const struct dedup_shared *shared; /* configuration and hash family */
    struct th_buf simplified;          /* simplified text, reused */
    struct th_buf shingles;            /* shingle hashes, reused */
};

/* ---- table ------------------------------------------------------------ */

static uint64_t mix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return k;
}

static int table_grow(struct table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    uint64_t *keys = calloc(cap, sizeof(*keys));
    uint32_t *vals = malloc(cap * sizeof(*vals));
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return TH_ENOMEM;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->keys[i])
            continue;
        size_t j = mix64(t->keys[i]) & (cap - 1);
        while (keys[j])
            j = (j + 1) & (cap - 1);
        keys[j] = t->keys[i];
        vals[j] = t->vals[i];
    }
    free(t->keys);
    free(t->vals);
    t->keys = keys;
    t->vals = vals;
    t->cap = cap;
    return 0;
}

static int table_add(struct table *t, uint64_t key, uint32_t val)
{
    if (2 * (t->n + 1) > t->cap) {
        int rc = table_grow(t);
        if (rc < 0)
            return rc;
    }
    size_t j = mix64(key) & (t->cap - 1);
    while (t->keys[j])
        j = (j + 1) & (t->cap - 1);
    t->keys[j] = key;
    t->vals[j] = val;
    t->n++;
    return 0;
}

/* First value of key at or after slot *pos; updates *pos; false if none. */
static bool table_next(const struct table *t, uint64_t key, size_t *pos,
                       uint32_t *val_out)
{
    if (!t->cap)
        return false;
    size_t j = *pos == SIZE_MAX ? mix64(key) & (t->cap - 1) : *pos;
    while (t->keys[j]) {
        size_t here = j;
        j = (j + 1) & (t->cap - 1);
        if (t->keys[here] == key) {
            *pos = j;
            *val_out = t->vals[here];
            return true;
        }
    }
    return false;
}

static void table_release(struct table *t)
{
    free(t->keys);
    free(t->vals);
}

/* ---- configuration ---------------------------------------------------- */

static void dedup_shared_free(void *obj)
{
    struct dedup_shared *sh = obj;
    if (!sh)
        return;
    th_minhash_free(sh->minhash);
    table_release(&sh->exact_set);
    table_release(&sh->url_set);
    table_release(&sh->band_set);
    free(sh->kept);
    th_buf_release(&sh->ids);
    th_buf_release(&sh->read_buf);
    th_buf_release(&sh->simplified);
    th_buf_release(&sh->shingle_buf);
    if (sh->store)
        fclose(sh->store);
    free(sh);
}

static int dedup_shared_new(void **out, const struct th_config *cfg,
                            struct th_error *err)
{
    struct dedup_shared *sh = calloc(1, sizeof(*sh));
    if (!sh)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    th_buf_init(&sh->ids, 0);
    th_buf_init(&sh->read_buf, 0);
    th_buf_init(&sh->simplified, 0);
    th_buf_init(&sh->shingle_buf, 0);
    int64_t bands, rows, ngram, seed, max_sh;
    const char *verify;
    int rc;
    if ((rc = th_config_get_bool(cfg, "dedup.exact", true, &sh->exact,
                                 err)) < 0 ||
        (rc = th_config_get_bool(cfg, "dedup.url", true, &sh->url, err)) < 0 ||
        (rc = th_config_get_bool(cfg, "dedup.near", true, &sh->near,
                                 err)) < 0 ||
        (rc = th_config_get_double(cfg, "dedup.near_threshold", 0.8,
                                   &sh->threshold, err)) < 0 ||
        (rc = th_config_get_int(cfg, "dedup.bands", 0, &bands, err)) < 0 ||
        (rc = th_config_get_int(cfg, "dedup.rows", 0, &rows, err)) < 0 ||
        (rc = th_config_get_int(cfg, "dedup.ngram", 5, &ngram, err)) < 0 ||
        (rc = th_config_get_int(cfg, "dedup.seed", 1, &seed, err)) < 0 ||
        (rc = th_config_get_int(cfg, "dedup.max_shingles", 100000, &max_sh,
                                err)) < 0)
        goto out_free;
    th_config_get_str(cfg, "dedup.verify", "jaccard", &verify);
    if (!strcmp(verify, "jaccard")) {
        sh->verify = VERIFY_JACCARD;
    } else if (!strcmp(verify, "signature")) {
        sh->verify = VERIFY_SIGNATURE;
    } else if (!strcmp(verify, "none")) {
        sh->verify = VERIFY_NONE;
    } else {
        rc = th_error_set(err, TH_EINVAL,
                          "dedup.verify must be jaccard, signature or none, "
                          "not '%s'", verify);
        goto out_free;
    }
    if (sh->threshold <= 0 || sh->threshold > 1 || bands < 0 || rows < 0 ||
        ngram < 1 || ngram > 64 || max_sh < 1 || max_sh > UINT32_MAX) {
        rc = th_error_set(err, TH_EINVAL, "bad dedup option value");
        goto out_free;
    }
    sh->max_shingles = (size_t)max_sh;
    struct th_minhash_params p;
    th_minhash_params_default(&p);
    if (bands && rows) {
        p.n_bands = (unsigned)bands;
        p.n_rows = (unsigned)rows;
    } else if (bands || rows) {
        rc = th_error_set(err, TH_EINVAL,
                          "dedup.bands and dedup.rows go together");
        goto out_free;
    } else {
        th_minhash_choose_bands(sh->threshold, 112, &p.n_bands, &p.n_rows);
    }
    p.ngram = (unsigned)ngram;
    p.seed = (uint64_t)seed;
    if ((rc = th_minhash_new(&sh->minhash, &p, err)) < 0)
        goto out_free;
    if (sh->near && sh->verify != VERIFY_NONE) {
        sh->store = tmpfile();
        if (!sh->store) {
            rc = th_error_set(err, TH_EIO,
                              "cannot create a temporary file: %s",
                              strerror(errno));
            goto out_free;
        }
    }
    *out = sh;
    return 0;
out_free:
    dedup_shared_free(sh);
    return rc;
}

static int dedup_create(void **out, void *shared, const struct th_config *cfg,
                        struct th_error *err)
{
    struct dedup_worker *w = calloc(1, sizeof(*w));
    if (!w)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    w->shared = shared;
    th_buf_init(&w->simplified, 0);
    th_buf_init(&w->shingles, 0);
    *out = w;
    return 0;
}

static void dedup_destroy(void *state)
{
    struct dedup_worker *w = state;
    if (!w)
        return;
    th_buf_release(&w->simplified);
    th_buf_release(&w->shingles);
    free(w);
}

/* ---- per-document keys ------------------------------------------------ */

static int compute_priv(const struct dedup_shared *sh, struct th_doc *doc,
                        struct th_arena *arena, struct th_buf *simplified,
                        struct th_buf *shingles, struct th_error *err)
{
    struct dedup_priv *p = th_arena_calloc(arena, 1, sizeof(*p));
    if (!p)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    if (sh->url)
        p->url_hash = th_dedup_url_hash(doc->url.ptr, doc->url.len);
    doc->priv = p;
    if (!sh->near && !sh->exact)
        return 0;
    th_buf_reset(simplified);
    th_buf_reset(shingles);
    int rc = th_dedup_simplify(doc->text.ptr, doc->text.len, simplified);
    if (rc == 0 && sh->exact)
        p->text_hash = th_dedup_text_hash(simplified->ptr, simplified->len);
    if (rc == 0 && !sh->near)
        return 0;
    if (rc == 0)
        rc = th_minhash_shingles(sh->minhash, simplified->ptr,
                                 simplified->len, sh->verify == VERIFY_JACCARD,
                                 shingles);
    if (rc < 0)
        return th_error_set(err, rc, "dedup: document too large");
    size_t n = shingles->len / sizeof(uint64_t);
    if (!n)
        return 0;
    const struct th_minhash_params *mp = th_minhash_params(sh->minhash);
    size_t nh = th_minhash_n_hashes(sh->minhash);
    p->sig = th_arena_alloc(arena, nh * sizeof(*p->sig));
    p->bands = th_arena_alloc(arena, mp->n_bands * sizeof(*p->bands));
    if (!p->sig || !p->bands)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    const uint64_t *sv = (const uint64_t *)(const void *)shingles->ptr;
    th_minhash_sign(sh->minhash, sv, n, p->sig);
    th_minhash_bands(sh->minhash, p->sig, p->bands);
    if (sh->verify == VERIFY_JACCARD) {
        /* very long documents: verification uses the smallest hashes,
         * a bottom-k sample of the set */
        p->n_shingles = n < sh->max_shingles ? n : sh->max_shingles;
        p->shingles = th_arena_alloc(arena, p->n_shingles * sizeof(uint64_t));
        if (!p->shingles)
            return th_error_set(err, TH_ENOMEM, "out of memory");
        memcpy(p->shingles, sv, p->n_shingles * sizeof(uint64_t));
    }
    return 0;
}

static int dedup_process(void *state, struct th_doc *doc,
                         struct th_arena *arena, struct th_error *err)
{
    struct dedup_worker *w = state;
    return compute_priv(w->shared, doc, arena, &w->simplified, &w->shingles,
                        err);
}

/* ---- serial decision -------------------------------------------------- */

static int mark_duplicate(struct dedup_shared *sh, struct th_doc *doc,
                          struct th_arena *arena, uint32_t kept_index,
                          const char *reason)
{
    const struct kept *k = &sh->kept[sh->kept[kept_index].keeper];
    th_doc_drop(doc, "dedup", reason);
    return th_doc_set_meta_str(doc, arena, "duplicate_of",
                               sh->ids.ptr + k->id_off, k->id_len);
}

/* Similarity of doc to kept document k as the verify mode defines it. */
static int similarity(struct dedup_shared *sh, const struct dedup_priv *p,
                      const struct kept *k, double *out,
                      struct th_error *err)
{
    size_t nh = th_minhash_n_hashes(sh->minhash);
    size_t bytes = sh->verify == VERIFY_JACCARD
                       ? k->n_shingles * sizeof(uint64_t)
                       : nh * sizeof(uint32_t);
    th_buf_reset(&sh->read_buf);
    int rc = th_buf_reserve(&sh->read_buf, bytes);
    if (rc < 0)
        return th_error_set(err, rc, "out of memory");
    if (pread(fileno(sh->store), sh->read_buf.ptr, bytes,
              (off_t)k->store_off) != (ssize_t)bytes)
        return th_error_set(err, TH_EIO, "cannot read dedup store: %s",
                            strerror(errno));
    if (sh->verify == VERIFY_JACCARD)
        *out = th_jaccard_sorted(p->shingles, p->n_shingles,
                                 (const uint64_t *)(void *)sh->read_buf.ptr,
                                 k->n_shingles);
    else
        *out = th_minhash_estimate(p->sig,
                                   (const uint32_t *)(void *)sh->read_buf.ptr,
                                   nh);
    return 0;
}

static int remember(struct dedup_shared *sh, const struct th_doc *doc,
                    const struct dedup_priv *p, uint32_t keeper,
                    struct th_error *err)
{
    if (sh->n_kept >= UINT32_MAX - 1)
        return th_error_set(err, TH_ELIMIT, "dedup: too many documents");
    if (sh->n_kept == sh->cap_kept) {
        size_t cap = sh->cap_kept ? sh->cap_kept * 2 : 1024;
        struct kept *k = realloc(sh->kept, cap * sizeof(*k));
        if (!k)
            return th_error_set(err, TH_ENOMEM, "out of memory");
        sh->kept = k;
        sh->cap_kept = cap;
    }
    struct kept *k = &sh->kept[sh->n_kept];
    memset(k, 0, sizeof(*k));
    size_t id_len = doc->id.len > 4096 ? 4096 : doc->id.len;
    if (sh->ids.len > UINT32_MAX - id_len)
        return th_error_set(err, TH_ELIMIT, "dedup: ids too large");
    k->id_off = (uint32_t)sh->ids.len;
    k->id_len = (uint32_t)id_len;
    int rc = th_buf_append(&sh->ids, doc->id.ptr, id_len);
    if (rc < 0)
        return th_error_set(err, rc, "out of memory");
    uint32_t idx = (uint32_t)sh->n_kept;
    k->keeper = keeper == UINT32_MAX ? idx : keeper;
    if (p->text_hash && (rc = table_add(&sh->exact_set, p->text_hash, idx)) < 0)
        return th_error_set(err, rc, "out of memory");
    if (keeper == UINT32_MAX && p->url_hash &&
        (rc = table_add(&sh->url_set, p->url_hash, idx)) < 0)
        return th_error_set(err, rc, "out of memory");
    if (p->bands) {
        const struct th_minhash_params *mp = th_minhash_params(sh->minhash);
        for (unsigned b = 0; b < mp->n_bands; b++)
            if ((rc = table_add(&sh->band_set, p->bands[b], idx)) < 0)
                return th_error_set(err, rc, "out of memory");
        if (sh->store) {
            const void *data = sh->verify == VERIFY_JACCARD
                                   ? (const void *)p->shingles
                                   : (const void *)p->sig;
            size_t bytes = sh->verify == VERIFY_JACCARD
                               ? p->n_shingles * sizeof(uint64_t)
                               : th_minhash_n_hashes(sh->minhash) *
                                     sizeof(uint32_t);
            if (pwrite(fileno(sh->store), data, bytes,
                       (off_t)sh->store_len) != (ssize_t)bytes)
                return th_error_set(err, TH_EIO,
                                    "cannot write dedup store: %s",
                                    strerror(errno));
            k->store_off = sh->store_len;
            k->n_shingles = (uint32_t)p->n_shingles;
            sh->store_len += bytes;
        }
    }
    sh->n_kept++;
    return 0;
}

static int dedup_process_serial(void *shared, struct th_doc *doc,
                                struct th_arena *arena, struct th_error *err)
{
    struct dedup_shared *sh = shared;
    int rc;
    if (!doc->priv &&
        (rc = compute_priv(sh, doc, arena, &sh->simplified, &sh->shingle_buf,
                           err)) < 0)
        return rc;
    const struct dedup_priv *p = doc->priv;
    uint32_t idx;
    size_t pos = SIZE_MAX;
    if (p->text_hash && table_next(&sh->exact_set, p->text_hash, &pos, &idx))
        return mark_duplicate(sh, doc, arena, idx, "exact_duplicate");
    pos = SIZE_MAX;
    if (p->url_hash && table_next(&sh->url_set, p->url_hash, &pos, &idx))
        return mark_duplicate(sh, doc, arena, idx, "url_duplicate");
    if (p->bands) {
        const struct th_minhash_params *mp = th_minhash_params(sh->minhash);
        /* the earliest kept document that passes verification wins */
        uint32_t best = UINT32_MAX;
        double best_sim = 0;
        for (unsigned b = 0; b < mp->n_bands; b++) {
            pos = SIZE_MAX;
            while (table_next(&sh->band_set, p->bands[b], &pos, &idx)) {
                if (idx >= best)
                    continue;
                double sim = 1.0;
                if (sh->verify != VERIFY_NONE &&
                    (rc = similarity(sh, p, &sh->kept[idx], &sim, err)) < 0)
                    return rc;
                if (sim >= sh->threshold) {
                    best = idx;
                    best_sim = sim;
                }
            }
        }
        if (best != UINT32_MAX) {
            if ((rc = mark_duplicate(sh, doc, arena, best,
                                     "near_duplicate")) < 0 ||
                (rc = th_doc_set_meta_double(doc, arena, "near_similarity",
                                             best_sim)) < 0)
                return rc;
            return remember(sh, doc, p, sh->kept[best].keeper, err);
        }
    }
    return remember(sh, doc, p, UINT32_MAX, err);
}

const struct th_stage_type th_stage_dedup = {
    .name = "dedup",
    .summary = "remove exact, same-URL and near-duplicate documents "
               "(MinHash-LSH), first in input order kept",
    .flags = TH_STAGE_TEXT_ONLY,
    .shared_new = dedup_shared_new,
    .shared_free = dedup_shared_free,
    .create = dedup_create,
    .process = dedup_process,
    .process_serial = dedup_process_serial,
    .destroy = dedup_destroy,
};
