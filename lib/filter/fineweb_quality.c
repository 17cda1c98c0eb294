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
 * "\n"-separated lines computes the first two statistics and collects
 * the non-blank lines, whose duplicates (text_pieces.c: only lines of a
 * length another line shares are hashed) are only looked for when the
 * first two rules pass, unless every statistic is wanted;
 * the word tokenizer is only asked for the last rule, and only when a lower
 * bound of the word count (runs of non-blank characters) cannot settle it,
 * unless every statistic is wanted. In the chain
 * (th_ft_fineweb_quality_lines()) C4's newline offsets replace the search
 * for them, and the counting pass only runs when a rule needs the
 * characters or runs (C4's lower bound of the runs may settle the last
 * rule).
 */
#include <string.h>

#include "thresh/filter.h"
#include "filter_internal.h"
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
    /* ASCII blocks are as many characters as bytes: the count passes the
     * limit after a few of them in most lines */
    size_t i = 0, chars = 0;
    for (; i + TH_FT_BLOCK <= n; i += TH_FT_BLOCK) {
        bool ascii;
        th_ft_block_spaces(s + i, &ascii);
        if (!ascii)
            break;
        chars += TH_FT_BLOCK;
        if ((int64_t)chars > limit)
            return false;
    }
    return (int64_t)(chars + th_ft_count_chars(s + i, n - i)) <= limit;
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
    uint32_t prev_space; /* 1 when the last character seen is a space */
};

#if defined(__SSE2__)
/* The sum of the 16 bytes of v (each at most 255). */
static inline size_t byte_sum(__m128i v)
{
    __m128i s = _mm_sad_epu8(v, _mm_setzero_si128());
    return (size_t)_mm_cvtsi128_si32(s) +
           (size_t)_mm_cvtsi128_si32(_mm_srli_si128(s, 8));
}

/*
 * count_text() of the 16 bytes at p (x; a character starts at p[0]; p[16]
 * and p[17] readable) when they are plainly valid UTF-8
 * (th_ft_plain_utf8()) without a non-ASCII space: no C2 85 / C2 A0, no
 * E2 80 80-8A / A8 / A9 / AF, no E2 81 9F, no E1 or E3 (which lead the
 * other spaces). Then every non-ASCII byte belongs to a non-space
 * character, and runs start as in an ASCII block. Returns the bytes
 * counted (a character cut by the block end is left for the next block),
 * 0 when the block is not plain: the caller decodes it.
 */
static size_t plain_block(const char *p, __m128i x, struct text_counts *tc,
                          __m128i *carry)
{
    uint32_t cont;
    size_t cut = th_ft_plain_utf8(x, &cont);
    if (!cut || th_ft_block_may_hold_wide_space(p))
        return 0;
    uint32_t keep = (1u << cut) - 1;
    uint32_t sp = (uint32_t)_mm_movemask_epi8(th_ft_space_bytes(x)) & keep;
    uint32_t lf = (uint32_t)_mm_movemask_epi8(th_ft_bytes_eq(x, '\n')) & keep;
    uint32_t prev = (uint32_t)_mm_cvtsi128_si32(*carry) & 1;
    tc->newlines += th_ft_popcount(lf);
    tc->runs += th_ft_popcount(~sp & keep & (sp << 1 | prev));
    tc->chars += th_ft_popcount(~cont & keep);
    *carry = _mm_cvtsi32_si128(sp >> (cut - 1) & 1 ? 0xff : 0);
    return cut;
}

/*
 * count_text() over the blocks from s[i] that are ASCII or plain (see
 * plain_block()): stops at the first other block, or with fewer than 16
 * bytes left; returns the offset reached. ASCII blocks are counted per
 * byte lane (a lane counts at most 255 blocks before it is added up): a
 * newline is a byte equal to '\n', a run starts at a non-space byte after
 * a space.
 */
static size_t count_ascii_blocks(const char *s, size_t n, size_t i,
                                 struct text_counts *tc)
{
    const __m128i zero = _mm_setzero_si128();
    __m128i carry = _mm_cvtsi32_si128(tc->prev_space ? 0xff : 0);
    bool more = true;
    while (more && i + 16 <= n) {
        __m128i nl = zero, starts = zero;
        for (int k = 0; k < 255; k++) {
            if (i + 16 > n) {
                more = false;
                break;
            }
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)
                                        (s + i));
            if (_mm_movemask_epi8(x)) {
                size_t used = i + 18 <= n ? plain_block(s + i, x, tc, &carry)
                                          : 0;
                if (!used) {
                    more = false;
                    break;
                }
                i += used;
                continue;
            }
            __m128i sp = th_ft_space_bytes(x);
            __m128i before = _mm_or_si128(_mm_slli_si128(sp, 1), carry);
            starts = _mm_sub_epi8(starts, _mm_andnot_si128(sp, before));
            nl = _mm_sub_epi8(nl, _mm_cmpeq_epi8(x, _mm_set1_epi8('\n')));
            carry = _mm_srli_si128(sp, 15);
            tc->chars += 16;
            i += 16;
        }
        tc->newlines += byte_sum(nl);
        tc->runs += byte_sum(starts);
    }
    tc->prev_space = (uint32_t)_mm_cvtsi128_si32(carry) & 1;
    return i;
}
#else
/* count_text() over whole ASCII blocks from s[i] (see the SSE2 version). */
static size_t count_ascii_blocks(const char *s, size_t n, size_t i,
                                 struct text_counts *tc)
{
    for (; i + TH_FT_BLOCK <= n; i += TH_FT_BLOCK) {
        bool ascii;
        uint32_t sp = th_ft_block_spaces(s + i, &ascii);
        if (!ascii)
            break;
        tc->newlines += th_ft_popcount(th_ft_block_eq(s + i, '\n'));
        tc->chars += TH_FT_BLOCK;
        tc->runs += th_ft_popcount(~sp & ((1u << TH_FT_BLOCK) - 1) &
                                   (sp << 1 | tc->prev_space));
        tc->prev_space = sp >> (TH_FT_BLOCK - 1) & 1;
    }
    return i;
}
#endif

