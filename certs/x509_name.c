/* x509_name.c - distinguished names compared as RFC 5280 section 7.1 says:
 * attribute by attribute, string values after conversion to one character
 * set, case-insensitive, leading and trailing white space removed and inner
 * white space compressed. CAs do not always repeat their own name byte for
 * byte in what they sign (a PrintableString subject, a UTF8String issuer;
 * a different case after a re-key), and a byte-wise comparison would refuse
 * those valid paths. Case folding covers ASCII only: names in other scripts
 * must match exactly (a documented limit). The required subject of
 * [tls] subject is compared the same way, on the certificate's Name
 * structure: its text form is parsed here (a small RFC 4514 reader; the
 * certificate side is never rendered and re-read). */
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "base/error_text.h"
#include "certs/der.h"
#include "certs/x509_info.h"
#include "certs/x509_text.h"
#include "sipc/errno.h"

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
            int extra = p[i] >= 0xf8   ? -1
                        : p[i] >= 0xf0 ? 3
                        : p[i] >= 0xe0 ? 2
                        : p[i] >= 0xc0 ? 1
                                       : -1;
            if (extra < 0 || i + 1 + (size_t)extra > n)
                return -1;
            c = p[i] & (0x3f >> extra);
            for (int e = 1; e <= extra; e++) {
                if ((p[i + (size_t)e] & 0xc0) != 0x80)
                    return -1;
                c = c << 6 | (p[i + (size_t)e] & 0x3f);
            }
            /* one spelling per character: no overlong forms (a CN in
             * disguise), no surrogates, nothing past U+10FFFF */
            static const uint32_t least[] = {0, 0x80, 0x800, 0x10000};
            if (c < least[extra] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return -1;
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

/* ------------------------------------------------- the required subject */

enum { REQ_MAX_ATTRS = 16, REQ_MAX_CP = 512, CERT_MAX_ATTRS = 64 };

/* The required subject, parsed: each attribute's type and its value as
 * normalised code points (a slice of cp). */
typedef struct req_subject {
    int n;
    struct {
        sipc_bytes oid;
        int off, len;
    } a[REQ_MAX_ATTRS];
    uint32_t cp[REQ_MAX_CP];
    int ncp;
} req_subject;

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                                 : -1;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The byte an escape stands for, *s just past its '\': \XX (two hex
 * digits) or the character itself; *s moves past it. -1: nothing follows. */
static int unescape(const char **s)
{
    const char *t = *s;
    if (!*t)
        return -1;
    int h = hexval(t[0]), l = t[1] ? hexval(t[1]) : -1;
    if (h >= 0 && l >= 0) {
        *s = t + 2;
        return h << 4 | l;
    }
    *s = t + 1;
    return (unsigned char)*t;
}

/* Reads one value up to an unescaped separator (or the end) into out as
 * bytes, escapes resolved, blanks around it dropped (an escaped one stays);
 * *p moves past it. Returns its length, -1 if too long or badly escaped. */
static int req_value(const char **p, const char *seps, uint8_t *out, size_t cap)
{
    const char *s = *p;
    size_t w = 0, keep = 0;
    while (is_blank(*s))
        s++;
    while (*s && !strchr(seps, *s)) {
        int c = (unsigned char)*s++;
        bool escaped = c == '\\';
        if (escaped && (c = unescape(&s)) < 0)
            return -1;
        if (w >= cap)
            return -1;
        out[w++] = (uint8_t)c;
        if (escaped || !is_blank((char)c))
            keep = w;
    }
    *p = s;
    return (int)keep;
}

/* Reads a value in RFC 2253 quotes, as `openssl x509 -subject` prints one
 * holding a comma ("Example, Inc."): *p at the opening quote; everything up
 * to the closing one is the value as it stands (blanks kept; ',' '+' '='
 * are text), '\' escapes as outside; then only blanks up to a separator in
 * seps or the end. Returns its length; -1 too long or badly escaped, -2 no
 * closing quote, -3 more text after it (*p there). */
static int req_quoted(const char **p, const char *seps, uint8_t *out, size_t cap)
{
    const char *s = *p + 1;
    size_t w = 0;
    while (*s && *s != '"') {
        int c = (unsigned char)*s++;
        if (c == '\\' && (c = unescape(&s)) < 0)
            return -1;
        if (w >= cap)
            return -1;
        out[w++] = (uint8_t)c;
    }
    if (*s != '"')
        return -2;
    s++;
    while (is_blank(*s))
        s++;
    *p = s;
    if (*s && !strchr(seps, *s))
        return -3;
    return (int)w;
}

