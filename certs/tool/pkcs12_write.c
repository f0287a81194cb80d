/* pkcs12_write.c - writing PKCS#12 files (RFC 7292), see pkcs12.h.
 *
 * Why not wc_PKCS12_create: wolfSSL 5.5.4 ignores its friendlyName argument
 * and writes no bag attributes at all. Without a localKeyID on the leaf's
 * certificate and key bags, `openssl pkcs12 -clcerts` prints nothing, and
 * Java keytool and Windows, which pair a key with its certificate by that
 * attribute, see no key entry. So the structure is encoded here, with
 * wolfCrypt for the PKCS#12 key derivation, 3DES-CBC, HMAC and SHA only:
 *
 *   PFX { version 3,
 *         authSafe data { AuthenticatedSafe {
 *             encryptedData (PBE-SHA1-3DES) { SafeContents { certBag leaf [attrs],
 *                                                            certBag chain... } },
 *             data { SafeContents { pkcs8ShroudedKeyBag (PBE-SHA1-3DES) [attrs] } } } },
 *         macData (HMAC-SHA-256) }
 *
 *   attrs = friendlyName (BMPString), localKeyID (SHA-1 of the leaf's DER,
 *   as OpenSSL writes it).
 *
 * PBE-SHA1-3DES is the one scheme every reader has (OpenSSL 1.x and 3,
 * wolfSSL, Java, Windows). Every plaintext gets 1..8 bytes of PKCS#7
 * padding: OpenSSL refused key bags from wolfSSL's writer whose PKCS#8 key
 * was a multiple of 8 bytes long ("bad decrypt"). */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/des3.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/pwdbased.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha.h>

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error_text.h"
#include "certs/tool/pkcs12.h"
#include "certs/tool/store.h"
#include "sipc/errno.h"

/* Iteration counts of the key derivations (OpenSSL's default is 2048). */
#define PFX_ITER 20000
#define PFX_SALT_LEN 8

/* OIDs (content bytes) */
static const uint8_t OID_DATA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
static const uint8_t OID_ENCRYPTED_DATA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06};
static const uint8_t OID_PBE_SHA1_3DES[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                            0x0d, 0x01, 0x0c, 0x01, 0x03};
static const uint8_t OID_KEY_BAG[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x02};
static const uint8_t OID_CERT_BAG[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x03};
static const uint8_t OID_X509_CERT[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x16, 0x01};
static const uint8_t OID_FRIENDLY_NAME[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x14};
static const uint8_t OID_LOCAL_KEY_ID[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x15};
static const uint8_t OID_SHA256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};

enum { T_INT = 0x02, T_OCTETS = 0x04, T_NULL = 0x05, T_OID = 0x06, T_BMP = 0x1e, T_SEQ = 0x30,
       T_SET = 0x31, T_CTX0 = 0xa0, T_CTX0_PRIM = 0x80 };

/* ------------------------------------------------------------ DER writer */

/* Appends tag, length and content to out. */
static int tlv(sipc_buf *out, uint8_t tag, const void *content, size_t len)
{
    uint8_t hdr[6];
    size_t h = 0;
    hdr[h++] = tag;
    if (len < 0x80) {
        hdr[h++] = (uint8_t)len;
    } else {
        int nb = len > 0xffffff ? 4 : len > 0xffff ? 3 : len > 0xff ? 2 : 1;
        hdr[h++] = (uint8_t)(0x80 | nb);
        for (int i = nb - 1; i >= 0; i--)
            hdr[h++] = (uint8_t)(len >> (8 * i));
    }
    if (sipc_buf_append(out, hdr, h) != 0 || sipc_buf_append(out, content, len) != 0)
        return SIPC_ENOMEM;
    return 0;
}

/* Wraps the whole of inner in one TLV appended to out; inner is consumed. */
static int wrap(sipc_buf *out, uint8_t tag, sipc_buf *inner)
{
    int r = tlv(out, tag, inner->data, inner->len);
    sipc_buf_free(inner);
    return r;
}

static int der_int(sipc_buf *out, unsigned v)
{
    assert(v <= 0x7fffff);
    uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    size_t skip = 0;
    while (skip < 2 && b[skip] == 0 && !(b[skip + 1] & 0x80))
        skip++;
    return tlv(out, T_INT, b + skip, 3 - skip);
}

/* ------------------------------------------------------------ crypto */

