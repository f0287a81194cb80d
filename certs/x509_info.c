/* x509_info.c - see x509_info.h. A strict DER reader: definite lengths only,
 * every length checked against its enclosing element before use. */
#include "certs/x509_info.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/coding.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/signature.h>
#include "base/error_text.h"
#include "base/str_copy.h"
#include "base/time_text.h"
#include "certs/crl_scope.h"
#include "certs/der.h"
#include "certs/x509_text.h"
#include "certs/keypair.h"
#include "sipc/errno.h"

/* ---------------------------------------------------------------- OIDs */

static const uint8_t OID_BC[] = {0x55, 0x1d, 0x13};
static const uint8_t OID_KU[] = {0x55, 0x1d, 0x0f};
static const uint8_t OID_EKU[] = {0x55, 0x1d, 0x25};
static const uint8_t OID_SAN[] = {0x55, 0x1d, 0x11};
static const uint8_t OID_EKU_SERVER[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01};
static const uint8_t OID_EKU_CLIENT[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02};
static const uint8_t OID_EKU_ANY[] = {0x55, 0x1d, 0x25, 0x00};
static const uint8_t OID_EC_PUBKEY[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t OID_RSA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
static const uint8_t OID_P256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t OID_P384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t OID_P521[] = {0x2b, 0x81, 0x04, 0x00, 0x23};

/* Extensions we understand (or that carry no constraint we must enforce). */
static const struct {
    uint8_t oid[3];
} KNOWN_EXT[] = {
    {{0x55, 0x1d, 0x13}}, /* basicConstraints */
    {{0x55, 0x1d, 0x0f}}, /* keyUsage */
    {{0x55, 0x1d, 0x25}}, /* extKeyUsage */
    {{0x55, 0x1d, 0x11}}, /* subjectAltName */
    {{0x55, 0x1d, 0x0e}}, /* subjectKeyIdentifier */
    {{0x55, 0x1d, 0x23}}, /* authorityKeyIdentifier */
    {{0x55, 0x1d, 0x20}}, /* certificatePolicies */
    {{0x55, 0x1d, 0x1f}}, /* cRLDistributionPoints */
    {{0x55, 0x1d, 0x12}}, /* issuerAltName */
    {{0x55, 0x1d, 0x1e}}, /* nameConstraints (name_constraints.c) */
    {{0x55, 0x1d, 0x24}}, /* policyConstraints: requireExplicitPolicy is refused by the verifier */
    {{0x55, 0x1d, 0x21}}, /* policyMappings: see trust.c, policies */
    {{0x55, 0x1d, 0x36}}, /* inhibitAnyPolicy: see trust.c, policies */
    {{0x55, 0x1d, 0x2e}}, /* freshestCRL: where deltas are published, nothing to enforce */
};
static const uint8_t OID_NC[] = {0x55, 0x1d, 0x1e};
static const uint8_t OID_CDP[] = {0x55, 0x1d, 0x1f};
static const uint8_t OID_POLICY_CONSTRAINTS[] = {0x55, 0x1d, 0x24};
static const uint8_t OID_POLICY_MAPPINGS[] = {0x55, 0x1d, 0x21};
static const uint8_t OID_ANY_POLICY[] = {0x55, 0x1d, 0x20, 0x00};
static const uint8_t OID_ISSUER_ALT_NAME[] = {0x55, 0x1d, 0x12};
static const uint8_t OID_CERT_POLICIES[] = {0x55, 0x1d, 0x20};
static const uint8_t OID_INHIBIT_ANY[] = {0x55, 0x1d, 0x36};
static const uint8_t OID_FRESHEST_CRL[] = {0x55, 0x1d, 0x2e};


void sipc_oid_str(const sipc_bytes *o, char *out, size_t outlen)
{
    size_t w = 0;
    unsigned long v = 0;
    out[0] = '\0';
    for (size_t i = 0; i < o->len; i++) {
        v = (v << 7) | (o->p[i] & 0x7f);
        if (o->p[i] & 0x80)
            continue;
        int n;
        if (i == 0 || w == 0) {
            unsigned long a = v < 80 ? v / 40 : 2, b = v - a * 40;
            n = snprintf(out + w, outlen - w, "%lu.%lu", a, b);
        } else {
            n = snprintf(out + w, outlen - w, ".%lu", v);
        }
        if (n < 0 || (size_t)n >= outlen - w)
            return;
        w += (size_t)n;
        v = 0;
    }
}

static const struct {
    uint8_t oid[3];
    const char *name;
} ATTR_NAMES[] = {
    {{0x55, 0x04, 0x03}, "CN"}, {{0x55, 0x04, 0x06}, "C"},  {{0x55, 0x04, 0x07}, "L"},
    {{0x55, 0x04, 0x08}, "ST"}, {{0x55, 0x04, 0x0a}, "O"},  {{0x55, 0x04, 0x0b}, "OU"},
    {{0x55, 0x04, 0x05}, "serialNumber"}, {{0x55, 0x04, 0x09}, "street"},
    {{0x55, 0x04, 0x2a}, "GN"}, {{0x55, 0x04, 0x04}, "SN"}, {{0x55, 0x04, 0x0c}, "title"},
};
static const uint8_t OID_EMAIL[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01};
static const uint8_t OID_DC[] = {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19};

bool sipc__attr_oid(const char *name, size_t len, sipc_bytes *oid)
{
    for (size_t i = 0; i < sizeof(ATTR_NAMES) / sizeof(ATTR_NAMES[0]); i++)
        if (strlen(ATTR_NAMES[i].name) == len && strncasecmp(ATTR_NAMES[i].name, name, len) == 0) {
            *oid = (sipc_bytes){ATTR_NAMES[i].oid, sizeof ATTR_NAMES[i].oid};
            return true;
        }
    if ((len == 12 && strncasecmp(name, "emailAddress", len) == 0) ||
        (len == 1 && (name[0] == 'E' || name[0] == 'e'))) {
        *oid = (sipc_bytes){OID_EMAIL, sizeof OID_EMAIL};
        return true;
    }
    if (len == 2 && strncasecmp(name, "DC", len) == 0) {
        *oid = (sipc_bytes){OID_DC, sizeof OID_DC};
        return true;
    }
    return false;
}

void sipc__attr_name(const sipc_bytes *o, char *out, size_t outlen)
{
    for (size_t i = 0; i < sizeof(ATTR_NAMES) / sizeof(ATTR_NAMES[0]); i++)
        if (oid_is(o, ATTR_NAMES[i].oid, 3)) {
            sipc_str_copy(out, outlen, ATTR_NAMES[i].name);
            return;
        }
    if (OID_IS(o, OID_EMAIL)) {
        snprintf(out, outlen, "emailAddress");
        return;
    }
    if (OID_IS(o, OID_DC)) {
        snprintf(out, outlen, "DC");
        return;
    }
    sipc_oid_str(o, out, outlen);
}

/* ------------------------------------------------------------- helpers */

static void append(char *out, size_t outlen, const char *s)
{
    size_t w = strlen(out);
    if (w + 1 >= outlen)
        return;
    sipc_str_copy(out + w, outlen - w, s);
}

int sipc__der_time(const tlv *t, time_t *out)
{
    char b[16];
    int year, i = 0;
    const uint8_t *p = t->val.p;
    size_t n = t->val.len;
    if (t->tag == 0x17) { /* UTCTime YYMMDDHHMMSSZ */
        if (n != 13 || p[12] != 'Z')
            return SIPC_EFORMAT;
    } else if (t->tag == 0x18) { /* GeneralizedTime YYYYMMDDHHMMSSZ */
        if (n != 15 || p[14] != 'Z')
            return SIPC_EFORMAT;
    } else {
        return SIPC_EFORMAT;
    }
    for (size_t k = 0; k + 1 < n; k++)
        if (!isdigit(p[k]))
            return SIPC_EFORMAT;
    memcpy(b, p, n - 1);
    b[n - 1] = '\0';
#define D2(off) ((b[(off)] - '0') * 10 + (b[(off) + 1] - '0'))
    if (t->tag == 0x17) {
        year = D2(0);
        year += year < 50 ? 2000 : 1900;
        i = 2;
    } else {
        year = D2(0) * 100 + D2(2);
        i = 4;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = year - 1900;
    tm.tm_mon = D2(i) - 1;
    tm.tm_mday = D2(i + 2);
    tm.tm_hour = D2(i + 4);
    tm.tm_min = D2(i + 6);
    tm.tm_sec = D2(i + 8);
#undef D2
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return SIPC_EFORMAT;
    *out = timegm(&tm);
    return 0;
}

static void hex_colon(const sipc_bytes *b, char *out, size_t outlen)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t w = 0;
    out[0] = '\0';
    for (size_t i = 0; i < b->len && w + 4 < outlen; i++) {
        if (i)
            out[w++] = ':';
        out[w++] = digits[b->p[i] >> 4];
        out[w++] = digits[b->p[i] & 15];
        out[w] = '\0';
    }
}

/* ---------------------------------------------------------- extensions */

static int parse_ext(sipc_x509 *x, const sipc_bytes *oid, int critical, const sipc_bytes *v,
                     char *err, size_t errlen)
{
    rd r = rd_of(v);
    tlv t;
    if (OID_IS(oid, OID_BC)) {
        x->has_bc = 1;
        if (der_expect(&r, 0x30, &t) != 0)
            goto bad;
        rd rb = rd_of(&t.val);
        if (peek_tag(&rb) == 0x01) {
            tlv b;
            if (der_next(&rb, &b) != 0)
                goto bad;
            x->is_ca = b.val.len == 1 && b.val.p[0] != 0;
        }
        if (peek_tag(&rb) == 0x02) {
            tlv pl;
            if (der_next(&rb, &pl) != 0)
                goto bad;
            if (pl.val.len == 0 || pl.val.len > 2)
                goto bad;
            int v2 = 0;
            for (size_t i = 0; i < pl.val.len; i++)
                v2 = (v2 << 8) | pl.val.p[i];
            x->path_len = v2;
        }
        return 0;
    }
    if (OID_IS(oid, OID_KU)) {
        x->has_ku = 1;
        if (der_expect(&r, 0x03, &t) != 0 || t.val.len < 1)
            goto bad;
        unsigned ku = 0;
        for (size_t i = 1; i < t.val.len && i < 3; i++)
            for (int b = 0; b < 8; b++)
                if (t.val.p[i] & (0x80 >> b))
                    ku |= 1u << ((i - 1) * 8 + (size_t)b);
        x->ku = ku;
        return 0;
    }
    if (OID_IS(oid, OID_EKU)) {
        x->has_eku = 1;
        if (der_expect(&r, 0x30, &t) != 0)
            goto bad;
        rd re = rd_of(&t.val);
        while (re.n) {
            tlv o;
            if (der_expect(&re, 0x06, &o) != 0)
                goto bad;
            if (OID_IS(&o.val, OID_EKU_SERVER))
                x->eku |= SIPC_EKU_SERVER;
            else if (OID_IS(&o.val, OID_EKU_CLIENT))
                x->eku |= SIPC_EKU_CLIENT;
            else if (OID_IS(&o.val, OID_EKU_ANY))
                x->eku |= SIPC_EKU_ANY;
            else
                x->eku |= SIPC_EKU_OTHER;
        }
        return 0;
    }
    if (OID_IS(oid, OID_NC) || OID_IS(oid, OID_CDP)) {
        if (der_expect(&r, 0x30, &t) != 0 || r.n != 0)
            goto bad;
        if (OID_IS(oid, OID_NC))
            x->name_constraints = t.whole;
        else
            x->crl_dp = t.whole;
        return 0;
    }
    if (OID_IS(oid, OID_POLICY_CONSTRAINTS)) {
        if (der_expect(&r, 0x30, &t) != 0 || r.n != 0)
            goto bad;
        rd rp = rd_of(&t.val);
        while (rp.n) {
            tlv f;
            /* SkipCerts ::= INTEGER (0..MAX): a negative one is malformed */
            if (der_next(&rp, &f) != 0 || f.val.len == 0 || f.val.len > 2 || (f.val.p[0] & 0x80))
                goto bad;
            int v2 = 0;
            for (size_t i = 0; i < f.val.len; i++)
                v2 = (v2 << 8) | f.val.p[i];
            if (f.tag == 0x80)
                x->require_explicit_policy = v2;
            else if (f.tag == 0x81)
                x->inhibit_policy_mapping = v2;
        }
        return 0;
    }
    if (OID_IS(oid, OID_CERT_POLICIES)) {
        if (der_expect(&r, 0x30, &t) != 0 || r.n != 0 || t.val.len == 0)
            goto bad;
        rd rp = rd_of(&t.val);
        while (rp.n) { /* PolicyInformation: an OID, then qualifiers sipc ignores */
            tlv pi, po;
            if (der_expect(&rp, 0x30, &pi) != 0)
                goto bad;
            rd ri = rd_of(&pi.val);
            if (der_expect(&ri, 0x06, &po) != 0 || po.val.len == 0)
                goto bad;
        }
        x->policies = t.val;
        x->has_policies = 1;
        return 0;
    }
    if (OID_IS(oid, OID_INHIBIT_ANY)) {
        if (der_expect(&r, 0x02, &t) != 0 || r.n != 0 || t.val.len == 0 || t.val.len > 2 ||
            (t.val.p[0] & 0x80))
            goto bad;
        int v2 = 0;
        for (size_t i = 0; i < t.val.len; i++)
            v2 = (v2 << 8) | t.val.p[i];
        x->inhibit_any_policy = v2;
        return 0;
    }
    if (OID_IS(oid, OID_POLICY_MAPPINGS)) {
        if (der_expect(&r, 0x30, &t) != 0 || r.n != 0)
            goto bad;
        x->policy_mappings = t.val;
        rd rm = rd_of(&t.val);
        while (rm.n) {
            tlv m, a, b;
            if (der_expect(&rm, 0x30, &m) != 0)
                goto bad;
            rd rp = rd_of(&m.val);
            if (der_expect(&rp, 0x06, &a) != 0 || der_expect(&rp, 0x06, &b) != 0)
                goto bad;
            if (OID_IS(&a.val, OID_ANY_POLICY) || OID_IS(&b.val, OID_ANY_POLICY))
                x->any_policy_mapped = 1;
        }
        if (critical)
            snprintf(x->tls_unknown_critical, sizeof x->tls_unknown_critical, "policyMappings");
        return 0;
    }
    if (OID_IS(oid, OID_SAN)) {
        if (der_expect(&r, 0x30, &t) != 0)
            goto bad;
        x->san_der = t.whole;
        if (sipc__san_text(&t.val, x->san, sizeof x->san) != 0)
            goto bad;
        return 0;
    }
    if (critical) {
        int known = 0;
        for (size_t i = 0; i < sizeof(KNOWN_EXT) / sizeof(KNOWN_EXT[0]); i++)
            if (oid_is(oid, KNOWN_EXT[i].oid, 3))
                known = 1;
        if (!known && !x->unknown_critical[0])
            sipc_oid_str(oid, x->unknown_critical, sizeof x->unknown_critical);
        if (oid_is(oid, OID_ISSUER_ALT_NAME, 3))
            snprintf(x->tls_unknown_critical, sizeof x->tls_unknown_critical, "issuerAltName");
        else if (oid_is(oid, OID_FRESHEST_CRL, 3))
            snprintf(x->tls_unknown_critical, sizeof x->tls_unknown_critical, "freshestCRL");
    }
    return 0;
bad:;
    char os[64];
    sipc_oid_str(oid, os, sizeof os);
    sipc__seterr(err, errlen, "malformed extension %s", os);
    return SIPC_EFORMAT;
}

static int parse_spki(sipc_x509 *x)
{
    rd r = rd_of(&x->spki);
    tlv seq, alg, oid, bits;
    if (der_expect(&r, 0x30, &seq) != 0)
        return SIPC_EFORMAT;
    rd rs = rd_of(&seq.val);
    if (der_expect(&rs, 0x30, &alg) != 0 || der_expect(&rs, 0x03, &bits) != 0)
        return SIPC_EFORMAT;
    rd ra = rd_of(&alg.val);
    if (der_expect(&ra, 0x06, &oid) != 0)
        return SIPC_EFORMAT;
    if (OID_IS(&oid.val, OID_EC_PUBKEY)) {
        tlv curve;
        x->key_type = SIPC_X509_KEY_EC;
        if (der_expect(&ra, 0x06, &curve) == 0) {
            if (OID_IS(&curve.val, OID_P256))
                x->key_bits = 256;
            else if (OID_IS(&curve.val, OID_P384))
                x->key_bits = 384;
            else if (OID_IS(&curve.val, OID_P521))
                x->key_bits = 521;
        }
        if (x->key_bits)
            snprintf(x->key_desc, sizeof x->key_desc, "ECDSA P-%d", x->key_bits);
        else
            snprintf(x->key_desc, sizeof x->key_desc, "ECDSA (other curve)");
    } else if (OID_IS(&oid.val, OID_RSA)) {
        x->key_type = SIPC_X509_KEY_RSA;
        if (bits.val.len > 1) {
            sipc_bytes inner = {bits.val.p + 1, bits.val.len - 1};
            rd rk = rd_of(&inner);
            tlv kseq, n;
            if (der_expect(&rk, 0x30, &kseq) == 0) {
                rd rn = rd_of(&kseq.val);
                if (der_expect(&rn, 0x02, &n) == 0) {
                    const uint8_t *p = n.val.p;
                    size_t len = n.val.len;
                    while (len && *p == 0) {
                        p++;
                        len--;
                    }
                    if (len) {
                        int top = 0;
                        for (int b = 7; b >= 0; b--)
                            if (p[0] & (1 << b)) {
                                top = b + 1;
                                break;
                            }
                        x->key_bits = (int)(len - 1) * 8 + top;
                    }
                }
            }
        }
        snprintf(x->key_desc, sizeof x->key_desc, "RSA %d", x->key_bits);
    } else {
        char os[48];
        sipc_oid_str(&oid.val, os, sizeof os);
        snprintf(x->key_desc, sizeof x->key_desc, "key %.26s", os);
    }
    return 0;
}

static const struct sigalg {
    uint8_t oid[9];
    size_t len;
    const char *name;
    int hash_bits;
    enum wc_HashType hash;
    enum wc_SignatureType type;
} SIGALGS[] = {
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}, 8, "ecdsa-with-SHA256", 256, WC_HASH_TYPE_SHA256,
     WC_SIGNATURE_TYPE_ECC},
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03}, 8, "ecdsa-with-SHA384", 384, WC_HASH_TYPE_SHA384,
     WC_SIGNATURE_TYPE_ECC},
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04}, 8, "ecdsa-with-SHA512", 512, WC_HASH_TYPE_SHA512,
     WC_SIGNATURE_TYPE_ECC},
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01}, 7, "ecdsa-with-SHA1", 160, WC_HASH_TYPE_SHA,
     WC_SIGNATURE_TYPE_ECC},
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b}, 9, "sha256WithRSAEncryption", 256,
     WC_HASH_TYPE_SHA256, WC_SIGNATURE_TYPE_RSA_W_ENC},
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c}, 9, "sha384WithRSAEncryption", 384,
     WC_HASH_TYPE_SHA384, WC_SIGNATURE_TYPE_RSA_W_ENC},
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d}, 9, "sha512WithRSAEncryption", 512,
     WC_HASH_TYPE_SHA512, WC_SIGNATURE_TYPE_RSA_W_ENC},
    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05}, 9, "sha1WithRSAEncryption", 160,
     WC_HASH_TYPE_SHA, WC_SIGNATURE_TYPE_RSA_W_ENC},
};

