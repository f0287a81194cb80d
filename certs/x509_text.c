/* x509_text.c - a certificate's names as text: its subject and issuer, the
 * names of its subjectAltName, a name a name constraint refused. Every
 * string shown one way, in whatever ASN.1 string type it came (see
 * put_value). */
#include "certs/x509_text.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/utf8_text.h"
#include "certs/der.h"
#include "sipc/errno.h"

static const uint8_t OID_CN[] = {0x55, 0x04, 0x03};

bool sipc__dn_special(unsigned char c, size_t i, size_t n)
{
    return (c && strchr(",+\"\\<>;", c)) || ((c == ' ' || c == '#') && i == 0) ||
           (c == ' ' && i + 1 == n);
}

/* A name's rendering being written: whole characters and escapes only, so
 * that a cut never falls inside one (a reader that checks UTF-8 would refuse
 * the text, a terminal shows garbage). When something does not fit, the
 * text ends in "..." after the last whole piece that leaves room for it. */
typedef struct text_out {
    char *p;
    size_t cap;  /* bytes p holds, its NUL included */
    size_t w;    /* bytes written */
    size_t safe; /* the last w with room for "..." after it */
    int cut;
} text_out;

static void text_start(text_out *t, char *p, size_t cap)
{
    *t = (text_out){p, cap, 0, 0, 0};
    if (cap)
        p[0] = '\0';
}

static void put_piece(text_out *t, const char *s, size_t n)
{
    if (t->cut)
        return;
    if (t->w + n >= t->cap) {
        t->cut = 1;
        if (t->cap >= 4) {
            memcpy(t->p + t->safe, "...", 4);
            t->w = t->safe + 3;
        }
        return;
    }
    memcpy(t->p + t->w, s, n);
    t->w += n;
    t->p[t->w] = '\0';
    if (t->w + 4 <= t->cap)
        t->safe = t->w;
}

static void put_ascii(text_out *t, const char *s)
{
    for (; *s; s++)
        put_piece(t, s, 1);
}

static void put_escaped(text_out *t, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char e[5];
        snprintf(e, sizeof e, "\\x%02x", p[i]);
        put_piece(t, e, 4);
    }
}

/* Writes a string value as every output shows text from outside (the logs,
 * the programs' text and JSON): printable UTF-8 as it is (names in other
 * scripts stay readable), every other byte (a control, an invisible or
 * text-direction character, a Latin-1 byte, a character cut short) as
 * \xNN; and, as RFC 4514 does, the characters that would make the
 * rendering read as another name escaped: "OU=Sales\, CN=x" is one
 * attribute, not two. The rendering is thus the same printable UTF-8 in
 * all of them. */
static void put_value(text_out *t, const sipc_bytes *v)
{
    size_t i = 0;
    while (i < v->len) {
        /* near the end, a copy ending in NULs: the check reads up to 4 bytes */
        uint8_t tail[5] = {0};
        const uint8_t *q = v->p + i;
        if (v->len - i < 4)
            q = memcpy(tail, q, v->len - i);
        size_t k = sipc__utf8_printable_len(q);
        if (!k) {
            put_escaped(t, v->p + i, 1);
            i++;
        } else if (k == 1 && sipc__dn_special(v->p[i], i, v->len)) {
            char e[2] = {'\\', (char)v->p[i]};
            put_piece(t, e, 2);
            i++;
        } else {
            put_piece(t, (const char *)v->p + i, k);
            i += k;
        }
    }
}

/* A BMPString value (UCS-2, big-endian; a UTF-16 surrogate pair, which
 * some writers use, read as the one character it makes) written as
 * put_value writes the UTF-8 strings: each character in UTF-8 when it is
 * printable, RFC 4514's specials escaped (first and last counted by
 * character), every other one as the \xNN of its UTF-8 bytes; what is no
 * character (a lone surrogate, an odd last byte) as the \xNN of its own
 * bytes. */
