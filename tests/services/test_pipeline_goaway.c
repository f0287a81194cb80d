/* test_pipeline_goaway.c - a batch the destination's connection refuses
 * because it is being replaced (GOAWAY: SIPC_ECLOSING, the request never
 * handled, as sipc answers a request above the last id it announced) is
 * sent again like any other retryable failure, and committed; it is not
 * taken for the pipeline shutting down, which is what SIPC_ECLOSING from
 * the pipeline's own channel means. Over real TCP on 127.1.164.3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipc/internal.h" /* sipc__router_lookup */
#include "pipeline_test_support.h"

#define ADDR "127.1.164.3"

/* data.put_batch and data.put: the first `refuse` calls refused as a
 * connection being replaced refuses them, then the data service's own. */
typedef struct refuser {
    sipc_handler_fn fn;
    void *arg;
    int refuse, refused, passed;
} refuser;

static void on_put(sipc_request *req, void *arg)
{
    refuser *r = arg;
    if (r->refused < r->refuse) {
        r->refused++;
        sipc_respond_error(req, SIPC_ECLOSING,
                           "node dn is replacing this connection (GOAWAY, last request id 0): send "
                           "the request again on a new connection");
        return;
    }
    r->passed++;
    r->fn(req, r->arg);
}

static void on_flag(void *arg)
{
    *(int *)arg = 1;
}

static void t_goaway_refusal_retried(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    tu_log log = {0};
    sipc_security *sec;
    assert_int_equal(sipc_security_plain(&sec), 0);
    /* the destination: a data service whose puts are refused at first */
    char *home = tu_mkdtemp("plgoaway"), dir[600], err[512] = "";
    snprintf(dir, sizeof dir, "%s/data", home);
    sipc_data *d;
    if (sipc_data_open(&d, &loop, dir, NULL, err, sizeof err) != 0)
        fail_msg("sipc_data_open: %s", err);
    sipc_router *drouter;
    assert_int_equal(sipc_router_new(&drouter), 0);
    assert_int_equal(sipc_data_register(d, drouter), 0);
    refuser rb = {.refuse = 1}, rp = {.refuse = 1};
    const sipc_route *rt = sipc__router_lookup(drouter, "data", 4, "put_batch", 9);
    rb.fn = rt->fn;
    rb.arg = rt->arg;
    rt = sipc__router_lookup(drouter, "data", 4, "put", 3);
    rp.fn = rt->fn;
    rp.arg = rt->arg;
    assert_int_equal(sipc_router_add(drouter, "data", "put_batch", on_put, &rb), 0);
    assert_int_equal(sipc_router_add(drouter, "data", "put", on_put, &rp), 0);
    sipc_options o;
    pw_options(&o, "dn", &log);
    o.source_address = ADDR;
    sipc_ctx *dctx, *hctx, *sctx, *cctx;
    assert_int_equal(sipc_ctx_new(&dctx, &loop, &o, sec), 0);
    sipc_server *dsrv;
    assert_int_equal(sipc_server_listen(&dsrv, dctx, "Data Service", ADDR, 0, drouter), 0);
    int dport = sipc_server_port(dsrv);
    char dest[64];
    snprintf(dest, sizeof dest, ADDR ":%d", dport);
    /* the pipeline, its server, and a producer */
    sipc_options ho, lo;
    pw_options(&ho, "pl", &log);
    ho.source_address = ADDR;
    lo = ho;
    assert_int_equal(sipc_ctx_new(&hctx, &loop, &ho, sec), 0);
    sipc_pipeline_options po;
    sipc_pipeline_options_init(&po);
    po.batch_records = 5;
    sipc_pipeline_dest pd = {.name = NULL, .host = ADDR, .port = dport};
    po.dests = &pd;
    po.ndests = 1;
    po.link_options = &lo;
    sipc_pipeline *p;
    if (sipc_pipeline_open(&p, hctx, &po, err, sizeof err) != 0)
        fail_msg("sipc_pipeline_open: %s", err);
    sipc_router *prouter;
    assert_int_equal(sipc_router_new(&prouter), 0);
    assert_int_equal(sipc_pipeline_register(p, prouter), 0);
    assert_int_equal(sipc_ctx_new(&sctx, &loop, &ho, sec), 0);
    sipc_server *psrv;
    assert_int_equal(sipc_server_listen(&psrv, sctx, "Pipeline", ADDR, 0, prouter), 0);
    pw_options(&o, "producer", &log);
    o.source_address = ADDR;
    assert_int_equal(sipc_ctx_new(&cctx, &loop, &o, sec), 0);
    sipc_channel *ch;
    assert_int_equal(sipc_channel_open(&ch, cctx, ADDR, sipc_server_port(psrv), NULL), 0);

    /* a batch of ten (put_batch) and one record alone (put) */
    pw_recs r;
    pw_recs_make(&r, "ga", 0, 11);
    pw_ingest a = {.count = NULL}, b = {.count = NULL};
    pw_ingest_on(ch, r.p, 10, dest, 10000, &a);
    assert_true(tu_run_until(&loop, &a.done, 12000));
    pw_ingest_on(ch, r.p + 10, 1, dest, 10000, &b);
    assert_true(tu_run_until(&loop, &b.done, 12000));
    pw_ingest *g[2] = {&a, &b};
    for (int k = 0; k < 2; k++) {
        if (g[k]->err != 0)
            fail_msg("ingest failed: %s: %s", sipc_err_name(g[k]->err), g[k]->message);
        for (size_t i = 0; i < g[k]->resp->n_results; i++) {
            const Sipc__Pipeline__RecordResult *x = g[k]->resp->results[i];
            const char *why = x->reason_of ? g[k]->resp->results[x->reason_of - 1]->reason : x->reason;
            if (x->status != SIPC__PIPELINE__RECORD_STATUS__COMMITTED)
                fail_msg("record %zu: status %d, reason '%s'", i, x->status, why);
        }
    }
    assert_int_equal(a.resp->n_results, 10);
    assert_int_equal(b.resp->n_results, 1);
    assert_int_equal(rb.refused, 1);
    assert_true(rb.passed >= 1);
    assert_int_equal(rp.refused, 1);
    assert_int_equal(rp.passed, 1);
    sipc_pipeline_stats st;
    sipc_pipeline_stats_get(p, &st);
    assert_true(st.retries >= 2);
    assert_false(tu_log_has(&log, "shutting down"));

    pw_ingest_free(&a);
    pw_ingest_free(&b);
    pw_recs_free(&r);
    sipc_ctx_close(cctx, NULL, NULL);
    sipc_ctx_close(sctx, NULL, NULL);
    int closed = 0;
    sipc_pipeline_close(p, on_flag, &closed);
    assert_true(tu_run_until(&loop, &closed, 10000));
    sipc_ctx_close(hctx, NULL, NULL);
    sipc_ctx_close(dctx, NULL, NULL);
    closed = 0;
    sipc_data_close(d, on_flag, &closed);
    assert_true(tu_run_until(&loop, &closed, 10000));
    assert_true(tu_drain(&loop, 10000));
    assert_int_equal(uv_loop_close(&loop), 0);
    sipc_router_free(drouter);
    sipc_router_free(prouter);
    sipc_security_release(sec);
    tu_rmdir(home);
    free(home);
    tu_log_free(&log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_goaway_refusal_retried),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
