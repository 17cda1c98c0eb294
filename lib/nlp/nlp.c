/*
 * nlp.c: the public face of the NLTK-compatible tokenizers, plus the code
 * point classes both halves share.
 *
 * What: th_nlp_new/free, th_nlp_word_tokenize, th_nlp_sent_tokenize and
 * th_nlp_count_sentences. The work is in punkt.c (sentence boundaries) and
 * treebank.c (NLTKWordTokenizer); this file glues them and copies results
 * into the caller's arena.
 *
 * Character classes: NLTK runs Python regular expressions over str, so
 * "whitespace", "word character", "digit", "upper case" mean Python 3.11's
 * str.isspace, re's Unicode \w and \d, and str.isupper/islower. ASCII is a
 * 128-entry table; other code points go to utf8proc (Unicode 15 in Debian
 * 12; NLTK's reference ran Unicode 14, which differs only in code points
 * assigned in 15) plus the short fixed lists Python adds (the whitespace
 * set, Other_Uppercase / Other_Lowercase).
 *
 * Non-ASCII classes are looked up in a 64 KiB table of the BMP built once
 * (pthread_once) by the first th_nlp_new(), and so are the BMP's simple
 * lowercase mappings (256 KiB, instead of a utf8proc_tolower() call per
 * code point); every caller holds a th_nlp, so the tables are complete
 * before any lookup.
 *
 * Memory: tokens th_nlp_word_tokenize leaves as they are point into an
 * arena copy of the text (padded: TH_NLP_WORD_PAD readable bytes after
 * every token), rewritten ones go to small arena "spill" blocks, and the
 * slice array is built in the arena, sized from the text's length (texts
 * over 1 MiB: on the heap, copied to the arena at the end). Scratch
 * strings are heap buffers owned by one call. The copy is made by
 * nlp_copy_scan(), which in the same pass marks Punkt's candidate
 * characters '.' '?' '!' in a bit map (Punkt then skips from bit to bit
 * instead of scanning the text again) and looks for the separators
 * 0x1c-0x1f (session 7: ~3% of the time). Rejected: one
 * th_arena_memdup per token
 * (16-byte rounding per token doubles the arena use of short words); a
 * copy of every token's bytes (a memcpy call per token, ~10% of the time).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__SSE2__) && defined(__GNUC__) && \
    (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#endif

#include "nlp_internal.h"
#include "../core/banned.h"

#define S NLP_SPACE
#define W NLP_WORD
#define D (NLP_WORD | NLP_DIGIT)
#define U (NLP_WORD | NLP_UPPER)
#define L (NLP_WORD | NLP_LOWER)
const uint8_t nlp_ascii_class[128] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, S, S, S, S, S, 0, 0,          /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, S, S, S, S,          /* 0x10 */
    S, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,          /* 0x20 */
    D, D, D, D, D, D, D, D, D, D, 0, 0, 0, 0, 0, 0,          /* 0x30 */
    0, U, U, U, U, U, U, U, U, U, U, U, U, U, U, U,          /* 0x40 */
    U, U, U, U, U, U, U, U, U, U, U, 0, 0, 0, 0, W,          /* 0x50 */
    0, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,          /* 0x60 */
    L, L, L, L, L, L, L, L, L, L, L, 0, 0, 0, 0, 0,          /* 0x70 */
};
#undef S
#undef W
#undef D
#undef U
#undef L

/* A closed range of code points. */
struct nlp_range {
    uint32_t lo;   /* first code point */
    uint32_t hi;   /* last code point */
};

/* Python's Other_Uppercase code points (Unicode 14). */
static const struct nlp_range other_upper[] = {
    {0x2160, 0x216f}, {0x24b6, 0x24cf}, {0x1f130, 0x1f149},
    {0x1f150, 0x1f169}, {0x1f170, 0x1f189},
};

/* Python's Other_Lowercase code points (Unicode 14). */
static const struct nlp_range other_lower[] = {
    {0x00aa, 0x00aa}, {0x00ba, 0x00ba}, {0x02b0, 0x02b8}, {0x02c0, 0x02c1},
    {0x02e0, 0x02e4}, {0x0345, 0x0345}, {0x037a, 0x037a}, {0x10fc, 0x10fc},
    {0x1d2c, 0x1d6a}, {0x1d78, 0x1d78}, {0x1d9b, 0x1dbf}, {0x2071, 0x2071},
    {0x207f, 0x207f}, {0x2090, 0x209c}, {0x2170, 0x217f}, {0x24d0, 0x24e9},
    {0x2c7c, 0x2c7d}, {0xa69c, 0xa69d}, {0xa770, 0xa770}, {0xa7f8, 0xa7f9},
    {0xab5c, 0xab5f},
};

