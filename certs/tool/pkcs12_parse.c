/* pkcs12_parse.c - reading PKCS#12 files (RFC 7292), see pkcs12_parse.h.
 *
 * Why not wc_PKCS12_parse: wolfSSL 5.5.4's parser trusts what it reads, and
 * nothing a caller checks afterwards can help, because the damage is done
 * inside the call:
 *   - a key bag whose PKCS#8 key does not parse comes back with the negative
 *     error code as its (unsigned) length, near 4 GiB;
 *   - before returning, the parser pairs the key with a certificate through
 *     wc_CheckPrivateKeyCert with that length, which decodes the key past
 *     the end of its buffer;
 *   - an EC key whose private value is longer than its curve's size (the
 *     decoder accepts up to the largest curve's) makes the same check write
 *     before the start of a stack buffer in wc_ecc_export_private_only;
 *   - the bags of a decrypted content are read against the size of the
 *     content's envelope, a little more than the decrypted buffer holds.
 * So the structure is read here, with certs/der.h: DER with definite
 * lengths only, every element inside its parent and exactly filling the
 * ones that have a fixed shape. wolfCrypt does the MAC's key derivation and HMAC, the decryption
 * (wc_DecryptPKCS8Key, which bounds what it returns by what it decrypted),
 * and no length it returns is used without checking it against the buffer
 * it describes. Keys are kept only when sipc_key_check_pkcs8 (keypair.c,
 * shared with node.crt loading) finds them sound. The macData that RFC 7292
 * makes optional is required, and so is encryption of the key bags: without
 * them the password proves nothing about the file.
 *
 *   PFX { version 3, authSafe data { AuthenticatedSafe { ContentInfo... } },
 *         macData { DigestInfo { alg, digest }, salt, iterations } }
 *   ContentInfo: data { OCTET STRING SafeContents }
 *              | encryptedData { version, { data, alg, [0] ciphertext } }
 *   SafeContents { SafeBag { bagId, [0] value, attributes }... }
 *   keyBag PrivateKeyInfo, pkcs8ShroudedKeyBag EncryptedPrivateKeyInfo,
 *   certBag { x509Certificate, [0] OCTET STRING certificate }; other bags
 *   are skipped. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/pwdbased.h>

#include <assert.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "certs/der.h"
#include "certs/keypair.h"
#include "certs/tool/pkcs12_parse.h"
#include "certs/tool/store.h"
#include "base/error_text.h"
#include "sipc/errno.h"

static const uint8_t OID_DATA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
static const uint8_t OID_SIGNED_DATA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
static const uint8_t OID_ENVELOPED_DATA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03};
static const uint8_t OID_ENCRYPTED_DATA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x06};
static const uint8_t OID_KEY_BAG[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
                                      0x01, 0x0c, 0x0a, 0x01, 0x01};
static const uint8_t OID_SHROUDED_KEY_BAG[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
                                               0x01, 0x0c, 0x0a, 0x01, 0x02};
static const uint8_t OID_CERT_BAG[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
                                       0x01, 0x0c, 0x0a, 0x01, 0x03};
/* PKCS#9 friendlyName 1.2.840.113549.1.9.20: keytool's alias, OpenSSL's -name */
static const uint8_t OID_FRIENDLY_NAME[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x14};
static const uint8_t OID_X509_CERT[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x16, 0x01};
static const uint8_t OID_SHA1[] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};
static const uint8_t OID_SHA224[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04};
static const uint8_t OID_SHA256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
static const uint8_t OID_SHA384[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};
static const uint8_t OID_SHA512[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03};
/* RFC 9579's PBMAC1 (1.2.840.113549.1.5.14) as the MAC's algorithm */
static const uint8_t OID_PBMAC1[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0e};

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

/* ------------------------------------------------------------ failures */

