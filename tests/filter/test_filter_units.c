/*
 * Unit cases: Python string semantics the filters rely on (splitlines,
 * strip, isalpha, code-point lengths), each filter's rules at their
 * thresholds, preset differences, configuration, annotate mode, the bad
 * words and URL filters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thresh/filter.h"
#include "../../lib/filter/filter_internal.h"
#include "../test.h"

static struct th_arena *arena;

static void setup(void)
{
    if (!arena)
        th_arena_new(&arena, 0, 0);
    th_arena_reset(arena);
}

/* Words split on ASCII spaces (enough for these cases). */
static int space_words(const char *text, size_t len, struct th_arena *a,
                       struct th_slice **words_out, size_t *n_out,
                       struct th_error *err, void *ctx)
{
    struct th_slice *w = th_arena_alloc(a, (len + 1) * sizeof(*w));
    size_t k = 0, i = 0;
    while (i < len) {
        while (i < len && (text[i] == ' ' || text[i] == '\n'))
            i++;
        size_t s = i;
        while (i < len && text[i] != ' ' && text[i] != '\n')
            i++;
        if (i > s)
            w[k++] = (struct th_slice){text + s, i - s};
    }
    *words_out = w;
    *n_out = k;
    return 0;
}

static int one_sentence(const char *text, size_t len, struct th_arena *a,
                        size_t *n_out, struct th_error *err, void *ctx)
{
    *n_out = 1;
    return 0;
}

static const struct th_filter_tokenizer simple_tok = {space_words,
                                                      one_sentence, NULL, 0};

static void repetition_counts_python_splitlines(void)
{
    setup();
    struct th_gopher_repetition_opts o;
    th_gopher_repetition_opts_init(&o, TH_PRESET_FINEWEB_V1);
    struct th_gopher_repetition_stats st;
    const char *reason;
    struct th_error err;
    /* \r\n, \v, \x1c, U+2028 and U+0085 all end lines; "a\n" has 1 line */
    const char *t = "x\r\ny\vz\x1cw\xe2\x80\xa8v\xc2\x85u\n";
    CHECK(th_gopher_repetition(&o, t, strlen(t), NULL, 0, arena, &st,
                               &reason, &err) == 0);
    CHECK_EQ_INT(st.n_lines, 6);
    CHECK_EQ_INT(st.len_text, 13);
    /* fineweb-v1 counts blank lines as duplicates, datatrove does not */
    const char *b = "a\n\nb\n\nc\n\nd\n\ne";
    CHECK(th_gopher_repetition(&o, b, strlen(b), NULL, 0, arena, &st,
                               &reason, &err) == 0);
    CHECK_EQ_INT(st.n_lines, 9);
    CHECK_EQ_INT(st.line_dups, 3);
    CHECK_EQ_STR(reason, "dup_line_frac");
    th_gopher_repetition_opts_init(&o, TH_PRESET_DATATROVE);
    CHECK(th_gopher_repetition(&o, b, strlen(b), NULL, 0, arena, &st,
                               &reason, &err) == 0);
    CHECK_EQ_INT(st.n_lines, 5);
    CHECK_EQ_INT(st.line_dups, 0);
}

/* th_gopher_repetition with the fineweb-v1 options over text t and its
 * tokens w[0..n); the run must succeed. */
static void fineweb_repetition(const char *t, const struct th_slice *w,
                               size_t n,
                               struct th_gopher_repetition_stats *st)
{
    struct th_gopher_repetition_opts o;
    th_gopher_repetition_opts_init(&o, TH_PRESET_FINEWEB_V1);
    const char *reason;
    struct th_error err;
    CHECK(th_gopher_repetition(&o, t, strlen(t), w, n, arena, st, &reason,
                               &err) == 0);
}

static void top_ngram_ties_go_to_first_seen(void)
{
    setup();
    struct th_gopher_repetition_stats st;
    struct th_error err;
    /* "aa b" and "c dd" both occur twice; "aa b" is first: 4 chars x 2 */
    const char *t = "aa b c dd aa b c dd";
    struct th_slice *w;
    size_t n;
    space_words(t, strlen(t), arena, &w, &n, &err, NULL);
    fineweb_repetition(t, w, n, &st);
    CHECK_EQ_INT(st.top_ngram_chars[0], 8);
    /* the duplicated 5-grams are concatenated without spaces */
    const char *u = "one two three four five one two three four five";
    space_words(u, strlen(u), arena, &w, &n, &err, NULL);
    fineweb_repetition(u, w, n, &st);
    CHECK_EQ_INT(st.dup_ngram_chars[0], 19);
}

static void joined_ngrams_with_spaces_inside_tokens(void)
{
    setup();
    struct th_gopher_repetition_stats st;
    /* "a b"+"c" and "a"+"b c" both join to "a b c": one 2-gram, twice */
    static const struct th_slice w[] = {
        {"a b", 3}, {"c", 1}, {"x", 1}, {"a", 1}, {"b c", 3},
    };
    const char *t = "a b c x a b c and some padding text to be long";
    fineweb_repetition(t, w, 5, &st);
    CHECK_EQ_INT(st.top_ngram_chars[0], 10);
}

static void concatenated_ngrams_match_across_token_boundaries(void)
{
    setup();
    struct th_gopher_repetition_stats st;
    /* "ab c d e f" and "a bc d e f" concatenate to the same "abcdef" */
    static const struct th_slice w[] = {
        {"ab", 2}, {"c", 1}, {"d", 1}, {"e", 1}, {"f", 1},
        {"a", 1}, {"bc", 2}, {"d", 1}, {"e", 1}, {"f", 1},
    };
    const char *t = "ab c d e f a bc d e f";
    fineweb_repetition(t, w, 10, &st);
    CHECK_EQ_INT(st.dup_ngram_chars[0], 6);
}

/* Naive reference: n-gram string of tokens [i, i+n) joined by sep. */
static size_t naive_gram(const struct th_slice *w, size_t i, size_t n,
                         const char *sep, char *out)
{
    size_t o = 0;
    for (size_t k = 0; k < n; k++) {
        if (k && *sep)
            out[o++] = *sep;
        memcpy(out + o, w[i + k].ptr, w[i + k].len);
        o += w[i + k].len;
    }
    out[o] = '\0';
    return o;
}

/* The prefilters and hashing against a quadratic reference on random
 * token lists built to repeat (and to collide across token boundaries). */