static bool in_ranges(const struct nlp_range *r, size_t n, uint32_t cp)
{
    for (size_t i = 0; i < n; i++)
        if (cp >= r[i].lo && cp <= r[i].hi)
            return true;
    return false;
}

static bool is_space_slow(uint32_t cp)
{
    return cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* Class bits of every BMP code point, filled once by th_nlp_new(). */
static uint8_t bmp_class[0x10000];
/* utf8proc_tolower() of every BMP code point, filled with bmp_class. */
static uint32_t bmp_lower[0x10000];
static pthread_once_t bmp_once = PTHREAD_ONCE_INIT;

static unsigned class_of_uncached(uint32_t cp);

bool nlp_vbmi2 = false;

#ifdef __SSE2__
enum nlp_simd_level nlp_simd = NLP_SIMD_SSE2;
#else
enum nlp_simd_level nlp_simd = NLP_SIMD_NONE;
#endif

static void bmp_init(void)
{
#if NLP_HAVE_AVX512
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512bw"))
        nlp_simd = NLP_SIMD_AVX512;
    nlp_vbmi2 = nlp_simd == NLP_SIMD_AVX512 &&
                __builtin_cpu_supports("avx512vbmi2") &&
                __builtin_cpu_supports("avx512vbmi");
    nlp_vbmi_init();
#endif
    for (uint32_t cp = 0; cp < 0x10000; cp++) {
        bmp_class[cp] = (uint8_t)(cp < 0x80 ? nlp_ascii_class[cp]
                                            : class_of_uncached(cp));
        bmp_lower[cp] = (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
    }
}

unsigned nlp_class_of_slow(uint32_t cp)
{
    if (cp < 0x10000)
        return bmp_class[cp];
    return class_of_uncached(cp);
}

static unsigned class_of_uncached(uint32_t cp)
{
    if (cp >= 0x110000)
        return 0;
    if (is_space_slow(cp))
        return NLP_SPACE;
    unsigned bits = 0;
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_LU:
        bits = NLP_WORD | NLP_UPPER;
        break;
    case UTF8PROC_CATEGORY_LL:
        bits = NLP_WORD | NLP_LOWER;
        break;
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        bits = NLP_WORD;
        break;
    case UTF8PROC_CATEGORY_ND:
        bits = NLP_WORD | NLP_DIGIT;
        break;
    default:
        break;
    }
    if (in_ranges(other_upper, sizeof(other_upper) / sizeof(other_upper[0]),
                  cp))
        bits |= NLP_UPPER;
    if (in_ranges(other_lower, sizeof(other_lower) / sizeof(other_lower[0]),
                  cp))
        bits |= NLP_LOWER;
    return bits;
}

uint32_t nlp_tolower(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    if (cp < 0x10000)
        return bmp_lower[cp];
    if (cp >= 0x110000)
        return cp;
    return (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
}

size_t nlp_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp >= 0x110000) {
        o[0] = (unsigned char)(cp - 0x110000);
        return 1;
    }
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

int nlp_str_reserve(struct nlp_str *s, size_t extra)
{
    if (s->cap - s->len >= extra)
        return 0;
    if (extra > SIZE_MAX / 4 - s->len)
        return TH_ENOMEM;
    size_t cap = s->cap ? s->cap : 256;
    while (cap - s->len < extra)
        cap *= 2;
    char *p;
    if (s->ptr && s->ptr == s->fixed) {
        p = malloc(cap);
        if (p)
            memcpy(p, s->ptr, s->len);
    } else {
        p = realloc(s->ptr, cap);
    }
    if (!p)
        return TH_ENOMEM;
    s->ptr = p;
    s->cap = cap;
    return 0;
}

void nlp_str_release(struct nlp_str *s)
{
    if (s->ptr != s->fixed)
        free(s->ptr);
    s->ptr = NULL;
    s->len = s->cap = 0;
}

/* The rest of th_nlp_new_opts() once nlp->params is set. */
static int nlp_finish(struct th_nlp *nlp, struct th_nlp **out,
                      struct th_error *err)
{
    nlp->collapse_space = false;
    nlp->pad_dashes = false;
    if (nlp_punkt_prepare(nlp) < 0) {
        th_nlp_free(nlp);
        return th_error_set(err, TH_ENOMEM, "out of memory");
    }
    *out = nlp;
    return 0;
}

int th_nlp_new_opts(struct th_nlp **out, const struct th_nlp_options *opts,
                    struct th_error *err)
{
    *out = NULL;
    const char *language = opts && opts->language ? opts->language
                                                  : "english";
    const char *punkt = opts && opts->punkt ? opts->punkt : "auto";
    bool english = !strcmp(language, "english");
    bool builtin = !strcmp(punkt, "builtin");
    bool search = !strcmp(punkt, "auto") || !strcmp(punkt, "nltk");
    if (builtin && !english)
        return th_error_set(err, TH_EINVAL, "the built-in Punkt parameters "
                            "are English only, not '%s'", language);
    if (pthread_once(&bmp_once, bmp_init) != 0)
        return th_error_set(err, TH_ENOMEM, "cannot build class table");
    struct th_nlp *nlp = calloc(1, sizeof(*nlp));
    if (!nlp)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    if (opts && opts->punkt_json) {
        int rc = nlp_punkt_parse("(memory)", opts->punkt_json,
                                 opts->punkt_json_len, &nlp->loaded, err);
        if (rc < 0) {
            th_nlp_free(nlp);
            return rc;
        }
        snprintf(nlp->source, sizeof(nlp->source), "memory");
        nlp->params = nlp_punkt_loaded_params(nlp->loaded);
        return nlp_finish(nlp, out, err);
    }
    const char *path = builtin ? NULL : punkt;
    if (search)
        path = nlp_punkt_find(language, nlp->source, sizeof(nlp->source)) == 0
                   ? nlp->source
                   : NULL;
    if (!path && (!english || strcmp(punkt, "auto") != 0) && !builtin) {
        th_nlp_free(nlp);
        const char *env = getenv("THRESH_PUNKT_DIR");
        return th_error_set(err, TH_EINVAL, "no Punkt parameters for "
                            "language '%s' (%s.json in %s; install "
                            "golang-gopkg-neurosnap-sentences.v1-dev or set "
                            "THRESH_PUNKT_DIR)", language, language,
                            env && *env ? env : TH_NLP_PUNKT_DIRS);
    }
    if (path) {
        int rc = nlp_punkt_load(path, &nlp->loaded, err);
        if (rc < 0) {
            th_nlp_free(nlp);
            return rc;
        }
        if (path != nlp->source)
            snprintf(nlp->source, sizeof(nlp->source), "%s", path);
        nlp->params = nlp_punkt_loaded_params(nlp->loaded);
    } else {
        snprintf(nlp->source, sizeof(nlp->source), "builtin");
        nlp->params = &nlp_punkt_english;
    }
    return nlp_finish(nlp, out, err);
}

int th_nlp_new(struct th_nlp **out, const char *language,
               struct th_error *err)
{
    struct th_nlp_options o = {.language = language};
    return th_nlp_new_opts(out, &o, err);
}

const char *th_nlp_punkt_source(const struct th_nlp *nlp)
{
    return nlp->source;
}

void th_nlp_free(struct th_nlp *nlp)
{
    if (nlp) {
        free(nlp->kinds_table.slots);
        free(nlp->ortho_table.slots);
        nlp_punkt_unload(nlp->loaded);
    }
    free(nlp);
}

int nlp_sink_grow(struct nlp_sink *k)
{
    size_t cap = k->cap ? k->cap * 2 : 256;
    if (cap > SIZE_MAX / sizeof(*k->toks))
        return TH_ENOMEM;
    struct th_slice *t;
    if (k->toks_in_arena) {
        /* the old array stays in the arena, unused: growth is rare */
        t = th_arena_alloc(k->arena, cap * sizeof(*t));
        if (!t)
            return TH_ELIMIT;
        memcpy(t, k->toks, k->n * sizeof(*t));
    } else {
        t = realloc(k->toks, cap * sizeof(*t));
        if (!t)
            return TH_ENOMEM;
    }
    k->toks = t;
    k->cap = cap;
    return 0;
}

int nlp_sink_copy(struct nlp_sink *k, const char *p, size_t len)
{
    if (len > k->spill_left) {
        size_t room = k->spill_hint < 4096 ? k->spill_hint : 4096;
        if (room < len)
            room = len;
        /* TH_NLP_WORD_PAD bytes after the block's last token */
        k->spill = th_arena_alloc(k->arena, room + TH_NLP_WORD_PAD);
        if (!k->spill) {
            k->spill_left = 0;
            return TH_ELIMIT;
        }
        memset(k->spill + room, 0, TH_NLP_WORD_PAD);
        k->spill_left = room;
    }
    memcpy(k->spill, p, len);
    int rc = nlp_sink_slice(k, k->spill, len);
    k->spill += len;
    k->spill_left -= len;
    return rc;
}

/* Bytes of w equal to b have their high bit set in the result. */
static inline uint64_t bytes_equal(uint64_t w, unsigned char b)
{
    uint64_t x = w ^ (0x0101010101010101ULL * b);
    return (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
}

bool nlp_has_separators(const char *s, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128i fc = _mm_set1_epi8((char)0xfc), sep = _mm_set1_epi8(0x1c);
    for (; i + 64 <= n; i += 64) {
        __m128i m = _mm_setzero_si128();
        for (size_t k = 0; k < 64; k += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)
                                        (s + i + k));
            m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_and_si128(v, fc), sep));
        }
        if (_mm_movemask_epi8(m))
            return true;
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (bytes_equal(w & 0xfcfcfcfcfcfcfcfcULL, 0x1c))
            return true;
    }
    for (; i < n; i++)
        if ((s[i] & 0xfc) == 0x1c)
            return true;
    return false;
}

