/* tls_record.h - TLS 1.2 record protection for application data once the
 * handshake is done (RFC 5246 section 6.2, AES-GCM per RFC 5288,
 * ChaCha20-Poly1305 per RFC 7905). The TLS library makes the handshake; the
 * engine then hands the negotiated keys and sequence numbers over to this
 * record layer, which seals plaintext straight into the socket's output
 * buffer and opens records straight from the socket's read buffer into where
 * the plaintext belongs: one pass over each byte instead of three copies
 * around the cipher (docs/architecture.md, "TLS record layer"). Private to
 * transport/. */
#ifndef SIPC_TLS_RECORD_H
#define SIPC_TLS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

enum { SIPC_REC_AES_GCM = 1, SIPC_REC_CHACHA20_POLY1305 = 2 };

/* TLS content types and the alerts this layer reports. */
enum { SIPC_REC_CCS = 20, SIPC_REC_ALERT = 21, SIPC_REC_HANDSHAKE = 22, SIPC_REC_DATA = 23 };
enum {
    SIPC_ALERT_CLOSE_NOTIFY = 0,
    SIPC_ALERT_UNEXPECTED_MESSAGE = 10,
    SIPC_ALERT_BAD_RECORD_MAC = 20,
    SIPC_ALERT_RECORD_OVERFLOW = 22,
    SIPC_ALERT_DECODE_ERROR = 50,
    SIPC_ALERT_INTERNAL_ERROR = 80,
    SIPC_ALERT_NO_RENEGOTIATION = 100,
};

/* Largest plaintext of one record, and of a record as it travels (RFC 5246
 * 6.2.3: at most 2^14 + 2048 bytes of ciphertext after the header). */
#define SIPC_REC_MAX_PLAIN 16384
#define SIPC_REC_HEADER 5
#define SIPC_REC_MAX_BODY (16384 + 2048)

/* What the handshake negotiated, from this side's point of view. */
typedef struct sipc_rec_keys {
    int aead;                 /* SIPC_REC_AES_GCM or SIPC_REC_CHACHA20_POLY1305 */
    const uint8_t *write_key; /* 16 or 32 bytes (AES), 32 (ChaCha20) */
    const uint8_t *read_key;
    size_t key_len;
    const uint8_t *write_iv;  /* 4-byte salt (AES-GCM) or 12-byte IV (ChaCha20) */
    const uint8_t *read_iv;
    size_t iv_len;
    uint64_t write_seq;       /* sequence number of the next record sent */
    uint64_t read_seq;        /* ... and of the next record received */
    uint64_t write_nonce;     /* AES-GCM: explicit nonce of the next record sent
                                 (then one more per record, modulo 2^64) */
    int wolfcrypt_gcm;        /* AES-GCM: wolfCrypt's even where the CPU can run
                                 base/aes_gcm.c's (the default there); tests */
    sipc_buf *hello_request_reply; /* a client's output: sipc_rec_open answers
                                 the server's first HelloRequest there with a
                                 warning no_renegotiation and goes on. NULL
                                 (a server's): a HelloRequest ends the session
                                 as any other handshake message does */
} sipc_rec_keys;

typedef struct sipc_tls_rec sipc_tls_rec;

/* Copies the keys (the caller may wipe its copy). 0, SIPC_EINVAL for sizes
 * that do not fit the AEAD, SIPC_ENOMEM, or SIPC_ETLS. */
int sipc_rec_new(sipc_tls_rec **out, const sipc_rec_keys *keys);
/* Wipes the keys and frees r (NULL is fine). */
void sipc_rec_free(sipc_tls_rec *r);

/* Seals len bytes of the given content type into as many records as needed
 * (one empty record for len 0), appended to out. 0, SIPC_ENOMEM, or SIPC_ETLS (cipher failure, or the
 * sequence number would wrap). */
int sipc_rec_seal(sipc_tls_rec *r, uint8_t type, const uint8_t *p, size_t len, sipc_buf *out);

