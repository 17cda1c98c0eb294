/*
 * th_buf: a growable byte buffer with a hard cap [curl dynbuf]. Growth
 * doubles; a request past the cap fails with TH_ELIMIT and leaves the buffer
 * as it was, so a caller can drop one oversized document and go on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0)
            return 0;
        if (c == 0xED && s[1] > 0x9F)
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90)
            return 0;
        if (c == 0xF4 && s[1] > 0x8F)
            return 0;
        return 4;
    }
    return 0;
}

int th_buf_append_json_str(struct th_buf *buf, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    /* worst case 6 bytes per input byte */
    if (len > (SIZE_MAX / 2) / 6)
        return TH_ELIMIT;
    int rc = th_buf_reserve(buf, len + 16);
    if (rc < 0)
        return rc;
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        while (run < len && p[run] >= 0x20 && p[run] < 0x80 &&
               p[run] != '"' && p[run] != '\\')
            run++;
        if (run > i) {
            rc = th_buf_append(buf, p + i, run - i);
            if (rc < 0)
                return rc;
            i = run;
            continue;
        }
        unsigned c = p[i];
        char esc[8];
        size_t elen = 2;
        esc[0] = '\\';
        if (c == '"' || c == '\\') {
            esc[1] = (char)c;
        } else if (c == '\n') {
            esc[1] = 'n';
        } else if (c == '\t') {
            esc[1] = 't';
        } else if (c == '\r') {
            esc[1] = 'r';
        } else if (c == '\b') {
            esc[1] = 'b';
        } else if (c == '\f') {
            esc[1] = 'f';
        } else if (c < 0x20) {
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        } else {
            size_t n = utf8_valid_len(p + i, len - i);
            if (n) {
                rc = th_buf_append(buf, p + i, n);
                if (rc < 0)
                    return rc;
                i += n;
                continue;
            }
            rc = th_buf_append(buf, "\xEF\xBF\xBD", 3);
            if (rc < 0)
                return rc;
            i++;
            continue;
        }
        rc = th_buf_append(buf, esc, elen);
        if (rc < 0)
            return rc;
        i++;
    }
    return 0;
}
