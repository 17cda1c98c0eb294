/*
 * nlp_words: the word lists (or sentence lists) of every document of a
 * JSONL file (.gz or plain), for differential checks against NLTK itself
 * (tools/nltk_punkt_diff.py runs NLTK 3.8 with the same Punkt parameter
 * files and compares). Output: one JSON line a document,
 * {"id": "...", "words": [...]} (or "sentences").
 * Usage: nlp_words FILE.jsonl[.gz] [LANGUAGE [PUNKT]] [--sentences]
 * (LANGUAGE and PUNKT as in struct th_nlp_options).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/io.h"
#include "thresh/nlp.h"

int main(int argc, char **argv)
{
    bool sentences = argc > 1 && !strcmp(argv[argc - 1], "--sentences");
    if (sentences)
        argc--;
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: nlp_words FILE [LANGUAGE [PUNKT]] "
                        "[--sentences]\n");
        return 2;
    }
    struct th_error err = {0};
    struct th_nlp_options o = {.language = argc > 2 ? argv[2] : NULL,
                               .punkt = argc > 3 ? argv[3] : NULL};
    struct th_nlp *nlp;
    if (th_nlp_new_opts(&nlp, &o, &err) < 0) {
        fprintf(stderr, "nlp_words: %s\n", err.msg);
        return 1;
    }
    fprintf(stderr, "nlp_words: Punkt parameters %s\n",
            th_nlp_punkt_source(nlp));
    struct th_reader *r;
    struct th_reader_options ro = {0};
    ro.format = TH_FORMAT_JSONL;
    if (th_reader_open(&r, argv[1], &ro, &err) < 0) {
        fprintf(stderr, "nlp_words: %s\n", err.msg);
        return 1;
    }
    struct th_arena *a, *work;
    if (th_arena_new(&a, 0, 0) < 0 || th_arena_new(&work, 0, 0) < 0)
        return 1;
    struct th_doc doc;
    struct th_buf out;
    th_buf_init(&out, 0);
    int rc;
    while ((rc = th_reader_next(r, &doc, a, &err)) == 1) {
        struct th_slice *items;
        size_t n;
        int t = sentences
                    ? th_nlp_sent_tokenize(nlp, doc.text.ptr, doc.text.len,
                                           work, &items, &n, &err)
                    : th_nlp_word_tokenize(nlp, doc.text.ptr, doc.text.len,
                                           work, &items, &n, &err);
        if (t < 0) {
            fprintf(stderr, "nlp_words: %s\n", err.msg);
            return 1;
        }
        th_buf_reset(&out);
        th_buf_append_cstr(&out, "{\"id\": \"");
        th_buf_append_json_str(&out, doc.id.ptr, doc.id.len);
        th_buf_append_cstr(&out, sentences ? "\", \"sentences\": ["
                                           : "\", \"words\": [");
        for (size_t i = 0; i < n; i++) {
            th_buf_append_cstr(&out, i ? ", \"" : "\"");
            th_buf_append_json_str(&out, items[i].ptr, items[i].len);
            th_buf_append_cstr(&out, "\"");
        }
        th_buf_append_cstr(&out, "]}\n");
        fwrite(out.ptr, 1, out.len, stdout);
        th_arena_reset(work);
        th_arena_reset(a);
    }
    if (rc < 0)
        fprintf(stderr, "nlp_words: %s\n", err.msg);
    th_buf_release(&out);
    th_arena_free(a);
    th_arena_free(work);
    th_reader_free(r);
    th_nlp_free(nlp);
    return rc < 0;
}
