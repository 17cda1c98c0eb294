/*
 * GopherRepetitionFilter as datatrove @05194d39 implements it: duplicate
 * paragraphs and lines (count and characters), the most frequent 2/3/4-gram
 * (tokens joined by one space, ties to the first seen), and greedy duplicate
 * 5..10-grams (tokens concatenated without separator; after a duplicate the
 * scan jumps n tokens).
 *
 * Approach: one pass over the text (text_scan()) finds its characters,
 * lines and paragraphs (and Gopher quality's line and symbol counts, for
 * the chain); paragraphs and lines whose length another piece shares are
 * hashed into a set (text_pieces.c). For the n-grams, the
 * tokens are copied once into one byte stream (one memcpy when they are
 * contiguous, as lib/nlp leaves them). A string's hash is its bytes read as
 * a little-endian number modulo the Mersenne prime p = 2^61 - 1: the
 * hash of a concatenation is H(a) + 256^len(a) H(b), and a power of 256
 * modulo p is a rotation of 61-bit words, so prefix sums over token
 * boundaries (concatenated, and joined by spaces) give any n-gram's hash in
 * O(1) from boundaries i and i+n without a multiplication, and a token's
 * hash is one masked 8-byte load for tokens of up to 7 bytes. Each of the
 * nine statistics is then one pass over the boundaries with its own hash set
 * (arena scratch, reused across documents without page faults; a document
 * dropped by the 2-gram rule never builds the other eight), after a
 * prefilter (below) settled most positions without any set; without
 * statistics, a bound from 2-gram counts (struct top_bound) settles
 * most documents' top n-gram rules without their passes. A
 * hash hit is confirmed by comparing the two n-grams' byte streams, so hash
 * collisions never change a result.
 * Rejected: materializing every n-gram string as datatrove does (nine
 * copies of the text per document); hashing each n-gram from scratch
 * (n times more hashing); one pass filling all nine sets at once (tried:
 * nine sets that outgrow the cache, 9x the peak memory); interning tokens
 * to ids (wrong for concatenated n-grams: "ab"+"c" equals "a"+"bc"); a
 * polynomial hash modulo 2^64 (one multiplication a byte and three a token:
 * it was the largest cost of the filter).
 */
#include <stdlib.h>
#include <string.h>

#include "thresh/filter.h"
#include "filter_internal.h"
#include "filter_text.h"
#include "../core/banned.h"

#define M61 (((uint64_t)1 << 61) - 1)
#define C_PREFIX 16   /* prefilter width, concatenated stream (5+ grams) */
#define J_PREFIX 8    /* prefilter width, space-joined stream (2-4 grams) */

void th_gopher_repetition_opts_init(struct th_gopher_repetition_opts *opts,
                                    enum th_filter_preset preset)
{
    static const double top[TH_GOPHER_TOP_NGRAMS] = {0.20, 0.18, 0.16};
    static const double dup[TH_GOPHER_DUP_NGRAMS] = {0.15, 0.14, 0.13,
                                                     0.12, 0.11, 0.10};
    memset(opts, 0, sizeof(*opts));
    opts->dup_line_frac = 0.3;
    opts->dup_para_frac = 0.3;
    opts->dup_line_char_frac = 0.2;
    opts->dup_para_char_frac = 0.2;
    memcpy(opts->top_ngram_frac, top, sizeof(top));
    memcpy(opts->dup_ngram_frac, dup, sizeof(dup));
    opts->lines_by_newline_runs = preset == TH_PRESET_DATATROVE;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x ? x : 1;
}

static double frac(size_t num, size_t den)
{
    return den ? (double)num / (double)den : 0.0;
}

/* ---- paragraphs and lines --------------------------------------------- */

/*
 * One pass over a text for everything the text rules need (text_scan()):
 * its characters (Python len), its splitlines() lines (Gopher repetition's
 * line pieces, Gopher quality's line statistics, and the line index C4
 * reuses), its paragraph breaks (runs of two or more '\n' inside
 * text.strip()), and Gopher quality's count("#") and count("...") +
 * count("…"). Blocks of TH_FT_BLOCK bytes are classified at once; an ASCII
 * block is TH_FT_BLOCK characters and only its line breaks are visited, a
 * block with other bytes is decoded a character at a time as
 * th_ft_count_chars() and th_ft_next_line() decode it (the bytes a decoded
 * character takes past the block are continuation bytes: no '#', '.' or
 * '\n' among them, so the byte masks of the blocks count every such byte
 * once). With AVX-512BW (checked at run time) blocks are 64 bytes,
 * ASCII or plainly valid UTF-8 (scan_block64()); a block that is neither
 * goes to the 16-byte blocks. Measured (session 6): the pass took 9,300
 * cycles a document, 90% of it in the documents with non-ASCII bytes
 * (0.6 bytes a cycle there), and reading the text first changed it by
 * 3%: it was bound by its instructions, not by memory; the 64-byte blocks
 * took the chain from 147.9 to 151.9 MB/s.
 */
struct block_masks {
    uint32_t high;      /* bytes >= 0x80 */
    uint32_t breaks;    /* ASCII line breaks: 10-13, 0x1c-0x1e */
    uint32_t pairs;     /* "\n\n" starts */
    uint32_t hash;      /* '#' */
    uint32_t triples;   /* "..." starts */
};

/* Masks of the block at p (p[0, TH_FT_BLOCK + 2) readable). */
#if defined(__SSE2__)
static inline void block_masks(const char *p, struct block_masks *m)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
    __m128i z = _mm_loadu_si128((const __m128i *)(const void *)(p + 2));
    /* signed compares: bytes >= 0x80 are negative, in neither range */
    __m128i br = _mm_or_si128(
        _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(9)),
                      _mm_cmplt_epi8(x, _mm_set1_epi8(14))),
        _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x1b)),
                      _mm_cmplt_epi8(x, _mm_set1_epi8(0x1f))));
    __m128i dots = _mm_and_si128(
        th_ft_bytes_eq(x, '.'),
        _mm_and_si128(th_ft_bytes_eq(y, '.'), th_ft_bytes_eq(z, '.')));
    m->high = (uint32_t)_mm_movemask_epi8(x);
    m->breaks = (uint32_t)_mm_movemask_epi8(br);
    m->pairs = (uint32_t)_mm_movemask_epi8(
        _mm_and_si128(th_ft_bytes_eq(x, '\n'), th_ft_bytes_eq(y, '\n')));
    m->hash = (uint32_t)_mm_movemask_epi8(th_ft_bytes_eq(x, '#'));
    m->triples = (uint32_t)_mm_movemask_epi8(dots);
}
#else
static inline void block_masks(const char *p, struct block_masks *m)
{
    uint64_t x, y, z;
    memcpy(&x, p, 8);
    memcpy(&y, p + 1, 8);
    memcpy(&z, p + 2, 8);
    uint64_t high = x & TH_FT_BYTES(0x80);
    uint64_t a = x & TH_FT_BYTES(0x7f);  /* no carry in th_ft_in_range */
    uint64_t br = (th_ft_in_range(a, 10, 13) | th_ft_in_range(a, 0x1c, 0x1e)) &
                  ~high;
#define TH_EQ(v, b) th_ft_zero_bytes((v) ^ TH_FT_BYTES(b))
    m->high = th_ft_marked_bits(high);
    m->breaks = th_ft_marked_bits(br);
    m->pairs = th_ft_marked_bits(TH_EQ(x, '\n') & TH_EQ(y, '\n'));
    m->hash = th_ft_marked_bits(TH_EQ(x, '#'));
    m->triples = th_ft_marked_bits(TH_EQ(x, '.') & TH_EQ(y, '.') &
                                   TH_EQ(z, '.'));
#undef TH_EQ
}
#endif

/* The state of text_scan(). */
struct text_scan {
    const char *text;           /* the text */
    size_t len;                 /* its length */
    size_t chars;               /* characters so far */
    size_t line_start;          /* start of the current line */
    struct th_ft_pieces *lines; /* splitlines() lines, or NULL */
    struct th_ft_line_stats *quality; /* Gopher quality's, or NULL */
    struct th_ft_pieces *paras; /* paragraphs */
    size_t para_start;          /* start of the current paragraph */
    size_t para_end;            /* end of text.strip() */
    size_t hashes;              /* '#' bytes */
    size_t ellipses;            /* "..." (by runs of dots) and "…" */
    size_t dots_end;            /* end of the last run of dots counted */
};

/* A line break at pos, terminator bytes t (a CR LF's LF is skipped). */
static inline int scan_break(struct text_scan *sc, size_t pos, size_t t)
{
    if (pos < sc->line_start)
        return 0;             /* the LF of a CR LF */
    const char *s = sc->text;
    if (t == 1 && s[pos] == '\r' && pos + 1 < sc->len && s[pos + 1] == '\n')
        t = 2;
    int rc = th_ft_pieces_add(sc->lines, sc->line_start, pos);
    if (sc->quality)
        th_ft_quality_add_line(sc->quality, s, sc->line_start, pos);
    sc->line_start = pos + t;
    return rc;
}

/*
 * Runs of dots holding "..." (bit k of triples: s[at + k] starts three
 * dots): a run of k dots holds k / 3 non-overlapping "...", and its first
 * triple is the first one not inside the last run counted.
 */
static void scan_dots(struct text_scan *sc, size_t at, uint64_t triples)
{
    while (triples) {
        size_t p = at + (size_t)__builtin_ctzll(triples);
        triples &= triples - 1;
        if (p < sc->dots_end)
            continue;
        size_t q = p + 3;
        while (q < sc->len && sc->text[q] == '.')
            q++;
        sc->ellipses += (q - p) / 3;
        sc->dots_end = q;
    }
}

/* Paragraph breaks at the '\n' pairs of a block (bit k: s[at + k]). */
static int scan_pairs(struct text_scan *sc, size_t at, uint64_t pairs)
{
    const char *s = sc->text;
    while (pairs) {
        size_t p = at + (size_t)__builtin_ctzll(pairs);
        pairs &= pairs - 1;
        /* inside text.strip() (whose ends are no '\n') and past the last
         * run: a pair in [para_start, para_end) opens its run */
        if (p < sc->para_start || p >= sc->para_end)
            continue;
        size_t q = p + 2;
        while (q < sc->para_end && s[q] == '\n')
            q++;
        int rc = th_ft_pieces_add(sc->paras, sc->para_start, p);
        if (rc < 0)
            return rc;
        sc->para_start = q;
    }
    return 0;
}

/* A block with bytes >= 0x80, from i to stop, a character at a time;
 * returns the offset reached (stop or past it). */
static size_t scan_decode(struct text_scan *sc, size_t i, size_t stop,
                          int *rc)
{
    const uint8_t *p = (const uint8_t *)sc->text;
    while (i < stop) {
        uint8_t b = p[i];
        if (b < 0x80) {
            bool brk = (b >= 10 && b <= 13) || (b >= 0x1c && b <= 0x1e);
            if (brk && sc->lines && (*rc = scan_break(sc, i, 1)) < 0)
                return i;
            i++;
            sc->chars++;
            continue;
        }
        size_t adv;
        uint32_t c = th_ft_decode(p + i, sc->len - i, &adv);
        if (c == 0x2026)
            sc->ellipses++;
        else if (sc->lines && (c == 0x85 || c == 0x2028 || c == 0x2029) &&
                 (*rc = scan_break(sc, i, adv)) < 0)
            return i;
        i += adv;
        sc->chars++;
    }
    return i;
}

#if defined(__SSE2__)
/*
 * A block with bytes >= 0x80 at text + i (p[16] and p[17] readable) when
 * it is plainly valid UTF-8 (th_ft_plain_utf8()): characters are the bytes
 * that are not continuation bytes, and U+0085 (C2 85), U+2028 / U+2029
 * (E2 80 A8 / A9) and "…" (E2 80 A6) are found by their bytes. breaks:
 * the block's ASCII line breaks. Returns the bytes taken (a character cut
 * by the block end is left to the next block), 0 when not plain.
 */
static size_t scan_plain(struct text_scan *sc, size_t i, uint32_t breaks,
                         int *rc)
{
    const char *p = sc->text + i;
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    uint32_t cont;
    size_t cut = th_ft_plain_utf8(x, &cont);
    if (!cut)
        return 0;
    uint32_t keep = (1u << cut) - 1;
    sc->chars += th_ft_popcount(~cont & keep);
    __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
    __m128i z = _mm_loadu_si128((const __m128i *)(const void *)(p + 2));
    __m128i e280 = _mm_and_si128(th_ft_bytes_eq(x, 0xe2),
                                 th_ft_bytes_eq(y, 0x80));
    uint32_t ell = (uint32_t)_mm_movemask_epi8(
                       _mm_and_si128(e280, th_ft_bytes_eq(z, 0xa6))) & keep;
    if (ell)
        sc->ellipses += th_ft_popcount(ell);
    if (!sc->lines)
        return cut;
    __m128i sep = _mm_and_si128(e280, _mm_or_si128(th_ft_bytes_eq(z, 0xa8),
                                                   th_ft_bytes_eq(z, 0xa9)));
    __m128i nel = _mm_and_si128(th_ft_bytes_eq(x, 0xc2),
                                th_ft_bytes_eq(y, 0x85));
    uint32_t wide = (uint32_t)_mm_movemask_epi8(_mm_or_si128(sep, nel)) &
                    keep;
    uint32_t br = (breaks & keep) | wide;
    while (br) {
        unsigned k = (unsigned)__builtin_ctz(br);
        br &= br - 1;
        size_t t = !(wide >> k & 1) ? 1 : (uint8_t)p[k] == 0xc2 ? 2 : 3;
        if ((*rc = scan_break(sc, i + k, t)) < 0)
            break;
    }
    return cut;
}
#else
static size_t scan_plain(struct text_scan *sc, size_t i, uint32_t breaks,
                         int *rc)
{
    (void)sc, (void)i, (void)breaks, (void)rc;
    return 0;   /* without SSE2 every such block is decoded */
}
#endif

