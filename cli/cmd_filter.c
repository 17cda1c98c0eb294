/*
 * `thresh filter [options] [INPUT...]`: run the "filters" stage (and with
 * --pii the "pii" stage) over documents of any supported input (JSONL
 * typically) and print the kept documents as JSONL on stdout; --rejects
 * writes the dropped ones, with filter_stage / filter_reason, to a file.
 * --annotate keeps everything and adds the quality signals to metadata.
 * Options map onto the stage configuration (docs/filter.md): --preset is
 * filters.preset, --set KEY=VALUE any key.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "thresh/io.h"

static void on_warning(const char *msg, void *ctx)
{
    (void)ctx;
    if (cli_verbosity >= 1)
        fprintf(stderr, "thresh: warning: %s\n", msg);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: thresh filter [--preset fineweb-v1|datatrove] "
            "[--annotate] [--pii]\n"
            "                     [--set KEY=VALUE]... [--rejects FILE] "
            "[--stats] [INPUT...]\n\n"
            "run the Gopher, C4 and FineWeb quality filters (default preset "
            "fineweb-v1)\nover the documents of INPUT (default stdin) and "
            "print the kept ones as JSONL;\n--annotate keeps every document "
            "and adds the quality signals to its metadata;\n--pii also "
            "redacts e-mails, public IPs and phone numbers; keys as in "
            "docs/filter.md\n");
}

/* One stage instance: type, shared object and per-thread state. */
struct stage_run {
    const struct th_stage_type *type;  /* the stage */
    void *shared;                      /* from shared_new, may be NULL */
    void *state;                       /* from create */
};

static int stage_open(struct stage_run *s, const char *name,
                      const struct th_config *cfg, struct th_error *err)
{
    memset(s, 0, sizeof(*s));
    s->type = th_stage_find(name);
    if (!s->type)
        return th_error_set(err, TH_EINVAL, "no stage '%s' in this build",
                            name);
    int rc = 0;
    if (s->type->shared_new)
        rc = s->type->shared_new(&s->shared, cfg, err);
    if (rc == 0 && s->type->create)
        rc = s->type->create(&s->state, s->shared, cfg, err);
    return rc;
}

static void stage_close(struct stage_run *s)
{
    if (!s->type)
        return;
    if (s->type->destroy && s->state)
        s->type->destroy(s->state);
    if (s->type->shared_free && s->shared)
        s->type->shared_free(s->shared);
}

int cmd_filter(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"preset", required_argument, NULL, 'p'},
        {"annotate", no_argument, NULL, 'a'},
        {"pii", no_argument, NULL, 'i'},
        {"set", required_argument, NULL, 's'},
        {"rejects", required_argument, NULL, 'r'},
        {"stats", no_argument, NULL, 'S'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct th_config *cfg;
    if (th_config_new(&cfg) < 0)
        return CLI_EXIT_FAILURE;
    const char *rejects_path = NULL;
    bool pii = false, show_stats = false;
    int c, status = CLI_EXIT_OK;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:s:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            th_config_set(cfg, "filters.preset", optarg);
            break;
        case 'a':
            th_config_set(cfg, "filters.annotate", "true");
            break;
        case 'i':
            pii = true;
            break;
        case 's':
            if (th_config_set_pair(cfg, optarg) < 0) {
                cli_error("--set needs KEY=VALUE, got '%s'", optarg);
                th_config_free(cfg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'r':
            rejects_path = optarg;
            break;
        case 'S':
            show_stats = true;
            break;
        case 'q':
            cli_verbosity = 0;
            break;
        case 'h':
            usage(stdout);
            th_config_free(cfg);
            return CLI_EXIT_OK;
        default:
            th_config_free(cfg);
            return CLI_EXIT_USAGE;
        }
    }
    struct th_error err = {0};
    struct stage_run filters, redact = {0};
    cli_check_punkt(cfg);
    cli_check_suffix_list(cfg);
    if (stage_open(&filters, "filters", cfg, &err) < 0 ||
        (pii && stage_open(&redact, "pii", cfg, &err) < 0)) {
        cli_error("%s", err.msg);
        stage_close(&filters);
        stage_close(&redact);
        th_config_free(cfg);
        return err.code == TH_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
    }
    FILE *rejects = NULL;
    if (rejects_path && !(rejects = fopen(rejects_path, "w"))) {
        cli_error("cannot open '%s' for writing", rejects_path);
        stage_close(&filters);
        stage_close(&redact);
        th_config_free(cfg);
        return CLI_EXIT_FAILURE;
    }
    struct th_arena *arena;
    struct th_buf out;
    th_arena_new(&arena, 0, 0);
    th_buf_init(&out, 0);
    uint64_t n_in = 0, n_kept = 0;
    int n_inputs = argc - optind;
    for (int i = 0; i < (n_inputs ? n_inputs : 1); i++) {
        const char *path = n_inputs ? argv[optind + i] : "-";
        struct th_reader_options ro = { .on_warning = on_warning };
        struct th_reader *r;
        if (th_reader_open(&r, path, &ro, &err) < 0) {
            cli_error("%s", err.msg);
            status = CLI_EXIT_DAMAGED;
            continue;
        }
        struct th_doc doc;
        int n;
        while ((n = th_reader_next(r, &doc, arena, &err)) > 0) {
            if (doc.damage || doc.kind != TH_DOC_TEXT) {
                th_arena_reset(arena);
                continue;
            }
            n_in++;
            int rc = filters.type->process(filters.state, &doc, arena, &err);
            if (rc == 0 && pii && doc.verdict == TH_KEEP)
                rc = redact.type->process(redact.state, &doc, arena, &err);
            if (rc < 0) {
                cli_warn("document %llu: %s", (unsigned long long)n_in,
                         err.msg);
                th_doc_drop(&doc, "filters", "error");
            }
            th_buf_reset(&out);
            th_doc_to_jsonl(&doc, &out);
            if (doc.verdict == TH_KEEP) {
                n_kept++;
                fwrite(out.ptr, 1, out.len, stdout);
            } else if (rejects) {
                fwrite(out.ptr, 1, out.len, rejects);
            }
            th_arena_reset(arena);
        }
        if (n < 0)
            cli_error("%s", err.msg);
        if (n < 0 || th_reader_stats(r)->damaged)
            status = CLI_EXIT_DAMAGED;
        th_reader_free(r);
    }
    if (show_stats)
        fprintf(stderr, "documents %llu, kept %llu, dropped %llu\n",
                (unsigned long long)n_in, (unsigned long long)n_kept,
                (unsigned long long)(n_in - n_kept));
    th_buf_release(&out);
    th_arena_free(arena);
    stage_close(&filters);
    stage_close(&redact);
    th_config_free(cfg);
    if (rejects && fclose(rejects) != 0)
        status = CLI_EXIT_FAILURE;
    if (fflush(stdout) != 0)
        status = CLI_EXIT_FAILURE;
    return status;
}
