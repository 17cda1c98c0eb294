/*
 * FineWebQualityFilter (Penedo et al. 2024): the share of lines ending in
 * punctuation, the share of short lines, the characters in duplicate lines
 * and the newline-per-word ratio. fineweb-v1 uses the code published with
 * FineWeb (stop characters . ' " ! ?, every line of text.split("\n"),
 * inclusive comparisons); the datatrove preset today's rules (blank lines
 * removed first, Unicode sentence terminators, strict comparisons).
 *
 * Approach: one block pass (SSE2, else 8-byte SWAR, for ASCII blocks)
 * counts newlines, characters and non-space runs; one pass over the
 * "\n"-separated lines computes the first three statistics (duplicates
 * through an arena hash set confirmed with memcmp);
 * the word tokenizer is only asked for the last rule, and only when a lower
 * bound of the word count (runs of non-blank characters) cannot settle it,
 * unless every statistic is wanted.
 */
#include <string.h>

#include "thresh/filter.h"
#include "filter_text.h"
#include "../core/banned.h"

void th_fineweb_quality_opts_init(struct th_fineweb_quality_opts *opts,
                                  enum th_filter_preset preset)
{
    memset(opts, 0, sizeof(*opts));
    opts->line_punct_thr = 0.12;
    opts->line_punct_exclude_zero = false;
    opts->short_line_thr = 0.67;
    opts->short_line_length = 30;
    opts->char_duplicates_ratio = 0.01;
    opts->new_line_ratio = 0.3;
    opts->inclusive = preset == TH_PRESET_FINEWEB_V1;
    opts->skip_empty_lines = preset == TH_PRESET_DATATROVE;
    opts->terminal_punctuation = preset == TH_PRESET_DATATROVE;
}

struct line_entry {
    uint64_t key;       /* hash, 0 = empty slot */
    const char *ptr;    /* first occurrence */
    size_t len;         /* its bytes */
};

static bool ends_with_stop(const char *s, size_t n, bool terminal)
{
    if (!n)
        return false;
    if (!terminal) {
        char c = s[n - 1];
        return c == '.' || c == '\'' || c == '"' || c == '!' || c == '?';
    }
    size_t b;
    return th_ft_is_terminal(th_ft_decode_last(s, n, &b));
}

static bool is_short(const char *s, size_t n, int64_t limit)
{
    if (limit < 0)
        return false;
    if ((int64_t)n <= limit)
        return true;
    if ((uint64_t)n > (uint64_t)limit * 4)
        return false;
    return (int64_t)th_ft_count_chars(s, n) <= limit;
}

static bool is_blank(const char *s, size_t n)
{
    size_t a = 0, b = n;
    th_ft_strip(s, &a, &b);
    return a == b;
}

/* What one pass over the text counts (count_text()). */
struct text_counts {
    size_t newlines;    /* count("\n") */
    size_t chars;       /* characters (Python len) */
    size_t runs;        /* maximal runs of non-whitespace characters */
};

/*
 * Newlines, characters and maximal runs of non-whitespace characters
 * (Python str.isspace) of s[0..n), in one pass. ASCII blocks go
 * TH_FT_BLOCK bytes at a time (a run starts at a non-space byte after a
 * space or the text start); blocks with other bytes one character at a
 * time. The tail is padded with spaces, which start no run.
 */
static void count_text(const char *s, size_t n, struct text_counts *out)
{
    const uint8_t *p = (const uint8_t *)s;
    const uint32_t all = (1u << TH_FT_BLOCK) - 1;
    size_t i = 0, newlines = 0, chars = 0, runs = 0;
    uint32_t prev_space = 1;   /* the text start acts as a space */
    while (i < n) {
        size_t left = n - i, take = TH_FT_BLOCK;
        const char *block = s + i;
        char pad[TH_FT_BLOCK];
        if (left < TH_FT_BLOCK) {
            memset(pad, ' ', sizeof(pad));
            memcpy(pad, s + i, left);
            block = pad;
            take = left;
        }
        bool ascii;
        uint32_t sp = th_ft_block_spaces(block, &ascii);
        if (ascii) {
            newlines += (size_t)th_ft_popcount(th_ft_block_eq(block, '\n'));
            chars += take;
            runs += (size_t)th_ft_popcount(~sp & all &
                                               (sp << 1 | prev_space));
            prev_space = sp >> (TH_FT_BLOCK - 1) & 1;
            i += take;
            continue;
        }
        size_t stop = i + take;
        while (i < stop) {
            uint32_t c = p[i];
            size_t adv = 1;
            if (c >= 0x80)
                c = th_ft_decode(p + i, n - i, &adv);
            bool space = th_ft_is_space(c);
            newlines += c == '\n';
            chars++;
            runs += !space && prev_space;
            prev_space = space;
            i += adv;
        }
    }
    out->newlines = newlines;
    out->chars = chars;
    out->runs = runs;
}

