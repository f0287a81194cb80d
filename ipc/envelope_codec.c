/* envelope_codec.c - the Envelope's wire format written and read by hand.
 *
 * protobuf-c's generic code allocates the message, every string and the
 * payload on unpack, and walks descriptors on pack: most of the CPU of a
 * small request. This codec produces exactly the bytes protobuf-c 1.4's pack
 * produces for the same values, and accepts exactly the inputs its unpack
 * accepts (same quirks included, listed at sipc_env_parse), without
 * allocating: decoded strings and the payload point into the frame.
 * tests/unit/test_envelope_codec.c and the fuzz_frame target compare the
 * two on generated and mutated envelopes. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "base/endian.h"
#include "ipc/envelope.h"
#include "ipc/frame.h"
#include "sipc/sipc.h"

/* Field numbers and wire types of sipc.proto's Envelope. */
enum {
    F_VERSION = 1,
    F_KIND,
    F_REQUEST_ID,
    F_SERVICE,
    F_METHOD,
    F_STATUS,
    F_MESSAGE,
    F_PAYLOAD,
    F_DEADLINE,
};
enum { WT_VARINT = 0, WT_64BIT = 1, WT_LEN = 2, WT_32BIT = 5 };

/* ---------------------------------------------------------------- encode */

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* protobuf-c packs an int32 (the enum) as its sign-extended 64-bit value */
static uint64_t int32_wire(int32_t v)
{
    return (uint64_t)(int64_t)v;
}

static uint32_t zigzag32(int32_t v)
{
    return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31);
}

/* A string field is left out when absent or empty, like protobuf-c's proto3
 * rule; its length is strlen(), taken once per encode (a name's counted up
 * to SIPC_NAME_MAX + 1 only: a longer one is refused). */
typedef struct str_lens {
    size_t service, method, message;
} str_lens;

static size_t slen(const char *s)
{
    return s ? strlen(s) : 0;
}

static void get_lens(const sipc_env_out *e, str_lens *l)
{
    l->service = slen(e->service);
    l->method = slen(e->method);
    l->message = slen(e->message);
}

/* A name's length, or SIPC_NAME_MAX + 1 for any longer one (which the
 * encoder refuses): a name far over the limit is not read to its end.
 * Inline, so that an answer's absent names cost two tests and no call. */
static inline size_t name_len(const char *s)
{
    return s ? strnlen(s, SIPC_NAME_MAX + 1) : 0;
}

static size_t str_size(size_t n)
{
    return n ? 1 + varint_size(n) + n : 0;
}

static uint8_t *put_str(uint8_t *p, int field, const char *s, size_t n)
{
    if (!n)
        return p;
    *p++ = (uint8_t)(field << 3 | WT_LEN);
    p = put_varint(p, n);
    memcpy(p, s, n);
    return p + n;
}

/* Most bytes an Envelope takes besides its strings and payload: 5 varint
 * fields of at most 10 bytes and 4 length prefixes of at most 10 (a size_t
 * as a varint), each with its one-byte tag. */
#define ENV_FIXED_MAX (5 * 11 + 4 * 11)

static size_t packed_size(uint32_t version, const sipc_env_out *e, const str_lens *l)
{
    size_t n = 0;
    if (version)
        n += 1 + varint_size(version);
    if (e->kind)
        n += 1 + varint_size(int32_wire((int32_t)e->kind));
    if (e->request_id)
        n += 1 + varint_size(e->request_id);
    n += str_size(l->service) + str_size(l->method);
    if (e->status)
        n += 1 + varint_size(zigzag32(e->status));
    n += str_size(l->message);
    /* bytes: left out when empty (protobuf-c's zero test reads the length) */
    if (e->payload_len)
        n += 1 + varint_size(e->payload_len) + e->payload_len;
    if (e->deadline_ms)
        n += 1 + varint_size(e->deadline_ms);
    return n;
}

/* Without copy_payload the payload's bytes are left out (its tag and length
 * stay) and *payload_at says where they belong. */
