/* envelope_diff.h - compares the hand-written Envelope codec
 * (ipc/envelope_codec.c) with protobuf-c's generated code, the reference it
 * must match byte for byte. Shared by tests/unit/test_envelope_codec.c and
 * the fuzz_envelope target; each function returns 0 when both agree, else
 * writes what differs into what. */
#ifndef SIPC_TEST_ENVELOPE_DIFF_H
#define SIPC_TEST_ENVELOPE_DIFF_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/envelope.h"
#include "sipc.pb-c.h"
#include "sipc/sipc.h"

static inline int env_diff_str(const char *pb, const sipc_env_str *s)
{
    size_t n = strlen(pb);
    return n != s->len || (n && memcmp(pb, s->ptr, n) != 0);
}

/* Decoding: protobuf-c's unpack and sipc_env_parse accept the same bodies
 * and see the same values; sipc_env_decode and sipc_env_read give the same
 * verdict and error. */
static inline int env_diff_decode(const uint8_t *p, size_t n, char *what, size_t whatlen)
{
    Sipc__Envelope *pb = sipc__envelope__unpack(NULL, n, p);
    sipc_env_view v;
    int r = sipc_env_parse(p, n, &v);
    int bad = 0;
    if (!pb != (r != 0)) {
        snprintf(what, whatlen, "protobuf-c %s, the codec %s", pb ? "accepts" : "refuses",
                 r ? "refuses" : "accepts");
        bad = 1;
    } else if (pb) {
        const char *f = NULL;
        if (pb->version != v.version)
            f = "version";
        else if ((int32_t)pb->kind != v.kind)
            f = "kind";
        else if (pb->request_id != v.request_id)
            f = "request_id";
        else if (env_diff_str(pb->service, &v.service))
            f = "service";
        else if (env_diff_str(pb->method, &v.method))
            f = "method";
        else if (pb->status != v.status)
            f = "status";
        else if (env_diff_str(pb->message, &v.message))
            f = "message";
        else if (pb->payload.len != v.payload_len || (pb->payload.data == NULL) != (v.payload == NULL) ||
                 (v.payload_len && memcmp(pb->payload.data, v.payload, v.payload_len) != 0))
            f = "payload";
        else if (pb->deadline_ms != v.deadline_ms)
            f = "deadline_ms";
        if (f) {
            snprintf(what, whatlen, "decoded %s differs", f);
            bad = 1;
        }
    }
    if (pb)
        sipc__envelope__free_unpacked(pb, NULL);
    if (bad)
        return 1;
    int e1 = 0, e2 = 0;
    char w1[256] = "", w2[256] = "";
    Sipc__Envelope *ref = sipc_env_decode(p, n, &e1, w1, sizeof w1);
    int r2 = sipc_env_read(p, n, &v, &e2, w2, sizeof w2);
    if (ref)
        sipc__envelope__free_unpacked(ref, NULL);
    if (!ref != (r2 != 0) || (r2 && (e1 != e2 || strcmp(w1, w2) != 0))) {
        snprintf(what, whatlen, "checks differ: protobuf-c %d '%s', codec %d '%s'", ref ? 0 : e1, w1,
                 r2, w2);
        return 1;
    }
    return 0;
}

/* Encoding: the same fields packed by protobuf-c and by the codec are the
 * same bytes. */
static inline int env_diff_encode(uint32_t version, const sipc_env_out *e, char *what,
                                  size_t whatlen)
{
    Sipc__Envelope env = SIPC__ENVELOPE__INIT;
    env.version = version;
    env.kind = e->kind;
    env.request_id = e->request_id;
    env.service = (char *)(e->service ? e->service : "");
    env.method = (char *)(e->method ? e->method : "");
    env.status = e->status;
    env.message = (char *)(e->message ? e->message : "");
    env.payload.data = (uint8_t *)e->payload;
    env.payload.len = e->payload_len;
    env.deadline_ms = e->deadline_ms;
    size_t n1 = sipc__envelope__get_packed_size(&env);
    size_t n2 = sipc_env_packed_size(version, e);
    if (n1 != n2) {
        snprintf(what, whatlen, "size: protobuf-c %zu, codec %zu", n1, n2);
        return 1;
    }
    uint8_t *b1 = malloc(n1 + 1), *b2 = malloc(n1 + 1);
    int bad = 0;
    if (!b1 || !b2) {
        snprintf(what, whatlen, "out of memory");
        bad = 1;
    } else {
        size_t w1 = sipc__envelope__pack(&env, b1);
        size_t w2 = sipc_env_pack(b2, version, e);
        if (w1 != n1 || w2 != n1 || memcmp(b1, b2, n1) != 0) {
            snprintf(what, whatlen, "bytes differ (%zu/%zu bytes written)", w1, w2);
            bad = 1;
        }
    }
    free(b1);
    free(b2);
    return bad;
}

#endif
