/*
 * nlp_trace: development tool behind docs/nlp.md's parameter derivation.
 * For every text of the parity set (each whole document of
 * sentences.jsonl.gz and each line C4 split), it runs the Punkt candidate
 * scan with the current parameters and prints, for each candidate, the
 * context Punkt annotates, our decision and NLTK's decision (read off
 * NLTK's sentence list: a break after the candidate ends a sentence there,
 * possibly extended over closing quotes and brackets).
 * Output: JSON lines {"ctx": "...", "got": 0|1, "want": 0|1, "doc": N}.
 * With --unseen it covers the other documents instead (not in
 * sentences.jsonl.gz), whose NLTK word count is known from
 * expected-gopher_quality.jsonl.gz: per candidate {"u": N, "ctx", "got",
 * "dot"} ("dot": a break there adds one word, the detached period) and per
 * document {"u": N, "id", "want_words", "got_words"}.
 * Usage: nlp_trace SHARED_DATA_DIR [--unseen] > trace.jsonl
 * (It traces the built-in parameter set, the one the derivation writes;
 * THRESH_TRACE_PUNKT=auto|nltk|FILE traces another.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/nlp/nlp_internal.h"
#include "parity_data.h"

/* Per-text state for the trace callback. */
struct trace_ctx {
    const char *text;        /* the text being split */
    size_t *ends;            /* NLTK's sentence end offsets */
    size_t n_ends;           /* count */
    long doc;                /* document index */
};