#ifdef TH_FT_X86_WIDE
/* Byte k of x in [lo, hi] (unsigned), as bit k. */
__attribute__((target("avx512bw")))
static inline uint64_t in64(__m512i x, uint8_t lo, uint8_t hi)
{
    __m512i d = _mm512_sub_epi8(x, _mm512_set1_epi8((char)lo));
    return _mm512_cmple_epu8_mask(d, _mm512_set1_epi8((char)(hi - lo)));
}

__attribute__((target("avx512bw")))
static inline uint64_t eq64(__m512i x, uint8_t b)
{
    return _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8((char)b));
}

/*
 * 64 bytes at text + i (a character starts there, 66 bytes readable) as
 * text_scan() takes its 16-byte blocks, with AVX-512BW: ASCII, or plainly
 * valid UTF-8 as th_ft_plain_utf8() checks it (a lead whose character runs
 * past the block is left to the next block: the bytes from it are a lead
 * and continuation bytes, none of them '#', '.' or a line break, so no
 * byte is counted twice). Returns the bytes taken, 0 when the block is not
 * plainly valid (the 16-byte blocks take it then).
 */
__attribute__((target("avx512bw")))
static size_t scan_block64(struct text_scan *sc, size_t i, int *rc)
{
    const char *p = sc->text + i;
    __m512i x = _mm512_loadu_si512((const void *)p);
    __m512i y = _mm512_loadu_si512((const void *)(p + 1));
    __m512i z = _mm512_loadu_si512((const void *)(p + 2));
    uint64_t high = _mm512_movepi8_mask(x);
    uint64_t keep = ~0ull, cont = 0;
    size_t cut = 64;
    if (high) {
        uint64_t c = in64(x, 0x80, 0xbf), l2 = in64(x, 0xc2, 0xdf);
        uint64_t l3 = in64(x, 0xe0, 0xef), l4 = in64(x, 0xf0, 0xf4);
        uint64_t want = l2 << 1 | l3 << 1 | l3 << 2 | l4 << 1 | l4 << 2 |
                        l4 << 3;
        if ((high & ~(c | l2 | l3 | l4)) || (c ^ want))
            return 0;
        uint64_t bad = (eq64(x, 0xe0) & ~in64(y, 0xa0, 0xbf)) |
                       (eq64(x, 0xed) & ~in64(y, 0x80, 0x9f)) |
                       (eq64(x, 0xf0) & ~in64(y, 0x90, 0xbf)) |
                       (eq64(x, 0xf4) & ~in64(y, 0x80, 0x8f));
        uint64_t cut_lead = (l2 & 1ull << 63) | (l3 & 3ull << 62) |
                            (l4 & 7ull << 61);
        if (cut_lead) {
            cut = (size_t)__builtin_ctzll(cut_lead);
            keep = (1ull << cut) - 1;
        }
        if (bad & keep)
            return 0;
        cont = c;
    }
    sc->chars += (size_t)__builtin_popcountll(~cont & keep);
    uint64_t hash = eq64(x, '#');
    if (hash)
        sc->hashes += (size_t)__builtin_popcountll(hash);
    uint64_t dots = eq64(x, '.') & eq64(y, '.') & eq64(z, '.');
    if (dots)
        scan_dots(sc, i, dots);
    uint64_t pairs = eq64(x, '\n') & eq64(y, '\n');
    if (pairs && (*rc = scan_pairs(sc, i, pairs)) < 0)
        return 0;
    uint64_t wide = 0;
    if (high) {
        uint64_t e280 = eq64(x, 0xe2) & eq64(y, 0x80);
        uint64_t ell = e280 & eq64(z, 0xa6) & keep;
        if (ell)
            sc->ellipses += (size_t)__builtin_popcountll(ell);
        wide = ((e280 & (eq64(z, 0xa8) | eq64(z, 0xa9))) |
                (eq64(x, 0xc2) & eq64(y, 0x85))) & keep;
    }
    if (!sc->lines)
        return cut;
    /* unsigned x - 10 <= 3 or x - 0x1c <= 2: bytes >= 0x80 are in neither */
    uint64_t br = in64(x, 10, 13) | in64(x, 0x1c, 0x1e) | wide;
    while (br) {
        unsigned k = (unsigned)__builtin_ctzll(br);
        br &= br - 1;
        size_t t = !(wide >> k & 1) ? 1 : (uint8_t)p[k] == 0xc2 ? 2 : 3;
        if ((*rc = scan_break(sc, i + k, t)) < 0)
            return 0;
    }
    return cut;
}
#endif

/* The pass (see above); lines and quality may be NULL. */
static int text_scan(struct text_scan *sc, const char *text, size_t len,
                     struct th_ft_pieces *paras, struct th_ft_pieces *lines,
                     struct th_ft_line_stats *quality)
{
    size_t s = 0, e = len;
    th_ft_strip(text, &s, &e);
    *sc = (struct text_scan){.text = text, .len = len, .lines = lines,
                             .quality = lines ? quality : NULL,
                             .paras = paras, .para_start = s, .para_end = e};
    int rc = 0;
    size_t i = 0;
#ifdef TH_FT_X86_WIDE
    /* 64 bytes a step; after a block that is not plainly valid UTF-8,
     * the 16-byte blocks take the next 64 bytes */
    bool wide = __builtin_cpu_supports("avx512bw");
    size_t narrow_until = 0;
#endif
    while (i < len) {
#ifdef TH_FT_X86_WIDE
        if (wide && i >= narrow_until && len - i >= 66) {
            size_t used = scan_block64(sc, i, &rc);
            if (rc < 0)
                return rc;
            if (used) {
                i += used;
                continue;
            }
            narrow_until = i + 64;
        }
#endif
        struct block_masks m;
        size_t left = len - i;
        if (left >= TH_FT_BLOCK + 2) {
            block_masks(text + i, &m);
        } else {
            char pad[TH_FT_BLOCK + 2] = {0};  /* zero: none of the classes */
            memcpy(pad, text + i, left);
            block_masks(pad, &m);
        }
        size_t stop = left >= TH_FT_BLOCK ? i + TH_FT_BLOCK : len;
        if (m.hash)
            sc->hashes += th_ft_popcount(m.hash);
        if (m.triples)
            scan_dots(sc, i, m.triples);
        if (m.pairs && (rc = scan_pairs(sc, i, m.pairs)) < 0)
            return rc;
        if (m.high) {
            size_t used = left >= TH_FT_BLOCK + 2
                              ? scan_plain(sc, i, m.breaks, &rc) : 0;
            if (rc == 0)
                i = used ? i + used : scan_decode(sc, i, stop, &rc);
            if (rc < 0)
                return rc;
            continue;
        }
        sc->chars += stop - i;
        uint32_t br = lines ? m.breaks : 0;
        while (br) {
            size_t pos = i + (size_t)__builtin_ctz(br);
            br &= br - 1;
            if ((rc = scan_break(sc, pos, 1)) < 0)
                return rc;
        }
        i = stop;
    }
    if (lines && sc->line_start < len) {
        rc = th_ft_pieces_add(lines, sc->line_start, len);
        if (sc->quality)
            th_ft_quality_add_line(sc->quality, text, sc->line_start, len);
    }
    if (rc == 0)
        rc = th_ft_pieces_add(paras, sc->para_start, e);
    return rc;
}

/* Lines of re.split("\n+", text) (the datatrove preset). */
static int newline_run_lines(const char *text, size_t len,
                             struct th_ft_pieces *pl)
{
    size_t start = 0, i = 0;
    for (;;) {
        const char *nl = i < len ? memchr(text + i, '\n', len - i) : NULL;
        size_t p = nl ? (size_t)(nl - text) : len;
        int rc = th_ft_pieces_add(pl, start, p);
        if (rc < 0 || !nl)
            return rc;
        while (p < len && text[p] == '\n')
            p++;
        start = i = p;
    }
}


/* ---- n-grams ------------------------------------------------------------ */

/*
 * Hash state at token boundary k (before token k); 16 bytes a token (the
 * token stream is below 4 GiB: build_boundaries() checks). Sums are modulo
 * p = 2^61 - 1, in [0, p] (p stands for 0). The same sums over the
 * space-joined stream (gj in struct ngram_ctx) are only built when an exact
 * top n-gram pass runs.
 */
struct boundary {
    uint64_t g;       /* sum of H(token) 256^coff, concatenated stream */
    uint32_t bytes;   /* bytes of the tokens before k (coff) */
    uint32_t chars;   /* characters of the tokens before k */
};

/* (a + b) mod p for a, b in [0, p]. */
static inline uint64_t m61_add(uint64_t a, uint64_t b)
{
    uint64_t s = a + b;
    return (s & M61) + (s >> 61);
}

static inline uint64_t m61_sub(uint64_t a, uint64_t b)
{
    return m61_add(a, M61 - b);
}

/* x mod p, for any 64-bit x. */
static inline uint64_t m61_reduce(uint64_t x)
{
    x = (x & M61) + (x >> 61);
    return (x & M61) + (x >> 61);
}

/* v * 2^r mod p (v <= p, r < 61): 2^61 = 1, so a rotation of the 61-bit
 * word. No branch on r = 0. */
static inline uint64_t m61_rotl(uint64_t v, unsigned r)
{
    return ((v << r) & M61) | (v >> (61 - r)); /* r = 0: v >> 61 = 0 */
}

/* v * 2^-r mod p (v <= p, r < 61). */
static inline uint64_t m61_rotr(uint64_t v, unsigned r)
{
    return ((v << (61 - r)) & M61) | (v >> r); /* r = 0: v << 61 masked */
}

/* The rotation of 256^off: 8 off mod 61. */
static inline unsigned m61_rot_of(uint64_t off)
{
    return (unsigned)((off % 61) * 8 % 61);
}

/* v * 256^off mod p. */
static inline uint64_t m61_shift(uint64_t v, uint64_t off)
{
    return m61_rotl(v, m61_rot_of(off));
}

/* The canonical value of a sum (p and 0 are the same number). */
static inline uint64_t m61_norm(uint64_t v)
{
    return v == M61 ? 0 : v;
}

struct gram_entry {
    uint64_t key;     /* mixed hash of the n-gram string, 0 = empty */
    uint32_t first;   /* token index of its first occurrence */
    uint32_t count;   /* occurrences (top n-grams) */
};

struct gram_set {
    struct gram_entry *slots; /* open addressing, linear probing */
    size_t mask;              /* capacity - 1 */
    unsigned shift;           /* 64 - log2(capacity): a key's home slot is
                                 its top bits (keys are products) */
    size_t used;              /* occupied */
    struct th_arena *arena;   /* where slots come from */
};

struct ngram_ctx {
    const struct th_slice *words; /* the tokens */
    size_t n_words;               /* their count */
    size_t word_pad;              /* readable bytes after every token */
    struct boundary *b;           /* n_words + 1 boundaries (heap) */
    uint64_t *gj;                 /* per boundary: sum of H(token)
                                     256^joff in the space-joined stream
                                     (joff = coff + k: a space after each
                                     token), from build_joined() */
    uint8_t *rotj;                /* per boundary: m61_rot_of(joff) */
    uint8_t *stream;              /* the tokens concatenated, then 16
                                     zero bytes */
    struct th_arena *arena;       /* scratch for everything below */
    void *heap[8];                /* large scratch blocks, freed at the end */
    size_t n_heap;                /* blocks in heap[] */
    bool lanes;                   /* the AVX-512 paths (b8_supported()) */
    bool space_in_token;          /* a token holds ' ': joined n-grams may
                                     then equal with different tokens */
    bool joined_by_tokens;        /* bit 1 of lone comes from 2-gram
                                     uniqueness (valid for any length) */
    uint32_t *cand_top;           /* positions not settled for all 2..4 */
    size_t n_cand_top;            /* their count */
    uint32_t *cand_dup;           /* positions not settled for all 5..10 */
    size_t n_cand_dup;            /* their count */
    uint32_t *pair_cell;          /* per position i: the top bound's
                                     sketch cell of the 2-gram at i */
    unsigned pair_bits;           /* log2 of that sketch's cells */
    uint8_t *rot;                 /* per boundary: m61_rot_of(bytes) */
    struct th_ft_token_stats *quality; /* Gopher quality's token
                                     statistics to gather, or NULL */
    bool terminal;                /* its terminal_in_punctuation */
    uint8_t *lone;                /* per position: bit 0 set when the
                                     first C_PREFIX bytes of the
                                     concatenated stream from here occur at
                                     no other token start, bit 1 the same
                                     for the joined stream (or 2-gram),
                                     bits 2-3 see list_candidates() */
};

