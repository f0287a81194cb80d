/* x509_info.h - a small, strict X.509 certificate and CRL reader.
 *
 * Enough of RFC 5280 for sipc's verifier and for display: names, serial,
 * validity, public key, basic constraints, key usage, extended key usage,
 * subject alternative names, and the signature (checked with wolfCrypt).
 * Parsed structures point into the caller's DER buffer, which must outlive
 * them. Nothing here allocates. Functions that can fail return 0 or a
 * negative SIPC_* code (sipc/errno.h); the bool ones are plain questions. */
#ifndef SIPC_CERTS_X509_INFO_H
#define SIPC_CERTS_X509_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/time_text.h"
#include "certs/pem.h"

typedef struct sipc_bytes {
    const uint8_t *p;
    size_t len;
} sipc_bytes;

/* key usage bits (RFC 5280 order) */
enum {
    SIPC_KU_DIGITAL_SIGNATURE = 1u << 0,
    SIPC_KU_NON_REPUDIATION = 1u << 1,
    SIPC_KU_KEY_ENCIPHERMENT = 1u << 2,
    SIPC_KU_DATA_ENCIPHERMENT = 1u << 3,
    SIPC_KU_KEY_AGREEMENT = 1u << 4,
    SIPC_KU_KEY_CERT_SIGN = 1u << 5,
    SIPC_KU_CRL_SIGN = 1u << 6,
    SIPC_KU_ENCIPHER_ONLY = 1u << 7,
    SIPC_KU_DECIPHER_ONLY = 1u << 8
};
/* extended key usage */
enum {
    SIPC_EKU_SERVER = 1u << 0,
    SIPC_EKU_CLIENT = 1u << 1,
    SIPC_EKU_ANY = 1u << 2,
    SIPC_EKU_OTHER = 1u << 3
};
enum { SIPC_X509_KEY_UNKNOWN = 0, SIPC_X509_KEY_EC, SIPC_X509_KEY_RSA };

typedef struct sipc_x509 {
    sipc_bytes der;       /* the whole certificate */
    sipc_bytes tbs;       /* tbsCertificate TLV (what is signed) */
    sipc_bytes serial;    /* INTEGER content bytes */
    sipc_bytes issuer_der;  /* Name TLV */
    sipc_bytes subject_der; /* Name TLV */
    sipc_bytes spki;      /* SubjectPublicKeyInfo TLV */
    sipc_bytes sig_alg;   /* outer signatureAlgorithm OID content */
    sipc_bytes sig;       /* signature BIT STRING bytes (unused-bits byte stripped) */
    int version;          /* 1, 2 or 3 */
    time_t not_before, not_after;
    char subject[256];    /* "C=US, O=Org, CN=name" in certificate order, shown as
                           * every output shows it (name_str in x509_info.c) */
    char issuer[256];
    char subject_cn[128]; /* last CN of the subject, "" if none */
    char serial_hex[80];  /* "01:A3:..." */
    char fingerprint[65]; /* hex SHA-256 of der */
    int key_type;         /* SIPC_X509_KEY_* */
    int key_bits;         /* RSA modulus bits; EC: 256, 384, 521 (the NIST curves), 0 other curve */
    char key_desc[32];    /* "ECDSA P-256", "RSA 2048" */
    char sig_desc[32];    /* "ecdsa-with-SHA256", ... */
    int sig_hash_bits;    /* digest size of the signature's hash: 160 (SHA-1), 256, 384, 512;
                           * 0 for an algorithm sipc does not know */
    int has_bc, is_ca, path_len; /* path_len -1 when absent */
    int has_ku;
    unsigned ku;
    int has_eku;
    unsigned eku;
    char san[256];        /* "DNS:a, IP:127.0.0.1" */
    char unknown_critical[64]; /* dotted OID of an unsupported critical extension, "" if none */
    sipc_bytes san_der;          /* subjectAltName GeneralNames TLV; len 0 when absent */
    sipc_bytes name_constraints; /* NameConstraints TLV; len 0 when absent */
    sipc_bytes crl_dp;           /* CRLDistributionPoints TLV; len 0 when absent */
    int require_explicit_policy; /* policyConstraints requireExplicitPolicy; -1 when absent */
    int inhibit_policy_mapping;  /* policyConstraints inhibitPolicyMapping; -1 when absent */
    int inhibit_any_policy;      /* inhibitAnyPolicy SkipCerts; -1 when absent */
    int any_policy_mapped;       /* policyMappings maps anyPolicy (RFC 5280 6.1.4 (a)) */
    sipc_bytes policies;         /* certificatePolicies content (PolicyInformation TLVs);
                                  * has_policies says whether the extension is there */
    int has_policies;
    sipc_bytes policy_mappings;  /* policyMappings content (SEQUENCE TLVs of two OIDs) */
    /* A critical extension sipc processes but the TLS library (wolfSSL
     * 5.5.4) does not: "policyMappings", "issuerAltName", "freshestCRL";
     * "" if none. A wolfSSL built without WOLFSSL_ALT_CERT_CHAINS cannot
     * register a CA certificate that has one and aborts a handshake whose
     * chain presents it (see trust.c). */
    char tls_unknown_critical[24];
} sipc_x509;

