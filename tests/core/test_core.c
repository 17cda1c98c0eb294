/* Unit tests for lib/core: arena, buf, JSON escaping, config, doc metadata. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/config.h"
#include "thresh/doc.h"
#include "../test.h"

static void arena_aligns_and_resets(void)
{
    struct th_arena *a;
    CHECK(th_arena_new(&a, 1024, 0) == 0);
    char *p = th_arena_alloc(a, 3);
    char *q = th_arena_alloc(a, 5000);   /* larger than a block */
    CHECK(p && q);
    CHECK(((uintptr_t)p & 15) == 0 && ((uintptr_t)q & 15) == 0);
    memset(q, 'x', 5000);
    CHECK(th_arena_used(a) >= 5003);
    th_arena_reset(a);
    CHECK_EQ_INT(th_arena_used(a), 0);
    char *s = th_arena_printf(a, "%s-%d", "doc", 7);
    CHECK_EQ_STR(s, "doc-7");
    th_arena_free(a);
    th_arena_free(NULL);
}

/* Blocks of every size are kept across resets and reused: a stream of
 * documents that each need a large block does not malloc one a document. */
static void arena_reuses_large_blocks(void)
{
    struct th_arena *a;
    CHECK(th_arena_new(&a, 1024, 0) == 0);
    char *big = th_arena_alloc(a, 100000);
    char *small = th_arena_alloc(a, 100);
    CHECK(big && small);
    for (int round = 0; round < 3; round++) {
        th_arena_reset(a);
        /* a freed block would go to the next malloc of its size: this one
         * (so a block the arena did not keep cannot come back by chance) */
        void *hog = malloc(50000);
        CHECK(hog != NULL);
        char *s = th_arena_alloc(a, 100);      /* a default block */
        char *b = th_arena_alloc(a, 90000);    /* fits the large one */
        CHECK(s && b);
        memset(b, 'x', 90000);
#ifndef TH_ARENA_DEBUG
        CHECK(b == big);      /* the smallest spare block that fits */
        CHECK(s != big);      /* default requests take a default block */
#endif
        free(hog);
    }
    th_arena_free(a);
}

static void arena_cap_refuses(void)
{
    struct th_arena *a;
    CHECK(th_arena_new(&a, 256, 1000) == 0);
    CHECK(th_arena_alloc(a, 900) != NULL);
    CHECK(th_arena_alloc(a, 200) == NULL);
    CHECK(th_arena_calloc(a, SIZE_MAX / 2, 4) == NULL);
    th_arena_free(a);
}

static void buf_caps_and_grows(void)
{
    struct th_buf b;
    th_buf_init(&b, 10);
    CHECK(th_buf_append(&b, "hello", 5) == 0);
    CHECK(th_buf_printf(&b, "%d", 1234) == 0);
    CHECK_EQ_STR(b.ptr, "hello1234");
    CHECK(th_buf_append(&b, "xy", 2) == TH_ELIMIT);
    CHECK_EQ_STR(b.ptr, "hello1234");
    th_buf_release(&b);
}

static void json_escapes_and_repairs(void)
{
    struct th_buf b;
    th_buf_init(&b, 0);
    const char in[] = "a\"b\\c\n\x01\xc3\xa9\xff\xe2\x82";
    CHECK(th_buf_append_json_str(&b, in, sizeof(in) - 1) == 0);
    const char want[] = "a\\\"b\\\\c\\n\\u0001\xc3\xa9\xef\xbf\xbd"
                        "\xef\xbf\xbd\xef\xbf\xbd";
    CHECK_EQ_MEM(b.ptr, b.len, want, sizeof(want) - 1);
    th_buf_release(&b);
}

/* Byte-at-a-time reference for th_buf_append_json_str. */
static size_t json_ref(const unsigned char *p, size_t n, char *o)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c >= 0x80) {
            size_t m = th_utf8_seq_len(p + i, n - i);
            if (m) {
                memcpy(o + k, p + i, m);
                k += m;
                i += m;
            } else {
                memcpy(o + k, "\xef\xbf\xbd", 3);
                k += 3;
                i++;
            }
            continue;
        }
        if (c == '"' || c == '\\') {
            o[k++] = '\\';
            o[k++] = (char)c;
        } else if (c == '\n' || c == '\t' || c == '\r' || c == '\b' ||
                   c == '\f') {
            o[k++] = '\\';
            o[k++] = c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' :
                     c == '\b' ? 'b' : 'f';
        } else if (c < 0x20) {
            o[k++] = '\\';
            o[k++] = 'u';
            o[k++] = '0';
            o[k++] = '0';
            o[k++] = hex[c >> 4];
            o[k++] = hex[c & 15];
        } else {
            o[k++] = (char)c;
        }
        i++;
    }
    return k;
}

