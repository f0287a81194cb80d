/* crl_scope.c - see crl_scope.h. A CRL whose scope does not cover a
 * certificate gives no status for it (RFC 5280 6.3.3): taking it as proof
 * of good standing is how a revoked certificate gets accepted. */
#include "certs/crl_scope.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "base/error_text.h"
#include "certs/der.h"

static const uint8_t OID_CRL_NUMBER[] = {0x55, 0x1d, 0x14};
static const uint8_t OID_DELTA[] = {0x55, 0x1d, 0x1b};
static const uint8_t OID_IDP[] = {0x55, 0x1d, 0x1c};
static const uint8_t OID_AKI[] = {0x55, 0x1d, 0x23};
static const uint8_t OID_IAN[] = {0x55, 0x1d, 0x12};
static const uint8_t OID_FRESHEST[] = {0x55, 0x1d, 0x2e};
static const uint8_t OID_AIA[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01};
static const uint8_t OID_REASON[] = {0x55, 0x1d, 0x15};
static const uint8_t OID_INVALIDITY[] = {0x55, 0x1d, 0x18};
static const uint8_t OID_HOLD[] = {0x55, 0x1d, 0x17};
static const uint8_t OID_CERT_ISSUER[] = {0x55, 0x1d, 0x1d};

static void set_unusable(sipc_crl *c, const char *what, const sipc_bytes *oid)
{
    if (c->unusable[0])
        return;
    char os[64];
    sipc_oid_str(oid, os, sizeof os);
    snprintf(c->unusable, sizeof c->unusable, "it has a critical %s extension sipc does not know (%s)",
             what, os);
}

/* Each Extension of a SEQUENCE OF Extension: fn(oid, critical, value). */
typedef int (*ext_fn)(sipc_crl *c, const sipc_bytes *oid, int critical, const sipc_bytes *v);

static int each_ext(sipc_crl *c, const sipc_bytes *exts, ext_fn fn)
{
    rd r = rd_of(exts);
    while (r.n) {
        tlv ext, oid, crit, v;
        int critical = 0;
        if (der_expect(&r, 0x30, &ext) != 0)
            return SIPC_EFORMAT;
        rd re = rd_of(&ext.val);
        if (der_expect(&re, 0x06, &oid) != 0)
            return SIPC_EFORMAT;
        if (peek_tag(&re) == 0x01) {
            if (der_next(&re, &crit) != 0)
                return SIPC_EFORMAT;
            critical = der_bool(&crit);
        }
        if (der_expect(&re, 0x04, &v) != 0 || re.n != 0)
            return SIPC_EFORMAT;
        if (fn(c, &oid.val, critical, &v.val) != 0)
            return SIPC_EFORMAT;
    }
    return 0;
}

static int read_int(const sipc_bytes *v, sipc_bytes *out)
{
    rd r = rd_of(v);
    tlv t;
    if (der_expect(&r, 0x02, &t) != 0 || r.n != 0 || t.val.len == 0 || t.val.len > 20 ||
        (t.val.p[0] & 0x80))
        return SIPC_EFORMAT; /* RFC 5280 5.2.3: a non-negative integer of at most 20 octets */
    *out = t.val;
    return 0;
}

static int read_idp(sipc_crl *c, const sipc_bytes *v)
{
    rd r = rd_of(v);
    tlv seq, f;
    if (der_expect(&r, 0x30, &seq) != 0 || r.n != 0)
        return SIPC_EFORMAT;
    c->idp = seq.whole;
    rd rs = rd_of(&seq.val);
    while (rs.n) {
        if (der_next(&rs, &f) != 0)
            return SIPC_EFORMAT;
        switch (f.tag) {
        case 0xa0: c->idp_dp = f.val; break;
        case 0x81: c->only_user = der_bool(&f); break;
        case 0x82: c->only_ca = der_bool(&f); break;
        case 0x83:
            if (f.val.len < 1)
                return SIPC_EFORMAT;
            c->only_reasons = der_bits(&f.val) & SIPC_REASONS_ALL;
            if (!c->only_reasons)
                c->only_reasons = 1u << 0; /* only "unused": covers no real reason */
            break;
        case 0x84: c->indirect = der_bool(&f); break;
        case 0x85: c->only_attr = der_bool(&f); break;
        default: return SIPC_EFORMAT;
        }
    }
    return 0;
}

