/*
 * thresh fasttext predict|predict-prob MODEL FILE|- [K] [THRESHOLD]
 *
 * Prints exactly what fastText 0.9.2's CLI prints for the same arguments:
 * one line per input line (a "line" ends at \n or at a "</s>" token), the
 * labels with their prefix, and with predict-prob each probability in C++
 * iostream's default format. K = -1 prints every label.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "thresh/fasttext.h"

static void fasttext_usage(FILE *out)
{
    fprintf(out,
            "usage: thresh fasttext predict MODEL FILE|- [K] [THRESHOLD]\n"
            "       thresh fasttext predict-prob MODEL FILE|- [K] "
            "[THRESHOLD]\n\n"
            "print the K (default 1) most likely labels of each input line "
            "with\nprobability >= THRESHOLD (default 0), byte for byte as "
            "fastText's CLI\ndoes; K = -1 prints all labels\n");
}


/* Append one prediction line to out. */
static int format_line(struct th_buf *out, const struct th_fasttext *model,
                       const struct th_fasttext_prediction *pred, size_t n,
                       bool with_prob)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t len;
        const char *label = th_fasttext_label(model, pred[i].label, &len);
        if (i > 0)
            rc = th_buf_putc(out, ' ');
        if (rc == 0)
            rc = th_buf_append(out, label, len);
        if (rc == 0 && with_prob) {
            char num[32];
            int l = th_fasttext_format_prob(num, sizeof(num), pred[i].prob);
            rc = th_buf_putc(out, ' ');
            if (rc == 0)
                rc = th_buf_append(out, num, (size_t)l);
        }
    }
    if (rc == 0)
        rc = th_buf_putc(out, '\n');
    return rc;
}

/* Everything one run needs, for the chunk callback. */
struct predict_ctx {
    const struct th_fasttext *model;      /* the model */
    struct th_fasttext_state *state;      /* scratch */
    struct th_fasttext_prediction *pred;  /* k predictions */
    int32_t k;                            /* labels per line */
    float threshold;                      /* probability floor */
    bool with_prob;                       /* predict-prob */
    struct th_buf out;                    /* pending output */
};

static int predict_chunk(const char *text, size_t len, void *arg)
{
    struct predict_ctx *c = arg;
    struct th_error err = {0};
    for (size_t pos = 0; pos < len;) {
        size_t n, used;
        if (th_fasttext_predict(c->model, c->state, text + pos, len - pos,
                                c->k, c->threshold, 0, c->pred, &n, &used,
                                &err) < 0) {
            cli_error("%s", err.msg);
            return -1;
        }
        pos += used;
        if (format_line(&c->out, c->model, c->pred, n, c->with_prob) < 0) {
            cli_error("out of memory");
            return -1;
        }
        if (c->out.len >= (1u << 16)) {
            fwrite(c->out.ptr, 1, c->out.len, stdout);
            th_buf_reset(&c->out);
        }
    }
    return 0;
}

int cmd_fasttext(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fasttext_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (argc < 4 || argc > 6 || (strcmp(argv[1], "predict") != 0 &&
                                 strcmp(argv[1], "predict-prob") != 0)) {
        fasttext_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    bool with_prob = strcmp(argv[1], "predict-prob") == 0;
    long k = 1;
    float threshold = 0.0f;
    if (argc > 4) {
        char *end;
        errno = 0;
        k = strtol(argv[4], &end, 10);
        if (end == argv[4] || errno || k < -1 || k > INT32_MAX) {
            cli_error("bad K '%s'", argv[4]);
            return CLI_EXIT_USAGE;
        }
        if (k == 0) {
            cli_error("k needs to be 1 or higher");
            return CLI_EXIT_USAGE;
        }
    }
    if (argc > 5) {
        char *end;
        threshold = strtof(argv[5], &end);
        if (end == argv[5]) {
            cli_error("bad THRESHOLD '%s'", argv[5]);
            return CLI_EXIT_USAGE;
        }
    }
    struct th_error err = {0};
    struct th_fasttext *model = NULL;
    struct predict_ctx c = { .k = (int32_t)k, .threshold = threshold,
                             .with_prob = with_prob };
    int exit_code = CLI_EXIT_FAILURE;
    th_buf_init(&c.out, 0);
    if (th_fasttext_open(&model, argv[2], &err) < 0) {
        cli_error("%s", err.msg);
        goto out_free;
    }
    c.model = model;
    if (th_fasttext_state_new(&c.state, model) < 0) {
        cli_error("out of memory");
        goto out_free;
    }
    struct th_fasttext_info info;
    th_fasttext_get_info(model, &info);
    size_t cap = k == -1 || k > info.n_labels ? (size_t)info.n_labels
                                              : (size_t)k;
    c.pred = calloc(cap ? cap : 1, sizeof(*c.pred));
    if (!c.pred) {
        cli_error("out of memory");
        goto out_free;
    }
    if (cli_stream_lines(argv[3], predict_chunk, &c) < 0)
        goto out_free;
    if (c.out.len)
        fwrite(c.out.ptr, 1, c.out.len, stdout);
    exit_code = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
out_free:
    th_buf_release(&c.out);
    free(c.pred);
    th_fasttext_state_free(c.state);
    th_fasttext_free(model);
    return exit_code;
}
