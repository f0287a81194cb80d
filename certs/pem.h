/* pem.h - PEM text to DER, the one PEM reader of sipc (certificates, keys,
 * CRLs). */
#ifndef SIPC_CERTS_PEM_H
#define SIPC_CERTS_PEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certs/keypair.h"

/* Does buf look like PEM (contains "-----BEGIN ")? */
bool sipc_is_pem(const uint8_t *buf, size_t len);
/* The DER of the first block labelled label ("X509 CRL", "CERTIFICATE",
 * "PRIVATE KEY"...) at or after *pos, malloc'd into *out with its length in
 * *outlen; advances *pos past it. When there are no more such blocks returns
 * 0 with *out NULL and *outlen 0. SIPC_EFORMAT on a block that is not
 * terminated or not Base64, SIPC_ENOMEM. */
int sipc_pem_block(const char *pem, size_t len, size_t *pos, const char *label, uint8_t **out,
                   size_t *outlen, char *err, size_t errlen);
/* The DER of data, which is either DER already or PEM holding a block
 * labelled label (the first one is taken): a malloc'd copy in *out, its
 * length in *outlen. SIPC_EFORMAT when data is PEM without a readable such
 * block, SIPC_ENOMEM. */
int sipc_pem_or_der(const uint8_t *data, size_t len, const char *label, uint8_t **out,
                    size_t *outlen, char *err, size_t errlen);
/* All CERTIFICATE blocks as DER, in order; their number in *count (0 when
 * there is none). More than max is SIPC_ETOOBIG with err saying how many
 * ("holds N certificates; sipc takes at most MAX from one file");
 * SIPC_EFORMAT on a bad block; SIPC_ENOMEM. On failure nothing is left
 * allocated in out, and *count is 0 but for SIPC_ETOOBIG, where it is the
 * number of certificates. */
int sipc_pem_certs(const char *pem, size_t len, sipc_der *out, int max, int *count, char *err,
                   size_t errlen);

#endif