static void ngram_statistics_match_naive_reference(void)
{
    static const char *const vocab[] = {
        "a", "b", "ab", "ba", "aba", "a b", ".", "..", "x", "yy", "zzzzzzzz",
        "the", "cat", "thecat", "sat", "on", "mat",
    };
    /* long tokens (every fourth document): the stream outgrows its first
     * guess of 8 bytes a token; prefixes and suffixes of each other */
    static const char *const long_vocab[] = {
        "abcdefghijklmnopq", "abcdefghijklmnop", "qabcdefghijklmnop",
        "zzzzzzzzzzzzzzzzzz", "abcdefghi", "jklmnopq",
    };
    struct th_gopher_repetition_opts o;
    th_gopher_repetition_opts_init(&o, TH_PRESET_FINEWEB_V1);
    unsigned seed = 12345;
    int bad = 0;
    static char grams[320][200];
    for (int doc = 0; doc < 300; doc++) {
        setup();
        size_t n = 20 + (size_t)(seed % 280);
        struct th_slice w[320];
        char text[320 * 20];
        size_t tl = 0;
        bool spaces = doc % 3 == 0;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            size_t v = (seed >> 16) % (sizeof(vocab) / sizeof(vocab[0]));
            if (!spaces && strchr(vocab[v], ' '))
                v = 0;
            const char *t = doc % 4 == 1 ? long_vocab[v % 6] : vocab[v];
            /* small runs of a few words repeat often; one document in
             * 25 is one word repeated (its top 3- and 4-grams are longer
             * than its 2-grams' W2 bound: struct top_bound) */
            if (doc % 25 == 24)
                w[i] = (struct th_slice){vocab[doc % 3],
                                         strlen(vocab[doc % 3])};
            else if (doc % 2 && i >= 7 && (seed >> 8) % 3 == 0)
                w[i] = w[i - 7];
            else
                w[i] = (struct th_slice){t, strlen(t)};
            memcpy(text + tl, w[i].ptr, w[i].len);
            tl += w[i].len;
            text[tl++] = ' ';
        }
        struct th_gopher_repetition_stats st;
        const char *reason;
        struct th_error err;
        CHECK(th_gopher_repetition(&o, text, tl, w, n, arena, &st, &reason,
                                   &err) == 0);
        for (size_t g = 2; g <= 4; g++) {
            size_t best = 0, best_count = 0;
            for (size_t i = 0; i + g <= n; i++)
                naive_gram(w, i, g, " ", grams[i]);
            for (size_t i = 0; i + g <= n; i++) {
                size_t c = 0;
                for (size_t j = 0; j + g <= n; j++)
                    c += !strcmp(grams[i], grams[j]);
                bool seen = false;
                for (size_t j = 0; j < i && !seen; j++)
                    seen = !strcmp(grams[i], grams[j]);
                if (!seen && c > best_count) {
                    best_count = c;
                    best = strlen(grams[i]) * c;
                }
            }
            if (st.top_ngram_chars[g - 2] != best && bad++ < 5)
                printf("#   doc %d top %zu-gram: got %zu want %zu\n", doc, g,
                       st.top_ngram_chars[g - 2], best);
        }
        for (size_t g = 5; g <= 10; g++) {
            size_t i = 0, total = 0, n_seen = 0;
            static char seen[320][200];
            char cur[200];
            while (i + g <= n) {
                size_t len = naive_gram(w, i, g, "", cur);
                bool dup = false;
                for (size_t k = 0; k < n_seen && !dup; k++)
                    dup = !strcmp(seen[k], cur);
                if (dup) {
                    total += len;
                    i += g;
                } else {
                    memcpy(seen[n_seen++], cur, len + 1);
                    i++;
                }
            }
            if (st.dup_ngram_chars[g - 5] != total && bad++ < 5)
                printf("#   doc %d dup %zu-gram: got %zu want %zu\n", doc, g,
                       st.dup_ngram_chars[g - 5], total);
        }
        /* without statistics (bounds, early exits) the decision is the
         * same, whatever the thresholds: each rule alone, at thresholds
         * just below and above the document's own fraction, and (r = 9
         * to 16) the three top rules together, each just below or above
         * its own fraction (bit t of r - 9: above) */
        for (int r = 0; r < 17; r++) {
            for (int side = 0; side < 2; side++) {
                if (r >= 9 && side)
                    continue;
                struct th_gopher_repetition_opts one = o;
                one.dup_line_frac = one.dup_para_frac = 0;
                one.dup_line_char_frac = one.dup_para_char_frac = 0;
                memset(one.top_ngram_frac, 0, sizeof(one.top_ngram_frac));
                memset(one.dup_ngram_frac, 0, sizeof(one.dup_ngram_frac));
                for (int t = 0; t < 3 && r >= 9; t++)
                    one.top_ngram_frac[t] =
                        (r - 9) >> t & 1
                            ? st.top_ngram_frac[t] * 1.02 + 1e-9
                            : st.top_ngram_frac[t] * 0.98 + 1e-12;
                double f = r < 3 ? st.top_ngram_frac[r]
                                 : r < 9 ? st.dup_ngram_frac[r - 3] : 1;
                double thr = side ? f * 1.02 + 1e-9 : f * 0.98;
                if (thr <= 0)
                    continue;
                if (r < 3)
                    one.top_ngram_frac[r] = thr;
                else if (r < 9)
                    one.dup_ngram_frac[r - 3] = thr;
                const char *with, *without;
                struct th_gopher_repetition_stats s2;
                CHECK(th_gopher_repetition(&one, text, tl, w, n, arena, &s2,
                                           &with, &err) == 0);
                CHECK(th_gopher_repetition(&one, text, tl, w, n, arena,
                                           NULL, &without, &err) == 0);
                if (!(with == without || (with && without &&
                                          !strcmp(with, without))) &&
                    bad++ < 5)
                    printf("#   doc %d rule %d: %s with statistics, %s "
                           "without\n", doc, r, with ? with : "keep",
                           without ? without : "keep");
            }
        }
    }
    CHECK_EQ_INT(bad, 0);
}

/* Python's find_duplicates() over pieces[0..n): count and characters. */
static void naive_dups(char **pieces, size_t n, size_t *dups, size_t *chars)
{
    *dups = *chars = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(pieces[i], pieces[j]);
        *dups += seen;
        *chars += seen ? strlen(pieces[i]) : 0;
    }
}

/* Split s at every run of at least min newlines (pieces are copies). */
static size_t naive_split(const char *s, size_t len, size_t min,
                          char **out)
{
    size_t n = 0, start = 0, i = 0;
    while (i < len) {
        size_t q = i;
        while (q < len && s[q] == '\n')
            q++;
        if (q - i >= min && q > i) {
            out[n] = strndup(s + start, i - start);
            n++;
            start = q;
        }
        i = q > i ? q : i + 1;
    }
    out[n++] = strndup(s + start, len - start);
    return n;
}

/* Lines and paragraphs (only the pieces of repeated lengths are hashed)
 * against a naive reference: pieces of equal lengths, of lengths equal
 * modulo 512, empty ones, both presets. */
static void line_duplicates_match_naive_reference(void)
{
    static char long_a[516], long_b[516];
    memset(long_a, 'a', 515);
    memset(long_b, 'b', 515);
    const char *const vocab[] = {"abc", "abd", "xyz", "", "ab", long_a,
                                 long_b, "q"};
    unsigned seed = 777;
    int bad = 0;
    static char text[40 * 520];
    static char *pieces[200];
    for (int doc = 0; doc < 200; doc++) {
        size_t tl = 0, n_src = 1 + (size_t)(seed % 30);
        for (size_t i = 0; i < n_src; i++) {
            seed = seed * 1103515245u + 12345u;
            const char *v = vocab[(seed >> 16) % 8];
            memcpy(text + tl, v, strlen(v));
            tl += strlen(v);
            size_t nl = 1 + (seed >> 8) % 3;   /* 1 to 3 newlines */
            if (i + 1 < n_src || (seed >> 4) % 2)
                for (size_t k = 0; k < nl; k++)
                    text[tl++] = '\n';
        }
        text[tl] = '\0';
        for (int preset = 0; preset < 2; preset++) {
            setup();
            struct th_gopher_repetition_opts o;
            th_gopher_repetition_opts_init(&o, preset ? TH_PRESET_DATATROVE
                                                      : TH_PRESET_FINEWEB_V1);
            struct th_gopher_repetition_stats st;
            const char *reason;
            struct th_error err;
            CHECK(th_gopher_repetition(&o, text, tl, NULL, 0, arena, &st,
                                       &reason, &err) == 0);
            size_t want[6];
            /* lines: splitlines() (every newline ends a line; no empty
             * line after the last one) or re.split("\n+", text) */
            size_t n = 0;
            if (preset) {
                n = naive_split(text, tl, 1, pieces);
            } else {
                size_t start = 0;
                for (size_t i = 0; i < tl; i++)
                    if (text[i] == '\n') {
                        pieces[n++] = strndup(text + start, i - start);
                        start = i + 1;
                    }
                if (start < tl)
                    pieces[n++] = strndup(text + start, tl - start);
            }
            want[0] = n;
            naive_dups(pieces, n, &want[1], &want[2]);
            for (size_t i = 0; i < n; i++)
                free(pieces[i]);
            /* paragraphs: re.split(r"\n{2,}", text.strip()) */
            size_t s0 = 0, e0 = tl;
            while (s0 < e0 && text[s0] == '\n')
                s0++;
            while (e0 > s0 && text[e0 - 1] == '\n')
                e0--;
            n = naive_split(text + s0, e0 - s0, 2, pieces);
            want[3] = n;
            naive_dups(pieces, n, &want[4], &want[5]);
            for (size_t i = 0; i < n; i++)
                free(pieces[i]);
            size_t got[6] = {st.n_lines, st.line_dups, st.line_dup_chars,
                             st.n_paragraphs, st.para_dups,
                             st.para_dup_chars};
            for (int k = 0; k < 6; k++)
                if (got[k] != want[k] && bad++ < 5)
                    printf("#   doc %d preset %d statistic %d: got %zu "
                           "want %zu\n", doc, preset, k, got[k], want[k]);
        }
    }
    CHECK_EQ_INT(bad, 0);
}

