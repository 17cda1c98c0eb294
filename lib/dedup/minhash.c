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
 * Speed: the signature is padded to a multiple of 16 values. Kernels for
 * AVX-512 and AVX2 (intrinsics in functions with a target attribute, so
 * the file builds for the base ISA) keep 16 running minima in registers
 * over a block of 256 folded shingle hashes; th_minhash_new() picks one
 * with __builtin_cpu_supports, and a portable C loop is the fallback.
 * Every kernel computes the same values, so signatures do not depend on
 * the CPU (checked by the tests).
 *
 * Rejected: one-permutation hashing with densification (one hash per
 * shingle, O(1) per shingle) - faster, but its estimates are poorer for
 * short documents, which dominate web crawls, and it is not what the
 * FineWeb recipe this module reproduces does.
 */
#if defined(__x86_64__) || defined(__i386__)
#define MINHASH_X86 1
#include <immintrin.h>
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "thresh/dedup.h"
#include "sort_u64.h"
#include "../core/banned.h"

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
    params->portable = false;
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

#define ZBLOCK 256

#ifdef MINHASH_X86
/*
 * AVX2: 16 values are two ymm registers kept across a block of up to 256
 * folded shingle hashes; per shingle and register: xor, the fmix32 steps
 * (3 shift-xor, 2 vpmulld) and one vpminud.
 */
__attribute__((target("avx2")))
static void sign_avx2(const uint32_t *seeds, size_t n_padded,
                      const uint64_t *shingles, size_t n, uint32_t *mins)
{
    uint32_t z[ZBLOCK];
    const __m256i c1 = _mm256_set1_epi32((int)0x85ebca6bu);
    const __m256i c2 = _mm256_set1_epi32((int)0xc2b2ae35u);
    for (size_t s0 = 0; s0 < n; s0 += ZBLOCK) {
        size_t nz = n - s0 < ZBLOCK ? n - s0 : ZBLOCK;
        for (size_t k = 0; k < nz; k++)
            z[k] = fold(shingles[s0 + k]);
        for (size_t c = 0; c < n_padded; c += LANES) {
            __m256i m0 = _mm256_loadu_si256((const void *)(mins + c));
            __m256i m1 = _mm256_loadu_si256((const void *)(mins + c + 8));
            const __m256i d0 = _mm256_loadu_si256((const void *)(seeds + c));
            const __m256i d1 =
                _mm256_loadu_si256((const void *)(seeds + c + 8));
            for (size_t k = 0; k < nz; k++) {
                __m256i x = _mm256_set1_epi32((int)z[k]);
                __m256i h0 = _mm256_xor_si256(x, d0);
                __m256i h1 = _mm256_xor_si256(x, d1);
                h0 = _mm256_xor_si256(h0, _mm256_srli_epi32(h0, 16));
                h1 = _mm256_xor_si256(h1, _mm256_srli_epi32(h1, 16));
                h0 = _mm256_mullo_epi32(h0, c1);
                h1 = _mm256_mullo_epi32(h1, c1);
                h0 = _mm256_xor_si256(h0, _mm256_srli_epi32(h0, 13));
                h1 = _mm256_xor_si256(h1, _mm256_srli_epi32(h1, 13));
                h0 = _mm256_mullo_epi32(h0, c2);
                h1 = _mm256_mullo_epi32(h1, c2);
                h0 = _mm256_xor_si256(h0, _mm256_srli_epi32(h0, 16));
                h1 = _mm256_xor_si256(h1, _mm256_srli_epi32(h1, 16));
                m0 = _mm256_min_epu32(m0, h0);
                m1 = _mm256_min_epu32(m1, h1);
            }
            _mm256_storeu_si256((void *)(mins + c), m0);
            _mm256_storeu_si256((void *)(mins + c + 8), m1);
        }
    }
}

/* AVX-512: the same with one zmm register per 16 values. */
__attribute__((target("avx512f")))
static void sign_avx512(const uint32_t *seeds, size_t n_padded,
                        const uint64_t *shingles, size_t n, uint32_t *mins)
{
    uint32_t z[ZBLOCK];
    const __m512i c1 = _mm512_set1_epi32((int)0x85ebca6bu);
    const __m512i c2 = _mm512_set1_epi32((int)0xc2b2ae35u);
    for (size_t s0 = 0; s0 < n; s0 += ZBLOCK) {
        size_t nz = n - s0 < ZBLOCK ? n - s0 : ZBLOCK;
        for (size_t k = 0; k < nz; k++)
            z[k] = fold(shingles[s0 + k]);
        for (size_t c = 0; c < n_padded; c += LANES) {
            __m512i m = _mm512_loadu_si512((const void *)(mins + c));
            const __m512i d = _mm512_loadu_si512((const void *)(seeds + c));
            for (size_t k = 0; k < nz; k++) {
                __m512i h = _mm512_xor_si512(_mm512_set1_epi32((int)z[k]), d);
                h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 16));
                h = _mm512_mullo_epi32(h, c1);
                h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 13));
                h = _mm512_mullo_epi32(h, c2);
                h = _mm512_xor_si512(h, _mm512_srli_epi32(h, 16));
                m = _mm512_min_epu32(m, h);
            }
            _mm512_storeu_si512((void *)(mins + c), m);
        }
    }
}

