/* test_search_service.c - the search service across three in-process nodes
 * (each: its own context, server on 127.0.0.1:0, data service in a temp
 * dir, search service whose peers are the other two), called by a client
 * over the network, in plaintext and over TLS: records put on different
 * nodes are all found from any node, with filters, time ranges, limits and
 * both orders; a stopped node, a node with another certificate and a node
 * that never answers make the answer partial, each named with its reason,
 * within the deadline; bad queries get a clear status and the node stays
 * up; caps on queries in flight; closing with a query in flight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "data_test_support.h"
#include "search.pb-c.h"
#include "search_service.h"

enum { NODES = 3, MAXN = 5 };

static char g_pem[512], g_other_pem[512];

typedef struct node {
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
} node;

typedef struct world {
    uv_loop_t loop;
    sipc_tls_mode mode;
    node n[MAXN];
    int nn;
    sipc_security *csec;
    sipc_ctx *cctx;
    sipc_channel *ch[MAXN];
    tu_log log;
} world;

static void hold_local(sipc_request *req, void *arg)
{
    node *n = arg;
    assert_true(n->nheld < 8);
    n->held[n->nheld++] = req;
}

/* Node i: data service, router, context and listener; no search yet (its
 * peers' ports are not known until every node listens). silent: a node
 * whose search.local never answers. */
static void node_listen(world *w, int i, const char *pem, int silent)
{
    node *n = &w->n[i];
    snprintf(n->id, sizeof n->id, "n%d", i + 1);
    n->home = tu_mkdtemp("search");
    assert_non_null(n->home);
    char dir[600], err[512] = "";
    snprintf(dir, sizeof dir, "%s/data", n->home);
    if (sipc_data_open(&n->d, &w->loop, dir, NULL, err, sizeof err) != 0)
        fail_msg("data: %s", err);
    assert_int_equal(sipc_router_new(&n->router), 0);
    assert_int_equal(sipc_data_register(n->d, n->router), 0);
    if (silent)
        assert_int_equal(sipc_router_add(n->router, "search", "local", hold_local, n), 0);
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = n->id;
    o.cluster = "test";
    o.log = tu_log_sink;
    o.log_arg = &w->log;
    o.reconnect_min_ms = 20;
    o.reconnect_max_ms = 200;
    n->sec = dw_security(w->mode, pem);
    assert_int_equal(sipc_ctx_new(&n->ctx, &w->loop, &o, n->sec), 0);
    assert_int_equal(
        sipc_server_listen(&n->srv, n->ctx, "Search Service", "127.0.0.1", 0, n->router), 0);
    n->port = sipc_server_port(n->srv);
    w->nn = i + 1 > w->nn ? i + 1 : w->nn;
}

/* The search service of node i, its peers every other node listed. */
static void node_search(world *w, int i, const sipc_search_options *base)
{
    node *n = &w->n[i];
    sipc_search_peer peers[MAXN + 1];
    size_t np = 0;
    for (int k = 0; k < w->nn; k++)
        if (k != i)
            peers[np++] = (sipc_search_peer){"127.0.0.1", w->n[k].port};
    sipc_search_options o;
    if (base)
        o = *base;
    else
        sipc_search_options_init(&o);
    o.peers = peers;
    o.npeers = np;
    o.log = tu_log_sink;
    o.log_arg = &w->log;
    char err[512] = "";
    if (sipc_search_open(&n->s, n->ctx, n->d, &o, err, sizeof err) != 0)
        fail_msg("search: %s", err);
    assert_int_equal(sipc_search_register(n->s, n->router), 0);
}

static world *world_alloc(sipc_tls_mode mode)
{
    world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    assert_int_equal(uv_loop_init(&w->loop), 0);
    w->mode = mode;
    return w;
}

/* The client's context (its channels are opened on first use). */
static void client_start(world *w)
{
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = "client";
    o.cluster = "test";
    o.log = tu_log_sink;
    o.log_arg = &w->log;
    w->csec = dw_security(w->mode, g_pem);
    assert_int_equal(sipc_ctx_new(&w->cctx, &w->loop, &o, w->csec), 0);
}

