/* pkcs12.c - reading PKCS#12 files (see pkcs12.h); writing is in
 * pkcs12_write.c. */
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

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/tool/pkcs12.h"
#include "certs/x509_info.h"
#include "base/error_text.h"
#include "sipc/errno.h"

bool sipc_pfx_have_rc2(void)
{
#if defined(WC_RC2) && !defined(NO_RC2)
    return true;
#else
    return false;
#endif
}

/* PKCS#12 PBE OIDs 1.2.840.113549.1.12.1.5 / .6: RC2-128 / RC2-40, and the
 * PKCS#5 v2 RC2-CBC 1.2.840.113549.3.2. */
static bool uses_rc2(const uint8_t *d, size_t n)
{
    static const uint8_t pbe[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01};
    static const uint8_t rc2cbc[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x02};
    for (size_t i = 0; i + sizeof pbe + 1 <= n; i++)
        if (memcmp(d + i, pbe, sizeof pbe) == 0 && (d[i + sizeof pbe] == 5 || d[i + sizeof pbe] == 6))
            return true;
    for (size_t i = 0; i + sizeof rc2cbc <= n; i++)
        if (memcmp(d + i, rc2cbc, sizeof rc2cbc) == 0)
            return true;
    return false;
}

static int dup_der(sipc_der *d, const uint8_t *p, size_t n)
{
    d->data = malloc(n ? n : 1);
    if (!d->data)
        return SIPC_ENOMEM;
    memcpy(d->data, p, n);
    d->len = n;
    return 0;
}

int sipc_keypair_matches(const sipc_keypair *kp, bool *match, char *err, size_t errlen)
{
    assert(kp && match);
    *match = false;
    sipc_x509 x;
    if (kp->ncerts < 1 || !kp->key.data ||
        sipc_x509_parse(&x, kp->certs[0].data, kp->certs[0].len, NULL, 0) != 0) {
        sipc__seterr(err, errlen, "no readable certificate or no key");
        return SIPC_EFORMAT;
    }
    static const uint8_t msg[] = "sipc key/certificate match check";
    uint8_t sig[1024];
    word32 siglen = sizeof sig;
    word32 idx = 0;
    const uint8_t *der = kp->key.data;
    word32 len = (word32)kp->key.len;
    if (wc_GetPkcs8TraditionalOffset((byte *)der, &idx, len) < 0)
        idx = 0;
    WC_RNG rng;
    if (wc_InitRng(&rng) != 0) {
        sipc__seterr(err, errlen, "cannot initialise the random generator");
        return SIPC_ETLS;
    }
    /* SIPC_EFORMAT until the key decodes; then 0 with *match, or SIPC_ETLS
     * when signing with it fails */
    int ret = SIPC_EFORMAT;
    if (x.key_type == SIPC_X509_KEY_EC) {
        ecc_key k;
        if (wc_ecc_init(&k) == 0) {
            if (wc_EccPrivateKeyDecode(der, &idx, &k, len) == 0) {
                ret = SIPC_ETLS;
                if (wc_SignatureGenerate(WC_HASH_TYPE_SHA256, WC_SIGNATURE_TYPE_ECC, msg, sizeof msg,
                                         sig, &siglen, &k, sizeof k, &rng) == 0) {
                    static const uint8_t ecdsa_sha256[] = {0x2a, 0x86, 0x48, 0xce,
                                                           0x3d, 0x04, 0x03, 0x02};
                    sipc_bytes tbs = {msg, sizeof msg}, alg = {ecdsa_sha256, sizeof ecdsa_sha256},
                               s = {sig, siglen};
                    /* a key of another type than the certificate's: no match */
                    ret = sipc_sig_check(&tbs, &alg, &s, &x.spki, match) == SIPC_ENOMEM ? SIPC_ENOMEM : 0;
                }
            }
            wc_ecc_free(&k);
        }
    } else if (x.key_type == SIPC_X509_KEY_RSA) {
        RsaKey k;
        if (wc_InitRsaKey(&k, NULL) == 0) {
            if (wc_RsaPrivateKeyDecode(der, &idx, &k, len) == 0) {
                ret = SIPC_ETLS;
                wc_RsaSetRNG(&k, &rng);
                if (wc_SignatureGenerate(WC_HASH_TYPE_SHA256, WC_SIGNATURE_TYPE_RSA_W_ENC, msg,
                                         sizeof msg, sig, &siglen, &k, sizeof k, &rng) == 0) {
                    static const uint8_t rsa_sha256[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                                         0x0d, 0x01, 0x01, 0x0b};
                    sipc_bytes tbs = {msg, sizeof msg}, alg = {rsa_sha256, sizeof rsa_sha256},
                               s = {sig, siglen};
                    ret = sipc_sig_check(&tbs, &alg, &s, &x.spki, match) == SIPC_ENOMEM ? SIPC_ENOMEM : 0;
                }
            }
            wc_FreeRsaKey(&k);
        }
    }
    wc_FreeRng(&rng);
    if (ret == SIPC_EFORMAT)
        sipc__seterr(err, errlen, "the private key cannot be read as a %s key",
                     x.key_type == SIPC_X509_KEY_EC ? "ECDSA" : "RSA");
    else if (ret == SIPC_ETLS)
        sipc__seterr(err, errlen, "cannot sign with the private key");
    return ret;
}

