/*
 * GopherQualityFilter (Rae et al. 2021, Table A1) as datatrove implements
 * it: word count, mean word length, '#' and ellipsis ratios, bullet and
 * end-ellipsis line shares, alphabetic-word share and stop words, in that
 * order, first failing rule wins.
 *
 * Approach: one pass over the token list computes every token statistic
 * (non-symbol count and length, alphabetic tokens, stop words), one pass
 * over the lines both line statistics, and two memmem scans the symbol
 * counts (in the chain the lines and symbols come from the repetition
 * filter's pass over the text); the rules are then evaluated in
 * datatrove's order. Everything is O(text); nothing is allocated.
 * Rejected: evaluating lazily rule by rule as datatrove does (it saves
 * little: the token pass dominates and is needed by the first rule).
 */
#include <math.h>
#include <string.h>

#include "thresh/filter.h"
#include "filter_internal.h"
#include "filter_text.h"
#include "../core/banned.h"

/* Stop words, by index: the, be, to, of, and, that, have, with. */

void th_gopher_quality_opts_init(struct th_gopher_quality_opts *opts,
                                 enum th_filter_preset preset)
{
    memset(opts, 0, sizeof(*opts));
    opts->min_doc_words = 50;
    opts->max_doc_words = 100000;
    opts->min_avg_word_length = 3;
    opts->max_avg_word_length = 10;
    opts->max_symbol_word_ratio = 0.1;
    opts->max_bullet_lines_ratio = 0.9;
    opts->max_ellipsis_lines_ratio = 0.3;
    opts->max_non_alpha_words_ratio = 0.8;
    opts->min_stop_words = 2;
    opts->unique_stop_words = preset == TH_PRESET_DATATROVE;
    opts->terminal_in_punctuation = preset == TH_PRESET_DATATROVE;
}

/*
 * Index of the stop word equal to w, or -1: the 2- to 4-byte words are
 * compared as little-endian integers.
 */
