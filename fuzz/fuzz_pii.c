/*
 * Fuzz target: PII detection and redaction on arbitrary bytes, both
 * replacement modes. Checks the invariants: matches are ordered, inside
 * the text and non-overlapping; redaction without matches returns the input.
 */
#include <stdint.h>
#include <stdlib.h>

#include "thresh/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct th_arena *arena;
    if (th_arena_new(&arena, 0, 0) < 0)
        return 0;
    struct th_pii_opts o;
    th_pii_opts_init(&o);
    struct th_error err;
    struct th_pii_match *m;
    size_t n;
    const char *text = (const char *)data;
    if (th_pii_find(&o, text, size, arena, &m, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (m[i].start >= m[i].end || m[i].end > size ||
                (i && m[i].start < m[i - 1].end))
                abort();
        }
    }
    size_t counts[TH_PII_N_KINDS];
    struct th_slice out;
    for (int mode = 0; mode < 2; mode++) {
        o.mode = mode ? TH_PII_FAKE : TH_PII_PLACEHOLDER;
        if (th_pii_redact(&o, text, size, arena, &out, counts, &err) == 0 &&
            counts[0] + counts[1] + counts[2] + counts[3] == 0 &&
            out.ptr != text)
            abort();
    }
    th_arena_free(arena);
    return 0;
}
