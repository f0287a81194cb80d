/* tls_failure_text.c - see tls_failure_text.h. wolfSSL says "Handshake
 * message too large" or "verify problem on certificate" and nothing of
 * which message, how large, or which algorithm: those are read here from
 * the peer's handshake records (plaintext until ChangeCipherSpec), every
 * length checked against what remains before it is used. */
#include <wolfssl/options.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include <stdio.h>
#include <string.h>

#include "transport/tls_ecdsa_sign.h"
#include "transport/tls_failure_text.h"
#include "transport/tls_hello.h"

/* What the peer's handshake messages in the kept bytes show: the last one
 * whose header came (the one wolfSSL was reading when it failed: those
 * before it were read whole), the CertificateVerify's algorithm, and
 * whether a Certificate message came, and empty, or a ClientKeyExchange. */
typedef struct hs_seen {
    int last_type; /* -1: no header */
    unsigned long last_size;
    int count; /* messages whose header came */
    uint8_t cv_alg[2];
    int has_cv;
    int has_cert, cert_empty, has_cke;
} hs_seen;

/* A handshake message may span records: their bodies are joined first. */
static void read_handshake(const uint8_t *kept, size_t kept_len, hs_seen *s)
{
    uint8_t hs[4096];
    size_t n = 0, at = 0;
    memset(s, 0, sizeof *s);
    s->last_type = -1;
    while (at + 5 <= kept_len && kept[at] == 22 /* handshake */ && n < sizeof hs) {
        size_t rec = (size_t)kept[at + 3] << 8 | kept[at + 4], have = kept_len - at - 5;
        size_t take = rec < have ? rec : have;
        if (take > sizeof hs - n)
            take = sizeof hs - n;
        memcpy(hs + n, kept + at + 5, take);
        n += take;
        at += 5 + rec;
    }
    for (size_t m = 0; m + 4 <= n;) {
        unsigned long size = (unsigned long)hs[m + 1] << 16 | (unsigned long)hs[m + 2] << 8 | hs[m + 3];
        s->last_type = hs[m];
        s->last_size = size;
        s->count++;
        if (hs[m] == 15 /* certificate_verify */ && m + 6 <= n) {
            memcpy(s->cv_alg, hs + m + 4, 2);
            s->has_cv = 1;
        }
        if (hs[m] == 11 /* certificate */ && m + 7 <= n) {
            s->has_cert = 1;
            s->cert_empty = !(hs[m + 4] | hs[m + 5] | hs[m + 6]);
        }
        s->has_cke |= hs[m] == 16 /* client_key_exchange */;
        if (size > n - m - 4)
            break;
        m += 4 + size;
    }
}

static const char *message_name(int type)
{
    switch (type) {
    case 1:
        return "ClientHello";
    case 2:
        return "ServerHello";
    case 11:
        return "Certificate message";
    case 12:
        return "ServerKeyExchange";
    case 13:
        return "CertificateRequest";
    case 15:
        return "CertificateVerify";
    case 16:
        return "ClientKeyExchange";
    default:
        return "handshake message";
    }
}

static void too_large(const hs_seen *s, char *out, size_t len)
{
    if (s->last_type < 0) {
        snprintf(out, len,
                 "peer sent a TLS handshake message larger than the TLS library accepts: not a "
                 "TLS 1.2 peer sipc can serve, or one presenting a certificate chain too long "
                 "(present only the certificate and the CAs above it)");
        return;
    }
    const char *why =
        s->last_type == 1
            ? "not a TLS 1.2 client sipc can serve (a ClientHello takes a few hundred bytes); if "
              "it is one, make it offer fewer cipher suites, groups and extensions"
        : s->last_type == 11 ? "its certificate chain is too long or its certificates too large; "
                               "present only the certificate and the CAs above it"
                             : "not a TLS 1.2 peer sipc can serve";
    snprintf(out, len, "peer sent a %s of %lu bytes, more than the TLS library accepts in one "
             "handshake message: %s", message_name(s->last_type), s->last_size, why);
}

/* A CertificateVerify that failed: signed with a hash sipc never asks for
 * (a client that ignored the CertificateRequest's list; wolfSSL keeps no
 * SHA-1 or SHA-224 hash of the handshake to check it with), or not with
 * the key of the certificate presented. */
