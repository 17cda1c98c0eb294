/*
 * `thresh normalize [options] [FILE|-]`: print the text of FILE (or stdin)
 * after the "normalize" stage: valid UTF-8, mojibake and entities repaired,
 * NFC, control characters removed, whitespace tidied. Same code as the
 * stage (th_text_normalize).
 */
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "thresh/text.h"

int cmd_normalize(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"no-nfc", no_argument, NULL, 'N'},
        {"no-mojibake", no_argument, NULL, 'M'},
        {"no-entities", no_argument, NULL, 'E'},
        {"stats", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned flags = TH_TEXT_NORMALIZE_DEFAULT;
    bool show_stats = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "sh", longopts, NULL)) != -1) {
        switch (c) {
        case 'N':
            flags &= ~(unsigned)TH_TEXT_NFC;
            break;
        case 'M':
            flags &= ~(unsigned)TH_TEXT_MOJIBAKE;
            break;
        case 'E':
            flags &= ~(unsigned)TH_TEXT_ENTITIES;
            break;
        case 's':
            show_stats = true;
            break;
        case 'h':
            printf("usage: thresh normalize [--no-nfc] [--no-mojibake] "
                   "[--no-entities] [--stats] [FILE|-]\n\n"
                   "print FILE (default stdin) as valid NFC UTF-8 with "
                   "mojibake, entities\nand whitespace repaired\n");
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
    struct th_buf out;
    th_buf_init(&out, 0);
    struct th_text_normalize_stats st = {0};
    int rc = th_text_normalize(data, len, flags, &out, &st);
    free(data);
    if (rc < 0) {
        cli_error("cannot normalize '%s': %s", path, th_status_str(rc));
        th_buf_release(&out);
        return CLI_EXIT_FAILURE;
    }
    if (out.len) {
        fwrite(out.ptr, 1, out.len, stdout);
        putchar('\n');
    }
    if (show_stats)
        fprintf(stderr, "invalid bytes %zu, mojibake %zu, entities %zu, "
                "removed %zu\n", st.n_invalid, st.n_mojibake,
                st.n_entities, st.n_removed);
    th_buf_release(&out);
    return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