static void gopher_quality_rules_in_order(void)
{
    struct th_gopher_quality_opts o;
    th_gopher_quality_opts_init(&o, TH_PRESET_FINEWEB_V1);
    struct th_gopher_quality_stats st;
    const char *reason;
    static const struct th_slice few[] = {{"the", 3}, {"cat", 3}};
    th_gopher_quality(&o, "the cat", 7, few, 2, &st, &reason);
    CHECK_EQ_STR(reason, "gopher_short_doc");
    CHECK_EQ_INT(st.n_non_symbol_words, 2);
    /* 50 words, 1 stop word: fineweb-v1 counts occurrences */
    struct th_slice w[60];
    for (int i = 0; i < 50; i++)
        w[i] = (struct th_slice){"word", 4};
    w[0] = (struct th_slice){"the", 3};
    w[1] = (struct th_slice){"the", 3};
    th_gopher_quality(&o, "x", 1, w, 50, &st, &reason);
    CHECK(reason == NULL);
    CHECK_EQ_INT(st.stop_words, 2);
    th_gopher_quality_opts_init(&o, TH_PRESET_DATATROVE);
    th_gopher_quality(&o, "x", 1, w, 50, &st, &reason);
    CHECK_EQ_STR(reason, "gopher_enough_stop_words");
    /* "......" is two ellipses; 6 of 50 words is above 0.1 */
    th_gopher_quality_opts_init(&o, TH_PRESET_FINEWEB_V1);
    th_gopher_quality(&o, "........................", 24, w, 50, &st,
                      &reason);
    CHECK_EQ_STR(reason, "gopher_too_many_ellipsis");
    /* CJK counts as alphabetic, '½' does not */
    th_gopher_quality_opts_init(&o, TH_PRESET_FINEWEB_V1);
    static const struct th_slice cjk[] = {{"\xe4\xb8\xad", 3}, {"\xc2\xbd", 2}};
    th_gopher_quality(&o, "x", 1, cjk, 2, &st, &reason);
    CHECK(st.alpha_words_ratio == 0.5);
}

/*
 * A sentence counter whose count depends on a leading space, as Punkt's
 * can (NLTK: " ?? a" is 2 sentences, "?? a" 3).
 */
static int lead_space_sentences(const char *text, size_t len,
                                struct th_arena *a, size_t *n_out,
                                struct th_error *err, void *ctx)
{
    *n_out = len && text[0] == ' ' ? 1 : 2;
    return 0;
}

/*
 * C4 counts a kept line's sentences after removing its citations, so a
 * line can start with a space; the lazy count (no statistics) must ask
 * about the same bytes as the exact one (fuzz_filters found it asking
 * about the stripped line).
 */
static void c4_lazy_count_same_text(void)
{
    setup();
    struct th_c4_quality_opts o;
    th_c4_quality_opts_init(&o, TH_PRESET_FINEWEB_V1);
    o.min_num_sentences = 3;
    const struct th_filter_tokenizer tok = {space_words, lead_space_sentences,
                                            NULL, 0};
    const char *t = "[1] one two three.\n[edit] four five six.";
    struct th_c4_quality_stats st;
    struct th_slice out;
    const char *with, *without;
    struct th_error err;
    CHECK(th_c4_quality(&o, t, strlen(t), &tok, arena, &out, &st, &with,
                        &err) == 0);
    CHECK(th_c4_quality(&o, t, strlen(t), &tok, arena, &out, NULL, &without,
                        &err) == 0);
    CHECK_EQ_INT((int)st.num_sentences, 2);
    CHECK_EQ_STR(with, "too_few_sentences");
    CHECK_EQ_STR(without, "too_few_sentences");
}

static void c4_rewrites_lines(void)
{
    setup();
    struct th_c4_quality_opts o;
    th_c4_quality_opts_init(&o, TH_PRESET_FINEWEB_V1);
    struct th_slice out;
    const char *reason;
    struct th_error err;
    const char *t = "  First line is here.[1]  \n"
                    "too short\n"
                    "Enable JavaScript to view this page.\n"
                    "We use cookies on this site today.\n"
                    "Second [citation needed] line here.\r\n"
                    "Third line [edit] right here.\n"
                    "Fourth line is also here.\n"
                    "Fifth line and the end.";
    CHECK(th_c4_quality(&o, t, strlen(t), &simple_tok, arena, &out, NULL,
                        &reason, &err) == 0);
    CHECK(reason == NULL);
    const char *want = "First line is here.\nSecond  line here.\n"
                       "Third line  right here.\nFourth line is also here.\n"
                       "Fifth line and the end.";
    CHECK_EQ_MEM(out.ptr, out.len, want, strlen(want));
    const char *curly = "a b {c}\nline one two\n";
    CHECK(th_c4_quality(&o, curly, strlen(curly), &simple_tok, arena, &out,
                        NULL, &reason, &err) == 0);
    CHECK_EQ_STR(reason, "curly_bracket");
    /* the phrases in any case, at any place of a line, near-misses kept */
    static const struct {
        const char *line;   /* one line of text */
        int js;             /* dropped as javascript */
        int policy;         /* dropped as policy */
    } lines[] = {
        {"JavaScript is off in this browser", 1, 0},
        {"this browser runs javascript", 1, 0},
        {"java script is two words here", 0, 0},
        {"Read our Terms of Use now", 0, 1},
        {"read our terms of uses", 0, 1},
        {"read our terms of  use", 0, 0},
        {"see the PRIVACY POLICY", 0, 1},
        {"the privacy policies differ", 0, 0},
        {"this site uses Cookies here", 0, 1},
        {"we bake cookies every day", 0, 0},
        {"about the use of cookies", 0, 1},
        {"cookie policy x", 0, 1},
        {"ask kevin for a fork of it", 0, 0},
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        struct th_c4_quality_stats st;
        CHECK(th_c4_quality(&o, lines[i].line, strlen(lines[i].line),
                            &simple_tok, arena, &out, &st, &reason,
                            &err) == 0);
        if ((int)st.dropped_javascript != lines[i].js ||
            (int)st.dropped_policy != lines[i].policy)
            printf("#   c4 line '%s': javascript %zu policy %zu\n",
                   lines[i].line, st.dropped_javascript, st.dropped_policy);
        CHECK_EQ_INT(st.dropped_javascript, lines[i].js);
        CHECK_EQ_INT(st.dropped_policy, lines[i].policy);
    }
    const char *lorem_long = "x y z and then LOREM IPSUM";
    CHECK(th_c4_quality(&o, lorem_long, strlen(lorem_long), &simple_tok,
                        arena, &out, NULL, &reason, &err) == 0);
    CHECK_EQ_STR(reason, "lorem_ipsum");
    /* lorem ipsum on a two-word line does not drop the document */
    const char *lorem = "Lorem ipsum\nsome words here.";
    CHECK(th_c4_quality(&o, lorem, strlen(lorem), &simple_tok, arena, &out,
                        NULL, &reason, &err) == 0);
    CHECK_EQ_STR(reason, "too_few_sentences");
}

