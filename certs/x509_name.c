/* x509_name.c - distinguished names compared as RFC 5280 section 7.1 says:
 * attribute by attribute, string values after conversion to one character
 * set, case-insensitive, leading and trailing white space removed and inner
 * white space compressed. CAs do not always repeat their own name byte for
 * byte in what they sign (a PrintableString subject, a UTF8String issuer;
 * a different case after a re-key), and a byte-wise comparison would refuse
 * those valid paths. Case folding covers ASCII only: names in other scripts
 * must match exactly (a documented limit). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "certs/der.h"
#include "certs/x509_info.h"

enum { MAXCP = 256 };

static bool is_string_tag(uint8_t tag)
{
    switch (tag) {
    case 0x0c: /* UTF8String */
    case 0x13: /* PrintableString */
    case 0x14: /* TeletexString (read as Latin-1) */
    case 0x16: /* IA5String */
    case 0x1a: /* VisibleString */
    case 0x1c: /* UniversalString */
    case 0x1e: /* BMPString */
        return true;
    default:
        return false;
    }
}

/* Code points of a string value; -1 when it does not decode or is too long. */
static int decode(const tlv *v, uint32_t *cp)
{
    const uint8_t *p = v->val.p;
    size_t n = v->val.len, k = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        if (k >= MAXCP)
            return -1;
        if (v->tag == 0x1e) {
            if (i + 2 > n)
                return -1;
            c = (uint32_t)p[i] << 8 | p[i + 1];
            i += 2;
        } else if (v->tag == 0x1c) {
            if (i + 4 > n)
                return -1;
            c = (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 | (uint32_t)p[i + 2] << 8 | p[i + 3];
            i += 4;
        } else if (v->tag == 0x0c && p[i] >= 0x80) {
            int extra = p[i] >= 0xf0 ? 3 : p[i] >= 0xe0 ? 2 : p[i] >= 0xc0 ? 1 : -1;
            if (extra < 0 || i + 1 + (size_t)extra > n)
                return -1;
            c = p[i] & (0x3f >> extra);
            for (int e = 1; e <= extra; e++) {
                if ((p[i + (size_t)e] & 0xc0) != 0x80)
                    return -1;
                c = c << 6 | (p[i + (size_t)e] & 0x3f);
            }
            i += 1 + (size_t)extra;
        } else {
            c = p[i++];
        }
        cp[k++] = c;
    }
    return (int)k;
}

static bool is_space(uint32_t c)
{
    return c == ' ' || (c >= 0x09 && c <= 0x0d);
}

/* Normalises in place: ASCII lower case, white space trimmed and runs of it
 * made one space. Returns the new length. */
static int normalise(uint32_t *cp, int n)
{
    int w = 0;
    bool pending = false;
    for (int i = 0; i < n; i++) {
        uint32_t c = cp[i];
        if (is_space(c)) {
            pending = w > 0;
            continue;
        }
        if (pending)
            cp[w++] = ' ';
        pending = false;
        cp[w++] = c >= 'A' && c <= 'Z' ? c + 32 : c;
    }
    return w;
}

static bool value_equal(const tlv *a, const tlv *b)
{
    if (a->whole.len == b->whole.len && memcmp(a->whole.p, b->whole.p, a->whole.len) == 0)
        return true;
    if (!is_string_tag(a->tag) || !is_string_tag(b->tag))
        return false;
    uint32_t ca[MAXCP], cb[MAXCP];
    int na = decode(a, ca), nb = decode(b, cb);
    if (na < 0 || nb < 0)
        return false;
    na = normalise(ca, na);
    nb = normalise(cb, nb);
    return na == nb && memcmp(ca, cb, (size_t)na * sizeof ca[0]) == 0;
}

static bool atv_equal(const tlv *a, const tlv *b)
{
    rd ra = rd_of(&a->val), rb = rd_of(&b->val);
    tlv oa, ob, va, vb;
    if (der_expect(&ra, 0x06, &oa) != 0 || der_next(&ra, &va) != 0 ||
        der_expect(&rb, 0x06, &ob) != 0 || der_next(&rb, &vb) != 0)
        return false;
    if (oa.val.len != ob.val.len || memcmp(oa.val.p, ob.val.p, oa.val.len) != 0)
        return false;
    return value_equal(&va, &vb);
}

static int count_elems(const sipc_bytes *b)
{
    rd r = rd_of(b);
    tlv t;
    int n = 0;
    while (r.n) {
        if (der_next(&r, &t) != 0)
            return -1;
        n++;
    }
    return n;
}

/* Two RDNs (SET TLVs): the same number of attributes, each of a matched by
 * one of b (a multi-valued RDN is unordered). */
static bool rdn_equal(const tlv *a, const tlv *b)
{
    int na = count_elems(&a->val), nb = count_elems(&b->val);
    if (na <= 0 || na != nb)
        return false;
    rd ra = rd_of(&a->val);
    while (ra.n) {
        tlv x;
        if (der_expect(&ra, 0x30, &x) != 0)
            return false;
        bool found = false;
        rd rb = rd_of(&b->val);
        while (rb.n && !found) {
            tlv y;
            if (der_expect(&rb, 0x30, &y) != 0)
                return false;
            found = atv_equal(&x, &y);
        }
        if (!found)
            return false;
    }
    return true;
}

/* Compares the first RDNs of name with all of base; *exact says whether name
 * has no more RDNs. */
static bool rdns_prefix(const sipc_bytes *name, const sipc_bytes *base, bool *exact)
{
    rd rn = rd_of(name), rb = rd_of(base);
    tlv sn, sb;
    if (der_expect(&rn, 0x30, &sn) != 0 || rn.n != 0 || der_expect(&rb, 0x30, &sb) != 0 || rb.n != 0)
        return false;
    rd a = rd_of(&sn.val), b = rd_of(&sb.val);
    while (b.n) {
        tlv x, y;
        if (!a.n || der_expect(&a, 0x31, &x) != 0 || der_expect(&b, 0x31, &y) != 0 ||
            !rdn_equal(&x, &y))
            return false;
    }
    *exact = a.n == 0;
    return true;
}

bool sipc_name_equal(const sipc_bytes *a, const sipc_bytes *b)
{
    if (a->len == b->len && memcmp(a->p, b->p, a->len) == 0)
        return true;
    bool exact = false;
    return rdns_prefix(a, b, &exact) && exact;
}

bool sipc_name_within(const sipc_bytes *name, const sipc_bytes *base)
{
    bool exact;
    return rdns_prefix(name, base, &exact);
}

bool sipc_name_is_empty(const sipc_bytes *name)
{
    rd r = rd_of(name);
    tlv s;
    return der_expect(&r, 0x30, &s) == 0 && s.val.len == 0;
}
