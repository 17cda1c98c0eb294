/*
 * The "normalize" and "clean" pipeline stages: thin wrappers that run
 * th_text_normalize() / th_text_clean() on a document's text and point
 * doc->text at the result in the batch arena.
 *
 * Each worker keeps one heap th_buf that grows to the largest document it
 * has seen, so the per-document cost is one pass plus one memcpy into the
 * arena; the text is only replaced when it changed. "clean" only touches
 * documents whose source format is listed in clean.formats (default
 * "wet,jsonl,text": text someone else extracted); text that thresh's own
 * HTML extractor produced ("warc") is already cleaned there unless the
 * user adds it.
 *
 * Options (th_config):
 *   normalize.nfc, normalize.mojibake, normalize.entities   bool, true
 *   normalize.max_bytes   int, cap of the working buffer per document
 *                         (3x the input is reserved; 0 = none)
 *   clean.formats         comma list of source formats to clean
 *   clean.keep_edges      bool, false: keep lines around the prose
 *   clean.split_glued     bool, false: repair glued words (text_glue.c;
 *                         off by default, see docs/text.md for precision)
 *   clean.dict_dir        word lists for it (default /usr/share/dict)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/stage.h"
#include "thresh/text.h"
#include "../core/banned.h"

/* Per-worker state of "normalize". */
struct normalize_state {
    unsigned flags;         /* enum th_text_normalize_flags */
    struct th_buf buf;      /* scratch output */
};

/* Per-worker state of "clean". */
struct clean_state {
    struct th_text_clean_options opts;  /* cleaning options */
    char formats[128];      /* ",wet,jsonl,text," */
    struct th_buf buf;      /* scratch output */
    struct th_buf glue_buf; /* scratch output of the glued-word repair */
    const struct th_text_glue *glue; /* shared word model, NULL when off */
};

/* The glued-word model, loaded once per run when clean.split_glued. */
static int clean_shared_new(void **shared_out, const struct th_config *cfg,
                            struct th_error *err)
{
    bool on;
    const char *dir;
    int rc = th_config_get_bool(cfg, "clean.split_glued", false, &on, err);
    if (rc < 0)
        return rc;
    th_config_get_str(cfg, "clean.dict_dir", NULL, &dir);
    *shared_out = NULL;
    if (!on)
        return 0;
    struct th_text_glue *g;
    if ((rc = th_text_glue_new(&g, dir, err)) < 0)
        return rc;
    *shared_out = g;
    return 0;
}

static void clean_shared_free(void *shared)
{
    th_text_glue_free(shared);
}

static int read_flag(const struct th_config *cfg, const char *key,
                     unsigned bit, unsigned *flags, struct th_error *err)
{
    bool on;
    int rc = th_config_get_bool(cfg, key, true, &on, err);
    if (rc < 0)
        return rc;
    if (!on)
        *flags &= ~bit;
    return 0;
}

static int normalize_create(void **state_out, void *shared,
                            const struct th_config *cfg, struct th_error *err)
{
    struct normalize_state *st = calloc(1, sizeof(*st));
    if (!st)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    st->flags = TH_TEXT_NORMALIZE_DEFAULT;
    int64_t max = 0;
    int rc = read_flag(cfg, "normalize.nfc", TH_TEXT_NFC, &st->flags, err);
    if (rc == 0)
        rc = read_flag(cfg, "normalize.mojibake", TH_TEXT_MOJIBAKE,
                       &st->flags, err);
    if (rc == 0)
        rc = read_flag(cfg, "normalize.entities", TH_TEXT_ENTITIES,
                       &st->flags, err);
    if (rc == 0)
        rc = th_config_get_int(cfg, "normalize.max_bytes", 0, &max, err);
    if (rc == 0 && max < 0)
        rc = th_error_set(err, TH_EINVAL, "normalize.max_bytes is negative");
    if (rc < 0) {
        free(st);
        return rc;
    }
    th_buf_init(&st->buf, (size_t)max);
    *state_out = st;
    return 0;
}

/* Point doc->text at buf's bytes (copied into arena) when they differ. */
static int replace_text(struct th_doc *doc, const struct th_buf *buf,
                        struct th_arena *arena, struct th_error *err)
{
    if (buf->len == doc->text.len &&
        (buf->len == 0 || memcmp(buf->ptr, doc->text.ptr, buf->len) == 0))
        return 0;
    char *p = th_arena_memdup(arena, buf->len ? buf->ptr : "", buf->len);
    if (!p)
        return th_error_set(err, TH_ENOMEM, "out of arena memory");
    doc->text.ptr = p;
    doc->text.len = buf->len;
    return 0;
}

