/*
 * The stage registry: the one place that lists every stage, in pipeline
 * order. A stage module exports `const struct th_stage_type th_stage_<name>`
 * (declared here, not in a shared header, so modules never see each other).
 */
#include <string.h>

#include "thresh/stage.h"
#include "../core/banned.h"

/* STAGE DECLARATIONS: one extern line per stage, pipeline order */
extern const struct th_stage_type th_stage_extract;
extern const struct th_stage_type th_stage_normalize;
extern const struct th_stage_type th_stage_clean;
extern const struct th_stage_type th_stage_langid;
extern const struct th_stage_type th_stage_classify;
extern const struct th_stage_type th_stage_filters;
extern const struct th_stage_type th_stage_pii;
extern const struct th_stage_type th_stage_dedup;

static const struct th_stage_type *const all_stages[] = {
    /* STAGE TABLE: one line per stage, pipeline order */
    &th_stage_extract,
    &th_stage_normalize,
    &th_stage_clean,
    &th_stage_langid,
    &th_stage_classify,
    &th_stage_filters,
    &th_stage_pii,
    &th_stage_dedup,
    NULL,
};

const struct th_stage_type *const *th_stage_all(size_t *n_out)
{
    *n_out = sizeof(all_stages) / sizeof(all_stages[0]) - 1;
    return all_stages;
}

const struct th_stage_type *th_stage_find(const char *name)
{
    for (size_t i = 0; all_stages[i]; i++)
        if (strcmp(all_stages[i]->name, name) == 0)
            return all_stages[i];
    return NULL;
}

const char *th_stage_default_list(void)
{
    static char list[512];
    size_t len = 0;
    list[0] = '\0';
    for (size_t i = 0; all_stages[i]; i++) {
        size_t n = strlen(all_stages[i]->name);
        if (len + n + 2 >= sizeof(list))
            break;
        if (len)
            list[len++] = ',';
        memcpy(list + len, all_stages[i]->name, n + 1);
        len += n;
    }
    return list;
}