/* NODES nodes, each searching the others, and a client. */
static world *world_new(sipc_tls_mode mode)
{
    world *w = world_alloc(mode);
    for (int i = 0; i < NODES; i++)
        node_listen(w, i, g_pem, 0);
    for (int i = 0; i < NODES; i++)
        node_search(w, i, NULL);
    client_start(w);
    return w;
}

static sipc_channel *chan(world *w, int i)
{
    if (!w->ch[i])
        assert_int_equal(sipc_channel_open(&w->ch[i], w->cctx, "127.0.0.1", w->n[i].port, NULL),
                         0);
    return w->ch[i];
}

static void on_flag(void *arg)
{
    *(int *)arg = 1;
}

/* Stops node i as a process exit would: its listener and channels close,
 * then its services. */
static void node_stop(world *w, int i)
{
    node *n = &w->n[i];
    if (!n->ctx)
        return;
    int sclosed = 0, dclosed = 0;
    for (int k = 0; k < n->nheld; k++)
        sipc_respond_error(n->held[k], SIPC_ECANCELED, "stopping");
    n->nheld = 0;
    if (n->s)
        sipc_search_close(n->s, on_flag, &sclosed);
    sipc_ctx_close(n->ctx, NULL, NULL);
    sipc_data_close(n->d, on_flag, &dclosed);
    assert_true(tu_run_until(&w->loop, &dclosed, 10000));
    if (n->s)
        assert_true(tu_run_until(&w->loop, &sclosed, 10000));
    n->ctx = NULL;
    n->s = NULL;
    n->d = NULL;
}

static void world_free(world *w)
{
    if (w->cctx)
        sipc_ctx_close(w->cctx, NULL, NULL);
    for (int i = 0; i < w->nn; i++)
        node_stop(w, i);
    assert_true(tu_drain(&w->loop, 10000));
    for (int i = 0; i < w->nn; i++) {
        sipc_router_free(w->n[i].router);
        sipc_security_release(w->n[i].sec);
        tu_rmdir(w->n[i].home);
        free(w->n[i].home);
    }
    sipc_security_release(w->csec);
    assert_int_equal(uv_loop_close(&w->loop), 0);
    tu_log_free(&w->log);
    free(w);
}

/* -------------------------------------------------------------- calls */

static void call(world *w, int i, const char *service, const char *method,
                 const ProtobufCMessage *m, uint32_t timeout_ms, dw_result *r)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n + 1);
    protobuf_c_message_pack(m, buf);
    memset(r, 0, sizeof *r);
    assert_int_equal(
        sipc_call(chan(w, i), service, method, buf, n, timeout_ms, dw_on_result, r), 0);
    free(buf);
    assert_true(tu_run_until(&w->loop, &r->done, timeout_ms + 5000));
}

static void put(world *w, int i, Sipc__Data__Record **recs, size_t n)
{
    Sipc__Data__PutBatchRequest m = SIPC__DATA__PUT_BATCH_REQUEST__INIT;
    m.records = recs;
    m.n_records = n;
    dw_result r;
    call(w, i, "data", "put_batch", &m.base, 10000, &r);
    if (r.err != 0)
        fail_msg("put_batch: %s: %s", sipc_err_name(r.err), r.message);
    dw_result_free(&r);
}

typedef struct query {
    const char *text;
    const char *filters[4]; /* "k", "v", "k", "v" */
    int64_t since, until;
    uint32_t limit;
    Sipc__Search__Order order;
} query;

/* search.query to node i; returns the answer (NULL with *r holding the
 * error when it failed). */
