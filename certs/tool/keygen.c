/* keygen.c - see keygen.h. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/tool/keygen.h"
#include "certs/secret_file.h"
#include "certs/x509_info.h"
#include "base/error_text.h"
#include "sipc/errno.h"


static const char *const ALG_NAMES[] = {"ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072"};

int sipc_keyalg_parse(const char *s, sipc_keyalg *out)
{
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, ALG_NAMES[i]) == 0) {
            *out = (sipc_keyalg)i;
            return 0;
        }
    return SIPC_EINVAL;
}

const char *sipc_keyalg_name(sipc_keyalg a)
{
    return (unsigned)a < 4 ? ALG_NAMES[a] : "?";
}

/* The attributes create writes (named as sipc__attr_name gives them), and
 * the CertName field of each, in the same order: one value each. */
static const char *const CREATE_TYPES[] = {"CN", "O", "OU", "C", "ST", "L", "emailAddress", NULL};
static const size_t CREATE_FIELDS[] = {
    offsetof(CertName, commonName), offsetof(CertName, org),      offsetof(CertName, unit),
    offsetof(CertName, country),    offsetof(CertName, state),    offsetof(CertName, locality),
    offsetof(CertName, email),
};
_Static_assert(sizeof CREATE_FIELDS / sizeof CREATE_FIELDS[0] + 1 ==
                   sizeof CREATE_TYPES / sizeof CREATE_TYPES[0],
               "one field per attribute create writes");

static int put_attr(void *arg, const sipc_bytes *oid, const uint8_t *v, size_t len, char *err,
                    size_t errlen)
{
    char an[48], *dst = NULL;
    sipc__attr_name(oid, an, sizeof an);
    for (size_t i = 0; CREATE_TYPES[i] && !dst; i++)
        if (!strcmp(an, CREATE_TYPES[i]))
            dst = (char *)arg + CREATE_FIELDS[i];
    if (!dst) { /* the reader was given CREATE_TYPES: not reached */
        sipc__seterr(err, errlen, "%s is not an attribute tlstool create writes", an);
        return SIPC_EINVAL;
    }
    /* a second value would replace the first, and [tls] subject naming both never match */
    if (dst[0]) {
        sipc__seterr(err, errlen, "%s is given twice: a created pair holds one of each", an);
        return SIPC_EINVAL;
    }
    if (len >= CTC_NAME_SIZE || memchr(v, 0, len)) {
        sipc__seterr(err, errlen, "%s must be 1 to %d bytes, without \\00", an,
                     CTC_NAME_SIZE - 1);
        return SIPC_EINVAL;
    }
    if (!strcmp(an, "C") && len != 2) {
        sipc__seterr(err, errlen, "C must be a two-letter country code");
        return SIPC_EINVAL;
    }
    memcpy(dst, v, len);
    dst[len] = '\0';
    return 0;
}

/* Fills n from subject text, read as [tls] subject reads it. */
static int set_subject(CertName *n, const char *subject, char *err, size_t errlen)
{
    char why[400];
    if (sipc_subject_parse(subject, CREATE_TYPES, put_attr, n, why, sizeof why) != 0) {
        sipc__seterr(err, errlen, "subject '%s': %s", subject, why);
        return SIPC_EINVAL;
    }
    if (!n->commonName[0]) {
        sipc__seterr(err, errlen, "the subject needs a CN");
        return SIPC_EINVAL;
    }
    return 0;
}

