/* envelope.c - Envelope kinds by name and the protobuf-c reference decoder
 * (frames are encoded and decoded by envelope_codec.c). */
#include <stdio.h>
#include <string.h>

#include "ipc/envelope.h"
#include "ipc/frame.h"
#include "sipc/sipc.h"

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
