/*
 * Language-ID benchmark: speed of our fastText engine against the fastText
 * CLI (Debian fasttext 0.9.2) on the same model and input, measured side by
 * side in this run, plus the built-in model's speed and the accuracy of both
 * models on ../shared/data/langid-dev/dev.tsv.
 *
 *   bench_langid [--passes N] [--lid MODEL] [--builtin MODEL] [--dev TSV]
 *                [--per-language]
 *
 * Speed is per core: input bytes (and items) over the process CPU time of
 * one thread. The fastText figure is the CLI's child CPU time for
 * `fasttext predict MODEL FILE` (model load, prediction and output
 * included); ours times the same steps in-process (open the model, predict
 * every line, format the CLI's output into a buffer), with a fresh
 * per-thread state each pass. The best of N passes of each is kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "thresh/fasttext.h"
#include "thresh/langid.h"

/* One dev.tsv item. */
struct item {
    char *key;                    /* scoring key: ISO 639-1 else 639-3 */
    bool para;                    /* bucket "para" (else "sent") */
    char *text;                   /* the text */
    size_t len;                   /* text bytes */
};

/* Items of dev.tsv. */
struct dev {
    struct item *items;           /* all items */
    size_t n;                     /* count */
    size_t bytes;                 /* text bytes in total */
};

