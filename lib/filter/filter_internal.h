/*
 * Entry points shared between the files of the filter module (not public):
 * the two phases of the Gopher repetition filter, so the chain can skip
 * tokenization when the line rules already drop a document, and Gopher
 * quality split into its token statistics and its decision, so the chain
 * gathers the token statistics in the repetition filter's pass over the
 * tokens.
 */
#ifndef THRESH_FILTER_INTERNAL_H
#define THRESH_FILTER_INTERNAL_H

#include <stdint.h>

#include "thresh/filter.h"
#include "filter_text.h"

/* Gopher quality's statistics of a token list (any order of tokens). */
struct th_ft_token_stats {
    size_t n_non_symbol;      /* tokens with a char outside PUNCTUATION */
    size_t non_symbol_chars;  /* their characters */
    size_t n_alpha;           /* tokens with an alphabetic character */
    size_t stop_count;        /* stop-word occurrences */
    unsigned stop_seen;       /* bit i: stop word i present */
};

/*
 * Stop words by slot: a token's key is its bytes as a little-endian number
 * with its length in the top byte; (key * TH_FT_STOP_MAGIC) >> 61 sends
 * the eight stop words to eight distinct slots (gopher_quality.c).
 */
#define TH_FT_STOP_MAGIC 0xb85544caef0756b9ull
struct th_ft_stop_slot {
    uint64_t key;             /* the stop word's key */
    unsigned bit;             /* 1 << its index (the, be, to, of, and,
                                 that, have, with) */
};
extern const struct th_ft_stop_slot th_ft_stop_slots[8];

/* Bit 7 of every ASCII letter of x (a word of ASCII bytes). */
static inline uint64_t th_ft_letter_bytes(uint64_t x)
{
    return th_ft_in_range(x | TH_FT_BYTES(0x20), 'a', 'z');
}

/*
 * Bit 7 of every digit, tab, LF and space of x (a word of ASCII bytes):
 * with the letters, the ASCII bytes outside PUNCTUATION_SET.
 */
static inline uint64_t th_ft_other_bytes(uint64_t x)
{
    uint64_t digits = th_ft_in_range(x, '0', '9');
    /* tab, LF and space are rare in a token: one test for bytes 1..32 */
    if (__builtin_expect(!th_ft_in_range(x, 1, ' '), 1))
        return digits;
    return digits | th_ft_zero_bytes(x ^ TH_FT_BYTES(' ')) |
           th_ft_zero_bytes(x ^ TH_FT_BYTES('\t')) |
           th_ft_zero_bytes(x ^ TH_FT_BYTES('\n'));
}

/* Add a token from the bytes of it that are letters and other non-symbols. */
static inline void th_ft_quality_add_classes(struct th_ft_token_stats *ts,
                                             uint64_t letter, uint64_t other,
                                             size_t len)
{
    size_t ns = (letter | other) != 0;
    ts->n_non_symbol += ns;
    ts->non_symbol_chars += len & (0 - ns);
    ts->n_alpha += letter != 0;
}

/*
 * Add an ASCII token of 1 to 8 bytes, given as its little-endian word x
 * (zero bytes past the token; no byte >= 0x80): letters, digits, tab, LF
 * and space are not in PUNCTUATION_SET, every other ASCII byte is, and a
 * zero byte past the token is neither.
 */
static inline void th_ft_quality_add_ascii(struct th_ft_token_stats *ts,
                                           uint64_t x, size_t len)
{
    th_ft_quality_add_classes(ts, th_ft_letter_bytes(x), th_ft_other_bytes(x),
                              len);
    uint64_t key = x | (uint64_t)len << 56;
    const struct th_ft_stop_slot *slot =
        &th_ft_stop_slots[(key * TH_FT_STOP_MAGIC) >> 61];
    unsigned hit = slot->bit & (0u - (slot->key == key));
    ts->stop_count += hit != 0;
    ts->stop_seen |= hit;
}

/*
 * Add an ASCII token of 9 to 16 bytes, given as its first 8 bytes lo and
 * the rest hi (zero bytes after the token; no byte >= 0x80). No stop word
 * is that long.
 */
static inline void th_ft_quality_add_ascii16(struct th_ft_token_stats *ts,
                                             uint64_t lo, uint64_t hi,
                                             size_t len)
{
    th_ft_quality_add_classes(ts,
                              th_ft_letter_bytes(lo) | th_ft_letter_bytes(hi),
                              th_ft_other_bytes(lo) | th_ft_other_bytes(hi),
                              len);
}