/*
 * Prefilter. Two n-grams can only be equal strings if their first W bytes
 * are (or both are shorter than W bytes). So a position whose W-byte
 * prefix (of the concatenated, or the space-joined, token stream) occurs at
 * no other token start can neither repeat an earlier n-gram nor be repeated
 * by a later one, for any n, as long as its n-gram is at least W bytes long.
 * Such positions skip the n-gram sets entirely; real text has few repeated
 * prefixes, so most of the nine lookups per token disappear. W is 16 for
 * the concatenated stream (5- to 10-grams are long) and 8 for the joined
 * one (2-grams are short).
 */

/* Prefix key of the stream at off: 16 bytes folded to 64 bits, length. */
static uint64_t prefix_hash(const uint8_t *stream, size_t off, size_t left,
                            size_t width)
{
    uint64_t v[2];
    memcpy(v, stream + off, 16);   /* past the end: the zero padding */
    if (width == 8)
        v[1] = 0;
    size_t len = left < width ? left : width;
    /* two multiplications; the high half folded down for the low cells */
    uint64_t h = (v[0] * 0x9e3779b97f4a7c15ull) ^
                 ((v[1] + len) * 0xc2b2ae3d27d4eb4full);
    return h ^ (h >> 29);
}

/*
 * Scratch memory: from the arena (reused across documents, no page
 * faults) unless it is large, then from the heap and freed when the n-gram
 * statistics are done, so a huge document does not keep every block
 * until the arena is reset.
 */
#define SCRATCH_HEAP_MIN ((size_t)1 << 20)

static void *scratch(struct ngram_ctx *cx, size_t size, bool zero)
{
    if (size < SCRATCH_HEAP_MIN || cx->n_heap == 8)
        return zero ? th_arena_calloc(cx->arena, size, 1)
                    : th_arena_alloc(cx->arena, size);
    void *p = zero ? calloc(size, 1) : malloc(size);
    if (p)
        cx->heap[cx->n_heap++] = p;
    return p;
}

/* Free the large blocks allocated since mark (a count of cx->heap). */
static void scratch_release(struct ngram_ctx *cx, size_t mark)
{
    while (cx->n_heap > mark)
        free(cx->heap[--cx->n_heap]);
}

/*
 * Set bit in cx->lone for positions whose width-byte prefix (8 or 16) of
 * the stream (tokens joined by sep) occurs at no other token start.
 * Counted in a count-min sketch of byte cells (two cells per key, 16 cells
 * per token: it stays in the L1/L2 cache where a hash set of the prefixes
 * would not). Only "count 1" matters, so a cell holds 2^count - 1, capped
 * at 255 (c = c << 1 | 1: no compare before the store), and is 1 exactly
 * when one key went there. A sketch never undercounts, so "count 1" is
 * exact; a collision only costs a position its shortcut.
 */
static int mark_lone(struct ngram_ctx *cx, char sep, size_t width,
                     uint8_t bit)
{
    size_t n = cx->n_words, cells = 64;
    while (cells < n * 16 && cells < ((size_t)1 << 24))
        cells <<= 1;
    size_t total = (size_t)cx->b[n].bytes + (sep ? n : 0);
    size_t mark = cx->n_heap;
    uint8_t *stream = sep ? scratch(cx, total + 16, false) : cx->stream;
    uint8_t *sketch = scratch(cx, cells, true);
    uint64_t *keys = scratch(cx, (n + 1) * sizeof(*keys), false);
    if (!stream || !sketch || !keys) {
        scratch_release(cx, mark);
        return TH_ENOMEM;
    }
    if (sep) {
        size_t o = 0;
        for (size_t k = 0; k < n; k++) {
            memcpy(stream + o, cx->words[k].ptr, cx->words[k].len);
            o += cx->words[k].len;
            stream[o++] = (uint8_t)sep;
        }
        memset(stream + o, 0, 16);
    }
    size_t mask = cells - 1;
    for (size_t i = 0; i < n; i++) {
        size_t off = (size_t)cx->b[i].bytes + (sep ? i : 0);
        uint64_t h = prefix_hash(stream, off, total - off, width);
        keys[i] = h;
        uint8_t *c1 = &sketch[h & mask], *c2 = &sketch[(h >> 32) & mask];
        *c1 = (uint8_t)(*c1 << 1 | 1);
        *c2 = (uint8_t)(*c2 << 1 | 1);
    }
    for (size_t i = 0; i < n; i++) {
        size_t off = (size_t)cx->b[i].bytes + (sep ? i : 0);
        uint64_t h = keys[i];
        if (total - off >= width &&
            (sketch[h & mask] == 1 || sketch[(h >> 32) & mask] == 1))
            cx->lone[i] |= bit;
    }
    scratch_release(cx, mark);
    return 0;
}

/*
 * Set key of an n-gram from its hash (mod p) and length: a product, whose
 * top bits pick the slot; never 0 (the empty slot).
 */
static inline uint64_t gram_key(uint64_t hash, uint64_t chars)
{
    return ((hash * 0x9e3779b97f4a7c15ull) ^ chars) | 1;
}

static int gram_set_init(struct gram_set *s, struct th_arena *arena,
                         size_t expect)
{
    size_t c = 16;
    while (c < expect * 4 && c < ((size_t)1 << 31))
        c <<= 1;
    s->arena = arena;
    s->slots = th_arena_calloc(arena, c, sizeof(*s->slots));
    if (!s->slots)
        return TH_ENOMEM;
    s->mask = c - 1;
    s->shift = 64 - (unsigned)__builtin_ctzll(c);
    s->used = 0;
    return 0;
}

static int gram_set_grow(struct gram_set *s)
{
    size_t cap = (s->mask + 1) * 2;
    struct gram_entry *slots = th_arena_calloc(s->arena, cap, sizeof(*slots));
    if (!slots)
        return TH_ENOMEM;
    for (size_t i = 0; i <= s->mask; i++) {
        if (!s->slots[i].key)
            continue;
        size_t j = s->slots[i].key >> (s->shift - 1);
        while (slots[j].key)
            j = (j + 1) & (cap - 1);
        slots[j] = s->slots[i];
    }
    s->slots = slots;   /* the old slots stay in the arena until reset */
    s->mask = cap - 1;
    s->shift--;
    return 0;
}

/* A virtual byte stream over tokens [t, end) joined by sep (0: none). */
struct token_stream {
    const struct th_slice *w; /* tokens */
    size_t t;                 /* current token */
    size_t end;               /* one past the last token */
    size_t off;               /* offset in the current token */
    char sep;                 /* separator, 0 for none */
};

static int stream_next(struct token_stream *v)
{
    for (;;) {
        if (v->t == v->end)
            return -1;
        if (v->off < v->w[v->t].len)
            return (uint8_t)v->w[v->t].ptr[v->off++];
        v->t++;
        v->off = 0;
        if (v->sep && v->t < v->end)
            return (uint8_t)v->sep;
    }
}

/*
 * Are the n-grams at a and b equal as strings, tokens joined by sep (0 for
 * none)? Pairwise-equal tokens settle it; otherwise compare byte streams.
 */
static bool ngram_equal(const struct ngram_ctx *cx, size_t a, size_t b,
                        size_t n, char sep)
{
    const struct th_slice *w = cx->words;
    if (!sep) {
        /* concatenated: two ranges of the token stream */
        const struct boundary *bd = cx->b;
        uint64_t la = bd[a + n].bytes - bd[a].bytes;
        return la == bd[b + n].bytes - bd[b].bytes &&
               memcmp(cx->stream + bd[a].bytes, cx->stream + bd[b].bytes,
                      la) == 0;
    }
    /* tokens of pairwise equal lengths: the joined strings are equal when
     * the concatenated ones are (one memcmp of the token stream) */
    const struct boundary *bd = cx->b;
    bool lengths = true;
    for (size_t k = 0; k < n; k++)
        lengths &= bd[a + k + 1].bytes - bd[a + k].bytes ==
                   bd[b + k + 1].bytes - bd[b + k].bytes;
    if (lengths)
        return memcmp(cx->stream + bd[a].bytes, cx->stream + bd[b].bytes,
                      bd[a + n].bytes - bd[a].bytes) == 0;
    struct token_stream x = {w, a, a + n, 0, sep};
    struct token_stream y = {w, b, b + n, 0, sep};
    for (;;) {
        int cx = stream_next(&x), cy = stream_next(&y);
        if (cx != cy)
            return false;
        if (cx < 0)
            return true;
    }
}

/*
 * Find the n-gram (key, start); insert it when absent. Returns 1 when it
 * was present, 0 when inserted, < 0 on allocation failure; *entry_out is
 * the entry either way.
 */
static inline int gram_lookup(struct gram_set *s,
                              const struct ngram_ctx *cx, uint64_t key,
                              uint32_t start, size_t n, char sep,
                              struct gram_entry **entry_out)
{
    size_t j = key >> s->shift;
    while (s->slots[j].key) {
        struct gram_entry *e = &s->slots[j];
        if (e->key == key && ngram_equal(cx, e->first, start, n, sep)) {
            *entry_out = e;
            return 1;
        }
        j = (j + 1) & s->mask;
    }
    s->slots[j] = (struct gram_entry){key, start, 0};
    *entry_out = &s->slots[j];
    if (++s->used * 2 > s->mask + 1) {
        int rc = gram_set_grow(s);
        if (rc < 0)
            return rc;
        j = key >> s->shift;     /* the entry moved: find it again */
        while (s->slots[j].key != key || s->slots[j].first != start)
            j = (j + 1) & s->mask;
        *entry_out = &s->slots[j];
    }
    return 0;
}

/* Hash of token k (mod p, maybe p for 0) from the concatenated sums. */
static inline uint64_t token_hash(const struct ngram_ctx *cx, size_t k)
{
    return m61_rotr(m61_sub(cx->b[k + 1].g, cx->b[k].g), cx->rot[k]);
}

/* Hash of the n-gram at i, tokens concatenated. */
static inline uint64_t concat_hash(const struct ngram_ctx *cx, size_t i,
                                   size_t n)
{
    const struct boundary *s = &cx->b[i], *e = &cx->b[i + n];
    return m61_norm(m61_rotr(m61_sub(e->g, s->g), cx->rot[i]));
}

/* Hash of the n-gram at i, tokens joined by spaces (needs build_joined). */
static inline uint64_t joined_hash(const struct ngram_ctx *cx, size_t i,
                                   size_t n)
{
    /* the sums include the space after the last token, at joff(i + n) - 1:
     * take it out (rotations: 8 (joff mod 61) mod 61, from rotj) */
    unsigned re = cx->rotj[i + n];
    re = re >= 8 ? re - 8 : re + 53;
    uint64_t space = m61_rotl(' ', re);
    return m61_norm(m61_rotr(m61_sub(m61_sub(cx->gj[i + n], cx->gj[i]),
                                     space),
                             cx->rotj[i]));
}

/*
 * Without spaces inside tokens, two space-joined n-grams (n >= 2) are equal
 * only if their tokens are, so only if their first two tokens are: a
 * position whose 2-gram occurs nowhere else starts only unique 2-, 3- and
 * 4-grams. The 2-gram hashes come from the boundaries (no copying), counted
 * in a sketch as in mark_lone (never undercounts, so exact for count 1).
 */
static int mark_lone_joined_by_tokens(struct ngram_ctx *cx)
{
    size_t n = cx->n_words, cells = 64;
    if (n < 2)
        return 0;
    while (cells < n * 16 && cells < ((size_t)1 << 24))
        cells <<= 1;
    size_t mark = cx->n_heap;
    uint8_t *sketch = scratch(cx, cells, true);
    uint64_t *keys = scratch(cx, n * sizeof(*keys), false);
    if (!sketch || !keys) {
        scratch_release(cx, mark);
        return TH_ENOMEM;
    }
    size_t mask = cells - 1;
    for (size_t i = 0; i + 2 <= n; i++) {
        uint64_t hj = joined_hash(cx, i, 2);
        uint64_t h = mix64(hj ^ ((cx->b[i + 2].bytes - cx->b[i].bytes) *
                                 0x9e37ull));
        keys[i] = h;
        uint8_t *c1 = &sketch[h & mask], *c2 = &sketch[(h >> 32) & mask];
        *c1 = (uint8_t)(*c1 << 1 | 1);
        *c2 = (uint8_t)(*c2 << 1 | 1);
    }
    for (size_t i = 0; i + 2 <= n; i++) {
        uint64_t h = keys[i];
        if (sketch[h & mask] == 1 || sketch[(h >> 32) & mask] == 1)
            cx->lone[i] |= 2;
    }
    scratch_release(cx, mark);
    cx->joined_by_tokens = true;
    return 0;
}

/*
 * Positions the passes must visit. Bit 2 of lone: bit 0 and the 5-gram
 * from here is at least C_PREFIX bytes long, so every 5..10-gram here is
 * unique (set, and cand_dup listed, by mark_lone_concat() as it sets bit
 * 0); bit 3: every 2..4-gram here is unique (bit 1 and, in the stream
 * case, a 2-gram of at least J_PREFIX bytes), listed only when an exact
 * top pass will run. The passes only walk the other positions: settled
 * ones only advance a scan by one.
 */
