/*
 * Fuzz target: text simplification, shingling, MinHash signature, bands and
 * line hashes on arbitrary bytes. Checks invariants: the simplified text is
 * valid-looking (no leading/trailing/double spaces), simplification is
 * idempotent, and identical inputs give identical signatures.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/dedup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct th_minhash_params p;
    th_minhash_params_default(&p);
    if (size > 0)
        p.ngram = 1 + data[0] % 7;
    struct th_minhash *mh = NULL;
    if (th_minhash_new(&mh, &p, NULL) < 0)
        return 0;
    struct th_buf s, s2, sh, lines, scratch;
    th_buf_init(&s, 0);
    th_buf_init(&s2, 0);
    th_buf_init(&sh, 0);
    th_buf_init(&lines, 0);
    th_buf_init(&scratch, 0);
    const char *text = (const char *)data;
    if (th_dedup_simplify(text, size, &s) == 0 && s.len) {
        if (s.ptr[0] == ' ' || s.ptr[s.len - 1] == ' ' ||
            strstr(s.ptr, "  "))
            abort();
        if (th_dedup_simplify(s.ptr, s.len, &s2) == 0 &&
            (s2.len != s.len || memcmp(s.ptr, s2.ptr, s.len) != 0))
            abort();
    }
    if (th_minhash_shingles(mh, s.ptr ? s.ptr : "", s.len, true, &sh) == 0) {
        uint32_t a[112], b[112];
        uint64_t bands[14];
        size_t n = sh.len / 8;
        const uint64_t *v = (const uint64_t *)(void *)sh.ptr;
        th_minhash_sign(mh, v, n, a);
        th_minhash_sign(mh, v, n, b);
        if (memcmp(a, b, sizeof(a)) != 0)
            abort();
        th_minhash_bands(mh, a, bands);
        if (n && th_jaccard_sorted(v, n, v, n) != 1.0)
            abort();
    }
    th_dedup_line_hashes(text, size, &scratch, &lines);
    (void)th_dedup_text_hash(text, size);
    (void)th_dedup_url_hash(text, size);
    th_buf_release(&s);
    th_buf_release(&s2);
    th_buf_release(&sh);
    th_buf_release(&lines);
    th_buf_release(&scratch);
    th_minhash_free(mh);
    return 0;
}
