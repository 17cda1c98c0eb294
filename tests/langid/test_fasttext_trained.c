/*
 * fastText engine against models trained on the fly by Debian's fastText
 * 0.9.2 (scripts/deps.txt): one per loss, with and without char and word
 * n-grams, quantized with and without -qnorm, -cutoff, -retrain and -qout.
 * Each model predicts every dev.tsv text (5,511 lines) plus edge cases with
 * the fasttext CLI and with our engine; the outputs must be identical.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thresh/fasttext.h"
#include "../test.h"
#include "ft_util.h"

static char workdir[64];
static char *inputs;       /* prediction inputs, one per line */
static size_t inputs_len;  /* bytes */

/* Languages of the small training file (distinct scripts and look-alikes). */
static const char *const train_keys[] = {
    "en", "de", "nl", "fr", "es", "pt", "it", "ru", "uk", "pl", "cs", "sk",
    "tr", "fi", "ja", "zh", "ar", "he", "el", "sv",
};

static bool wanted_key(const char *key, size_t len)
{
    for (size_t i = 0; i < sizeof(train_keys) / sizeof(train_keys[0]); i++)
        if (strlen(train_keys[i]) == len && !memcmp(train_keys[i], key, len))
            return true;
    return false;
}

/* Field i (0-based) of a TSV line. */
static const char *field(const char *line, const char *end, int i,
                         size_t *len)
{
    const char *p = line;
    for (int k = 0; k < i; k++) {
        p = memchr(p, '\t', (size_t)(end - p));
        if (!p)
            return NULL;
        p++;
    }
    const char *q = memchr(p, '\t', (size_t)(end - p));
    *len = (size_t)((q ? q : end) - p);
    return p;
}

/* train.txt (300 lines per language) and inputs (every dev text). */
static bool prepare(void)
{
    if (workdir[0])
        return inputs != NULL;
    snprintf(workdir, sizeof(workdir), "/tmp/thresh-ft-XXXXXX");
    if (!mkdtemp(workdir))
        return false;
    char path[1024];
    const char *dir = th_test_shared_data();
    snprintf(path, sizeof(path), "%s/langid-dev/train.tsv", dir);
    size_t len;
    char *data = ft_read_file(path, &len);
    if (!data)
        return false;
    snprintf(path, sizeof(path), "%s/train.txt", workdir);
    FILE *out = fopen(path, "w");
    /* -qout needs >= 256 output rows: a variant with 15 labels per key */
    snprintf(path, sizeof(path), "%s/train_many.txt", workdir);
    FILE *many = fopen(path, "w");
    int counts[sizeof(train_keys) / sizeof(train_keys[0])] = {0};
    for (size_t pos = 0; out && many && pos < len;) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        const char *line = data + pos, *end = nl ? nl : data + len;
        pos = (size_t)(end - data) + 1;
        size_t kl, tl;
        const char *key = field(line, end, 1, &kl);
        if (key && kl == 0)
            key = field(line, end, 0, &kl);
        const char *text = field(line, end, 4, &tl);
        if (!key || !text || !wanted_key(key, kl))
            continue;
        size_t idx = 0;
        while (strlen(train_keys[idx]) != kl ||
               memcmp(train_keys[idx], key, kl))
            idx++;
        if (counts[idx]++ >= 300)
            continue;
        fprintf(out, "__label__%.*s %.*s\n", (int)kl, key, (int)tl, text);
        fprintf(many, "__label__%.*s_%d %.*s\n", (int)kl, key,
                counts[idx] % 15, (int)tl, text);
    }
    if (out)
        fclose(out);
    if (many)
        fclose(many);
    free(data);
    snprintf(path, sizeof(path), "%s/langid-dev/dev.tsv", dir);
    data = ft_read_file(path, &len);
    if (!data)
        return false;
    struct th_buf in;
    th_buf_init(&in, 0);
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        const char *line = data + pos, *end = nl ? nl : data + len;
        pos = (size_t)(end - data) + 1;
        size_t tl;
        const char *text = field(line, end, 4, &tl);
        if (text) {
            th_buf_append(&in, text, tl);
            th_buf_putc(&in, '\n');
        }
    }
    /* one very long line (the first 300 dev texts joined): features are
     * summed in several batches */
    size_t orig = in.len;
    for (size_t i = 0, k = 0; k < 300 && i < orig; i++) {
        char c = in.ptr[i];
        if (c == '\n')
            k++;
        th_buf_putc(&in, c != '\n' ? c : k < 300 ? ' ' : '\n');
    }
    free(data);
    /* edge cases: blanks, control whitespace, labels, "</s>" mid-line */
    th_buf_append_cstr(&in, "\n   \n\t\v\f\r\n__label__en only a label\n"
                            "a </s> b\nHELLO WORLD\n\xc2\xa0 nbsp\n"
                            "__label__de __label__xx mixed\nlast no newline");
    inputs = in.ptr;
    inputs_len = in.len;
    snprintf(path, sizeof(path), "%s/input.txt", workdir);
    out = fopen(path, "w");
    if (!out)
        return false;
    fwrite(inputs, 1, inputs_len, out);
    fclose(out);
    return true;
}