static void fineweb_inclusive_thresholds(void)
{
    setup();
    struct th_fineweb_quality_opts o;
    th_fineweb_quality_opts_init(&o, TH_PRESET_FINEWEB_V1);
    const char *reason;
    struct th_error err;
    /* 3 of 25 lines end with punctuation: 0.12, dropped with <= */
    char buf[4096];
    size_t n = 0;
    for (int i = 0; i < 25; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n,
                              "this is a rather long line number %02d%s\n",
                              i, i < 3 ? "." : "");
    buf[--n] = '\0';
    CHECK(th_fineweb_quality(&o, buf, n, &simple_tok, arena, NULL, &reason,
                             &err) == 0);
    CHECK_EQ_STR(reason, "line_punct_ratio");
    th_fineweb_quality_opts_init(&o, TH_PRESET_DATATROVE);
    CHECK(th_fineweb_quality(&o, buf, n, &simple_tok, arena, NULL, &reason,
                             &err) == 0);
    CHECK(reason == NULL || strcmp(reason, "line_punct_ratio") != 0);
}

/* Two tokens a line ("word" and "."), as NLTK gives for the text below. */
static int two_per_line(const char *text, size_t len, struct th_arena *a,
                        struct th_slice **words_out, size_t *n_out,
                        struct th_error *err, void *ctx)
{
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    struct th_slice *w = th_arena_alloc(a, 2 * lines * sizeof(*w));
    for (size_t i = 0; i < 2 * lines; i++)
        w[i] = TH_SLICE_LIT("w");
    *words_out = w;
    *n_out = 2 * lines;
    return 0;
}

static void fineweb_list_ratio_with_nbsp_runs(void)
{
    setup();
    struct th_fineweb_quality_opts o;
    th_fineweb_quality_opts_init(&o, TH_PRESET_FINEWEB_V1);
    struct th_filter_tokenizer tok = {two_per_line, one_sentence, NULL, 0};
    const char *reason;
    struct th_error err;
    /* no-break spaces are whitespace to NLTK: they must not count as words
     * in the lower bound that may skip tokenizing */
    char buf[8192];
    size_t n = 0;
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n,
                              "\xc2\xa0 \xc2\xa0 \xc2\xa0 \xc2\xa0 \xc2\xa0 "
                              "longwordlongwordlongwordnumber%02d.\n", i);
    buf[--n] = '\0';
    CHECK(th_fineweb_quality(&o, buf, n, &tok, arena, NULL, &reason, &err) ==
          0);
    CHECK_EQ_STR(reason, "list_ratio");
}

/*
 * The chain f (fineweb-v1) on text, against the four filters run one
 * after the other: true when they decide alike and, when kept, keep the
 * same text; *want gets the filters' reason (NULL: kept).
 */
static bool chain_equals_sequence(const struct th_filters *f,
                                  const char *text, size_t len,
                                  const char **want)
{
    struct th_error err;
    struct th_filters_opts o;
    th_filters_opts_init(&o, TH_PRESET_FINEWEB_V1);
    struct th_doc doc;
    th_doc_init(&doc);
    doc.text = (struct th_slice){text, len};
    if (th_filters_apply(f, &doc, "filters", &simple_tok, arena, &err) < 0)
        return false;
    const char *got = doc.verdict == TH_DROP ? doc.drop_reason : NULL;
    struct th_slice *w, out = {text, len};
    size_t nw;
    const char *r = NULL;
    space_words(text, len, arena, &w, &nw, &err, NULL);
    th_gopher_repetition(&o.repetition, text, len, w, nw, arena, NULL, &r,
                         &err);
    if (!r)
        th_gopher_quality(&o.quality, text, len, w, nw, NULL, &r);
    if (!r)
        th_c4_quality(&o.c4, text, len, &simple_tok, arena, &out, NULL, &r,
                      &err);
    if (!r)
        th_fineweb_quality(&o.fineweb, out.ptr, out.len, &simple_tok, arena,
                           NULL, &r, &err);
    *want = r;
    if (!(got == r || (got && r && strcmp(got, r) == 0))) {
        printf("#   chain %s, in sequence %s\n", got ? got : "keep",
               r ? r : "keep");
        return false;
    }
    return r || (doc.text.len == out.len &&
                 memcmp(doc.text.ptr, out.ptr, out.len) == 0);
}

/* The fineweb-v1 chain (the tests free it). */
static struct th_filters *fineweb_chain(void)
{
    struct th_filters_opts o;
    th_filters_opts_init(&o, TH_PRESET_FINEWEB_V1);
    struct th_filters *f = NULL;
    struct th_error err;
    CHECK(th_filters_new(&f, &o, &err) == 0);
    return f;
}

/*
 * In the chain FineWeb gets C4's newlines and a lower bound of the runs of
 * non-space of its text (words counted on kept lines without a removed
 * citation), which may settle list_ratio. Near that rule's threshold (3
 * and 4 words a line; "[edit]" removed from none, some or every line,
 * where C4 counted one word more than FineWeb sees) the chain must decide
 * and keep the text as the filters in sequence.
 */
static void chain_list_ratio_near_threshold(void)
{
    struct th_filters *f = fineweb_chain();
    static char buf[16384];
    int list_drops = 0, cited_drops = 0, keeps = 0, bad = 0;
    for (int lines = 16; lines <= 32; lines += 4) {
        for (int four = 0; four <= lines / 2; four++) {
            for (int cite = 0; cite < 3; cite++) {
                setup();
                size_t n = 0;
                for (int i = 0; i < lines; i++) {
                    /* distinct words of 10 letters (3 of them from i and
                     * j); "[edit]" is a fourth word until C4 removes it */
                    bool cited = cite == 2 || (cite == 1 && i % 3 == 0);
                    char w[4][16];
                    for (int j = 0; j < 4; j++) {
                        int k = i * 4 + j;
                        snprintf(w[j], sizeof(w[j]), "%c%c%cbcdefgh",
                                 'a' + k / 676 % 26, 'a' + k / 26 % 26,
                                 'a' + k % 26);
                    }
                    if (i < 2)
                        snprintf(w[0], sizeof(w[0]), "the");
                    n += (size_t)snprintf(
                        buf + n, sizeof(buf) - n, "%s%s %s %s%s%s\n", w[0],
                        cited ? " [edit]" : "", w[1], w[2],
                        i < four ? " " : "", i < four ? w[3] : "");
                    if (i % 5 == 0)
                        buf[n - 1] = '.', buf[n++] = '\n';
                }
                const char *want;
                bool same = chain_equals_sequence(f, buf, n, &want);
                bad += !same;
                if (!same)
                    printf("#   %d lines, %d of 4 words, cite %d\n", lines,
                           four, cite);
                bool list = want && strcmp(want, "list_ratio") == 0;
                list_drops += list;
                cited_drops += list && cite == 2;
                keeps += !want;
            }
        }
    }
    th_filters_free(f);
    printf("# %d list_ratio drops (%d with every line cited), %d kept\n",
           list_drops, cited_drops, keeps);
    CHECK_EQ_INT(bad, 0);
    CHECK(list_drops > 10 && cited_drops > 5 && keeps > 10);
}

