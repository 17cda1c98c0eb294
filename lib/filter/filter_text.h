/*
 * Internal text helpers of the filter module: UTF-8 decoding and the
 * character classes of Python 3.11's str methods (isspace/strip/split,
 * splitlines, isalpha) that datatrove's filters rely on, plus datatrove's
 * PUNCTUATION_SET and a Unicode Sentence_Terminal table.
 *
 * Everything works on UTF-8 bytes. An invalid byte counts as one opaque
 * character that is neither space, letter nor punctuation, so malformed input
 * never fails and never reads out of bounds.
 */
#ifndef THRESH_FILTER_TEXT_H
#define THRESH_FILTER_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Code point used for a byte that does not start a valid UTF-8 sequence. */
#define TH_FT_INVALID 0x110000u

/* Decode one character at s[0..n) (n > 0); *adv gets its byte length. */
static inline uint32_t th_ft_decode(const uint8_t *s, size_t n, size_t *adv)
{
    uint32_t c = s[0];
    if (c < 0x80) {
        *adv = 1;
        return c;
    }
    if (c >= 0xc2 && c <= 0xdf && n >= 2 && (s[1] & 0xc0) == 0x80) {
        *adv = 2;
        return ((c & 0x1f) << 6) | (s[1] & 0x3f);
    }
    if (c >= 0xe0 && c <= 0xef && n >= 3 && (s[1] & 0xc0) == 0x80 &&
        (s[2] & 0xc0) == 0x80) {
        uint32_t v = ((c & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) |
                     (s[2] & 0x3f);
        if (v >= 0x800 && (v < 0xd800 || v > 0xdfff)) {
            *adv = 3;
            return v;
        }
    }
    if (c >= 0xf0 && c <= 0xf4 && n >= 4 && (s[1] & 0xc0) == 0x80 &&
        (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) {
        uint32_t v = ((c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
                     ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
        if (v >= 0x10000 && v <= 0x10ffff) {
            *adv = 4;
            return v;
        }
    }
    *adv = 1;
    return TH_FT_INVALID;
}

/* Decode the character ending at s + end (end > 0); *start gets its offset. */
uint32_t th_ft_decode_last(const char *s, size_t end, size_t *start);

/* Number of characters (Python len()) of s[0..n). */
size_t th_ft_count_chars(const char *s, size_t n);

/* Python str.isspace() for one character (strip, split, re \s). */
static inline bool th_ft_is_space(uint32_t c)
{
    if (c < 0x80)
        return (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x20);
    return c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
           c == 0x202f || c == 0x205f || c == 0x3000;
}

/* A line boundary of Python str.splitlines() (CR LF is handled by callers). */
static inline bool th_ft_is_line_break(uint32_t c)
{
    if (c < 0x80)
        return (c >= 10 && c <= 13) || (c >= 0x1c && c <= 0x1e);
    return c == 0x85 || c == 0x2028 || c == 0x2029;
}

/* Python str.isalpha() for one character (general category L*). */
bool th_ft_is_alpha(uint32_t c);

/* Member of datatrove's PUNCTUATION_SET (the 129-character string). */
bool th_ft_is_punctuation(uint32_t c);

/* Unicode Sentence_Terminal (datatrove's TERMINAL_PUNCTUATION, approx.). */
bool th_ft_is_terminal(uint32_t c);

/*
 * Python str.splitlines() as an iterator: *pos is the scan offset (start at
 * 0). Returns false when no line is left; otherwise the line (without its
 * terminator) is s[*line_start .. *line_end).
 */
bool th_ft_next_line(const char *s, size_t n, size_t *pos,
                     size_t *line_start, size_t *line_end);

/* Python str.lstrip() / rstrip() bounds, one character at a time. */
void th_ft_lstrip_chars(const char *s, size_t *start, size_t end);
void th_ft_rstrip_chars(const char *s, size_t start, size_t *end);

/* An ASCII byte is a whole character: is b one that is not a space? */
static inline bool th_ft_ascii_nonspace(uint8_t b)
{
    return b < 0x80 && !th_ft_is_space(b);
}

/* Python str.lstrip() bounds: raise *start over s[*start, end). An ASCII
 * non-space first byte (the common case) leaves nothing to strip. */
static inline void th_ft_lstrip(const char *s, size_t *start, size_t end)
{
    if (*start < end && th_ft_ascii_nonspace((uint8_t)s[*start]))
        return;
    th_ft_lstrip_chars(s, start, end);
}

/* Python str.rstrip() bounds: lower *end over s[start, *end). */
static inline void th_ft_rstrip(const char *s, size_t start, size_t *end)
{
    if (start < *end && th_ft_ascii_nonspace((uint8_t)s[*end - 1]))
        return;
    th_ft_rstrip_chars(s, start, end);
}

/* Python str.strip() bounds: shrink [*start, *end) over s. */
static inline void th_ft_strip(const char *s, size_t *start, size_t *end)
{
    th_ft_lstrip(s, start, *end);
    th_ft_rstrip(s, *start, end);
}

/*
 * Non-overlapping occurrences of needle (Python str.count) in s[0..n).
 */
size_t th_ft_count_substr(const char *s, size_t n, const char *needle,
                          size_t needle_len);

/* Does s[0..n) end with the given bytes / start with them? */
static inline bool th_ft_ends_with(const char *s, size_t n, const char *suf,
                                   size_t suf_len)
{
    return n >= suf_len && __builtin_memcmp(s + n - suf_len, suf, suf_len) == 0;
}

/*
 * Lowercase s[0..n) the way Python's str.lower() does, into out (capacity at
 * least th_ft_lower_cap(n)); returns the output length. Characters whose
 * lowercase needs a different number of bytes are handled (U+0130 becomes
 * "i" + U+0307, as in Python).
 */
size_t th_ft_lower(const char *s, size_t n, char *out);
static inline size_t th_ft_lower_cap(size_t n)
{
    return n * 3 / 2 + 4;
}

/* ---- 8 bytes at a time (SWAR) ---------------------------------------- */

/* The byte b in every byte of a word. */
#define TH_FT_BYTES(b) ((uint64_t)(b) * 0x0101010101010101ull)

/* Bit 7 of every zero byte of x. */
static inline uint64_t th_ft_zero_bytes(uint64_t x)
{
    return ~(((x & TH_FT_BYTES(0x7f)) + TH_FT_BYTES(0x7f)) | x) &
           TH_FT_BYTES(0x80);
}

/* Bit 7 of every byte of x (each < 0x80) in [lo, hi]. */
static inline uint64_t th_ft_in_range(uint64_t x, unsigned lo, unsigned hi)
{
    return (x + TH_FT_BYTES(0x80 - lo)) & ~(x + TH_FT_BYTES(0x7f - hi)) &
           TH_FT_BYTES(0x80);
}

/* Number of bytes of x with bit 7 set (x holds bits 7 only). */
static inline unsigned th_ft_count_marked(uint64_t x)
{
    return (unsigned)(((x >> 7) * TH_FT_BYTES(1)) >> 56);
}

/*
 * The bytes of a token of 1 to 8 bytes as one little-endian word, byte j
 * taken from p[min(j, len - 1)]: no byte past the token is read, and no
 * branch depends on the length (token lengths defeat branch prediction).
 * Mask with th_ft_low_bytes(len) for the token's own value.
 */
static inline uint64_t th_ft_load_short(const uint8_t *p, size_t len)
{
    size_t m = len - 1;
#define TH_FT_AT(j) ((uint64_t)p[(j) < m ? (j) : m] << (8 * (j)))
    return TH_FT_AT(0) | TH_FT_AT(1) | TH_FT_AT(2) | TH_FT_AT(3) |
           TH_FT_AT(4) | TH_FT_AT(5) | TH_FT_AT(6) | TH_FT_AT(7);
#undef TH_FT_AT
}

/* A mask of the low len bytes of a word (len 0..8). */
static inline uint64_t th_ft_low_bytes(size_t len)
{
    return len ? ~0ull >> (64 - 8 * len) : 0;
}

/* ---- blocks of TH_FT_BLOCK bytes: SSE2, else 8 bytes (SWAR) ---------- */

/* Wider paths (AVX2, AVX-512BW) in functions of their own target, taken
 * after a run-time check of the CPU: x86-64 with GCC or Clang only. */
#if defined(__SSE2__) && defined(__x86_64__) && \
    (defined(__GNUC__) || defined(__clang__))
#define TH_FT_X86_WIDE 1
#include <immintrin.h>
#endif

#if defined(__SSE2__)
#include <emmintrin.h>
#define TH_FT_BLOCK 16
#else
#define TH_FT_BLOCK 8
#endif

/* Bits set in x (without -mpopcnt, __builtin_popcount is a libgcc call). */
static inline unsigned th_ft_popcount(uint32_t x)
{
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    return (((x + (x >> 4)) & 0x0f0f0f0fu) * 0x01010101u) >> 24;
}

/* Bit 7 of byte k of m (nothing else set) to bit k. */
static inline uint32_t th_ft_marked_bits(uint64_t m)
{
    return (uint32_t)(((m >> 7) * 0x0102040810204080ull) >> 56);
}

#if defined(__SSE2__)
/* 0xff in each byte of x that is an ASCII space (9-13, 0x1c-0x20). */
static inline __m128i th_ft_space_bytes(__m128i x)
{
    /* signed compares: bytes >= 0x80 are negative, in neither range */
    __m128i a = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(8)),
                              _mm_cmplt_epi8(x, _mm_set1_epi8(14)));
    __m128i b = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x1b)),
                              _mm_cmplt_epi8(x, _mm_set1_epi8(0x21)));
    return _mm_or_si128(a, b);
}

