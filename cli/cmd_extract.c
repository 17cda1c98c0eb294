/*
 * `thresh extract [options] [PAGE.html|-]`: print the main content of one
 * HTML page, the same code as the "extract" stage (th_html_extract).
 * Plain text (one block per line) by default; --format markdown keeps
 * headings, lists, tables and quotes; --format json prints one object with
 * the text and the page metadata.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "thresh/html.h"

static void json_member(struct th_buf *b, const char *key, struct th_slice v,
                        bool *first)
{
    if (!v.len)
        return;
    th_buf_printf(b, "%s\"%s\":\"", *first ? "" : ",", key);
    th_buf_append_json_str(b, v.ptr, v.len);
    th_buf_putc(b, '"');
    *first = false;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: thresh extract [--format text|markdown|json] [--links] "
            "[--comments]\n                      [--url URL] [--charset CS] "
            "[PAGE.html|-]\n\nprint the main content of an HTML page (default "
            "stdin): text has one block\nper line; markdown keeps headings, "
            "lists, tables; json adds the metadata\n");
}

int cmd_extract(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"links", no_argument, NULL, 'l'},
        {"comments", no_argument, NULL, 'c'},
        {"url", required_argument, NULL, 'u'},
        {"charset", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct th_html_extract_options opts = {0};
    const char *url = "", *charset = "";
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!strcmp(optarg, "markdown") || !strcmp(optarg, "md"))
                opts.format = TH_HTML_FORMAT_MARKDOWN;
            else if (!strcmp(optarg, "json"))
                json = true;
            else if (strcmp(optarg, "text") != 0) {
                cli_error("unknown format '%s'", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'l':
            opts.markdown_links = true;
            break;
        case 'c':
            opts.include_comments = true;
            break;
        case 'u':
            url = optarg;
            break;
        case 's':
            charset = optarg;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *path = optind < argc ? argv[optind] : "-";
    struct th_error err = {0};
    char *data = NULL;
    size_t len = 0;
    struct th_html_extractor *ex = NULL;
    struct th_arena *arena = NULL;
    int status = CLI_EXIT_FAILURE;
    if (cli_read_all(path, &data, &len, &err) < 0) {
        cli_error("%s", err.msg);
        return CLI_EXIT_FAILURE;
    }
    if (th_html_extractor_new(&ex, &opts) < 0 ||
        th_arena_new(&arena, 0, 0) < 0) {
        cli_error("out of memory");
        goto out_free;
    }
    struct th_html_result r;
    if (th_html_extract(ex, (const uint8_t *)data, len,
                        th_slice_from_cstr(charset), th_slice_from_cstr(url),
                        arena, &r, &err) < 0) {
        cli_error("'%s': %s", path, err.msg);
        goto out_free;
    }
    if (json) {
        struct th_buf b;
        th_buf_init(&b, 0);
        bool first = true;
        th_buf_putc(&b, '{');
        json_member(&b, "text", r.text, &first);
        json_member(&b, "title", r.title, &first);
        json_member(&b, "canonical_url", r.canonical, &first);
        json_member(&b, "html_lang", r.lang, &first);
        json_member(&b, "date_published", r.date, &first);
        json_member(&b, "author", r.author, &first);
        json_member(&b, "charset", th_slice_from_cstr(r.charset), &first);
        json_member(&b, "drop_reason", th_slice_from_cstr(r.drop_reason),
                    &first);
        th_buf_append(&b, "}\n", 2);
        fwrite(b.ptr, 1, b.len, stdout);
        th_buf_release(&b);
    } else {
        if (r.drop_reason)
            cli_warn("'%s': nothing extracted (%s)", path, r.drop_reason);
        fwrite(r.text.ptr, 1, r.text.len, stdout);
        if (r.text.len)
            fputc('\n', stdout);
    }
    status = CLI_EXIT_OK;
out_free:
    th_arena_free(arena);
    th_html_extractor_free(ex);
    free(data);
    return status;
}