/*
 * In the chain FineWeb takes a duplicate line's share of the bytes (an
 * upper bound of the characters) as enough for char_dup_ratio when that
 * already reaches the threshold. With one line repeated in texts of 2-byte
 * characters whose share of the characters crosses 1% (the share of the
 * bytes crosses it elsewhere), the chain must decide as the filters in
 * sequence.
 */
static void chain_char_dup_ratio_near_threshold(void)
{
    struct th_filters *f = fineweb_chain();
    static char buf[65536];
    int dup_drops = 0, keeps = 0, bad = 0;
    for (int lines = 40; lines <= 200; lines++) {
        setup();
        size_t n = 0;
        for (int i = 0; i <= lines; i++) {
            int src = i == lines ? 0 : i;   /* the last repeats the first */
            for (int j = 0; j < 5; j++) {
                int k = src * 5 + j;
                n += (size_t)snprintf(buf + n, sizeof(buf) - n,
                                      "%s%c%c%c\xc3\xa9x\xc3\xa9",
                                      j ? " " : "", 'a' + k / 676 % 26,
                                      'a' + k / 26 % 26, 'a' + k % 26);
            }
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s.\n",
                                  src < 2 ? " the and" : "");
        }
        const char *want;
        bool same = chain_equals_sequence(f, buf, n, &want);
        bad += !same;
        if (!same)
            printf("#   %d lines\n", lines);
        dup_drops += want && strcmp(want, "char_dup_ratio") == 0;
        keeps += !want;
    }
    th_filters_free(f);
    printf("# %d char_dup_ratio drops, %d kept\n", dup_drops, keeps);
    CHECK_EQ_INT(bad, 0);
    CHECK(dup_drops > 10 && keeps > 10);
}

static void config_reads_presets_and_thresholds(void)
{
    struct th_config *cfg;
    th_config_new(&cfg);
    th_config_set(cfg, "filters.preset", "datatrove");
    th_config_set(cfg, "filters.gopher_quality.min_doc_words", "10");
    th_config_set(cfg, "filters.fineweb_quality.line_punct_thr", "0.5");
    th_config_set(cfg, "filters.annotate", "true");
    struct th_filters_opts o;
    struct th_error err;
    CHECK(th_filters_opts_from_config(&o, cfg, &err) == 0);
    CHECK(o.preset == TH_PRESET_DATATROVE);
    CHECK(o.quality.unique_stop_words);
    CHECK_EQ_INT(o.quality.min_doc_words, 10);
    CHECK(o.fineweb.line_punct_thr == 0.5);
    CHECK(!o.fineweb.inclusive);
    CHECK(o.annotate);
    CHECK(!o.url_filter);
    th_config_set(cfg, "filters.preset", "nope");
    CHECK(th_filters_opts_from_config(&o, cfg, &err) == TH_EINVAL);
    th_config_free(cfg);
}

/* The fineweb-v1 filters in annotate mode (NULL on failure, checked). */
static struct th_filters *annotate_filters(void)
{
    setup();
    struct th_filters_opts o;
    th_filters_opts_init(&o, TH_PRESET_FINEWEB_V1);
    o.annotate = true;
    struct th_filters *f = NULL;
    struct th_error err;
    CHECK(th_filters_new(&f, &o, &err) == 0);
    return f;
}

static void annotate_keeps_and_records_signals(void)
{
    struct th_filters *f = annotate_filters();
    struct th_error err;
    struct th_doc doc;
    th_doc_init(&doc);
    /* "too short" is one 2-gram: 9 of 9 characters, so top_2_gram first */
    doc.text = TH_SLICE_LIT("too short");
    CHECK(th_filters_apply(f, &doc, "filters", &simple_tok, arena, &err) ==
          0);
    CHECK(doc.verdict == TH_KEEP);
    const struct th_meta *m = th_doc_get_meta(&doc, "filter_would_drop");
    CHECK(m != NULL);
    if (m)
        CHECK_EQ_MEM(m->json.ptr, m->json.len, "\"top_2_gram\"", 12);
    CHECK(th_doc_get_meta(&doc, "qs_word_count") != NULL);
    CHECK(th_doc_get_meta(&doc, "qs_frac_chars_dupe_10grams") != NULL);
    th_filters_free(f);
}

/* Metadata key of doc holds value as th_format_double writes it. */
static void check_meta_double(const struct th_doc *doc, const char *key,
                              double value)
{
    char want[64];
    int k = th_format_double(want, sizeof(want), value);
    const struct th_meta *m = th_doc_get_meta(doc, key);
    CHECK(m != NULL);
    if (m)
        CHECK_EQ_MEM(m->json.ptr, m->json.len, want, (size_t)k);
}

/*
 * The word signals describe the document's own words, also when C4 keeps a
 * rewritten text (FineWeb then tokenizes that text into the same cache): a
 * line of two upper-case words, which C4 drops, still counts.
 */
static void annotate_word_signals_of_the_document(void)
{
    struct th_filters *f = annotate_filters();
    struct th_error err;
    const char *text = "The cat sat on the mat today.\n"
                       "The dog sat on the rug today.\n"
                       "A bird sang in the tree today.\n"
                       "A fish swam in the pond today.\n"
                       "The sun shone over the hill today.\n"
                       "MENU HOME";
    struct th_slice *w;
    size_t n = 0, distinct = 0, caps = 0;
    CHECK(simple_tok.words(text, strlen(text), arena, &w, &n, &err,
                           simple_tok.ctx) == 0);
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < i && !(w[j].len == w[i].len &&
                          !memcmp(w[j].ptr, w[i].ptr, w[i].len)))
            j++;
        distinct += j == i;
        /* all caps: ASCII upper-case letters and no lower-case one */
        size_t up = 0, low = 0;
        for (const char *c = w[i].ptr; c < w[i].ptr + w[i].len; c++) {
            up += strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ", *c) && *c;
            low += strchr("abcdefghijklmnopqrstuvwxyz", *c) && *c;
        }
        caps += up && !low;
    }
    struct th_doc doc;
    th_doc_init(&doc);
    doc.text = (struct th_slice){text, strlen(text)};
    CHECK(th_filters_apply(f, &doc, "filters", &simple_tok, arena, &err) ==
          0);
    check_meta_double(&doc, "qs_frac_unique_words", (double)distinct / n);
    check_meta_double(&doc, "qs_frac_all_caps_words", (double)caps / n);
    /* C4 dropped the last line: it kept a rewritten text */
    const struct th_meta *m = th_doc_get_meta(&doc, "qs_c4_frac_lines_kept");
    CHECK(m != NULL);
    if (m)
        CHECK(m->json.len > 1 && m->json.ptr[0] == '0');
    th_filters_free(f);
}

static char *write_tmp(const char *content)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/thresh-filter-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    if (write(fd, content, strlen(content)) < 0) {
        close(fd);
        return NULL;
    }
    close(fd);
    return strdup(path);
}

