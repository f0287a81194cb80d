/* management_service.h - the management channel (service "management",
 * port 23002 by default): this node's status, the cluster's status with what
 * is wrong in plain words, and metrics in the Prometheus text format.
 *
 * Written only against the public sipc API. The host (sipcd) tells it which
 * services run (their servers, for connection counts), which links to peers
 * the services keep (for the link list), the node's facts, and where the
 * other nodes' management services listen (for the cluster status).
 * docs/services.md, "Management channel", documents the methods and the JSON
 * schema of the status.
 *
 * Threading: every function must be called on the loop thread of ctx. */
#ifndef SIPC_MANAGEMENT_SERVICE_H
#define SIPC_MANAGEMENT_SERVICE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "mgmt_health.h"
#include "sipc/sipc.h"

#define SIPC_MGMT_SERVICE "management"
/* Version of the status JSON schema ("schema" field); bumped only when a
 * field changes meaning or goes away, not when one is added. */
#define SIPC_MGMT_SCHEMA 1

typedef struct sipc_mgmt sipc_mgmt;

/* Another node's management service, for the cluster status. */
typedef struct sipc_mgmt_peer {
    const char *address; /* as in [cluster] nodes: how the operator names it */
    const char *host;    /* where its management service listens */
    int port;
} sipc_mgmt_peer;

typedef struct sipc_mgmt_options {
    const char *node_id;
    const char *address;      /* [node] address */
    const char *self_entry;   /* its own [cluster] nodes entry; NULL or "": none */
    const char *cluster;
    const char *version;      /* sipc_version_string() */
    int tls_enable;           /* [tls] enable */
    sipc_tls_mode tls_mode;   /* the mode in effect */
    sipc_security *security;  /* this node's [tls] security (certificate facts); retained */
    const sipc_mgmt_peer *peers; /* the other nodes (not this one) */
    int npeers;
    uint32_t cluster_timeout_ms; /* per node, for the cluster status; 0: 3000 */
    int expiry_warn_days;     /* a certificate expiring sooner is flagged; 0: 30 */
} sipc_mgmt_options;

/* ctx is used for the channels to the other nodes' management services
 * (with ctx's security). Strings of opts are copied. */
int sipc_mgmt_open(sipc_mgmt **out, sipc_ctx *ctx, const sipc_mgmt_options *opts, char *err,
                   size_t errlen);
/* A service whose listener the status reports: name ("data"), its server
 * (borrowed; remove it with sipc_mgmt_forget_server before it closes) and
 * the security its listener runs with, for its TLS mode and the
 * certificate it presents (a listener may present one on a node whose TLS
 * is off: [pipeline] tls = 1). */
int sipc_mgmt_add_service(sipc_mgmt *m, const char *name, sipc_server *srv,
                          const sipc_security *sec);
void sipc_mgmt_forget_server(sipc_mgmt *m, sipc_server *srv);
/* A source of links to peers: fn reports each link of a service by calling
 * emit(emit_arg, service, info). Called whenever a status is built. */
typedef void (*sipc_mgmt_emit_fn)(void *emit_arg, const char *service, const sipc_link_info *info);
typedef void (*sipc_mgmt_links_fn)(void *arg, sipc_mgmt_emit_fn emit, void *emit_arg);
int sipc_mgmt_add_links(sipc_mgmt *m, sipc_mgmt_links_fn fn, void *arg);

/* After a reload: the TLS facts the status reports (security retained,
 * the old one released) and the security a service's listener now runs
 * with (its mode and certificate, as sipc_mgmt_add_service). */
void sipc_mgmt_set_tls(sipc_mgmt *m, int tls_enable, sipc_tls_mode mode, sipc_security *sec);
void sipc_mgmt_set_service_security(sipc_mgmt *m, sipc_server *srv, const sipc_security *sec);

/* management.reload: the host re-reads its configuration and key pair.
 * caller names who asked ("127.0.0.1:40112 (node sipcctl)"); force is the
 * request's "force" flag; tls is 1 when the request came over TLS (its
 * caller passed mutual TLS with the cluster's pair), 0 in plaintext; peer is
 * the request's connection (NULL when unknown), whose own plaintext must not
 * hold back the change it asks for. The host answers once, now or later on the loop
 * thread, by calling done(done_arg, answer) with the reload's JSON answer
 * (a reference the callee takes over); docs/services.md has its schema. */
