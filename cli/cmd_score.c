/*
 * `thresh score --gold SET PRED...`: score main-content extraction output
 * against gold text with the article-extraction-benchmark metric
 * (th_score_page; same figures as ../shared/tools/score.py, without the
 * bootstrap deviations). SET holds <page>/expected.txt; each PRED is a
 * directory of <page>.txt files, DIR::NAME for DIR/<page>/NAME files, or
 * a JSON file {page: {"articleBody": text}} (or {page: text}, or the AEB
 * output form {"version": v, "output": {...}}). A page without a
 * prediction counts as empty.
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

/* ------------------------------------------------ JSON predictions */

/* Predictions read from a JSON file: page names and texts (malloc'd). */
struct json_preds {
    char **keys;              /* page names */
    char **texts;             /* predicted texts */
    size_t n;                 /* entries */
    size_t cap;               /* entries allocated */
};

/* Cursor over JSON text. */
struct json_in {
    const char *s;            /* the text */
    size_t len;               /* bytes */
    size_t pos;               /* next byte */
};

static void json_ws(struct json_in *in)
{
    while (in->pos < in->len && strchr(" \t\r\n", in->s[in->pos]) &&
           in->s[in->pos])
        in->pos++;
}

static bool json_eat(struct json_in *in, char c)
{
    json_ws(in);
    if (in->pos < in->len && in->s[in->pos] == c) {
        in->pos++;
        return true;
    }
    return false;
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v = v * 16 + (unsigned)(c >= '0' && c <= '9' ? c - '0'
                                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0);
    }
    return v;
}

static void put_cp(struct th_buf *out, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    th_buf_append(out, b, n);
}

/* A JSON string into out (decoded); false on bad syntax. */
static bool json_string(struct json_in *in, struct th_buf *out)
{
    if (!json_eat(in, '"'))
        return false;
    while (in->pos < in->len) {
        char c = in->s[in->pos++];
        if (c == '"')
            return true;
        if (c != '\\') {
            th_buf_putc(out, c);
            continue;
        }
        if (in->pos >= in->len)
            return false;
        c = in->s[in->pos++];
        switch (c) {
        case 'n': th_buf_putc(out, '\n'); break;
        case 't': th_buf_putc(out, '\t'); break;
        case 'r': th_buf_putc(out, '\r'); break;
        case 'b': th_buf_putc(out, '\b'); break;
        case 'f': th_buf_putc(out, '\f'); break;
        case 'u': {
            if (in->pos + 4 > in->len)
                return false;
            unsigned cp = hex4(in->s + in->pos);
            in->pos += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && in->pos + 6 <= in->len &&
                in->s[in->pos] == '\\' && in->s[in->pos + 1] == 'u') {
                unsigned lo = hex4(in->s + in->pos + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    in->pos += 6;
                }
            }
            if (cp >= 0xD800 && cp < 0xE000)
                cp = 0xFFFD;
            put_cp(out, cp);
            break;
        }
        default:
            th_buf_putc(out, c);
            break;
        }
    }
    return false;
}

/* Skip any JSON value; false on bad syntax or nesting deeper than 64. */
static bool json_skip(struct json_in *in, int depth)
{
    json_ws(in);
    if (in->pos >= in->len || depth > 64)
        return false;
    char c = in->s[in->pos];
    if (c == '"') {
        struct th_buf tmp;
        th_buf_init(&tmp, 0);
        bool ok = json_string(in, &tmp);
        th_buf_release(&tmp);
        return ok;
    }
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        in->pos++;
        if (json_eat(in, close))
            return true;
        do {
            if (c == '{' && (!json_skip(in, depth + 1) || !json_eat(in, ':')))
                return false;
            if (!json_skip(in, depth + 1))
                return false;
        } while (json_eat(in, ','));
        return json_eat(in, close);
    }
    while (in->pos < in->len && !strchr(",}] \t\r\n", in->s[in->pos]))
        in->pos++;
    return true;
}

static void preds_add(struct json_preds *p, const char *key, const char *text)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 256;
        p->keys = realloc(p->keys, p->cap * sizeof(*p->keys));
        p->texts = realloc(p->texts, p->cap * sizeof(*p->texts));
    }
    p->keys[p->n] = strdup(key);
    p->texts[p->n] = strdup(text);
    p->n++;
}