/* Where the plaintext of the next application-data record of n bytes should
 * go: a pointer to at least n writable bytes, or NULL for the record layer's
 * own scratch. Asked only for records of SIPC_REC_DEST_MIN bytes or more:
 * a shorter one is opened into the scratch, and its owner copies the few
 * bytes where they belong for less than the question costs (the callbacks
 * behind it ran for every record at one small request in flight). */
#define SIPC_REC_DEST_MIN 512

typedef uint8_t *(*sipc_rec_dest_fn)(void *arg, size_t n);
/* Application data, in order; p is what dest returned (or scratch). Return
 * non-zero to stop: sipc_rec_open returns that value. */
typedef int (*sipc_rec_data_fn)(void *arg, uint8_t *p, size_t n);

/* Opens every complete record in data (a record split across calls is kept
 * until its rest arrives) and hands application data to fn; the plaintext
 * of a record opened into the scratch is wiped once fn returns. Returns 0,
 * the callback's result, SIPC_ECLOSED after the peer's close_notify (the
 * bytes after it are ignored), SIPC_ENOMEM, or SIPC_ETLS with *alert set to
 * the alert this side should send (bad_record_mac, record_overflow,
 * decode_error for an alert of no defined level, ...), or to the peer's own
 * alert description with *peer_alert = 1: any alert but close_notify, a
 * warning too, ends the session. */
int sipc_rec_open(sipc_tls_rec *r, const uint8_t *data, size_t len, sipc_rec_dest_fn dest,
                  sipc_rec_data_fn fn, void *arg, int *alert, int *peer_alert);

/* 1 after a fatal error in either direction (a fatal alert sealed or
 * received, a record that did not open): sipc_rec_open refuses everything
 * after it and sipc_rec_seal everything but an alert. */
int sipc_rec_failed(const sipc_tls_rec *r);

/* AES blocks the AES-GCM keys have encrypted so far, the larger of the two
 * directions (each has its key): ceil(n/16) + 1 per record of n bytes, and
 * a full-size record's (SIPC_TLS_RECORD_BLOCKS) for each the keys protected
 * before they were handed over (the Finished); 0 for ChaCha20-Poly1305
 * (sipc_tls_key_blocks says why). */
uint64_t sipc_rec_key_blocks(const sipc_tls_rec *r);

/* Bytes held for a record split across reads (for accounting), what
 * sipc_rec_trim would give back now (none while a record is split), and
 * giving that buffer back when no partial record is held. */
size_t sipc_rec_buffered(const sipc_tls_rec *r);
size_t sipc_rec_trimmable(const sipc_tls_rec *r);
size_t sipc_rec_trim(sipc_tls_rec *r);

/* Watches records go by (in the handshake's direction of choice) to find
 * where each ends and, once a ChangeCipherSpec has passed, the explicit
 * nonce of the last encrypted record: what the engine needs to hand a
 * connection over at a record boundary. */
typedef struct sipc_rec_scan {
    uint8_t hdr[SIPC_REC_HEADER];
    size_t hdr_have;
    size_t body_left;   /* bytes of the current record's body still to come */
    size_t body_seen;   /* ... already seen */
    int after_ccs;      /* a ChangeCipherSpec record has passed */
    int nonce_ok;       /* nonce holds a complete explicit nonce */
    uint8_t nonce[8];   /* explicit nonce of the last encrypted record */
    int bad;            /* the stream did not parse as records */
} sipc_rec_scan;

/* How many of the n bytes at p may pass without crossing the end of the
 * current record (at most the rest of the header or of the body). */
size_t sipc_rec_scan_limit(const sipc_rec_scan *s, size_t n);
/* Records that n bytes passed. */
void sipc_rec_scan_feed(sipc_rec_scan *s, const uint8_t *p, size_t n);
/* 1 when the bytes seen so far end exactly at a record boundary. */
int sipc_rec_scan_at_boundary(const sipc_rec_scan *s);
/* The explicit nonce that follows the last one seen (valid if nonce_ok). */
uint64_t sipc_rec_scan_next_nonce(const sipc_rec_scan *s);

#endif