/* The password as PKCS#12 wants it: BMPString bytes plus two zero bytes.
 * Each byte becomes one character, as wolfSSL reads it; tlstool allows only
 * printable ASCII, where this equals OpenSSL's UTF-8 conversion. */
static uint8_t *bmp_password(const char *pw, size_t *len)
{
    size_t n = strlen(pw);
    uint8_t *b = malloc(2 * n + 2);
    if (!b)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        b[2 * i] = 0;
        b[2 * i + 1] = (uint8_t)pw[i];
    }
    b[2 * n] = b[2 * n + 1] = 0;
    *len = 2 * n + 2;
    return b;
}

typedef struct pfx_ctx {
    WC_RNG rng;
    uint8_t *pw; /* BMP password */
    size_t pwlen;
} pfx_ctx;

/* PBE-SHA1-3DES (RFC 7292 appendix B key derivation, PKCS#7 padding) of in:
 * the AlgorithmIdentifier into alg and the ciphertext into ct. */
static int pbe_encrypt(pfx_ctx *c, const uint8_t *in, size_t inlen, sipc_buf *alg, sipc_buf *ct)
{
    uint8_t salt[PFX_SALT_LEN], key[24], iv[8];
    sipc_buf params = {0}, seq = {0};
    Des3 des;
    if (wc_RNG_GenerateBlock(&c->rng, salt, sizeof salt) != 0 ||
        wc_PKCS12_PBKDF_ex(key, c->pw, (int)c->pwlen, salt, sizeof salt, PFX_ITER, sizeof key,
                           WC_HASH_TYPE_SHA, 1, NULL) != 0 ||
        wc_PKCS12_PBKDF_ex(iv, c->pw, (int)c->pwlen, salt, sizeof salt, PFX_ITER, sizeof iv,
                           WC_HASH_TYPE_SHA, 2, NULL) != 0)
        return SIPC_ETLS;
    /* always 1..8 bytes of padding, a whole block when inlen is a multiple of 8 */
    size_t pad = 8 - inlen % 8, n = inlen + pad;
    uint8_t *plain = malloc(n);
    int r = SIPC_ENOMEM;
    if (!plain || sipc_buf_reserve(ct, n) != 0)
        goto out;
    memcpy(plain, in, inlen);
    memset(plain + inlen, (int)pad, pad);
    r = SIPC_ETLS;
    if (wc_Des3Init(&des, NULL, INVALID_DEVID) != 0)
        goto out;
    if (wc_Des3_SetKey(&des, key, iv, DES_ENCRYPTION) == 0 &&
        wc_Des3_CbcEncrypt(&des, ct->data + ct->len, plain, (word32)n) == 0) {
        ct->len += n;
        r = 0;
    }
    wc_Des3Free(&des);
    if (r == 0 && (r = tlv(&params, T_OCTETS, salt, sizeof salt)) == 0 &&
        (r = der_int(&params, PFX_ITER)) == 0 &&
        (r = tlv(&seq, T_OID, OID_PBE_SHA1_3DES, sizeof OID_PBE_SHA1_3DES)) == 0 &&
        (r = wrap(&seq, T_SEQ, &params)) == 0)
        r = wrap(alg, T_SEQ, &seq);
out:
    sipc_buf_free(&params);
    sipc_buf_free(&seq);
    if (plain)
        sipc_secure_free(plain, n);
    explicit_bzero(key, sizeof key);
    explicit_bzero(iv, sizeof iv);
    return r;
}

/* ------------------------------------------------------------ bags */

/* SET OF { friendlyName, localKeyID } */
static int bag_attrs(sipc_buf *out, const char *name, const uint8_t id[WC_SHA_DIGEST_SIZE])
{
    sipc_buf bmp = {0}, v = {0}, a = {0}, set = {0};
    int r = 0;
    for (const char *p = name; *p && r == 0; p++) {
        uint8_t ch[2] = {0, (uint8_t)*p};
        r = sipc_buf_append(&bmp, ch, 2) != 0 ? SIPC_ENOMEM : 0;
    }
    if (r == 0 && (r = tlv(&v, T_BMP, bmp.data ? bmp.data : (uint8_t *)"", bmp.len)) == 0 &&
        (r = tlv(&a, T_OID, OID_FRIENDLY_NAME, sizeof OID_FRIENDLY_NAME)) == 0 &&
        (r = wrap(&a, T_SET, &v)) == 0 && (r = wrap(&set, T_SEQ, &a)) == 0 &&
        (r = tlv(&v, T_OCTETS, id, WC_SHA_DIGEST_SIZE)) == 0 &&
        (r = tlv(&a, T_OID, OID_LOCAL_KEY_ID, sizeof OID_LOCAL_KEY_ID)) == 0 &&
        (r = wrap(&a, T_SET, &v)) == 0 && (r = wrap(&set, T_SEQ, &a)) == 0)
        r = wrap(out, T_SET, &set);
    sipc_buf_free(&bmp);
    sipc_buf_free(&v);
    sipc_buf_free(&a);
    sipc_buf_free(&set);
    return r;
}

