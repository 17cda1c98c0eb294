/*
 * No quadratic behaviour: the four filters (every statistic computed) and
 * PII on one 100 MB line, on 10^6 identical lines and on 10^6 distinct
 * lines. Each input is also run at a tenth of its size; the full size must
 * take at most 40x as long (linear is 10x, cache effects and a shared
 * machine add noise; quadratic would be 100x), and everything must finish
 * within a generous absolute bound. THRESH_SCALE_MB shrinks the long line
 * for slow builds (sanitizers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/filter.h"
#include "../test.h"

static struct th_arena *arena;

/* Words split on spaces and newlines (the filters' complexity is under
 * test here, not the tokenizer's). */
static int split_words(const char *text, size_t len, struct th_arena *a,
                       struct th_slice **words_out, size_t *n_out,
                       struct th_error *err, void *ctx)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += (text[i] != ' ' && text[i] != '\n') &&
             (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\n');
    struct th_slice *w = th_arena_alloc(a, (n + 1) * sizeof(*w));
    if (!w)
        return TH_ENOMEM;
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

static int count_periods(const char *text, size_t len, struct th_arena *a,
                         size_t *n_out, struct th_error *err, void *ctx)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '.';
    *n_out = n ? n : 1;
    return 0;
}

/* Run every filter with full statistics; returns seconds. */
static double run_all(const char *text, size_t len)
{
    struct th_filter_tokenizer tok = {split_words, count_periods, NULL, 0};
    struct th_error err;
    struct th_slice *w, out;
    size_t nw;
    const char *reason;
    th_arena_reset(arena);
    uint64_t t0 = th_now_ns();
    CHECK(split_words(text, len, arena, &w, &nw, &err, NULL) == 0);
    struct th_gopher_repetition_opts ro;
    th_gopher_repetition_opts_init(&ro, TH_PRESET_FINEWEB_V1);
    struct th_gopher_repetition_stats rs;
    CHECK(th_gopher_repetition(&ro, text, len, w, nw, arena, &rs, &reason,
                               &err) == 0);
    struct th_gopher_quality_opts qo;
    th_gopher_quality_opts_init(&qo, TH_PRESET_FINEWEB_V1);
    struct th_gopher_quality_stats qs;
    th_gopher_quality(&qo, text, len, w, nw, &qs, &reason);
    struct th_c4_quality_opts co;
    th_c4_quality_opts_init(&co, TH_PRESET_FINEWEB_V1);
    co.filter_curly_bracket = co.filter_lorem_ipsum = false;
    struct th_c4_quality_stats cs;
    CHECK(th_c4_quality(&co, text, len, &tok, arena, &out, &cs, &reason,
                        &err) == 0);
    struct th_fineweb_quality_opts fo;
    th_fineweb_quality_opts_init(&fo, TH_PRESET_FINEWEB_V1);
    struct th_fineweb_quality_stats fs;
    CHECK(th_fineweb_quality(&fo, text, len, &tok, arena, &fs, &reason,
                             &err) == 0);
    struct th_pii_opts po;
    th_pii_opts_init(&po);
    size_t counts[TH_PII_N_KINDS];
    CHECK(th_pii_redact(&po, text, len, arena, &out, counts, &err) == 0);
    return (double)(th_now_ns() - t0) / 1e9;
}

typedef size_t (*fill_fn)(char *buf, size_t cap, size_t units);

/* One 'unit' = one word of the long line or one line. */
static void check_linear(const char *name, fill_fn fill, size_t units,
                         size_t bytes_per_unit)
{
    if (!arena)
        th_arena_new(&arena, 0, 0);
    size_t cap = units * bytes_per_unit + 64;
    char *buf = malloc(cap);
    CHECK(buf != NULL);
    if (!buf)
        return;
    size_t small = fill(buf, cap, units / 10);
    double ts = run_all(buf, small);
    size_t big = fill(buf, cap, units);
    double tb = run_all(buf, big);
    printf("# %s: %.1f MB in %.2f s, %.1f MB in %.2f s (ratio %.1f)\n",
           name, (double)small / 1e6, ts, (double)big / 1e6, tb,
           ts > 0 ? tb / ts : 0);
    CHECK(tb <= 40 * ts + 0.5);
    CHECK(tb < 300);
    free(buf);
    th_arena_free(arena);
    arena = NULL;
}

/* A long line of words from a cycle of 5,000 distinct words. */
static size_t fill_long_line(char *buf, size_t cap, size_t units)
{
    size_t o = 0;
    for (size_t i = 0; i < units && o + 16 < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "w%04zu%s ", i % 5000,
                              i % 17 == 0 ? "." : "");
    return o;
}

static size_t fill_identical_lines(char *buf, size_t cap, size_t units)
{
    static const char line[] = "The very same line of text, again.\n";
    size_t o = 0;
    for (size_t i = 0; i < units && o + sizeof(line) < cap; i++) {
        memcpy(buf + o, line, sizeof(line) - 1);
        o += sizeof(line) - 1;
    }
    return o;
}

static size_t fill_distinct_lines(char *buf, size_t cap, size_t units)
{
    size_t o = 0;
    for (size_t i = 0; i < units && o + 64 < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o,
                              "Line %zu says something about %zu things.\n",
                              i, i * 7919 % 1000003);
    return o;
}

static void one_long_line(void)
{
    const char *mb = getenv("THRESH_SCALE_MB");
    size_t megabytes = mb ? (size_t)atol(mb) : 100;
    /* a unit is about 6.1 bytes */
    check_linear("one long line", fill_long_line,
                 megabytes * 1000000 / 6, 8);
}

static void million_identical_lines(void)
{
    check_linear("identical lines", fill_identical_lines, 1000000, 40);
}

static void million_distinct_lines(void)
{
    check_linear("distinct lines", fill_distinct_lines, 1000000, 64);
}

static const struct th_test tests[] = {
    {"one_long_line", one_long_line},
    {"million_identical_lines", million_identical_lines},
    {"million_distinct_lines", million_distinct_lines},
};

TH_TEST_MAIN(tests)
