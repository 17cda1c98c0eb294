/*
 * Quality and scorer parity of lib/html on the shared dev sets (read at run
 * time from ../shared/data, never committed):
 *  - th_score_* gives the figures of ../shared/tools/score.py on the
 *    naive lynx dumps shipped with each set (reference values computed
 *    once with score.py --bootstrap 0 --json);
 *  - th_html_extract reaches the bars of issue 3: F1 >= 0.95 on
 *    extraction-dev (Readability gold) and >= 0.91 on the CleanEval set
 *    (human gold). A quality regression fails this test.
 * Sets that are missing make the cases skip with a diagnostic.
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "thresh/html.h"
#include "../test.h"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (!f)
        return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return NULL;
    }
    char *b = malloc((size_t)st.st_size + 1);
    if (b) {
        *len = fread(b, 1, (size_t)st.st_size, f);
        b[*len] = 0;
    }
    fclose(f);
    return b;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted page names of a set; NULL when the set is missing. */
static char **list_pages(const char *set, size_t *n_out)
{
    DIR *d = opendir(set);
    *n_out = 0;
    if (!d)
        return NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof(path), "%.3000s/%s/expected.txt", set,
                 e->d_name);
        if (e->d_name[0] == '.' || stat(path, &st) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 128;
            names = realloc(names, cap * sizeof(*names));
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);
    *n_out = n;
    return names;
}

static void free_pages(char **pages, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(pages[i]);
    free(pages);
}

/*
 * Score a set: pred_name NULL means "extract source.html now", otherwise
 * the prediction is the file <page>/<pred_name>.
 */
static bool score_set(const char *name, const char *pred_name,
                      struct th_score_summary *out)
{
    char set[4096];
    snprintf(set, sizeof(set), "%.3000s/%s", th_test_shared_data(), name);
    size_t n;
    char **pages = list_pages(set, &n);
    if (!pages) {
        printf("# %s missing: skipped\n", set);
        return false;
    }
    struct th_score_page *res = calloc(n, sizeof(*res));
    struct th_html_extractor *ex;
    struct th_arena *arena;
    CHECK(th_html_extractor_new(&ex, NULL) == 0);
    CHECK(th_arena_new(&arena, 0, 0) == 0);
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        size_t glen, plen, ulen;
        snprintf(path, sizeof(path), "%.3000s/%.500s/expected.txt", set,
                 pages[i]);
        char *gold = read_file(path, &glen);
        struct th_slice pred = {"", 0};
        char *pbuf = NULL;
        if (pred_name) {
            snprintf(path, sizeof(path), "%.3000s/%.500s/%.500s", set,
                     pages[i], pred_name);
            pbuf = read_file(path, &plen);
            if (pbuf)
                pred = (struct th_slice){pbuf, plen};
        } else {
            snprintf(path, sizeof(path), "%.3000s/%.500s/source.html", set,
                     pages[i]);
            char *html = read_file(path, &plen);
            snprintf(path, sizeof(path), "%.3000s/%.500s/url.txt", set,
                     pages[i]);
            char *url = read_file(path, &ulen);
            struct th_html_result r;
            struct th_error err = {0};
            CHECK(html != NULL);
            CHECK(th_html_extract(ex, (const uint8_t *)(html ? html : ""),
                                  plen, (struct th_slice){NULL, 0},
                                  (struct th_slice){url, url ? ulen : 0},
                                  arena, &r, &err) == 0);
            pbuf = malloc(r.text.len + 1);
            memcpy(pbuf, r.text.ptr ? r.text.ptr : "", r.text.len);
            pred = (struct th_slice){pbuf, r.text.len};
            free(html);
            free(url);
        }
        CHECK(th_score_page(gold ? gold : "", glen, pred.ptr, pred.len,
                            &res[i]) == 0);
        free(gold);
        free(pbuf);
        th_arena_reset(arena);
    }
    CHECK(th_score_summarize(res, n, out) == 0);
    printf("# %s %s: n=%zu F1=%.4f P=%.4f R=%.4f median page F1=%.4f\n",
           name, pred_name ? pred_name : "thresh", out->n, out->f1,
           out->precision, out->recall, out->page_f1_median);
    th_arena_free(arena);
    th_html_extractor_free(ex);
    free(res);
    free_pages(pages, n);
    return true;
}

