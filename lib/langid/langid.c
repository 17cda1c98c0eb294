/*
 * Language identification on documents: recipe preprocessing, the
 * built-in model lookup, the shared predictor and the "langid" stage.
 *
 * Approach: a document is reduced to one fastText line the way the recipe
 * being reproduced does it (datatrove replaces \n with spaces, FineWeb v1
 * deleted it, DCLM joins splitlines(), NeMo strips then replaces), then
 * predicted with fastText's end-of-sentence token appended, as the Python
 * API does. The model is opened once in shared_new() (memory-mapped,
 * read-only) and every worker owns only scratch buffers.
 *
 * Paragraph mode additionally predicts every non-blank line on its own and
 * reports the share of text bytes per top language ("language_mix"), so
 * mixed-language pages can be recognised without splitting documents.
 *
 * Labels are reported as the model names them, without "__label__": the
 * built-in model is trained on ISO 639-1 codes where they exist and ISO
 * 639-3 otherwise; a user model (lid.176, GlotLID) keeps its own codes.
 *
 * Rejected: a built-in mapping from other code schemes to ISO 639-1 (a
 * model's labels are what its users filter on, e.g. FineWeb's "en" for
 * lid.176), and embedding the model in the library (it is an ordinary
 * model file that users may swap; it is mapped like any other).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thresh/config.h"
#include "thresh/doc.h"
#include "thresh/langid.h"
#include "thresh/stage.h"
#include "model_path.h"
#include "../core/banned.h"

#define LABEL_PREFIX "__label__"
#define LABEL_PREFIX_LEN 9
#define MAX_LANGUAGES 256

struct th_langid {
    struct th_fasttext *model;    /* memory-mapped model */
    struct th_fasttext_info info; /* its header */
};

struct th_langid_worker {
    struct th_fasttext_state *state;    /* fastText scratch */
    struct th_fasttext_prediction *pred; /* n_labels predictions */
    char *text;                   /* preprocessed text */
    size_t cap_text;              /* bytes allocated for text */
};

/* ---- presets --------------------------------------------------------- */

static const char *const preset_names[] = {
    "datatrove", "fineweb", "dclm", "nemo", "raw",
};

int th_langid_preset_parse(const char *name, enum th_langid_preset *out)
{
    for (size_t i = 0; i < sizeof(preset_names) / sizeof(preset_names[0]);
         i++)
        if (strcmp(name, preset_names[i]) == 0) {
            *out = (enum th_langid_preset)i;
            return 0;
        }
    return TH_EINVAL;
}

const char *th_langid_preset_name(enum th_langid_preset preset)
{
    if ((size_t)preset >= sizeof(preset_names) / sizeof(preset_names[0]))
        return "unknown";
    return preset_names[preset];
}

