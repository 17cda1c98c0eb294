/* CLI helpers: messages and whole-file reads. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "thresh/filter.h"
#include "thresh/nlp.h"

int cli_verbosity = 1;

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
    fprintf(stderr, "thresh: %s", prefix);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("error: ", fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    if (cli_verbosity < 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmsg("warning: ", fmt, ap);
    va_end(ap);
}

void cli_check_punkt(const struct th_config *cfg)
{
    const char *p = cfg ? th_config_get(cfg, "filters.punkt") : NULL;
    if (p && strcmp(p, "auto") != 0)
        return;
    struct th_nlp *nlp;
    struct th_error err = {0};
    if (th_nlp_new(&nlp, "english", &err) < 0)
        return;   /* the stage itself reports it */
    if (!strcmp(th_nlp_punkt_source(nlp), "builtin"))
        cli_warn("NLTK's Punkt parameters not found: the filters tokenize "
                 "with the built-in set, whose word counts differ from "
                 "NLTK's on ~3.5%% of documents (install "
                 "golang-gopkg-neurosnap-sentences.v1-dev or set "
                 "THRESH_PUNKT_DIR; filters.punkt=builtin to choose it)");
    th_nlp_free(nlp);
}

void cli_check_suffix_list(const struct th_config *cfg)
{
    const char *d = cfg ? th_config_get(cfg, "filters.url.domains") : NULL;
    if (!d || !*d)
        return;
    struct th_url_filter *uf;
    struct th_url_filter_opts o = {0};
    struct th_error err = {0};
    if (th_url_filter_new(&uf, &o, &err) < 0)
        return;   /* the stage itself reports it */
    if (!th_url_filter_suffix_list(uf))
        cli_warn("no Public Suffix List found (install publicsuffix or set "
                 "THRESH_PSL_PATH): the URL filter takes a host's last two "
                 "labels as its registered domain (wrong for co.uk and the "
                 "like)");
    th_url_filter_free(uf);
}

void cli_info(const char *fmt, ...)
{
    if (cli_verbosity < 2)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmsg("", fmt, ap);
    va_end(ap);
}

int cli_read_all(const char *path, char **data_out, size_t *len_out,
                 struct th_error *err)
{
    bool is_stdin = !path || strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return th_error_set(err, TH_EIO, "cannot open '%s': %s", path,
                            strerror(errno));
    struct th_buf b;
    th_buf_init(&b, 0);
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        rc = th_buf_append(&b, chunk, n);
        if (rc < 0)
            break;
    }
    if (rc == 0 && ferror(f))
        rc = th_error_set(err, TH_EIO, "cannot read '%s': %s",
                          is_stdin ? "-" : path, strerror(errno));
    else if (rc < 0)
        th_error_set(err, rc, "'%s' is too large", is_stdin ? "-" : path);
    if (!is_stdin)
        fclose(f);
    if (rc == 0 && !b.ptr)
        rc = th_buf_reserve(&b, 0);
    if (rc < 0) {
        th_buf_release(&b);
        return rc;
    }
    *data_out = b.ptr;
    *len_out = b.len;
    return 0;
}

/*
 * Read path ("-" = stdin) in chunks that end at a \n (the last chunk may
 * not) and call fn on each, so input of any size streams through.
 */
int cli_stream_lines(const char *path,
                     int (*fn)(const char *data, size_t len, void *ctx),
                     void *ctx)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        cli_error("cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    struct th_buf in;
    th_buf_init(&in, 0);
    static char chunk[1 << 16];
    int rc = 0;
    for (bool eof = false; !eof && rc == 0;) {
        size_t got = fread(chunk, 1, sizeof(chunk), f);
        if (got == 0) {
            eof = true;
            if (ferror(f)) {
                cli_error("cannot read '%s': %s", path, strerror(errno));
                rc = -1;
                break;
            }
        } else if (th_buf_append(&in, chunk, got) < 0) {
            cli_error("out of memory");
            rc = -1;
            break;
        }
        size_t end = in.len;
        if (!eof) {
            /* a \n can only be in the new bytes: the rest had none */
            end = 0;
            for (size_t i = in.len; i > in.len - got; i--)
                if (in.ptr[i - 1] == '\n') {
                    end = i;
                    break;
                }
        }
        if (end > 0) {
            rc = fn(in.ptr, end, ctx);
            memmove(in.ptr, in.ptr + end, in.len - end);
            in.len -= end;
        }
    }
    th_buf_release(&in);
    if (!is_stdin)
        fclose(f);
    return rc;
}

int cli_read_one_input(int argc, char **argv, int optind,
                       const char **path_out, char **data_out,
                       size_t *len_out)
{
    struct th_error err = {0};
    if (argc - optind > 1) {
        cli_error("too many inputs");
        return CLI_EXIT_USAGE;
    }
    *path_out = optind < argc ? argv[optind] : "-";
    if (cli_read_all(*path_out, data_out, len_out, &err) < 0) {
        cli_error("%s", err.msg);
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}
