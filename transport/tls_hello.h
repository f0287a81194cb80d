/* tls_hello.h - what a TLS ClientHello offers, read from its first bytes
 * (unauthenticated input, before the TLS library reads it): a server refuses
 * one that offers no group it accepts, no signature algorithm its key can
 * sign with, or no group on its ECDSA key's curve, with an alert that says so, and a failed handshake is explained
 * in an operator's words ("the peer offers only TLS 1.3") where the TLS
 * library only says "no cipher suite in common". wolfSSL 5.5.4 exposes
 * nothing of a ClientHello it refused. */
#ifndef SIPC_TRANSPORT_TLS_HELLO_H
#define SIPC_TRANSPORT_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

typedef struct sipc_tls_hello_info {
    int offers_tls12;    /* TLS 1.2 among the versions offered */
    int max_minor;       /* highest version offered: 0 = SSL 3.0, 3 = TLS 1.2, 4 = TLS 1.3;
                            -1: none of them (a major version other than 3) */
    int has_groups;      /* a supported_groups extension was present */
    int offers_p256;     /* secp256r1 among the groups */
    int offers_p384;     /* secp384r1 among the groups */
    int suites_ecdsa;    /* one of sipc's ECDHE-ECDSA suites among the cipher suites */
    int suites_rsa;      /* one of sipc's ECDHE-RSA suites among them */
    int has_sigalgs;     /* a signature_algorithms extension was present */
    int sigalg_ecdsa;    /* ECDSA with SHA-256, SHA-384 or SHA-512 among them */
    int sigalg_rsa;      /* RSA (PKCS#1 v1.5, or PSS with an rsaEncryption key) with one of those */
    int offers_ticket;   /* a session ticket to resume with (a non-empty SessionTicket extension) */
    int asks_max_fragment; /* a max_fragment_length extension (RFC 6066): smaller records,
                              refused where the TLS library would grant them */
    /* The two lists' code points where they lie in the parsed data (2 bytes
     * each), for the names below: naming costs far more than reading, and
     * only a refused or failed handshake needs the names. */
    const uint8_t *groups_at;
    size_t groups_len;
    const uint8_t *sigalgs_at;
    size_t sigalgs_len;
} sipc_tls_hello_info;

/* Reads the ClientHello at the start of data (TLS records as received).
 * Returns 0 and fills info when a whole ClientHello was found, SIPC_EPROTO
 * when data is not one or is cut short. Never reads outside data; info
 * points into data, which must outlive it. */
int sipc_tls_hello_parse(const uint8_t *data, size_t len, sipc_tls_hello_info *info);

/* This node's key, as a ClientHello is matched against it. */
enum { SIPC_TLS_KEY_ECDSA = 1, SIPC_TLS_KEY_RSA = 2 };
typedef struct sipc_tls_hello_key {
    int alg;          /* SIPC_TLS_KEY_ECDSA, SIPC_TLS_KEY_RSA; 0 unknown */
    int bytes;        /* ECDSA: the curve's size (32 P-256, 48 P-384); 0 otherwise */
    const char *desc; /* "ECDSA P-256", "RSA 2048" */
} sipc_tls_hello_key;

/* 1 if the ClientHello offers signature algorithms and none key can sign
 * its key exchange with (no extension: TLS 1.2's default, which wolfSSL
 * 5.5.4 serves with SHA-256). */
int sipc_tls_hello_sigalgs_unusable(const sipc_tls_hello_info *info, const sipc_tls_hello_key *key);

/* 1 if its supported groups leave out the curve of key, an ECDSA key. */
int sipc_tls_hello_curve_unlisted(const sipc_tls_hello_info *info, const sipc_tls_hello_key *key);

/* Why no handshake with key can follow the ClientHello info, in an
 * operator's words, into out (len bytes): no TLS 1.2 offered, no group sipc
 * accepts, and, when match says the failure is the ClientHello's match (it
 * was refused before the TLS library read it, or the library found no
 * suite), no group on the key's curve, no signature algorithm or no suite
 * for the key. Returns 1 when written, 0 (out untouched) when the
 * ClientHello shows none of these. */
int sipc_tls_hello_explain(const sipc_tls_hello_info *info, const sipc_tls_hello_key *key, int match,
                           char *out, size_t len);

/* The groups (P-256, X25519, "group N", ...) or the signature algorithms
 * (by their RFC 8446 names, else "0x...") the ClientHello offered, each
 * once, ", "-separated, into buf of cap bytes ("" when none); a list too
 * long for buf ends with "...". */
void sipc_tls_hello_group_names(const sipc_tls_hello_info *info, char *buf, size_t cap);
void sipc_tls_hello_sigalg_names(const sipc_tls_hello_info *info, char *buf, size_t cap);

#endif