static int list_candidates(struct ngram_ctx *cx, bool want_top)
{
    size_t n = cx->n_words;
    const struct boundary *b = cx->b;
    cx->cand_top = want_top ? scratch(cx, (n + 1) * sizeof(uint32_t), false)
                            : NULL;
    if (want_top && !cx->cand_top)
        return TH_ENOMEM;
    for (size_t i = 0; want_top && i < n; i++) {
        uint8_t l = cx->lone[i];
        if ((l & 2) && (cx->joined_by_tokens ||
                        (i + 2 <= n &&
                         b[i + 2].bytes - b[i].bytes + 1 >= J_PREFIX)))
            l |= 8;
        cx->lone[i] = l;
        if (!(l & 8))
            cx->cand_top[cx->n_cand_top++] = (uint32_t)i;
    }
    return 0;
}

/* Bit 7 of every UTF-8 continuation byte (10xxxxxx) of x. */
static inline uint64_t continuation_bytes(uint64_t x)
{
    return x & ~(x << 1) & TH_FT_BYTES(0x80);
}

#ifdef TH_FT_X86_WIDE
#define B8_TARGET \
    __attribute__((target("avx512f,avx512bw,avx512dq,avx512vbmi2," \
                          "avx512vpopcntdq")))

/* Has this CPU what boundaries8() takes? */
static bool b8_supported(void)
{
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vbmi2") &&
           __builtin_cpu_supports("avx512vpopcntdq");
}

/* Vector forms of m61_reduce, m61_add and m61_rotl, lane by lane. */
B8_TARGET static inline __m512i m61_reduce8(__m512i x)
{
    const __m512i p = _mm512_set1_epi64((long long)M61);
    x = _mm512_add_epi64(_mm512_and_si512(x, p), _mm512_srli_epi64(x, 61));
    return _mm512_add_epi64(_mm512_and_si512(x, p), _mm512_srli_epi64(x, 61));
}

B8_TARGET static inline __m512i m61_add8(__m512i a, __m512i b)
{
    const __m512i p = _mm512_set1_epi64((long long)M61);
    __m512i s = _mm512_add_epi64(a, b);
    return _mm512_add_epi64(_mm512_and_si512(s, p), _mm512_srli_epi64(s, 61));
}

B8_TARGET static inline __m512i m61_rotl8(__m512i v, __m512i r)
{
    const __m512i p = _mm512_set1_epi64((long long)M61);
    __m512i l = _mm512_and_si512(_mm512_sllv_epi64(v, r), p);
    __m512i rr = _mm512_sub_epi64(_mm512_set1_epi64(61), r);
    return _mm512_or_si512(l, _mm512_srlv_epi64(v, rr));
}

/* 8 v mod 61 for lanes v < 150 (v / 61 as (v 1075) >> 16: exact below
 * 1200, checked by brute force). */
B8_TARGET static inline __m512i rot_of8(__m512i v)
{
    v = _mm512_slli_epi64(v, 3);
    __m512i q = _mm512_srli_epi64(
        _mm512_mul_epu32(v, _mm512_set1_epi64(1075)), 16);
    return _mm512_sub_epi64(v, _mm512_mul_epu32(q, _mm512_set1_epi64(61)));
}

/* Lanes shifted up by s (s = 1, 2 or 4), zeros shifted in. */
#define B8_UP(x, s) _mm512_alignr_epi64((x), _mm512_setzero_si512(), 8 - (s))

/* v[0..8) as lanes, put together in registers: 8 separate 8-byte stores
 * and one 64-byte load of them would stall on store forwarding. */
B8_TARGET static inline __m512i lanes8(const uint64_t *v)
{
    __m128i q[4];
    for (int j = 0; j < 4; j++)
        q[j] = _mm_insert_epi64(_mm_cvtsi64_si128((long long)v[2 * j]),
                                (long long)v[2 * j + 1], 1);
    __m256i l = _mm256_inserti128_si256(_mm256_castsi128_si256(q[0]), q[1], 1);
    __m256i h = _mm256_inserti128_si256(_mm256_castsi128_si256(q[2]), q[3], 1);
    return _mm512_inserti64x4(_mm512_castsi256_si512(l), h, 1);
}

/* The first 8 bytes of each of the tokens w[0..8), as lanes. */
B8_TARGET static inline __m512i load8x8(const struct th_slice *w)
{
    uint64_t v[8];
    for (int j = 0; j < 8; j++)
        memcpy(&v[j], w[j].ptr, 8);
    return lanes8(v);
}

/* The running values of build_boundaries() after the last group, in lane
 * 7 of each vector (so that the next group takes them without a trip
 * through memory). */
struct lanes {
    __m512i g, chars, r, key;  /* sums, characters, rotation, 2-gram key */
    uint64_t off;              /* stream bytes */
};

/* Gopher quality's token counts of the ASCII tokens boundaries8() takes,
 * kept in lanes and registers over a run of groups. */
struct qacc {
    __m512i chars;            /* per lane: non_symbol_chars */
    __m512i seen;             /* per lane: stop_seen bits */
    __m512i stop_keys;        /* th_ft_stop_slots' keys, by slot */
    __m512i stop_bits;        /* and their bits */
    size_t n_non_symbol, n_alpha, stop_count;
};

/* Lanes with a byte of byte mask m. */
B8_TARGET static inline __mmask8 lanes_of(__mmask64 m)
{
    __m512i v = _mm512_movm_epi8(m);
    return _mm512_test_epi64_mask(v, v);
}

/*
 * Count the tokens of lanes asc (ASCII: their first 8 bytes lo, the rest
 * hi, zero bytes past each, lengths len) as th_ft_quality_add_ascii16()
 * does, and those of lanes short8 (ASCII, at most 8 bytes) as stop words
 * too, as th_ft_quality_add_ascii() does.
 */
B8_TARGET static inline void quality8(struct qacc *q, __m512i lo, __m512i hi,
                                      __m512i len, __mmask8 asc,
                                      __mmask8 short8)
{
    const __m512i b20 = _mm512_set1_epi8(0x20);
    /* letters: x | 0x20 in a..z; others: digits, space, tab, LF */
    __mmask64 let = in64(_mm512_or_si512(lo, b20), 'a', 'z') |
                    in64(_mm512_or_si512(hi, b20), 'a', 'z');
    __mmask64 oth = in64(lo, '0', '9') | in64(hi, '0', '9');
    const __m512i blank = _mm512_set1_epi8(' ');
    if (_mm512_mask_cmple_epu8_mask(_mm512_test_epi8_mask(lo, lo), lo, blank) |
        _mm512_mask_cmple_epu8_mask(_mm512_test_epi8_mask(hi, hi), hi,
                                    blank)) {
        /* a byte from 1 to 32 (rare in a token) */
        for (int h = 0; h < 2; h++) {
            __m512i x = h ? hi : lo;
            oth |= _mm512_cmpeq_epi8_mask(x, blank) |
                   _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\t')) |
                   _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\n'));
        }
    }
    __mmask8 kl = lanes_of(let) & asc;
    __mmask8 ns = (kl | lanes_of(oth)) & asc;
    q->n_non_symbol += (size_t)__builtin_popcount(ns);
    q->n_alpha += (size_t)__builtin_popcount(kl);
    q->chars = _mm512_mask_add_epi64(q->chars, ns, q->chars, len);
    /* stop words: the key (bytes, length in the top byte) at its slot */
    __m512i key = _mm512_or_si512(lo, _mm512_slli_epi64(len, 56));
    __m512i slot = _mm512_srli_epi64(
        _mm512_mullo_epi64(key,
                           _mm512_set1_epi64((long long)TH_FT_STOP_MAGIC)),
        61);
    __mmask8 hit = _mm512_mask_cmpeq_epi64_mask(
        short8, _mm512_permutexvar_epi64(slot, q->stop_keys), key);
    q->stop_count += (size_t)__builtin_popcount(hit);
    q->seen = _mm512_mask_or_epi64(
        q->seen, hit, q->seen, _mm512_permutexvar_epi64(slot, q->stop_bits));
}

/*
 * build_boundaries() for the 8 tokens from k (k > 0) when each is 1 to 16
 * bytes long, 8 at a time with AVX-512 (F, BW, DQ, VBMI2, VPOPCNTDQ): the
 * same stream bytes, sums (the same values mod p), characters, rotations,
 * 2-gram cells and Gopher quality statistics as the token-by-token loop,
 * which takes every other case. Needs 8 readable bytes after each token
 * and 128 bytes of stream room from st->off (two 64-byte stores); takes
 * and leaves the running values in st, Gopher quality's counts in q (or
 * NULL). Returns false (nothing done) when a token is empty or longer
 * than 16 bytes. The first 8 bytes of each token come from scalar loads,
 * which on this machine (AMD EPYC, AVX-512 in 256-bit halves) beat a
 * gather: filters' own part 212.6 -> 214.7 MB/s ("chain, words given",
 * medians of 3); the rarer second 8 bytes (a token of 9 to 16 bytes) come
 * from a gather.
 */
B8_TARGET __attribute__((always_inline)) static inline bool
boundaries8(struct ngram_ctx *cx, size_t k, struct lanes *st, struct qacc *q)
{
    const struct th_slice *w = cx->words + k;
    __m512i s0 = _mm512_loadu_si512((const void *)w);
    __m512i s1 = _mm512_loadu_si512((const void *)(w + 4));
    const __m512i even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
    __m512i len = _mm512_permutex2var_epi64(s0, odd, s1);
    const __m512i one = _mm512_set1_epi64(1), eight = _mm512_set1_epi64(8);
    if (_mm512_cmplt_epu64_mask(_mm512_sub_epi64(len, one),
                                _mm512_set1_epi64(16)) != 0xff)
        return false;
    __m512i ptr = _mm512_permutex2var_epi64(s0, even, s1);
    __mmask8 big = _mm512_cmpgt_epu64_mask(len, eight);
    __m512i lo = load8x8(w);
    __m512i hi = _mm512_setzero_si512();
    if (big)   /* a token of 9 to 16 bytes: in under half the groups */
        hi = _mm512_mask_i64gather_epi64(hi, big, _mm512_add_epi64(ptr, eight),
                                         (const void *)0, 1);
    const __m512i ones = _mm512_set1_epi64(-1), b64 = _mm512_set1_epi64(64);
    __m512i l8 = _mm512_min_epu64(len, eight);
    __m512i lh = _mm512_maskz_sub_epi64(big, len, eight); /* len - 8, or 0 */
    lo = _mm512_and_si512(lo, _mm512_srlv_epi64(
                                  ones, _mm512_sub_epi64(
                                            b64, _mm512_slli_epi64(l8, 3))));
    hi = _mm512_and_si512(hi, _mm512_srlv_epi64(
                                  ones, _mm512_sub_epi64(
                                            b64, _mm512_slli_epi64(lh, 3))));
    /* H(token): the low 8 bytes plus the high ones times 256^8 */
    __m512i h = m61_add8(m61_rotl8(m61_reduce8(hi), _mm512_set1_epi64(3)),
                         m61_reduce8(lo));
    /* characters: bytes less UTF-8 continuation bytes */
    const __m512i top = _mm512_set1_epi64((long long)0x8080808080808080ull);
    __m512i cont = _mm512_add_epi64(
        _mm512_popcnt_epi64(_mm512_andnot_si512(_mm512_slli_epi64(lo, 1),
                                                _mm512_and_si512(lo, top))),
        _mm512_popcnt_epi64(_mm512_andnot_si512(_mm512_slli_epi64(hi, 1),
                                                _mm512_and_si512(hi, top))));
    __m512i nch = _mm512_sub_epi64(len, cont);
    /* inclusive prefix sums of bytes and characters */
    __m512i inc = len, chs = nch;
    inc = _mm512_add_epi64(inc, B8_UP(inc, 1));
    chs = _mm512_add_epi64(chs, B8_UP(chs, 1));
    inc = _mm512_add_epi64(inc, B8_UP(inc, 2));
    chs = _mm512_add_epi64(chs, B8_UP(chs, 2));
    inc = _mm512_add_epi64(inc, B8_UP(inc, 4));
    chs = _mm512_add_epi64(chs, B8_UP(chs, 4));
    /* rotations before and after each token: 8 (off + prefix) mod 61 */
    const __m512i last = _mm512_set1_epi64(7);
    __m512i rb = _mm512_permutexvar_epi64(last, st->r);
    __m512i r_after = _mm512_add_epi64(rot_of8(inc), rb);
    const __m512i m61v = _mm512_set1_epi64(61);
    r_after = _mm512_mask_sub_epi64(
        r_after, _mm512_cmpge_epu64_mask(r_after, m61v), r_after, m61v);
    /* before each token: after the one before it (the last group's lane
     * 7 for the first) */
    __m512i r_before = _mm512_alignr_epi64(r_after, st->r, 7);
    /* the sums: H(token) 256^off, added up */
    __m512i t = m61_rotl8(h, r_before);
    t = m61_add8(t, B8_UP(t, 1));
    t = m61_add8(t, B8_UP(t, 2));
    t = m61_add8(t, B8_UP(t, 4));
    __m512i g = m61_add8(t, _mm512_permutexvar_epi64(last, st->g));
    uint64_t off = st->off;
    __m512i bytes = _mm512_add_epi64(inc, _mm512_set1_epi64((long long)off));
    __m512i chars = _mm512_add_epi64(chs,
                                     _mm512_permutexvar_epi64(last,
                                                              st->chars));
    __m512i bc = _mm512_or_si512(_mm512_and_si512(bytes,
                                                  _mm512_set1_epi64(0xffffffff)),
                                 _mm512_slli_epi64(chars, 32));
    const __m512i zip0 = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0);
    const __m512i zip1 = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
    struct boundary *nb = &cx->b[k + 1];
    _mm512_storeu_si512((void *)nb, _mm512_permutex2var_epi64(g, zip0, bc));
    _mm512_storeu_si512((void *)(nb + 4),
                        _mm512_permutex2var_epi64(g, zip1, bc));
    _mm_storel_epi64((__m128i *)(cx->rot + k + 1),
                     _mm512_cvtepi64_epi8(r_after));
    /* the 2-grams ending at each token: their cells */
    __m512i key = _mm512_mullo_epi64(
        _mm512_xor_si512(h, _mm512_slli_epi64(len, 61)),
        _mm512_set1_epi64((long long)0x9e3779b97f4a7c15ull));
    __m512i prev = _mm512_alignr_epi64(key, st->key, 7);
    __m512i pair = _mm512_xor_si512(
        _mm512_mullo_epi64(prev,
                           _mm512_set1_epi64((long long)0xff51afd7ed558ccdull)),
        key);
    pair = _mm512_srlv_epi64(
        _mm512_mullo_epi64(pair,
                           _mm512_set1_epi64((long long)0xc4ceb9fe1a85ec53ull)),
        _mm512_set1_epi64(64 - (long long)cx->pair_bits));
    _mm256_storeu_si256((__m256i *)(cx->pair_cell + k - 1),
                        _mm512_cvtepi64_epi32(pair));
    st->g = g;
    st->chars = chars;
    st->r = r_after;
    st->key = key;
    /* the stream: each token's low len bytes, packed (VBMI2), two 64-byte
     * stores (the next tokens overwrite the excess) */
    __m512i bm = _mm512_srlv_epi64(_mm512_set1_epi64(0xffff),
                                   _mm512_sub_epi64(_mm512_set1_epi64(16),
                                                    len));
    __m128i m16 = _mm512_cvtepi64_epi16(bm);
    uint64_t ma = (uint64_t)_mm_cvtsi128_si64(m16);
    uint64_t mb = (uint64_t)_mm_extract_epi64(m16, 1);
    uint8_t *p = cx->stream + off;
    size_t la = (size_t)__builtin_popcountll(ma);
    _mm512_storeu_si512((void *)p, _mm512_maskz_compress_epi8(
                                       ma, _mm512_permutex2var_epi64(
                                               lo, zip0, hi)));
    _mm512_storeu_si512((void *)(p + la), _mm512_maskz_compress_epi8(
                                              mb, _mm512_permutex2var_epi64(
                                                      lo, zip1, hi)));
    st->off = off + la + (size_t)__builtin_popcountll(mb);
    if (q) {
        /* Gopher quality: ASCII tokens counted here, in the lanes, as
         * th_ft_quality_add_ascii() and _add_ascii16() count them; the
         * others one by one */
        __mmask8 high = _mm512_test_epi64_mask(_mm512_or_si512(lo, hi), top);
        quality8(q, lo, hi, len, (__mmask8)~high, (__mmask8)(~high & ~big));
        for (unsigned rest = high; rest; rest &= rest - 1)
            th_ft_quality_add_padded(cx->quality,
                                     w[__builtin_ctz(rest)], cx->terminal,
                                     cx->word_pad);
    }
    return true;
}

