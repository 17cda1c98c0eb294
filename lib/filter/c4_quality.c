/*
 * C4QualityFilter as datatrove implements it (FineWeb passes
 * filter_no_terminal_punct=False): a line modifier plus document rules.
 * Each line of text.splitlines() is stripped and split on whitespace; a
 * word over 1000 characters drops the line; citations are removed; a line
 * of fewer than 3 words, one mentioning javascript or a cookie/terms
 * phrase is dropped; "lorem ipsum" or "{" on a surviving line drops the
 * document; the kept lines' sentences must number at least 5. The kept
 * lines, joined by "\n" and stripped, replace the text.
 *
 * Approach: one pass over the lines, writing each cleaned line straight into
 * the output buffer (rolled back when the line is dropped). The copy is
 * one SSE2 pass (8-byte SWAR without SSE2) that also finds '[', '{' and
 * case-folded byte pairs anchoring the phrases; only a line where an
 * anchor confirms a phrase, or a citation was removed, is lowercased into
 * a scratch buffer for the exact phrase checks. Words are counted only up
 * to the rule's minimum, by blocks of ASCII bytes. Sentences are counted
 * through the caller's callback. Without a stats request only the decision
 * matters: every kept line with a non-space character holds at least one
 * sentence, so once the minimum number of such lines is kept the document
 * passes, and the splitter is only asked (for those few lines) when fewer
 * were kept. That keeps the sentence splitter off nearly all text. In the
 * chain (th_ft_c4_quality_lines()) the lines come from the repetition
 * filter's pass over the text, and the offsets of the newlines written
 * and a lower bound of the output's words (counted up to RUNS_HINT on
 * lines without a removed citation) go to FineWeb.
 * Rejected: a regex engine for the citation pattern (three fixed shapes,
 * scanned by hand at each '[').
 */
#include <string.h>

#include <utf8proc.h>

#include "thresh/filter.h"
#include "filter_internal.h"
#include "../core/banned.h"

/* Non-blank lines remembered for an exact count (>= any sane minimum). */
#define PENDING_MAX 64

/* Words a line counted up to for th_ft_c4_lines.min_runs. */
#define RUNS_HINT 4

static const char *const policy_phrases[] = {
    "terms of use", "privacy policy", "cookie policy",
    "uses cookies", "use of cookies", "use cookies",
};

void th_c4_quality_opts_init(struct th_c4_quality_opts *opts,
                             enum th_filter_preset preset)
{
    (void)preset;
    memset(opts, 0, sizeof(*opts));
    opts->remove_citations = true;
    opts->filter_no_terminal_punct = false;  /* as FineWeb runs it */
    opts->min_num_sentences = 5;
    opts->min_words_per_line = 3;
    opts->max_word_length = 1000;
    opts->filter_lorem_ipsum = true;
    opts->filter_javascript = true;
    opts->filter_curly_bracket = true;
    opts->filter_policy = true;
}

/*
 * Python str.split(): number of words and the longest, in characters, one
 * character at a time. The scan stops once `enough` words were seen unless
 * need_longest; *n_words is then a lower bound. The exact path behind
 * count_words() and may_hold_long_word().
 */
static void split_words(const char *s, size_t start, size_t end,
                        size_t enough, bool need_longest, size_t *n_words,
                        size_t *max_chars)
{
    size_t i = start, words = 0, longest = 0, cur = 0;
    bool in_word = false;
    while (i < end) {
        uint8_t b = (uint8_t)s[i];
        uint32_t c;
        size_t adv;
        if (b < 0x80) {
            c = b;
            adv = 1;
        } else {
            c = th_ft_decode((const uint8_t *)s + i, end - i, &adv);
        }
        if (th_ft_is_space(c)) {
            if (in_word && cur > longest)
                longest = cur;
            in_word = false;
        } else {
            if (!in_word) {
                if (words >= enough && !need_longest)
                    break;
                words++;
                cur = 0;
                in_word = true;
            }
            cur++;
        }
        i += adv;
    }
    if (in_word && cur > longest)
        longest = cur;
    *n_words = words;
    *max_chars = longest;
}