/* SafeBag { bagId, [0] value, attrs? } appended to out */
static int safe_bag(sipc_buf *out, const uint8_t *oid, size_t oidlen, sipc_buf *value,
                    sipc_buf *attrs)
{
    sipc_buf bag = {0};
    int r;
    if ((r = tlv(&bag, T_OID, oid, oidlen)) == 0 && (r = wrap(&bag, T_CTX0, value)) == 0 &&
        (!attrs || (r = sipc_buf_append(&bag, attrs->data, attrs->len) != 0 ? SIPC_ENOMEM : 0) == 0))
        r = wrap(out, T_SEQ, &bag);
    sipc_buf_free(&bag);
    sipc_buf_free(value);
    return r;
}

static int cert_bag(sipc_buf *out, const sipc_der *cert, sipc_buf *attrs)
{
    sipc_buf octets = {0}, cb = {0}, value = {0};
    int r;
    if ((r = tlv(&octets, T_OCTETS, cert->data, cert->len)) == 0 &&
        (r = tlv(&cb, T_OID, OID_X509_CERT, sizeof OID_X509_CERT)) == 0 &&
        (r = wrap(&cb, T_CTX0, &octets)) == 0 && (r = wrap(&value, T_SEQ, &cb)) == 0)
        r = safe_bag(out, OID_CERT_BAG, sizeof OID_CERT_BAG, &value, attrs);
    sipc_buf_free(&octets);
    sipc_buf_free(&cb);
    sipc_buf_free(&value);
    return r;
}

/* The key as PKCS#8 PrivateKeyInfo (malloc'd, secret). */
static int key_pkcs8(const sipc_keypair *kp, uint8_t **out, word32 *outlen)
{
    word32 idx = 0;
    if (wc_GetPkcs8TraditionalOffset(kp->key.data, &idx, (word32)kp->key.len) >= 0) {
        *out = malloc(kp->key.len);
        if (!*out)
            return SIPC_ENOMEM;
        memcpy(*out, kp->key.data, kp->key.len);
        *outlen = (word32)kp->key.len;
        return 0;
    }
    word32 n = 0;
    int r = SIPC_ETLS;
    *out = NULL;
    if (kp->key_type == SIPC_KEY_ECC) {
        ecc_key k;
        if (wc_ecc_init(&k) != 0)
            return SIPC_ETLS;
        idx = 0;
        if (wc_EccPrivateKeyDecode(kp->key.data, &idx, &k, (word32)kp->key.len) == 0 &&
            wc_EccKeyToPKCS8(&k, NULL, &n) == LENGTH_ONLY_E) {
            *out = malloc(n);
            r = !*out ? SIPC_ENOMEM : wc_EccKeyToPKCS8(&k, *out, &n) > 0 ? 0 : SIPC_ETLS;
        }
        wc_ecc_free(&k);
    } else if (kp->key_type == SIPC_KEY_RSA) {
        if (wc_CreatePKCS8Key(NULL, &n, kp->key.data, (word32)kp->key.len, RSAk, NULL, 0) ==
            LENGTH_ONLY_E) {
            *out = malloc(n);
            r = !*out ? SIPC_ENOMEM
                : wc_CreatePKCS8Key(*out, &n, kp->key.data, (word32)kp->key.len, RSAk, NULL, 0) > 0
                    ? 0
                    : SIPC_ETLS;
        }
    }
    if (r != 0 && *out) {
        sipc_secure_free(*out, n);
        *out = NULL;
    }
    *outlen = n;
    return r;
}

