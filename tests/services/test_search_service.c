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

#include "pb_budget.h"
#include "search_test_support.h"

static char g_pem[512], g_other_pem[512];

/* ------------------------------------------------------------- tests */

static void fan_out(sipc_tls_mode mode)
{
    sw_world *w = sw_new(mode, g_pem);
    sw_put_records(w);
    /* any node finds every node's records, newest first */
    for (int i = 0; i < NODES; i++) {
        sw_query q = {.text = "checkout"};
        Sipc__Search__QueryResponse *r = sw_search_ok(w, i, &q);
        assert_string_equal(sw_ids(r), "c3 b2 c1 b1 a1");
        assert_false(r->partial);
        assert_int_equal(r->n_nodes_answered, 3);
        assert_int_equal(r->n_nodes_missing, 0);
        assert_false(r->more);
        /* each hit says where it lives, with its attributes and body */
        assert_true(sw_is(&r->hits[0]->node, "n3"));
        assert_true(sw_is(&r->hits[1]->node, "n2"));
        assert_true(sw_is(&r->hits[4]->node, "n1"));
        assert_int_equal(r->hits[1]->timestamp_ms, 5000);
        assert_true(sw_is(&r->hits[1]->body, "checkout failed checkout failed checkout"));
        assert_int_equal(r->hits[1]->body_size, r->hits[1]->body.len);
        assert_int_equal(r->hits[1]->n_attributes, 3);
        assert_true(sw_is(&r->hits[1]->attributes[1]->key, "tag"));
        assert_true(sw_is(&r->hits[1]->attributes[2]->value, "y"));
        assert_true(r->hits[0]->rank == 0.0); /* newest first: not ranked */
        sipc__search__query_response__free_unpacked(r, NULL);
    }
    /* attribute filters; every record without a query */
    sw_query qf = {.text = "checkout", .filters = {"browser", "firefox"}};
    Sipc__Search__QueryResponse *r = sw_search_ok(w, 1, &qf);
    assert_string_equal(sw_ids(r), "c3 b2 c1 a1");
    sipc__search__query_response__free_unpacked(r, NULL);
    sw_query qf2 = {.filters = {"browser", "firefox", "tag", "y"}};
    r = sw_search_ok(w, 2, &qf2);
    assert_string_equal(sw_ids(r), "b2");
    sipc__search__query_response__free_unpacked(r, NULL);
    sw_query all = {.text = ""};
    r = sw_search_ok(w, 0, &all);
    assert_string_equal(sw_ids(r), "c3 c2 b2 a2 c1 b1 a1");
    sipc__search__query_response__free_unpacked(r, NULL);
    /* time range: since inclusive, until exclusive */
    sw_query qt = {.text = "checkout", .since = 2000, .until = 5000};
    r = sw_search_ok(w, 0, &qt);
    assert_string_equal(sw_ids(r), "c1 b1");
    sipc__search__query_response__free_unpacked(r, NULL);
    /* limit over the merged hits, with more */
    sw_query ql = {.text = "checkout", .limit = 2};
    r = sw_search_ok(w, 2, &ql);
    assert_string_equal(sw_ids(r), "c3 b2");
    assert_true(r->more);
    assert_false(r->truncated);
    sipc__search__query_response__free_unpacked(r, NULL);
    /* rank: b2 says it three times; ranks ascend */
    sw_query qr = {.text = "checkout", .order = SIPC__SEARCH__ORDER__RANK};
    r = sw_search_ok(w, 0, &qr);
    assert_int_equal(r->n_hits, 5);
    assert_true(sw_is(&r->hits[0]->id, "b2"));
    for (size_t i = 1; i < r->n_hits; i++)
        assert_true(r->hits[i - 1]->rank <= r->hits[i]->rank);
    sipc__search__query_response__free_unpacked(r, NULL);
    /* search.local is this node's part only */
    Sipc__Search__QueryRequest m = SIPC__SEARCH__QUERY_REQUEST__INIT;
    m.query = bin("checkout");
    dw_result dr;
    sw_call(w, 1, "search", "local", &m.base, 5000, &dr);
    assert_int_equal(dr.err, 0);
    r = sipc__search__query_response__unpack(NULL, dr.len, dr.data);
    assert_non_null(r);
    assert_string_equal(sw_ids(r), "b2 b1");
    assert_int_equal(r->n_nodes_answered, 1);
    assert_true(sw_is(&r->nodes_answered[0], "n2"));
    sipc__search__query_response__free_unpacked(r, NULL);
    dw_result_free(&dr);
    sw_free(w);
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
    sw_world *w = sw_new(SIPC_TLS_STRICT, g_pem);
    sw_put_records(w);
    sw_query q = {.text = "checkout"};
    Sipc__Search__QueryResponse *r = sw_search_ok(w, 0, &q); /* every link up once */
    sipc__search__query_response__free_unpacked(r, NULL);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", w->n[2].port);
    sw_stop(w, 2);
    dw_result dr;
    uv_update_time(&w->loop);
    uint64_t t0 = uv_now(&w->loop);
    r = sw_search(w, 0, &q, 3000, &dr);
    uv_update_time(&w->loop);
    assert_non_null(r);
    assert_true(uv_now(&w->loop) - t0 < 3000);
    assert_true(r->partial);
    assert_string_equal(sw_ids(r), "b2 b1 a1");
    assert_int_equal(r->n_nodes_answered, 2);
    assert_int_equal(r->n_nodes_missing, 1);
    const Sipc__Search__MissingNode *m = sw_missing(r, addr);
    assert_non_null(m);
    assert_true(sw_is(&m->node, "n3"));
    char reason[400];
    snprintf(reason, sizeof reason, "%.*s", (int)m->reason.len, (const char *)m->reason.data);
    if (!strstr(reason, "connection refused"))
        fail_msg("reason: %s", reason);
    assert_int_not_equal(m->error, 0);
    sipc__search__query_response__free_unpacked(r, NULL);
    sw_free(w);
}

