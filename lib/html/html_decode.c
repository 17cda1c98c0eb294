/*
 * Charset detection and conversion to UTF-8 for HTML bodies.
 *
 * Order of evidence: a byte-order mark; an HTTP charset of UTF-16 (the
 * bytes then hold NULs and would pass as UTF-8); then bytes that are
 * entirely valid UTF-8 are taken as UTF-8 whatever the page declares; then
 * the HTTP charset; then a <meta charset> or http-equiv Content-Type found
 * in the first 4 KiB; else windows-1252. Putting "valid UTF-8" before the
 * declarations departs from browsers on purpose: crawled pages often
 * declare ISO-8859-1 while serving UTF-8, and random legacy text that is
 * multi-byte and still valid UTF-8 is very rare, so the bytes are the
 * better witness. As in the WHATWG Encoding standard, the labels
 * ISO-8859-1, US-ASCII and Latin-1 mean windows-1252.
 *
 * Conversion: UTF-8 is validated in place (a copy is made only to repair
 * invalid sequences with U+FFFD); windows-1252 has its own table; other
 * charsets go through glibc iconv, where an invalid or truncated sequence
 * becomes U+FFFD and conversion resumes at the next byte.
 */
#include <errno.h>
#include <iconv.h>
#include <string.h>

#include "html_internal.h"
#include "../core/banned.h"

const uint16_t th_html_cp1252_c1[32] = {
    0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
    0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
};


/* Offset of the first invalid UTF-8 byte, or len when all are valid. */
static size_t utf8_valid_prefix(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (i + 16 <= len) {
            uint64_t w, v;
            memcpy(&w, s + i, 8);
            memcpy(&v, s + i + 8, 8);
            if (!((w | v) & 0x8080808080808080ULL)) {
                i += 16;
                continue;
            }
        }
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = th_utf8_seq_len(s + i, len - i);
        if (!k)
            return i;
        i += k;
    }
    return len;
}

/* More valid multi-byte sequences than invalid bytes from bad on. */
static bool mostly_utf8(const uint8_t *s, size_t len, size_t bad)
{
    size_t good = 0, wrong = 0;
    for (size_t i = 0; i < bad; i++)
        good += (s[i] & 0xC0) == 0xC0;
    for (size_t i = bad; i < len;) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = th_utf8_seq_len(s + i, len - i);
        if (k) {
            good++;
            i += k;
        } else {
            wrong++;
            i++;
        }
    }
    return good > wrong;
}

static int repair_utf8(const uint8_t *s, size_t len, size_t first_bad,
                       struct th_arena *arena, struct th_slice *out)
{
    char *o = th_arena_alloc(arena, len * 3 + 1);
    if (!o)
        return TH_ENOMEM;
    memcpy(o, s, first_bad);
    size_t n = first_bad, i = first_bad;
    while (i < len) {
        size_t k = th_utf8_seq_len(s + i, len - i);
        if (k) {
            memcpy(o + n, s + i, k);
            n += k;
            i += k;
        } else {
            n += th_utf8_encode(0xFFFD, o + n);
            i++;
        }
    }
    *out = (struct th_slice){o, n};
    return 0;
}

static int from_cp1252(const uint8_t *s, size_t len, struct th_arena *arena,
                       struct th_slice *out)
{
    char *o = th_arena_alloc(arena, len * 3 + 1);
    if (!o)
        return TH_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (c < 0x80)
            o[n++] = (char)c;
        else if (c < 0xA0)
            n += th_utf8_encode(th_html_cp1252_c1[c - 0x80], o + n);
        else
            n += th_utf8_encode(c, o + n);
    }
    *out = (struct th_slice){o, n};
    return 0;
}

static int from_iconv(iconv_t cd, const uint8_t *s, size_t len,
                      struct th_arena *arena, struct th_slice *out)
{
    size_t cap = len * 4 + 16;
    char *o = th_arena_alloc(arena, cap);
    if (!o)
        return TH_ENOMEM;
    char *in = (char *)s;
    size_t in_left = len;
    char *op = o;
    size_t out_left = cap;
    while (in_left > 0) {
        size_t r = iconv(cd, &in, &in_left, &op, &out_left);
        if (r != (size_t)-1)
            break;
        if (errno == E2BIG || out_left < 8)
            break;                   /* cannot happen with 4x room */
        op += th_utf8_encode(0xFFFD, op);
        out_left -= 3;
        if (errno == EINVAL)
            break;                   /* truncated sequence at the end */
        in++;
        in_left--;
        iconv(cd, NULL, NULL, NULL, NULL);
    }
    *out = (struct th_slice){o, (size_t)(op - o)};
    return 0;
}

/* Lowercase charset label from len bytes, trimmed; fits in cap. */
static size_t clean_label(const char *s, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        char c = s[i];
        if (c == '"' || c == '\'' || c == ' ' || c == '\t')
            continue;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
              c == ':'))
            break;
        out[n++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    out[n] = 0;
    return n;
}

static bool is_cp1252_label(const char *l)
{
    static const char *const names[] = {
        "windows-1252", "cp1252", "iso-8859-1", "iso8859-1", "latin1",
        "latin-1", "l1", "us-ascii", "ascii", "iso_8859-1", "x-cp1252",
        "ansi_x3.4-1968", "iso-ir-100", "ibm819", "cp819", "csisolatin1",
        "x-user-defined",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(l, names[i]) == 0)
            return true;
    return false;
}

