/* tls_engine.h - the TLS engine behind a small interface (after nng's
 * tls_engine.h). The engine works on memory only: ciphertext arrives through
 * sipc_tls_input() and leaves by being appended to the connection's output
 * buffer; the stream above owns the socket. tls_wolfssl.c is the only
 * transport file that includes wolfSSL's TLS API (tls_record.c uses its
 * ciphers). */
#ifndef SIPC_TLS_ENGINE_H
#define SIPC_TLS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

typedef struct sipc_tls_config sipc_tls_config; /* per security: contexts */
typedef struct sipc_tls sipc_tls;               /* per connection */

/* Longest chain a peer may present and be judged on. */
/* The most certificates of a peer's chain: wolfSSL's MAX_CHAIN_DEPTH, past
 * which it reads no more (and says so, X509_V_ERR_CERT_CHAIN_TOO_LONG); the
 * tools' limit (SIPC_KP_MAX_CHAIN) is the same. */
#define SIPC_TLS_MAX_CHAIN 9

/* A DER blob the caller owns. */
typedef struct sipc_tls_der {
    const uint8_t *data;
    size_t len;
} sipc_tls_der;

/* Judges the chain a peer presented (leaf first, DER, the whole chain as
 * sent). peer_is_client says which role the peer plays (which extended key
 * usage it needs). Returns 0 to accept, and may set *until to the last
 * second (Unix time) the acceptance holds (the earliest expiry or CRL next
 * update it rests on): a session made in this handshake is not resumed
 * after it (left at 0: no bound beyond the ticket lifetime). Otherwise
 * writes one operator-readable line (what is wrong and the fix) into why,
 * and may set *alert to the alert the refusal is sent with. This function
 * is the authority on the certification path: it must build the path and
 * check every signature on it itself, because when it accepts, the engine
 * overrules the TLS library's own path errors (issuer not found, names,
 * unsupported critical extensions, name and path-length constraints,
 * signature by another key of that name). The TLS library still refuses a
 * peer for what lies outside the path (dates, key usage for the handshake,
 * key sizes, malformed certificates), and proves that the peer holds the
 * leaf's key. */
typedef int (*sipc_tls_verify_fn)(void *arg, const sipc_tls_der *chain, int n, int peer_is_client,
                                  int64_t *until, int *alert, char *why, size_t whylen);

/* The TLS alerts (RFC 5246 7.2) a verifier refusing a chain may set in
 * *alert, which starts at SIPC_TLS_REFUSE_BAD: the refused side reads the
 * cause from it (a revoked certificate, revocation status unknown, a date). */
enum {
    SIPC_TLS_REFUSE_BAD = 42,     /* bad_certificate: any other cause */
    SIPC_TLS_REFUSE_REVOKED = 44, /* certificate_revoked */
    SIPC_TLS_REFUSE_EXPIRED = 45, /* certificate_expired: expired or not yet valid */
    SIPC_TLS_REFUSE_UNKNOWN = 46  /* certificate_unknown: revocation status not established */
};

/* What a configuration is built from; the engine knows no certificate
 * policy. Everything is copied or consumed by sipc_tls_config_new() except
 * verify_arg, which must outlive the configuration. */
typedef struct sipc_tls_params {
    const sipc_tls_der *chain; /* this side's certificate, then its issuers */
    int nchain;
    sipc_tls_der key;          /* PKCS#8, SEC1 or PKCS#1 DER: chain[0]'s, which the
                                * caller has checked (sipc_keypair_check_match); the
                                * engine does not check it again */
    const sipc_tls_der *anchors; /* roots the TLS library may build paths to */
    int nanchors;
    const char *const *anchor_names; /* for messages, may be NULL */
    sipc_tls_verify_fn verify;       /* required */
    void *verify_arg;
    /* When every certificate of chain is valid (Unix time: the latest start
     * and the earliest end; both 0: not said): a peer's alert that one
     * expired is then told apart from a peer whose clock is off. The peer
     * checks every certificate sent, so the issuers' dates count too.
     * not_before_of, not_after_of: the issuer whose date bounds it, as
     * shown in messages ("CN=Sub CA"), NULL or "" when it is the leaf's. */
    int64_t not_before, not_after;
    const char *not_before_of, *not_after_of;
} sipc_tls_params;

/* Builds server and client contexts for TLS 1.2 with mutual authentication. */
int sipc_tls_config_new(sipc_tls_config **out, const sipc_tls_params *params, char *err,
                        size_t errlen);
void sipc_tls_config_free(sipc_tls_config *cfg);
/* Session resumption on (default where available) or off; before use.
 * Returns 1 if on, 0 if off or not built in (no session tickets). */
