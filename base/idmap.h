/* idmap.h - a map from a nonzero 64-bit id to a pointer (a connection's
 * outstanding calls by request id), made for ids that mostly grow: an index
 * by the id's low bits, with an open-addressing hash for the ids it has no
 * room for. */
#ifndef SIPC_BASE_IDMAP_H
#define SIPC_BASE_IDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sipc_idmap_slot {
    uint64_t id; /* 0: empty */
    void *val;
} sipc_idmap_slot;

typedef struct sipc_idmap {
    /* the index: id's entry at ring[id & (ring_cap - 1)] when it is there */
    sipc_idmap_slot *ring;
    size_t ring_cap, ring_count; /* ring_cap: 0 or a power of two */
    size_t shrink_wait; /* takes before a shrink that found no smaller size is tried again */
    /* the hash: entries whose index slot an other id held */
    sipc_idmap_slot *slots;
    size_t cap, count; /* cap: 0 or a power of two */
} sipc_idmap;

/* A zeroed sipc_idmap is an empty map. */
/* Adds id -> val (id != 0, val != NULL, id not present). 0 or SIPC_ENOMEM. */
int sipc_idmap_put(sipc_idmap *m, uint64_t id, void *val);
/* Removes id and returns its value, or NULL when absent. */
void *sipc_idmap_take(sipc_idmap *m, uint64_t id);
size_t sipc_idmap_count(const sipc_idmap *m);
void sipc_idmap_free(sipc_idmap *m);

#endif
