/*
 * Character classes and small string routines with Python 3.11 semantics,
 * used by every filter of the module (see filter_text.h).
 *
 * Approach: ASCII is answered from tables or comparisons inline; other
 * characters go to utf8proc (general category, simple lowercase) or to small
 * sorted tables. utf8proc follows Unicode 15 while the parity data came from
 * Python 3.11 (Unicode 14); the two differ only for characters assigned in
 * Unicode 15, which real text barely contains.
 * Rejected: a generated two-level property table of our own (faster, but a
 * second copy of the Unicode database to keep current).
 */
#include <string.h>

#include <utf8proc.h>

#include "filter_text.h"
#include "../core/banned.h"

uint32_t th_ft_decode_last(const char *s, size_t end, size_t *start)
{
    size_t b = end - 1;
    size_t lo = end >= 4 ? end - 4 : 0;
    while (b > lo && ((uint8_t)s[b] & 0xc0) == 0x80)
        b--;
    size_t adv;
    uint32_t c = th_ft_decode((const uint8_t *)s + b, end - b, &adv);
    if (b + adv != end) {
        /* the tail byte is not the end of a valid sequence */
        *start = end - 1;
        return TH_FT_INVALID;
    }
    *start = b;
    return c;
}

size_t th_ft_count_chars(const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0, count = 0;
    while (i < n) {
        /* fast path: 16 (SSE2), then 8 ASCII bytes at a time */
#if defined(__SSE2__)
        while (i + 16 <= n &&
               !_mm_movemask_epi8(_mm_loadu_si128(
                   (const __m128i *)(const void *)(p + i)))) {
            i += 16;
            count += 16;
        }
        if (i >= n)
            break;
#endif
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                count += 8;
                continue;
            }
        }
        if (p[i] < 0x80) {
            i++;
        } else {
            size_t adv;
            th_ft_decode(p + i, n - i, &adv);
            i += adv;
        }
        count++;
    }
    return count;
}