/* Bytes of w that are zero have their high bit set, and no other. */
static inline uint64_t zero_bytes(uint64_t w)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
    return ~(((w & low7) + low7) | w) & ~low7;
}

static bool copy_scan_bytes(char *dst, const char *src, size_t len,
                            uint64_t *ends)
{
    const uint64_t ones = 0x0101010101010101ULL;
    uint64_t seps = 0;
    size_t i = 0;
    memcpy(dst, src, len);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* eight bytes a step: their high bits gathered into one byte */
    for (; i + 64 <= len; i += 64) {
        uint64_t m = 0;
        for (size_t k = 0; k < 64; k += 8) {
            uint64_t w;
            memcpy(&w, src + i + k, 8);
            uint64_t e = zero_bytes(w ^ (ones * '.')) |
                         zero_bytes(w ^ (ones * '?')) |
                         zero_bytes(w ^ (ones * '!'));
            m |= (((e >> 7) * 0x0102040810204080ULL) >> 56) << k;
            seps |= zero_bytes((w & (ones * 0xfc)) ^ (ones * 0x1c));
        }
        ends[i >> 6] = m;
    }
#endif
    if (i < len)
        ends[i >> 6] = 0;
    for (; i < len; i++) {
        char c = src[i];
        if (c == '.' || c == '?' || c == '!')
            ends[i >> 6] |= (uint64_t)1 << (i & 63);
        seps |= (c & 0xfc) == 0x1c;
    }
    return seps != 0;
}

