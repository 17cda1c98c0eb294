/*
 * Entry points shared between the files of the filter module (not public):
 * the two phases of the Gopher repetition filter, so the chain can skip
 * tokenization when the line rules already drop a document.
 */
#ifndef THRESH_FILTER_INTERNAL_H
#define THRESH_FILTER_INTERNAL_H

#include "thresh/filter.h"

/* Paragraph and line rules; fills st (zeroed first) and *reason_out. */
int th_ft_repetition_text(const struct th_gopher_repetition_opts *opts,
                          const char *text, size_t len, struct th_arena *arena,
                          bool all, struct th_gopher_repetition_stats *st,
                          const char **reason_out, struct th_error *err);

/*
 * N-gram rules after th_ft_repetition_text() on the same st; *reason_out is
 * only set when it is still NULL.
 */
int th_ft_repetition_words(const struct th_gopher_repetition_opts *opts,
                           const struct th_slice *words, size_t n_words,
                           struct th_arena *arena, bool all,
                           struct th_gopher_repetition_stats *st,
                           const char **reason_out, struct th_error *err);

#endif