/* The block-wise escaper agrees with the reference on random strings
 * (all lengths around the 16-byte blocks, specials and UTF-8 of every
 * length, truncated sequences) and across the 64 KiB segment boundary. */
static void json_escape_matches_reference(void)
{
    static const char *atoms[] = {
        "a", "b", " ", "\"", "\\", "\n", "\x01", "\x1f", "\x7f",
        "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xff", "\xe2\x82",
        "\xed\xa0\x80", "\xc0\xaf", "0123456789abcdef",
    };
    size_t n_atoms = sizeof(atoms) / sizeof(atoms[0]);
    unsigned long long seed = 1;
    size_t cap = 70000 * 6 + 64;
    unsigned char *in = malloc(70000 + 16);
    char *want = malloc(cap);
    int bad = 0;
    struct th_buf b;
    th_buf_init(&b, 0);
    for (int round = 0; round < 4000 && !bad; round++) {
        size_t n = 0, target = (size_t)(round % 97);
        if (round == 3999)
            target = 66000;     /* crosses the 64 KiB segment end */
        while (n < target) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            const char *a = atoms[(seed >> 33) % n_atoms];
            size_t l = strlen(a);
            if (n + l > 70000)
                break;
            memcpy(in + n, a, l);
            n += l;
        }
        th_buf_reset(&b);
        CHECK(th_buf_append(&b, "x", 1) == 0);  /* unaligned start */
        CHECK(th_buf_append_json_str(&b, (const char *)in, n) == 0);
        size_t k = json_ref(in, n, want);
        if (b.len != k + 1 || memcmp(b.ptr + 1, want, k) != 0)
            bad = 1;
    }
    CHECK(!bad);
    /* a 3-byte character straddling the segment end stays whole */
    memset(in, 'a', 65535);
    memcpy(in + 65535, "\xe2\x82\xac", 3);
    th_buf_reset(&b);
    CHECK(th_buf_append_json_str(&b, (const char *)in, 65538) == 0);
    CHECK(b.len == 65538 && memcmp(b.ptr + 65535, "\xe2\x82\xac", 3) == 0);
    th_buf_release(&b);
    free(in);
    free(want);
}

static void config_overrides_and_parses(void)
{
    struct th_config *c;
    struct th_error err = {0};
    CHECK(th_config_new(&c) == 0);
    CHECK(th_config_set_pair(c, "langid.threshold=0.65") == 0);
    CHECK(th_config_set_pair(c, "langid.threshold=0.5") == 0);
    CHECK(th_config_set_pair(c, "novalue") == TH_EINVAL);
    double d;
    CHECK(th_config_get_double(c, "langid.threshold", 1, &d, &err) == 0);
    CHECK(d == 0.5);
    int64_t i;
    CHECK(th_config_get_int(c, "langid.threshold", 3, &i, &err) == TH_EINVAL);
    CHECK(strstr(err.msg, "langid.threshold") != NULL);
    bool b;
    CHECK(th_config_get_bool(c, "missing", true, &b, &err) == 0 && b);
    CHECK_EQ_INT(th_config_count(c), 1);
    th_config_free(c);
}

static void doc_meta_replaces_in_place(void)
{
    struct th_arena *a;
    CHECK(th_arena_new(&a, 0, 0) == 0);
    struct th_doc d;
    th_doc_init(&d);
    for (int k = 0; k < 40; k++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", k);
        CHECK(th_doc_set_meta_int(&d, a, key, k) == 0);
    }
    CHECK(th_doc_set_meta_str(&d, a, "k3", "x\"y", 3) == 0);
    CHECK(th_doc_set_meta_double(&d, a, "score", 0.1) == 0);
    CHECK_EQ_INT(d.n_meta, 41);
    const struct th_meta *m = th_doc_get_meta(&d, "k3");
    CHECK(m && m == &d.meta[3]);
    CHECK_EQ_MEM(m->json.ptr, m->json.len, "\"x\\\"y\"", 6);
    m = th_doc_get_meta(&d, "score");
    CHECK_EQ_MEM(m->json.ptr, m->json.len, "0.1", 3);
    th_arena_free(a);
}