/*
 * Newlines, characters and maximal runs of non-whitespace characters
 * (Python str.isspace) of s[0..n), in one pass: ASCII blocks by
 * count_ascii_blocks(), a block with other bytes (and the tail) one
 * character at a time.
 */
static void count_text(const char *s, size_t n, struct text_counts *tc)
{
    const uint8_t *p = (const uint8_t *)s;
    *tc = (struct text_counts){0, 0, 0, 1};  /* the start acts as a space */
    size_t i = 0;
    while (i < n) {
        i = count_ascii_blocks(s, n, i, tc);
        size_t stop = n - i >= TH_FT_BLOCK ? i + TH_FT_BLOCK : n;
        while (i < stop) {
            uint32_t c = p[i];
            size_t adv = 1;
            if (c >= 0x80)
                c = th_ft_decode(p + i, n - i, &adv);
            bool space = th_ft_is_space(c);
            tc->newlines += c == '\n';
            tc->chars++;
            tc->runs += !space && tc->prev_space;
            tc->prev_space = space;
            i += adv;
        }
    }
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
    return th_ft_fineweb_quality_lines(opts, text, len, NULL, tok, arena,
                                       stats, reason_out, err);
}

int th_ft_fineweb_quality_lines(const struct th_fineweb_quality_opts *opts,
                                const char *text, size_t len,
                                const struct th_ft_c4_lines *c4,
                                const struct th_filter_tokenizer *tok,
                                struct th_arena *arena,
                                struct th_fineweb_quality_stats *stats,
                                const char **reason_out,
                                struct th_error *err)
{
    struct th_fineweb_quality_stats local;
    struct th_fineweb_quality_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof(*st));
    *reason_out = NULL;

    /* C4's newlines, else memchr; the counts pass only when needed */
    const size_t *nls = c4 ? c4->newlines : NULL;
    struct text_counts counts;
    bool counted = !nls || stats;
    if (counted)
        count_text(text, len, &counts);
    size_t n_nl = nls ? c4->n_newlines : counts.newlines;
    st->n_newlines = n_nl;

    /* non-blank lines, for their duplicates */
    struct th_ft_pieces pl;
    th_ft_pieces_init(&pl, text, arena);
    size_t n_lines = 0, punct = 0, short_lines = 0;
    size_t start = 0, k = 0;
    for (;;) {
        bool last;
        size_t end;
        if (nls) {
            last = k == n_nl;
            end = last ? len : nls[k++];
        } else {
            const char *nl = start <= len
                                 ? memchr(text + start, '\n', len - start)
                                 : NULL;
            last = !nl;
            end = nl ? (size_t)(nl - text) : len;
        }
        const char *s = text + start;
        size_t n = end - start;
        bool blank = is_blank(s, n);
        if (!(opts->skip_empty_lines && blank)) {
            n_lines++;
            punct += ends_with_stop(s, n, opts->terminal_punctuation);
            short_lines += is_short(s, n, opts->short_line_length);
            if (!blank && th_ft_pieces_add(&pl, start, end) < 0)
                goto out_nomem;
        }
        if (last)
            break;
        start = end + 1;
    }
    st->n_lines = n_lines;
    if (n_lines == 0) {
        *reason_out = "empty";
        return 0;
    }
    st->line_punct_ratio = (double)punct / (double)n_lines;
    st->short_line_ratio = (double)short_lines / (double)n_lines;

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
    if (reason && !stats) {
        *reason_out = reason;
        return 0;             /* the duplicates are not needed */
    }
    size_t dups = 0, dup_chars = 0;
    if (th_ft_pieces_dups(&pl, text, &dups, &dup_chars) < 0)
        goto out_nomem;
    /* characters are at most bytes: the ratio is at least dup_chars over
     * the bytes that are not '\n', so when that reaches the threshold the
     * rule fires whatever the characters */
    if (dup_chars && !counted &&
        !over((double)dup_chars / (double)(len - n_nl),
              opts->char_duplicates_ratio, opts->inclusive)) {
        count_text(text, len, &counts);  /* the ratio needs the chars */
        counted = true;
    }
    if (dup_chars && !counted) {
        reason = "char_dup_ratio";   /* (st is not returned) */
    } else {
        size_t chars_no_nl = counted ? counts.chars - n_nl : 0;
        st->char_dup_ratio =
            chars_no_nl ? (double)dup_chars / (double)chars_no_nl : 0.0;
        if (!reason && over(st->char_dup_ratio, opts->char_duplicates_ratio,
                            opts->inclusive))
            reason = "char_dup_ratio";
    }
    if (reason && !stats) {
        *reason_out = reason;
        return 0;
    }
    /*
     * Every maximal run of non-whitespace characters (Python's whitespace,
     * which is where NLTK splits) gives the word tokenizer at least one
     * token: NLTK only inserts splits and never deletes a character. So the
     * runs bound the word count from below, and when even that bound passes
     * the rule, the (costly) word list is not needed. C4's lower bound of
     * the runs may settle it without counting them.
     */
    if (!stats && !reason && n_nl) {
        if (nls && c4->min_runs &&
            (double)n_nl / (double)c4->min_runs <= opts->new_line_ratio)
            return 0;
        if (!counted)
            count_text(text, len, &counts);
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
out_nomem:
    return th_error_set(err, TH_ENOMEM, "fineweb quality: out of memory");
}
