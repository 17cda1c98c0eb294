/*
 * fastText inference engine, bit-exact with fastText 0.9.2.
 *
 * What: parse a supervised fastText model (.bin dense or .ftz product-
 * quantized, pruned dictionaries included) from a read-only memory mapping
 * and predict labels for a line of text.
 *
 * Approach: the file is mapped once; the dictionary words stay in the
 * mapping and an open-addressing table (hash, id) indexes them, so even a
 * multi-gigabyte model loads in one pass over its dictionary and is then
 * shared read-only. Dense matrices are read in place (rows may be unaligned,
 * so every float is read with memcpy). Quantized rows are decoded while
 * summing, as fastText's addcode does: 8 code bytes per row for dim 16
 * instead of a 64-byte float row (decoding the whole matrix at load was
 * tried: 20% slower, the decoded rows do not stay in the L2 cache).
 * Char n-gram hashes are computed incrementally while a n-gram grows (FNV-1a
 * is a left fold), instead of rehashing every substring as fastText does.
 * A pruned model's n-gram index is a bitmap with rank counts (one 16-byte
 * load per n-gram, no probing, no branch); each thread caches the rows of
 * recent tokens; rows are summed in batches as the line is read.
 *
 * Exactness: every operation follows fastText's order and precision: float
 * sums in list order, the hidden vector scaled by float(1.0 / n), softmax
 * exp in double, the HS sigmoid with expf and a double division, the
 * 513-entry sigmoid table for ova/ns, log(p + 1e-5) in double rounded to
 * float, and the libstdc++ heap algorithms (push_heap / pop_heap /
 * sort_heap with fastText's comparator) so that ties come out in the same
 * order. The module is compiled with -ffp-contract=off so no multiply-add is
 * fused.
 *
 * Rejected: reading the model into heap buffers (doubles memory for 2 GB
 * models and costs seconds per worker); std::unordered_map-style chained
 * tables for the prune index (pointer chasing per n-gram); recursion for the
 * HS tree walk (a corrupt model could make it a million levels deep, so an
 * explicit stack is used, visiting nodes in the same order).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "thresh/fasttext.h"
#include "../core/banned.h"

#define FT_MAGIC 793712314
#define FT_VERSION 12
#define FT_MAX_DIM 65536
#define FT_MAX_LINE_IDS ((size_t)1 << 28)
#define FT_KSUB 256
#define FT_PRUNE_BITS_MAX (1 << 26)
#define FT_FLUSH_IDS 4096
#define FT_SIGMOID_TABLE 512
#define FT_MAX_SIGMOID 8

/* One dictionary entry, pointing into the mapping. */
struct ft_entry {
    const char *word;        /* NUL-terminated bytes inside the model */
    uint32_t len;            /* strlen(word) */
    uint32_t hash;           /* fastText FNV-1a hash of word */
    int64_t count;           /* training count (labels: HS tree weights) */
    int8_t type;             /* 0 word, 1 label */
};

/* A product quantizer (fastText ProductQuantizer). */
struct ft_pq {
    int32_t dim;             /* vector dimension */
    int32_t nsubq;           /* number of sub-quantizers */
    int32_t dsub;            /* dimension of each but the last */
    int32_t lastdsub;        /* dimension of the last */
    float *centroids;        /* dim * 256 floats, heap copy (aligned) */
};

/* A dense or quantized matrix. */
struct ft_matrix {
    int64_t m;               /* rows */
    int64_t n;               /* columns (== dim) */
    bool quant;              /* product-quantized */
    const uint8_t *data;     /* dense: m * n float32 in the mapping */
    bool qnorm;              /* quantized: rows carry a norm code */
    const uint8_t *codes;    /* quantized: m * nsubq codes */
    const uint8_t *norm_codes; /* quantized with qnorm: m codes */
    struct ft_pq pq;         /* quantized: the row quantizer */
    struct ft_pq npq;        /* quantized with qnorm: the norm quantizer */
};

/* 64 buckets of the succinct prune index. */
struct ft_rank {
    uint64_t bits;           /* bit i: bucket 64 * index + i is kept */
    uint32_t base;           /* kept buckets before this word */
    uint32_t pad;            /* keeps entries 16 bytes (one load) */
};

/* Portable popcount (no -mpopcnt on the x86-64 baseline). */
static inline uint32_t popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555u);
    x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fu;
    return (uint32_t)((x * 0x0101010101010101u) >> 56);
}

/* Open-addressing slot of the word table. */
struct ft_slot {
    uint32_t hash;           /* word hash, meaningful when id >= 0 */
    int32_t id;              /* entry index, -1 for an empty slot */
};

struct th_fasttext {
    const uint8_t *base;     /* model bytes (mapping or borrowed) */
    size_t size;             /* bytes at base */
    bool mapped;             /* base is our mmap, unmap on free */
    struct th_fasttext_info info; /* header fields */
    int32_t n_entries;       /* words + labels */
    struct ft_entry *entries; /* n_entries entries, words first */
    struct ft_slot *table;   /* word table, table_mask + 1 slots */
    uint32_t table_mask;     /* table size - 1 (a power of two) */
    int32_t *prune_keys;     /* prune index buckets, -1 = empty slot */
    int32_t *prune_values;   /* prune index rows, same slots */
    struct ft_rank *prune_rank; /* succinct prune index: bucket b is kept
                                when its bit is set and maps to
                                prune_rows[rank(b)]; NULL when bucket is
                                too large (the hash table is used) */
    int32_t *prune_rows;     /* input row per kept bucket, in bucket order */
    uint32_t prune_count;    /* rows in prune_rows */
    uint32_t prune_mask;     /* prune table size - 1, 0 when no table */
    uint32_t prune_shift;    /* 32 - log2(prune table size) */
    uint64_t bucket_magic;   /* fastmod constant for % bucket */
    int32_t eos_id;          /* id of "</s>", -1 when absent */
    struct ft_matrix input;  /* input (embedding) matrix */
    struct ft_matrix output; /* output matrix */
    int32_t *tree_left;      /* HS: left child per node, -1 for leaves */
    int32_t *tree_right;     /* HS: right child per node */
    float sigmoid[FT_SIGMOID_TABLE + 1]; /* fastText's sigmoid table */
};

/*
 * A token's features, remembered per thread: the vocabulary lookup, char
 * n-gram hashing and prune mapping of a token are pure functions of its
 * bytes, and natural text repeats its words, so each thread keeps the
 * resolved rows of recent tokens (direct-mapped by hash).
 */
struct ft_cache_entry {
    uint32_t hash;           /* fastText hash of the token */
    uint32_t len;            /* token bytes, 0 for an empty entry */
    uint32_t bytes_off;      /* token bytes at cache_bytes + bytes_off */
    uint32_t ids_off;        /* rows at cache_ids + ids_off */
    uint32_t n_ids;          /* number of rows */
    int32_t type;            /* 0 word, 1 label (contributes nothing) */
};

#define FT_CACHE_SIZE 8192
#define FT_CACHE_MAX_TOKEN 64
#define FT_CACHE_BYTES ((size_t)FT_CACHE_SIZE * 16)
#define FT_CACHE_IDS ((size_t)FT_CACHE_SIZE * 48)

/* A (score, index) pair of the top-k heap. */
struct ft_pair {
    float score;             /* log(p + 1e-5) */
    int32_t index;           /* label (or HS leaf node) */
    float raw;               /* p itself (softmax/ova/ns only) */
};

/* HS walk stack item. */
struct ft_visit {
    int32_t node;            /* tree node */
    float score;             /* accumulated log-probability */
};