/* A value, quoted or not (req_quoted, req_value), or SIPC_EINVAL said in
 * err: what came before it (type, '=') is named as lead. */
static int req_any_value(const char **p, const char *seps, bool quotes, const char *lead,
                         int leadlen, uint8_t *out, size_t cap, char *err, size_t errlen)
{
    if (!quotes || **p != '"')
        return req_value(p, seps, out, cap);
    const char *start = *p;
    int n = req_quoted(p, seps, out, cap);
    if (n == -2) {
        sipc__seterr(err, errlen, "%.*s%s: the quote is not closed", leadlen, lead, start);
        return -2;
    }
    if (n == -3) {
        const char *end = *p;
        while (end > start && is_blank(end[-1]))
            end--;
        sipc__seterr(err, errlen,
                     "%.*s%.*s is followed by '%s': a quoted value ends at its closing quote "
                     "(then ',' or '+'; a '\"' inside it is written \\\")",
                     leadlen, lead, (int)(end - start), start, *p);
        return -2;
    }
    return n;
}

static const sipc_bytes OID_CN = {(const uint8_t *)"\x55\x04\x03", 3};

/* Checks value bytes[0..n) (UTF-8, not blank) before fn gets it. */
static int req_emit(sipc_subject_fn fn, void *arg, sipc_bytes oid, const uint8_t *bytes, int n,
                    char *err, size_t errlen)
{
    if (n < 0) {
        sipc__seterr(err, errlen, "a value is too long or ends in '\\'");
        return SIPC_EINVAL;
    }
    tlv v = {.tag = 0x0c, .val = {bytes, (size_t)n}};
    uint32_t cp[MAXCP];
    int k = decode(&v, cp);
    if (k < 0) {
        sipc__seterr(err, errlen, "a value is not UTF-8 or longer than %d characters", MAXCP);
        return SIPC_EINVAL;
    }
    if (normalise(cp, k) == 0) {
        char an[48];
        sipc__attr_name(&oid, an, sizeof an);
        sipc__seterr(err, errlen, "%s has an empty value", an);
        return SIPC_EINVAL;
    }
    return fn(arg, &oid, bytes, (size_t)n, err, errlen);
}

int sipc_subject_escape(const char *value, char *out, size_t outlen)
{
    size_t w = 0, n = strlen(value);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)value[i];
        char esc[4] = {0};
        if (c < 0x20 || c == 0x7f)
            snprintf(esc, sizeof esc, "\\%02X", c);
        else if (sipc__dn_special(c, i, n))
            esc[0] = '\\', esc[1] = (char)c;
        else
            esc[0] = (char)c;
        size_t k = strlen(esc);
        if (w + k >= outlen)
            return SIPC_EINVAL;
        memcpy(out + w, esc, k);
        w += k;
    }
    if (w >= outlen)
        return SIPC_EINVAL;
    out[w] = '\0';
    return 0;
}

/* Whether types (NULL: every type sipc reads) has the attribute oid (NULL:
 * an unknown type, in none); the list, ", "-joined, in list. */
static bool type_allowed(const char *const *types, const sipc_bytes *oid, char *list, size_t len)
{
    list[0] = '\0';
    if (!types)
        return true;
    char an[48] = "";
    if (oid)
        sipc__attr_name(oid, an, sizeof an);
    bool found = false;
    size_t w = 0;
    for (int i = 0; types[i]; i++) {
        found = found || !strcmp(types[i], an);
        if (w < len)
            w += (size_t)snprintf(list + w, len - w, "%s%s", i ? ", " : "", types[i]);
    }
    return found;
}