static Sipc__Search__QueryResponse *search(world *w, int i, const query *qq, uint32_t timeout_ms,
                                           dw_result *r)
{
    Sipc__Search__QueryRequest m = SIPC__SEARCH__QUERY_REQUEST__INIT;
    Sipc__Search__Attribute a[2], *ap[2];
    m.query = bin(qq->text ? qq->text : "");
    for (size_t k = 0; k < 2 && qq->filters[2 * k]; k++) {
        sipc__search__attribute__init(&a[k]);
        a[k].key = bin(qq->filters[2 * k]);
        a[k].value = bin(qq->filters[2 * k + 1]);
        ap[k] = &a[k];
        m.n_filters = k + 1;
    }
    m.filters = ap;
    m.since_ms = qq->since;
    m.until_ms = qq->until;
    m.limit = qq->limit;
    m.order = qq->order;
    call(w, i, "search", "query", &m.base, timeout_ms, r);
    if (r->err != 0)
        return NULL;
    Sipc__Search__QueryResponse *resp =
        sipc__search__query_response__unpack(NULL, r->len, r->data);
    assert_non_null(resp);
    dw_result_free(r);
    return resp;
}

static Sipc__Search__QueryResponse *search_ok(world *w, int i, const query *q)
{
    dw_result r;
    Sipc__Search__QueryResponse *resp = search(w, i, q, 5000, &r);
    if (!resp)
        fail_msg("search.query: %s status %d: %s", sipc_err_name(r.err), r.status, r.message);
    return resp;
}

static int is(const ProtobufCBinaryData *b, const char *s)
{
    return b->len == strlen(s) && (!b->len || !memcmp(b->data, s, b->len));
}

/* The hits' ids, space-separated, in order. */
static const char *ids(const Sipc__Search__QueryResponse *r)
{
    static char buf[512];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->n_hits; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%.*s", i ? " " : "",
                              (int)r->hits[i]->id.len, (const char *)r->hits[i]->id.data);
    return buf;
}

static const Sipc__Search__MissingNode *missing(const Sipc__Search__QueryResponse *r,
                                                const char *address)
{
    for (size_t i = 0; i < r->n_nodes_missing; i++)
        if (is(&r->nodes_missing[i]->address, address))
            return r->nodes_missing[i];
    return NULL;
}

/* Records on each node: ts 1000 * k; "checkout" in five of them. */
static void put_records(world *w)
{
    trec t[8];
    Sipc__Data__Record *n1[] = {
        mk(&t[0], "a1", 1000, "checkout failed: card declined", "browser", "firefox", NULL),
        mk(&t[1], "a2", 4000, "login ok", "browser", "chrome", NULL),
    };
    put(w, 0, n1, 2);
    Sipc__Data__Record *n2[] = {
        mk(&t[2], "b1", 2000, "checkout ok\nsecond line", "browser", "chrome", NULL),
        mk(&t[3], "b2", 5000, "checkout failed checkout failed checkout", "browser", "firefox",
           "tag", "x", "tag", "y", NULL),
    };
    put(w, 1, n2, 2);
    Sipc__Data__Record *n3[] = {
        mk(&t[4], "c1", 3000, "checkout slow", "browser", "firefox", NULL),
        mk(&t[5], "c2", 6000, "logout", "browser", "safari", NULL),
        mk(&t[6], "c3", 7000, "checkout retried", "browser", "firefox", NULL),
    };
    put(w, 2, n3, 3);
}

/* ------------------------------------------------------------- tests */