/*
 * boundaries8() over the groups of 8 tokens from k for as long as they
 * qualify (one call, so that its constants stay in registers); the tokens
 * done, a multiple of 8 (0: the group at k does not qualify).
 */
B8_TARGET static size_t boundaries_run8(struct ngram_ctx *cx, size_t k,
                                        size_t cap, uint64_t *off_io,
                                        unsigned *r_io, uint64_t *prev_key_io)
{
    const struct boundary *cb = &cx->b[k];
    struct lanes st = {_mm512_set1_epi64((long long)cb->g),
                       _mm512_set1_epi64((long long)cb->chars),
                       _mm512_set1_epi64((long long)*r_io),
                       _mm512_set1_epi64((long long)*prev_key_io), *off_io};
    size_t done = 0;
    struct qacc acc, *q = cx->quality ? &acc : NULL;
    if (q) {
        uint64_t keys[8], bits[8];
        for (int j = 0; j < 8; j++) {
            keys[j] = th_ft_stop_slots[j].key;
            bits[j] = th_ft_stop_slots[j].bit;
        }
        acc = (struct qacc){_mm512_setzero_si512(), _mm512_setzero_si512(),
                            _mm512_loadu_si512((const void *)keys),
                            _mm512_loadu_si512((const void *)bits), 0, 0, 0};
    }
    while (cx->n_words - (k + done) >= 8 && st.off + 160 <= cap &&
           st.off + 160 < UINT32_MAX && boundaries8(cx, k + done, &st, q))
        done += 8;
    if (q) {
        struct th_ft_token_stats *ts = cx->quality;
        ts->n_non_symbol += acc.n_non_symbol;
        ts->n_alpha += acc.n_alpha;
        ts->stop_count += acc.stop_count;
        ts->non_symbol_chars += (size_t)_mm512_reduce_add_epi64(acc.chars);
        ts->stop_seen |= (unsigned)_mm512_reduce_or_epi64(acc.seen);
    }
    *off_io = st.off;
    *r_io = (unsigned)_mm_extract_epi64(_mm512_extracti64x2_epi64(st.r, 3), 1);
    *prev_key_io = (uint64_t)_mm_extract_epi64(
        _mm512_extracti64x2_epi64(st.key, 3), 1);
    return done;
}
#endif

/*
 * The token stream (one copy of every token, 16 zero bytes after) and the
 * boundaries: per token H(token) mod p, its characters (bytes that are not
 * UTF-8 continuation bytes; the decoder's count from 64 bytes on) and
 * whether it holds a space, from 8-byte words, then the prefix sums. A
 * token of up to 8 bytes is one word: loaded without a length branch
 * (th_ft_load_short), stored into the stream with one 8-byte store (the
 * next token overwrites the excess) and hashed as is. Also each 2-gram's
 * cell in the top bound's sketch (struct top_bound), from its tokens' keys.
 */
static int build_boundaries(struct ngram_ctx *cx)
{
    size_t n = cx->n_words;
    /* the stream's size is a guess of 8 bytes a token, grown when a token
     * does not fit (no pass over the tokens just to add their lengths) */
    size_t cap = (n < ((size_t)1 << 28) ? n * 8 : (size_t)1 << 31) + 32;
    struct boundary *b = scratch(cx, (n + 1) * sizeof(*b), false);
    uint32_t *pairs = scratch(cx, (n + 1) * sizeof(*pairs), false);
    uint8_t *stream = scratch(cx, cap, false);
    uint8_t *rot = scratch(cx, n + 1, false);
    bool wide = cx->word_pad >= 8 && cx->lanes;  /* boundaries_run8() */
    /* Gopher quality's short ASCII tokens, for one batch after the loop
     * (with the AVX-512 groups, counted as they come) */
    bool batch = cx->quality && !wide;
    uint64_t *qx = batch ? scratch(cx, (n + 1) * 8, false) : NULL;
    uint64_t *qlen = batch ? scratch(cx, (n + 1) * 8, false) : NULL;
    if (!b || !pairs || !stream || !rot || (batch && (!qx || !qlen)))
        return TH_ENOMEM;
    cx->rot = rot;
    cx->b = b;
    cx->pair_cell = pairs;
    /* the top bound's sketch: 8 cells a token (only documents below 65535
     * tokens get a bound, see struct top_bound) */
    unsigned pbits = 6;
    while (((size_t)1 << pbits) < n * 8 && pbits < 20)
        pbits++;
    cx->pair_bits = pbits;
    uint64_t prev_key = 0;
    cx->stream = stream;
    b[0] = (struct boundary){0, 0, 0};
    uint64_t off = 0;
    unsigned r = 0;                 /* m61_rot_of(off), kept up to date */
    rot[0] = 0;
    for (size_t k = 0; k < n; k++) {
#ifdef TH_FT_X86_WIDE
        size_t done = wide && k > 0 ? boundaries_run8(cx, k, cap, &off, &r,
                                                      &prev_key)
                                    : 0;
        if (done) {
            k += done - 1;
            continue;
        }
#endif
        size_t len = cx->words[k].len;
        const uint8_t *src = (const uint8_t *)cx->words[k].ptr;
        if (off + len + 16 > cap) {
            if (off + len >= UINT32_MAX - 16)
                return TH_ELIMIT;   /* struct boundary's offsets: 32-bit */
            size_t grown = cap * 2 > off + len + 16 ? cap * 2
                                                   : off + len + 16;
            uint8_t *s = scratch(cx, grown, false);
            if (!s)
                return TH_ENOMEM;
            memcpy(s, stream, off);
            cx->stream = stream = s;  /* the old block stays until the end */
            cap = grown;
        }
        uint8_t *p = stream + off;
        uint64_t h, x;
        unsigned cont;  /* continuation bytes */
        unsigned r0 = r;  /* the rotation of off (r moves on below) */
        if (len - 1 < 8) {
            /* one load when the tokens are padded (the branch is the
             * same for every token) */
            if (cx->word_pad >= 8)
                memcpy(&x, src, 8);
            else
                x = th_ft_load_short(src, len);
            x &= th_ft_low_bytes(len);
            memcpy(p, &x, 8);
            h = m61_reduce(x);
            /* ASCII words (most) have no continuation byte to count */
            cont = 0;
            if (__builtin_expect((x & TH_FT_BYTES(0x80)) != 0, 0))
                cont = th_ft_count_marked(continuation_bytes(x));
            /* r + 8 len <= 124: two subtractions, without branches (r
             * would defeat branch prediction) */
            r += 8 * (unsigned)len;
            r -= 61 & -(unsigned)(r >= 61);
            r -= 61 & -(unsigned)(r >= 61);
            if (cx->quality) {
                bool ascii = !(x & TH_FT_BYTES(0x80));
                if (batch) {
                    qx[k] = ascii ? x : 0;
                    qlen[k] = ascii ? len : 0;
                } else if (ascii) {
                    th_ft_quality_add_ascii(cx->quality, x, len);
                }
                if (!ascii)
                    th_ft_quality_add_padded(cx->quality, cx->words[k],
                                             cx->terminal, cx->word_pad);
            }
        } else if (len <= 16 && cx->word_pad >= 8) {
            /* 9 to 16 bytes, padded: two loads, two stores, no loop */
            uint64_t hi;
            memcpy(&x, src, 8);
            memcpy(&hi, src + 8, 8);
            hi &= th_ft_low_bytes(len - 8);
            memcpy(p, &x, 8);
            memcpy(p + 8, &hi, 8);
            h = m61_add(m61_shift(m61_reduce(hi), 8), m61_reduce(x));
            cont = th_ft_count_marked(continuation_bytes(x)) +
                   th_ft_count_marked(continuation_bytes(hi));
            r = (r + (unsigned)len * 8) % 61;
            if (cx->quality) {
                if (batch)
                    qx[k] = qlen[k] = 0;
                if (!((x | hi) & TH_FT_BYTES(0x80)))
                    th_ft_quality_add_ascii16(cx->quality, x, hi, len);
                else
                    th_ft_quality_add_padded(cx->quality, cx->words[k],
                                             cx->terminal, cx->word_pad);
            }
        } else if (len == 0) {
            x = h = 0;
            cont = 0;
            if (cx->quality) {
                if (batch)
                    qx[k] = qlen[k] = 0;
                th_ft_quality_add_token(cx->quality, cx->words[k],
                                        cx->terminal);
            }
        } else {
            if (cx->quality) {
                if (batch)
                    qx[k] = qlen[k] = 0;
                th_ft_quality_add_token(cx->quality, cx->words[k],
                                        cx->terminal);
            }
            memcpy(p, src, len);
            /* Horner from the last chunk: 2^64 = 256^8 (mod p) */
            size_t c = (len - 1) / 8;
            memcpy(&x, p + 8 * c, 8);
            x &= ~0ull >> (64 - 8 * (len - 8 * c));
            h = m61_reduce(x);
            cont = th_ft_count_marked(continuation_bytes(x));
            while (c--) {
                memcpy(&x, p + 8 * c, 8);
                h = m61_add(m61_shift(h, 8), m61_reduce(x));
                cont += th_ft_count_marked(continuation_bytes(x));
            }
            r = (r + (unsigned)(len % 61) * 8) % 61;
        }
        uint64_t nchars = len < 64 ? len - cont
                                   : th_ft_count_chars((const char *)p, len);
        /* the 2-gram ending here: its cell from the two tokens' keys */
        uint64_t key = (h ^ (uint64_t)len << 61) * 0x9e3779b97f4a7c15ull;
        uint64_t pair = (prev_key * 0xff51afd7ed558ccdull) ^ key;
        if (k > 0)
            pairs[k - 1] = (uint32_t)((pair * 0xc4ceb9fe1a85ec53ull) >>
                                      (64 - pbits));
        prev_key = key;
        const struct boundary *cb = &b[k];
        struct boundary *nb = &b[k + 1];
        nb->g = m61_add(cb->g, m61_rotl(h, r0));
        nb->chars = cb->chars + (uint32_t)nchars;
        off += len;
        nb->bytes = (uint32_t)off;
        rot[k + 1] = (uint8_t)r;
    }
    memset(stream + off, 0, 16);
    /* a space inside a token: one search of the stream (memchr is faster
     * than a test per token) */
    cx->space_in_token = memchr(stream, ' ', off) != NULL;
    if (batch)
        th_ft_quality_add_ascii_batch(cx->quality, qx, qlen, n);
    return 0;
}

