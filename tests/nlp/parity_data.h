/*
 * Test-only reader of the shared parity vectors (../shared/data/parity):
 * gzip JSONL read whole with zlib, and a minimal JSON walker that extracts
 * string fields and arrays of strings (decoding \uXXXX and surrogates).
 * Strings are returned as malloc'd NUL-terminated bytes.
 */
#ifndef THRESH_TEST_PARITY_DATA_H
#define THRESH_TEST_PARITY_DATA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* A whole decompressed file. */
struct pd_file {
    char *data;    /* bytes, NUL-terminated */
    size_t len;    /* bytes */
};

static inline int pd_read_gz(const char *path, struct pd_file *out)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (cap - len < (1 << 16)) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        int r = gzread(f, buf + len, (unsigned)(cap - len - 1));
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    gzclose(f);
    buf[len] = 0;
    out->data = buf;
    out->len = len;
    return 0;
}

/* Next line of f starting at *pos; returns false at the end. */
static inline bool pd_next_line(const struct pd_file *f, size_t *pos,
                                const char **line, size_t *len)
{
    if (*pos >= f->len)
        return false;
    const char *s = f->data + *pos;
    const char *nl = memchr(s, '\n', f->len - *pos);
    size_t l = nl ? (size_t)(nl - s) : f->len - *pos;
    *line = s;
    *len = l;
    *pos += l + 1;
    return true;
}

static inline void pd_put_utf8(char **o, uint32_t cp)
{
    unsigned char *u = (unsigned char *)*o;
    if (cp < 0x80) {
        *u++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *u++ = (unsigned char)(0xc0 | (cp >> 6));
        *u++ = (unsigned char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *u++ = (unsigned char)(0xe0 | (cp >> 12));
        *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        *u++ = (unsigned char)(0x80 | (cp & 0x3f));
    } else {
        *u++ = (unsigned char)(0xf0 | (cp >> 18));
        *u++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        *u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        *u++ = (unsigned char)(0x80 | (cp & 0x3f));
    }
    *o = (char *)u;
}

static inline uint32_t pd_hex4(const char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
    }
    return v;
}

/* Parse the JSON string at *p (at the opening quote); advance past it. */
static inline char *pd_string(const char **p, size_t *len_out)
{
    const char *s = *p + 1;
    const char *e = s;
    while (*e && *e != '"') {
        if (*e == '\\')
            e++;
        e++;
    }
    char *out = malloc((size_t)(e - s) + 1);
    char *o = out;
    while (s < e) {
        if (*s != '\\') {
            *o++ = *s++;
            continue;
        }
        s++;
        switch (*s) {
        case 'n': *o++ = '\n'; s++; break;
        case 't': *o++ = '\t'; s++; break;
        case 'r': *o++ = '\r'; s++; break;
        case 'b': *o++ = '\b'; s++; break;
        case 'f': *o++ = '\f'; s++; break;
        case 'u': {
            uint32_t cp = pd_hex4(s + 1);
            s += 5;
            if (cp >= 0xd800 && cp < 0xdc00 && s[0] == '\\' && s[1] == 'u') {
                uint32_t lo = pd_hex4(s + 2);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    s += 6;
                }
            }
            pd_put_utf8(&o, cp);
            break;
        }
        default: *o++ = *s++; break;
        }
    }
    *o = 0;
    *len_out = (size_t)(o - out);
    *p = *e ? e + 1 : e;
    return out;
}

/* Find "key": in line (top level or nested, first occurrence after p). */
static inline const char *pd_find_key(const char *p, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\": ", key);
    const char *q = strstr(p, pat);
    return q ? q + strlen(pat) : NULL;
}

/* A list of strings. */
struct pd_list {
    char **items;      /* malloc'd strings */
    size_t *lens;      /* their lengths */
    size_t n;          /* count */
};