int sipc_tls_config_set_resumption(sipc_tls_config *cfg, int on);
/* Starts a new ticket key now, as happens by itself once the current one has
 * sealed for a ticket lifetime: tickets of the key before still resume until
 * they expire, those of older keys no longer. A no-op without tickets. */
void sipc_tls_config_rotate_tickets(sipc_tls_config *cfg);
/* Wipes what can no longer be used at now (uv_hrtime() nanoseconds): the
 * ticket keys that can no longer open a ticket (a key seals for one ticket
 * lifetime after it is made and opens until a lifetime after the last
 * ticket it sealed) and the client's sessions older than a lifetime or past
 * the date the verdict on their server rested on (their master secrets
 * wiped). Seals, opens and offers do this too, but a quiet node does none
 * of them: the owner calls this periodically, at the latest at the time it
 * returns (same clock; at most a lifetime away, as nothing made later dies
 * sooner; UINT64_MAX without tickets, with resumption off or with cfg
 * NULL). *wiped, if not NULL, gets how many keys and sessions went.
 * Thread-safe. */
uint64_t sipc_tls_config_expire(sipc_tls_config *cfg, uint64_t now, int *wiped);
/* Wipes every ticket key and client session of cfg now (NULL is fine): for
 * a configuration that new connections no longer use, while old ones keep
 * it alive. A later seal makes a new key; nothing made before resumes.
 * Thread-safe. Also wipes an ECDHE key made ahead. */
void sipc_tls_config_forget(sipc_tls_config *cfg);

/* How many handshakes took an ECDHE key made ahead (sipc_tls_after_output). */
unsigned long sipc_tls_config_spares_used(const sipc_tls_config *cfg);

/* Application data after the handshake through sipc's own record layer
 * (tls_record.h: one pass over each byte, no copies around the cipher; the
 * default where the wolfSSL build exports its keys) or through wolfSSL's
 * (off). Before use. Returns 1 if the record layer will be used. */
int sipc_tls_config_set_direct(sipc_tls_config *cfg, int on);

/* Plaintext delivered by sipc_tls_input(); return non-zero to stop. */
typedef int (*sipc_tls_data_fn)(void *arg, const uint8_t *data, size_t len);

/* tx is where ciphertext for the peer is appended; it must outlive t. */
int sipc_tls_new(sipc_tls **out, sipc_tls_config *cfg, int is_server, sipc_buf *tx);
void sipc_tls_free(sipc_tls *t);
/* Client: names the peer (its "ip:port") before sipc_tls_start(): the
 * configuration keeps the session of the last full handshake with each peer
 * and offers it, so a reconnection resumes (TLS 1.2 session ticket) instead
 * of repeating the certificate work. A no-op in builds without tickets. */
void sipc_tls_set_peer_key(sipc_tls *t, const char *key);
/* Either role: the peer's "ip:port", named in a failure's detail when it
 * helps (the peer's clock to check). */
void sipc_tls_set_peer_name(sipc_tls *t, const char *name);
/* Client: writes the ClientHello to tx. Server: nothing to do. */
int sipc_tls_start(sipc_tls *t);
/* 1 once the handshake resumed an earlier session (the peer's certificate
 * was judged in the full handshake that made it, under this same
 * configuration: a new pair or trust means new ticket keys and new
 * sessions). */
int sipc_tls_resumed(const sipc_tls *t);
/* 1 if this client offered a session and the handshake failed: the session
 * is forgotten, and a new connection to the peer makes a full handshake. */
int sipc_tls_resume_failed(const sipc_tls *t);
/* 1 if the handshake failed only because the session offered for resumption
 * was refused: a client whose offered session the server no longer knew
 * (wolfSSL 5.5.4 clients cannot fall back by themselves), or a server whose
 * refusal of a client's ticket made that client give up. The peer restarted
 * or reloaded; the client redials with a full handshake. */
int sipc_tls_resume_refused(const sipc_tls *t);
/* Feeds ciphertext from the socket: advances the handshake, then decrypts
 * every complete record and hands the plaintext to fn. Returns 0, the
 * callback's result, or a negative sipc error (see sipc_tls_detail()). */
int sipc_tls_input(sipc_tls *t, const uint8_t *data, size_t len, sipc_tls_data_fn fn, void *arg);
int sipc_tls_handshake_done(const sipc_tls *t);
/* Work that waits until the output of the last sipc_tls_start() or
 * sipc_tls_input() has been handed to the socket: a full handshake that
 * made or took a P-256 ECDHE key makes the configuration's next one, so
 * that the next full handshake does not make it while its peer waits.
 * Cheap when there is nothing to do. */
