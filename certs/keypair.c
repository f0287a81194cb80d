/* keypair.c - node.crt (PEM: certificate, chain, private key) to DER, and
 * the checks every private key passes before wolfSSL is given it. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/signature.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/keypair.h"
#include "certs/der.h"
#include "certs/pem.h"
#include "certs/secret_file.h"
#include "certs/x509_info.h"
#include "base/error_text.h"
#include "base/hex.h"
#include "base/shown_text.h"
#include "sipc/errno.h"

void sipc_der_free(sipc_der *d)
{
    if (d->data) {
        explicit_bzero(d->data, d->len); /* may hold key material */
        free(d->data);
    }
    d->data = NULL;
    d->len = 0;
}

void sipc_fingerprint(const uint8_t *der, size_t len, char out[65])
{
    uint8_t h[WC_SHA256_DIGEST_SIZE];
    if (wc_Sha256Hash(der, (word32)len, h) != 0) {
        out[0] = '\0';
        return;
    }
    sipc_hex_lower(h, sizeof h, out);
}

int sipc_sha256_two(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                    uint8_t out[32])
{
    if (alen > UINT32_MAX || blen > UINT32_MAX)
        return SIPC_EINVAL;
    wc_Sha256 s;
    int r = wc_InitSha256(&s) != 0 || (alen && wc_Sha256Update(&s, a, (word32)alen) != 0) ||
            (blen && wc_Sha256Update(&s, b, (word32)blen) != 0) || wc_Sha256Final(&s, out) != 0;
    wc_Sha256Free(&s);
    return r ? SIPC_ENOMEM : 0;
}

/* ------------------------------------------------------------ key checks
 *
 * wolfCrypt's key decoders trust what they read and some of the code that
 * later uses a decoded key trusts it further: wolfSSL 5.5.4 decodes an EC
 * private value of up to the largest curve's size whatever the key's curve,
 * and exporting such a key (wc_ecc_export_private_only, reached from
 * wolfSSL_CTX_check_private_key, wc_CheckPrivateKeyCert and
 * wc_EccKeyToPKCS8) writes before the start of a stack buffer. So every
 * private key sipc loads, from node.crt or from a PKCS#12 file, passes
 * these checks before wolfSSL is given it. */

static const uint8_t OID_RSA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
static const uint8_t OID_EC[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};

static int key_bad(char *err, size_t errlen, const char *why)
{
    sipc__seterr(err, errlen, "%s", why);
    return SIPC_EFORMAT;
}

/* A PKCS#1 RSAPrivateKey of exactly n bytes that wolfCrypt decodes. */
static int rsa_key_check(const uint8_t *der, size_t n, char *err, size_t errlen)
{
    rd r = {der, n};
    tlv s;
    if (der_expect(&r, 0x30, &s) != 0 || r.n)
        return key_bad(err, errlen, "malformed RSA private key");
    RsaKey k;
    if (wc_InitRsaKey(&k, NULL) != 0)
        return key_bad(err, errlen, "cannot decode the RSA private key");
    word32 idx = 0;
    int ok = wc_RsaPrivateKeyDecode(der, &idx, &k, (word32)n) == 0;
    wc_FreeRsaKey(&k);
    return ok ? 0 : key_bad(err, errlen, "wolfCrypt cannot decode the RSA private key");
}

/* An ECPrivateKey (RFC 5915) of exactly n bytes that wolfCrypt decodes,
 * with a private value neither zero nor longer than its curve's size. */
