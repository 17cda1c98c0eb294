/*
 * th_config: an ordered set of "stage.option" = "value" settings that stages
 * read at creation. The CLI fills it from --set KEY=VALUE, from its named
 * flags and from presets; the library only reads it.
 *
 * Ownership: the config copies keys and values. Thread-safety: read-only
 * after construction, so workers may read it concurrently.
 */
#ifndef THRESH_CONFIG_H
#define THRESH_CONFIG_H

#include "thresh/core.h"

struct th_config;

int th_config_new(struct th_config **out);
void th_config_free(struct th_config *cfg);

/* Set key to value (both copied); a later set of the same key wins. */
int th_config_set(struct th_config *cfg, const char *key, const char *value);

/* Parse "KEY=VALUE" and set it; TH_EINVAL when there is no '='. */
int th_config_set_pair(struct th_config *cfg, const char *pair);

/* The value of key, or NULL when unset. */
const char *th_config_get(const struct th_config *cfg, const char *key);

/* The value of key or def; parse errors set err and return TH_EINVAL. */
int th_config_get_str(const struct th_config *cfg, const char *key,
                      const char *def, const char **out);
int th_config_get_int(const struct th_config *cfg, const char *key,
                      int64_t def, int64_t *out, struct th_error *err);
int th_config_get_double(const struct th_config *cfg, const char *key,
                         double def, double *out, struct th_error *err);
int th_config_get_bool(const struct th_config *cfg, const char *key,
                       bool def, bool *out, struct th_error *err);

/*
 * True once th_config_get() (or a typed getter) read entry i: lets the
 * pipeline report options that no stage understood (typos).
 */
bool th_config_is_used(const struct th_config *cfg, size_t i);

/* Number of entries and the i-th (key, value), in insertion order. */
size_t th_config_count(const struct th_config *cfg);
void th_config_entry(const struct th_config *cfg, size_t i,
                     const char **key_out, const char **value_out);

#endif
