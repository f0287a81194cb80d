/* name_constraints.c - see name_constraints.h. Each constraining CA is
 * checked on its own: a name must be in one of its permitted subtrees of
 * that name's form (when it has any of the form) and in none of its
 * excluded ones, which is the intersection RFC 5280 6.1.4 (g) computes. */
#include "certs/name_constraints.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "certs/der.h"
#include "certs/x509_text.h"

static const uint8_t OID_EMAIL[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01};

enum { GN_EMAIL = 0x81, GN_DNS = 0x82, GN_URI = 0x86, GN_IP = 0x87, GN_DIR = 0xa4 };

static bool ends_with_ci(const sipc_bytes *s, const sipc_bytes *suffix)
{
    return s->len >= suffix->len &&
           strncasecmp((const char *)s->p + s->len - suffix->len, (const char *)suffix->p,
                       suffix->len) == 0;
}

static bool equal_ci(const sipc_bytes *a, const sipc_bytes *b)
{
    return a->len == b->len && strncasecmp((const char *)a->p, (const char *)b->p, a->len) == 0;
}

static bool has_nul(const sipc_bytes *b)
{
    return memchr(b->p, 0, b->len) != NULL;
}

/* A host name with its root dot ("a.example.com.", absolute) is the same
 * name without it: compared without, or "a.evil.com." would escape an
 * excluded ".evil.com". */
static sipc_bytes without_root_dot(const sipc_bytes *b)
{
    sipc_bytes r = *b;
    if (r.len > 1 && r.p[r.len - 1] == '.')
        r.len--;
    return r;
}

/* dNSName: "example.com" covers it and every name below it; ".example.com"
 * only the names below. */
static bool dns_match(const sipc_bytes *base_in, const sipc_bytes *name_in)
{
    if (base_in->len == 0)
        return true;
    if (has_nul(base_in) || has_nul(name_in))
        return false;
    sipc_bytes b = without_root_dot(base_in), n = without_root_dot(name_in);
    const sipc_bytes *base = &b, *name = &n;
    if (base->p[0] == '.')
        return name->len > base->len && ends_with_ci(name, base);
    if (equal_ci(name, base))
        return true;
    return name->len > base->len && ends_with_ci(name, base) &&
           name->p[name->len - base->len - 1] == '.';
}

/* rfc822Name: "a@host" one mailbox, "host" every mailbox at that host,
 * ".example.com" every mailbox at a host below it. */
static bool email_match(const sipc_bytes *base, const sipc_bytes *name)
{
    if (has_nul(base) || has_nul(name))
        return false;
    const uint8_t *at = memchr(name->p, '@', name->len);
    if (!at)
        return false;
    sipc_bytes h0 = {at + 1, name->len - (size_t)(at + 1 - name->p)};
    sipc_bytes host = without_root_dot(&h0);
    const uint8_t *bat = memchr(base->p, '@', base->len);
    if (bat) {
        size_t bl = (size_t)(bat - base->p), nl = (size_t)(at - name->p);
        sipc_bytes bh0 = {bat + 1, base->len - bl - 1};
        sipc_bytes bhost = without_root_dot(&bh0);
        return bl == nl && memcmp(base->p, name->p, nl) == 0 && equal_ci(&host, &bhost);
    }
    sipc_bytes bd = without_root_dot(base);
    if (bd.len && bd.p[0] == '.')
        return host.len > bd.len && ends_with_ci(&host, &bd);
    return equal_ci(&host, &bd);
}

/* The host of a URI ("scheme://[user@]host[:port][/...]"); false when it
 * has none a name constraint can be applied to (no authority, an IP
 * literal). */
static bool uri_host(const sipc_bytes *uri, sipc_bytes *host)
{
    const uint8_t *p = uri->p, *end = uri->p + uri->len;
    const uint8_t *colon = memchr(p, ':', uri->len);
    if (!colon || end - colon < 3 || colon[1] != '/' || colon[2] != '/')
        return false;
    const uint8_t *h = colon + 3, *e = h;
    while (e < end && *e != '/' && *e != '?' && *e != '#')
        e++;
    const uint8_t *at = NULL;
    for (const uint8_t *q = h; q < e; q++)
        if (*q == '@')
            at = q;
    if (at)
        h = at + 1;
    if (h < e && *h == '[')
        return false;
    const uint8_t *port = h; /* the host ends at the port, if any */
    while (port < e && *port != ':')
        port++;
    e = port;
    if (e == h)
        return false;
    host->p = h;
    host->len = (size_t)(e - h);
    return true;
}

