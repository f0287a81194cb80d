/* tls_ecdsa_own.h - verifying ECDSA P-256 signatures made with this node's
 * own key pair, in under half the usual time.
 *
 * Every node of a cluster holds the same key pair, so in a handshake between
 * two nodes each end verifies a signature (the ServerKeyExchange's, the
 * CertificateVerify's) made with the very key it holds itself. ECDSA
 * verification computes R = u1*G + u2*Q; with Q = d*G and d known, that is
 * (u1 + u2*d mod n)*G: one multiplication of the base point, from wolfCrypt's
 * precomputed table, instead of that plus a multiplication of the arbitrary
 * point Q (41 against 91 microseconds here). The verdict is the same by
 * construction: the same R, compared with r as wolfCrypt does (the tests
 * compare the two on good, tampered and edge-case signatures).
 *
 * u2*d involves the private key, and for a good signature u1 + u2*d is the
 * signer's nonce (which would give d away), so it is computed in constant
 * time (base/p256_scalar.c, which wipes its temporaries), the
 * multiplication of G is wolfCrypt's constant-time one (its signing's), and
 * the scalar is wiped after use. What is not constant: wolfCrypt's import
 * and range check of that scalar take a few nanoseconds longer when its top
 * 64 bits are zero or equal n's (a chance of about 2^-63 per signature);
 * s is inverted in variable time, but s is public. Its base multiplication
 * leaves copies of the scalar in its dead stack frames (its own signing wipes
 * its nonce, but nothing of ours reaches those frames): the verification
 * clears the stack below it afterwards (base/stack_wipe.c).
 *
 * The engine (tls_wolfssl.c) hands wolfSSL's ECDSA verifications of a
 * connection here through its public-key callback: the handshake's
 * signatures, and the signatures of the peer's certificates that wolfSSL
 * checks. A key that is not ours, a signature not in canonical DER or with r
 * or s out of range, is left to wolfCrypt, which then decides (and words its
 * errors) as it would without the callback. The same arithmetic checks each
 * signature this node makes before it leaves (tls_ecdsa_sign.h). No
 * certificate policy here. */
#ifndef SIPC_TRANSPORT_TLS_ECDSA_OWN_H
#define SIPC_TRANSPORT_TLS_ECDSA_OWN_H

#include <wolfssl/options.h>

#include <stddef.h>
#include <stdint.h>

/* 1 where wolfSSL lets a callback verify ECDSA in the handshake (PK
 * callbacks: the bundled build and Debian's libwolfssl), else 0: then
 * sipc_ecdsa_own_new makes nothing and wolfSSL verifies as usual. Not with
 * WOLFSSL_CHECK_SIG_FAULTS, which would hand the callback our own private
 * key to check our own signatures with. */
#if defined(HAVE_PK_CALLBACKS) && defined(HAVE_ECC) && !defined(NO_ECC256) && \
    !defined(WOLFSSL_SP_NO_256) && !defined(WOLFSSL_CHECK_SIG_FAULTS)
#define SIPC_TLS_ECDSA_OWN 1
#else
#define SIPC_TLS_ECDSA_OWN 0
#endif

typedef struct sipc_ecdsa_own sipc_ecdsa_own;

/* Keeps what verification with our own key needs from the node's private key
 * (DER, PKCS#8 or SEC 1, as the engine is given it). 0 with *out NULL when
 * the key is not a P-256 key (or this build has no use for it): nothing to
 * speed up. SIPC_ENOMEM. */
int sipc_ecdsa_own_new(sipc_ecdsa_own **out, const uint8_t *key_der, size_t len);

/* Wipes and frees. NULL is fine. */
void sipc_ecdsa_own_free(sipc_ecdsa_own *o);

/* Judges the DER signature sig over hash (a digest of 16 to 64 bytes; its
 * first 32 are used, as ECDSA does for P-256) for the public key whose
 * SubjectPublicKeyInfo (DER) is spki. 1 when it did: spki is our own key and
 * sig canonical DER with r and s in [1, n-1], with *valid 1 for a good
 * signature and 0 for any other. 0 when it did not (another key, o NULL, a
 * signature encoded some other way or out of range, a failure inside
 * wolfCrypt): verify it the usual way. */
int sipc_ecdsa_own_verify(const sipc_ecdsa_own *o, const uint8_t *spki, size_t spki_len,
                          const uint8_t *sig, size_t sig_len, const uint8_t *hash, size_t hash_len,
                          int *valid);

/* How deep below a signature's or a verification's caller the stack is
 * cleared (sipc_stack_wipe_depth): the copies of the nonce and the key that
 * wolfCrypt's signing and base multiplication leave lie 8-12 KiB down with
 * the bundled wolfSSL (less with Debian's), a third of this; the tests that
 * look for them on a whole thread stack fail if they ever lie deeper.
 * Clearing the 128 KiB a key's load needs took 2-3 % of a handshake. */
#define SIPC_ECDSA_WIPE_BYTES (32u << 10)

/* Checks a signature this side has just made with our own key (DER sig
 * over hash, as sipc_ecdsa_own_verify judges it): 1 when it is good, 0 for
 * anything else, including a signature it cannot judge (o NULL, another
 * encoding, a failure inside wolfCrypt). Not counted with the peers'
 * signatures. Leaves copies of the signer's nonce in dead stack frames
 * below: the caller clears the stack (SIPC_ECDSA_WIPE_BYTES) before returning. */
int sipc_ecdsa_own_check(const sipc_ecdsa_own *o, const uint8_t *sig, size_t sig_len,
                         const uint8_t *hash, size_t hash_len);

/* How many signatures this process has judged here (tests and benchmarks
 * check the path is taken). */
unsigned long sipc_ecdsa_own_count(void);

#endif