/* Parses one DER certificate (exactly len bytes). 0, or SIPC_EFORMAT with
 * the reason in err. */
int sipc_x509_parse(sipc_x509 *x, const uint8_t *der, size_t len, char *err, size_t errlen);
/* subject == issuer (sipc_name_equal). */
bool sipc_x509_self_issued(const sipc_x509 *x);
/* Two Name TLVs are the same name (RFC 5280 section 7.1: attribute types
 * equal, string values compared case-insensitively (ASCII) with white space
 * compressed, whatever their string type); x509_name.c. */
bool sipc_name_equal(const sipc_bytes *a, const sipc_bytes *b);
/* Is base's RDN sequence the start of name's (a directoryName subtree)? */
bool sipc_name_within(const sipc_bytes *name, const sipc_bytes *base);
/* A Name with no RDN at all. */
bool sipc_name_is_empty(const sipc_bytes *name);
/* Dotted form of OID content bytes ("2.5.29.28"). */
void sipc_oid_str(const sipc_bytes *o, char *out, size_t outlen);
/* Checks a signature over tbs with the key of issuer_spki: 0 with *valid
 * saying whether it verifies; SIPC_ENOTSUP for an algorithm or key sipc
 * cannot check (then *valid is false); SIPC_ENOMEM. */
int sipc_sig_check(const sipc_bytes *tbs, const sipc_bytes *sig_alg, const sipc_bytes *sig,
                   const sipc_bytes *issuer_spki, bool *valid);
/* Whether cert was signed by issuer's key (same as sipc_sig_check). */
int sipc_x509_signed_by(const sipc_x509 *cert, const sipc_x509 *issuer, bool *valid);
/* sipc_time_str ("2026-11-23 13:35:01 UTC") is base's: base/time_text.h. */
/* key usage / EKU as "digitalSignature, keyCertSign" (into out). */
void sipc_ku_str(unsigned ku, char *out, size_t outlen);
void sipc_eku_str(unsigned eku, char *out, size_t outlen);
/* Does x's subject carry the required one ([tls] subject)? required is
 * "CN=x, O=y" (RFC 4514: ',' or '+' between attributes, '\,' and
 * '\XX' escapes), "/CN=x/O=y", or a bare value, which is the CN. Compared
 * on the certificate's Name structure, never on a rendering of it: for each
 * attribute type named, the subject holds exactly the values given for it
 * (the same number, each equal as RFC 5280 7.1 compares: case-insensitive,
 * blanks trimmed and compressed); types not named are free. So a second CN,
 * or an OU whose value reads ", CN=x", never stands in for the CN required.
 * false for a required subject that does not parse. If not, why (may be
 * NULL) says which attribute differs, in words. */
bool sipc_subject_matches(const sipc_x509 *x, const char *required, char *why, size_t whylen);
/* 0 if required parses as sipc_subject_matches reads it, else SIPC_EINVAL
 * with the reason in err. */
int sipc_subject_check(const char *required, char *err, size_t errlen);
/* One attribute of a subject text: its type, and its value as UTF-8 bytes
 * (escapes resolved, blanks around it dropped, not blank). Returns 0, or
 * SIPC_EINVAL with the reason in err to stop. */
typedef int (*sipc_subject_fn)(void *arg, const sipc_bytes *oid, const uint8_t *value, size_t len,
                               char *err, size_t errlen);
/* Reads subject text the way sipc_subject_matches does (the one reader of
 * [tls] subject and tlstool create --subject), calling fn once per
 * attribute in the order written. RFC 4514 text (`\,` escapes), a value in
 * RFC 2253 quotes as OpenSSL prints it (O="Example, Inc."; not in the
 * /A=x/B=y form), or a bare CN (quoted as a whole only when it holds no
 * ',' '+' '=': a subject in quotes is refused, not read as one CN). types: the attribute names the caller takes
 * (NULL-terminated, as sipc__attr_name spells them), named in the error for
 * any other; NULL: every type sipc reads. 0, fn's result, or SIPC_EINVAL
 * with the reason in err. */
