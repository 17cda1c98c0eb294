/*
 * `thresh run [options] INPUT... -o OUTDIR`: the whole pipeline.
 * Inputs are files, directories (walked recursively, sorted) or globs
 * (expanded by glob(3) when the shell did not). Messages name the file and
 * byte offset; a progress line is drawn on stderr only when it is a
 * terminal.
 */
#include <dirent.h>
#include <getopt.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "thresh/pipeline.h"

static const char usage_text[] =
    "usage: thresh run [options] INPUT... -o OUTDIR\n"
    "\n"
    "Read WARC/WET (.warc, .warc.gz, .warc.zst), JSONL (.jsonl, .gz, .zst)\n"
    "or plain text files (format detected from content; '-' is stdin;\n"
    "directories are walked; globs are expanded), run the stages, and write\n"
    "OUTDIR/docs/ (kept), OUTDIR/rejects/ (dropped, with filter_stage and\n"
    "filter_reason in metadata) and OUTDIR/stats.json.\n"
    "\n"
    "options:\n"
    "  -o, --output DIR        output directory (required)\n"
    "  -j, --threads N         worker threads (default: all cores)\n"
    "  -s, --stages LIST       comma-separated stages to run, in pipeline\n"
    "                          order (default: all; 'none' passes through)\n"
    "      --set KEY=VALUE     stage option, e.g. langid.threshold=0.65\n"
    "                          (repeatable; see docs/configuration.md)\n"
    "      --classifier MODEL  add the classify stage with a fastText model\n"
    "                          (= --set classify.model=MODEL)\n"
    "      --label LABEL       its label to score (= classify.label)\n"
    "      --min-score X       drop below X (= classify.min_score)\n"
    "      --text-field NAME   JSONL text field (default: text)\n"
    "      --id-field NAME     JSONL id field (default: id)\n"
    "      --format FMT        force input format: warc, jsonl, text\n"
    "      --max-record BYTES  largest record kept (default: 67108864)\n"
    "      --compression C     output: zstd (default), gzip, none\n"
    "      --level N           output compression level\n"
    "      --shard-size BYTES  uncompressed bytes per output shard\n"
    "                          (default: 1073741824)\n"
    "      --batch N           documents per batch (default: 256)\n"
    "      --batch-bytes BYTES text bytes that close a batch early\n"
    "                          (default: 4M)\n"
    "  -q, --quiet             only errors\n"
    "  -v, --verbose           more detail\n"
    "  -h, --help              this text\n"
    "\n"
    "stages: %s\n"
    "\n"
    "exit status: 0 ok, 1 usage, 2 failure, 3 finished but some input was\n"
    "damaged or unreadable (see the messages and stats.json)\n";

struct input_list {
    char **paths;    /* owned */
    size_t n;        /* in use */
    size_t cap;      /* allocated */
};

static int add_path(struct input_list *l, const char *p)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **np = realloc(l->paths, cap * sizeof(*np));
        if (!np)
            return -1;
        l->paths = np;
        l->cap = cap;
    }
    l->paths[l->n] = strdup(p);
    if (!l->paths[l->n])
        return -1;
    l->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walk a directory: regular files, sorted, hidden files skipped. */
static int add_dir(struct input_list *l, const char *dir, int *bad)
{
    DIR *d = opendir(dir);
    if (!d) {
        cli_warn("cannot read directory '%s'", dir);
        (*bad)++;
        return 0;
    }
    struct input_list here = {0};
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(len);
        if (!p) {
            closedir(d);
            return -1;
        }
        snprintf(p, len, "%s/%s", dir, e->d_name);
        int rc = add_path(&here, p);
        free(p);
        if (rc < 0) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    qsort(here.paths, here.n, sizeof(*here.paths), cmp_str);
    int rc = 0;
    for (size_t i = 0; i < here.n; i++) {
        struct stat st;
        if (rc == 0) {
            if (stat(here.paths[i], &st) != 0) {
                /* unreadable entries are passed on: the run reports them */
                rc = add_path(l, here.paths[i]);
            } else if (S_ISDIR(st.st_mode)) {
                rc = add_dir(l, here.paths[i], bad);
            } else if (S_ISREG(st.st_mode)) {
                rc = add_path(l, here.paths[i]);
            }
        }
        free(here.paths[i]);
    }
    free(here.paths);
    return rc;
}

static int expand_input(struct input_list *l, const char *arg, int *bad)
{
    struct stat st;
    if (strcmp(arg, "-") == 0)
        return add_path(l, arg);
    if (stat(arg, &st) == 0)
        return S_ISDIR(st.st_mode) ? add_dir(l, arg, bad) : add_path(l, arg);
    if (strpbrk(arg, "*?[")) {
        glob_t g;
        if (glob(arg, 0, NULL, &g) == 0) {
            int rc = 0;
            for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
                rc = expand_input(l, g.gl_pathv[i], bad);
            globfree(&g);
            return rc;
        }
    }
    /* missing input: let the run report it by name */
    return add_path(l, arg);
}