static double cpu_seconds(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static char *slurp(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct th_buf b;
    th_buf_init(&b, 0);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        th_buf_append(&b, chunk, n);
    fclose(f);
    th_buf_putc(&b, '\0');
    *len_out = b.len - 1;
    return b.ptr;
}

static int load_dev(const char *path, struct dev *dev)
{
    size_t len;
    char *data = slurp(path, &len);
    if (!data)
        return -1;
    size_t cap = 8192;
    dev->items = calloc(cap, sizeof(*dev->items));
    for (char *line = data; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *f[5];
        size_t nf = 0;
        for (char *p = line; nf < 5; nf++) {
            f[nf] = p;
            char *tab = strchr(p, '\t');
            if (!tab) {
                nf++;
                break;
            }
            *tab = '\0';
            p = tab + 1;
        }
        if (nf == 5 && dev->n < cap) {
            struct item *it = &dev->items[dev->n++];
            it->key = f[1][0] ? f[1] : f[0];
            it->para = strcmp(f[2], "para") == 0;
            it->text = f[4];
            it->len = strlen(f[4]);
            dev->bytes += it->len;
        }
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

/* Our engine doing what `fasttext predict MODEL FILE` does. */
static double ours_cli_equivalent(const char *model_path, const char *text,
                                  size_t len, size_t *lines_out)
{
    double t0 = cpu_seconds(RUSAGE_SELF);
    struct th_fasttext *model;
    struct th_fasttext_state *st;
    struct th_error err = {0};
    if (th_fasttext_open(&model, model_path, &err) < 0) {
        fprintf(stderr, "bench_langid: %s\n", err.msg);
        exit(2);
    }
    th_fasttext_state_new(&st, model);
    struct th_buf out;
    th_buf_init(&out, 0);
    size_t lines = 0;
    for (size_t pos = 0; pos < len;) {
        struct th_fasttext_prediction pred[1];
        size_t n, used;
        th_fasttext_predict(model, st, text + pos, len - pos, 1, 0.0f, 0,
                            pred, &n, &used, &err);
        pos += used;
        if (n)
            th_buf_append_cstr(&out,
                               th_fasttext_label(model, pred[0].label, NULL));
        th_buf_putc(&out, '\n');
        if (out.len > (1 << 16))
            th_buf_reset(&out);
        lines++;
    }
    th_buf_release(&out);
    th_fasttext_state_free(st);
    th_fasttext_free(model);
    *lines_out = lines;
    return cpu_seconds(RUSAGE_SELF) - t0;
}

/* CPU seconds of `fasttext predict MODEL FILE > /dev/null`, or < 0. */
static double fasttext_cli(const char *model_path, const char *file)
{
    double t0 = cpu_seconds(RUSAGE_CHILDREN);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execlp("fasttext", "fasttext", "predict", model_path, file,
               (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return cpu_seconds(RUSAGE_CHILDREN) - t0;
}

/* Map lid.176's own codes to the dev scoring keys where they differ. */
static const char *lid_key(const char *label, size_t len, char *buf)
{
    snprintf(buf, 64, "%.*s", (int)len, label);
    if (!strcmp(buf, "no"))
        return "nb";
    if (!strcmp(buf, "als"))
        return "gsw";
    return buf;
}

/* Accuracy tallies of one model per key and bucket. */
struct tally {
    char key[16];                 /* scoring key */
    unsigned n[2];                /* items: [0] sent, [1] para */
    unsigned ok[2];               /* correct top-1 */
};

struct tallies {
    struct tally t[512];          /* one per key */
    size_t n;                     /* keys in use */
};

static struct tally *tally_for(struct tallies *ts, const char *key)
{
    for (size_t i = 0; i < ts->n; i++)
        if (!strcmp(ts->t[i].key, key))
            return &ts->t[i];
    struct tally *t = &ts->t[ts->n++];
    snprintf(t->key, sizeof(t->key), "%s", key);
    return t;
}

/*
 * Web-sized documents: each language's dev items joined with \n into
 * documents of at least 4,000 bytes (the median web page after extraction
 * is a few kB); returns CPU seconds for one pass of langid (datatrove
 * preset, top-3 as the stage records) over them, *bytes_out their size.
 */
static const struct item *sort_base;

static int cmp_by_key(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(sort_base[x].key, sort_base[y].key);
    return c ? c : (x < y ? -1 : x > y);
}

static double documents_pass(const char *model_path, const struct dev *dev,
                             size_t *bytes_out, size_t *docs_out)
{
    size_t *order = malloc(dev->n * sizeof(*order));
    for (size_t i = 0; i < dev->n; i++)
        order[i] = i;
    sort_base = dev->items;
    qsort(order, dev->n, sizeof(*order), cmp_by_key);
    struct th_buf doc;
    th_buf_init(&doc, 0);
    struct th_langid *lid;
    struct th_langid_worker *w;
    struct th_error err = {0};
    if (th_langid_new(&lid, model_path, &err) < 0)
        return -1;
    th_langid_worker_new(&w, lid);
    size_t bytes = 0, docs = 0;
    double t = 0;
    for (size_t j = 0; j < dev->n; j++) {
        const struct item *it = &dev->items[order[j]];
        th_buf_append(&doc, it->text, it->len);
        bool last = j + 1 == dev->n ||
                    strcmp(dev->items[order[j + 1]].key, it->key) != 0;
        if (doc.len < 4000 && !last) {
            th_buf_putc(&doc, '\n');
            continue;
        }
        struct th_langid_result r[3];
        size_t n;
        double t0 = cpu_seconds(RUSAGE_SELF);
        th_langid_predict(lid, w, TH_LANGID_PRESET_DATATROVE, doc.ptr,
                          doc.len, 3, r, &n, &err);
        t += cpu_seconds(RUSAGE_SELF) - t0;
        bytes += doc.len;
        docs++;
        th_buf_reset(&doc);
    }
    th_buf_release(&doc);
    th_langid_worker_free(w);
    th_langid_free(lid);
    free(order);
    *bytes_out = bytes;
    *docs_out = docs;
    return t;
}

/* Top-1 keys of every item with model; returns CPU seconds. */
static double evaluate(const char *model_path, bool is_lid,
                       const struct dev *dev, struct tallies *ts,
                       char labels[][16], size_t *n_labels)
{
    struct th_langid *lid;
    struct th_langid_worker *w;
    struct th_error err = {0};
    if (th_langid_new(&lid, model_path, &err) < 0) {
        fprintf(stderr, "bench_langid: %s\n", err.msg);
        exit(2);
    }
    th_langid_worker_new(&w, lid);
    struct th_fasttext_info info;
    const struct th_fasttext *ft = th_langid_model(lid);
    th_fasttext_get_info(ft, &info);
    *n_labels = 0;
    for (int32_t i = 0; i < info.n_labels && *n_labels < 512; i++) {
        size_t len;
        const char *l = th_fasttext_label(ft, i, &len);
        char buf[64];
        const char *k = is_lid ? lid_key(l + 9, len - 9, buf) : l + 9;
        snprintf(labels[(*n_labels)++], 16, "%.15s", k);
    }
    double t0 = cpu_seconds(RUSAGE_SELF);
    for (size_t i = 0; i < dev->n; i++) {
        const struct item *it = &dev->items[i];
        struct th_langid_result r;
        size_t n;
        th_langid_predict(lid, w, TH_LANGID_PRESET_DATATROVE, it->text,
                          it->len, 1, &r, &n, &err);
        char buf[64];
        const char *got = "";
        if (n)
            got = is_lid ? lid_key(r.label, r.label_len, buf)
                         : (snprintf(buf, sizeof(buf), "%.*s",
                                     (int)r.label_len, r.label), buf);
        struct tally *t = tally_for(ts, it->key);
        t->n[it->para]++;
        t->ok[it->para] += strcmp(got, it->key) == 0;
    }
    double dt = cpu_seconds(RUSAGE_SELF) - t0;
    th_langid_worker_free(w);
    th_langid_free(lid);
    return dt;
}

static bool in_set(char set[][16], size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(set[i], key))
            return true;
    return false;
}

/* micro and macro accuracy (%) over the keys in set (NULL: all). */
static void accuracy(const struct tallies *ts, char set[][16], size_t n_set,
                     int para, double *micro, double *macro, size_t *keys)
{
    unsigned n = 0, ok = 0;
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < ts->n; i++) {
        const struct tally *t = &ts->t[i];
        if ((set && !in_set(set, n_set, t->key)) || t->n[para] == 0)
            continue;
        n += t->n[para];
        ok += t->ok[para];
        sum += (double)t->ok[para] / t->n[para];
        k++;
    }
    *micro = n ? 100.0 * ok / n : 0;
    *macro = k ? 100.0 * sum / (double)k : 0;
    *keys = k;
}

static const char *const web30[] = {
    "en", "ru", "de", "ja", "es", "fr", "zh", "it", "pt", "nl", "pl", "vi",
    "id", "cs", "tr", "fa", "sv", "ko", "uk", "ro", "hu", "ar", "el", "da",
    "fi", "sk", "nb", "th", "bg", "he",
};

int main(int argc, char **argv)
{
    const char *shared = getenv("THRESH_SHARED_DATA");
    char lid_path[1024], dev_path[1024];
    snprintf(lid_path, sizeof(lid_path), "%s/fasttext-models/lid.176.ftz",
             shared ? shared : "../shared/data");
    snprintf(dev_path, sizeof(dev_path), "%s/langid-dev/dev.tsv",
             shared ? shared : "../shared/data");
    const char *lid_model = lid_path, *dev_file = dev_path;
    const char *builtin = th_langid_default_model();
    int passes = 5;
    bool per_language = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--passes") && i + 1 < argc)
            passes = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--lid") && i + 1 < argc)
            lid_model = argv[++i];
        else if (!strcmp(argv[i], "--builtin") && i + 1 < argc)
            builtin = argv[++i];
        else if (!strcmp(argv[i], "--dev") && i + 1 < argc)
            dev_file = argv[++i];
        else if (!strcmp(argv[i], "--per-language"))
            per_language = true;
    }
    struct dev dev = {0};
    if (load_dev(dev_file, &dev) < 0) {
        fprintf(stderr, "bench_langid: cannot read '%s'\n", dev_file);
        return 2;
    }
    /* the dev texts, one per line, as the CLI's input file */
    char tmp[] = "/tmp/bench_langid_XXXXXX";
    int fd = mkstemp(tmp);
    FILE *f = fdopen(fd, "w");
    struct th_buf all;
    th_buf_init(&all, 0);
    for (size_t i = 0; i < dev.n; i++) {
        th_buf_append(&all, dev.items[i].text, dev.items[i].len);
        th_buf_putc(&all, '\n');
    }
    fwrite(all.ptr, 1, all.len, f);
    fclose(f);

    printf("# langid benchmark: %zu dev.tsv items, %.2f MB, %d passes "
           "(best kept)\n\n", dev.n, all.len / 1e6, passes);
    printf("## lid.176.ftz: fastText CLI vs thresh, one core\n\n");
    double best_ft = 1e9, best_ours = 1e9;
    size_t lines = 0;
    for (int p = 0; p < passes; p++) {
        double a = fasttext_cli(lid_model, tmp);
        double b = ours_cli_equivalent(lid_model, all.ptr, all.len, &lines);
        if (a >= 0 && a < best_ft)
            best_ft = a;
        if (b < best_ours)
            best_ours = b;
    }
    unlink(tmp);
    printf("| engine | CPU s | MB/s per core | items/s per core |\n"
           "|---|---:|---:|---:|\n");
    if (best_ft < 1e9)
        printf("| fastText 0.9.2 CLI | %.3f | %.1f | %.0f |\n", best_ft,
               all.len / 1e6 / best_ft, lines / best_ft);
    else
        printf("| fastText 0.9.2 CLI | not run (fasttext missing?) | | |\n");
    printf("| thresh engine | %.3f | %.1f | %.0f |\n", best_ours,
           all.len / 1e6 / best_ours, lines / best_ours);
    if (best_ft < 1e9)
        printf("\nspeed-up over the fastText CLI: %.2fx\n", best_ft /
               best_ours);

    /* accuracy and speed of both models through our engine */
    static char lid_labels[512][16], our_labels[512][16];
    size_t n_lid = 0, n_our = 0;
    struct tallies *lid_t = calloc(1, sizeof(*lid_t));
    struct tallies *our_t = calloc(1, sizeof(*our_t));
    double lid_s = 1e9, our_s = 1e9;
    for (int p = 0; p < passes; p++) {
        memset(lid_t, 0, sizeof(*lid_t));
        double s = evaluate(lid_model, true, &dev, lid_t, lid_labels, &n_lid);
        lid_s = s < lid_s ? s : lid_s;
    }
    if (!builtin) {
        printf("\nbuilt-in model not found\n");
        return 0;
    }
    for (int p = 0; p < passes; p++) {
        memset(our_t, 0, sizeof(*our_t));
        double s = evaluate(builtin, false, &dev, our_t, our_labels, &n_our);
        our_s = s < our_s ? s : our_s;
    }
    printf("\n## models through the thresh engine (datatrove preset, "
           "top-1)\n\n| model | labels | MB/s per core | items/s per core "
           "|\n|---|---:|---:|---:|\n");
    printf("| lid.176.ftz | %zu | %.1f | %.0f |\n", n_lid,
           dev.bytes / 1e6 / lid_s, dev.n / lid_s);
    printf("| built-in (%s) | %zu | %.1f | %.0f |\n",
           strrchr(builtin, '/') ? strrchr(builtin, '/') + 1 : builtin,
           n_our, dev.bytes / 1e6 / our_s, dev.n / our_s);
    printf("\n## web-sized documents (dev items of one language joined "
           "into >= 4 kB documents, top-3)\n\n| model | documents | "
           "MB/s per core | documents/s per core |\n|---|---:|---:|---:|\n");
    const char *doc_models[2] = { lid_model, builtin };
    const char *doc_names[2] = { "lid.176.ftz", "built-in" };
    for (int m = 0; m < 2; m++) {
        double best = 1e9;
        size_t bytes = 0, docs = 0;
        for (int p = 0; p < passes; p++) {
            double t = documents_pass(doc_models[m], &dev, &bytes, &docs);
            if (t >= 0 && t < best)
                best = t;
        }
        printf("| %s | %zu | %.1f | %.0f |\n", doc_names[m], docs,
               bytes / 1e6 / best, docs / best);
    }

    /* dev keys the built-in model does not cover */
    size_t missing = 0;
    for (size_t i = 0; i < our_t->n; i++)
        if (!in_set(our_labels, n_our, our_t->t[i].key)) {
            printf("%s%s", missing ? " " : "\nnot covered: ",
                   our_t->t[i].key);
            missing++;
        }
    printf("\nbuilt-in model covers %zu of %zu dev labels\n",
           our_t->n - missing, our_t->n);

    static char web_set[30][16];
    for (size_t i = 0; i < 30; i++)
        snprintf(web_set[i], 16, "%s", web30[i]);
    struct {
        const char *name;
        char (*set)[16];
        size_t n;
    } sets[] = {
        { "languages lid.176 knows", lid_labels, n_lid },
        { "top-30 web languages", web_set, 30 },
        { "all dev languages", NULL, 0 },
    };
    printf("\n## accuracy on dev.tsv (top-1, %%)\n\n"
           "| languages | bucket | keys | lid.176 micro | lid.176 macro | "
           "built-in micro | built-in macro |\n"
           "|---|---|---:|---:|---:|---:|---:|\n");
    for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++)
        for (int para = 0; para < 2; para++) {
            double lmi, lma, omi, oma;
            size_t keys, keys2;
            accuracy(lid_t, sets[s].set, sets[s].n, para, &lmi, &lma, &keys);
            accuracy(our_t, sets[s].set, sets[s].n, para, &omi, &oma, &keys2);
            printf("| %s | %s | %zu | %.1f | %.1f | %.1f | %.1f |\n",
                   sets[s].name, para ? "para" : "sent", keys, lmi, lma, omi,
                   oma);
        }
    if (per_language) {
        printf("\n## per language (built-in model; lid.176 where it has "
               "the label)\n\n| key | sent n | built-in sent %% | lid.176 "
               "sent %% | para n | built-in para %% | lid.176 para %% |\n"
               "|---|---:|---:|---:|---:|---:|---:|\n");
        for (size_t i = 0; i < our_t->n; i++) {
            const struct tally *t = &our_t->t[i];
            const struct tally *l = tally_for(lid_t, t->key);
            bool known = in_set(lid_labels, n_lid, t->key);
            char ls[16] = "-", lp[16] = "-";
            if (known && l->n[0])
                snprintf(ls, sizeof(ls), "%.0f", 100.0 * l->ok[0] / l->n[0]);
            if (known && l->n[1])
                snprintf(lp, sizeof(lp), "%.0f", 100.0 * l->ok[1] / l->n[1]);
            printf("| %s | %u | %.0f | %s | %u | %.0f | %s |\n", t->key,
                   t->n[0], t->n[0] ? 100.0 * t->ok[0] / t->n[0] : 0, ls,
                   t->n[1], t->n[1] ? 100.0 * t->ok[1] / t->n[1] : 0, lp);
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("\npeak RSS: %.1f MB\n", ru.ru_maxrss / 1024.0);
    th_buf_release(&all);
    free(lid_t);
    free(our_t);
    free(dev.items);
    return 0;
}
