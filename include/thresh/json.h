/*
 * A minimal validating JSON scanner (core): the JSONL reader's and the
 * Punkt parameter loader's. It never builds a tree: it skips values
 * (returning their raw extent) and decodes the few strings thresh
 * interprets.
 */
#ifndef THRESH_JSON_H
#define THRESH_JSON_H

#include "thresh/core.h"

#define TH_JSON_MAX_DEPTH 512

/* Skip whitespace; returns the first non-space position (<= end). */
const char *th_json_skip_ws(const char *p, const char *end);

/*
 * Validate the value starting at p; *next gets the position after it.
 * Returns 0 or TH_EFORMAT (nesting deeper than TH_JSON_MAX_DEPTH counts
 * as a format error).
 */
int th_json_skip_value(const char *p, const char *end, const char **next);

/*
 * Decode the JSON string at p (which must start with '"') into arena
 * memory, NUL-terminated. Escapes are decoded (surrogate pairs joined,
 * lone surrogates become U+FFFD); raw bytes are copied as they are.
 * *bad_utf8 is set when raw bytes are not valid UTF-8.
 */
int th_json_decode_string(const char *p, const char *end,
                          struct th_arena *arena, char **out, size_t *len_out,
                          const char **next, bool *bad_utf8);

#endif