/* Parse the array of strings at *p (at '['); advance past ']'. */
static inline void pd_str_array(const char **p, struct pd_list *out)
{
    const char *s = *p + 1;
    size_t cap = 16;
    out->items = malloc(cap * sizeof(char *));
    out->lens = malloc(cap * sizeof(size_t));
    out->n = 0;
    for (;;) {
        while (*s == ' ' || *s == ',')
            s++;
        if (*s != '"')
            break;
        if (out->n == cap) {
            cap *= 2;
            out->items = realloc(out->items, cap * sizeof(char *));
            out->lens = realloc(out->lens, cap * sizeof(size_t));
        }
        out->items[out->n] = pd_string(&s, &out->lens[out->n]);
        out->n++;
    }
    if (*s == ']')
        s++;
    *p = s;
}

static inline void pd_list_free(struct pd_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    free(l->lens);
    l->n = 0;
}

/* Where the parity folder is. */
static inline void pd_path(char *out, size_t cap, const char *shared,
                           const char *file)
{
    snprintf(out, cap, "%s/parity/%s", shared, file);
}

/*
 * The held-out documents: those of docs.jsonl.gz that a per-document list
 * file (words or sentences, in the order of docs) does not hold, each
 * with GopherQualityFilter's n_words for it.
 */
struct pd_heldout {
    struct pd_file docs;     /* docs.jsonl.gz */
    struct pd_file gq;       /* expected-gopher_quality.jsonl.gz */
    struct pd_file listed;   /* the list file */
    size_t dpos, gpos, lpos; /* read positions in the three */
    char *next_id;           /* id of the next listed document, or NULL */
    long index;              /* index in docs of the last one returned */
};

/* The next listed id, into h->next_id (NULL at the end). */
static inline void pd_heldout_advance(struct pd_heldout *h)
{
    const char *l;
    size_t n, sl;
    free(h->next_id);
    h->next_id = NULL;
    if (pd_next_line(&h->listed, &h->lpos, &l, &n)) {
        char *line = strndup(l, n);
        const char *p = pd_find_key(line, "id");
        h->next_id = pd_string(&p, &sl);
        free(line);
    }
}

static inline void pd_heldout_close(struct pd_heldout *h)
{
    free(h->docs.data);
    free(h->gq.data);
    free(h->listed.data);
    free(h->next_id);
    memset(h, 0, sizeof(*h));
}

/* Open the three files under SHARED; -1 if one cannot be read. */
static inline int pd_heldout_open(struct pd_heldout *h, const char *shared,
                                  const char *listed_name)
{
    char path[4096];
    memset(h, 0, sizeof(*h));
    h->index = -1;
    pd_path(path, sizeof(path), shared, "docs.jsonl.gz");
    int rc = pd_read_gz(path, &h->docs);
    pd_path(path, sizeof(path), shared, "expected-gopher_quality.jsonl.gz");
    rc |= pd_read_gz(path, &h->gq);
    pd_path(path, sizeof(path), shared, listed_name);
    rc |= pd_read_gz(path, &h->listed);
    if (rc < 0) {
        pd_heldout_close(h);
        return -1;
    }
    pd_heldout_advance(h);
    return 0;
}

/*
 * The next held-out document: true with its id and text (malloc'd, the
 * caller frees both) and NLTK's word count; h->index is its index in
 * docs. False at the end.
 */
static inline bool pd_heldout_next(struct pd_heldout *h, char **id_out,
                                   char **text, size_t *len, long *n_words)
{
    const char *dl, *gl;
    size_t dn, gn, l;
    while (pd_next_line(&h->docs, &h->dpos, &dl, &dn) &&
           pd_next_line(&h->gq, &h->gpos, &gl, &gn)) {
        h->index++;
        char *dline = strndup(dl, dn), *gline = strndup(gl, gn);
        const char *p = pd_find_key(dline, "id");
        char *id = pd_string(&p, &l);
        bool found = false;
        if (h->next_id && !strcmp(id, h->next_id)) {
            pd_heldout_advance(h);
        } else {
            const char *nw = strstr(gline, "\"n_words\": ");
            p = pd_find_key(p, "text");
            if (nw && p) {
                *text = pd_string(&p, len);
                *n_words = strtol(nw + 11, NULL, 10);
                *id_out = id;
                id = NULL;
                found = true;
            }
        }
        free(id);
        free(dline);
        free(gline);
        if (found)
            return true;
    }
    return false;
}

#endif
