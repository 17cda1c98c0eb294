/*
 * External sort of fixed-size records under a memory budget, for bucket
 * entries, signatures and line counts that may not fit in memory.
 *
 * Approach: records (n_words 64-bit words, compared word by word) collect
 * in one buffer of at most budget bytes. When it is full it is sorted and
 * written as a run (a th_dedup_file of kind RUN, so spilled data is
 * checksummed like every other intermediate file) and the buffer is
 * reused. Reading merges the runs with a binary heap of run readers; ties
 * are broken by run number, so the merge is stable and deterministic. With
 * no spill the buffer is sorted in place and read directly.
 *
 * Sorting is an in-place quicksort over whole records (no extra memory, so
 * the whole budget holds records); a radix sort would be faster but needs
 * a second buffer of the same size.
 * Memory: the buffer plus one 64 KiB block per run while merging; the
 * buffer is freed before the merge starts, so peak use stays within
 * budget + runs * 64 KiB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thresh/dedup.h"
#include "../core/banned.h"

struct run_reader {
    struct th_dedup_file *file;  /* the run */
    const uint64_t *rec;         /* its current record */
};

struct th_sorter {
    unsigned n_words;            /* words per record */
    size_t cap;                  /* records that fit in the budget */
    uint64_t *buf;               /* in-memory records */
    size_t n;                    /* records in buf */
    size_t pos;                  /* next record to read (no-spill case) */
    char *tmp_dir;               /* where runs go */
    char **run_paths;            /* spilled run files */
    size_t n_runs;               /* number of runs */
    struct run_reader *readers;  /* merge: one per run */
    size_t *heap;                /* merge: indices into readers */
    size_t heap_len;             /* merge: live readers */
    bool finished;               /* reading has started */
    bool merging;                /* reading from runs */
    uint64_t *last;              /* merge: copy of the record returned */
};

static int cmp_n(const uint64_t *x, const uint64_t *y, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

static void swap_n(uint64_t *x, uint64_t *y, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint64_t t = x[i];
        x[i] = y[i];
        y[i] = t;
    }
}

/*
 * In-place quicksort of n records of w words: median of three, recursion
 * into the smaller side only (stack depth O(log n)), insertion sort below
 * 16 records. Own code rather than qsort() because qsort's comparator
 * cannot be told the record width without a global.
 */
static void sort_records(uint64_t *v, size_t n, unsigned w)
{
    while (n > 16) {
        uint64_t *a = v, *m = v + (n / 2) * w, *z = v + (n - 1) * w;
        if (cmp_n(m, a, w) < 0)
            swap_n(m, a, w);
        if (cmp_n(z, m, w) < 0) {
            swap_n(z, m, w);
            if (cmp_n(m, a, w) < 0)
                swap_n(m, a, w);
        }
        swap_n(m, v, w);                 /* pivot to the front */
        size_t i = 1, j = n - 1;
        for (;;) {
            while (i < n && cmp_n(v + i * w, v, w) < 0)
                i++;
            while (cmp_n(v, v + j * w, w) < 0)
                j--;
            if (i >= j)
                break;
            swap_n(v + i * w, v + j * w, w);
            i++;
            j--;
        }
        swap_n(v, v + j * w, w);         /* pivot to its place j */
        size_t left = j, right = n - j - 1;
        if (left < right) {
            sort_records(v, left, w);
            v += (j + 1) * w;
            n = right;
        } else {
            sort_records(v + (j + 1) * w, right, w);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && cmp_n(v + k * w, v + (k - 1) * w, w) < 0;
             k--)
            swap_n(v + k * w, v + (k - 1) * w, w);
}

static void sort_buffer(struct th_sorter *s)
{
    sort_records(s->buf, s->n, s->n_words);
}

int th_sorter_new(struct th_sorter **out, unsigned n_words, size_t budget,
                  const char *tmp_dir, struct th_error *err)
{
    if (!n_words || n_words > 64)
        return th_error_set(err, TH_EINVAL, "bad sorter record width %u",
                            n_words);
    struct th_sorter *s = calloc(1, sizeof(*s));
    if (!s)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    s->n_words = n_words;
    size_t rec = n_words * sizeof(uint64_t);
    s->cap = budget / rec;
    if (s->cap < 1024)
        s->cap = 1024;
    size_t tl = strlen(tmp_dir ? tmp_dir : "/tmp");
    s->tmp_dir = malloc(tl + 1);
    s->last = malloc(rec);
    if (!s->tmp_dir || !s->last) {
        th_sorter_free(s);
        return th_error_set(err, TH_ENOMEM, "out of memory");
    }
    memcpy(s->tmp_dir, tmp_dir ? tmp_dir : "/tmp", tl + 1);
    *out = s;
    return 0;
}

static int spill(struct th_sorter *s, struct th_error *err)
{
    sort_buffer(s);
    char **paths = realloc(s->run_paths, (s->n_runs + 1) * sizeof(*paths));
    if (!paths)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    s->run_paths = paths;
    size_t len = strlen(s->tmp_dir) + 96;
    char *path = malloc(len);
    if (!path)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    snprintf(path, len, "%s/thresh-sort-%ld-%p-%zu.run", s->tmp_dir,
             (long)getpid(), (void *)s, s->n_runs);
    struct th_dedup_file_info info = {
        .kind = TH_DEDUP_FILE_RUN,
        .record_size = s->n_words * (uint32_t)sizeof(uint64_t),
        .shard = s->n_runs,
    };
    struct th_dedup_file *f;
    int rc = th_dedup_file_create(&f, path, &info, err);
    if (rc < 0) {
        free(path);
        return rc;
    }
    rc = th_dedup_file_write(f, s->buf, s->n, err);
    if (rc < 0) {
        th_dedup_file_abort(f);
        free(path);
        return rc;
    }
    rc = th_dedup_file_close(f, err);
    if (rc < 0) {
        free(path);
        return rc;
    }
    s->run_paths[s->n_runs++] = path;
    s->n = 0;
    return 0;
}

int th_sorter_add(struct th_sorter *sorter, const uint64_t *record,
                  struct th_error *err)
{
    if (sorter->finished)
        return th_error_set(err, TH_EINVAL, "sorter already finished");
    if (!sorter->buf) {
        sorter->buf = malloc(sorter->cap * sorter->n_words * sizeof(uint64_t));
        if (!sorter->buf)
            return th_error_set(err, TH_ENOMEM, "out of memory");
    }
    if (sorter->n == sorter->cap) {
        int rc = spill(sorter, err);
        if (rc < 0)
            return rc;
    }
    memcpy(sorter->buf + sorter->n * sorter->n_words, record,
           sorter->n_words * sizeof(uint64_t));
    sorter->n++;
    return 0;
}

/* Heap order: record, then run number (stable merge). */
static bool heap_less(const struct th_sorter *s, size_t a, size_t b)
{
    int c = cmp_n(s->readers[a].rec, s->readers[b].rec, s->n_words);
    return c < 0 || (c == 0 && a < b);
}

static void sift_down(struct th_sorter *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->heap_len && heap_less(s, s->heap[l], s->heap[m]))
            m = l;
        if (r < s->heap_len && heap_less(s, s->heap[r], s->heap[m]))
            m = r;
        if (m == i)
            return;
        size_t t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
}

