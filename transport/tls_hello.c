/* tls_hello.c - see tls_hello.h. Reads only the first handshake record and
 * every length is checked against what remains before it is used. */
#include <stdio.h>
#include <string.h>

#include "sipc/errno.h"
#include "transport/tls_hello.h"

typedef struct reader {
    const uint8_t *p;
    size_t left;
} reader;

static int take(reader *r, size_t n, const uint8_t **out)
{
    if (n > r->left)
        return -1;
    if (out)
        *out = r->p;
    r->p += n;
    r->left -= n;
    return 0;
}

static int u8(reader *r, unsigned *v)
{
    const uint8_t *p;
    if (take(r, 1, &p))
        return -1;
    *v = p[0];
    return 0;
}

static int u16(reader *r, unsigned *v)
{
    const uint8_t *p;
    if (take(r, 2, &p))
        return -1;
    *v = (unsigned)p[0] << 8 | p[1];
    return 0;
}

/* A length-prefixed block (prefix of n bytes) as a reader of its own. */
static int block(reader *r, int n, reader *sub)
{
    unsigned len = 0, b;
    for (int i = 0; i < n; i++) {
        if (u8(r, &b))
            return -1;
        len = len << 8 | b;
    }
    sub->p = r->p;
    sub->left = len;
    return take(r, len, NULL);
}

/* The group's name, else "group N" written into other. */
static const char *group_name(unsigned g, char *other, size_t len)
{
    switch (g) {
    case 23:
        return "P-256";
    case 24:
        return "P-384";
    case 25:
        return "P-521";
    case 29:
        return "X25519";
    case 30:
        return "X448";
    case 256:
    case 257:
    case 258:
        return "ffdhe";
    default:
        snprintf(other, len, "group %u", g);
        return other;
    }
}

/* 1 if name is an item of the ", "-separated list. */
static int listed(const char *list, const char *name)
{
    size_t k = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p++)
        if ((p == list || p[-1] == ' ') && (p[k] == '\0' || p[k] == ','))
            return 1;
    return 0;
}

/* Appends name to the ", "-separated list of cap bytes, once. Room for
 * ", ..." is always kept: a name that does not fit ends the list with it. */
static void add_name(char *list, size_t cap, const char *name)
{
    size_t n = strlen(list), k = strlen(name);
    if ((n >= 3 && strcmp(list + n - 3, "...") == 0) || listed(list, name))
        return;
    const char *sep = n ? ", " : "";
    if (n + strlen(sep) + k + sizeof ", ..." <= cap)
        snprintf(list + n, cap - n, "%s%s", sep, name);
    else
        snprintf(list + n, cap - n, "%s...", sep);
}

/* RFC 8446 4.2.3 names (TLS 1.2's hash and signature pairs, RFC 5246
 * 7.4.1.4.1, share the code points), else the code in hex written into
 * other. */
static const char *sigalg_name(unsigned s, char *other, size_t len)
{
    static const struct {
        unsigned code;
        const char *name;
    } names[] = {
        {0x0201, "rsa_pkcs1_sha1"},         {0x0203, "ecdsa_sha1"},
        {0x0301, "rsa_pkcs1_sha224"},       {0x0303, "ecdsa_sha224"},
        {0x0401, "rsa_pkcs1_sha256"},       {0x0403, "ecdsa_secp256r1_sha256"},
        {0x0501, "rsa_pkcs1_sha384"},       {0x0503, "ecdsa_secp384r1_sha384"},
        {0x0601, "rsa_pkcs1_sha512"},       {0x0603, "ecdsa_secp521r1_sha512"},
        {0x0804, "rsa_pss_rsae_sha256"},    {0x0805, "rsa_pss_rsae_sha384"},
        {0x0806, "rsa_pss_rsae_sha512"},    {0x0807, "ed25519"},
        {0x0808, "ed448"},                  {0x0809, "rsa_pss_pss_sha256"},
        {0x080a, "rsa_pss_pss_sha384"},     {0x080b, "rsa_pss_pss_sha512"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == s)
            return names[i].name;
    if ((s & 0xff) == 2)
        return "dsa";
    snprintf(other, len, "0x%04x", s);
    return other;
}

/* What a TLS 1.2 server on wolfSSL 5.5.4 signs with, by its key: a hash
 * of SHA-256 or stronger (it takes none below its minimum, SHA-256, unless
 * built with WOLFSSL_ALLOW_TLS_SHA1, which sipc's builds are not) and the
 * key's own algorithm; an RSA key also signs RSA-PSS with the rsaEncryption
 * code points (rsa_pss_rsae_*), not with the rsa_pss_pss_* ones. */
static int sigalg_ecdsa(unsigned s)
{
    return (s & 0xff) == 3 && (s >> 8) >= 4 && (s >> 8) <= 6;
}

static int sigalg_rsa(unsigned s)
{
    return ((s & 0xff) == 1 && (s >> 8) >= 4 && (s >> 8) <= 6) || (s >= 0x0804 && s <= 0x0806);
}

/* The names of the codes of list (len bytes, 2 per code) into buf. */
static void code_names(const uint8_t *list, size_t len, char *buf, size_t cap,
                       const char *(*name)(unsigned, char *, size_t))
{
    if (!cap)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i + 2 <= len; i += 2) {
        char other[16];
        add_name(buf, cap, name((unsigned)list[i] << 8 | list[i + 1], other, sizeof other));
    }
}

