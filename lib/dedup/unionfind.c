/*
 * Union-find over dense 32-bit document ids, for the clusters phase.
 *
 * Approach: parent array with path halving; a union always hangs the
 * larger root under the smaller one, so every set's root is its smallest
 * id - the first document in input order - whatever order the unions come
 * in. That makes the keep-first rule and the cluster id a plain find(), and
 * the result independent of how candidate pairs were split over tasks.
 * Union by rank would give shallower trees, but with path halving the
 * difference is small on dedup graphs (mostly stars and small cliques) and
 * it would lose the smallest-root property.
 */
#include <stdlib.h>

#include "thresh/dedup.h"
#include "../core/banned.h"

int th_unionfind_init(struct th_unionfind *uf, size_t n)
{
    uf->n = 0;
    uf->parent = NULL;
    uf->size = NULL;
    if (n > UINT32_MAX)
        return TH_ELIMIT;
    uf->parent = malloc((n ? n : 1) * sizeof(*uf->parent));
    uf->size = malloc((n ? n : 1) * sizeof(*uf->size));
    if (!uf->parent || !uf->size) {
        th_unionfind_release(uf);
        return TH_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        uf->parent[i] = (uint32_t)i;
        uf->size[i] = 1;
    }
    uf->n = n;
    return 0;
}

void th_unionfind_release(struct th_unionfind *uf)
{
    free(uf->parent);
    free(uf->size);
    uf->parent = NULL;
    uf->size = NULL;
    uf->n = 0;
}

uint32_t th_unionfind_find(struct th_unionfind *uf, uint32_t id)
{
    while (uf->parent[id] != id) {
        uf->parent[id] = uf->parent[uf->parent[id]];
        id = uf->parent[id];
    }
    return id;
}

uint32_t th_unionfind_union(struct th_unionfind *uf, uint32_t a, uint32_t b)
{
    uint32_t ra = th_unionfind_find(uf, a);
    uint32_t rb = th_unionfind_find(uf, b);
    if (ra == rb)
        return ra;
    if (rb < ra) {
        uint32_t t = ra;
        ra = rb;
        rb = t;
    }
    uf->parent[rb] = ra;
    uf->size[ra] += uf->size[rb];
    return ra;
}
