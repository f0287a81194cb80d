/* tls_ecdsa_own.c - ECDSA P-256 verification with our own private key (see
 * tls_ecdsa_own.h): R = (e/s + (r/s)*d mod n) * G, valid when R's x mod n is
 * r (SEC 1 v2, 4.1.4). Only wolfCrypt's public API and base/p256_scalar.c. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/hash.h>

#include "transport/tls_ecdsa_own.h"

#include <sipc/errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/p256_scalar.h"
#include "base/stack_wipe.h"

#if SIPC_TLS_ECDSA_OWN

/* SubjectPublicKeyInfo of a P-256 key: 91 bytes uncompressed */
#define SPKI_MAX 128
/* an ECDSA P-256 signature in DER: at most 72 bytes */
#define SIG_MAX 80

struct sipc_ecdsa_own {
    sipc_p256n dm; /* the private key d, times 2^256 mod n (Montgomery form) */
    uint8_t spki[SPKI_MAX];
    size_t spki_len;
};

static unsigned long judged;

/* the verdict, counted */
static int judge(int *valid, int v)
{
    *valid = v;
    __atomic_fetch_add(&judged, 1, __ATOMIC_RELAXED);
    return 1;
}

/* k*G, uncompressed (04 || X || Y), from wolfCrypt's constant-time base
 * multiplication; the key object holding k is wiped. 0 or -1. */
static int base_mul(const uint8_t k[32], uint8_t pt[65])
{
    ecc_key tmp;
    ecc_point *R = wc_ecc_new_point();
    word32 ptlen = 65;
    int ok = R && wc_ecc_init(&tmp) == 0;
    if (ok) {
        ok = wc_ecc_import_private_key_ex(k, 32, NULL, 0, &tmp, ECC_SECP256R1) == 0 &&
             wc_ecc_make_pub_ex(&tmp, R, NULL) == 0 &&
             wc_ecc_export_point_der(tmp.idx, R, pt, &ptlen) == 0 && ptlen == 65;
        wc_ecc_free(&tmp);
    }
    wc_ecc_del_point(R);
    return ok ? 0 : -1;
}

int sipc_ecdsa_own_new(sipc_ecdsa_own **out, const uint8_t *key_der, size_t len)
{
    *out = NULL;
    if (len == 0 || len > 4096)
        return 0;
    /* wc_GetPkcs8TraditionalOffset takes a non-const buffer */
    uint8_t *der = malloc(len);
    sipc_ecdsa_own *o = calloc(1, sizeof *o);
    if (!der || !o) {
        free(der);
        free(o);
        return SIPC_ENOMEM;
    }
    memcpy(der, key_der, len);
    ecc_key key;
    uint8_t d[32], q[65], dq[65];
    word32 dlen = sizeof d, qlen = sizeof q, idx = 0;
    int ok = wc_ecc_init(&key) == 0;
    if (ok) {
        if (wc_GetPkcs8TraditionalOffset(der, &idx, (word32)len) < 0)
            idx = 0; /* not PKCS#8: SEC 1 itself */
        ok = wc_EccPrivateKeyDecode(der, &idx, &key, (word32)len) == 0 &&
             wc_ecc_get_curve_id(key.idx) == ECC_SECP256R1 &&
             (key.type == ECC_PRIVATEKEY || wc_ecc_make_pub(&key, NULL) == 0) &&
             wc_ecc_export_private_only(&key, d, &dlen) == 0 && dlen == sizeof d &&
             wc_ecc_export_x963(&key, q, &qlen) == 0 && qlen == sizeof q;
        /* d must give the stated public key again: wolfCrypt checks neither
         * a SEC 1 key's optional public key against d, nor a private value
         * longer than the curve's, which its export cuts */
        ok = ok && base_mul(d, dq) == 0 && memcmp(dq, q, sizeof q) == 0;
        int n = ok ? wc_EccPublicKeyToDer(&key, o->spki, sizeof o->spki, 1) : -1;
        ok = n > 0;
        if (ok) {
            o->spki_len = (size_t)n;
            sipc_p256n dn;
            sipc_p256n_from_be(&dn, d);
            sipc_p256n_to_mont(&o->dm, &dn);
            explicit_bzero(&dn, sizeof dn);
        }
        wc_ecc_free(&key);
    }
    explicit_bzero(d, sizeof d);
    explicit_bzero(der, len);
    free(der);
    if (!ok) {
        sipc_ecdsa_own_free(o);
        return 0;
    }
    *out = o;
    return 0;
}

void sipc_ecdsa_own_free(sipc_ecdsa_own *o)
{
    if (!o)
        return;
    explicit_bzero(o, sizeof *o);
    free(o);
}

/* big-endian bytes of at most 32 into a scalar (no reduction) */
static void scalar_from(sipc_p256n *r, const uint8_t *b, size_t n)
{
    uint8_t be[32] = {0};
    memcpy(be + 32 - n, b, n);
    sipc_p256n_from_be(r, be);
}

/* The verdict on sig over hash with our key: 1 good, 0 bad, -1 not judged
 * here (encoding, range, a failure inside wolfCrypt). Leaves copies of the
 * nonce in dead frames below: the caller clears the stack (stack_wipe.h). */
