/*
 * thresh nlp: NLTK 3.8-compatible English tokenization, in C.
 *
 * th_nlp_sent_tokenize() reproduces nltk.sent_tokenize(text, "english"):
 * the Punkt sentence boundary detector with NLTK's English parameters
 * (read at run time, see struct th_nlp_options), or a built-in set the
 * project derived itself (docs/nlp.md says how, and how close it is).
 * th_nlp_word_tokenize() reproduces nltk.word_tokenize(text, "english"):
 * Punkt sentences, then NLTK's improved Treebank word tokenizer
 * (NLTKWordTokenizer) on each sentence, tokens concatenated.
 *
 * Ownership: every output array and every token/sentence byte lives in the
 * caller's arena and is valid until that arena is reset or freed. Words may
 * differ from the source bytes (NLTK rewrites quotes: `"` becomes `` or
 * ''), so words are copies (with TH_NLP_WORD_PAD readable bytes after
 * each); sentences are slices into the caller's text.
 * Thread-safety: a struct th_nlp is immutable after th_nlp_new() and may be
 * shared by const pointer across threads; each thread uses its own arena.
 * Input: any bytes. Invalid UTF-8 is tolerated (treated as opaque non-space,
 * non-letter bytes); it never makes the functions fail.
 */
#ifndef THRESH_NLP_H
#define THRESH_NLP_H

#include <stddef.h>

#include "thresh/core.h"

/* A loaded tokenizer (language parameters); immutable after creation. */
struct th_nlp;

/*
 * Which Punkt parameters a tokenizer uses (th_nlp_new_opts).
 *
 * NLTK's own trained parameters come as JSON files, one a language
 * (english.json, german.json, ...: the Debian package
 * golang-gopkg-neurosnap-sentences.v1-dev, which scripts/setup.sh
 * installs), looked up in the directory THRESH_PUNKT_DIR names or else the
 * package's. With them the tokenizers give NLTK's results; English also
 * has a built-in set the project derived from NLTK's observed decisions
 * (docs/nlp.md: the same on the parity set, ~96.5% of unseen documents'
 * word counts), used when NLTK's cannot be found.
 */
struct th_nlp_options {
    const char *language;   /* NLTK's name ("english", "german", ...);
                               NULL: "english" */
    /*
     * NULL or "auto": NLTK's parameters for language when found, else
     * (English only) the built-in set; "nltk": NLTK's or an error;
     * "builtin": the built-in English set; anything else: the path of a
     * parameter file in that JSON form.
     */
    const char *punkt;
    /* When not NULL: the parameters themselves, that JSON in memory
     * (punkt is then ignored; the source reads "memory"). */
    const char *punkt_json;
    size_t punkt_json_len;
};

/*
 * Create a tokenizer. TH_EINVAL for an unknown language or punkt choice
 * (no parameter file for it), TH_EIO / TH_EFORMAT (file and byte offset
 * in the message) for a parameter file that cannot be read or parsed,
 * TH_ENOMEM on allocation failure. Free with th_nlp_free(). The word
 * tokenizer is NLTK's (English Treebank rules) for every language, as
 * nltk.word_tokenize(text, language) is.
 */
int th_nlp_new_opts(struct th_nlp **out, const struct th_nlp_options *opts,
                    struct th_error *err);

/* th_nlp_new_opts() with {language, "auto", NULL, 0}. */
int th_nlp_new(struct th_nlp **out, const char *language,
               struct th_error *err);

/* The Punkt parameters in use: a parameter file's path, "memory" or
 * "builtin". */
const char *th_nlp_punkt_source(const struct th_nlp *nlp);

/* Free a tokenizer; NULL is accepted. */
void th_nlp_free(struct th_nlp *nlp);

/* Readable arena bytes after the end of every word th_nlp_word_tokenize()
 * gives (so a consumer may load a short word as one 8-byte word). */
#define TH_NLP_WORD_PAD 16

/*
 * nltk.word_tokenize(text): *words_out is an arena array of *n_out slices
 * (each token's bytes also in the arena, followed by at least
 * TH_NLP_WORD_PAD readable bytes; no empty tokens). Empty or
 * whitespace-only text gives n_out 0 (words_out may then be NULL).
 * TH_ENOMEM / TH_ELIMIT when the arena cannot hold the result.
 */
int th_nlp_word_tokenize(const struct th_nlp *nlp, const char *text,
                         size_t len, struct th_arena *arena,
                         struct th_slice **words_out, size_t *n_out,
                         struct th_error *err);

/*
 * nltk.sent_tokenize(text): *sents_out is an arena array of *n_out slices
 * pointing into text (valid as long as text is), in order, non-empty. As
 * NLTK's, every sentence ends at a non-whitespace character and only the
 * first one can start with whitespace (the text's own leading space).
 * TH_ENOMEM / TH_ELIMIT when the arena cannot hold the result.
 */
int th_nlp_sent_tokenize(const struct th_nlp *nlp, const char *text,
                         size_t len, struct th_arena *arena,
                         struct th_slice **sents_out, size_t *n_out,
                         struct th_error *err);

/*
 * Number of sentences nltk.sent_tokenize(text) would return, without
 * building the list (C4's sentence count). Same errors as above; the arena
 * is used for scratch only.
 */
int th_nlp_count_sentences(const struct th_nlp *nlp, const char *text,
                           size_t len, struct th_arena *arena,
                           size_t *n_out, struct th_error *err);

#endif
