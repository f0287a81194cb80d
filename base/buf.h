/* buf.h - a growable byte buffer, the unit of hand-off between the framing
 * layer and the streams. */
#ifndef SIPC_BUF_H
#define SIPC_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipc/errno.h"

typedef struct sipc_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} sipc_buf;

/* Ensures room for extra more bytes; 0 or SIPC_ENOMEM (also when the size
 * would overflow). */
static inline int sipc_buf_reserve(sipc_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return 0;
    if (extra > SIZE_MAX / 2 - b->len)
        return SIPC_ENOMEM;
    size_t need = b->len + extra;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need)
        cap *= 2;
    uint8_t *nd = realloc(b->data, cap);
    if (!nd)
        return SIPC_ENOMEM;
    b->data = nd;
    b->cap = cap;
    return 0;
}

/* Appends n bytes; 0 or SIPC_ENOMEM. */
static inline int sipc_buf_append(sipc_buf *b, const void *p, size_t n)
{
    if (sipc_buf_reserve(b, n) != 0)
        return SIPC_ENOMEM;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

/* Appends the bytes of the n pieces (base, len) after the first skip of them
 * (what a write that took skip bytes left over); 0 or SIPC_ENOMEM. */
typedef struct sipc_piece {
    const void *base;
    size_t len;
} sipc_piece;

static inline int sipc_buf_append_rest(sipc_buf *b, const sipc_piece *v, size_t n, size_t skip)
{
    for (size_t i = 0; i < n; i++) {
        if (skip >= v[i].len) {
            skip -= v[i].len;
            continue;
        }
        if (sipc_buf_append(b, (const uint8_t *)v[i].base + skip, v[i].len - skip) != 0)
            return SIPC_ENOMEM;
        skip = 0;
    }
    return 0;
}

static inline void sipc_buf_free(sipc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

#endif