/* Python re \d (Unicode decimal digit) at s[i]; *adv gets its length. */
static bool is_decimal(const char *s, size_t n, size_t i, size_t *adv)
{
    uint8_t b = (uint8_t)s[i];
    if (b < 0x80) {
        *adv = 1;
        return b >= '0' && b <= '9';
    }
    uint32_t c = th_ft_decode((const uint8_t *)s + i, n - i, adv);
    return c < TH_FT_INVALID &&
           utf8proc_category((utf8proc_int32_t)c) == UTF8PROC_CATEGORY_ND;
}

/* Length of a citation match at s[i] == '[', or 0. */
static size_t citation_at(const char *s, size_t n, size_t i)
{
    size_t j = i + 1, adv;
    while (j < n && is_decimal(s, n, j, &adv))
        j += adv;
    if (j < n && s[j] == ']')
        return j + 1 - i;
    if (n - i >= 6 && memcmp(s + i, "[edit]", 6) == 0)
        return 6;
    if (n - i >= 17 && memcmp(s + i, "[citation needed]", 17) == 0)
        return 17;
    return 0;
}

/* Copy s[start, end) to out with citations removed; returns the length. */
static size_t remove_citations(const char *s, size_t start, size_t end,
                               char *out)
{
    size_t o = 0, i = start;
    while (i < end) {
        const char *br = memchr(s + i, '[', end - i);
        size_t stop = br ? (size_t)(br - s) : end;
        memcpy(out + o, s + i, stop - i);
        o += stop - i;
        i = stop;
        if (i >= end)
            break;
        size_t m = citation_at(s, end, i);
        if (m) {
            i += m;
        } else {
            out[o++] = '[';
            i++;
        }
    }
    return o;
}

/* Phrases searched in every lowercased line (find_phrases() bits). */
enum {
    PH_LOREM = 1 << 0,        /* "lorem ipsum" */
    PH_JAVASCRIPT = 1 << 1,   /* "javascript" */
    PH_TERMS = 1 << 2,        /* "terms of use" */
    PH_PRIVACY = 1 << 3,      /* "privacy policy" */
    PH_COOKIE = 1 << 4,       /* "cookie" (four phrases hold it) */
};

/* Does s[0..n) hold needle at offset at (which may be out of range)? */
static inline bool phrase_at(const char *s, size_t n, size_t i, size_t back,
                             const char *needle, size_t len)
{
    return i >= back && i - back + len <= n &&
           memcmp(s + i - back, needle, len) == 0;
}

/*
 * Which phrases occur in the lowercased line s[0..n), in one pass: each
 * phrase has an anchor byte, rare in text, at a fixed offset ('p' of
 * "ipsum", 'j', 'f' of "of", 'v', 'k'); every occurrence of a phrase holds
 * its anchor, so checking the phrase around each anchor byte (found 8
 * bytes at a time) finds them all. Five memmem calls a line cost more.
 */
