/*
 * punkt_params.c: NLTK's own Punkt parameters, read at run time.
 *
 * NLTK ships its trained Punkt models as pickles (nltk_data), which are
 * third-party data and not in any package this project may install. The
 * Debian package golang-gopkg-neurosnap-sentences.v1-dev carries the same
 * parameter sets converted to JSON, one file a language (data/english.json
 * and 16 others), and scripts/setup.sh installs it. For English the file
 * has NLTK's 156 abbreviation types, 37 collocations, 39 sentence starters
 * and 20,366 orthographic contexts, and NLTK 3.8's own Punkt code given
 * these parameters reproduces every word list, sentence list and word count
 * of ../shared/data/parity (docs/nlp.md, "NLTK's parameters").
 *
 * The format: one JSON object with the keys AbbrevTypes, Collocations,
 * SentStarters (objects whose keys are the set's members) and OrthoContext
 * (type -> the orthographic bits, 0..255); a collocation's key is its two
 * types joined by a comma. Other keys are ignored.
 *
 * What: nlp_punkt_load() parses such a file into a struct nlp_punkt_params
 * (arrays sorted as punkt.c expects), owned by a struct nlp_punkt_loaded;
 * nlp_punkt_find() finds the file of a language.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nlp_internal.h"
#include "thresh/json.h"
#include "../core/banned.h"

/* Larger parameter files are refused (English: 403 KB). */
#define PUNKT_FILE_MAX ((size_t)64 << 20)

struct nlp_punkt_loaded {
    struct nlp_punkt_params params;
    struct th_arena *arena;              /* the strings and arrays */
};

/* Growing arrays while parsing (heap), moved to the arena at the end. */
struct grow {
    void *v;
    size_t n, cap, size;
};

static int grow_push(struct grow *g, const void *item)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        void *v = realloc(g->v, cap * g->size);
        if (!v)
            return TH_ENOMEM;
        g->v = v;
        g->cap = cap;
    }
    memcpy((char *)g->v + g->n * g->size, item, g->size);
    g->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_colloc(const void *a, const void *b)
{
    const struct nlp_colloc *x = a, *y = b;
    int c = strcmp(x->first, y->first);
    return c ? c : strcmp(x->second, y->second);
}

static int cmp_ortho(const void *a, const void *b)
{
    const struct nlp_ortho_entry *x = a, *y = b;
    return strcmp(x->type, y->type);
}

/* The parse of one file: where it is, for messages. */
struct parse {
    const char *path, *base, *end;
    struct th_arena *arena;
    struct th_error *err;
};

static int bad(struct parse *ps, const char *at, const char *what)
{
    return th_error_set(ps->err, TH_EFORMAT,
                        "punkt parameters %s: byte %zu: %s", ps->path,
                        (size_t)(at - ps->base), what);
}

/* A JSON string at *p into the arena; no NUL byte inside. */
static int string_at(struct parse *ps, const char **p, char **out,
                     size_t *len)
{
    *p = th_json_skip_ws(*p, ps->end);
    if (*p >= ps->end || **p != '"')
        return bad(ps, *p, "a string expected");
    const char *next;
    bool bad_utf8 = false;
    int rc = th_json_decode_string(*p, ps->end, ps->arena, out, len, &next,
                                   &bad_utf8);
    if (rc == TH_ENOMEM)
        return th_error_set(ps->err, rc, "punkt parameters %s: out of "
                            "memory", ps->path);
    if (rc < 0)
        return bad(ps, *p, "a malformed string");
    if (bad_utf8 || memchr(*out, '\0', *len))
        return bad(ps, *p, "a string that is not valid UTF-8 text");
    *p = next;
    return 0;
}

/* A JSON integer at *p, 0 <= value <= max. */
static int int_at(struct parse *ps, const char **p, long max, long *out)
{
    *p = th_json_skip_ws(*p, ps->end);
    const char *q = *p;
    long v = 0;
    if (q < ps->end && *q == '-')
        return bad(ps, *p, "a negative value");
    while (q < ps->end && *q >= '0' && *q <= '9' && q - *p < 12)
        v = v * 10 + (*q++ - '0');
    if (q == *p || (q < ps->end && (*q == '.' || *q == 'e' || *q == 'E' ||
                                    (*q >= '0' && *q <= '9'))) || v > max)
        return bad(ps, *p, "an integer out of range expected");
    *p = q;
    *out = v;
    return 0;
}

