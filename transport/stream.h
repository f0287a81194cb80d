/* stream.h - one connection type (after Redis' connection.h): a byte stream
 * over a libuv TCP socket, with a plaintext and a TLS implementation behind
 * it. The layers above call only sipc_stream_* and never ask which kind they
 * have; the kind is chosen once, when a stream is connected or, on a
 * listener, by the first byte the peer sends.
 *
 * Lifetime: sipc_stream_connect() and sipc_stream_accept() create a stream;
 * its owner ends it with sipc_stream_close() or sipc_stream_abort();
 * events.closed fires once, after which the stream layer frees it. */
#ifndef SIPC_TRANSPORT_STREAM_H
#define SIPC_TRANSPORT_STREAM_H

#include <uv.h>

#include "base/buf.h"
#include "sipc/errno.h"
#include "transport/tls_engine.h"

typedef struct sipc_stream sipc_stream; /* private to transport/ */

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
    /* Optional: where the next plaintext bytes belong (the rest of a frame
     * being reassembled), at most the returned count; 0 = no such place.
     * A TLS stream decrypts, a plaintext stream reads, straight into it,
     * and data() then gets exactly *p, so the owner can skip its copy. */
    size_t (*rx_window)(sipc_stream *s, uint8_t **p);
} sipc_stream_events;

/* What a listener accepts: plaintext, TLS, or both (the first byte decides). */
enum { SIPC_STREAM_PLAIN = 1, SIPC_STREAM_TLS = 2 };

/* What a stream can say about itself, for status and logs. */
typedef struct sipc_stream_info {
    char peer[64];          /* "ip:port" or "[v6]:port" of the remote end */
    int tls;                /* 1 if this stream is TLS */
    char tls_version[16];   /* "TLSv1.2" once the handshake is done */
    char tls_cipher[64];
    char peer_fingerprint[65]; /* hex SHA-256 of the peer's certificate */
    int tls_resumed;        /* the TLS session was resumed (no certificates sent) */
    int tls_direct;         /* application data goes through sipc's record layer
                               (tls_record.c), 0: through wolfSSL's */
} sipc_stream_info;

/* 1 if a dial to addr binds to source first: source is not NULL, of addr's
 * family, and not a loopback address (127.0.0.0/8, ::1) for a destination
 * that is not one (Linux refuses that connect with EINVAL, and a peer on
 * another host could not answer a loopback address anyway). */
int sipc_stream_source_applies(const struct sockaddr *addr, const struct sockaddr *source);
/* Client: TLS when tlscfg is non-NULL, else plaintext. source, when
 * sipc_stream_source_applies(), is the local address the connection leaves
 * from; else the dial goes out unbound. A source that cannot be bound (not
 * an address of this host: UV_EADDRNOTAVAIL) fails the call with that
 * error; no stream is made. */
int sipc_stream_connect(sipc_stream **out, uv_loop_t *loop, const struct sockaddr *addr,
                        const struct sockaddr *source, sipc_tls_config *tlscfg,
                        const sipc_stream_events *ev, void *owner);
/* A listener for streams: its socket, and a handle to refuse with. libuv
 * (1.44, src/unix/stream.c) stops watching a listener while a connection it
 * took waits for uv_accept(), so a connection no stream can be made for (out
 * of memory) must still be taken, or the listener never accepts again: the
 * handle kept here takes and closes it without allocating.
 *
 * libuv retries an accept the system fails (ENOBUFS, ENOMEM, EPERM...) at
 * once, in a loop that only a success or closing the handle ends, so the
 * loop would run nothing else while the failure lasts: after such a failure
 * the listener closes tcp, keeps the socket open by a duplicate (its queued
 * connections wait in the kernel) and watches it again with a new tcp after
 * a pause, 4 ms doubling up to 1 s, back to 4 ms after an accept succeeds.
 * tcp.data is the owner's (kept across the pause); the rest is the stream
 * layer's. */