static void utf8_validates_and_encodes(void)
{
    static const struct { const char *s; bool ok; } cases[] = {
        {"plain ascii", true}, {"caf\xc3\xa9", true},
        {"\xe2\x82\xac \xf0\x9f\x98\x80", true},
        {"\xc0\xaf", false},            /* overlong '/' */
        {"\xe0\x80\xaf", false},        /* overlong, 3 bytes */
        {"\xed\xa0\x80", false},        /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", false},    /* above U+10FFFF */
        {"\xe2\x82", false},            /* truncated */
        {"\x80", false}, {"\xff", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK(th_utf8_is_valid(cases[i].s, strlen(cases[i].s)) ==
              cases[i].ok);
    char out[4];
    uint32_t cps[] = { 0x41, 0xE9, 0x20AC, 0x1F600, 0x10FFFF };
    for (size_t i = 0; i < 5; i++) {
        size_t n = th_utf8_encode(cps[i], out);
        CHECK(n == (size_t)(i < 1 ? 1 : i < 2 ? 2 : i < 3 ? 3 : 4));
        CHECK(th_utf8_seq_len((const uint8_t *)out, n) == n);
    }
}

/* th_format_double as first written: every precision from 1 until one
 * reads back (the reference for the bisection). */
static int format_double_linear(char *out, size_t cap, double value)
{
    for (int prec = 1; prec <= 17; prec++) {
        int n = snprintf(out, cap, "%.*g", prec, value);
        if (n < 0 || (size_t)n >= cap)
            return TH_ELIMIT;
        if (strtod(out, NULL) == value)
            return n;
    }
    int n = snprintf(out, cap, "%.17g", value);
    return n < 0 || (size_t)n >= cap ? TH_ELIMIT : n;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* One value: the linear search's form with room to spare; at capacities
 * from its length + 1 down to 1, the same form or TH_ELIMIT when it does
 * not fit with its NUL. */
static int format_same(double v)
{
    char a[32], b[32];
    int nb = format_double_linear(b, sizeof(b), v);
    int na = th_format_double(a, sizeof(a), v);
    if (nb < 0 || na != nb || strcmp(a, b) != 0)
        return 0;
    for (size_t cap = (size_t)nb + 1; cap >= (size_t)nb - 1 && cap > 0;
         cap--) {
        memset(a, 'x', sizeof(a));
        na = th_format_double(a, cap, v);
        if ((size_t)nb < cap ? na != nb || strcmp(a, b) != 0
                             : na != TH_ELIMIT || a[0] != 'x')
            return 0;
    }
    return 1;
}

/* The bisection in th_format_double gives what the linear search gave:
 * random bit patterns (NaNs, infinities, subnormals included), ratios of
 * counts (what the quality signals are), integers, powers of two and of
 * ten and their neighbours. */
static void format_double_matches_linear_search(void)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    size_t bad = 0, n = 0;
    for (int k = 0; k < 50000; k++, n++) {
        uint64_t bits = xorshift(&seed);
        double v;
        memcpy(&v, &bits, sizeof(v));
        bad += !format_same(v);
    }
    for (int k = 0; k < 50000; k++, n++) {
        double a = (double)(xorshift(&seed) % 1000000);
        double b = (double)(xorshift(&seed) % 1000000 + 1);
        bad += !format_same(a / b);
        bad += !format_same(-a / b * 1e-3);
    }
    for (int k = -10000; k <= 10000; k++, n++)
        bad += !format_same((double)k);
    for (int e = -1074; e <= 1023; e++, n += 3) {
        double p2 = ldexp(1.0, e);
        bad += !format_same(p2);
        bad += !format_same(nextafter(p2, 0));
        bad += !format_same(nextafter(p2, INFINITY));
    }
    for (int e = -320; e <= 308; e++, n++)
        bad += !format_same(pow(10.0, e));
    /* short mantissas at every exponent around the fixed/scientific
     * switch (the 15-digit shortcut's one case of its own) */
    for (int e = -8; e <= 18; e++)
        for (int k = 1; k < 2000; k += 13, n += 2) {
            bad += !format_same((double)k * pow(10.0, e));
            bad += !format_same(-(double)k / 7 * pow(10.0, e));
        }
    bad += !format_same(0.0) + !format_same(-0.0) + !format_same(NAN) +
           !format_same(INFINITY) + !format_same(-INFINITY) +
           !format_same(DBL_MAX) + !format_same(DBL_MIN) +
           !format_same(DBL_TRUE_MIN);
    printf("# format_double: %zu values, %zu differ from the linear search\n",
           n, bad);
    CHECK_EQ_INT(bad, 0);
}

static const struct th_test tests[] = {
    {"utf8_validates_and_encodes", utf8_validates_and_encodes},
    {"arena_aligns_and_resets", arena_aligns_and_resets},
    {"arena_reuses_large_blocks", arena_reuses_large_blocks},
    {"arena_cap_refuses", arena_cap_refuses},
    {"buf_caps_and_grows", buf_caps_and_grows},
    {"json_escapes_and_repairs", json_escapes_and_repairs},
    {"json_escape_matches_reference", json_escape_matches_reference},
    {"config_overrides_and_parses", config_overrides_and_parses},
    {"doc_meta_replaces_in_place", doc_meta_replaces_in_place},
    {"format_double_matches_linear_search",
     format_double_matches_linear_search},
};

TH_TEST_MAIN(tests)
