/*
 * Arena (bump) allocator: one per batch of documents. Blocks are malloc'd on
 * demand; an allocation larger than the block size gets a block of its own.
 * Reset keeps the blocks (up to TH_ARENA_RETAIN bytes) so steady-state
 * processing does no malloc.
 *
 * With TH_ARENA_DEBUG defined (meson -Darena_debug=true) every allocation
 * is its own malloc'd block, so ASan catches overflows between allocations
 * [lg2 GIT_DEBUG_POOL]. Rejected: a free-list per size class (documents die
 * together, so per-object free is wasted work).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thresh/core.h"
#include "banned.h"

#define TH_ARENA_DEFAULT_BLOCK (1u << 20)
#define TH_ARENA_ALIGN 16
#define TH_ARENA_RETAIN (64u << 20)   /* spare bytes kept across resets */

struct th_arena_block {
    struct th_arena_block *next;  /* older block */
    size_t size;                  /* usable bytes after the header */
    size_t used;                  /* bytes handed out */
    /* payload follows, aligned */
};

struct th_arena {
    struct th_arena_block *head;  /* current block, newest first */
    struct th_arena_block *spare; /* reset blocks of block_size, for reuse */
    struct th_arena_block *spare_big; /* reset larger blocks, for reuse */
    size_t spare_bytes;           /* bytes in both spare lists */
    size_t block_size;            /* default size of a new block */
    size_t cap;                   /* byte cap, 0 = none */
    size_t used;                  /* bytes handed out since reset */
    size_t reserved;              /* bytes held in blocks */
};

#define BLOCK_HDR ((sizeof(struct th_arena_block) + TH_ARENA_ALIGN - 1) & \
                   ~(size_t)(TH_ARENA_ALIGN - 1))

int th_arena_new(struct th_arena **out, size_t block_size, size_t cap)
{
    struct th_arena *a = calloc(1, sizeof(*a));
    if (!a)
        return TH_ENOMEM;
    a->block_size = block_size ? block_size : TH_ARENA_DEFAULT_BLOCK;
    a->cap = cap;
    *out = a;
    return 0;
}

void th_arena_free(struct th_arena *arena)
{
    if (!arena)
        return;
    struct th_arena_block *lists[3] = {arena->head, arena->spare,
                                       arena->spare_big};
    for (int list = 0; list < 3; list++) {
        struct th_arena_block *b = lists[list];
        while (b) {
            struct th_arena_block *next = b->next;
            free(b);
            b = next;
        }
    }
    free(arena);
}

static struct th_arena_block *new_block(struct th_arena *a, size_t need)
{
    size_t size = need > a->block_size ? need : a->block_size;
#ifdef TH_ARENA_DEBUG
    size = need;
#endif
    if (size > SIZE_MAX - BLOCK_HDR)
        return NULL;
    /* a spare block: a default one for a default request (one pop), the
     * smallest larger one that fits for a larger request (that list is
     * short: larger blocks within TH_ARENA_RETAIN bytes) */
    struct th_arena_block *b = NULL;
    if (size == a->block_size && a->spare) {
        b = a->spare;
        a->spare = b->next;
    } else if (size > a->block_size) {
        struct th_arena_block **best = NULL;
        for (struct th_arena_block **p = &a->spare_big; *p; p = &(*p)->next)
            if ((*p)->size >= size && (!best || (*p)->size < (*best)->size))
                best = p;
        if (best) {
            b = *best;
            *best = b->next;
        }
    }
    if (b) {
        a->spare_bytes -= b->size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
        return b;
    }
    b = malloc(BLOCK_HDR + size);
    if (!b)
        return NULL;
    b->size = size;
    b->used = 0;
    b->next = a->head;
    a->head = b;
    a->reserved += size;
    return b;
}

void *th_arena_alloc(struct th_arena *arena, size_t size)
{
    if (size == 0)
        size = 1;
    if (size > SIZE_MAX - TH_ARENA_ALIGN)
        return NULL;
    size_t need = (size + TH_ARENA_ALIGN - 1) & ~(size_t)(TH_ARENA_ALIGN - 1);
    if (arena->cap && (need > arena->cap || arena->used > arena->cap - need))
        return NULL;
    struct th_arena_block *b = arena->head;
#ifdef TH_ARENA_DEBUG
    b = NULL;
#endif
    if (!b || b->size - b->used < need) {
        b = new_block(arena, need);
        if (!b)
            return NULL;
    }
    void *p = (char *)b + BLOCK_HDR + b->used;
    b->used += need;
    arena->used += need;
    return p;
}

void *th_arena_calloc(struct th_arena *arena, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = th_arena_alloc(arena, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *th_arena_memdup(struct th_arena *arena, const void *data, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = th_arena_alloc(arena, len + 1);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, data, len);
    p[len] = '\0';
    return p;
}

char *th_arena_printf(struct th_arena *arena, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = th_arena_alloc(arena, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void th_arena_reset(struct th_arena *arena)
{
    /*
     * Blocks go to the spare list for reuse (up to TH_ARENA_RETAIN bytes),
     * so a steady stream of batches allocates nothing: oversized ones too,
     * since a stream of documents asks for large blocks again and again
     * (malloc would hand them back to the kernel and fault their pages in
     * anew each time; in the filter chain about one page fault a document).
     */
    struct th_arena_block *b = arena->head;
    while (b) {
        struct th_arena_block *next = b->next;
        bool reuse = arena->spare_bytes + b->size <= TH_ARENA_RETAIN;
#ifdef TH_ARENA_DEBUG
        reuse = false;
#endif
        if (reuse) {
            struct th_arena_block **list = b->size == arena->block_size
                                               ? &arena->spare
                                               : &arena->spare_big;
            b->used = 0;
            b->next = *list;
            *list = b;
            arena->spare_bytes += b->size;
        } else {
            free(b);
        }
        b = next;
    }
    arena->head = NULL;
    arena->reserved = arena->spare_bytes;
    arena->used = 0;
}

size_t th_arena_used(const struct th_arena *arena)
{
    return arena->used;
}
