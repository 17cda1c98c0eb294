/*
 * Duplicate pieces of a text (Gopher repetition's paragraphs and lines,
 * FineWeb's lines): how many pieces equal an earlier one, and their
 * characters.
 *
 * Approach: the pieces are collected first (struct th_ft_pieces) and
 * counted by length, first and last byte in a count-min sketch; a piece
 * that no other piece matches there can neither repeat nor be repeated,
 * and is never hashed (most of a text's bytes are in long lines of
 * distinct lengths, and many lines of a shared length differ at an end:
 * on the parity set the length alone in 512 cells left 79% of the lines
 * to hash, these three keys 57%, in 2048 cells 42%: long documents filled
 * 512). The others, listed without a branch on each, are
 * hashed (XXH3) into an open-addressing set allocated from the arena,
 * sized for them, and a hit is confirmed with memcmp, so a collision never
 * changes a result.
 * Rejected: hashing every piece as it is found (the hashing was the
 * larger part of the cost); keying the sketch by the first and last 8
 * bytes (session 3: no gain); short pieces keyed from two 8-byte loads
 * instead of XXH3, and the probes' slots prefetched (session 4: no gain,
 * the probe's branch is what costs).
 */
#include <string.h>

#include "filter_internal.h"
#include "../core/banned.h"

struct piece_entry {
    uint64_t key;       /* hash | 1, 0 = empty slot */
    const char *ptr;    /* the first occurrence's bytes */
    size_t len;         /* its byte length */
};

void th_ft_pieces_init(struct th_ft_pieces *pl, const char *text,
                       struct th_arena *arena)
{
    pl->text = text;
    pl->bounds = NULL;
    pl->n = pl->cap = 0;
    memset(pl->cells, 0, sizeof(pl->cells));
    pl->arena = arena;
}

int th_ft_pieces_grow(struct th_ft_pieces *pl)
{
    size_t cap = pl->cap ? pl->cap * 2 : 64;
    size_t *b = th_arena_alloc(pl->arena, cap * 2 * sizeof(*b));
    if (!b)
        return TH_ENOMEM;
    if (pl->n)
        memcpy(b, pl->bounds, pl->n * 2 * sizeof(*b));
    pl->bounds = b;           /* the old array stays in the arena */
    pl->cap = cap;
    return 0;
}

int th_ft_pieces_dups(const struct th_ft_pieces *pl, const char *text,
                      size_t *dups, size_t *dup_chars)
{
    if (pl->n < 2)
        return 0;
    /* the pieces to hash, listed without a branch on each */
    size_t *list = th_arena_alloc(pl->arena, pl->n * sizeof(*list));
    if (!list)
        return TH_ENOMEM;
    size_t n_hashed = 0;
    for (size_t k = 0; k < pl->n; k++) {
        list[n_hashed] = k;
        n_hashed += pl->cells[th_ft_piece_cell(text, pl->bounds[2 * k],
                                               pl->bounds[2 * k + 1])] >= 2;
    }
    if (!n_hashed)
        return 0;
    size_t cap = 16;
    while (cap < n_hashed * 2)
        cap <<= 1;            /* at most half full: no growth */
    struct piece_entry *set = th_arena_calloc(pl->arena, cap, sizeof(*set));
    if (!set)
        return TH_ENOMEM;
    for (size_t h = 0; h < n_hashed; h++) {
        size_t k = list[h];
        size_t start = pl->bounds[2 * k], end = pl->bounds[2 * k + 1];
        size_t len = end - start;
        const char *ptr = text + start;
        uint64_t key = th_hash64(ptr, len, 0) | 1;
        size_t j = key & (cap - 1);
        bool dup = false;
        while (set[j].key) {
            const struct piece_entry *e = &set[j];
            if (e->key == key && e->len == len &&
                memcmp(e->ptr, ptr, len) == 0) {
                dup = true;
                break;
            }
            j = (j + 1) & (cap - 1);
        }
        if (dup) {
            (*dups)++;
            *dup_chars += th_ft_count_chars(ptr, len);
        } else {
            set[j] = (struct piece_entry){key, ptr, len};
        }
    }
    return 0;
}