static int stop_word_index(struct th_slice w)
{
    const uint8_t *p = (const uint8_t *)w.ptr;
    if (w.len < 2 || w.len > 4 || p[0] < 'a' || p[0] > 'w')
        return -1;
    uint32_t v = p[0] | (uint32_t)p[1] << 8;
    switch (w.len) {
    case 2:
        return v == ('b' | 'e' << 8) ? 1 : v == ('t' | 'o' << 8) ? 2
               : v == ('o' | 'f' << 8) ? 3 : -1;
    case 3:
        v |= (uint32_t)p[2] << 16;
        return v == ('t' | 'h' << 8 | 'e' << 16) ? 0
               : v == ('a' | 'n' << 8 | 'd' << 16) ? 4 : -1;
    default:
        v |= (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        return v == ('t' | 'h' << 8 | 'a' << 16 | (uint32_t)'t' << 24) ? 5
               : v == ('h' | 'a' << 8 | 'v' << 16 | (uint32_t)'e' << 24) ? 6
               : v == ('w' | 'i' << 8 | 't' << 16 | (uint32_t)'h' << 24) ? 7
               : -1;
    }
}

/*
 * Stop words as keys (filter_internal.h): the bytes as a little-endian
 * number, the length in the top byte (the words hold no zero byte, so
 * value and length agree or neither does), in the slots TH_FT_STOP_MAGIC
 * sends them to: one multiplication and one comparison per token.
 */
#define LE2(a, b) ((uint64_t)(a) | (uint64_t)(b) << 8)
#define LE3(a, b, c) (LE2(a, b) | (uint64_t)(c) << 16)
#define LE4(a, b, c, d) (LE3(a, b, c) | (uint64_t)(d) << 24)
#define STOP_KEY(v, len) ((v) | (uint64_t)(len) << 56)

const struct th_ft_stop_slot th_ft_stop_slots[8] = {
    {STOP_KEY(LE4('t', 'h', 'a', 't'), 4), 1u << 5},
    {STOP_KEY(LE4('w', 'i', 't', 'h'), 4), 1u << 7},
    {STOP_KEY(LE2('o', 'f'), 2), 1u << 3},
    {STOP_KEY(LE3('t', 'h', 'e'), 3), 1u << 0},
    {STOP_KEY(LE3('a', 'n', 'd'), 3), 1u << 4},
    {STOP_KEY(LE2('b', 'e'), 2), 1u << 1},
    {STOP_KEY(LE4('h', 'a', 'v', 'e'), 4), 1u << 6},
    {STOP_KEY(LE2('t', 'o'), 2), 1u << 2},
};

/*
 * Byte classes: bit 0 an ASCII character of PUNCTUATION_SET, bit 1 an ASCII
 * letter, bit 2 a byte >= 0x80 (the token takes the general path).
 */
static const uint8_t byte_class[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1,
    1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1,
    1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

/* Scan one token: characters, non-punctuation and alphabetic presence. */
static void scan_token(struct th_slice w, bool terminal, size_t *chars,
                       bool *non_symbol, bool *alpha)
{
    const uint8_t *p = (const uint8_t *)w.ptr;
    /* ASCII: AND of the classes keeps bit 0 when every byte is punctuation,
     * OR collects letters and non-ASCII bytes */
    unsigned all = 1, any = 0;
    for (size_t i = 0; i < w.len; i++) {
        unsigned k = byte_class[p[i]];
        all &= k;
        any |= k;
    }
    if (!(any & 4)) {
        *chars = w.len;
        *non_symbol = !(all & 1);
        *alpha = (any & 2) != 0;
        return;
    }
    size_t i = 0, n = 0;
    bool ns = false, al = false;
    while (i < w.len) {
        if (p[i] < 0x80) {
            uint8_t k = byte_class[p[i]];
            ns |= !(k & 1);
            al |= (k & 2) != 0;
            i++;
            n++;
            continue;
        }
        size_t adv;
        uint32_t c = th_ft_decode(p + i, w.len - i, &adv);
        if (!ns && !th_ft_is_punctuation(c) &&
            !(terminal && th_ft_is_terminal(c)))
            ns = true;
        if (!al && th_ft_is_alpha(c))
            al = true;
        i += adv;
        n++;
    }
    *chars = n;
    *non_symbol = ns;
    *alpha = al;
}

/*
 * count("...") + count("…"): a run of k dots holds k / 3 non-overlapping
 * "...", so dots are counted by runs instead of matching at every dot.
 */
static size_t count_ellipses(const char *s, size_t n)
{
    size_t count = 0;
    const char *p = s, *end = s + n;
    while ((p = memchr(p, '.', (size_t)(end - p))) != NULL) {
        const char *q = p;
        while (q < end && *q == '.')
            q++;
        count += (size_t)(q - p) / 3;
        p = q;
    }
    for (p = s; (p = memchr(p, 0xe2, (size_t)(end - p))) != NULL; p++)
        if (end - p >= 3 && (uint8_t)p[1] == 0x80 && (uint8_t)p[2] == 0xa6)
            count++;
    return count;
}

/* Does the line's lstrip() start with "•" or "-"? */
static bool starts_with_bullet(const char *s, size_t start, size_t end)
{
    th_ft_lstrip(s, &start, end);
    if (start >= end)
        return false;
    if (s[start] == '-')
        return true;
    return end - start >= 3 && memcmp(s + start, "\xe2\x80\xa2", 3) == 0;
}

/* Does the line's rstrip() end with "..." or "…"? */
static bool ends_with_ellipsis(const char *s, size_t start, size_t end)
{
    th_ft_rstrip(s, start, &end);
    return th_ft_ends_with(s + start, end - start, "...", 3) ||
           th_ft_ends_with(s + start, end - start, "\xe2\x80\xa6", 3);
}

void th_ft_quality_add_token(struct th_ft_token_stats *ts, struct th_slice w,
                             bool terminal)
{
    if (w.len - 1 < 8) {
        uint64_t x = th_ft_load_short((const uint8_t *)w.ptr, w.len) &
                     th_ft_low_bytes(w.len);
        if (!(x & TH_FT_BYTES(0x80))) {
            th_ft_quality_add_ascii(ts, x, w.len);
            return;
        }
    }
    size_t chars;
    bool ns, alpha;
    scan_token(w, terminal, &chars, &ns, &alpha);
    if (ns) {
        ts->n_non_symbol++;
        ts->non_symbol_chars += chars;
    }
    ts->n_alpha += alpha;
    int s = stop_word_index(w);
    if (s >= 0) {
        ts->stop_count++;
        ts->stop_seen |= 1u << s;
    }
}

/* The batch in plain C: th_ft_quality_add_ascii per token. */
static void add_batch_generic(struct th_ft_token_stats *ts, const uint64_t *xs,
                              const uint64_t *lens, size_t n)
{
    for (size_t k = 0; k < n; k++)
        th_ft_quality_add_ascii(ts, xs[k], (size_t)lens[k]);
}

#ifdef TH_FT_X86_WIDE
/*
 * The batch four tokens at a time (AVX2): byte classes by per-byte
 * compares, counts in 64-bit lanes, and the stop words as eight key
 * compares (a token's key equals at most one).
 */
__attribute__((target("avx2")))
static void add_batch_avx2(struct th_ft_token_stats *ts, const uint64_t *xs,
                           const uint64_t *lens, size_t n)
{
    const __m256i zero = _mm256_setzero_si256();
    const __m256i b20 = _mm256_set1_epi8(0x20), ba = _mm256_set1_epi8('a');
    const __m256i b0 = _mm256_set1_epi8('0');
    const __m256i b25 = _mm256_set1_epi8(25), b9 = _mm256_set1_epi8(9);
    const __m256i sp = _mm256_set1_epi8(' '), tab = _mm256_set1_epi8('\t');
    const __m256i lf = _mm256_set1_epi8('\n');
    __m256i stop_key[8], seen[8];
    for (int i = 0; i < 8; i++) {
        stop_key[i] = _mm256_set1_epi64x((long long)th_ft_stop_slots[i].key);
        seen[i] = zero;
    }
    __m256i n_ns = zero, ns_chars = zero, n_alpha = zero, n_stop = zero;
    size_t k = 0;
    for (; k + 4 <= n; k += 4) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(xs + k));
        __m256i len = _mm256_loadu_si256((const __m256i *)(lens + k));
        /* letters: (x | 0x20) - 'a' <= 25; digits: x - '0' <= 9 (zero
         * bytes past a token are neither) */
        __m256i t = _mm256_sub_epi8(_mm256_or_si256(x, b20), ba);
        __m256i letter = _mm256_cmpeq_epi8(_mm256_min_epu8(t, b25), t);
        __m256i d = _mm256_sub_epi8(x, b0);
        __m256i other = _mm256_or_si256(
            _mm256_cmpeq_epi8(_mm256_min_epu8(d, b9), d),
            _mm256_or_si256(_mm256_cmpeq_epi8(x, sp),
                            _mm256_or_si256(_mm256_cmpeq_epi8(x, tab),
                                            _mm256_cmpeq_epi8(x, lf))));
        /* lanes: all ones where the token has such a byte */
        __m256i is_alpha = _mm256_xor_si256(
            _mm256_cmpeq_epi64(letter, zero), _mm256_set1_epi64x(-1));
        __m256i is_ns = _mm256_xor_si256(
            _mm256_cmpeq_epi64(_mm256_or_si256(letter, other), zero),
            _mm256_set1_epi64x(-1));
        n_ns = _mm256_sub_epi64(n_ns, is_ns);
        ns_chars = _mm256_add_epi64(ns_chars, _mm256_and_si256(len, is_ns));
        n_alpha = _mm256_sub_epi64(n_alpha, is_alpha);
        __m256i key = _mm256_or_si256(x, _mm256_slli_epi64(len, 56));
        for (int i = 0; i < 8; i++) {
            __m256i m = _mm256_cmpeq_epi64(key, stop_key[i]);
            seen[i] = _mm256_or_si256(seen[i], m);
            n_stop = _mm256_sub_epi64(n_stop, m);
        }
    }
    uint64_t lane[4];
#define QUALITY_SUM(v, field)                                                 \
    do {                                                                      \
        _mm256_storeu_si256((__m256i *)lane, (v));                            \
        ts->field += (size_t)(lane[0] + lane[1] + lane[2] + lane[3]);         \
    } while (0)
    QUALITY_SUM(n_ns, n_non_symbol);
    QUALITY_SUM(ns_chars, non_symbol_chars);
    QUALITY_SUM(n_alpha, n_alpha);
    QUALITY_SUM(n_stop, stop_count);
#undef QUALITY_SUM
    for (int i = 0; i < 8; i++)
        if (!_mm256_testz_si256(seen[i], seen[i]))
            ts->stop_seen |= th_ft_stop_slots[i].bit;
    add_batch_generic(ts, xs + k, lens + k, n - k);
}
#endif

