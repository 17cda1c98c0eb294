/*
 * Keys for deduplication: the FineWeb text simplification applied before
 * shingling (and hashed as the exact-dedup key), the normalized-URL hash
 * and per-line hashes for repeated-line removal.
 *
 * Approach: one pass over the UTF-8 input writing straight into the output
 * buffer. ASCII (most web text) goes through a byte map: runs of letters
 * are copied lowercased in a tight loop, a digit starts or continues a
 * digit run (written once as '0'), everything else is a separator. Other
 * code points are decoded and looked up in a cache of the whole BMP built
 * once from utf8proc's tables (above U+FFFF: utf8proc directly): P* and S*
 * categories, controls and white space are separators, Cf (soft hyphen,
 * zero-width joiners) and Mn vanish, Nd behaves as a digit, anything else is
 * lowercased, NFD-decomposed and copied without its nonspacing marks.
 * Separators are emitted lazily as one space before the next word, which
 * collapses runs and trims both ends without a second pass.
 *
 * This differs from the datatrove implementation (which applies regexes and
 * unicodedata.normalize one after another over the whole string) only in
 * corner cases: combining marks and format characters are invisible here,
 * also inside digit runs ("1<U+0301>2" gives "0", datatrove "00"), which
 * keeps the function idempotent, and the punctuation set is the Unicode
 * categories instead of a hand-written list. Rejected: utf8proc_map() with
 * STRIPMARK|CASEFOLD, which allocates per call and is four times slower on
 * ASCII text.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "thresh/dedup.h"
#include "sort_u64.h"
#include "../core/banned.h"

/*
 * ASCII byte -> its simplified form: the lowercase letter for letters, '0'
 * for digits, 0 for everything else (separators) and for bytes >= 128.
 * Filled by bmp_init().
 */
static unsigned char ascii_map[256];

/* Class of a non-ASCII code point for simplification. */
enum cp_class {
    CP_SEP,                  /* becomes (part of) one space */
    CP_DROP,                 /* vanishes without separating */
    CP_DIGIT,                /* part of a digit run */
    CP_WORD,                 /* copied after lowercasing and NFD */
};

static enum cp_class classify(utf8proc_int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS: case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO: case UTF8PROC_CATEGORY_SM:
    case UTF8PROC_CATEGORY_SC: case UTF8PROC_CATEGORY_SK:
    case UTF8PROC_CATEGORY_SO: case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO: case UTF8PROC_CATEGORY_CN:
        return CP_SEP;
    case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_MN:
        return CP_DROP;
    case UTF8PROC_CATEGORY_ND:
        return CP_DIGIT;
    default:
        return CP_WORD;
    }
}

/*
 * Basic Multilingual Plane cache: class and simplified UTF-8 (lowercased,
 * NFD, nonspacing marks removed) of every code point below U+10000, built
 * once with utf8proc. Non-ASCII text (Cyrillic, Greek, Arabic, CJK, ...)
 * then costs a table lookup per code point instead of three utf8proc calls.
 */
struct bmp_entry {
    uint8_t cls;             /* enum cp_class; CP_SLOW: use utf8proc */
    uint8_t len;             /* bytes in out */
    char out[6];             /* simplified form */
};

#define CP_SLOW 0xff

static struct bmp_entry bmp[0x10000];
static pthread_once_t bmp_once = PTHREAD_ONCE_INIT;

static void bmp_init(void)
{
    for (int c = 0; c < 128; c++) {
        if (c >= 'a' && c <= 'z')
            ascii_map[c] = (unsigned char)c;
        else if (c >= 'A' && c <= 'Z')
            ascii_map[c] = (unsigned char)(c + 'a' - 'A');
        else if (c >= '0' && c <= '9')
            ascii_map[c] = '0';
    }
    for (utf8proc_int32_t cp = 0x80; cp < 0x10000; cp++) {
        struct bmp_entry *e = &bmp[cp];
        e->cls = (uint8_t)classify(cp);
        e->len = 0;
        if (e->cls != CP_WORD)
            continue;
        utf8proc_int32_t dec[18];
        int boundclass = 0;
        utf8proc_ssize_t nd = utf8proc_decompose_char(
            utf8proc_tolower(cp), dec, 18, UTF8PROC_DECOMPOSE, &boundclass);
        uint8_t buf[80];
        size_t n = 0;
        for (utf8proc_ssize_t i = 0; i < nd && nd <= 18; i++)
            if (utf8proc_category(dec[i]) != UTF8PROC_CATEGORY_MN)
                n += (size_t)utf8proc_encode_char(dec[i], buf + n);
        if (nd <= 0 || nd > 18 || n > sizeof(e->out)) {
            e->cls = CP_SLOW;
            continue;
        }
        memcpy(e->out, buf, n);
        e->len = (uint8_t)n;
    }
}

