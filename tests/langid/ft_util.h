/*
 * Helpers shared by the langid tests: read files, format predictions the
 * way fastText's CLI prints them, compare whole outputs line by line.
 */
#ifndef THRESH_TEST_FT_UTIL_H
#define THRESH_TEST_FT_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/fasttext.h"

/* Whole file into a malloc'd NUL-terminated buffer, or NULL. */
static char *ft_read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct th_buf b;
    th_buf_init(&b, 0);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (th_buf_append(&b, chunk, n) < 0)
            break;
    fclose(f);
    if (th_buf_putc(&b, '\0') < 0) {
        th_buf_release(&b);
        return NULL;
    }
    *len_out = b.len - 1;
    return b.ptr;
}

/*
 * Predict every line of text as `fasttext predict[-prob] MODEL - k
 * threshold` does and append the CLI's output to out. Returns 0 or < 0.
 */
static int ft_predict_all(const struct th_fasttext *model, const char *text,
                          size_t len, int32_t k, float threshold,
                          bool with_prob, struct th_buf *out)
{
    struct th_fasttext_state *st;
    struct th_fasttext_info info;
    struct th_error err = {0};
    th_fasttext_get_info(model, &info);
    if (th_fasttext_state_new(&st, model) < 0)
        return TH_ENOMEM;
    struct th_fasttext_prediction *pred =
        calloc((size_t)info.n_labels + 1, sizeof(*pred));
    int rc = pred ? 0 : TH_ENOMEM;
    size_t pos = 0;
    while (rc == 0 && pos < len) {
        size_t n, used;
        rc = th_fasttext_predict(model, st, text + pos, len - pos, k,
                                 threshold, 0, pred, &n, &used, &err);
        pos += used;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            if (i)
                th_buf_putc(out, ' ');
            th_buf_append_cstr(out, th_fasttext_label(model, pred[i].label,
                                                      NULL));
            if (with_prob) {
                char num[32];
                th_fasttext_format_prob(num, sizeof(num), pred[i].prob);
                th_buf_putc(out, ' ');
                th_buf_append_cstr(out, num);
            }
        }
        if (rc == 0)
            rc = th_buf_putc(out, '\n');
    }
    free(pred);
    th_fasttext_state_free(st);
    return rc;
}

/*
 * Compare two outputs line by line; prints the first few differing lines
 * as TAP diagnostics and returns the number of differing lines (plus 1
 * when the line counts differ).
 */
static size_t ft_diff_lines(const char *what, const char *got, size_t glen,
                            const char *want, size_t wlen, size_t *n_lines)
{
    size_t diffs = 0, line = 0, gp = 0, wp = 0;
    while (gp < glen && wp < wlen) {
        const char *ge = memchr(got + gp, '\n', glen - gp);
        const char *we = memchr(want + wp, '\n', wlen - wp);
        size_t gl = ge ? (size_t)(ge - got - gp) : glen - gp;
        size_t wl = we ? (size_t)(we - want - wp) : wlen - wp;
        line++;
        if (gl != wl || memcmp(got + gp, want + wp, gl) != 0) {
            if (diffs < 3)
                printf("# %s line %zu:\n#   got:  %.*s\n#   want: %.*s\n",
                       what, line, (int)(gl > 300 ? 300 : gl), got + gp,
                       (int)(wl > 300 ? 300 : wl), want + wp);
            diffs++;
        }
        gp += gl + 1;
        wp += wl + 1;
    }
    if (gp < glen || wp < wlen) {
        printf("# %s: line counts differ after line %zu\n", what, line);
        diffs++;
    }
    if (n_lines)
        *n_lines = line;
    return diffs;
}

#endif
