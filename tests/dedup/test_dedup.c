/* Unit tests for lib/dedup: simplification, shingles, MinHash, LSH. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "thresh/dedup.h"
#include "../test.h"
#include "../../lib/dedup/sort_u64.h"

static void check_simplify(const char *in, const char *want)
{
    struct th_buf b;
    th_buf_init(&b, 0);
    CHECK(th_dedup_simplify(in, strlen(in), &b) == 0);
    CHECK_EQ_MEM(b.ptr ? b.ptr : "", b.len, want, strlen(want));
    th_buf_release(&b);
}

static void simplify_follows_fineweb(void)
{
    check_simplify("Hello, World!", "hello world");
    check_simplify("  a\t\tb \n\n c  ", "a b c");
    check_simplify("Call 555-1234 now", "call 0 0 now");
    check_simplify("x2024y", "x0y");
    check_simplify("3.14159", "0 0");
    check_simplify("Caf\xc3\xa9 na\xc3\xafve \xc3\x85ngstr\xc3\xb6m",
                   "cafe naive angstrom");
    check_simplify("\xc3\x89" "COLE", "ecole");
    check_simplify("e\xcc\x81t\xc3\xa9", "ete");           /* combining */
    check_simplify("\xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x80\x94 dash",
                   "quoted dash");
    check_simplify("soft\xc2\xadhyphen", "softhyphen");
    check_simplify("\xd9\xa1\xd9\xa2 arabic digits", "0 arabic digits");
    check_simplify("\xce\x91\xce\x98\xce\x97\xce\x9d\xce\x91",
                   "\xce\xb1\xce\xb8\xce\xb7\xce\xbd\xce\xb1");
    check_simplify("bad\xff\xfe" "bytes", "badbytes");
    check_simplify("", "");
    check_simplify("!!! ... ???", "");
    check_simplify("snake_case a+b", "snake case a b");
}

static uint64_t key_of(const char *t)
{
    struct th_buf b;
    th_buf_init(&b, 0);
    th_dedup_simplify(t, strlen(t), &b);
    uint64_t h = th_dedup_text_hash(b.ptr, b.len);
    th_buf_release(&b);
    return h;
}

static void text_hash_ignores_spacing(void)
{
    CHECK(key_of("the quick  brown\n\nFox ") == key_of(" the quick brown fox"));
    CHECK(key_of("The quick brown fox.") == key_of("the quick brown fox"));
    CHECK(key_of("the quick brown fox") != key_of("the quick brown fix"));
    CHECK(key_of("ab") != key_of("a b"));
    CHECK(key_of("") != 0);
}

static void url_hash_normalizes(void)
{
#define U(s) th_dedup_url_hash(s, strlen(s))
    CHECK(U("http://www.Example.com/a/") == U("https://example.com/a"));
    CHECK(U("https://example.com:443/a#frag") == U("https://example.com/a"));
    CHECK(U("https://example.com/a?x=1") != U("https://example.com/a"));
    CHECK(U("https://example.com/A") != U("https://example.com/a"));
    CHECK(U("https://example.org/a") != U("https://example.com/a"));
    CHECK(U("") == 0);
    CHECK(U("   ") == 0);
#undef U
}

static struct th_minhash *default_minhash(void)
{
    struct th_minhash_params p;
    th_minhash_params_default(&p);
    struct th_minhash *mh = NULL;
    struct th_error err = {0};
    CHECK(th_minhash_new(&mh, &p, &err) == 0);
    return mh;
}

static void shingles_are_word_ngrams(void)
{
    struct th_minhash *mh = default_minhash();
    struct th_buf b;
    th_buf_init(&b, 0);
    const char *t = "a b c d e f g";
    CHECK(th_minhash_shingles(mh, t, strlen(t), false, &b) == 0);
    CHECK_EQ_INT(b.len / 8, 3);
    const uint64_t *v = (const uint64_t *)(void *)b.ptr;
    CHECK(v[0] != v[1] && v[1] != v[2] && v[0] != v[2]);
    uint64_t first = v[0], second = v[1];
    th_buf_reset(&b);
    const char *t2 = "z a b c d e f";
    CHECK(th_minhash_shingles(mh, t2, strlen(t2), false, &b) == 0);
    CHECK_EQ_INT(b.len / 8, 3);
    CHECK(v[1] == first && v[2] == second);
    th_buf_reset(&b);
    const char *t3 = "a b c e d";
    CHECK(th_minhash_shingles(mh, t3, strlen(t3), false, &b) == 0);
    CHECK(v[0] != first);
    th_buf_reset(&b);
    CHECK(th_minhash_shingles(mh, "a b", 3, false, &b) == 0);
    CHECK_EQ_INT(b.len / 8, 1);
    th_buf_reset(&b);
    CHECK(th_minhash_shingles(mh, "", 0, false, &b) == 0);
    CHECK_EQ_INT(b.len, 0);
    th_buf_reset(&b);
    const char *r = "x y z w v x y z w v x y z w v";
    CHECK(th_minhash_shingles(mh, r, strlen(r), true, &b) == 0);
    CHECK_EQ_INT(b.len / 8, 5);
    th_buf_release(&b);
    th_minhash_free(mh);
}

