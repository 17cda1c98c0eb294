/*
 * langid module above the engine: recipe presets, the langid stage
 * (metadata, keep/drop by language list and threshold, paragraph mix) and
 * the classify stage, run with the real models of ../shared/data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/config.h"
#include "thresh/doc.h"
#include "thresh/langid.h"
#include "thresh/stage.h"
#include "../test.h"

extern const struct th_stage_type th_stage_langid;
extern const struct th_stage_type th_stage_classify;

static const char *model_path(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/fasttext-models/%s",
             th_test_shared_data(), name);
    return path;
}

static size_t pre(enum th_langid_preset p, const char *in, char *out)
{
    return th_langid_preprocess(p, in, strlen(in), out);
}

static void presets_follow_recipes(void)
{
    char out[128];
    const char *in = " \xc2\xa0Hello\nworld\r\nagain\xe2\x80\xa8x\n\n";
    pre(TH_LANGID_PRESET_DATATROVE, in, out);
    CHECK_EQ_STR(out, " \xc2\xa0Hello world\r again\xe2\x80\xa8x  ");
    pre(TH_LANGID_PRESET_FINEWEB, in, out);
    CHECK_EQ_STR(out, " \xc2\xa0Helloworld\ragain\xe2\x80\xa8x");
    pre(TH_LANGID_PRESET_DCLM, in, out);
    CHECK_EQ_STR(out, "Hello world again x");
    pre(TH_LANGID_PRESET_NEMO, in, out);
    CHECK_EQ_STR(out, "Hello world\r again\xe2\x80\xa8x");
    CHECK_EQ_INT(pre(TH_LANGID_PRESET_RAW, in, out), strlen(in));
    CHECK_EQ_INT(pre(TH_LANGID_PRESET_DCLM, " \n\t ", out), 0);
    enum th_langid_preset p;
    CHECK(th_langid_preset_parse("dclm", &p) == 0 &&
          p == TH_LANGID_PRESET_DCLM);
    CHECK(th_langid_preset_parse("bogus", &p) == TH_EINVAL);
    CHECK_EQ_STR(th_langid_preset_name(TH_LANGID_PRESET_FINEWEB), "fineweb");
}

/* Run stage over one text with cfg; returns the document (arena-backed). */
static int run_stage(const struct th_stage_type *type, struct th_config *cfg,
                     const char *text, struct th_arena *arena,
                     struct th_doc *doc, struct th_error *err)
{
    void *shared = NULL, *state = NULL;
    int rc = type->shared_new(&shared, cfg, err);
    if (rc < 0)
        return rc;
    rc = type->create(&state, shared, cfg, err);
    if (rc == 0) {
        th_doc_init(doc);
        doc->text = th_slice_from_cstr(text);
        rc = type->process(state, doc, arena, err);
        type->destroy(state);
    }
    type->shared_free(shared);
    return rc;
}

static const char *meta(const struct th_doc *doc, const char *key,
                        char *buf, size_t cap)
{
    const struct th_meta *m = th_doc_get_meta(doc, key);
    if (!m)
        return "(none)";
    snprintf(buf, cap, "%.*s", (int)m->json.len, m->json.ptr);
    return buf;
}