/* Two nodes with one id (the host name when [node] id is not set): with
 * others_only, the one that is not this node is listed missing, never
 * taken for this node (its records silently left out). */
static void t_same_node_id(void **state)
{
    (void)state;
    sw_world *w = sw_alloc(SIPC_TLS_OFF, g_pem);
    snprintf(w->n[2].id, sizeof w->n[2].id, "n1");
    for (int i = 0; i < NODES; i++)
        sw_listen(w, i, g_pem, 0);
    sipc_search_options o;
    sipc_search_options_init(&o);
    o.others_only = 1;
    for (int i = 0; i < NODES; i++)
        sw_search_start(w, i, &o);
    sw_client(w);
    sw_put_records(w);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", w->n[2].port);
    sw_query q = {.text = "checkout"};
    /* twice: before n3's hello came (its answer names n1) and after it */
    for (int k = 0; k < 2; k++) {
        dw_result dr;
        Sipc__Search__QueryResponse *r = sw_search(w, 0, &q, 3000, &dr);
        assert_non_null(r);
        assert_true(r->partial);
        assert_string_equal(sw_ids(r), "b2 b1 a1");
        const Sipc__Search__MissingNode *m = sw_missing(r, addr);
        assert_non_null(m);
        char reason[400];
        snprintf(reason, sizeof reason, "%.*s", (int)m->reason.len, (const char *)m->reason.data);
        if (!strstr(reason, "it names itself n1, this node's id: node ids must be unique"))
            fail_msg("reason: %s", reason);
        sipc__search__query_response__free_unpacked(r, NULL);
    }
    assert_true(tu_log_has(&w->log, "announces this node's id n1: node ids must be unique"));
    sw_free(w);
}

/* Two peers with one id, asked by a third node: the second to answer is
 * not merged (its hits would carry the other's name, and the answer would
 * count one node twice) but listed missing, saying why. */