static int ec_key_check(const uint8_t *der, size_t n, char *err, size_t errlen)
{
    rd r = {der, n}, k;
    tlv s, ver, d;
    if (der_expect(&r, 0x30, &s) != 0 || r.n || (k = rd_of(&s.val), der_expect(&k, 0x02, &ver)) ||
        ver.val.len != 1 || ver.val.p[0] != 1 || der_expect(&k, 0x04, &d) ||
        der_skip_opt(&k, 0xa0) /* parameters */ || der_skip_opt(&k, 0xa1) /* public key */ || k.n)
        return key_bad(err, errlen, "malformed EC private key");
    size_t sig = d.val.len;
    const uint8_t *v = d.val.p;
    while (sig && *v == 0) {
        v++;
        sig--;
    }
    if (sig == 0)
        return key_bad(err, errlen, "the EC private value is zero");
    ecc_key key;
    if (wc_ecc_init(&key) != 0)
        return key_bad(err, errlen, "cannot decode the EC private key");
    word32 idx = 0;
    int decoded = wc_EccPrivateKeyDecode(der, &idx, &key, (word32)n) == 0;
    int size = decoded ? wc_ecc_size(&key) : 0;
    wc_ecc_free(&key);
    if (!decoded)
        return key_bad(err, errlen, "wolfCrypt cannot decode the EC private key");
    /* wolfCrypt's decoder takes values up to the largest curve's size */
    if (size <= 0 || sig > (size_t)size)
        return key_bad(err, errlen, "the EC private value is longer than its curve's size");
    return 0;
}

int sipc_key_check_pkcs8(const uint8_t *der, size_t len, sipc_key_type *type, size_t *off,
                         size_t *klen, char *err, size_t errlen)
{
    assert(der && type && off && klen);
    *type = SIPC_KEY_NONE;
    rd r = {der, len}, k, a;
    tlv pki, ver, alg, key, aoid;
    if (der_expect(&r, 0x30, &pki) || r.n || (k = rd_of(&pki.val), der_expect(&k, 0x02, &ver)) ||
        ver.val.len != 1 || ver.val.p[0] > 1 || der_expect(&k, 0x30, &alg) ||
        der_expect(&k, 0x04, &key) || der_skip_opt(&k, 0xa0) /* attributes */ ||
        der_skip_opt(&k, 0x81) /* public key (v2) */ || k.n ||
        (a = rd_of(&alg.val), der_expect(&a, 0x06, &aoid)))
        return key_bad(err, errlen, "malformed PKCS#8 private key");
    int ret;
    if (OID_IS(&aoid.val, OID_RSA)) {
        *type = SIPC_KEY_RSA;
        ret = rsa_key_check(key.val.p, key.val.len, err, errlen);
    } else if (OID_IS(&aoid.val, OID_EC)) {
        *type = SIPC_KEY_ECC;
        ret = ec_key_check(key.val.p, key.val.len, err, errlen);
    } else {
        sipc__seterr(err, errlen, "a private key of a type sipc cannot use (use ECDSA or RSA)");
        return SIPC_ENOTSUP;
    }
    if (ret != 0) {
        *type = SIPC_KEY_NONE;
        return ret;
    }
    *off = (size_t)(key.val.p - der);
    *klen = key.val.len;
    return 0;
}

int sipc_key_check(const uint8_t *der, size_t len, sipc_key_type *type, char *err, size_t errlen)
{
    assert(der && type);
    *type = SIPC_KEY_NONE;
    /* which form: PKCS#8 { version, AlgorithmIdentifier, ... }, SEC1
     * { version, OCTET STRING, ... } or PKCS#1 { version, INTEGER, ... } */
    rd r = {der, len}, k;
    tlv s, ver;
    if (der_expect(&r, 0x30, &s) || r.n || (k = rd_of(&s.val), der_expect(&k, 0x02, &ver)))
        return key_bad(err, errlen, "malformed private key");
    int ret;
    size_t off, klen;
    switch (peek_tag(&k)) {
    case 0x30: return sipc_key_check_pkcs8(der, len, type, &off, &klen, err, errlen);
    case 0x04:
        if ((ret = ec_key_check(der, len, err, errlen)) == 0)
            *type = SIPC_KEY_ECC;
        return ret;
    case 0x02:
        if ((ret = rsa_key_check(der, len, err, errlen)) == 0)
            *type = SIPC_KEY_RSA;
        return ret;
    default: return key_bad(err, errlen, "malformed private key");
    }
}

