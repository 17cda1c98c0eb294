/*
 * Extraction scorer: the metric of the scrapinghub article-extraction-
 * benchmark, identical in its figures to ../shared/tools/score.py.
 *
 * Approach: the text is cut into tokens, the maximal runs of Unicode word
 * characters (general categories L* and N*, plus '_', which is Python's
 * \w for str patterns); bytes that are not valid UTF-8 count as non-word
 * characters, like the U+FFFD Python decodes them to. Each token is hashed
 * (XXH3) and each overlapping 4-token shingle is the order-dependent
 * combination of its token hashes; a text of 1..3 tokens has one shingle
 * made of all of them. The multiset intersection of gold and prediction is
 * a merge of the two sorted hash arrays. Hashing instead of comparing
 * token tuples makes a false match possible in principle (2^-64 per pair)
 * and keeps scoring allocation-light and linear-logarithmic.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "thresh/html.h"
#include "../core/banned.h"

#define SHINGLE 4

static bool is_word_cp(int32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
               (cp >= '0' && cp <= '9') || cp == '_';
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return true;
    default:
        return false;
    }
}

/* Growable array of token hashes. */
struct hashes {
    uint64_t *v;     /* hashes */
    size_t n;        /* in use */
    size_t cap;      /* allocated */
};

static int push(struct hashes *h, uint64_t x)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        uint64_t *p = realloc(h->v, cap * sizeof(*p));
        if (!p)
            return TH_ENOMEM;
        h->v = p;
        h->cap = cap;
    }
    h->v[h->n++] = x;
    return 0;
}

static int tokenize(const char *text, size_t len, struct hashes *out)
{
    const uint8_t *s = (const uint8_t *)text;
    size_t i = 0, start = 0;
    bool in_word = false;
    while (i < len) {
        int32_t cp;
        utf8proc_ssize_t k;
        if (s[i] < 0x80) {
            cp = s[i];
            k = 1;
        } else {
            k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
            if (k < 1) {
                cp = 0xFFFD;
                k = 1;
            }
        }
        bool w = is_word_cp(cp);
        if (w && !in_word) {
            start = i;
            in_word = true;
        } else if (!w && in_word) {
            if (push(out, th_hash64(s + start, i - start, 0)) < 0)
                return TH_ENOMEM;
            in_word = false;
        }
        i += (size_t)k;
    }
    if (in_word && push(out, th_hash64(s + start, len - start, 0)) < 0)
        return TH_ENOMEM;
    return 0;
}

static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    h *= 0xFF51AFD7ED558CCDULL;
    return h ^ (h >> 33);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Replace token hashes by sorted shingle hashes; returns the count. */
static size_t shingles(struct hashes *t)
{
    if (t->n == 0)
        return 0;
    size_t n = t->n < SHINGLE ? 1 : t->n - SHINGLE + 1;
    size_t width = t->n < SHINGLE ? t->n : SHINGLE;
    for (size_t i = 0; i < n; i++) {
        uint64_t h = width;
        for (size_t k = 0; k < width; k++)
            h = mix(h, t->v[i + k]);
        t->v[i] = h;
    }
    qsort(t->v, n, sizeof(uint64_t), cmp_u64);
    return n;
}

int th_score_page(const char *gold, size_t gold_len, const char *pred,
                  size_t pred_len, struct th_score_page *out)
{
    struct hashes g = {0}, p = {0};
    int rc = tokenize(gold, gold_len, &g);
    if (rc == 0)
        rc = tokenize(pred, pred_len, &p);
    if (rc < 0)
        goto out_free;
    memset(out, 0, sizeof(*out));
    out->exact = g.n == p.n &&
                 (g.n == 0 || memcmp(g.v, p.v, g.n * sizeof(*g.v)) == 0);
    out->pred_empty = p.n == 0;
    size_t ng = shingles(&g), np = shingles(&p);
    size_t tp = 0;
    for (size_t i = 0, j = 0; i < ng && j < np;) {
        if (g.v[i] == p.v[j]) {
            tp++;
            i++;
            j++;
        } else if (g.v[i] < p.v[j]) {
            i++;
        } else {
            j++;
        }
    }
    double fp = (double)(np - tp), fn = (double)(ng - tp);
    double sum = (double)tp + fp + fn;
    if (sum > 0) {
        out->tp = (double)tp / sum;
        out->fp = fp / sum;
        out->fn = fn / sum;
    }
out_free:
    free(g.v);
    free(p.v);
    return rc;
}

void th_score_page_prf(const struct th_score_page *page, double *p_out,
                       double *r_out, double *f1_out)
{
    double tp = page->tp, fp = page->fp, fn = page->fn;
    *p_out = tp + fp > 0 ? tp / (tp + fp) : -1;
    *r_out = tp + fn > 0 ? tp / (tp + fn) : -1;
    *f1_out = tp + fp + fn == 0 ? 1.0 : 2 * tp / (2 * tp + fp + fn);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int th_score_summarize(const struct th_score_page *pages, size_t n,
                       struct th_score_summary *out)
{
    memset(out, 0, sizeof(*out));
    out->n = n;
    if (n == 0)
        return 0;
    double *f1s = malloc(n * sizeof(*f1s));
    if (!f1s)
        return TH_ENOMEM;
    double sp = 0, sr = 0, sf = 0, acc = 0;
    size_t np = 0, nr = 0;
    for (size_t i = 0; i < n; i++) {
        double p, r, f;
        th_score_page_prf(&pages[i], &p, &r, &f);
        if (p >= 0) {
            sp += p;
            np++;
        }
        if (r >= 0) {
            sr += r;
            nr++;
        }
        sf += f;
        f1s[i] = f;
        acc += pages[i].exact;
        out->n_empty += pages[i].pred_empty;
    }
    out->precision = np ? sp / (double)np : 0;
    out->recall = nr ? sr / (double)nr : 0;
    double pr = out->precision + out->recall;
    out->f1 = pr > 0 ? 2 * out->precision * out->recall / pr : 0;
    out->accuracy = acc / (double)n;
    out->page_f1_mean = sf / (double)n;
    qsort(f1s, n, sizeof(*f1s), cmp_double);
    out->page_f1_median = n % 2 ? f1s[n / 2]
                                : (f1s[n / 2 - 1] + f1s[n / 2]) / 2;
    free(f1s);
    return 0;
}