void sipc_tls_hello_group_names(const sipc_tls_hello_info *info, char *buf, size_t cap)
{
    code_names(info->groups_at, info->groups_len, buf, cap, group_name);
}

void sipc_tls_hello_sigalg_names(const sipc_tls_hello_info *info, char *buf, size_t cap)
{
    code_names(info->sigalgs_at, info->sigalgs_len, buf, cap, sigalg_name);
}

/* The suites sipc accepts (tls_wolfssl.c's list), by the key they need. */
static void read_suites(reader *list, sipc_tls_hello_info *info)
{
    unsigned c;
    while (list->left >= 2 && u16(list, &c) == 0) {
        info->suites_ecdsa |= c == 0xc02b || c == 0xc02c || c == 0xcca9;
        info->suites_rsa |= c == 0xc02f || c == 0xc030 || c == 0xcca8;
    }
}

static int read_extensions(reader *ext, sipc_tls_hello_info *info)
{
    while (ext->left > 0) {
        unsigned type;
        reader body;
        if (u16(ext, &type) || block(ext, 2, &body))
            return -1;
        if (type == 43) { /* supported_versions: replaces client_version */
            reader list;
            if (block(&body, 1, &list))
                return -1;
            info->offers_tls12 = 0;
            info->max_minor = -1;
            unsigned v;
            while (list.left >= 2 && u16(&list, &v) == 0) {
                if (v == 0x0303)
                    info->offers_tls12 = 1;
                if ((v >> 8) == 3 && (int)(v & 0xff) > info->max_minor)
                    info->max_minor = (int)(v & 0xff);
            }
        } else if (type == 10) { /* supported_groups */
            reader list;
            if (block(&body, 2, &list))
                return -1;
            info->has_groups = 1;
            info->groups_at = list.p;
            info->groups_len = list.left;
            unsigned g;
            while (list.left >= 2 && u16(&list, &g) == 0) {
                info->offers_p256 |= g == 23;
                info->offers_p384 |= g == 24;
            }
        } else if (type == 35) { /* SessionTicket */
            info->offers_ticket = body.left > 0;
        } else if (type == 1) { /* max_fragment_length */
            info->asks_max_fragment = 1;
        } else if (type == 13) { /* signature_algorithms */
            reader list;
            if (block(&body, 2, &list))
                return -1;
            /* an empty, odd or padded list is left to wolfSSL, which refuses it as malformed */
            info->has_sigalgs = list.left >= 2 && list.left % 2 == 0 && body.left == 0;
            info->sigalgs_at = list.p;
            info->sigalgs_len = list.left;
            unsigned a;
            while (list.left >= 2 && u16(&list, &a) == 0) {
                info->sigalg_ecdsa |= sigalg_ecdsa(a);
                info->sigalg_rsa |= sigalg_rsa(a);
            }
        }
    }
    return 0;
}

int sipc_tls_hello_parse(const uint8_t *data, size_t len, sipc_tls_hello_info *info)
{
    memset(info, 0, sizeof *info);
    reader rec = {data, len}, hs, body, skip, suites;
    unsigned type, ver, msg;
    if (u8(&rec, &type) || type != 22 || u16(&rec, &ver) || (ver >> 8) != 3 ||
        block(&rec, 2, &hs))
        return SIPC_EPROTO;
    if (u8(&hs, &msg) || msg != 1 || block(&hs, 3, &body))
        return SIPC_EPROTO;
    unsigned client_version;
    if (u16(&body, &client_version) || take(&body, 32, NULL) || block(&body, 1, &skip) ||
        block(&body, 2, &suites) || block(&body, 1, &skip))
        return SIPC_EPROTO;
    read_suites(&suites, info);
    info->max_minor = (client_version >> 8) == 3 ? (int)(client_version & 0xff) : -1;
    info->offers_tls12 = client_version >= 0x0303;
    if (body.left == 0)
        return 0; /* no extensions */
    reader ext;
    if (block(&body, 2, &ext) || read_extensions(&ext, info))
        return SIPC_EPROTO;
    return 0;
}

/* The ClientHello offers no signature algorithm this node's key can sign
 * its key exchange with: no handshake can follow (wolfSSL would pass over
 * every suite for the key, or find none offered, as OpenSSL clients offer no
 * ECDHE-ECDSA suite without an ECDSA signature algorithm) and wolfSSL would
 * say only "no cipher suite in common". Without the extension TLS 1.2's
 * default applies, which wolfSSL 5.5.4 serves with SHA-256. (wolfSSL reads
 * only the first 19 algorithms listed, WOLFSSL_MAX_SIGALGO: a client whose
 * only usable one comes later is not refused here, and still fails as "no
 * cipher suite in common".) */
