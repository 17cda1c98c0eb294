/*
 * The "extract" pipeline stage: HTML document in, main-content text out.
 *
 * Each worker owns one th_html_extractor (parser arrays and output buffers
 * are reused from page to page). The stage reads its options from the
 * config: extract.format = text|markdown, extract.links (Markdown links),
 * extract.comments (keep comment sections), extract.max_bytes. Pages
 * without main content are dropped with the extractor's reason
 * ("no_content", "not_html", "too_large"); metadata found on the page is
 * added as title, canonical_url, html_lang, date_published and author
 * ("date" is left to the reader: it holds the crawl date).
 */
#include <stdlib.h>
#include <string.h>

#include "thresh/html.h"
#include "thresh/stage.h"
#include "../core/banned.h"

static int extract_create(void **state_out, void *shared,
                          const struct th_config *cfg, struct th_error *err)
{
    struct th_html_extract_options opts = {0};
    const char *format = NULL;
    int rc = th_config_get_str(cfg, "extract.format", "text", &format);
    if (rc < 0)
        return th_error_set(err, rc, "bad extract.format");
    if (strcmp(format, "markdown") == 0)
        opts.format = TH_HTML_FORMAT_MARKDOWN;
    else if (strcmp(format, "text") != 0)
        return th_error_set(err, TH_EINVAL,
                            "extract.format must be text or markdown");
    rc = th_config_get_bool(cfg, "extract.links", false,
                            &opts.markdown_links, err);
    if (rc == 0)
        rc = th_config_get_bool(cfg, "extract.comments", false,
                                &opts.include_comments, err);
    int64_t max = 0;
    if (rc == 0)
        rc = th_config_get_int(cfg, "extract.max_bytes", 0, &max, err);
    if (rc < 0)
        return rc;
    if (max < 0)
        return th_error_set(err, TH_EINVAL, "extract.max_bytes is negative");
    opts.max_input = (size_t)max;
    struct th_html_extractor *ex;
    if (th_html_extractor_new(&ex, &opts) < 0)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    *state_out = ex;
    return 0;
}

static int set_meta(struct th_doc *doc, struct th_arena *arena,
                    const char *key, struct th_slice value)
{
    if (!value.len)
        return 0;
    return th_doc_set_meta_str(doc, arena, key, value.ptr, value.len);
}

static int extract_process(void *state, struct th_doc *doc,
                           struct th_arena *arena, struct th_error *err)
{
    struct th_html_extractor *ex = state;
    struct th_html_result r;
    int rc = th_html_extract(ex, (const uint8_t *)doc->text.ptr,
                             doc->text.len, doc->source.charset, doc->url,
                             arena, &r, err);
    if (rc < 0)
        return rc;
    if (r.drop_reason) {
        th_doc_drop(doc, "extract", r.drop_reason);
        return 0;
    }
    doc->text = r.text;
    doc->kind = TH_DOC_TEXT;
    if ((rc = set_meta(doc, arena, "title", r.title)) < 0 ||
        (rc = set_meta(doc, arena, "canonical_url", r.canonical)) < 0 ||
        (rc = set_meta(doc, arena, "html_lang", r.lang)) < 0 ||
        (rc = set_meta(doc, arena, "date_published", r.date)) < 0 ||
        (rc = set_meta(doc, arena, "author", r.author)) < 0)
        return th_error_set(err, rc, "out of memory adding metadata");
    return 0;
}

static void extract_destroy(void *state)
{
    th_html_extractor_free(state);
}

const struct th_stage_type th_stage_extract = {
    .name = "extract",
    .summary = "HTML to main-content text (drops pages without content)",
    .flags = TH_STAGE_HTML_ONLY,
    .create = extract_create,
    .process = extract_process,
    .destroy = extract_destroy,
};
