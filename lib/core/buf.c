/*
 * th_buf: a growable byte buffer with a hard cap [curl dynbuf]. Growth
 * doubles; a request past the cap fails with TH_ELIMIT and leaves the buffer
 * as it was, so a caller can drop one oversized document and go on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "thresh/core.h"
#include "banned.h"

void th_buf_init(struct th_buf *buf, size_t max)
{
    buf->ptr = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->max = max ? max : SIZE_MAX / 2;
}

void th_buf_release(struct th_buf *buf)
{
    free(buf->ptr);
    buf->ptr = NULL;
    buf->len = 0;
    buf->cap = 0;
}

void th_buf_reset(struct th_buf *buf)
{
    buf->len = 0;
    if (buf->ptr)
        buf->ptr[0] = '\0';
}

int th_buf_reserve(struct th_buf *buf, size_t extra)
{
    if (extra > buf->max || buf->len > buf->max - extra)
        return TH_ELIMIT;
    size_t need = buf->len + extra + 1;
    if (need <= buf->cap)
        return 0;
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(buf->ptr, cap);
    if (!p)
        return TH_ENOMEM;
    buf->ptr = p;
    buf->cap = cap;
    return 0;
}

int th_buf_append(struct th_buf *buf, const void *data, size_t len)
{
    int rc = th_buf_reserve(buf, len);
    if (rc < 0)
        return rc;
    if (len)
        memcpy(buf->ptr + buf->len, data, len);
    buf->len += len;
    buf->ptr[buf->len] = '\0';
    return 0;
}

int th_buf_append_cstr(struct th_buf *buf, const char *s)
{
    return th_buf_append(buf, s, strlen(s));
}

int th_buf_putc(struct th_buf *buf, char c)
{
    return th_buf_append(buf, &c, 1);
}

int th_buf_printf(struct th_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return TH_EINVAL;
    int rc = th_buf_reserve(buf, (size_t)n);
    if (rc < 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(buf->ptr + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return 0;
}


/* bytes that need escaping in JSON or checking as UTF-8: 1 */
static const unsigned char json_special[256] = {
    ['"'] = 1, ['\\'] = 1,
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1,
    [0x06] = 1, [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1,
    [0x0c] = 1, [0x0d] = 1, [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1,
    [0x12] = 1, [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1,
    [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1,
    [0x1e] = 1, [0x1f] = 1,
    [0x80 ... 0xff] = 1,
};

/* JSON escape of each ASCII byte that needs one, padded to 8 bytes so it
 * is stored in one go (n: its length). */
struct json_esc_seq {
    char s[7];                  /* the sequence */
    unsigned char n;            /* its length */
};

#define HEXD(x) ((char)((x) < 10 ? '0' + (x) : 'a' + (x) - 10))
#define ESC_U(c) [c] = {{'\\', 'u', '0', '0', HEXD((c) >> 4), HEXD((c) & 15)}, 6}
#define ESC_2(c, e) [c] = {{'\\', e}, 2}
static const struct json_esc_seq json_esc[0x60] = {
    ESC_U(0x00), ESC_U(0x01), ESC_U(0x02), ESC_U(0x03), ESC_U(0x04),
    ESC_U(0x05), ESC_U(0x06), ESC_U(0x07), ESC_2('\b', 'b'),
    ESC_2('\t', 't'), ESC_2('\n', 'n'), ESC_U(0x0b), ESC_2('\f', 'f'),
    ESC_2('\r', 'r'), ESC_U(0x0e), ESC_U(0x0f), ESC_U(0x10), ESC_U(0x11),
    ESC_U(0x12), ESC_U(0x13), ESC_U(0x14), ESC_U(0x15), ESC_U(0x16),
    ESC_U(0x17), ESC_U(0x18), ESC_U(0x19), ESC_U(0x1a), ESC_U(0x1b),
    ESC_U(0x1c), ESC_U(0x1d), ESC_U(0x1e), ESC_U(0x1f),
    ESC_2('"', '"'), ESC_2('\\', '\\'),
};
#undef ESC_2
#undef ESC_U
#undef HEXD

/*
 * Mask of the bytes of a 16-byte block that need attention: '"', '\\',
 * controls (< 0x20) and non-ASCII (>= 0x80, checked as UTF-8). SSE2 where
 * the compiler has it (every x86-64), two 8-byte SWAR words elsewhere; bit k
 * set for byte k in both versions.
 */
#if defined(__SSE2__)
static inline unsigned json_block_mask(const unsigned char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i q = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    __m128i b = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
    /* signed compare: bytes >= 0x80 are negative, so < 0x20 catches them */
    __m128i c = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, b), c));
}
#else
static inline unsigned json_word_mask(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull;
    const uint64_t high = 0x8080808080808080ull;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    uint64_t m = (x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) |
                  ((b - ones) & ~b)) & high;
    unsigned r = 0;
    /* exact for the lowest flagged byte only (borrows): callers use ctz */
    for (unsigned k = 0; k < 8; k++)
        r |= (unsigned)((m >> (8 * k + 7)) & 1) << k;
    return r;
}

static inline unsigned json_block_mask(const unsigned char *p)
{
    uint64_t lo, hi;
    memcpy(&lo, p, 8);
    memcpy(&hi, p + 8, 8);
    unsigned m = json_word_mask(lo);
    return m ? m : json_word_mask(hi) << 8;
}
#endif

int th_buf_append_json_str(struct th_buf *buf, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    char *o;
    int rc;
    /*
     * Segments of at most 64 KiB input: each reserves the worst case (6
     * output bytes per input byte, +4 for a character crossing the end, +16
     * of slack) once, then writes without further checks. Plain runs are
     * copied 16 bytes at a time by unconditional stores: a block is stored
     * whole, then the output advances only past its plain prefix, so no
     * call to memcpy per run; the slack covers the over-store.
     */
next_segment:
    if (i >= len)
        return 0;
    size_t seg_end = len - i > 65536 ? i + 65536 : len;
    rc = th_buf_reserve(buf, (seg_end - i) * 6 + 4 + 16);
    if (rc < 0)
        return rc;
    o = buf->ptr + buf->len;
    while (i < seg_end) {
        if (i + 16 <= seg_end) {
            memcpy(o, p + i, 16);
            unsigned m = json_block_mask(p + i);
            if (!m) {
                i += 16;
                o += 16;
                continue;
            }
            unsigned k = (unsigned)__builtin_ctz(m);
            i += k;
            o += k;
        } else {
            while (i < seg_end && !json_special[p[i]])
                *o++ = (char)p[i++];
            if (i >= seg_end)
                break;
        }
        unsigned c = p[i];
        if (c >= 0x80) {
            /* a run of non-ASCII characters, validated one by one */
            do {
                size_t n = th_utf8_seq_len(p + i, len - i);
                if (n) {
                    for (size_t k = 0; k < n; k++)
                        o[k] = (char)p[i + k];
                    o += n;
                    i += n;
                } else {
                    memcpy(o, "\xEF\xBF\xBD", 3);
                    o += 3;
                    i++;
                }
            } while (i < seg_end && p[i] >= 0x80);
            continue;
        }
        /* escape sequence from the table: one 8-byte store */
        memcpy(o, &json_esc[c], 8);
        o += json_esc[c].n;
        i++;
    }
    buf->len = (size_t)(o - buf->ptr);
    buf->ptr[buf->len] = '\0';
    goto next_segment;
}