bool th_ft_is_alpha(uint32_t c)
{
    if (c < 0x80)
        return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    if (c >= TH_FT_INVALID)
        return false;
    switch (utf8proc_category((utf8proc_int32_t)c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return true;
    default:
        return false;
    }
}

/* Non-ASCII members of datatrove's PUNCTUATION string, sorted. */
static const uint32_t punct_non_ascii[] = {
    0x00ab, 0x00b4, 0x00bb, 0x2013, 0x2014, 0x2019, 0x201c, 0x201d, 0x201e,
    0x2026, 0x2236, 0x2501, 0x25ba, 0x3001, 0x3002, 0x3008, 0x3009, 0x300a,
    0x300b, 0x300c, 0x300d, 0x3010, 0x3011, 0xff01, 0xff05, 0xff08, 0xff09,
    0xff0c, 0xff0e, 0xff11, 0xff1a, 0xff1b, 0xff1f, 0xff5e,
};

bool th_ft_is_punctuation(uint32_t c)
{
    if (c < 0x80) {
        if (c < 0x20)
            return c != 9 && c != 10;
        return c == 0x7f ||
               (c > 0x20 && c < 0x7f && !((c | 0x20) >= 'a' &&
                                          (c | 0x20) <= 'z') &&
                !(c >= '0' && c <= '9'));
    }
    if (c < 0xa0)
        return true; /* C1 controls 0x80..0x9f */
    size_t lo = 0, hi = sizeof(punct_non_ascii) / sizeof(punct_non_ascii[0]);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (punct_non_ascii[mid] == c)
            return true;
        if (punct_non_ascii[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Unicode 15 Sentence_Terminal ranges (PropList.txt). */
static const uint32_t terminal_ranges[][2] = {
    {0x0021, 0x0021}, {0x002E, 0x002E}, {0x003F, 0x003F}, {0x0589, 0x0589},
    {0x061D, 0x061F}, {0x06D4, 0x06D4}, {0x0700, 0x0702}, {0x07F9, 0x07F9},
    {0x0837, 0x0837}, {0x0839, 0x0839}, {0x083D, 0x083E}, {0x0964, 0x0965},
    {0x104A, 0x104B}, {0x1362, 0x1362}, {0x1367, 0x1368}, {0x166E, 0x166E},
    {0x1735, 0x1736}, {0x1803, 0x1803}, {0x1809, 0x1809}, {0x1944, 0x1945},
    {0x1AA8, 0x1AAB}, {0x1B5A, 0x1B5B}, {0x1B5E, 0x1B5F}, {0x1B7D, 0x1B7E},
    {0x1C3B, 0x1C3C}, {0x1C7E, 0x1C7F}, {0x203C, 0x203D}, {0x2047, 0x2049},
    {0x2E2E, 0x2E2E}, {0x2E3C, 0x2E3C}, {0x2E53, 0x2E54}, {0x3002, 0x3002},
    {0xA4FF, 0xA4FF}, {0xA60E, 0xA60F}, {0xA6F3, 0xA6F3}, {0xA6F7, 0xA6F7},
    {0xA876, 0xA877}, {0xA8CE, 0xA8CF}, {0xA92F, 0xA92F}, {0xA9C8, 0xA9C9},
    {0xAA5D, 0xAA5F}, {0xAAF0, 0xAAF1}, {0xABEB, 0xABEB}, {0xFE52, 0xFE52},
    {0xFE56, 0xFE57}, {0xFF01, 0xFF01}, {0xFF0E, 0xFF0E}, {0xFF1F, 0xFF1F},
    {0xFF61, 0xFF61}, {0x10A56, 0x10A57}, {0x10F55, 0x10F59},
    {0x10F86, 0x10F89}, {0x11047, 0x11048}, {0x110BE, 0x110C1},
    {0x11141, 0x11143}, {0x111C5, 0x111C6}, {0x111CD, 0x111CD},
    {0x111DE, 0x111DF}, {0x11238, 0x11239}, {0x1123B, 0x1123C},
    {0x112A9, 0x112A9}, {0x1144B, 0x1144C}, {0x115C2, 0x115C3},
    {0x115C9, 0x115D7}, {0x11641, 0x11642}, {0x1173C, 0x1173E},
    {0x11944, 0x11944}, {0x11946, 0x11946}, {0x11A42, 0x11A43},
    {0x11A9B, 0x11A9C}, {0x11C41, 0x11C42}, {0x11EF7, 0x11EF8},
    {0x11F43, 0x11F44}, {0x16A6E, 0x16A6F}, {0x16AF5, 0x16AF5},
    {0x16B37, 0x16B38}, {0x16B44, 0x16B44}, {0x16E98, 0x16E98},
    {0x1BC9F, 0x1BC9F}, {0x1DA88, 0x1DA88},
};

bool th_ft_is_terminal(uint32_t c)
{
    if (c < 0x80)
        return c == '!' || c == '.' || c == '?';
    size_t lo = 0, hi = sizeof(terminal_ranges) / sizeof(terminal_ranges[0]);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < terminal_ranges[mid][0])
            hi = mid;
        else if (c > terminal_ranges[mid][1])
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

/*
 * Bit 7 of every byte of w that may start a line break: a control byte
 * (< 0x20: \n \v \f \r and \x1c-\x1e, but also \t and the rest), 0xc2
 * (U+0085 is c2 85) and 0xe2 (U+2028 and U+2029 are e2 80 a8 / a9).
 */
static inline uint64_t break_candidates(uint64_t w)
{
    const uint64_t b01 = 0x0101010101010101ull, b7f = 0x7f * b01;
    uint64_t ctl = ~(((w & b7f) + 0x60 * b01) | w);
    uint64_t c2 = w ^ (0xc2 * b01), e2 = w ^ (0xe2 * b01);
    c2 = ~(((c2 & b7f) + b7f) | c2);
    e2 = ~(((e2 & b7f) + b7f) | e2);
    return (ctl | c2 | e2) & (0x80 * b01);
}

/*
 * Offset of the first byte of p[i..n) that may start a break (see
 * break_candidates()), or n: 16 (SSE2), then 8 bytes at a time. Such a
 * byte is never a continuation byte, so it always starts a character.
 */
static inline size_t next_break_candidate(const uint8_t *p, size_t i,
                                          size_t n)
{
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        /* signed: 0x00-0x1f are the bytes in [0, 0x20) */
        __m128i ctl = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(-1)),
                                    _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));
        __m128i lead = _mm_or_si128(
            _mm_cmpeq_epi8(x, _mm_set1_epi8((char)0xc2)),
            _mm_cmpeq_epi8(x, _mm_set1_epi8((char)0xe2)));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, lead));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        uint64_t m = break_candidates(w);
        if (m)
            return i + (size_t)__builtin_ctzll(m) / 8;
    }
    for (; i < n; i++)
        if (p[i] < 0x20 || p[i] == 0xc2 || p[i] == 0xe2)
            return i;
    return n;
}