static void on_warning(const char *msg, void *ctx)
{
    (void)ctx;
    if (cli_verbosity >= 1) {
        if (isatty(2))
            fputs("\r\033[K", stderr);
        fprintf(stderr, "thresh: warning: %s\n", msg);
    }
}

static void on_progress(const struct th_progress *p, void *ctx)
{
    (void)ctx;
    double mb = (double)p->bytes_done / 1e6;
    double rate = p->seconds > 0 ? mb / p->seconds : 0;
    double docs = p->seconds > 0 ? (double)p->docs_read / p->seconds : 0;
    if (p->bytes_total) {
        double frac = (double)p->bytes_done / (double)p->bytes_total;
        double eta = frac > 0 ? p->seconds * (1 - frac) / frac : 0;
        fprintf(stderr, "\r\033[K%llu docs  %.0f docs/s  %.1f MB/s  %.1f%%  "
                "ETA %.0fs", (unsigned long long)p->docs_read, docs, rate,
                100 * frac, eta);
    } else {
        fprintf(stderr, "\r\033[K%llu docs  %.0f docs/s  %.1f MB/s",
                (unsigned long long)p->docs_read, docs, rate);
    }
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s)
        return -1;
    if (*end == 'k' || *end == 'K')
        v <<= 10, end++;
    else if (*end == 'm' || *end == 'M')
        v <<= 20, end++;
    else if (*end == 'g' || *end == 'G')
        v <<= 30, end++;
    if (*end)
        return -1;
    *out = v;
    return 0;
}

