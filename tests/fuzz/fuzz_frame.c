/* fuzz_frame.c - libFuzzer target: the byte stream a peer sends after the
 * handshake (or in plaintext mode): length-prefixed frames, each an
 * Envelope, the first a Hello. The first byte says how to cut the stream
 * into reads (the decoder must give the same frames for any split); every
 * envelope that decodes is encoded again and must decode to the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/envelope.h"
#include "ipc/frame.h"

static int on_frame(void *arg, const uint8_t *data, size_t len)
{
    int *frames = arg;
    (*frames)++;
    int err;
    char why[256];
    Sipc__Envelope *env = sipc_env_decode(data, len, &err, why, sizeof why);
    if (!env)
        return 0;
    if (env->kind == SIPC__KIND__HELLO) {
        Sipc__Hello *h = sipc__hello__unpack(NULL, env->payload.len, env->payload.data);
        if (h)
            sipc__hello__free_unpacked(h, NULL);
    }
    (void)sipc_env_kind_name(env->kind);
    /* Round trip: what sipc would send back about this envelope decodes to it. */
    sipc_env_out o = {.kind = env->kind,
                      .request_id = env->request_id,
                      .service = env->service && env->service[0] ? env->service : NULL,
                      .method = env->method && env->method[0] ? env->method : NULL,
                      .status = env->status,
                      .message = env->message && env->message[0] ? env->message : NULL,
                      .payload = env->payload.data,
                      .payload_len = env->payload.len};
    sipc_buf out = {0};
    if (sipc_env_encode(&out, &o, 1 << 20) == 0) {
        Sipc__Envelope *again = sipc_env_decode(out.data + SIPC_FRAME_HEADER,
                                                out.len - SIPC_FRAME_HEADER, &err, why, sizeof why);
        if (!again || again->kind != env->kind || again->request_id != env->request_id ||
            again->payload.len != env->payload.len)
            abort(); /* sipc cannot read what it wrote */
        sipc__envelope__free_unpacked(again, NULL);
    }
    sipc_buf_free(&out);
    sipc__envelope__free_unpacked(env, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = (size_t)data[0] + 1; /* 1..256 bytes a read */
    data++;
    size--;

    /* The whole stream at once, then in chunks: same frames. */
    int whole = 0, split = 0;
    sipc_frame_decoder d;
    sipc_frame_decoder_init(&d, 1 << 16);
    int rc_whole = sipc_frame_decode(&d, data, size, on_frame, &whole);
    sipc_frame_decoder_free(&d);

    sipc_frame_decoder_init(&d, 1 << 16);
    int rc_split = 0;
    for (size_t off = 0; off < size && rc_split == 0; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        size_t used = 0;
        rc_split = sipc_frame_decode_some(&d, data + off, n, on_frame, &split, &used);
    }
    (void)sipc_frame_decoder_idle(&d);
    sipc_frame_decoder_free(&d);
    if (rc_whole == 0 && rc_split == 0 && whole != split)
        abort(); /* the decoder depends on how reads are cut */
    return 0;
}