/*
 * th_ft_quality_add_ascii(ts, xs[k], lens[k]) for k < n (an entry with
 * length 0 and word 0 adds nothing): with AVX2 when the CPU has it, four
 * tokens at a time, the same counts.
 */
void th_ft_quality_add_ascii_batch(struct th_ft_token_stats *ts,
                                   const uint64_t *xs, const uint64_t *lens,
                                   size_t n);

/*
 * th_ft_quality_add_token() for a word followed by pad readable bytes:
 * with 16 or more, a word of up to 16 bytes of plainly valid UTF-8 with an
 * ASCII letter, or whose first character is alphabetic, is counted from
 * one block (SSE2); any other takes the general path.
 */
void th_ft_quality_add_padded(struct th_ft_token_stats *ts, struct th_slice w,
                              bool terminal, size_t pad);

/* Add any token (the general path: UTF-8, long tokens). */
void th_ft_quality_add_token(struct th_ft_token_stats *ts, struct th_slice w,
                             bool terminal);

/*
 * Gopher quality's line statistics (lines of text.splitlines()) and symbol
 * counts, when the repetition filter's pass over the text gathered them.
 */
struct th_ft_line_stats {
    size_t n_lines;           /* lines */
    size_t bullets;           /* lines whose lstrip() starts with - or • */
    size_t end_ellipsis;      /* lines whose rstrip() ends with ... or … */
    bool done;                /* every line of the text was added */
    size_t hashes;            /* count("#") */
    size_t ellipses;          /* count("...") + count("…") */
    bool symbols_done;        /* hashes and ellipses are the text's */
    const size_t *bounds;     /* when done: start and end of each line
                                 (arena, th_ft_repetition_text()) */
};

/* The bullet and end-ellipsis checks of th_ft_quality_add_line(). */
void th_ft_quality_line_ends(struct th_ft_line_stats *ls, const char *text,
                             size_t start, size_t end);

/* Add the line text[start, end) to ls. */
static inline void th_ft_quality_add_line(struct th_ft_line_stats *ls,
                                          const char *text, size_t start,
                                          size_t end)
{
    ls->n_lines++;
    if (start == end)
        return;
    /* an ASCII non-space first byte other than '-' starts no bullet, such
     * a last byte other than '.' ends no ellipsis (most lines) */
    uint8_t a = (uint8_t)text[start], z = (uint8_t)text[end - 1];
    if (th_ft_ascii_nonspace(a) && a != '-' && th_ft_ascii_nonspace(z) &&
        z != '.')
        return;
    th_ft_quality_line_ends(ls, text, start, end);
}

/*
 * Gopher quality's decision from the token statistics of the n_words
 * tokens of text and, unless lines is NULL or not done, its line
 * statistics (th_gopher_quality() is this after a pass over the tokens).
 */
void th_ft_quality_decide(const struct th_gopher_quality_opts *opts,
                          const char *text, size_t len, size_t n_words,
                          const struct th_ft_token_stats *ts,
                          const struct th_ft_line_stats *lines,
                          struct th_gopher_quality_stats *stats,
                          const char **reason_out);

/*
 * The pieces (paragraphs or lines) of a text, for their duplicates
 * (text_pieces.c): bounds as offsets, and the pieces counted by length,
 * first and last byte in a count-min sketch of byte cells (saturating at
 * 2). It never undercounts, so "count 1" is exact: no other piece has
 * that length and those end bytes, so none is equal.
 */
#define TH_FT_PIECE_CELL_BITS 11

struct th_ft_pieces {
    const char *text;         /* the text the offsets are in */
    size_t *bounds;           /* start and end of each piece */
    size_t n;                 /* pieces */
    size_t cap;               /* pieces bounds can hold */
    uint8_t cells[1u << TH_FT_PIECE_CELL_BITS]; /* piece counts */
    struct th_arena *arena;   /* where bounds come from */
};

void th_ft_pieces_init(struct th_ft_pieces *pl, const char *text,
                       struct th_arena *arena);

/* Room for more pieces (TH_ENOMEM when the arena has none). */
int th_ft_pieces_grow(struct th_ft_pieces *pl);

/* The sketch cell of the piece text[start, end). */
static inline size_t th_ft_piece_cell(const char *text, size_t start,
                                      size_t end)
{
    uint32_t k = (uint32_t)(end - start);
    if (end > start)
        k += (uint32_t)(uint8_t)text[start] << 20 ^
             (uint32_t)(uint8_t)text[end - 1] << 12;
    return (k * 0x9e3779b1u) >> (32 - TH_FT_PIECE_CELL_BITS);
}

