/* endian.h - big-endian (network order) integers in byte strings, as the
 * wire formats sipc reads and writes them (frame lengths, TLS records,
 * session tickets), and one little-endian read for scans. */
#ifndef SIPC_BASE_ENDIAN_H
#define SIPC_BASE_ENDIAN_H

#include <stdint.h>

static inline void sipc_be16_put(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline uint16_t sipc_be16_get(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Spelled out byte by byte (no loop): the compiler merges such stores into
 * one byte-swapped store, which it does not do for a loop at -O2. */
static inline void sipc_be32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t sipc_be32_get(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void sipc_be64_put(uint8_t *p, uint64_t v)
{
    sipc_be32_put(p, (uint32_t)(v >> 32));
    sipc_be32_put(p + 4, (uint32_t)v);
}

static inline uint64_t sipc_be64_get(const uint8_t *p)
{
    return (uint64_t)sipc_be32_get(p) << 32 | sipc_be32_get(p + 4);
}

/* Little-endian, for reading a byte string eight bytes at a time where the
 * first byte must be the lowest (the envelope's NUL scan). */
static inline uint64_t sipc_le64_get(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

#endif