static void scorer_matches_reference(void)
{
    struct th_score_summary s;
    /* score.py --bootstrap 0 on <page>/dirty_lynx.txt. */
    if (score_set("extraction-dev", "dirty_lynx.txt", &s)) {
        CHECK_EQ_INT(s.n, 122);
        CHECK(fabs(s.f1 - 0.7917524493914044) < 1e-9);
        CHECK(fabs(s.precision - 0.6761485968939006) < 1e-9);
        CHECK(fabs(s.recall - 0.9550393846253469) < 1e-9);
        CHECK(fabs(s.page_f1_median - 0.8585082832446873) < 1e-9);
        CHECK(fabs(s.accuracy - 0.1557377049180328) < 1e-9);
    }
    if (score_set("extraction-dev-cleaneval", "dirty_lynx.txt", &s)) {
        CHECK_EQ_INT(s.n, 366);
        CHECK(fabs(s.f1 - 0.8774526869088927) < 1e-9);
        CHECK(fabs(s.precision - 0.8028612068773124) < 1e-9);
        CHECK(fabs(s.recall - 0.9673239147817014) < 1e-9);
        CHECK(fabs(s.page_f1_median - 0.9303737358715739) < 1e-9);
    }
}

static int score_str(const char *gold, const char *pred,
                     struct th_score_page *out)
{
    return th_score_page(gold, strlen(gold), pred, strlen(pred), out);
}

static void scorer_page_rules(void)
{
    struct th_score_page p;
    double pr, rc, f1;
    /* Identical texts: exact, F1 1. */
    CHECK(score_str("a b c d e", "a, b; c d\ne", &p) == 0);
    CHECK(p.exact);
    th_score_page_prf(&p, &pr, &rc, &f1);
    CHECK(f1 == 1.0);
    /* Short texts have one shingle of all their tokens. */
    CHECK(score_str("x y", "x y", &p) == 0);
    th_score_page_prf(&p, &pr, &rc, &f1);
    CHECK(f1 == 1.0);
    /* Empty prediction: precision undefined, recall 0. */
    CHECK(score_str("a b c d", "", &p) == 0);
    th_score_page_prf(&p, &pr, &rc, &f1);
    CHECK(pr < 0 && rc == 0 && f1 == 0);
    CHECK(p.pred_empty);
    /* Both empty: F1 1, nothing defined. */
    CHECK(score_str("", "...", &p) == 0);
    th_score_page_prf(&p, &pr, &rc, &f1);
    CHECK(pr < 0 && rc < 0 && f1 == 1.0);
    /* Unicode letters are word characters, punctuation is not. */
    CHECK(score_str("caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac x_1",
                    "caf\xc3\xa9\xe2\x80\x94na\xc3\xafve \xe6\x97\xa5"
                    "\xe6\x9c\xac x_1", &p) == 0);
    CHECK(p.exact);
    /* Half of the shingles right: tp = 1/3 of the normalised counts. */
    CHECK(score_str("a b c d e", "a b c d f", &p) == 0);
    CHECK(fabs(p.tp - 1.0 / 3.0) < 1e-12);
}

static void quality_extraction_dev(void)
{
    struct th_score_summary s;
    if (!score_set("extraction-dev", NULL, &s))
        return;
    CHECK(s.f1 >= 0.95);
    CHECK(s.page_f1_median >= 0.99);
    CHECK_EQ_INT(s.n_empty, 0);
}

static void quality_cleaneval(void)
{
    struct th_score_summary s;
    if (!score_set("extraction-dev-cleaneval", NULL, &s))
        return;
    CHECK(s.f1 >= 0.91);
    CHECK(s.page_f1_median >= 0.95);
}

static const struct th_test tests[] = {
    {"scorer_page_rules", scorer_page_rules},
    {"scorer_matches_reference", scorer_matches_reference},
    {"quality_extraction_dev", quality_extraction_dev},
    {"quality_cleaneval", quality_cleaneval},
};

TH_TEST_MAIN(tests)