static void url_filter_ut1_lists_and_words(void)
{
    setup();
    char *domains = write_tmp("# adult\nbad-example.com\nsub.other.org\n");
    char *urls = write_tmp("shop.example.net/bad/page.html\n");
    char *banned = write_tmp("Porn\n");
    char *soft = write_tmp("hot\ngirls\n");
    char *sub = write_tmp("xxx\n");
    const char *dlist[] = {domains};
    const char *ulist[] = {urls};
    struct th_url_filter_opts uo = {dlist, 1, ulist, 1, banned, soft, sub, 2};
    struct th_url_filter *uf;
    struct th_error err;
    CHECK(th_url_filter_new(&uf, &uo, &err) == 0);
    static const struct {
        const char *url;      /* input */
        const char *reason;   /* expected, NULL keep */
    } cases[] = {
        {"https://www.bad-example.com/x", "domain"},
        {"http://bad-example.com", "domain"},
        {"https://sub.other.org/", "subdomain"},  /* the full host */
        {"https://a.sub.other.org/", NULL},
        {"https://shop.example.net/bad/page.html", "url"},
        {"https://example.org/porn/1", "hard_blacklisted"},
        {"https://example.org/Porn/1", NULL},
        {"https://example.org/hot-girls", "soft_blacklisted"},
        {"https://example.org/hot-hot", NULL},
        {"https://example.org/X-X-X.html", "blacklisted_subword"},
        {"https://example.org/news/today", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *reason;
        CHECK(th_url_filter_check(uf, cases[i].url, strlen(cases[i].url),
                                  arena, &reason, &err) == 0);
        if (!(reason == cases[i].reason ||
              (reason && cases[i].reason &&
               !strcmp(reason, cases[i].reason)))) {
            printf("#   %s: got %s want %s\n", cases[i].url,
                   reason ? reason : "keep",
                   cases[i].reason ? cases[i].reason : "keep");
            CHECK(0);
        }
    }
    th_url_filter_free(uf);
    const char *all[] = {domains, urls, banned, soft, sub};
    for (int i = 0; i < 5; i++) {
        unlink(all[i]);
        free((char *)all[i]);
    }
}

static void badwords_word_boundaries(void)
{
    setup();
    char dir[] = "/tmp/thresh-badwords-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof(path), "%s/en.json", dir);
    FILE *f = fopen(path, "w");
    /* a surrogate pair escape: U+1F595 (F0 9F 96 95) */
    fputs("[\"ass\", \"two words\", \"sm\", \"\\ud83d\\udd95\"]\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/zh.json", dir);
    f = fopen(path, "w");
    fputs("[\"\\u574f\\u86cb\", \"\\u6027\"]\n", f);
    fclose(f);
    struct th_badwords *bw;
    struct th_error err;
    CHECK(th_badwords_new(&bw, dir, &err) == 0);
    CHECK(th_badwords_load_all(bw, &err) == 0);
    bool found;
    static const struct {
        const char *lang, *text;  /* input */
        bool found;               /* expected */
    } cases[] = {
        {"en", "a class act", false},
        {"en", "Kiss my ASS!", true},
        {"en", "ass", true},
        {"en", "two words here", true},
        {"en", "twowords", false},
        {"en", "sm is allow-listed", false},
        {"en", "so \xf0\x9f\x96\x95 to you", true},
        /* (?:\W|^) before it: "o" is \w, even before an emoji */
        {"en", "so\xf0\x9f\x96\x95", false},
        {"en", "so!\xf0\x9f\x96\x95!", true},
        {"zh", "\xe4\xbd\xa0\xe6\x98\xaf\xe5\x9d\x8f\xe8\x9b\x8b", true},
        {"zh", "\xe6\x80\xa7\xe5\x88\xab", false},
        {"xx", "ass", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK(th_badwords_check(bw, cases[i].lang, cases[i].text,
                                strlen(cases[i].text), arena, &found,
                                &err) == 0);
        if (found != cases[i].found) {
            printf("#   %s '%s': got %d\n", cases[i].lang, cases[i].text,
                   found);
            CHECK(0);
        }
    }
    th_badwords_free(bw);
    /* a list that is not a JSON array of strings: an error naming the
     * file and the byte, not a language silently left unfiltered */
    snprintf(path, sizeof(path), "%s/de.json", dir);
    f = fopen(path, "w");
    fputs("[\"gut\", 7]\n", f);
    fclose(f);
    CHECK(th_badwords_new(&bw, dir, &err) == 0);
    CHECK(th_badwords_load_all(bw, &err) == TH_EFORMAT);
    CHECK(strstr(err.msg, "de.json: byte 8") != NULL);
    th_badwords_free(bw);
    unlink(path);
    snprintf(path, sizeof(path), "%s/en.json", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/zh.json", dir);
    unlink(path);
    rmdir(dir);
}

/* `thresh filter` end to end: drop mode, --rejects, --annotate, --pii. */
static void cli_filter_command(void)
{
    const char *bin = getenv("THRESH_BIN");
    if (!bin) {
        printf("# THRESH_BIN not set\n");
        CHECK(bin != NULL);
        return;
    }
    char *in = write_tmp(
        "{\"id\":\"a\",\"text\":\"too short\"}\n"
        "{\"id\":\"b\",\"text\":\"Mail bob@corp.example.com now.\"}\n");
    char cmd[1024], line[8192];
    snprintf(cmd, sizeof(cmd), "%s filter -q --rejects %s.rej %s", bin, in,
             in);
    FILE *p = popen(cmd, "r");
    int kept = 0;
    while (p && fgets(line, sizeof(line), p))
        kept++;
    CHECK(p && pclose(p) == 0);
    CHECK_EQ_INT(kept, 0);
    snprintf(cmd, sizeof(cmd), "%s.rej", in);
    FILE *r = fopen(cmd, "r");
    int rejected = 0, reasons = 0;
    while (r && fgets(line, sizeof(line), r)) {
        rejected++;
        reasons += strstr(line, "\"filter_reason\":\"top_2_gram\"") != NULL;
    }
    if (r)
        fclose(r);
    CHECK_EQ_INT(rejected, 2);
    CHECK(reasons >= 1);
    unlink(cmd);
    snprintf(cmd, sizeof(cmd), "%s filter -q --annotate --pii %s", bin, in);
    p = popen(cmd, "r");
    int annotated = 0, redacted = 0;
    while (p && fgets(line, sizeof(line), p)) {
        annotated += strstr(line, "\"qs_word_count\"") != NULL &&
                     strstr(line, "\"filter_would_drop\"") != NULL;
        redacted += strstr(line, "|||EMAIL_ADDRESS|||") != NULL;
    }
    CHECK(p && pclose(p) == 0);
    CHECK_EQ_INT(annotated, 2);
    CHECK_EQ_INT(redacted, 1);
    snprintf(cmd, sizeof(cmd), "%s filter --preset nope %s 2>/dev/null", bin,
             in);
    p = popen(cmd, "r");
    while (p && fgets(line, sizeof(line), p))
        ;
    CHECK(p && pclose(p) != 0);
    unlink(in);
    free(in);
}

/* Two ways of gathering Gopher quality's token statistics agree. */
static void check_same_token_stats(const struct th_ft_token_stats *a,
                                   const struct th_ft_token_stats *b)
{
    CHECK_EQ_INT(a->n_non_symbol, b->n_non_symbol);
    CHECK_EQ_INT(a->non_symbol_chars, b->non_symbol_chars);
    CHECK_EQ_INT(a->n_alpha, b->n_alpha);
    CHECK_EQ_INT(a->stop_count, b->stop_count);
    CHECK_EQ_INT(a->stop_seen, b->stop_seen);
}

/*
 * Gopher quality's batch of short ASCII tokens (AVX2 on CPUs that have it)
 * gives the counts of the one-token path: random tokens of 0 to 8 bytes
 * from letters, digits, punctuation, blanks, NUL and the stop words.
 */
static void quality_batch_matches_one_token_path(void)
{
    static const char alphabet[] = "aZz09 \t\n.,;#-'\"!?()[]{}_@~\x01\x1f\x7f";
    static const char *const stops[] = {"the", "be", "to", "of", "and",
                                        "that", "have", "with", "The", "thes"};
    enum { N = 4099 };
    uint64_t *xs = malloc(N * sizeof(*xs)), *lens = malloc(N * sizeof(*lens));
    CHECK(xs && lens);
    uint64_t state = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 50 && xs && lens; round++) {
        size_t n = (size_t)round * 83 % N + 1;
        for (size_t k = 0; k < n; k++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            unsigned r = (unsigned)(state >> 33);
            size_t len = r % 9;
            uint8_t b[8] = {0};
            if (r % 7 == 0) {
                const char *w = stops[(r >> 8) % 10];
                len = strlen(w);
                memcpy(b, w, len);
            } else {
                for (size_t j = 0; j < len; j++) {
                    r = r * 1103515245u + 12345u;
                    b[j] = (uint8_t)(r >> 16 & 7 ? alphabet[(r >> 8) %
                                                          (sizeof(alphabet) - 1)]
                                                 : (r >> 20) % 4 == 0 ? 0 : 'e');
                }
            }
            uint64_t x = 0;
            for (size_t j = 0; j < len; j++)
                x |= (uint64_t)b[j] << (8 * j);
            xs[k] = x;
            lens[k] = len;
        }
        struct th_ft_token_stats one = {0}, batch = {0};
        for (size_t k = 0; k < n; k++)
            th_ft_quality_add_ascii(&one, xs[k], (size_t)lens[k]);
        th_ft_quality_add_ascii_batch(&batch, xs, lens, n);
        check_same_token_stats(&one, &batch);
        if (th_test_failed)
            break;
    }
    free(xs);
    free(lens);
}

/*
 * th_ft_quality_add_padded (one block for plainly valid UTF-8 words with
 * an ASCII letter) counts as th_ft_quality_add_token: random words of 1 to
 * 20 bytes from letters, punctuation, valid and broken UTF-8 sequences,
 * each followed by 16 readable bytes.
 */
static void quality_padded_matches_general_path(void)
{
    static const char *const parts[] = {
        "a", "Z", "7", ".", "'", "-", "\xc3\xa9", "\xe2\x80\x99",
        "\xe2\x80\x94", "\xf0\x9f\x98\x80", "\xd0\xb6", "\xc3",
        "\xa9", "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
        "\xe4\xb8\xad", "\xc2\xa0", "\xef\xbc\x8c", "\xe2\x80",
        "\xf0\x9f\x98"};
    uint8_t buf[64];
    uint64_t state = 12345;
    for (int round = 0; round < 200000; round++) {
        size_t len = 0;
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        size_t want = (size_t)(state >> 60) + 1;
        while (len < want) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            const char *p = parts[(state >> 33) % (sizeof(parts) /
                                                   sizeof(parts[0]))];
            size_t l = strlen(p);
            if (len + l > 20)
                break;
            memcpy(buf + len, p, l);
            len += l;
        }
        if (!len)
            continue;
        memset(buf + len, (int)(state >> 24) & 0xff, 16 + 20 - len);
        struct th_slice w = {(const char *)buf, len};
        for (int terminal = 0; terminal < 2; terminal++) {
            struct th_ft_token_stats a = {0}, b = {0};
            th_ft_quality_add_token(&a, w, terminal);
            th_ft_quality_add_padded(&b, w, terminal, 16);
            check_same_token_stats(&a, &b);
        }
        if (th_test_failed)
            break;
    }
}

/*
 * Gopher repetition's pass over the text (16-byte blocks, or 64 with
 * AVX-512BW: ASCII, plainly valid UTF-8 with characters cut at a block's
 * end, and blocks that need decoding) against plain references: Python
 * len() (th_ft_count_chars), splitlines() (th_ft_next_line), paragraphs
 * of text.strip(), count("#"), count("...") + count("…") and Gopher
 * quality's bullet and ellipsis lines, on random texts of every line
 * break, valid and broken UTF-8 around long ASCII runs, each in a buffer
 * of its exact size.
 */
static void text_pass_matches_plain_references(void)
{
    static const char *const bits[] = {
        "the quick brown fox jumps over the lazy dog ", "abc", " ", "  ",
        "\n", "\n\n", "\r\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "#",
        ".", "..", "...", "....", "\xe2\x80\xa6", "\xe2\x80\xa8",
        "\xe2\x80\xa9", "\xc2\x85", "\xc2\xa0", "\xc3\xa9", "\xe4\xb8\xad",
        "\xf0\x9f\x98\x80", "\xe0\xa0\x80", "\xe0\x80\x80", "\xed\xa0\x80",
        "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\x80",
        "\xe2\x80", "\xc2", "\xf0\x9f\x98", "\xff", "\xe2\x80\xa2 ", "- ",
        "\xe3\x80\x80", "\xe1\x9a\x80",
    };
    enum { NB = sizeof(bits) / sizeof(bits[0]) };
    uint64_t state = 0x243f6a8885a308d3ull;
    int bad = 0;
    static char text[4096];
    for (int doc = 0; doc < 3000 && bad < 5; doc++) {
        size_t tl = 0, target = (size_t)(doc * 37 % 1500);
        /* mostly one kind of piece per document, so that runs of ASCII,
         * of multi-byte characters and of line breaks all fill blocks */
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        size_t favour = (size_t)(state >> 40) % NB;
        while (tl < target) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            unsigned r = (unsigned)(state >> 33);
            const char *b = bits[r % 3 ? favour : (r >> 4) % NB];
            size_t bl = strlen(b);
            if (tl + bl >= sizeof(text))
                break;
            memcpy(text + tl, b, bl);
            tl += bl;
        }
        char *t = malloc(tl ? tl : 1);
        if (!t)
            break;
        memcpy(t, text, tl);
        setup();
        struct th_gopher_repetition_opts o;
        th_gopher_repetition_opts_init(&o, TH_PRESET_FINEWEB_V1);
        struct th_gopher_repetition_stats st;
        struct th_ft_line_stats ql = {0};
        const char *reason;
        struct th_error err;
        CHECK(th_ft_repetition_text(&o, t, tl, arena, true, &st, &reason,
                                    &ql, &err) == 0);
        size_t want_chars = th_ft_count_chars(t, tl);
        size_t n_lines = 0, pos = 0, ls, le, bounds_bad = 0;
        struct th_ft_line_stats ref = {0};
        while (th_ft_next_line(t, tl, &pos, &ls, &le)) {
            if (ql.done && (n_lines >= ql.n_lines ||
                            ql.bounds[2 * n_lines] != ls ||
                            ql.bounds[2 * n_lines + 1] != le))
                bounds_bad++;
            th_ft_quality_line_ends(&ref, t, ls, le);
            n_lines++;
        }
        size_t hashes = 0, ellipses = 0;
        for (size_t i = 0; i < tl; i++) {
            hashes += t[i] == '#';
            if (i + 3 <= tl && !memcmp(t + i, "\xe2\x80\xa6", 3))
                ellipses++;
            if (t[i] == '.' && (i == 0 || t[i - 1] != '.')) {
                size_t q = i;
                while (q < tl && t[q] == '.')
                    q++;
                ellipses += (q - i) / 3;
            }
        }
        size_t s0 = 0, e0 = tl, n_paras = 0;
        th_ft_strip(t, &s0, &e0);
        static char *pieces[4096];
        n_paras = naive_split(t + s0, e0 - s0, 2, pieces);
        for (size_t i = 0; i < n_paras; i++)
            free(pieces[i]);
        size_t got[] = {st.len_text, st.n_lines, st.n_paragraphs,
                        ql.n_lines, ql.hashes, ql.ellipses, ql.bullets,
                        ql.end_ellipsis, bounds_bad};
        size_t want[] = {want_chars, n_lines, n_paras, n_lines, hashes,
                         ellipses, ref.bullets, ref.end_ellipsis, 0};
        CHECK(ql.done);
        for (size_t k = 0; k < sizeof(got) / sizeof(got[0]); k++)
            if (got[k] != want[k] && bad++ < 5)
                printf("#   doc %d (%zu bytes) statistic %zu: got %zu want "
                       "%zu\n", doc, tl, k, got[k], want[k]);
        free(t);
    }
    CHECK_EQ_INT(bad, 0);
}

