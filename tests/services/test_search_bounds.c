/* test_search_bounds.c - slow searches cannot hold a node's writes: a
 * search stops inside SQLite at its deadline or when cancelled (a peer's
 * search.local at its call's), read jobs leave a thread of libuv's pool to
 * the write job, and a coordinator's own part counts against max_local. One data service on 127.1.142.1 with
 * enough records that an OR of many words takes a few hundred ms (the time
 * goes into steps SQLite can stop between: each row is matched against
 * every word); its search services on 127.1.142.1 (defaults) and
 * 127.1.142.2 (max_local 1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "search.pb-c.h"
#include "search_service.h"
#include "data_test_support.h"

#define HOST_A "127.1.142.1"
#define HOST_B "127.1.142.2"
enum { NRECORDS = 4000 };

typedef struct world {
    dw *w;              /* data service and search A on HOST_A, a client */
    sipc_search *sa;
    sipc_security *bsec; /* search B on HOST_B, on the same data service */
    sipc_ctx *bctx;
    sipc_router *brouter;
    sipc_server *bsrv;
    sipc_search *sb;
    sipc_channel *bch;
    char slow[4096];    /* a query within max_query that takes a while here */
    char slower[40000]; /* one that takes longer: 4000 words */
} world;

static world g;

static int setup(void **state)
{
    (void)state;
    sipc_data_options dopts;
    sipc_data_options_init(&dopts);
    g.w = dw_words_world(HOST_A, &dopts, NRECORDS);
    char *p = g.slow;
    for (int i = 0; i < 400; i++)
        p += sprintf(p, "%sw%03d*", i ? " OR " : "", i);
    p = g.slower;
    for (int i = 0; i < 4000; i++)
        p += sprintf(p, "%sw%04d", i ? " OR " : "", i);
    char err[512] = "";
    sipc_search_options so;
    sipc_search_options_init(&so);
    if (sipc_search_open(&g.sa, g.w->sctx, g.w->d, &so, err, sizeof err) != 0)
        fail_msg("search A: %s", err);
    assert_int_equal(sipc_search_register(g.sa, g.w->router), 0);
    /* B: a node whose coordinator may have one local search in flight */
    g.bctx = dw_ctx_beside(g.w, "nb", &g.bsec);
    assert_int_equal(sipc_router_new(&g.brouter), 0);
    so.max_local = 1;
    if (sipc_search_open(&g.sb, g.bctx, g.w->d, &so, err, sizeof err) != 0)
        fail_msg("search B: %s", err);
    assert_int_equal(sipc_search_register(g.sb, g.brouter), 0);
    assert_int_equal(sipc_server_listen(&g.bsrv, g.bctx, "Search", HOST_B, 0, g.brouter), 0);
    assert_int_equal(
        sipc_channel_open(&g.bch, g.w->cctx, HOST_B, sipc_server_port(g.bsrv), NULL), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int ca = 0, cb = 0;
    sipc_ctx_close(g.w->cctx, NULL, NULL);
    sipc_ctx_close(g.w->sctx, NULL, NULL);
    sipc_ctx_close(g.bctx, NULL, NULL);
    if (g.sa)
        sipc_search_close(g.sa, dw_set_flag, &ca);
    if (g.sb)
        sipc_search_close(g.sb, dw_set_flag, &cb);
    assert_true(!g.sa || tu_run_until(&g.w->loop, &ca, 10000));
    assert_true(!g.sb || tu_run_until(&g.w->loop, &cb, 10000));
    g.w->cctx = g.w->sctx = NULL;
    dw_world_end(g.w, NULL);
    sipc_router_free(g.brouter);
    sipc_security_release(g.bsec);
    return 0;
}

/* ----------------------------------------------------------- searches */

static void search(const char *match, uint32_t timeout_ms, dw_sres *r)
{
    sipc_data_query q = {.match = match, .order = SIPC_DATA_ORDER_RANK, .limit = 5,
                         .timeout_ms = timeout_ms};
    char err[300];
    memset(r, 0, sizeof *r);
    assert_int_equal(sipc_data_search(g.w->d, &q, dw_on_search, r, err, sizeof err), 0);
}

/* search with the hits' content (attributes and body), up to limit */
static void search_content(const char *match, uint32_t timeout_ms, size_t limit, dw_sres *r)
{
    sipc_data_query q = {.match = match, .order = SIPC_DATA_ORDER_NEWEST, .limit = limit,
                         .timeout_ms = timeout_ms, .content = 1};
    char err[300];
    memset(r, 0, sizeof *r);
    assert_int_equal(sipc_data_search(g.w->d, &q, dw_on_search, r, err, sizeof err), 0);
}

/* The query used below is slow here: its time, for the bounds asserted. */
static uint64_t slow_ms(const char *match)
{
    dw_sres r;
    uint64_t t0 = dw_now_ms();
    search(match, 0, &r);
    assert_true(tu_run_until(&g.w->loop, &r.done, 30000));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.nhits, 5);
    return r.at_ms - t0;
}