static int crl_ext(sipc_crl *c, const sipc_bytes *oid, int critical, const sipc_bytes *v)
{
    if (OID_IS(oid, OID_CRL_NUMBER))
        return read_int(v, &c->number);
    if (OID_IS(oid, OID_DELTA)) {
        c->is_delta = 1;
        return read_int(v, &c->base_number);
    }
    if (OID_IS(oid, OID_IDP))
        return read_idp(c, v);
    if (critical && !OID_IS(oid, OID_AKI) && !OID_IS(oid, OID_IAN) && !OID_IS(oid, OID_FRESHEST) &&
        !OID_IS(oid, OID_AIA))
        set_unusable(c, "CRL", oid);
    return 0;
}

static int entry_ext(sipc_crl *c, const sipc_bytes *oid, int critical, const sipc_bytes *v)
{
    (void)v;
    if (OID_IS(oid, OID_CERT_ISSUER))
        c->has_entry_issuer = 1;
    else if (critical && !OID_IS(oid, OID_REASON) && !OID_IS(oid, OID_INVALIDITY) &&
             !OID_IS(oid, OID_HOLD))
        set_unusable(c, "CRL entry", oid);
    return 0;
}

int sipc__crl_read_exts(sipc_crl *c, const sipc_bytes *exts, char *err, size_t errlen)
{
    if (each_ext(c, exts, crl_ext) != 0) {
        sipc__seterr(err, errlen, "bad CRL extension");
        return SIPC_EFORMAT;
    }
    return 0;
}

int sipc__crl_read_entry_exts(sipc_crl *c, const sipc_bytes *exts, char *err, size_t errlen)
{
    if (each_ext(c, exts, entry_ext) != 0) {
        sipc__seterr(err, errlen, "bad CRL entry extension");
        return SIPC_EFORMAT;
    }
    return 0;
}

void sipc__crl_finish(sipc_crl *c)
{
    if (c->has_entry_issuer && !c->indirect && !c->unusable[0])
        snprintf(c->unusable, sizeof c->unusable,
                 "its entries name other certificate issuers but it is not an indirect CRL");
    if (c->is_delta && !c->number.len && !c->unusable[0])
        snprintf(c->unusable, sizeof c->unusable, "it is a delta CRL without a CRL number");
}

/* --------------------------------------------------------------- scope */

/* One GeneralName: its tag and content; a directoryName's content is the
 * Name TLV. */
typedef struct gname {
    uint8_t tag;
    sipc_bytes v;
} gname;
enum { MAX_GN = 16 };

static int add_names(const sipc_bytes *gns, gname *out, int n)
{
    rd r = rd_of(gns);
    while (r.n && n < MAX_GN) {
        tlv g;
        if (der_next(&r, &g) != 0)
            return n;
        out[n].tag = g.tag;
        out[n].v = g.val;
        n++;
    }
    return n;
}

/* The names of a DistributionPointName (content of the [0] that holds it);
 * a name relative to the CRL issuer is that issuer plus the RDN, built in
 * buf. */