sipc_key_type sipc_key_type_of(const uint8_t *der, size_t len)
{
    sipc_key_type t;
    return sipc_key_check(der, len, &t, NULL, 0) == 0 ? t : SIPC_KEY_NONE;
}

static int load_key(sipc_keypair *kp, const char *pem, size_t len, char *err, size_t errlen,
                    const char *what)
{
    static const char *const labels[] = {"PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"};
    size_t pos = 0;
    uint8_t *der = NULL;
    size_t dl = 0;
    /* PKCS#8's form, or the traditional one's header (OpenSSL's `-aes256`),
     * which is no Base64 and so no PEM block of a key */
    static const char traditional[] = "Proc-Type: 4,ENCRYPTED";
    if (sipc_pem_block(pem, len, &pos, "ENCRYPTED PRIVATE KEY", &der, &dl, NULL, 0) != 0 || der ||
        memmem(pem, len, traditional, sizeof traditional - 1)) {
        sipc_secure_free(der, dl);
        char word[1100];
        snprintf(err, errlen,
                 "%s: the private key is encrypted, and sipc reads unencrypted keys only: "
                 "decrypt it with `openssl pkey -in %s -out KEY` and give KEY instead (keep it "
                 "0600, readable by its owner only)",
                 what, sipc__shell_word(what, word, sizeof word));
        return SIPC_ETLSCONFIG;
    }
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        pos = 0;
        if (sipc_pem_block(pem, len, &pos, labels[i], &der, &dl, NULL, 0) != 0) {
            snprintf(err, errlen, "%s: the private key is not valid PEM", what);
            return SIPC_ETLSCONFIG;
        }
        if (!der)
            continue;
        kp->key.data = der;
        kp->key.len = dl;
        char why[128];
        int r = sipc_key_check(der, dl, &kp->key_type, why, sizeof why);
        if (r == SIPC_ENOTSUP) {
            snprintf(err, errlen, "%s: unsupported private key type (ECDSA and RSA are supported)", what);
            return SIPC_ETLSCONFIG;
        }
        if (r != 0) {
            snprintf(err, errlen, "%s: the private key is damaged or not a key sipc can read (%s)",
                     what, why);
            return SIPC_ETLSCONFIG;
        }
        return 0;
    }
    snprintf(err, errlen, "%s: no private key found", what);
    return SIPC_ETLSCONFIG;
}

static int keypair_parse(sipc_keypair *kp, const char *certpem, size_t certlen, const char *keypem,
                         size_t keylen, const char *cwhat, const char *kwhat, char *err,
                         size_t errlen)
{
    memset(kp, 0, sizeof *kp);
    int n = 0;
    char why[200];
    int pr = sipc_pem_certs(certpem, certlen, kp->certs, SIPC_KP_MAX_CHAIN, &n, why, sizeof why);
    if (pr == SIPC_ETOOBIG) {
        snprintf(err, errlen, "%s %s (a certificate and the CAs above it)", cwhat, why);
        return SIPC_ETLSCONFIG;
    }
    if (pr != 0) {
        snprintf(err, errlen, "%s: a certificate is not valid PEM", cwhat);
        return SIPC_ETLSCONFIG;
    }
    if (n == 0) {
        snprintf(err, errlen, "%s: no certificate found", cwhat);
        return SIPC_ETLSCONFIG;
    }
    kp->ncerts = n;
    int r = load_key(kp, keypem, keylen, err, errlen, kwhat);
    if (r != 0) {
        sipc_keypair_free(kp);
        return r;
    }
    sipc_fingerprint(kp->certs[0].data, kp->certs[0].len, kp->fingerprint);
    return 0;
}