int th_sorter_finish(struct th_sorter *sorter, struct th_error *err)
{
    struct th_sorter *s = sorter;
    if (s->finished)
        return 0;
    s->finished = true;
    if (!s->n_runs) {
        if (s->n)
            sort_buffer(s);
        return 0;
    }
    int rc = 0;
    if (s->n && (rc = spill(s, err)) < 0)
        return rc;
    free(s->buf);
    s->buf = NULL;
    s->merging = true;
    s->readers = calloc(s->n_runs, sizeof(*s->readers));
    s->heap = calloc(s->n_runs, sizeof(*s->heap));
    if (!s->readers || !s->heap)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->n_runs; i++) {
        rc = th_dedup_file_open(&s->readers[i].file, s->run_paths[i],
                                TH_DEDUP_FILE_RUN, err);
        if (rc < 0)
            return rc;
        const void *rec;
        rc = th_dedup_file_next(s->readers[i].file, &rec, err);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            s->readers[i].rec = rec;
            s->heap[s->heap_len++] = i;
        }
    }
    for (size_t i = s->heap_len / 2; i-- > 0;)
        sift_down(s, i);
    return 0;
}

int th_sorter_next(struct th_sorter *sorter, const uint64_t **record_out,
                   struct th_error *err)
{
    struct th_sorter *s = sorter;
    if (!s->finished)
        return th_error_set(err, TH_EINVAL, "sorter not finished");
    if (!s->merging) {
        if (s->pos >= s->n)
            return 0;
        *record_out = s->buf + s->pos * s->n_words;
        s->pos++;
        return 1;
    }
    if (!s->heap_len)
        return 0;
    size_t top = s->heap[0];
    memcpy(s->last, s->readers[top].rec, s->n_words * sizeof(uint64_t));
    const void *rec;
    int rc = th_dedup_file_next(s->readers[top].file, &rec, err);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        s->readers[top].rec = rec;
    } else {
        s->heap[0] = s->heap[--s->heap_len];
    }
    sift_down(s, 0);
    *record_out = s->last;
    return 1;
}

size_t th_sorter_runs(const struct th_sorter *sorter)
{
    return sorter->n_runs;
}

void th_sorter_free(struct th_sorter *sorter)
{
    if (!sorter)
        return;
    for (size_t i = 0; i < sorter->n_runs; i++) {
        if (sorter->readers)
            th_dedup_file_free(sorter->readers[i].file);
        unlink(sorter->run_paths[i]);
        free(sorter->run_paths[i]);
    }
    free(sorter->run_paths);
    free(sorter->readers);
    free(sorter->heap);
    free(sorter->buf);
    free(sorter->tmp_dir);
    free(sorter->last);
    free(sorter);
}
