/* replaced_pair.h - who may hold the pair this home's last import or
 * rotation step replaced (security/previous/), judged by how it came there
 * (sipc_previous_origin): the one judgement behind import's warning after
 * it replaces a pair and status's note on a node that still presents it. */
#ifndef SIPC_TLSTOOL_REPLACED_PAIR_H
#define SIPC_TLSTOOL_REPLACED_PAIR_H

#include "certs/trust.h"

/* A clause to follow "the replaced pair (sha256 ...), ": "which this node's
 * peers hold" only after a plain import (no guard overridden, so every
 * node held the pair replaced); after a forced import or an origin not
 * recorded it says nothing tells who holds it, and after a rotation which
 * nodes still present it. */
const char *replaced_holders(sipc_previous_origin how);

#endif