static inline __attribute__((always_inline)) size_t
pack(uint8_t *out, uint32_t version, const sipc_env_out *e, const str_lens *l, int copy_payload,
     size_t *payload_at)
{
    uint8_t *p = out;
    if (version) {
        *p++ = F_VERSION << 3 | WT_VARINT;
        p = put_varint(p, version);
    }
    if (e->kind) {
        *p++ = F_KIND << 3 | WT_VARINT;
        p = put_varint(p, int32_wire((int32_t)e->kind));
    }
    if (e->request_id) {
        *p++ = F_REQUEST_ID << 3 | WT_VARINT;
        p = put_varint(p, e->request_id);
    }
    p = put_str(p, F_SERVICE, e->service, l->service);
    p = put_str(p, F_METHOD, e->method, l->method);
    if (e->status) {
        *p++ = F_STATUS << 3 | WT_VARINT;
        p = put_varint(p, zigzag32(e->status));
    }
    p = put_str(p, F_MESSAGE, e->message, l->message);
    if (e->payload_len) {
        *p++ = F_PAYLOAD << 3 | WT_LEN;
        p = put_varint(p, e->payload_len);
        if (copy_payload) {
            memcpy(p, e->payload, e->payload_len);
            p += e->payload_len;
        }
    }
    *payload_at = (size_t)(p - out);
    if (e->deadline_ms) {
        *p++ = F_DEADLINE << 3 | WT_VARINT;
        p = put_varint(p, e->deadline_ms);
    }
    return (size_t)(p - out);
}

size_t sipc_env_packed_size(uint32_t version, const sipc_env_out *e)
{
    str_lens l;
    get_lens(e, &l);
    return packed_size(version, e, &l);
}

size_t sipc_env_pack(uint8_t *out, uint32_t version, const sipc_env_out *e)
{
    str_lens l;
    get_lens(e, &l);
    size_t at;
    return pack(out, version, e, &l, 1, &at);
}

/* Inlined into each caller, so that copy_payload is a constant there. */
static inline __attribute__((always_inline)) int
encode(sipc_buf *out, const sipc_env_out *e, size_t max_frame, int copy_payload, size_t *payload_at)
{
    str_lens l = {name_len(e->service), name_len(e->method), slen(e->message)};
    _Static_assert((SIPC_NAME_MAX & (SIPC_NAME_MAX + 1)) == 0, "one test for both names");
    if ((l.service | l.method) > SIPC_NAME_MAX)
        return SIPC_EINVAL;
    /* The exact size costs a pass of its own; a bound does for the checks
     * unless the frame comes near the limit or the bound would grow a buffer
     * the frame itself fits in. */
    size_t bound = ENV_FIXED_MAX + l.service + l.method + l.message + e->payload_len;
    size_t n = bound;
    size_t room = copy_payload ? bound : bound - e->payload_len;
    if (bound > max_frame || out->cap - out->len < SIPC_FRAME_HEADER + room) {
        n = packed_size(SIPC_PROTOCOL_VERSION, e, &l);
        if (n > max_frame)
            return SIPC_ETOOBIG;
        room = copy_payload ? n : n - e->payload_len;
    }
    if (sipc_buf_reserve(out, SIPC_FRAME_HEADER + room) != 0)
        return SIPC_ENOMEM;
    size_t at;
    size_t w = pack(out->data + out->len + SIPC_FRAME_HEADER, SIPC_PROTOCOL_VERSION, e, &l,
                    copy_payload, &at);
    if (!copy_payload)
        w += e->payload_len; /* the frame's length counts the bytes left out */
    assert(w <= n && w <= max_frame);
    sipc_frame_put_header(out->data + out->len, (uint32_t)w);
    *payload_at = out->len + SIPC_FRAME_HEADER + at;
    out->len += SIPC_FRAME_HEADER + (copy_payload ? w : w - e->payload_len);
    return 0;
}

size_t sipc_env_payload_max(size_t max_frame)
{
    return max_frame > ENV_FIXED_MAX ? max_frame - ENV_FIXED_MAX : 0;
}

int sipc_env_encode(sipc_buf *out, const sipc_env_out *e, size_t max_frame)
{
    size_t at;
    return encode(out, e, max_frame, 1, &at);
}

int sipc_env_encode_around(sipc_buf *out, const sipc_env_out *e, size_t max_frame,
                           size_t *payload_at)
{
    return encode(out, e, max_frame, 0, payload_at);
}

/* ---------------------------------------------------------------- decode */

/* protobuf-c's limit on the fields of one message: 23 slabs of scanned
 * members, 16, 32, ... 2^26 of them; one more and unpack fails. Reachable
 * only with max_frame near its 256 MiB ceiling, kept for exactness. */