/* ContentInfo data { SafeContents { pkcs8ShroudedKeyBag } } */
static int key_content(pfx_ctx *c, const sipc_keypair *kp, sipc_buf *attrs, sipc_buf *out)
{
    uint8_t *p8;
    word32 p8len;
    int r = key_pkcs8(kp, &p8, &p8len);
    if (r != 0)
        return r;
    sipc_buf alg = {0}, ct = {0}, epki = {0}, value = {0}, sc = {0}, octets = {0}, ci = {0};
    r = pbe_encrypt(c, p8, p8len, &alg, &ct);
    sipc_secure_free(p8, p8len);
    if (r == 0 && (r = sipc_buf_append(&epki, alg.data, alg.len) != 0 ? SIPC_ENOMEM : 0) == 0 &&
        (r = tlv(&epki, T_OCTETS, ct.data, ct.len)) == 0 && (r = wrap(&value, T_SEQ, &epki)) == 0 &&
        (r = safe_bag(&sc, OID_KEY_BAG, sizeof OID_KEY_BAG, &value, attrs)) == 0 &&
        (r = wrap(&octets, T_SEQ, &sc)) == 0 && (r = tlv(&ci, T_OID, OID_DATA, sizeof OID_DATA)) == 0) {
        sipc_buf inner = {0};
        if ((r = wrap(&inner, T_OCTETS, &octets)) == 0 && (r = wrap(&ci, T_CTX0, &inner)) == 0)
            r = wrap(out, T_SEQ, &ci);
        sipc_buf_free(&inner);
    }
    sipc_buf_free(&alg);
    sipc_buf_free(&ct);
    sipc_buf_free(&epki);
    sipc_buf_free(&value);
    sipc_buf_free(&sc);
    sipc_buf_free(&octets);
    sipc_buf_free(&ci);
    return r;
}

/* ContentInfo encryptedData { SafeContents { certBag leaf, certBag chain... } } */
static int cert_content(pfx_ctx *c, const sipc_keypair *kp, sipc_buf *attrs, sipc_buf *out)
{
    sipc_buf bags = {0}, sc = {0}, alg = {0}, ct = {0}, eci = {0}, ed = {0}, ci = {0};
    int r = cert_bag(&bags, &kp->certs[0], attrs);
    for (int i = 1; i < kp->ncerts && r == 0; i++)
        r = cert_bag(&bags, &kp->certs[i], NULL);
    if (r == 0 && (r = wrap(&sc, T_SEQ, &bags)) == 0 &&
        (r = pbe_encrypt(c, sc.data, sc.len, &alg, &ct)) == 0 &&
        (r = tlv(&eci, T_OID, OID_DATA, sizeof OID_DATA)) == 0 &&
        (r = sipc_buf_append(&eci, alg.data, alg.len) != 0 ? SIPC_ENOMEM : 0) == 0 &&
        (r = tlv(&eci, T_CTX0_PRIM, ct.data, ct.len)) == 0 && (r = der_int(&ed, 0)) == 0 &&
        (r = wrap(&ed, T_SEQ, &eci)) == 0 &&
        (r = tlv(&ci, T_OID, OID_ENCRYPTED_DATA, sizeof OID_ENCRYPTED_DATA)) == 0) {
        sipc_buf seq = {0};
        if ((r = wrap(&seq, T_SEQ, &ed)) == 0 && (r = wrap(&ci, T_CTX0, &seq)) == 0)
            r = wrap(out, T_SEQ, &ci);
        sipc_buf_free(&seq);
    }
    sipc_buf_free(&bags);
    sipc_buf_free(&sc);
    sipc_buf_free(&alg);
    sipc_buf_free(&ct);
    sipc_buf_free(&eci);
    sipc_buf_free(&ed);
    sipc_buf_free(&ci);
    return r;
}

/* MacData { DigestInfo { sha256, HMAC }, salt, iterations } over the
 * AuthenticatedSafe bytes */