static int dpname_names(const sipc_bytes *dpn, const sipc_bytes *issuer, uint8_t *buf, size_t buflen,
                        gname *out, int n)
{
    rd r = rd_of(dpn);
    tlv choice;
    if (der_next(&r, &choice) != 0)
        return n;
    if (choice.tag == 0xa0)
        return add_names(&choice.val, out, n);
    if (choice.tag != 0xa1 || n >= MAX_GN)
        return n;
    rd ri = rd_of(issuer);
    tlv iss;
    if (der_expect(&ri, 0x30, &iss) != 0)
        return n;
    size_t rdn_len = choice.whole.len, body = iss.val.len + rdn_len;
    if (body > 0xffff || body + 4 > buflen)
        return n;
    size_t w = 0;
    buf[w++] = 0x30;
    buf[w++] = 0x82;
    buf[w++] = (uint8_t)(body >> 8);
    buf[w++] = (uint8_t)body;
    if (body < 0x80) { /* keep the length minimal: the reader is strict */
        w = 0;
        buf[w++] = 0x30;
        buf[w++] = (uint8_t)body;
    } else if (body < 0x100) {
        w = 0;
        buf[w++] = 0x30;
        buf[w++] = 0x81;
        buf[w++] = (uint8_t)body;
    }
    memcpy(buf + w, iss.val.p, iss.val.len);
    memcpy(buf + w + iss.val.len, choice.whole.p, rdn_len);
    buf[w + iss.val.len] = 0x31; /* [1] IMPLICIT RDN is a SET */
    out[n].tag = 0xa4;
    out[n].v.p = buf;
    out[n].v.len = w + body;
    return n + 1;
}

static bool gname_equal(const gname *a, const gname *b)
{
    if (a->tag != b->tag)
        return false;
    if (a->tag == 0xa4) {
        /* directoryName: [4] EXPLICIT Name, content is the Name TLV */
        return sipc_name_equal(&a->v, &b->v);
    }
    return a->v.len == b->v.len && memcmp(a->v.p, b->v.p, a->v.len) == 0;
}

static bool any_common(const gname *a, int na, const gname *b, int nb)
{
    for (int i = 0; i < na; i++)
        for (int k = 0; k < nb; k++)
            if (gname_equal(&a[i], &b[k]))
                return true;
    return false;
}

static void first_name_str(const gname *g, int n, char *out, size_t outlen)
{
    if (n == 0 || outlen == 0) {
        snprintf(out, outlen, "(no name)");
        return;
    }
    if (g[0].tag == 0x86) {
        snprintf(out, outlen, "URI:%.*s", (int)(g[0].v.len > 200 ? 200 : g[0].v.len),
                 (const char *)g[0].v.p);
        for (size_t i = 4; out[i]; i++)
            if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
                out[i] = '?';
    } else if (g[0].tag == 0xa4) {
        snprintf(out, outlen, "a directory name");
    } else {
        snprintf(out, outlen, "a name of type [%d]", g[0].tag & 0x1f);
    }
}

bool sipc_crl_may_cover(const sipc_crl *c, const sipc_x509 *x)
{
    if (sipc_name_equal(&c->issuer_der, &x->issuer_der))
        return true;
    if (!c->indirect || !x->crl_dp.len)
        return false;
    gname me = {0xa4, c->issuer_der};
    rd r = rd_of(&x->crl_dp);
    tlv seq;
    if (der_expect(&r, 0x30, &seq) != 0)
        return false;
    rd rs = rd_of(&seq.val);
    while (rs.n) {
        tlv dp, f;
        if (der_expect(&rs, 0x30, &dp) != 0)
            return false;
        rd rf = rd_of(&dp.val);
        while (rf.n && der_next(&rf, &f) == 0) {
            gname issuers[MAX_GN];
            if (f.tag == 0xa2 && any_common(issuers, add_names(&f.val, issuers, 0), &me, 1))
                return true;
        }
    }
    return false;
}

