/* test_envelope_codec.c - the hand-written Envelope codec against
 * protobuf-c: the same bytes out for generated envelopes (every field,
 * extreme values, empty and absent fields), the same verdict and values in
 * for hand-made edge cases (unknown fields of every wire type, overlong and
 * truncated varints, repeated fields, wrong wire types, NULs in strings) and
 * for many mutated and concatenated frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envelope_diff.h"
#include "ipc/envelope.h"
#include "ipc/frame.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* Values that sit on varint length boundaries, and random ones. */
static uint64_t rnd_u64(void)
{
    static const uint64_t edge[] = {0,          1,          127,        128,
                                    16383,      16384,      0x1fffff,   0x200000,
                                    0x7fffffff, 0x80000000u,
                                    0xffffffffu, 0x100000000u, UINT64_MAX >> 1, UINT64_MAX};
    switch (rnd() % 4) {
    case 0:
        return edge[rnd() % (sizeof edge / sizeof edge[0])];
    case 1:
        return rnd() % 300;
    default:
        return rnd() >> (rnd() % 64);
    }
}

static void check_decode(const uint8_t *p, size_t n, const char *label)
{
    char what[300];
    if (env_diff_decode(p, n, what, sizeof what) != 0) {
        fprintf(stderr, "%s (%zu bytes):", label, n);
        for (size_t i = 0; i < n && i < 64; i++)
            fprintf(stderr, " %02x", p[i]);
        fprintf(stderr, "\n");
        fail_msg("%s: %s", label, what);
    }
}

static void check_decode_hex(const char *hex, const char *label)
{
    uint8_t b[256];
    size_t n = 0;
    for (const char *h = hex; h[0] && h[1]; h += 2) {
        while (*h == ' ')
            h++;
        unsigned v;
        assert_int_equal(sscanf(h, "%2x", &v), 1);
        b[n++] = (uint8_t)v;
    }
    check_decode(b, n, label);
}

/* A random envelope; strings and payload point into bufs. */
static void gen_env(sipc_env_out *e, uint32_t *version, char bufs[3][40], uint8_t *payload)
{
    memset(e, 0, sizeof *e);
    *version = rnd() % 3 ? SIPC_PROTOCOL_VERSION : (uint32_t)rnd_u64();
    static const int kinds[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, -1, 127, 128, -2147483647 - 1, 2147483647};
    e->kind = (Sipc__Kind)kinds[rnd() % (sizeof kinds / sizeof kinds[0])];
    e->request_id = rnd_u64();
    const char **strs[3] = {&e->service, &e->method, &e->message};
    for (int i = 0; i < 3; i++) {
        switch (rnd() % 4) {
        case 0:
            *strs[i] = NULL;
            break;
        case 1:
            *strs[i] = "";
            break;
        default: {
            size_t n = rnd() % 39;
            for (size_t j = 0; j < n; j++)
                bufs[i][j] = (char)(1 + rnd() % 255);
            bufs[i][n] = '\0';
            *strs[i] = bufs[i];
        }
        }
    }
    e->status = (int32_t)(uint32_t)rnd_u64();
    switch (rnd() % 4) {
    case 0:
        e->payload = NULL;
        e->payload_len = 0;
        break;
    case 1:
        e->payload = payload; /* set but empty: left out, as by protobuf-c */
        e->payload_len = 0;
        break;
    default:
        e->payload_len = rnd() % 300;
        for (size_t j = 0; j < e->payload_len; j++)
            payload[j] = (uint8_t)rnd();
        e->payload = payload;
    }
    e->deadline_ms = (uint32_t)rnd_u64();
}

static void test_encode_matches_protobuf_c(void **state)
{
    (void)state;
    char bufs[3][40];
    uint8_t payload[300];
    char what[300];
    for (int i = 0; i < 20000; i++) {
        sipc_env_out e;
        uint32_t version;
        gen_env(&e, &version, bufs, payload);
        if (env_diff_encode(version, &e, what, sizeof what) != 0)
            fail_msg("envelope %d (kind %d, id %llu): %s", i, (int)e.kind,
                     (unsigned long long)e.request_id, what);
    }
    /* every field at once, and nothing at all */
    sipc_env_out all = {.kind = SIPC__KIND__ERROR, .request_id = UINT64_MAX, .service = "s",
                        .method = "m", .status = -2147483647 - 1, .message = "why",
                        .payload = "p", .payload_len = 1, .deadline_ms = UINT32_MAX};
    assert_int_equal(env_diff_encode(UINT32_MAX, &all, what, sizeof what), 0);
    sipc_env_out none = {0};
    assert_int_equal(env_diff_encode(0, &none, what, sizeof what), 0);
    assert_int_equal(sipc_env_packed_size(0, &none), 0);
}