static int run(const char *cmd)
{
    char full[2048];
    snprintf(full, sizeof(full), "cd %s && { %s ; } 2>>log.txt", workdir, cmd);
    int rc = system(full);
    if (rc != 0)
        printf("# command failed (%d): %s\n", rc, cmd);
    return rc;
}

/*
 * Train with train_args (and quantize with quant_args unless NULL), then
 * compare `fasttext predict-prob MODEL input K THRESHOLD` with ours.
 */
static void check_trained(const char *name, const char *train_file,
                          const char *train_args, const char *quant_args,
                          int32_t k, const char *threshold)
{
    CHECK(prepare());
    if (!inputs)
        return;
    char cmd[1024], path[1024];
    snprintf(cmd, sizeof(cmd),
             "fasttext supervised -input %s -output %s -thread 1 "
             "-seed 1 -verbose 0 %s", train_file, name, train_args);
    CHECK(run(cmd) == 0);
    const char *ext = "bin";
    if (quant_args) {
        snprintf(cmd, sizeof(cmd),
                 "fasttext quantize -input %s -output %s -thread 1 "
                 "-verbose 0 %s", train_file, name, quant_args);
        CHECK(run(cmd) == 0);
        ext = "ftz";
    }
    for (int prob = 0; prob < 2; prob++) {
        snprintf(cmd, sizeof(cmd),
                 "fasttext %s %s.%s input.txt %d %s > %s.%d.ref",
                 prob ? "predict-prob" : "predict", name, ext, (int)k,
                 threshold, name, prob);
        CHECK(run(cmd) == 0);
        snprintf(path, sizeof(path), "%s/%s.%d.ref", workdir, name, prob);
        size_t wlen;
        char *want = ft_read_file(path, &wlen);
        snprintf(path, sizeof(path), "%s/%s.%s", workdir, name, ext);
        struct th_fasttext *model = NULL;
        struct th_error err = {0};
        int rc = th_fasttext_open(&model, path, &err);
        if (rc < 0)
            printf("# %s\n", err.msg);
        CHECK(rc == 0 && want != NULL);
        if (rc == 0 && want) {
            struct th_buf got;
            th_buf_init(&got, 0);
            CHECK(ft_predict_all(model, inputs, inputs_len, k,
                                 strtof(threshold, NULL), prob, &got) == 0);
            size_t lines = 0;
            CHECK_EQ_INT(ft_diff_lines(name, got.ptr, got.len, want, wlen,
                                       &lines), 0);
            CHECK(lines > 5500);
            th_buf_release(&got);
        }
        free(want);
        th_fasttext_free(model);
    }
}

