/* Unit tests for the streaming "dedup" stage. */
#include <stdio.h>
#include <string.h>

#include "thresh/dedup.h"
#include "thresh/stage.h"
#include "../test.h"

extern const struct th_stage_type th_stage_dedup;

struct harness {
    struct th_config *cfg;       /* options */
    void *shared;                /* stage shared object */
    void *workers[3];            /* worker states */
    struct th_arena *arena;      /* per-run arena (tests are small) */
};

static int setup(struct harness *h, const char *const *opts)
{
    struct th_error err = {0};
    memset(h, 0, sizeof(*h));
    if (th_config_new(&h->cfg) < 0)
        return -1;
    for (; opts && *opts; opts++)
        th_config_set_pair(h->cfg, *opts);
    if (th_stage_dedup.shared_new(&h->shared, h->cfg, &err) < 0) {
        printf("# %s\n", err.msg);
        return -1;
    }
    for (int i = 0; i < 3; i++)
        if (th_stage_dedup.create(&h->workers[i], h->shared, h->cfg, &err) < 0)
            return -1;
    return th_arena_new(&h->arena, 0, 0);
}

static void teardown(struct harness *h)
{
    for (int i = 0; i < 3; i++)
        th_stage_dedup.destroy(h->workers[i]);
    th_stage_dedup.shared_free(h->shared);
    th_config_free(h->cfg);
    th_arena_free(h->arena);
}

/*
 * Run docs through the stage: process() on worker (i * stride) % 3 in
 * reverse order (as threads would finish out of order), then
 * process_serial() in input order. Fills verdict[] with the drop reasons.
 */
static void run_docs(struct harness *h, const char *const *texts,
                     const char *const *urls, size_t n, int stride,
                     const char **reasons, const char **dup_of)
{
    struct th_doc docs[32];
    void *priv[32];
    char ids[32][16];
    struct th_error err = {0};
    for (size_t i = 0; i < n; i++) {
        th_doc_init(&docs[i]);
        snprintf(ids[i], sizeof(ids[i]), "d%zu", i);
        docs[i].id = th_slice_from_cstr(ids[i]);
        docs[i].text = th_slice_from_cstr(texts[i]);
        docs[i].url = th_slice_from_cstr(urls ? urls[i] : NULL);
        docs[i].seq = i;
    }
    for (size_t k = n; k-- > 0;) {
        CHECK(th_stage_dedup.process(h->workers[(k * stride) % 3], &docs[k],
                                     h->arena, &err) == 0);
        priv[k] = docs[k].priv;
    }
    for (size_t i = 0; i < n; i++) {
        docs[i].priv = priv[i];
        CHECK(th_stage_dedup.process_serial(h->shared, &docs[i], h->arena,
                                            &err) == 0);
        reasons[i] = docs[i].verdict == TH_DROP ? docs[i].drop_reason : "";
        const struct th_meta *m = th_doc_get_meta(&docs[i], "duplicate_of");
        dup_of[i] = m ? th_arena_memdup(h->arena, m->json.ptr, m->json.len)
                      : "";
    }
}

static const char *const base =
    "The committee met on Tuesday to discuss the new budget for the city "
    "library, which has been underfunded for several years. Members agreed "
    "that the reading rooms need new lighting, that the children's section "
    "should open on Sundays, and that the archive of local newspapers must "
    "be digitized before the paper copies decay any further. A vote on the "
    "final plan is expected next month after a public hearing.";