int sipc_subject_parse(const char *s, const char *const *types, sipc_subject_fn fn, void *arg,
                       char *err, size_t errlen);
/* Writes value so that sipc_subject_parse reads it back as exactly value:
 * RFC 4514's specials, a leading '#' or blank and a trailing blank escaped
 * with '\', control characters as '\XX'. For subject text made from
 * names the user did not write as RFC 4514 (a cluster name). 0, or
 * SIPC_EINVAL when out (outlen bytes) cannot hold it. */
int sipc_subject_escape(const char *value, char *out, size_t outlen);
/* The OID of an attribute named as in a distinguished name (CN, O, OU, C,
 * L, ST, DC, emailAddress, ...; case-insensitive); false if unknown. */
bool sipc__attr_oid(const char *name, size_t len, sipc_bytes *oid);
/* ... and the other way: "CN", "emailAddress", or the dotted OID. */
void sipc__attr_name(const sipc_bytes *oid, char *out, size_t outlen);

/* ------------------------------------------------------------------ CRL */
typedef struct sipc_crl {
    sipc_bytes der;
    sipc_bytes tbs;
    sipc_bytes issuer_der;
    sipc_bytes sig_alg;
    sipc_bytes sig;
    sipc_bytes revoked;   /* content of revokedCertificates (may be empty) */
    char issuer[256];
    time_t this_update;
    time_t next_update;   /* 0 when absent */
    int nrevoked;
    /* Scope (crl_scope.c, RFC 5280 5.2 and 6.3.3) */
    sipc_bytes number;      /* cRLNumber INTEGER content; len 0 when absent */
    int is_delta;           /* deltaCRLIndicator present */
    sipc_bytes base_number; /* its BaseCRLNumber INTEGER content */
    sipc_bytes idp;         /* issuingDistributionPoint SEQUENCE TLV; len 0 when absent */
    sipc_bytes idp_dp;      /* its distributionPoint [0] content; len 0 when absent */
    int only_user, only_ca, only_attr, indirect;
    unsigned only_reasons;  /* onlySomeReasons (SIPC_REASON_* bits); 0 when absent */
    int has_entry_issuer;   /* some entry carries certificateIssuer */
    char unusable[160];     /* why the CRL must never be used ("" = usable): an unknown
                             * critical extension, ... */
} sipc_crl;

/* Parses one DER CRL, every revoked entry and extension included; a CRL
 * with a critical extension sipc does not know parses, with c->unusable
 * saying why it is never used. 0, or SIPC_EFORMAT with
 * the reason in err. */
int sipc_crl_parse(sipc_crl *c, const uint8_t *der, size_t len, char *err, size_t errlen);
/* Is serial (INTEGER content bytes) listed? Then *when is its revocation
 * date. c must come from sipc_crl_parse, which checked every entry. */
bool sipc_crl_lookup(const sipc_crl *c, const sipc_bytes *serial, time_t *when);
/* i-th revoked entry (0-based, below c->nrevoked): serial as hex and date.
 * 0 or SIPC_EINVAL for an index out of range. */
int sipc_crl_entry(const sipc_crl *c, int i, char *serial_hex, size_t hexlen, time_t *when,
                   char *err, size_t errlen);
/* How many serials c lists that other does not (each looked up in other,
 * as the verifier looks a certificate up: c's entries times other's). */
int sipc_crl_count_unlisted(const sipc_crl *c, const sipc_crl *other);
/* The warning before a CRL's next update: the smaller of 7 days and half
 * its validity (this update to next update), so that a CRL published for a
 * day warns 12 hours ahead, not for its whole life. Seconds. */
#define SIPC_CRL_DUE_MAX (7 * 86400)
int64_t sipc_crl_due_window(time_t this_update, time_t next_update);
/* 1 when a CRL with these dates is current at now (or has no next update:
 * 0) and its next update comes within sipc_crl_due_window. */
int sipc_crl_due_soon(time_t this_update, time_t next_update, time_t now);
/* What a CRL due soon means under [tls] revocation = hard, for a warning:
 * "the CRL of 'ISSUER' (NAME) reaches its next update on DATE, in 2 days:
 * ..., add a newer one before then ...". name may be "" or NULL. */
void sipc_crl_due_text(const char *issuer, const char *name, time_t next_update, time_t now,
                       char *out, size_t len);


#endif