int sipc__pfx_fail(sipc_pfx_error *why, sipc_pfx_error e)
{
    if (why)
        *why = e;
    switch (e) {
    case SIPC_PFX_CORRUPT: return SIPC_EFORMAT;
    case SIPC_PFX_PASSWORD: return SIPC_EPASSWORD;
    case SIPC_PFX_RC2: return SIPC_ENOTSUP;
    case SIPC_PFX_NOKEY:
    case SIPC_PFX_NOCERT:
    case SIPC_PFX_MISMATCH:
    case SIPC_PFX_UNPROTECTED:
    case SIPC_PFX_CHAIN_TOO_LONG:
    case SIPC_PFX_KEYS: return SIPC_ETLSCONFIG;
    case SIPC_PFX_OK: break;
    }
    assert(0 && "sipc__pfx_fail without a failure");
    return SIPC_EINVAL;
}

typedef struct pctx {
    const char *pw;
    int pwlen;
    bool has_mac;  /* and it matched */
    bool in_plain; /* reading a decrypted content */
    bool allow_unprotected;
    sipc_pfx_parts *out;
    sipc_pfx_error *why;
    char *err;
    size_t errlen;
} pctx;

/* The file's structure is damaged. Inside a decrypted content of a file
 * without MAC, a wrong password is as likely. */
static int damaged(pctx *c, const char *what)
{
    if (c->in_plain && !c->has_mac) {
        sipc__seterr(c->err, c->errlen,
                     "the file could not be decrypted (wrong password, damaged file or an "
                     "unsupported encryption; %s)",
                     what);
        return sipc__pfx_fail(c->why, SIPC_PFX_CORRUPT);
    }
    sipc__seterr(c->err, c->errlen,
                 "the file is not a readable PKCS#12 file (truncated or damaged? %s)", what);
    return sipc__pfx_fail(c->why, SIPC_PFX_CORRUPT);
}

/* wc_DecryptPKCS8Key failed with wc on what alg (the encrypted element,
 * starting with its AlgorithmIdentifier) describes. */
static int undecryptable(pctx *c, const uint8_t *alg, size_t alglen, int wc)
{
    if (uses_rc2(alg, alglen) && !sipc_pfx_have_rc2()) {
        sipc__seterr(c->err, c->errlen,
                     "the file is encrypted with RC2 (written by `openssl pkcs12 -export "
                     "-legacy`, OpenSSL 1.x or older Windows) and this build of wolfSSL has "
                     "no RC2: re-export it with AES (OpenSSL 3 default) or with `-legacy "
                     "-certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES`");
        return sipc__pfx_fail(c->why, SIPC_PFX_RC2);
    }
    if (c->has_mac) {
        /* the MAC matched: the password is right */
        sipc__seterr(c->err, c->errlen,
                     "the file could not be decrypted (damaged file or an encryption this "
                     "wolfSSL cannot decrypt; wolfSSL error %d)",
                     wc);
        return sipc__pfx_fail(c->why, SIPC_PFX_CORRUPT);
    }
    sipc__seterr(c->err, c->errlen,
                 "the file could not be decrypted (wrong password, damaged file or an "
                 "unsupported encryption; wolfSSL error %d)",
                 wc);
    return sipc__pfx_fail(c->why, wc == ASN_PARSE_E || wc == BUFFER_E ? SIPC_PFX_CORRUPT
                                                                      : SIPC_PFX_PASSWORD);
}

static int bad_key(pctx *c)
{
    sipc__seterr(c->err, c->errlen,
                 "the private key in the file is damaged or not a key sipc can read");
    return sipc__pfx_fail(c->why, SIPC_PFX_CORRUPT);
}

/* ------------------------------------------------------------ MAC */

static enum wc_HashType mac_hash(const sipc_bytes *oid)
{
    if (OID_IS(oid, OID_SHA1))
        return WC_HASH_TYPE_SHA;
    if (OID_IS(oid, OID_SHA224))
        return WC_HASH_TYPE_SHA224;
    if (OID_IS(oid, OID_SHA256))
        return WC_HASH_TYPE_SHA256;
    if (OID_IS(oid, OID_SHA384))
        return WC_HASH_TYPE_SHA384;
    if (OID_IS(oid, OID_SHA512))
        return WC_HASH_TYPE_SHA512;
    return WC_HASH_TYPE_NONE;
}

/* RFC 7292 appendix B: HMAC over the AuthenticatedSafe's bytes with a key
 * derived from the password as a BMPString, each byte one character (as
 * wolfSSL and sipc_pfx_write take it), plus two zero bytes. */