static unsigned find_phrases(const char *s, size_t n)
{
    unsigned found = 0;
    size_t i = 0;
    for (;;) {
        uint64_t m = 0;
        size_t base = i;
        while (i + 8 <= n) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            m = th_ft_zero_bytes(x ^ TH_FT_BYTES('p')) |
                th_ft_zero_bytes(x ^ TH_FT_BYTES('j')) |
                th_ft_zero_bytes(x ^ TH_FT_BYTES('f')) |
                th_ft_zero_bytes(x ^ TH_FT_BYTES('v')) |
                th_ft_zero_bytes(x ^ TH_FT_BYTES('k'));
            base = i;
            i += 8;
            if (m)
                break;
        }
        if (!m) {
            /* the tail, byte by byte */
            base = i;
            for (; i < n; i++) {
                char c = s[i];
                if (c == 'p' || c == 'j' || c == 'f' || c == 'v' || c == 'k')
                    m |= 0x80ull << (8 * (i - base));
            }
            if (!m)
                return found;
        }
        while (m) {
            size_t at = base + (size_t)__builtin_ctzll(m) / 8;
            m &= m - 1;
            switch (s[at]) {
            case 'p':
                if (phrase_at(s, n, at, 7, "lorem ipsum", 11))
                    found |= PH_LOREM;
                break;
            case 'j':
                if (phrase_at(s, n, at, 0, "javascript", 10))
                    found |= PH_JAVASCRIPT;
                break;
            case 'f':
                if (phrase_at(s, n, at, 7, "terms of use", 12))
                    found |= PH_TERMS;
                break;
            case 'v':
                if (phrase_at(s, n, at, 3, "privacy policy", 14))
                    found |= PH_PRIVACY;
                break;
            default:
                if (phrase_at(s, n, at, 3, "cookie", 6))
                    found |= PH_COOKIE;
                break;
            }
        }
        if (i >= n)
            return found;
    }
}

/*
 * The fast phrase check works on the line as written, ASCII-case-folded,
 * instead of on its lowercased copy. th_ft_lower() maps exactly two
 * non-ASCII characters to something holding an ASCII byte (checked over
 * every code point): U+0130 (to "i" + U+0307, and no phrase ends in "i")
 * and the Kelvin sign U+212A (to "k", which "cookie" holds). Every other
 * character lowers to non-ASCII bytes only, so an ASCII phrase occurs in
 * the lowercased line exactly where it occurs case-folded in the line
 * itself, unless the line holds a Kelvin sign (bytes e2 84 aa).
 *
 * Anchors: each phrase is found through a byte pair it holds, rare in
 * text ("ps" of "ipsum", "ja", "ms" of "terms", "cy" of "privacy", "ki" of
 * "cookie"; about 0.3% of positions against 5% for single bytes), plus
 * the pair 84 aa of the Kelvin sign. A line whose anchors all fail to
 * confirm a phrase holds none; the rare others take the exact path.
 */
enum {
    SCAN_BRACKET = 1 << 0,    /* '[' (a citation may start there) */
    SCAN_CURLY = 1 << 1,      /* '{' */
    SCAN_PHRASE = 1 << 2,     /* a phrase or a Kelvin sign may be there */
};

/* ASCII-case-folded needle (lowercase letters and spaces) at s[at-back). */
static bool phrase_folded_at(const char *s, size_t n, size_t at, size_t back,
                             const char *needle, size_t len)
{
    if (at < back || at - back + len > n)
        return false;
    const char *q = s + at - back;
    for (size_t k = 0; k < len; k++) {
        char c = q[k];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != needle[k])
            return false;
    }
    return true;
}

/* Does the anchor pair starting at s[at] belong to a phrase occurrence? */
static bool anchor_confirms(const char *s, size_t n, size_t at)
{
    switch ((uint8_t)s[at] | 0x20) {
    case 'p':
        return phrase_folded_at(s, n, at, 7, "lorem ipsum", 11);
    case 'j':
        return phrase_folded_at(s, n, at, 0, "javascript", 10);
    case 'm':
        return phrase_folded_at(s, n, at, 3, "terms of use", 12);
    case 'c':
        return phrase_folded_at(s, n, at, 5, "privacy policy", 14);
    case 'k':
        return phrase_folded_at(s, n, at, 3, "cookie", 6);
    default:
        return true;  /* 84 aa: maybe a Kelvin sign, take the exact path */
    }
}

/*
 * The anchor pairs anchor_confirms() knows (case-folded bytes s[k],
 * s[k + 1]), written once for the three block widths: PAIR(a, b) is a
 * block's mask of the pair, OR joins two masks.
 */
#define ANCHOR_MASK(PAIR, OR)                                               \
    OR(OR(OR(PAIR('p', 's'), PAIR('j', 'a')),                               \
          OR(PAIR('m', 's'), PAIR('c', 'y'))),                              \
       OR(PAIR('k', 'i'), PAIR(0xa4, 0xaa)))
