/*
 * thresh text module: repair and clean text that is already extracted
 * (Common Crawl WET records, C4- or OpenWebText-style JSONL, plain files).
 *
 * Two steps, each also a pipeline stage:
 *
 *   th_text_normalize()  "normalize": any bytes in, valid NFC UTF-8 out.
 *                        Invalid UTF-8 is repaired (stray bytes read as
 *                        cp1252), mojibake (UTF-8 read as cp1252/latin-1,
 *                        once or twice) is undone when unambiguous, HTML
 *                        entities are decoded, control and invisible format
 *                        characters are removed (\n and \t stay), spaces
 *                        are unified, runs collapsed, lines trimmed and at
 *                        most one blank line is kept in a row.
 *   th_text_clean()      "clean": drops page leftovers line by line
 *                        (navigation, promos, embed placeholders, cookie
 *                        notices, tag and share lines, copyright footers,
 *                        glued runs of headlines) and splits a promo glued
 *                        onto the start of a paragraph.
 *
 * Ownership: every function appends to a caller-owned struct th_buf and
 * keeps no pointer into its input. Thread-safety: the functions are
 * reentrant; the lazily built Unicode tables are initialised once
 * (pthread_once) and read-only afterwards.
 */
#ifndef THRESH_TEXT_H
#define THRESH_TEXT_H

#include "thresh/core.h"

/* Optional repairs of th_text_normalize(); the basics are always done. */
enum th_text_normalize_flags {
    TH_TEXT_NFC = 1 << 0,         /* Unicode canonical composition (NFC) */
    TH_TEXT_MOJIBAKE = 1 << 1,    /* undo UTF-8 decoded as cp1252/latin-1 */
    TH_TEXT_ENTITIES = 1 << 2,    /* decode leftover HTML entities */
    TH_TEXT_NORMALIZE_DEFAULT = TH_TEXT_NFC | TH_TEXT_MOJIBAKE |
                                TH_TEXT_ENTITIES,
};

/* What th_text_normalize() changed (counts add up across calls). */
struct th_text_normalize_stats {
    size_t n_invalid;     /* bytes that were not valid UTF-8 */
    size_t n_mojibake;    /* mojibake sequences repaired */
    size_t n_entities;    /* HTML entities decoded */
    size_t n_removed;     /* control, format and noncharacters removed */
};

/*
 * Normalize len bytes of data (any bytes) and append the result to out.
 * The appended text is valid UTF-8 in NFC (with TH_TEXT_NFC), has no
 * control characters but \n and \t, no leading or trailing blank lines and
 * no final newline. Normalizing the output again changes nothing.
 * flags: enum th_text_normalize_flags; stats may be NULL.
 * Returns 0, TH_ENOMEM or TH_ELIMIT (out's cap); on failure out->len is
 * restored.
 */
int th_text_normalize(const char *data, size_t len, unsigned flags,
                      struct th_buf *out,
                      struct th_text_normalize_stats *stats);

/* True when data is well-formed UTF-8 (no overlongs, no surrogates). */
bool th_text_is_valid_utf8(const char *data, size_t len);

/* Options of th_text_clean(); zero-initialised means the defaults. */
struct th_text_clean_options {
    bool keep_edges;      /* no article block: keep every line that is
                             prose or sits between prose (jusText-like) */
    bool explain;         /* output every line, prefixed with "+" (kept) or
                             "-", its own and final class (B bad, S short,
                             N near-good, G good), its block weight, a tab */
};

/* What th_text_clean() did. */
struct th_text_clean_stats {
    size_t n_lines;       /* lines read */
    size_t n_dropped;     /* lines dropped */
    size_t n_split;       /* promos cut off the start of a paragraph */
};

/*
 * Clean normalized text (the output of th_text_normalize(): valid UTF-8,
 * trimmed lines) and append the kept lines to out, one per line, with no
 * final newline. Lines are judged by general signals only: length and word
 * count, sentence punctuation, the share of lowercase words, glue points
 * (a capitalised word glued to the word before it), list and menu markers,
 * leftover markup, generic boilerplate vocabulary in short lines and
 * repetition in the document; the article is the run of lines with the
 * largest prose weight, without the teasers that follow it. Invalid UTF-8
 * in data is tolerated (it is not repaired). Cleaning the output again
 * changes nothing. opts may be NULL (defaults), stats may be NULL.
 * Returns 0, TH_ENOMEM or TH_ELIMIT; on failure out->len is restored.
 */
int th_text_clean(const char *data, size_t len,
                  const struct th_text_clean_options *opts,
                  struct th_buf *out, struct th_text_clean_stats *stats);

/*
 * Glued-word repair ("notworking" -> "not working"): a word model loaded
 * from Debian's SCOWL lists in dict_dir (NULL = /usr/share/dict:
 * american-english-small and american-english-huge, packages
 * wamerican-small and wamerican-huge). Immutable once built: share it
 * across threads. The rules and the measured precision are in
 * docs/text.md; the clean stage applies it with clean.split_glued=true.
 */
struct th_text_glue;

int th_text_glue_new(struct th_text_glue **out, const char *dict_dir,
                     struct th_error *err);
void th_text_glue_free(struct th_text_glue *glue);

/*
 * Append data to out with each confidently glued pair of words split by a
 * space; *n_split (may be NULL) gets the number of splits. Returns 0,
 * TH_ENOMEM or TH_ELIMIT (out restored).
 */
int th_text_split_glued(const struct th_text_glue *glue, const char *data,
                        size_t len, struct th_buf *out, size_t *n_split);

#endif
