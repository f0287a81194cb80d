/* pem.h - PEM text to DER, the one PEM reader of sipc (certificates, keys,
 * CRLs). */
#ifndef SIPC_CERTS_PEM_H
#define SIPC_CERTS_PEM_H

#include <stddef.h>
#include <stdint.h>

#include "certs/keypair.h"

/* Does buf look like PEM (contains "-----BEGIN ")? */
int sipc_is_pem(const uint8_t *buf, size_t len);
/* The DER of the first block labelled label ("X509 CRL", "CERTIFICATE",
 * "PRIVATE KEY"...) at or after *pos; advances *pos past it. Returns the DER
 * length (malloc'd into *out) or 0 when there are no more such blocks, -1 on
 * a bad block. */
long sipc_pem_block(const char *pem, size_t len, size_t *pos, const char *label, uint8_t **out);
/* The DER of data, which is either DER already or PEM holding a block
 * labelled label (the first one is taken): a malloc'd copy in *out. Returns
 * its length, or -1 when data is PEM without a readable such block. */
long sipc_pem_or_der(const uint8_t *data, size_t len, const char *label, uint8_t **out);
/* All CERTIFICATE blocks as DER, in order. Returns the number found (at most
 * max) or a negative sipc code. */
int sipc_pem_certs(const char *pem, size_t len, sipc_der *out, int max);

#endif