/*
 * Words followed by readable padding take other paths (whole 8-byte
 * loads; with AVX-512, 8 tokens of 1 to 16 bytes at a time): the same
 * n-gram statistics and decisions as unpadded words, and the same Gopher
 * quality counts as the general one-token path. Random documents of 1 to
 * 400 tokens (every group size and tail) from ASCII, UTF-8, long, stop and
 * spaced words, each copy followed by 16 random bytes.
 */
static void padded_words_match_unpadded(void)
{
    static const char *const vocab[] = {
        "a", "of", "the", "and", "cat", "sat", ".", ",", "...", "#", "mat",
        "thecat", "zzzzzzzz", "abcdefghi", "abcdefghijklmnop",
        "abcdefghijklmnopq", "caf\xc3\xa9", "\xc3\xa9t\xc3\xa9",
        "na\xc3\xafvet\xc3\xa9s", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
        "\xe2\x80\x94", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9", "'s", "n't", "a b", "U.S", "U.S.",
        "Stra\xc3\x9f" "e", "x7", "2024", "\t", "--\n", "--------\t-",
        "(%)", "--------", "---------!",
        /* UTF-8: valid or not, letters or not, characters cut by the
         * token's end or by byte 16 */
        "\xc3", "x\xc3", "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
        "\xf0\x9f\x98\x80", "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
        "\xc2\xab", "\xc2\xa0", "\xe2\x80\x93", "abcdefghijklmno\xc3",
        "abcdefghijklmn\xc3\xa9", "abcdefghijklm\xe2\x80\x94",
        "\xe0\xa4\x95\xe0\xa4\xbe", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3",
        "\x80" "abc", "ab\xff", "\xc1\xbf", "\xf0\x90\x8c\x80x", "x\xed\xa0\x80",
        "x\xe0\x80\x80", "x\xf4\x90\x80\x80", "x\xf0\x80\x80\x80",
    };
    enum { NV = sizeof(vocab) / sizeof(vocab[0]) };
    struct th_gopher_repetition_opts o;
    th_gopher_repetition_opts_init(&o, TH_PRESET_FINEWEB_V1);
    static struct th_slice w[400], pw[400];
    static char text[400 * 40];
    static uint8_t pad[400 * 48];
    uint64_t state = 99;
    for (int doc = 0; doc < 400 && !th_test_failed; doc++) {
        setup();
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        size_t n = 1 + (size_t)(state >> 33) % 400;
        bool spaces = doc % 5 == 0;
        size_t tl = 0, po = 0;
        for (size_t i = 0; i < n; i++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            size_t v = (size_t)(state >> 40) % NV;
            if (!spaces && strchr(vocab[v], ' '))
                v = 0;
            if (doc % 2 && i >= 6 && (state >> 20) % 3 == 0)
                w[i] = w[i - 6];
            else
                w[i] = (struct th_slice){vocab[v], strlen(vocab[v])};
            memcpy(text + tl, w[i].ptr, w[i].len);
            tl += w[i].len;
            text[tl++] = ' ';
            memcpy(pad + po, w[i].ptr, w[i].len);
            pw[i] = (struct th_slice){(const char *)pad + po, w[i].len};
            po += w[i].len;
            for (int k = 0; k < 16; k++) {
                state = state * 6364136223846793005ull + 1ull;
                pad[po++] = (uint8_t)(state >> 56);
            }
        }
        struct th_gopher_repetition_stats a, b, c;
        const char *ra = NULL, *rb = NULL, *rc = NULL, *rt;
        struct th_error err;
        CHECK(th_ft_repetition_text(&o, text, tl, arena, true, &a, &rt, NULL,
                                    &err) == 0);
        b = c = a;
        CHECK(th_ft_repetition_words(&o, w, n, 0, arena, true, &a, &ra,
                                     &err) == 0);
        CHECK(th_ft_repetition_words(&o, pw, n, 16, arena, true, &b, &rb,
                                     &err) == 0);
        for (int t = 0; t < TH_GOPHER_TOP_NGRAMS; t++)
            CHECK_EQ_INT(a.top_ngram_chars[t], b.top_ngram_chars[t]);
        for (int d = 0; d < TH_GOPHER_DUP_NGRAMS; d++)
            CHECK_EQ_INT(a.dup_ngram_chars[d], b.dup_ngram_chars[d]);
        CHECK_EQ_STR(ra ? ra : "keep", rb ? rb : "keep");
        /* the decision with Gopher quality's counts gathered on the way */
        struct th_ft_token_stats q = {0}, ref = {0};
        for (size_t i = 0; i < n; i++)
            th_ft_quality_add_token(&ref, w[i], false);
        CHECK(th_ft_repetition_words_quality(&o, pw, n, 16, arena, &c, &rc,
                                             &q, false, &err) == 0);
        check_same_token_stats(&ref, &q);
        CHECK_EQ_STR(ra ? ra : "keep", rc ? rc : "keep");
    }
}