int th_dedup_simplify(const char *text, size_t len, struct th_buf *out)
{
    /* ASCII output never outgrows its input; other code points reserve */
    int rc = th_buf_reserve(out, len + 64);
    if (rc < 0)
        return rc;
    pthread_once(&bmp_once, bmp_init);
    const unsigned char *p = (const unsigned char *)text;
    const unsigned char *end = p + len;
    size_t start = out->len;
    char *o = out->ptr + out->len;
    bool sep = false;        /* a separator is pending */
    bool digits = false;     /* inside a digit run */
    while (p < end) {
        if (*p < 128) {
            unsigned char m = ascii_map[*p];
            if (m >= 'a') {
                /* a run of ASCII letters, copied lowercased */
                if (sep && o != out->ptr + start)
                    *o++ = ' ';
                sep = false;
                digits = false;
                do {
                    *o++ = (char)m;
                    p++;
                } while (p < end && (m = ascii_map[*p]) >= 'a');
                continue;
            }
            p++;
            if (m == '0') {
                if (!digits) {
                    if (sep && o != out->ptr + start)
                        *o++ = ' ';
                    sep = false;
                    *o++ = '0';
                    digits = true;
                }
                continue;
            }
            sep = true;
            digits = false;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, end - p, &cp);
        if (n <= 0) {
            p++;                 /* invalid byte: dropped */
            continue;
        }
        p += n;
        if (cp < 0x10000 && bmp[cp].cls != CP_SLOW) {
            const struct bmp_entry *e = &bmp[cp];
            if (e->cls == CP_SEP) {
                sep = true;
                digits = false;
            } else if (e->cls == CP_DIGIT) {
                if (!digits) {
                    if (sep && o != out->ptr + start)
                        *o++ = ' ';
                    sep = false;
                    *o++ = '0';
                    digits = true;
                }
            } else if (e->cls == CP_WORD && e->len) {
                /* up to 7 bytes out (space + 6) for >= 2 bytes in:
                 * keep room for the rest of the input plus slack */
                size_t used = (size_t)(o - out->ptr);
                if (out->cap - used < (size_t)(end - p) + 16) {
                    out->len = used;
                    rc = th_buf_reserve(out, (size_t)(end - p) + 96);
                    if (rc < 0)
                        return rc;
                    o = out->ptr + out->len;
                }
                if (sep && o != out->ptr + start)
                    *o++ = ' ';
                sep = false;
                memcpy(o, e->out, e->len);
                o += e->len;
                digits = false;
            }
            continue;
        }
        enum cp_class cls = classify(cp);
        if (cls == CP_SEP) {
            sep = true;
            digits = false;
            continue;
        }
        if (cls == CP_DROP)
            continue;           /* transparent, even inside digit runs */
        if (cls == CP_DIGIT && digits)
            continue;
        /* room for a space and a decomposition (<= 18 code points) */
        out->len = (size_t)(o - out->ptr);
        rc = th_buf_reserve(out, (size_t)(end - p) + 96);
        if (rc < 0)
            return rc;
        o = out->ptr + out->len;
        utf8proc_int32_t dec[18];
        utf8proc_ssize_t nd = 1;
        if (cls == CP_DIGIT) {
            dec[0] = '0';
        } else {
            int last_boundclass = 0;
            nd = utf8proc_decompose_char(utf8proc_tolower(cp), dec, 18,
                                         UTF8PROC_DECOMPOSE,
                                         &last_boundclass);
            if (nd <= 0 || nd > 18)
                nd = 0;
        }
        for (utf8proc_ssize_t i = 0; i < nd; i++) {
            if (utf8proc_category(dec[i]) == UTF8PROC_CATEGORY_MN)
                continue;
            /* the pending space goes out only before visible output */
            if (sep) {
                if (o != out->ptr + start)
                    *o++ = ' ';
                sep = false;
            }
            o += utf8proc_encode_char(dec[i], (utf8proc_uint8_t *)o);
        }
        digits = cls == CP_DIGIT;
    }
    out->len = (size_t)(o - out->ptr);
    out->ptr[out->len] = '\0';
    return 0;
}

