/*
 * thresh filter: the heuristic quality filters of Gopher, C4 and FineWeb
 * with document-for-document parity with datatrove, the C4 bad-words and
 * URL blocklist filters, PII redaction and RedPajama-style quality signals.
 *
 * Two layers:
 *  - one function per filter (th_gopher_quality(), th_gopher_repetition(),
 *    th_c4_quality(), th_fineweb_quality()), taking the text and, where the
 *    filter needs them, the word list or a tokenizer callback. They decide
 *    keep/drop and name the reason exactly as datatrove does; with a stats
 *    pointer they also compute every statistic (no early exit).
 *  - struct th_filters: the configured chain (presets "fineweb-v1" and
 *    "datatrove"), used by the "filters" stage and `thresh filter`.
 *
 * Reasons are static strings ("gopher_short_doc", "dup_line_frac", ...);
 * NULL means keep. Text lengths and ratios are in characters (code points),
 * as Python's len(). Lines, strip() and split() follow Python 3.11.
 *
 * Ownership: results that hold text (C4's rewritten text) are allocated
 * from the arena passed in. Thread-safety: option structs, struct th_filters
 * and struct th_pii are immutable after creation and may be shared; each
 * thread passes its own arena.
 */
#ifndef THRESH_FILTER_H
#define THRESH_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "thresh/config.h"
#include "thresh/core.h"
#include "thresh/doc.h"

/* The rule sets (docs/filter.md lists every difference). */
enum th_filter_preset {
    TH_PRESET_FINEWEB_V1 = 0, /* datatrove @05194d39, published with FineWeb */
    TH_PRESET_DATATROVE = 1,  /* datatrove's current rules */
};

/* Preset by name ("fineweb-v1", "datatrove"); TH_EINVAL when unknown. */
int th_filter_preset_parse(const char *name, enum th_filter_preset *out);
const char *th_filter_preset_name(enum th_filter_preset preset);

/*
 * Word and sentence source. words() returns the word list of text (an arena
 * array of slices); count_sentences() the number of sentences of text. The
 * "filters" stage plugs the NLTK-compatible tokenizer of lib/nlp in here;
 * tests plug reference lists in. Either may return < 0 (a th_status).
 */
typedef int (*th_filter_words_fn)(const char *text, size_t len,
                                  struct th_arena *arena,
                                  struct th_slice **words_out, size_t *n_out,
                                  struct th_error *err, void *ctx);
typedef int (*th_filter_sentences_fn)(const char *text, size_t len,
                                      struct th_arena *arena, size_t *n_out,
                                      struct th_error *err, void *ctx);

struct th_filter_tokenizer {
    th_filter_words_fn words;             /* word list of a text */
    th_filter_sentences_fn count_sentences; /* sentence count of a text */
    void *ctx;                            /* passed to both */
    size_t word_pad;                      /* readable bytes guaranteed after
                                             every word's end (0: none);
                                             lib/nlp's words: TH_NLP_WORD_PAD.
                                             With 8 or more, filters load
                                             short words whole */
};

/* ---- Gopher quality ---------------------------------------------------- */

struct th_gopher_quality_opts {
    int64_t min_doc_words;        /* fewer non-symbol words: drop; 0 off */
    int64_t max_doc_words;        /* > this many: drop; 0 off */
    double min_avg_word_length;   /* mean non-symbol word length below: drop */
    double max_avg_word_length;   /* ... above: drop; 0 off */
    double max_symbol_word_ratio; /* '#' and ellipsis per word above: drop */
    double max_bullet_lines_ratio;   /* lines starting with • or - above */
    double max_ellipsis_lines_ratio; /* lines ending with ... or … above */
    double max_non_alpha_words_ratio; /* alpha words per word BELOW: drop */
    int64_t min_stop_words;       /* fewer stop words: drop; 0 off */
    bool unique_stop_words;       /* count distinct stop words (datatrove) */
    bool terminal_in_punctuation; /* PUNCTUATION_SET includes terminal punct. */
};