/* Add the piece [start, end) (TH_ENOMEM when the arena has no room). */
static inline int th_ft_pieces_add(struct th_ft_pieces *pl, size_t start,
                                   size_t end)
{
    if (pl->n == pl->cap) {
        int rc = th_ft_pieces_grow(pl);
        if (rc < 0)
            return rc;
    }
    pl->bounds[2 * pl->n] = start;
    pl->bounds[2 * pl->n + 1] = end;
    pl->n++;
    uint8_t *c = &pl->cells[th_ft_piece_cell(pl->text, start, end)];
    *c += *c < 2;
    return 0;
}

/*
 * datatrove's find_duplicates() over the pieces of text: adds to *dups the
 * pieces equal to an earlier one and to *dup_chars their characters
 * (Python len). TH_ENOMEM when the arena has no room for the set.
 */
int th_ft_pieces_dups(const struct th_ft_pieces *pl, const char *text,
                      size_t *dups, size_t *dup_chars);

/*
 * Paragraph and line rules; fills st (zeroed first) and *reason_out. With
 * quality_lines non-NULL, the lines it splits (when they are splitlines()
 * lines, the fineweb-v1 preset) also go to Gopher quality's line
 * statistics, and quality_lines->done tells whether they did.
 */
int th_ft_repetition_text(const struct th_gopher_repetition_opts *opts,
                          const char *text, size_t len, struct th_arena *arena,
                          bool all, struct th_gopher_repetition_stats *st,
                          const char **reason_out,
                          struct th_ft_line_stats *quality_lines,
                          struct th_error *err);

/*
 * N-gram rules after th_ft_repetition_text() on the same st; *reason_out is
 * only set when it is still NULL.
 */
int th_ft_repetition_words(const struct th_gopher_repetition_opts *opts,
                           const struct th_slice *words, size_t n_words,
                           size_t word_pad, struct th_arena *arena, bool all,
                           struct th_gopher_repetition_stats *st,
                           const char **reason_out, struct th_error *err);

/*
 * th_ft_repetition_words() that also adds every token to quality (Gopher
 * quality's statistics, terminal: its terminal_in_punctuation option) in
 * its own pass over the tokens.
 */
int th_ft_repetition_words_quality(
    const struct th_gopher_repetition_opts *opts,
    const struct th_slice *words, size_t n_words, size_t word_pad,
    struct th_arena *arena, struct th_gopher_repetition_stats *st,
    const char **reason_out, struct th_ft_token_stats *quality,
    bool terminal, struct th_error *err);

/* What C4 knows of the text it wrote, for FineWeb in the chain. */
struct th_ft_c4_lines {
    size_t *newlines;         /* offsets of its '\n's (arena), or NULL:
                                 nothing known */
    size_t n_newlines;        /* their number */
    size_t min_runs;          /* at most its maximal runs of non-space */
};

/*
 * th_c4_quality() given the splitlines() lines of text (bounds: start and
 * end of each of n_lines lines), or finding them itself when bounds is
 * NULL. With lines non-NULL and bounds given, a kept text's newlines and
 * a lower bound of its runs of non-space (the words counted on kept lines
 * without a removed citation) go to *lines.
 */
int th_ft_c4_quality_lines(const struct th_c4_quality_opts *opts,
                           const char *text, size_t len, const size_t *bounds,
                           size_t n_lines,
                           const struct th_filter_tokenizer *tok,
                           struct th_arena *arena, struct th_slice *text_out,
                           struct th_c4_quality_stats *stats,
                           const char **reason_out,
                           struct th_ft_c4_lines *lines,
                           struct th_error *err);

/*
 * th_fineweb_quality() on C4's output, given what C4 knows of it (c4 NULL
 * or c4->newlines NULL: nothing): its lines are not searched for, and
 * without stats the character and run counts are only made when a rule
 * needs them.
 */
int th_ft_fineweb_quality_lines(const struct th_fineweb_quality_opts *opts,
                                const char *text, size_t len,
                                const struct th_ft_c4_lines *c4,
                                const struct th_filter_tokenizer *tok,
                                struct th_arena *arena,
                                struct th_fineweb_quality_stats *stats,
                                const char **reason_out,
                                struct th_error *err);

#endif
