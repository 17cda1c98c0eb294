/*
 * Minimal JSON scanning for the JSONL reader (and lib/nlp's Punkt
 * parameters): validation by skipping, and string decoding. thresh only interprets a few top-level members (text,
 * id, metadata, url, date); every other member is kept as its raw text and
 * written back untouched, so a full DOM (json-c, jansson) would spend time
 * and memory building values nobody reads. Recursion is bounded by
 * TH_JSON_MAX_DEPTH so hostile input cannot exhaust the stack.
 */
#include <string.h>

#include "thresh/json.h"
#include "../core/banned.h"

const char *th_json_skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static int skip_string(const char *p, const char *end, const char **next)
{
    p++;   /* opening quote */
    while (p < end) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q)
            return TH_EFORMAT;
        /* count preceding backslashes */
        const char *b = q;
        while (b > p && b[-1] == '\\')
            b--;
        for (const char *c = p; c < q; c++)
            if ((unsigned char)*c < 0x20)
                return TH_EFORMAT;
        if (((q - b) & 1) == 0) {
            *next = q + 1;
            return 0;
        }
        p = q + 1;
    }
    return TH_EFORMAT;
}

static int skip_number(const char *p, const char *end, const char **next)
{
    const char *s = p;
    if (p < end && *p == '-')
        p++;
    if (p >= end || *p < '0' || *p > '9')
        return TH_EFORMAT;
    while (p < end && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' ||
                       *p == 'E' || *p == '+' || *p == '-'))
        p++;
    if (p == s)
        return TH_EFORMAT;
    *next = p;
    return 0;
}

static int skip_literal(const char *p, const char *end, const char *lit,
                        const char **next)
{
    size_t n = strlen(lit);
    if ((size_t)(end - p) < n || memcmp(p, lit, n) != 0)
        return TH_EFORMAT;
    *next = p + n;
    return 0;
}

static int skip_depth(const char *p, const char *end, const char **next,
                      int depth)
{
    if (depth > TH_JSON_MAX_DEPTH)
        return TH_EFORMAT;
    p = th_json_skip_ws(p, end);
    if (p >= end)
        return TH_EFORMAT;
    switch (*p) {
    case '"':
        return skip_string(p, end, next);
    case 't':
        return skip_literal(p, end, "true", next);
    case 'f':
        return skip_literal(p, end, "false", next);
    case 'n':
        return skip_literal(p, end, "null", next);
    case '{':
    case '[': {
        char close = *p == '{' ? '}' : ']';
        bool object = *p == '{';
        p = th_json_skip_ws(p + 1, end);
        if (p < end && *p == close) {
            *next = p + 1;
            return 0;
        }
        for (;;) {
            p = th_json_skip_ws(p, end);
            if (object) {
                if (p >= end || *p != '"' || skip_string(p, end, &p) < 0)
                    return TH_EFORMAT;
                p = th_json_skip_ws(p, end);
                if (p >= end || *p != ':')
                    return TH_EFORMAT;
                p++;
            }
            if (skip_depth(p, end, &p, depth + 1) < 0)
                return TH_EFORMAT;
            p = th_json_skip_ws(p, end);
            if (p >= end)
                return TH_EFORMAT;
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p == close) {
                *next = p + 1;
                return 0;
            }
            return TH_EFORMAT;
        }
    }
    default:
        return skip_number(p, end, next);
    }
}

int th_json_skip_value(const char *p, const char *end, const char **next)
{
    return skip_depth(p, end, next, 0);
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return TH_EFORMAT;
    }
    *out = v;
    return 0;
}

int th_json_decode_string(const char *p, const char *end,
                          struct th_arena *arena, char **out, size_t *len_out,
                          const char **next, bool *bad_utf8)
{
    const char *stop;
    if (p >= end || *p != '"' || skip_string(p, end, &stop) < 0)
        return TH_EFORMAT;
    const char *s = p + 1, *e = stop - 1;
    char *o = th_arena_alloc(arena, (size_t)(e - s) + 1);
    if (!o)
        return TH_ENOMEM;
    size_t n = 0;
    while (s < e) {
        const char *bs = memchr(s, '\\', (size_t)(e - s));
        const char *run_end = bs ? bs : e;
        memcpy(o + n, s, (size_t)(run_end - s));
        n += (size_t)(run_end - s);
        s = run_end;
        if (!bs)
            break;
        s++;
        if (s >= e)
            return TH_EFORMAT;
        char c = *s++;
        switch (c) {
        case '"': o[n++] = '"'; break;
        case '\\': o[n++] = '\\'; break;
        case '/': o[n++] = '/'; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 't': o[n++] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (e - s < 4 || hex4(s, &cp) < 0)
                return TH_EFORMAT;
            s += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && e - s >= 6 && s[0] == '\\' &&
                s[1] == 'u' && hex4(s + 2, &lo) == 0 && lo >= 0xDC00 &&
                lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                s += 6;
            } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            /* \uXXXX (6 bytes) never expands beyond 4 bytes: fits */
            n += th_utf8_encode(cp, o + n);
            break;
        }
        default:
            return TH_EFORMAT;
        }
    }
    o[n] = '\0';
    *out = o;
    *len_out = n;
    *next = stop;
    if (bad_utf8)
        *bad_utf8 = !th_utf8_is_valid(o, n);
    return 0;
}