#define ANCHOR_OR(a, b) ((a) | (b))

/* Confirm the anchors of a block: bit k of m is a pair at s[base + k]. */
static unsigned confirm_anchors(const char *s, size_t n, size_t base,
                                uint64_t m)
{
    while (m) {
        if (anchor_confirms(s, n, base + (size_t)__builtin_ctzll(m)))
            return SCAN_PHRASE;
        m &= m - 1;
    }
    return 0;
}

/* Bytes at a time of scan_block() and the word scans. */
#define SCAN_BLOCK TH_FT_BLOCK

#if defined(__SSE2__)
/*
 * One block of copy_scan(): copies p[0..16) to out; the positions k where
 * p[k], p[k + 1] (case-folded) form an anchor pair go to *pairs, those of
 * '[' (bit 0..15) and '{' (bit 16..31) to *brackets, unless there are
 * none (false; one mask tells, as in most blocks).
 */
static inline bool scan_block(const char *p, char *out, uint32_t *pairs,
                              uint32_t *brackets)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
    _mm_storeu_si128((__m128i *)(void *)out, x);
    __m128i lo = _mm_set1_epi8(0x20);
    __m128i fx = _mm_or_si128(x, lo), fy = _mm_or_si128(y, lo);
#define PAIR(a, b) _mm_and_si128(_mm_cmpeq_epi8(fx, _mm_set1_epi8((char)(a))), \
                                 _mm_cmpeq_epi8(fy, _mm_set1_epi8((char)(b))))
    __m128i m = ANCHOR_MASK(PAIR, _mm_or_si128);
#undef PAIR
    __m128i sq = _mm_cmpeq_epi8(x, _mm_set1_epi8('['));
    __m128i cu = _mm_cmpeq_epi8(x, _mm_set1_epi8('{'));
    if (!_mm_movemask_epi8(_mm_or_si128(m, _mm_or_si128(sq, cu))))
        return false;
    *pairs = (uint32_t)_mm_movemask_epi8(m);
    *brackets = (uint32_t)_mm_movemask_epi8(sq) |
                (uint32_t)_mm_movemask_epi8(cu) << 16;
    return true;
}

#else
/* Portable scan_block(): 8 bytes, masks as bit 7 of each byte. */
static inline bool scan_block(const char *p, char *out, uint32_t *pairs,
                              uint32_t *brackets)
{
    uint64_t x, y;
    memcpy(&x, p, 8);
    memcpy(&y, p + 1, 8);
    memcpy(out, &x, 8);
    uint64_t fx = x | TH_FT_BYTES(0x20), fy = y | TH_FT_BYTES(0x20);
#define PAIR(a, b) (th_ft_zero_bytes(fx ^ TH_FT_BYTES(a)) & \
                    th_ft_zero_bytes(fy ^ TH_FT_BYTES(b)))
    uint64_t m = ANCHOR_MASK(PAIR, ANCHOR_OR);
#undef PAIR
    uint64_t sq = th_ft_zero_bytes(x ^ TH_FT_BYTES('['));
    uint64_t cu = th_ft_zero_bytes(x ^ TH_FT_BYTES('{'));
    if (!(m | sq | cu))
        return false;
    *pairs = th_ft_marked_bits(m);
    *brackets = th_ft_marked_bits(sq) | th_ft_marked_bits(cu) << 16;
    return true;
}

#endif

/* Python str.isspace() of the character at p[i] (i < end); *adv its bytes. */
static inline bool space_at(const uint8_t *p, size_t i, size_t end,
                            size_t *adv)
{
    uint32_t c = p[i];
    if (c < 0x80)
        *adv = 1;
    else
        c = th_ft_decode(p + i, end - i, adv);
    return th_ft_is_space(c);
}

