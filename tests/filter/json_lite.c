/* Test-only JSON tree parser and gzip line reader (see json_lite.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "json_lite.h"

struct parser {
    const char *p;   /* cursor */
    int fail;        /* set on a syntax error */
};

static void skip_ws(struct parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
           *ps->p == '\r')
        ps->p++;
}

static size_t put_utf8(char *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xc0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xe0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        o[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    o[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

static uint32_t hex4(const char *s, int *ok)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            *ok = 0;
    }
    return v;
}

static char *parse_string(struct parser *ps, size_t *len_out)
{
    const char *s = ps->p + 1;
    const char *q = s;
    while (*q && *q != '"') {
        if (*q == '\\' && q[1])
            q++;
        q++;
    }
    char *out = malloc((size_t)(q - s) + 4);
    size_t o = 0;
    while (*s && *s != '"') {
        if (*s != '\\') {
            out[o++] = *s++;
            continue;
        }
        s++;
        int ok = 1;
        switch (*s) {
        case 'n': out[o++] = '\n'; s++; break;
        case 't': out[o++] = '\t'; s++; break;
        case 'r': out[o++] = '\r'; s++; break;
        case 'b': out[o++] = '\b'; s++; break;
        case 'f': out[o++] = '\f'; s++; break;
        case 'u': {
            uint32_t c = hex4(s + 1, &ok);
            s += 5;
            if (c >= 0xd800 && c < 0xdc00 && s[0] == '\\' && s[1] == 'u') {
                uint32_t lo = hex4(s + 2, &ok);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                    s += 6;
                }
            }
            o += put_utf8(out + o, c);
            break;
        }
        default: out[o++] = *s++; break;
        }
        if (!ok)
            ps->fail = 1;
    }
    if (*s != '"')
        ps->fail = 1;
    else
        s++;
    out[o] = '\0';
    ps->p = s;
    *len_out = o;
    return out;
}

static void parse_value(struct parser *ps, struct jl_value *v);

static void parse_container(struct parser *ps, struct jl_value *v, bool obj)
{
    size_t cap = 8;
    v->type = obj ? JL_OBJ : JL_ARR;
    v->items = calloc(cap, sizeof(*v->items));
    v->keys = obj ? calloc(cap, sizeof(char *)) : NULL;
    ps->p++;
    skip_ws(ps);
    char close = obj ? '}' : ']';
    if (*ps->p == close) {
        ps->p++;
        return;
    }
    for (;;) {
        if (v->len == cap) {
            cap *= 2;
            v->items = realloc(v->items, cap * sizeof(*v->items));
            if (obj)
                v->keys = realloc(v->keys, cap * sizeof(char *));
        }
        memset(&v->items[v->len], 0, sizeof(v->items[0]));
        skip_ws(ps);
        if (obj) {
            size_t kl;
            if (*ps->p != '"') {
                ps->fail = 1;
                return;
            }
            v->keys[v->len] = parse_string(ps, &kl);
            skip_ws(ps);
            if (*ps->p != ':') {
                ps->fail = 1;
                v->len++;
                return;
            }
            ps->p++;
        }
        parse_value(ps, &v->items[v->len]);
        v->len++;
        if (ps->fail)
            return;
        skip_ws(ps);
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == close) {
            ps->p++;
            return;
        }
        ps->fail = 1;
        return;
    }
}

static void parse_value(struct parser *ps, struct jl_value *v)
{
    skip_ws(ps);
    memset(v, 0, sizeof(*v));
    char c = *ps->p;
    if (c == '{' || c == '[') {
        parse_container(ps, v, c == '{');
    } else if (c == '"') {
        v->type = JL_STR;
        v->str = parse_string(ps, &v->len);
    } else if (!strncmp(ps->p, "true", 4)) {
        v->type = JL_BOOL;
        v->b = true;
        ps->p += 4;
    } else if (!strncmp(ps->p, "false", 5)) {
        v->type = JL_BOOL;
        ps->p += 5;
    } else if (!strncmp(ps->p, "null", 4)) {
        v->type = JL_NULL;
        ps->p += 4;
    } else {
        char *end;
        v->type = JL_NUM;
        v->num = strtod(ps->p, &end);
        if (end == ps->p)
            ps->fail = 1;
        ps->p = end;
    }
}

static void free_inner(struct jl_value *v)
{
    free(v->str);
    if (v->type == JL_ARR || v->type == JL_OBJ) {
        for (size_t i = 0; i < v->len; i++) {
            free_inner(&v->items[i]);
            if (v->keys)
                free(v->keys[i]);
        }
        free(v->items);
        free(v->keys);
    }
}

struct jl_value *jl_parse(const char *s)
{
    struct parser ps = {s, 0};
    struct jl_value *v = calloc(1, sizeof(*v));
    parse_value(&ps, v);
    if (ps.fail) {
        jl_free(v);
        return NULL;
    }
    return v;
}

void jl_free(struct jl_value *v)
{
    if (!v)
        return;
    free_inner(v);
    free(v);
}

const struct jl_value *jl_get(const struct jl_value *obj, const char *key)
{
    if (!obj || obj->type != JL_OBJ)
        return NULL;
    for (size_t i = 0; i < obj->len; i++)
        if (!strcmp(obj->keys[i], key))
            return &obj->items[i];
    return NULL;
}

long jl_read_lines(const char *path, char ***lines_out)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1024, n = 0, bcap = 1 << 20, blen = 0;
    char **lines = malloc(cap * sizeof(char *));
    char *buf = malloc(bcap);
    for (;;) {
        if (!gzgets(f, buf + blen, (int)(bcap - blen))) {
            if (blen) {
                lines[n++] = strdup(buf);
            }
            break;
        }
        blen += strlen(buf + blen);
        if (blen && buf[blen - 1] != '\n' && blen == bcap - 1) {
            bcap *= 2;
            buf = realloc(buf, bcap);
            continue;
        }
        if (blen && buf[blen - 1] == '\n')
            buf[--blen] = '\0';
        if (n == cap) {
            cap *= 2;
            lines = realloc(lines, cap * sizeof(char *));
        }
        lines[n++] = strdup(buf);
        blen = 0;
    }
    gzclose(f);
    free(buf);
    *lines_out = lines;
    return (long)n;
}

void jl_free_lines(char **lines, long n)
{
    for (long i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}