/* 0xff in each byte of x within [lo, hi] (unsigned) / equal to b. */
static inline __m128i th_ft_bytes_in(__m128i x, uint8_t lo, uint8_t hi)
{
    return _mm_and_si128(
        _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8((char)lo)), x),
        _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8((char)hi)), x));
}

static inline __m128i th_ft_bytes_eq(__m128i x, uint8_t b)
{
    return _mm_cmpeq_epi8(x, _mm_set1_epi8((char)b));
}

/*
 * Are the 16 bytes x (a character starts at byte 0) plainly valid UTF-8:
 * ASCII, and leads C2-DF, E0-EF, F0-F4 each followed by exactly its
 * continuation bytes, E0 by A0-BF, ED by 80-9F, F0 by 90-BF and F4 by
 * 80-8F? Such a lead decodes to a valid character whatever other
 * continuation bytes follow (no overlong form, surrogate or value past
 * U+10FFFF), so every lead starts a character as th_ft_decode() reads
 * them and a character is a byte that is not a continuation byte.
 * Returns 0 when not; else the bytes up to a lead whose character runs
 * past the block (16 when none; such a lead is checked by the next
 * block), and continuation bytes in *cont (bit k: byte k).
 */
static inline size_t th_ft_plain_utf8(__m128i x, uint32_t *cont)
{
    uint32_t high = (uint32_t)_mm_movemask_epi8(x);
    uint32_t c = (uint32_t)_mm_movemask_epi8(th_ft_bytes_in(x, 0x80, 0xbf));
    uint32_t l2 = (uint32_t)_mm_movemask_epi8(th_ft_bytes_in(x, 0xc2, 0xdf));
    uint32_t l3 = (uint32_t)_mm_movemask_epi8(th_ft_bytes_in(x, 0xe0, 0xef));
    uint32_t l4 = (uint32_t)_mm_movemask_epi8(th_ft_bytes_in(x, 0xf0, 0xf4));
    /* where continuation bytes must be (bits 16-18: past the block) */
    uint32_t want = l2 << 1 | l3 << 1 | l3 << 2 | l4 << 1 | l4 << 2 |
                    l4 << 3;
    if ((high & ~(c | l2 | l3 | l4)) || ((c ^ want) & 0xffff))
        return 0;
    /* the second byte of E0, ED, F0, F4 (byte 15's is past the block) */
    __m128i y = _mm_srli_si128(x, 1);
    __m128i bad = _mm_or_si128(
        _mm_or_si128(
            _mm_andnot_si128(th_ft_bytes_in(y, 0xa0, 0xbf),
                             th_ft_bytes_eq(x, 0xe0)),
            _mm_andnot_si128(th_ft_bytes_in(y, 0x80, 0x9f),
                             th_ft_bytes_eq(x, 0xed))),
        _mm_or_si128(
            _mm_andnot_si128(th_ft_bytes_in(y, 0x90, 0xbf),
                             th_ft_bytes_eq(x, 0xf0)),
            _mm_andnot_si128(th_ft_bytes_in(y, 0x80, 0x8f),
                             th_ft_bytes_eq(x, 0xf4))));
    uint32_t cut_lead = (l2 & 0x8000) | (l3 & 0xc000) | (l4 & 0xe000);
    size_t cut = cut_lead ? (size_t)__builtin_ctz(cut_lead) : 16;
    /* leads of characters inside the block must be good */
    if ((uint32_t)_mm_movemask_epi8(bad) & ((1u << cut) - 1))
        return 0;
    /* every byte is consistent: at most one lead's character runs past
     * the block (two would need a lead where a continuation must be) */
    *cont = c;
    return cut;
}

