/* crl_scope.h - what a CRL covers (RFC 5280 sections 5.2, 5.3 and 6.3.3):
 * its extensions (cRLNumber, deltaCRLIndicator, issuingDistributionPoint),
 * its entries' extensions (reasonCode, certificateIssuer) and whether it
 * says anything about a given certificate. The verifier (trust.c) chooses
 * among the CRLs of an issuer with these answers. */
#ifndef SIPC_CERTS_CRL_SCOPE_H
#define SIPC_CERTS_CRL_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "certs/x509_info.h"

/* ReasonFlags bits (RFC 5280 order): bit 1 keyCompromise .. bit 8
 * aACompromise; every reason is what a complete CRL without onlySomeReasons
 * covers. */
#define SIPC_REASONS_ALL 0x1feu
enum { SIPC_REASON_CERTIFICATE_HOLD = 6, SIPC_REASON_REMOVE_FROM_CRL = 8 };

/* x509_info.c's CRL reader hands these the crlExtensions SEQUENCE content
 * and each entry's crlEntryExtensions SEQUENCE content. 0 or SIPC_EFORMAT
 * (err says why); an unknown critical extension sets c->unusable. */
int sipc__crl_read_exts(sipc_crl *c, const sipc_bytes *exts, char *err, size_t errlen);
int sipc__crl_read_entry_exts(sipc_crl *c, const sipc_bytes *exts, char *err, size_t errlen);
/* After both: rules that need the whole CRL (certificateIssuer outside an
 * indirect CRL). */
void sipc__crl_finish(sipc_crl *c);

/* May c speak for certificate x at all: it is from x's issuer, or an
 * indirect CRL whose issuer a CRL distribution point of x names as
 * cRLIssuer (RFC 5280 5.2.5, 6.3.3 (b)(1)). */
bool sipc_crl_may_cover(const sipc_crl *c, const sipc_x509 *x);
/* Does c cover certificate x (one sipc_crl_may_cover accepts)? Returns true with
 * *reasons the revocation reasons it covers for x, or false with why ("it
 * covers only CA certificates (onlyContainsCACerts)"). */
bool sipc_crl_covers(const sipc_crl *c, const sipc_x509 *x, unsigned *reasons, char *why,
                     size_t whylen);
/* Is x listed? Then *when and *reason (the reasonCode, -1 when absent).
 * Entries of an indirect CRL count only under x's issuer. */
bool sipc_crl_find(const sipc_crl *c, const sipc_x509 *x, time_t *when, int *reason);
/* -1, 0, 1 comparing two non-negative INTEGER contents (CRL numbers). */
int sipc_crl_num_cmp(const sipc_bytes *a, const sipc_bytes *b);
/* A CRL number as decimal (hex when longer than 8 bytes); "(none)" when empty. */
void sipc_crl_num_str(const sipc_bytes *n, char *out, size_t outlen);
/* "keyCompromise, cACompromise" for reason bits. */
void sipc_crl_reasons_str(unsigned reasons, char *out, size_t outlen);
/* Same scope: the same issuer, both without an issuingDistributionPoint or
 * with equal ones. */
bool sipc_crl_same_scope(const sipc_crl *a, const sipc_crl *b);

#endif
