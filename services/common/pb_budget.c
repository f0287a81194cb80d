/* pb_budget.c - a protobuf message from the network decoded within a memory
 * budget (pb_budget.h says why). */
#include "pb_budget.h"

#include <malloc.h>
#include <sipc/errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct budget {
    size_t limit, live, peak;
    int over;
} budget;

static _Atomic size_t peak_max;

/* The bytes malloc gave, not those asked for: a 1-byte string holds 24, and
 * counting what is asked would let a payload of tiny fields pass its budget
 * several times over. */
static void *b_alloc(void *arg, size_t n)
{
    budget *b = arg;
    if (b->live >= b->limit || n > b->limit - b->live) {
        b->over = 1;
        return NULL;
    }
    void *p = malloc(n);
    if (!p)
        return NULL;
    b->live += malloc_usable_size(p);
    if (b->live > b->peak)
        b->peak = b->live;
    return p;
}

static void b_free(void *arg, void *p)
{
    budget *b = arg;
    if (p) {
        b->live -= malloc_usable_size(p);
        free(p);
    }
}

size_t sipc_pb_budget(size_t len, size_t items)
{
    size_t max = (size_t)-1, s = SIPC_PB_BUDGET_SLACK;
    if (len > (max - s) / SIPC_PB_BUDGET_PER_BYTE)
        return max;
    s += len * SIPC_PB_BUDGET_PER_BYTE;
    if (items > (max - s) / SIPC_PB_BUDGET_PER_ITEM)
        return max;
    return s + items * SIPC_PB_BUDGET_PER_ITEM;
}

int sipc_pb_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                   size_t budget_bytes, ProtobufCMessage **out, size_t *held, char *err,
                   size_t errlen)
{
    budget b = {.limit = budget_bytes};
    ProtobufCAllocator a = {b_alloc, b_free, &b};
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, &a, len, data);
    /* services decode on their own loops' threads; a lost race only retries */
    size_t seen = atomic_load_explicit(&peak_max, memory_order_relaxed);
    for (int i = 0; i < 64 && b.peak > seen; i++)
        if (atomic_compare_exchange_weak_explicit(&peak_max, &seen, b.peak, memory_order_relaxed,
                                                  memory_order_relaxed))
            break;
    *out = m;
    if (held)
        *held = m ? b.live : 0;
    if (m)
        return 0;
    if (b.over) {
        snprintf(err, errlen,
                 "payload of %zu bytes decodes to more than its budget of %zu bytes (%d per byte, "
                 "%d per record, attribute or filter the limits allow, %d KiB): more than the limits "
                 "allow, or unknown fields",
                 len, budget_bytes, SIPC_PB_BUDGET_PER_BYTE, SIPC_PB_BUDGET_PER_ITEM,
                 SIPC_PB_BUDGET_SLACK / 1024);
        return SIPC_ETOOBIG;
    }
    /* protobuf-c says no more; a failed malloc and a bad payload look alike to it */
    snprintf(err, errlen, "payload is not a valid %s message", desc->name);
    return SIPC_EPROTO;
}

size_t sipc_pb_unpack_peak(int reset)
{
    if (reset)
        return atomic_exchange_explicit(&peak_max, 0, memory_order_relaxed);
    return atomic_load_explicit(&peak_max, memory_order_relaxed);
}
