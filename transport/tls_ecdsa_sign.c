/* tls_ecdsa_sign.c - the node's P-256 handshake signatures with RFC 6979
 * nonces, each checked with our own key before it leaves (see
 * tls_ecdsa_sign.h). Only wolfCrypt's public API: its RFC 6979
 * (wc_ecc_set_deterministic) and signing, and tls_ecdsa_own.c's check. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>

#include "transport/tls_ecdsa_sign.h"

#include <sipc/errno.h>
#include <string.h>

#include "base/stack_wipe.h"

#if SIPC_TLS_ECDSA_DETERMINISTIC

/* A P-256 key in PKCS#8 DER with its public key takes 138 bytes. */
#define KEY_DER_MAX 512

static unsigned long signed_here;

/* wolfCrypt 5.5.4 puts the RFC 6979 nonce in a block of its own
 * (key->sign_k). Its generic signing (Debian's libwolfssl) wipes and frees
 * it once used; its SP signing (the bundled build) only zeroes its lowest
 * word, and wc_ecc_free frees it only in builds with WOLFSSL_ECDSA_SET_K: a
 * heap block per signature, never freed, holding 192 of the nonce's 256
 * bits: a few such signatures with their r, s and hashes give d away (a
 * hidden-number lattice). Whatever is left of it is wiped and freed here,
 * as wolfCrypt allocated it. */
static void nonce_drop(ecc_key *key)
{
#ifndef WOLFSSL_NO_MALLOC
    if (key->sign_k) {
        explicit_bzero(key->sign_k, sizeof *key->sign_k);
        XFREE(key->sign_k, key->heap, DYNAMIC_TYPE_ECC);
        key->sign_k = NULL;
    }
#else
    explicit_bzero(key->sign_k, sizeof key->sign_k);
#endif
}

int sipc_ecdsa_sign_node(const uint8_t *key_der, size_t key_len, const uint8_t *hash,
                         size_t hash_len, WC_RNG *rng, const sipc_ecdsa_own *own, uint8_t *sig,
                         size_t *sig_len)
{
    if (!own || !rng || key_len == 0 || key_len > KEY_DER_MAX || hash_len == 0 ||
        hash_len > WC_MAX_DIGEST_SIZE || *sig_len < (size_t)wc_ecc_sig_size_calc(32) ||
        *sig_len > UINT32_MAX)
        return SIPC_EINVAL;
    /* ECDSA on P-256 signs the hash's leftmost 256 bits as a number, so a
     * longer hash cut there, or a shorter one with zeros put before it, is
     * signed exactly as the hash itself (the same e, the same signature,
     * which the peer verifies against the whole hash); wolfCrypt 5.5.4's
     * RFC 6979 takes 32 bytes and nothing else (SHA-384 and SHA-512 are
     * offered in TLS 1.2's signature algorithms). */
    uint8_t e[32] = {0};
    if (hash_len >= sizeof e)
        memcpy(e, hash, sizeof e);
    else
        memcpy(e + sizeof e - hash_len, hash, hash_len);
    /* wc_GetPkcs8TraditionalOffset takes a non-const buffer */
    uint8_t der[KEY_DER_MAX];
    memcpy(der, key_der, key_len);
    ecc_key key;
    word32 idx = 0, out_len = (word32)*sig_len;
    int rc = SIPC_ETLSCONFIG;
    if (wc_ecc_init(&key) == 0) {
        if (wc_GetPkcs8TraditionalOffset(der, &idx, (word32)key_len) < 0)
            idx = 0; /* not PKCS#8: SEC 1 itself */
        if (wc_EccPrivateKeyDecode(der, &idx, &key, (word32)key_len) != 0 ||
            wc_ecc_get_curve_id(key.idx) != ECC_SECP256R1)
            rc = SIPC_EINVAL;
        else if (wc_ecc_set_deterministic(&key, 1) == 0 &&
                 wc_ecc_sign_hash(e, sizeof e, sig, &out_len, rng, &key) == 0)
            /* a fault in the signing, which with a nonce that repeats for
             * a repeated hash gives d away, stops here */
            rc = sipc_ecdsa_own_check(own, sig, out_len, e, sizeof e) ? 0 : SIPC_ETLS;
        nonce_drop(&key);
        wc_ecc_free(&key); /* zeroes the key's scalar */
    }
    explicit_bzero(der, sizeof der);
    /* Dead frames below hold what gives d away: wolfCrypt's copies of the
     * key from its decoding, its HMAC-DRBG's last V (the nonce itself:
     * wc_ecc_gen_deterministic_k wipes only its copy of d), and the check's
     * nonce (tls_ecdsa_own.h). */
    sipc_stack_wipe_depth(SIPC_ECDSA_WIPE_BYTES);
    if (rc != 0) {
        memset(sig, 0, *sig_len);
        return rc;
    }
    *sig_len = out_len;
    __atomic_fetch_add(&signed_here, 1, __ATOMIC_RELAXED);
    return 0;
}

/* wolfSSL's ECDSA signing of a handshake (the server's ServerKeyExchange,
 * the client's CertificateVerify): key_der is the key wolfSSL holds, the one
 * own was made from (sipc_tls_config_new gives both the same DER). */
static int ecc_sign_cb(WOLFSSL *ssl, const unsigned char *in, unsigned int in_len,
                       unsigned char *out, word32 *out_len, const unsigned char *key_der,
                       unsigned int key_len, void *arg)
{
    size_t n = *out_len;
    int rc = sipc_ecdsa_sign_node(key_der, key_len, in, in_len, wolfSSL_GetRNG(ssl), arg, out, &n);
    if (rc == SIPC_ETLS)
        return SIPC_ECDSA_SELF_CHECK_E;
    if (rc != 0)
        return rc == SIPC_EINVAL ? BAD_FUNC_ARG : ECC_PRIV_KEY_E; /* wolfCrypt's words */
    *out_len = (word32)n;
    return 0;
}

void sipc_ecdsa_sign_attach(WOLFSSL_CTX *ctx, const sipc_ecdsa_own *own)
{
    if (!own)
        return;
    wolfSSL_CTX_SetEccSignCb(ctx, ecc_sign_cb);
    wolfSSL_CTX_SetEccSignCtx(ctx, (void *)own);
}

unsigned long sipc_ecdsa_sign_count(void)
{
    return __atomic_load_n(&signed_here, __ATOMIC_RELAXED);
}

#else /* wolfSSL signs with a random nonce, as without sipc */

int sipc_ecdsa_sign_node(const uint8_t *key_der, size_t key_len, const uint8_t *hash,
                         size_t hash_len, WC_RNG *rng, const sipc_ecdsa_own *own, uint8_t *sig,
                         size_t *sig_len)
{
    (void)key_der, (void)key_len, (void)hash, (void)hash_len, (void)rng, (void)own;
    (void)sig, (void)sig_len;
    return SIPC_ENOTSUP;
}

void sipc_ecdsa_sign_attach(WOLFSSL_CTX *ctx, const sipc_ecdsa_own *own)
{
    (void)ctx, (void)own;
}

unsigned long sipc_ecdsa_sign_count(void)
{
    return 0;
}

#endif