#define SIPC_PFX_MAX_ITERATIONS 10000000

static int check_mac(pctx *c, const tlv *mac, const tlv *safe)
{
    rd m = rd_of(&mac->val), d, a;
    tlv di, alg, dig, hoid, par, salt, it;
    long iter = 1;
    if (der_expect(&m, 0x30, &di) || (d = rd_of(&di.val), der_expect(&d, 0x30, &alg)) ||
        der_expect(&d, 0x04, &dig) || d.n || (a = rd_of(&alg.val), der_expect(&a, 0x06, &hoid)))
        return damaged(c, "malformed MAC data");
    /* named before its parameters are read: they are a SEQUENCE, which
     * would read as damage */
    if (OID_IS(&hoid.val, OID_PBMAC1)) {
        sipc__seterr(c->err, c->errlen,
                     "the file's integrity check (MAC) is PBMAC1 (RFC 9579, written by OpenSSL "
                     "3.4 and later with -pbmac1_pbkdf2), which sipc does not read: export the "
                     "pair again with `openssl pkcs12 -export -macalg sha256` (the default "
                     "without -pbmac1_pbkdf2)");
        return sipc__pfx_fail(c->why, SIPC_PFX_CORRUPT);
    }
    if ((a.n && (der_expect(&a, 0x05, &par) || par.val.len || a.n)) ||
        der_expect(&m, 0x04, &salt) ||
        (m.n && (der_expect(&m, 0x02, &it) || der_small_int(&it, &iter) || iter < 1)) || m.n)
        return damaged(c, "malformed MAC data");
    /* OpenSSL writes 2048, Java 10000: a count far beyond is a file made to
     * keep the import busy for hours, not a key pair */
    if (iter > SIPC_PFX_MAX_ITERATIONS) {
        sipc__seterr(c->err, c->errlen,
                     "the file's integrity check (MAC) asks for %ld iterations; sipc accepts at "
                     "most %d",
                     iter, SIPC_PFX_MAX_ITERATIONS);
        return sipc__pfx_fail(c->why, SIPC_PFX_CORRUPT);
    }
    enum wc_HashType ht = mac_hash(&hoid.val);
    int dlen = ht == WC_HASH_TYPE_NONE ? -1 : wc_HashGetDigestSize(ht);
    if (dlen <= 0 || dlen > WC_MAX_DIGEST_SIZE) {
        sipc__seterr(c->err, c->errlen,
                     "the file's integrity check (MAC) uses a digest sipc cannot compute "
                     "(SHA-1 and SHA-2 are supported)");
        return sipc__pfx_fail(c->why, SIPC_PFX_CORRUPT);
    }
    size_t n = strlen(c->pw);
    uint8_t *bmp = malloc(2 * n + 2);
    if (!bmp)
        return SIPC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        bmp[2 * i] = 0;
        bmp[2 * i + 1] = (uint8_t)c->pw[i];
    }
    bmp[2 * n] = bmp[2 * n + 1] = 0;
    uint8_t key[WC_MAX_DIGEST_SIZE], out[WC_MAX_DIGEST_SIZE];
    int r = wc_PKCS12_PBKDF_ex(key, bmp, (int)(2 * n + 2), salt.val.p, (int)salt.val.len, (int)iter, dlen,
                               ht, 3 /* the MAC key */, NULL);
    sipc_secure_free(bmp, 2 * n + 2);
    Hmac h;
    if (r == 0 && (r = wc_HmacInit(&h, NULL, INVALID_DEVID)) == 0) {
        r = wc_HmacSetKey(&h, (int)ht, key, (word32)dlen);
        if (r == 0)
            r = wc_HmacUpdate(&h, safe->val.p, (word32)safe->val.len);
        if (r == 0)
            r = wc_HmacFinal(&h, out);
        wc_HmacFree(&h);
    }
    explicit_bzero(key, sizeof key);
    if (r != 0) {
        sipc__seterr(c->err, c->errlen, "cannot compute the file's MAC (wolfSSL error %d)", r);
        return sipc__pfx_fail(c->why, SIPC_PFX_CORRUPT);
    }
    uint8_t diff = dig.val.len != (size_t)dlen;
    for (int i = 0; !diff && i < dlen; i++)
        diff |= (uint8_t)(out[i] ^ dig.val.p[i]);
    if (diff) {
        /* a MAC mismatch cannot tell a wrong password from damaged bytes */
        sipc__seterr(c->err, c->errlen,
                     "wrong password, or the file was damaged in transfer: its integrity check "
                     "(MAC) does not match");
        return sipc__pfx_fail(c->why, SIPC_PFX_PASSWORD);
    }
    c->has_mac = true;
    return 0;
}