/* Statistics of one document (the parity data's names). */
struct th_gopher_quality_stats {
    size_t n_words;               /* all tokens, punctuation included */
    size_t n_non_symbol_words;    /* tokens with a char outside PUNCTUATION */
    double avg_word_length;       /* mean chars over those; NaN when none */
    double hash_ratio;            /* count("#") / n_words */
    double ellipsis_ratio;        /* (count("...") + count("…")) / n_words */
    double bullet_lines_ratio;    /* lines whose lstrip starts with • or - */
    double end_ellipsis_lines_ratio; /* lines whose rstrip ends with ... / … */
    double alpha_words_ratio;     /* tokens with an alphabetic char / n_words */
    size_t stop_words;            /* stop-word occurrences (case-sensitive) */
    size_t unique_stop_words;     /* distinct stop words present */
    size_t n_lines;               /* len(text.splitlines()) */
};

void th_gopher_quality_opts_init(struct th_gopher_quality_opts *opts,
                                 enum th_filter_preset preset);

/*
 * GopherQualityFilter over text and its word list. *reason_out is NULL to
 * keep or the datatrove reason. With stats non-NULL every statistic is
 * computed (ratios are 0 when n_words is 0). Never fails.
 */
void th_gopher_quality(const struct th_gopher_quality_opts *opts,
                       const char *text, size_t len,
                       const struct th_slice *words, size_t n_words,
                       struct th_gopher_quality_stats *stats,
                       const char **reason_out);

/* ---- Gopher repetition ------------------------------------------------- */

#define TH_GOPHER_TOP_NGRAMS 3    /* n = 2, 3, 4 */
#define TH_GOPHER_DUP_NGRAMS 6    /* n = 5 .. 10 */

struct th_gopher_repetition_opts {
    double dup_line_frac;         /* duplicate lines / lines above: drop */
    double dup_para_frac;         /* duplicate paragraphs / paragraphs */
    double dup_line_char_frac;    /* duplicate line chars / len(text) */
    double dup_para_char_frac;    /* duplicate paragraph chars / len(text) */
    double top_ngram_frac[TH_GOPHER_TOP_NGRAMS]; /* n = 2..4; 0 off */
    double dup_ngram_frac[TH_GOPHER_DUP_NGRAMS]; /* n = 5..10; 0 off */
    bool lines_by_newline_runs;   /* split lines on \n+ (datatrove) instead
                                     of splitlines() (fineweb-v1) */
};

struct th_gopher_repetition_stats {
    size_t len_text;              /* characters of the text */
    size_t n_paragraphs;          /* \n{2,} split of text.strip() */
    size_t para_dups;             /* duplicate paragraphs */
    size_t para_dup_chars;        /* their characters */
    size_t n_lines;               /* lines as split by the preset */
    size_t line_dups;             /* duplicate lines */
    size_t line_dup_chars;        /* their characters */
    size_t n_words;               /* tokens */
    size_t top_ngram_chars[TH_GOPHER_TOP_NGRAMS]; /* len(top) * count */
    bool has_top_ngram[TH_GOPHER_TOP_NGRAMS];     /* false: no n-grams */
    size_t dup_ngram_chars[TH_GOPHER_DUP_NGRAMS]; /* greedy duplicate chars */
    double dup_para_frac;         /* para_dups / n_paragraphs */
    double dup_para_char_frac;    /* para_dup_chars / len_text */
    double dup_line_frac;         /* line_dups / n_lines */
    double dup_line_char_frac;    /* line_dup_chars / len_text */
    double top_ngram_frac[TH_GOPHER_TOP_NGRAMS]; /* top chars / len_text */
    double dup_ngram_frac[TH_GOPHER_DUP_NGRAMS]; /* dup chars / len_text */
};

void th_gopher_repetition_opts_init(struct th_gopher_repetition_opts *opts,
                                    enum th_filter_preset preset);

/*
 * GopherRepetitionFilter. Scratch memory (hash sets) comes from arena.
 * Empty text (where datatrove divides by zero) is kept with every fraction
 * 0. TH_ENOMEM / TH_ELIMIT when the arena is exhausted.
 */
