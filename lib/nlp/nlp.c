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
 * (pthread_once) by the first th_nlp_new(); every caller holds a th_nlp,
 * so the table is complete before any lookup.
 *
 * Memory: results go to the caller's arena in one block for the slices and
 * one for the token bytes; scratch strings are heap buffers owned by one
 * call. Rejected: one th_arena_memdup per token (16-byte rounding per token
 * doubles the arena use of short words).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

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
static pthread_once_t bmp_once = PTHREAD_ONCE_INIT;

static unsigned class_of_uncached(uint32_t cp);

static void bmp_init(void)
{
    for (uint32_t cp = 0; cp < 0x10000; cp++)
        bmp_class[cp] = (uint8_t)(cp < 0x80 ? nlp_ascii_class[cp]
                                            : class_of_uncached(cp));
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
    char *p = realloc(s->ptr, cap);
    if (!p)
        return TH_ENOMEM;
    s->ptr = p;
    s->cap = cap;
    return 0;
}

void nlp_str_release(struct nlp_str *s)
{
    free(s->ptr);
    s->ptr = NULL;
    s->len = s->cap = 0;
}

int th_nlp_new(struct th_nlp **out, const char *language,
               struct th_error *err)
{
    *out = NULL;
    if (language && strcmp(language, "english") != 0)
        return th_error_set(err, TH_EINVAL,
                            "no sentence model for language '%s'", language);
    if (pthread_once(&bmp_once, bmp_init) != 0)
        return th_error_set(err, TH_ENOMEM, "cannot build class table");
    struct th_nlp *nlp = calloc(1, sizeof(*nlp));
    if (!nlp)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    nlp->params = &nlp_punkt_english;
    nlp->collapse_space = false;
    nlp->pad_dashes = false;
    *out = nlp;
    return 0;
}

void th_nlp_free(struct th_nlp *nlp)
{
    free(nlp);
}

/*
 * Token collector: token bytes go straight into one arena block sized for
 * the worst case (tokens are the input's non-space bytes, except that each
 * '"' becomes two bytes); the slice array grows on the heap and is copied
 * to the arena at the end.
 */
struct word_sink {
    char *bytes;            /* arena block for all token bytes */
    size_t used;            /* bytes written */
    size_t room;            /* bytes in the block */
    bool overflow;          /* room was exceeded (a bug, never seen) */
    struct th_slice *toks;  /* heap array of slices into bytes */
    size_t n;               /* tokens collected */
    size_t cap;             /* slices allocated */
};

static int sink_emit(const char *tok, size_t len, void *ctx)
{
    struct word_sink *sk = ctx;
    if (sk->n == sk->cap) {
        size_t cap = sk->cap ? sk->cap * 2 : 256;
        struct th_slice *t = realloc(sk->toks, cap * sizeof(*t));
        if (!t)
            return TH_ENOMEM;
        sk->toks = t;
        sk->cap = cap;
    }
    if (len > sk->room - sk->used) {
        sk->overflow = true;    /* cannot happen: the bound is exact */
        return TH_ELIMIT;
    }
    char *dst = sk->bytes + sk->used;
    memcpy(dst, tok, len);
    sk->toks[sk->n].ptr = dst;
    sk->toks[sk->n].len = len;
    sk->used += len;
    sk->n++;
    return 0;
}

static int arena_fail(struct th_error *err)
{
    return th_error_set(err, TH_ELIMIT, "arena full while tokenizing");
}

int th_nlp_word_tokenize(const struct th_nlp *nlp, const char *text,
                         size_t len, struct th_arena *arena,
                         struct th_slice **words_out, size_t *n_out,
                         struct th_error *err)
{
    struct nlp_span *spans = NULL;
    size_t n_spans = 0;
    struct word_sink sink = {0};
    struct nlp_str work[2] = {{0}};
    *words_out = NULL;
    *n_out = 0;
    size_t quotes = 0;
    for (const char *q = text; len && (q = memchr(q, '"', len - (size_t)(
             q - text))) != NULL; q++)
        quotes++;
    sink.room = len + quotes;
    sink.bytes = th_arena_alloc(arena, sink.room + 1);
    if (!sink.bytes)
        return arena_fail(err);
    int rc = nlp_punkt_spans(nlp, text, len, &spans, &n_spans);
    if (rc < 0)
        goto out;
    for (size_t i = 0; i < n_spans; i++) {
        rc = nlp_treebank_tokenize(nlp, text + spans[i].start,
                                   spans[i].end - spans[i].start, work,
                                   sink_emit, &sink);
        if (rc < 0)
            goto out;
    }
    if (sink.n) {
        struct th_slice *w = th_arena_alloc(arena, sink.n * sizeof(*w));
        if (!w) {
            rc = arena_fail(err);
            goto out;
        }
        memcpy(w, sink.toks, sink.n * sizeof(*w));
        *words_out = w;
        *n_out = sink.n;
    }
out:
    if (rc == TH_ENOMEM)
        th_error_set(err, rc, "out of memory while tokenizing");
    else if (sink.overflow)
        th_error_set(err, rc, "token bytes exceed their bound");
    free(spans);
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