/* ------------------------------------------------------------ keys */

/* A PrivateKeyInfo (PKCS#8) of exactly n bytes: its key, as
 * wc_PKCS12_parse returned it (SEC1 or PKCS#1), into *key when
 * sipc_key_check_pkcs8 finds it a sound ECDSA or RSA key. */
static int take_key(pctx *c, const uint8_t *p8, size_t n, sipc_der *key)
{
    sipc_key_type type;
    size_t off, klen;
    int r = sipc_key_check_pkcs8(p8, n, &type, &off, &klen, NULL, 0);
    if (r == SIPC_ENOTSUP) {
        sipc__seterr(c->err, c->errlen,
                     "the private key in the file is of a type sipc cannot use (use ECDSA or RSA)");
        return sipc__pfx_fail(c->why, SIPC_PFX_NOKEY);
    }
    if (r != 0)
        return bad_key(c);
    key->data = malloc(klen);
    if (!key->data)
        return SIPC_ENOMEM;
    memcpy(key->data, p8 + off, klen);
    key->len = klen;
    return 0;
}

/* An EncryptedPrivateKeyInfo (the TLV e): decrypted, then as take_key. */
static int take_shrouded_key(pctx *c, const tlv *e, sipc_der *key)
{
    uint8_t *buf = malloc(e->whole.len);
    if (!buf)
        return SIPC_ENOMEM;
    memcpy(buf, e->whole.p, e->whole.len);
    int r = wc_DecryptPKCS8Key(buf, (word32)e->whole.len, c->pw, c->pwlen);
    int ret;
    if (r <= 0) {
        rd q = rd_of(&e->val);
        tlv alg;
        bool a = der_next(&q, &alg) == 0;
        ret = undecryptable(c, a ? alg.whole.p : e->whole.p, a ? alg.whole.len : e->whole.len,
                            r < 0 ? r : ASN_PARSE_E);
    } else if ((size_t)r > e->whole.len) {
        /* cannot happen: the plaintext is never longer than the ciphertext */
        ret = bad_key(c);
    } else {
        ret = take_key(c, buf, (size_t)r, key);
    }
    sipc_secure_free(buf, e->whole.len);
    return ret;
}

/* ------------------------------------------------------------ bags */

/* The friendlyName among a bag's attributes (attrs: the SET, tag 0 when the
 * bag has none) into name as printable ASCII, '?' for any other character;
 * "" when there is none. The attributes name things only: a malformed one
 * is passed over, not taken for damage. */
