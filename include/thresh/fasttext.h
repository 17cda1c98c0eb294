/*
 * fastText inference: load a supervised fastText model (.bin or quantized
 * .ftz, format version <= 12) and predict its labels for a line of text with
 * exactly the arithmetic of fastText 0.9.2, so that probabilities and label
 * order match its CLI and Python API bit for bit.
 *
 * Ownership: th_fasttext_open() memory-maps the file read-only; the model
 * keeps the mapping until th_fasttext_free(). th_fasttext_open_memory()
 * borrows the caller's bytes, which must outlive the model.
 *
 * Thread-safety: a struct th_fasttext is immutable after loading and may be
 * shared by const pointer between any number of threads; each thread owns
 * its struct th_fasttext_state (scratch buffers) and passes it to predict.
 *
 * Text semantics (fastText's Dictionary::getLine): tokens are separated by
 * the bytes space, \t, \v, \f, \r and \0 only; a \n, or a token equal to
 * "</s>", is the end-of-sentence token and ends the line. Text after it is
 * not read; th_fasttext_predict() reports how many bytes it consumed so that
 * a caller can predict a stream line after line like the CLI does.
 */
#ifndef THRESH_FASTTEXT_H
#define THRESH_FASTTEXT_H

#include "thresh/core.h"

struct th_fasttext;
struct th_fasttext_state;

/* fastText's loss_name values, as stored in the model header. */
enum th_fasttext_loss {
    TH_FASTTEXT_LOSS_HS = 1,       /* hierarchical softmax */
    TH_FASTTEXT_LOSS_NS = 2,       /* negative sampling */
    TH_FASTTEXT_LOSS_SOFTMAX = 3,  /* softmax */
    TH_FASTTEXT_LOSS_OVA = 4,      /* one-vs-all (multi-label) */
};

/* The header fields of a loaded model (fastText's Args plus sizes). */
struct th_fasttext_info {
    int32_t version;          /* file format version (<= 12) */
    int32_t dim;              /* vector dimension */
    int32_t word_ngrams;      /* max length of word n-grams */
    int32_t loss;             /* enum th_fasttext_loss */
    int32_t model;            /* 1 cbow, 2 skipgram, 3 supervised */
    int32_t bucket;           /* hash buckets for n-grams */
    int32_t minn;             /* min char n-gram length */
    int32_t maxn;             /* max char n-gram length (0 = none) */
    int32_t n_words;          /* words in the dictionary */
    int32_t n_labels;         /* labels in the dictionary */
    int64_t n_pruned;         /* pruned n-gram index size, -1 if unpruned */
    bool quant_input;         /* input matrix is product-quantized */
    bool quant_output;        /* output matrix is product-quantized */
};

/* One predicted label. */
struct th_fasttext_prediction {
    int32_t label;            /* label index, 0 .. n_labels - 1 */
    float prob;               /* exp(log(p + 1e-5)) as fastText reports it */
};

enum th_fasttext_flags {
    /* When the text ends without \n or "</s>", append the end-of-sentence
     * token anyway, as fastText's Python predict() does (it adds "\n"). */
    TH_FASTTEXT_APPEND_EOS = 1 << 0,
};

/*
 * Memory-map and validate the model at path. Returns 0, TH_EIO (cannot
 * open or map), TH_EFORMAT (not a fastText model, truncated, corrupt or
 * inconsistent: err says what and where) or TH_ENOMEM.
 */
int th_fasttext_open(struct th_fasttext **out, const char *path,
                     struct th_error *err);

/* Like th_fasttext_open() over len bytes at data (borrowed, not copied). */
int th_fasttext_open_memory(struct th_fasttext **out, const void *data,
                            size_t len, struct th_error *err);

/* Unmap and free the model; NULL is accepted. */
void th_fasttext_free(struct th_fasttext *model);

/* The model's header fields. */
void th_fasttext_get_info(const struct th_fasttext *model,
                          struct th_fasttext_info *out);

/*
 * Label i as stored in the model, with its prefix (e.g. "__label__en"), NUL
 * terminated and valid for the life of the model; NULL if i is out of range.
 */
const char *th_fasttext_label(const struct th_fasttext *model, int32_t i,
                              size_t *len_out);

/* Index of the label named name (with prefix), or -1. */
int32_t th_fasttext_label_index(const struct th_fasttext *model,
                                const char *name);

/* Per-thread scratch for predictions with model (TH_ENOMEM on failure). */
int th_fasttext_state_new(struct th_fasttext_state **out,
                          const struct th_fasttext *model);

/* Free a state; NULL is accepted. */
void th_fasttext_state_free(struct th_fasttext_state *state);

/*
 * Predict up to k labels (k = -1: all labels) whose probability is >=
 * threshold for the first line of text[0..len), best first, ties in
 * fastText's order. out must hold k entries (n_labels when k = -1); the
 * number written goes to *n_out (0 when the line yields no features, where
 * fastText prints an empty line). *consumed_out (may be NULL) receives the
 * bytes read, including the end-of-sentence \n. flags: enum
 * th_fasttext_flags. Errors: TH_EINVAL (k is 0 or < -1, model not
 * supervised), TH_ENOMEM (a line's feature list could not grow).
 */
int th_fasttext_predict(const struct th_fasttext *model,
                        struct th_fasttext_state *state, const char *text,
                        size_t len, int32_t k, float threshold,
                        unsigned flags, struct th_fasttext_prediction *out,
                        size_t *n_out, size_t *consumed_out,
                        struct th_error *err);

/*
 * Format prob as the fastText CLI prints it (C++ iostream default: "%g",
 * 6 significant digits) into out; returns the length written.
 */
int th_fasttext_format_prob(char *out, size_t cap, float prob);

#endif
