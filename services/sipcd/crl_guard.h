/* crl_guard.h - the guards of a reload that narrows whom the node
 * accepts: the CRL guard and the trust guard (crl_guard.c). */
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
 * own (a mounted folder's, or `tlstool crl add` without --reload); or
 * revocation = hard, which refuses a certificate no current CRL covers,
 * turned on, or with a CRL of security/crl/ gone or changed. */
int reload_crl_news(const reload_job *j, const host *h);

/* Whether the reload j replaces the pair the node presents, TLS running
 * and staying on (reload_pair_news): a self-signed pair accepts itself
 * only (and a rotation's pairs), so a pair swapped outside a rotation
 * (`tlstool import --force`, files copied into security/) refuses every
 * node that still presents the one it replaces, and they refuse it. */
int reload_pair_news(const reload_job *j, const host *h);

/* Whether the reload j narrows the trust over TLS, the node running TLS:
 * a root of security/trust/ gone or changed since the node loaded its own,
 * a [tls] subject asked that the node does not ask now, or the pair it
 * presents replaced (reload_pair_news). */
int reload_trust_news(const reload_job *j, const host *h);

/* Whether a guard dials for j: reload_crl_news or reload_trust_news. A
 * reload that changes neither dials no node. */
int reload_guard_news(const reload_job *j, const host *h);

/* On the thread pool, once j->probe is loaded and only when the dials will
 * use them (reload_crl_causes_due: each is a full load of the pair, trust/
 * and crl/): the reload's security without revocation checks, and for
 * revocation = hard with soft ones (j->probe_as), whose dials tell what a
 * refusal owes to the CRLs; none when revocation is off or TLS is. 0, or a
 * negative SIPC_* code with err. */
int reload_crl_load(reload_job *j, char *err, size_t len);

/* Whether the dials of j tell what a node's refusal owes to the CRLs (and
 * so use j->probe_as): with revocation and TLS on, at a reload, and at a
 * check of files other than those the latest dials judged (or after dials
 * that left a cut node's cause untold); a check of the same files reads
 * the causes those dials found. */
int reload_crl_causes_due(const reload_job *j, const host *h);

/* The most checks of a refused or pending reload from one dial of the
 * nodes to the next while its files stay the same: 25 checks of about
 * 12 s, 5 minutes. */
#define RELOAD_CRL_STEP_MAX 25

/* For a check of a refused or pending reload (j->dry) that would dial:
 * 0, setting j->crl_skip, when the guard's latest dials judged the same
 * files and their verdict may stand without a dial (a refusal by the guard,
 * or a pass) until the next dial is due: every check at first, then every
 * 2, 4, 8 ... up to RELOAD_CRL_STEP_MAX checks while nothing changes, so
 * that a refusal that stands does not dial every node, each refusing it,
 * every few seconds for good; 1 to dial (files changed, or due). */
int reload_crl_dial_due(reload_job *j, host *h);

/* Dials every other [cluster] node at once, within timeout_ms: a reload
 * twice, with the security the node's management links run now and with
 * the one the reload loaded (j->probe), and once with each of j->probe_as
 * loaded; a check of a refused or pending reload (j->dry) once, with
 * j->probe (the security that runs has not changed since the reload's
 * dials), and with j->probe_as only when the files differ from those the
 * latest dials judged. done(j) runs on the loop once every
 * dial ended and the dials' contexts closed. 0, or a negative SIPC_* code
 * without calling done. */
int reload_crl_ask(reload_job *j, host *h, uint32_t timeout_ms, void (*done)(reload_job *j));

/* The guard, from the dials reload_crl_ask made (none made: nothing to
 * judge): a node accepted now whose certificate the security of the reload
 * refuses would be cut off, by a CRL revoking it, by revocation = hard
 * for want of a current CRL, or by something else the reload changes (a
 * root, [tls] subject, the pair it presents: its new pin refusing the
 * node, or the node refusing it), or for a cause the dials could not tell
 * (named by cause). The refusal's cause when the reload is refused, i.e.
 * every node accepted now would be cut off, or one for want of a current
 * CRL or by the pair replaced, and it is not forced (msg, len bytes, names
 * those nodes, their fingerprints against the new pair's, and the fix):
 * "crl_guard", or "trust_guard" when no node is cut off for a CRL (or for
 * a cause that may be one); else NULL, with j->crl_note naming the nodes
 * cut off (with --force, or while another node stays accepted) and their
 * fix, and the nodes that could not be asked (they do not hold the reload
 * back, as with `tlstool crl add`: one presenting a revoked certificate is
 * refused when it connects, which is what revocation is for), "" when
 * nothing, and j->note_head the words of the WARN before it. The verdict
 * is kept for
 * reload_crl_dial_due; a check's dials that find nodes cut off say so in
 * the management service's log, since each of those nodes logs the dial as
 * this node refusing its certificate. */
const char *reload_crl_guard(reload_job *j, host *h, char *msg, size_t len);

/* The words a reload refused for want of time uses of its guard, by
 * which: 0 what the reload does ("applies new CRLs", "narrows the trust"),
 * 1 what the nodes are asked ("whether the CRLs revoke their
 * certificates"). */
const char *reload_guard_words(const reload_job *j, const host *h, int which);

/* A reload applied: the guard's latest dials judged files the node runs
 * now, and a later refusal is judged anew. */
void reload_crl_forget(host *h);

#endif
