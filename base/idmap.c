/* idmap.c - see idmap.h. Linear probing with tombstones; grows at 3/4 of
 * slots in use so a probe always ends at an empty slot. */
#include <assert.h>
#include <stdlib.h>

#include "base/idmap.h"
#include "sipc/errno.h"

static size_t slot_of(uint64_t id, size_t cap)
{
    id ^= id >> 33;
    id *= 0xff51afd7ed558ccdULL;
    id ^= id >> 33;
    return (size_t)id & (cap - 1);
}

static int grow(sipc_idmap *m)
{
    size_t ncap = m->cap ? m->cap : 64;
    while (m->count * 2 >= ncap)
        ncap *= 2;
    sipc_idmap_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return SIPC_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].val) {
            size_t j = slot_of(m->slots[i].id, ncap);
            while (ns[j].id)
                j = (j + 1) & (ncap - 1);
            ns[j] = m->slots[i];
        }
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    m->used = m->count;
    return 0;
}

int sipc_idmap_put(sipc_idmap *m, uint64_t id, void *val)
{
    assert(id != 0 && val != NULL);
    if ((m->used + 1) * 4 >= m->cap * 3) {
        int r = grow(m);
        if (r != 0)
            return r;
    }
    size_t j = slot_of(id, m->cap);
    while (m->slots[j].val)
        j = (j + 1) & (m->cap - 1);
    if (!m->slots[j].id)
        m->used++;
    m->slots[j].id = id;
    m->slots[j].val = val;
    m->count++;
    return 0;
}

void *sipc_idmap_take(sipc_idmap *m, uint64_t id)
{
    if (!m->cap || id == 0)
        return NULL;
    size_t j = slot_of(id, m->cap);
    for (size_t n = 0; n < m->cap && m->slots[j].id; n++, j = (j + 1) & (m->cap - 1)) {
        if (m->slots[j].id == id && m->slots[j].val) {
            void *v = m->slots[j].val;
            m->slots[j].val = NULL; /* tombstone: the id stays so probes go on */
            m->count--;
            return v;
        }
    }
    return NULL;
}

size_t sipc_idmap_count(const sipc_idmap *m)
{
    return m->count;
}

void sipc_idmap_free(sipc_idmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = m->count = m->used = 0;
}