/*
 * Words of Python str.split() in s[start, end), counted up to `enough`:
 * returns min(words, enough). ASCII blocks (with SSE2 also blocks whose
 * other bytes cannot belong to a space) go SCAN_BLOCK bytes at a time (a
 * word starts at a non-space byte after a space or the line start), other
 * blocks one character at a time; the tail is padded with spaces, which
 * start no word.
 */
static size_t count_words(const char *s, size_t start, size_t end,
                          size_t enough)
{
    const uint8_t *p = (const uint8_t *)s;
    const uint32_t all = (1u << SCAN_BLOCK) - 1;
    size_t i = start, words = 0;
    uint32_t prev_space = 1;   /* the line start acts as a space */
    while (i < end && words < enough) {
        size_t left = end - i;
        bool ascii;
        uint32_t sp;
        if (left >= SCAN_BLOCK) {
            sp = th_ft_block_spaces(s + i, &ascii);
        } else {
            char pad[SCAN_BLOCK];
            memset(pad, ' ', sizeof(pad));
            memcpy(pad, s + i, left);
            sp = th_ft_block_spaces(pad, &ascii);
        }
#if defined(__SSE2__)
        /* other bytes of non-space characters only: as if ASCII */
        if (!ascii && left >= SCAN_BLOCK + 2 &&
            !th_ft_block_may_hold_wide_space(s + i))
            ascii = true;
#endif
        if (ascii) {
            uint32_t starts = ~sp & all & (sp << 1 | prev_space);
            words += (size_t)th_ft_popcount(starts);
            prev_space = sp >> (SCAN_BLOCK - 1) & 1;
            i += SCAN_BLOCK;
            continue;
        }
        size_t stop = left >= SCAN_BLOCK ? i + SCAN_BLOCK : end;
        while (i < stop) {
            size_t adv;
            bool space = space_at(p, i, end, &adv);
            words += !space && prev_space;
            prev_space = space;
            i += adv;
        }
    }
    return words < enough ? words : enough;
}

/*
 * Can s[start, end) hold a word of more than max characters? False is
 * exact; true means "maybe": a run of bytes without an ASCII space longer
 * than max bytes (a character has at least one byte, and other spaces
 * only cut runs shorter). Needs max >= SCAN_BLOCK: a run inside one block
 * is shorter than that.
 */
static bool may_hold_long_word(const char *s, size_t start, size_t end,
                               size_t max)
{
    size_t i = start, run = 0;
    for (; i + SCAN_BLOCK <= end; i += SCAN_BLOCK) {
        bool ascii;
        uint32_t sp = th_ft_block_spaces(s + i, &ascii);
        if (!sp) {
            run += SCAN_BLOCK;
            continue;
        }
        run += (size_t)__builtin_ctz(sp);
        if (run > max)
            return true;
        run = SCAN_BLOCK - 1 - (size_t)(31 - __builtin_clz(sp));
    }
    for (; i < end; i++) {
        uint8_t b = (uint8_t)s[i];
        if (b < 0x80 && th_ft_is_space(b)) {
            if (run > max)
                return true;
            run = 0;
        } else {
            run++;
        }
    }
    return run > max;
}

#ifdef TH_FT_X86_WIDE
/*
 * copy_scan() 64 bytes a block with AVX-512BW, as long as 65 bytes are
 * readable (the 16-byte blocks do the rest): returns the offset reached.
 */