/*
 * The space-joined sums of the boundaries (gj), only needed by the exact
 * top n-gram passes. A token's hash is the difference of the concatenated
 * sums around it, shifted back: (g[k + 1] - g[k]) 256^-coff.
 */
static int build_joined(struct ngram_ctx *cx)
{
    const struct boundary *b = cx->b;
    size_t n = cx->n_words;
    uint64_t *gj = scratch(cx, (n + 1) * sizeof(*gj), false);
    uint8_t *rotj = scratch(cx, n + 1, false);
    if (!gj || !rotj)
        return TH_ENOMEM;
    cx->gj = gj;
    cx->rotj = rotj;
    for (size_t k = 0; k <= n; k++)
        rotj[k] = (uint8_t)m61_rot_of(b[k].bytes + k);
    gj[0] = 0;
    for (size_t k = 0; k < n; k++) {
        /* the token at joff, its space at joff(k + 1) - 1 */
        unsigned rs = rotj[k + 1];
        rs = rs >= 8 ? rs - 8 : rs + 53;
        uint64_t t = m61_add(m61_rotl(token_hash(cx, k), rotj[k]),
                             m61_rotl(' ', rs));
        gj[k + 1] = m61_add(gj[k], t);
    }
    return 0;
}

/*
 * Upper bound of the top n-gram statistics (n = 2..4) from 2-gram counts,
 * so that a document far below the thresholds skips the exact passes.
 * Without spaces inside tokens, equal joined n-grams are equal token
 * sequences. The top n-gram g = g_0..g_{n-1} occurs M times, and at each
 * occurrence each 2-gram g_k g_{k+1} starts, so M <= the count c of that
 * 2-gram and M (len(g_k g_{k+1}) + 1) <= W2, the largest
 * c (chars(t) + chars(u) + 2) over the 2-grams t u of the text. Hence
 * len(g) M <= W2 for n = 2; for n = 3, len(g) = len(g_0 g_1) + 1 +
 * chars(g_2) and M chars(g_2) < M (len(g_1 g_2) + 1), so len(g) M <= 2 W2;
 * for n = 4, len(g) = len(g_0 g_1) + 1 + len(g_2 g_3): len(g) M <= 2 W2.
 * Counts come from a count-min sketch (one cell a key, 8 cells a token),
 * which never undercounts (documents of 65535 tokens or more, whose 16-bit
 * cells could wrap, get no bound). (Session 2 bounded n V instead, V the
 * largest min(M2, count(t)) (chars(t) + 1) over the tokens, M2 the largest
 * 2-gram count: a second sketch of token counts, and on the corpus it left
 * a rule open in twice as many documents.)
 *
 * The counting happens in mark_lone_concat()'s first pass over the tokens
 * (with the prefilter of the concatenated stream), W2 with the counts. Only
 * 2-grams counted twice or more enter W2: when the top n-gram occurs once,
 * it is the first n-gram (its length is the bound then). A rule this
 * leaves open goes to bound_by_counts() before any exact pass.
 */
struct top_bound {
    uint16_t *bi;             /* 2-gram counts (cells: cx->pair_cell), or
                                 NULL: no bound */
    uint64_t w2;              /* W2 */
};

/* Characters of the first space-joined n-gram (0 when there is none): the
 * top n-gram when every n-gram occurs once. */
static uint64_t first_len(const struct ngram_ctx *cx, size_t n)
{
    return n <= cx->n_words ? cx->b[n].chars - cx->b[0].chars + n - 1 : 0;
}

/* Does bound (of len(g) M for the top (t + 2)-gram g seen M >= 2 times)
 * settle rule t (threshold thr over len_text characters)? The top n-gram
 * seen once is the first one. */
static bool settles(const struct ngram_ctx *cx, int t, uint64_t bound,
                    double thr, size_t len_text)
{
    uint64_t first = first_len(cx, (size_t)t + 2);
    bound = bound > first ? bound : first;
    return !(frac((size_t)bound, len_text) > thr);
}

/* Which top rules the bound settles (cannot fire). */
static void bound_settle(const struct ngram_ctx *cx,
                         const struct top_bound *tb, const double *top_frac,
                         size_t len_text,
                         bool settled_out[TH_GOPHER_TOP_NGRAMS])
{
    for (int t = 0; t < TH_GOPHER_TOP_NGRAMS; t++)
        settled_out[t] = settles(cx, t, t ? 2 * tb->w2 : tb->w2, top_frac[t],
                                 len_text);
}

/* The running-count maxima W_n of bound_by_counts() for the n = t + 2 with
 * want[t] (w[t]), and the largest of those counts (c[t]). */
static int count_top(struct ngram_ctx *cx, const bool *want, uint64_t *w,
                     uint64_t *c)
{
    size_t n = cx->n_words;
    unsigned bits = 6;
    while (((size_t)1 << bits) < n * 8 && bits < 17)
        bits++;
    uint32_t *cells[TH_GOPHER_TOP_NGRAMS] = {NULL};
    for (int t = 0; t < TH_GOPHER_TOP_NGRAMS; t++) {
        w[t] = c[t] = 0;
        if (want[t] && !(cells[t] = th_arena_calloc(
                             cx->arena, (size_t)1 << bits, sizeof(uint32_t))))
            return TH_ENOMEM;
    }
    const struct boundary *b = cx->b;
    unsigned shift = 64 - bits;
    uint64_t low = ((uint64_t)1 << bits) - 1;
    static const uint64_t mul[TH_GOPHER_TOP_NGRAMS] = {
        0xff51afd7ed558ccdull, 0xc4ceb9fe1a85ec53ull, 0x9e3779b97f4a7c15ull,
    };
    uint64_t k1 = 0, k2 = 0, k3 = 0;   /* keys of the last three tokens */
    for (size_t k = 0; k < n; k++) {
        uint64_t key = mix64(m61_norm(token_hash(cx, k)) ^
                             (uint64_t)(b[k + 1].bytes - b[k].bytes) << 61);
        /* the n-grams ending at token k, n = 2..4 */
        uint64_t g = key;
        const uint64_t prev[3] = {k3, k2, k1};
        for (int t = 0; t < TH_GOPHER_TOP_NGRAMS && (size_t)t + 1 <= k;
             t++) {
            g = (g + prev[t]) * mul[t];
            if (!cells[t])
                continue;
            uint32_t *c1 = &cells[t][g >> shift], *c2 = &cells[t][g & low];
            uint64_t a1 = ++*c1, a2 = ++*c2;
            uint64_t cnt = a1 < a2 ? a1 : a2;
            uint64_t x = cnt * (b[k + 1].chars - b[k - 1 - t].chars + 1 +
                                (uint64_t)t);
            uint64_t m = -(uint64_t)(cnt >= 2);
            x &= m;
            w[t] = x > w[t] ? x : w[t];
            c[t] = (cnt & m) > c[t] ? cnt & m : c[t];
        }
        k1 = k2;
        k2 = k3;
        k3 = key;
    }
    return 0;
}

/*
 * When the 2-gram bound leaves a top rule open (or gave none: documents of
 * 65535 tokens or more): the bound from each rule's own n-grams. Counts of
 * the 2-, 3- and 4-grams come from count-min sketches (32-bit cells, 8 a
 * token up to 2^17 a sketch, so that they come from the arena rather than
 * from fresh pages; two cells a key, the count their minimum: never an
 * undercount, and a rare long n-gram seldom takes a frequent one's count
 * in both cells of a large document), and W_n is the largest
 * running count c times len(g) over the positions where c >= 2: at the
 * last occurrence of an n-gram g of M >= 2 occurrences, c >= M, so
 * W_n >= len(g) M. The top n-gram is one of those, or, when every n-gram
 * occurs once, the first one. Without spaces inside tokens, equal joined
 * n-grams are equal token sequences, so a token's key (its hash mod p from
 * the boundary sums, and its length) stands for its string.
 */
static int bound_by_counts(struct ngram_ctx *cx, const double *top_frac,
                           size_t len_text,
                           bool settled[TH_GOPHER_TOP_NGRAMS])
{
    if (cx->n_words < 2 || cx->space_in_token)
        return 0;
    bool open[TH_GOPHER_TOP_NGRAMS];
    for (int t = 0; t < TH_GOPHER_TOP_NGRAMS; t++)
        open[t] = top_frac[t] && !settled[t];
    uint64_t w[TH_GOPHER_TOP_NGRAMS], c[TH_GOPHER_TOP_NGRAMS];
    /* all open (no 2-gram bound yet: a document of 65535 tokens or more):
     * the 2-grams first, whose 2 W2 often settles the 3- and 4-gram rules
     * too (struct top_bound; W2 = the largest c (len + 1) <= w + c) */
    if (open[0] && open[1] && open[2]) {
        static const bool two[TH_GOPHER_TOP_NGRAMS] = {true, false, false};
        int rc = count_top(cx, two, w, c);
        if (rc < 0)
            return rc;
        for (int t = 0; t < TH_GOPHER_TOP_NGRAMS; t++) {
            settled[t] = settles(cx, t, t ? 2 * (w[0] + c[0]) : w[0],
                                 top_frac[t], len_text);
            open[t] = !settled[t] && t;
        }
    }
    if (!open[0] && !open[1] && !open[2])
        return 0;
    int rc = count_top(cx, open, w, c);
    if (rc < 0)
        return rc;
    for (int t = 0; t < TH_GOPHER_TOP_NGRAMS; t++)
        if (open[t])
            settled[t] = settles(cx, t, w[t], top_frac[t], len_text);
    return 0;
}

#ifdef TH_FT_X86_WIDE
/* The 8 bytes at p + off[j] (j < 8) as lanes. */
B8_TARGET static inline __m512i load_at8(const uint8_t *p, const size_t *off)
{
    uint64_t v[8];
    for (int j = 0; j < 8; j++)
        memcpy(&v[j], p + off[j], 8);
    return lanes8(v);
}

/* keys[i] = prefix_hash(stream, off, total - off, C_PREFIX) >> shift for
 * the positions i < n8 (a multiple of 8), 8 at a time (the multiplies
 * and the rest in vectors; 16 scalar loads). */
B8_TARGET static void prefix_keys8(const struct ngram_ctx *cx, size_t n8,
                                   size_t total, unsigned shift,
                                   uint32_t *keys)
{
    const __m512i c0 = _mm512_set1_epi64((long long)0x9e3779b97f4a7c15ull);
    const __m512i c1 = _mm512_set1_epi64((long long)0xc2b2ae3d27d4eb4full);
    const __m512i tot = _mm512_set1_epi64((long long)total);
    const __m512i w16 = _mm512_set1_epi64(C_PREFIX);
    for (size_t i = 0; i < n8; i += 8) {
        size_t off[8];
        for (int j = 0; j < 8; j++)
            off[j] = cx->b[i + (size_t)j].bytes;
        __m512i v0 = load_at8(cx->stream, off);
        __m512i v1 = load_at8(cx->stream + 8, off);
        __m512i o = _mm512_loadu_si512((const void *)off);
        __m512i len = _mm512_min_epu64(_mm512_sub_epi64(tot, o), w16);
        __m512i h = _mm512_xor_si512(
            _mm512_mullo_epi64(v0, c0),
            _mm512_mullo_epi64(_mm512_add_epi64(v1, len), c1));
        h = _mm512_xor_si512(h, _mm512_srli_epi64(h, 29));
        h = _mm512_srl_epi64(h, _mm_cvtsi32_si128((int)shift));
        _mm256_storeu_si256((__m256i *)(keys + i), _mm512_cvtepi64_epi32(h));
    }
}

/* The word bytes | chars << 32 of the boundaries b[0..8), as lanes. */
B8_TARGET static inline __m512i boundary_counts8(const struct boundary *b)
{
    const __m512i odd = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
    return _mm512_permutex2var_epi64(_mm512_loadu_si512((const void *)b), odd,
                                     _mm512_loadu_si512((const void *)(b + 4)));
}

/*
 * mark_lone_concat()'s second loop for the positions i < n8 (a multiple of
 * 8, n8 + 5 < n), 8 at a time: bits 0 and 2 of lone and the candidates,
 * listed in order by a compress; *n_dup is their count. The "seen again"
 * words come from scalar loads put together in registers (a gather is
 * slower here).
 */