/* A search ends at its deadline, and when cancelled, inside SQLite: its
 * callback says so at once, and the database is not taken as failing. */
static void t_search_stops(void **state)
{
    (void)state;
    uint64_t full = slow_ms(g.slower);
    assert_true(full >= 200); /* otherwise the bounds below prove nothing */
    dw_sres r;
    uint64_t t0 = dw_now_ms();
    search(g.slower, 40, &r);
    assert_true(tu_run_until(&g.w->loop, &r.done, 30000));
    assert_int_equal(r.err, SIPC_ETIMEDOUT);
    assert_non_null(strstr(r.message, "deadline (40 ms)"));
    assert_true(r.at_ms - t0 < 40 + full / 2);

    dw_sres c;
    t0 = dw_now_ms();
    search(g.slower, 0, &c);
    tu_sleep_ms(40); /* the job runs on the pool meanwhile */
    sipc_data_search_cancel(g.w->d, &c);
    assert_true(tu_run_until(&g.w->loop, &c.done, 30000));
    assert_int_equal(c.err, SIPC_ECANCELED);
    assert_true(c.at_ms - t0 < 40 + full / 2);
    assert_int_equal(c.done, 1);

    sipc_data_health reads;
    sipc_data_health_get(g.w->d, NULL, &reads);
    assert_false(reads.failing);
    assert_int_equal(reads.failures_total, 0);
}

/* A search stopped while it reads a hit's attributes is stopped, not a
 * failure of the store: deadlines from 1 to 40 ms fall in every step of
 * searches that read the content of up to 1000 hits. */
static void t_stopped_in_hit_reads(void **state)
{
    (void)state;
    enum { N = 40 };
    for (int i = 0; i < N; i++) {
        dw_sres r;
        search_content("w0*", 1 + (uint32_t)i, 1000, &r);
        assert_true(tu_run_until(&g.w->loop, &r.done, 30000));
        if (r.err != 0 && r.err != SIPC_ETIMEDOUT)
            fail_msg("search %d: %s (%s)", i, sipc_err_name(r.err), r.message);
    }
    sipc_data_health reads;
    sipc_data_health_get(g.w->d, NULL, &reads);
    assert_int_equal(reads.failures_total, 0);
}

/* A search whose deadline passed while every read slot was busy says it
 * waited, not that it ran out of time searching. */
static void t_stopped_waiting(void **state)
{
    (void)state;
    enum { BUSY = 8 }; /* more than the read slots any pool leaves */
    dw_sres busy[BUSY], late;
    for (int i = 0; i < BUSY; i++)
        search(g.slower, 0, &busy[i]);
    search(g.slower, 10, &late);
    assert_true(tu_run_until(&g.w->loop, &late.done, 30000));
    assert_int_equal(late.err, SIPC_ETIMEDOUT);
    if (!strstr(late.message, "before it began: it waited for a read slot"))
        fail_msg("%s", late.message);
    for (int i = 0; i < BUSY; i++)
        sipc_data_search_cancel(g.w->d, &busy[i]);
    for (int i = 0; i < BUSY; i++)
        assert_true(tu_run_until(&g.w->loop, &busy[i].done, 30000));
}

/* Read jobs leave the write job a thread: a put beside many slow searches
 * is answered at once, not after them. */
static void t_put_beside_searches(void **state)
{
    (void)state;
    uint64_t full = slow_ms(g.slower);
    enum { N = 16 };
    dw_sres r[N];
    for (int i = 0; i < N; i++)
        search(g.slower, 0, &r[i]);
    char msg[300];
    uint64_t t0 = dw_now_ms();
    assert_int_equal(dw_put(g.w, "beside", msg, sizeof msg), 0);
    uint64_t took = dw_now_ms() - t0;
    /* the searches would hold it for N / 4 times full */
    assert_true(took < full);
    for (int i = 0; i < N; i++)
        sipc_data_search_cancel(g.w->d, &r[i]);
    for (int i = 0; i < N; i++) {
        assert_true(tu_run_until(&g.w->loop, &r[i].done, 30000));
        assert_true(r[i].err == 0 || r[i].err == SIPC_ECANCELED);
    }
}