bool sipc_crl_covers(const sipc_crl *c, const sipc_x509 *x, unsigned *reasons, char *why,
                     size_t whylen)
{
    assert(c && x && reasons);
    *reasons = 0;
    /* an indirect CRL of another issuer speaks only through a distribution
     * point naming it as cRLIssuer (RFC 5280 6.3.3 (b)(1)) */
    bool other_issuer = !sipc_name_equal(&c->issuer_der, &x->issuer_der);
    if (c->only_attr) {
        snprintf(why, whylen, "it covers only attribute certificates (onlyContainsAttributeCerts)");
        return false;
    }
    if (c->only_user && x->is_ca) {
        snprintf(why, whylen,
                 "it covers only end-entity certificates (onlyContainsUserCerts) and this one is "
                 "a CA");
        return false;
    }
    if (c->only_ca && !x->is_ca) {
        snprintf(why, whylen, "it covers only CA certificates (onlyContainsCACerts)");
        return false;
    }
    uint8_t ibuf[1100], dbuf[1100];
    gname idp[MAX_GN];
    int nidp = c->idp_dp.len ? dpname_names(&c->idp_dp, &c->issuer_der, ibuf, sizeof ibuf, idp, 0) : 0;
    unsigned dp_reasons = 0;
    bool matched = false;
    if (!x->crl_dp.len) {
        /* No distribution point in the certificate: as if it had one with
         * only cRLIssuer = its issuer (RFC 5280 6.3.3 (b)(2)(i)). */
        gname self = {0xa4, x->issuer_der};
        matched = !other_issuer && (!c->idp_dp.len || any_common(idp, nidp, &self, 1));
        dp_reasons = SIPC_REASONS_ALL;
    } else {
        rd r = rd_of(&x->crl_dp);
        tlv seq;
        if (der_expect(&r, 0x30, &seq) == 0) {
            rd rs = rd_of(&seq.val);
            while (rs.n) {
                tlv dp, f;
                if (der_expect(&rs, 0x30, &dp) != 0)
                    break;
                sipc_bytes dpn = {0}, crl_issuer = {0};
                unsigned rs_bits = SIPC_REASONS_ALL;
                rd rf = rd_of(&dp.val);
                while (rf.n && der_next(&rf, &f) == 0) {
                    if (f.tag == 0xa0)
                        dpn = f.val;
                    else if (f.tag == 0x81 && f.val.len >= 1)
                        rs_bits = der_bits(&f.val) & SIPC_REASONS_ALL;
                    else if (f.tag == 0xa2)
                        crl_issuer = f.val;
                }
                gname issuers[MAX_GN];
                int nis = crl_issuer.len ? add_names(&crl_issuer, issuers, 0) : 0;
                if (crl_issuer.len) {
                    /* this point's CRLs come from another issuer (indirect) */
                    gname me = {0xa4, c->issuer_der};
                    if (!c->indirect || !any_common(issuers, nis, &me, 1))
                        continue;
                } else if (other_issuer) {
                    continue; /* the certificate issuer's own CRLs */
                }
                if (c->idp_dp.len) {
                    gname names[MAX_GN];
                    int nn;
                    if (dpn.len)
                        nn = dpname_names(&dpn, crl_issuer.len ? &c->issuer_der : &x->issuer_der,
                                          dbuf, sizeof dbuf, names, 0);
                    else
                        nn = add_names(&crl_issuer, names, 0);
                    if (!any_common(idp, nidp, names, nn))
                        continue;
                }
                matched = true;
                dp_reasons |= rs_bits;
            }
        }
    }
    if (!matched && other_issuer) {
        snprintf(why, whylen,
                 "it is an indirect CRL of another issuer and no CRL distribution point of the "
                 "certificate names that issuer (cRLIssuer)");
        return false;
    }
    if (!matched) {
        char n[240];
        first_name_str(idp, nidp, n, sizeof n);
        snprintf(why, whylen,
                 "its issuing distribution point (%s) is not one of the certificate's CRL "
                 "distribution points%s",
                 n, x->crl_dp.len ? "" : " (it names none)");
        return false;
    }
    *reasons = (c->only_reasons ? c->only_reasons : SIPC_REASONS_ALL) & dp_reasons;
    if (!*reasons) {
        char rs[200];
        sipc_crl_reasons_str(c->only_reasons, rs, sizeof rs);
        snprintf(why, whylen, "it covers only the reasons %s (onlySomeReasons), none the "
                 "certificate's distribution point asks for", rs);
        return false;
    }
    return true;
}

