/*
 * th_config: a small ordered key/value store. Lookups scan from the newest
 * entry so that a later --set overrides a preset. Configs hold tens of
 * entries and are read only at stage creation: a flat array is enough.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "thresh/config.h"
#include "banned.h"

struct th_config_entry {
    char *key;    /* owned */
    char *value;  /* owned */
    bool used;    /* read by some stage (set atomically) */
};

struct th_config {
    struct th_config_entry *entries;  /* insertion order */
    size_t n;                         /* entries in use */
    size_t cap;                       /* entries allocated */
};

int th_config_new(struct th_config **out)
{
    struct th_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return TH_ENOMEM;
    *out = cfg;
    return 0;
}

void th_config_free(struct th_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->entries[i].key);
        free(cfg->entries[i].value);
    }
    free(cfg->entries);
    free(cfg);
}

int th_config_set(struct th_config *cfg, const char *key, const char *value)
{
    for (size_t i = 0; i < cfg->n; i++) {
        if (strcmp(cfg->entries[i].key, key) == 0) {
            char *v = strdup(value);
            if (!v)
                return TH_ENOMEM;
            free(cfg->entries[i].value);
            cfg->entries[i].value = v;
            return 0;
        }
    }
    if (cfg->n == cfg->cap) {
        size_t cap = cfg->cap ? cfg->cap * 2 : 16;
        struct th_config_entry *e = realloc(cfg->entries, cap * sizeof(*e));
        if (!e)
            return TH_ENOMEM;
        cfg->entries = e;
        cfg->cap = cap;
    }
    char *k = strdup(key);
    char *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return TH_ENOMEM;
    }
    cfg->entries[cfg->n].key = k;
    cfg->entries[cfg->n].value = v;
    cfg->entries[cfg->n].used = false;
    cfg->n++;
    return 0;
}

int th_config_set_pair(struct th_config *cfg, const char *pair)
{
    const char *eq = strchr(pair, '=');
    if (!eq || eq == pair)
        return TH_EINVAL;
    size_t klen = (size_t)(eq - pair);
    char *key = malloc(klen + 1);
    if (!key)
        return TH_ENOMEM;
    memcpy(key, pair, klen);
    key[klen] = '\0';
    int rc = th_config_set(cfg, key, eq + 1);
    free(key);
    return rc;
}

const char *th_config_get(const struct th_config *cfg, const char *key)
{
    if (!cfg)
        return NULL;
    for (size_t i = 0; i < cfg->n; i++) {
        if (strcmp(cfg->entries[i].key, key) == 0) {
            /* the only write through a const config: a relaxed flag */
            __atomic_store_n(&cfg->entries[i].used, true, __ATOMIC_RELAXED);
            return cfg->entries[i].value;
        }
    }
    return NULL;
}

bool th_config_is_used(const struct th_config *cfg, size_t i)
{
    return __atomic_load_n(&cfg->entries[i].used, __ATOMIC_RELAXED);
}

int th_config_get_str(const struct th_config *cfg, const char *key,
                      const char *def, const char **out)
{
    const char *v = th_config_get(cfg, key);
    *out = v ? v : def;
    return 0;
}

int th_config_get_int(const struct th_config *cfg, const char *key,
                      int64_t def, int64_t *out, struct th_error *err)
{
    const char *v = th_config_get(cfg, key);
    if (!v) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end)
        return th_error_set(err, TH_EINVAL, "option '%s': '%s' is not an "
                            "integer", key, v);
    *out = x;
    return 0;
}

int th_config_get_double(const struct th_config *cfg, const char *key,
                         double def, double *out, struct th_error *err)
{
    const char *v = th_config_get(cfg, key);
    if (!v) {
        *out = def;
        return 0;
    }
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end)
        return th_error_set(err, TH_EINVAL, "option '%s': '%s' is not a "
                            "number", key, v);
    *out = x;
    return 0;
}

int th_config_get_bool(const struct th_config *cfg, const char *key,
                       bool def, bool *out, struct th_error *err)
{
    const char *v = th_config_get(cfg, key);
    if (!v) {
        *out = def;
        return 0;
    }
    if (!strcasecmp(v, "1") || !strcasecmp(v, "true") ||
        !strcasecmp(v, "yes") || !strcasecmp(v, "on")) {
        *out = true;
        return 0;
    }
    if (!strcasecmp(v, "0") || !strcasecmp(v, "false") ||
        !strcasecmp(v, "no") || !strcasecmp(v, "off")) {
        *out = false;
        return 0;
    }
    return th_error_set(err, TH_EINVAL, "option '%s': '%s' is not a boolean",
                        key, v);
}

size_t th_config_count(const struct th_config *cfg)
{
    return cfg->n;
}

void th_config_entry(const struct th_config *cfg, size_t i,
                     const char **key_out, const char **value_out)
{
    *key_out = cfg->entries[i].key;
    *value_out = cfg->entries[i].value;
}
