/*
 * `thresh clean [options] [FILE|-]`: print the text of FILE (or stdin)
 * after the "normalize" and "clean" stages, i.e. the article of an
 * already-extracted page without its navigation, promos and footers.
 * Same code as the stages (th_text_normalize, th_text_clean).
 */
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "thresh/text.h"

int cmd_clean(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"no-normalize", no_argument, NULL, 'n'},
        {"keep-edges", no_argument, NULL, 'k'},
        {"explain", no_argument, NULL, 'x'},
        {"split-glued", no_argument, NULL, 'g'},
        {"stats", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct th_text_clean_options opts = {0};
    bool normalize = true, show_stats = false, split_glued = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "sh", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            normalize = false;
            break;
        case 'k':
            opts.keep_edges = true;
            break;
        case 'x':
            opts.explain = true;
            break;
        case 'g':
            split_glued = true;
            break;
        case 's':
            show_stats = true;
            break;
        case 'h':
            printf("usage: thresh clean [--no-normalize] [--keep-edges] "
                   "[--explain] [--stats]\n"
                   "                    "
                   "[--split-glued] [FILE|-]\n\nprint the main text of an "
                   "extracted page (FILE, default stdin) without\nits "
                   "navigation, promos, embeds, notices and footers;\n"
                   "--split-glued also repairs glued words (notworking -> "
                   "not working)\n");
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
    struct th_buf norm, out;
    th_buf_init(&norm, 0);
    th_buf_init(&out, 0);
    struct th_text_clean_stats st = {0};
    int rc = 0;
    const char *text = data;
    size_t text_len = len;
    if (normalize) {
        rc = th_text_normalize(data, len, TH_TEXT_NORMALIZE_DEFAULT, &norm,
                               NULL);
        text = norm.ptr ? norm.ptr : "";
        text_len = norm.len;
    }
    if (rc == 0)
        rc = th_text_clean(text, text_len, &opts, &out, &st);
    if (rc == 0 && split_glued) {
        struct th_text_glue *glue;
        if (th_text_glue_new(&glue, NULL, &err) < 0) {
            cli_error("%s", err.msg);
            free(data);
            th_buf_release(&norm);
            th_buf_release(&out);
            return CLI_EXIT_FAILURE;
        }
        th_buf_reset(&norm);
        rc = th_text_split_glued(glue, out.ptr ? out.ptr : "", out.len,
                                 &norm, NULL);
        th_text_glue_free(glue);
        struct th_buf tmp = out;
        out = norm;
        norm = tmp;
    }
    free(data);
    th_buf_release(&norm);
    if (rc < 0) {
        cli_error("cannot clean '%s': %s", path, th_status_str(rc));
        th_buf_release(&out);
        return CLI_EXIT_FAILURE;
    }
    if (out.len) {
        fwrite(out.ptr, 1, out.len, stdout);
        putchar('\n');
    }
    if (show_stats)
        fprintf(stderr, "lines %zu, dropped %zu, promos cut %zu\n",
                st.n_lines, st.n_dropped, st.n_split);
    th_buf_release(&out);
    return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
