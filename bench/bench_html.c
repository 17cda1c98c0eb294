/*
 * Benchmark of lib/html on the real pages of ../shared/data/extraction-dev
 * (or the set directories given as arguments): decode+parse alone, and the
 * full extraction (decode, parse, score, clean, write), in pages/s and
 * MB/s on one core (thread CPU time), with the peak RSS. The ceiling
 * measured in the same run is a memchr('<') scan over the same bytes: no
 * HTML tool can read its input faster, so "ratio" says how far each step is
 * from touching every byte once.
 *
 * usage: bench_html [SET_DIR...]   (env THRESH_SHARED_DATA as for tests,
 *        BENCH_ROUNDS, default 5)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "thresh/html.h"

/*
 * CPU time of this thread: the machine is shared, so wall time would count
 * other processes' time slices; CPU time is the cost on one core.
 */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct page {
    char *data;     /* source.html bytes */
    size_t len;     /* bytes */
};

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return NULL;
    }
    char *b = malloc((size_t)st.st_size + 1);
    if (!b) {
        fclose(f);
        return NULL;
    }
    *len = fread(b, 1, (size_t)st.st_size, f);
    fclose(f);
    return b;
}

static size_t load_set(const char *dir, struct page **pages, size_t *n,
                       size_t *cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    size_t added = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s/source.html", dir, e->d_name);
        size_t len;
        char *data = read_file(path, &len);
        if (!data)
            continue;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 256;
            *pages = realloc(*pages, *cap * sizeof(**pages));
        }
        (*pages)[(*n)++] = (struct page){data, len};
        added++;
    }
    closedir(d);
    return added;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static void report(const char *what, size_t pages, size_t bytes,
                   uint64_t ns, double ceiling_mbs)
{
    double s = (double)ns / 1e9;
    double mbs = (double)bytes / 1e6 / s;
    printf("%-22s %9.0f pages/s %8.1f MB/s  ratio to ceiling %.3f\n", what,
           (double)pages / s, mbs, ceiling_mbs > 0 ? mbs / ceiling_mbs : 0);
}

int main(int argc, char **argv)
{
    struct page *pages = NULL;
    size_t n = 0, cap = 0;
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            load_set(argv[i], &pages, &n, &cap);
    } else {
        const char *root = getenv("THRESH_SHARED_DATA");
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/extraction-dev",
                 root ? root : "../shared/data");
        load_set(dir, &pages, &n, &cap);
    }
    if (!n) {
        fprintf(stderr, "bench_html: no pages found\n");
        return 1;
    }
    size_t bytes = 0, largest = 0;
    for (size_t i = 0; i < n; i++) {
        bytes += pages[i].len;
        if (pages[i].len > largest)
            largest = pages[i].len;
    }
    int rounds = getenv("BENCH_ROUNDS") ? atoi(getenv("BENCH_ROUNDS")) : 5;
    printf("pages %zu, %.1f MB, %d rounds, one core (thread CPU time)\n", n,
           bytes / 1e6, rounds);

    /* Ceiling: find every '<' (the tokenizer's inner loop) and no more. */
    uint64_t t0 = cpu_ns();
    size_t tags = 0;
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++) {
            const char *p = pages[i].data, *end = p + pages[i].len;
            while ((p = memchr(p, '<', (size_t)(end - p)))) {
                tags++;
                p++;
            }
        }
    uint64_t ns = cpu_ns() - t0;
    double ceiling = (double)bytes * rounds / 1e6 / ((double)ns / 1e9);
    report("ceiling (memchr scan)", n * rounds, bytes * rounds, ns, ceiling);

    struct th_arena *arena;
    struct th_html_parser *parser;
    struct th_html_extractor *ex;
    if (th_arena_new(&arena, 0, 0) < 0 || th_html_parser_new(&parser) < 0 ||
        th_html_extractor_new(&ex, NULL) < 0)
        return 1;
    struct th_error err = {0};
    size_t nodes = 0;
    t0 = cpu_ns();
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++) {
            struct th_slice html;
            th_html_decode((const uint8_t *)pages[i].data, pages[i].len,
                           (struct th_slice){0}, arena, &html, NULL, &err);
            th_html_parse(parser, html.ptr, html.len, arena, &err);
            nodes += th_html_parser_node_count(parser);
            th_arena_reset(arena);
        }
    ns = cpu_ns() - t0;
    report("decode + parse", n * rounds, bytes * rounds, ns, ceiling);

    size_t out_bytes = 0, dropped = 0;
    t0 = cpu_ns();
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++) {
            struct th_html_result res;
            th_html_extract(ex, (const uint8_t *)pages[i].data, pages[i].len,
                            (struct th_slice){0}, (struct th_slice){0},
                            arena, &res, &err);
            out_bytes += res.text.len;
            dropped += res.drop_reason != NULL;
            th_arena_reset(arena);
        }
    ns = cpu_ns() - t0;
    report("full extraction", n * rounds, bytes * rounds, ns, ceiling);
    printf("nodes/page %.0f, text out %.1f%% of input, dropped %zu, "
           "peak RSS %.1f MB incl. all pages loaded (largest %.2f MB)\n",
           (double)nodes / (double)(n * rounds),
           100.0 * (double)out_bytes / (double)(bytes * rounds),
           dropped / (size_t)rounds, peak_rss_mb(), (double)largest / 1e6);
    th_html_extractor_free(ex);
    th_html_parser_free(parser);
    th_arena_free(arena);
    for (size_t i = 0; i < n; i++)
        free(pages[i].data);
    free(pages);
    return tags == 0;
}