void th_ft_quality_add_ascii_batch(struct th_ft_token_stats *ts,
                                   const uint64_t *xs, const uint64_t *lens,
                                   size_t n)
{
#ifdef TH_FT_X86_WIDE
    if (__builtin_cpu_supports("avx2")) {
        add_batch_avx2(ts, xs, lens, n);
        return;
    }
#endif
    add_batch_generic(ts, xs, lens, n);
}

void th_ft_quality_add_padded(struct th_ft_token_stats *ts, struct th_slice w,
                              bool terminal, size_t pad)
{
#if defined(__SSE2__)
    if (pad >= 16 && w.len - 1 < 16) {
        /* the word's bytes, those past it zeroed */
        const __m128i idx = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                          11, 12, 13, 14, 15);
        __m128i x = _mm_and_si128(
            _mm_loadu_si128((const __m128i *)(const void *)w.ptr),
            _mm_cmplt_epi8(idx, _mm_set1_epi8((char)w.len)));
        /* an ASCII letter: (b | 0x20) - 'a' <= 25 holds for no other byte */
        __m128i t = _mm_sub_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)),
                                 _mm_set1_epi8('a'));
        __m128i letter = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(25)), t);
        uint32_t cont;
        /* plainly valid UTF-8 ending inside the word (a character cut by
         * the word's end fails the check): characters are the bytes that
         * are not continuation bytes, and a letter (an ASCII one, else a
         * first character that is alphabetic: no letter is in
         * PUNCTUATION_SET or Sentence_Terminal) makes the word non-symbol
         * and alphabetic; no stop word has a byte >= 0x80 */
        if (th_ft_plain_utf8(x, &cont) >= w.len) {
            bool alpha = _mm_movemask_epi8(letter) != 0;
            if (!alpha && (uint8_t)w.ptr[0] >= 0xc2) {
                size_t adv;
                alpha = th_ft_is_alpha(th_ft_decode(
                    (const uint8_t *)w.ptr, w.len, &adv));
            }
            if (alpha) {
                ts->n_non_symbol++;
                ts->non_symbol_chars +=
                    w.len - (size_t)__builtin_popcount(cont);
                ts->n_alpha++;
                return;
            }
        }
    }
