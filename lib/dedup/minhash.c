/*
 * MinHash signatures and LSH band hashes over word n-gram shingles.
 *
 * Approach: each word of the simplified text (th_dedup_simplify() leaves
 * words separated by single spaces) is hashed once with XXH3-64; a shingle
 * (ngram consecutive words) is an order-sensitive multiply-xorshift
 * combination of its word hashes, so each byte is hashed once instead of
 * ngram times. The shingle hash is folded to 32 bits z. Signature value
 * i is the minimum over shingles of fmix32(z ^ seed_i), the MurmurHash3
 * finalizer: a bijection of 32-bit words with full avalanche, so each seed
 * gives an independent-looking random permutation. Values are 32 bits, as in
 * datatrove; the 64-bit hash is folded first because a pair of 64-bit
 * multiplies per value (the (a*x+b) mod p family) is three times slower and
 * does not vectorize on AVX2.
 *
 * Speed: the inner loop runs over 16 values at a time with a constant trip
 * count, so compilers turn it into vector code without an epilogue; it is
 * compiled twice, once for the base ISA and once with the avx2 target
 * attribute, and th_minhash_new() picks one with __builtin_cpu_supports.
 * The signature is padded to a multiple of 16 internally.
 *
 * Rejected: one-permutation hashing with densification (one hash per
 * shingle, O(1) per shingle) - faster, but its estimates are poorer for
 * short documents, which dominate web crawls, and it is not what the
 * FineWeb recipe this module reproduces does.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/dedup.h"
#include "banned.h"

#define LANES 16
#define MAX_HASHES 4096

typedef void (*sign_fn)(const uint32_t *seeds, size_t n_padded,
                        const uint64_t *shingles, size_t n, uint32_t *mins);

struct th_minhash {
    struct th_minhash_params params; /* geometry and seed */
    size_t n_hashes;                 /* n_bands * n_rows */
    size_t n_padded;                 /* n_hashes rounded up to LANES */
    uint32_t *seeds;                 /* n_padded xor seeds */
    sign_fn sign;                    /* best kernel for this CPU */
};

void th_minhash_params_default(struct th_minhash_params *params)
{
    params->n_bands = 14;
    params->n_rows = 8;
    params->ngram = 5;
    params->seed = 1;
}

double th_minhash_candidate_probability(double s, unsigned n_bands,
                                        unsigned n_rows)
{
    return 1.0 - pow(1.0 - pow(s, (double)n_rows), (double)n_bands);
}

void th_minhash_choose_bands(double threshold, unsigned n_hashes,
                             unsigned *n_bands_out, unsigned *n_rows_out)
{
    /*
     * Candidates are cheap to reject (verification), missed pairs are lost
     * for good: among the geometries that make a pair at exactly the
     * threshold a candidate with probability >= 0.92, take the one with the
     * smallest false-positive area below the threshold. For 0.8 and 112
     * values this is the FineWeb geometry, 14 x 8. (datasketch weighs both
     * errors equally and picks 9 x 12, which finds only 79% of the pairs at
     * 0.8.) When no geometry reaches 0.92, the one with the highest
     * probability at the threshold wins.
     */
    const double min_p = 0.92;
    double best_fp = INFINITY, best_p = -1;
    unsigned best_b = 1, best_r = 1;
    for (unsigned b = 1; b <= n_hashes; b++) {
        for (unsigned r = 1; r <= n_hashes / b; r++) {
            double p = th_minhash_candidate_probability(threshold, b, r);
            if (p < min_p) {
                if (best_fp == INFINITY && p > best_p) {
                    best_p = p;
                    best_b = b;
                    best_r = r;
                }
                continue;
            }
            double fp = 0;
            const int steps = 200;
            for (int k = 0; k < steps; k++)
                fp += th_minhash_candidate_probability(
                          threshold * (k + 0.5) / steps, b, r);
            fp *= threshold / steps;
            if (fp < best_fp - 1e-12) {
                best_fp = fp;
                best_b = b;
                best_r = r;
            }
        }
    }
    *n_bands_out = best_b;
    *n_rows_out = best_r;
}

static inline uint32_t fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static inline uint32_t fold(uint64_t h)
{
    return (uint32_t)h ^ ((uint32_t)(h >> 32) * 0x9e3779b1u);
}

static void sign_generic(const uint32_t *seeds, size_t n_padded,
                         const uint64_t *shingles, size_t n, uint32_t *mins)
{
    for (size_t s = 0; s < n; s++) {
        uint32_t z = fold(shingles[s]);
        for (size_t c = 0; c < n_padded; c += LANES) {
            const uint32_t *sd = seeds + c;
            uint32_t *m = mins + c;
            for (int j = 0; j < LANES; j++) {
                uint32_t v = fmix32(z ^ sd[j]);
                m[j] = v < m[j] ? v : m[j];
            }
        }
    }
}