static void fan_out(sipc_tls_mode mode)
{
    world *w = world_new(mode);
    put_records(w);
    /* any node finds every node's records, newest first */
    for (int i = 0; i < NODES; i++) {
        query q = {.text = "checkout"};
        Sipc__Search__QueryResponse *r = search_ok(w, i, &q);
        assert_string_equal(ids(r), "c3 b2 c1 b1 a1");
        assert_false(r->partial);
        assert_int_equal(r->n_nodes_answered, 3);
        assert_int_equal(r->n_nodes_missing, 0);
        assert_false(r->more);
        /* each hit says where it lives, with its attributes and body */
        assert_true(is(&r->hits[0]->node, "n3"));
        assert_true(is(&r->hits[1]->node, "n2"));
        assert_true(is(&r->hits[4]->node, "n1"));
        assert_int_equal(r->hits[1]->timestamp_ms, 5000);
        assert_true(is(&r->hits[1]->body, "checkout failed checkout failed checkout"));
        assert_int_equal(r->hits[1]->body_size, r->hits[1]->body.len);
        assert_int_equal(r->hits[1]->n_attributes, 3);
        assert_true(is(&r->hits[1]->attributes[1]->key, "tag"));
        assert_true(is(&r->hits[1]->attributes[2]->value, "y"));
        assert_true(r->hits[0]->rank < 0.0);
        sipc__search__query_response__free_unpacked(r, NULL);
    }
    /* attribute filters; every record without a query */
    query qf = {.text = "checkout", .filters = {"browser", "firefox"}};
    Sipc__Search__QueryResponse *r = search_ok(w, 1, &qf);
    assert_string_equal(ids(r), "c3 b2 c1 a1");
    sipc__search__query_response__free_unpacked(r, NULL);
    query qf2 = {.filters = {"browser", "firefox", "tag", "y"}};
    r = search_ok(w, 2, &qf2);
    assert_string_equal(ids(r), "b2");
    sipc__search__query_response__free_unpacked(r, NULL);
    query all = {.text = ""};
    r = search_ok(w, 0, &all);
    assert_string_equal(ids(r), "c3 c2 b2 a2 c1 b1 a1");
    sipc__search__query_response__free_unpacked(r, NULL);
    /* time range: since inclusive, until exclusive */
    query qt = {.text = "checkout", .since = 2000, .until = 5000};
    r = search_ok(w, 0, &qt);
    assert_string_equal(ids(r), "c1 b1");
    sipc__search__query_response__free_unpacked(r, NULL);
    /* limit over the merged hits, with more */
    query ql = {.text = "checkout", .limit = 2};
    r = search_ok(w, 2, &ql);
    assert_string_equal(ids(r), "c3 b2");
    assert_true(r->more);
    assert_false(r->truncated);
    sipc__search__query_response__free_unpacked(r, NULL);
    /* rank: b2 says it three times; ranks ascend */
    query qr = {.text = "checkout", .order = SIPC__SEARCH__ORDER__RANK};
    r = search_ok(w, 0, &qr);
    assert_int_equal(r->n_hits, 5);
    assert_true(is(&r->hits[0]->id, "b2"));
    for (size_t i = 1; i < r->n_hits; i++)
        assert_true(r->hits[i - 1]->rank <= r->hits[i]->rank);
    sipc__search__query_response__free_unpacked(r, NULL);
    /* search.local is this node's part only */
    Sipc__Search__QueryRequest m = SIPC__SEARCH__QUERY_REQUEST__INIT;
    m.query = bin("checkout");
    dw_result dr;
    call(w, 1, "search", "local", &m.base, 5000, &dr);
    assert_int_equal(dr.err, 0);
    r = sipc__search__query_response__unpack(NULL, dr.len, dr.data);
    assert_non_null(r);
    assert_string_equal(ids(r), "b2 b1");
    assert_int_equal(r->n_nodes_answered, 1);
    assert_true(is(&r->nodes_answered[0], "n2"));
    sipc__search__query_response__free_unpacked(r, NULL);
    dw_result_free(&dr);
    world_free(w);
}

static void t_fan_out_plain(void **state)
{
    (void)state;
    fan_out(SIPC_TLS_OFF);
}

static void t_fan_out_tls(void **state)
{
    (void)state;
    fan_out(SIPC_TLS_STRICT);
}

/* A stopped node: the answer comes within the deadline, partial, with the
 * other nodes' hits, naming the node (its id from earlier hellos) and why. */
