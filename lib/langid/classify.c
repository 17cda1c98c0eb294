/*
 * The "classify" stage: score documents with any supervised fastText model
 * (DCLM's OH-2.5+ELI5 quality classifier, dolma's quality and toxicity
 * taggers, a user's own) and keep, drop or only annotate by that score.
 *
 * Approach: the text is preprocessed as the chosen recipe does (default
 * DCLM: " ".join(text.strip().splitlines())), every label is predicted and
 * the probability of classify.label is read, as dolma and datatrove do; a
 * label absent from the prediction (fastText drops p < 1e-5 in its
 * hierarchical-softmax walk) scores 0. The score goes to metadata
 * classify.key; with classify.min_score set, documents scoring below it
 * are dropped with reason "classifier_score" unless classify.annotate_only.
 *
 * Without classify.model the stage is inactive (documents pass through),
 * so it can sit in the default stage list.
 *
 * Rejected: DCLM's "1 - p(top)" shortcut for binary models (it only equals
 * p(label) up to fastText's +1e-5 offset, and breaks with more labels).
 */
#include <stdlib.h>
#include <string.h>

#include "thresh/config.h"
#include "thresh/doc.h"
#include "thresh/langid.h"
#include "thresh/stage.h"
#include "../core/banned.h"

/* Configuration and model, shared read-only by the workers. */
struct classify_shared {
    struct th_langid *lid;        /* the classifier */
    enum th_langid_preset preset; /* classify.preset */
    const char *label;            /* classify.label (config-owned) */
    const char *key;              /* classify.key (config-owned) */
    double min_score;             /* classify.min_score */
    bool has_min_score;           /* classify.min_score was given */
    bool annotate_only;           /* classify.annotate_only */
    const char *model;            /* classify.model (config-owned) */
};

/* One worker. */
struct classify_worker {
    const struct classify_shared *shared; /* configuration and model */
    struct th_langid_worker *worker;      /* scratch */
};

static void classify_shared_free(void *p)
{
    struct classify_shared *sh = p;
    if (!sh)
        return;
    th_langid_free(sh->lid);
    free(sh);
}

static int classify_shared_new(void **out, const struct th_config *cfg,
                               struct th_error *err)
{
    struct classify_shared *sh = calloc(1, sizeof(*sh));
    if (!sh)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    const char *model, *preset;
    int rc = th_config_get_str(cfg, "classify.model", NULL, &model);
    if (rc == 0 && !model) {
        /* no classifier configured: the stage passes documents through */
        *out = sh;
        return 0;
    }
    if (rc == 0)
        rc = th_config_get_str(cfg, "classify.label", NULL, &sh->label);
    if (rc == 0 && !sh->label)
        rc = th_error_set(err, TH_EINVAL,
                          "the classify stage needs classify.label "
                          "(e.g. __label__hq)");
    if (rc == 0)
        rc = th_config_get_str(cfg, "classify.key", "classifier_score",
                               &sh->key);
    if (rc == 0)
        rc = th_config_get_str(cfg, "classify.preset", "dclm", &preset);
    if (rc == 0 && th_langid_preset_parse(preset, &sh->preset) < 0)
        rc = th_error_set(err, TH_EINVAL,
                          "classify.preset '%s' is not one of datatrove, "
                          "fineweb, dclm, nemo, raw", preset);
    sh->has_min_score = th_config_get(cfg, "classify.min_score") != NULL;
    if (rc == 0)
        rc = th_config_get_double(cfg, "classify.min_score", 0.0,
                                  &sh->min_score, err);
    if (rc == 0)
        rc = th_config_get_bool(cfg, "classify.annotate_only", false,
                                &sh->annotate_only, err);
    sh->model = model;
    if (rc == 0)
        rc = th_langid_new(&sh->lid, model, err);
    if (rc == 0) {
        /* validate the label once, here, rather than per document */
        struct th_langid_worker *w;
        float p;
        rc = th_langid_worker_new(&w, sh->lid);
        if (rc < 0)
            rc = th_error_set(err, TH_ENOMEM, "out of memory");
        else
            rc = th_langid_label_prob(sh->lid, w, sh->preset, "", 0,
                                      sh->label, &p, err);
        th_langid_worker_free(w);
    }
    if (rc < 0) {
        classify_shared_free(sh);
        return rc;
    }
    *out = sh;
    return 0;
}

static int classify_create(void **out, void *shared,
                           const struct th_config *cfg, struct th_error *err)
{
    struct classify_worker *w = calloc(1, sizeof(*w));
    if (!w)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    w->shared = shared;
    if (w->shared->lid &&
        th_langid_worker_new(&w->worker, w->shared->lid) < 0) {
        free(w);
        return th_error_set(err, TH_ENOMEM, "out of memory");
    }
    *out = w;
    return 0;
}

static void classify_destroy(void *p)
{
    struct classify_worker *w = p;
    if (!w)
        return;
    th_langid_worker_free(w->worker);
    free(w);
}

static int classify_process(void *state, struct th_doc *doc,
                            struct th_arena *arena, struct th_error *err)
{
    struct classify_worker *w = state;
    const struct classify_shared *sh = w->shared;
    if (!sh->lid)
        return 0;
    float p;
    int rc = th_langid_label_prob(sh->lid, w->worker, sh->preset,
                                  doc->text.ptr, doc->text.len, sh->label,
                                  &p, err);
    if (rc < 0)
        return rc;
    if (th_doc_set_meta_double(doc, arena, sh->key, p) < 0)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    if (sh->has_min_score && !sh->annotate_only && p < sh->min_score)
        th_doc_drop(doc, "classify", "classifier_score");
    return 0;
}

/* stats.json "info": the classifier, its label and preset. */
static int classify_describe(const void *shared, struct th_buf *out)
{
    const struct classify_shared *sh = shared;
    if (!sh->lid)
        return th_buf_printf(out, "no classify.model: documents pass "
                             "through");
    return th_buf_printf(out, "model %s; label %s; preset %s", sh->model,
                         sh->label, th_langid_preset_name(sh->preset));
}

const struct th_stage_type th_stage_classify = {
    .name = "classify",
    .summary = "score with a fastText classifier (classify.model, "
               "classify.label), drop below classify.min_score",
    .flags = TH_STAGE_TEXT_ONLY,
    .shared_new = classify_shared_new,
    .shared_free = classify_shared_free,
    .describe = classify_describe,
    .create = classify_create,
    .process = classify_process,
    .destroy = classify_destroy,
    .enable_key = "classify.model",
};
