/* security.h - what sipc_security holds, for the ipc layer and the node
 * layer above it. */
#ifndef SIPC_IPC_SECURITY_H
#define SIPC_IPC_SECURITY_H

#include "certs/keypair.h"
#include "certs/trust.h"
#include "sipc/sipc.h"
#include "transport/tls_engine.h"

/* NULL when the mode is SIPC_TLS_OFF. */
sipc_tls_config *sipc_security_tls(const sipc_security *sec);
/* What a listener of this security accepts (SIPC_STREAM_PLAIN | _TLS). */
unsigned sipc_security_accepts(const sipc_security *sec);

/* A TLS security from a loaded pair and verifier: takes both over (also on
 * failure, when they are freed). mode must not be SIPC_TLS_OFF. kp's key
 * must have been found to be its certificate's (sipc_keypair_check_match,
 * as sipc_security_from_pem and sipc_security_load do): nothing below
 * checks it again. */
int sipc__security_new_tls(sipc_security **out, sipc_tls_mode mode, sipc_keypair *kp,
                           sipc_trust *trust, char *err, size_t errlen);

/* Marks a permissive security as what a home with a pair imported but TLS
 * not enabled dials with (sipc_security_load_client): TLS offered first,
 * plaintext accepted, though TLS is off on this side. Its dialers say that
 * when they fall back, rather than calling this side permissive. */
void sipc__security_set_offer_only(sipc_security *sec);
int sipc__security_offer_only(const sipc_security *sec);

/* Why a listener with this security requires TLS, in its owner's words
 * (at most 255 bytes kept), for the line that refuses a plaintext peer:
 * said instead of asking whether TLS is enabled on every node, which is
 * wrong where TLS is off by design and one listener alone requires it (a
 * node's [pipeline] tls = 1). "" (the default): that question. */
void sipc__security_set_tls_reason(sipc_security *sec, const char *why);
const char *sipc__security_tls_reason(const sipc_security *sec);

/* Why a security is plaintext, in its loader's words (at most 255 bytes
 * kept), for the line of a dialer whose peer answered with TLS: said
 * instead of the generic fixes, which name a step already taken where a
 * home holds a pair but was loaded by the node rule without [tls] enable.
 * "" (the default): those fixes. */
void sipc__security_set_plain_reason(sipc_security *sec, const char *why);
const char *sipc__security_plain_reason(const sipc_security *sec);

/* The judgement of the pair staged for a rotation (sipc_trust_judge_staged),
 * made by the node layer when it loads a home, for
 * sipc_security_staged_verifies; res NULL: none staged, or none could be
 * judged. 0 or SIPC_ENOMEM. */
int sipc__security_set_staged(sipc_security *sec, const sipc_vfy_result *res);

/* How many peer verifications this security answered from its cache of
 * accepted chains (for tests). */
uint64_t sipc__security_verdict_hits(const sipc_security *sec);

#endif
