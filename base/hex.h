/* hex.h - bytes as lowercase hex (fingerprints): a table, not a printf per
 * byte, because certificate fingerprints are made on every handshake. */
#ifndef SIPC_BASE_HEX_H
#define SIPC_BASE_HEX_H

#include <stddef.h>
#include <stdint.h>

/* out: 2 * n + 1 bytes, NUL-terminated. */
static inline void sipc_hex_lower(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

#endif