int sipc_keygen_selfsigned(sipc_keyalg alg, const char *subject, int days, sipc_keypair *kp,
                           char *err, size_t errlen)
{
    memset(kp, 0, sizeof *kp);
    if (days < 1 || days > 36500) {
        sipc__seterr(err, errlen, "--days must be between 1 and 36500");
        return SIPC_EINVAL;
    }
    Cert *cert = calloc(1, sizeof *cert);
    uint8_t *der = malloc(8192), *kder = malloc(4096);
    WC_RNG rng;
    int have_rng = 0, ret = SIPC_ENOMEM;
    ecc_key ecc;
    RsaKey rsa;
    int have_ecc = 0, have_rsa = 0;
    int is_ec = alg == SIPC_KEYALG_EC256 || alg == SIPC_KEYALG_EC384;
    int klen = 0;
    if (!cert || !der || !kder)
        goto out;
    if (wc_InitRng(&rng) != 0) {
        sipc__seterr(err, errlen, "cannot initialise the random generator");
        ret = SIPC_ETLS;
        goto out;
    }
    have_rng = 1;
    ret = SIPC_ETLS;
    if (is_ec) {
        int sz = alg == SIPC_KEYALG_EC256 ? 32 : 48;
        int curve = alg == SIPC_KEYALG_EC256 ? ECC_SECP256R1 : ECC_SECP384R1;
        if (wc_ecc_init(&ecc) != 0)
            goto out;
        have_ecc = 1;
        if (wc_ecc_make_key_ex(&rng, sz, &ecc, curve) != 0) {
            sipc__seterr(err, errlen, "ECDSA key generation failed");
            goto out;
        }
        klen = wc_EccKeyToDer(&ecc, kder, 4096);
    } else {
        int bits = alg == SIPC_KEYALG_RSA2048 ? 2048 : 3072;
        if (wc_InitRsaKey(&rsa, NULL) != 0)
            goto out;
        have_rsa = 1;
        if (wc_MakeRsaKey(&rsa, bits, WC_RSA_EXPONENT, &rng) != 0) {
            sipc__seterr(err, errlen, "RSA key generation failed");
            goto out;
        }
        klen = wc_RsaKeyToDer(&rsa, kder, 4096);
    }
    if (klen <= 0) {
        sipc__seterr(err, errlen, "cannot encode the new key");
        goto out;
    }

    wc_InitCert(cert);
    if (set_subject(&cert->subject, subject, err, errlen) != 0) {
        ret = SIPC_EINVAL;
        goto out;
    }
    cert->sigType = alg == SIPC_KEYALG_EC256   ? CTC_SHA256wECDSA
                    : alg == SIPC_KEYALG_EC384 ? CTC_SHA384wECDSA
                                               : CTC_SHA256wRSA;
    cert->daysValid = days;
    cert->isCA = 1;
    cert->selfSigned = 1;
    int ktype = is_ec ? ECC_TYPE : RSA_TYPE;
    void *key = is_ec ? (void *)&ecc : (void *)&rsa;
    if (wc_SetKeyUsage(cert, "digitalSignature,keyCertSign") != 0 ||
        wc_SetExtKeyUsage(cert, "serverAuth,clientAuth") != 0 ||
        wc_SetSubjectKeyIdFromPublicKey_ex(cert, ktype, key) != 0 ||
        wc_SetAuthKeyIdFromPublicKey_ex(cert, ktype, key) != 0) {
        sipc__seterr(err, errlen, "cannot set the certificate extensions");
        goto out;
    }
    int r = wc_MakeCert_ex(cert, der, 8192, ktype, key, &rng);
    if (r <= 0) {
        sipc__seterr(err, errlen, "cannot build the certificate (wolfSSL error %d)", r);
        goto out;
    }
    r = wc_SignCert_ex(cert->bodySz, cert->sigType, der, 8192, ktype, key, &rng);
    if (r <= 0) {
        sipc__seterr(err, errlen, "cannot sign the certificate (wolfSSL error %d)", r);
        goto out;
    }
    kp->certs[0].data = malloc((size_t)r);
    kp->key.data = malloc((size_t)klen);
    if (!kp->certs[0].data || !kp->key.data) {
        ret = SIPC_ENOMEM;
        goto out;
    }
    memcpy(kp->certs[0].data, der, (size_t)r);
    kp->certs[0].len = (size_t)r;
    kp->ncerts = 1;
    memcpy(kp->key.data, kder, (size_t)klen);
    kp->key.len = (size_t)klen;
    kp->key_type = is_ec ? SIPC_KEY_ECC : SIPC_KEY_RSA;
    sipc_fingerprint(kp->certs[0].data, kp->certs[0].len, kp->fingerprint);
    ret = 0;
out:
    if (ret != 0)
        sipc_keypair_free(kp);
    if (have_ecc)
        wc_ecc_free(&ecc);
    if (have_rsa)
        wc_FreeRsaKey(&rsa);
    if (have_rng)
        wc_FreeRng(&rng);
    sipc_secure_free(kder, 4096); /* the new private key's DER */
    free(der);
    free(cert);
    return ret;
}