/* What sipc_env_encode writes is what protobuf-c's pack wrote before. */
static void test_encode_frame_is_protobuf_c(void **state)
{
    (void)state;
    sipc_env_out e = {.kind = SIPC__KIND__REQUEST, .request_id = 300, .service = "bench",
                      .method = "echo", .payload = "abc", .payload_len = 3, .deadline_ms = 5000};
    sipc_buf out = {0};
    assert_int_equal(sipc_env_encode(&out, &e, 1 << 20), 0);
    Sipc__Envelope env = SIPC__ENVELOPE__INIT;
    env.version = SIPC_PROTOCOL_VERSION;
    env.kind = e.kind;
    env.request_id = 300;
    env.service = "bench";
    env.method = "echo";
    env.payload.data = (uint8_t *)"abc";
    env.payload.len = 3;
    env.deadline_ms = 5000;
    size_t n = sipc__envelope__get_packed_size(&env);
    uint8_t ref[64];
    assert_true(n <= sizeof ref);
    sipc__envelope__pack(&env, ref);
    assert_int_equal(out.len, SIPC_FRAME_HEADER + n);
    assert_memory_equal(out.data + SIPC_FRAME_HEADER, ref, n);
    sipc_buf_free(&out);
}

/* Checks sipc_env_encode_around against sipc_env_encode for e, with a
 * frame already in the buffer and max_frame at the envelope's size, one
 * byte under it (both through the exact size), and far above it with room
 * reserved (through the bound). */
static void check_around(const sipc_env_out *e)
{
    size_t n = sipc_env_packed_size(SIPC_PROTOCOL_VERSION, e);
    const size_t maxes[3] = {n, n ? n - 1 : n, 256u << 20};
    for (int k = 0; k < 3; k++) {
        size_t max = maxes[k];
        sipc_buf whole = {0}, around = {0};
        if (k == 2) {
            assert_int_equal(sipc_buf_reserve(&whole, n + 256), 0);
            assert_int_equal(sipc_buf_reserve(&around, n + 256), 0);
        }
        static const uint8_t before[] = {0, 0, 0, 2, 0x08, 0x01};
        assert_int_equal(sipc_buf_append(&whole, before, sizeof before), 0);
        assert_int_equal(sipc_buf_append(&around, before, sizeof before), 0);
        int r1 = sipc_env_encode(&whole, e, max);
        size_t at = 0;
        int r2 = sipc_env_encode_around(&around, e, max, &at);
        assert_int_equal(r1, r2);
        if (r1 != 0) {
            assert_int_equal(r1, SIPC_ETOOBIG);
            assert_int_equal(around.len, sizeof before); /* nothing written */
        } else {
            assert_true(at >= sizeof before && at <= around.len);
            assert_true(around.len - at <= SIPC_ENV_AFTER_PAYLOAD_MAX);
            assert_int_equal(whole.len, around.len + e->payload_len);
            assert_memory_equal(whole.data, around.data, at);
            if (e->payload_len)
                assert_memory_equal(whole.data + at, e->payload, e->payload_len);
            assert_memory_equal(whole.data + at + e->payload_len, around.data + at,
                                around.len - at);
        }
        sipc_buf_free(&whole);
        sipc_buf_free(&around);
    }
}

/* The encoder counts names itself and stops past SIPC_NAME_MAX: a name of
 * SIPC_NAME_MAX bytes is written as protobuf-c writes it, one byte longer
 * (or far longer) is refused in both encoders with nothing written, and a
 * long message (not a name) is not limited. */
