/* pkcs12.c - see pkcs12.h. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/memory.h>
#include <wolfssl/wolfcrypt/pkcs12.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/signature.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/tool/pkcs12.h"
#include "certs/x509_info.h"
#include "base/error_text.h"

/* Iteration counts: 32768 or more makes DER OpenSSL rejects (see
 * shared/notes/wolfssl-facts.md). */
#define SIPC_PFX_ITER 20000
#define SIPC_PFX_MAC_ITER 20000

int sipc_pfx_have_rc2(void)
{
#if defined(WC_RC2) && !defined(NO_RC2)
    return 1;
#else
    return 0;
#endif
}

/* PKCS#12 PBE OIDs 1.2.840.113549.1.12.1.5 / .6: RC2-128 / RC2-40, and the
 * PKCS#5 v2 RC2-CBC 1.2.840.113549.3.2. */
static int uses_rc2(const uint8_t *d, size_t n)
{
    static const uint8_t pbe[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01};
    static const uint8_t rc2cbc[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x02};
    for (size_t i = 0; i + sizeof pbe + 1 <= n; i++)
        if (memcmp(d + i, pbe, sizeof pbe) == 0 && (d[i + sizeof pbe] == 5 || d[i + sizeof pbe] == 6))
            return 1;
    for (size_t i = 0; i + sizeof rc2cbc <= n; i++)
        if (memcmp(d + i, rc2cbc, sizeof rc2cbc) == 0)
            return 1;
    return 0;
}

static int dup_der(sipc_der *d, const uint8_t *p, size_t n)
{
    d->data = malloc(n ? n : 1);
    if (!d->data)
        return -1;
    memcpy(d->data, p, n);
    d->len = n;
    return 0;
}

static sipc_key_type key_type_of(const uint8_t *der, size_t len)
{
    word32 idx = 0;
    if (wc_GetPkcs8TraditionalOffset((byte *)der, &idx, (word32)len) < 0)
        idx = 0;
    word32 i = idx;
    ecc_key ecc;
    RsaKey rsa;
    sipc_key_type t = SIPC_KEY_NONE;
    if (wc_ecc_init(&ecc) == 0) {
        if (wc_EccPrivateKeyDecode(der, &i, &ecc, (word32)len) == 0)
            t = SIPC_KEY_ECC;
        wc_ecc_free(&ecc);
    }
    if (t != SIPC_KEY_NONE)
        return t;
    i = idx;
    if (wc_InitRsaKey(&rsa, NULL) == 0) {
        if (wc_RsaPrivateKeyDecode(der, &i, &rsa, (word32)len) == 0)
            t = SIPC_KEY_RSA;
        wc_FreeRsaKey(&rsa);
    }
    return t;
}

int sipc_keypair_matches(const sipc_keypair *kp)
{
    sipc_x509 x;
    if (kp->ncerts < 1 || !kp->key.data ||
        sipc_x509_parse(&x, kp->certs[0].data, kp->certs[0].len, NULL, 0) != 0)
        return -1;
    static const uint8_t msg[] = "sipc key/certificate match check";
    uint8_t sig[1024];
    word32 siglen = sizeof sig;
    word32 idx = 0;
    const uint8_t *der = kp->key.data;
    word32 len = (word32)kp->key.len;
    if (wc_GetPkcs8TraditionalOffset((byte *)der, &idx, len) < 0)
        idx = 0;
    WC_RNG rng;
    if (wc_InitRng(&rng) != 0)
        return -1;
    int ok = -1;
    if (x.key_type == SIPC_X509_KEY_EC) {
        ecc_key k;
        if (wc_ecc_init(&k) == 0) {
            if (wc_EccPrivateKeyDecode(der, &idx, &k, len) == 0) {
                ok = 0;
                if (wc_SignatureGenerate(WC_HASH_TYPE_SHA256, WC_SIGNATURE_TYPE_ECC, msg, sizeof msg,
                                         sig, &siglen, &k, sizeof k, &rng) == 0) {
                    static const uint8_t ecdsa_sha256[] = {0x2a, 0x86, 0x48, 0xce,
                                                           0x3d, 0x04, 0x03, 0x02};
                    sipc_bytes tbs = {msg, sizeof msg}, alg = {ecdsa_sha256, sizeof ecdsa_sha256},
                               s = {sig, siglen};
                    ok = sipc_sig_check(&tbs, &alg, &s, &x.spki) == 0;
                }
            }
            wc_ecc_free(&k);
        }
    } else if (x.key_type == SIPC_X509_KEY_RSA) {
        RsaKey k;
        if (wc_InitRsaKey(&k, NULL) == 0) {
            if (wc_RsaPrivateKeyDecode(der, &idx, &k, len) == 0) {
                ok = 0;
                wc_RsaSetRNG(&k, &rng);
                if (wc_SignatureGenerate(WC_HASH_TYPE_SHA256, WC_SIGNATURE_TYPE_RSA_W_ENC, msg,
                                         sizeof msg, sig, &siglen, &k, sizeof k, &rng) == 0) {
                    static const uint8_t rsa_sha256[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                                         0x0d, 0x01, 0x01, 0x0b};
                    sipc_bytes tbs = {msg, sizeof msg}, alg = {rsa_sha256, sizeof rsa_sha256},
                               s = {sig, siglen};
                    ok = sipc_sig_check(&tbs, &alg, &s, &x.spki) == 0;
                }
            }
            wc_FreeRsaKey(&k);
        }
    }
    wc_FreeRng(&rng);
    return ok;
}

