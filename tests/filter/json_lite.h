/*
 * A small JSON reader for the filter tests: parses one JSONL line into a
 * tree (malloc'd) and reads gzip'd JSONL files line by line. Test code only;
 * the library has its own reader in lib/io.
 */
#ifndef THRESH_TEST_JSON_LITE_H
#define THRESH_TEST_JSON_LITE_H

#include <stdbool.h>
#include <stddef.h>

enum jl_type { JL_NULL, JL_BOOL, JL_NUM, JL_STR, JL_ARR, JL_OBJ };

struct jl_value {
    enum jl_type type;        /* kind of value */
    bool b;                   /* JL_BOOL */
    double num;               /* JL_NUM */
    char *str;                /* JL_STR: decoded UTF-8, NUL-terminated */
    size_t len;               /* JL_STR bytes; JL_ARR/JL_OBJ item count */
    struct jl_value *items;   /* JL_ARR items / JL_OBJ values */
    char **keys;              /* JL_OBJ keys */
};

/* Parse s (NUL-terminated); NULL on a syntax error. */
struct jl_value *jl_parse(const char *s);
void jl_free(struct jl_value *v);

/* Member of an object, or NULL. */
const struct jl_value *jl_get(const struct jl_value *obj, const char *key);

/* Read all lines of a gzip (or plain) file; returns the count, -1 on error. */
long jl_read_lines(const char *path, char ***lines_out);
void jl_free_lines(char **lines, long n);

#endif