static const struct sigalg *find_sigalg(const sipc_bytes *oid)
{
    for (size_t i = 0; i < sizeof(SIGALGS) / sizeof(SIGALGS[0]); i++)
        if (oid_is(oid, SIGALGS[i].oid, SIGALGS[i].len))
            return &SIGALGS[i];
    return NULL;
}

/* AlgorithmIdentifier TLV content -> OID content */
static int alg_oid(const tlv *alg, sipc_bytes *oid)
{
    rd r = rd_of(&alg->val);
    tlv o;
    if (der_expect(&r, 0x06, &o) != 0)
        return SIPC_EFORMAT;
    *oid = o.val;
    return 0;
}

/* ---------------------------------------------------------- certificate */

int sipc_x509_parse(sipc_x509 *x, const uint8_t *der, size_t len, char *err, size_t errlen)
{
    assert(x);
    memset(x, 0, sizeof *x);
    x->path_len = -1;
    x->require_explicit_policy = -1;
    x->inhibit_policy_mapping = -1;
    x->inhibit_any_policy = -1;
    rd r = {der, len};
    tlv cert, tbs, alg, sig, t;
    if (!der || len == 0) {
        sipc__seterr(err, errlen, "empty input");
        return SIPC_EFORMAT;
    }
    if (der_expect(&r, 0x30, &cert) != 0 || r.n != 0) {
        sipc__seterr(err, errlen, "not a DER certificate (bad outer SEQUENCE)");
        return SIPC_EFORMAT;
    }
    x->der.p = der;
    x->der.len = len;
    rd rc = rd_of(&cert.val);
    if (der_expect(&rc, 0x30, &tbs) != 0 || der_expect(&rc, 0x30, &alg) != 0 ||
        der_expect(&rc, 0x03, &sig) != 0 || rc.n != 0) {
        sipc__seterr(err, errlen, "not an X.509 certificate (bad structure)");
        return SIPC_EFORMAT;
    }
    x->tbs = tbs.whole;
    if (alg_oid(&alg, &x->sig_alg) != 0 || sig.val.len < 2 || sig.val.p[0] != 0) {
        sipc__seterr(err, errlen, "bad signature algorithm or value");
        return SIPC_EFORMAT;
    }
    x->sig.p = sig.val.p + 1;
    x->sig.len = sig.val.len - 1;
    const struct sigalg *sa = find_sigalg(&x->sig_alg);
    if (sa) {
        sipc_str_copy(x->sig_desc, sizeof x->sig_desc, sa->name);
        x->sig_hash_bits = sa->hash_bits;
    } else
        sipc_oid_str(&x->sig_alg, x->sig_desc, sizeof x->sig_desc);

    rd rt = rd_of(&tbs.val);
    x->version = 1;
    if (peek_tag(&rt) == 0xa0) {
        tlv v, vi;
        rd rv = {0};
        if (der_next(&rt, &v) == 0)
            rv = rd_of(&v.val);
        if (rv.p == NULL || der_expect(&rv, 0x02, &vi) != 0 || vi.val.len != 1) {
            sipc__seterr(err, errlen, "bad version");
            return SIPC_EFORMAT;
        }
        x->version = vi.val.p[0] + 1;
    }
    if (der_expect(&rt, 0x02, &t) != 0 || t.val.len == 0 || t.val.len > 40) {
        sipc__seterr(err, errlen, "bad serial number");
        return SIPC_EFORMAT;
    }
    x->serial = t.val;
    hex_colon(&x->serial, x->serial_hex, sizeof x->serial_hex);
    if (der_expect(&rt, 0x30, &t) != 0) { /* signature alg inside tbs */
        sipc__seterr(err, errlen, "bad inner signature algorithm");
        return SIPC_EFORMAT;
    }
    sipc_bytes inner;
    if (alg_oid(&t, &inner) != 0 || inner.len != x->sig_alg.len ||
        memcmp(inner.p, x->sig_alg.p, inner.len) != 0) {
        sipc__seterr(err, errlen, "inner and outer signature algorithms differ");
        return SIPC_EFORMAT;
    }
    if (der_expect(&rt, 0x30, &t) != 0) {
        sipc__seterr(err, errlen, "bad issuer name");
        return SIPC_EFORMAT;
    }
    x->issuer_der = t.whole;
    tlv val, nb, na;
    if (der_expect(&rt, 0x30, &val) != 0) {
        sipc__seterr(err, errlen, "bad validity");
        return SIPC_EFORMAT;
    }
    rd rvd = rd_of(&val.val);
    if (der_next(&rvd, &nb) != 0 || der_next(&rvd, &na) != 0 || sipc__der_time(&nb, &x->not_before) != 0 ||
        sipc__der_time(&na, &x->not_after) != 0) {
        sipc__seterr(err, errlen, "bad validity dates");
        return SIPC_EFORMAT;
    }
    if (der_expect(&rt, 0x30, &t) != 0) {
        sipc__seterr(err, errlen, "bad subject name");
        return SIPC_EFORMAT;
    }
    x->subject_der = t.whole;
    if (der_expect(&rt, 0x30, &t) != 0) {
        sipc__seterr(err, errlen, "bad public key");
        return SIPC_EFORMAT;
    }
    x->spki = t.whole;
    if (sipc__name_text(&x->issuer_der, x->issuer, sizeof x->issuer, NULL, 0) != 0 ||
        sipc__name_text(&x->subject_der, x->subject, sizeof x->subject, x->subject_cn,
                 sizeof x->subject_cn) != 0) {
        sipc__seterr(err, errlen, "bad distinguished name");
        return SIPC_EFORMAT;
    }
    if (parse_spki(x) != 0) {
        sipc__seterr(err, errlen, "bad public key info");
        return SIPC_EFORMAT;
    }
    while (rt.n) {
        if (der_next(&rt, &t) != 0) {
            sipc__seterr(err, errlen, "trailing garbage in certificate");
            return SIPC_EFORMAT;
        }
        if (t.tag == 0x81 || t.tag == 0x82)
            continue; /* unique identifiers */
        if (t.tag != 0xa3) {
            sipc__seterr(err, errlen, "unexpected field in certificate");
            return SIPC_EFORMAT;
        }
        rd re = rd_of(&t.val);
        tlv exts;
        if (der_expect(&re, 0x30, &exts) != 0) {
            sipc__seterr(err, errlen, "bad extensions");
            return SIPC_EFORMAT;
        }
        rd rx = rd_of(&exts.val);
        while (rx.n) {
            tlv ext, oid, v;
            int critical = 0;
            if (der_expect(&rx, 0x30, &ext) != 0) {
                sipc__seterr(err, errlen, "bad extension");
                return SIPC_EFORMAT;
            }
            rd r1 = rd_of(&ext.val);
            if (der_expect(&r1, 0x06, &oid) != 0) {
                sipc__seterr(err, errlen, "bad extension id");
                return SIPC_EFORMAT;
            }
            if (peek_tag(&r1) == 0x01) {
                tlv b;
                if (der_next(&r1, &b) != 0) {
                    sipc__seterr(err, errlen, "bad extension critical flag");
                    return SIPC_EFORMAT;
                }
                critical = b.val.len == 1 && b.val.p[0];
            }
            if (der_expect(&r1, 0x04, &v) != 0) {
                sipc__seterr(err, errlen, "bad extension value");
                return SIPC_EFORMAT;
            }
            if (parse_ext(x, &oid.val, critical, &v.val, err, errlen) != 0)
                return SIPC_EFORMAT;
        }
    }
    sipc_fingerprint(der, len, x->fingerprint);
    return 0;
}