bool th_ft_next_line(const char *s, size_t n, size_t *pos,
                     size_t *line_start, size_t *line_end)
{
    size_t i = *pos;
    if (i >= n)
        return false;
    *line_start = i;
    const uint8_t *p = (const uint8_t *)s;
    while ((i = next_break_candidate(p, i, n)) < n) {
        uint8_t b = p[i];
        if (b < 0x20) {
            if ((b >= 10 && b <= 13) || (b >= 0x1c && b <= 0x1e)) {
                *line_end = i;
                i++;
                if (b == '\r' && i < n && p[i] == '\n')
                    i++;
                *pos = i;
                return true;
            }
            i++;
            continue;
        }
        size_t adv;
        uint32_t c = th_ft_decode(p + i, n - i, &adv);
        if (c == 0x85 || c == 0x2028 || c == 0x2029) {
            *line_end = i;
            *pos = i + adv;
            return true;
        }
        i += adv;
    }
    *line_end = n;
    *pos = n;
    return true;
}

void th_ft_lstrip_chars(const char *s, size_t *start, size_t end)
{
    size_t i = *start;
    while (i < end) {
        size_t adv;
        uint32_t c = th_ft_decode((const uint8_t *)s + i, end - i, &adv);
        if (!th_ft_is_space(c))
            break;
        i += adv;
    }
    *start = i;
}

void th_ft_rstrip_chars(const char *s, size_t start, size_t *end)
{
    size_t e = *end;
    while (e > start) {
        size_t b;
        uint32_t c = th_ft_decode_last(s, e, &b);
        if (b < start || !th_ft_is_space(c))
            break;
        e = b;
    }
    *end = e;
}

const char *th_ft_find(const char *hay, size_t n, const char *needle,
                       size_t needle_len)
{
    /* glibc's memmem skips ahead by a pair-of-bytes shift table (a first-
     * byte memchr stops at every 't' of the text for "terms of use") */
    return memmem(hay, n, needle, needle_len);
}

size_t th_ft_count_substr(const char *s, size_t n, const char *needle,
                          size_t needle_len)
{
    size_t count = 0;
    const char *p = s, *end = s + n;
    while ((size_t)(end - p) >= needle_len) {
        const char *hit = th_ft_find(p, (size_t)(end - p), needle, needle_len);
        if (!hit)
            break;
        count++;
        p = hit + needle_len;
    }
    return count;
}

void th_ft_lower_ascii(const char *s, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
}

size_t th_ft_lower(const char *s, size_t n, char *out)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0, o = 0;
    while (i < n) {
        /* 8 ASCII bytes at a time: add 0x20 to the bytes in 'A'..'Z' */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            uint64_t ge_a = (w + 0x3f3f3f3f3f3f3f3full) & 0x8080808080808080ull;
            uint64_t gt_z = (w + 0x2525252525252525ull) & 0x8080808080808080ull;
            w |= (ge_a & ~gt_z) >> 2;
            memcpy(out + o, &w, 8);
            i += 8;
            o += 8;
        }
        if (i >= n)
            break;
        uint8_t b = p[i];
        if (b < 0x80) {
            out[o++] = (b >= 'A' && b <= 'Z') ? (char)(b + 32) : (char)b;
            i++;
            continue;
        }
        size_t adv;
        uint32_t c = th_ft_decode(p + i, n - i, &adv);
        if (c == TH_FT_INVALID) {
            out[o++] = (char)b;
            i++;
            continue;
        }
        if (c == 0x130) {          /* İ: Python gives "i" + combining dot */
            out[o++] = 'i';
            out[o++] = (char)0xcc;
            out[o++] = (char)0x87;
            i += adv;
            continue;
        }
        utf8proc_int32_t l = utf8proc_tolower((utf8proc_int32_t)c);
        utf8proc_uint8_t enc[4];
        utf8proc_ssize_t k = utf8proc_encode_char(l, enc);
        if (k <= 0 || (size_t)k > adv + 1) {
            /* never grows by more than one byte per character */
            memcpy(out + o, p + i, adv);
            o += adv;
        } else {
            memcpy(out + o, enc, (size_t)k);
            o += (size_t)k;
        }
        i += adv;
    }
    return o;
}
