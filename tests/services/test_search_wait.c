/* test_search_wait.c - searches that wait for a read slot: one cancelled or
 * past its deadline while it waits is called back then, not when a slot
 * frees; a query whose parts never began says they waited, this node's and
 * a peer's alike (the peer's answer gets back before the coordinator's
 * wait ends); every part stops at max_local_ms, and says so; and the
 * decoding budget counts the data service's configured max_attributes.
 * One data service on 127.1.150.1, with records that make an OR of many
 * words slow; search A there (the coordinator, peer B) and search B on
 * 127.1.150.2 over the same data service, so that every part of a query
 * waits behind the same busy slots. */
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

#define HOST_A "127.1.150.1"
#define HOST_B "127.1.150.2"
enum {
    NRECORDS = 4000,
    HOLDERS = 64,        /* slow searches ahead: every slot busy for ~20 times one */
    MAX_LOCAL_MS = 1500, /* both search services' max_local_ms */
    MAX_ATTRS = 2000,  /* the data service's max_attributes */
};

typedef struct world {
    dw *w; /* data service and search A on HOST_A, a client channel to it */
    sipc_search *sa;
    sipc_security *bsec;
    sipc_ctx *bctx;
    sipc_router *brouter;
    sipc_server *bsrv;
    sipc_search *sb;
    char slower[40000]; /* an OR of 4000 words: slow here */
} world;

static world g;

static dw_sres hold[HOLDERS];