int sipc_subject_parse(const char *s, const char *const *types, sipc_subject_fn fn, void *arg,
                       char *err, size_t errlen)
{
    uint8_t buf[1024];
    char list[200];
    while (is_blank(*s))
        s++;
    /* a bare value (no unescaped '=' outside quotes): the CN. As the value
     * reader does, a '"' opens quotes only where a value starts; before
     * any '=' that is the start of the text, elsewhere it is text. */
    bool dn = false, inner = false;
    const char *t = s;
    if (*t == '"') {
        for (t++; *t && *t != '"'; t++) {
            if (*t == '\\' && t[1])
                t++;
            else if (strchr("=,+", *t))
                inner = true;
        }
        if (*t)
            t++;
    }
    for (; *t && !dn; t++) {
        if (*t == '\\' && t[1])
            t++;
        else if (*t == '=')
            dn = true;
    }
    if (!dn && inner) {
        /* "CN=a, O=b" as a whole (sipc.conf keeps quotes): not one CN with
         * that text, which would be a policy other than the one written */
        sipc__seterr(err, errlen,
                     "the whole subject is in quotes: remove them; quote single values "
                     "(O=\"Example, Inc.\")");
        return SIPC_EINVAL;
    }
    if (!dn) {
        int n = req_any_value(&s, "", true, "", 0, buf, sizeof buf, err, errlen);
        if (n == -2)
            return SIPC_EINVAL;
        return req_emit(fn, arg, OID_CN, buf, n, err, errlen);
    }
    bool slash = *s == '/';
    const char *seps = slash ? "/" : ",+"; /* not ';': sipc.conf reads " ;" as a comment */
    if (slash)
        s++;
    int nattrs = 0;
    while (*s) {
        while (is_blank(*s))
            s++;
        const char *k = s;
        while (*s && *s != '=' && !strchr(seps, *s))
            s++;
        size_t kl = (size_t)(s - k);
        while (kl && is_blank(k[kl - 1]))
            kl--;
        if (*s != '=' || kl == 0) {
            sipc__seterr(err, errlen,
                         "'%.*s' is not ATTRIBUTE=value (as in 'CN=sipc prod, O=Example'; a comma "
                         "inside a value is written \\, as RFC 4514 escapes it, or the value is "
                         "quoted: O=\"Example, Inc.\")",
                         (int)(s - k), k);
            return SIPC_EINVAL;
        }
        sipc_bytes oid;
        bool known = sipc__attr_oid(k, kl, &oid);
        if (!type_allowed(types, known ? &oid : NULL, list, sizeof list) || !known) {
            if (types && known)
                sipc__seterr(err, errlen, "attribute '%.*s' is not supported here (use %s)",
                             (int)kl, k, list);
            else if (types)
                sipc__seterr(err, errlen, "unknown attribute '%.*s' (use %s)", (int)kl, k, list);
            else
                sipc__seterr(err, errlen,
                             "unknown attribute '%.*s' (CN, O, OU, C, L, ST, DC, emailAddress, "
                             "serialNumber, street, GN, SN, title; not numeric types)",
                             (int)kl, k);
            return SIPC_EINVAL;
        }
        s++;
        while (is_blank(*s))
            s++;
        /* RFC 4514's '#' hex form (BER) is not read: refused, not taken as text */
        if (!slash && *s == '#') {
            sipc__seterr(err, errlen,
                         "%.*s=#...: values in RFC 4514's #hex form are not read (a '#' that "
                         "starts a value is written \\#)",
                         (int)kl, k);
            return SIPC_EINVAL;
        }
        /* the /A=x/B=y form is OpenSSL's, which never quotes: a '"' there is text */
        int n = req_any_value(&s, seps, !slash, k, (int)(s - k), buf, sizeof buf, err, errlen);
        if (n == -2 || req_emit(fn, arg, oid, buf, n, err, errlen) != 0)
            return SIPC_EINVAL;
        nattrs++;
        if (*s)
            s++;
    }
    if (nattrs == 0) {
        sipc__seterr(err, errlen, "no attribute");
        return SIPC_EINVAL;
    }
    return 0;
}

/* Adds attribute oid = bytes[0..n) (UTF-8, checked) to q, normalised. */
static int req_add(void *arg, const sipc_bytes *oid, const uint8_t *bytes, size_t n, char *err,
                   size_t errlen)
{
    req_subject *q = arg;
    if (q->n >= REQ_MAX_ATTRS) {
        sipc__seterr(err, errlen, "more than %d attributes", REQ_MAX_ATTRS);
        return SIPC_EINVAL;
    }
    tlv v = {.tag = 0x0c, .val = {bytes, n}};
    uint32_t cp[MAXCP];
    int k = normalise(cp, decode(&v, cp));
    if (q->ncp + k > REQ_MAX_CP) {
        sipc__seterr(err, errlen, "longer than %d characters", REQ_MAX_CP);
        return SIPC_EINVAL;
    }
    memcpy(q->cp + q->ncp, cp, (size_t)k * sizeof cp[0]);
    q->a[q->n].oid = *oid;
    q->a[q->n].off = q->ncp;
    q->a[q->n].len = k;
    q->ncp += k;
    q->n++;
    return 0;
}