bool sipc_x509_self_issued(const sipc_x509 *x)
{
    return sipc_name_equal(&x->subject_der, &x->issuer_der);
}

int sipc_sig_check(const sipc_bytes *tbs, const sipc_bytes *sig_alg, const sipc_bytes *sig,
                   const sipc_bytes *issuer_spki, bool *valid)
{
    assert(tbs && sig_alg && sig && issuer_spki && valid);
    *valid = false;
    const struct sigalg *sa = find_sigalg(sig_alg);
    if (!sa)
        return SIPC_ENOTSUP;
    word32 idx = 0;
    int rc, res = SIPC_ENOTSUP;
    if (sa->type == WC_SIGNATURE_TYPE_ECC) {
        ecc_key key;
        if (wc_ecc_init(&key) != 0)
            return SIPC_ENOMEM;
        if (wc_EccPublicKeyDecode(issuer_spki->p, &idx, &key, (word32)issuer_spki->len) == 0) {
            rc = wc_SignatureVerify(sa->hash, sa->type, tbs->p, (word32)tbs->len, sig->p,
                                    (word32)sig->len, &key, sizeof key);
            *valid = rc == 0;
            res = 0;
        }
        wc_ecc_free(&key);
    } else {
        RsaKey key;
        if (wc_InitRsaKey(&key, NULL) != 0)
            return SIPC_ENOMEM;
        if (wc_RsaPublicKeyDecode(issuer_spki->p, &idx, &key, (word32)issuer_spki->len) == 0) {
            rc = wc_SignatureVerify(sa->hash, sa->type, tbs->p, (word32)tbs->len, sig->p,
                                    (word32)sig->len, &key, sizeof key);
            *valid = rc == 0;
            res = 0;
        }
        wc_FreeRsaKey(&key);
    }
    return res;
}