/* Orders kp->certs[1..]: the leaf's issuer, its issuer, ..., then the rest. */
static void order_chain(sipc_keypair *kp)
{
    int n = kp->ncerts;
    if (n < 3)
        return;
    sipc_x509 *x = calloc((size_t)n, sizeof *x);
    if (!x)
        return;
    for (int i = 0; i < n; i++)
        if (sipc_x509_parse(&x[i], kp->certs[i].data, kp->certs[i].len, NULL, 0) != 0) {
            free(x);
            return;
        }
    for (int pos = 1; pos < n; pos++) {
        const sipc_x509 *prev = &x[pos - 1];
        if (sipc_x509_self_issued(prev))
            break;
        for (int j = pos; j < n; j++)
            if (sipc_name_equal(&x[j].subject_der, &prev->issuer_der)) {
                if (j != pos) {
                    sipc_der td = kp->certs[pos];
                    kp->certs[pos] = kp->certs[j];
                    kp->certs[j] = td;
                    sipc_x509 tx = x[pos];
                    x[pos] = x[j];
                    x[j] = tx;
                }
                break;
            }
    }
    free(x);
}

int sipc_pfx_read(const uint8_t *data, size_t len, const char *password, sipc_keypair *kp,
                  char *err, size_t errlen)
{
    memset(kp, 0, sizeof *kp);
    if (!data || len < 16) {
        sipc__seterr(err, errlen, "the file is empty or truncated, not a PKCS#12 file");
        return SIPC_PFX_ECORRUPT;
    }
    WC_PKCS12 *p12 = wc_PKCS12_new();
    if (!p12)
        return SIPC_PFX_ENOMEM;
    int r = wc_d2i_PKCS12(data, (word32)len, p12);
    if (r != 0) {
        wc_PKCS12_free(p12);
        sipc__seterr(err, errlen,
               "the file is not a readable PKCS#12 file (truncated or damaged? wolfSSL error %d)",
               r);
        return SIPC_PFX_ECORRUPT;
    }
    byte *key = NULL, *cert = NULL;
    word32 keySz = 0, certSz = 0;
    WC_DerCertList *ca = NULL;
    r = wc_PKCS12_parse(p12, password, &key, &keySz, &cert, &certSz, &ca);
    wc_PKCS12_free(p12);
    int ret = SIPC_PFX_OK;
    if (r != 0) {
        if (r == MAC_CMP_FAILED_E) {
            sipc__seterr(err, errlen, "wrong password: the file's integrity check (MAC) does not match");
            ret = SIPC_PFX_EPASSWORD;
        } else if (uses_rc2(data, len) && !sipc_pfx_have_rc2()) {
            sipc__seterr(err, errlen,
                   "the file is encrypted with RC2 (written by `openssl pkcs12 -export -legacy`, "
                   "OpenSSL 1.x or older Windows) and this build of wolfSSL has no RC2: "
                   "re-export it with AES (OpenSSL 3 default) or with `-legacy -certpbe "
                   "PBE-SHA1-3DES -keypbe PBE-SHA1-3DES`");
            ret = SIPC_PFX_ERC2;
        } else {
            sipc__seterr(err, errlen,
                   "the file could not be decrypted (wrong password, damaged file or an "
                   "unsupported encryption; wolfSSL error %d)",
                   r);
            ret = r == ASN_PARSE_E || r == BUFFER_E ? SIPC_PFX_ECORRUPT : SIPC_PFX_EPASSWORD;
        }
        goto out;
    }
    if (!key || keySz == 0) {
        sipc__seterr(err, errlen, "the file holds no private key (export it with its key)");
        ret = SIPC_PFX_ENOKEY;
        goto out;
    }
    if (!cert || certSz == 0) {
        sipc__seterr(err, errlen, "the file holds no certificate for its key");
        ret = SIPC_PFX_ENOCERT;
        goto out;
    }
    if (dup_der(&kp->key, key, keySz) != 0 || dup_der(&kp->certs[0], cert, certSz) != 0) {
        ret = SIPC_PFX_ENOMEM;
        goto out;
    }
    kp->ncerts = 1;
    for (WC_DerCertList *c = ca; c && kp->ncerts < SIPC_KP_MAX_CHAIN; c = c->next) {
        if (c->bufferSz == certSz && memcmp(c->buffer, cert, certSz) == 0)
            continue;
        if (dup_der(&kp->certs[kp->ncerts], c->buffer, c->bufferSz) != 0) {
            ret = SIPC_PFX_ENOMEM;
            goto out;
        }
        kp->ncerts++;
    }
    order_chain(kp);
    kp->key_type = key_type_of(kp->key.data, kp->key.len);
    sipc_fingerprint(kp->certs[0].data, kp->certs[0].len, kp->fingerprint);
    if (kp->key_type == SIPC_KEY_NONE) {
        sipc__seterr(err, errlen, "the private key in the file is of a type sipc cannot use "
                            "(use ECDSA or RSA)");
        ret = SIPC_PFX_ENOKEY;
        goto out;
    }
    if (sipc_keypair_matches(kp) != 1) {
        sipc__seterr(err, errlen, "the private key does not belong to the certificate in the file");
        ret = SIPC_PFX_EMISMATCH;
        goto out;
    }
out:
    if (key) {
        memset(key, 0, keySz);
        wolfSSL_Free(key);
    }
    if (cert)
        wolfSSL_Free(cert);
    while (ca) {
        WC_DerCertList *next = ca->next;
        wolfSSL_Free(ca->buffer);
        wolfSSL_Free(ca);
        ca = next;
    }
    if (ret != SIPC_PFX_OK)
        sipc_keypair_free(kp);
    return ret;
}