/* ------------------------------------------------------------- queries */

static void query(sipc_channel *ch, const char *text, uint32_t timeout_ms, dw_result *r)
{
    Sipc__Search__QueryRequest m = SIPC__SEARCH__QUERY_REQUEST__INIT;
    m.query = bin(text);
    m.order = SIPC__SEARCH__ORDER__RANK;
    m.limit = 5;
    size_t n = sipc__search__query_request__get_packed_size(&m);
    uint8_t *buf = malloc(n + 1);
    assert_non_null(buf);
    sipc__search__query_request__pack(&m, buf);
    memset(r, 0, sizeof *r);
    assert_int_equal(sipc_call(ch, "search", "query", buf, n, timeout_ms, dw_on_result, r), 0);
    free(buf);
}

/* What the review saw: many slow queries with short deadlines, then a put.
 * The queries' searches end at their budgets and leave the writer its
 * thread: the put is answered at once, the queries partial, "timed out". */
static void t_short_queries_then_put(void **state)
{
    (void)state;
    uint64_t full = slow_ms(g.slow);
    enum { WAVES = 8, WAVE = 8 };
    for (int k = 0; k < WAVES; k++) {
        dw_result r[WAVE];
        for (int i = 0; i < WAVE; i++)
            query(g.w->ch, g.slow, 30, &r[i]);
        for (int i = 0; i < WAVE; i++) {
            assert_true(tu_run_until(&g.w->loop, &r[i].done, 5000));
            if (r[i].err == 0) {
                Sipc__Search__QueryResponse *a =
                    sipc__search__query_response__unpack(NULL, r[i].len, r[i].data);
                assert_non_null(a);
                assert_true(a->partial);
                assert_int_equal(a->n_nodes_missing, 1);
                assert_int_equal(a->nodes_missing[0]->error, SIPC_ETIMEDOUT);
                assert_memory_equal(a->nodes_missing[0]->reason.data, "timed out after ", 16);
                sipc__search__query_response__free_unpacked(a, NULL);
            } else {
                /* the answer can come just after the caller's deadline */
                assert_int_equal(r[i].err, SIPC_ETIMEDOUT);
            }
            dw_result_free(&r[i]);
        }
    }
    char msg[300];
    uint64_t t0 = dw_now_ms();
    assert_int_equal(dw_put(g.w, "after-queries", msg, sizeof msg), 0);
    /* 64 searches of full each ahead of it on the pool would hold it for
     * many times that */
    assert_true(dw_now_ms() - t0 < full);
}

/* The coordinator's own part is a local search: with max_local 1, a query
 * whose part runs fills it, and the next query is refused BUSY at once. */
static void t_local_part_counts(void **state)
{
    (void)state;
    dw_result a, b;
    query(g.bch, g.slow, 20000, &a);
    query(g.bch, g.slow, 20000, &b);
    assert_true(tu_run_until(&g.w->loop, &b.done, 20000));
    assert_int_equal(b.err, SIPC_EREMOTE);
    assert_int_equal(b.status, SIPC_SEARCH_BUSY);
    assert_non_null(strstr(b.message, "too many queries"));
    assert_true(tu_run_until(&g.w->loop, &a.done, 20000));
    assert_int_equal(a.err, 0);
    Sipc__Search__QueryResponse *r = sipc__search__query_response__unpack(NULL, a.len, a.data);
    assert_non_null(r);
    assert_false(r->partial);
    assert_int_equal(r->n_hits, 5);
    sipc__search__query_response__free_unpacked(r, NULL);
    dw_result_free(&a);
    dw_result_free(&b);
    /* its part done, the place is free again */
    query(g.bch, "w0001", 20000, &b);
    assert_true(tu_run_until(&g.w->loop, &b.done, 20000));
    assert_int_equal(b.err, 0);
    dw_result_free(&b);
}

/* A peer's search.local stops at the deadline its call carries: the
 * coordinator that gave up does not leave it running. Seen by the place
 * it holds under max_local 1. */