B8_TARGET static void lone_cands8(struct ngram_ctx *cx, size_t n8,
                                  size_t total, const uint64_t *seen,
                                  const uint32_t *keys, size_t *n_dup)
{
    const __m512i low32 = _mm512_set1_epi64(0xffffffff);
    const __m512i width = _mm512_set1_epi64(C_PREFIX);
    const __m512i tot = _mm512_set1_epi64((long long)total);
    const __m512i one = _mm512_set1_epi64(1);
    __m512i idx = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    size_t nd = *n_dup;
    for (size_t i = 0; i < n8; i += 8) {
        const struct boundary *b = cx->b + i;
        __m512i off = _mm512_and_si512(boundary_counts8(b), low32);
        __m512i off5 = _mm512_and_si512(boundary_counts8(b + 5), low32);
        __m512i k = _mm512_cvtepu32_epi64(
            _mm256_loadu_si256((const __m256i *)(const void *)(keys + i)));
        uint64_t again[8];
        for (int j = 0; j < 8; j++)
            again[j] = seen[(keys[i + (size_t)j] >> 6) * 2 + 1];
        __m512i bit = _mm512_and_si512(
            _mm512_srlv_epi64(lanes8(again),
                              _mm512_and_si512(k, _mm512_set1_epi64(63))),
            one);
        __mmask8 lone1 = _mm512_cmpge_epu64_mask(_mm512_sub_epi64(tot, off),
                                                 width) &
                         _mm512_testn_epi64_mask(bit, bit);
        __mmask8 five = lone1 & _mm512_cmpge_epu64_mask(
                                    _mm512_sub_epi64(off5, off), width);
        __m512i l = _mm512_cvtepu8_epi64(
            _mm_loadl_epi64((const __m128i *)(const void *)(cx->lone + i)));
        l = _mm512_mask_or_epi64(l, lone1, l, one);
        l = _mm512_mask_or_epi64(l, five, l, _mm512_set1_epi64(4));
        _mm_storel_epi64((__m128i *)(void *)(cx->lone + i),
                         _mm512_cvtepi64_epi8(l));
        __mmask8 cand = (__mmask8)~_mm512_test_epi64_mask(
            l, _mm512_set1_epi64(4));
        _mm256_storeu_si256((__m256i *)(void *)(cx->cand_dup + nd),
                            _mm512_cvtepi64_epi32(
                                _mm512_maskz_compress_epi64(cand, idx)));
        nd += (size_t)__builtin_popcount(cand);
        idx = _mm512_add_epi64(idx, _mm512_set1_epi64(8));
    }
    *n_dup = nd;
}

/* w2_of_counts() for positions [0, m8), m8 a multiple of 8, m8 + 2 <= n:
 * the lanes' maxima. */
B8_TARGET static uint64_t w2_of_counts8(const struct ngram_ctx *cx,
                                        const uint16_t *cnts, size_t m8)
{
    const __m512i two = _mm512_set1_epi64(2);
    __m512i w = _mm512_setzero_si512();
    for (size_t i = 0; i < m8; i += 8) {
        const struct boundary *b = cx->b + i;
        __m512i c0 = _mm512_srli_epi64(boundary_counts8(b), 32);
        __m512i c2 = _mm512_srli_epi64(boundary_counts8(b + 2), 32);
        __m512i cnt = _mm512_cvtepu16_epi64(
            _mm_loadu_si128((const __m128i *)(const void *)(cnts + i)));
        __m512i x = _mm512_mul_epu32(
            cnt, _mm512_add_epi64(_mm512_sub_epi64(c2, c0), two));
        w = _mm512_mask_max_epu64(w, _mm512_cmpge_epu64_mask(cnt, two), w, x);
    }
    return _mm512_reduce_max_epu64(w);
}
#endif

/* W2 of struct top_bound: the largest cnts[i] (len of the 2-gram at i)
 * over the positions i < m whose running count cnts[i] is 2 or more. */
static uint64_t w2_of_counts(const struct ngram_ctx *cx,
                             const uint16_t *cnts, size_t m)
{
    uint64_t w2 = 0;
    size_t i = 0;
#ifdef TH_FT_X86_WIDE
    if (cx->lanes && m >= 8) {
        i = m & ~(size_t)7;
        w2 = w2_of_counts8(cx, cnts, i);
    }
#endif
    for (; i < m; i++) {
        uint64_t cnt = cnts[i];
        uint64_t x = cnt * (cx->b[i + 2].chars - cx->b[i].chars + 2);
        x &= -(uint64_t)(cnt >= 2);
        w2 = x > w2 ? x : w2;
    }
    return w2;
}

/*
 * mark_lone(cx, 0, C_PREFIX, 1), bit 2 and cand_dup (list_candidates())
 * and, when want_bound, the top bound:
 * settled_out tells which top rules (thresholds top_frac, over len_text
 * characters) the bound settles (none for long documents, spaces inside
 * tokens, or when its scratch is not available).
 *
 * Unlike mark_lone(), one bit a key rather than two byte cells: 32 bits a
 * token in two bit sets, "seen" and "seen again" (a key whose bit was seen
 * again is not lone). A collision only costs a position its shortcut, as
 * in the sketch (about 3% of lone keys here, 1.6% there), but the sets take
 * 8 bytes a token instead of 16 and one probe instead of two, which keeps
 * them in the L1 cache with the rest of the pass (measured: the filters'
 * own part of the chain 185 -> 188 MB/s, medians of 4).
 */
static int mark_lone_concat(struct ngram_ctx *cx, bool want_bound,
                            const double *top_frac, size_t len_text,
                            bool settled_out[TH_GOPHER_TOP_NGRAMS])
{
    size_t n = cx->n_words;
    /* below 65535 tokens no 16-bit cell can wrap */
    want_bound = want_bound && n >= 2 && n < 65535 && !cx->space_in_token;
    size_t total = (size_t)cx->b[n].bytes;
    cx->cand_dup = scratch(cx, (n + 1) * sizeof(*cx->cand_dup), false);
    if (!cx->cand_dup)
        return TH_ENOMEM;
    /* the prefix keys' bits: 32 a token, in words of 64 bits, each word's
     * "seen" bits next to its "seen again" bits (one cache line) */
    unsigned bits = 9;
    while (((size_t)1 << bits) < n * 32 && bits < 26)
        bits++;
    unsigned shift = 64 - bits;
    size_t mark = cx->n_heap;      /* (cand_dup is kept) */
    uint64_t *seen = scratch(cx, ((size_t)1 << bits) / 32 * sizeof(*seen),
                             true);
    uint32_t *keys = scratch(cx, (n + 1) * sizeof(*keys), false);
    if (!seen || !keys) {
        scratch_release(cx, mark);
        return TH_ENOMEM;
    }
    struct top_bound tb = {NULL, 0};
    uint16_t *cnts = NULL;   /* each 2-gram's running count */
    if (want_bound) {
        tb.bi = scratch(cx, sizeof(*tb.bi) << cx->pair_bits, true);
        cnts = tb.bi ? scratch(cx, n * sizeof(*cnts), false) : NULL;
        if (!cnts)
            tb.bi = NULL;
    }
    const uint8_t *stream = cx->stream;
    const struct boundary *b = cx->b;
    size_t n8 = 0;
#ifdef TH_FT_X86_WIDE
    if (cx->lanes) {
        n8 = n & ~(size_t)7;
        prefix_keys8(cx, n8, total, shift, keys);
    }
#endif
    for (size_t i = n8; i < n; i++) {
        size_t off = (size_t)b[i].bytes;
        keys[i] = (uint32_t)(prefix_hash(stream, off, total - off, C_PREFIX)
                             >> shift);
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t k = keys[i];
        uint64_t *w = &seen[(k >> 6) * 2], bit = 1ull << (k & 63);
        uint64_t once = w[0];
        w[1] |= once & bit;
        w[0] = once | bit;
        if (cnts && i + 1 < n)
            cnts[i] = ++tb.bi[cx->pair_cell[i]];
    }
    if (cnts)
        tb.w2 = w2_of_counts(cx, cnts, n - 1);
    size_t n_dup = 0, done = 0;
#ifdef TH_FT_X86_WIDE
    if (cx->lanes && n >= 14) {
        done = (n - 6) & ~(size_t)7;   /* done + 5 < n */
        lone_cands8(cx, done, total, seen, keys, &n_dup);
    }
#endif
    for (size_t i = done; i < n; i++) {
        size_t off = (size_t)b[i].bytes;
        uint32_t k = keys[i];
        /* without branches (they would depend on the text) */
        unsigned one = (total - off >= C_PREFIX) &
                       !(seen[(k >> 6) * 2 + 1] >> (k & 63) & 1);
        /* bit 2 and the candidates of the duplicate passes (see
         * list_candidates()) */
        size_t e = i + 5 <= n ? i + 5 : n;
        unsigned five = one & (i + 5 <= n) &
                        (b[e].bytes - off >= C_PREFIX);
        uint8_t l = (uint8_t)(cx->lone[i] | one | five << 2);
        cx->lone[i] = l;
        cx->cand_dup[n_dup] = (uint32_t)i;
        n_dup += !(l & 4);
    }
    cx->n_cand_dup = n_dup;
    if (tb.bi)
        bound_settle(cx, &tb, top_frac, len_text, settled_out);
    scratch_release(cx, mark);
    return 0;
}

static size_t table_expect(size_t n_candidates)
{
    /* only the positions the prefilter left can be inserted (the set
     * grows past 4096 entries if it must) */
    return n_candidates < 4096 ? n_candidates + 8 : 4096;
}

/* find_top_duplicate over the space-joined n-grams: len(top) * count. */
static int top_ngram_chars(const struct ngram_ctx *cx, size_t n,
                           size_t *chars_out)
{
    struct gram_set set;
    *chars_out = 0;
    if (gram_set_init(&set, cx->arena, table_expect(cx->n_cand_top)) < 0)
        return TH_ENOMEM;
    /* every n-gram counts at least once: the first one is the default */
    uint32_t best_first = 0, best_count = 1;
    *chars_out = (size_t)(cx->b[n].chars - cx->b[0].chars + n - 1);
    for (size_t k = 0; k < cx->n_cand_top; k++) {
        size_t i = cx->cand_top[k];
        if (i + n > cx->n_words)
            break;
        if ((cx->lone[i] & 2) &&
            (cx->joined_by_tokens ||
             cx->b[i + n].bytes - cx->b[i].bytes + n - 1 >= J_PREFIX))
            continue;      /* a unique n-gram: count 1, never the best */
        const struct boundary *s = &cx->b[i], *e = &cx->b[i + n];
        uint64_t cl = e->chars - s->chars + n - 1;
        uint64_t hj = joined_hash(cx, i, n);
        uint64_t key = gram_key(hj, cl);
        struct gram_entry *en;
        int rc = gram_lookup(&set, cx, key, (uint32_t)i, n, ' ', &en);
        if (rc < 0)
            return rc;
        en->count++;
        if (en->first == best_first || en->count > best_count ||
            (en->count == best_count && en->first < best_first)) {
            best_first = en->first;
            best_count = en->count;
            *chars_out = (size_t)cl * en->count;
        }
    }
    return 0;
}

/*
 * The six greedy passes share one set, empty between passes: a pass
 * records the slots it fills and empties just those when it is done, so it
 * costs its inserts rather than a cleared table (a fresh set a pass meant
 * clearing a table six times a document). A slot is 8 bytes: 32 bits of
 * the n-gram's key and its first position + 1 (0: empty), half of a
 * struct gram_entry, so the set's random probes stay in the L1 cache more
 * often. The table starts at four slots a candidate (up to 4096
 * candidates) and doubles when a pass fills a quarter of it (a pass only
 * inserts the n-grams it has not seen, few in a repetitive text). A match
 * of the 32 bits is checked by comparing the n-grams' bytes, as a match of
 * whole keys is in gram_lookup().
 */
struct dup_set {
    uint64_t *slots;          /* key bits << 32 | (first + 1), 0 = empty */
    size_t mask;              /* capacity - 1 */
    unsigned shift;           /* 64 - log2(capacity): home slot = top bits */
    uint32_t *filled;         /* slots filled by the current pass */
    uint32_t *visit;          /* the current pass's candidates */
    size_t n_visit;           /* their count; before the first pass, the
                                 candidates are cx->cand_dup */
    bool listed;              /* visit holds a pass's list */
};

static int dup_set_init(struct ngram_ctx *cx, struct dup_set *ds)
{
    size_t n = cx->n_cand_dup + 1;
    unsigned bits = 4;
    while (((size_t)1 << bits) < (n < 4096 ? n : 4096) * 4)
        bits++;
    ds->filled = scratch(cx, n * sizeof(*ds->filled), false);
    ds->visit = scratch(cx, n * sizeof(*ds->visit), false);
    ds->slots = scratch(cx, sizeof(*ds->slots) << bits, true);
    if (!ds->filled || !ds->visit || !ds->slots)
        return TH_ENOMEM;
    ds->mask = ((size_t)1 << bits) - 1;
    ds->shift = 64 - bits;
    ds->n_visit = 0;
    ds->listed = false;
    return 0;
}

/* Home slot of n-gram key in ds. */
static inline size_t dup_home(const struct dup_set *ds, uint64_t key)
{
    return key >> ds->shift;
}

/* Key of the n-gram at i (gram_key of its hash and characters). */
static inline uint64_t dup_key(const struct ngram_ctx *cx, size_t i,
                               size_t n)
{
    return gram_key(concat_hash(cx, i, n),
                    cx->b[i + n].chars - cx->b[i].chars);
}

