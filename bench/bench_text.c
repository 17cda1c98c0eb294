/*
 * bench_text: throughput of the text module on real extracted text.
 *
 * Loads every <page>/dirty_lynx.txt, dirty_bs4.txt and dirty_bs4_nl.txt
 * under ../shared/data/extraction-dev and extraction-dev-cleaneval (or the
 * directories given as arguments) into memory, then times, on one core:
 * th_text_normalize() alone, th_text_clean() alone (on normalized text) and
 * both together (the "normalize" + "clean" stages), plus memcpy of the
 * same bytes as a ceiling. Prints MB/s and docs/s per core (thread CPU
 * time, so a busy machine does not distort them), the ratio to the
 * ceiling and the peak RSS.
 *
 * usage: bench_text [-r ROUNDS] [DIR...]
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "thresh/text.h"

struct corpus {
    char **docs;        /* document bytes */
    size_t *lens;       /* their lengths */
    size_t n;           /* documents */
    size_t cap;         /* allocated slots */
    size_t bytes;       /* total bytes */
};

static int add_file(struct corpus *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    struct th_buf b;
    th_buf_init(&b, 0);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (th_buf_append(&b, chunk, n) < 0)
            break;
    fclose(f);
    if (!b.ptr)
        return 0;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 256;
        c->docs = realloc(c->docs, c->cap * sizeof(*c->docs));
        c->lens = realloc(c->lens, c->cap * sizeof(*c->lens));
        if (!c->docs || !c->lens)
            return -1;
    }
    c->docs[c->n] = b.ptr;
    c->lens[c->n] = b.len;
    c->bytes += b.len;
    c->n++;
    return 0;
}

static int load_dir(struct corpus *c, const char *dir)
{
    static const char *const names[] = {
        "dirty_lynx.txt", "dirty_bs4.txt", "dirty_bs4_nl.txt",
    };
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        for (size_t k = 0; k < 3; k++) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s/%s", dir, e->d_name,
                     names[k]);
            if (add_file(c, path) < 0) {
                closedir(d);
                return -1;
            }
        }
    }
    closedir(d);
    return 0;
}

enum mode { MODE_COPY, MODE_NORMALIZE, MODE_CLEAN, MODE_BOTH };

/* CPU time of this thread in ns: per-core figures even on a busy box. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Run one mode over the corpus rounds times; returns CPU seconds. */
static double run(const struct corpus *c, const struct corpus *normalized,
                  enum mode mode, int rounds, size_t *sink)
{
    struct th_buf a, b;
    th_buf_init(&a, 0);
    th_buf_init(&b, 0);
    uint64_t t0 = cpu_ns();
    for (int r = 0; r < rounds; r++) {
        for (size_t i = 0; i < c->n; i++) {
            th_buf_reset(&a);
            th_buf_reset(&b);
            switch (mode) {
            case MODE_COPY:
                th_buf_append(&a, c->docs[i], c->lens[i]);
                break;
            case MODE_NORMALIZE:
                th_text_normalize(c->docs[i], c->lens[i],
                                  TH_TEXT_NORMALIZE_DEFAULT, &a, NULL);
                break;
            case MODE_CLEAN:
                th_text_clean(normalized->docs[i], normalized->lens[i],
                              NULL, &a, NULL);
                break;
            case MODE_BOTH:
                th_text_normalize(c->docs[i], c->lens[i],
                                  TH_TEXT_NORMALIZE_DEFAULT, &a, NULL);
                th_text_clean(a.ptr ? a.ptr : "", a.len, NULL, &b, NULL);
                break;
            }
            *sink += a.len + b.len;
        }
    }
    double secs = (double)(cpu_ns() - t0) / 1e9;
    th_buf_release(&a);
    th_buf_release(&b);
    return secs;
}

int main(int argc, char **argv)
{
    int rounds = 3, opt;
    while ((opt = getopt(argc, argv, "r:")) != -1) {
        if (opt == 'r') {
            rounds = atoi(optarg);
        } else {
            fprintf(stderr, "usage: bench_text [-r ROUNDS] [DIR...]\n");
            return 1;
        }
    }
    if (rounds < 1)
        rounds = 1;
    struct corpus c = {0}, norm = {0};
    const char *shared = getenv("THRESH_SHARED_DATA");
    char d1[4096], d2[4096];
    if (optind < argc) {
        for (int i = optind; i < argc; i++)
            if (load_dir(&c, argv[i]) < 0)
                fprintf(stderr, "bench_text: cannot read '%s'\n", argv[i]);
    } else {
        if (!shared)
            shared = "../shared/data";
        snprintf(d1, sizeof(d1), "%s/extraction-dev", shared);
        snprintf(d2, sizeof(d2), "%s/extraction-dev-cleaneval", shared);
        load_dir(&c, d1);
        load_dir(&c, d2);
    }
    if (c.n == 0) {
        fprintf(stderr, "bench_text: no dirty_*.txt found\n");
        return 1;
    }
    /* Warm the Unicode tables and prepare normalized input for clean. */
    for (size_t i = 0; i < c.n; i++) {
        struct th_buf b;
        th_buf_init(&b, 0);
        th_text_normalize(c.docs[i], c.lens[i], TH_TEXT_NORMALIZE_DEFAULT,
                          &b, NULL);
        if (norm.n == norm.cap) {
            norm.cap = norm.cap ? norm.cap * 2 : 256;
            norm.docs = realloc(norm.docs, norm.cap * sizeof(*norm.docs));
            norm.lens = realloc(norm.lens, norm.cap * sizeof(*norm.lens));
            if (!norm.docs || !norm.lens)
                return 1;
        }
        norm.docs[norm.n] = b.ptr ? b.ptr : calloc(1, 1);
        norm.lens[norm.n] = b.len;
        norm.bytes += b.len;
        norm.n++;
    }
    size_t sink = 0;
    double mb = (double)c.bytes * rounds / 1e6;
    double t_copy = run(&c, &norm, MODE_COPY, rounds, &sink);
    double t_norm = run(&c, &norm, MODE_NORMALIZE, rounds, &sink);
    double t_clean = run(&c, &norm, MODE_CLEAN, rounds, &sink);
    double t_both = run(&c, &norm, MODE_BOTH, rounds, &sink);
    printf("corpus: %zu documents, %.1f MB, %d rounds\n", c.n,
           (double)c.bytes / 1e6, rounds);
    printf("%-22s %9s %10s %9s\n", "step (1 core)", "MB/s", "docs/s",
           "ceiling");
    printf("%-22s %9.0f %10.0f %9s\n", "memcpy (ceiling)", mb / t_copy,
           (double)c.n * rounds / t_copy, "1.000");
    printf("%-22s %9.0f %10.0f %9.3f\n", "normalize", mb / t_norm,
           (double)c.n * rounds / t_norm, t_copy / t_norm);
    printf("%-22s %9.0f %10.0f %9.3f\n", "clean (normalized in)",
           (double)norm.bytes * rounds / 1e6 / t_clean,
           (double)c.n * rounds / t_clean, t_copy / t_clean);
    printf("%-22s %9.0f %10.0f %9.3f\n", "normalize + clean", mb / t_both,
           (double)c.n * rounds / t_both, t_copy / t_both);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS: %.1f MB (corpus held in memory twice)\n",
           (double)ru.ru_maxrss / 1024.0);
    for (size_t i = 0; i < c.n; i++) {
        free(c.docs[i]);
        free(norm.docs[i]);
    }
    free(c.docs);
    free(c.lens);
    free(norm.docs);
    free(norm.lens);
    return sink == 0;
}
