/*
 * Document model helpers: metadata members kept as an arena-allocated array
 * in insertion order (output order is therefore deterministic), replaced in
 * place when a key is set twice. Documents carry few members (tens), so a
 * linear scan beats a hash table here.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "thresh/doc.h"
#include "banned.h"

void th_doc_init(struct th_doc *doc)
{
    memset(doc, 0, sizeof(*doc));
    doc->kind = TH_DOC_TEXT;
    doc->verdict = TH_KEEP;
}

static struct th_meta *find_meta(const struct th_doc *doc, const char *key)
{
    for (size_t i = 0; i < doc->n_meta; i++)
        if (strcmp(doc->meta[i].key, key) == 0)
            return &doc->meta[i];
    return NULL;
}

const struct th_meta *th_doc_get_meta(const struct th_doc *doc,
                                      const char *key)
{
    return find_meta(doc, key);
}

int th_doc_set_meta_json(struct th_doc *doc, struct th_arena *arena,
                         const char *key, const char *json, size_t json_len)
{
    char *value = th_arena_memdup(arena, json, json_len);
    if (!value)
        return TH_ENOMEM;
    struct th_meta *m = find_meta(doc, key);
    if (m) {
        m->json.ptr = value;
        m->json.len = json_len;
        return 0;
    }
    if (doc->n_meta == doc->cap_meta) {
        size_t cap = doc->cap_meta ? doc->cap_meta * 2 : 16;
        struct th_meta *grown = th_arena_calloc(arena, cap, sizeof(*grown));
        if (!grown)
            return TH_ENOMEM;
        if (doc->n_meta)
            memcpy(grown, doc->meta, doc->n_meta * sizeof(*grown));
        doc->meta = grown;
        doc->cap_meta = cap;
    }
    char *k = th_arena_memdup(arena, key, strlen(key));
    if (!k)
        return TH_ENOMEM;
    doc->meta[doc->n_meta].key = k;
    doc->meta[doc->n_meta].json.ptr = value;
    doc->meta[doc->n_meta].json.len = json_len;
    doc->n_meta++;
    return 0;
}

int th_doc_set_meta_str(struct th_doc *doc, struct th_arena *arena,
                        const char *key, const char *value, size_t len)
{
    struct th_buf b;
    th_buf_init(&b, 0);
    int rc = th_buf_putc(&b, '"');
    if (rc == 0)
        rc = th_buf_append_json_str(&b, value, len);
    if (rc == 0)
        rc = th_buf_putc(&b, '"');
    if (rc == 0)
        rc = th_doc_set_meta_json(doc, arena, key, b.ptr, b.len);
    th_buf_release(&b);
    return rc;
}

int th_doc_set_meta_int(struct th_doc *doc, struct th_arena *arena,
                        const char *key, int64_t value)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)value);
    return th_doc_set_meta_json(doc, arena, key, tmp, (size_t)n);
}

int th_doc_set_meta_double(struct th_doc *doc, struct th_arena *arena,
                           const char *key, double value)
{
    char tmp[40];
    if (!isfinite(value))
        return th_doc_set_meta_json(doc, arena, key, "null", 4);
    int n = th_format_double(tmp, sizeof(tmp), value);
    if (n < 0)
        return n;
    return th_doc_set_meta_json(doc, arena, key, tmp, (size_t)n);
}

void th_doc_drop(struct th_doc *doc, const char *stage, const char *reason)
{
    doc->verdict = TH_DROP;
    doc->drop_stage = stage;
    doc->drop_reason = reason;
}
