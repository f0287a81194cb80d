/* keypair.c - node.crt (PEM: certificate, chain, private key) to DER. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/keypair.h"
#include "certs/pem.h"
#include "sipc/errno.h"

void sipc_der_free(sipc_der *d)
{
    if (d->data) {
        /* may hold key material */
        volatile uint8_t *p = d->data;
        for (size_t i = 0; i < d->len; i++)
            p[i] = 0;
        free(d->data);
    }
    d->data = NULL;
    d->len = 0;
}

void sipc_fingerprint(const uint8_t *der, size_t len, char out[65])
{
    uint8_t h[WC_SHA256_DIGEST_SIZE];
    static const char hex[] = "0123456789abcdef";
    if (wc_Sha256Hash(der, (word32)len, h) != 0) {
        out[0] = '\0';
        return;
    }
    for (int i = 0; i < WC_SHA256_DIGEST_SIZE; i++) {
        out[2 * i] = hex[h[i] >> 4];
        out[2 * i + 1] = hex[h[i] & 15];
    }
    out[64] = '\0';
}

sipc_key_type sipc_key_type_of(const uint8_t *der, size_t len)
{
    word32 idx = 0;
    ecc_key ecc;
    RsaKey rsa;
    /* PKCS#8 wraps the traditional form: skip the wrapper if present */
    if (wc_GetPkcs8TraditionalOffset((byte *)der, &idx, (word32)len) < 0)
        idx = 0; /* not PKCS#8: already traditional */
    word32 i = idx;
    if (wc_ecc_init(&ecc) == 0) {
        int r = wc_EccPrivateKeyDecode(der, &i, &ecc, (word32)len);
        wc_ecc_free(&ecc);
        if (r == 0)
            return SIPC_KEY_ECC;
    }
    i = idx;
    if (wc_InitRsaKey(&rsa, NULL) == 0) {
        int r = wc_RsaPrivateKeyDecode(der, &i, &rsa, (word32)len);
        wc_FreeRsaKey(&rsa);
        if (r == 0)
            return SIPC_KEY_RSA;
    }
    return SIPC_KEY_NONE;
}

static int load_key(sipc_keypair *kp, const char *pem, size_t len, char *err, size_t errlen,
                    const char *what)
{
    static const char *const labels[] = {"PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"};
    size_t pos = 0;
    uint8_t *der = NULL;
    size_t dl = 0;
    if (sipc_pem_block(pem, len, &pos, "ENCRYPTED PRIVATE KEY", &der, &dl, NULL, 0) != 0 || der) {
        free(der);
        snprintf(err, errlen, "%s: the private key is encrypted; import the PKCS#12 file with tlstool import", what);
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
        kp->key_type = sipc_key_type_of(der, dl);
        if (kp->key_type == SIPC_KEY_NONE) {
            snprintf(err, errlen, "%s: unsupported private key type (ECDSA and RSA are supported)", what);
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
    if (sipc_pem_certs(certpem, certlen, kp->certs, SIPC_KP_MAX_CHAIN, &n, NULL, 0) != 0) {
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

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "re");
    if (!fp) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > (8u << 20)) {
                snprintf(err, errlen, "%s is too large for a certificate file", path);
                goto fail;
            }
            char *nb = realloc(buf, cap);
            if (!nb) {
                snprintf(err, errlen, "out of memory reading %s", path);
                goto fail;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, fp);
        n += r;
        if (r == 0)
            break;
    }
    fclose(fp);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    fclose(fp);
    free(buf);
    return NULL;
}

static void free_secret(char *buf, size_t len)
{
    if (!buf)
        return;
    volatile char *p = buf;
    for (size_t i = 0; i < len; i++)
        p[i] = 0;
    free(buf);
}

int sipc_keypair_load_pem(sipc_keypair *kp, const char *cert_path, const char *key_path, char *err,
                          size_t errlen)
{
    memset(kp, 0, sizeof *kp);
    size_t clen = 0, klen = 0;
    char *c = read_file(cert_path, &clen, err, errlen);
    if (!c)
        return SIPC_ETLSCONFIG;
    char *k = c;
    if (key_path && strcmp(key_path, cert_path) != 0) {
        k = read_file(key_path, &klen, err, errlen);
        if (!k) {
            free(c);
            return SIPC_ETLSCONFIG;
        }
    } else {
        key_path = cert_path;
        klen = clen;
    }
    int r = keypair_parse(kp, c, clen, k, klen, cert_path, key_path, err, errlen);
    if (k != c)
        free_secret(k, klen);
    free_secret(c, clen);
    return r;
}

void sipc_keypair_free(sipc_keypair *kp)
{
    assert(kp && kp->ncerts >= 0 && kp->ncerts <= SIPC_KP_MAX_CHAIN);
    for (int i = 0; i < kp->ncerts; i++)
        sipc_der_free(&kp->certs[i]);
    sipc_der_free(&kp->key);
    kp->ncerts = 0;
}