void sipc_tls_after_output(sipc_tls *t);
/* 1 once application data may be written: after the handshake, and for a
 * server resuming a session through sipc's record layer as soon as its
 * Finished is out, before the client's has arrived (the first flight of an
 * abbreviated handshake carries the server's first data, as TLS 1.3 servers
 * send 0.5-RTT data; only a holder of the session's master secret can read
 * it). A client's Finished that then fails to verify still fails the
 * handshake. */
int sipc_tls_writable(const sipc_tls *t);
/* Optional: asked before each decrypt where the plaintext should go; a
 * non-zero count makes the engine decrypt into *p (at most that many bytes)
 * and hand exactly that pointer to the data callback. Saves a copy of large
 * frames. */
typedef size_t (*sipc_tls_window_fn)(void *arg, uint8_t **p);
void sipc_tls_set_window(sipc_tls *t, sipc_tls_window_fn fn, void *arg);
/* Encrypts plaintext into tx. Only once sipc_tls_writable(). */
int sipc_tls_write(sipc_tls *t, const uint8_t *data, size_t len);
/* 1 if this connection's application data goes through sipc's record
 * layer (see sipc_tls_config_set_direct()). */
int sipc_tls_direct(const sipc_tls *t);
/* AES blocks a full-size record (2^14 bytes) costs its key: 1,024 of
 * plaintext and the one that makes its tag. */
#define SIPC_TLS_RECORD_BLOCKS 1025
/* AES blocks the session's AES-GCM keys have encrypted so far, in the
 * direction that used its key most (sealed or opened: each direction has its
 * own key; the Finished messages count), whichever record layer carries
 * them; 0 before the handshake is done. draft-irtf-cfrg-aead-limits bounds
 * AES-GCM's confidentiality advantage by (s + q + 1)^2 / 2^129 for s blocks
 * of plaintext in q messages, so a record of n bytes counts ceil(n/16) + 1
 * (its tag's counter block; the additional data goes through GHASH only),
 * and one whose size sipc's record layer did not see (wolfSSL's records)
 * counts as full-size. 0 for ChaCha20-Poly1305: its sequence number wraps
 * before its limit is reached (RFC 8446 5.5). TLS 1.2 has no key update: the
 * owner that wants new keys makes a new connection. Every record counted
 * carried at least one byte of application data, but for at most 32 empty
 * ones in a row (more end the session) and a HelloRequest and its answer:
 * at most 33 full-size records' worth per byte. */
uint64_t sipc_tls_key_blocks(const sipc_tls *t);
/* Bytes held for a record split across reads, what sipc_tls_trim would
 * give back now, and giving that buffer back while no record is split (an
 * idle connection); returns the bytes freed. */
size_t sipc_tls_buffered(const sipc_tls *t);
size_t sipc_tls_trimmable(const sipc_tls *t);
size_t sipc_tls_trim(sipc_tls *t);
/* Appends close_notify to tx. */
void sipc_tls_close_notify(sipc_tls *t);
/* 1 if the peer sent close_notify. */
int sipc_tls_peer_closed(const sipc_tls *t);
/* Why the last call failed, in an operator's words (verification reason,
 * alert received, ...). "" if nothing to add. */
const char *sipc_tls_detail(const sipc_tls *t);
/* Version and cipher of an established session ("" before), and the hex
 * SHA-256 of the peer's leaf certificate once presented. */
void sipc_tls_describe(const sipc_tls *t, char *version, size_t vlen, char *cipher, size_t clen,
                       char *peer_fp, size_t fplen);
/* A TLS alert record (unexpected_message, fatal) for a peer that spoke
 * plaintext to a TLS-only port: gives a plaintext client a recognisable answer. */
void sipc_tls_plaintext_alert(sipc_buf *tx);
/* The TLS 1.2 suites sipc offers and accepts, in preference order
 * (OpenSSL names, ':'-separated): ECDHE with AEAD only. */
const char *sipc_tls_cipher_list(void);
/* "wolfSSL 5.5.4" plus the build's notable features ("sipc-records": sipc's
 * own record layer can take application data over after the handshake;
 * "sha256-dev": SHA-256 runs on the CPU's SHA extensions where it has them,
 * which the CPU list of `--version` shows as "sha"; "ecdsa-own": our own
 * key's signatures are verified with it; "ecdhe-ahead": the next full
 * handshake's P-256 ECDHE key is made ahead, see sipc_tls_after_output()). */
const char *sipc_tls_engine_version(void);

#endif