int th_gopher_repetition(const struct th_gopher_repetition_opts *opts,
                         const char *text, size_t len,
                         const struct th_slice *words, size_t n_words,
                         struct th_arena *arena,
                         struct th_gopher_repetition_stats *stats,
                         const char **reason_out, struct th_error *err);

/* ---- C4 quality -------------------------------------------------------- */

struct th_c4_quality_opts {
    bool remove_citations;        /* strip [1], [edit], [citation needed] */
    bool filter_no_terminal_punct; /* drop lines not ending . ? ! " ' */
    int64_t min_num_sentences;    /* fewer sentences: drop doc; -1 off */
    int64_t min_words_per_line;   /* fewer words: drop line; -1 off */
    int64_t max_word_length;      /* a longer word: drop line; -1 off */
    bool filter_lorem_ipsum;      /* "lorem ipsum": drop doc */
    bool filter_javascript;       /* "javascript": drop line */
    bool filter_curly_bracket;    /* "{": drop doc */
    bool filter_policy;           /* cookie/terms phrases: drop line */
};

struct th_c4_quality_stats {
    size_t num_sentences;         /* sentences of kept lines */
    bool sentences_counted;       /* false when a doc-level rule fired first */
    size_t lines;                 /* lines seen */
    size_t kept_lines;            /* lines kept */
    size_t dropped_too_long_word; /* lines dropped: a word > max length */
    size_t dropped_too_few_words; /* ... fewer than min_words_per_line */
    size_t dropped_javascript;    /* ... mentioning javascript */
    size_t dropped_policy;        /* ... with a cookie/terms phrase */
    size_t dropped_no_terminal_punct; /* ... without end punctuation */
};

void th_c4_quality_opts_init(struct th_c4_quality_opts *opts,
                             enum th_filter_preset preset);

/*
 * C4QualityFilter. On keep, *text_out is the rewritten text (kept lines
 * joined by "\n", stripped) in arena. tok->count_sentences is called per
 * kept line; without stats, counting stops once min_num_sentences is
 * reached (the decision cannot change). Errors: the callback's, TH_ENOMEM.
 */
int th_c4_quality(const struct th_c4_quality_opts *opts, const char *text,
                  size_t len, const struct th_filter_tokenizer *tok,
                  struct th_arena *arena, struct th_slice *text_out,
                  struct th_c4_quality_stats *stats, const char **reason_out,
                  struct th_error *err);

/* ---- FineWeb quality --------------------------------------------------- */

struct th_fineweb_quality_opts {
    double line_punct_thr;        /* share of lines ending in punctuation */
    bool line_punct_exclude_zero; /* a share of 0 passes */
    double short_line_thr;        /* share of short lines */
    int64_t short_line_length;    /* a line of at most this many chars */
    double char_duplicates_ratio; /* duplicate-line chars / non-\n chars */
    double new_line_ratio;        /* newlines per word */
    bool inclusive;               /* fineweb-v1: <=, >= comparisons */
    bool skip_empty_lines;        /* datatrove: drop blank lines first */
    bool terminal_punctuation;    /* datatrove: Sentence_Terminal line ends */
};

struct th_fineweb_quality_stats {
    double line_punct_ratio;      /* lines ending in punctuation / lines */
    double short_line_ratio;      /* short lines / lines */
    double char_dup_ratio;        /* duplicate-line chars / non-\n chars */
    double new_line_ratio;        /* count("\n") / n_words */
    size_t n_lines;               /* lines considered */
    size_t n_newlines;            /* count("\n") */
    size_t n_words;               /* words (tokenizer) */
};

void th_fineweb_quality_opts_init(struct th_fineweb_quality_opts *opts,
                                  enum th_filter_preset preset);

/*
 * FineWebQualityFilter. Words are asked of tok->words only when the last
 * rule is reached (or always, with stats).
 */
int th_fineweb_quality(const struct th_fineweb_quality_opts *opts,
                       const char *text, size_t len,
                       const struct th_filter_tokenizer *tok,
                       struct th_arena *arena,
                       struct th_fineweb_quality_stats *stats,
                       const char **reason_out, struct th_error *err);

/* ---- C4 bad words ------------------------------------------------------ */