struct th_fasttext_state {
    int32_t *ids;            /* feature rows of the current line */
    size_t n_ids;            /* rows in use (not yet summed) */
    size_t n_total;          /* rows of the line summed so far */
    size_t cap_ids;          /* rows allocated */
    int32_t *hashes;         /* word hashes of the line (for word n-grams) */
    size_t n_hashes;         /* hashes in use */
    size_t cap_hashes;       /* hashes allocated */
    char *word;              /* "<" + token + ">" scratch */
    size_t cap_word;         /* bytes allocated for word */
    float *hidden;           /* dim floats */
    float *row;              /* dim floats, one decoded row */
    float *scores;           /* n_labels floats (output layer) */
    struct ft_pair *heap;    /* n_labels + 1 pairs */
    struct ft_visit *stack;  /* HS walk stack, 2 * n_labels + 2 items */
    struct ft_cache_entry *cache; /* FT_CACHE_SIZE token cache entries */
    char *cache_bytes;       /* token bytes of cached entries */
    size_t n_cache_bytes;    /* bytes in use */
    int32_t *cache_ids;      /* feature rows of cached entries */
    size_t n_cache_ids;      /* rows in use */
};

/* ---- reading the file ------------------------------------------------ */

/* Bounds-checked cursor over the model bytes. */
struct ft_reader {
    const uint8_t *p;        /* model bytes */
    size_t len;              /* total bytes */
    size_t pos;              /* next byte to read */
    struct th_error *err;    /* where failures are reported */
};

static int need(struct ft_reader *r, size_t n, const char *what)
{
    if (r->len - r->pos < n)
        return th_error_set(r->err, TH_EFORMAT,
                            "fasttext model truncated reading %s at byte %zu "
                            "(file has %zu bytes)", what, r->pos, r->len);
    return 0;
}

static int read_i32(struct ft_reader *r, int32_t *v, const char *what)
{
    if (need(r, 4, what) < 0)
        return TH_EFORMAT;
    memcpy(v, r->p + r->pos, 4);
    r->pos += 4;
    return 0;
}

static int read_i64(struct ft_reader *r, int64_t *v, const char *what)
{
    if (need(r, 8, what) < 0)
        return TH_EFORMAT;
    memcpy(v, r->p + r->pos, 8);
    r->pos += 8;
    return 0;
}

static int read_u8(struct ft_reader *r, uint8_t *v, const char *what)
{
    if (need(r, 1, what) < 0)
        return TH_EFORMAT;
    *v = r->p[r->pos++];
    return 0;
}

static inline float load_float(const uint8_t *p)
{
    float f;
    memcpy(&f, p, sizeof(f));
    return f;
}

/* fastText's hash: FNV-1a over sign-extended bytes. */
static inline uint32_t ft_hash_step(uint32_t h, uint8_t byte)
{
    h ^= (uint32_t)(int32_t)(int8_t)byte;
    return h * 16777619u;
}

static uint32_t ft_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = ft_hash_step(h, (uint8_t)s[i]);
    return h;
}

/*
 * a % d for 32-bit a and d != 0 without a division (Lemire, Kaser and
 * Kurz, "Faster remainder by direct computation", 2019): exact for every
 * 32-bit a with magic = UINT64_MAX / d + 1.
 */
static inline uint32_t fast_mod(uint32_t a, uint64_t magic, uint32_t d)
{
    uint64_t low = magic * a;
    return (uint32_t)(((unsigned __int128)low * d) >> 64);
}

static uint32_t pow2_at_least(uint64_t n)
{
    uint64_t size = 16;
    while (size < n)
        size <<= 1;
    return (uint32_t)size;
}

static int read_args(struct ft_reader *r, struct th_fasttext *ft)
{
    int32_t magic, version, a[12];
    int64_t t;
    if (read_i32(r, &magic, "magic") < 0)
        return TH_EFORMAT;
    if (magic != FT_MAGIC)
        return th_error_set(r->err, TH_EFORMAT,
                            "not a fasttext model (bad magic number %d)",
                            magic);
    if (read_i32(r, &version, "version") < 0)
        return TH_EFORMAT;
    if (version > FT_VERSION || version < 0)
        return th_error_set(r->err, TH_EFORMAT,
                            "unsupported fasttext model version %d", version);
    for (int i = 0; i < 12; i++)
        if (read_i32(r, &a[i], "header arguments") < 0)
            return TH_EFORMAT;
    if (read_i64(r, &t, "header arguments") < 0)
        return TH_EFORMAT;
    struct th_fasttext_info *in = &ft->info;
    in->version = version;
    in->dim = a[0];
    in->word_ngrams = a[5];
    in->loss = a[6];
    in->model = a[7];
    in->bucket = a[8];
    in->minn = a[9];
    in->maxn = a[10];
    if (version == 11 && in->model == 3)
        in->maxn = 0;
    if (in->dim <= 0 || in->dim > FT_MAX_DIM)
        return th_error_set(r->err, TH_EFORMAT, "bad dimension %d", in->dim);
    if (in->loss < 1 || in->loss > 4)
        return th_error_set(r->err, TH_EFORMAT, "unknown loss %d", in->loss);
    if (in->bucket < 0)
        return th_error_set(r->err, TH_EFORMAT, "negative bucket count %d",
                            in->bucket);
    if ((in->maxn > 0 || in->word_ngrams > 1) && in->bucket == 0)
        return th_error_set(r->err, TH_EFORMAT,
                            "n-grams enabled but bucket count is 0");
    if (in->bucket > 0)
        ft->bucket_magic = UINT64_MAX / (uint32_t)in->bucket + 1;
    return 0;
}

/* Slot of bucket id in the prune table. */
static inline uint32_t prune_slot(const struct th_fasttext *ft, int32_t id)
{
    return ((uint32_t)id * 2654435761u) >> ft->prune_shift;
}