static bool is_utf8_label(const char *l)
{
    return !strcmp(l, "utf-8") || !strcmp(l, "utf8") ||
           !strcmp(l, "unicode-1-1-utf-8") || !strncmp(l, "utf-16", 6) ||
           !strcmp(l, "unicode");
}

static bool ci_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != b[i])
            return false;
    }
    return true;
}

/* Charset label declared by a <meta> in the first 4 KiB; 0 when none. */
static size_t meta_charset(const uint8_t *data, size_t len, char *out,
                           size_t cap)
{
    const char *s = (const char *)data;
    size_t n = len < 4096 ? len : 4096;
    for (size_t i = 0; i + 5 < n; i++) {
        if (s[i] != '<' || !ci_eq(s + i + 1, "meta", 4))
            continue;
        const char *gt = memchr(s + i, '>', n - i);
        size_t end = gt ? (size_t)(gt - s) : n;
        for (size_t j = i + 5; j + 7 < end; j++) {
            if (!ci_eq(s + j, "charset", 7))
                continue;
            size_t k = j + 7;
            while (k < end && (s[k] == ' ' || s[k] == '\t'))
                k++;
            if (k >= end || s[k] != '=')
                continue;
            k++;
            while (k < end && (s[k] == ' ' || s[k] == '"' || s[k] == '\''))
                k++;
            size_t l = clean_label(s + k, end - k, out, cap);
            if (l)
                return l;
        }
        i = end;
    }
    return 0;
}

/* Try to convert with a declared label; 1 when done, 0 when unknown. */
static int convert_label(const char *label, const uint8_t *data, size_t len,
                         struct th_arena *arena, struct th_slice *out,
                         const char **charset_out, int *rc)
{
    if (is_cp1252_label(label)) {
        *charset_out = "windows-1252";
        *rc = from_cp1252(data, len, arena, out);
        return 1;
    }
    if (is_utf8_label(label))
        return 0;                    /* handled by the UTF-8 repair */
    iconv_t cd = iconv_open("UTF-8", label);
    if (cd == (iconv_t)-1)
        return 0;
    *charset_out = "declared";
    *rc = from_iconv(cd, data, len, arena, out);
    iconv_close(cd);
    return 1;
}

int th_html_decode(const uint8_t *data, size_t len,
                   struct th_slice charset_hint, struct th_arena *arena,
                   struct th_slice *out, const char **charset_out,
                   struct th_error *err)
{
    const char *dummy;
    if (!charset_out)
        charset_out = &dummy;
    int rc = 0;
    if (len >= 2 && ((data[0] == 0xFF && data[1] == 0xFE) ||
                     (data[0] == 0xFE && data[1] == 0xFF))) {
        iconv_t cd = iconv_open("UTF-8", data[0] == 0xFF ? "UTF-16LE"
                                                         : "UTF-16BE");
        if (cd == (iconv_t)-1)
            return th_error_set(err, TH_EINVAL, "no utf-16 converter");
        *charset_out = data[0] == 0xFF ? "utf-16le" : "utf-16be";
        rc = from_iconv(cd, data + 2, len - 2, arena, out);
        iconv_close(cd);
        goto out_check;
    }
    if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) {
        data += 3;
        len -= 3;
    }
    char label[48];
    /* An HTTP UTF-16 charset is honoured (a <meta> one means UTF-8). */
    if (clean_label(charset_hint.ptr ? charset_hint.ptr : "",
                    charset_hint.len, label, sizeof(label)) &&
        !strncmp(label, "utf-16", 6)) {
        bool be = !strcmp(label, "utf-16be");
        iconv_t cd = iconv_open("UTF-8", be ? "UTF-16BE" : "UTF-16LE");
        if (cd == (iconv_t)-1)
            return th_error_set(err, TH_EINVAL, "no utf-16 converter");
        *charset_out = be ? "utf-16be" : "utf-16le";
        rc = from_iconv(cd, data, len, arena, out);
        iconv_close(cd);
        goto out_check;
    }
    size_t bad = utf8_valid_prefix(data, len);
    if (bad == len) {
        *charset_out = "utf-8";
        *out = (struct th_slice){(const char *)data, len};
        return 0;
    }
    bool declared_utf8 = false;
    if (clean_label(charset_hint.ptr ? charset_hint.ptr : "",
                    charset_hint.len, label, sizeof(label))) {
        if (convert_label(label, data, len, arena, out, charset_out, &rc))
            goto out_check;
        declared_utf8 |= is_utf8_label(label);
    }
    if (meta_charset(data, len, label, sizeof(label))) {
        if (convert_label(label, data, len, arena, out, charset_out, &rc))
            goto out_check;
        declared_utf8 |= is_utf8_label(label);
    }
    /* Mostly UTF-8 with a few bad bytes: repair rather than reinterpret. */
    if (declared_utf8 || mostly_utf8(data, len, bad)) {
        *charset_out = "utf-8";
        rc = repair_utf8(data, len, bad, arena, out);
    } else {
        *charset_out = "windows-1252";
        rc = from_cp1252(data, len, arena, out);
    }
out_check:
    if (rc < 0)
        return th_error_set(err, rc, "out of memory decoding html");
    return 0;
}