/* Orders kp->certs[1..]: the leaf's issuer, its issuer, ..., then the rest. */
static void order_chain(sipc_keypair *kp)
{
    int n = kp->ncerts;
    assert(n >= 0 && n <= SIPC_KP_MAX_CHAIN);
    if (n < 3)
        return;
    sipc_x509 x[SIPC_KP_MAX_CHAIN];
    /* an unreadable certificate stays where it is: the verifier names it */
    for (int i = 0; i < n; i++)
        if (sipc_x509_parse(&x[i], kp->certs[i].data, kp->certs[i].len, NULL, 0) != 0)
            return;
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
}

/* Sets *why (when given) and returns the code that goes with it. */
static int pfx_fail(sipc_pfx_error *why, sipc_pfx_error e)
{
    if (why)
        *why = e;
    switch (e) {
    case SIPC_PFX_CORRUPT: return SIPC_EFORMAT;
    case SIPC_PFX_PASSWORD: return SIPC_EPASSWORD;
    case SIPC_PFX_RC2: return SIPC_ENOTSUP;
    case SIPC_PFX_NOKEY:
    case SIPC_PFX_NOCERT:
    case SIPC_PFX_MISMATCH: return SIPC_ETLSCONFIG;
    case SIPC_PFX_OK: break;
    }
    assert(0 && "pfx_fail without a failure");
    return SIPC_EINVAL;
}

int sipc_pfx_read(const uint8_t *data, size_t len, const char *password, sipc_keypair *kp,
                  sipc_pfx_error *why, char *err, size_t errlen)
{
    assert(kp && password);
    memset(kp, 0, sizeof *kp);
    if (why)
        *why = SIPC_PFX_OK;
    if (!data || len < 16) {
        sipc__seterr(err, errlen, "the file is empty or truncated, not a PKCS#12 file");
        return pfx_fail(why, SIPC_PFX_CORRUPT);
    }
    WC_PKCS12 *p12 = wc_PKCS12_new();
    if (!p12)
        return SIPC_ENOMEM;
    int r = wc_d2i_PKCS12(data, (word32)len, p12);
    if (r != 0) {
        wc_PKCS12_free(p12);
        sipc__seterr(err, errlen,
                     "the file is not a readable PKCS#12 file (truncated or damaged? wolfSSL "
                     "error %d)",
                     r);
        return pfx_fail(why, SIPC_PFX_CORRUPT);
    }
    byte *key = NULL, *cert = NULL;
    word32 keySz = 0, certSz = 0;
    WC_DerCertList *ca = NULL;
    r = wc_PKCS12_parse(p12, password, &key, &keySz, &cert, &certSz, &ca);
    wc_PKCS12_free(p12);
    int ret = 0;
    if (r != 0) {
        if (r == MAC_CMP_FAILED_E) {
            sipc__seterr(err, errlen,
                         "wrong password: the file's integrity check (MAC) does not match");
            ret = pfx_fail(why, SIPC_PFX_PASSWORD);
        } else if (uses_rc2(data, len) && !sipc_pfx_have_rc2()) {
            sipc__seterr(err, errlen,
                         "the file is encrypted with RC2 (written by `openssl pkcs12 -export "
                         "-legacy`, OpenSSL 1.x or older Windows) and this build of wolfSSL has "
                         "no RC2: re-export it with AES (OpenSSL 3 default) or with `-legacy "
                         "-certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES`");
            ret = pfx_fail(why, SIPC_PFX_RC2);
        } else {
            sipc__seterr(err, errlen,
                         "the file could not be decrypted (wrong password, damaged file or an "
                         "unsupported encryption; wolfSSL error %d)",
                         r);
            ret = pfx_fail(why, r == ASN_PARSE_E || r == BUFFER_E ? SIPC_PFX_CORRUPT
                                                                   : SIPC_PFX_PASSWORD);
        }
        goto out;
    }
    if (!key || keySz == 0) {
        sipc__seterr(err, errlen, "the file holds no private key (export it with its key)");
        ret = pfx_fail(why, SIPC_PFX_NOKEY);
        goto out;
    }
    if (!cert || certSz == 0) {
        sipc__seterr(err, errlen, "the file holds no certificate for its key");
        ret = pfx_fail(why, SIPC_PFX_NOCERT);
        goto out;
    }
    if ((ret = dup_der(&kp->key, key, keySz)) != 0 ||
        (ret = dup_der(&kp->certs[0], cert, certSz)) != 0)
        goto out;
    kp->ncerts = 1;
    for (WC_DerCertList *c = ca; c && kp->ncerts < SIPC_KP_MAX_CHAIN; c = c->next) {
        if (c->bufferSz == certSz && memcmp(c->buffer, cert, certSz) == 0)
            continue;
        if ((ret = dup_der(&kp->certs[kp->ncerts], c->buffer, c->bufferSz)) != 0)
            goto out;
        kp->ncerts++;
    }
    order_chain(kp);
    kp->key_type = sipc_key_type_of(kp->key.data, kp->key.len);
    sipc_fingerprint(kp->certs[0].data, kp->certs[0].len, kp->fingerprint);
    if (kp->key_type == SIPC_KEY_NONE) {
        sipc__seterr(err, errlen, "the private key in the file is of a type sipc cannot use "
                                  "(use ECDSA or RSA)");
        ret = pfx_fail(why, SIPC_PFX_NOKEY);
        goto out;
    }
    bool match = false;
    if (sipc_keypair_matches(kp, &match, NULL, 0) != 0 || !match) {
        sipc__seterr(err, errlen, "the private key does not belong to the certificate in the file");
        ret = pfx_fail(why, SIPC_PFX_MISMATCH);
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
    if (ret != 0)
        sipc_keypair_free(kp);
    return ret;
}
