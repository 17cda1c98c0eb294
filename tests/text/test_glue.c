/*
 * Glued-word repair: the seed's two glued words, words that must never be
 * split, and precision/recall measured on real English text with glue
 * points made at known places (every 20th pair of adjacent lowercase
 * words in the English sentences of ../shared/data/langid-dev/train.tsv,
 * Universal Dependencies treebanks). Every split is checked: a split of
 * an untouched word, or at the wrong place, counts against precision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/text.h"
#include "test.h"

static struct th_text_glue *glue;

static bool load(void)
{
    struct th_error err = {0};
    if (glue)
        return true;
    if (th_text_glue_new(&glue, NULL, &err) < 0) {
        printf("# %s\n", err.msg);
        return false;
    }
    return true;
}

static void split(const char *in, char *out, size_t cap)
{
    struct th_buf b;
    th_buf_init(&b, 0);
    th_text_split_glued(glue, in, strlen(in), &b, NULL);
    snprintf(out, cap, "%s", b.ptr ? b.ptr : "");
    th_buf_release(&b);
}

static void repairs_the_seed_words(void)
{
    CHECK(load());
    if (!glue)
        return;
    char out[256];
    split("With pressure mounting on Italythe Trump administration", out,
          sizeof(out));
    CHECK_EQ_STR(out, "With pressure mounting on Italy the Trump "
                 "administration");
    split("it was notworking with ICE", out, sizeof(out));
    CHECK_EQ_STR(out, "it was not working with ICE");
}

static void leaves_words_alone(void)
{
    CHECK(load());
    if (!glue)
        return;
    static const char *const keep[] = {
        "iPhone", "YouTube", "McDonald", "something", "cannot", "colour",
        "labour", "youre", "theyre", "dont", "laboris", "Samus", "Tallon",
        "walkthrough", "e-mail", "user@inthe.example", "http://x.org/ofthe",
        "file_andthe", "don't", "ofthe2", "caf\xc3\xa9the",
    };
    for (size_t i = 0; i < sizeof(keep) / sizeof(*keep); i++) {
        char out[256];
        split(keep[i], out, sizeof(out));
        CHECK_EQ_STR(out, keep[i]);
    }
}

static bool plain_lower(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < 'a' || s[i] > 'z')
            return false;
    return n > 0;
}

static void precise_on_real_english(void)
{
    CHECK(load());
    if (!glue)
        return;
    char path[1024];
    snprintf(path, sizeof(path), "%s/langid-dev/train.tsv",
             th_test_shared_data());
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0, right = 0, wrong = 0, missed = 0, untouched_split = 0;
    size_t words = 0, pair_no = 0;
    ssize_t n;
    struct th_buf out, glued;
    th_buf_init(&out, 0);
    th_buf_init(&glued, 0);
    while ((n = getline(&line, &cap, f)) > 0) {
        if (strncmp(line, "eng\t", 4) != 0)
            continue;
        char *text = line;
        for (int tab = 0; tab < 4 && text; tab++) {
            text = strchr(text, '\t');
            if (text)
                text++;
        }
        if (!text)
            continue;
        size_t len = strcspn(text, "\r\n");
        /* the untouched sentence: every split is a false one */
        th_buf_reset(&out);
        size_t splits = 0;
        th_text_split_glued(glue, text, len, &out, &splits);
        untouched_split += splits;
        /* glue every 20th pair of plain lowercase words, then repair */
        size_t i = 0;
        while (i < len) {
            while (i < len && text[i] == ' ')
                i++;
            size_t a = i;
            while (i < len && text[i] != ' ')
                i++;
            size_t a_end = i, b = i + 1, b_end = b;
            words++;
            while (b_end < len && text[b_end] != ' ')
                b_end++;
            if (b >= len || !plain_lower(text + a, a_end - a) ||
                !plain_lower(text + b, b_end - b) || ++pair_no % 20)
                continue;
            th_buf_reset(&glued);
            th_buf_append(&glued, text + a, a_end - a);
            th_buf_append(&glued, text + b, b_end - b);
            th_buf_reset(&out);
            splits = 0;
            th_text_split_glued(glue, glued.ptr, glued.len, &out, &splits);
            if (!splits)
                missed++;
            else if (out.len == glued.len + 1 && out.ptr[a_end - a] == ' ')
                right++;
            else
                wrong++;
        }
    }
    free(line);
    fclose(f);
    th_buf_release(&out);
    th_buf_release(&glued);
    double precision = (double)right / (double)(right + wrong +
                                                untouched_split);
    double recall = (double)right / (double)(right + wrong + missed);
    printf("# %zu words; glued pairs %zu: right %zu, wrong %zu, missed "
           "%zu; splits of untouched text %zu\n# precision %.4f, recall "
           "%.3f\n", words, right + wrong + missed, right, wrong, missed,
           untouched_split, precision, recall);
    CHECK(right + wrong + missed > 500);
    CHECK(precision >= 0.99);
    CHECK(recall >= 0.35);
}

static const struct th_test tests[] = {
    {"repairs_the_seed_words", repairs_the_seed_words},
    {"leaves_words_alone", leaves_words_alone},
    {"precise_on_real_english", precise_on_real_english},
};

int main(int argc, char **argv)
{
    int rc = th_test_run(tests, sizeof(tests) / sizeof(tests[0]), argc,
                         argv);
    th_text_glue_free(glue);
    return rc;
}