int sipc_x509_signed_by(const sipc_x509 *cert, const sipc_x509 *issuer, bool *valid)
{
    return sipc_sig_check(&cert->tbs, &cert->sig_alg, &cert->sig, &issuer->spki, valid);
}

void sipc_ku_str(unsigned ku, char *out, size_t outlen)
{
    static const char *names[] = {"digitalSignature", "nonRepudiation", "keyEncipherment",
                                  "dataEncipherment", "keyAgreement",   "keyCertSign",
                                  "cRLSign",          "encipherOnly",   "decipherOnly"};
    out[0] = '\0';
    for (int i = 0; i < 9; i++)
        if (ku & (1u << i)) {
            if (out[0])
                append(out, outlen, ", ");
            append(out, outlen, names[i]);
        }
    if (!out[0])
        snprintf(out, outlen, "(none)");
}

void sipc_eku_str(unsigned eku, char *out, size_t outlen)
{
    static const char *names[] = {"serverAuth", "clientAuth", "anyExtendedKeyUsage", "other"};
    out[0] = '\0';
    for (int i = 0; i < 4; i++)
        if (eku & (1u << i)) {
            if (out[0])
                append(out, outlen, ", ");
            append(out, outlen, names[i]);
        }
    if (!out[0])
        snprintf(out, outlen, "(none)");
}