#endif /* MINHASH_X86 */

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
    mh->sign = sign_generic;
#ifdef MINHASH_X86
    __builtin_cpu_init();
    if (params->portable)
        mh->sign = sign_generic;
    else if (__builtin_cpu_supports("avx512f"))
        mh->sign = sign_avx512;
    else if (__builtin_cpu_supports("avx2"))
        mh->sign = sign_avx2;
#endif
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

/*
 * Hash of one word of n bytes with avail >= n bytes readable at p. Words of
 * up to 16 bytes (nearly all) are read as two little-endian 64-bit words,
 * masked to n bytes, and mixed with one 64x64->128-bit multiply (the
 * wyhash construction); the rest go to XXH3. About twice as fast as XXH3
 * on short words, whose length dispatch dominated.
 */
static inline uint64_t word_hash(const char *p, size_t n, size_t avail)
{
    if (n > 16)
        return XXH3_64bits_withSeed(p, n, 0x776f7264);
    uint64_t a, b;
    if (avail >= 16) {
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
    } else {
        char buf[16] = {0};
        memcpy(buf, p, n);
        memcpy(&a, buf, 8);
        memcpy(&b, buf + 8, 8);
    }
    if (n < 8) {
        a &= (1ull << (8 * n)) - 1;
        b = 0;
    } else if (n < 16) {
        b &= n == 8 ? 0 : (1ull << (8 * (n - 8))) - 1;
    }
    unsigned __int128 m = (unsigned __int128)(a ^ 0xa0761d6478bd642full) *
                          (b ^ 0xe7037ed1a0b428dbull ^ n);
    return (uint64_t)m ^ (uint64_t)(m >> 64);
}

/* High bit of each byte of x that equals ' ' (exact, no false hits). */
static inline uint64_t space_bytes(uint64_t x)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
    uint64_t y = x ^ 0x2020202020202020ull;
    uint64_t t = (y & low7) + low7;
    return ~(t | y | low7);
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
    /*
     * Word boundaries eight bytes at a time (SWAR): one mispredicted
     * branch per 8 bytes instead of one per word. The last chunk is padded
     * with spaces, which end the last word and add only empty words.
     */
    size_t start = 0;
    for (i = 0; i < len; i += 8) {
        uint64_t x;
        if (i + 8 <= len) {
            memcpy(&x, text + i, 8);
        } else {
            char pad[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
            memcpy(pad, text + i, len - i);
            memcpy(&x, pad, 8);
        }
        for (uint64_t m = space_bytes(x); m; m &= m - 1) {
            size_t pos = i + (size_t)__builtin_ctzll(m) / 8;
            if (pos > start) {
                ring[n_words & 63] = word_hash(text + start, pos - start,
                                               len - start);
                if (n_words + 1 >= ngram)
                    *o++ = combine(ring, n_words, ngram);
                n_words++;
            }
            start = pos + 1;
        }
    }
    if (start < len) {
        ring[n_words & 63] = word_hash(text + start, len - start,
                                       len - start);
        if (n_words + 1 >= ngram)
            *o++ = combine(ring, n_words, ngram);
        n_words++;
    }
    if (n_words > 0 && n_words < ngram)
        *o++ = combine(ring, n_words - 1, (unsigned)n_words);
    out->len = (size_t)((char *)o - out->ptr);
    out->ptr[out->len] = '\0';
    if (sort_unique) {
        size_t n = (out->len - first) / sizeof(uint64_t);
        /* scratch for the radix sort: the room after the shingles */
        if (n > 1 && th_buf_reserve(out, n * sizeof(uint64_t)) == 0) {
            uint64_t *v = (uint64_t *)(void *)(out->ptr + first);
            out->len = first + th_dedup_sort_unique_u64(v, v + n, n) *
                                   sizeof(uint64_t);
        } else if (n > 1) {
            uint64_t *v = (uint64_t *)(void *)(out->ptr + first);
            out->len = first + th_dedup_sort_unique_u64(v, NULL, n) *
                                   sizeof(uint64_t);
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
