/* pkcs12_parse.h - what a PKCS#12 file holds, read by sipc itself
 * (pkcs12_parse.c says why not by wc_PKCS12_parse). sipc_pfx_read
 * (pkcs12.c) makes a key pair of it. Internal to sipc_certs_tool. */
#ifndef SIPC_CERTS_PKCS12_PARSE_H
#define SIPC_CERTS_PKCS12_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certs/keypair.h"
#include "certs/tool/pkcs12.h"

/* At most this many certificate bags are kept; more are ignored. */
#define SIPC_PFX_MAX_CERTS 64
/* Of the private keys, this many are named, each by at most
 * SIPC_PFX_NAME_MAX - 1 characters. */
#define SIPC_PFX_KEYS_NAMED 4
#define SIPC_PFX_NAME_MAX 48

typedef struct sipc_pfx_parts {
    sipc_der key;   /* the first key bag's key as SEC1 or PKCS#1 DER, an ECDSA or
                     * RSA key wolfCrypt decodes; data NULL when the file has none */
    int nkeys;      /* how many different private keys the file holds (another
                     * bag of the same key does not count; one that cannot be
                     * read counts as another) */
    /* the friendlyName (a keytool alias) of the first SIPC_PFX_KEYS_NAMED of
     * them, printable ASCII ('?' for any other character), "" when none */
    char key_names[SIPC_PFX_KEYS_NAMED][SIPC_PFX_NAME_MAX];
    sipc_der *certs; /* every X.509 certificate bag, in file order */
    int ncerts;
} sipc_pfx_parts;

/* Checks the MAC of data with password, decrypts what is encrypted and
 * reads the key and certificate bags into *parts (free it with
 * sipc_pfx_parts_free, also after a failure). A file without a MAC, or
 * with a key bag outside an encrypted content or a shrouded key bag, is
 * refused (SIPC_PFX_UNPROTECTED) unless allow_unprotected. 0, or as
 * sipc_pfx_read: the code that goes with *why (SIPC_PFX_CORRUPT, _PASSWORD,
 * _RC2, _UNPROTECTED, or _NOKEY for a key of another type than ECDSA or
 * RSA) with err naming the cause, or SIPC_ENOMEM. */
int sipc_pfx_parse(const uint8_t *data, size_t len, const char *password, bool allow_unprotected,
                   sipc_pfx_parts *parts, sipc_pfx_error *why, char *err, size_t errlen);
/* sipc_pfx_read, with allow_unprotected as sipc_pfx_parse takes it. Only
 * the fuzz target allows them: its seeds without MAC let mutations reach the
 * bags, which a MAC would otherwise stop. */
int sipc__pfx_read_opt(const uint8_t *data, size_t len, const char *password,
                       bool allow_unprotected, sipc_keypair *kp, sipc_pfx_left *left,
                       sipc_pfx_error *why, char *err, size_t errlen);
void sipc_pfx_parts_free(sipc_pfx_parts *parts);

/* Sets *why (when given) and returns the code that goes with e. */
int sipc__pfx_fail(sipc_pfx_error *why, sipc_pfx_error e);

#endif