/* ----------------------------------------------------------------- CRL */

int sipc_crl_parse(sipc_crl *c, const uint8_t *der, size_t len, char *err, size_t errlen)
{
    assert(c);
    memset(c, 0, sizeof *c);
    rd r = {der, len};
    tlv crl, tbs, alg, sig, t;
    if (!der || len == 0 || der_expect(&r, 0x30, &crl) != 0 || r.n != 0) {
        sipc__seterr(err, errlen, "not a DER CRL");
        return SIPC_EFORMAT;
    }
    c->der.p = der;
    c->der.len = len;
    rd rc = rd_of(&crl.val);
    if (der_expect(&rc, 0x30, &tbs) != 0 || der_expect(&rc, 0x30, &alg) != 0 ||
        der_expect(&rc, 0x03, &sig) != 0 || rc.n != 0 || alg_oid(&alg, &c->sig_alg) != 0 ||
        sig.val.len < 2 || sig.val.p[0] != 0) {
        sipc__seterr(err, errlen, "not an X.509 CRL (bad structure)");
        return SIPC_EFORMAT;
    }
    c->tbs = tbs.whole;
    c->sig.p = sig.val.p + 1;
    c->sig.len = sig.val.len - 1;
    rd rt = rd_of(&tbs.val);
    if (peek_tag(&rt) == 0x02 && der_next(&rt, &t) != 0) { /* version */
        sipc__seterr(err, errlen, "bad CRL version");
        return SIPC_EFORMAT;
    }
    if (der_expect(&rt, 0x30, &t) != 0 || der_expect(&rt, 0x30, &t) != 0) {
        sipc__seterr(err, errlen, "bad CRL algorithm or issuer");
        return SIPC_EFORMAT;
    }
    c->issuer_der = t.whole;
    if (sipc__name_text(&c->issuer_der, c->issuer, sizeof c->issuer, NULL, 0) != 0) {
        sipc__seterr(err, errlen, "bad CRL issuer name");
        return SIPC_EFORMAT;
    }
    if (der_next(&rt, &t) != 0 || sipc__der_time(&t, &c->this_update) != 0) {
        sipc__seterr(err, errlen, "bad CRL thisUpdate");
        return SIPC_EFORMAT;
    }
    if (peek_tag(&rt) == 0x17 || peek_tag(&rt) == 0x18) {
        if (der_next(&rt, &t) != 0 || sipc__der_time(&t, &c->next_update) != 0) {
            sipc__seterr(err, errlen, "bad CRL nextUpdate");
            return SIPC_EFORMAT;
        }
    }
    if (peek_tag(&rt) == 0x30) {
        if (der_next(&rt, &t) != 0) {
            sipc__seterr(err, errlen, "bad CRL revoked list");
            return SIPC_EFORMAT;
        }
        c->revoked = t.val;
        rd rr = rd_of(&c->revoked);
        while (rr.n) {
            tlv e, s, d;
            if (der_expect(&rr, 0x30, &e) != 0) {
                sipc__seterr(err, errlen, "bad CRL entry");
                return SIPC_EFORMAT;
            }
            rd re = rd_of(&e.val);
            time_t when;
            if (der_expect(&re, 0x02, &s) != 0 || der_next(&re, &d) != 0 ||
                sipc__der_time(&d, &when) != 0) {
                sipc__seterr(err, errlen, "bad CRL entry");
                return SIPC_EFORMAT;
            }
            if (re.n) {
                tlv ex;
                if (der_expect(&re, 0x30, &ex) != 0 || re.n != 0 ||
                    sipc__crl_read_entry_exts(c, &ex.val, err, errlen) != 0) {
                    sipc__seterr(err, errlen, "bad CRL entry extensions");
                    return SIPC_EFORMAT;
                }
            }
            c->nrevoked++;
        }
    }
    if (peek_tag(&rt) == 0xa0) {
        tlv ex, seq;
        rd rx;
        if (der_next(&rt, &ex) != 0 || (rx = rd_of(&ex.val), der_expect(&rx, 0x30, &seq)) != 0 ||
            rx.n != 0 || sipc__crl_read_exts(c, &seq.val, err, errlen) != 0) {
            sipc__seterr(err, errlen, "bad CRL extensions");
            return SIPC_EFORMAT;
        }
    }
    if (rt.n != 0) {
        sipc__seterr(err, errlen, "unexpected field in CRL");
        return SIPC_EFORMAT;
    }
    sipc__crl_finish(c);
    return 0;
}