static int read_dictionary(struct ft_reader *r, struct th_fasttext *ft)
{
    int32_t size, nwords, nlabels;
    int64_t ntokens, pruneidx_size;
    if (read_i32(r, &size, "dictionary size") < 0 ||
        read_i32(r, &nwords, "dictionary size") < 0 ||
        read_i32(r, &nlabels, "dictionary size") < 0 ||
        read_i64(r, &ntokens, "dictionary size") < 0 ||
        read_i64(r, &pruneidx_size, "dictionary size") < 0)
        return TH_EFORMAT;
    if (size < 0 || nwords < 0 || nlabels < 0 ||
        (int64_t)nwords + nlabels != size)
        return th_error_set(r->err, TH_EFORMAT,
                            "inconsistent dictionary sizes (%d words + %d "
                            "labels != %d)", nwords, nlabels, size);
    /* each entry takes at least 10 bytes: cheap check before allocating */
    if ((uint64_t)size * 10 > r->len - r->pos)
        return th_error_set(r->err, TH_EFORMAT,
                            "fasttext model truncated: %d dictionary entries "
                            "do not fit", size);
    ft->info.n_words = nwords;
    ft->info.n_labels = nlabels;
    ft->info.n_pruned = pruneidx_size;
    ft->n_entries = size;
    ft->entries = calloc(size ? (size_t)size : 1, sizeof(*ft->entries));
    if (!ft->entries)
        return th_error_set(r->err, TH_ENOMEM, "out of memory");
    for (int32_t i = 0; i < size; i++) {
        struct ft_entry *e = &ft->entries[i];
        const uint8_t *start = r->p + r->pos;
        const uint8_t *nul = memchr(start, 0, r->len - r->pos);
        if (!nul)
            return th_error_set(r->err, TH_EFORMAT,
                                "fasttext model truncated in dictionary "
                                "entry %d", i);
        e->word = (const char *)start;
        e->len = (uint32_t)(nul - start);
        r->pos += e->len + 1;
        uint8_t type;
        if (read_i64(r, &e->count, "dictionary entry") < 0 ||
            read_u8(r, &type, "dictionary entry") < 0)
            return TH_EFORMAT;
        if (type > 1 || (type == 1) != (i >= nwords))
            return th_error_set(r->err, TH_EFORMAT,
                                "dictionary entry %d has bad type %u", i,
                                type);
        e->type = (int8_t)type;
        e->hash = ft_hash(e->word, e->len);
    }
    /* word table: later duplicates win, as in fastText */
    uint32_t tsize = pow2_at_least((uint64_t)size * 2);
    ft->table = malloc((size_t)tsize * sizeof(*ft->table));
    if (!ft->table)
        return th_error_set(r->err, TH_ENOMEM, "out of memory");
    ft->table_mask = tsize - 1;
    for (uint32_t i = 0; i < tsize; i++)
        ft->table[i].id = -1;
    ft->eos_id = -1;
    for (int32_t i = 0; i < size; i++) {
        const struct ft_entry *e = &ft->entries[i];
        uint32_t s = e->hash & ft->table_mask;
        while (ft->table[s].id >= 0) {
            const struct ft_entry *o = &ft->entries[ft->table[s].id];
            if (o->hash == e->hash && o->len == e->len &&
                memcmp(o->word, e->word, e->len) == 0)
                break;
            s = (s + 1) & ft->table_mask;
        }
        ft->table[s].hash = e->hash;
        ft->table[s].id = i;
    }
    /* prune index */
    if (pruneidx_size > 0) {
        if ((uint64_t)pruneidx_size > (r->len - r->pos) / 8)
            return th_error_set(r->err, TH_EFORMAT,
                                "fasttext model truncated in prune index");
        const uint8_t *pairs = r->p + r->pos;
        r->pos += (size_t)pruneidx_size * 8;
        for (int64_t i = 0; i < pruneidx_size; i++) {
            int32_t kv[2];
            memcpy(kv, pairs + 8 * i, 8);
            if (kv[0] < 0 || kv[1] < 0 ||
                (int64_t)ft->info.n_words + kv[1] > INT32_MAX)
                return th_error_set(r->err, TH_EFORMAT,
                                    "bad prune index entry %lld",
                                    (long long)i);
        }
        if (ft->info.bucket <= FT_PRUNE_BITS_MAX) {
            /* bitmap + rank; a later entry for the same bucket wins */
            size_t n_rank = (size_t)ft->info.bucket / 64 + 1;
            ft->prune_rank = calloc(n_rank, sizeof(*ft->prune_rank));
            ft->prune_rows = calloc((size_t)pruneidx_size + 1,
                                    sizeof(*ft->prune_rows));
            if (!ft->prune_rank || !ft->prune_rows)
                return th_error_set(r->err, TH_ENOMEM, "out of memory");
            for (int64_t i = 0; i < pruneidx_size; i++) {
                int32_t key;
                memcpy(&key, pairs + 8 * i, 4);
                if (key < ft->info.bucket)
                    ft->prune_rank[key >> 6].bits |= (uint64_t)1
                                                     << (key & 63);
            }
            uint32_t total = 0;
            for (size_t i = 0; i < n_rank; i++) {
                ft->prune_rank[i].base = total;
                total += popcount64(ft->prune_rank[i].bits);
            }
            ft->prune_count = total;
            for (int64_t i = 0; i < pruneidx_size; i++) {
                int32_t kv[2];
                memcpy(kv, pairs + 8 * i, 8);
                if (kv[0] >= ft->info.bucket)
                    continue;
                const struct ft_rank *e = &ft->prune_rank[kv[0] >> 6];
                uint64_t below = ((uint64_t)1 << (kv[0] & 63)) - 1;
                ft->prune_rows[e->base + popcount64(e->bits & below)] =
                    ft->info.n_words + kv[1];
            }
        } else {
            /* open addressing; a later entry for the same bucket wins */
            uint32_t psize = pow2_at_least((uint64_t)pruneidx_size * 3 / 2);
            ft->prune_keys = malloc((size_t)psize * sizeof(int32_t));
            ft->prune_values = malloc((size_t)psize * sizeof(int32_t));
            if (!ft->prune_keys || !ft->prune_values)
                return th_error_set(r->err, TH_ENOMEM, "out of memory");
            ft->prune_mask = psize - 1;
            ft->prune_shift = 32;
            for (uint32_t v = psize; v > 1; v >>= 1)
                ft->prune_shift--;
            for (uint32_t i = 0; i < psize; i++)
                ft->prune_keys[i] = -1;
            for (int64_t i = 0; i < pruneidx_size; i++) {
                int32_t kv[2];
                memcpy(kv, pairs + 8 * i, 8);
                uint32_t s = prune_slot(ft, kv[0]);
                while (ft->prune_keys[s] >= 0 && ft->prune_keys[s] != kv[0])
                    s = (s + 1) & ft->prune_mask;
                ft->prune_keys[s] = kv[0];
                ft->prune_values[s] = kv[1];
            }
        }
    }
    int32_t eos = -1;
    uint32_t h = ft_hash("</s>", 4);
    for (uint32_t s = h & ft->table_mask; ft->table[s].id >= 0;
         s = (s + 1) & ft->table_mask) {
        const struct ft_entry *e = &ft->entries[ft->table[s].id];
        if (e->hash == h && e->len == 4 && memcmp(e->word, "</s>", 4) == 0) {
            eos = ft->table[s].id;
            break;
        }
    }
    ft->eos_id = eos;
    return 0;
}

static int read_pq(struct ft_reader *r, struct ft_pq *pq, const char *what)
{
    if (read_i32(r, &pq->dim, what) < 0 || read_i32(r, &pq->nsubq, what) < 0 ||
        read_i32(r, &pq->dsub, what) < 0 ||
        read_i32(r, &pq->lastdsub, what) < 0)
        return TH_EFORMAT;
    if (pq->dim <= 0 || pq->dim > FT_MAX_DIM || pq->dsub <= 0 ||
        pq->dsub > pq->dim)
        return th_error_set(r->err, TH_EFORMAT, "bad %s shape", what);
    int32_t nsubq = pq->dim / pq->dsub;
    int32_t last = pq->dim % pq->dsub;
    if (last == 0)
        last = pq->dsub;
    else
        nsubq++;
    if (nsubq != pq->nsubq || last != pq->lastdsub)
        return th_error_set(r->err, TH_EFORMAT,
                            "inconsistent %s (dim %d, %d x %d, last %d)",
                            what, pq->dim, pq->nsubq, pq->dsub, pq->lastdsub);
    size_t n = (size_t)pq->dim * FT_KSUB;
    if (need(r, n * 4, what) < 0)
        return TH_EFORMAT;
    pq->centroids = malloc(n * sizeof(float));
    if (!pq->centroids)
        return th_error_set(r->err, TH_ENOMEM, "out of memory");
    memcpy(pq->centroids, r->p + r->pos, n * 4);
    r->pos += n * 4;
    return 0;
}

static inline const float *pq_centroid(const struct ft_pq *pq, int32_t m,
                                       uint8_t code)
{
    if (m == pq->nsubq - 1)
        return pq->centroids + (size_t)m * FT_KSUB * pq->dsub +
               (size_t)code * pq->lastdsub;
    return pq->centroids + ((size_t)m * FT_KSUB + code) * pq->dsub;
}

static inline float quant_norm(const struct ft_matrix *mat, int64_t i)
{
    if (!mat->qnorm)
        return 1.0f;
    return pq_centroid(&mat->npq, 0, mat->norm_codes[i])[0];
}

/* Row i of a quantized matrix as fastText's addcode adds it: alpha * c. */
static void quant_decode_row(const struct ft_matrix *mat, int64_t i,
                             float *out)
{
    const struct ft_pq *pq = &mat->pq;
    float alpha = quant_norm(mat, i);
    const uint8_t *code = mat->codes + (size_t)i * pq->nsubq;
    int32_t d = pq->dsub;
    for (int32_t m = 0; m < pq->nsubq; m++) {
        const float *c = pq_centroid(pq, m, code[m]);
        if (m == pq->nsubq - 1)
            d = pq->lastdsub;
        for (int32_t n = 0; n < d; n++)
            out[m * pq->dsub + n] = alpha * c[n];
    }
}

