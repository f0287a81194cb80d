/* stream.h - one connection-type interface (after Redis' connection.h): a
 * byte stream over a libuv TCP socket, with a plaintext and a TLS
 * implementation behind an ops table. The framing and RPC layers above call
 * only sipc_stream_* and never ask which kind they have.
 *
 * Lifetime: the owner allocates nothing; sipc_stream_new() returns a stream
 * that the owner closes with sipc_stream_close(); events.closed fires once,
 * after which the stream is freed by sipc_stream layer itself. */
#ifndef SIPC_STREAM_H
#define SIPC_STREAM_H

#include <uv.h>

#include "ipc/buf.h"
#include "sipc/sipc.h"
#include "transport/tls_engine.h"

typedef struct sipc_stream sipc_stream;

typedef struct sipc_stream_events {
    /* Handshake (if any) done: application bytes may flow both ways. */
    void (*ready)(sipc_stream *s);
    /* Plaintext from the peer. Return non-zero (a sipc error) to fail the stream. */
    int (*data)(sipc_stream *s, const uint8_t *p, size_t n);
    /* Fatal condition; the owner should close. detail may be "". Called at most once. */
    void (*error)(sipc_stream *s, int err, const char *detail);
    /* Every queued byte has been handed to the kernel (optional). */
    void (*drained)(sipc_stream *s);
    /* The socket is closed; s is freed right after this returns. */
    void (*closed)(sipc_stream *s);
} sipc_stream_events;

typedef struct sipc_stream_ops {
    const char *name; /* "tcp" or "tls" */
    int (*start)(sipc_stream *s);
    int (*input)(sipc_stream *s, const uint8_t *p, size_t n);
    /* Takes all of pt's bytes (pt->len becomes 0). */
    int (*write)(sipc_stream *s, sipc_buf *pt);
    void (*goodbye)(sipc_stream *s); /* e.g. close_notify */
    void (*destroy)(sipc_stream *s);
    void (*describe)(const sipc_stream *s, sipc_peer_info *pi);
} sipc_stream_ops;

extern const sipc_stream_ops sipc_stream_tcp_ops;
extern const sipc_stream_ops sipc_stream_tls_ops;

enum { SIPC_STREAM_CONNECTING, SIPC_STREAM_SNIFFING, SIPC_STREAM_HANDSHAKE, SIPC_STREAM_OPEN,
       SIPC_STREAM_CLOSING };

struct sipc_stream {
    const sipc_stream_ops *ops;
    const sipc_stream_events *ev;
    void *owner;
    uv_tcp_t tcp;
    uv_connect_t conn_req;
    uv_shutdown_t shut_req;
    int state;
    int is_server;
    int got_bytes;       /* any byte received yet (for permissive fallback) */
    int error_reported;
    int paused;
    sipc_tls_mode mode;  /* what this side accepts/offers */
    sipc_tls_config *tlscfg;
    sipc_tls *tls;
    sipc_buf tx;         /* bytes ready for the socket (ciphertext for TLS) */
    uint8_t *rbuf;
    char peer[64];
};

/* Client: TLS if want_tls, else plaintext. */
int sipc_stream_connect(sipc_stream **out, uv_loop_t *loop, const struct sockaddr *addr,
                        int want_tls, sipc_tls_config *tlscfg, const sipc_stream_events *ev,
                        void *owner);
/* Server: accept from listener; the first byte from the peer selects TLS or
 * plaintext as mode allows. */
int sipc_stream_accept(sipc_stream **out, uv_stream_t *listener, sipc_tls_mode mode,
                       sipc_tls_config *tlscfg, const sipc_stream_events *ev, void *owner);
/* Queues plaintext (all of b; b->len becomes 0). */
int sipc_stream_write(sipc_stream *s, sipc_buf *b);
/* Bytes waiting for the kernel. */
size_t sipc_stream_queued(const sipc_stream *s);
/* Graceful: goodbye, flush, shut down, close. Idempotent. */
void sipc_stream_close(sipc_stream *s);
/* Immediate: pending writes are dropped. */
void sipc_stream_abort(sipc_stream *s);
int sipc_stream_is_tls(const sipc_stream *s);
/* Stops or resumes reading (backpressure on a peer that does not read). */
void sipc_stream_pause(sipc_stream *s, int pause);
void sipc_stream_describe(const sipc_stream *s, sipc_peer_info *pi);

/* For the implementations: hand s->tx to the socket; report a fatal error. */
int sipc_stream_flush_tx(sipc_stream *s);
void sipc_stream_fail(sipc_stream *s, int err, const char *detail);

#endif