static bool is_space(unsigned char c)
{
    /* bits of ' ', '\t', '\n', '\v', '\f', '\r' */
    return c <= ' ' && ((1ull << c) & 0x100003e00ull);
}

uint64_t th_dedup_text_hash(const char *simplified, size_t len)
{
    return th_hash64(simplified, len, 0x65786163) | 1;
}

static char lower_ascii(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 'a' - 'A') : c;
}

uint64_t th_dedup_url_hash(const char *url, size_t len)
{
    while (len && is_space((unsigned char)url[0])) {
        url++;
        len--;
    }
    while (len && is_space((unsigned char)url[len - 1]))
        len--;
    if (!len)
        return 0;
    const char *hash = memchr(url, '#', len);
    if (hash)
        len = (size_t)(hash - url);
    const char *sep = NULL;
    for (size_t i = 0; i + 2 < len && i < 16; i++)
        if (url[i] == ':' && url[i + 1] == '/' && url[i + 2] == '/') {
            sep = url + i + 3;
            break;
        }
    if (sep) {
        len -= (size_t)(sep - url);
        url = sep;
    }
    /* host: up to the first '/', '?' */
    size_t host_end = 0;
    while (host_end < len && url[host_end] != '/' && url[host_end] != '?')
        host_end++;
    char key[512] = {0};
    size_t k = 0;
    size_t h0 = 0;
    if (host_end >= 4 && lower_ascii(url[0]) == 'w' &&
        lower_ascii(url[1]) == 'w' && lower_ascii(url[2]) == 'w' &&
        url[3] == '.')
        h0 = 4;
    size_t host_len = host_end;
    if (host_len - h0 > 3 && !memcmp(url + host_len - 3, ":80", 3))
        host_len -= 3;
    else if (host_len - h0 > 4 && !memcmp(url + host_len - 4, ":443", 4))
        host_len -= 4;
    for (size_t i = h0; i < host_len && k < sizeof(key); i++)
        key[k++] = lower_ascii(url[i]);
    uint64_t h = th_hash64(key, k, 0x75726c);
    size_t path_len = len - host_end;
    const char *path = url + host_end;
    const char *q = memchr(path, '?', path_len);
    size_t before_q = q ? (size_t)(q - path) : path_len;
    size_t trimmed = before_q;
    while (trimmed && path[trimmed - 1] == '/')
        trimmed--;
    h = th_hash64(path, trimmed, h);
    if (q)
        h = th_hash64(q, path_len - before_q, h);
    return h ? h : 1;
}

int th_dedup_line_hash(const char *line, size_t len, struct th_buf *scratch,
                       uint64_t *hash_out)
{
    th_buf_reset(scratch);
    int rc = th_dedup_simplify(line, len, scratch);
    if (rc < 0)
        return rc;
    *hash_out = scratch->len ? th_hash64(scratch->ptr, scratch->len, 0x6c696e)
                             : 0;
    if (scratch->len && !*hash_out)
        *hash_out = 1;
    return 0;
}

int th_dedup_line_hashes(const char *text, size_t len, struct th_buf *scratch,
                         struct th_buf *out)
{
    size_t first = out->len;
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len;
        uint64_t h;
        int rc = th_dedup_line_hash(text + i, e - i, scratch, &h);
        if (rc < 0)
            return rc;
        if (h && (rc = th_buf_append(out, &h, sizeof(h))) < 0)
            return rc;
        i = e + 1;
    }
    size_t n = (out->len - first) / sizeof(uint64_t);
    if (n < 2)
        return 0;
    uint64_t *v = (uint64_t *)(void *)(out->ptr + first);
    out->len = first + th_dedup_sort_unique_u64(v, NULL, n) *
                           sizeof(uint64_t);
    return 0;
}