/* 8 lanes of 32 bits: two of these cover LANES (GCC/clang vector type) */
typedef uint32_t v8u __attribute__((vector_size(32)));

/*
 * The same computation with vector types; with the avx2 target each v8u
 * operation is one instruction (vpmulld, vpsrld, vpminud after combining
 * the compare-and-blend).
 */
__attribute__((target("avx2")))
static void sign_avx2(const uint32_t *seeds, size_t n_padded,
                      const uint64_t *shingles, size_t n, uint32_t *mins)
{
    for (size_t c = 0; c < n_padded; c += LANES) {
        v8u m0, m1, s0, s1;
        memcpy(&m0, mins + c, sizeof(m0));
        memcpy(&m1, mins + c + 8, sizeof(m1));
        memcpy(&s0, seeds + c, sizeof(s0));
        memcpy(&s1, seeds + c + 8, sizeof(s1));
        for (size_t s = 0; s < n; s++) {
            uint32_t z = fold(shingles[s]);
            v8u h0 = s0 ^ z, h1 = s1 ^ z;
            h0 ^= h0 >> 16;
            h1 ^= h1 >> 16;
            h0 *= 0x85ebca6bu;
            h1 *= 0x85ebca6bu;
            h0 ^= h0 >> 13;
            h1 ^= h1 >> 13;
            h0 *= 0xc2b2ae35u;
            h1 *= 0xc2b2ae35u;
            h0 ^= h0 >> 16;
            h1 ^= h1 >> 16;
            v8u k0 = (v8u)(h0 < m0), k1 = (v8u)(h1 < m1);
            m0 = (h0 & k0) | (m0 & ~k0);
            m1 = (h1 & k1) | (m1 & ~k1);
        }
        memcpy(mins + c, &m0, sizeof(m0));
        memcpy(mins + c + 8, &m1, sizeof(m1));
    }
}

/* 16 lanes of 32 bits: one zmm register with AVX-512 */
typedef uint32_t v16u __attribute__((vector_size(64)));

__attribute__((target("avx512f")))
static void sign_avx512(const uint32_t *seeds, size_t n_padded,
                        const uint64_t *shingles, size_t n, uint32_t *mins)
{
    for (size_t c = 0; c < n_padded; c += LANES) {
        v16u m, sd;
        memcpy(&m, mins + c, sizeof(m));
        memcpy(&sd, seeds + c, sizeof(sd));
        for (size_t s = 0; s < n; s++) {
            v16u h = sd ^ fold(shingles[s]);
            h ^= h >> 16;
            h *= 0x85ebca6bu;
            h ^= h >> 13;
            h *= 0xc2b2ae35u;
            h ^= h >> 16;
            v16u k = (v16u)(h < m);
            m = (h & k) | (m & ~k);
        }
        memcpy(mins + c, &m, sizeof(m));
    }
}

int th_minhash_new(struct th_minhash **out,
                   const struct th_minhash_params *params,
                   struct th_error *err)
{
    if (!params->n_bands || !params->n_rows || !params->ngram ||
        params->ngram > 64 ||
        (size_t)params->n_bands * params->n_rows > MAX_HASHES)
        return th_error_set(err, TH_EINVAL,
                            "bad minhash geometry %u bands x %u rows, "
                            "%u-grams", params->n_bands, params->n_rows,
                            params->ngram);
    struct th_minhash *mh = calloc(1, sizeof(*mh));
    if (!mh)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    mh->params = *params;
    mh->n_hashes = (size_t)params->n_bands * params->n_rows;
    mh->n_padded = (mh->n_hashes + LANES - 1) / LANES * LANES;
    mh->seeds = malloc(mh->n_padded * sizeof(*mh->seeds));
    if (!mh->seeds) {
        free(mh);
        return th_error_set(err, TH_ENOMEM, "out of memory");
    }
    /* splitmix64 stream from the seed */
    uint64_t x = params->seed;
    for (size_t i = 0; i < mh->n_padded; i++) {
        x += 0x9e3779b97f4a7c15ull;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        mh->seeds[i] = (uint32_t)(z ^ (z >> 31));
    }
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        mh->sign = sign_avx512;
    else if (__builtin_cpu_supports("avx2"))
        mh->sign = sign_avx2;
    else
        mh->sign = sign_generic;
    *out = mh;
    return 0;
}

void th_minhash_free(struct th_minhash *minhash)
{
    if (!minhash)
        return;
    free(minhash->seeds);
    free(minhash);
}