int sipc_tls_hello_sigalgs_unusable(const sipc_tls_hello_info *hi, const sipc_tls_hello_key *key)
{
    if (!hi->has_sigalgs)
        return 0;
    switch (key->alg) {
    case SIPC_TLS_KEY_ECDSA:
        return !hi->sigalg_ecdsa;
    case SIPC_TLS_KEY_RSA:
        return !hi->sigalg_rsa;
    default:
        return 0;
    }
}

/* 1 if the peer's supported groups leave out the curve of this node's ECDSA
 * key: a TLS 1.2 client then cannot take the node's signatures (RFC 8422
 * 5.1: the list names the curves it can verify too; OpenSSL refuses with
 * "wrong curve" and illegal_parameter after the server's whole flight). */
int sipc_tls_hello_curve_unlisted(const sipc_tls_hello_info *hi, const sipc_tls_hello_key *key)
{
    if (key->alg != SIPC_TLS_KEY_ECDSA || !hi->has_groups)
        return 0;
    return (key->bytes == 32 && !hi->offers_p256) || (key->bytes == 48 && !hi->offers_p384);
}

/* Without TLS 1.2 or a usable group no handshake can be made; a signature
 * algorithm or suite is the reason only when the failure is the
 * ClientHello's match, not one that came first (a malformed ClientHello)
 * or later. */
int sipc_tls_hello_explain(const sipc_tls_hello_info *hi, const sipc_tls_hello_key *key, int match,
                           char *out, size_t len)
{
    if (!hi->offers_tls12) {
        char upto[48] = "its ClientHello names no SSL or TLS version";
        if (hi->max_minor == 0)
            snprintf(upto, sizeof upto, "it offers up to SSL 3.0");
        else if (hi->max_minor > 0)
            snprintf(upto, sizeof upto, "it offers up to TLS 1.%d", hi->max_minor - 1);
        snprintf(out, len,
                 "peer does not offer TLS 1.2 (%s): sipc speaks TLS 1.2 only; configure the "
                 "client for TLS 1.2",
                 upto);
        return 1;
    }
    char groups[96], sigalgs[256];
    sipc_tls_hello_group_names(hi, groups, sizeof groups);
    if (hi->has_groups && !hi->offers_p256 && !hi->offers_p384) {
        snprintf(out, len,
                 "peer offers no key-exchange group sipc accepts (P-256 or P-384); it offered: "
                 "%s",
                 groups[0] ? groups : "none");
        return 1;
    }
    int ecdsa = key->alg == SIPC_TLS_KEY_ECDSA;
    int mine = ecdsa ? hi->suites_ecdsa : hi->suites_rsa;
    int other = ecdsa ? hi->suites_rsa : hi->suites_ecdsa;
    const char *kind = ecdsa ? "ECDSA" : "RSA", *other_kind = ecdsa ? "RSA" : "ECDSA";
    if (!match)
        return 0;
    sipc_tls_hello_sigalg_names(hi, sigalgs, sizeof sigalgs);
    if (sipc_tls_hello_curve_unlisted(hi, key)) {
        /* both wrong: name both, or the peer fixes one and fails again */
        char also[320] = "";
        if (sipc_tls_hello_sigalgs_unusable(hi, key))
            snprintf(also, sizeof also,
                     "; nor does it offer a signature algorithm for it (only: %s)", sigalgs);
        snprintf(out, len,
                 "peer cannot verify this node's key: it is %s, and the peer's groups leave "
                 "that curve out (a TLS 1.2 client verifies only signatures on the curves it "
                 "lists); it offered: %s%s",
                 key->desc, groups[0] ? groups : "none", also);
        return 1;
    }
    if (sipc_tls_hello_sigalgs_unusable(hi, key)) {
        char suites[64] = "";
        if (!mine && other)
            snprintf(suites, sizeof suites, ", and only ECDHE-%s suites", other_kind);
        else if (!mine)
            snprintf(suites, sizeof suites, ", and no cipher suite sipc accepts");
        snprintf(out, len,
                 "no signature algorithm in common: this node's key is %s and signs with %s "
                 "and SHA-256, SHA-384 or SHA-512 (%s); the peer offers only: %s%s",
                 key->desc, kind,
                 ecdsa ? "ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512"
                       : "rsa_pkcs1_sha256/384/512, rsa_pss_rsae_sha256/384/512",
                 sigalgs, suites);
        return 1;
    }
    if (key->alg && !mine && other) {
        snprintf(out, len,
                 "no cipher suite in common for this node's key: it is %s, which needs an "
                 "ECDHE-%s suite; the peer offers only ECDHE-%s ones",
                 key->desc, kind, other_kind);
        return 1;
    }
    return 0;
}
