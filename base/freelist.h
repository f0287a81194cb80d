/* freelist.h - a bounded queue of spare blocks of one size, for objects a
 * loop makes and drops at a high rate (a request per incoming call, a call
 * record per outgoing one): with 32 in flight glibc's per-thread cache (7
 * blocks per size) overflows and every allocation takes malloc's slow path.
 * First in, first out: a block given back is reused only after every spare
 * kept before it, so a stale pointer to it (a request answered twice from
 * two callbacks) meets the block unchanged for as long as possible instead
 * of the very next object. One owner thread; no locking. Under AddressSanitizer a spare block is
 * poisoned past its first pointer (the link) until it is reused; owners that
 * want ASan's full use-after-free checks keep no spares there (max 0). */
#ifndef SIPC_BASE_FREELIST_H
#define SIPC_BASE_FREELIST_H

#include <stddef.h>

typedef struct sipc_freelist {
    void *head;    /* spare blocks, oldest first, linked through their first bytes */
    void *tail;    /* the newest, where a block given back goes */
    unsigned n;    /* how many */
    unsigned max;  /* kept at most; more are freed */
    size_t size;   /* every block's size, at least a pointer's */
} sipc_freelist;

/* An empty list of blocks of size bytes keeping at most max spares. */
void sipc_freelist_init(sipc_freelist *f, size_t size, unsigned max);
/* A block of f->size bytes (not zeroed): the oldest spare, else malloc's.
 * NULL when out of memory. */
void *sipc_freelist_get(sipc_freelist *f);
/* Gives p (from sipc_freelist_get on f, or NULL) back: kept as the newest
 * spare, or freed when max are kept. */
void sipc_freelist_put(sipc_freelist *f, void *p);
/* Frees every spare. */
void sipc_freelist_clear(sipc_freelist *f);

#endif