static void put_bmp_value(text_out *t, const sipc_bytes *v)
{
    const uint8_t *p = v->p;
    size_t n = v->len, chars = 0;
    for (size_t i = 0; i < n; chars++) /* counted first: a blank last is escaped */
        i += i + 4 <= n && (p[i] & 0xfc) == 0xd8 && (p[i + 2] & 0xfc) == 0xdc ? 4 : 2;
    for (size_t i = 0, c = 0; i < n; c++) {
        if (i + 2 > n) {
            put_escaped(t, p + i, n - i);
            return;
        }
        uint32_t cp = (uint32_t)p[i] << 8 | p[i + 1];
        size_t used = 2;
        if ((cp & 0xfc00) == 0xd800 && i + 4 <= n && (p[i + 2] & 0xfc) == 0xdc) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (((uint32_t)p[i + 2] << 8 | p[i + 3]) - 0xdc00);
            used = 4;
        }
        if (cp >= 0xd800 && cp <= 0xdfff) {
            put_escaped(t, p + i, used);
            i += used;
            continue;
        }
        uint8_t u[5] = {0};
        size_t k = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (k == 1) {
            u[0] = (uint8_t)cp;
        } else {
            static const uint8_t lead[] = {0, 0, 0xc0, 0xe0, 0xf0};
            for (size_t b = k - 1; b > 0; b--, cp >>= 6)
                u[b] = (uint8_t)(0x80 | (cp & 0x3f));
            u[0] = (uint8_t)(lead[k] | cp);
        }
        if (!u[0] || sipc__utf8_printable_len(u) != k) {
            put_escaped(t, u, k);
        } else if (k == 1 && sipc__dn_special(u[0], c, chars)) {
            char e[2] = {'\\', (char)u[0]};
            put_piece(t, e, 2);
        } else {
            put_piece(t, (const char *)u, k);
        }
        i += used;
    }
}

void sipc__value_text(const sipc_bytes *v, char *out, size_t outlen)
{
    text_out t;
    text_start(&t, out, outlen);
    put_value(&t, v);
}

int sipc__name_text(const sipc_bytes *name_tlv, char *out, size_t outlen, char *cn, size_t cnlen)
{
    rd r = rd_of(name_tlv);
    tlv seq, set, atv, oid, val;
    text_out t, c;
    text_start(&t, out, outlen);
    if (cn)
        text_start(&c, cn, cnlen);
    if (der_expect(&r, 0x30, &seq) != 0 || r.n != 0)
        return SIPC_EFORMAT;
    rd rs = rd_of(&seq.val);
    while (rs.n) {
        if (der_expect(&rs, 0x31, &set) != 0)
            return SIPC_EFORMAT;
        rd ra = rd_of(&set.val);
        while (ra.n) {
            if (der_expect(&ra, 0x30, &atv) != 0)
                return SIPC_EFORMAT;
            rd rv = rd_of(&atv.val);
            if (der_expect(&rv, 0x06, &oid) != 0 || der_next(&rv, &val) != 0)
                return SIPC_EFORMAT;
            char an[48];
            sipc__attr_name(&oid.val, an, sizeof an);
            void (*put)(text_out *, const sipc_bytes *) =
                val.tag == 0x1e ? put_bmp_value : put_value;
            if (t.w)
                put_ascii(&t, ", ");
            put_ascii(&t, an);
            put_ascii(&t, "=");
            put(&t, &val.val);
            if (cn && OID_IS(&oid.val, OID_CN)) {
                text_start(&c, cn, cnlen);
                put(&c, &val.val);
            }
        }
    }
    return 0;
}

int sipc__san_text(const sipc_bytes *seq, char *out, size_t outlen)
{
    text_out san;
    text_start(&san, out, outlen);
    rd rs = rd_of(seq);
    while (rs.n) {
        tlv g;
        if (der_next(&rs, &g) != 0)
            return SIPC_EFORMAT;
        char item[160];
        item[0] = '\0';
        if (g.tag == 0x82 || g.tag == 0x81 || g.tag == 0x86) {
            text_out it;
            text_start(&it, item, sizeof item);
            put_ascii(&it, g.tag == 0x82 ? "DNS:" : g.tag == 0x81 ? "email:" : "URI:");
            put_value(&it, &g.val);
        } else if (g.tag == 0x87 && g.val.len == 4) {
            snprintf(item, sizeof item, "IP:%u.%u.%u.%u", g.val.p[0], g.val.p[1], g.val.p[2],
                     g.val.p[3]);
        } else if (g.tag == 0x87 && g.val.len == 16) {
            size_t w = (size_t)snprintf(item, sizeof item, "IP:");
            for (int i = 0; i < 16; i += 2)
                w += (size_t)snprintf(item + w, sizeof item - w, "%s%x", i ? ":" : "",
                                      (g.val.p[i] << 8) | g.val.p[i + 1]);
        } else {
            snprintf(item, sizeof item, "other");
        }
        if (san.w)
            put_ascii(&san, ", ");
        put_piece(&san, item, strlen(item)); /* an item whole or "..." */
    }
    return 0;
}
