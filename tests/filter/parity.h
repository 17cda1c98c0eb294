/*
 * The parity data set of ../shared/data/parity loaded for the filter tests:
 * documents, datatrove's expected decisions per filter and the chain, NLTK's
 * reference words and C4 sentence lines, and the allow-list of known
 * differences (tests/filter/parity-allow.txt).
 */
#ifndef THRESH_TEST_PARITY_H
#define THRESH_TEST_PARITY_H

#include "json_lite.h"

enum parity_filter {
    PF_GOPHER_REPETITION = 0,
    PF_GOPHER_QUALITY,
    PF_C4_QUALITY,
    PF_FINEWEB_QUALITY,
    PF_CHAIN,
    PF_N,
};

struct parity_doc {
    const char *id;                    /* document id */
    const char *text;                  /* text */
    size_t len;                        /* bytes */
    struct jl_value *expected[PF_N];   /* parsed expected lines */
    struct jl_value *words;            /* {"id","tokens"} or NULL */
    struct jl_value *sentences;        /* {"id","sentences","c4_lines"} */
};

struct parity_set {
    struct parity_doc *docs;           /* every document, file order */
    size_t n_docs;                     /* count */
    size_t n_with_words;               /* docs with reference words */
    char **allow;                      /* "filter<TAB>id" entries */
    size_t n_allow;                    /* allow-list entries */
};

/* Load once (NULL when the shared data is missing). */
const struct parity_set *parity_load(void);

/* Static name of a filter as in the allow-list ("gopher_quality", ...). */
const char *parity_filter_name(enum parity_filter f);

/* Is (filter, id) on the allow-list? */
bool parity_allowed(const struct parity_set *ps, enum parity_filter f,
                    const char *id);

/* The expected reason (NULL for keep), and whether datatrove raised. */
const char *parity_expected_reason(const struct parity_doc *d,
                                   enum parity_filter f, bool *error_out);

#endif