/*
 * LDNOOBW word lists, one file per language (the naughty-words npm package
 * layout: DIR/<lang>.json, a JSON array of strings, or plain DIR/<lang> with
 * one word a line). Loaded lazily per language, then immutable.
 */
struct th_badwords;

int th_badwords_new(struct th_badwords **out, const char *dir,
                    struct th_error *err);
void th_badwords_free(struct th_badwords *bw);

/*
 * Load every list now (the stage does this once before workers start, so
 * lookups never write). TH_EIO when dir holds no list at all.
 */
int th_badwords_load_all(struct th_badwords *bw, struct th_error *err);

/*
 * Does text contain a bad word of lang? ja, th and zh match substrings;
 * other languages need non-word characters (or the text edge) around the
 * word. *found_out is false for a language without a list. Searched over
 * the lowercased text; arena is scratch.
 */
int th_badwords_check(const struct th_badwords *bw, const char *lang,
                      const char *text, size_t len, struct th_arena *arena,
                      bool *found_out, struct th_error *err);

/* ---- URL filter -------------------------------------------------------- */

/*
 * UT1-format blocklists: each "domains" file holds one domain a line, each
 * "urls" file one URL a line ('#' comments ignored). Plus datatrove's
 * banned words, soft-banned words (two or more drop) and banned sub-words
 * (searched in the URL with non-alphanumerics removed, lowercased). Word
 * lists are files with one entry a line; NULL uses none.
 */
struct th_url_filter_opts {
    const char *const *domain_files;  /* UT1 domains files */
    size_t n_domain_files;            /* their count */
    const char *const *url_files;     /* UT1 urls files */
    size_t n_url_files;               /* their count */
    const char *banned_words_file;    /* whole URL words */
    const char *soft_banned_words_file; /* >= soft_banned_min drop */
    const char *banned_subwords_file; /* substrings of the normalized URL */
    int64_t soft_banned_min;          /* default 2 */
};

struct th_url_filter;

int th_url_filter_new(struct th_url_filter **out,
                      const struct th_url_filter_opts *opts,
                      struct th_error *err);
void th_url_filter_free(struct th_url_filter *uf);

/* The Public Suffix List uf read (Debian's publicsuffix file, or the path
 * in $THRESH_PSL_PATH), or NULL when none was found: registered domains
 * then fall back to the last two labels (the CLI warns). */
const char *th_url_filter_suffix_list(const struct th_url_filter *uf);

/* Kinds of URL word lists (th_url_filter_add_word). */
enum th_url_word_kind {
    TH_URL_BANNED_WORD = 0,       /* a URL word equal to it drops */
    TH_URL_SOFT_BANNED_WORD = 1,  /* soft_banned_min distinct ones drop */
    TH_URL_BANNED_SUBWORD = 2,    /* a substring of the normalized URL */
};

/* Add entries directly (for callers that hold lists in memory). */
int th_url_filter_add_domain(struct th_url_filter *uf, const char *domain,
                             size_t len, struct th_error *err);
int th_url_filter_add_url(struct th_url_filter *uf, const char *url,
                          size_t len, struct th_error *err);
int th_url_filter_add_word(struct th_url_filter *uf, int kind,
                           const char *word, size_t len,
                           struct th_error *err);

/*
 * Check url. *reason_out is NULL (keep) or "domain" (registered domain
 * listed), "subdomain" (full host listed), "url", "hard_blacklisted",
 * "soft_blacklisted", "blacklisted_subword" (the strings datatrove's
 * URLFilter uses). Lock-free; arena is scratch.
 */
int th_url_filter_check(const struct th_url_filter *uf, const char *url,
                        size_t len, struct th_arena *arena,
                        const char **reason_out, struct th_error *err);

/* ---- the chain --------------------------------------------------------- */

