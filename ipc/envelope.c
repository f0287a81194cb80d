/* envelope.c - protobuf-c Envelope <-> frames. */
#include <stdio.h>
#include <string.h>

#include "ipc/envelope.h"
#include "ipc/frame.h"
#include "sipc/sipc.h"

int sipc_env_encode(sipc_buf *out, const sipc_env_out *e, size_t max_frame)
{
    Sipc__Envelope env = SIPC__ENVELOPE__INIT;
    env.version = SIPC_PROTOCOL_VERSION;
    env.kind = e->kind;
    env.request_id = e->request_id;
    env.service = (char *)(e->service ? e->service : "");
    env.method = (char *)(e->method ? e->method : "");
    env.status = e->status;
    env.message = (char *)(e->message ? e->message : "");
    env.payload.data = (uint8_t *)e->payload;
    env.payload.len = e->payload_len;
    env.deadline_ms = e->deadline_ms;
    size_t n = sipc__envelope__get_packed_size(&env);
    if (n > max_frame)
        return SIPC_ETOOBIG;
    if (sipc_buf_reserve(out, SIPC_FRAME_HEADER + n) != 0)
        return SIPC_ENOMEM;
    sipc_frame_put_header(out->data + out->len, (uint32_t)n);
    sipc__envelope__pack(&env, out->data + out->len + SIPC_FRAME_HEADER);
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
    if (env->version != SIPC_PROTOCOL_VERSION && env->kind != SIPC__KIND__HELLO &&
        env->kind != SIPC__KIND__ERROR) {
        *err = SIPC_EVERSION;
        snprintf(why, whylen, "envelope version %u, this node speaks %d", env->version,
                 SIPC_PROTOCOL_VERSION);
        sipc__envelope__free_unpacked(env, NULL);
        return NULL;
    }
    if (env->kind < SIPC__KIND__HELLO || env->kind > SIPC__KIND__PONG) {
        *err = SIPC_EPROTO;
        snprintf(why, whylen, "envelope of unknown kind %d", (int)env->kind);
        sipc__envelope__free_unpacked(env, NULL);
        return NULL;
    }
    return env;
}
