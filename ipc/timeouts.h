/* timeouts.h - whether keepalive_ms, keepalive_timeout_ms and
 * idle_timeout_ms fit together: one rule for sipc_ctx_new and sipc.conf. */
#ifndef SIPC_TIMEOUTS_H
#define SIPC_TIMEOUTS_H

#include <stddef.h>
#include <stdint.h>

/* The fields a verdict is about, for the caller to point at. */
#define SIPC__TO_KEEPALIVE 1u
#define SIPC__TO_KEEPALIVE_TIMEOUT 2u
#define SIPC__TO_IDLE 4u

/* The three timeouts in ms, 0 for off; given: the SIPC__TO_* bits of the
 * fields the caller knows were set, not left at their default (sipc.conf
 * knows; sipc_options holds a default in every field and passes 0); each
 * field is named in why as prefix followed by its name ("options.",
 * "[limits] "). Returns 0 when they
 * fit; 1 for a combination that works, but not as its values suggest (a
 * warning, why says what happens); -1 for one that defeats a keepalive
 * (why says why and what to change): sipc.conf refuses it, sipc_ctx_new
 * only warns, as it always accepted it. *fields: the SIPC__TO_* bits of the
 * fields the verdict is about. */
int sipc__timeouts_check(uint32_t keepalive_ms, uint32_t keepalive_timeout_ms,
                         uint32_t idle_timeout_ms, unsigned given, const char *prefix, char *why,
                         size_t len, unsigned *fields);

#endif