struct th_filters_opts {
    enum th_filter_preset preset;            /* rule set */
    bool annotate;                           /* signals only, never drop */
    bool gopher_repetition;                  /* run Gopher repetition */
    bool gopher_quality;                     /* run Gopher quality */
    bool c4_quality;                         /* run C4 quality */
    bool fineweb_quality;                    /* run FineWeb quality */
    bool c4_badwords;                        /* run C4 bad words (off) */
    bool url_filter;                         /* run the URL filter */
    struct th_gopher_repetition_opts repetition; /* its options */
    struct th_gopher_quality_opts quality;   /* its options */
    struct th_c4_quality_opts c4;            /* its options */
    struct th_fineweb_quality_opts fineweb;  /* its options */
    const char *badwords_dir;                /* LDNOOBW lists (c4_badwords) */
    const char *default_language;            /* for docs without lang: "en" */
    struct th_url_filter_opts url;           /* url_filter word lists */
    const char *url_domains;                 /* comma-separated UT1 domains
                                                files (filters.url.domains) */
    const char *url_urls;                    /* comma-separated UT1 urls
                                                files (filters.url.urls) */
};

/* Defaults of preset: the FineWeb chain, no bad words, no URL filter. */
void th_filters_opts_init(struct th_filters_opts *opts,
                          enum th_filter_preset preset);

/*
 * Fill opts from cfg keys "filters.*" (docs/filter.md lists them):
 * filters.preset first, then each threshold. Paths stay owned by cfg.
 */
int th_filters_opts_from_config(struct th_filters_opts *opts,
                                const struct th_config *cfg,
                                struct th_error *err);

struct th_filters;

int th_filters_new(struct th_filters **out, const struct th_filters_opts *opts,
                   struct th_error *err);
void th_filters_free(struct th_filters *filters);

/*
 * Run the chain on doc: URL filter, Gopher repetition, Gopher quality, C4
 * quality (rewrites doc->text), FineWeb quality, C4 bad words. A drop calls
 * th_doc_drop(doc, stage, reason). In annotate mode nothing is dropped and
 * nothing is rewritten: the quality signals (docs/filter.md) go into
 * metadata, with "filter_would_drop" naming the first failing rule.
 */
int th_filters_apply(const struct th_filters *filters, struct th_doc *doc,
                     const char *stage, const struct th_filter_tokenizer *tok,
                     struct th_arena *arena, struct th_error *err);

/* ---- PII ---------------------------------------------------------------- */

enum th_pii_kind {
    TH_PII_EMAIL = 0,             /* e-mail address */
    TH_PII_IPV4 = 1,              /* public IPv4 address */
    TH_PII_IPV6 = 2,              /* public IPv6 address */
    TH_PII_PHONE = 3,             /* phone number */
    TH_PII_N_KINDS = 4,           /* number of kinds */
};

enum th_pii_mode {
    TH_PII_PLACEHOLDER = 0,       /* |||EMAIL_ADDRESS|||, |||IP_ADDRESS|||... */
    TH_PII_FAKE = 1,              /* datatrove's fixed fake values in turn */
};

struct th_pii_opts {
    enum th_pii_mode mode;        /* replacement style */
    bool kinds[TH_PII_N_KINDS];   /* which kinds to redact */
};

/* One match: byte range in the text and its kind. */
struct th_pii_match {
    size_t start;                 /* first byte */
    size_t end;                   /* one past the last byte */
    enum th_pii_kind kind;        /* what it is */
};

void th_pii_opts_init(struct th_pii_opts *opts);

/* Static name of a kind ("email", "ipv4", "ipv6", "phone"). */
const char *th_pii_kind_name(enum th_pii_kind kind);

/*
 * Find PII in text, in order, non-overlapping: *matches_out is an arena
 * array of *n_out matches. IP addresses count only when public (not
 * private, loopback, link-local, reserved, documentation, multicast).
 */
int th_pii_find(const struct th_pii_opts *opts, const char *text, size_t len,
                struct th_arena *arena, struct th_pii_match **matches_out,
                size_t *n_out, struct th_error *err);

/*
 * Replace every match: *text_out is the new text in arena (the original
 * when nothing matched); counts[kind] gets the number replaced.
 */
int th_pii_redact(const struct th_pii_opts *opts, const char *text,
                  size_t len, struct th_arena *arena,
                  struct th_slice *text_out,
                  size_t counts[TH_PII_N_KINDS], struct th_error *err);

#endif
