/* commit_guard.h - the guard of a rotation's commit: once committed, this
 * node presents the staged pair, so a [cluster] node that refuses that pair
 * (one that staged another file, or none) is cut off from it. Each node is
 * asked (sys.info) with this home's security, and each that answered over
 * TLS is dialled again presenting the staged pair; cut_judge.h judges the
 * two, so only a node that refused the staged pair's certificate refuses
 * the commit. */
#ifndef SIPC_TLSTOOL_COMMIT_GUARD_H
#define SIPC_TLSTOOL_COMMIT_GUARD_H

#include "services/tlstool/tlstool.h"

/* staged: the staged pair's SHA-256, as the refusal names it. EX_OK to go
 * on (with --force past nodes that refuse it, warned; nodes that could not
 * be asked only warned about, each with why: down, refused already, or a
 * second dial that failed otherwise, as by a timeout; a commit never
 * needed them up), or
 * EX_NOT_COMMITTED naming the nodes that refuse the staged pair, each with
 * why, and the stage that makes the pairs one. */
int commit_guard(const opts *o, const sipc_config *cfg, const char *staged);

#endif
