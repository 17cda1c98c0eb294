/*
 * bench_nlp: throughput of the NLTK-compatible tokenizers on real text,
 * one core. Reads every document of ../shared/data/parity/docs.jsonl.gz
 * (or $THRESH_SHARED_DATA/parity), then times th_nlp_sent_tokenize and
 * th_nlp_word_tokenize over all of them (best of 3 runs) and prints MB/s,
 * docs/s, sentences/s or tokens/s (CPU time of the one thread), and peak
 * RSS. The ceiling line is a
 * plain byte scan (counting spaces) over the same bytes, the speed of
 * touching the input once.
 * A third line per subset times th_nlp_count_sentences.
 * Usage: bench_nlp [SHARED_DATA_DIR [MODE]]; MODE 0 (sentences), 1 (words)
 * or 2 (sentence count) times that function only, for profiling.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "thresh/nlp.h"
#include "../tests/nlp/parity_data.h"

/* One document's text. */
struct doc {
    char *text;    /* bytes */
    size_t len;    /* length */
    bool english;  /* from an English-only source (news, reviews, web) */
};

/*
 * CPU time of this process: the machine is shared, and wall time would
 * count other processes' load; one thread, so this is one core's time.
 */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *shared = argc > 1 ? argv[1] : getenv("THRESH_SHARED_DATA");
    int only = argc > 2 ? atoi(argv[2]) : -1;
    if (!shared)
        shared = "../shared/data";
    char path[4096];
    struct pd_file f;
    pd_path(path, sizeof(path), shared, "docs.jsonl.gz");
    if (pd_read_gz(path, &f) < 0) {
        fprintf(stderr, "bench_nlp: cannot read %s\n", path);
        return 1;
    }
    struct doc *docs = NULL;
    size_t n_docs = 0, total = 0, pos = 0;
    const char *line;
    size_t ll;
    while (pd_next_line(&f, &pos, &line, &ll)) {
        char *copy = strndup(line, ll);
        const char *p = pd_find_key(copy, "text");
        if (p) {
            docs = realloc(docs, (n_docs + 1) * sizeof(*docs));
            docs[n_docs].text = pd_string(&p, &docs[n_docs].len);
            const char *src = pd_find_key(copy, "source");
            docs[n_docs].english = src &&
                (!strncmp(src, "\"bbc-news\"", 10) ||
                 !strncmp(src, "\"imdb-reviews\"", 14) ||
                 !strncmp(src, "\"dclm-annot\"", 12) ||
                 !strncmp(src, "\"dolma-cc\"", 11));
            total += docs[n_docs].len;
            n_docs++;
        }
        free(copy);
    }
    free(f.data);

    struct th_nlp *nlp;
    struct th_arena *arena;
    struct th_error err;
    if (th_nlp_new(&nlp, "english", &err) < 0 ||
        th_arena_new(&arena, 0, 0) < 0)
        return 1;
    double mb = (double)total / 1e6;
    printf("input: %zu documents, %.1f MB (parity docs.jsonl.gz)\n", n_docs,
           mb);

    double best = 1e30;
    size_t spaces = 0;
    for (int r = 0; r < 3; r++) {
        double t0 = now_s();
        spaces = 0;
        for (size_t i = 0; i < n_docs; i++)
            for (size_t k = 0; k < docs[i].len; k++)
                spaces += docs[i].text[k] == ' ';
        double t = now_s() - t0;
        if (t < best)
            best = t;
    }
    double ceiling = mb / best;
    printf("ceiling (byte scan): %.0f MB/s (%zu spaces)\n", ceiling, spaces);

    for (int subset = 0; subset < 2; subset++) {
        double sub_mb = 0;
        size_t sub_docs = 0;
        for (size_t i = 0; i < n_docs; i++)
            if (!subset || docs[i].english) {
                sub_mb += (double)docs[i].len / 1e6;
                sub_docs++;
            }
        printf("%s (%zu documents, %.1f MB):\n",
               subset ? "English sources only (bbc-news, imdb-reviews, "
                        "dclm-annot, dolma-cc)"
                      : "all documents", sub_docs, sub_mb);
        for (int mode = 0; mode < 3; mode++) {
            if (only >= 0 && mode != only)
                continue;
            best = 1e30;
            size_t items = 0;
            for (int r = 0; r < 3; r++) {
                double t0 = now_s();
                items = 0;
                for (size_t i = 0; i < n_docs; i++) {
                    if (subset && !docs[i].english)
                        continue;
                    struct th_slice *out;
                    size_t n;
                    int rc = mode == 0
                        ? th_nlp_sent_tokenize(nlp, docs[i].text,
                                               docs[i].len, arena, &out, &n,
                                               &err)
                        : mode == 1
                        ? th_nlp_word_tokenize(nlp, docs[i].text,
                                               docs[i].len, arena, &out, &n,
                                               &err)
                        : th_nlp_count_sentences(nlp, docs[i].text,
                                                 docs[i].len, arena, &n,
                                                 &err);
                    if (rc < 0)
                        return 1;
                    items += n;
                    th_arena_reset(arena);
                }
                double t = now_s() - t0;
                if (t < best)
                    best = t;
            }
            printf("  %s: %.1f MB/s, %.0f docs/s, %.2f M %s/s per core "
                   "(%zu %s, %.2f s; %.1f%% of ceiling)\n",
                   mode == 0 ? "sent_tokenize" : mode == 1
                       ? "word_tokenize" : "count_sentences",
                   sub_mb / best, (double)sub_docs / best,
                   (double)items / best / 1e6,
                   mode != 1 ? "sentences" : "tokens", items,
                   mode != 1 ? "sentences" : "tokens", best,
                   100.0 * (sub_mb / best) / ceiling);
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS: %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
    for (size_t i = 0; i < n_docs; i++)
        free(docs[i].text);
    free(docs);
    th_arena_free(arena);
    th_nlp_free(nlp);
    return 0;
}