#else
    (void)pad;
#endif
    th_ft_quality_add_token(ts, w, terminal);
}

void th_gopher_quality(const struct th_gopher_quality_opts *opts,
                       const char *text, size_t len,
                       const struct th_slice *words, size_t n_words,
                       struct th_gopher_quality_stats *stats,
                       const char **reason_out)
{
    struct th_ft_token_stats ts = {0};
    /* short ASCII words (most) through the batch, 256 at a time; the
     * others one by one */
    uint64_t xs[256], lens[256];
    size_t nb = 0;
    for (size_t i = 0; i < n_words; i++) {
        struct th_slice w = words[i];
        /* a longer word gets a high bit: not for the batch */
        uint64_t x = w.len - 1 < 8
                         ? th_ft_load_short((const uint8_t *)w.ptr, w.len) &
                               th_ft_low_bytes(w.len)
                         : TH_FT_BYTES(0x80);
        if (x & TH_FT_BYTES(0x80)) {
            th_ft_quality_add_token(&ts, w, opts->terminal_in_punctuation);
            continue;
        }
        xs[nb] = x;
        lens[nb++] = w.len;
        if (nb == 256) {
            th_ft_quality_add_ascii_batch(&ts, xs, lens, nb);
            nb = 0;
        }
    }
    th_ft_quality_add_ascii_batch(&ts, xs, lens, nb);
    th_ft_quality_decide(opts, text, len, n_words, &ts, NULL, stats,
                         reason_out);
}

void th_ft_quality_line_ends(struct th_ft_line_stats *ls, const char *text,
                             size_t start, size_t end)
{
    ls->bullets += starts_with_bullet(text, start, end);
    ls->end_ellipsis += ends_with_ellipsis(text, start, end);
}