/* Two sets of 1000 shingles sharing `common`; the estimate must be close. */
static void estimates_jaccard(void)
{
    struct th_minhash *mh = default_minhash();
    size_t n = th_minhash_n_hashes(mh);
    CHECK_EQ_INT(n, 112);
    uint64_t a[1000], b[1000];
    uint32_t sa[112], sb[112];
    double sum_err = 0, max_err = 0;
    int trials = 0;
    for (int common = 100; common <= 1000; common += 100) {
        for (int rep = 0; rep < 5; rep++) {
            for (int i = 0; i < 1000; i++) {
                uint64_t k = (uint64_t)rep << 32 | (uint64_t)common << 16;
                a[i] = th_hash64(&(uint64_t){k + (uint64_t)i}, 8, 1);
                b[i] = i < common ? a[i]
                                  : th_hash64(&(uint64_t){k + (uint64_t)i}, 8,
                                              2);
            }
            th_minhash_sign(mh, a, 1000, sa);
            th_minhash_sign(mh, b, 1000, sb);
            double truth = common / (2000.0 - common);
            double est = th_minhash_estimate(sa, sb, n);
            double e = fabs(est - truth);
            sum_err += e;
            max_err = e > max_err ? e : max_err;
            trials++;
        }
    }
    /* standard error at 112 hashes is at most 0.047 */
    printf("# mean abs error %.4f max %.4f\n", sum_err / trials, max_err);
    CHECK(sum_err / trials < 0.045);
    CHECK(max_err < 0.2);
    th_minhash_sign(mh, a, 0, sa);
    CHECK(sa[0] == UINT32_MAX && sa[111] == UINT32_MAX);
    th_minhash_free(mh);
}

/* The SIMD kernel this CPU uses and the portable one agree exactly. */
static void kernels_agree(void)
{
    struct th_minhash_params p;
    th_minhash_params_default(&p);
    p.n_bands = 9;                   /* 117 values: not a multiple of 16 */
    p.n_rows = 13;
    struct th_minhash *fast = NULL, *slow = NULL;
    CHECK(th_minhash_new(&fast, &p, NULL) == 0);
    p.portable = true;
    CHECK(th_minhash_new(&slow, &p, NULL) == 0);
    static uint64_t sh[1000];
    for (int i = 0; i < 1000; i++)
        sh[i] = th_hash64(&i, sizeof(i), 9);
    uint32_t a[117], b[117];
    size_t sizes[] = {1, 7, 255, 256, 257, 1000};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        th_minhash_sign(fast, sh, sizes[k], a);
        th_minhash_sign(slow, sh, sizes[k], b);
        CHECK(memcmp(a, b, sizeof(a)) == 0);
    }
    th_minhash_free(fast);
    th_minhash_free(slow);
}

static void bands_collide_only_when_rows_match(void)
{
    struct th_minhash *mh = default_minhash();
    uint32_t s1[112], s2[112];
    for (int i = 0; i < 112; i++)
        s1[i] = s2[i] = (uint32_t)i * 7919u;
    s2[9] = 1;                       /* band 1 differs */
    uint64_t b1[14], b2[14];
    th_minhash_bands(mh, s1, b1);
    th_minhash_bands(mh, s2, b2);
    CHECK(b1[0] == b2[0]);
    CHECK(b1[1] != b2[1]);
    for (int i = 2; i < 14; i++)
        CHECK(b1[i] == b2[i]);
    CHECK(b1[2] != b1[3] || s1[16] != s1[24]);
    th_minhash_free(mh);
}

static void chooses_bands_for_threshold(void)
{
    unsigned b, r;
    th_minhash_choose_bands(0.8, 112, &b, &r);
    printf("# 0.8 / 112 -> %u x %u\n", b, r);
    CHECK(b * r <= 112);
    CHECK_EQ_INT(b, 14);
    CHECK_EQ_INT(r, 8);
    CHECK(th_minhash_candidate_probability(0.9, b, r) > 0.95);
    CHECK(th_minhash_candidate_probability(0.5, b, r) < 0.1);
    unsigned b2, r2;
    th_minhash_choose_bands(0.5, 112, &b2, &r2);
    CHECK(r2 < r);
    double p = th_minhash_candidate_probability(0.8, 14, 8);
    CHECK(p > 0.92 && p < 0.93);
    struct th_minhash_params bad = {0, 8, 5, 1, false};
    struct th_minhash *mh = NULL;
    struct th_error err = {0};
    CHECK(th_minhash_new(&mh, &bad, &err) == TH_EINVAL);
    CHECK(strstr(err.msg, "geometry") != NULL);
}