static int req_parse(const char *s, req_subject *q, char *err, size_t errlen)
{
    memset(q, 0, sizeof *q);
    return sipc_subject_parse(s, NULL, req_add, q, err, errlen);
}

int sipc_subject_check(const char *required, char *err, size_t errlen)
{
    req_subject q;
    if (!required || !required[0])
        return 0;
    return req_parse(required, &q, err, errlen);
}

/* The attributes of a Name, in order: type and value. */
typedef struct name_attrs {
    int n;
    sipc_bytes oid[CERT_MAX_ATTRS];
    tlv val[CERT_MAX_ATTRS];
} name_attrs;

static bool name_attrs_read(const sipc_bytes *name, name_attrs *na)
{
    na->n = 0;
    rd r = rd_of(name);
    tlv seq;
    if (der_expect(&r, 0x30, &seq) != 0 || r.n != 0)
        return false;
    rd rs = rd_of(&seq.val);
    while (rs.n) {
        tlv set;
        if (der_expect(&rs, 0x31, &set) != 0)
            return false;
        rd ra = rd_of(&set.val);
        while (ra.n) {
            tlv atv, oid, val;
            if (der_expect(&ra, 0x30, &atv) != 0 || na->n >= CERT_MAX_ATTRS)
                return false;
            rd rv = rd_of(&atv.val);
            if (der_expect(&rv, 0x06, &oid) != 0 || der_next(&rv, &val) != 0)
                return false;
            na->oid[na->n] = oid.val;
            na->val[na->n++] = val;
        }
    }
    return true;
}

static bool same_oid(const sipc_bytes *a, const sipc_bytes *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

static bool value_is(const tlv *v, const uint32_t *cp, int n)
{
    uint32_t c[MAXCP];
    if (!is_string_tag(v->tag))
        return false;
    int k = decode(v, c);
    if (k < 0)
        return false;
    k = normalise(c, k);
    return k == n && memcmp(c, cp, (size_t)n * sizeof c[0]) == 0;
}

bool sipc_subject_matches(const sipc_x509 *x, const char *required, char *why, size_t whylen)
{
    sipc__seterr(why, whylen, "%s", "");
    if (!required || !required[0])
        return true;
    req_subject q;
    name_attrs na;
    if (req_parse(required, &q, why, whylen) != 0)
        return false;
    if (!name_attrs_read(&x->subject_der, &na)) {
        sipc__seterr(why, whylen, "the subject is malformed or has over %d attributes",
                     CERT_MAX_ATTRS);
        return false;
    }
    bool used[CERT_MAX_ATTRS] = {false};
    for (int i = 0; i < q.n; i++) {
        /* each type once: the subject's values of it are exactly those required */
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = same_oid(&q.a[j].oid, &q.a[i].oid);
        if (seen)
            continue;
        char an[48];
        sipc__attr_name(&q.a[i].oid, an, sizeof an);
        int want = 0, have = 0;
        for (int j = i; j < q.n; j++)
            want += same_oid(&q.a[j].oid, &q.a[i].oid);
        for (int k = 0; k < na.n; k++)
            have += same_oid(&na.oid[k], &q.a[i].oid);
        if (want != have) {
            sipc__seterr(why, whylen, "it has %d %s value%s where the required subject has %d",
                         have, an, have == 1 ? "" : "s", want);
            return false;
        }
        for (int j = i; j < q.n; j++) {
            if (!same_oid(&q.a[j].oid, &q.a[i].oid))
                continue;
            bool found = false;
            for (int k = 0; k < na.n && !found; k++)
                if (!used[k] && same_oid(&na.oid[k], &q.a[j].oid) &&
                    value_is(&na.val[k], q.cp + q.a[j].off, q.a[j].len))
                    used[k] = found = true;
            if (!found) {
                sipc__seterr(why, whylen, "its %s differs", an);
                return false;
            }
        }
    }
    return true;
}