typedef void (*sipc_mgmt_reload_done)(void *done_arg, json_t *answer);
/* deadline_ms: how long the caller still waits for the answer when the
 * request arrived (sipc_request_deadline_ms: 0 none, -1 passed). */
typedef void (*sipc_mgmt_reload_fn)(void *arg, const char *caller, const sipc_peer_info *peer,
                                    int force, int tls, int64_t deadline_ms,
                                    sipc_mgmt_reload_done done, void *done_arg);
/* Without it, management.reload answers that this node cannot reload. */
void sipc_mgmt_set_reload(sipc_mgmt *m, sipc_mgmt_reload_fn fn, void *arg);

/* The TLS mode each other node runs now, asked over the management
 * channels (sys.info), every node at once, each within timeout_ms or the
 * cluster status's timeout, whichever is shorter (0: the cluster status's).
 * done(arg, nodes) is called once, on the loop thread
 * (at once when there are no other nodes; with each call's error when m is
 * closed meanwhile), with an array (a reference the callee takes over) of
 * one object per other node: "address" (its [cluster] nodes entry), "node"
 * (the id it answers with) and "mode" ("strict", "permissive", "off") when
 * it answered with one, else "error" saying why its mode is not known.
 * Returns 0, or SIPC_EINVAL, SIPC_ECLOSING, SIPC_ENOMEM without calling
 * done. */
typedef void (*sipc_mgmt_modes_done)(void *arg, json_t *nodes);
int sipc_mgmt_peer_modes(sipc_mgmt *m, uint32_t timeout_ms, sipc_mgmt_modes_done done, void *arg);

/* management.ack: the operator acknowledges findings the status shows until
 * then: what names their kind ("records-lost": storage.records_lost), lines
 * the ones acknowledged (strings: each finding's "line" as the status gave
 * it; a finding not named stays). caller and tls as for the reload: whether
 * the caller may is the host's to judge. Returns the JSON answer (a new
 * reference; docs/services.md has its schema), NULL only without memory. */
/* The most lines one management.ack names, and the longest line, in bytes
 * (more is refused before the host sees it): the status shows no more
 * findings than that, and no longer line (a longer one cut). */
#define SIPC_MGMT_ACK_LINES_MAX 64
#define SIPC_MGMT_ACK_LINE_MAX 2048
typedef json_t *(*sipc_mgmt_ack_fn)(void *arg, const char *what, const json_t *lines,
                                    const char *caller, int tls);
/* Without it, management.ack answers that this node has nothing to
 * acknowledge. */
void sipc_mgmt_set_ack(sipc_mgmt *m, sipc_mgmt_ack_fn fn, void *arg);

/* A part of the status the host knows and this service does not: fn
 * returns a new reference (or NULL: the key is left out), called whenever a
 * status is built, and the status carries it under key (copied). The cluster
 * status judges two of them: "guard" (the strict guard's state) and
 * "storage" (the database's health, sipc_data_health as JSON; schema in
 * docs/services.md). At most 12 keys; a key added again replaces
 * the earlier source; the status's own keys (schema, node, tls, services,
 * links, and address, reachable, reached_over, error of the cluster status)
 * are refused with SIPC_EINVAL. */
typedef json_t *(*sipc_mgmt_section_fn)(void *arg);
int sipc_mgmt_add_section(sipc_mgmt *m, const char *key, sipc_mgmt_section_fn fn, void *arg);

/* management.status, management.cluster, management.metrics,
 * management.reload and management.ack. */
int sipc_mgmt_register(sipc_mgmt *m, sipc_router *r);

/* This node's status as JSON (a new reference). */
json_t *sipc_mgmt_status(sipc_mgmt *m);
/* The metrics in the Prometheus text format (malloc'd, *len bytes). */
int sipc_mgmt_metrics(sipc_mgmt *m, char **text, size_t *len);

/* Cancels cluster queries in progress (each is answered with an error
 * once), closes the channels, then cb(arg) and frees m. */
void sipc_mgmt_close(sipc_mgmt *m, void (*cb)(void *arg), void *arg);

/* Judges a cluster status: the nodes' statuses (each an object as
 * sipc_mgmt_status gives, or {"address", "reachable": false, "error"}) ->
 * the list of problems, each {"node", "kind", "message"}. Pure: for tests and
 * for the coordinator. expiry_warn_days as in the options; now is Unix time. */
json_t *sipc_mgmt_judge(json_t *nodes, int expiry_warn_days, int64_t now);
/* The cluster's health from those problems: sipc_mgmt_health
 * (mgmt_health.h). */

#endif