/* Expect character c after optional whitespace. */
static int expect(struct parse *ps, const char **p, char c, const char *what)
{
    *p = th_json_skip_ws(*p, ps->end);
    if (*p >= ps->end || **p != c)
        return bad(ps, *p, what);
    (*p)++;
    return 0;
}

enum member { M_ABBREV, M_COLLOC, M_STARTER, M_ORTHO };

/* The members of one object: {"key": integer, ...} into g. */
static int members(struct parse *ps, const char **p, enum member kind,
                   struct grow *g)
{
    int rc = expect(ps, p, '{', "an object expected");
    if (rc < 0)
        return rc;
    *p = th_json_skip_ws(*p, ps->end);
    if (*p < ps->end && **p == '}') {
        (*p)++;
        return 0;
    }
    for (;;) {
        const char *at = th_json_skip_ws(*p, ps->end);
        char *key;
        size_t len;
        long v = 0;
        if ((rc = string_at(ps, p, &key, &len)) < 0 ||
            (rc = expect(ps, p, ':', "':' expected")) < 0 ||
            (rc = int_at(ps, p, kind == M_ORTHO ? 255 : 0x7fffffff, &v)) < 0)
            return rc;
        if (kind == M_COLLOC) {
            /* two types, split at the first comma */
            char *comma = memchr(key, ',', len);
            if (!comma)
                return bad(ps, at, "a collocation without a comma");
            *comma = '\0';
            struct nlp_colloc c = {key, comma + 1};
            rc = grow_push(g, &c);
        } else if (kind == M_ORTHO) {
            struct nlp_ortho_entry e = {key, (uint8_t)v};
            rc = grow_push(g, &e);
        } else {
            const char *s = key;
            rc = grow_push(g, &s);
        }
        if (rc < 0)
            return th_error_set(ps->err, rc, "punkt parameters %s: out of "
                                "memory", ps->path);
        *p = th_json_skip_ws(*p, ps->end);
        if (*p < ps->end && **p == ',') {
            (*p)++;
            continue;
        }
        return expect(ps, p, '}', "',' or '}' expected");
    }
}

/* A sorted copy of g in the arena. */
static const void *settle(struct th_arena *arena, struct grow *g,
                          int (*cmp)(const void *, const void *))
{
    if (!g->n)
        return NULL;
    qsort(g->v, g->n, g->size, cmp);
    return th_arena_memdup(arena, g->v, g->n * g->size);
}

static int parse_file(struct parse *ps, struct nlp_punkt_params *out)
{
    static const char *const names[] = {"AbbrevTypes", "Collocations",
                                        "SentStarters", "OrthoContext"};
    struct grow g[4] = {
        {NULL, 0, 0, sizeof(const char *)},
        {NULL, 0, 0, sizeof(struct nlp_colloc)},
        {NULL, 0, 0, sizeof(const char *)},
        {NULL, 0, 0, sizeof(struct nlp_ortho_entry)},
    };
    bool seen[4] = {false};
    const char *p = ps->base;
    int rc = expect(ps, &p, '{', "a JSON object expected");
    p = th_json_skip_ws(p, ps->end);
    bool empty = rc == 0 && p < ps->end && *p == '}';
    if (empty)
        p++;
    while (rc == 0 && !empty) {
        char *key;
        size_t len;
        if ((rc = string_at(ps, &p, &key, &len)) < 0 ||
            (rc = expect(ps, &p, ':', "':' expected")) < 0)
            break;
        int which = -1;
        for (int k = 0; k < 4; k++)
            if (!strcmp(key, names[k]))
                which = k;
        if (which >= 0 && seen[which]) {
            rc = bad(ps, p, "a key given twice");
            break;
        }
        if (which >= 0) {
            seen[which] = true;
            rc = members(ps, &p, (enum member)which, &g[which]);
        } else {
            const char *next;
            p = th_json_skip_ws(p, ps->end);
            rc = th_json_skip_value(p, ps->end, &next) < 0
                     ? bad(ps, p, "a malformed value")
                     : 0;
            p = next;
        }
        if (rc < 0)
            break;
        p = th_json_skip_ws(p, ps->end);
        if (p < ps->end && *p == ',') {
            p++;
            continue;
        }
        rc = expect(ps, &p, '}', "',' or '}' expected");
        break;
    }
    if (rc == 0) {
        p = th_json_skip_ws(p, ps->end);
        if (p != ps->end)
            rc = bad(ps, p, "bytes after the object");
    }
    for (int k = 0; rc == 0 && k < 4; k++)
        if (!seen[k])
            rc = th_error_set(ps->err, TH_EFORMAT, "punkt parameters %s: no "
                              "%s", ps->path, names[k]);
    if (rc == 0) {
        out->abbrevs = settle(ps->arena, &g[0], cmp_str);
        out->n_abbrevs = g[0].n;
        out->collocs = settle(ps->arena, &g[1], cmp_colloc);
        out->n_collocs = g[1].n;
        out->starters = settle(ps->arena, &g[2], cmp_str);
        out->n_starters = g[2].n;
        out->ortho = settle(ps->arena, &g[3], cmp_ortho);
        out->n_ortho = g[3].n;
        if ((g[0].n && !out->abbrevs) || (g[1].n && !out->collocs) ||
            (g[2].n && !out->starters) || (g[3].n && !out->ortho))
            rc = th_error_set(ps->err, TH_ENOMEM, "punkt parameters %s: out "
                              "of memory", ps->path);
    }
    for (int k = 0; k < 4; k++)
        free(g[k].v);
    return rc;
}