static int crl_walk(const sipc_crl *c, int want_i, const sipc_bytes *serial, sipc_bytes *s_out,
                    time_t *when)
{
    rd rr = rd_of(&c->revoked);
    int i = 0;
    while (rr.n) {
        tlv e, s, d;
        if (der_expect(&rr, 0x30, &e) != 0)
            return 0;
        rd re = rd_of(&e.val);
        if (der_expect(&re, 0x02, &s) != 0 || der_next(&re, &d) != 0)
            return 0;
        int hit = serial ? (s.val.len == serial->len && memcmp(s.val.p, serial->p, s.val.len) == 0)
                         : i == want_i;
        if (hit) {
            if (sipc__der_time(&d, when) != 0)
                *when = 0;
            if (s_out)
                *s_out = s.val;
            return 1;
        }
        i++;
    }
    return 0;
}

bool sipc_crl_lookup(const sipc_crl *c, const sipc_bytes *serial, time_t *when)
{
    return crl_walk(c, -1, serial, NULL, when) == 1;
}

int sipc_crl_count_unlisted(const sipc_crl *c, const sipc_crl *other)
{
    rd rr = rd_of(&c->revoked);
    int n = 0;
    while (rr.n) {
        tlv e, s;
        if (der_expect(&rr, 0x30, &e) != 0)
            break;
        rd re = rd_of(&e.val);
        if (der_expect(&re, 0x02, &s) != 0)
            break;
        time_t when;
        n += !sipc_crl_lookup(other, &s.val, &when);
    }
    return n;
}

