/* fuzz_common.h - what the fuzz targets share: the fuzz cluster's key pair
 * (a fixed self-signed P-256 root) and a verifier that trusts it, so inputs
 * built from the seed corpus reach the code behind a successful signature
 * or chain check instead of stopping at "unknown issuer". */
#ifndef SIPC_FUZZ_COMMON_H
#define SIPC_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "certs/keypair.h"
#include "certs/trust.h"

/* The verification time of every target: inside the validity of the
 * corpus's certificates and CRLs, and fixed so a replay does what the
 * fuzzing run did. */
#define FUZZ_NOW ((time_t)1800000000) /* 2027-01-15 */

/* The fuzz cluster's pair, loaded once; aborts if it cannot be (a broken
 * target must not look like a quiet one). */
const sipc_keypair *fuzz_root_pair(void);
/* A trust with the root as its own pinned pair. Caller frees. */
sipc_trust *fuzz_trust(sipc_trust_revocation rev, const char *subject);
/* Splits data into consecutive DER TLVs (a chain as it would be presented),
 * at most max; the last one takes whatever is left when a length runs past
 * the end. Returns the count. */
int fuzz_split_der(const uint8_t *data, size_t size, sipc_der *out, int max);

#endif
