/* Loader of the parity data set (see parity.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity.h"

static const char *const filter_names[PF_N] = {
    "gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality",
    "chain",
};

static const char *const expected_files[PF_N] = {
    "expected-gopher_repetition.jsonl.gz", "expected-gopher_quality.jsonl.gz",
    "expected-c4_quality.jsonl.gz", "expected-fineweb_quality.jsonl.gz",
    "expected-chain.jsonl.gz",
};

const char *parity_filter_name(enum parity_filter f)
{
    return filter_names[f];
}

static struct parity_set set;
static int loaded;   /* 0 not tried, 1 ok, -1 failed */

static long read_file_lines(const char *name, char ***lines)
{
    char path[4096];
    const char *data = getenv("THRESH_SHARED_DATA");
    snprintf(path, sizeof(path), "%s/parity/%s",
             data ? data : "../shared/data", name);
    long n = jl_read_lines(path, lines);
    if (n < 0)
        printf("# cannot read %s\n", path);
    return n;
}

/* Attach a subset file (same order as docs) by id. */
static int attach_subset(const char *name, int words)
{
    char **lines;
    long n = read_file_lines(name, &lines);
    if (n < 0)
        return -1;
    size_t d = 0;
    for (long i = 0; i < n; i++) {
        struct jl_value *v = jl_parse(lines[i]);
        const struct jl_value *id = jl_get(v, "id");
        if (!id) {
            jl_free(v);
            continue;
        }
        while (d < set.n_docs && strcmp(set.docs[d].id, id->str) != 0)
            d++;
        if (d == set.n_docs) {
            printf("# %s: id %s not in docs order\n", name, id->str);
            jl_free(v);
            break;
        }
        if (words) {
            set.docs[d].words = v;
            set.n_with_words++;
        } else {
            set.docs[d].sentences = v;
        }
    }
    jl_free_lines(lines, n);
    return 0;
}

static void load_allow_list(void)
{
    char path[4096];
    const char *root = getenv("THRESH_SOURCE_ROOT");
    snprintf(path, sizeof(path), "%s/tests/filter/parity-allow.txt",
             root ? root : ".");
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[4096];
    size_t cap = 16;
    set.allow = malloc(cap * sizeof(char *));
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        /* "filter<TAB>id<TAB>reason" -> keep "filter<TAB>id" */
        char *t1 = strchr(line, '\t');
        if (!t1)
            continue;
        char *t2 = strchr(t1 + 1, '\t');
        if (t2)
            *t2 = '\0';
        else
            line[strcspn(line, "\n")] = '\0';
        if (set.n_allow == cap) {
            cap *= 2;
            set.allow = realloc(set.allow, cap * sizeof(char *));
        }
        set.allow[set.n_allow++] = strdup(line);
    }
    fclose(f);
}

const struct parity_set *parity_load(void)
{
    if (loaded)
        return loaded > 0 ? &set : NULL;
    loaded = -1;
    char **lines;
    long n = read_file_lines("docs.jsonl.gz", &lines);
    if (n <= 0)
        return NULL;
    set.docs = calloc((size_t)n, sizeof(*set.docs));
    for (long i = 0; i < n; i++) {
        struct jl_value *v = jl_parse(lines[i]);
        const struct jl_value *id = jl_get(v, "id");
        const struct jl_value *text = jl_get(v, "text");
        if (!id || !text) {
            printf("# docs line %ld does not parse\n", i);
            jl_free(v);
            continue;
        }
        struct parity_doc *d = &set.docs[set.n_docs++];
        d->id = strdup(id->str);
        d->len = text->len;
        d->text = malloc(text->len + 1);
        memcpy((char *)d->text, text->str, text->len + 1);
        jl_free(v);
    }
    jl_free_lines(lines, n);
    for (int f = 0; f < PF_N; f++) {
        long m = read_file_lines(expected_files[f], &lines);
        if (m != (long)set.n_docs) {
            printf("# %s: %ld lines, %zu docs\n", expected_files[f], m,
                   set.n_docs);
            return NULL;
        }
        for (long i = 0; i < m; i++) {
            struct jl_value *v = jl_parse(lines[i]);
            const struct jl_value *id = jl_get(v, "id");
            if (!id || strcmp(id->str, set.docs[i].id) != 0) {
                printf("# %s line %ld: id mismatch\n", expected_files[f], i);
                return NULL;
            }
            set.docs[i].expected[f] = v;
        }
        jl_free_lines(lines, m);
    }
    if (attach_subset("words.jsonl.gz", 1) < 0 ||
        attach_subset("sentences.jsonl.gz", 0) < 0)
        return NULL;
    load_allow_list();
    loaded = 1;
    return &set;
}

bool parity_allowed(const struct parity_set *ps, enum parity_filter f,
                    const char *id)
{
    char key[1024];
    snprintf(key, sizeof(key), "%s\t%s", filter_names[f], id);
    for (size_t i = 0; i < ps->n_allow; i++)
        if (!strcmp(ps->allow[i], key))
            return true;
    return false;
}

const char *parity_expected_reason(const struct parity_doc *d,
                                   enum parity_filter f, bool *error_out)
{
    const struct jl_value *e = d->expected[f];
    const struct jl_value *keep = jl_get(e, "keep");
    *error_out = !keep || keep->type == JL_NULL;
    const struct jl_value *r = jl_get(e, "reason");
    return r && r->type == JL_STR ? r->str : NULL;
}