/* search.local of match over ch, with a deadline of timeout_ms */
static void local_call(sipc_channel *ch, const char *match, uint32_t timeout_ms, dw_result *l)
{
    Sipc__Search__QueryRequest m = SIPC__SEARCH__QUERY_REQUEST__INIT;
    m.query = bin(match);
    m.order = SIPC__SEARCH__ORDER__RANK;
    size_t n = sipc__search__query_request__get_packed_size(&m);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    sipc__search__query_request__pack(&m, buf);
    memset(l, 0, sizeof *l);
    assert_int_equal(sipc_call(ch, "search", "local", buf, n, timeout_ms, dw_on_result, l), 0);
    free(buf);
}

static void t_local_stops_at_call_deadline(void **state)
{
    (void)state;
    uint64_t full = slow_ms(g.slow);
    dw_result l;
    uint64_t t0 = dw_now_ms();
    local_call(g.bch, g.slow, 20, &l);
    assert_true(tu_run_until(&g.w->loop, &l.done, 5000));
    assert_int_equal(l.err, SIPC_ETIMEDOUT);
    dw_result_free(&l);
    /* its place is free again long before the search would have ended */
    dw_result b;
    for (;;) {
        query(g.bch, "w0001", 20000, &b);
        assert_true(tu_run_until(&g.w->loop, &b.done, 20000));
        if (b.err == 0)
            break;
        assert_int_equal(b.status, SIPC_SEARCH_BUSY);
        dw_result_free(&b);
        assert_true(dw_now_ms() - t0 < 10000);
        tu_sleep_ms(5);
    }
    dw_result_free(&b);
    assert_true(dw_now_ms() - t0 < 20 + full / 2);
}

/* Closing the search service answers a query in flight CLOSING and stops
 * its own search: the close does not wait for that search to end. */
static void t_close_stops_own_part(void **state)
{
    (void)state;
    uint64_t full = slow_ms(g.slow);
    dw_result a;
    query(g.bch, g.slow, 20000, &a);
    int never = 0, closed = 0;
    tu_run_until(&g.w->loop, &never, 30); /* the query arrives, its search starts */
    uint64_t t0 = dw_now_ms();
    sipc_search_close(g.sb, dw_set_flag, &closed);
    g.sb = NULL;
    assert_true(tu_run_until(&g.w->loop, &closed, 20000));
    assert_true(dw_now_ms() - t0 < full / 2);
    assert_true(tu_run_until(&g.w->loop, &a.done, 20000));
    assert_int_equal(a.status, SIPC_SEARCH_CLOSING);
    dw_result_free(&a);
}

/* Closing the search service stops a peer's search.local too (answered
 * CLOSING): the close does not wait for a search whose caller gave it a
 * long deadline. Closes A. */
static void t_close_stops_local(void **state)
{
    (void)state;
    uint64_t full = slow_ms(g.slow);
    dw_result l, quick;
    local_call(g.w->ch, g.slow, 60000, &l);
    /* a request after it on the same connection is handled after it: once
     * that one is answered, the slow one's search has started */
    local_call(g.w->ch, "w0001", 5000, &quick);
    assert_true(tu_run_until(&g.w->loop, &quick.done, 20000));
    assert_int_equal(quick.err, 0);
    dw_result_free(&quick);
    int closed = 0;
    uint64_t t0 = dw_now_ms();
    sipc_search_close(g.sa, dw_set_flag, &closed);
    g.sa = NULL;
    assert_true(tu_run_until(&g.w->loop, &closed, 20000));
    assert_true(dw_now_ms() - t0 < full / 2);
    assert_true(tu_run_until(&g.w->loop, &l.done, 20000));
    assert_int_equal(l.status, SIPC_SEARCH_CLOSING);
    /* stopped in its search, not refused on arrival by the closed service */
    assert_non_null(strstr(l.message, "search cancelled"));
    dw_result_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_search_stops),
        cmocka_unit_test(t_stopped_in_hit_reads),
        cmocka_unit_test(t_stopped_waiting),
        cmocka_unit_test(t_put_beside_searches),
        cmocka_unit_test(t_short_queries_then_put),
        cmocka_unit_test(t_local_part_counts),
        cmocka_unit_test(t_local_stops_at_call_deadline),
        cmocka_unit_test(t_close_stops_own_part), /* B is closed */
        cmocka_unit_test(t_close_stops_local),    /* the last: A is closed */
    };
    return cmocka_run_group_tests_name("search_bounds", tests, setup, teardown);
}
