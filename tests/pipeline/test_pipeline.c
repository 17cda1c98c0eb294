/*
 * Unit tests for lib/pipeline through its public API: accounting, thread
 * independence, ordering across several inputs, option errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "thresh/pipeline.h"
#include "../test.h"

static char dir[256];

static const char *path(const char *name)
{
    static char p[4][512];
    static int k;
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/thresh-test-pipeline-XXXXXX");
        if (!mkdtemp(dir))
            abort();
    }
    k = (k + 1) % 4;
    snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
    return p[k];
}

/* n JSONL documents "<tag> <i>", some lines broken */
static void write_input(const char *name, const char *tag, int n)
{
    FILE *f = fopen(path(name), "w");
    for (int i = 0; i < n; i++) {
        if (i % 17 == 16)
            fprintf(f, "{\"id\":\"%s-%d\",\"text\":broken}\n", tag, i);
        else
            fprintf(f, "{\"id\":\"%s-%d\",\"text\":\"%s %d\"}\n", tag, i,
                    tag, i);
    }
    fclose(f);
}

static char *slurp(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    if (!f) {
        *len = 0;
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = 0;
    fclose(f);
    return b;
}

static int run(const char *out, int threads, size_t batch,
               struct th_run_summary *sum, struct th_error *err)
{
    static const char *inputs[3];
    inputs[0] = strdup(path("a.jsonl"));
    inputs[1] = strdup(path("missing.jsonl"));
    inputs[2] = strdup(path("b.jsonl"));
    struct th_pipeline_options o;
    memset(&o, 0, sizeof(o));
    o.inputs = inputs;
    o.n_inputs = 3;
    o.outdir = out;
    o.stages = "none";
    o.threads = threads;
    o.batch_docs = batch;
    o.writer.compression = TH_COMPRESSION_NONE;
    int rc = th_pipeline_run(&o, sum, err);
    for (int i = 0; i < 3; i++)
        free((void *)inputs[i]);
    return rc;
}

static void accounting_and_order(void)
{
    write_input("a.jsonl", "alpha", 500);
    write_input("b.jsonl", "beta", 300);
    struct th_run_summary s;
    struct th_error err = {0};
    CHECK_EQ_INT(run(path("out1"), 1, 7, &s, &err), 0);
    CHECK_EQ_INT(s.read, 800);
    CHECK_EQ_INT(s.read, s.kept + s.rejected);
    CHECK_EQ_INT(s.rejected, 29 + 17);   /* the broken lines */
    CHECK_EQ_INT(s.inputs_failed, 1);
    CHECK(s.damaged >= 46);
    size_t len;
    char *docs = slurp(path("out1/docs/00000.jsonl"), &len);
    CHECK(docs != NULL);
    /* input order: all of a, then all of b */
    char *a_last = docs ? strstr(docs, "\"alpha 499\"") : NULL;
    char *b_first = docs ? strstr(docs, "\"beta 0\"") : NULL;
    CHECK(a_last && b_first && a_last < b_first);
    free(docs);
}

static void identical_for_any_thread_count(void)
{
    struct th_run_summary s;
    struct th_error err = {0};
    size_t l1, l2, r1, r2;
    CHECK_EQ_INT(run(path("t1"), 1, 5, &s, &err), 0);
    CHECK_EQ_INT(run(path("t4"), 4, 5, &s, &err), 0);
    char *d1 = slurp(path("t1/docs/00000.jsonl"), &l1);
    char *d4 = slurp(path("t4/docs/00000.jsonl"), &l2);
    char *j1 = slurp(path("t1/rejects/00000.jsonl"), &r1);
    char *j4 = slurp(path("t4/rejects/00000.jsonl"), &r2);
    CHECK(d1 && d4 && j1 && j4);
    if (d1 && d4)
        CHECK_EQ_MEM(d1, l1, d4, l2);
    if (j1 && j4)
        CHECK_EQ_MEM(j1, r1, j4, r2);
    free(d1);
    free(d4);
    free(j1);
    free(j4);
}

static void option_errors(void)
{
    struct th_pipeline_options o;
    struct th_run_summary s;
    struct th_error err = {0};
    const char *in[1] = { path("a.jsonl") };
    memset(&o, 0, sizeof(o));
    o.inputs = in;
    o.n_inputs = 1;
    o.outdir = path("bad");
    o.stages = "nosuchstage";
    CHECK_EQ_INT(th_pipeline_run(&o, &s, &err), TH_EINVAL);
    CHECK(strstr(err.msg, "nosuchstage") != NULL);
    o.stages = "none";
    o.outdir = "/proc/thresh-cannot-write-here";
    CHECK(th_pipeline_run(&o, &s, &err) < 0);
    CHECK(strstr(err.msg, "cannot create") != NULL);
}

static void stats_file_is_written(void)
{
    size_t len;
    char *st = slurp(path("out1/stats.json"), &len);
    CHECK(st != NULL);
    CHECK(st && strstr(st, "\"read\": 800") != NULL);
    CHECK(st && strstr(st, "\"bad_json\": 46") != NULL);
    CHECK(st && strstr(st, "\"inputs_failed\": 1") != NULL);
    free(st);
}

static const struct th_test tests[] = {
    {"accounting_and_order", accounting_and_order},
    {"identical_for_any_thread_count", identical_for_any_thread_count},
    {"option_errors", option_errors},
    {"stats_file_is_written", stats_file_is_written},
};

TH_TEST_MAIN(tests)