static void test_encode_name_limits(void **state)
{
    (void)state;
    static char longest[SIPC_NAME_MAX + 1], over[SIPC_NAME_MAX + 2], huge[5000];
    memset(longest, 's', SIPC_NAME_MAX);
    memset(over, 'o', SIPC_NAME_MAX + 1);
    memset(huge, 'h', sizeof huge - 1);
    const char *bad[2] = {over, huge};
    for (int which = 0; which < 2; which++) {
        for (int b = 0; b < 2; b++) {
            sipc_env_out e = {.kind = SIPC__KIND__REQUEST, .request_id = 7, .service = "svc",
                              .method = "m", .payload = "x", .payload_len = 1};
            if (which == 0)
                e.service = bad[b];
            else
                e.method = bad[b];
            static const uint8_t before[] = {0, 0, 0, 2, 0x08, 0x01};
            sipc_buf out = {0}, around = {0};
            assert_int_equal(sipc_buf_append(&out, before, sizeof before), 0);
            assert_int_equal(sipc_buf_append(&around, before, sizeof before), 0);
            assert_int_equal(sipc_env_encode(&out, &e, 16u << 20), SIPC_EINVAL);
            size_t at = 0;
            assert_int_equal(sipc_env_encode_around(&around, &e, 16u << 20, &at), SIPC_EINVAL);
            assert_int_equal(out.len, sizeof before);
            assert_int_equal(around.len, sizeof before);
            sipc_buf_free(&out);
            sipc_buf_free(&around);
        }
    }
    char what[300];
    sipc_env_out ok = {.kind = SIPC__KIND__REQUEST, .request_id = 7, .service = longest,
                       .method = longest, .message = huge, .payload = "x", .payload_len = 1};
    assert_int_equal(env_diff_encode(SIPC_PROTOCOL_VERSION, &ok, what, sizeof what), 0);
    sipc_buf out = {0};
    assert_int_equal(sipc_env_encode(&out, &ok, 16u << 20), 0);
    size_t n = sipc_env_packed_size(SIPC_PROTOCOL_VERSION, &ok);
    assert_int_equal(out.len - SIPC_FRAME_HEADER, n);
    uint8_t *ref = malloc(n);
    assert_non_null(ref);
    assert_int_equal(sipc_env_pack(ref, SIPC_PROTOCOL_VERSION, &ok), n);
    assert_memory_equal(out.data + SIPC_FRAME_HEADER, ref, n);
    free(ref);
    sipc_buf_free(&out);
    check_around(&ok);
}

/* The frame written around its payload, with the payload put in its place,
 * is the frame sipc_env_encode writes, and the size limit is the same. */
static void test_encode_around(void **state)
{
    (void)state;
    char bufs[3][40];
    static uint8_t payload[70000];
    for (int i = 0; i < 5000; i++) {
        sipc_env_out e;
        uint32_t version;
        gen_env(&e, &version, bufs, payload);
        check_around(&e);
    }
    /* payload lengths whose varint takes 2 and 3 bytes, with and without the
     * deadline that follows the payload */
    static const size_t lens[] = {127, 128, 16383, 16384, 65536, sizeof payload};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (uint32_t dl = 0; dl < 2; dl++) {
            sipc_env_out e = {.kind = SIPC__KIND__REQUEST, .request_id = 1u << 20,
                              .service = "bench", .method = "echo", .payload = payload,
                              .payload_len = lens[i], .deadline_ms = dl ? UINT32_MAX : 0};
            check_around(&e);
        }
    }
}

static void test_decode_edge_cases(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "",                                 /* empty: all defaults */
        "0801 1002 1801",                   /* version, kind, id */
        "0801 1002 1801 2203 737663 2a01 6d", /* + service "svc", method "m" */
        "0801 0802",                        /* repeated scalar: last wins */
        "2203 616263 2202 7879",            /* repeated string: last wins */
        "4203 010203 4200",                 /* repeated bytes, last empty */
        "4200",                             /* empty payload */
        "2205 61006263 64",                 /* NUL inside a string */
        "2200",                             /* empty string */
        "08ffffffff0f",                     /* uint32 max */
        "08ffffffffff01",                   /* uint32 from a 6-byte varint */
        "08ffffffffffffffffff01",           /* 10-byte varint */
        "08ffffffffffffffffffff01",         /* 11-byte varint: refused */
        "08ffffffffffffffffff7f",           /* 10th byte with high bits */
        "1880808080808080808001",           /* request id 2^63 */
        "10ffffffffffffffffff01",           /* kind -1 */
        "30ffffffff0f",                     /* status zigzag max */
        "3001", "3002",                     /* status -1, 1 */
        "0880",                             /* truncated varint */
        "08",                               /* tag without value */
        "00",                               /* field 0 */
        "8000 00",                          /* field 0 as a 2-byte tag: protobuf-c takes it */
        "0f",                               /* field 1, wire type 7 */
        "0b 0c",                            /* group start/end */
        "0e",                               /* wire type 6 */
        "5001",                             /* unknown field 10, varint */
        "5901020304050607 08",              /* unknown 64-bit */
        "590102030405060708",               /* unknown 64-bit, complete */
        "5a0461626364",                     /* unknown length-delimited */
        "5d01020304",                       /* unknown 32-bit */
        "5d010203",                         /* unknown 32-bit, truncated */
        "f8ffffff0f01",                     /* 5-byte tag (field 2^29-1) */
        "f8ffffffff0f01",                   /* 6-byte tag: refused */
        "f8ffffff7f01",                     /* 5-byte tag, high bits */
        "a80100",                           /* field 21, 2-byte tag */
        "0900000000000000 00",              /* version as 64-bit: refused */
        "0a0101",                           /* version length-delimited: refused */
        "2001",                             /* service as varint: refused */
        "4501020304",                       /* payload as 32-bit: refused */
        "22ffffffff07",                     /* length INT_MAX, no data */
        "2280808080 08",                    /* length 2^31: refused */
        "22ffffffffff01",                   /* 6-byte length: refused */
        "228001 61",                        /* overlong length 0 then a byte */
        "8801 01",                          /* version under a 2-byte tag */
        "18ffff7f",                         /* 3-byte varint */
        "18ffff8001",                       /* third byte continues: 4 bytes */
        "1880",                             /* 2-byte varint cut after 1 */
        "18ff7f",                           /* 2-byte varint at the end */
        "18ffff",                           /* 3-byte varint cut after 2 */
        "2203 6162",                        /* length past the end */
        "4a00",                             /* deadline length-delimited: refused */
        "48ffffffff1f",                     /* deadline wider than 32 bits */
        "0801 1005 3001 3a05 6572726f72",   /* error with message */
        "0802 1002 1801",                   /* version 2 request: EVERSION */
        "0802 1001",                        /* version 2 hello: fine */
        "0801 1008 1801",                   /* kind 8: EPROTO */
        "0801 1000",                        /* kind 0 */
        /* the in-order pass hands over to the general loop */
        "1002 0801 1801",                   /* out of order: kind, version */
        "0801 1002 1801 1802",              /* a field again after its turn */
        "0801 1880 2205 6265",              /* a malformed id after version */
        "0801 5001 1002",                   /* an unknown field in between */
        "2208 6265 6e63 6800 7878 2a01 6d", /* NUL in 8 bytes, more after */
        "2208 6265 6e63 6863 6800 4200",    /* NUL as the 8th byte */
        "2207 0062 6364 6566 67 4208 0102030405060708", /* NUL first */
        "2a09 6d65 7468 6f64 7878 7800 4201 ff", /* 9 bytes: the loop's case */
        "4200 4801",                        /* empty payload, deadline */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char label[64];
        snprintf(label, sizeof label, "case %zu", i);
        check_decode_hex(cases[i], label);
    }
    /* the codec's view of a NUL-containing string ends at the NUL */
    const uint8_t nul[] = {0x22, 0x03, 'a', 0, 'b'};
    sipc_env_view v;
    assert_int_equal(sipc_env_parse(nul, sizeof nul, &v), 0);
    assert_int_equal(v.service.len, 1);
    assert_int_equal(v.service.ptr[0], 'a');
}