typedef struct sipc_stream_listener {
    uv_tcp_t tcp;
    uv_tcp_t refuse;   /* takes a connection that cannot be accepted */
    int refusing;      /* refuse is closing; 2: another connection waits for it */
    int closing;       /* 1: closing, 2: tcp closed */
    void (*closed)(struct sipc_stream_listener *l);
    uv_connection_cb cb; /* the owner's */
    int backlog;
    uv_timer_t retry;  /* ends a pause */
    int retry_open;    /* retry is initialised and not closed */
    int paused;        /* 1: tcp closing for a pause, 2: retry runs */
    int held;          /* the socket while tcp does not own it, else -1 */
    unsigned pause_ms; /* the last pause, 0 after an accept that succeeded */
} sipc_stream_listener;

/* Binds l to addr and listens. Listeners for streams are made here only:
 * they have TCP_NODELAY, which Linux copies to every socket they accept (one
 * system call less per connection), and sipc_stream_accept() relies on it.
 * cb gets every connection and every failed accept (the pause above follows
 * one, other than for a want of descriptors: UV_EMFILE, UV_ENFILE); it is
 * called with l->tcp, which is another handle after a pause (the same
 * memory). l is initialised whatever the result: sipc_stream_listener_close()
 * ends it, also after a failure. */
int sipc_stream_listen(sipc_stream_listener *l, uv_loop_t *loop, const struct sockaddr *addr,
                       int backlog, uv_connection_cb cb);
/* Closes l (a connection waiting is closed with it), also during a pause;
 * closed(l) is called once nothing of it is open (never before this
 * returns), after which its memory is the owner's. */
void sipc_stream_listener_close(sipc_stream_listener *l, void (*closed)(sipc_stream_listener *l));
/* Server: accept from l's connection callback; the first
 * byte from the peer selects TLS or plaintext among kinds
 * (SIPC_STREAM_PLAIN | SIPC_STREAM_TLS). A peer of a
 * kind not accepted gets an answer it can read (a TLS alert, or the owner's
 * error frame after the error event) and the stream fails with
 * SIPC_EPLAINTEXT or SIPC_ETLSONPLAIN. On failure (SIPC_EINVAL, SIPC_ENOMEM
 * or a libuv code) the connection is closed all the same and l goes on
 * accepting. */
int sipc_stream_accept(sipc_stream **out, sipc_stream_listener *l, unsigned kinds,
                       sipc_tls_config *tlscfg, const sipc_stream_events *ev, void *owner);
/* Queues plaintext (all of b; b->len becomes 0). */
int sipc_stream_write(sipc_stream *s, sipc_buf *b);
/* Queues b's bytes, then the n (at most SIPC_STREAM_MAX_PARTS) parts, in
 * that order; b->len becomes 0. The parts are read only during the call,
 * where they lie: a plaintext stream offers them to the socket at once and
 * copies only what it does not take; a TLS stream seals them into records
 * of their own (no record spans two parts). A part may lie in b's buffer
 * past b->len (the connection's tail after a payload): b's memory is not
 * written or handed over during the call. */
#define SIPC_STREAM_MAX_PARTS 3
int sipc_stream_write_parts(sipc_stream *s, sipc_buf *b, const sipc_piece *parts, size_t n);
/* Bytes waiting for the kernel. */
size_t sipc_stream_queued(const sipc_stream *s);
/* Bytes the kernel has taken so far (it takes more only as the peer
 * acknowledges): grows while a queue drains, however slowly. */
uint64_t sipc_stream_sent(const sipc_stream *s);
/* Bytes of our output the peer's TCP has acknowledged so far (Linux
 * TCP_INFO), into *acked, and the ms since an ACK last came, into *ago_ms:
 * the count grows while the peer's system takes what the kernel holds for
 * it, after sipc_stream_sent stopped telling (everything handed over). 0, or
 * a negative libuv code (UV_ENOTSUP where the kernel does not count it). One
 * system call: for a look now and then, not per write. */
int sipc_stream_acked_bytes(const sipc_stream *s, uint64_t *acked, uint32_t *ago_ms);
/* The value sipc_stream_acked_bytes reaches once the peer's TCP has
 * acknowledged every byte written so far: from then on, what it
 * acknowledges came after them. 0, UV_EAGAIN while bytes still wait for the
 * kernel, or a negative libuv code (UV_ENOTSUP as above). */
int sipc_stream_acked_all_at(const sipc_stream *s, uint64_t *at);
/* How much output is worth writing as soon as it is ready instead of at the
 * end of the loop iteration: a TLS stream's peer can decrypt one batch while
 * this side encrypts the next (64 KiB); a plaintext write costs less the
 * larger it is (256 KiB). */
