/* fuzz_envelope.c - libFuzzer target: one frame body as a peer sends it,
 * through the hand-written Envelope codec (ipc/envelope_codec.c) and
 * protobuf-c's generated code side by side. Both must accept the same
 * bodies and see the same values; what was accepted, packed again by both,
 * must give the same bytes. Any difference aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "envelope_diff.h"

/* A view's string as the C string sipc_env_out takes; NULL when empty. */
static const char *cstr(const sipc_env_str *s, char *buf, size_t cap)
{
    if (!s->len)
        return NULL;
    size_t n = s->len < cap - 1 ? s->len : cap - 1;
    memcpy(buf, s->ptr, n);
    buf[n] = '\0';
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char what[300];
    if (env_diff_decode(data, size, what, sizeof what) != 0) {
        fprintf(stderr, "fuzz_envelope: %s\n", what);
        abort();
    }
    sipc_env_view v;
    if (sipc_env_parse(data, size, &v) != 0)
        return 0;
    static char s1[4096], s2[4096], s3[4096];
    sipc_env_out e = {.kind = (Sipc__Kind)v.kind,
                      .request_id = v.request_id,
                      .service = cstr(&v.service, s1, sizeof s1),
                      .method = cstr(&v.method, s2, sizeof s2),
                      .status = v.status,
                      .message = cstr(&v.message, s3, sizeof s3),
                      .payload = v.payload,
                      .payload_len = v.payload_len,
                      .deadline_ms = v.deadline_ms};
    if (env_diff_encode(v.version, &e, what, sizeof what) != 0) {
        fprintf(stderr, "fuzz_envelope: re-encoding: %s\n", what);
        abort();
    }
    return 0;
}