static void langid_stage_annotates_and_filters(void)
{
    struct th_config *cfg;
    struct th_arena *arena;
    struct th_error err = {0};
    struct th_doc doc;
    char buf[512];
    CHECK(th_config_new(&cfg) == 0);
    CHECK(th_arena_new(&arena, 0, 0) == 0);
    th_config_set(cfg, "langid.model", model_path("lid.176.ftz"));
    const char *german = "Der schnelle braune Fuchs springt über den faulen "
                         "Hund.\nEr läuft weiter in den Wald.";
    CHECK(run_stage(&th_stage_langid, cfg, german, arena, &doc, &err) == 0);
    CHECK(doc.verdict == TH_KEEP);
    CHECK(th_slice_eq_cstr(doc.lang, "de"));
    CHECK(doc.lang_score > 0.9);
    CHECK_EQ_STR(meta(&doc, "language", buf, sizeof(buf)), "\"de\"");
    CHECK(th_doc_get_meta(&doc, "language_score") != NULL);
    const char *alt = meta(&doc, "language_alternatives", buf, sizeof(buf));
    CHECK(alt[0] == '{' && strchr(alt, ':') && strchr(alt, ','));

    th_config_set(cfg, "langid.languages", "en, fr");
    CHECK(run_stage(&th_stage_langid, cfg, german, arena, &doc, &err) == 0);
    CHECK(doc.verdict == TH_DROP);
    CHECK_EQ_STR(doc.drop_reason, "language");
    CHECK_EQ_STR(doc.drop_stage, "langid");
    th_config_set(cfg, "langid.languages", "en,de");
    CHECK(run_stage(&th_stage_langid, cfg, german, arena, &doc, &err) == 0);
    CHECK(doc.verdict == TH_KEEP);
    /* list + threshold (datatrove): some listed language above it */
    th_config_set(cfg, "langid.threshold", "0.65");
    CHECK(run_stage(&th_stage_langid, cfg, german, arena, &doc, &err) == 0);
    CHECK(doc.verdict == TH_KEEP);
    th_config_set(cfg, "langid.languages", "fr");
    CHECK(run_stage(&th_stage_langid, cfg, german, arena, &doc, &err) == 0);
    CHECK(doc.verdict == TH_DROP);
    CHECK_EQ_STR(doc.drop_reason, "language");
    th_config_set(cfg, "langid.languages", "de");
    th_config_set(cfg, "langid.threshold", "1.5");
    CHECK(run_stage(&th_stage_langid, cfg, german, arena, &doc, &err) == 0);
    CHECK(doc.verdict == TH_DROP);
    CHECK_EQ_STR(doc.drop_reason, "language_score");
    /* the same metadata as without the threshold (k = -1 prefix) */
    CHECK_EQ_STR(meta(&doc, "language", buf, sizeof(buf)), "\"de\"");
    CHECK(strchr(meta(&doc, "language_alternatives", buf, sizeof(buf)),
                 ',') != NULL);
    /* threshold only: an ambiguous text fails it */
    th_config_set(cfg, "langid.languages", "");
    th_config_set(cfg, "langid.threshold", "0.65");
    CHECK(run_stage(&th_stage_langid, cfg, "ok", arena, &doc, &err) == 0);
    CHECK(doc.verdict == TH_DROP);
    CHECK_EQ_STR(doc.drop_reason, "language_score");
    th_config_set(cfg, "langid.threshold", "0");

    /* paragraph mode: the mix of a bilingual document, by bytes */
    th_config_set(cfg, "langid.paragraphs", "true");
    th_config_set(cfg, "langid.alternatives", "0");
    const char *mixed = "This is the first paragraph, written in English "
                        "for the test.\n\nCeci est le deuxième paragraphe, "
                        "écrit en français.\nEt voici une autre phrase en "
                        "français pour le test.";
    CHECK(run_stage(&th_stage_langid, cfg, mixed, arena, &doc, &err) == 0);
    const char *mix = meta(&doc, "language_mix", buf, sizeof(buf));
    CHECK(strncmp(mix, "{\"fr\":0.6", 9) == 0);
    CHECK(strstr(mix, ",\"en\":0.3") != NULL);
    CHECK_EQ_STR(meta(&doc, "language_alternatives", buf, sizeof(buf)), "{}");

    /* bad configuration is an error at shared_new */
    th_config_set(cfg, "langid.preset", "nope");
    CHECK(run_stage(&th_stage_langid, cfg, "x", arena, &doc, &err) ==
          TH_EINVAL);
    CHECK(strstr(err.msg, "langid.preset") != NULL);
    th_config_set(cfg, "langid.preset", "fineweb");
    th_config_set(cfg, "langid.model", "/nonexistent.ftz");
    CHECK(run_stage(&th_stage_langid, cfg, "x", arena, &doc, &err) == TH_EIO);
    th_arena_free(arena);
    th_config_free(cfg);
}

static void predict_matches_engine(void)
{
    /* th_langid_predict on a line == th_fasttext_predict with EOS */
    struct th_langid *lid;
    struct th_langid_worker *w;
    struct th_error err = {0};
    CHECK(th_langid_new(&lid, model_path("lid.176.ftz"), &err) == 0);
    if (!lid)
        return;
    CHECK(th_langid_worker_new(&w, lid) == 0);
    struct th_langid_result r[5];
    size_t n;
    CHECK(th_langid_predict(lid, w, TH_LANGID_PRESET_DATATROVE,
                            "Ek is nie dronk nie.", 20, 5, r, &n, &err) == 0);
    CHECK_EQ_INT(n, 5);
    /* ref-lid.176.tsv line 1: __label__af 0.951458 __label__en 0.0209994 */
    char num[32];
    th_fasttext_format_prob(num, sizeof(num), r[0].prob);
    CHECK(r[0].label_len == 2 && !memcmp(r[0].label, "af", 2));
    CHECK_EQ_STR(num, "0.951458");
    th_fasttext_format_prob(num, sizeof(num), r[1].prob);
    CHECK_EQ_STR(num, "0.0209994");
    CHECK(th_langid_predict(lid, w, TH_LANGID_PRESET_RAW, "x", 1, 0, r, &n,
                            &err) == TH_EINVAL);
    th_langid_worker_free(w);
    th_langid_free(lid);
}