size_t sipc_stream_early_write(const sipc_stream *s);
/* Corked (on), the stream may keep back the end of a write that would leave
 * as a short TCP segment of its own (under a quarter of the connection's
 * segment size, behind at least one whole segment): with TCP_NODELAY every
 * write goes at once, so an answer a little longer than whole segments cost
 * a second packet, with its transmit, loopback receive and ACK. What is
 * kept leaves at the head of the next write, or by sipc_stream_push(). Cork
 * only writes that another write or a push follows within the same loop
 * turn: the caller owns that promise. */
void sipc_stream_cork(sipc_stream *s, int on);
/* Bytes a corked write kept back (0 when none). */
size_t sipc_stream_kept(const sipc_stream *s);
/* Sends what corked writes kept back; 0 or a negative code as a write. */
int sipc_stream_push(sipc_stream *s);
/* Bytes of buffers the stream holds for writing (queued or spare). */
size_t sipc_stream_buffer_bytes(const sipc_stream *s);
/* Frees the stream's write buffer when nothing is queued in it, and a TLS
 * stream's buffer for split records while none is split (an idle connection
 * gives back what a large message made it grow); returns the bytes freed.
 * sipc_stream_trimmable says how many it would free now: what an owner
 * waits to trim must be what a trim can free, or it waits again at once. */
size_t sipc_stream_trim(sipc_stream *s);
size_t sipc_stream_trimmable(const sipc_stream *s);
/* Graceful: goodbye, flush, shut down (not needed once the peer has ended:
 * EOF or close_notify), close. Idempotent. */
void sipc_stream_close(sipc_stream *s);
/* Immediate: pending writes are dropped. */
void sipc_stream_abort(sipc_stream *s);
int sipc_stream_is_tls(const sipc_stream *s);
/* Stops or resumes reading (backpressure on a peer that does not read). */
void sipc_stream_pause(sipc_stream *s, int pause);
void sipc_stream_describe(const sipc_stream *s, sipc_stream_info *info);

void *sipc_stream_owner(const sipc_stream *s);
void sipc_stream_set_owner(sipc_stream *s, void *owner);
/* "ip:port" of the peer ("" before the socket is connected). */
const char *sipc_stream_peer(const sipc_stream *s);
/* 1 once any byte arrived from the peer (a permissive dialer falls back to
 * plaintext when a TLS attempt was closed without a byte). */
int sipc_stream_got_bytes(const sipc_stream *s);
/* uv_now() of the last read that brought bytes from the peer (0 before
 * any): proof that the peer sends even while they make no whole frame yet
 * (a TLS record still arriving). */
uint64_t sipc_stream_last_read(const sipc_stream *s);
/* uv_now() when a client stream's TCP connect completed (0 before, and
 * for an accepted stream): how long a peer has been silent is counted from
 * it, not from the dial, which includes resolving and connecting. */
uint64_t sipc_stream_connected_at(const sipc_stream *s);
/* Up to 4 of the first bytes the peer sent (those of its first read), into
 * out; returns how many (0 before any). What they were, when the stream
 * failed on them, is for the owner to say. */
size_t sipc_stream_first_bytes(const sipc_stream *s, uint8_t out[4]);
/* AES blocks a TLS stream's keys have encrypted so far, the direction that
 * used its key most (sipc_tls_key_blocks, which says what counts); 0 for
 * a plaintext stream, which has no keys to wear out. */
uint64_t sipc_stream_key_blocks(const sipc_stream *s);
/* 1 while a TLS handshake is in progress. */
int sipc_stream_in_tls_handshake(const sipc_stream *s);
/* 1 while a client stream's connect is pending (its error event then says
 * the connect failed: refused, timed out, unreachable). */
int sipc_stream_connecting(const sipc_stream *s);
/* 1 if this TLS client offered the session of an earlier connection and the
 * handshake failed: the session is forgotten, so redialing at once makes a
 * full handshake. */
int sipc_stream_tls_resume_failed(const sipc_stream *s);
/* 1 if this TLS stream's handshake failed only because the session offered
 * for resumption was refused (sipc_tls_resume_refused): not a TLS failure. */
int sipc_stream_tls_resume_refused(const sipc_stream *s);

#endif
