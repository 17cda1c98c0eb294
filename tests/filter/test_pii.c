/*
 * PII detection: a table of real-looking PII and of tricky near-misses
 * (version numbers, dates, prices, ISBNs, coordinates, file names). The test
 * reports precision and recall per kind over the table (docs/filter.md has
 * the figures) and checks replacement, counts and both modes.
 */
#include <stdio.h>
#include <string.h>

#include "thresh/filter.h"
#include "../test.h"

struct pii_case {
    const char *text;        /* input */
    const char *pii;         /* the expected match, NULL for a near-miss */
    int kind;                /* expected kind (when pii != NULL) */
};

static const struct pii_case cases[] = {
    /* e-mail */
    {"write to john.doe@example.com today", "john.doe@example.com", 0},
    {"Contact: John.Doe@Example.COM.", "John.Doe@Example.COM", 0},
    {"mail a+tag@mail.co.uk, please", "a+tag@mail.co.uk", 0},
    {"(info@some-shop.de)", "info@some-shop.de", 0},
    {"user_99@sub.domain.org;", "user_99@sub.domain.org", 0},
    {"the logo@2x.png image", NULL, 0},
    {"follow @handle on the site", NULL, 0},
    {"user@localhost is local", NULL, 0},
    {"price 5@3.50 each", NULL, 0},
    {"git@github", NULL, 0},
    {"a@b.c", NULL, 0},
    {"icon@3x.webp", NULL, 0},
    /* IPv4 */
    {"server at 8.8.8.8 answered", "8.8.8.8", 1},
    {"from 23.45.67.89:8080/path", "23.45.67.89", 1},
    {"(151.101.1.69)", "151.101.1.69", 1},
    {"IP=203.0.114.5.", "203.0.114.5", 1},
    {"private 192.168.1.1 stays", NULL, 1},
    {"loopback 127.0.0.1", NULL, 1},
    {"docs use 203.0.113.7", NULL, 1},
    {"version 1.2.3.4.5 released", NULL, 1},
    {"v10.2.3.4", NULL, 1},
    {"build 2.10.300.4567", NULL, 1},
    {"section 4.3.2.1 of the spec", NULL, 1},
    {"999.1.1.1 is not an address", NULL, 1},
    {"1.2.3 is a version", NULL, 1},
    {"10.0.0.1 internal", NULL, 1},
    /* IPv6 */
    {"at 2606:4700:4700::1111 now", "2606:4700:4700::1111", 2},
    {"host [2a00:1450:4001:82b::200e]", "2a00:1450:4001:82b::200e", 2},
    {"loopback ::1 only", NULL, 2},
    {"doc 2001:db8::1 example", NULL, 2},
    {"link fe80::1ff:fe23:4567:890a", NULL, 2},
    {"time 12:30:45 today", NULL, 2},
    {"ratio 3:2:1", NULL, 2},
    {"C++ std::vector<int>", NULL, 2},
    {"MAC 00:1a:2b:3c:4d:5e", NULL, 2},
    /* phone */
    {"call +1 415 555 2671 now", "+1 415 555 2671", 3},
    {"tel: +44 20 7946 0958.", "+44 20 7946 0958", 3},
    {"Tel +33 1 23 45 67 89", "+33 1 23 45 67 89", 3},
    {"phone (415) 555-2671 ext", "(415) 555-2671", 3},
    {"call 415-555-2671 today", "415-555-2671", 3},
    {"call 415.555.2671 today", "415.555.2671", 3},
    {"+4915112345678 (mobile)", "+4915112345678", 3},
    {"Fax: 020 7946 0958", "020 7946 0958", 3},
    {"Tel. 01 23 45 67 89", "01 23 45 67 89", 3},
    {"on 2023-10-12 we met", NULL, 3},
    {"dated 12/10/2023", NULL, 3},
    {"costs $1,234,567.89", NULL, 3},
    {"price 1 234 567 EUR", NULL, 3},
    {"ISBN 978-3-16-148410-0", NULL, 3},
    {"ISBN 0-306-40615-2", NULL, 3},
    {"coordinates 48.8566, 2.3522", NULL, 3},
    {"population 1234567890", NULL, 3},
    {"order #123-456-7890", NULL, 3},
    {"from 1990-2000 and 2001-2010", NULL, 3},
    {"zip 90210-1234", NULL, 3},
    {"time 10.30-12.45 daily", NULL, 3},
    {"score 3-2-1", NULL, 3},
    {"card 4111 1111 1111 1111", NULL, 3},
    {"id 123-45-6789", NULL, 3},
    {"v1.2.3-4.5.6", NULL, 3},
};

static struct th_arena *arena;