static void t_node_stopped(void **state)
{
    (void)state;
    world *w = world_new(SIPC_TLS_STRICT);
    put_records(w);
    query q = {.text = "checkout"};
    Sipc__Search__QueryResponse *r = search_ok(w, 0, &q); /* every link up once */
    sipc__search__query_response__free_unpacked(r, NULL);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", w->n[2].port);
    node_stop(w, 2);
    dw_result dr;
    uv_update_time(&w->loop);
    uint64_t t0 = uv_now(&w->loop);
    r = search(w, 0, &q, 3000, &dr);
    uv_update_time(&w->loop);
    assert_non_null(r);
    assert_true(uv_now(&w->loop) - t0 < 3000);
    assert_true(r->partial);
    assert_string_equal(ids(r), "b2 b1 a1");
    assert_int_equal(r->n_nodes_answered, 2);
    assert_int_equal(r->n_nodes_missing, 1);
    const Sipc__Search__MissingNode *m = missing(r, addr);
    assert_non_null(m);
    assert_true(is(&m->node, "n3"));
    char reason[400];
    snprintf(reason, sizeof reason, "%.*s", (int)m->reason.len, (const char *)m->reason.data);
    if (!strstr(reason, "connection refused"))
        fail_msg("reason: %s", reason);
    assert_int_not_equal(m->error, 0);
    sipc__search__query_response__free_unpacked(r, NULL);
    world_free(w);
}

/* A fourth node with another certificate: the handshake fails, and the
 * reason carries the transport's detail. A fifth that never answers:
 * "timed out", and the whole answer still comes before the caller's
 * deadline. */
static void t_tls_failure_and_silence(void **state)
{
    (void)state;
    world *w = world_alloc(SIPC_TLS_STRICT);
    node_listen(w, 0, g_pem, 0);
    node_listen(w, 1, g_pem, 0);
    node_listen(w, 2, g_other_pem, 0);
    node_listen(w, 3, g_pem, 1);
    node_search(w, 0, NULL);
    node_search(w, 1, NULL);
    client_start(w);
    trec t;
    Sipc__Data__Record *rec[] = {mk(&t, "a1", 1000, "checkout", NULL)};
    put(w, 0, rec, 1);
    query q = {.text = "checkout"};
    dw_result dr;
    uv_update_time(&w->loop);
    uint64_t t0 = uv_now(&w->loop);
    Sipc__Search__QueryResponse *r = search(w, 0, &q, 2000, &dr);
    uv_update_time(&w->loop);
    if (!r)
        fail_msg("search.query: %s: %s", sipc_err_name(dr.err), dr.message);
    uint64_t took = uv_now(&w->loop) - t0;
    assert_true(took < 2000);
    assert_true(took >= 1500); /* waited for the silent node, less the margin */
    assert_true(r->partial);
    assert_string_equal(ids(r), "a1");
    assert_int_equal(r->n_nodes_answered, 2); /* n1 and n2 (which holds nothing) */
    assert_int_equal(r->n_nodes_missing, 2);
    char addr[64], reason[400];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", w->n[2].port);
    const Sipc__Search__MissingNode *m = missing(r, addr);
    assert_non_null(m);
    assert_int_equal(m->node.len, 0); /* never said hello */
    snprintf(reason, sizeof reason, "%.*s", (int)m->reason.len, (const char *)m->reason.data);
    if (!strstr(reason, "certificate"))
        fail_msg("TLS reason: %s", reason);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", w->n[3].port);
    m = missing(r, addr);
    assert_non_null(m);
    assert_true(is(&m->node, "n4"));
    snprintf(reason, sizeof reason, "%.*s", (int)m->reason.len, (const char *)m->reason.data);
    if (!strstr(reason, "timed out after"))
        fail_msg("silent reason: %s", reason);
    assert_int_equal(m->error, SIPC_ETIMEDOUT);
    sipc__search__query_response__free_unpacked(r, NULL);
    world_free(w);
}

static void expect_status(dw_result *r, int status, const char *needle)
{
    if (r->err != SIPC_EREMOTE || r->status != status || !strstr(r->message, needle))
        fail_msg("expected %s '%s', got %s status %d '%s'", sipc_search_status_name(status),
                 needle, sipc_err_name(r->err), r->status, r->message);
    dw_result_free(r);
}

