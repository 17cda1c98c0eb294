/*
 * thresh CLI entry point: dispatches to cli/cmd_<name>.c. The CLI is thin:
 * it parses options, fills a th_config and prints; all work is libthresh's.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cli_command {
    const char *name;                    /* subcommand word */
    int (*fn)(int argc, char **argv);    /* argv[0] is the name */
    const char *summary;                 /* one line for `thresh --help` */
};

static const struct cli_command commands[] = {
    {"run", cmd_run, "run the pipeline over inputs into an output directory"},
    {"cat", cmd_cat, "print the documents of any supported input as JSONL"},
    {"extract", cmd_extract, "print the main content of an HTML page"},
    {"normalize", cmd_normalize, "print text as valid NFC UTF-8, mojibake repaired"},
    {"clean", cmd_clean, "print the article of extracted text without leftovers"},
    {"langid", cmd_langid, "print the language of every input line"},
    {"fasttext", cmd_fasttext, "fastText predict / predict-prob, bit-exact"},
    {"filter", cmd_filter, "Gopher/C4/FineWeb quality filters, signals, PII"},
    {"dedup", cmd_dedup, "multi-phase exact/URL/near-duplicate removal"},
    {"tokenize", cmd_tokenize, "print NLTK-compatible words or sentences"},
    {"score", cmd_score, "score extraction output against gold text"},
    {"version", NULL, "print the version"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: thresh <command> [options] [args]\n"
                 "       thresh --version\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'thresh <command> --help' describes a command; "
                 "man thresh has the rest\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("thresh %s\n", TH_VERSION_STRING);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (commands[i].fn && !strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    cli_error("unknown command '%s'", argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
