/* search_test_support.h - a cluster in one process for the search tests:
 * nodes (each its own context, server on 127.0.0.1:0, data service in a
 * temp dir, and a search service whose peers are the other nodes) on one
 * loop, a client context with a channel to each, and calls that wait for
 * their answer. Asserts (cmocka) on every failure of the set-up. */
#ifndef SIPC_TEST_SEARCH_SUPPORT_H
#define SIPC_TEST_SEARCH_SUPPORT_H

#include "data_test_support.h"
#include "search.pb-c.h"
#include "search_service.h"

/* Nodes of sw_new; most nodes of a world. */
enum { NODES = 3, MAXN = 5 };

typedef struct sw_node {
    char id[16];
    char *home;
    sipc_security *sec;
    sipc_ctx *ctx;
    sipc_router *router;
    sipc_server *srv;
    sipc_data *d;
    sipc_search *s;
    int port;
    /* a peer that holds search.local requests and never answers them */
    sipc_request *held[8];
    int nheld;
} sw_node;

typedef struct sw_world {
    uv_loop_t loop;
    sipc_tls_mode mode;
    char pem[512];        /* the pair every node and the client use (TLS) */
    sw_node n[MAXN];
    int nn;
    sipc_security *csec;
    sipc_ctx *cctx;
    sipc_channel *ch[MAXN];
    tu_log log;
} sw_world;

/* A query as the tests write it. */
typedef struct sw_query {
    const char *text;
    const char *filters[4]; /* "k", "v", "k", "v" */
    int64_t since, until;
    uint32_t limit;
    Sipc__Search__Order order;
} sw_query;

/* A search.local handler that holds its requests and never answers (a
 * silent node); arg: the sw_node. sw_stop answers them. */
void sw_hold_local(sipc_request *req, void *arg);
/* Node i: data service, router, context and listener; no search yet (its
 * peers' ports are not known until every node listens). pem: its pair with
 * TLS. silent: a node whose search.local never answers. Its id is "n" and
 * i + 1 unless w->n[i].id was set before. */
void sw_listen(sw_world *w, int i, const char *pem, int silent);
/* The search service of node i, its peers every other node listed; base:
 * options (NULL for the defaults). */
void sw_search_start(sw_world *w, int i, const sipc_search_options *base);
/* A world with no node yet; mode and pem for every node and the client. */
sw_world *sw_alloc(sipc_tls_mode mode, const char *pem);
/* The client's context (its channels are opened on first use). */
void sw_client(sw_world *w);
/* NODES nodes, each searching the others, and a client. */
sw_world *sw_new(sipc_tls_mode mode, const char *pem);
/* The client's channel to node i. */
sipc_channel *sw_chan(sw_world *w, int i);
/* Sets *(int *)arg: a close callback. */
void sw_on_flag(void *arg);
/* Stops node i as a process exit would: its search service, its context
 * (listener and channels), its data service. */
void sw_stop(sw_world *w, int i);
/* Stops everything, drains the loop, removes the homes, frees w. */
void sw_free(sw_world *w);

/* Calls service.method on node i with m packed; waits for the answer. */
void sw_call(sw_world *w, int i, const char *service, const char *method,
             const ProtobufCMessage *m, uint32_t timeout_ms, dw_result *r);
/* data.put_batch of recs on node i; asserts success. */
void sw_put(sw_world *w, int i, Sipc__Data__Record **recs, size_t n);
/* search.query to node i; returns the answer (NULL with *r holding the
 * error when it failed). */
Sipc__Search__QueryResponse *sw_search(sw_world *w, int i, const sw_query *q,
                                       uint32_t timeout_ms, dw_result *r);
/* The same, asserting success (5 s). */
Sipc__Search__QueryResponse *sw_search_ok(sw_world *w, int i, const sw_query *q);
/* b holds exactly the text s. */
int sw_is(const ProtobufCBinaryData *b, const char *s);
/* The hits' ids, space-separated, in order (a static buffer). */
const char *sw_ids(const Sipc__Search__QueryResponse *r);
/* The missing node listed with this address, or NULL. */
const Sipc__Search__MissingNode *sw_missing(const Sipc__Search__QueryResponse *r,
                                            const char *address);
/* Records on the first three nodes at ts 1000..7000, "checkout" in five:
 * n1 a1 a2, n2 b1 b2, n3 c1 c2 c3. */
void sw_put_records(sw_world *w);

#endif