static void classify_stage_scores_label(void)
{
    struct th_config *cfg;
    struct th_arena *arena;
    struct th_error err = {0};
    struct th_doc doc;
    char buf[128];
    CHECK(th_config_new(&cfg) == 0);
    CHECK(th_arena_new(&arena, 0, 0) == 0);
    /* without a model the stage passes documents through untouched */
    CHECK(run_stage(&th_stage_classify, cfg, "x", arena, &doc, &err) == 0);
    CHECK(doc.verdict == TH_KEEP && doc.n_meta == 0);
    /* a model needs a label that exists */
    th_config_set(cfg, "classify.model", model_path("cooking.model.bin"));
    CHECK(run_stage(&th_stage_classify, cfg, "x", arena, &doc, &err) ==
          TH_EINVAL);
    CHECK(strstr(err.msg, "classify.label") != NULL);
    th_config_set(cfg, "classify.label", "__label__nope");
    CHECK(run_stage(&th_stage_classify, cfg, "x", arena, &doc, &err) ==
          TH_EINVAL);
    CHECK(strstr(err.msg, "__label__nope") != NULL);

    th_config_set(cfg, "classify.label", "baking");
    th_config_set(cfg, "classify.key", "baking_score");
    const char *q = "How long should I bake bread dough in the oven?";
    CHECK(run_stage(&th_stage_classify, cfg, q, arena, &doc, &err) == 0);
    CHECK(doc.verdict == TH_KEEP);
    const char *s = meta(&doc, "baking_score", buf, sizeof(buf));
    double high = strtod(s, NULL);
    CHECK(high > 0.1 && high <= 1.00001);
    const char *other = "Which knife is best to cut a steak?";
    CHECK(run_stage(&th_stage_classify, cfg, other, arena, &doc, &err) == 0);
    double low = strtod(meta(&doc, "baking_score", buf, sizeof(buf)), NULL);
    CHECK(low < high);
    /* keep/drop at min_score, or annotate only */
    char thr[32];
    snprintf(thr, sizeof(thr), "%.6f", (low + high) / 2);
    th_config_set(cfg, "classify.min_score", thr);
    CHECK(run_stage(&th_stage_classify, cfg, q, arena, &doc, &err) == 0);
    CHECK(doc.verdict == TH_KEEP);
    CHECK(run_stage(&th_stage_classify, cfg, other, arena, &doc, &err) == 0);
    CHECK(doc.verdict == TH_DROP);
    CHECK_EQ_STR(doc.drop_reason, "classifier_score");
    th_config_set(cfg, "classify.annotate_only", "true");
    CHECK(run_stage(&th_stage_classify, cfg, other, arena, &doc, &err) == 0);
    CHECK(doc.verdict == TH_KEEP);
    CHECK(th_doc_get_meta(&doc, "baking_score") != NULL);
    th_arena_free(arena);
    th_config_free(cfg);
}

static void builtin_model_is_found(void)
{
    const char *path = th_langid_default_model();
    CHECK(path != NULL);
    struct th_langid *lid = NULL;
    struct th_error err = {0};
    CHECK(th_langid_new(&lid, NULL, &err) == 0);
    if (!lid) {
        printf("# %s\n", err.msg);
        return;
    }
    struct th_langid_worker *w;
    CHECK(th_langid_worker_new(&w, lid) == 0);
    struct th_langid_result r[1];
    size_t n;
    CHECK(th_langid_predict(lid, w, TH_LANGID_PRESET_DATATROVE,
                            "Dies ist ein ganz normaler deutscher Satz.", 42,
                            1, r, &n, &err) == 0);
    CHECK(n == 1 && r[0].label_len == 2 && !memcmp(r[0].label, "de", 2));
    th_langid_worker_free(w);
    th_langid_free(lid);
}

static const struct th_test tests[] = {
    { "presets_follow_recipes", presets_follow_recipes },
    { "langid_stage_annotates_and_filters",
      langid_stage_annotates_and_filters },
    { "predict_matches_engine", predict_matches_engine },
    { "classify_stage_scores_label", classify_stage_scores_label },
    { "builtin_model_is_found", builtin_model_is_found },
};

TH_TEST_MAIN(tests)