static int judge_sig(const sipc_ecdsa_own *o, const uint8_t *sig, size_t sig_len,
                     const uint8_t *hash, size_t hash_len)
{
    if (hash_len < WC_MIN_DIGEST_SIZE || hash_len > WC_MAX_DIGEST_SIZE || sig_len > SIG_MAX)
        return -1;
    /* Only the one DER encoding of (r, s) is judged here; wolfCrypt decides
     * on anything else exactly as it would without us. wolfCrypt 5.5.4's
     * wc_ecc_sig_to_rs copies r and s whole without looking at the sizes it
     * is told (a long r overran a smaller buffer in fuzz_ecdsa): each buffer
     * holds a whole signature. */
    uint8_t rb[SIG_MAX], sb[SIG_MAX], re[SIG_MAX];
    word32 rl = sizeof rb, sl = sizeof sb, rel = sizeof re;
    if (wc_ecc_sig_to_rs(sig, (word32)sig_len, rb, &rl, sb, &sl) != 0 || rl > 32 || sl > 32 ||
        wc_ecc_rs_raw_to_sig(rb, rl, sb, sl, re, &rel) != 0 || rel != sig_len ||
        memcmp(re, sig, sig_len) != 0)
        return -1;
    sipc_p256n r, s, e, w, u1, u2, k;
    scalar_from(&r, rb, rl);
    scalar_from(&s, sb, sl);
    /* r or s out of range: wolfCrypt refuses with errors of its own */
    if (!sipc_p256n_is_valid(&r) || !sipc_p256n_is_valid(&s))
        return -1;
    /* e: the hash's leftmost 256 bits, mod n */
    scalar_from(&e, hash, hash_len < 32 ? hash_len : 32);
    sipc_p256n_reduce(&e, &e);
    sipc_p256n_inv_public(&w, &s);         /* s is public */
    sipc_p256n_to_mont(&w, &w);            /* 1/s, Montgomery form */
    sipc_p256n_mont_mul(&u1, &e, &w);      /* e/s */
    sipc_p256n_mont_mul(&u2, &r, &w);      /* r/s */
    sipc_p256n_mont_mul(&u2, &u2, &o->dm); /* r*d/s: secret from here on */
    sipc_p256n_add(&k, &u1, &u2);
    /* R at infinity: invalid. k is the signer's nonce when the signature
     * is good, so never 0 then; this branch tells only what a forger who
     * knew d would know already. */
    int zero = sipc_p256n_is_zero(&k);
    uint8_t kb[32], pt[65];
    sipc_p256n_to_be(kb, &k);
    int got = zero ? -1 : base_mul(kb, pt);
    explicit_bzero(kb, sizeof kb);
    explicit_bzero(&k, sizeof k);
    explicit_bzero(&u2, sizeof u2);
    if (zero)
        return 0;
    if (got != 0)
        return -1;
    sipc_p256n x;
    sipc_p256n_from_be(&x, pt + 1); /* R's X */
    sipc_p256n_reduce(&x, &x); /* x < p < 2n */
    return sipc_p256n_equal(&x, &r);
}

int sipc_ecdsa_own_verify(const sipc_ecdsa_own *o, const uint8_t *spki, size_t spki_len,
                          const uint8_t *sig, size_t sig_len, const uint8_t *hash, size_t hash_len,
                          int *valid)
{
    *valid = 0;
    if (!o || spki_len != o->spki_len || memcmp(spki, o->spki, spki_len) != 0)
        return 0;
    int v = judge_sig(o, sig, sig_len, hash, hash_len);
    /* wolfCrypt's base multiplication leaves copies of k in its dead
     * frames (8-12 KiB below here), and with r, s and e public, k gives
     * d away: cleared before the loop goes on, a microsecond or two against
     * 25 us for the verification (the stack's bounds are looked up once a
     * thread). */
    sipc_stack_wipe_depth(SIPC_ECDSA_WIPE_BYTES);
    if (v < 0)
        return 0;
    return judge(valid, v);
}

int sipc_ecdsa_own_check(const sipc_ecdsa_own *o, const uint8_t *sig, size_t sig_len,
                         const uint8_t *hash, size_t hash_len)
{
    return o && judge_sig(o, sig, sig_len, hash, hash_len) == 1;
}

unsigned long sipc_ecdsa_own_count(void)
{
    return __atomic_load_n(&judged, __ATOMIC_RELAXED);
}

#else /* no PK callbacks: wolfSSL verifies every signature itself */

int sipc_ecdsa_own_new(sipc_ecdsa_own **out, const uint8_t *key_der, size_t len)
{
    (void)key_der;
    (void)len;
    *out = NULL;
    return 0;
}

void sipc_ecdsa_own_free(sipc_ecdsa_own *o)
{
    (void)o;
}

int sipc_ecdsa_own_verify(const sipc_ecdsa_own *o, const uint8_t *spki, size_t spki_len,
                          const uint8_t *sig, size_t sig_len, const uint8_t *hash, size_t hash_len,
                          int *valid)
{
    (void)o, (void)spki, (void)spki_len, (void)sig, (void)sig_len, (void)hash, (void)hash_len;
    *valid = 0;
    return 0;
}

int sipc_ecdsa_own_check(const sipc_ecdsa_own *o, const uint8_t *sig, size_t sig_len,
                         const uint8_t *hash, size_t hash_len)
{
    (void)o, (void)sig, (void)sig_len, (void)hash, (void)hash_len;
    return 0;
}

unsigned long sipc_ecdsa_own_count(void)
{
    return 0;
}

#endif