/* Double ds, whose n_filled entries are n-grams of n tokens (those of the
 * current pass): their keys come back from their first positions. */
static int dup_set_grow(struct ngram_ctx *cx, struct dup_set *ds,
                        size_t n, size_t n_filled)
{
    size_t cap = (ds->mask + 1) * 2;
    uint64_t *slots = scratch(cx, cap * sizeof(*slots), true);
    if (!slots)
        return TH_ENOMEM;
    ds->mask = cap - 1;
    ds->shift--;
    for (size_t f = 0; f < n_filled; f++) {
        uint64_t v = ds->slots[ds->filled[f]];
        size_t j = dup_home(ds, dup_key(cx, (uint32_t)v - 1, n));
        while (slots[j])
            j = (j + 1) & ds->mask;
        slots[j] = v;
        ds->filled[f] = (uint32_t)j;
    }
    ds->slots = slots;   /* the old table stays in the scratch until the end */
    return 0;
}

/* find_all_duplicate: greedy duplicate n-grams (concatenated) chars. Not
 * inlined into repetition_words(), whose other loops' values kept its
 * visits' registers busy: mode 5 253.2 -> 255.1 MB/s, mode 0 187.2 ->
 * 188.3 (medians of 5, session 8). */
__attribute__((noinline))
static int dup_ngram_chars(struct ngram_ctx *cx, size_t n,
                           struct dup_set *ds, size_t *chars_out)
{
    size_t n_filled = 0, n_visit = 0, n_words = cx->n_words;
    /*
     * The candidates whose n-gram may repeat, listed without branches (they
     * would depend on the text): an n-gram past the end is none, and one
     * from a unique prefix (bit 0) at least C_PREFIX bytes long is neither
     * seen before nor matched later. (Candidates never have bit 2: their
     * 5-gram was not settled.) Positions not listed only advance the scan
     * by one, so the scan visits the listed ones in order, skipping those
     * a duplicate jumped over. Both conditions only grow with n, so a
     * later pass filters an earlier pass's list (in place, in order)
     * instead of all the candidates.
     */
    const uint32_t *from = ds->listed ? ds->visit : cx->cand_dup;
    size_t n_from = ds->listed ? ds->n_visit : cx->n_cand_dup;
    const uint32_t *visit = ds->visit;
    if (n == 5 && !ds->listed) {
        /* the candidates are those of the 5-gram pass (bit 2 is its
         * "unique") but for the last positions, which start no 5-gram */
        visit = cx->cand_dup;
        n_visit = n_from;
        while (n_visit && visit[n_visit - 1] + n > n_words)
            n_visit--;
    } else {
        for (size_t k = 0; k < n_from; k++) {
            size_t i = from[k];
            size_t e = i + n <= n_words ? i + n : n_words;
            unsigned unique = (cx->lone[i] & 1) &
                              (cx->b[e].bytes - cx->b[i].bytes >= C_PREFIX);
            ds->visit[n_visit] = (uint32_t)i;
            n_visit += (i + n <= n_words) & !unique;
        }
        ds->n_visit = n_visit;
        ds->listed = true;
    }
    uint64_t *slots = ds->slots;
    size_t total = 0, next = 0;
    for (size_t k = 0; k < n_visit; k++) {
        size_t i = visit[k];
        if (i < next)
            continue;      /* inside a duplicate the scan jumped over */
        uint64_t cl = cx->b[i + n].chars - cx->b[i].chars;
        uint64_t key = dup_key(cx, i, n);
        uint64_t tag = key << 32;     /* the low bits; the slot: the top */
        size_t j = dup_home(ds, key);
        for (;;) {
            uint64_t v = slots[j];
            if (!v) {
                /* (a pass visits each candidate at most once) */
                slots[j] = tag | (i + 1);
                ds->filled[n_filled++] = (uint32_t)j;
                if (__builtin_expect(n_filled * 4 > ds->mask + 1, 0)) {
                    int rc = dup_set_grow(cx, ds, n, n_filled);
                    if (rc < 0)
                        return rc;
                    slots = ds->slots;
                }
                break;
            }
            if ((v & ~0ull << 32) == tag &&
                ngram_equal(cx, (uint32_t)v - 1, i, n, 0)) {
                total += (size_t)cl;
                next = i + n;
                break;
            }
            j = (j + 1) & ds->mask;
        }
    }
    for (size_t f = 0; f < n_filled; f++)
        slots[ds->filled[f]] = 0;
    *chars_out = total;
    return 0;
}

static const char *const top_reasons[TH_GOPHER_TOP_NGRAMS] = {
    "top_2_gram", "top_3_gram", "top_4_gram",
};
static const char *const dup_reasons[TH_GOPHER_DUP_NGRAMS] = {
    "duplicated_5_n_grams", "duplicated_6_n_grams", "duplicated_7_n_grams",
    "duplicated_8_n_grams", "duplicated_9_n_grams", "duplicated_10_n_grams",
};

int th_ft_repetition_text(const struct th_gopher_repetition_opts *opts,
                          const char *text, size_t len, struct th_arena *arena,
                          bool all, struct th_gopher_repetition_stats *st,
                          const char **reason_out,
                          struct th_ft_line_stats *quality_lines,
                          struct th_error *err)
{
    const char *reason = NULL;
    int rc;
    memset(st, 0, sizeof(*st));
    *reason_out = NULL;
    bool split = !opts->lines_by_newline_runs;
    struct th_ft_pieces paras, lines;
    th_ft_pieces_init(&paras, text, arena);
    th_ft_pieces_init(&lines, text, arena);
    struct text_scan sc;
    if ((rc = text_scan(&sc, text, len, &paras, split ? &lines : NULL,
                        quality_lines)) < 0)
        goto out_nomem;
    if (quality_lines) {
        quality_lines->done = split;
        quality_lines->hashes = sc.hashes;
        quality_lines->ellipses = sc.ellipses;
        quality_lines->symbols_done = true;
        quality_lines->bounds = lines.bounds;
    }
    st->len_text = sc.chars;
    size_t lt = st->len_text;

    st->n_paragraphs = paras.n;
    if ((rc = th_ft_pieces_dups(&paras, text, &st->para_dups,
                                &st->para_dup_chars)) < 0)
        goto out_nomem;
    st->dup_para_frac = frac(st->para_dups, st->n_paragraphs);
    st->dup_para_char_frac = frac(st->para_dup_chars, lt);
    if (opts->dup_para_frac && st->dup_para_frac > opts->dup_para_frac)
        reason = "dup_para_frac";
    else if (opts->dup_para_char_frac &&
             st->dup_para_char_frac > opts->dup_para_char_frac)
        reason = "dup_para_char_frac";
    if (reason && !all)
        goto out;

    if (!split && (rc = newline_run_lines(text, len, &lines)) < 0)
        goto out_nomem;
    st->n_lines = lines.n;
    if ((rc = th_ft_pieces_dups(&lines, text, &st->line_dups,
                                &st->line_dup_chars)) < 0)
        goto out_nomem;
    st->dup_line_frac = frac(st->line_dups, st->n_lines);
    st->dup_line_char_frac = frac(st->line_dup_chars, lt);
    if (reason)
        ;
    else if (opts->dup_line_frac && st->dup_line_frac > opts->dup_line_frac)
        reason = "dup_line_frac";
    else if (opts->dup_line_char_frac &&
             st->dup_line_char_frac > opts->dup_line_char_frac)
        reason = "dup_line_char_frac";
out:
    *reason_out = reason;
    return 0;
out_nomem:
    return th_error_set(err, rc, "gopher repetition: out of scratch memory");
}

/* Is a top rule on (threshold not 0) and not settled? */
static bool any_open(const double *top_frac,
                     const bool settled[TH_GOPHER_TOP_NGRAMS])
{
    for (int t = 0; t < TH_GOPHER_TOP_NGRAMS; t++)
        if (top_frac[t] && !settled[t])
            return true;
    return false;
}

static int repetition_words(const struct th_gopher_repetition_opts *opts,
                            const struct th_slice *words, size_t n_words,
                            size_t word_pad, struct th_arena *arena, bool all,
                            struct th_gopher_repetition_stats *st,
                            const char **reason_out,
                            struct th_ft_token_stats *quality, bool terminal,
                            struct th_error *err)
{
    const char *reason = *reason_out;
    size_t lt = st->len_text;
    st->n_words = n_words;
    if (n_words >= UINT32_MAX)
        return th_error_set(err, TH_ELIMIT, "gopher repetition: too many "
                            "words");
    struct ngram_ctx cx = {.words = words, .n_words = n_words,
                           .word_pad = word_pad, .arena = arena, .quality = quality,
                           .terminal = terminal};
#ifdef TH_FT_X86_WIDE
    cx.lanes = b8_supported();
#endif
    int rc = build_boundaries(&cx);
    cx.lone = scratch(&cx, n_words + 1, true);
    if (rc == 0 && !cx.lone)
        rc = TH_ENOMEM;
    /* without statistics, rules the bound settles need no exact pass */
    bool settled[TH_GOPHER_TOP_NGRAMS] = {false};
    if (rc == 0)
        rc = mark_lone_concat(&cx, !all, opts->top_ngram_frac, lt, settled);
    bool exact_top = all || any_open(opts->top_ngram_frac, settled);
    if (rc == 0 && exact_top && !all) {
        rc = bound_by_counts(&cx, opts->top_ngram_frac, lt, settled);
        exact_top = any_open(opts->top_ngram_frac, settled);
    }
    if (rc == 0 && exact_top) {
        rc = build_joined(&cx);
    }
    if (rc == 0 && exact_top) {
        rc = cx.space_in_token ? mark_lone(&cx, ' ', J_PREFIX, 2)
                               : mark_lone_joined_by_tokens(&cx);
    }
    if (rc == 0)
        rc = list_candidates(&cx, exact_top);
    for (int t = 0; rc == 0 && t < TH_GOPHER_TOP_NGRAMS; t++) {
        size_t n = (size_t)t + 2;
        st->has_top_ngram[t] = n_words >= n;
        if (!st->has_top_ngram[t] || (!all && (reason || settled[t] ||
                                               !opts->top_ngram_frac[t])))
            continue;
        rc = top_ngram_chars(&cx, n, &st->top_ngram_chars[t]);
        st->top_ngram_frac[t] = frac(st->top_ngram_chars[t], lt);
        if (!reason && opts->top_ngram_frac[t] &&
            st->top_ngram_frac[t] > opts->top_ngram_frac[t])
            reason = top_reasons[t];
    }
    struct dup_set ds = {.filled = NULL};
    for (int d = 0; rc == 0 && d < TH_GOPHER_DUP_NGRAMS; d++) {
        if (!all && (reason || !opts->dup_ngram_frac[d]))
            continue;
        if (!ds.filled && (rc = dup_set_init(&cx, &ds)) < 0)
            break;
        rc = dup_ngram_chars(&cx, (size_t)d + 5, &ds,
                             &st->dup_ngram_chars[d]);
        st->dup_ngram_frac[d] = frac(st->dup_ngram_chars[d], lt);
        if (!reason && opts->dup_ngram_frac[d] &&
            st->dup_ngram_frac[d] > opts->dup_ngram_frac[d])
            reason = dup_reasons[d];
    }
    scratch_release(&cx, 0);
    if (rc == TH_ELIMIT)
        return th_error_set(err, rc, "gopher repetition: 4 GiB of words "
                            "or more");
    if (rc < 0)
        return th_error_set(err, rc, "gopher repetition: out of memory");
    *reason_out = reason;
    return 0;
}

int th_ft_repetition_words(const struct th_gopher_repetition_opts *opts,
                           const struct th_slice *words, size_t n_words,
                           size_t word_pad, struct th_arena *arena, bool all,
                           struct th_gopher_repetition_stats *st,
                           const char **reason_out, struct th_error *err)
{
    return repetition_words(opts, words, n_words, word_pad, arena, all, st,
                            reason_out, NULL, false, err);
}

int th_ft_repetition_words_quality(
    const struct th_gopher_repetition_opts *opts,
    const struct th_slice *words, size_t n_words, size_t word_pad,
    struct th_arena *arena, struct th_gopher_repetition_stats *st,
    const char **reason_out, struct th_ft_token_stats *quality,
    bool terminal, struct th_error *err)
{
    return repetition_words(opts, words, n_words, word_pad, arena, false, st,
                            reason_out, quality, terminal, err);
}

int th_gopher_repetition(const struct th_gopher_repetition_opts *opts,
                         const char *text, size_t len,
                         const struct th_slice *words, size_t n_words,
                         struct th_arena *arena,
                         struct th_gopher_repetition_stats *stats,
                         const char **reason_out, struct th_error *err)
{
    struct th_gopher_repetition_stats local;
    struct th_gopher_repetition_stats *st = stats ? stats : &local;
    int rc = th_ft_repetition_text(opts, text, len, arena, stats != NULL, st,
                                   reason_out, NULL, err);
    if (rc < 0 || (*reason_out && !stats))
        return rc;
    /* words of unknown origin: no padding assumed */
    return th_ft_repetition_words(opts, words, n_words, 0, arena,
                                  stats != NULL, st, reason_out, err);
}
