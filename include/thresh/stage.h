/*
 * The stage interface: every processing step of the pipeline (extract,
 * normalize, clean, langid, classify, filters, pii, dedup) is one const
 * struct th_stage_type. The pipeline module is the only code that knows the
 * list of stages (th_stage_find); stages never include each other.
 *
 * Lifecycle, per run:
 *   shared_new(&shared, cfg, err)      once, before any worker starts
 *                                      (load models, word lists); optional
 *   create(&state, shared, cfg, err)   once per worker thread
 *   process(state, doc, arena, err)    per document, on that worker
 *   destroy(state)                     per worker
 *   shared_free(shared)                once, at the end; optional
 *
 * process() either leaves doc->verdict at TH_KEEP (possibly rewriting
 * doc->text or adding metadata, allocating from arena) or calls
 * th_doc_drop(doc, type->name, "reason"). Dropping is a verdict, not an
 * error: process() returns < 0 only on real failures (out of memory, a
 * limit); the pipeline then drops the document with reason "error_<code>"
 * and the run goes on. process() is only called on documents still kept.
 *
 * Cross-document work (deduplication) uses process_serial(): it is called
 * from one thread, in input order, after the parallel process() of every
 * stage has run on that document, and receives the shared object, so it may
 * keep seen-sets deterministically. process() may leave per-document data
 * for it in doc->priv (arena memory); the pipeline keeps doc->priv per stage.
 * Either callback may be NULL.
 */
#ifndef THRESH_STAGE_H
#define THRESH_STAGE_H

#include "thresh/config.h"
#include "thresh/doc.h"

enum th_stage_flags {
    TH_STAGE_HTML_ONLY = 1 << 1,  /* only called for TH_DOC_HTML documents */
    TH_STAGE_TEXT_ONLY = 1 << 2,  /* only called for TH_DOC_TEXT documents */
};

struct th_stage_type {
    const char *name;             /* "langid": stats key and drop_stage */
    const char *summary;          /* one line for --help */
    unsigned flags;               /* enum th_stage_flags */
    int (*shared_new)(void **shared_out, const struct th_config *cfg,
                      struct th_error *err);
    void (*shared_free)(void *shared);
    int (*create)(void **state_out, void *shared,
                  const struct th_config *cfg, struct th_error *err);
    int (*process)(void *state, struct th_doc *doc, struct th_arena *arena,
                   struct th_error *err);
    int (*process_serial)(void *shared, struct th_doc *doc,
                          struct th_arena *arena, struct th_error *err);
    void (*destroy)(void *state);
    /* Optional: what the shared object was built from (models, parameter
     * files, preset), one line appended to out; the pipeline records it
     * as the stage's "info" in stats.json. Returns 0 or TH_ENOMEM. */
    int (*describe)(const void *shared, struct th_buf *out);
    const char *enable_key;       /* when set, the default pipeline runs
                                     the stage only if this option is set
                                     (e.g. "classify.model"); --stages
                                     naming it always runs it */
};

/* The stage called name, or NULL. */
const struct th_stage_type *th_stage_find(const char *name);

/* All known stages in pipeline order; count in *n_out. */
const struct th_stage_type *const *th_stage_all(size_t *n_out);

/* The comma-separated default stage list, in order. */
const char *th_stage_default_list(void);

#endif
