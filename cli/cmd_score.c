/*
 * `thresh score --gold SET PRED...`: score main-content extraction output
 * against gold text with the article-extraction-benchmark metric
 * (th_score_page; same figures as ../shared/tools/score.py, without the
 * bootstrap deviations). SET holds <page>/expected.txt; each PRED is a
 * directory of <page>.txt files, or DIR::NAME for DIR/<page>/NAME files.
 * A page without a prediction counts as empty.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "thresh/html.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the pages of a gold set (<page>/expected.txt). */
static char **list_pages(const char *gold, size_t *n_out)
{
    DIR *d = opendir(gold);
    if (!d)
        return NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s/expected.txt", gold, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **p = realloc(names, cap * sizeof(*p));
            if (!p)
                break;
            names = p;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);
    *n_out = n;
    return names;
}

static char *read_opt(const char *path, size_t *len)
{
    struct th_error err = {0};
    char *data = NULL;
    struct stat st;
    *len = 0;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return NULL;
    if (cli_read_all(path, &data, len, &err) < 0)
        return NULL;
    return data;
}

int cmd_score(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"gold", required_argument, NULL, 'g'},
        {"pred-name", required_argument, NULL, 'n'},
        {"per-page", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *gold = NULL, *pred_name = NULL, *per_page = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'g':
            gold = optarg;
            break;
        case 'n':
            pred_name = optarg;
            break;
        case 'p':
            per_page = optarg;
            break;
        case 'h':
            printf("usage: thresh score --gold SET [--pred-name NAME] "
                   "[--per-page TSV] PRED...\n\nscore extraction output: "
                   "SET has <page>/expected.txt, PRED is a directory\nof "
                   "<page>.txt or DIR::NAME for DIR/<page>/NAME\n");
            return CLI_EXIT_OK;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    if (!gold || optind >= argc) {
        cli_error("need --gold SET and at least one prediction");
        return CLI_EXIT_USAGE;
    }
    size_t n = 0;
    char **pages = list_pages(gold, &n);
    if (!pages || !n) {
        cli_error("no <page>/expected.txt found under '%s'", gold);
        free(pages);
        return CLI_EXIT_FAILURE;
    }
    struct th_score_page *res = calloc(n, sizeof(*res));
    int status = res ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    printf("%-28s %-10s %4s  %-6s %-9s %-6s %-8s %8s %8s %5s\n", "name",
           "version", "n", "F1", "precision", "recall", "accuracy",
           "pgF1mean", "pgF1med", "empty");
    for (int a = optind; res && a < argc; a++) {
        char dir[4096];
        const char *name = pred_name;
        snprintf(dir, sizeof(dir), "%s", argv[a]);
        char *sep = strstr(dir, "::");
        if (sep) {
            *sep = 0;
            name = sep + 2;
        }
        size_t missing = 0;
        FILE *pp = per_page && argc - optind == 1 ? fopen(per_page, "w")
                                                  : NULL;
        if (pp)
            fprintf(pp, "page\tprecision\trecall\tf1\texact\n");
        for (size_t i = 0; i < n; i++) {
            char path[8192];
            size_t glen = 0, plen = 0;
            snprintf(path, sizeof(path), "%s/%s/expected.txt", gold,
                     pages[i]);
            char *g = read_opt(path, &glen);
            char *p = NULL;
            if (name) {
                snprintf(path, sizeof(path), "%s/%s/%s", dir, pages[i],
                         name);
                p = read_opt(path, &plen);
            }
            if (!p) {
                snprintf(path, sizeof(path), "%s/%s.txt", dir, pages[i]);
                p = read_opt(path, &plen);
            }
            missing += p == NULL;
            if (th_score_page(g ? g : "", glen, p ? p : "", plen,
                              &res[i]) < 0)
                status = CLI_EXIT_FAILURE;
            if (pp) {
                double pr, rc, f1;
                th_score_page_prf(&res[i], &pr, &rc, &f1);
                char ps[32] = "", rs[32] = "";
                if (pr >= 0)
                    snprintf(ps, sizeof(ps), "%.4f", pr);
                if (rc >= 0)
                    snprintf(rs, sizeof(rs), "%.4f", rc);
                fprintf(pp, "%s\t%s\t%s\t%.4f\t%d\n", pages[i], ps, rs, f1,
                        res[i].exact);
            }
            free(g);
            free(p);
        }
        if (pp)
            fclose(pp);
        if (missing)
            cli_warn("'%s': %zu pages without prediction (scored as empty)",
                     dir, missing);
        struct th_score_summary s;
        if (th_score_summarize(res, n, &s) < 0) {
            status = CLI_EXIT_FAILURE;
            break;
        }
        const char *base = strrchr(dir, '/');
        while (base && base[1] == 0 && base > dir) {
            *(char *)base = 0;
            base = strrchr(dir, '/');
        }
        base = base ? base + 1 : dir;
        char label[512];
        snprintf(label, sizeof(label), "%.400s%s%.100s", base,
                 name ? ":" : "",
                 name ? name : "");
        printf("%-28s %-10s %4zu  %.3f  %.3f     %.3f  %.3f    %8.3f %8.3f "
               "%5zu\n", label, "", s.n, s.f1, s.precision, s.recall,
               s.accuracy, s.page_f1_mean, s.page_f1_median, s.n_empty);
    }
    for (size_t i = 0; i < n; i++)
        free(pages[i]);
    free(pages);
    free(res);
    return status;
}