/*
 * Might the 16 bytes at p (p[16] and p[17] readable) hold the start of a
 * non-ASCII space (th_ft_is_space)? Yes at C2 85, C2 A0, E2 80 80-8A, E2
 * 80 A8 / A9 / AF, E2 81 9F, and at any E1 or E3 (U+1680, U+3000). Such
 * leads are never continuation bytes, so every one starts a character
 * wherever decoding began; without them every non-ASCII byte belongs to a
 * non-space character.
 */
static inline bool th_ft_block_may_hold_wide_space(const char *p)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
    __m128i z = _mm_loadu_si128((const __m128i *)(const void *)(p + 2));
#define TH_FT_EQ(v, b) _mm_cmpeq_epi8(v, _mm_set1_epi8((char)(b)))
    /* z in 80-8A: signed, 0x80-0x8a are -128..-118 */
    __m128i z2000 = _mm_or_si128(
        _mm_cmplt_epi8(z, _mm_set1_epi8((char)0x8b)),
        _mm_or_si128(_mm_or_si128(TH_FT_EQ(z, 0xa8), TH_FT_EQ(z, 0xa9)),
                     TH_FT_EQ(z, 0xaf)));
    __m128i e2 = TH_FT_EQ(x, 0xe2);
    __m128i m = _mm_and_si128(TH_FT_EQ(x, 0xc2),
                              _mm_or_si128(TH_FT_EQ(y, 0x85),
                                           TH_FT_EQ(y, 0xa0)));
    m = _mm_or_si128(m, _mm_and_si128(_mm_and_si128(e2, TH_FT_EQ(y, 0x80)),
                                      z2000));
    m = _mm_or_si128(m, _mm_and_si128(_mm_and_si128(e2, TH_FT_EQ(y, 0x81)),
                                      TH_FT_EQ(z, 0x9f)));
    m = _mm_or_si128(m, _mm_or_si128(TH_FT_EQ(x, 0xe1), TH_FT_EQ(x, 0xe3)));