void th_ft_quality_decide(const struct th_gopher_quality_opts *opts,
                          const char *text, size_t len, size_t n_words,
                          const struct th_ft_token_stats *ts,
                          const struct th_ft_line_stats *lines,
                          struct th_gopher_quality_stats *stats,
                          const char **reason_out)
{
    size_t n_non_symbol = ts->n_non_symbol;
    size_t non_symbol_chars = ts->non_symbol_chars, n_alpha = ts->n_alpha;
    size_t stop_count = ts->stop_count;
    size_t n_unique_stop = (size_t)__builtin_popcount(ts->stop_seen);

    double nw = (double)n_words;
    bool symbols = lines && lines->symbols_done;
    size_t hashes = symbols ? lines->hashes
                            : th_ft_count_substr(text, len, "#", 1);
    size_t ellipses = symbols ? lines->ellipses : count_ellipses(text, len);
    struct th_ft_line_stats own = {0};
    if (!lines || !lines->done) {
        size_t pos = 0, ls, le;
        while (th_ft_next_line(text, len, &pos, &ls, &le))
            th_ft_quality_add_line(&own, text, ls, le);
        lines = &own;
    }
    size_t n_lines = lines->n_lines, bullets = lines->bullets;
    size_t end_ellipsis = lines->end_ellipsis;
    double avg = n_non_symbol ? (double)non_symbol_chars / (double)n_non_symbol
                              : NAN;
    double hash_ratio = n_words ? (double)hashes / nw : 0;
    double ellipsis_ratio = n_words ? (double)ellipses / nw : 0;
    double bullet_ratio = n_lines ? (double)bullets / (double)n_lines : 0;
    double end_ellipsis_ratio =
        n_lines ? (double)end_ellipsis / (double)n_lines : 0;
    double alpha_ratio = n_words ? (double)n_alpha / nw : 0;
    size_t stops = opts->unique_stop_words ? n_unique_stop : stop_count;

    if (stats) {
        stats->n_words = n_words;
        stats->n_non_symbol_words = n_non_symbol;
        stats->avg_word_length = avg;
        stats->hash_ratio = hash_ratio;
        stats->ellipsis_ratio = ellipsis_ratio;
        stats->bullet_lines_ratio = bullet_ratio;
        stats->end_ellipsis_lines_ratio = end_ellipsis_ratio;
        stats->alpha_words_ratio = alpha_ratio;
        stats->stop_words = stop_count;
        stats->unique_stop_words = n_unique_stop;
        stats->n_lines = n_lines;
    }

    const char *reason = NULL;
    if (opts->min_doc_words && (int64_t)n_non_symbol < opts->min_doc_words)
        reason = "gopher_short_doc";
    else if (opts->max_doc_words &&
             (int64_t)n_non_symbol > opts->max_doc_words)
        reason = "gopher_long_doc";
    else if (opts->min_avg_word_length && avg < opts->min_avg_word_length)
        reason = "gopher_below_avg_threshold";
    else if (opts->max_avg_word_length && avg > opts->max_avg_word_length)
        reason = "gopher_above_avg_threshold";
    else if (n_words == 0)
        reason = NULL; /* datatrove would divide by zero; nothing to judge */
    else if (opts->max_symbol_word_ratio &&
             hash_ratio > opts->max_symbol_word_ratio)
        reason = "gopher_too_many_hashes";
    else if (opts->max_symbol_word_ratio &&
             ellipsis_ratio > opts->max_symbol_word_ratio)
        reason = "gopher_too_many_ellipsis";
    else if (opts->max_bullet_lines_ratio &&
             bullet_ratio > opts->max_bullet_lines_ratio)
        reason = "gopher_too_many_bullets";
    else if (opts->max_ellipsis_lines_ratio &&
             end_ellipsis_ratio > opts->max_ellipsis_lines_ratio)
        reason = "gopher_too_many_end_ellipsis";
    else if (opts->max_non_alpha_words_ratio &&
             alpha_ratio < opts->max_non_alpha_words_ratio)
        reason = "gopher_below_alpha_threshold";
    else if (opts->min_stop_words && (int64_t)stops < opts->min_stop_words)
        reason = "gopher_enough_stop_words";
    *reason_out = reason;
}