static int mac_data(pfx_ctx *c, const sipc_buf *safe, sipc_buf *out)
{
    uint8_t salt[PFX_SALT_LEN], key[WC_SHA256_DIGEST_SIZE], mac[WC_SHA256_DIGEST_SIZE];
    Hmac h;
    if (wc_RNG_GenerateBlock(&c->rng, salt, sizeof salt) != 0 ||
        wc_PKCS12_PBKDF_ex(key, c->pw, (int)c->pwlen, salt, sizeof salt, PFX_ITER, sizeof key,
                           WC_HASH_TYPE_SHA256, 3, NULL) != 0)
        return SIPC_ETLS;
    int r = SIPC_ETLS;
    if (wc_HmacInit(&h, NULL, INVALID_DEVID) == 0) {
        if (wc_HmacSetKey(&h, WC_SHA256, key, sizeof key) == 0 &&
            wc_HmacUpdate(&h, safe->data, (word32)safe->len) == 0 && wc_HmacFinal(&h, mac) == 0)
            r = 0;
        wc_HmacFree(&h);
    }
    explicit_bzero(key, sizeof key);
    if (r != 0)
        return r;
    sipc_buf alg = {0}, di = {0}, md = {0};
    if ((r = tlv(&alg, T_OID, OID_SHA256, sizeof OID_SHA256)) == 0 &&
        (r = tlv(&alg, T_NULL, "", 0)) == 0 && (r = wrap(&di, T_SEQ, &alg)) == 0 &&
        (r = tlv(&di, T_OCTETS, mac, sizeof mac)) == 0 && (r = wrap(&md, T_SEQ, &di)) == 0 &&
        (r = tlv(&md, T_OCTETS, salt, sizeof salt)) == 0 && (r = der_int(&md, PFX_ITER)) == 0)
        r = wrap(out, T_SEQ, &md);
    sipc_buf_free(&alg);
    sipc_buf_free(&di);
    sipc_buf_free(&md);
    return r;
}

int sipc_pfx_write(const sipc_keypair *kp, const char *password, const char *friendly_name,
                   uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
    assert(kp && password && out && outlen);
    assert(kp->ncerts >= 0 && kp->ncerts <= SIPC_KP_MAX_CHAIN);
    *out = NULL;
    *outlen = 0;
    if (kp->ncerts < 1 || !kp->key.data) {
        sipc__seterr(err, errlen, "the key pair has no %s", kp->ncerts < 1 ? "certificate" : "key");
        return SIPC_EINVAL;
    }
    pfx_ctx c;
    memset(&c, 0, sizeof c);
    if (wc_InitRng(&c.rng) != 0) {
        sipc__seterr(err, errlen, "cannot initialise the random generator");
        return SIPC_ETLS;
    }
    uint8_t id[WC_SHA_DIGEST_SIZE];
    sipc_buf attrs = {0}, safe = {0}, seq = {0}, pfx = {0}, body = {0};
    sipc_buf octets = {0}, ctx = {0}, ci = {0};
    int r = SIPC_ENOMEM;
    c.pw = bmp_password(password, &c.pwlen);
    if (!c.pw)
        goto out;
    /* localKeyID as OpenSSL writes it: the SHA-1 of the leaf certificate */
    if (wc_ShaHash(kp->certs[0].data, (word32)kp->certs[0].len, id) != 0) {
        r = SIPC_ETLS;
        goto out;
    }
    if ((r = bag_attrs(&attrs, friendly_name ? friendly_name : "sipc", id)) != 0 ||
        (r = cert_content(&c, kp, &attrs, &safe)) != 0 ||
        (r = key_content(&c, kp, &attrs, &safe)) != 0 || (r = wrap(&seq, T_SEQ, &safe)) != 0)
        goto out;
    /* authSafe: ContentInfo data { OCTET STRING { AuthenticatedSafe } }; the
     * MAC covers the AuthenticatedSafe bytes */
    if ((r = tlv(&octets, T_OCTETS, seq.data, seq.len)) == 0 && (r = wrap(&ctx, T_CTX0, &octets)) == 0 &&
        (r = tlv(&ci, T_OID, OID_DATA, sizeof OID_DATA)) == 0 &&
        (r = sipc_buf_append(&ci, ctx.data, ctx.len) != 0 ? SIPC_ENOMEM : 0) == 0 &&
        (r = der_int(&body, 3)) == 0 && (r = wrap(&body, T_SEQ, &ci)) == 0 &&
        (r = mac_data(&c, &seq, &body)) == 0)
        r = wrap(&pfx, T_SEQ, &body);
    if (r != 0)
        goto out;
    *out = pfx.data;
    *outlen = pfx.len;
    pfx.data = NULL;
out:
    if (r == SIPC_ETLS)
        sipc__seterr(err, errlen, "wolfCrypt failed while encrypting the PKCS#12 file");
    else if (r == SIPC_ENOMEM)
        sipc__seterr(err, errlen, "out of memory while encoding the PKCS#12 file");
    if (c.pw)
        sipc_secure_free(c.pw, c.pwlen);
    wc_FreeRng(&c.rng);
    sipc_buf_free(&attrs);
    sipc_buf_free(&safe);
    sipc_buf_free(&seq);
    sipc_buf_free(&pfx);
    sipc_buf_free(&body);
    sipc_buf_free(&octets);
    sipc_buf_free(&ctx);
    sipc_buf_free(&ci);
    return r;
}