static void jaccard_of_sorted_sets(void)
{
    uint64_t a[] = {1, 3, 5, 7}, b[] = {3, 4, 5, 6, 7};
    CHECK(fabs(th_jaccard_sorted(a, 4, b, 5) - 3.0 / 6.0) < 1e-12);
    CHECK(th_jaccard_sorted(a, 4, a, 4) == 1.0);
    CHECK(th_jaccard_sorted(a, 0, b, 0) == 1.0);
    CHECK(th_jaccard_sorted(a, 4, b, 0) == 0.0);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The inlined hash sort agrees with qsort on awkward inputs. */
static void sort_matches_qsort(void)
{
    static uint64_t a[5000], b[5000];
    uint64_t seed = 1;
    for (int round = 0; round < 40; round++) {
        size_t n = (size_t)(round * 131 % 5000);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t v = seed >> (round % 4 == 0 ? 60 : 1);
            a[i] = b[i] = round % 7 == 0 ? i : (round % 7 == 1 ? n - i : v);
        }
        th_dedup_sort_u64(a, n);
        qsort(b, n, sizeof(*b), cmp_u64);
        CHECK(memcmp(a, b, n * sizeof(*a)) == 0);
        size_t m = th_dedup_sort_unique_u64(a, NULL, n);
        for (size_t i = 1; i < m; i++)
            CHECK(a[i - 1] < a[i]);
        static uint64_t c[5000], tmp[5000];
        memcpy(c, b, n * sizeof(*c));
        for (size_t i = 0; i < n; i++)
            c[i] = b[(i * 7919) % (n ? n : 1)] ^ (i & 1);
        memcpy(a, c, n * sizeof(*a));
        th_dedup_radix_sort_u64(c, tmp, n);
        th_dedup_sort_u64(a, n);
        CHECK(memcmp(a, c, n * sizeof(*a)) == 0);
    }
}

static void unionfind_roots_are_smallest(void)
{
    struct th_unionfind uf;
    CHECK(th_unionfind_init(&uf, 10) == 0);
    th_unionfind_union(&uf, 7, 9);
    th_unionfind_union(&uf, 9, 4);
    th_unionfind_union(&uf, 2, 3);
    CHECK_EQ_INT(th_unionfind_find(&uf, 9), 4);
    CHECK_EQ_INT(th_unionfind_find(&uf, 7), 4);
    CHECK_EQ_INT(uf.size[4], 3);
    th_unionfind_union(&uf, 3, 7);
    CHECK_EQ_INT(th_unionfind_find(&uf, 9), 2);
    CHECK_EQ_INT(uf.size[th_unionfind_find(&uf, 4)], 5);
    CHECK_EQ_INT(th_unionfind_find(&uf, 0), 0);
    th_unionfind_release(&uf);
}

static void line_hashes_are_distinct_and_sorted(void)
{
    struct th_buf s, o;
    th_buf_init(&s, 0);
    th_buf_init(&o, 0);
    const char *t = "Home | About\nbody text\n\nHOME about\n...\nbody  text";
    CHECK(th_dedup_line_hashes(t, strlen(t), &s, &o) == 0);
    CHECK_EQ_INT(o.len / 8, 2);
    const uint64_t *v = (const uint64_t *)(void *)o.ptr;
    CHECK(v[0] < v[1]);
    uint64_t h;
    CHECK(th_dedup_line_hash("home about", 10, &s, &h) == 0);
    CHECK(h == v[0] || h == v[1]);
    CHECK(th_dedup_line_hash(" -- ", 4, &s, &h) == 0 && h == 0);
    th_buf_release(&s);
    th_buf_release(&o);
}

static const struct th_test tests[] = {
    {"simplify_follows_fineweb", simplify_follows_fineweb},
    {"text_hash_ignores_spacing", text_hash_ignores_spacing},
    {"url_hash_normalizes", url_hash_normalizes},
    {"shingles_are_word_ngrams", shingles_are_word_ngrams},
    {"estimates_jaccard", estimates_jaccard},
    {"kernels_agree", kernels_agree},
    {"bands_collide_only_when_rows_match", bands_collide_only_when_rows_match},
    {"chooses_bands_for_threshold", chooses_bands_for_threshold},
    {"jaccard_of_sorted_sets", jaccard_of_sorted_sets},
    {"sort_matches_qsort", sort_matches_qsort},
    {"unionfind_roots_are_smallest", unionfind_roots_are_smallest},
    {"line_hashes_are_distinct_and_sorted",
     line_hashes_are_distinct_and_sorted},
};

TH_TEST_MAIN(tests)