/* Length of the Python str.isspace() character at s, 0 if none. */
static size_t py_space_at(const unsigned char *s, size_t len)
{
    unsigned c = s[0];
    if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f))
        return 1;
    if (len >= 2 && c == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
        return 2;
    if (len >= 3 && c == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
        return 3;
    if (len >= 3 && c == 0xe2 && s[1] == 0x80 &&
        (s[2] <= 0x8a || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
        return 3;
    if (len >= 3 && c == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
        return 3;
    if (len >= 3 && c == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
        return 3;
    return 0;
}

/* Python str.strip(): trim Unicode whitespace at both ends. */
static void py_strip(const char **text, size_t *len)
{
    const unsigned char *s = (const unsigned char *)*text;
    size_t n = *len, k;
    while (n > 0 && (k = py_space_at(s, n)) > 0) {
        s += k;
        n -= k;
    }
    for (;;) {
        size_t cut = 0;
        for (size_t w = 1; w <= 3 && w <= n && !cut; w++)
            if (py_space_at(s + n - w, w) == w)
                cut = w;
        if (!cut)
            break;
        n -= cut;
    }
    *text = (const char *)s;
    *len = n;
}

/* Length of a str.splitlines() boundary at s, 0 if none. */
static size_t line_break_at(const unsigned char *s, size_t len)
{
    unsigned c = s[0];
    if (c == '\r')
        return len >= 2 && s[1] == '\n' ? 2 : 1;
    if (c == '\n' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e))
        return 1;
    if (len >= 2 && c == 0xc2 && s[1] == 0x85)
        return 2;
    if (len >= 3 && c == 0xe2 && s[1] == 0x80 &&
        (s[2] == 0xa8 || s[2] == 0xa9))
        return 3;
    return 0;
}

size_t th_langid_preprocess(enum th_langid_preset preset, const char *text,
                            size_t len, char *out)
{
    size_t n = 0;
    switch (preset) {
    case TH_LANGID_PRESET_FINEWEB:
        for (size_t i = 0; i < len; i++)
            if (text[i] != '\n')
                out[n++] = text[i];
        break;
    case TH_LANGID_PRESET_DCLM:
        py_strip(&text, &len);
        for (size_t i = 0; i < len;) {
            size_t b = line_break_at((const unsigned char *)text + i,
                                     len - i);
            if (b) {
                out[n++] = ' ';
                i += b;
            } else {
                out[n++] = text[i++];
            }
        }
        break;
    case TH_LANGID_PRESET_NEMO:
        py_strip(&text, &len);
        for (size_t i = 0; i < len; i++)
            out[n++] = text[i] == '\n' ? ' ' : text[i];
        break;
    case TH_LANGID_PRESET_RAW:
        memcpy(out, text, len);
        n = len;
        break;
    case TH_LANGID_PRESET_DATATROVE:
    default:
        for (size_t i = 0; i < len; i++)
            out[n++] = text[i] == '\n' ? ' ' : text[i];
        break;
    }
    out[n] = '\0';
    return n;
}

/* ---- model and workers ----------------------------------------------- */

const char *th_langid_default_model(void)
{
    static char found[4096];
    const char *env = getenv("THRESH_LANGID_MODEL");
    if (env && *env)
        return env;
    const char *p = TH_LANGID_MODEL_PATHS;
    while (*p) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 0 && n < sizeof(found)) {
            char candidate[4096];
            memcpy(candidate, p, n);
            candidate[n] = '\0';
            if (access(candidate, R_OK) == 0) {
                memcpy(found, candidate, n + 1);
                return found;
            }
        }
        p += n + (end ? 1 : 0);
    }
    return NULL;
}

int th_langid_new(struct th_langid **out, const char *path,
                  struct th_error *err)
{
    *out = NULL;
    if (!path) {
        path = th_langid_default_model();
        if (!path)
            return th_error_set(err, TH_EINVAL,
                                "no language-ID model given and the "
                                "built-in model was not found (set "
                                "THRESH_LANGID_MODEL or langid.model)");
    }
    struct th_langid *lid = calloc(1, sizeof(*lid));
    if (!lid)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    int rc = th_fasttext_open(&lid->model, path, err);
    if (rc < 0) {
        free(lid);
        return rc;
    }
    th_fasttext_get_info(lid->model, &lid->info);
    if (lid->info.model != 3 || lid->info.n_labels < 1) {
        th_langid_free(lid);
        return th_error_set(err, TH_EINVAL,
                            "model '%s' is not a supervised classifier",
                            path);
    }
    *out = lid;
    return 0;
}

void th_langid_free(struct th_langid *lid)
{
    if (!lid)
        return;
    th_fasttext_free(lid->model);
    free(lid);
}

const struct th_fasttext *th_langid_model(const struct th_langid *lid)
{
    return lid->model;
}

int th_langid_worker_new(struct th_langid_worker **out,
                         const struct th_langid *lid)
{
    struct th_langid_worker *w = calloc(1, sizeof(*w));
    if (!w)
        return TH_ENOMEM;
    w->pred = calloc((size_t)lid->info.n_labels, sizeof(*w->pred));
    if (!w->pred || th_fasttext_state_new(&w->state, lid->model) < 0) {
        th_langid_worker_free(w);
        return TH_ENOMEM;
    }
    *out = w;
    return 0;
}

void th_langid_worker_free(struct th_langid_worker *w)
{
    if (!w)
        return;
    th_fasttext_state_free(w->state);
    free(w->pred);
    free(w->text);
    free(w);
}

static int predict_raw(const struct th_langid *lid,
                       struct th_langid_worker *w,
                       enum th_langid_preset preset, const char *text,
                       size_t len, int32_t k, size_t *n_out,
                       struct th_error *err)
{
    if (len + 1 > w->cap_text) {
        size_t cap = len + 1 > 4096 ? len + 1 : 4096;
        char *p = realloc(w->text, cap);
        if (!p)
            return th_error_set(err, TH_ENOMEM, "out of memory");
        w->text = p;
        w->cap_text = cap;
    }
    size_t n = th_langid_preprocess(preset, text, len, w->text);
    return th_fasttext_predict(lid->model, w->state, w->text, n, k, 0.0f,
                               TH_FASTTEXT_APPEND_EOS, w->pred, n_out, NULL,
                               err);
}

static void fill_result(const struct th_langid *lid,
                        const struct th_fasttext_prediction *pred,
                        struct th_langid_result *out)
{
    size_t len;
    const char *label = th_fasttext_label(lid->model, pred->label, &len);
    if (len >= LABEL_PREFIX_LEN &&
        memcmp(label, LABEL_PREFIX, LABEL_PREFIX_LEN) == 0) {
        label += LABEL_PREFIX_LEN;
        len -= LABEL_PREFIX_LEN;
    }
    out->label = label;
    out->label_len = len;
    out->prob = pred->prob;
}

int th_langid_predict(const struct th_langid *lid,
                      struct th_langid_worker *w,
                      enum th_langid_preset preset, const char *text,
                      size_t len, int32_t k, struct th_langid_result *out,
                      size_t *n_out, struct th_error *err)
{
    *n_out = 0;
    if ((k < 1 && k != -1) || k > lid->info.n_labels)
        return th_error_set(err, TH_EINVAL, "k must be -1 or 1 .. %d",
                            lid->info.n_labels);
    size_t n;
    int rc = predict_raw(lid, w, preset, text, len, k, &n, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        fill_result(lid, &w->pred[i], &out[i]);
    *n_out = n;
    return 0;
}

int th_langid_label_prob(const struct th_langid *lid,
                         struct th_langid_worker *w,
                         enum th_langid_preset preset, const char *text,
                         size_t len, const char *label, float *prob_out,
                         struct th_error *err)
{
    char full[256];
    *prob_out = 0.0f;
    if (strncmp(label, LABEL_PREFIX, LABEL_PREFIX_LEN) == 0)
        snprintf(full, sizeof(full), "%s", label);
    else
        snprintf(full, sizeof(full), LABEL_PREFIX "%s", label);
    int32_t want = th_fasttext_label_index(lid->model, full);
    if (want < 0)
        return th_error_set(err, TH_EINVAL, "model has no label '%s'", full);
    size_t n;
    int rc = predict_raw(lid, w, preset, text, len, -1, &n, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (w->pred[i].label == want) {
            *prob_out = w->pred[i].prob;
            break;
        }
    return 0;
}

/* ---- the "langid" stage ---------------------------------------------- */

/* Stage configuration and model, shared read-only by the workers. */
struct langid_shared {
    struct th_langid *lid;        /* the model */
    enum th_langid_preset preset; /* langid.preset */
    char *languages;              /* langid.languages, comma list copy */
    const char *lang[MAX_LANGUAGES]; /* the list split (into languages) */
    size_t n_lang;                /* entries in lang, 0 = keep all */
    double threshold;             /* langid.threshold */
    int32_t k;                    /* 1 + langid.alternatives, <= labels */
    bool paragraphs;              /* langid.paragraphs */
    char model_path[4096];        /* the model file (stats.json "info") */
};

/* One worker. */
struct langid_worker {
    const struct langid_shared *shared; /* configuration and model */
    struct th_langid_worker *worker;    /* scratch */
    struct th_langid_result *results;   /* n_labels results */
    struct th_buf json;           /* metadata JSON being built */
};

static void langid_shared_free(void *p)
{
    struct langid_shared *sh = p;
    if (!sh)
        return;
    th_langid_free(sh->lid);
    free(sh->languages);
    free(sh);
}

static int langid_shared_new(void **out, const struct th_config *cfg,
                             struct th_error *err)
{
    struct langid_shared *sh = calloc(1, sizeof(*sh));
    if (!sh)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    const char *model, *preset, *langs;
    int64_t alternatives;
    int rc = th_config_get_str(cfg, "langid.model", NULL, &model);
    if (rc == 0)
        rc = th_config_get_str(cfg, "langid.preset", "datatrove", &preset);
    if (rc == 0 && th_langid_preset_parse(preset, &sh->preset) < 0)
        rc = th_error_set(err, TH_EINVAL,
                          "langid.preset '%s' is not one of datatrove, "
                          "fineweb, dclm, nemo, raw", preset);
    if (rc == 0)
        rc = th_config_get_double(cfg, "langid.threshold", 0.0,
                                  &sh->threshold, err);
    if (rc == 0)
        rc = th_config_get_int(cfg, "langid.alternatives", 2, &alternatives,
                               err);
    if (rc == 0 && (alternatives < 0 || alternatives > 1000))
        rc = th_error_set(err, TH_EINVAL,
                          "langid.alternatives must be 0 .. 1000");
    if (rc == 0)
        rc = th_config_get_bool(cfg, "langid.paragraphs", false,
                                &sh->paragraphs, err);
    if (rc == 0)
        rc = th_config_get_str(cfg, "langid.languages", "", &langs);
    if (rc == 0 && !(sh->languages = strdup(langs)))
        rc = th_error_set(err, TH_ENOMEM, "out of memory");
    for (char *p = sh->languages; rc == 0 && p && *p;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        while (*p == ' ')
            p++;
        size_t n = strlen(p);
        while (n > 0 && p[n - 1] == ' ')
            p[--n] = '\0';
        if (n > 0) {
            if (sh->n_lang == MAX_LANGUAGES)
                rc = th_error_set(err, TH_ELIMIT,
                                  "langid.languages lists more than %d "
                                  "languages", MAX_LANGUAGES);
            else
                sh->lang[sh->n_lang++] = p;
        }
        p = comma ? comma + 1 : p + n;
    }
    if (rc == 0)
        rc = th_langid_new(&sh->lid, model, err);
    if (rc < 0) {
        langid_shared_free(sh);
        return rc;
    }
    if (!model)
        model = th_langid_default_model();
    snprintf(sh->model_path, sizeof(sh->model_path), "%s",
             model ? model : "");
    int64_t k = alternatives + 1;
    sh->k = k > sh->lid->info.n_labels ? sh->lid->info.n_labels : (int32_t)k;
    *out = sh;
    return 0;
}

static int langid_create(void **out, void *shared,
                         const struct th_config *cfg, struct th_error *err)
{
    const struct langid_shared *sh = shared;
    struct langid_worker *w = calloc(1, sizeof(*w));
    if (!w)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    w->shared = sh;
    th_buf_init(&w->json, 0);
    w->results = calloc((size_t)sh->lid->info.n_labels,
                        sizeof(*w->results));
    if (!w->results || th_langid_worker_new(&w->worker, sh->lid) < 0) {
        free(w->results);
        free(w);
        return th_error_set(err, TH_ENOMEM, "out of memory");
    }
    *out = w;
    return 0;
}

static void langid_destroy(void *p)
{
    struct langid_worker *w = p;
    if (!w)
        return;
    th_langid_worker_free(w->worker);
    th_buf_release(&w->json);
    free(w->results);
    free(w);
}

static bool language_listed(const struct langid_shared *sh, const char *lang,
                            size_t len)
{
    for (size_t i = 0; i < sh->n_lang; i++)
        if (strlen(sh->lang[i]) == len && !memcmp(sh->lang[i], lang, len))
            return true;
    return false;
}

/* Append "label": value JSON member text. */
static int json_member(struct th_buf *b, const char *label, size_t len,
                       double value)
{
    char num[40];
    th_format_double(num, sizeof(num), value);
    int rc = th_buf_putc(b, '"');
    if (rc == 0)
        rc = th_buf_append_json_str(b, label, len);
    if (rc == 0)
        rc = th_buf_printf(b, "\":%s", num);
    return rc;
}

/* One language of the paragraph mix. */
struct mix_entry {
    const char *label;            /* label in the model */
    size_t len;                   /* label bytes */
    size_t bytes;                 /* text bytes attributed to it */
};

static int cmp_mix(const void *a, const void *b)
{
    const struct mix_entry *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->label, y->label, x->len);
}

static int paragraph_mix(struct langid_worker *w, struct th_doc *doc,
                         struct th_arena *arena, struct th_error *err)
{
    const struct langid_shared *sh = w->shared;
    const char *text = doc->text.ptr;
    size_t len = doc->text.len, n_mix = 0, cap_mix = 0, total = 0;
    struct mix_entry *mix = NULL;
    int rc = 0;
    for (size_t pos = 0; pos < len && rc == 0;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *line = text + pos;
        size_t line_len = end - pos;
        pos = end + 1;
        struct th_langid_result r;
        size_t n;
        rc = th_langid_predict(sh->lid, w->worker, TH_LANGID_PRESET_RAW,
                               line, line_len, 1, &r, &n, err);
        if (rc < 0 || n == 0)
            continue;
        size_t i = 0;
        while (i < n_mix && !(mix[i].len == r.label_len &&
                              !memcmp(mix[i].label, r.label, r.label_len)))
            i++;
        if (i == n_mix) {
            if (n_mix == cap_mix) {
                size_t cap = cap_mix ? cap_mix * 2 : 8;
                struct mix_entry *m = th_arena_alloc(arena,
                                                     cap * sizeof(*m));
                if (!m) {
                    rc = th_error_set(err, TH_ENOMEM, "out of memory");
                    break;
                }
                if (n_mix)
                    memcpy(m, mix, n_mix * sizeof(*m));
                mix = m;
                cap_mix = cap;
            }
            mix[n_mix++] = (struct mix_entry){ r.label, r.label_len, 0 };
        }
        mix[i].bytes += line_len;
        total += line_len;
    }
    if (rc < 0)
        return rc;
    qsort(mix, n_mix, sizeof(*mix), cmp_mix);
    th_buf_reset(&w->json);
    rc = th_buf_putc(&w->json, '{');
    for (size_t i = 0; rc == 0 && i < n_mix; i++) {
        if (i)
            rc = th_buf_putc(&w->json, ',');
        if (rc == 0)
            rc = json_member(&w->json, mix[i].label, mix[i].len,
                             (double)mix[i].bytes / (double)total);
    }
    if (rc == 0)
        rc = th_buf_putc(&w->json, '}');
    if (rc == 0)
        rc = th_doc_set_meta_json(doc, arena, "language_mix", w->json.ptr,
                                  w->json.len);
    if (rc < 0)
        return th_error_set(err, TH_ENOMEM, "out of memory");
    return 0;
}

/*
 * Keep or drop as datatrove's LanguageFilter does: with a language list and
 * a threshold, keep when some listed language has probability above the
 * threshold in the full prediction (fastText k = -1); with a list only,
 * the top language must be listed; with a threshold only, the top score
 * must be above it.
 */
static void langid_verdict(const struct langid_shared *sh,
                           const struct th_langid_result *res, size_t n,
                           struct th_doc *doc)
{
    bool top_listed = n > 0 && language_listed(sh, res[0].label,
                                               res[0].label_len);
    if (sh->n_lang > 0 && sh->threshold > 0.0) {
        for (size_t i = 0; i < n; i++)
            if (res[i].prob > sh->threshold &&
                language_listed(sh, res[i].label, res[i].label_len))
                return;
        th_doc_drop(doc, "langid", top_listed ? "language_score"
                                              : "language");
    } else if (sh->n_lang > 0) {
        if (!top_listed)
            th_doc_drop(doc, "langid", "language");
    } else if (sh->threshold > 0.0 &&
               (n == 0 || res[0].prob <= sh->threshold)) {
        th_doc_drop(doc, "langid", "language_score");
    }
}

static int langid_process(void *state, struct th_doc *doc,
                          struct th_arena *arena, struct th_error *err)
{
    struct langid_worker *w = state;
    const struct langid_shared *sh = w->shared;
    bool all = sh->n_lang > 0 && sh->threshold > 0.0;
    size_t n;
    int rc = th_langid_predict(sh->lid, w->worker, sh->preset, doc->text.ptr,
                               doc->text.len, all ? -1 : sh->k, w->results,
                               &n, err);
    if (rc < 0)
        return rc;
    if (n > 0) {
        const struct th_langid_result *top = &w->results[0];
        char *lang = th_arena_memdup(arena, top->label, top->label_len);
        if (!lang)
            return th_error_set(err, TH_ENOMEM, "out of memory");
        doc->lang = (struct th_slice){ lang, top->label_len };
        doc->lang_score = top->prob;
        th_buf_reset(&w->json);
        rc = th_buf_putc(&w->json, '{');
        for (size_t i = 1; rc == 0 && i < n && i < (size_t)sh->k; i++) {
            if (i > 1)
                rc = th_buf_putc(&w->json, ',');
            if (rc == 0)
                rc = json_member(&w->json, w->results[i].label,
                                 w->results[i].label_len,
                                 w->results[i].prob);
        }
        if (rc == 0)
            rc = th_buf_putc(&w->json, '}');
        if (rc == 0)
            rc = th_doc_set_meta_str(doc, arena, "language", lang,
                                     top->label_len);
        if (rc == 0)
            rc = th_doc_set_meta_double(doc, arena, "language_score",
                                        top->prob);
        if (rc == 0)
            rc = th_doc_set_meta_json(doc, arena, "language_alternatives",
                                      w->json.ptr, w->json.len);
        if (rc < 0)
            return th_error_set(err, TH_ENOMEM, "out of memory");
    }
    langid_verdict(sh, w->results, n, doc);
    if (sh->paragraphs) {
        rc = paragraph_mix(w, doc, arena, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* stats.json "info": the model file and the label preset. */
static int langid_describe(const void *shared, struct th_buf *out)
{
    const struct langid_shared *sh = shared;
    return th_buf_printf(out, "model %s; preset %s", sh->model_path,
                         th_langid_preset_name(sh->preset));
}

const struct th_stage_type th_stage_langid = {
    .name = "langid",
    .summary = "language identification with fastText (built-in model or "
               "langid.model), keep/drop by langid.languages and "
               "langid.threshold",
    .flags = TH_STAGE_TEXT_ONLY,
    .shared_new = langid_shared_new,
    .shared_free = langid_shared_free,
    .describe = langid_describe,
    .create = langid_create,
    .process = langid_process,
    .destroy = langid_destroy,
};