static void softmax_words_only(void)
{
    check_trained("softmax_words", "train.txt",
                  "-loss softmax -dim 8 -epoch 2 "
                  "-minn 0 -maxn 0 -wordNgrams 1", NULL, 5, "0");
}

static void softmax_char_ngrams(void)
{
    check_trained("softmax_char", "train.txt",
                  "-loss softmax -dim 10 -epoch 2 "
                  "-minn 2 -maxn 4 -bucket 50000", NULL, 3, "0");
}

static void softmax_word_ngrams(void)
{
    check_trained("softmax_wordng", "train.txt",
                  "-loss softmax -dim 10 -epoch 2 "
                  "-minn 0 -maxn 0 -wordNgrams 3 -bucket 50000", NULL, -1,
                  "0.001");
}

static void hs_char_and_word_ngrams(void)
{
    check_trained("hs_both", "train.txt",
                  "-loss hs -dim 12 -epoch 2 -minn 1 -maxn 3 "
                  "-wordNgrams 2 -bucket 30000", NULL, 5, "0");
}

static void hs_words_all_labels(void)
{
    check_trained("hs_words", "train.txt",
                  "-loss hs -dim 7 -epoch 1 -minn 0 -maxn 0",
                  NULL, -1, "0");
}

static void ova_char_ngrams(void)
{
    check_trained("ova_char", "train.txt",
                  "-loss ova -dim 10 -epoch 2 -minn 2 -maxn 5 "
                  "-bucket 30000", NULL, -1, "0.05");
}

static void ns_word_ngrams(void)
{
    check_trained("ns_wordng", "train.txt",
                  "-loss ns -neg 3 -dim 10 -epoch 2 "
                  "-minn 0 -maxn 0 -wordNgrams 2 -bucket 30000", NULL, 4,
                  "0");
}

static void quantized_qnorm(void)
{
    check_trained("q_qnorm", "train.txt",
                  "-loss softmax -dim 16 -epoch 2 -minn 2 "
                  "-maxn 4 -wordNgrams 2 -bucket 40000",
                  "-qnorm -dsub 2", 5, "0");
}

static void quantized_cutoff_retrain(void)
{
    check_trained("q_cutoff", "train.txt",
                  "-loss softmax -dim 10 -epoch 2 -minn 2 "
                  "-maxn 4 -bucket 40000",
                  "-cutoff 3000 -retrain -epoch 1 -dsub 4", 5, "0");
}

static void quantized_qout_hs(void)
{
    check_trained("q_qout", "train_many.txt",
                  "-loss hs -dim 12 -epoch 2 -minn 2 -maxn 3 "
                  "-wordNgrams 2 -bucket 30000",
                  "-qnorm -qout -cutoff 5000", 5, "0");
}

static void quantized_ova_no_qnorm(void)
{
    check_trained("q_ova", "train.txt",
                  "-loss ova -dim 16 -epoch 2 -minn 3 -maxn 3 "
                  "-bucket 30000", "-dsub 3", -1, "0.2");
}

static void cleanup(void)
{
    char cmd[128];
    if (workdir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", workdir);
        CHECK(system(cmd) == 0);
    }
    free(inputs);
}

static const struct th_test tests[] = {
    { "softmax_words_only", softmax_words_only },
    { "softmax_char_ngrams", softmax_char_ngrams },
    { "softmax_word_ngrams", softmax_word_ngrams },
    { "hs_char_and_word_ngrams", hs_char_and_word_ngrams },
    { "hs_words_all_labels", hs_words_all_labels },
    { "ova_char_ngrams", ova_char_ngrams },
    { "ns_word_ngrams", ns_word_ngrams },
    { "quantized_qnorm", quantized_qnorm },
    { "quantized_cutoff_retrain", quantized_cutoff_retrain },
    { "quantized_qout_hs", quantized_qout_hs },
    { "quantized_ova_no_qnorm", quantized_ova_no_qnorm },
    { "cleanup", cleanup },
};

TH_TEST_MAIN(tests)