#ifdef __SSE2__
static bool copy_scan_sse2(char *dst, const char *src, size_t len,
                           uint64_t *ends)
{
    const __m128i dot = _mm_set1_epi8('.'), q = _mm_set1_epi8('?');
    const __m128i ex = _mm_set1_epi8('!');
    const __m128i fc = _mm_set1_epi8((char)0xfc), sep = _mm_set1_epi8(0x1c);
    __m128i seps = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 64 <= len; i += 64) {
        uint64_t m = 0;
        for (int k = 0; k < 64; k += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)
                                        (src + i + k));
            _mm_storeu_si128((__m128i *)(void *)(dst + i + k), v);
            __m128i e = _mm_or_si128(_mm_cmpeq_epi8(v, dot),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, q),
                                                  _mm_cmpeq_epi8(v, ex)));
            m |= (uint64_t)(unsigned)_mm_movemask_epi8(e) << k;
            seps = _mm_or_si128(seps, _mm_cmpeq_epi8(_mm_and_si128(v, fc),
                                                     sep));
        }
        ends[i >> 6] = m;
    }
    bool rest = i < len && copy_scan_bytes(dst + i, src + i, len - i,
                                           ends + (i >> 6));
    return rest || _mm_movemask_epi8(seps) != 0;
}
#endif