/* Frames sipc writes, then mutated: flipped bytes, cut, spliced with
 * unknown fields of every wire type. */
static void test_decode_mutations(void **state)
{
    (void)state;
    char bufs[3][40];
    uint8_t payload[300];
    uint8_t body[1024];
    for (int i = 0; i < 20000; i++) {
        sipc_env_out e;
        uint32_t version;
        gen_env(&e, &version, bufs, payload);
        size_t n = sipc_env_pack(body, version, &e);
        check_decode(body, n, "generated");
        /* unknown fields before, between or after */
        if (rnd() % 2 && n + 24 < sizeof body) {
            size_t at = n ? rnd() % (n + 1) : 0;
            uint8_t extra[24];
            size_t k = 0;
            uint32_t field = 10 + (uint32_t)(rnd() % 5000);
            int wt = (int)(rnd() % 8);
            for (uint32_t t = field << 3 | (uint32_t)wt; ; t >>= 7) {
                extra[k++] = (uint8_t)(t >= 0x80 ? (t & 0x7f) | 0x80 : t);
                if (t < 0x80)
                    break;
            }
            size_t vl = rnd() % 12;
            if (wt == 2)
                extra[k++] = (uint8_t)vl;
            for (size_t j = 0; j < vl && k < sizeof extra; j++)
                extra[k++] = (uint8_t)rnd();
            memmove(body + at + k, body + at, n - at);
            memcpy(body + at, extra, k);
            n += k;
            check_decode(body, n, "with an unknown field");
        }
        /* random damage */
        int flips = (int)(rnd() % 4);
        for (int f = 0; f < flips && n; f++)
            body[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
        check_decode(body, n, "mutated");
        if (n)
            check_decode(body, rnd() % n, "truncated");
    }
    /* pure noise of every short length */
    uint8_t noise[16];
    for (int i = 0; i < 200000; i++) {
        size_t n = rnd() % sizeof noise;
        for (size_t j = 0; j < n; j++)
            noise[j] = (uint8_t)(rnd() % 3 ? rnd() : 0x80 | rnd());
        check_decode(noise, n, "noise");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_matches_protobuf_c),
        cmocka_unit_test(test_encode_frame_is_protobuf_c),
        cmocka_unit_test(test_encode_around),
        cmocka_unit_test(test_encode_name_limits),
        cmocka_unit_test(test_decode_edge_cases),
        cmocka_unit_test(test_decode_mutations),
    };
    return cmocka_run_group_tests_name("envelope_codec", tests, NULL, NULL);
}