__attribute__((target("avx512bw")))
static size_t copy_scan64(const char *s, size_t n, size_t avail, char *out,
                          unsigned *flags)
{
    const __m512i lo = _mm512_set1_epi8(0x20);
    size_t i = 0;
    while (i < n && avail - i >= 65) {
        __m512i x = _mm512_loadu_si512((const void *)(s + i));
        __m512i y = _mm512_loadu_si512((const void *)(s + i + 1));
        _mm512_storeu_si512((void *)(out + i), x);
        __m512i fx = _mm512_or_si512(x, lo), fy = _mm512_or_si512(y, lo);
#define PAIR(a, b)                                                          \
    (_mm512_cmpeq_epi8_mask(fx, _mm512_set1_epi8((char)(a))) &              \
     _mm512_cmpeq_epi8_mask(fy, _mm512_set1_epi8((char)(b))))
        uint64_t m = ANCHOR_MASK(PAIR, ANCHOR_OR);
#undef PAIR
        uint64_t sq = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('['));
        uint64_t cu = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('{'));
        if (m | sq | cu) {
            size_t left = n - i;
            if (left <= 64) {
                /* a pair needs its second byte inside the line */
                m &= left >= 2 ? ~0ull >> (65 - left) : 0;
                uint64_t keep = left == 64 ? ~0ull : (1ull << left) - 1;
                sq &= keep;
                cu &= keep;
            }
            if (sq)
                *flags |= SCAN_BRACKET;
            if (cu)
                *flags |= SCAN_CURLY;
            if (m && !(*flags & SCAN_PHRASE))
                *flags |= confirm_anchors(s, n, i, m);
        }
        i += 64;
    }
    return i;
}
#endif

/*
 * Copy s[0..n) to out (which has 64 bytes of slack: whole blocks are
 * stored) and report SCAN_* flags for it. avail >= n is how many bytes
 * may be read from s: blocks reading past the line use the text after it
 * when there is enough, a zero-padded copy otherwise (a zero byte is part
 * of no anchor and no bracket).
 */
static unsigned copy_scan(const char *s, size_t n, size_t avail, char *out)
{
    unsigned flags = 0;
    size_t i = 0;
#ifdef TH_FT_X86_WIDE
    if (__builtin_cpu_supports("avx512bw"))
        i = copy_scan64(s, n, avail, out, &flags);
#endif
    while (i < n) {
        size_t left = n - i;
        uint32_t pairs, brackets;
        bool any;
        if (avail - i >= SCAN_BLOCK + 1) {
            any = scan_block(s + i, out + i, &pairs, &brackets);
        } else {
            char pad[2 * SCAN_BLOCK] = {0};
            memcpy(pad, s + i, left);
            any = scan_block(pad, out + i, &pairs, &brackets);
        }
        if (!any) {
            i += SCAN_BLOCK;
            continue;
        }
        if (left <= SCAN_BLOCK) {
            /* a pair needs its second byte inside the line */
            pairs &= (1u << (left - 1)) - 1;
            uint32_t keep = (1u << left) - 1;
            brackets &= keep | keep << 16;
        }
        if (brackets & 0xffff)
            flags |= SCAN_BRACKET;
        if (brackets >> 16)
            flags |= SCAN_CURLY;
        if (pairs && !(flags & SCAN_PHRASE))
            flags |= confirm_anchors(s, n, i, pairs);
        i += SCAN_BLOCK;
    }
    return flags;
}

static bool has_terminal_punct(const char *s, size_t n)
{
    if (!n)
        return false;
    char c = s[n - 1];
    if (c != '.' && c != '?' && c != '!' && c != '"' && c != '\'')
        return false;
    return !th_ft_ends_with(s, n, "...", 3);
}

/* The next line: the k-th of bounds, or found by th_ft_next_line(). */
static inline bool next_line(const char *text, size_t len,
                             const size_t *bounds, size_t n_lines,
                             size_t *pos, size_t *ls, size_t *le)
{
    if (!bounds)
        return th_ft_next_line(text, len, pos, ls, le);
    if (*pos == n_lines)
        return false;
    *ls = bounds[2 * *pos];
    *le = bounds[2 * *pos + 1];
    ++*pos;
    return true;
}

int th_c4_quality(const struct th_c4_quality_opts *opts, const char *text,
                  size_t len, const struct th_filter_tokenizer *tok,
                  struct th_arena *arena, struct th_slice *text_out,
                  struct th_c4_quality_stats *stats, const char **reason_out,
                  struct th_error *err)
{
    return th_ft_c4_quality_lines(opts, text, len, NULL, 0, tok, arena,
                                  text_out, stats, reason_out, NULL, err);
}

