/* crl_guard.h - the CRL guard of a reload (crl_guard.c). */
#ifndef SIPCD_CRL_GUARD_H
#define SIPCD_CRL_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "host.h"
#include "reload_job.h"

/* How long each dial of the guard may take when the asker set no deadline
 * (SIGHUP), as `tlstool crl add` gives each node by default. */
#define RELOAD_CRL_ASK_MS 5000

/* Whether the reload j applies CRLs the node does not apply now, over TLS:
 * [tls] revocation turned on (from off) with CRLs in security/crl/, or,
 * with revocation on, a CRL there new or changed since the node loaded its
 * own (a mounted folder's, or `tlstool crl add` without --reload). */
int reload_crl_news(const reload_job *j, const host *h);

/* Dials every other [cluster] node twice at once, within timeout_ms: with
 * the security the node's management links run now, and with the one the
 * reload loaded (j->probe). done(j) runs on the loop once every dial ended
 * and the dials' contexts closed. 0, or a negative SIPC_* code without
 * calling done. */
int reload_crl_ask(reload_job *j, host *h, uint32_t timeout_ms, void (*done)(reload_job *j));

/* The guard, from the dials reload_crl_ask made (none made: nothing to
 * judge): a node accepted now whose certificate the security of the reload
 * refuses would be cut off by the CRLs applied. 1 when the reload is
 * refused, i.e. every node accepted now would be cut off and it is not
 * forced (msg, len bytes, names those nodes and the fix); else 0, with
 * j->crl_note naming the nodes cut off (with --force, or while another
 * node stays accepted) and their fix, and the nodes that could not be
 * asked (they do not hold the reload back, as with `tlstool crl add`: one
 * presenting a revoked certificate is refused when it connects, which is
 * what revocation is for), "" when nothing. */
int reload_crl_guard(reload_job *j, host *h, char *msg, size_t len);

/* Frees what reload_crl_ask kept in j. */
void reload_crl_free(reload_job *j);

#endif
