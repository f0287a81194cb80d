/* idmap.c - see idmap.h. Linear probing; a removal shifts the entries after
 * it back instead of leaving a tombstone, so probes stay as short as the
 * live entries make them however many ids have come and gone (request ids
 * only grow: tombstones would fill the table and force a rehash every few
 * dozen calls). Grows at 1/4 full: a removal then rarely has more than one
 * entry after it to look at; halves below 1/16. */
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

static void place(sipc_idmap_slot *slots, size_t cap, uint64_t id, void *val)
{
    size_t j = slot_of(id, cap);
    while (slots[j].id)
        j = (j + 1) & (cap - 1);
    slots[j].id = id;
    slots[j].val = val;
}

static int resize(sipc_idmap *m, size_t ncap)
{
    sipc_idmap_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return SIPC_ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].id)
            place(ns, ncap, m->slots[i].id, m->slots[i].val);
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

int sipc_idmap_put(sipc_idmap *m, uint64_t id, void *val)
{
    assert(id != 0 && val != NULL);
    if ((m->count + 1) * 4 > m->cap) {
        int r = resize(m, m->cap ? m->cap * 2 : 64);
        if (r != 0)
            return r;
    }
    place(m->slots, m->cap, id, val);
    m->count++;
    return 0;
}

/* Empties slot i and moves back every later entry of its run that may sit
 * there (its home slot is not cyclically inside (i, k]). */
static void remove_at(sipc_idmap *m, size_t i)
{
    size_t mask = m->cap - 1;
    for (;;) {
        m->slots[i].id = 0;
        m->slots[i].val = NULL;
        size_t k = i;
        for (;;) {
            k = (k + 1) & mask;
            if (!m->slots[k].id)
                return;
            size_t h = slot_of(m->slots[k].id, m->cap);
            int stays = i <= k ? (i < h && h <= k) : (i < h || h <= k);
            if (!stays)
                break;
        }
        m->slots[i] = m->slots[k];
        i = k;
    }
}

void *sipc_idmap_take(sipc_idmap *m, uint64_t id)
{
    if (!m->cap || id == 0)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t j = slot_of(id, m->cap); m->slots[j].id; j = (j + 1) & mask) {
        if (m->slots[j].id == id) {
            void *v = m->slots[j].val;
            remove_at(m, j);
            m->count--;
            /* a burst of calls must not keep its table for the connection's
             * life; halving fails harmlessly when memory is short */
            if (m->cap > 64 && m->count * 16 < m->cap)
                (void)resize(m, m->cap / 2);
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
    m->cap = m->count = 0;
}