int th_ft_c4_quality_lines(const struct th_c4_quality_opts *opts,
                           const char *text, size_t len, const size_t *bounds,
                           size_t n_lines,
                           const struct th_filter_tokenizer *tok,
                           struct th_arena *arena, struct th_slice *text_out,
                           struct th_c4_quality_stats *stats,
                           const char **reason_out,
                           struct th_ft_c4_lines *lines,
                           struct th_error *err)
{
    struct th_c4_quality_stats local;
    struct th_c4_quality_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof(*st));
    *reason_out = NULL;
    text_out->ptr = text;
    text_out->len = len;

    /* whole blocks are stored: 64 bytes of slack (SCAN_BLOCK, or 64 with
     * AVX-512BW) */
    char *out = th_arena_alloc(arena, len + 1 + 64);
    char *lower = th_arena_alloc(arena, th_ft_lower_cap(len));
    /* for FineWeb: where the separators go, and words as runs */
    size_t *nls = NULL, n_nls = 0, runs = 0;
    if (lines) {
        lines->newlines = NULL;
        if (bounds)
            nls = th_arena_alloc(arena, (n_lines + 1) * sizeof(*nls));
    }
    if (!out || !lower || (lines && bounds && !nls))
        return th_error_set(err, TH_ENOMEM, "c4 quality: out of memory");
    size_t o = 0;
    size_t sentences = 0;
    bool counting = true;
    /* without stats, count lazily: see the comment in the loop */
    bool lazy = !stats && opts->min_num_sentences <= PENDING_MAX;
    /* non-blank kept lines (offsets in out) while below the minimum */
    struct {
        size_t start;   /* offset of the stripped line in out */
        size_t len;     /* its length */
    } pending[PENDING_MAX];
    size_t n_pending = 0;
    size_t pos = 0, ls, le;
    while (next_line(text, len, bounds, n_lines, &pos, &ls, &le)) {
        st->lines++;
        th_ft_strip(text, &ls, &le);
        /* a word cannot have more characters than the line has bytes */
        bool need_longest = opts->max_word_length != -1 &&
                            (int64_t)(le - ls) > opts->max_word_length;
        size_t enough = opts->min_words_per_line > 0
                            ? (size_t)opts->min_words_per_line : 0;
        /* a few more words for FineWeb's bound (its list_ratio rule
         * passes at 0.3 newlines a word) */
        size_t count_to = nls && enough < RUNS_HINT ? RUNS_HINT : enough;
        size_t n_words = count_words(text, ls, le, count_to), longest = 0;
        if (need_longest &&
            (opts->max_word_length < SCAN_BLOCK ||
             may_hold_long_word(text, ls, le,
                                (size_t)opts->max_word_length))) {
            size_t all_words;
            split_words(text, ls, le, enough, true, &all_words, &longest);
        }
        if (opts->max_word_length != -1 &&
            (int64_t)longest > opts->max_word_length) {
            st->dropped_too_long_word++;
            continue;
        }
        /* (with the terminal rule off, the word rule can come first) */
        bool few_words = opts->min_words_per_line != -1 &&
                         (int64_t)n_words < opts->min_words_per_line;
        if (few_words && !opts->filter_no_terminal_punct) {
            st->dropped_too_few_words++;
            continue;
        }
        /* tentatively append the line (after a separator) to the output */
        size_t line_at = o + (st->kept_lines ? 1 : 0);
        char *line = out + line_at;
        size_t n = le - ls;
        unsigned flags = copy_scan(text + ls, n, len - ls, line);
        bool cited = false;
        if (opts->remove_citations && (flags & SCAN_BRACKET)) {
            cited = true;
            n = remove_citations(text, ls, le, line);
            /* removal may join a phrase: exact path (a citation holds no
             * '{', so SCAN_CURLY stands) */
            flags |= SCAN_PHRASE;
        }
        if (opts->filter_no_terminal_punct && !has_terminal_punct(line, n)) {
            st->dropped_no_terminal_punct++;
            continue;
        }
        if (few_words) {
            st->dropped_too_few_words++;
            continue;
        }
        unsigned found = 0;
        size_t ln = 0;
        if (flags & SCAN_PHRASE) {
            ln = th_ft_lower(line, n, lower);
            found = find_phrases(lower, ln);
        }
        if (opts->filter_lorem_ipsum && (found & PH_LOREM)) {
            *reason_out = "lorem_ipsum";
            return 0;
        }
        if (opts->filter_javascript && (found & PH_JAVASCRIPT)) {
            st->dropped_javascript++;
            continue;
        }
        if (opts->filter_curly_bracket && (flags & SCAN_CURLY)) {
            *reason_out = "curly_bracket";
            return 0;
        }
        if (opts->filter_policy) {
            /* four of the six phrases contain "cookie": checked with it */
            bool policy = (found & (PH_TERMS | PH_PRIVACY)) != 0;
            if (!policy && (found & PH_COOKIE))
                for (size_t k = 2; k < 6 && !policy; k++)
                    policy = th_ft_find(lower, ln, policy_phrases[k],
                                        strlen(policy_phrases[k])) != NULL;
            if (policy) {
                st->dropped_policy++;
                continue;
            }
        }
        if (!lazy && counting) {
            size_t ns = 0;
            int rc = tok->count_sentences(line, n, arena, &ns, err,
                                          tok->ctx);
            if (rc < 0)
                return rc;
            sentences += ns;
            if (!stats && opts->min_num_sentences >= 0 &&
                (int64_t)sentences >= opts->min_num_sentences)
                counting = false;
        } else if (counting) {
            /*
             * Punkt finds at least one sentence in a line with any
             * non-space character (and none in a blank one), so such lines
             * bound the count from below; the counter is only asked, at the
             * end, when fewer of them than the minimum were kept. It is
             * asked about the whole line, as the exact path asks: removing
             * a citation can leave a space at either end, and Punkt's
             * count can depend on it (NLTK: " ?? a" is 2 sentences, "?? a"
             * 3; found by fuzz_filters).
             */
            size_t a = 0, b = n;
            th_ft_strip(line, &a, &b);
            if (a < b) {
                if (n_pending < PENDING_MAX) {
                    pending[n_pending].start = (size_t)(line - out);
                    pending[n_pending].len = n;
                }
                n_pending++;
                if (opts->min_num_sentences >= 0 &&
                    (int64_t)n_pending >= opts->min_num_sentences)
                    counting = false;
            }
        }
        if (st->kept_lines) {
            out[o] = '\n';
            if (nls)
                nls[n_nls++] = o;
        }
        o = line_at + n;
        st->kept_lines++;
        runs += cited ? 0 : n_words;  /* (the line as counted) */
    }
    if (lazy && counting) {
        /* fewer non-blank kept lines than the minimum: count exactly */
        for (size_t k = 0; k < n_pending && k < PENDING_MAX; k++) {
            size_t ns = 0;
            int rc = tok->count_sentences(out + pending[k].start,
                                          pending[k].len, arena, &ns, err,
                                          tok->ctx);
            if (rc < 0)
                return rc;
            sentences += ns;
        }
    } else if (lazy) {
        sentences = n_pending;  /* a lower bound, enough for the decision */
    }
    st->num_sentences = sentences;
    st->sentences_counted = true;
    if ((int64_t)sentences < opts->min_num_sentences) {
        *reason_out = "too_few_sentences";
        return 0;
    }
    size_t s = 0, e = o;
    th_ft_strip(out, &s, &e);
    out[e] = '\0';
    text_out->ptr = out + s;
    text_out->len = e - s;
    if (nls) {
        /* the strip keeps every run, and the '\n's inside */
        size_t m = 0;
        for (size_t k = 0; k < n_nls; k++)
            if (nls[k] >= s && nls[k] < e)
                nls[m++] = nls[k] - s;
        lines->newlines = nls;
        lines->n_newlines = m;
        lines->min_runs = runs;
    }
    return 0;
}