/* Bad queries: a clear status and reason; the node keeps serving. */
static void t_bad_queries(void **state)
{
    (void)state;
    world *w = world_new(SIPC_TLS_OFF);
    put_records(w);
    dw_result r;
    query bad = {.text = "checkout AND ("};
    assert_null(search(w, 0, &bad, 5000, &r));
    expect_status(&r, SIPC_SEARCH_BAD_QUERY, "syntax error");
    query col = {.text = "nosuchcolumn:x"};
    assert_null(search(w, 1, &col, 5000, &r));
    expect_status(&r, SIPC_SEARCH_BAD_QUERY, "bad query");
    query big = {.text = "x", .limit = 1001};
    assert_null(search(w, 0, &big, 5000, &r));
    expect_status(&r, SIPC_SEARCH_TOO_LARGE, "limit 1001 exceeds the maximum of 1000");
    query range = {.since = 5000, .until = 4000};
    assert_null(search(w, 0, &range, 5000, &r));
    expect_status(&r, SIPC_SEARCH_BAD_QUERY, "to_ms");
    query order = {.order = (Sipc__Search__Order)9};
    assert_null(search(w, 0, &order, 5000, &r));
    expect_status(&r, SIPC_SEARCH_BAD_QUERY, "unknown order");
    query empty_key = {.filters = {"", "v"}};
    assert_null(search(w, 0, &empty_key, 5000, &r));
    expect_status(&r, SIPC_SEARCH_BAD_QUERY, "empty key");
    query utf8 = {.text = "caf\xc3"};
    assert_null(search(w, 0, &utf8, 5000, &r));
    expect_status(&r, SIPC_SEARCH_BAD_QUERY, "UTF-8");
    static char longq[5000];
    memset(longq, 'a', sizeof longq - 1);
    query lq = {.text = longq};
    assert_null(search(w, 0, &lq, 5000, &r));
    expect_status(&r, SIPC_SEARCH_TOO_LARGE, "query of 4999 bytes");
    memset(&r, 0, sizeof r);
    assert_int_equal(
        sipc_call(chan(w, 0), "search", "query", "\xff\xff\xff", 3, 5000, dw_on_result, &r), 0);
    assert_true(tu_run_until(&w->loop, &r.done, 10000));
    expect_status(&r, SIPC_SEARCH_BAD_REQUEST, "QueryRequest");
    /* still up, still right */
    query good = {.text = "checkout"};
    Sipc__Search__QueryResponse *resp = search_ok(w, 0, &good);
    assert_string_equal(ids(resp), "c3 b2 c1 b1 a1");
    sipc__search__query_response__free_unpacked(resp, NULL);
    world_free(w);
}

/* Caps and bounds: queries in flight beyond max_queries get BUSY; bodies
 * are cut at max_hit_body with the stored size; a byte budget smaller than
 * the hits cuts the merged answer and says so. Then closing with a query in
 * flight answers it exactly once (CLOSING) and the close completes. */
