/* idmap.c - see idmap.h. Request ids only grow and a window of them is in
 * flight, so most ids find their own slot in an index by their low bits:
 * a put and a take are one load, one compare and one store, with no hash.
 * An id whose slot another id holds (a call that outlived ring_cap newer
 * ones, or more in flight than the index may grow to) moves the older one
 * to the hash, which is as before: linear probing, and a removal shifts the
 * entries after it back instead of leaving a tombstone, so probes stay as
 * short as the live entries make them however many ids have come and gone.
 * Both parts grow with what is in flight and shrink after a burst. */
#include <assert.h>
#include <stdlib.h>

#include "base/idmap.h"
#include "sipc/errno.h"

/* the index at its smallest, and at most (16 KiB): beyond that many calls
 * in flight the hash holds the rest */
#define RING_MIN 64
#define RING_MAX 1024

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

static int hash_put(sipc_idmap *m, uint64_t id, void *val)
{
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

static void *hash_take(sipc_idmap *m, uint64_t id)
{
    if (!m->count)
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

/* The index at ncap slots: 0, or SIPC_ENOMEM, or 1 when two of its entries
 * would share a slot there (only when shrinking); it stays as it was
 * unless 0. */
static int ring_resize(sipc_idmap *m, size_t ncap)
{
    sipc_idmap_slot *nr = calloc(ncap, sizeof *nr);
    if (!nr)
        return SIPC_ENOMEM;
    for (size_t i = 0; i < m->ring_cap; i++) {
        if (!m->ring[i].id)
            continue;
        sipc_idmap_slot *s = &nr[m->ring[i].id & (ncap - 1)];
        if (s->id) {
            free(nr);
            return 1;
        }
        *s = m->ring[i];
    }
    free(m->ring);
    m->ring = nr;
    m->ring_cap = ncap;
    return 0;
}

/* The paths of a put whose slot is taken or that finds no index yet, and
 * of a take that shrinks the index, are out of line: the common put and
 * take then need no registers saved. */
static __attribute__((noinline)) int put_slow(sipc_idmap *m, uint64_t id, void *val)
{
    if (!m->ring) {
        int r = ring_resize(m, RING_MIN);
        if (r != 0)
            return r;
    }
    sipc_idmap_slot *s = &m->ring[id & (m->ring_cap - 1)];
    /* taken: grow while the map is over half as full as the index (then the
     * ids in flight span more than it holds), else the older entry, a
     * long-lived call, goes to the hash; each grow halves the chance */
    while (s->id && m->ring_cap < RING_MAX && (m->ring_count + m->count + 1) * 2 > m->ring_cap) {
        if (ring_resize(m, m->ring_cap * 2) != 0)
            break; /* no memory: the hash takes it */
        s = &m->ring[id & (m->ring_cap - 1)];
    }
    if (s->id) {
        int r = s->id < id ? hash_put(m, s->id, s->val) : hash_put(m, id, val);
        if (r != 0)
            return r;
        if (s->id > id)
            return 0;
        m->ring_count--;
    }
    s->id = id;
    s->val = val;
    m->ring_count++;
    return 0;
}

int sipc_idmap_put(sipc_idmap *m, uint64_t id, void *val)
{
    assert(id != 0 && val != NULL);
    if (m->ring) {
        sipc_idmap_slot *s = &m->ring[id & (m->ring_cap - 1)];
        if (!s->id) {
            s->id = id;
            s->val = val;
            m->ring_count++;
            return 0;
        }
    }
    return put_slow(m, id, val);
}

static int ring_oversized(const sipc_idmap *m)
{
    return m->ring_cap > RING_MIN && (m->ring_count + m->count) * 16 < m->ring_cap;
}

/* After a burst, back to the smallest index the rest fits in, or the next
 * size up when two of them would share a slot there. When no smaller size
 * takes them all, the next try waits for takes of half the ids in flight:
 * each try allocates and reads the whole index, which must not happen on
 * every take while one old call holds the slot a new one needs. Returns v,
 * the value taken. */
static __attribute__((noinline)) void *ring_shrink(sipc_idmap *m, void *v)
{
    if (m->shrink_wait) {
        m->shrink_wait--;
        return v;
    }
    size_t n = m->ring_count + m->count, ncap = m->ring_cap;
    while (ncap > RING_MIN && n * 16 < ncap)
        ncap /= 2;
    while (ncap < m->ring_cap) {
        if (ring_resize(m, ncap) == 0)
            return v;
        ncap *= 2;
    }
    m->shrink_wait = n / 2;
    return v;
}

static __attribute__((noinline)) void *take_hashed(sipc_idmap *m, uint64_t id)
{
    void *v = hash_take(m, id);
    return v && ring_oversized(m) ? ring_shrink(m, v) : v;
}

void *sipc_idmap_take(sipc_idmap *m, uint64_t id)
{
    if (!m->ring || id == 0)
        return NULL;
    sipc_idmap_slot *s = &m->ring[id & (m->ring_cap - 1)];
    if (s->id != id)
        return take_hashed(m, id);
    void *v = s->val;
    s->id = 0;
    s->val = NULL;
    m->ring_count--;
    return ring_oversized(m) ? ring_shrink(m, v) : v;
}

size_t sipc_idmap_count(const sipc_idmap *m)
{
    return m->ring_count + m->count;
}

void sipc_idmap_free(sipc_idmap *m)
{
    free(m->ring);
    free(m->slots);
    m->ring = m->slots = NULL;
    m->ring_cap = m->ring_count = m->cap = m->count = m->shrink_wait = 0;
}
