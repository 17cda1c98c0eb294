/*
 * Language identification and fastText classification on documents: the
 * text preprocessing each curation recipe applies before calling fastText,
 * the built-in language-ID model, and a small predictor object that the
 * "langid" and "classify" stages (and `thresh langid`) share.
 *
 * Stages (registered by the pipeline, configured by th_config keys; see
 * docs/langid.md for every key):
 *   langid    sets doc->lang / doc->lang_score and the metadata "language",
 *             "language_score", "language_alternatives" (and
 *             "language_mix" in paragraph mode); drops by langid.languages
 *             (reason "language") and langid.threshold ("language_score")
 *   classify  scores classify.label of any fastText model into metadata;
 *             drops below classify.min_score (reason "classifier_score")
 *
 * Ownership: a struct th_langid owns its model (memory-mapped, immutable)
 * and may be shared by const pointer between threads; each thread uses its
 * own struct th_langid_worker.
 */
#ifndef THRESH_LANGID_H
#define THRESH_LANGID_H

#include "thresh/core.h"
#include "thresh/fasttext.h"

/* How text is prepared before prediction (all keep the bytes otherwise). */
enum th_langid_preset {
    TH_LANGID_PRESET_DATATROVE = 0, /* \n -> " " (datatrove today) */
    TH_LANGID_PRESET_FINEWEB = 1,   /* \n deleted (FineWeb v1 lid) */
    TH_LANGID_PRESET_DCLM = 2,      /* " ".join(text.strip().splitlines()) */
    TH_LANGID_PRESET_NEMO = 3,      /* text.strip() then \n -> " " */
    TH_LANGID_PRESET_RAW = 4,       /* as is: fastText reads the 1st line */
};

/* Parse a preset name ("datatrove", "fineweb", "dclm", "nemo", "raw"). */
int th_langid_preset_parse(const char *name, enum th_langid_preset *out);

/* Name of a preset. */
const char *th_langid_preset_name(enum th_langid_preset preset);

/*
 * Write the preprocessed form of text[0..len) to out (capacity >= len + 1
 * bytes; the result is never longer) and return its length.
 */
size_t th_langid_preprocess(enum th_langid_preset preset, const char *text,
                            size_t len, char *out);

/*
 * Path of the built-in language-ID model: $THRESH_LANGID_MODEL when set,
 * else the installed copy, else the copy in the source tree (models/);
 * NULL when none of them exists.
 */
const char *th_langid_default_model(void);

struct th_langid;
struct th_langid_worker;

/* One label and its probability. */
struct th_langid_result {
    const char *label;       /* label without "__label__", NUL-terminated */
    size_t label_len;        /* bytes in label */
    float prob;              /* fastText probability (p + 1e-5) */
};

/*
 * Open the fastText model at path (NULL: the built-in model). Errors as
 * th_fasttext_open(); TH_EINVAL when path is NULL and no built-in model is
 * found.
 */
int th_langid_new(struct th_langid **out, const char *path,
                  struct th_error *err);

/* Free; NULL is accepted. */
void th_langid_free(struct th_langid *lid);

/* The underlying model. */
const struct th_fasttext *th_langid_model(const struct th_langid *lid);

/* Per-thread worker (TH_ENOMEM). */
int th_langid_worker_new(struct th_langid_worker **out,
                         const struct th_langid *lid);
void th_langid_worker_free(struct th_langid_worker *worker);

/*
 * Preprocess text with preset and predict its k best labels (1 <= k <=
 * n_labels, or -1 for every label fastText returns) into out (k entries,
 * n_labels for -1); *n_out gets the count (0 when the text yields no
 * features). Labels point into the model. Errors: TH_ENOMEM, TH_EINVAL.
 */
int th_langid_predict(const struct th_langid *lid,
                      struct th_langid_worker *worker,
                      enum th_langid_preset preset, const char *text,
                      size_t len, int32_t k, struct th_langid_result *out,
                      size_t *n_out, struct th_error *err);

/*
 * Probability of label (with or without "__label__") for text, the way
 * dolma and datatrove read a classifier: predict every label and take that
 * one's probability, 0 when it is not among them. TH_EINVAL when the model
 * has no such label.
 */
int th_langid_label_prob(const struct th_langid *lid,
                         struct th_langid_worker *worker,
                         enum th_langid_preset preset, const char *text,
                         size_t len, const char *label, float *prob_out,
                         struct th_error *err);

#endif