static void precision_on_near_miss_table(void)
{
    struct th_pii_opts o;
    th_pii_opts_init(&o);
    if (!arena)
        th_arena_new(&arena, 0, 0);
    int tp[4] = {0}, fp[4] = {0}, fn[4] = {0}, negatives = 0;
    size_t n_cases = sizeof(cases) / sizeof(cases[0]);
    for (size_t i = 0; i < n_cases; i++) {
        const struct pii_case *c = &cases[i];
        struct th_pii_match *m;
        size_t n;
        struct th_error err;
        th_arena_reset(arena);
        CHECK(th_pii_find(&o, c->text, strlen(c->text), arena, &m, &n,
                          &err) == 0);
        bool found = false;
        for (size_t k = 0; k < n; k++) {
            size_t ml = m[k].end - m[k].start;
            bool right = c->pii && (int)m[k].kind == c->kind &&
                         strlen(c->pii) == ml &&
                         !memcmp(c->text + m[k].start, c->pii, ml);
            if (right) {
                tp[m[k].kind]++;
                found = true;
            } else {
                fp[m[k].kind]++;
                printf("#   false positive %s '%.*s' in \"%s\"\n",
                       th_pii_kind_name(m[k].kind), (int)ml,
                       c->text + m[k].start, c->text);
            }
        }
        if (c->pii && !found) {
            fn[c->kind]++;
            printf("#   missed %s in \"%s\"\n", c->pii, c->text);
        }
        negatives += c->pii == NULL;
    }
    int all_tp = 0, all_fp = 0, all_fn = 0;
    for (int k = 0; k < 4; k++) {
        printf("# %-5s precision %d/%d recall %d/%d\n",
               th_pii_kind_name(k), tp[k], tp[k] + fp[k], tp[k],
               tp[k] + fn[k]);
        all_tp += tp[k];
        all_fp += fp[k];
        all_fn += fn[k];
    }
    printf("# all: %zu cases (%d near-misses), precision %.3f, recall %.3f\n",
           n_cases, negatives, (double)all_tp / (all_tp + all_fp),
           (double)all_tp / (all_tp + all_fn));
    CHECK(all_tp * 100 >= 95 * (all_tp + all_fp));
    CHECK(all_tp * 100 >= 90 * (all_tp + all_fn));
}

static void redacts_with_placeholders_and_counts(void)
{
    struct th_pii_opts o;
    th_pii_opts_init(&o);
    if (!arena)
        th_arena_new(&arena, 0, 0);
    const char *in = "Mail bob@corp.example.com or call +1 415 555 2671; "
                     "server 8.8.4.4, lan 10.0.0.2.";
    struct th_slice out;
    size_t counts[TH_PII_N_KINDS];
    struct th_error err;
    CHECK(th_pii_redact(&o, in, strlen(in), arena, &out, counts, &err) == 0);
    const char *want = "Mail |||EMAIL_ADDRESS||| or call |||PHONE_NUMBER|||; "
                       "server |||IP_ADDRESS|||, lan 10.0.0.2.";
    CHECK_EQ_MEM(out.ptr, out.len, want, strlen(want));
    CHECK_EQ_INT(counts[TH_PII_EMAIL], 1);
    CHECK_EQ_INT(counts[TH_PII_PHONE], 1);
    CHECK_EQ_INT(counts[TH_PII_IPV4], 1);
    CHECK_EQ_INT(counts[TH_PII_IPV6], 0);
}

static void fake_values_round_robin(void)
{
    struct th_pii_opts o;
    th_pii_opts_init(&o);
    o.mode = TH_PII_FAKE;
    if (!arena)
        th_arena_new(&arena, 0, 0);
    const char *in = "a@x.org b@y.org c@z.org 1.1.1.1 9.9.9.9";
    struct th_slice out;
    size_t counts[TH_PII_N_KINDS];
    struct th_error err;
    CHECK(th_pii_redact(&o, in, strlen(in), arena, &out, counts, &err) == 0);
    const char *want = "email@example.com firstname.lastname@example.org "
                       "email@example.com 22.214.171.124 126.96.36.199";
    CHECK_EQ_MEM(out.ptr, out.len, want, strlen(want));
}

static void nothing_found_keeps_text(void)
{
    struct th_pii_opts o;
    th_pii_opts_init(&o);
    if (!arena)
        th_arena_new(&arena, 0, 0);
    const char *in = "Version 1.2.3.4.5 of 2023-10-12 costs $19.99.";
    struct th_slice out;
    size_t counts[TH_PII_N_KINDS];
    struct th_error err;
    CHECK(th_pii_redact(&o, in, strlen(in), arena, &out, counts, &err) == 0);
    CHECK(out.ptr == in);
    CHECK_EQ_INT(counts[0] + counts[1] + counts[2] + counts[3], 0);
}

static const struct th_test tests[] = {
    {"precision_on_near_miss_table", precision_on_near_miss_table},
    {"redacts_with_placeholders_and_counts",
     redacts_with_placeholders_and_counts},
    {"fake_values_round_robin", fake_values_round_robin},
    {"nothing_found_keeps_text", nothing_found_keeps_text},
};

TH_TEST_MAIN(tests)
