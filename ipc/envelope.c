/* envelope.c - Envelope frames: encoding into an output buffer (with the
 * hand-written codec, envelope_codec.c) and the protobuf-c reference decoder. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "ipc/envelope.h"
#include "ipc/frame.h"
#include "sipc/sipc.h"

int sipc_env_encode(sipc_buf *out, const sipc_env_out *e, size_t max_frame)
{
    size_t n = sipc_env_packed_size(SIPC_PROTOCOL_VERSION, e);
    if (n > max_frame)
        return SIPC_ETOOBIG;
    if (sipc_buf_reserve(out, SIPC_FRAME_HEADER + n) != 0)
        return SIPC_ENOMEM;
    sipc_frame_put_header(out->data + out->len, (uint32_t)n);
    size_t w = sipc_env_pack(out->data + out->len + SIPC_FRAME_HEADER, SIPC_PROTOCOL_VERSION, e);
    (void)w;
    assert(w == n);
    out->len += SIPC_FRAME_HEADER + n;
    return 0;
}

const char *sipc_env_kind_name(int kind)
{
    switch (kind) {
    case SIPC__KIND__HELLO:
        return "hello";
    case SIPC__KIND__REQUEST:
        return "request";
    case SIPC__KIND__RESPONSE:
        return "response";
    case SIPC__KIND__ONE_WAY:
        return "one-way";
    case SIPC__KIND__ERROR:
        return "error";
    case SIPC__KIND__PING:
        return "ping";
    case SIPC__KIND__PONG:
        return "pong";
    default:
        return "unknown";
    }
}

Sipc__Envelope *sipc_env_decode(const uint8_t *data, size_t len, int *err, char *why, size_t whylen)
{
    Sipc__Envelope *env = sipc__envelope__unpack(NULL, len, data);
    if (!env) {
        *err = SIPC_EPROTO;
        snprintf(why, whylen, "frame of %zu bytes is not a valid envelope", len);
        return NULL;
    }
    if (sipc_env_check(env->version, (int32_t)env->kind, err, why, whylen) != 0) {
        sipc__envelope__free_unpacked(env, NULL);
        return NULL;
    }
    return env;
}