int sipc_keypair_from_pem(sipc_keypair *kp, const char *pem, size_t len, char *err, size_t errlen)
{
    return keypair_parse(kp, pem, len, pem, len, "certificate", "key", err, errlen);
}

int sipc_keypair_from_file_pem(sipc_keypair *kp, const char *pem, size_t len, const char *path,
                               char *err, size_t errlen)
{
    return keypair_parse(kp, pem, len, pem, len, path, path, err, errlen);
}

int sipc_keypair_load_pem(sipc_keypair *kp, const char *cert_path, const char *key_path, char *err,
                          size_t errlen)
{
    memset(kp, 0, sizeof *kp);
    size_t clen = 0, klen = 0;
    uint8_t *c = NULL, *k = NULL;
    if (sipc_secret_file_read(cert_path, &c, &clen, 8u << 20, err, errlen) != 0)
        return SIPC_ETLSCONFIG;
    k = c;
    if (key_path && strcmp(key_path, cert_path) != 0) {
        if (sipc_secret_file_read(key_path, &k, &klen, 8u << 20, err, errlen) != 0) {
            sipc_secure_free(c, clen);
            return SIPC_ETLSCONFIG;
        }
    } else {
        key_path = cert_path;
        klen = clen;
    }
    int r = keypair_parse(kp, (const char *)c, clen, (const char *)k, klen, cert_path, key_path,
                          err, errlen);
    if (k != c)
        sipc_secure_free(k, klen);
    sipc_secure_free(c, clen);
    return r;
}

int sipc_cert_file_fingerprint(const char *path, char fp[65], char *err, size_t errlen)
{
    fp[0] = '\0';
    struct stat st;
    uint8_t *text = NULL, *der = NULL;
    size_t len = 0, dl = 0, pos = 0;
    if (sipc_secret_regular_read(path, 1, &st, &text, &len, 8u << 20, err, errlen) != 0)
        return SIPC_ETLSCONFIG;
    int r = sipc_pem_block((const char *)text, len, &pos, "CERTIFICATE", &der, &dl, NULL, 0);
    sipc_secure_free(text, len);
    if (r != 0 || !der) {
        snprintf(err, errlen, "%s: %s", path,
                 r != 0 ? "a certificate is not valid PEM" : "no certificate found");
        free(der);
        return SIPC_ETLSCONFIG;
    }
    sipc_fingerprint(der, dl, fp);
    free(der);
    return 0;
}

void sipc_keypair_free(sipc_keypair *kp)
{
    assert(kp && kp->ncerts >= 0 && kp->ncerts <= SIPC_KP_MAX_CHAIN);
    for (int i = 0; i < kp->ncerts; i++)
        sipc_der_free(&kp->certs[i]);
    sipc_der_free(&kp->key);
    kp->ncerts = 0;
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

int sipc_keypair_check_match(const sipc_keypair *kp, const char *path, char *err, size_t errlen)
{
    assert(kp && path);
    bool match = false;
    char why[256] = "";
    int r = sipc_keypair_matches(kp, &match, why, sizeof why);
    if (r == SIPC_ENOMEM)
        return r;
    if (r == 0 && match)
        return 0;
    sipc_x509 x;
    const char *subject = kp->ncerts > 0 && sipc_x509_parse(&x, kp->certs[0].data, kp->certs[0].len,
                                                            NULL, 0) == 0
                              ? x.subject
                              : "?";
    /* a key of another type than the certificate's cannot be read as its
     * type: that is a key of another pair too */
    if (r == 0 || r == SIPC_EFORMAT)
        sipc__seterr(err, errlen,
                     "the private key in %s does not belong to its certificate '%s' (SHA-256 "
                     "%.16s...): the key of another pair",
                     path, subject, kp->fingerprint);
    else
        sipc__seterr(err, errlen, "the private key in %s cannot be checked against its certificate "
                                  "'%s': %s",
                     path, subject, why);
    return SIPC_ETLSCONFIG;
}
