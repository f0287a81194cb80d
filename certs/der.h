/* der.h - the strict DER reader shared by the certificate, CRL, key and
 * PKCS#12 code (x509_info.c, x509_name.c, crl_scope.c, name_constraints.c,
 * keypair.c, tool/pkcs12_parse.c): definite lengths in minimal form only,
 * single-byte tags, every length checked against its enclosing element
 * before use. Private to certs/ and certs/tool/. */
#ifndef SIPC_CERTS_DER_H
#define SIPC_CERTS_DER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "certs/x509_info.h"
#include "sipc/errno.h"

typedef struct rd {
    const uint8_t *p;
    size_t n;
} rd;

typedef struct tlv {
    uint8_t tag;
    sipc_bytes val;   /* content */
    sipc_bytes whole; /* tag + length + content */
} tlv;

static inline int der_next(rd *r, tlv *t)
{
    if (r->n < 2)
        return SIPC_EFORMAT;
    const uint8_t *start = r->p;
    uint8_t tag = r->p[0];
    if ((tag & 0x1f) == 0x1f)
        return SIPC_EFORMAT; /* multi-byte tags: X.509 and PKCS#12 use none */
    size_t i = 1, len;
    uint8_t l0 = r->p[i++];
    if (l0 < 0x80) {
        len = l0;
    } else {
        size_t nb = l0 & 0x7f;
        /* nb == 0 is BER's indefinite length; a leading zero byte, like a
         * long form for a length under 0x80, is not the minimal form */
        if (nb == 0 || nb > 4 || r->n < 1 + 1 + nb || r->p[i] == 0)
            return SIPC_EFORMAT;
        len = 0;
        for (size_t k = 0; k < nb; k++)
            len = (len << 8) | r->p[i++];
        if (len < 0x80)
            return SIPC_EFORMAT; /* not minimal */
    }
    if (len > r->n - i)
        return SIPC_EFORMAT;
    t->tag = tag;
    t->val.p = start + i;
    t->val.len = len;
    t->whole.p = start;
    t->whole.len = i + len;
    r->p += i + len;
    r->n -= i + len;
    return 0;
}

static inline int der_expect(rd *r, uint8_t tag, tlv *t)
{
    if (der_next(r, t) != 0 || t->tag != tag)
        return SIPC_EFORMAT;
    return 0;
}

static inline rd rd_of(const sipc_bytes *b)
{
    rd r = {b->p, b->len};
    return r;
}

static inline int peek_tag(const rd *r)
{
    return r->n ? r->p[0] : -1;
}

static inline int oid_is(const sipc_bytes *o, const uint8_t *ref, size_t reflen)
{
    return o->len == reflen && memcmp(o->p, ref, reflen) == 0;
}
#define OID_IS(o, ref) oid_is((o), (ref), sizeof(ref))

/* Skips an element with this tag if it is next: 0 when it is absent or
 * well formed, SIPC_EFORMAT when it is there but malformed. */
static inline int der_skip_opt(rd *r, uint8_t tag)
{
    tlv t;
    return peek_tag(r) == tag ? der_next(r, &t) : 0;
}

/* A non-negative INTEGER of at most 31 bits (versions, iteration counts). */
static inline int der_small_int(const tlv *t, long *v)
{
    if (t->tag != 0x02 || t->val.len < 1 || t->val.len > 4 || (t->val.p[0] & 0x80))
        return SIPC_EFORMAT;
    *v = 0;
    for (size_t i = 0; i < t->val.len; i++)
        *v = (*v << 8) | t->val.p[i];
    return 0;
}

/* A DER BOOLEAN's value (anything but a single 0x00 byte is TRUE). */
static inline int der_bool(const tlv *t)
{
    return t->val.len == 1 && t->val.p[0] != 0;
}

/* BIT STRING content (leading unused-bits byte) as bits, bit 0 = the first
 * named bit (RFC 5280 order of KeyUsage and ReasonFlags). */
static inline unsigned der_bits(const sipc_bytes *v)
{
    unsigned bits = 0;
    for (size_t i = 1; i < v->len && i < 3; i++)
        for (int b = 0; b < 8; b++)
            if (v->p[i] & (0x80 >> b))
                bits |= 1u << ((i - 1) * 8 + (size_t)b);
    return bits;
}

/* UTCTime or GeneralizedTime (Z only) as time_t; x509_info.c. */
int sipc__der_time(const tlv *t, time_t *out);

#endif