static int setup(void **state)
{
    (void)state;
    sipc_data_options dopts;
    sipc_data_options_init(&dopts);
    dopts.max_attributes = MAX_ATTRS;
    g.w = dw_words_world(HOST_A, &dopts, NRECORDS);
    char *p = g.slower;
    for (int i = 0; i < 4000; i++)
        p += sprintf(p, "%sw%04d", i ? " OR " : "", i);
    char err[512] = "";
    sipc_search_options so;
    sipc_search_options_init(&so);
    so.max_local_ms = MAX_LOCAL_MS;
    /* B first: A's channel to it dials at A's open */
    g.bctx = dw_ctx_beside(g.w, "nb", &g.bsec);
    assert_int_equal(sipc_router_new(&g.brouter), 0);
    so.node_id = "nb";
    if (sipc_search_open(&g.sb, g.bctx, g.w->d, &so, err, sizeof err) != 0)
        fail_msg("search B: %s", err);
    assert_int_equal(sipc_search_register(g.sb, g.brouter), 0);
    assert_int_equal(sipc_server_listen(&g.bsrv, g.bctx, "Search", HOST_B, 0, g.brouter), 0);
    sipc_search_peer peer = {HOST_B, sipc_server_port(g.bsrv)};
    so.node_id = "na";
    so.peers = &peer;
    so.npeers = 1;
    if (sipc_search_open(&g.sa, g.w->sctx, g.w->d, &so, err, sizeof err) != 0)
        fail_msg("search A: %s", err);
    assert_int_equal(sipc_search_register(g.sa, g.w->router), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int ca = 0, cb = 0;
    for (int i = 0; i < HOLDERS; i++) /* a test that failed left them */
        sipc_data_search_cancel(g.w->d, &hold[i]);
    sipc_ctx_close(g.w->cctx, NULL, NULL);
    sipc_ctx_close(g.w->sctx, NULL, NULL);
    sipc_ctx_close(g.bctx, NULL, NULL);
    sipc_search_close(g.sa, dw_set_flag, &ca);
    sipc_search_close(g.sb, dw_set_flag, &cb);
    assert_true(tu_run_until(&g.w->loop, &ca, 10000));
    assert_true(tu_run_until(&g.w->loop, &cb, 10000));
    g.w->cctx = g.w->sctx = NULL;
    dw_world_end(g.w, NULL);
    sipc_router_free(g.brouter);
    sipc_security_release(g.bsec);
    return 0;
}

/* ----------------------------------------------------------- searches */

static void search(uint32_t timeout_ms, dw_sres *r)
{
    sipc_data_query q = {.match = g.slower, .order = SIPC_DATA_ORDER_RANK, .limit = 5,
                         .timeout_ms = timeout_ms};
    char err[300];
    memset(r, 0, sizeof *r);
    assert_int_equal(sipc_data_search(g.w->d, &q, dw_on_search, r, err, sizeof err), 0);
}

/* The slow query's time alone, for the bounds asserted (measured once). */
static uint64_t slow_ms(void)
{
    static uint64_t full;
    if (full)
        return full;
    static dw_sres r;
    uint64_t t0 = dw_now_ms();
    search(0, &r);
    assert_true(tu_run_until(&g.w->loop, &r.done, 30000));
    assert_int_equal(r.err, 0);
    full = r.at_ms - t0;
    assert_true(full >= 200); /* otherwise the slots are not held long enough */
    return full;
}

/* Every read slot busy, and many searches waiting behind them. */
static void hold_slots(void)
{
    for (int i = 0; i < HOLDERS; i++)
        search(0, &hold[i]);
}

static void release_slots(void)
{
    for (int i = 0; i < HOLDERS; i++)
        sipc_data_search_cancel(g.w->d, &hold[i]);
    for (int i = 0; i < HOLDERS; i++) {
        assert_true(tu_run_until(&g.w->loop, &hold[i].done, 30000));
        assert_int_equal(hold[i].done, 1);
    }
}

/* A search cancelled while it waits is called back on the loop's next
 * turn, not when a slot frees, and only once: a slot freed later does not
 * start it again. */
static void t_cancel_while_waiting(void **state)
{
    (void)state;
    uint64_t full = slow_ms();
    hold_slots();
    static dw_sres r;
    search(0, &r);
    assert_true(sipc_data_search_waiting(g.w->d, &r));
    uint64_t t0 = dw_now_ms();
    sipc_data_search_cancel(g.w->d, &r);
    assert_int_equal(r.done, 0); /* not from inside the cancel */
    assert_true(tu_run_until(&g.w->loop, &r.done, 30000));
    assert_int_equal(r.err, SIPC_ECANCELED);
    assert_string_equal(r.message, "search cancelled");
    assert_true(r.at_ms - t0 < full / 2);
    assert_false(sipc_data_search_waiting(g.w->d, &r));
    release_slots();
    assert_int_equal(r.done, 1);
}

/* A search whose deadline passes while it waits is called back at its
 * deadline, saying it never began. */
static void t_deadline_while_waiting(void **state)
{
    (void)state;
    uint64_t full = slow_ms();
    hold_slots();
    static dw_sres r;
    uint64_t t0 = dw_now_ms();
    search(50, &r);
    assert_true(tu_run_until(&g.w->loop, &r.done, 30000));
    assert_int_equal(r.err, SIPC_ETIMEDOUT);
    if (!strstr(r.message, "deadline (50 ms) " SIPC_DATA_SEARCH_WAITED))
        fail_msg("%s", r.message);
    assert_true(r.at_ms - t0 < 50 + full / 2);
    release_slots();
    assert_int_equal(r.done, 1);
}

/* ------------------------------------------------------------- queries */

static Sipc__Search__QueryResponse *query(const Sipc__Search__QueryRequest *m,
                                          uint32_t timeout_ms, dw_result *r)
{
    size_t n = sipc__search__query_request__get_packed_size(m);
    uint8_t *buf = malloc(n + 1);
    assert_non_null(buf);
    sipc__search__query_request__pack(m, buf);
    memset(r, 0, sizeof *r);
    assert_int_equal(sipc_call(g.w->ch, "search", "query", buf, n, timeout_ms, dw_on_result, r),
                     0);
    free(buf);
    assert_true(tu_run_until(&g.w->loop, &r->done, 30000));
    if (r->err != 0)
        return NULL;
    Sipc__Search__QueryResponse *a = sipc__search__query_response__unpack(NULL, r->len, r->data);
    assert_non_null(a);
    return a;
}

static Sipc__Search__QueryResponse *held_query(uint32_t timeout_ms, dw_result *r)
{
    Sipc__Search__QueryRequest m = SIPC__SEARCH__QUERY_REQUEST__INIT;
    m.query = bin("w0001"); /* quick, but behind the slots' holders */
    m.order = SIPC__SEARCH__ORDER__RANK;
    m.limit = 5;
    Sipc__Search__QueryResponse *a = query(&m, timeout_ms, r);
    if (!a)
        fail_msg("query: %s status %d: %s", sipc_err_name(r->err), r->status, r->message);
    return a;
}

/* The reason node is missing for, asserting it is. */
static const char *missing_reason(const Sipc__Search__QueryResponse *a, const char *node)
{
    static char why[600];
    for (size_t i = 0; i < a->n_nodes_missing; i++) {
        const Sipc__Search__MissingNode *m = a->nodes_missing[i];
        if (m->node.len == strlen(node) && !memcmp(m->node.data, node, m->node.len)) {
            assert_int_equal(m->error, SIPC_ETIMEDOUT);
            snprintf(why, sizeof why, "%.*s", (int)m->reason.len, (const char *)m->reason.data);
            return why;
        }
    }
    fail_msg("node %s is not missing (%zu missing, %zu answered)", node, a->n_nodes_missing,
             a->n_nodes_answered);
    return NULL;
}

static void expect_in(const char *reason, const char *needle)
{
    if (!strstr(reason, needle))
        fail_msg("'%s' not in '%s'", needle, reason);
}

/* A query whose parts wait behind busy slots for all of its budget: this
 * node's part and the peer's both say they never began; the peer's reason
 * is its own answer, come back before the coordinator stopped waiting. */
static void t_query_parts_waited(void **state)
{
    (void)state;
    /* the peer's link up, and both parts answering while slots are free */
    dw_result r;
    Sipc__Search__QueryRequest m = SIPC__SEARCH__QUERY_REQUEST__INIT;
    m.query = bin("w0001");
    Sipc__Search__QueryResponse *a = query(&m, 5000, &r);
    assert_non_null(a);
    assert_false(a->partial);
    assert_int_equal(a->n_nodes_answered, 2);
    sipc__search__query_response__free_unpacked(a, NULL);
    dw_result_free(&r);

    hold_slots();
    a = held_query(1000, &r); /* a budget of 900 ms, under max_local_ms */
    assert_true(a->partial);
    assert_int_equal(a->n_hits, 0);
    const char *peer = missing_reason(a, "nb");
    expect_in(peer, SIPC_DATA_SEARCH_WAITED);
    const char *own = missing_reason(a, "na");
    expect_in(own, "timed out after 900 ms " SIPC_DATA_SEARCH_WAITED);
    expect_in(own, "(this node's search is stopped)");
    sipc__search__query_response__free_unpacked(a, NULL);
    dw_result_free(&r);
    release_slots();
}

/* Past max_local_ms every part stops at it, this node's own as a peer's,
 * and the reasons say that limit, not the query's budget: the answer comes
 * then, not at the budget. */
static void t_parts_stop_at_max_local_ms(void **state)
{
    (void)state;
    hold_slots();
    dw_result r;
    uint64_t t0 = dw_now_ms();
    Sipc__Search__QueryResponse *a = held_query(20000, &r); /* a budget of 19500 ms */
    uint64_t took = dw_now_ms() - t0;
    assert_true(a->partial);
    const char *peer = missing_reason(a, "nb");
    expect_in(peer, "timed out after 1500 ms " SIPC_DATA_SEARCH_WAITED);
    expect_in(peer, "the most one search runs on node nb, max_local_ms");
    const char *own = missing_reason(a, "na");
    expect_in(own, "timed out after 1500 ms " SIPC_DATA_SEARCH_WAITED);
    expect_in(own, "the most one search runs on node na, max_local_ms; the caller allowed "
                   "19500 ms)");
    assert_true(took < 5000);
    sipc__search__query_response__free_unpacked(a, NULL);
    dw_result_free(&r);
    release_slots();
}

/* A query of more filters than the data service's default max_attributes
 * but within its configured one decodes within its budget and is
 * answered. */
static void t_budget_counts_configured_limit(void **state)
{
    (void)state;
    static Sipc__Search__Attribute fv[MAX_ATTRS];
    static Sipc__Search__Attribute *fp[MAX_ATTRS];
    for (int i = 0; i < MAX_ATTRS; i++) {
        sipc__search__attribute__init(&fv[i]);
        fv[i].key = bin("k"); /* no value: the densest a filter can be */
        fp[i] = &fv[i];
    }
    Sipc__Search__QueryRequest m = SIPC__SEARCH__QUERY_REQUEST__INIT;
    m.filters = fp;
    m.n_filters = MAX_ATTRS;
    dw_result r;
    Sipc__Search__QueryResponse *a = query(&m, 10000, &r);
    if (!a)
        fail_msg("refused: %s status %d: %s", sipc_err_name(r.err), r.status, r.message);
    assert_false(a->partial);
    sipc__search__query_response__free_unpacked(a, NULL);
    dw_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_cancel_while_waiting),
        cmocka_unit_test(t_deadline_while_waiting),
        cmocka_unit_test(t_query_parts_waited),
        cmocka_unit_test(t_parts_stop_at_max_local_ms),
        cmocka_unit_test(t_budget_counts_configured_limit),
    };
    return cmocka_run_group_tests_name("search_wait", tests, setup, teardown);
}