int sipc_crl_entry(const sipc_crl *c, int i, char *serial_hex, size_t hexlen, time_t *when,
                   char *err, size_t errlen)
{
    sipc_bytes s;
    if (i < 0 || i >= c->nrevoked || !crl_walk(c, i, NULL, &s, when)) {
        sipc__seterr(err, errlen, "the CRL has no entry %d (it lists %d)", i, c->nrevoked);
        return SIPC_EINVAL;
    }
    hex_colon(&s, serial_hex, hexlen);
    return 0;
}


int64_t sipc_crl_due_window(time_t this_update, time_t next_update)
{
    int64_t half = ((int64_t)next_update - (int64_t)this_update) / 2;
    return half < SIPC_CRL_DUE_MAX ? (half > 0 ? half : 0) : SIPC_CRL_DUE_MAX;
}

int sipc_crl_due_soon(time_t this_update, time_t next_update, time_t now)
{
    return next_update && now <= next_update &&
           (int64_t)next_update - (int64_t)now <= sipc_crl_due_window(this_update, next_update);
}

void sipc_crl_due_text(const char *issuer, const char *name, time_t next_update, time_t now,
                       char *out, size_t len)
{
    char when[32], left[48];
    sipc_time_str(next_update, when);
    sipc_span_str((int64_t)next_update - (int64_t)now, left, sizeof left);
    snprintf(out, len,
             "the CRL of '%s'%s%s%s reaches its next update on %s, in %s: with [tls] revocation "
             "= hard every certificate it covers is refused from then on (a node's links, its "
             "clients, sipcctl), until a newer CRL of that issuer is added: add it before "
             "then (`tlstool crl add FILE --reload` on every node)",
             issuer, name && name[0] ? " (" : "", name ? name : "", name && name[0] ? ")" : "",
             when, left);
}