/* One prediction value: a string, or an object with "articleBody". */
static bool json_pred_value(struct json_in *in, struct th_buf *text)
{
    json_ws(in);
    if (in->pos < in->len && in->s[in->pos] == '"')
        return json_string(in, text);
    if (!json_eat(in, '{'))
        return json_skip(in, 1);
    if (json_eat(in, '}'))
        return true;
    struct th_buf key;
    th_buf_init(&key, 0);
    bool ok = true;
    do {
        th_buf_reset(&key);
        if (!json_string(in, &key) || !json_eat(in, ':')) {
            ok = false;
            break;
        }
        json_ws(in);
        if (key.ptr && !strcmp(key.ptr, "articleBody") &&
            in->pos < in->len && in->s[in->pos] == '"') {
            th_buf_reset(text);
            ok = json_string(in, text);
        } else {
            ok = json_skip(in, 2);
        }
    } while (ok && json_eat(in, ','));
    th_buf_release(&key);
    return ok && json_eat(in, '}');
}

/* Members of the object at in (page: value) into p. */
static bool json_pred_object(struct json_in *in, struct json_preds *p)
{
    if (!json_eat(in, '{'))
        return false;
    if (json_eat(in, '}'))
        return true;
    struct th_buf key, text;
    th_buf_init(&key, 0);
    th_buf_init(&text, 0);
    bool ok = true;
    do {
        th_buf_reset(&key);
        th_buf_reset(&text);
        if (!json_string(in, &key) || !json_eat(in, ':')) {
            ok = false;
            break;
        }
        json_ws(in);
        if (key.ptr && !strcmp(key.ptr, "output") && in->pos < in->len &&
            in->s[in->pos] == '{') {
            ok = json_pred_object(in, p);   /* AEB {"version", "output"} */
            continue;
        }
        ok = json_pred_value(in, &text);
        if (ok)
            preds_add(p, key.ptr ? key.ptr : "", text.ptr ? text.ptr : "");
    } while (ok && json_eat(in, ','));
    th_buf_release(&key);
    th_buf_release(&text);
    return ok && json_eat(in, '}');
}

static void preds_free(struct json_preds *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->keys[i]);
        free(p->texts[i]);
    }
    free(p->keys);
    free(p->texts);
    memset(p, 0, sizeof(*p));
}

static const char *preds_find(const struct json_preds *p, const char *key)
{
    for (size_t i = p->n; i-- > 0;)          /* the last one wins */
        if (!strcmp(p->keys[i], key))
            return p->texts[i];
    return NULL;
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
                   "<page>.txt, DIR::NAME for DIR/<page>/NAME, or a JSON "
                   "file\n{page: {\"articleBody\": text}}\n");
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
        struct json_preds preds = {0};
        bool is_json = false;
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISREG(st.st_mode)) {
            size_t jlen;
            char *json = read_opt(dir, &jlen);
            struct json_in in = {json ? json : "", json ? jlen : 0, 0};
            is_json = true;
            if (!json || !json_pred_object(&in, &preds)) {
                cli_error("'%s': not a JSON object of predictions", dir);
                free(json);
                preds_free(&preds);
                status = CLI_EXIT_FAILURE;
                continue;
            }
            free(json);
        }
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
            if (is_json) {
                const char *t = preds_find(&preds, pages[i]);
                if (t) {
                    p = strdup(t);
                    plen = strlen(t);
                }
            } else if (name) {
                snprintf(path, sizeof(path), "%s/%s/%s", dir, pages[i],
                         name);
                p = read_opt(path, &plen);
            }
            if (!p && !is_json) {
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
        preds_free(&preds);
        if (missing)
            cli_warn("'%s': %zu pages without prediction (scored as empty)",
                     dir, missing);
        struct th_score_summary s;
        if (th_score_summarize(res, n, &s) < 0) {
            status = CLI_EXIT_FAILURE;
            break;
        }
        if (is_json) {
            char *dot = strrchr(dir, '.');
            if (dot && !strcmp(dot, ".json"))
                *dot = 0;
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
