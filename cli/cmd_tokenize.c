/*
 * `thresh tokenize [--sentences] [--json] [--language L] [--punkt P]
 * [FILE|-]`: NLTK 3.8-compatible word tokenization (nltk.word_tokenize)
 * or, with --sentences, sentence splitting (nltk.sent_tokenize) of FILE
 * (default stdin), read as one text; language and Punkt parameters as in
 * struct th_nlp_options (English, NLTK's parameters when installed).
 * Prints one token or sentence per line (line breaks inside a sentence
 * are printed as spaces), or with --json one JSON array of strings with
 * the exact bytes. Same code as the filters (th_nlp_*).
 */
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "thresh/nlp.h"

static void print_line(const struct th_slice *s)
{
    for (size_t i = 0; i < s->len; i++) {
        char c = s->ptr[i];
        putchar(c == '\n' || c == '\r' ? ' ' : c);
    }
    putchar('\n');
}

int cmd_tokenize(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"sentences", no_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"language", required_argument, NULL, 'l'},
        {"punkt", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool sentences = false, json = false;
    struct th_nlp_options opts = {.language = "english", .punkt = NULL};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "sjl:p:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            sentences = true;
            break;
        case 'j':
            json = true;
            break;
        case 'l':
            opts.language = optarg;
            break;
        case 'p':
            opts.punkt = optarg;
            break;
        case 'h':
            printf("usage: thresh tokenize [--sentences] [--json] "
                   "[--language L] [--punkt P] [FILE|-]\n\n"
                   "print the words (nltk.word_tokenize) or, with "
                   "--sentences, the sentences\n(nltk.sent_tokenize) of "
                   "FILE (default stdin), one per line or as a JSON "
                   "array\n\n"
                   "  -l, --language L  NLTK's language name (default "
                   "english; others need\n"
                   "                    NLTK's Punkt parameters for L)\n"
                   "  -p, --punkt P     Punkt parameters: auto (default: "
                   "NLTK's when installed,\n"
                   "                    else the built-in English set), "
                   "nltk, builtin, or a\n"
                   "                    parameter file (JSON)\n");
            return CLI_EXIT_OK;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    const char *path;
    char *data;
    size_t len;
    int status = cli_read_one_input(argc, argv, optind, &path, &data, &len);
    if (status != CLI_EXIT_OK)
        return status;
    struct th_error err = {0};
    struct th_nlp *nlp = NULL;
    struct th_arena *arena = NULL;
    int rc = th_nlp_new_opts(&nlp, &opts, &err);
    if (rc == 0)
        rc = th_arena_new(&arena, 0, 0);
    struct th_slice *items = NULL;
    size_t n = 0;
    if (rc == 0)
        rc = sentences ? th_nlp_sent_tokenize(nlp, data, len, arena, &items,
                                              &n, &err)
                       : th_nlp_word_tokenize(nlp, data, len, arena, &items,
                                              &n, &err);
    if (rc < 0) {
        cli_error("cannot tokenize '%s': %s", path,
                  err.code ? err.msg : th_status_str(rc));
        goto out;
    }
    if (json) {
        struct th_buf out;
        th_buf_init(&out, 0);
        rc = th_buf_putc(&out, '[');
        for (size_t i = 0; i < n && rc == 0; i++) {
            rc = th_buf_append_cstr(&out, i ? ", \"" : "\"");
            if (rc == 0)
                rc = th_buf_append_json_str(&out, items[i].ptr,
                                            items[i].len);
            if (rc == 0)
                rc = th_buf_putc(&out, '"');
        }
        if (rc == 0)
            rc = th_buf_append_cstr(&out, "]\n");
        if (rc == 0)
            fwrite(out.ptr, 1, out.len, stdout);
        th_buf_release(&out);
        if (rc < 0)
            cli_error("out of memory");
    } else {
        for (size_t i = 0; i < n; i++)
            print_line(&items[i]);
    }
out:
    th_arena_free(arena);
    th_nlp_free(nlp);
    free(data);
    return rc < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
