/*
 * Internal to lib/dedup: in-place sort and deduplication of 64-bit hashes
 * (shingle sets, line hashes). An LSD radix sort would need a second
 * buffer; this is a quicksort with the comparison inlined (qsort's
 * comparator call was the largest cost of building shingle sets).
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

/* Sort v and drop repeats; returns the new count. */
static inline size_t th_dedup_sort_unique_u64(uint64_t *v, size_t n)
{
    if (n < 2)
        return n;
    th_dedup_sort_u64(v, n);
    size_t m = 1;
    for (size_t k = 1; k < n; k++)
        if (v[k] != v[m - 1])
            v[m++] = v[k];
    return m;
}

#endif
