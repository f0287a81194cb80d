/* mgmt_cluster_query.h - one management.cluster question in progress,
 * shared by mgmt_cluster.c (asking the nodes of this node's [cluster] nodes,
 * judging the answers) and mgmt_cluster_more.c (asking the nodes that those
 * answers list and this node does not). */
#ifndef SIPC_MGMT_CLUSTER_QUERY_H
#define SIPC_MGMT_CLUSTER_QUERY_H

#include "management_impl.h"

/* nodes asked besides this node's own list, at most */
#define MGMT_MAX_EXTRA 32

/* A node another node lists and this one does not: a channel of its own,
 * closed once its answer is in. */
typedef struct mgmt_extra {
    mgmt_peer peer;      /* address: "host:port", its data port */
    char listed_by[64];  /* the id of the node whose list named it */
} mgmt_extra;

typedef struct cluster_query {
    sipc_mgmt *m;
    sipc_request *req;
    json_t *nodes;   /* one entry per node, in cluster order (this node first) */
    int pending;
    uint64_t deadline_ns; /* uv_hrtime: when the caller stops waiting */
    mgmt_extra extra[MGMT_MAX_EXTRA];
    int nextra;
    struct cluster_query *next; /* m->inflight */
} cluster_query;

typedef struct peer_call {
    cluster_query *q;
    int index;       /* in q->nodes */
    const mgmt_peer *peer;
    mgmt_extra *extra; /* NULL for a node of this node's list */
    uint64_t deadline_ns; /* uv_hrtime: when the caller stops waiting */
    int retried;
} peer_call;

/* The callback of every status question of a cluster query. */
void mgmt_on_peer_status(int err, const sipc_reply *rep, void *arg);

/* Asks, within q's deadline, the nodes that st (a node's answered status)
 * lists in its [cluster] nodes that neither this node's list nor an
 * earlier answer's named: their lists decide which list is the odd one. */
void mgmt_ask_listed(cluster_query *q, json_t *st);

/* Closes the channel of pc's node when it is one of the extra ones. */
void mgmt_extra_done(peer_call *pc);

#endif