int cmd_run(int argc, char **argv)
{
    enum { OPT_SET = 256, OPT_TEXT, OPT_ID, OPT_FORMAT, OPT_MAXREC,
           OPT_COMP, OPT_LEVEL, OPT_SHARD, OPT_BATCH, OPT_BATCH_BYTES, OPT_CLASSIFIER,
           OPT_LABEL, OPT_MIN_SCORE };
    /* named flags that are shorthands for stage options */
    static const char *const alias_key[] = {
        [OPT_CLASSIFIER - OPT_CLASSIFIER] = "classify.model",
        [OPT_LABEL - OPT_CLASSIFIER] = "classify.label",
        [OPT_MIN_SCORE - OPT_CLASSIFIER] = "classify.min_score",
    };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"threads", required_argument, NULL, 'j'},
        {"stages", required_argument, NULL, 's'},
        {"set", required_argument, NULL, OPT_SET},
        {"text-field", required_argument, NULL, OPT_TEXT},
        {"id-field", required_argument, NULL, OPT_ID},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"max-record", required_argument, NULL, OPT_MAXREC},
        {"compression", required_argument, NULL, OPT_COMP},
        {"level", required_argument, NULL, OPT_LEVEL},
        {"shard-size", required_argument, NULL, OPT_SHARD},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"batch-bytes", required_argument, NULL, OPT_BATCH_BYTES},
        {"classifier", required_argument, NULL, OPT_CLASSIFIER},
        {"label", required_argument, NULL, OPT_LABEL},
        {"min-score", required_argument, NULL, OPT_MIN_SCORE},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct th_pipeline_options po;
    struct th_config *cfg = NULL;
    struct input_list inputs = {0};
    struct th_error err = {0};
    struct th_run_summary sum = {0};
    int c, status = CLI_EXIT_USAGE, bad_inputs = 0;
    uint64_t v;

    memset(&po, 0, sizeof(po));
    po.writer.compression = TH_COMPRESSION_ZSTD;
    if (th_config_new(&cfg) < 0) {
        cli_error("out of memory");
        return CLI_EXIT_FAILURE;
    }
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:j:s:qvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            po.outdir = optarg;
            break;
        case 'j':
            po.threads = atoi(optarg);
            if (po.threads <= 0) {
                cli_error("-j needs a positive number, not '%s'", optarg);
                goto out;
            }
            break;
        case 's':
            po.stages = optarg;
            break;
        case OPT_SET:
            if (th_config_set_pair(cfg, optarg) < 0) {
                cli_error("--set needs KEY=VALUE, not '%s'", optarg);
                goto out;
            }
            break;
        case OPT_CLASSIFIER:
        case OPT_LABEL:
        case OPT_MIN_SCORE:
            if (th_config_set(cfg, alias_key[c - OPT_CLASSIFIER],
                              optarg) < 0) {
                cli_error("out of memory");
                status = CLI_EXIT_FAILURE;
                goto out;
            }
            break;
        case OPT_TEXT:
            po.reader.text_field = optarg;
            break;
        case OPT_ID:
            po.reader.id_field = optarg;
            break;
        case OPT_FORMAT:
            if (!strcmp(optarg, "warc") || !strcmp(optarg, "wet"))
                po.reader.format = TH_FORMAT_WARC;
            else if (!strcmp(optarg, "jsonl"))
                po.reader.format = TH_FORMAT_JSONL;
            else if (!strcmp(optarg, "text"))
                po.reader.format = TH_FORMAT_TEXT;
            else {
                cli_error("unknown format '%s'", optarg);
                goto out;
            }
            break;
        case OPT_MAXREC:
            if (parse_size(optarg, &v) < 0 || v == 0) {
                cli_error("bad size '%s'", optarg);
                goto out;
            }
            po.reader.max_record = (size_t)v;
            break;
        case OPT_COMP:
            if (!strcmp(optarg, "zstd"))
                po.writer.compression = TH_COMPRESSION_ZSTD;
            else if (!strcmp(optarg, "gzip"))
                po.writer.compression = TH_COMPRESSION_GZIP;
            else if (!strcmp(optarg, "none"))
                po.writer.compression = TH_COMPRESSION_NONE;
            else {
                cli_error("unknown compression '%s'", optarg);
                goto out;
            }
            break;
        case OPT_LEVEL:
            po.writer.level = atoi(optarg);
            break;
        case OPT_SHARD:
            if (parse_size(optarg, &v) < 0 || v == 0) {
                cli_error("bad size '%s'", optarg);
                goto out;
            }
            po.writer.shard_bytes = v;
            break;
        case OPT_BATCH:
            po.batch_docs = (size_t)atol(optarg);
            if (po.batch_docs == 0 || po.batch_docs > 1000000) {
                cli_error("bad batch size '%s'", optarg);
                goto out;
            }
            break;
        case OPT_BATCH_BYTES:
            if (parse_size(optarg, &v) < 0 || v == 0 || v > SIZE_MAX / 2) {
                cli_error("bad size '%s'", optarg);
                goto out;
            }
            po.batch_bytes = (size_t)v;
            break;
        case 'q':
            cli_verbosity = 0;
            break;
        case 'v':
            cli_verbosity = 2;
            break;
        case 'h':
            printf(usage_text, th_stage_default_list());
            status = CLI_EXIT_OK;
            goto out;
        default:
            fprintf(stderr, usage_text, th_stage_default_list());
            goto out;
        }
    }
    if (!po.outdir) {
        cli_error("no output directory: give -o OUTDIR");
        goto out;
    }
    if (optind >= argc) {
        cli_error("no input: give files, directories, globs or '-'");
        goto out;
    }
    for (int i = optind; i < argc; i++) {
        if (expand_input(&inputs, argv[i], &bad_inputs) < 0) {
            cli_error("out of memory");
            status = CLI_EXIT_FAILURE;
            goto out;
        }
    }
    cli_info("%zu input(s), stages: %s, threads: %d", inputs.n,
             po.stages ? po.stages : th_stage_default_list(),
             po.threads ? po.threads : th_cpu_count());
    for (size_t i = 0; i < inputs.n; i++)
        cli_info("input: %s", inputs.paths[i]);
    {
        /* the filters stage in the run (the default list has it)? */
        const char *list = po.stages ? po.stages : th_stage_default_list();
        size_t n = strlen("filters");
        for (const char *q = list; (q = strstr(q, "filters")); q += n)
            if ((q == list || q[-1] == ',') && (q[n] == ',' || !q[n])) {
                cli_check_punkt(cfg);
                cli_check_suffix_list(cfg);
                break;
            }
    }
    po.inputs = (const char *const *)inputs.paths;
    po.n_inputs = inputs.n;
    po.cfg = cfg;
    po.reader.on_warning = on_warning;
    if (isatty(2) && cli_verbosity >= 1)
        po.on_progress = on_progress;
    if (th_pipeline_run(&po, &sum, &err) < 0) {
        if (po.on_progress)
            fputs("\r\033[K", stderr);
        cli_error("%s", err.msg[0] ? err.msg : th_status_str(err.code));
        status = err.code == TH_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
        goto out;
    }
    if (po.on_progress)
        fputs("\r\033[K", stderr);
    if (cli_verbosity >= 1) {
        fprintf(stderr, "read %llu, kept %llu, rejected %llu",
                (unsigned long long)sum.read, (unsigned long long)sum.kept,
                (unsigned long long)sum.rejected);
        if (sum.damaged || sum.inputs_failed || bad_inputs)
            fprintf(stderr, "; damaged %llu, unreadable inputs %llu",
                    (unsigned long long)sum.damaged,
                    (unsigned long long)(sum.inputs_failed + bad_inputs));
        fprintf(stderr, " (%.1f MB in %.2fs)\noutput: %s/docs/  rejects: "
                "%s/rejects/  stats: %s/stats.json\n",
                (double)sum.bytes_in / 1e6, sum.seconds, po.outdir,
                po.outdir, po.outdir);
    }
    status = (sum.damaged || sum.inputs_failed || bad_inputs)
                 ? CLI_EXIT_DAMAGED : CLI_EXIT_OK;
out:
    for (size_t i = 0; i < inputs.n; i++)
        free(inputs.paths[i]);
    free(inputs.paths);
    th_config_free(cfg);
    return status;
}
