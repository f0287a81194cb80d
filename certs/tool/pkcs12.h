/* pkcs12.h - PKCS#12 (PFX) files to and from a sipc_keypair.
 *
 * Reads this tool's files (SHA1-3DES), OpenSSL 3 defaults (AES-256-CBC,
 * PBKDF2), -legacy files (RC2-40 + 3DES; RC2 only when the wolfSSL build has
 * it) and organisation files with leaf + intermediates + root. Writes
 * SHA1-3DES with iteration counts OpenSSL accepts. */
#ifndef SIPC_CERTS_PKCS12_H
#define SIPC_CERTS_PKCS12_H

#include <stddef.h>
#include <stdint.h>

#include "certs/keypair.h"

/* Result codes of sipc_pfx_read (negative). */
enum {
    SIPC_PFX_OK = 0,
    SIPC_PFX_ECORRUPT = -1,  /* not PKCS#12, truncated or damaged */
    SIPC_PFX_EPASSWORD = -2, /* wrong password (MAC mismatch) */
    SIPC_PFX_ERC2 = -3,      /* uses RC2 and this wolfSSL has none */
    SIPC_PFX_ENOKEY = -4,    /* no private key inside */
    SIPC_PFX_ENOCERT = -5,   /* no certificate inside */
    SIPC_PFX_EMISMATCH = -6, /* the key does not belong to the certificate */
    SIPC_PFX_ENOMEM = -7
};

/* 1 if this wolfSSL build can decrypt RC2 (legacy PFX files). */
int sipc_pfx_have_rc2(void);
/* Decrypts data with password into kp (leaf first, then its issuers in
 * chain order, then any other certificates). err names the cause. */
int sipc_pfx_read(const uint8_t *data, size_t len, const char *password, sipc_keypair *kp,
                  char *err, size_t errlen);
/* Encodes kp (key, leaf, chain) as PKCS#12 protected by password into a
 * malloc'd buffer. 0 or a negative SIPC_PFX_* code. */
int sipc_pfx_write(const sipc_keypair *kp, const char *password, const char *friendly_name,
                   uint8_t **out, size_t *outlen, char *err, size_t errlen);
/* Does the private key of kp belong to its leaf certificate? 1 yes, 0 no,
 * -1 unreadable key. */
int sipc_keypair_matches(const sipc_keypair *kp);

#endif