/* uniformResourceIdentifier: the constraint applies to the host part,
 * "host.example.com" that host, ".example.com" every host below it (RFC
 * 5280 4.2.1.10). */
static bool uri_match(const sipc_bytes *base_in, const sipc_bytes *name)
{
    sipc_bytes h0;
    if (has_nul(base_in) || has_nul(name) || !uri_host(name, &h0))
        return false;
    sipc_bytes host = without_root_dot(&h0), b = without_root_dot(base_in);
    const sipc_bytes *base = &b;
    if (base->len && base->p[0] == '.')
        return host.len > base->len && ends_with_ci(&host, base);
    return equal_ci(&host, base);
}

/* A URI whose host is percent-encoded ("a.evil%2ecom") names a host that
 * a constraint cannot be compared with byte by byte: refused wherever URI
 * constraints apply, rather than let through an excluded subtree. */
static bool uri_host_encoded(const sipc_bytes *name)
{
    sipc_bytes host;
    return uri_host(name, &host) && memchr(host.p, '%', host.len) != NULL;
}

static bool ip_match(const sipc_bytes *base, const sipc_bytes *name)
{
    if (base->len != 2 * name->len || (name->len != 4 && name->len != 16))
        return false;
    const uint8_t *mask = base->p + name->len;
    for (size_t i = 0; i < name->len; i++)
        if ((name->p[i] & mask[i]) != (base->p[i] & mask[i]))
            return false;
    return true;
}

static bool matches(uint8_t tag, const sipc_bytes *base, const sipc_bytes *name)
{
    switch (tag) {
    case GN_DNS: return dns_match(base, name);
    case GN_EMAIL: return email_match(base, name);
    case GN_IP: return ip_match(base, name);
    case GN_URI: return uri_match(base, name);
    case GN_DIR: return sipc_name_within(name, base);
    default: return false;
    }
}

static void name_text(uint8_t tag, const sipc_bytes *v, const sipc_x509 *x, char *out, size_t outlen)
{
    const char *kind = tag == GN_DNS ? "DNS name" : tag == GN_EMAIL ? "e-mail address"
                       : tag == GN_URI ? "URI" : "name";
    if (tag == GN_IP && v->len == 4) {
        snprintf(out, outlen, "IP address %u.%u.%u.%u", v->p[0], v->p[1], v->p[2], v->p[3]);
    } else if (tag == GN_IP) {
        snprintf(out, outlen, "IPv6 address");
    } else if (tag == GN_DIR) {
        if (v->p == x->subject_der.p)
            snprintf(out, outlen, "subject '%s'", x->subject);
        else
            snprintf(out, outlen, "directory name in subjectAltName");
    } else {
        /* shown as the subjectAltName shows it: a control or a byte that is
         * no UTF-8 as \xNN, never raw and never as a '?' that hides which */
        char shown[160];
        sipc__value_text(v, shown, sizeof shown);
        snprintf(out, outlen, "%s '%s'", kind, shown);
    }
}

static const char *form_name(uint8_t tag)
{
    switch (tag) {
    case 0xa0: return "otherName";
    case GN_URI: return "uniformResourceIdentifier";
    case 0xa3: return "x400Address";
    case 0xa5: return "ediPartyName";
    case 0x88: return "registeredID";
    default: return "unknown";
    }
}

