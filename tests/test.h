/*
 * Minimal in-tree TAP test harness [lexbor test.h][picotest]. A test file
 * defines `static const struct th_test tests[]` and calls TH_TEST_MAIN(tests).
 * Each case prints `ok N - name` or `not ok N - name`; CHECK failures print
 * a `#` diagnostic with file and line and mark the case failed.
 */
#ifndef THRESH_TEST_H
#define THRESH_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct th_test {
    const char *name;     /* words, never numbers */
    void (*fn)(void);     /* the case */
};

extern int th_test_failed;
int th_test_failed;

#define CHECK(expr) do { \
    if (!(expr)) { \
        printf("#   %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #expr); \
        th_test_failed = 1; \
    } \
} while (0)

#define CHECK_EQ_INT(a, b) do { \
    long long th_a_ = (long long)(a), th_b_ = (long long)(b); \
    if (th_a_ != th_b_) { \
        printf("#   %s:%d: %s == %s failed: %lld != %lld\n", __FILE__, \
               __LINE__, #a, #b, th_a_, th_b_); \
        th_test_failed = 1; \
    } \
} while (0)

#define CHECK_EQ_MEM(a, alen, b, blen) do { \
    size_t th_al_ = (alen), th_bl_ = (blen); \
    if (th_al_ != th_bl_ || (th_al_ && memcmp((a), (b), th_al_) != 0)) { \
        printf("#   %s:%d: %s != %s (len %zu vs %zu)\n#   got: %.*s\n" \
               "#   want: %.*s\n", __FILE__, __LINE__, #a, #b, th_al_, \
               th_bl_, (int)(th_al_ > 400 ? 400 : th_al_), (const char *)(a), \
               (int)(th_bl_ > 400 ? 400 : th_bl_), (const char *)(b)); \
        th_test_failed = 1; \
    } \
} while (0)

#define CHECK_EQ_STR(a, b) do { \
    const char *th_as_ = (a), *th_bs_ = (b); \
    if (!th_as_ || !th_bs_ || strcmp(th_as_, th_bs_) != 0) { \
        printf("#   %s:%d: %s == %s failed:\n#   got:  \"%s\"\n" \
               "#   want: \"%s\"\n", __FILE__, __LINE__, #a, #b, \
               th_as_ ? th_as_ : "(null)", th_bs_ ? th_bs_ : "(null)"); \
        th_test_failed = 1; \
    } \
} while (0)

static inline int th_test_run(const struct th_test *tests, size_t n,
                              int argc, char **argv)
{
    int failures = 0;
    printf("1..%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], tests[i].name) != 0) {
            printf("ok %zu - %s # SKIP not selected\n", i + 1, tests[i].name);
            continue;
        }
        th_test_failed = 0;
        tests[i].fn();
        printf("%sok %zu - %s\n", th_test_failed ? "not " : "", i + 1,
               tests[i].name);
        fflush(stdout);
        failures += th_test_failed;
    }
    return failures ? 1 : 0;
}

#define TH_TEST_MAIN(table) \
    int main(int argc, char **argv) \
    { \
        return th_test_run(table, sizeof(table) / sizeof(table[0]), argc, \
                           argv); \
    }

/* Directory of ../shared/data, from the THRESH_SHARED_DATA environment. */
static inline const char *th_test_shared_data(void)
{
    const char *d = getenv("THRESH_SHARED_DATA");
    return d ? d : "../shared/data";
}

#endif
