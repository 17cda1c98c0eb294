/*
 * thresh langid [--model M] [--preset P] [-k N] [FILE|-]
 *
 * One output line per input line: "<lang> <score>" (the top language and
 * its probability; with -k N, N such pairs separated by spaces). Without
 * --model the built-in model is used. Each line is predicted as fastText's
 * Python predict() does (end-of-sentence token appended).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "thresh/langid.h"

static void langid_usage(FILE *out)
{
    fprintf(out,
            "usage: thresh langid [--model MODEL] [--preset PRESET] [-k N] "
            "[FILE|-]\n\n"
            "print \"<lang> <score>\" for every input line (stdin by "
            "default)\n\n"
            "  --model MODEL    any supervised fastText model (.bin/.ftz); "
            "default:\n"
            "                   the built-in model (%s)\n"
            "  --preset PRESET  text preparation: datatrove, fineweb, dclm, "
            "nemo, raw\n"
            "  -k N             print the N best languages (default 1)\n",
            th_langid_default_model() ? th_langid_default_model()
                                      : "not found");
}


/* Everything one run needs, for the chunk callback. */
struct langid_ctx {
    const struct th_langid *lid;          /* the model */
    struct th_langid_worker *worker;      /* scratch */
    struct th_langid_result *res;         /* k results */
    int32_t k;                            /* languages per line */
    enum th_langid_preset preset;         /* text preparation */
    struct th_buf out;                    /* pending output */
};

static int langid_chunk(const char *text, size_t len, void *arg)
{
    struct langid_ctx *c = arg;
    struct th_error err = {0};
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t n;
        if (th_langid_predict(c->lid, c->worker, c->preset, text + pos,
                              end - pos, c->k, c->res, &n, &err) < 0) {
            cli_error("%s", err.msg);
            return -1;
        }
        pos = end + 1;
        if (n == 0)
            th_buf_append_cstr(&c->out, "und 0");
        for (size_t i = 0; i < n; i++) {
            char num[32];
            th_fasttext_format_prob(num, sizeof(num), c->res[i].prob);
            th_buf_printf(&c->out, "%s%.*s %s", i ? " " : "",
                          (int)c->res[i].label_len, c->res[i].label, num);
        }
        if (th_buf_putc(&c->out, '\n') < 0) {
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

int cmd_langid(int argc, char **argv)
{
    const char *model_path = NULL, *input = "-";
    enum th_langid_preset preset = TH_LANGID_PRESET_RAW;
    long k = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            langid_usage(stdout);
            return CLI_EXIT_OK;
        } else if (!strcmp(a, "--model") && i + 1 < argc) {
            model_path = argv[++i];
        } else if (!strcmp(a, "--preset") && i + 1 < argc) {
            if (th_langid_preset_parse(argv[++i], &preset) < 0) {
                cli_error("unknown preset '%s'", argv[i]);
                return CLI_EXIT_USAGE;
            }
        } else if (!strcmp(a, "-k") && i + 1 < argc) {
            char *end;
            k = strtol(argv[++i], &end, 10);
            if (*end || k < 1 || k > 100000) {
                cli_error("bad -k '%s'", argv[i]);
                return CLI_EXIT_USAGE;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_error("unknown option '%s'", a);
            langid_usage(stderr);
            return CLI_EXIT_USAGE;
        } else {
            input = a;
        }
    }
    struct th_error err = {0};
    struct th_langid *lid = NULL;
    struct langid_ctx c = { .preset = preset };
    int exit_code = CLI_EXIT_FAILURE;
    th_buf_init(&c.out, 0);
    if (th_langid_new(&lid, model_path, &err) < 0) {
        cli_error("%s", err.msg);
        goto out_free;
    }
    c.lid = lid;
    struct th_fasttext_info info;
    th_fasttext_get_info(th_langid_model(lid), &info);
    if (k > info.n_labels)
        k = info.n_labels;
    c.k = (int32_t)k;
    c.res = calloc((size_t)k, sizeof(*c.res));
    if (!c.res || th_langid_worker_new(&c.worker, lid) < 0) {
        cli_error("out of memory");
        goto out_free;
    }
    if (cli_stream_lines(input, langid_chunk, &c) < 0)
        goto out_free;
    if (c.out.len)
        fwrite(c.out.ptr, 1, c.out.len, stdout);
    exit_code = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
out_free:
    th_buf_release(&c.out);
    free(c.res);
    th_langid_worker_free(c.worker);
    th_langid_free(lid);
    return exit_code;
}