static void put_json(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* text[a..b) is whitespace then closing quotes/brackets (realignment). */
static bool realigned_gap(const char *s, size_t a, size_t b)
{
    size_t i = a, l;
    while (i < b && (nlp_class_at(s + i, b - i, &l) & NLP_SPACE))
        i += l;
    for (; i < b; i++)
        if (!s[i] || !strchr("\"')]}", s[i]))
            return false;
    return true;
}

static void on_cand(const struct nlp_punkt_trace *t, void *vctx)
{
    struct trace_ctx *c = vctx;
    int want = 0;
    for (size_t i = 0; i < c->n_ends; i++)
        if (c->ends[i] >= t->end && c->ends[i] - t->end <= 64 &&
            realigned_gap(c->text, t->end, c->ends[i]))
            want = i + 1 == c->n_ends ? -1 : 1;
    if (want < 0)
        return;
    printf("{\"ctx\": ");
    put_json(t->context, t->context_len);
    printf(", \"got\": %d, \"want\": %d, \"doc\": %ld}\n", t->brk ? 1 : 0,
           want, c->doc);
}

static void run_text(const struct th_nlp *nlp, const char *text, size_t len,
                     const struct pd_list *sents, long doc)
{
    struct trace_ctx c = {text, calloc(sents->n + 1, sizeof(size_t)), 0,
                          doc};
    size_t pos = 0;
    for (size_t i = 0; i < sents->n; i++) {
        const char *hit = NULL;
        if (sents->lens[i] && pos <= len) {
            for (size_t k = pos; k + sents->lens[i] <= len; k++)
                if (!memcmp(text + k, sents->items[i], sents->lens[i])) {
                    hit = text + k;
                    break;
                }
        }
        if (!hit)
            continue;
        size_t end = (size_t)(hit - text) + sents->lens[i];
        c.ends[c.n_ends++] = end;
        pos = end;
    }
    struct nlp_span *spans = NULL;
    size_t n = 0;
    nlp_punkt_spans_traced(nlp, text, len, &spans, &n, on_cand, &c);
    free(spans);
    free(c.ends);
}

/* State of the --unseen callback. */
struct unseen_ctx {
    const char *text;    /* the document */
    long doc;            /* its index in docs.jsonl.gz */
};

static void on_unseen(const struct nlp_punkt_trace *t, void *vctx)
{
    struct unseen_ctx *c = vctx;
    int dot = c->text[t->end - 1] == '.' &&
              !(t->end >= 2 && c->text[t->end - 2] == '.');
    printf("{\"u\": %ld, \"ctx\": ", c->doc);
    put_json(t->context, t->context_len);
    printf(", \"got\": %d, \"dot\": %d}\n", t->brk ? 1 : 0, dot);
}

static int run_unseen(const char *shared, const struct th_nlp *nlp)
{
    struct pd_heldout h;
    if (pd_heldout_open(&h, shared, "sentences.jsonl.gz") < 0)
        return 2;
    struct th_arena *arena;
    if (th_arena_new(&arena, 0, 0) < 0) {
        pd_heldout_close(&h);
        return 2;
    }
    char *id, *text;
    size_t tlen;
    long want;
    while (pd_heldout_next(&h, &id, &text, &tlen, &want)) {
        struct unseen_ctx c = {text, h.index};
        struct nlp_span *spans = NULL;
        size_t ns = 0;
        nlp_punkt_spans_traced(nlp, text, tlen, &spans, &ns, on_unseen, &c);
        free(spans);
        struct th_slice *w;
        size_t n = 0;
        struct th_error err;
        th_arena_reset(arena);
        th_nlp_word_tokenize(nlp, text, tlen, arena, &w, &n, &err);
        printf("{\"u\": %ld, \"id\": ", h.index);
        put_json(id, strlen(id));
        printf(", \"want_words\": %ld, \"got_words\": %zu}\n", want, n);
        free(text);
        free(id);
    }
    th_arena_free(arena);
    pd_heldout_close(&h);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: nlp_trace SHARED_DATA_DIR [--unseen]\n");
        return 1;
    }
    const char *which = getenv("THRESH_TRACE_PUNKT");
    struct th_nlp_options o = {.language = "english",
                               .punkt = which ? which : "builtin"};
    if (argc > 2 && !strcmp(argv[2], "--unseen")) {
        struct th_nlp *nlp;
        struct th_error err;
        if (th_nlp_new_opts(&nlp, &o, &err) < 0)
            return 2;
        int rc = run_unseen(argv[1], nlp);
        th_nlp_free(nlp);
        return rc;
    }
    char path[4096];
    struct pd_file docs, sents;
    pd_path(path, sizeof(path), argv[1], "docs.jsonl.gz");
    if (pd_read_gz(path, &docs) < 0)
        return 2;
    pd_path(path, sizeof(path), argv[1], "sentences.jsonl.gz");
    if (pd_read_gz(path, &sents) < 0)
        return 2;
    struct th_nlp *nlp;
    struct th_error err;
    if (th_nlp_new_opts(&nlp, &o, &err) < 0)
        return 2;
    size_t dpos = 0, spos = 0;
    const char *sl, *dl;
    size_t sn, dn;
    long idx = 0;
    while (pd_next_line(&sents, &spos, &sl, &sn)) {
        char *sline = strndup(sl, sn);
        sl = sline;
        const char *p = pd_find_key(sl, "id");
        size_t idlen;
        char *id = pd_string(&p, &idlen);
        char *text = NULL;
        size_t tlen = 0;
        while (pd_next_line(&docs, &dpos, &dl, &dn)) {
            const char *q = pd_find_key(dl, "id");
            size_t l2;
            char *did = pd_string(&q, &l2);
            bool same = !strcmp(did, id);
            free(did);
            if (same) {
                q = pd_find_key(q, "text");
                text = pd_string(&q, &tlen);
                break;
            }
        }
        long doc = idx++;
        if (!text) {
            free(text);
            free(id);
            free(sline);
            continue;
        }
        struct pd_list list;
        p = pd_find_key(sl, "sentences");
        pd_str_array(&p, &list);
        run_text(nlp, text, tlen, &list, doc);
        pd_list_free(&list);
        const char *c4 = pd_find_key(p, "c4_lines");
        if (c4) {
            const char *q = c4;
            for (;;) {
                const char *lk = pd_find_key(q, "line");
                if (!lk)
                    break;
                size_t ll;
                char *line = pd_string(&lk, &ll);
                const char *sk = pd_find_key(lk, "sentences");
                pd_str_array(&sk, &list);
                run_text(nlp, line, ll, &list, doc);
                pd_list_free(&list);
                free(line);
                q = sk;
            }
        }
        free(text);
        free(id);
        free(sline);
    }
    th_nlp_free(nlp);
    free(docs.data);
    free(sents.data);
    return 0;
}