static void t_two_peers_one_id(void **state)
{
    (void)state;
    sw_world *w = sw_alloc(SIPC_TLS_OFF, g_pem);
    snprintf(w->n[2].id, sizeof w->n[2].id, "n2");
    for (int i = 0; i < NODES; i++)
        sw_listen(w, i, g_pem, 0);
    for (int i = 0; i < NODES; i++)
        sw_search_start(w, i, NULL);
    sw_client(w);
    sw_put_records(w);
    sw_query q = {.text = "checkout"};
    dw_result dr;
    Sipc__Search__QueryResponse *r = sw_search(w, 0, &q, 3000, &dr);
    assert_non_null(r);
    assert_true(r->partial);
    assert_int_equal(r->n_nodes_answered, 2);
    assert_int_equal(r->n_nodes_missing, 1);
    char reason[400];
    snprintf(reason, sizeof reason, "%.*s", (int)r->nodes_missing[0]->reason.len,
             (const char *)r->nodes_missing[0]->reason.data);
    if (!strstr(reason, "it names itself n2, as another node that answered does: node ids "
                        "must be unique"))
        fail_msg("reason: %s", reason);
    /* one of the two nodes' records, never both under one name */
    const char *ids = sw_ids(r);
    if (strcmp(ids, "b2 b1 a1") && strcmp(ids, "c3 c1 a1"))
        fail_msg("hits: %s", ids);
    sipc__search__query_response__free_unpacked(r, NULL);
    sw_free(w);
}

/* A fourth node with another certificate: the handshake fails, and the
 * reason carries the transport's detail. A fifth that never answers:
 * "timed out", and the whole answer still comes before the caller's
 * deadline. */
static void t_tls_failure_and_silence(void **state)
{
    (void)state;
    sw_world *w = sw_alloc(SIPC_TLS_STRICT, g_pem);
    sw_listen(w, 0, g_pem, 0);
    sw_listen(w, 1, g_pem, 0);
    sw_listen(w, 2, g_other_pem, 0);
    sw_listen(w, 3, g_pem, 1);
    sw_search_start(w, 0, NULL);
    sw_search_start(w, 1, NULL);
    sw_client(w);
    trec t;
    Sipc__Data__Record *rec[] = {mk(&t, "a1", 1000, "checkout", NULL)};
    sw_put(w, 0, rec, 1);
    sw_query q = {.text = "checkout"};
    dw_result dr;
    uv_update_time(&w->loop);
    uint64_t t0 = uv_now(&w->loop);
    Sipc__Search__QueryResponse *r = sw_search(w, 0, &q, 2000, &dr);
    uv_update_time(&w->loop);
    if (!r)
        fail_msg("search.query: %s: %s", sipc_err_name(dr.err), dr.message);
    uint64_t took = uv_now(&w->loop) - t0;
    assert_true(took < 2000);
    assert_true(took >= 1500); /* waited for the silent node, less the margin */
    assert_true(r->partial);
    assert_string_equal(sw_ids(r), "a1");
    assert_int_equal(r->n_nodes_answered, 2); /* n1 and n2 (which holds nothing) */
    assert_int_equal(r->n_nodes_missing, 2);
    char addr[64], reason[400];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", w->n[2].port);
    const Sipc__Search__MissingNode *m = sw_missing(r, addr);
    assert_non_null(m);
    assert_int_equal(m->node.len, 0); /* never said hello */
    snprintf(reason, sizeof reason, "%.*s", (int)m->reason.len, (const char *)m->reason.data);
    if (!strstr(reason, "certificate"))
        fail_msg("TLS reason: %s", reason);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", w->n[3].port);
    m = sw_missing(r, addr);
    assert_non_null(m);
    assert_true(sw_is(&m->node, "n4"));
    snprintf(reason, sizeof reason, "%.*s", (int)m->reason.len, (const char *)m->reason.data);
    if (!strstr(reason, "timed out after"))
        fail_msg("silent reason: %s", reason);
    assert_int_equal(m->error, SIPC_ETIMEDOUT);
    sipc__search__query_response__free_unpacked(r, NULL);
    sw_free(w);
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
    sw_world *w = sw_new(SIPC_TLS_OFF, g_pem);
    sw_put_records(w);
    dw_result r;
    sw_query bad = {.text = "checkout AND ("};
    assert_null(sw_search(w, 0, &bad, 5000, &r));
    expect_status(&r, SIPC_SEARCH_BAD_QUERY, "syntax error");
    sw_query col = {.text = "nosuchcolumn:x"};
    assert_null(sw_search(w, 1, &col, 5000, &r));
    expect_status(&r, SIPC_SEARCH_BAD_QUERY, "bad query");
    sw_query big = {.text = "x", .limit = 1001};
    assert_null(sw_search(w, 0, &big, 5000, &r));
    expect_status(&r, SIPC_SEARCH_TOO_LARGE, "limit 1001 exceeds the maximum of 1000");
    sw_query range = {.since = 5000, .until = 4000};
    assert_null(sw_search(w, 0, &range, 5000, &r));
    /* named as the search request names them, not as the data layer does */
    expect_status(&r, SIPC_SEARCH_BAD_QUERY, "until_ms 4000 is not after since_ms 5000");
    sw_query before = {.since = -1};
    assert_null(sw_search(w, 0, &before, 5000, &r));
    expect_status(&r, SIPC_SEARCH_BAD_QUERY, "since_ms -1 is outside 0..");
    sw_query order = {.order = (Sipc__Search__Order)9};
    assert_null(sw_search(w, 0, &order, 5000, &r));
    expect_status(&r, SIPC_SEARCH_BAD_QUERY, "unknown order");
    sw_query empty_key = {.filters = {"", "v"}};
    assert_null(sw_search(w, 0, &empty_key, 5000, &r));
    expect_status(&r, SIPC_SEARCH_BAD_QUERY, "empty key");
    sw_query utf8 = {.text = "caf\xc3"};
    assert_null(sw_search(w, 0, &utf8, 5000, &r));
    expect_status(&r, SIPC_SEARCH_BAD_QUERY, "UTF-8");
    static char longq[5000];
    memset(longq, 'a', sizeof longq - 1);
    sw_query lq = {.text = longq};
    assert_null(sw_search(w, 0, &lq, 5000, &r));
    expect_status(&r, SIPC_SEARCH_TOO_LARGE, "query of 4999 bytes");
    memset(&r, 0, sizeof r);
    assert_int_equal(
        sipc_call(sw_chan(w, 0), "search", "query", "\xff\xff\xff", 3, 5000, dw_on_result, &r), 0);
    assert_true(tu_run_until(&w->loop, &r.done, 10000));
    expect_status(&r, SIPC_SEARCH_BAD_REQUEST, "QueryRequest");
    /* still up, still right */
    sw_query good = {.text = "checkout"};
    Sipc__Search__QueryResponse *resp = sw_search_ok(w, 0, &good);
    assert_string_equal(sw_ids(resp), "c3 b2 c1 b1 a1");
    sipc__search__query_response__free_unpacked(resp, NULL);
    sw_free(w);
}

