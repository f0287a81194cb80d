/* tls_ecdsa_sign.h - the handshake's ECDSA signatures with the node's own
 * P-256 key: the nonce by RFC 6979 from the key and the hash, not from the
 * random generator, and every signature checked before it leaves.
 *
 * Every node of a cluster holds the same key pair. With a random nonce k,
 * two signatures made with one k give the private key away (two equations
 * s = (e + r*d)/k in two unknowns), and so does a k drawn from a generator
 * whose state repeated: a virtual machine's snapshot restored twice, or
 * cloned, before the generator was reseeded signs with the nonces of the
 * other copy. RFC 6979 derives k from d and the hash by HMAC-DRBG, so a
 * repeated k means a repeated hash and the very same signature, which
 * tells nothing. It also stays hedged in practice: what a TLS 1.2 handshake
 * signs (the ServerKeyExchange's randoms and ECDHE key, the
 * CertificateVerify's transcript) holds this side's fresh random bytes.
 *
 * A deterministic nonce has a weakness of its own: a fault (a glitch, a
 * flipped bit) in one of two signatures of the same hash gives d away as a
 * repeated nonce would. So every signature is verified with our own key
 * before wolfSSL sends it (tls_ecdsa_own.h: one base multiplication) and a
 * bad one fails the handshake instead of leaving. That catches the faults
 * that make a signature invalid (in the multiplication, in s); a fault in k
 * itself once derived still gives a valid signature, which no check can
 * tell. Fresh randomness mixed into the nonce (a hedged one) would cover
 * that case and the cloned machine both, but wolfCrypt 5.5.4's RFC 6979
 * takes no such input.
 *
 * wolfSSL's TLS code never asks wolfCrypt for deterministic nonces; its
 * public-key callback for ECDSA signing (wolfSSL_CTX_SetEccSignCb) does the
 * signing here instead, with the key DER wolfSSL holds. No certificate
 * policy here. */
#ifndef SIPC_TRANSPORT_TLS_ECDSA_SIGN_H
#define SIPC_TRANSPORT_TLS_ECDSA_SIGN_H

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/random.h>

#include <stddef.h>
#include <stdint.h>

#include "transport/tls_ecdsa_own.h"

/* 1 where the node's P-256 signatures take RFC 6979 nonces: wolfCrypt has
 * them (WOLFSSL_ECDSA_DETERMINISTIC_K in the bundled build, its _VARIANT in
 * Debian's libwolfssl 5.5.4, which feeds HMAC-DRBG the hash not reduced mod
 * n first: a different k only for the 1 in 2^32 hashes above n, as
 * deterministic and as secret), and the check of tls_ecdsa_own.h exists.
 * Else 0: wolfSSL signs with a random nonce, as without sipc. */
#if SIPC_TLS_ECDSA_OWN &&                                                                   \
    (defined(WOLFSSL_ECDSA_DETERMINISTIC_K) || defined(WOLFSSL_ECDSA_DETERMINISTIC_K_VARIANT))
#define SIPC_TLS_ECDSA_DETERMINISTIC 1
#else
#define SIPC_TLS_ECDSA_DETERMINISTIC 0
#endif

/* What the signing callback gives wolfSSL when the check refused a
 * signature: a code of no wolfSSL error (theirs lie above -1000), so that
 * the handshake's failure names the refusal (tls_failure_text.c), not an
 * invalid key, which would send the operator to re-import a sound pair. */
#define SIPC_ECDSA_SELF_CHECK_E (-9001)

/* The word sipc_tls_engine_version() names for the nonces of the node's
 * P-256 signatures in this build (docs/architecture.md section 4). */
#if !SIPC_TLS_ECDSA_DETERMINISTIC
#define SIPC_TLS_ECDSA_NONCE_WORD " ecdsa-random-nonce"
#elif defined(WOLFSSL_ECDSA_DETERMINISTIC_K_VARIANT)
#define SIPC_TLS_ECDSA_NONCE_WORD " ecdsa-rfc6979-variant"
#else
#define SIPC_TLS_ECDSA_NONCE_WORD " ecdsa-rfc6979"
#endif

/* Signs hash (a digest of any length up to 64 bytes: ECDSA on P-256 uses
 * its leftmost 256 bits as a number) with the P-256 private key key_der
 * (PKCS#8 or SEC 1 DER), the nonce by RFC 6979 with HMAC-SHA-256, and
 * checks the signature with own (the same key's, sipc_ecdsa_own_new) before
 * giving it. rng serves only wolfCrypt's blinding and the retry RFC 6979
 * leaves to chance (s = 0, never seen). The DER signature goes into sig,
 * whose room *sig_len gives and which it sets to the length. The decoded key
 * is wiped, and the stack below cleared (stack_wipe.h). 0; SIPC_ENOTSUP in a
 * build without deterministic nonces; SIPC_EINVAL for a key that is not
 * P-256, a hash of no or too many bytes, a NULL own, too little room;
 * SIPC_ETLSCONFIG when wolfCrypt cannot use the key (its own failure);
 * SIPC_ETLS when the check refuses the signature (a fault in the signing:
 * then nothing is in sig). */
int sipc_ecdsa_sign_node(const uint8_t *key_der, size_t key_len, const uint8_t *hash,
                         size_t hash_len, WC_RNG *rng, const sipc_ecdsa_own *own, uint8_t *sig,
                         size_t *sig_len);

/* Makes wolfSSL sign the handshakes of ctx this way (its ECDSA signing
 * callback, with own for the check) where the build has deterministic
 * nonces; else nothing: wolfSSL signs as it would. own must outlive ctx and
 * be the key ctx signs with. */
void sipc_ecdsa_sign_attach(WOLFSSL_CTX *ctx, const sipc_ecdsa_own *own);

/* How many handshake signatures this process has made here (tests check
 * the path is taken). */
unsigned long sipc_ecdsa_sign_count(void);

#endif