static bool over(double v, double thr, bool inclusive)
{
    return inclusive ? v >= thr : v > thr;
}

int th_fineweb_quality(const struct th_fineweb_quality_opts *opts,
                       const char *text, size_t len,
                       const struct th_filter_tokenizer *tok,
                       struct th_arena *arena,
                       struct th_fineweb_quality_stats *stats,
                       const char **reason_out, struct th_error *err)
{
    struct th_fineweb_quality_stats local;
    struct th_fineweb_quality_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof(*st));
    *reason_out = NULL;

    /* the hash set: at most one entry per line */
    struct text_counts counts;
    count_text(text, len, &counts);
    size_t n_nl = counts.newlines;
    st->n_newlines = n_nl;
    size_t cap = 16;
    while (cap < (n_nl + 1) * 2)
        cap <<= 1;
    struct line_entry *set = th_arena_calloc(arena, cap, sizeof(*set));
    if (!set)
        return th_error_set(err, TH_ENOMEM, "fineweb quality: out of memory");

    size_t n_lines = 0, punct = 0, short_lines = 0, dup_chars = 0;
    size_t start = 0;
    for (;;) {
        const char *nl = start <= len
                             ? memchr(text + start, '\n', len - start)
                             : NULL;
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *s = text + start;
        size_t n = end - start;
        bool blank = is_blank(s, n);
        if (!(opts->skip_empty_lines && blank)) {
            n_lines++;
            punct += ends_with_stop(s, n, opts->terminal_punctuation);
            short_lines += is_short(s, n, opts->short_line_length);
            if (!blank) {
                uint64_t key = th_hash64(s, n, 0) | 1;
                size_t j = key & (cap - 1);
                bool dup = false;
                while (set[j].key) {
                    if (set[j].key == key && set[j].len == n &&
                        memcmp(set[j].ptr, s, n) == 0) {
                        dup = true;
                        break;
                    }
                    j = (j + 1) & (cap - 1);
                }
                if (dup)
                    dup_chars += th_ft_count_chars(s, n);
                else
                    set[j] = (struct line_entry){key, s, n};
            }
        }
        if (!nl)
            break;
        start = end + 1;
    }
    st->n_lines = n_lines;
    size_t chars_no_nl = counts.chars - n_nl;
    if (n_lines == 0) {
        *reason_out = "empty";
        return 0;
    }
    st->line_punct_ratio = (double)punct / (double)n_lines;
    st->short_line_ratio = (double)short_lines / (double)n_lines;
    st->char_dup_ratio =
        chars_no_nl ? (double)dup_chars / (double)chars_no_nl : 0.0;

    const char *reason = NULL;
    bool punct_fail = opts->inclusive
                          ? st->line_punct_ratio <= opts->line_punct_thr
                          : st->line_punct_ratio < opts->line_punct_thr;
    if (punct_fail &&
        !(st->line_punct_ratio == 0 && opts->line_punct_exclude_zero))
        reason = "line_punct_ratio";
    else if (over(st->short_line_ratio, opts->short_line_thr,
                  opts->inclusive))
        reason = "short_line_ratio";
    else if (over(st->char_dup_ratio, opts->char_duplicates_ratio,
                  opts->inclusive))
        reason = "char_dup_ratio";
    if (reason && !stats) {
        *reason_out = reason;
        return 0;
    }
    /*
     * Every maximal run of non-whitespace characters (Python's whitespace,
     * which is where NLTK splits) gives the word tokenizer at least one
     * token: NLTK only inserts splits and never deletes a character. So the
     * runs bound the word count from below, and when even that bound passes
     * the rule, the (costly) word list is not needed.
     */
    if (!stats && !reason && n_nl) {
        size_t runs = counts.runs;
        if (runs && (double)n_nl / (double)runs <= opts->new_line_ratio)
            return 0;
    }
    if (!stats && !reason && !n_nl)
        return 0;  /* 0 newlines: the ratio is 0 whatever the words */
    struct th_slice *words = NULL;
    size_t n_words = 0;
    int rc = tok->words(text, len, arena, &words, &n_words, err, tok->ctx);
    if (rc < 0)
        return rc;
    st->n_words = n_words;
    st->new_line_ratio = n_words ? (double)n_nl / (double)n_words : 0.0;
    if (!reason && n_words && st->new_line_ratio > opts->new_line_ratio)
        reason = "list_ratio";
    *reason_out = reason;
    return 0;
}