static void friendly_name(const tlv *attrs, char *name, size_t len)
{
    name[0] = 0;
    rd a = attrs->tag == 0x31 ? rd_of(&attrs->val) : (rd){NULL, 0};
    while (a.n) {
        tlv attr, oid, set, v;
        rd x, y;
        if (der_expect(&a, 0x30, &attr) || (x = rd_of(&attr.val), der_expect(&x, 0x06, &oid)) ||
            der_expect(&x, 0x31, &set))
            return;
        if (!OID_IS(&oid.val, OID_FRIENDLY_NAME))
            continue;
        y = rd_of(&set.val);
        if (der_expect(&y, 0x1e, &v)) /* a BMPString, RFC 7292 4.2 */
            return;
        size_t k = 0;
        for (size_t i = 0; i + 1 < v.val.len && k + 1 < len; i += 2) {
            unsigned ch = (unsigned)v.val.p[i] << 8 | v.val.p[i + 1];
            name[k++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
        }
        name[k] = 0;
        return;
    }
}

/* A key bag's key read (*key, its data NULL when it could not be read) with
 * its bag's attributes: the first becomes parts->key; another is counted,
 * and dropped, unless it is the same key again. */
static void add_key(pctx *c, sipc_der *key, const tlv *attrs)
{
    sipc_pfx_parts *o = c->out;
    if (o->nkeys && key->data && key->len == o->key.len &&
        memcmp(key->data, o->key.data, key->len) == 0) {
        sipc_der_free(key);
        return;
    }
    if (o->nkeys < SIPC_PFX_KEYS_NAMED)
        friendly_name(attrs, o->key_names[o->nkeys], sizeof o->key_names[o->nkeys]);
    if (!o->nkeys)
        o->key = *key;
    else
        sipc_der_free(key);
    o->nkeys++;
}

static int add_cert(pctx *c, const tlv *cert)
{
    sipc_pfx_parts *o = c->out;
    if (o->ncerts >= SIPC_PFX_MAX_CERTS)
        return 0;
    if (!o->certs && !(o->certs = calloc(SIPC_PFX_MAX_CERTS, sizeof *o->certs)))
        return SIPC_ENOMEM;
    sipc_der *d = &o->certs[o->ncerts];
    if (!(d->data = malloc(cert->val.len ? cert->val.len : 1)))
        return SIPC_ENOMEM;
    memcpy(d->data, cert->val.p, cert->val.len);
    d->len = cert->val.len;
    o->ncerts++;
    return 0;
}

/* SafeContents, exactly n bytes. */
static int read_bags(pctx *c, const uint8_t *p, size_t n)
{
    rd r = {p, n}, bags;
    tlv seq;
    if (der_expect(&r, 0x30, &seq) || r.n)
        return damaged(c, "malformed SafeContents");
    bags = rd_of(&seq.val);
    while (bags.n) {
        tlv bag, id, val, attrs = {0};
        rd b, v;
        if (der_expect(&bags, 0x30, &bag) || (b = rd_of(&bag.val), der_expect(&b, 0x06, &id)) ||
            der_expect(&b, 0xa0, &val) ||
            (b.n && peek_tag(&b) == 0x31 && der_next(&b, &attrs)) || b.n)
            return damaged(c, "malformed bag");
        v = rd_of(&val.val);
        int ret = 0;
        if (OID_IS(&id.val, OID_KEY_BAG) || OID_IS(&id.val, OID_SHROUDED_KEY_BAG)) {
            tlv k;
            if (der_expect(&v, 0x30, &k) || v.n)
                return bad_key(c);
            /* a key that only the MAC protects is one whoever had the file
             * could read, and whoever could change it could replace */
            if (OID_IS(&id.val, OID_KEY_BAG) && !c->in_plain && !c->allow_unprotected) {
                sipc__seterr(c->err, c->errlen,
                             "the private key in the file is not encrypted (written with "
                             "`openssl pkcs12 -export -keypbe NONE`?): export it again with the "
                             "key encrypted by the password (`openssl pkcs12 -export` without "
                             "`-keypbe NONE`, or `tlstool create`)");
                return sipc__pfx_fail(c->why, SIPC_PFX_UNPROTECTED);
            }
            sipc_der key = {NULL, 0};
            ret = OID_IS(&id.val, OID_KEY_BAG) ? take_key(c, k.whole.p, k.whole.len, &key)
                                               : take_shrouded_key(c, &k, &key);
            /* a key after the first is only counted: the file is refused
             * for holding more than one, whatever that one is */
            if (ret != 0 && (ret == SIPC_ENOMEM || !c->out->nkeys))
                return ret;
            if (ret != 0 && c->why)
                *c->why = SIPC_PFX_OK;
            add_key(c, &key, &attrs);
            ret = 0;
        } else if (OID_IS(&id.val, OID_CERT_BAG)) {
            tlv cb, type, cv, os;
            rd x, y;
            if (der_expect(&v, 0x30, &cb) || v.n || (x = rd_of(&cb.val), der_expect(&x, 0x06, &type)) ||
                der_expect(&x, 0xa0, &cv) || x.n)
                return damaged(c, "malformed certificate bag");
            if (!OID_IS(&type.val, OID_X509_CERT))
                continue; /* SDSI certificates: nothing sipc reads */
            y = rd_of(&cv.val);
            if (der_expect(&y, 0x04, &os) || y.n)
                return damaged(c, "malformed certificate bag");
            ret = add_cert(c, &os);
        }
        /* CRL, secret and nested SafeContents bags: nothing sipc uses */
        if (ret != 0)
            return ret;
    }
    return 0;
}

/* EncryptedData (the TLV e): its SafeContents decrypted, then read. */
static int read_encrypted(pctx *c, const tlv *e)
{
    rd x = rd_of(&e->val), y;
    tlv ver, eci, type, alg, ct;
    if (der_expect(&x, 0x02, &ver) || der_expect(&x, 0x30, &eci) ||
        der_skip_opt(&x, 0xa1) /* unprotectedAttrs */ || x.n ||
        (y = rd_of(&eci.val), der_expect(&y, 0x06, &type)) || !OID_IS(&type.val, OID_DATA) ||
        der_expect(&y, 0x30, &alg) || der_expect(&y, 0x80, &ct) || y.n)
        return damaged(c, "malformed encrypted content");
    /* wc_DecryptPKCS8Key wants SEQUENCE { alg, ciphertext }; the
     * ciphertext's [0] tag is one it accepts */
    size_t body = alg.whole.len + ct.whole.len, hdr = body < 0x80 ? 2 : body < 0x100 ? 3
                                                          : body < 0x10000 ? 4
                                                          : body < 0x1000000 ? 5 : 6;
    uint8_t *buf = malloc(hdr + body);
    if (!buf)
        return SIPC_ENOMEM;
    buf[0] = 0x30;
    if (hdr == 2) {
        buf[1] = (uint8_t)body;
    } else {
        buf[1] = (uint8_t)(0x80 | (hdr - 2));
        for (size_t i = 0; i < hdr - 2; i++)
            buf[hdr - 1 - i] = (uint8_t)(body >> (8 * i));
    }
    memcpy(buf + hdr, alg.whole.p, alg.whole.len);
    memcpy(buf + hdr + alg.whole.len, ct.whole.p, ct.whole.len);
    int r = wc_DecryptPKCS8Key(buf, (word32)(hdr + body), c->pw, c->pwlen);
    int ret;
    if (r <= 0) {
        ret = undecryptable(c, alg.whole.p, alg.whole.len, r < 0 ? r : ASN_PARSE_E);
    } else if ((size_t)r > ct.val.len) {
        /* cannot happen: the plaintext is never longer than the ciphertext */
        ret = damaged(c, "decrypted content longer than its ciphertext");
    } else {
        c->in_plain = true;
        ret = read_bags(c, buf, (size_t)r);
        c->in_plain = false;
    }
    /* the plaintext may hold an unencrypted key bag */
    sipc_secure_free(buf, hdr + body);
    return ret;
}

bool sipc_pfx_plausible(const uint8_t *d, size_t n)
{
    /* the outer SEQUENCE's length may run past the end (a truncated file) */
    size_t i = 2;
    if (n < 2 || d[0] != 0x30)
        return false;
    if (d[1] & 0x80) {
        size_t nb = d[1] & 0x7f;
        if (nb == 0 || nb > 4)
            return false;
        i += nb;
    }
    return n >= i + 4 && d[i] == 0x02 && d[i + 1] == 0x01 && d[i + 2] == 0x03 && d[i + 3] == 0x30;
}

int sipc_pfx_parse(const uint8_t *data, size_t len, const char *password, bool allow_unprotected,
                   sipc_pfx_parts *parts, sipc_pfx_error *why, char *err, size_t errlen)
{
    assert(data && password && parts);
    memset(parts, 0, sizeof *parts);
    if (why)
        *why = SIPC_PFX_OK;
    size_t pwlen = strlen(password);
    pctx c = {.pw = password, .pwlen = (int)(pwlen > INT_MAX ? INT_MAX : pwlen), .out = parts,
              .allow_unprotected = allow_unprotected, .why = why, .err = err, .errlen = errlen};
    /* keeps every length below fits wolfCrypt's word32 and int */
    if (len > INT_MAX / 2 || pwlen > INT_MAX / 4) {
        sipc__seterr(err, errlen, "the file or the password is too large");
        return sipc__pfx_fail(why, SIPC_PFX_CORRUPT);
    }
    rd top = {data, len}, p, ai, e, s;
    tlv pfx, ver, auth, type, e0, safe, seq;
    tlv mac = {0}; /* read when have_mac; zeroed for the compiler's sake */
    bool have_mac = false;
    if (!sipc_pfx_plausible(data, len))
        return damaged(&c, "it does not start as a PKCS#12 file does");
    /* bytes after the PFX are ignored, as wolfSSL and OpenSSL do */
    if (der_expect(&top, 0x30, &pfx) || (p = rd_of(&pfx.val), der_expect(&p, 0x02, &ver)) ||
        ver.val.len != 1 || ver.val.p[0] != 3 || der_expect(&p, 0x30, &auth) ||
        (ai = rd_of(&auth.val), der_expect(&ai, 0x06, &type)) || der_expect(&ai, 0xa0, &e0) || ai.n ||
        (p.n && !(have_mac = der_expect(&p, 0x30, &mac) == 0)) || p.n)
        return damaged(&c, "malformed outer structure");
    if (OID_IS(&type.val, OID_SIGNED_DATA)) {
        /* public-key integrity mode */
        sipc__seterr(err, errlen, "the file is protected by a signature instead of a password; "
                                  "export it with a password");
        return sipc__pfx_fail(why, SIPC_PFX_CORRUPT);
    }
    if (!OID_IS(&type.val, OID_DATA))
        return damaged(&c, "unknown kind of content");
    if ((e = rd_of(&e0.val), der_expect(&e, 0x04, &safe)) || e.n)
        return damaged(&c, "malformed AuthenticatedSafe");
    /* the MAC is what ties the file to the password: without it, anyone on
     * the file's way could have written one holding a pair of their own */
    if (!have_mac && !allow_unprotected) {
        sipc__seterr(err, errlen,
                     "the file has no integrity check (MAC), so it cannot prove it was made "
                     "with this password: export it again with a password (`openssl pkcs12 "
                     "-export` without `-nomac` or `-keypbe NONE`, or `tlstool create`)");
        return sipc__pfx_fail(why, SIPC_PFX_UNPROTECTED);
    }
    int r;
    if (have_mac && (r = check_mac(&c, &mac, &safe)) != 0)
        return r;
    s = rd_of(&safe.val);
    if (der_expect(&s, 0x30, &seq) || s.n)
        return damaged(&c, "malformed AuthenticatedSafe");
    rd cis = rd_of(&seq.val);
    while (cis.n) {
        tlv ci, ctype, content, inner;
        rd x, y;
        if (der_expect(&cis, 0x30, &ci) || (x = rd_of(&ci.val), der_expect(&x, 0x06, &ctype)) ||
            der_expect(&x, 0xa0, &content) || x.n)
            return damaged(&c, "malformed ContentInfo");
        y = rd_of(&content.val);
        if (OID_IS(&ctype.val, OID_DATA)) {
            if (der_expect(&y, 0x04, &inner) || y.n)
                return damaged(&c, "malformed data content");
            r = read_bags(&c, inner.val.p, inner.val.len);
        } else if (OID_IS(&ctype.val, OID_ENCRYPTED_DATA)) {
            if (der_expect(&y, 0x30, &inner) || y.n)
                return damaged(&c, "malformed encrypted content");
            r = read_encrypted(&c, &inner);
        } else if (OID_IS(&ctype.val, OID_ENVELOPED_DATA)) {
            /* public-key privacy mode */
            sipc__seterr(err, errlen, "the file's contents are encrypted for a public key instead "
                                      "of with a password; export it with a password");
            return sipc__pfx_fail(why, SIPC_PFX_CORRUPT);
        } else {
            return damaged(&c, "unknown kind of content");
        }
        if (r != 0)
            return r;
    }
    return 0;
}

void sipc_pfx_parts_free(sipc_pfx_parts *parts)
{
    sipc_der_free(&parts->key);
    for (int i = 0; i < parts->ncerts; i++)
        sipc_der_free(&parts->certs[i]);
    free(parts->certs);
    memset(parts, 0, sizeof *parts);
}