#if NLP_HAVE_AVX512
#define EQ(x, b) _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8((char)(b)))
/* x - lo <= span (unsigned): lo <= x <= lo + span */
#define IN(x, lo, span) _mm512_cmple_epu8_mask( \
    _mm512_sub_epi8(x, _mm512_set1_epi8((char)(lo))), \
    _mm512_set1_epi8((char)(span)))

/*
 * Of the lead bytes C2 E1 E2 E3 at lead (the bytes v, the next ones n1,
 * the ones after n2; zero past the text), those of code points no
 * Treebank rewrite touches, as check_cp() in treebank.c decides them:
 * whole and valid, not Python whitespace (U+0085, U+00A0, U+1680,
 * U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000), not a quote NLTK
 * pads (U+00AB, U+00BB, U+2018, U+2019, U+201C-201E), not a dash it
 * pads (U+2012-2015, only with dashes).
 */
__attribute__((target("avx512bw"), always_inline))
static inline uint64_t plain_leads64(__m512i v, __m512i n1, __m512i n2,
                              uint64_t lead, bool dashes)
{
    const __m512i c0 = _mm512_set1_epi8((char)0xc0);
    uint64_t cont1 = EQ(_mm512_and_si512(n1, c0), 0x80);
    uint64_t cont2 = EQ(_mm512_and_si512(n2, c0), 0x80);
    uint64_t c2 = EQ(v, 0xc2);
    uint64_t c2_bad = EQ(n1, 0x85) | EQ(n1, 0xa0) | EQ(n1, 0xab) |
                      EQ(n1, 0xbb);
    uint64_t e2_80 = IN(n2, 0x80, 0x0a) | IN(n2, 0x98, 1) |
                     IN(n2, 0x9c, 2) | EQ(n2, 0xa8) | EQ(n2, 0xa9) |
                     EQ(n2, 0xaf) | (dashes ? IN(n2, 0x92, 3) : 0);
    uint64_t e_bad = (EQ(v, 0xe1) & EQ(n1, 0x9a) & EQ(n2, 0x80)) |
                     (EQ(v, 0xe2) & ((EQ(n1, 0x80) & e2_80) |
                                     (EQ(n1, 0x81) & EQ(n2, 0x9f)))) |
                     (EQ(v, 0xe3) & EQ(n1, 0x80) & EQ(n2, 0x80));
    return (lead & c2 & cont1 & ~c2_bad) |
           (lead & ~c2 & cont1 & cont2 & ~e_bad);
}
#undef EQ
#undef IN