static void verify_failed(const hs_seen *s, char *out, size_t len)
{
    char name[40];
    const sipc_tls_hello_info one = {.sigalgs_at = s->cv_alg, .sigalgs_len = 2};
    sipc_tls_hello_sigalg_names(&one, name, sizeof name);
    unsigned hash = s->cv_alg[0], sig = s->cv_alg[1];
    if ((sig == 1 || sig == 3) && hash < 4)
        snprintf(out, len,
                 "peer signed its CertificateVerify with %s, which sipc does not accept: sipc "
                 "asks for ECDSA, RSA or RSA-PSS with SHA-256, SHA-384 or SHA-512; configure the "
                 "client to sign with one of them",
                 name);
    else
        snprintf(out, len,
                 "peer's CertificateVerify (%s) does not verify with the key of the certificate "
                 "it presented: it does not hold that certificate's private key, or its TLS "
                 "library is broken; check that the client's key is its certificate's",
                 name);
}

void sipc__tls_no_cert_text(const uint8_t *kept, size_t kept_len, char *out, size_t len)
{
    hs_seen s;
    read_handshake(kept, kept ? kept_len : 0, &s);
    if (s.has_cert && s.cert_empty)
        snprintf(out, len, "it answered the CertificateRequest with an empty certificate list (a "
                           "TLS 1.2 client with no certificate configured does so)");
    else if (s.has_cke && !s.has_cert)
        snprintf(out, len, "it sent no Certificate message at all (its ClientKeyExchange came "
                           "without one)");
    else
        snprintf(out, len, "its TLS Certificate message was empty or missing");
}

/* What a peer's bytes that wolfSSL could not read show, by its error: NULL
 * for an error that is not about them. */
static const char *unreadable(int e)
{
    switch (e) {
    case BUFFER_ERROR:
    case PARSE_ERROR:
    case INCOMPLETE_DATA:
        return "a length or field in it is out of range";
    case DECODE_E:
        return "bytes follow its last field";
    case DUPLICATE_TLS_EXT_E:
        return "it carries an extension twice";
    default:
        return NULL;
    }
}

static int out_of_order(int e)
{
    return e == SANITY_MSG_E || e == OUT_OF_ORDER_E || e == SIDE_ERROR ||
           e == UNKNOWN_HANDSHAKE_TYPE || e == DUPLICATE_MSG_E;
}

/* Errors of reading a certificate the peer sent (its DER, algorithms,
 * curve, extensions); dates and signatures have words of their own
 * (tls_verify_codes.c). */
static int cert_unreadable(int e)
{
    switch (e) {
    case ASN_PARSE_E:
    case ASN_VERSION_E:
    case ASN_GETINT_E:
    case ASN_RSA_KEY_E:
    case ASN_OBJECT_ID_E:
    case ASN_TAG_NULL_E:
    case ASN_EXPECT_0_E:
    case ASN_BITSTR_E:
    case ASN_UNKNOWN_OID_E:
    case ASN_DATE_SZ_E:
    case ASN_SIG_OID_E:
    case ASN_TIME_E:
    case ASN_INPUT_E:
    case ASN_SIG_HASH_E:
    case ASN_SIG_KEY_E:
    case ASN_DH_KEY_E:
    case ASN_CRIT_EXT_E:
    case ASN_ALT_NAME_E:
    case ASN_ECC_KEY_E:
    case ECC_CURVE_OID_E:
        return 1;
    default:
        return 0;
    }
}

int sipc__tls_failure_alert(int e, size_t rec_len)
{
    if (e == DUPLICATE_TLS_EXT_E || e == COMPRESSION_ERROR || e == HANDSHAKE_SIZE_ERROR)
        return 47; /* illegal_parameter */
    if (unreadable(e))
        return 50; /* decode_error */
    if (out_of_order(e) || e == UNKNOWN_RECORD_TYPE)
        return 10; /* unexpected_message */
    if (e == LENGTH_ERROR) /* too long, or empty where a record never is */
        return rec_len > 16384 + 2048 ? 22 /* record_overflow */ : 50;
    if (e == VERSION_ERROR)
        return 70; /* protocol_version */
    if (cert_unreadable(e))
        return 42; /* bad_certificate */
    return 0;
}