/* A query that would decode to many times its bytes (a million unknown
 * fields; a million empty filters) is TOO_LARGE naming its budget, having
 * held no more while decoding, and reaches no peer. Peers get the query this
 * node checked, re-encoded, never the caller's bytes: fields it does not
 * know never reach them, and the limit is the one it resolved. The most
 * filters the limits allow pass. */
static void t_decode_budget(void **state)
{
    (void)state;
    sw_world *w = sw_alloc(SIPC_TLS_OFF, g_pem);
    sw_listen(w, 0, g_pem, 0);
    sw_listen(w, 1, g_pem, 1); /* holds the search.local requests it gets */
    sw_search_start(w, 0, NULL);
    sw_client(w);
    static const uint8_t keys[] = {0x78, 0x12}; /* unknown field 15; empty filters */
    for (int k = 0; k < 2; k++) {
        size_t len;
        uint8_t *buf = dw_flood(NULL, keys[k], 1000000, &len);
        dw_result r = {0};
        sipc_pb_unpack_peak(1);
        assert_int_equal(
            sipc_call(sw_chan(w, 0), "search", "query", buf, len, 5000, dw_on_result, &r), 0);
        assert_true(tu_run_until(&w->loop, &r.done, 10000));
        expect_status(&r, SIPC_SEARCH_TOO_LARGE, "decodes to more than its budget");
        assert_true(sipc_pb_unpack_peak(0) <= sipc_pb_budget(len, 64));
        free(buf);
    }
    assert_int_equal(w->n[1].nheld, 0);
    Sipc__Search__QueryRequest m = SIPC__SEARCH__QUERY_REQUEST__INIT;
    Sipc__Search__Attribute fa[64], *fp[64];
    for (int k = 0; k < 64; k++) {
        sipc__search__attribute__init(&fa[k]);
        fa[k].key = bin("k");
        fa[k].value = bin("v");
        fp[k] = &fa[k];
    }
    m.query = bin("checkout");
    m.filters = fp;
    m.n_filters = 64;
    size_t len = sipc__search__query_request__get_packed_size(&m);
    /* then fields 15 (varint) and 16 (bytes), which this node does not know */
    static const uint8_t unknown[] = {0x78, 0x01, 0x78, 0x02, 0x82, 0x01, 0x03, 'a', 'b', 'c'};
    uint8_t *buf = malloc(len + sizeof unknown);
    assert_non_null(buf);
    sipc__search__query_request__pack(&m, buf);
    memcpy(buf + len, unknown, sizeof unknown);
    dw_result r = {0};
    assert_int_equal(sipc_call(sw_chan(w, 0), "search", "query", buf, len + sizeof unknown, 1500,
                               dw_on_result, &r),
                     0);
    assert_true(tu_run_until(&w->loop, &r.done, 5000));
    free(buf);
    if (r.err != 0)
        fail_msg("search.query: %s: %s", sipc_err_name(r.err), r.message);
    Sipc__Search__QueryResponse *resp = sipc__search__query_response__unpack(NULL, r.len, r.data);
    assert_non_null(resp);
    assert_true(resp->partial); /* the silent node timed out */
    sipc__search__query_response__free_unpacked(resp, NULL);
    dw_result_free(&r);
    assert_int_equal(w->n[1].nheld, 1);
    size_t plen;
    const uint8_t *p = sipc_request_data(w->n[1].held[0], &plen);
    Sipc__Search__QueryRequest *got = sipc__search__query_request__unpack(NULL, plen, p);
    assert_non_null(got);
    assert_int_equal(got->base.n_unknown_fields, 0);
    assert_true(sw_is(&got->query, "checkout"));
    assert_int_equal(got->n_filters, 64);
    assert_true(sw_is(&got->filters[63]->key, "k") && sw_is(&got->filters[63]->value, "v"));
    assert_int_equal(got->limit, 100); /* the default this node resolved */
    /* nothing but the fields it knows, each once */
    assert_int_equal(sipc__search__query_request__get_packed_size(got), plen);
    sipc__search__query_request__free_unpacked(got, NULL);
    sw_free(w);
}