__attribute__((target("avx512bw")))
static unsigned copy_scan_avx512(char *dst, const char *src, size_t len,
                                 uint64_t *ends, uint64_t *leads,
                                 bool dashes)
{
    const __m512i c2 = _mm512_set1_epi8((char)0xc2);
    const __m512i e1 = _mm512_set1_epi8((char)0xe1);
    const __m512i two = _mm512_set1_epi8(2);
    uint64_t any_lead = 0;
    const __m512i dot = _mm512_set1_epi8('.'), q = _mm512_set1_epi8('?');
    const __m512i ex = _mm512_set1_epi8('!');
    const __m512i fc = _mm512_set1_epi8((char)0xfc);
    const __m512i sep = _mm512_set1_epi8(0x1c);
    uint64_t seps = 0;
    size_t i = 0;
    /* the text is usually cold: ask for its first 1 KiB at once, then
       keep 1 KiB ahead (never past len) */
    for (size_t k = 64; k < 1024 && k < len; k += 64)
        _mm_prefetch(src + k, _MM_HINT_T0);
    for (; i + 64 <= len; i += 64) {
        if (i + 1024 < len)
            _mm_prefetch(src + i + 1024, _MM_HINT_T0);
        __m512i v = _mm512_loadu_si512((const void *)(src + i));
        _mm512_storeu_si512((void *)(dst + i), v);
        ends[i >> 6] = _mm512_cmpeq_epi8_mask(v, dot) |
                       _mm512_cmpeq_epi8_mask(v, q) |
                       _mm512_cmpeq_epi8_mask(v, ex);
        seps |= _mm512_cmpeq_epi8_mask(_mm512_and_si512(v, fc), sep);
        uint64_t lead = _mm512_cmpeq_epi8_mask(v, c2) |
                        _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, e1), two);
        if (lead) {
            /* the two bytes after each (none past len) */
            __mmask64 in1 = len - i >= 65 ? ~(__mmask64)0
                                          : ~(__mmask64)0 >> 1;
            __mmask64 in2 = len - i >= 66 ? ~(__mmask64)0
                                          : ~(__mmask64)0 >> (66 - (len - i));
            lead = plain_leads64(v, _mm512_maskz_loadu_epi8(in1, src + i + 1),
                                 _mm512_maskz_loadu_epi8(in2, src + i + 2),
                                 lead, dashes);
        }
        leads[i >> 6] = lead;
        any_lead |= lead;
    }
    if (i < len) {
        /* the last block's bytes past len are neither read nor written */
        __mmask64 in = ((__mmask64)1 << (len - i)) - 1;
        __m512i v = _mm512_maskz_loadu_epi8(in, src + i);
        _mm512_mask_storeu_epi8(dst + i, in, v);
        ends[i >> 6] = _mm512_mask_cmpeq_epi8_mask(in, v, dot) |
                       _mm512_mask_cmpeq_epi8_mask(in, v, q) |
                       _mm512_mask_cmpeq_epi8_mask(in, v, ex);
        seps |= _mm512_mask_cmpeq_epi8_mask(in, _mm512_and_si512(v, fc),
                                            sep);
        uint64_t lead = _mm512_mask_cmpeq_epi8_mask(in, v, c2) |
                        _mm512_mask_cmple_epu8_mask(
                            in, _mm512_sub_epi8(v, e1), two);
        if (lead)
            lead = plain_leads64(v, _mm512_maskz_loadu_epi8(in >> 1,
                                                            src + i + 1),
                                 _mm512_maskz_loadu_epi8(in >> 2,
                                                         src + i + 2),
                                 lead, dashes);
        leads[i >> 6] = lead;
        any_lead |= lead;
    }
    leads[(len + 63) / 64] = 0;
    return (seps ? NLP_SCAN_SEPS : 0u) | (any_lead ? NLP_SCAN_LEADS : 0u);
}
#endif

unsigned nlp_copy_scan(char *dst, const char *src, size_t len,
                       uint64_t *ends, uint64_t *leads, bool dashes,
                       enum nlp_simd_level level)
{
#if NLP_HAVE_AVX512
    if (level == NLP_SIMD_AVX512)
        return copy_scan_avx512(dst, src, len, ends, leads, dashes);
#endif
    (void)dashes;
#ifdef __SSE2__
    if (level != NLP_SIMD_NONE)
        return copy_scan_sse2(dst, src, len, ends) ? NLP_SCAN_SEPS : 0u;
#endif
    (void)leads;
    return copy_scan_bytes(dst, src, len, ends) ? NLP_SCAN_SEPS : 0u;
}

/* Texts up to this length get their token array in the arena. */
#define TOKS_IN_ARENA_MAX ((size_t)1 << 20)

static int arena_fail(struct th_error *err)
{
    return th_error_set(err, TH_ELIMIT, "arena full while tokenizing");
}

/*
 * Tokens that are slices of a sentence point into the caller's text, so
 * the common token costs one slice store and no byte copy; only rewritten
 * tokens are copied (nlp_sink). The Treebank windows may read up to the
 * text's end, past a sentence's.
 */
