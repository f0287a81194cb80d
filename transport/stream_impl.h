/* stream_impl.h - the stream object and the contract of its two kinds.
 * Private to transport/: nothing above this layer includes it. */
#ifndef SIPC_TRANSPORT_STREAM_IMPL_H
#define SIPC_TRANSPORT_STREAM_IMPL_H

#include "transport/stream.h"

typedef struct sipc_stream_ops {
    const char *name; /* "tcp" or "tls" */
    int (*start)(sipc_stream *s);
    int (*input)(sipc_stream *s, const uint8_t *p, size_t n);
    /* Takes all of pt's bytes (pt->len becomes 0), then the n parts: see
     * sipc_stream_write_parts(). */
    int (*write)(sipc_stream *s, sipc_buf *pt, const sipc_piece *parts, size_t n);
    void (*goodbye)(sipc_stream *s); /* e.g. close_notify */
    void (*destroy)(sipc_stream *s);
    void (*describe)(const sipc_stream *s, sipc_stream_info *info);
    size_t early_write; /* see sipc_stream_early_write() */
} sipc_stream_ops;

extern const sipc_stream_ops sipc_stream_tcp_ops;
extern const sipc_stream_ops sipc_stream_tls_ops;

/* States move forward only: CONNECTING or SNIFFING -> (HANDSHAKE ->) OPEN ->
 * CLOSING; any state may jump to CLOSING. */
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
    uint64_t last_read;  /* uv_now() of the last read that brought bytes */
    uint64_t connected_at; /* uv_now() when a client's connect completed, 0 before */
    uint64_t tried;      /* bytes the kernel took from write attempts */
    uint64_t handed;     /* bytes handed to libuv's write queue */
    uint8_t first[4];    /* the first bytes received (of the first read) */
    uint8_t nfirst;
    int error_reported;
    int paused;
    int peer_done;       /* the peer sends nothing more: EOF, or its close_notify */
    int hold_tx;         /* writes wait for the end of the input that opened the stream */
    int held_tx;         /* and some did */
    int corked;          /* see sipc_stream_cork() */
    size_t kept;         /* bytes at the head of tx that a corked flush kept back */
    unsigned kinds;      /* SIPC_STREAM_PLAIN | SIPC_STREAM_TLS this side accepts */
    sipc_tls_config *tlscfg;
    sipc_tls *tls;
    sipc_buf tx;         /* bytes ready for the socket (ciphertext for TLS) */
    char peer[64];
};

/* For the implementations: hand s->tx to the socket (queue_tx: to libuv's
 * queue without trying the socket first, which just refused); report a
 * fatal error. */
int sipc_stream_flush_tx(sipc_stream *s);
int sipc_stream_queue_tx(sipc_stream *s);
void sipc_stream_fail(sipc_stream *s, int err, const char *detail);
/* tcp_acked.c: the bytes of fd's output the peer's TCP acknowledged, ever,
 * and the ms since an ACK last came; 0 or a negative errno (-ENOTSUP where
 * the kernel does not say). */
int sipc__tcp_acked(int fd, uint64_t *acked, uint32_t *ago_ms);
/* The acknowledged count at which the peer's TCP will have acknowledged
 * every byte fd's kernel holds now (sent or not); 0 or a negative errno. */
int sipc__tcp_acked_all_at(int fd, uint64_t *at);

#endif
