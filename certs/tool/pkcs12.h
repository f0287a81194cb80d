/* pkcs12.h - PKCS#12 (PFX) files to and from a sipc_keypair.
 *
 * Reads this tool's files, OpenSSL 3 defaults (AES-256-CBC, PBKDF2),
 * -legacy files (RC2-40 + 3DES; RC2 only when the wolfSSL build has it),
 * Java keytool keystores and organisation files with leaf + intermediates +
 * root. Writes PBE-SHA1-3DES
 * bags with a SHA-256 MAC, the leaf's certificate and key bags paired by
 * localKeyID and named by friendlyName (pkcs12_write.c). */
#ifndef SIPC_CERTS_PKCS12_H
#define SIPC_CERTS_PKCS12_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certs/keypair.h"

/* Why sipc_pfx_read failed, for callers that react differently (tlstool's
 * exit codes). */
typedef enum {
    SIPC_PFX_OK = 0,
    SIPC_PFX_CORRUPT,  /* not PKCS#12, truncated or damaged (SIPC_EFORMAT) */
    SIPC_PFX_PASSWORD, /* MAC mismatch: wrong password or damaged file (SIPC_EPASSWORD) */
    SIPC_PFX_RC2,      /* uses RC2 and this wolfSSL has none (SIPC_ENOTSUP) */
    SIPC_PFX_NOKEY,    /* no private key sipc can use inside (SIPC_ETLSCONFIG) */
    SIPC_PFX_NOCERT,   /* no certificate for the key inside (SIPC_ETLSCONFIG) */
    SIPC_PFX_MISMATCH, /* the key does not belong to the certificate (SIPC_ETLSCONFIG) */
    SIPC_PFX_UNPROTECTED, /* no MAC, or a private key not encrypted: the password proves
                           * nothing about the file (SIPC_ETLSCONFIG) */
    SIPC_PFX_CHAIN_TOO_LONG, /* the leaf and its issuers are more than SIPC_KP_MAX_CHAIN
                              * (SIPC_ETLSCONFIG) */
    SIPC_PFX_KEYS            /* more than one private key (two keytool PrivateKeyEntries):
                              * which pair is meant cannot be told (SIPC_ETLSCONFIG) */
} sipc_pfx_error;

/* The certificates of a file that sipc_pfx_read leaves out of the pair:
 * those outside the leaf's issuing chain (none of them issued the leaf or a
 * CA above it, as far as names can tell), which would otherwise be sent to
 * every peer in every handshake and, when self-signed CAs, trusted as this
 * pair's own root; and those of that chain that do not fit in the pair (it
 * holds at most SIPC_KP_MAX_CHAIN). A copy of the leaf is dropped without
 * a word. */
#define SIPC_PFX_LEFT_NAMED 8
typedef struct sipc_pfx_left {
    int n; /* how many; the first SIPC_PFX_LEFT_NAMED are described in cert[] */
    struct {
        char subject[256]; /* as sipc_x509 shows it; "" when it cannot be read */
        char fingerprint[65];
        bool no_room;      /* a certificate of that chain (another certificate of
                            * an issuer's name: a new key, a cross-certificate)
                            * that did not fit; else one outside it, or unreadable */
        bool ca;           /* a CA certificate */
    } cert[SIPC_PFX_LEFT_NAMED];
    /* Where the chain stops short of a self-issued certificate, the issuer
     * the file lacks (missing) and the certificate it issued (of): a CA
     * left out may then be above that issuer, which names cannot tell. ""
     * when the chain is whole (or the leaf self-signed). */
    char missing[256], of[256];
} sipc_pfx_left;

/* Does data start as a PKCS#12 file does (PFX ::= SEQUENCE { version
 * INTEGER 3, authSafe ContentInfo SEQUENCE ... })? Only the first bytes are
 * looked at, so that a truncated file still counts as one; sipc_pfx_read then
 * says what is wrong with it. Lets a caller tell "not PKCS#12 at all" before
 * asking for a password. */
bool sipc_pfx_plausible(const uint8_t *data, size_t len);
/* Can this wolfSSL build decrypt RC2 (legacy PFX files)? */
bool sipc_pfx_have_rc2(void);
/* Checks the MAC of data with password and decrypts it into kp: the leaf
 * (the certificate of the file's one private key; a file with more keys is
 * refused, SIPC_PFX_KEYS, naming their friendlyNames), then its issuers in
 * chain order, then, while there is room, the file's other certificates
 * that bear an issuer's name in that chain; a leaf and issuers more than
 * SIPC_KP_MAX_CHAIN are refused, SIPC_PFX_CHAIN_TOO_LONG. The certificates
 * left out are described in *left (may be NULL). A file
 * without a MAC, or with a private key that is not encrypted, is refused
 * (SIPC_PFX_UNPROTECTED): anyone could have written it, whatever the
 * password. An EC key without its public
 * key comes back with it (PKCS#8), derived and checked against the leaf's. 0, or the code named next to
 * *why above with err naming the cause, or SIPC_ENOMEM (then *why is
 * SIPC_PFX_OK). why may be NULL. */
int sipc_pfx_read(const uint8_t *data, size_t len, const char *password, sipc_keypair *kp,
                  sipc_pfx_left *left, sipc_pfx_error *why, char *err, size_t errlen);
/* Encodes kp (key, leaf, chain) as PKCS#12 protected by password into a
 * malloc'd *out of *outlen bytes; friendly_name (ASCII; NULL: "sipc")
 * names the leaf and its key. The password's bytes are taken one character
 * each (as wolfSSL reads them): use ASCII, as tlstool's password rule does. 0, SIPC_EINVAL (no key or certificate in kp),
 * SIPC_ETLS (wolfCrypt failed) or SIPC_ENOMEM. */
int sipc_pfx_write(const sipc_keypair *kp, const char *password, const char *friendly_name,
                   uint8_t **out, size_t *outlen, char *err, size_t errlen);

#endif
