/* management_impl.h - the management service's state, shared by its files
 * (management_service.c: setup and handlers; mgmt_status.c: a node's status
 * and metrics; mgmt_cluster.c: the cluster status and its judgement;
 * mgmt_cluster_more.c: the nodes asked besides this node's list). */
#ifndef SIPC_MANAGEMENT_IMPL_H
#define SIPC_MANAGEMENT_IMPL_H

#include "management_service.h"

#define MGMT_MAX_SERVICES 8
#define MGMT_MAX_LINK_SOURCES 8
#define MGMT_MAX_SECTIONS 12
#define MGMT_MAX_PEERS 32

typedef struct mgmt_service {
    char name[32];
    sipc_server *srv;
    sipc_tls_mode mode;
    char fp[65]; /* the certificate its listener presents, hex SHA-256; "" without TLS */
} mgmt_service;

typedef struct mgmt_peer {
    char address[160];
    char host[160];
    int port;
    sipc_channel *ch;
} mgmt_peer;

struct sipc_mgmt {
    sipc_ctx *ctx;
    char node_id[64], address[128], cluster[64], version[512];
    char self_entry[160]; /* its own [cluster] nodes entry, "" when none */
    int tls_enable;
    sipc_tls_mode tls_mode;
    int64_t tls_changed_ms; /* wall clock of the last reload that changed those, 0: none */
    sipc_security *sec;
    int64_t started_ms;
    uint64_t started_hr;   /* uv_hrtime() then: the uptime, whatever the wall clock does */
    uint32_t cluster_timeout_ms;
    int expiry_warn_days;
    mgmt_service services[MGMT_MAX_SERVICES];
    int nservices;
    struct {
        sipc_mgmt_links_fn fn;
        void *arg;
    } links[MGMT_MAX_LINK_SOURCES];
    int nlinks;
    sipc_mgmt_reload_fn reload;
    void *reload_arg;
    sipc_mgmt_ack_fn ack;
    void *ack_arg;
    struct {
        char key[32];
        sipc_mgmt_section_fn fn;
        void *arg;
    } sections[MGMT_MAX_SECTIONS];
    int nsections;
    mgmt_peer peers[MGMT_MAX_PEERS];
    int npeers;
    int queries;        /* cluster queries in progress */
    struct cluster_query *inflight; /* management.cluster questions in progress */
    int closing;
    int channels_open;
    void (*close_cb)(void *);
    void *close_arg;
};

/* Answers req with j (compact JSON) and releases j. */
void mgmt_respond_json(sipc_request *req, json_t *j);
/* Why a call to another node's management service failed (err, its
 * reply, the channel's last detail), as the cluster status names it
 * (mgmt_cluster.c). */
void mgmt_call_why(int err, const sipc_reply *rep, sipc_channel *ch, char *why, size_t len);
/* The cluster status handler (mgmt_cluster.c). */
void mgmt_on_cluster(sipc_request *req, void *arg);
/* The reload handler (mgmt_reload.c). */
void mgmt_on_reload(sipc_request *req, void *arg);
/* The acknowledgement handler (mgmt_ack.c). */
void mgmt_on_ack(sipc_request *req, void *arg);

/* The cluster judge (sipc_mgmt_judge) appends to list a problem of kind
 * about node, its message printf-formatted (cut between characters). */
void mgmt_problem(json_t *list, json_t *node, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The judge's logs_failing and state_failing problems of node n, from its
 * status's "logs" and "storage"."state" (mgmt_files_judge.c). */
void mgmt_files_failing(json_t *list, json_t *n);
/* The closing advice of a storage_failing problem, from its reason, "; ..."
 * or "" when the reason carries its own (mgmt_files_judge.c). */
const char *mgmt_storage_fix(const char *why);
/* A node's own now, to the second: its clock when its status answered
 * (node.clock), or for a node older than that field its start plus its
 * uptime (which a step of its clock after the start does not move); 0
 * when its status does not say. */
int64_t mgmt_node_now(json_t *n);
/* The judge's nodes_mismatch problems (mgmt_nodes_list.c): a node whose
 * [cluster] nodes differs from the list most nodes have, one problem each
 * naming what it lists and what the others do, the odd one blamed only
 * when the nodes no one asked (listed by some, not by the node that asked)
 * could not turn the majority; nodes whose status has no list (older
 * builds) are left out. */
void mgmt_nodes_lists(json_t *list, json_t *nodes);
/* The port of n's service name (its status's "services"), 0 when it does
 * not say (mgmt_nodes_list.c). */
int mgmt_status_port(json_t *n, const char *name);
/* Whether n's [cluster] nodes has the entry e of node o's (the same host
 * and port, each entry's missing port its node's data port). */
int mgmt_lists_entry(json_t *n, json_t *o, const char *e);
/* The host and management port of entry k of st's [cluster] nodes (st a
 * node's status), as st's node reaches it: its ports, at its offsets for
 * nodes sharing a host (sipc_config_node_service, the one rule), and its
 * data port (dport). 0 or a negative SIPC_* code. */
int mgmt_entry_ports(json_t *st, size_t k, char *host, size_t hostlen, int *mport, int *dport);
/* Closes the channels of the nodes asked besides this node's list by the
 * cluster questions in progress (mgmt_cluster_more.c): their calls end. */
void mgmt_extras_close(sipc_mgmt *m);
/* Called when a channel of m's closed (counted in channels_open). */
void mgmt_channel_closed(sipc_channel *ch, void *arg);
/* The judge's clock_skew problems (mgmt_clock.c). */
void mgmt_clock_skew(json_t *list, json_t *nodes);

#endif
