/*
 * Internal to lib/dedup: in-place sort and deduplication of 64-bit hashes
 * (shingle sets, line hashes): a quicksort with the comparison inlined
 * (qsort's comparator call was the largest cost of building shingle sets)
 * and, when the caller has scratch space, an LSD radix sort.
 */
#ifndef THRESH_DEDUP_SORT_U64_H
#define THRESH_DEDUP_SORT_U64_H

#include <stddef.h>
#include <stdint.h>

static inline void th_dedup_sort_u64(uint64_t *v, size_t n)
{
    while (n > 24) {
        uint64_t a = v[0], b = v[n / 2], c = v[n - 1];
        uint64_t pivot = a < b ? (b < c ? b : (a < c ? c : a))
                               : (a < c ? a : (b < c ? c : b));
        size_t i = 0, j = n - 1;
        for (;;) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i >= j)
                break;
            uint64_t t = v[i];
            v[i] = v[j];
            v[j] = t;
            i++;
            j--;
        }
        /* [0, j] <= pivot <= [j + 1, n): recurse on the smaller side */
        size_t left = j + 1;
        if (left < n - left) {
            th_dedup_sort_u64(v, left);
            v += left;
            n -= left;
        } else {
            th_dedup_sort_u64(v + left, n - left);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++) {
        uint64_t x = v[i];
        size_t k = i;
        while (k > 0 && v[k - 1] > x) {
            v[k] = v[k - 1];
            k--;
        }
        v[k] = x;
    }
}

/*
 * LSD radix sort, 8 passes of 8 bits, through tmp (n words): branch-free,
 * several times faster than the quicksort on uniformly distributed hashes
 * of a few hundred or more. The result ends up back in v.
 */
static inline void th_dedup_radix_sort_u64(uint64_t *v, uint64_t *tmp,
                                           size_t n)
{
    size_t count[8][256] = {{0}};
    for (size_t i = 0; i < n; i++)
        for (int p = 0; p < 8; p++)
            count[p][(v[i] >> (8 * p)) & 0xff]++;
    uint64_t *src = v, *dst = tmp;
    for (int p = 0; p < 8; p++) {
        size_t sum = 0;
        for (int d = 0; d < 256; d++) {
            size_t c = count[p][d];
            count[p][d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[p][(src[i] >> (8 * p)) & 0xff]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    /* after an even number of passes the data is back in v */
}

/*
 * Sort v and drop repeats; returns the new count. tmp (n words, may be
 * NULL) enables the radix sort for large inputs.
 */
static inline size_t th_dedup_sort_unique_u64(uint64_t *v, uint64_t *tmp,
                                              size_t n)
{
    if (n < 2)
        return n;
    if (tmp && n >= 256)
        th_dedup_radix_sort_u64(v, tmp, n);
    else
        th_dedup_sort_u64(v, n);
    size_t m = 1;
    for (size_t k = 1; k < n; k++)
        if (v[k] != v[m - 1])
            v[m++] = v[k];
    return m;
}

#endif