static void finds_exact_url_and_near(void)
{
    struct harness h;
    CHECK(setup(&h, NULL) == 0);
    char near[2048];
    /* one word changed in ~70: Jaccard of 5-grams about 0.87 */
    snprintf(near, sizeof(near), "%s", base);
    char *w = strstr(near, "Tuesday");
    memcpy(w, "Mondays", 7);
    char spaced[2048];
    snprintf(spaced, sizeof(spaced), "  %s\n", base);
    const char *texts[] = {base, spaced, near, "A different short text.",
                           "Something else entirely, about trains.",
                           "The committee met."};
    const char *urls[] = {"http://a.example/1", "http://a.example/2",
                          "http://a.example/3", "https://www.a.example/1/",
                          "http://b.example/", "http://c.example/"};
    const char *reasons[6], *dup[6];
    run_docs(&h, texts, urls, 6, 1, reasons, dup);
    CHECK_EQ_STR(reasons[0], "");
    CHECK_EQ_STR(reasons[1], "exact_duplicate");
    CHECK_EQ_STR(dup[1], "\"d0\"");
    CHECK_EQ_STR(reasons[2], "near_duplicate");
    CHECK_EQ_STR(dup[2], "\"d0\"");
    CHECK_EQ_STR(reasons[3], "url_duplicate");
    CHECK_EQ_STR(reasons[4], "");
    CHECK_EQ_STR(reasons[5], "");
    teardown(&h);
}

static void below_threshold_is_kept(void)
{
    const char *const opts[] = {"dedup.near_threshold=0.95", NULL};
    struct harness h;
    CHECK(setup(&h, opts) == 0);
    char near[2048];
    snprintf(near, sizeof(near), "%s", base);
    memcpy(strstr(near, "Tuesday"), "Mondays", 7);
    const char *texts[] = {base, near};
    const char *reasons[2], *dup[2];
    run_docs(&h, texts, NULL, 2, 1, reasons, dup);
    CHECK_EQ_STR(reasons[1], "");
    teardown(&h);
}

static void options_are_checked(void)
{
    struct harness h;
    const char *const bad[] = {"dedup.verify=maybe", NULL};
    CHECK(setup(&h, bad) < 0);
    teardown(&h);
    const char *const half[] = {"dedup.bands=10", NULL};
    CHECK(setup(&h, half) < 0);
    teardown(&h);
    const char *const off[] = {"dedup.exact=false", "dedup.near=false",
                               "dedup.url=false", NULL};
    CHECK(setup(&h, off) == 0);
    const char *texts[] = {base, base};
    const char *reasons[2], *dup[2];
    run_docs(&h, texts, NULL, 2, 1, reasons, dup);
    CHECK_EQ_STR(reasons[1], "");
    teardown(&h);
}

/* Decisions do not depend on which worker computed what, nor verify. */
static void independent_of_workers(void)
{
    const char *texts[12];
    static char buf[12][1024];
    for (int i = 0; i < 12; i++) {
        snprintf(buf[i], sizeof(buf[i]), "%s %s", base,
                 i % 3 == 0 ? "" : (i % 3 == 1 ? "extra words here" : "x"));
        static const char *const other[] = {
            "apples grow on trees in the orchard behind the old farm house",
            "the train to the coast leaves every hour from platform nine",
            "quantum computers use qubits that can hold superpositions"};
        if (i % 4 == 3)
            snprintf(buf[i], sizeof(buf[i]), "%s", other[i / 4]);
        texts[i] = buf[i];
    }
    const char *modes[] = {"dedup.verify=jaccard", "dedup.verify=signature"};
    for (int m = 0; m < 2; m++) {
        const char *r1[12], *d1[12], *r2[12], *d2[12];
        const char *const opts[] = {modes[m], NULL};
        struct harness h, h2;
        CHECK(setup(&h2, opts) == 0);
        run_docs(&h2, texts, NULL, 12, 1, r1, d1);
        CHECK(setup(&h, opts) == 0);
        run_docs(&h, texts, NULL, 12, 2, r2, d2);
        int kept = 0;
        for (int i = 0; i < 12; i++) {
            CHECK_EQ_STR(r1[i], r2[i]);
            CHECK_EQ_STR(d1[i], d2[i]);
            kept += r1[i][0] == 0;
        }
        CHECK_EQ_INT(kept, 4);   /* d0 and the three unrelated ones */
        teardown(&h);
        teardown(&h2);
    }
}

static const struct th_test tests[] = {
    {"finds_exact_url_and_near", finds_exact_url_and_near},
    {"below_threshold_is_kept", below_threshold_is_kept},
    {"options_are_checked", options_are_checked},
    {"independent_of_workers", independent_of_workers},
};

TH_TEST_MAIN(tests)