void sipc__tls_failure_text(int e, int is_server, int in_hello, const uint8_t *kept,
                            size_t kept_len, char *out, size_t len)
{
    hs_seen s;
    read_handshake(kept, kept ? kept_len : 0, &s);
    char lib[WOLFSSL_MAX_ERROR_SZ + 32], code[WOLFSSL_MAX_ERROR_SZ];
    wolfSSL_ERR_error_string_n((unsigned long)(e < 0 ? -e : e), code, sizeof code);
    snprintf(lib, sizeof lib, "wolfSSL: %d, %s", e, code);
    const char *bad = unreadable(e);
    sipc_tls_hello_info hi;
    if (bad) {
        /* the ClientHello when it is the one message read */
        snprintf(out, len,
                 "peer's %s is malformed: %s (%s): not a TLS %s sipc can serve, or its bytes "
                 "were damaged on the way",
                 in_hello && s.count <= 1 ? "ClientHello" : "TLS handshake", bad, lib,
                 is_server ? "client" : "server");
    } else if (e == COMPRESSION_ERROR) {
        snprintf(out, len,
                 "peer's ClientHello does not offer null compression, as every TLS 1.2 client "
                 "must (sipc compresses nothing) (%s)",
                 lib);
    } else if (out_of_order(e)) {
        snprintf(out, len,
                 "peer sent TLS handshake messages out of order, or one it must not send (a %s's "
                 "message, or one of an unknown type) (%s): not a TLS 1.2 %s sipc can serve",
                 is_server ? "server" : "client", lib, is_server ? "client" : "server");
    } else if (e == UNKNOWN_RECORD_TYPE) {
        snprintf(out, len, "peer sent a TLS record of a content type TLS does not define (%s)",
                 lib);
    } else if (e == LENGTH_ERROR) {
        snprintf(out, len,
                 "peer sent a TLS record longer than TLS allows (2^14 + 2048 bytes), or an empty "
                 "one of a type that is never empty (%s)",
                 lib);
    } else if (cert_unreadable(e)) {
        snprintf(out, len,
                 "a certificate the peer sent cannot be read: it is malformed, or uses an "
                 "algorithm, curve or critical extension the TLS library does not know (%s)",
                 lib);
    } else if (e == VERIFY_MAC_ERROR || e == VERIFY_FINISHED_ERROR) {
        snprintf(out, len,
                 "peer's Finished does not match this side's handshake, or its record fails "
                 "authentication: the handshake was altered on the way, or the peer's TLS "
                 "library is broken (%s)",
                 lib);
    } else if (e == ECC_PEERKEY_ERROR) {
        snprintf(out, len,
                 "peer's ECDHE public key is not a point of the curve agreed: not a TLS 1.2 %s "
                 "sipc can serve, or its bytes were damaged on the way (%s)",
                 is_server ? "client" : "server", lib);
    } else if (e == VERSION_ERROR && is_server && kept &&
               sipc_tls_hello_parse(kept, kept_len, &hi) == 0 && hi.offers_tls12) {
        /* the ClientHello chose TLS 1.2 (one that does not is refused
         * before wolfSSL reads it): a later record says another version */
        snprintf(out, len,
                 "peer's TLS records carry another version than the TLS 1.2 its ClientHello "
                 "offered (%s)",
                 lib);
    } else if (e == VERSION_ERROR) {
        snprintf(out, len, "peer does not speak TLS 1.2");
    } else if (e == MATCH_SUITE_ERROR) {
        snprintf(out, len,
                 "no cipher suite in common (sipc accepts ECDHE with AES-GCM or ChaCha20-Poly1305)");
    } else if (e == SIPC_ECDSA_SELF_CHECK_E) {
        snprintf(out, len,
                 "this node's own ECDSA signature failed its check before it was sent, and the "
                 "handshake was stopped: a fault in this machine's computation (CPU, memory) or "
                 "an attack on it; the key pair is not at fault: check the machine's hardware "
                 "(memory test, kernel log) and restart sipcd if it repeats");
    } else if (e == HANDSHAKE_SIZE_ERROR) {
        too_large(&s, out, len);
    } else if (is_server && s.has_cv && (e == VERIFY_CERT_ERROR || e == SIG_VERIFY_E)) {
        verify_failed(&s, out, len);
    } else {
        snprintf(out, len, "TLS error %d: %s", e, code);
    }
}