static int read_matrix(struct ft_reader *r, struct ft_matrix *mat, bool quant,
                       int32_t dim, const char *what)
{
    mat->quant = quant;
    if (quant) {
        uint8_t qnorm;
        int32_t codesize;
        if (read_u8(r, &qnorm, what) < 0 || read_i64(r, &mat->m, what) < 0 ||
            read_i64(r, &mat->n, what) < 0 ||
            read_i32(r, &codesize, what) < 0)
            return TH_EFORMAT;
        mat->qnorm = qnorm != 0;
        if (mat->m < 0 || mat->n != dim)
            return th_error_set(r->err, TH_EFORMAT,
                                "bad %s shape %lld x %lld (dim %d)", what,
                                (long long)mat->m, (long long)mat->n, dim);
        if (codesize < 0 || need(r, (size_t)codesize, what) < 0)
            return TH_EFORMAT;
        mat->codes = r->p + r->pos;
        r->pos += (size_t)codesize;
        if (read_pq(r, &mat->pq, what) < 0)
            return TH_EFORMAT;
        if (mat->pq.dim != dim ||
            (int64_t)codesize != mat->m * mat->pq.nsubq)
            return th_error_set(r->err, TH_EFORMAT,
                                "%s code size %d does not match %lld rows",
                                what, codesize, (long long)mat->m);
        if (mat->qnorm) {
            if (need(r, (size_t)mat->m, what) < 0)
                return TH_EFORMAT;
            mat->norm_codes = r->p + r->pos;
            r->pos += (size_t)mat->m;
            if (read_pq(r, &mat->npq, what) < 0)
                return TH_EFORMAT;
            if (mat->npq.dim != 1 || mat->npq.nsubq != 1)
                return th_error_set(r->err, TH_EFORMAT,
                                    "bad %s norm quantizer", what);
        }
        return 0;
    }
    if (read_i64(r, &mat->m, what) < 0 || read_i64(r, &mat->n, what) < 0)
        return TH_EFORMAT;
    if (mat->m < 0 || mat->n != dim)
        return th_error_set(r->err, TH_EFORMAT,
                            "bad %s shape %lld x %lld (dim %d)", what,
                            (long long)mat->m, (long long)mat->n, dim);
    if ((uint64_t)mat->m > (r->len - r->pos) / 4 / (uint64_t)dim)
        return th_error_set(r->err, TH_EFORMAT,
                            "fasttext model truncated in %s (%lld x %d "
                            "floats)", what, (long long)mat->m, dim);
    mat->data = r->p + r->pos;
    r->pos += (size_t)mat->m * (size_t)dim * 4;
    return 0;
}

