/*
 * Shared declarations of the thresh CLI. Each subcommand lives in
 * cli/cmd_<name>.c, exports `int cmd_<name>(int argc, char **argv)` (argv[0]
 * is the subcommand name) and is listed in the table in main.c.
 *
 * Exit codes (docs/thresh.1.md): 0 success; 1 usage error; 2 runtime
 * failure (I/O, out of memory, bad model); 3 success but some input was
 * damaged (records skipped and counted).
 */
#ifndef THRESH_CLI_H
#define THRESH_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "thresh/thresh.h"

enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_USAGE = 1,
    CLI_EXIT_FAILURE = 2,
    CLI_EXIT_DAMAGED = 3,
};

/* -q / -v level shared by all subcommands: 0 quiet, 1 normal, 2 verbose. */
extern int cli_verbosity;

/* "thresh: <message>" on stderr (lowercase, no final period). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Warn (once, on stderr) when the filters stage would tokenize with the
 * built-in Punkt parameters because NLTK's are not installed and
 * filters.punkt is left at "auto": its word counts then differ from
 * NLTK's on a few percent of documents.
 */
void cli_check_punkt(const struct th_config *cfg);
/* Warn when the URL filter has domain lists but no Public Suffix List. */
void cli_check_suffix_list(const struct th_config *cfg);

/*
 * Read a whole file (or stdin for "-" / NULL) into a malloc'd NUL-terminated
 * buffer; returns 0 or a negative th_status with a message in err.
 */
int cli_read_all(const char *path, char **data_out, size_t *len_out,
                 struct th_error *err);

/*
 * For commands taking [FILE|-]: the one operand after optind (default
 * "-") read whole into *data_out (malloc'd). Returns CLI_EXIT_OK, or the
 * exit status after printing why (too many operands, unreadable input).
 */
int cli_read_one_input(int argc, char **argv, int optind,
                       const char **path_out, char **data_out,
                       size_t *len_out);

/*
 * Read path ("-" = stdin) in chunks that end at a \n (the last may not)
 * and call fn on each, so input of any size streams through; messages are
 * printed here. Returns 0, or -1 / fn's negative result.
 */
int cli_stream_lines(const char *path,
                     int (*fn)(const char *data, size_t len, void *ctx),
                     void *ctx);

int cmd_run(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_normalize(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_langid(int argc, char **argv);
int cmd_fasttext(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_dedup(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);

#endif