static int normalize_process(void *state, struct th_doc *doc,
                             struct th_arena *arena, struct th_error *err)
{
    struct normalize_state *st = state;
    if (doc->kind != TH_DOC_TEXT)
        return 0;
    th_buf_reset(&st->buf);
    int rc = th_text_normalize(doc->text.ptr, doc->text.len, st->flags,
                               &st->buf, NULL);
    if (rc == TH_ELIMIT) {
        th_doc_drop(doc, "normalize", "too_large");
        return 0;
    }
    if (rc < 0)
        return th_error_set(err, rc, "normalize: %s", th_status_str(rc));
    if (st->buf.len == 0) {
        th_doc_drop(doc, "normalize", "empty");
        return 0;
    }
    return replace_text(doc, &st->buf, arena, err);
}

static void normalize_destroy(void *state)
{
    struct normalize_state *st = state;
    if (!st)
        return;
    th_buf_release(&st->buf);
    free(st);
}

static int clean_create(void **state_out, void *shared,
                        const struct th_config *cfg, struct th_error *err)
{
    struct clean_state *st = calloc(1, sizeof(*st));
    if (!st)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    const char *formats = NULL;
    int rc = th_config_get_str(cfg, "clean.formats", "wet,jsonl,text",
                               &formats);
    if (rc == 0)
        rc = th_config_get_bool(cfg, "clean.keep_edges", false,
                                &st->opts.keep_edges, err);
    if (rc == 0 && strlen(formats) + 3 > sizeof(st->formats))
        rc = th_error_set(err, TH_EINVAL, "clean.formats is too long");
    if (rc < 0) {
        free(st);
        return rc;
    }
    snprintf(st->formats, sizeof(st->formats), ",%s,", formats);
    th_buf_init(&st->buf, 0);
    th_buf_init(&st->glue_buf, 0);
    st->glue = shared;
    *state_out = st;
    return 0;
}

/* True when the document's source format is in the ",a,b," list. */
static bool format_selected(const char *list, struct th_slice format)
{
    if (format.len == 0)
        format = TH_SLICE_LIT("text");
    for (const char *p = list; (p = strchr(p, ',')) != NULL; p++) {
        const char *q = strchr(p + 1, ',');
        if (!q)
            break;
        if ((size_t)(q - p - 1) == format.len &&
            memcmp(p + 1, format.ptr, format.len) == 0)
            return true;
    }
    return false;
}

static int clean_process(void *state, struct th_doc *doc,
                         struct th_arena *arena, struct th_error *err)
{
    struct clean_state *st = state;
    if (doc->kind != TH_DOC_TEXT ||
        !format_selected(st->formats, doc->source.format))
        return 0;
    th_buf_reset(&st->buf);
    int rc = th_text_clean(doc->text.ptr, doc->text.len, &st->opts,
                           &st->buf, NULL);
    if (rc < 0)
        return th_error_set(err, rc, "clean: %s", th_status_str(rc));
    if (st->buf.len == 0) {
        th_doc_drop(doc, "clean", "no_content");
        return 0;
    }
    if (st->glue) {
        th_buf_reset(&st->glue_buf);
        rc = th_text_split_glued(st->glue, st->buf.ptr, st->buf.len,
                                 &st->glue_buf, NULL);
        if (rc < 0)
            return th_error_set(err, rc, "clean: %s", th_status_str(rc));
        return replace_text(doc, &st->glue_buf, arena, err);
    }
    return replace_text(doc, &st->buf, arena, err);
}

static void clean_destroy(void *state)
{
    struct clean_state *st = state;
    if (!st)
        return;
    th_buf_release(&st->buf);
    th_buf_release(&st->glue_buf);
    free(st);
}

const struct th_stage_type th_stage_normalize = {
    .name = "normalize",
    .summary = "repair UTF-8, mojibake and entities; NFC; tidy whitespace",
    .flags = TH_STAGE_TEXT_ONLY,
    .create = normalize_create,
    .process = normalize_process,
    .destroy = normalize_destroy,
};

const struct th_stage_type th_stage_clean = {
    .name = "clean",
    .summary = "drop navigation, promos and other page leftovers",
    .flags = TH_STAGE_TEXT_ONLY,
    .shared_new = clean_shared_new,
    .shared_free = clean_shared_free,
    .create = clean_create,
    .process = clean_process,
    .destroy = clean_destroy,
};
