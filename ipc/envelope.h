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

/* A string inside a decoded frame: not NUL-terminated; like protobuf-c's C
 * strings it ends at the first NUL byte of the field. */
typedef struct sipc_env_str {
    const char *ptr; /* NULL when the field was absent */
    size_t len;
} sipc_env_str;

/* An Envelope decoded without allocating: strings and payload point into
 * the frame and are valid only as long as it is. Absent fields are 0/empty;
 * an empty payload is NULL. */
typedef struct sipc_env_view {
    uint32_t version;
    int32_t kind;
    uint64_t request_id;
    sipc_env_str service;
    sipc_env_str method;
    int32_t status;
    sipc_env_str message;
    const uint8_t *payload;
    size_t payload_len;
    uint32_t deadline_ms;
} sipc_env_view;

/* envelope_codec.c: the wire format by hand, byte for byte what protobuf-c
 * 1.4 packs and accepts. Size and bytes of an Envelope with this version and
 * e's fields (no frame header); out needs sipc_env_packed_size() bytes. */
size_t sipc_env_packed_size(uint32_t version, const sipc_env_out *e);
size_t sipc_env_pack(uint8_t *out, uint32_t version, const sipc_env_out *e);
/* Wire syntax only: 0 if protobuf-c's unpack would accept data, else
 * SIPC_EPROTO. Fills v either way (partially on failure). */
int sipc_env_parse(const uint8_t *data, size_t len, sipc_env_view *v);
/* What a node accepts: version (except in HELLO and ERROR) and kind. 0, or
 * *err = SIPC_EVERSION / SIPC_EPROTO with a message in why. */
int sipc_env_check(uint32_t version, int32_t kind, int *err, char *why, size_t whylen);
/* Parse and check one frame body: 0, or the error as sipc_env_check(). */
int sipc_env_read(const uint8_t *data, size_t len, sipc_env_view *v, int *err, char *why,
                  size_t whylen);

/* Appends one frame (length prefix + Envelope) to out. Returns 0,
 * SIPC_ETOOBIG if the envelope would exceed max_frame, SIPC_EINVAL for a
 * service or method name longer than SIPC_NAME_MAX (no router holds one:
 * sipc_call refuses it here, where the length is taken anyway), or
 * SIPC_ENOMEM. */
int sipc_env_encode(sipc_buf *out, const sipc_env_out *e, size_t max_frame);
/* The largest payload any envelope without service, method or message (a
 * response) carries within max_frame: a bound, exact to a few dozen bytes. */
size_t sipc_env_payload_max(size_t max_frame);
/* The same, except for the payload's bytes, for a writer that sends the
 * payload from where it lies: the frame is out's bytes up to *payload_at,
 * then e->payload, then the rest of out's bytes (at most
 * SIPC_ENV_AFTER_PAYLOAD_MAX: the deadline's field). */
#define SIPC_ENV_AFTER_PAYLOAD_MAX 6
int sipc_env_encode_around(sipc_buf *out, const sipc_env_out *e, size_t max_frame,
                           size_t *payload_at);
/* The same checks with protobuf-c's generated code: the reference the codec
 * is tested against. Returns NULL and sets *err (SIPC_EPROTO with a message
 * in why) on malformed input. Free with sipc__envelope__free_unpacked. */
Sipc__Envelope *sipc_env_decode(const uint8_t *data, size_t len, int *err, char *why,
                                size_t whylen);
const char *sipc_env_kind_name(int kind);

#endif