int th_nlp_word_tokenize(const struct th_nlp *nlp, const char *text,
                         size_t len, struct th_arena *arena,
                         struct th_slice **words_out, size_t *n_out,
                         struct th_error *err)
{
    struct nlp_span *spans = NULL;
    size_t n_spans = 0;
    struct nlp_sink sink = {0};
    /* the rewrite pipeline's scratch: most runs are short */
    char scratch[2][512];
    struct nlp_str work[2] = {{scratch[0], 0, sizeof(scratch[0]),
                               scratch[0]},
                              {scratch[1], 0, sizeof(scratch[1]),
                               scratch[1]}};
    *words_out = NULL;
    *n_out = 0;
    /*
     * The NUL, then TH_NLP_WORD_PAD readable bytes after the last token;
     * then Punkt's candidate bits, found while copying (the copy reads
     * the text once anyway, and Punkt's own scan costs more).
     */
    size_t pad_end = (len + 1 + TH_NLP_WORD_PAD + 7) & ~(size_t)7;
    size_t words = (len + 63) / 64;
    char *copy = th_arena_alloc(arena, pad_end + (2 * words + 1) * 8);
    if (!copy)
        return arena_fail(err);
    uint64_t *ends = (uint64_t *)(void *)(copy + pad_end);
    uint64_t *leads = ends + words;
    unsigned scan = nlp_copy_scan(copy, text, len, ends, leads,
                                  nlp->pad_dashes, nlp_simd);
    bool seps = scan & NLP_SCAN_SEPS;
    memset(copy + len, 0, 1 + TH_NLP_WORD_PAD);
    if (scan & NLP_SCAN_LEADS) {
        /* plain code points' lead bytes C2 E1 E2 E3 for the windows */
        sink.leads = leads;
        sink.doc = copy;
    }
    sink.arena = arena;
    sink.spill_hint = len + 16;
    sink.readable_end = copy + len + 1;
    /*
     * ~1 token per 6 bytes in real text, and the window tier wants room
     * for 64 more. Up to TOKS_IN_ARENA_MAX the array is allocated in the
     * arena, where it stays as the result (no copy, and the arena's
     * blocks are reused across documents); larger texts grow a heap
     * array, copied to the arena at the end, so the arena never holds
     * more than a few copies of a small array.
     */
    sink.cap = len / 4 + 96;
    sink.toks_in_arena = len <= TOKS_IN_ARENA_MAX;
    sink.toks = sink.toks_in_arena
        ? th_arena_alloc(arena, sink.cap * sizeof(*sink.toks))
        : malloc(sink.cap * sizeof(*sink.toks));
    if (!sink.toks) {
        if (sink.toks_in_arena)
            return arena_fail(err);
        th_error_set(err, TH_ENOMEM, "out of memory while tokenizing");
        return TH_ENOMEM;
    }
    int rc = nlp_punkt_spans_marked(nlp, copy, len, ends, &spans, &n_spans);
    if (rc < 0)
        goto out;
    for (size_t i = 0; i < n_spans; i++) {
        rc = nlp_treebank_tokens(nlp, copy + spans[i].start,
                                 spans[i].end - spans[i].start, work, seps,
                                 &sink);
        if (rc < 0)
            goto out;
    }
    if (sink.n && sink.toks_in_arena) {
        *words_out = sink.toks;
        *n_out = sink.n;
    } else if (sink.n) {
        struct th_slice *w = th_arena_alloc(arena, sink.n * sizeof(*w));
        if (!w) {
            rc = TH_ELIMIT;
            goto out;
        }
        memcpy(w, sink.toks, sink.n * sizeof(*w));
        *words_out = w;
        *n_out = sink.n;
    }
out:
    if (rc == TH_ENOMEM)
        th_error_set(err, rc, "out of memory while tokenizing");
    else if (rc < 0)
        arena_fail(err);
    free(spans);
    if (!sink.toks_in_arena)
        free(sink.toks);
    nlp_str_release(&work[0]);
    nlp_str_release(&work[1]);
    return rc;
}

int th_nlp_sent_tokenize(const struct th_nlp *nlp, const char *text,
                         size_t len, struct th_arena *arena,
                         struct th_slice **sents_out, size_t *n_out,
                         struct th_error *err)
{
    struct nlp_span *spans = NULL;
    size_t n = 0;
    *sents_out = NULL;
    *n_out = 0;
    int rc = nlp_punkt_spans(nlp, text, len, &spans, &n);
    if (rc < 0)
        return th_error_set(err, rc, "out of memory while splitting");
    if (n) {
        struct th_slice *s = th_arena_alloc(arena, n * sizeof(*s));
        if (!s) {
            free(spans);
            return arena_fail(err);
        }
        for (size_t i = 0; i < n; i++) {
            s[i].ptr = text + spans[i].start;
            s[i].len = spans[i].end - spans[i].start;
        }
        *sents_out = s;
        *n_out = n;
    }
    free(spans);
    return 0;
}

int th_nlp_count_sentences(const struct th_nlp *nlp, const char *text,
                           size_t len, struct th_arena *arena,
                           size_t *n_out, struct th_error *err)
{
    struct nlp_span *spans = NULL;
    size_t n = 0;
    *n_out = 0;
    int rc = nlp_punkt_spans(nlp, text, len, &spans, &n);
    if (rc < 0)
        return th_error_set(err, rc, "out of memory while splitting");
    free(spans);
    *n_out = n;
    return 0;
}