#undef TH_FT_EQ
    return _mm_movemask_epi8(m) != 0;
}
#endif

/*
 * Bit k set when byte k of p[0..TH_FT_BLOCK) is an ASCII space (Python
 * isspace: 9-13, 0x1c-0x20); *ascii tells whether every byte is ASCII.
 */
static inline uint32_t th_ft_block_spaces(const char *p, bool *ascii)
{
#if defined(__SSE2__)
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    *ascii = _mm_movemask_epi8(x) == 0;
    return (uint32_t)_mm_movemask_epi8(th_ft_space_bytes(x));
#else
    uint64_t x;
    __builtin_memcpy(&x, p, 8);
    uint64_t high = x & TH_FT_BYTES(0x80);
    *ascii = !high;
    x &= TH_FT_BYTES(0x7f);  /* no carry between bytes in th_ft_in_range */
    uint64_t sp = th_ft_in_range(x, 9, 13) | th_ft_in_range(x, 0x1c, 0x20);
    return th_ft_marked_bits(sp & ~high);
#endif
}

/* Bit k set when byte k of p[0..TH_FT_BLOCK) is b. */
static inline uint32_t th_ft_block_eq(const char *p, uint8_t b)
{
#if defined(__SSE2__)
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    return (uint32_t)_mm_movemask_epi8(
        _mm_cmpeq_epi8(x, _mm_set1_epi8((char)b)));
#else
    uint64_t x;
    __builtin_memcpy(&x, p, 8);
    return th_ft_marked_bits(th_ft_zero_bytes(x ^ TH_FT_BYTES(b)));
#endif
}

/* ASCII-only lowercase of s[0..n) into out (same length). */
void th_ft_lower_ascii(const char *s, size_t n, char *out);

/* memmem for short needles (glibc's is fine; wrapped for clarity). */
const char *th_ft_find(const char *hay, size_t n, const char *needle,
                       size_t needle_len);

#endif
