/*
 * `thresh cat [--text] INPUT...`: read any supported input (WARC/WET,
 * JSONL, text; raw, gzip or zstd) and print each document as one JSONL
 * line (or only its text with --text) — for inspecting output shards and
 * for round-trip tests. Damaged records are reported on stderr and skipped.
 */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "thresh/io.h"

static void on_warning(const char *msg, void *ctx)
{
    (void)ctx;
    if (cli_verbosity >= 1)
        fprintf(stderr, "thresh: warning: %s\n", msg);
}

int cmd_cat(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"text", no_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool text_only = false;
    int c, status = CLI_EXIT_OK;
    optind = 1;
    while ((c = getopt_long(argc, argv, "tqh", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            text_only = true;
            break;
        case 'q':
            cli_verbosity = 0;
            break;
        case 'h':
            printf("usage: thresh cat [--text] INPUT...\n\nprint every "
                   "document of the inputs as JSONL (or its text only)\n");
            return CLI_EXIT_OK;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cli_error("no input");
        return CLI_EXIT_USAGE;
    }
    struct th_arena *arena;
    struct th_buf out;
    if (th_arena_new(&arena, 0, 0) < 0)
        return CLI_EXIT_FAILURE;
    th_buf_init(&out, 0);
    for (int i = optind; i < argc; i++) {
        struct th_reader_options ro = { .on_warning = on_warning };
        struct th_reader *r;
        struct th_error err = {0};
        if (th_reader_open(&r, argv[i], &ro, &err) < 0) {
            cli_error("%s", err.msg);
            status = CLI_EXIT_DAMAGED;
            continue;
        }
        struct th_doc doc;
        int n;
        while ((n = th_reader_next(r, &doc, arena, &err)) > 0) {
            th_buf_reset(&out);
            if (doc.damage)
                continue;
            if (text_only) {
                th_buf_append(&out, doc.text.ptr, doc.text.len);
                th_buf_putc(&out, '\n');
            } else {
                th_doc_to_jsonl(&doc, &out);
            }
            fwrite(out.ptr, 1, out.len, stdout);
            th_arena_reset(arena);
        }
        if (n < 0)
            cli_error("%s", err.msg);
        if (n < 0 || th_reader_stats(r)->damaged)
            status = CLI_EXIT_DAMAGED;
        th_reader_free(r);
    }
    th_buf_release(&out);
    th_arena_free(arena);
    return status;
}
