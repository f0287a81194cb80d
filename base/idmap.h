/* idmap.h - an open-addressing hash map from a nonzero 64-bit id to a
 * pointer (a connection's outstanding calls by request id). */
#ifndef SIPC_BASE_IDMAP_H
#define SIPC_BASE_IDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sipc_idmap_slot {
    uint64_t id; /* 0: empty */
    void *val;
} sipc_idmap_slot;

typedef struct sipc_idmap {
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
