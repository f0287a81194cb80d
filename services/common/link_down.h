/* link_down.h - whether a service's link to a peer is known to be down, for
 * the services that stop waiting for such a peer instead of holding their
 * calls to its deadline (the pipeline's delivery, the search fan-out). */
#ifndef SIPC_SERVICES_LINK_DOWN_H
#define SIPC_SERVICES_LINK_DOWN_H

#include <stddef.h>

#include "sipc/sipc.h"

/* 1 when ch's link has been down after a failure for at least down_ms
 * (SIPC_LINK_DOWN_MS: what status --cluster reports as link_down), with why
 * set to "its link is down since 2026-12-05T15:11:31Z"; 0 while
 * it is up or only reconnecting (a node restarting), so that calls to a
 * node that comes back in time still reach it, and for down_ms after the
 * link's node was heard from on another connection (sipc_ctx_peer_seen, at
 * the host that link reached): a node that restarted after a longer absence
 * connects to us before our backed-off redial reaches it, and is back, not
 * gone. */
int sipc_link_known_down(const sipc_channel *ch, uint64_t down_ms, char *why, size_t n);

#endif