const struct th_minhash_params *th_minhash_params(
    const struct th_minhash *minhash)
{
    return &minhash->params;
}

size_t th_minhash_n_hashes(const struct th_minhash *minhash)
{
    return minhash->n_hashes;
}

uint64_t th_minhash_fingerprint(const struct th_minhash *minhash)
{
    const struct th_minhash_params *p = &minhash->params;
    uint64_t v[4] = {p->n_bands, p->n_rows, p->ngram, p->seed};
    return th_hash64(v, sizeof(v), 0x6d696e68617368);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * Order-sensitive combination of the n word hashes ending at ring index
 * last (ring of 64): a sum of products with one odd constant per position,
 * (2k+1) * golden ratio (independent multiplies), then the murmur3 64-bit
 * finalizer.
 */
static inline uint64_t combine(const uint64_t *ring, size_t last, unsigned n)
{
    uint64_t h = n;
    uint64_t c = 0x9e3779b97f4a7c15ull;
    for (unsigned k = 0; k < n; k++) {
        h += ring[(last - k) & 63] * c;
        c += 2 * 0x9e3779b97f4a7c15ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

int th_minhash_shingles(const struct th_minhash *minhash, const char *text,
                        size_t len, bool sort_unique, struct th_buf *out)
{
    unsigned ngram = minhash->params.ngram;
    size_t first = out->len;
    /* hashes of the last ngram words, as a ring */
    uint64_t ring[64];
    size_t n_words = 0;
    size_t i = 0;
    /* one shingle per word at most: reserve once */
    int rc = th_buf_reserve(out, (len / 2 + 2) * sizeof(uint64_t));
    if (rc < 0)
        return rc;
    uint64_t *o = (uint64_t *)(void *)(out->ptr + out->len);
    while (i < len) {
        const char *sp = memchr(text + i, ' ', len - i);
        size_t e = sp ? (size_t)(sp - text) : len;
        ring[n_words & 63] = th_hash64(text + i, e - i, 0x776f7264);
        if (n_words + 1 >= ngram)
            *o++ = combine(ring, n_words, ngram);
        n_words++;
        i = e + 1;
    }
    if (n_words > 0 && n_words < ngram)
        *o++ = combine(ring, n_words - 1, (unsigned)n_words);
    out->len = (size_t)((char *)o - out->ptr);
    out->ptr[out->len] = '\0';
    if (sort_unique) {
        uint64_t *v = (uint64_t *)(void *)(out->ptr + first);
        size_t n = (out->len - first) / sizeof(uint64_t);
        if (n > 1) {
            qsort(v, n, sizeof(*v), cmp_u64);
            size_t m = 1;
            for (size_t k = 1; k < n; k++)
                if (v[k] != v[m - 1])
                    v[m++] = v[k];
            out->len = first + m * sizeof(uint64_t);
        }
    }
    return 0;
}

void th_minhash_sign(const struct th_minhash *minhash, const uint64_t *shingles,
                     size_t n, uint32_t *sig_out)
{
    uint32_t mins[MAX_HASHES];
    for (size_t i = 0; i < minhash->n_padded; i++)
        mins[i] = UINT32_MAX;
    minhash->sign(minhash->seeds, minhash->n_padded, shingles, n, mins);
    memcpy(sig_out, mins, minhash->n_hashes * sizeof(*sig_out));
}

void th_minhash_bands(const struct th_minhash *minhash, const uint32_t *sig,
                      uint64_t *bands_out)
{
    unsigned rows = minhash->params.n_rows;
    for (unsigned b = 0; b < minhash->params.n_bands; b++) {
        uint64_t h = th_hash64(sig + (size_t)b * rows, rows * sizeof(*sig),
                               0x62616e64 + b);
        bands_out[b] = h ? h : 1;
    }
}

double th_minhash_estimate(const uint32_t *a, const uint32_t *b, size_t n)
{
    if (!n)
        return 0;
    size_t eq = 0;
    for (size_t i = 0; i < n; i++)
        eq += a[i] == b[i];
    return (double)eq / (double)n;
}

double th_jaccard_sorted(const uint64_t *a, size_t n_a, const uint64_t *b,
                         size_t n_b)
{
    if (!n_a && !n_b)
        return 1.0;
    size_t i = 0, j = 0, inter = 0;
    while (i < n_a && j < n_b) {
        if (a[i] < b[j]) {
            i++;
        } else if (a[i] > b[j]) {
            j++;
        } else {
            inter++;
            i++;
            j++;
        }
    }
    return (double)inter / (double)(n_a + n_b - inter);
}