#define PBC_MAX_MEMBERS (16u * ((1u << 23) - 1))

/* A varint of at most 10 bytes (protobuf-c's scan); its value modulo 2^64,
 * which is what protobuf-c's parse_uint64 computes; 0 bytes = malformed. */
static inline size_t get_varint(const uint8_t *p, size_t rem, uint64_t *v)
{
    if (rem && !(p[0] & 0x80)) { /* one byte: the usual case */
        *v = p[0];
        return 1;
    }
    if (rem >= 3 && !(p[1] & 0x80 && p[2] & 0x80)) { /* ids and deadlines */
        uint64_t x = (uint64_t)(p[0] & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7;
        if (!(p[1] & 0x80)) {
            *v = x;
            return 2;
        }
        *v = x | (uint64_t)p[2] << 14;
        return 3;
    }
    size_t max = rem < 10 ? rem : 10;
    uint64_t x = 0;
    for (size_t i = 0; i < max; i++) {
        x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

/* The tag: at most 5 bytes. protobuf-c refuses a first byte whose field
 * bits are 0 but not a longer encoding of field 0, and keeps only 32 bits. */
static inline size_t get_tag(const uint8_t *p, size_t rem, uint32_t *field, int *wt)
{
    if ((p[0] & 0xf8) == 0)
        return 0;
    *wt = p[0] & 7;
    uint32_t f = (p[0] & 0x7f) >> 3;
    if (!(p[0] & 0x80)) {
        *field = f;
        return 1;
    }
    size_t max = rem < 5 ? rem : 5;
    unsigned shift = 4;
    for (size_t i = 1; i < max; i++) {
        f |= (uint32_t)(p[i] & 0x7f) << shift;
        if (!(p[i] & 0x80)) {
            *field = f;
            return i + 1;
        }
        shift += 7;
    }
    return 0;
}

/* Length of a length-delimited value: at most 5 bytes, <= INT_MAX, and the
 * data must be there. Returns prefix + data length, 0 = malformed. */
static inline size_t get_len(const uint8_t *p, size_t rem, size_t *prefix)
{
    if (rem && !(p[0] & 0x80)) { /* a length under 128 */
        *prefix = 1;
        return 1 + (size_t)p[0] <= rem ? 1 + (size_t)p[0] : 0;
    }
    size_t max = rem < 5 ? rem : 5;
    uint64_t v = 0;
    size_t i;
    for (i = 0; i < max; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80))
            break;
    }
    if (i == max || v > 0x7fffffff)
        return 0;
    *prefix = i + 1;
    if (*prefix + v > rem)
        return 0;
    return *prefix + (size_t)v;
}

/* protobuf-c keeps strings as C strings: a NUL inside ends them. Names
 * are short: one 8-byte word (when the frame has 8 bytes from p) or a plain
 * loop beats a call to memchr for them. end is the end of the frame. */
static inline void set_str(sipc_env_str *s, const uint8_t *p, size_t n, const uint8_t *end)
{
    size_t i = n;
    if (n <= 8 && end - p >= 8) {
        /* a flag at the lowest byte that is 0 is exact: only bytes above a
         * 0 can be flagged falsely */
        uint64_t w = sipc_le64_get(p);
        uint64_t z = (w - 0x0101010101010101u) & ~w & 0x8080808080808080u;
        if (n < 8)
            z &= ((uint64_t)1 << (8 * n)) - 1;
        if (z)
            i = (size_t)__builtin_ctzll(z) / 8;
    } else if (n <= 32) {
        for (i = 0; i < n && p[i]; i++)
            ;
    } else {
        const uint8_t *z = memchr(p, 0, n);
        if (z)
            i = (size_t)(z - p);
    }
    s->ptr = (const char *)p;
    s->len = i;
}

/* Stores one field's value in v; the caller checked its wire type. */
static inline void store_varint_field(sipc_env_view *v, uint32_t field, uint64_t x)
{
    if (field == F_VERSION)
        v->version = (uint32_t)x;
    else if (field == F_KIND)
        v->kind = (int32_t)(uint32_t)x;
    else if (field == F_REQUEST_ID)
        v->request_id = x;
    else if (field == F_STATUS)
        v->status = (int32_t)(((uint32_t)x >> 1) ^ (0u - ((uint32_t)x & 1)));
    else
        v->deadline_ms = (uint32_t)x;
}

static inline void store_len_field(sipc_env_view *v, uint32_t field, const uint8_t *p, size_t n,
                                   const uint8_t *end)
{
    if (field == F_SERVICE)
        set_str(&v->service, p, n, end);
    else if (field == F_METHOD)
        set_str(&v->method, p, n, end);
    else if (field == F_MESSAGE)
        set_str(&v->message, p, n, end);
    else {
        v->payload_len = n;
        v->payload = n ? p : NULL;
    }
}

/* Any one field, in every encoding protobuf-c accepts. Returns the bytes it
 * took (tag included), 0 = malformed. */
static size_t parse_field(const uint8_t *p, size_t rem, sipc_env_view *v)
{
    const uint8_t *end = p + rem;
    uint32_t field;
    int wt;
    size_t used = get_tag(p, rem, &field, &wt);
    if (used == 0)
        return 0;
    p += used;
    rem -= used;
    uint64_t x = 0;
    size_t flen, prefix = 0;
    switch (wt) {
    case WT_VARINT:
        flen = get_varint(p, rem, &x);
        break;
    case WT_64BIT:
        flen = rem >= 8 ? 8 : 0;
        break;
    case WT_LEN:
        flen = get_len(p, rem, &prefix);
        break;
    case WT_32BIT:
        flen = rem >= 4 ? 4 : 0;
        break;
    default: /* groups and reserved wire types */
        return 0;
    }
    if (flen == 0)
        return 0;
    /* a known field must come with its own wire type; the last occurrence
     * wins; unknown fields are skipped */
    switch (field) {
    case F_VERSION:
    case F_KIND:
    case F_REQUEST_ID:
    case F_STATUS:
    case F_DEADLINE:
        if (wt != WT_VARINT)
            return 0;
        store_varint_field(v, field, x);
        break;
    case F_SERVICE:
    case F_METHOD:
    case F_MESSAGE:
    case F_PAYLOAD:
        if (wt != WT_LEN)
            return 0;
        store_len_field(v, field, p + prefix, flen - prefix, end);
        break;
    default:
        break;
    }
    return used + flen;
}

#define TAG(f, wt) ((f) << 3 | (wt))

/* The next field if it is field f under its one-byte tag and well formed:
 * its value in *x (take_varint) or its bytes at *at, *len long (take_len),
 * and *pp moved past it; else *pp is left where it was. */
static inline int take_varint(const uint8_t **pp, const uint8_t *end, int f, uint64_t *x)
{
    const uint8_t *p = *pp;
    if (p == end || *p != TAG(f, WT_VARINT))
        return 0;
    size_t n = get_varint(p + 1, (size_t)(end - p - 1), x);
    *pp = n ? p + 1 + n : p;
    return n != 0;
}

static inline int take_len(const uint8_t **pp, const uint8_t *end, int f, const uint8_t **at,
                           size_t *len)
{
    const uint8_t *p = *pp;
    size_t prefix;
    if (p == end || *p != TAG(f, WT_LEN))
        return 0;
    size_t n = get_len(p + 1, (size_t)(end - p - 1), &prefix);
    if (n == 0)
        return 0;
    *at = p + 1 + prefix;
    *len = n - prefix;
    *pp = p + 1 + n;
    return 1;
}

/* What sipc and protobuf-c write: the known fields, each at most once, in
 * field order under their one-byte tags, taken in one straight pass without
 * a dispatch per field. It stops at the first byte that is not one of the
 * fields still to come (or at a malformed one) and returns where; the general
 * loop goes on from there. Reading fields in order with the last occurrence
 * winning, that gives what the general loop gives from the start. */
static inline const uint8_t *parse_in_order(const uint8_t *p, const uint8_t *end, sipc_env_view *v)
{
    uint64_t x;
    const uint8_t *s;
    size_t n;
    if (take_varint(&p, end, F_VERSION, &x))
        store_varint_field(v, F_VERSION, x);
    if (take_varint(&p, end, F_KIND, &x))
        store_varint_field(v, F_KIND, x);
    if (take_varint(&p, end, F_REQUEST_ID, &x))
        store_varint_field(v, F_REQUEST_ID, x);
    if (take_len(&p, end, F_SERVICE, &s, &n))
        store_len_field(v, F_SERVICE, s, n, end);
    if (take_len(&p, end, F_METHOD, &s, &n))
        store_len_field(v, F_METHOD, s, n, end);
    if (take_varint(&p, end, F_STATUS, &x))
        store_varint_field(v, F_STATUS, x);
    if (take_len(&p, end, F_MESSAGE, &s, &n))
        store_len_field(v, F_MESSAGE, s, n, end);
    if (take_len(&p, end, F_PAYLOAD, &s, &n))
        store_len_field(v, F_PAYLOAD, s, n, end);
    if (take_varint(&p, end, F_DEADLINE, &x))
        store_varint_field(v, F_DEADLINE, x);
    return p;
}

int sipc_env_parse(const uint8_t *data, size_t len, sipc_env_view *v)
{
    memset(v, 0, sizeof *v);
    const uint8_t *p = data;
    uint32_t members = 0;
    /* every field takes at least 2 bytes: only a frame this long can reach
     * protobuf-c's limit on fields (then every field is counted below) */
    int may_reach_limit = len / 2 > PBC_MAX_MEMBERS;
    if (!may_reach_limit) {
        p = parse_in_order(p, data + len, v);
        if (p == data + len)
            return 0;
    }
    size_t rem = len - (size_t)(p - data);
    while (rem > 0) {
        if (may_reach_limit && ++members > PBC_MAX_MEMBERS)
            return SIPC_EPROTO;
        /* What sipc and protobuf-c write: a known field under its one-byte
         * tag. Taken here without the general path's two dispatches; every
         * other tag goes through parse_field, which decides the same for
         * these. */
        uint8_t t = p[0];
        uint64_t x;
        size_t n, prefix;
        switch (t) {
        case TAG(F_VERSION, WT_VARINT):
        case TAG(F_KIND, WT_VARINT):
        case TAG(F_REQUEST_ID, WT_VARINT):
        case TAG(F_STATUS, WT_VARINT):
        case TAG(F_DEADLINE, WT_VARINT):
            n = get_varint(p + 1, rem - 1, &x);
            if (n == 0)
                return SIPC_EPROTO;
            store_varint_field(v, t >> 3, x);
            n += 1;
            break;
        case TAG(F_SERVICE, WT_LEN):
        case TAG(F_METHOD, WT_LEN):
        case TAG(F_MESSAGE, WT_LEN):
        case TAG(F_PAYLOAD, WT_LEN):
            n = get_len(p + 1, rem - 1, &prefix);
            if (n == 0)
                return SIPC_EPROTO;
            store_len_field(v, t >> 3, p + 1 + prefix, n - prefix, p + rem);
            n += 1;
            break;
        default:
            n = parse_field(p, rem, v);
            if (n == 0)
                return SIPC_EPROTO;
            break;
        }
        p += n;
        rem -= n;
    }
    return 0;
}

int sipc_env_check(uint32_t version, int32_t kind, int *err, char *why, size_t whylen)
{
    if (version != SIPC_PROTOCOL_VERSION && kind != SIPC__KIND__HELLO && kind != SIPC__KIND__ERROR) {
        *err = SIPC_EVERSION;
        snprintf(why, whylen, "envelope version %u, this side speaks %d", version,
                 SIPC_PROTOCOL_VERSION);
        return *err;
    }
    if (kind < SIPC__KIND__HELLO || kind > SIPC__KIND__PONG) {
        *err = SIPC_EPROTO;
        snprintf(why, whylen, "envelope of unknown kind %d", (int)kind);
        return *err;
    }
    return 0;
}

int sipc_env_read(const uint8_t *data, size_t len, sipc_env_view *v, int *err, char *why,
                  size_t whylen)
{
    if (sipc_env_parse(data, len, v) != 0) {
        *err = SIPC_EPROTO;
        snprintf(why, whylen, "frame of %zu bytes is not a valid envelope", len);
        return *err;
    }
    /* the usual envelope, without the call that would say what is wrong */
    if (v->version == SIPC_PROTOCOL_VERSION && v->kind >= SIPC__KIND__HELLO &&
        v->kind <= SIPC__KIND__PONG)
        return 0;
    return sipc_env_check(v->version, v->kind, err, why, whylen);
}