int nlp_punkt_parse(const char *path, const char *json, size_t len,
                    struct nlp_punkt_loaded **out, struct th_error *err)
{
    *out = NULL;
    struct nlp_punkt_loaded *l = calloc(1, sizeof(*l));
    if (!l || th_arena_new(&l->arena, 0, 0) < 0) {
        free(l);
        return th_error_set(err, TH_ENOMEM, "punkt parameters %s: out of "
                            "memory", path);
    }
    struct parse ps = {path, json, json + len, l->arena, err};
    int rc = parse_file(&ps, &l->params);
    if (rc < 0) {
        nlp_punkt_unload(l);
        return rc;
    }
    *out = l;
    return 0;
}

int nlp_punkt_load(const char *path, struct nlp_punkt_loaded **out,
                   struct th_error *err)
{
    *out = NULL;
    char *json = NULL;
    size_t len = 0;
    int rc = th_read_file(path, PUNKT_FILE_MAX, &json, &len);
    if (rc == TH_EIO)
        return th_error_set(err, rc, "punkt parameters %s: %s", path,
                            strerror(errno));
    if (rc == TH_ELIMIT)
        return th_error_set(err, rc, "punkt parameters %s: over %zu bytes",
                            path, PUNKT_FILE_MAX);
    if (rc < 0)
        return th_error_set(err, rc, "punkt parameters %s: out of memory",
                            path);
    rc = nlp_punkt_parse(path, json, len, out, err);
    free(json);
    return rc;
}

const struct nlp_punkt_params *
nlp_punkt_loaded_params(const struct nlp_punkt_loaded *l)
{
    return &l->params;
}

void nlp_punkt_unload(struct nlp_punkt_loaded *l)
{
    if (!l)
        return;
    th_arena_free(l->arena);
    free(l);
}

int nlp_punkt_find(const char *language, char *out, size_t cap)
{
    /* language names are plain lowercase words (no path in them) */
    if (!*language || strlen(language) > 32)
        return -1;
    for (const char *c = language; *c; c++)
        if (*c < 'a' || *c > 'z')
            return -1;
    const char *env = getenv("THRESH_PUNKT_DIR");
    const char *dirs = env && *env ? env : TH_NLP_PUNKT_DIRS;
    while (*dirs) {
        const char *end = strchr(dirs, ':');
        size_t n = end ? (size_t)(end - dirs) : strlen(dirs);
        if (n > 0 && n + strlen(language) + 7 <= cap) {
            memcpy(out, dirs, n);
            snprintf(out + n, cap - n, "/%s.json", language);
            if (access(out, R_OK) == 0)
                return 0;
        }
        dirs += n + (end ? 1 : 0);
    }
    return -1;
}