static void t_bounds_and_close(void **state)
{
    (void)state;
    world *w = world_alloc(SIPC_TLS_OFF);
    node_listen(w, 0, g_pem, 0);
    node_listen(w, 1, g_pem, 0);
    node_listen(w, 2, g_pem, 1); /* silent: keeps queries in flight */
    sipc_search_options so;
    sipc_search_options_init(&so);
    so.max_queries = 1;
    so.max_hit_body = 30000;
    so.max_answer = 30000 + 64 * 1024; /* three cut hits fit, not four */
    node_search(w, 0, &so);
    node_search(w, 1, &so);
    client_start(w);
    static char body[40000];
    memset(body, 'z', sizeof body - 1);
    memcpy(body, "big ", 4);
    trec t[4];
    Sipc__Data__Record *r1[] = {mk(&t[0], "a1", 1000, body, NULL), mk(&t[1], "a2", 900, body, NULL)};
    put(w, 0, r1, 2);
    Sipc__Data__Record *r2[] = {mk(&t[2], "b1", 950, body, NULL), mk(&t[3], "b2", 800, body, NULL)};
    put(w, 1, r2, 2);

    /* one query held by the silent node; a second one is refused */
    Sipc__Search__QueryRequest m = SIPC__SEARCH__QUERY_REQUEST__INIT;
    m.query = bin("big");
    size_t n = sipc__search__query_request__get_packed_size(&m);
    uint8_t buf[64];
    sipc__search__query_request__pack(&m, buf);
    dw_result first, second;
    memset(&first, 0, sizeof first);
    memset(&second, 0, sizeof second);
    assert_int_equal(sipc_call(chan(w, 0), "search", "query", buf, n, 3000, dw_on_result, &first),
                     0);
    while (w->n[2].nheld == 0)
        assert_true(uv_run(&w->loop, UV_RUN_ONCE));
    assert_int_equal(sipc_call(chan(w, 0), "search", "query", buf, n, 3000, dw_on_result, &second),
                     0);
    assert_true(tu_run_until(&w->loop, &second.done, 5000));
    expect_status(&second, SIPC_SEARCH_BUSY, "too many queries");
    /* the first comes back partial at its deadline, its bodies cut, and
     * its hits cut by the byte budget: a1 b1 a2 fit, then no more */
    assert_true(tu_run_until(&w->loop, &first.done, 5000));
    assert_int_equal(first.err, 0);
    Sipc__Search__QueryResponse *r = sipc__search__query_response__unpack(NULL, first.len, first.data);
    assert_non_null(r);
    assert_true(r->partial);
    assert_string_equal(ids(r), "a1 b1 a2");
    assert_true(r->more);
    assert_true(r->truncated);
    assert_int_equal(r->hits[0]->body.len, 30000);
    assert_int_equal(r->hits[0]->body_size, sizeof body - 1);
    sipc__search__query_response__free_unpacked(r, NULL);
    dw_result_free(&first);

    /* closing with a query in flight: answered once, with CLOSING */
    memset(&first, 0, sizeof first);
    int held = w->n[2].nheld;
    assert_int_equal(sipc_call(chan(w, 0), "search", "query", buf, n, 5000, dw_on_result, &first),
                     0);
    while (w->n[2].nheld == held)
        assert_true(uv_run(&w->loop, UV_RUN_ONCE));
    int closed = 0;
    sipc_search_close(w->n[0].s, on_flag, &closed);
    w->n[0].s = NULL;
    assert_true(tu_run_until(&w->loop, &first.done, 5000));
    expect_status(&first, SIPC_SEARCH_CLOSING, "shutting down");
    assert_true(tu_run_until(&w->loop, &closed, 5000));
    /* its handlers stay on the router: sipcd frees the router after */
    world_free(w);
}

int main(void)
{
    char *certs = tu_mkdtemp("searchcerts");
    if (!certs || tu_make_pair(certs, "node", "ec", 30, NULL, "sipc search test") != 0 ||
        tu_make_pair(certs, "other", "ec", 30, NULL, "sipc other cluster") != 0) {
        fprintf(stderr, "cannot generate test certificates with openssl\n");
        return 1;
    }
    snprintf(g_pem, sizeof g_pem, "%s/node.pem", certs);
    snprintf(g_other_pem, sizeof g_other_pem, "%s/other.pem", certs);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_fan_out_plain),
        cmocka_unit_test(t_fan_out_tls),
        cmocka_unit_test(t_node_stopped),
        cmocka_unit_test(t_tls_failure_and_silence),
        cmocka_unit_test(t_bad_queries),
        cmocka_unit_test(t_bounds_and_close),
    };
    int rc = cmocka_run_group_tests_name("search_service", tests, NULL, NULL);
    tu_rmdir(certs);
    free(certs);
    return rc;
}