static const struct th_test tests[] = {
    {"quality_padded_matches_general_path",
     quality_padded_matches_general_path},
    {"quality_batch_matches_one_token_path",
     quality_batch_matches_one_token_path},
    {"repetition_counts_python_splitlines",
     repetition_counts_python_splitlines},
    {"top_ngram_ties_go_to_first_seen", top_ngram_ties_go_to_first_seen},
    {"joined_ngrams_with_spaces_inside_tokens",
     joined_ngrams_with_spaces_inside_tokens},
    {"concatenated_ngrams_match_across_token_boundaries",
     concatenated_ngrams_match_across_token_boundaries},
    {"ngram_statistics_match_naive_reference",
     ngram_statistics_match_naive_reference},
    {"padded_words_match_unpadded", padded_words_match_unpadded},
    {"line_duplicates_match_naive_reference",
     line_duplicates_match_naive_reference},
    {"text_pass_matches_plain_references",
     text_pass_matches_plain_references},
    {"gopher_quality_rules_in_order", gopher_quality_rules_in_order},
    {"c4_rewrites_lines", c4_rewrites_lines},
    {"c4_lazy_count_same_text", c4_lazy_count_same_text},
    {"fineweb_inclusive_thresholds", fineweb_inclusive_thresholds},
    {"fineweb_list_ratio_with_nbsp_runs", fineweb_list_ratio_with_nbsp_runs},
    {"chain_list_ratio_near_threshold", chain_list_ratio_near_threshold},
    {"chain_char_dup_ratio_near_threshold",
     chain_char_dup_ratio_near_threshold},
    {"config_reads_presets_and_thresholds",
     config_reads_presets_and_thresholds},
    {"annotate_keeps_and_records_signals",
     annotate_keeps_and_records_signals},
    {"annotate_word_signals_of_the_document",
     annotate_word_signals_of_the_document},
    {"url_filter_ut1_lists_and_words", url_filter_ut1_lists_and_words},
    {"badwords_word_boundaries", badwords_word_boundaries},
    {"cli_filter_command", cli_filter_command},
};

TH_TEST_MAIN(tests)
