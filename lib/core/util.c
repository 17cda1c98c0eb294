/*
 * Small shared utilities: the project-wide 64-bit hash (XXH3 from Debian's
 * libxxhash: the fastest well-kept non-cryptographic hash packaged), a
 * deterministic double formatter for JSON output, and a monotonic clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "thresh/core.h"
#include "banned.h"

uint64_t th_hash64(const void *data, size_t len, uint64_t seed)
{
    return XXH3_64bits_withSeed(data, len, seed);
}

int th_format_double(char *out, size_t cap, double value)
{
    /* shortest precision that round-trips: stable across runs and -j */
    for (int prec = 1; prec <= 17; prec++) {
        int n = snprintf(out, cap, "%.*g", prec, value);
        if (n < 0 || (size_t)n >= cap)
            return TH_ELIMIT;
        if (strtod(out, NULL) == value)
            return n;
    }
    return snprintf(out, cap, "%.17g", value);
}

uint64_t th_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
