/*
 * Small shared utilities: the project-wide 64-bit hash (XXH3 from Debian's
 * libxxhash: the fastest well-kept non-cryptographic hash packaged), a
 * deterministic double formatter for JSON output, and a monotonic clock.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "thresh/core.h"
#include "banned.h"

int th_read_file(const char *path, size_t max, char **data_out,
                 size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return TH_EIO;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : TH_ENOMEM;
    while (rc == 0) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (max && n > max) {
            rc = TH_ELIMIT;
        } else if (n < cap) {
            if (ferror(f))
                rc = TH_EIO;
            break;
        } else {
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                rc = TH_ENOMEM;
            else
                buf = nb;
            cap *= 2;
        }
    }
    int saved = errno;
    fclose(f);
    errno = saved;
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *data_out = buf;
    *len_out = n;
    return 0;
}

uint64_t th_hash64(const void *data, size_t len, uint64_t seed)
{
    return XXH3_64bits_withSeed(data, len, seed);
}

/* "%.*g" of value at precision prec into buf (TH_DOUBLE_BUF bytes: room
 * for any precision up to 17); *exact: it reads back as value. Returns its
 * length. */
#define TH_DOUBLE_BUF 40
static int format_at(char *buf, int prec, double value, bool *exact)
{
    int n = snprintf(buf, TH_DOUBLE_BUF, "%.*g", prec, value);
    *exact = n > 0 && n < TH_DOUBLE_BUF && strtod(buf, NULL) == value;
    return n;
}

int th_format_double(char *out, size_t cap, double value)
{
    /*
     * The shortest precision that round-trips: stable across runs and -j.
     * Away from a power of two a double's rounding interval is symmetric
     * around it, and a correctly rounded form of more digits is never
     * farther from the value than one of fewer, so once a precision reads
     * back every larger one does: the shortest is found by bisection over
     * 1..17 (17 always reads back), starting at 15 because most values
     * printed are ratios of 15 to 17 digits: 2 to 5 conversions instead
     * of up to 17 (annotate mode spent a fifth of its time here). At a
     * power of two the interval below is half as wide, a longer form may
     * fall outside it where a shorter one did not, so those (and 0 and
     * non-finite values) go precision by precision (a guard: no power of
     * two in the test needed it; a NaN ends at 17). The forms are made in
     * a buffer of their own and the shortest copied out: TH_ELIMIT when it
     * does not fit in cap bytes with its NUL. The test
     * format_double_matches_linear_search compares with the linear search.
     */
    char buf[TH_DOUBLE_BUF];
    int e, n = 0;
    bool exact;
    double m = frexp(value, &e);
    if (!isfinite(value) || fabs(m) == 0.5 || value == 0) {
        for (int prec = 1; prec <= 17; prec++) {
            n = format_at(buf, prec, value, &exact);
            if (exact)
                break;
        }
    } else if (isnormal(value) &&
               (n = format_at(buf, 15, value, &exact)) > 0 && exact) {
        /*
         * 15 digits read back (a normal double: subnormals have fewer
         * significant bits): the 15-digit form then has the shortest
         * form's value (a double is within 2^-53 of its shortest decimal,
         * and half a unit of a 15th digit is at least 5e-16 of the value),
         * so the shortest precision is that form's count of significant
         * digits D, and "%.15g" writes the same text as "%.*g" at D except
         * when the decimal exponent X has D <= X < 15 (fixed at 15,
         * scientific at D). One or two conversions instead of a bisection
         * for every value of 15 digits or fewer (counts, short ratios).
         */
        const char *m = buf + (buf[0] == '-');
        int first = -1, last = -1, point = -1, x;
        int k = 0;
        for (; m[k] && m[k] != 'e'; k++) {
            if (m[k] == '.')
                point = k;
            else if (m[k] != '0') {
                if (first < 0)
                    first = k;
                last = k;
            }
        }
        if (point < 0)
            point = k;
        int digits = last - first + 1 - (first < point && last > point);
        if (m[k] == 'e')
            x = atoi(m + k + 1);
        else
            x = first < point ? point - first - 1 : point - first;
        if (digits <= x && x < 15)
            n = format_at(buf, digits, value, &exact);
    } else {
        int lo = 1, hi = 17, probe = 15, last = 0;
        while (lo < hi) {
            n = format_at(buf, probe, value, &exact);
            last = probe;      /* buf holds this precision */
            if (exact)
                hi = probe;
            else
                lo = probe + 1;
            probe = lo + (hi - lo) / 2;
        }
        if (last != hi)
            n = format_at(buf, hi, value, &exact);
    }
    if (n < 0 || n >= TH_DOUBLE_BUF || (size_t)n >= cap)
        return TH_ELIMIT;
    memcpy(out, buf, (size_t)n + 1);
    return n;
}

uint64_t th_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