static int build_tree(struct th_fasttext *ft, struct th_error *err)
{
    int32_t osz = ft->info.n_labels;
    size_t nodes = 2 * (size_t)osz - 1;
    int64_t *count = malloc(nodes * sizeof(*count));
    ft->tree_left = malloc(nodes * sizeof(int32_t));
    ft->tree_right = malloc(nodes * sizeof(int32_t));
    if (!count || !ft->tree_left || !ft->tree_right) {
        free(count);
        return th_error_set(err, TH_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nodes; i++) {
        ft->tree_left[i] = -1;
        ft->tree_right[i] = -1;
        count[i] = (int64_t)1e15;
    }
    /*
     * Counts of a corrupt file could push the merge past the nodes built
     * so far, or overflow the sums: refuse them (valid files never have
     * negative counts or a total near 2^62).
     */
    int64_t total = 0;
    for (int32_t i = 0; i < osz; i++) {
        count[i] = ft->entries[ft->info.n_words + i].count;
        if (count[i] < 0 || count[i] >= (int64_t)1e15 ||
            total > INT64_MAX / 4 - count[i]) {
            free(count);
            return th_error_set(err, TH_EFORMAT, "fasttext model has bad "
                                "label counts");
        }
        total += count[i];
    }
    int32_t leaf = osz - 1, node = osz;
    for (int32_t i = osz; i < 2 * osz - 1; i++) {
        int32_t mini[2];
        for (int j = 0; j < 2; j++) {
            /* node < i always holds for counts below 1e15 (checked) */
            if (leaf >= 0 && (node >= i || count[leaf] < count[node]))
                mini[j] = leaf--;
            else
                mini[j] = node++;
        }
        ft->tree_left[i] = mini[0];
        ft->tree_right[i] = mini[1];
        count[i] = count[mini[0]] + count[mini[1]];
    }
    free(count);
    return 0;
}

static int load(struct th_fasttext *ft, struct th_error *err)
{
    struct ft_reader r = { ft->base, ft->size, 0, err };
    int rc = read_args(&r, ft);
    if (rc < 0)
        return rc;
    rc = read_dictionary(&r, ft);
    if (rc < 0)
        return rc;
    const struct th_fasttext_info *in = &ft->info;
    uint8_t quant_input, qout;
    if (read_u8(&r, &quant_input, "input matrix") < 0)
        return TH_EFORMAT;
    rc = read_matrix(&r, &ft->input, quant_input != 0, in->dim,
                     "input matrix");
    if (rc < 0)
        return rc;
    if (!quant_input && in->n_pruned >= 0)
        return th_error_set(err, TH_EFORMAT,
                            "invalid model: pruned dictionary with a dense "
                            "input matrix (fastText issue #332)");
    if (read_u8(&r, &qout, "output matrix") < 0)
        return TH_EFORMAT;
    rc = read_matrix(&r, &ft->output, quant_input && qout, in->dim,
                     "output matrix");
    if (rc < 0)
        return rc;
    ft->info.quant_input = quant_input != 0;
    ft->info.quant_output = quant_input && qout;

    /* every row a line can reach must exist */
    int64_t rows = ft->input.m;
    if (rows < in->n_words)
        return th_error_set(err, TH_EFORMAT,
                            "input matrix has %lld rows for %d words",
                            (long long)rows, in->n_words);
    if (in->n_pruned < 0) {
        if ((in->maxn > 0 || in->word_ngrams > 1) &&
            rows < (int64_t)in->n_words + in->bucket)
            return th_error_set(err, TH_EFORMAT,
                                "input matrix has %lld rows, need %lld",
                                (long long)rows,
                                (long long)in->n_words + in->bucket);
    } else {
        bool bad = false;
        for (uint32_t s = 0; ft->prune_keys && s <= ft->prune_mask; s++)
            bad |= ft->prune_keys[s] >= 0 &&
                   (int64_t)in->n_words + ft->prune_values[s] >= rows;
        for (uint32_t i = 0; ft->prune_rows && i < ft->prune_count; i++)
            bad |= ft->prune_rows[i] >= rows;
        if (bad)
            return th_error_set(err, TH_EFORMAT,
                                "prune index points past the input matrix");
    }
    int32_t nl = in->n_labels;
    if (in->model == 3) {
        if (nl < 1)
            return th_error_set(err, TH_EFORMAT,
                                "supervised model without labels");
        int64_t need_rows = in->loss == TH_FASTTEXT_LOSS_HS ? nl - 1 : nl;
        if (ft->output.m < need_rows)
            return th_error_set(err, TH_EFORMAT,
                                "output matrix has %lld rows, need %lld",
                                (long long)ft->output.m,
                                (long long)need_rows);
        if (in->loss == TH_FASTTEXT_LOSS_HS && build_tree(ft, err) < 0)
            return TH_ENOMEM;
    }
    for (int i = 0; i <= FT_SIGMOID_TABLE; i++) {
        float x = (float)(i * 2 * FT_MAX_SIGMOID) / FT_SIGMOID_TABLE -
                  FT_MAX_SIGMOID;
        ft->sigmoid[i] = (float)(1.0 / (1.0 + (double)expf(-x)));
    }
    return 0;
}

static int open_common(struct th_fasttext **out, struct th_fasttext *ft,
                       struct th_error *err)
{
    int rc = load(ft, err);
    if (rc < 0) {
        th_fasttext_free(ft);
        *out = NULL;
        return rc;
    }
    *out = ft;
    return 0;
}

int th_fasttext_open_memory(struct th_fasttext **out, const void *data,
                            size_t len, struct th_error *err)
{
    *out = NULL;
    struct th_fasttext *ft = calloc(1, sizeof(*ft));
    if (!ft)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    ft->base = data;
    ft->size = data ? len : 0;
    return open_common(out, ft, err);
}

int th_fasttext_open(struct th_fasttext **out, const char *path,
                     struct th_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return th_error_set(err, TH_EIO, "cannot open model '%s': %s", path,
                            strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return th_error_set(err, TH_EIO, "model '%s' is not a regular file",
                            path);
    }
    struct th_fasttext *ft = calloc(1, sizeof(*ft));
    if (!ft) {
        close(fd);
        return th_error_set(err, TH_ENOMEM, "out of memory");
    }
    ft->size = (size_t)st.st_size;
    if (ft->size > 0) {
        void *p = mmap(NULL, ft->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            free(ft);
            return th_error_set(err, TH_EIO, "cannot map model '%s': %s",
                                path, strerror(errno));
        }
        ft->base = p;
        ft->mapped = true;
    }
    close(fd);
    int rc = open_common(out, ft, err);
    if (rc < 0 && err) {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        th_error_set(err, rc, "model '%s': %s", path, msg);
    }
    return rc;
}

void th_fasttext_free(struct th_fasttext *ft)
{
    if (!ft)
        return;
    if (ft->mapped)
        munmap((void *)ft->base, ft->size);
    free(ft->entries);
    free(ft->table);
    free(ft->prune_keys);
    free(ft->prune_values);
    free(ft->prune_rank);
    free(ft->prune_rows);
    free(ft->input.pq.centroids);
    free(ft->input.npq.centroids);
    free(ft->output.pq.centroids);
    free(ft->output.npq.centroids);
    free(ft->tree_left);
    free(ft->tree_right);
    free(ft);
}

void th_fasttext_get_info(const struct th_fasttext *ft,
                          struct th_fasttext_info *out)
{
    *out = ft->info;
}

const char *th_fasttext_label(const struct th_fasttext *ft, int32_t i,
                              size_t *len_out)
{
    if (i < 0 || i >= ft->info.n_labels)
        return NULL;
    const struct ft_entry *e = &ft->entries[ft->info.n_words + i];
    if (len_out)
        *len_out = e->len;
    return e->word;
}

static int32_t lookup(const struct th_fasttext *ft, const char *w, size_t len,
                      uint32_t h)
{
    uint32_t s = h & ft->table_mask;
    for (;;) {
        const struct ft_slot *slot = &ft->table[s];
        if (slot->id < 0)
            return -1;
        if (slot->hash == h) {
            const struct ft_entry *e = &ft->entries[slot->id];
            if (e->len == len && memcmp(e->word, w, len) == 0)
                return slot->id;
        }
        s = (s + 1) & ft->table_mask;
    }
}

int32_t th_fasttext_label_index(const struct th_fasttext *ft,
                                const char *name)
{
    size_t len = strlen(name);
    int32_t id = lookup(ft, name, len, ft_hash(name, len));
    if (id < ft->info.n_words)
        return -1;
    return id - ft->info.n_words;
}

/* ---- per-thread state ------------------------------------------------ */

int th_fasttext_state_new(struct th_fasttext_state **out,
                          const struct th_fasttext *ft)
{
    struct th_fasttext_state *st = calloc(1, sizeof(*st));
    if (!st)
        return TH_ENOMEM;
    size_t dim = (size_t)ft->info.dim;
    size_t nl = ft->info.n_labels > 0 ? (size_t)ft->info.n_labels : 1;
    st->cap_ids = 256;
    st->cap_hashes = 64;
    st->cap_word = 256;
    st->ids = malloc(st->cap_ids * sizeof(*st->ids));
    st->hashes = malloc(st->cap_hashes * sizeof(*st->hashes));
    st->word = malloc(st->cap_word);
    st->hidden = malloc(dim * sizeof(float));
    st->row = malloc(dim * sizeof(float));
    st->scores = malloc(nl * sizeof(float));
    st->heap = malloc((nl + 1) * sizeof(*st->heap));
    st->stack = malloc((2 * nl + 2) * sizeof(*st->stack));
    st->cache = calloc(FT_CACHE_SIZE, sizeof(*st->cache));
    st->cache_bytes = malloc(FT_CACHE_BYTES);
    st->cache_ids = malloc(FT_CACHE_IDS * sizeof(*st->cache_ids));
    if (!st->cache || !st->cache_bytes || !st->cache_ids ||
        !st->ids || !st->hashes || !st->word || !st->hidden || !st->row ||
        !st->scores || !st->heap || !st->stack) {
        th_fasttext_state_free(st);
        return TH_ENOMEM;
    }
    *out = st;
    return 0;
}

void th_fasttext_state_free(struct th_fasttext_state *st)
{
    if (!st)
        return;
    free(st->ids);
    free(st->hashes);
    free(st->word);
    free(st->hidden);
    free(st->row);
    free(st->scores);
    free(st->heap);
    free(st->stack);
    free(st->cache);
    free(st->cache_bytes);
    free(st->cache_ids);
    free(st);
}

/* ---- features of a line ---------------------------------------------- */

static int grow(void **p, size_t *cap, size_t need_n, size_t item)
{
    if (need_n <= *cap)
        return 0;
    if (need_n > FT_MAX_LINE_IDS)
        return TH_ENOMEM;
    size_t cap2 = *cap * 2;
    while (cap2 < need_n)
        cap2 *= 2;
    void *q = realloc(*p, cap2 * item);
    if (!q)
        return TH_ENOMEM;
    *p = q;
    *cap = cap2;
    return 0;
}

static inline int push_id(struct th_fasttext_state *st, int32_t id)
{
    if (st->n_ids == st->cap_ids &&
        grow((void **)&st->ids, &st->cap_ids, st->n_ids + 1,
             sizeof(*st->ids)) < 0)
        return TH_ENOMEM;
    st->ids[st->n_ids++] = id;
    return 0;
}

/*
 * fastText's pushHash. With a pruned dictionary the bucket is pushed as
 * -(id + 1) and mapped later by resolve_pruned(), in one pass with
 * prefetches, which keeps the order of the list intact.
 */
static inline int push_bucket(const struct th_fasttext *ft,
                              struct th_fasttext_state *st, int32_t id)
{
    int64_t pruned = ft->info.n_pruned;
    if (pruned == 0 || id < 0)
        return 0;
    if (pruned > 0) {
        if (!ft->prune_rank)
            return push_id(st, -id - 1);
        /*
         * ids are < bucket here (h % bucket). The bucket's rank is pushed
         * as -(rank + 1), or INT32_MIN when the bucket was pruned away, and
         * resolve_ranks() maps and compacts them: no branch and no store
         * address depends on the rank load, so the cache misses of
         * successive n-grams overlap.
         */
        if (st->n_ids == st->cap_ids &&
            grow((void **)&st->ids, &st->cap_ids, st->n_ids + 1,
                 sizeof(*st->ids)) < 0)
            return TH_ENOMEM;
        const struct ft_rank *e = &ft->prune_rank[(uint32_t)id >> 6];
        uint64_t bits = e->bits;
        uint64_t below = ((uint64_t)1 << (id & 63)) - 1;
        int32_t v = -(int32_t)(e->base + popcount64(bits & below)) - 1;
        st->ids[st->n_ids++] = (bits >> (id & 63)) & 1 ? v : INT32_MIN;
        return 0;
    }
    return push_id(st, ft->info.n_words + id);
}

/* Map the ranks pushed as -(rank + 1) in ids[from..] to their rows. */
static void resolve_ranks(const struct th_fasttext *ft,
                          struct th_fasttext_state *st, size_t from)
{
    int32_t *ids = st->ids;
    const size_t n = st->n_ids;
    size_t w = from;
    for (size_t i = from; i < n; i++) {
        int32_t v = ids[i];
        if (i + 8 < n && ids[i + 8] < 0 && ids[i + 8] != INT32_MIN)
            __builtin_prefetch(&ft->prune_rows[-(ids[i + 8] + 1)]);
        if (v >= 0)
            ids[w++] = v;
        else if (v != INT32_MIN)
            ids[w++] = ft->prune_rows[-(v + 1)];
    }
    st->n_ids = w;
}

/* Map the deferred buckets ids[from..] of a pruned model; drop unknowns. */
static void resolve_pruned(const struct th_fasttext *ft,
                           struct th_fasttext_state *st, size_t from)
{
    const size_t n = st->n_ids;
    int32_t *ids = st->ids;
    for (size_t i = from; i < n && i < from + 8; i++)
        if (ids[i] < 0)
            __builtin_prefetch(&ft->prune_keys[prune_slot(ft, -(ids[i] + 1))]);
    size_t w = from;
    for (size_t i = from; i < n; i++) {
        if (i + 8 < n && ids[i + 8] < 0)
            __builtin_prefetch(
                &ft->prune_keys[prune_slot(ft, -(ids[i + 8] + 1))]);
        int32_t v = ids[i];
        if (v >= 0) {
            ids[w++] = v;
            continue;
        }
        int32_t id = -(v + 1);
        for (uint32_t s = prune_slot(ft, id);; s = (s + 1) & ft->prune_mask) {
            int32_t key = ft->prune_keys[s];
            if (key == id) {
                ids[w++] = ft->info.n_words + ft->prune_values[s];
                break;
            }
            if (key < 0)
                break;
        }
    }
    st->n_ids = w;
}

/* fastText's computeSubwords over w = "<" + token + ">". */
static int push_subwords(const struct th_fasttext *ft,
                         struct th_fasttext_state *st, const char *w,
                         size_t len)
{
    const int32_t minn = ft->info.minn, maxn = ft->info.maxn;
    const uint32_t bucket = (uint32_t)ft->info.bucket;
    const struct ft_rank *rank = ft->prune_rank;
    for (size_t i = 0; i < len; i++) {
        if (((uint8_t)w[i] & 0xC0) == 0x80)
            continue;
        /* room for this start position's n-grams, then no more checks */
        if (st->cap_ids - st->n_ids < (size_t)maxn &&
            grow((void **)&st->ids, &st->cap_ids, st->n_ids + (size_t)maxn,
                 sizeof(*st->ids)) < 0)
            return TH_ENOMEM;
        int32_t *ids = st->ids;
        size_t n_ids = st->n_ids;
        uint32_t h = 2166136261u;
        size_t j = i;
        for (int32_t n = 1; j < len && n <= maxn; n++) {
            h = ft_hash_step(h, (uint8_t)w[j++]);
            while (j < len && ((uint8_t)w[j] & 0xC0) == 0x80)
                h = ft_hash_step(h, (uint8_t)w[j++]);
            if (n < minn || (n == 1 && (i == 0 || j == len)))
                continue;
            uint32_t b = fast_mod(h, ft->bucket_magic, bucket);
            if (rank) {
                /* see push_bucket: rank or INT32_MIN, no branch */
                const struct ft_rank *e = &rank[b >> 6];
                uint64_t bits = e->bits;
                uint64_t below = ((uint64_t)1 << (b & 63)) - 1;
                int32_t v = -(int32_t)(e->base + popcount64(bits & below)) -
                            1;
                ids[n_ids++] = (bits >> (b & 63)) & 1 ? v : INT32_MIN;
            } else if (ft->info.n_pruned > 0) {
                ids[n_ids++] = -(int32_t)b - 1;
            } else if (ft->info.n_pruned < 0) {
                ids[n_ids++] = ft->info.n_words + (int32_t)b;
            }
        }
        st->n_ids = n_ids;
    }
    return 0;
}

static inline bool is_space(uint8_t c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' ||
           c == '\f' || c == '\0';
}

static int push_hash(struct th_fasttext_state *st, uint32_t h)
{
    if (st->n_hashes == st->cap_hashes &&
        grow((void **)&st->hashes, &st->cap_hashes, st->n_hashes + 1,
             sizeof(*st->hashes)) < 0)
        return TH_ENOMEM;
    st->hashes[st->n_hashes++] = (int32_t)h;
    return 0;
}

/* fastText's addSubwords for a word-type token (wid < 0: out of vocab). */
static int word_features(const struct th_fasttext *ft,
                         struct th_fasttext_state *st, int32_t wid,
                         const char *tok, size_t len, bool is_eos)
{
    if (wid >= 0 && push_id(st, wid) < 0)
        return TH_ENOMEM;
    bool subwords = wid >= 0 ? wid != ft->eos_id : !is_eos;
    if (ft->info.maxn > 0 && subwords) {
        if (len + 2 > st->cap_word &&
            grow((void **)&st->word, &st->cap_word, len + 2, 1) < 0)
            return TH_ENOMEM;
        st->word[0] = '<';
        memcpy(st->word + 1, tok, len);
        st->word[len + 1] = '>';
        size_t from = st->n_ids;
        if (push_subwords(ft, st, st->word, len + 2) < 0)
            return TH_ENOMEM;
        if (ft->prune_rank)
            resolve_ranks(ft, st, from);
        else if (ft->info.n_pruned > 0)
            resolve_pruned(ft, st, from);
    }
    return 0;
}

/* Features of one token, computed (not cached): returns its type. */
static int token_features(const struct th_fasttext *ft,
                          struct th_fasttext_state *st, const char *tok,
                          size_t len, uint32_t h, bool is_eos, int *type_out)
{
    int32_t wid = lookup(ft, tok, len, h);
    int type;
    if (wid >= 0)
        type = ft->entries[wid].type;
    else
        type = len >= 9 && memcmp(tok, "__label__", 9) == 0;
    *type_out = type;
    if (type != 0)
        return 0;
    return word_features(ft, st, wid, tok, len, is_eos);
}

/* One token: word id, subwords, hash; *eos set when it ends the line. */
static int add_token(const struct th_fasttext *ft,
                     struct th_fasttext_state *st, const char *tok,
                     size_t len, bool *eos)
{
    uint32_t h = ft_hash(tok, len);
    bool is_eos = len == 4 && memcmp(tok, "</s>", 4) == 0;
    *eos = is_eos;
    int type;
    struct ft_cache_entry *c = NULL;
    if (len <= FT_CACHE_MAX_TOKEN && !is_eos) {
        c = &st->cache[(h ^ (h >> 13)) & (FT_CACHE_SIZE - 1)];
        if (c->len == len && c->hash == h &&
            memcmp(st->cache_bytes + c->bytes_off, tok, len) == 0) {
            if (c->type != 0)
                return 0;
            if (c->n_ids) {
                size_t need_n = st->n_ids + c->n_ids;
                if (need_n > st->cap_ids &&
                    grow((void **)&st->ids, &st->cap_ids, need_n,
                         sizeof(*st->ids)) < 0)
                    return TH_ENOMEM;
                memcpy(st->ids + st->n_ids, st->cache_ids + c->ids_off,
                       c->n_ids * sizeof(*st->ids));
                st->n_ids = need_n;
            }
            return ft->info.word_ngrams > 1 ? push_hash(st, h) : 0;
        }
    }
    size_t from = st->n_ids;
    if (token_features(ft, st, tok, len, h, is_eos, &type) < 0)
        return TH_ENOMEM;
    if (c) {
        size_t n = st->n_ids - from;
        if (st->n_cache_bytes + len > FT_CACHE_BYTES ||
            st->n_cache_ids + n > FT_CACHE_IDS) {
            memset(st->cache, 0, FT_CACHE_SIZE * sizeof(*st->cache));
            st->n_cache_bytes = 0;
            st->n_cache_ids = 0;
        }
        if (st->n_cache_ids + n <= FT_CACHE_IDS) {
            c->hash = h;
            c->len = (uint32_t)len;
            c->bytes_off = (uint32_t)st->n_cache_bytes;
            c->ids_off = (uint32_t)st->n_cache_ids;
            c->n_ids = (uint32_t)n;
            c->type = type;
            memcpy(st->cache_bytes + st->n_cache_bytes, tok, len);
            memcpy(st->cache_ids + st->n_cache_ids, st->ids + from,
                   n * sizeof(*st->ids));
            st->n_cache_bytes += len;
            st->n_cache_ids += n;
        }
    }
    if (type != 0 || ft->info.word_ngrams <= 1)
        return 0;
    return push_hash(st, h);
}

static void flush_rows(const struct th_fasttext *ft,
                       struct th_fasttext_state *st);

/* fastText's getLine + addWordNgrams; returns bytes consumed. */
static int line_features(const struct th_fasttext *ft,
                         struct th_fasttext_state *st, const char *text,
                         size_t len, unsigned flags, size_t *consumed)
{
    static const char eos_word[] = "</s>";
    size_t pos = 0;
    bool eos = false;
    st->n_ids = 0;
    st->n_total = 0;
    st->n_hashes = 0;
    for (int32_t j = 0; j < ft->info.dim; j++)
        st->hidden[j] = 0.0f;
    while (!eos) {
        if (st->n_ids >= FT_FLUSH_IDS)
            flush_rows(ft, st);
        while (pos < len && is_space((uint8_t)text[pos]) &&
               text[pos] != '\n')
            pos++;
        if (pos == len) {
            if (flags & TH_FASTTEXT_APPEND_EOS) {
                if (add_token(ft, st, eos_word, 4, &eos) < 0)
                    return TH_ENOMEM;
            }
            break;
        }
        if (text[pos] == '\n') {
            pos++;
            if (add_token(ft, st, eos_word, 4, &eos) < 0)
                return TH_ENOMEM;
            break;
        }
        size_t start = pos;
        while (pos < len && !is_space((uint8_t)text[pos]))
            pos++;
        if (add_token(ft, st, text + start, pos - start, &eos) < 0)
            return TH_ENOMEM;
        if (pos < len && text[pos] != '\n')
            pos++;
    }
    int32_t n = ft->info.word_ngrams;
    uint32_t bucket = (uint32_t)ft->info.bucket;
    size_t from = st->n_ids;
    for (size_t i = 0; n > 1 && i < st->n_hashes; i++) {
        uint64_t h = (uint64_t)(int64_t)st->hashes[i];
        for (size_t j = i + 1; j < st->n_hashes && j < i + (size_t)n; j++) {
            h = h * 116049371u + (uint64_t)(int64_t)st->hashes[j];
            if (push_bucket(ft, st, (int32_t)(h % bucket)) < 0)
                return TH_ENOMEM;
        }
        if (st->n_ids - from >= FT_FLUSH_IDS) {
            if (ft->prune_rank)
                resolve_ranks(ft, st, from);
            else if (ft->info.n_pruned > 0)
                resolve_pruned(ft, st, from);
            flush_rows(ft, st);
            from = 0;
        }
    }
    if (ft->prune_rank)
        resolve_ranks(ft, st, from);
    else if (ft->info.n_pruned > 0)
        resolve_pruned(ft, st, from);
    flush_rows(ft, st);
    *consumed = pos;
    return 0;
}

/* ---- arithmetic ------------------------------------------------------ */

static inline float std_log(float x)
{
    return (float)log((double)x + 1e-5);
}

/* hidden += row, element by element (vectorizable in blocks of 8). */
static inline void add_row(float *restrict hidden, const float *restrict row,
                           size_t dim)
{
    size_t j = 0;
    for (; j + 8 <= dim; j += 8)
        for (size_t t = 0; t < 8; t++)
            hidden[j + t] += row[j + t];
    for (; j < dim; j++)
        hidden[j] += row[j];
}

/*
 * Add the rows ids[0 .. n_ids) to the hidden sum, in order, and empty the
 * list. Lines are summed in batches of about FT_FLUSH_IDS rows, so a huge
 * document needs no huge id list; the float additions happen in exactly
 * fastText's order either way.
 */
static void flush_rows(const struct th_fasttext *ft,
                       struct th_fasttext_state *st)
{
    const size_t dim = (size_t)ft->info.dim;
    float *restrict hidden = st->hidden;
    const struct ft_matrix *in = &ft->input;
    const int32_t *ids = st->ids;
    const size_t n = st->n_ids;
    st->n_total += n;
    st->n_ids = 0;
    if (in->quant && in->pq.dsub == 2 && in->pq.lastdsub == 2) {
        /* fastText's addcode, fused, for the common dsub = 2 */
        const struct ft_pq *pq = &in->pq;
        const int32_t nsubq = pq->nsubq;
        if (nsubq == 8) {
            /* dim 16 (lid.176, the built-in model): sums in registers */
            float acc[16];
            memcpy(acc, hidden, sizeof(acc));
            for (size_t k = 0; k < n; k++) {
                if (k + 8 < n)
                    __builtin_prefetch(in->codes + (size_t)ids[k + 8] * 8);
                float alpha = quant_norm(in, ids[k]);
                const uint8_t *code = in->codes + (size_t)ids[k] * 8;
#pragma GCC unroll 8
                for (int32_t m = 0; m < 8; m++) {
                    const float *c = pq->centroids +
                                     ((size_t)m * FT_KSUB + code[m]) * 2;
                    acc[2 * m] += alpha * c[0];
                    acc[2 * m + 1] += alpha * c[1];
                }
            }
            memcpy(hidden, acc, sizeof(acc));
        }
        for (size_t k = 0; nsubq != 8 && k < n; k++) {
            if (k + 8 < n)
                __builtin_prefetch(in->codes + (size_t)ids[k + 8] * nsubq);
            float alpha = quant_norm(in, ids[k]);
            const uint8_t *code = in->codes + (size_t)ids[k] * nsubq;
            for (int32_t m = 0; m < nsubq; m++) {
                const float *c = pq->centroids + ((size_t)m * FT_KSUB +
                                                  code[m]) * 2;
                hidden[2 * m] += alpha * c[0];
                hidden[2 * m + 1] += alpha * c[1];
            }
        }
    } else if (in->quant) {
        for (size_t k = 0; k < n; k++) {
            quant_decode_row(in, ids[k], st->row);
            add_row(hidden, st->row, dim);
        }
    } else {
        for (size_t k = 0; k < n; k++) {
            const uint8_t *row = in->data + (size_t)ids[k] * dim * 4;
            if (k + 4 < n)
                __builtin_prefetch(in->data + (size_t)ids[k + 4] * dim * 4);
            for (size_t j = 0; j < dim; j++)
                hidden[j] += load_float(row + 4 * j);
        }
    }
}

/* fastText's Matrix::dotRow for the output matrix. */
static float dot_row(const struct th_fasttext *ft, const float *hidden,
                     int64_t i)
{
    const struct ft_matrix *mat = &ft->output;
    const size_t dim = (size_t)ft->info.dim;
    float d = 0.0f;
    if (!mat->quant) {
        const uint8_t *row = mat->data + (size_t)i * dim * 4;
        for (size_t j = 0; j < dim; j++)
            d += load_float(row + 4 * j) * hidden[j];
        return d;
    }
    const struct ft_pq *pq = &mat->pq;
    float alpha = quant_norm(mat, i);
    const uint8_t *code = mat->codes + (size_t)i * pq->nsubq;
    int32_t dd = pq->dsub;
    for (int32_t m = 0; m < pq->nsubq; m++) {
        const float *c = pq_centroid(pq, m, code[m]);
        if (m == pq->nsubq - 1)
            dd = pq->lastdsub;
        for (int32_t n = 0; n < dd; n++)
            d += hidden[m * pq->dsub + n] * c[n];
    }
    return d * alpha;
}

/* libstdc++'s heap algorithms with fastText's comparator l > r. */
static void heap_sift_up(struct ft_pair *h, ptrdiff_t hole, ptrdiff_t top,
                         struct ft_pair v)
{
    ptrdiff_t parent = (hole - 1) / 2;
    while (hole > top && h[parent].score > v.score) {
        h[hole] = h[parent];
        hole = parent;
        parent = (hole - 1) / 2;
    }
    h[hole] = v;
}

static void heap_adjust(struct ft_pair *h, ptrdiff_t hole, ptrdiff_t len,
                        struct ft_pair v)
{
    const ptrdiff_t top = hole;
    ptrdiff_t child = hole;
    while (child < (len - 1) / 2) {
        child = 2 * (child + 1);
        if (h[child].score > h[child - 1].score)
            child--;
        h[hole] = h[child];
        hole = child;
    }
    if ((len & 1) == 0 && child == (len - 2) / 2) {
        child = 2 * (child + 1);
        h[hole] = h[child - 1];
        hole = child - 1;
    }
    heap_sift_up(h, hole, top, v);
}

static void heap_push(struct ft_pair *h, size_t *n, float score, int32_t i,
                      float raw)
{
    h[*n].score = score;
    h[*n].index = i;
    h[*n].raw = raw;
    (*n)++;
    heap_sift_up(h, (ptrdiff_t)*n - 1, 0, h[*n - 1]);
}

/* pop_heap + pop_back */
static void heap_pop(struct ft_pair *h, size_t *n)
{
    if (*n > 1) {
        ptrdiff_t last = (ptrdiff_t)*n - 1;
        struct ft_pair v = h[last];
        h[last] = h[0];
        heap_adjust(h, 0, last, v);
    }
    (*n)--;
}

static void heap_sort(struct ft_pair *h, size_t n)
{
    ptrdiff_t len = (ptrdiff_t)n;
    while (len > 1) {
        len--;
        struct ft_pair v = h[len];
        h[len] = h[0];
        heap_adjust(h, 0, len, v);
    }
}

static void find_k_best(const float *scores, int32_t osz, size_t k,
                        float threshold, struct ft_pair *heap, size_t *n)
{
    for (int32_t i = 0; i < osz; i++) {
        if (scores[i] < threshold)
            continue;
        /*
         * Skip the log when p is clearly below the heap minimum: a ratio
         * of (p + 1e-5) values beyond 1 + 4e-6 separates the logs by more
         * than 2 float ulps (|log| < 16), so fastText's own test
         * (log < minimum) is certainly true; closer values take the exact
         * path, ties included.
         */
        if (*n == k && (double)scores[i] + 1e-5 <
                           ((double)heap[0].raw + 1e-5) * (1.0 - 4e-6))
            continue;
        float s = std_log(scores[i]);
        if (*n == k && s < heap[0].score)
            continue;
        heap_push(heap, n, s, i, scores[i]);
        if (*n > k)
            heap_pop(heap, n);
    }
}

static void predict_hs(const struct th_fasttext *ft,
                       struct th_fasttext_state *st, size_t k,
                       float threshold, size_t *n)
{
    const int32_t osz = ft->info.n_labels;
    const float min_score = std_log(threshold);
    struct ft_visit *stack = st->stack;
    size_t depth = 0;
    stack[depth++] = (struct ft_visit){ 2 * osz - 2, 0.0f };
    while (depth > 0) {
        struct ft_visit v = stack[--depth];
        if (v.score < min_score)
            continue;
        if (*n == k && v.score < st->heap[0].score)
            continue;
        int32_t left = ft->tree_left[v.node];
        int32_t right = ft->tree_right[v.node];
        if (left == -1 && right == -1) {
            heap_push(st->heap, n, v.score, v.node, 0.0f);
            if (*n > k)
                heap_pop(st->heap, n);
            continue;
        }
        float f = dot_row(ft, st->hidden, v.node - osz);
        f = (float)(1. / (double)(1.0f + expf(-f)));
        stack[depth++] = (struct ft_visit){
            right, v.score + std_log(f) };
        stack[depth++] = (struct ft_visit){
            left, v.score + std_log((float)(1.0 - (double)f)) };
    }
}

static float table_sigmoid(const struct th_fasttext *ft, float x)
{
    if (isnan(x))
        return 0.0f;  /* only from a corrupt model; fastText would throw */
    if (x < -FT_MAX_SIGMOID)
        return 0.0f;
    if (x > FT_MAX_SIGMOID)
        return 1.0f;
    int64_t i = (int64_t)((x + FT_MAX_SIGMOID) * FT_SIGMOID_TABLE /
                          FT_MAX_SIGMOID / 2);
    return ft->sigmoid[i];
}

int th_fasttext_predict(const struct th_fasttext *ft,
                        struct th_fasttext_state *st, const char *text,
                        size_t len, int32_t k, float threshold,
                        unsigned flags, struct th_fasttext_prediction *out,
                        size_t *n_out, size_t *consumed_out,
                        struct th_error *err)
{
    *n_out = 0;
    size_t consumed = 0;
    if (line_features(ft, st, text, len, flags, &consumed) < 0)
        return th_error_set(err, TH_ENOMEM,
                            "out of memory building line features");
    if (consumed_out)
        *consumed_out = consumed;
    if (st->n_total == 0)
        return 0;
    if (ft->info.model != 3)
        return th_error_set(err, TH_EINVAL,
                            "model needs to be supervised for prediction");
    const int32_t osz = ft->info.n_labels;
    if (k == -1)
        k = ft->info.loss == TH_FASTTEXT_LOSS_HS ? (int32_t)ft->output.m
                                                 : osz;
    else if (k <= 0)
        return th_error_set(err, TH_EINVAL, "k needs to be 1 or higher");
    const float scale = (float)(1.0 / (double)st->n_total);
    for (int32_t j = 0; j < ft->info.dim; j++)
        st->hidden[j] *= scale;
    size_t n = 0;
    size_t kk = (size_t)k;
    if (ft->info.loss == TH_FASTTEXT_LOSS_HS) {
        predict_hs(ft, st, kk, threshold, &n);
    } else {
        float *scores = st->scores;
        for (int32_t i = 0; i < osz; i++)
            scores[i] = dot_row(ft, st->hidden, i);
        if (ft->info.loss == TH_FASTTEXT_LOSS_SOFTMAX) {
            float max = scores[0], z = 0.0f;
            for (int32_t i = 0; i < osz; i++)
                max = scores[i] > max ? scores[i] : max;
            for (int32_t i = 0; i < osz; i++) {
                scores[i] = (float)exp((double)(scores[i] - max));
                z += scores[i];
            }
            for (int32_t i = 0; i < osz; i++)
                scores[i] /= z;
        } else {
            for (int32_t i = 0; i < osz; i++)
                scores[i] = table_sigmoid(ft, scores[i]);
        }
        find_k_best(scores, osz, kk, threshold, st->heap, &n);
    }
    heap_sort(st->heap, n);
    for (size_t i = 0; i < n; i++) {
        out[i].label = st->heap[i].index;
        out[i].prob = expf(st->heap[i].score);
    }
    *n_out = n;
    return 0;
}

int th_fasttext_format_prob(char *out, size_t cap, float prob)
{
    return snprintf(out, cap, "%g", (double)prob);
}
