/* verdict_cache.h - the chains one trust configuration accepted, so that a
 * peer presenting the very same chain again (every reconnection of a node)
 * is not parsed and its signatures checked again.
 *
 * An entry is keyed by the exact DER bytes of the presented chain (every
 * certificate, in order) and the purpose, and holds the window of the
 * verdict (sipc_vfy_result's valid_from..valid_until): it answers only for
 * a time inside that window, so certificate dates and CRL next updates are
 * still judged at every handshake, against the clock of that handshake.
 * Only acceptances are kept (a refusal is verified again, with its reason).
 * The cache belongs to one sipc_trust, which never changes once in use; a
 * reload makes a new trust and with it a new, empty cache. Bounded: the
 * oldest entry makes room. Thread-safe. */
#ifndef SIPC_CERTS_VERDICT_CACHE_H
#define SIPC_CERTS_VERDICT_CACHE_H

#include <stdint.h>
#include <time.h>

#include "certs/trust.h"

typedef struct sipc_verdict_cache sipc_verdict_cache;

/* Chains a cache keeps at most. */
#define SIPC_VERDICT_CACHE_ENTRIES 32

/* A cache for t (which must outlive it). 0 or SIPC_ENOMEM. */
int sipc_verdict_cache_new(sipc_verdict_cache **out, const sipc_trust *t);
void sipc_verdict_cache_free(sipc_verdict_cache *c);
/* sipc_trust_verify() of the cache's trust, answered from the cache when
 * this chain was accepted for purpose and now lies in that verdict's
 * window. On such a hit res (may be NULL) holds only the status (OK): no
 * links, no warning. Same return values as sipc_trust_verify(). */
int sipc_verdict_cache_verify(sipc_verdict_cache *c, const sipc_der *chain, int n, int purpose,
                              time_t now, sipc_vfy_result *res);
/* Verifications answered from the cache so far. */
uint64_t sipc_verdict_cache_hits(const sipc_verdict_cache *c);

#endif
