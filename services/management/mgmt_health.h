/* mgmt_health.h - the cluster's health from the problems the cluster status
 * lists: one rule for the node that answers management.cluster and for
 * sipcctl, which grades an older node's answer (no "health") itself; the
 * notes on what differs without being wrong; whether two nodes' key pairs
 * accept each other. Pure; needs only jansson. */
#ifndef SIPC_MGMT_HEALTH_H
#define SIPC_MGMT_HEALTH_H

#include <jansson.h>

/* As the cluster answer's "health" says it, from its "problems" (each with
 * a "kind"): "ok" (none), "migrating" (the only problems are nodes still
 * permissive, and nodes with TLS off beside them, none strict: TLS on
 * everywhere and no plaintext peer left, going strict cuts no one off; or
 * a roll-out or roll-back half done, no node refusing another) or
 * "problems" (anything else). */
const char *sipc_mgmt_health(json_t *problems);

/* The cluster answer's "notes": what differs between the reachable nodes
 * of nodes (their statuses) without being wrong, each {"kind", "message"}:
 * "mixed_builds" (the nodes run different builds, as in a rolling upgrade)
 * and "keepalive_mismatch" (their [limits] keepalive settings differ). They
 * never change the health. A new array, empty when there is nothing.
 * Also "rotation": a key pair rotation in progress (a node's status has
 * tls.rotation), which node is at which step and the next command. */
json_t *sipc_mgmt_notes(json_t *nodes);
/* Whether a reachable node of nodes is in a key pair rotation (staged or
 * committed). */
int sipc_mgmt_rotating(json_t *nodes);

/* Whether n's pair and the pair of a node presenting common (the
 * cluster's) do not accept each other (during a key pair rotation they do);
 * when so, what is refused in out ("n2 does not accept n1's pair; ..."). A
 * third pair is judged against common alone, so that it alone is named. */
int mgmt_pair_refused(json_t *nodes, json_t *n, const char *common, char *out, size_t len);

/* Whether the reachable node n of nodes, in a key pair rotation, moves to
 * another pair (staged, or committed) than the one most rotating nodes
 * move to (on a tie of counts, than the one a committed node presents):
 * committing one cuts it off from the nodes that staged the other. When
 * so, which node moves to which pair and the fix in out. When which was
 * meant cannot be told (as many nodes move to each pair), the first node
 * of them alone gets the text, which names every group. */
int mgmt_other_target(json_t *nodes, json_t *n, char *out, size_t len);

/* The guard a refused (or pending) reload's "cause" names, as every text
 * words it: "strict guard" (strict_guard), "guard of going off"
 * (off_guard), "CRL guard" (crl_guard), "trust guard" (trust_guard: a
 * reload that narrows the trust, no CRL cutting a node off); NULL for
 * another cause (files:
 * the files do not load). */
const char *mgmt_reload_guard_name(const char *cause);

/* The string at o.path1 (o.path1.path2 when path2 is not NULL), "" when
 * there is none: the statuses' fields as the judging reads them. */
const char *mgmt_str_at(json_t *o, const char *path1, const char *path2);
/* A node of the cluster answer as messages name it: its id, else the
 * address the operator gave it. */
const char *mgmt_node_name(json_t *n);
/* How old a down link's last error is, from its status entry, as status
 * texts say it: "last attempt 3 s ago, next in 7 s" (or ", another under
 * way"), with "; its node connected here 2 s ago" when the
 * link's node has connected since it fell; "" when the entry does not say
 * (an older node). A reason can be out of date by the redial backoff: this
 * tells the operator to wait. */
void mgmt_link_age_text(json_t *link, char *out, size_t len);
/* Writes held up on a node, from its status's storage.writes: when its
 * "slow" is true, what waits and what to check ("12 writes (4096 bytes)
 * waiting, the oldest for 12 s (threshold 2 s, [data] writes_slow_ms): ...")
 * in out, and 1; else 0 and "" (an older node's status does not say). */
int mgmt_writes_slow_text(json_t *writes, char *out, size_t len);

#endif