/* Checks one name of x (form tag, value v) against the constraints. */
static int check_name(const tlv *perm, const tlv *excl, uint8_t tag, const sipc_bytes *v,
                      const sipc_x509 *x, char *why, size_t whylen)
{
    bool supported =
        tag == GN_DNS || tag == GN_EMAIL || tag == GN_IP || tag == GN_URI || tag == GN_DIR;
    bool has_perm = false, in_perm = false;
    for (int pass = 0; pass < 2; pass++) {
        const tlv *list = pass == 0 ? excl : perm;
        if (!list)
            continue;
        rd r = rd_of(&list->val);
        while (r.n) {
            tlv st, base;
            if (der_expect(&r, 0x30, &st) != 0)
                return SIPC_EFORMAT;
            rd rs = rd_of(&st.val);
            if (der_next(&rs, &base) != 0)
                return SIPC_EFORMAT;
            while (rs.n) { /* minimum must be 0 and maximum absent (RFC 5280 4.2.1.10) */
                tlv m;
                if (der_next(&rs, &m) != 0 || m.tag != 0x80 || m.val.len != 1 || m.val.p[0] != 0)
                    return SIPC_EFORMAT;
            }
            if (base.tag != tag)
                continue;
            if (!supported) {
                snprintf(why, whylen,
                         "nameConstraints on %s names, which sipc does not check, and the "
                         "certificate has such a name",
                         form_name(tag));
                return SIPC_ENOTSUP;
            }
            if (tag == GN_URI && uri_host_encoded(v)) {
                char n[sizeof x->subject + 16];
                name_text(tag, v, x, n, sizeof n);
                snprintf(why, whylen,
                         "its %s has a percent-encoded host, which cannot be checked against "
                         "the URI constraints",
                         n);
                return SIPC_EPEERAUTH;
            }
            bool hit = matches(tag, &base.val, v);
            if (pass == 0 && hit) {
                char n[sizeof x->subject + 16];
                name_text(tag, v, x, n, sizeof n);
                snprintf(why, whylen, "its %s is in an excluded subtree", n);
                return SIPC_EPEERAUTH;
            }
            if (pass == 1) {
                has_perm = true;
                in_perm = in_perm || hit;
            }
        }
    }
    if (has_perm && !in_perm) {
        char n[sizeof x->subject + 16];
        name_text(tag, v, x, n, sizeof n);
        snprintf(why, whylen, "its %s is not in the permitted subtrees", n);
        return SIPC_EPEERAUTH;
    }
    return 0;
}

int sipc_nc_check(const sipc_bytes *nc, const sipc_x509 *x, char *why, size_t whylen)
{
    rd r = rd_of(nc);
    tlv seq, f, perm, excl;
    bool hp = false, he = false;
    if (der_expect(&r, 0x30, &seq) != 0)
        return SIPC_EFORMAT;
    rd rs = rd_of(&seq.val);
    while (rs.n) {
        if (der_next(&rs, &f) != 0)
            return SIPC_EFORMAT;
        if (f.tag == 0xa0 && !hp) {
            perm = f;
            hp = true;
        } else if (f.tag == 0xa1 && !he) {
            excl = f;
            he = true;
        } else {
            return SIPC_EFORMAT;
        }
    }
    const tlv *P = hp ? &perm : NULL, *E = he ? &excl : NULL;
    int rc;
    /* the subject as a directoryName, unless empty */
    if (!sipc_name_is_empty(&x->subject_der) &&
        (rc = check_name(P, E, GN_DIR, &x->subject_der, x, why, whylen)) != 0)
        return rc;
    /* emailAddress attributes of the subject count as rfc822Names */
    rd rn = rd_of(&x->subject_der);
    tlv name;
    if (der_expect(&rn, 0x30, &name) == 0) {
        rd rr = rd_of(&name.val);
        tlv set;
        while (rr.n && der_expect(&rr, 0x31, &set) == 0) {
            rd ra = rd_of(&set.val);
            tlv atv;
            while (ra.n && der_expect(&ra, 0x30, &atv) == 0) {
                rd rv = rd_of(&atv.val);
                tlv oid, val;
                if (der_expect(&rv, 0x06, &oid) == 0 && der_next(&rv, &val) == 0 &&
                    OID_IS(&oid.val, OID_EMAIL) &&
                    (rc = check_name(P, E, GN_EMAIL, &val.val, x, why, whylen)) != 0)
                    return rc;
            }
        }
    }
    if (x->san_der.len) {
        rd rsan = rd_of(&x->san_der);
        tlv gns;
        if (der_expect(&rsan, 0x30, &gns) != 0)
            return SIPC_EFORMAT;
        rd rg = rd_of(&gns.val);
        while (rg.n) {
            tlv g;
            if (der_next(&rg, &g) != 0)
                return SIPC_EFORMAT;
            if ((rc = check_name(P, E, g.tag, &g.val, x, why, whylen)) != 0)
                return rc;
        }
    }
    return 0;
}