/* Caps and bounds: queries in flight beyond max_queries get BUSY; bodies
 * are cut at max_hit_body with the stored size; a byte budget smaller than
 * the hits cuts the merged answer and says so. Then closing with a query in
 * flight answers it exactly once (CLOSING) and the close completes. */
static void t_bounds_and_close(void **state)
{
    (void)state;
    sw_world *w = sw_alloc(SIPC_TLS_OFF, g_pem);
    sw_listen(w, 0, g_pem, 0);
    sw_listen(w, 1, g_pem, 0);
    sw_listen(w, 2, g_pem, 1); /* silent: keeps queries in flight */
    sipc_search_options so;
    sipc_search_options_init(&so);
    so.max_queries = 1;
    so.max_hit_body = 30000;
    so.max_answer = 30000 + 64 * 1024; /* three cut hits fit, not four */
    sw_search_start(w, 0, &so);
    sw_search_start(w, 1, &so);
    sw_client(w);
    static char body[40000];
    memset(body, 'z', sizeof body - 1);
    memcpy(body, "big ", 4);
    trec t[4];
    Sipc__Data__Record *r1[] = {mk(&t[0], "a1", 1000, body, NULL), mk(&t[1], "a2", 900, body, NULL)};
    sw_put(w, 0, r1, 2);
    Sipc__Data__Record *r2[] = {mk(&t[2], "b1", 950, body, NULL), mk(&t[3], "b2", 800, body, NULL)};
    sw_put(w, 1, r2, 2);

    /* one query held by the silent node; a second one is refused */
    Sipc__Search__QueryRequest m = SIPC__SEARCH__QUERY_REQUEST__INIT;
    m.query = bin("big");
    size_t n = sipc__search__query_request__get_packed_size(&m);
    uint8_t buf[64];
    sipc__search__query_request__pack(&m, buf);
    dw_result first, second;
    memset(&first, 0, sizeof first);
    memset(&second, 0, sizeof second);
    assert_int_equal(sipc_call(sw_chan(w, 0), "search", "query", buf, n, 3000, dw_on_result, &first),
                     0);
    while (w->n[2].nheld == 0)
        assert_true(uv_run(&w->loop, UV_RUN_ONCE));
    assert_int_equal(sipc_call(sw_chan(w, 0), "search", "query", buf, n, 3000, dw_on_result, &second),
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
    assert_string_equal(sw_ids(r), "a1 b1 a2");
    assert_true(r->more);
    assert_true(r->truncated);
    assert_int_equal(r->hits[0]->body.len, 30000);
    assert_int_equal(r->hits[0]->body_size, sizeof body - 1);
    sipc__search__query_response__free_unpacked(r, NULL);
    dw_result_free(&first);

    /* n1's own answer cut by its budget (h1 h2 h3 of four): its h4 is
     * unknown, so no hit after h3 is given, small as k2 and k3 are */
    static char huge[40000];
    memset(huge, 'z', sizeof huge - 1);
    memcpy(huge, "huge ", 5);
    trec u[7];
    Sipc__Data__Record *h[] = {mk(&u[0], "h1", 1000, huge, NULL), mk(&u[1], "h2", 900, huge, NULL),
                               mk(&u[2], "h3", 850, huge, NULL), mk(&u[3], "h4", 700, huge, NULL)};
    sw_put(w, 0, h, 4);
    Sipc__Data__Record *k[] = {mk(&u[4], "k1", 950, "huge", NULL), mk(&u[5], "k2", 800, "huge", NULL),
                               mk(&u[6], "k3", 600, "huge", NULL)};
    sw_put(w, 1, k, 3);
    sw_query qh = {.text = "huge"};
    dw_result hr;
    r = sw_search(w, 0, &qh, 1000, &hr);
    assert_non_null(r);
    assert_string_equal(sw_ids(r), "h1 k1 h2 h3");
    assert_true(r->truncated);
    sipc__search__query_response__free_unpacked(r, NULL);

    /* closing with a query in flight: answered once, with CLOSING */
    memset(&first, 0, sizeof first);
    int held = w->n[2].nheld;
    assert_int_equal(sipc_call(sw_chan(w, 0), "search", "query", buf, n, 5000, dw_on_result, &first),
                     0);
    while (w->n[2].nheld == held)
        assert_true(uv_run(&w->loop, UV_RUN_ONCE));
    int closed = 0;
    sipc_search_close(w->n[0].s, sw_on_flag, &closed);
    w->n[0].s = NULL;
    assert_true(tu_run_until(&w->loop, &first.done, 5000));
    expect_status(&first, SIPC_SEARCH_CLOSING, "shutting down");
    assert_true(tu_run_until(&w->loop, &closed, 5000));
    /* s is gone, its listener still up: the router answers CLOSING */
    memset(&second, 0, sizeof second);
    assert_int_equal(sipc_call(sw_chan(w, 0), "search", "query", buf, n, 3000, dw_on_result, &second),
                     0);
    assert_true(tu_run_until(&w->loop, &second.done, 5000));
    expect_status(&second, SIPC_SEARCH_CLOSING, "shutting down");
    sw_free(w);
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
        cmocka_unit_test(t_same_node_id),
        cmocka_unit_test(t_two_peers_one_id),
        cmocka_unit_test(t_tls_failure_and_silence),
        cmocka_unit_test(t_bad_queries),
        cmocka_unit_test(t_decode_budget),
        cmocka_unit_test(t_bounds_and_close),
    };
    int rc = cmocka_run_group_tests_name("search_service", tests, NULL, NULL);
    tu_rmdir(certs);
    free(certs);
    return rc;
}