bool sipc_crl_find(const sipc_crl *c, const sipc_x509 *x, time_t *when, int *reason)
{
    rd rr = rd_of(&c->revoked);
    sipc_bytes current = c->issuer_der; /* entries of an indirect CRL: RFC 5280 5.3.3 */
    while (rr.n) {
        tlv e, s, d, exts;
        if (der_expect(&rr, 0x30, &e) != 0)
            return false;
        rd re = rd_of(&e.val);
        if (der_expect(&re, 0x02, &s) != 0 || der_next(&re, &d) != 0)
            return false;
        int rc = -1;
        if (re.n && der_expect(&re, 0x30, &exts) == 0) {
            rd rx = rd_of(&exts.val);
            while (rx.n) {
                tlv ext, oid, v, crit;
                if (der_expect(&rx, 0x30, &ext) != 0)
                    break;
                rd r1 = rd_of(&ext.val);
                if (der_expect(&r1, 0x06, &oid) != 0)
                    break;
                if (peek_tag(&r1) == 0x01 && der_next(&r1, &crit) != 0)
                    break;
                if (der_expect(&r1, 0x04, &v) != 0)
                    break;
                rd rv = rd_of(&v.val);
                tlv in;
                if (OID_IS(&oid.val, OID_REASON) && der_expect(&rv, 0x0a, &in) == 0 &&
                    in.val.len == 1)
                    rc = in.val.p[0];
                else if (OID_IS(&oid.val, OID_CERT_ISSUER) && c->indirect &&
                         der_expect(&rv, 0x30, &in) == 0) {
                    gname g[MAX_GN];
                    int ng = add_names(&in.val, g, 0);
                    for (int i = 0; i < ng; i++)
                        if (g[i].tag == 0xa4) {
                            current = g[i].v;
                            break;
                        }
                }
            }
        }
        if (s.val.len == x->serial.len && memcmp(s.val.p, x->serial.p, s.val.len) == 0 &&
            sipc_name_equal(&current, &x->issuer_der)) {
            if (sipc__der_time(&d, when) != 0)
                *when = 0;
            *reason = rc;
            return true;
        }
    }
    return false;
}

int sipc_crl_num_cmp(const sipc_bytes *a, const sipc_bytes *b)
{
    size_t ia = 0, ib = 0;
    while (ia < a->len && a->p[ia] == 0)
        ia++;
    while (ib < b->len && b->p[ib] == 0)
        ib++;
    size_t la = a->len - ia, lb = b->len - ib;
    if (la != lb)
        return la < lb ? -1 : 1;
    int r = la ? memcmp(a->p + ia, b->p + ib, la) : 0;
    return r < 0 ? -1 : r > 0;
}

void sipc_crl_num_str(const sipc_bytes *n, char *out, size_t outlen)
{
    if (!n->len) {
        snprintf(out, outlen, "(none)");
        return;
    }
    if (n->len <= 8) {
        unsigned long long v = 0;
        for (size_t i = 0; i < n->len; i++)
            v = v << 8 | n->p[i];
        snprintf(out, outlen, "%llu", v);
        return;
    }
    size_t w = (size_t)snprintf(out, outlen, "0x");
    for (size_t i = 0; i < n->len && w + 3 < outlen; i++)
        w += (size_t)snprintf(out + w, outlen - w, "%02X", n->p[i]);
}

void sipc_crl_reasons_str(unsigned reasons, char *out, size_t outlen)
{
    static const char *names[] = {"unused",          "keyCompromise",        "cACompromise",
                                  "affiliationChanged", "superseded",        "cessationOfOperation",
                                  "certificateHold", "privilegeWithdrawn",   "aACompromise"};
    size_t w = 0;
    out[0] = '\0';
    for (int i = 0; i < 9; i++)
        if (reasons & (1u << i)) {
            int n = snprintf(out + w, outlen - w, "%s%s", w ? ", " : "", names[i]);
            if (n < 0 || (size_t)n >= outlen - w)
                return;
            w += (size_t)n;
        }
    if (!w)
        snprintf(out, outlen, "(none)");
}

bool sipc_crl_same_scope(const sipc_crl *a, const sipc_crl *b)
{
    return sipc_name_equal(&a->issuer_der, &b->issuer_der) && a->idp.len == b->idp.len &&
           (a->idp.len == 0 || memcmp(a->idp.p, b->idp.p, a->idp.len) == 0);
}