int sipc_pfx_write(const sipc_keypair *kp, const char *password, const char *friendly_name,
                   uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
    *out = NULL;
    *outlen = 0;
    if (kp->ncerts < 1 || !kp->key.data)
        return SIPC_PFX_ENOKEY;
    WC_DerCertList nodes[SIPC_KP_MAX_CHAIN];
    WC_DerCertList *ca = NULL;
    for (int i = kp->ncerts - 1; i >= 1; i--) {
        nodes[i].buffer = kp->certs[i].data;
        nodes[i].bufferSz = (word32)kp->certs[i].len;
        nodes[i].next = ca;
        ca = &nodes[i];
    }
    /* wc_PKCS12_create wants a traditional (SEC1 / PKCS#1) key */
    word32 idx = 0;
    const uint8_t *key = kp->key.data;
    word32 keySz = (word32)kp->key.len;
    if (wc_GetPkcs8TraditionalOffset((byte *)key, &idx, keySz) >= 0) {
        key += idx;
        keySz -= idx;
    }
    size_t pwlen = strlen(password);
    char *pw = malloc(pwlen + 1);
    char *name = strdup(friendly_name ? friendly_name : "sipc");
    uint8_t *kcopy = malloc(keySz);
    uint8_t *ccopy = malloc(kp->certs[0].len);
    int ret = SIPC_PFX_ENOMEM;
    WC_PKCS12 *p12 = NULL;
    if (!pw || !name || !kcopy || !ccopy)
        goto out;
    memcpy(pw, password, pwlen + 1);
    memcpy(kcopy, key, keySz);
    memcpy(ccopy, kp->certs[0].data, kp->certs[0].len);
    p12 = wc_PKCS12_create(pw, (word32)pwlen, name, kcopy, keySz, ccopy, (word32)kp->certs[0].len,
                           ca, PBE_SHA1_DES3, PBE_SHA1_DES3, SIPC_PFX_ITER, SIPC_PFX_MAC_ITER, 0,
                           NULL);
    if (!p12) {
        sipc__seterr(err, errlen, "wolfSSL could not build the PKCS#12 structure");
        ret = SIPC_PFX_ECORRUPT;
        goto out;
    }
    byte *der = NULL;
    int derSz = 0;
    int r = wc_i2d_PKCS12(p12, &der, &derSz);
    if (r <= 0 || !der) {
        sipc__seterr(err, errlen, "wolfSSL could not encode the PKCS#12 file (error %d)", r);
        ret = SIPC_PFX_ECORRUPT;
        goto out;
    }
    /* wc_i2d_PKCS12 returns the length and may leave derSz alone */
    *out = malloc((size_t)r);
    if (!*out) {
        wolfSSL_Free(der);
        goto out;
    }
    memcpy(*out, der, (size_t)r);
    *outlen = (size_t)r;
    wolfSSL_Free(der);
    ret = SIPC_PFX_OK;
out:
    if (p12)
        wc_PKCS12_free(p12);
    if (pw) {
        memset(pw, 0, pwlen);
        free(pw);
    }
    if (kcopy) {
        memset(kcopy, 0, keySz);
        free(kcopy);
    }
    free(ccopy);
    free(name);
    return ret;
}
