/*
 * thresh html: charset decoding, an HTML5-style tokenizer and tree builder,
 * main-content extraction (plain text or Markdown) with page metadata, and
 * the extraction scorer (article-extraction-benchmark metric).
 *
 * Ownership: every slice returned points into the arena passed to the call
 * (or into the caller's input when nothing had to be rewritten) and is
 * valid until that arena is reset. Parser and extractor objects are
 * single-threaded; use one per worker. The scorer is pure and thread-safe.
 */
#ifndef THRESH_HTML_H
#define THRESH_HTML_H

#include "thresh/core.h"

/* ---------------------------------------------------------- decoding */

/*
 * Convert len bytes of an HTML body to UTF-8. The charset is chosen from,
 * in order: a byte-order mark, charset_hint (from HTTP; may be empty), a
 * <meta charset> or http-equiv Content-Type in the first 4 KiB, else UTF-8
 * when the bytes are valid UTF-8 and windows-1252 otherwise. Invalid bytes
 * become U+FFFD. *out is data itself when it already was valid UTF-8,
 * otherwise arena memory; *charset_out (may be NULL) receives a static
 * lowercase label of the charset used. Errors: TH_ENOMEM (arena).
 */
int th_html_decode(const uint8_t *data, size_t len,
                   struct th_slice charset_hint, struct th_arena *arena,
                   struct th_slice *out, const char **charset_out,
                   struct th_error *err);

/* ---------------------------------------------------------- parsing */

/*
 * The parser builds a tree following the HTML5 tokenizer and a simplified
 * tree-construction algorithm (implied end tags, scopes, raw text, void
 * elements; no foster parenting, adoption agency approximated). Nesting
 * deeper than the depth limit is flattened, so time and memory stay linear
 * in the input. The tree stays valid until the next parse or the arena
 * reset, whichever comes first.
 */
struct th_html_parser;

/* New parser; TH_ENOMEM. */
int th_html_parser_new(struct th_html_parser **out);

/* Free a parser; NULL is accepted. */
void th_html_parser_free(struct th_html_parser *parser);

/*
 * Parse len bytes of UTF-8 HTML. Decoded text and attribute values are
 * allocated from arena. Errors: TH_ENOMEM, TH_ELIMIT (node limit).
 */
int th_html_parse(struct th_html_parser *parser, const char *html,
                  size_t len, struct th_arena *arena, struct th_error *err);

/* Number of nodes of the last parse (document, elements and texts). */
size_t th_html_parser_node_count(const struct th_html_parser *parser);

/* ---------------------------------------------------------- extraction */

enum th_html_format {
    TH_HTML_FORMAT_TEXT = 0,      /* one block per line, no markup */
    TH_HTML_FORMAT_MARKDOWN = 1,  /* headings, lists, tables, quotes, code */
};

struct th_html_extract_options {
    enum th_html_format format;   /* output format */
    bool markdown_links;          /* Markdown: keep links as [text](href) */
    bool include_comments;        /* keep user comment sections */
    size_t max_input;             /* larger inputs are dropped; 0 = 64 MiB */
};

/* What th_html_extract found; every slice is empty when absent. */
struct th_html_result {
    struct th_slice text;         /* main content (UTF-8) */
    struct th_slice title;        /* page title */
    struct th_slice canonical;    /* canonical URL (resolved against url) */
    struct th_slice lang;         /* <html lang> or content-language */
    struct th_slice date;         /* publication date as written */
    struct th_slice author;       /* author as written */
    const char *charset;          /* static label of the input charset */
    const char *drop_reason;      /* non-NULL when nothing was extracted */
    size_t n_nodes;               /* nodes in the parsed tree */
};

struct th_html_extractor;

/* New extractor with options (NULL for defaults); TH_ENOMEM. */
int th_html_extractor_new(struct th_html_extractor **out,
                          const struct th_html_extract_options *opts);

/* Free an extractor; NULL is accepted. */
void th_html_extractor_free(struct th_html_extractor *extractor);

/*
 * Decode, parse and extract the main content of a page. charset_hint is the
 * HTTP charset (may be empty), url the page URL (may be empty). On success
 * returns 0 and fills *out; a page without main content is not an error:
 * out->drop_reason is then set ("not_html", "no_content", "too_large") and
 * out->text is empty. Errors: TH_ENOMEM, TH_ELIMIT (arena cap).
 */
int th_html_extract(struct th_html_extractor *extractor, const uint8_t *data,
                    size_t len, struct th_slice charset_hint,
                    struct th_slice url, struct th_arena *arena,
                    struct th_html_result *out, struct th_error *err);

/* ---------------------------------------------------------- scoring */

/*
 * Scorer of the article-extraction-benchmark: tokens are the maximal runs
 * of Unicode word characters (letters, numbers, '_', as Python's \w+),
 * units are overlapping 4-token shingles (a text of 1..3 tokens has one
 * short shingle), per page the multiset intersection gives tp, fp, fn,
 * normalised to sum to 1. P and R are averaged over the pages where they
 * are defined; F1 = 2PR/(P+R). Same figures as ../shared/tools/score.py.
 */
struct th_score_page {
    double tp;                    /* normalised true positives */
    double fp;                    /* normalised false positives */
    double fn;                    /* normalised false negatives */
    bool exact;                   /* token lists are identical */
    bool pred_empty;              /* the prediction has no token */
};

/* Score one page (gold and pred are UTF-8); TH_ENOMEM. */
int th_score_page(const char *gold, size_t gold_len, const char *pred,
                  size_t pred_len, struct th_score_page *out);

/* Per-page precision (or -1 when undefined), recall (or -1) and F1. */
void th_score_page_prf(const struct th_score_page *page, double *p_out,
                       double *r_out, double *f1_out);

struct th_score_summary {
    size_t n;                     /* pages */
    double f1;                    /* 2PR/(P+R) */
    double precision;             /* mean of defined page precisions */
    double recall;                /* mean of defined page recalls */
    double accuracy;              /* share of exact pages */
    double page_f1_mean;          /* mean page F1 */
    double page_f1_median;        /* median page F1 */
    size_t n_empty;               /* pages with an empty prediction */
};

/* Aggregate n pages; TH_ENOMEM (median needs a copy). */
int th_score_summarize(const struct th_score_page *pages, size_t n,
                       struct th_score_summary *out);

#endif
