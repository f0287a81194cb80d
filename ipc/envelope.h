/* envelope.h - encoding Envelope frames straight into an output buffer. */
#ifndef SIPC_ENVELOPE_H
#define SIPC_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "sipc.pb-c.h"

typedef struct sipc_env_out {
    Sipc__Kind kind;
    uint64_t request_id;
    const char *service; /* NULL = absent */
    const char *method;
    int32_t status;
    const char *message;
    const void *payload;
    size_t payload_len;
    uint32_t deadline_ms; /* REQUEST: the caller's remaining wait; 0 = absent */
} sipc_env_out;

/* Appends one frame (length prefix + Envelope) to out. Returns 0,
 * SIPC_ETOOBIG if the envelope would exceed max_frame, or SIPC_ENOMEM. */
int sipc_env_encode(sipc_buf *out, const sipc_env_out *e, size_t max_frame);
/* Parses one frame body. Returns NULL and sets *err (SIPC_EPROTO with a
 * message in why) on malformed input. Free with sipc__envelope__free_unpacked. */
Sipc__Envelope *sipc_env_decode(const uint8_t *data, size_t len, int *err, char *why,
                                size_t whylen);
const char *sipc_env_kind_name(int kind);

#endif
