/* search_test_support.c - see search_test_support.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "search_test_support.h"

void sw_hold_local(sipc_request *req, void *arg)
{
    sw_node *n = arg;
    assert_true(n->nheld < 8);
    n->held[n->nheld++] = req;
}

void sw_listen(sw_world *w, int i, const char *pem, int silent)
{
    sw_node *n = &w->n[i];
    if (!n->id[0]) /* a test may have named it */
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
        assert_int_equal(sipc_router_add(n->router, "search", "local", sw_hold_local, n), 0);
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = n->id;
    o.cluster = "test";
    o.log = tu_log_sink;
    o.log_arg = &w->log;
    o.reconnect_min_ms = 20;
    o.reconnect_max_ms = 200;
    n->sec = tu_security(w->mode, pem);
    assert_int_equal(sipc_ctx_new(&n->ctx, &w->loop, &o, n->sec), 0);
    assert_int_equal(
        sipc_server_listen(&n->srv, n->ctx, "Search Service", "127.0.0.1", 0, n->router), 0);
    n->port = sipc_server_port(n->srv);
    w->nn = i + 1 > w->nn ? i + 1 : w->nn;
}

void sw_search_start(sw_world *w, int i, const sipc_search_options *base)
{
    sw_node *n = &w->n[i];
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

sw_world *sw_alloc(sipc_tls_mode mode, const char *pem)
{
    sw_world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    assert_int_equal(uv_loop_init(&w->loop), 0);
    w->mode = mode;
    snprintf(w->pem, sizeof w->pem, "%s", pem);
    return w;
}

void sw_client(sw_world *w)
{
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = "client";
    o.cluster = "test";
    o.log = tu_log_sink;
    o.log_arg = &w->log;
    w->csec = tu_security(w->mode, w->pem);
    assert_int_equal(sipc_ctx_new(&w->cctx, &w->loop, &o, w->csec), 0);
}

sw_world *sw_new(sipc_tls_mode mode, const char *pem)
{
    sw_world *w = sw_alloc(mode, pem);
    for (int i = 0; i < NODES; i++)
        sw_listen(w, i, pem, 0);
    for (int i = 0; i < NODES; i++)
        sw_search_start(w, i, NULL);
    sw_client(w);
    return w;
}

sipc_channel *sw_chan(sw_world *w, int i)
{
    if (!w->ch[i])
        assert_int_equal(sipc_channel_open(&w->ch[i], w->cctx, "127.0.0.1", w->n[i].port, NULL),
                         0);
    return w->ch[i];
}

void sw_on_flag(void *arg)
{
    *(int *)arg = 1;
}

void sw_stop(sw_world *w, int i)
{
    sw_node *n = &w->n[i];
    if (!n->ctx)
        return;
    int sclosed = 0, dclosed = 0;
    for (int k = 0; k < n->nheld; k++)
        sipc_respond_error(n->held[k], SIPC_ECANCELED, "stopping");
    n->nheld = 0;
    /* as sipcd stops: the context (listener, channels), then the services */
    sipc_ctx_close(n->ctx, NULL, NULL);
    if (n->s)
        sipc_search_close(n->s, sw_on_flag, &sclosed);
    sipc_data_close(n->d, sw_on_flag, &dclosed);
    assert_true(tu_run_until(&w->loop, &dclosed, 10000));
    if (n->s)
        assert_true(tu_run_until(&w->loop, &sclosed, 10000));
    n->ctx = NULL;
    n->s = NULL;
    n->d = NULL;
}

void sw_free(sw_world *w)
{
    if (w->cctx)
        sipc_ctx_close(w->cctx, NULL, NULL);
    for (int i = 0; i < w->nn; i++)
        sw_stop(w, i);
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

void sw_call(sw_world *w, int i, const char *service, const char *method,
                 const ProtobufCMessage *m, uint32_t timeout_ms, dw_result *r)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n + 1);
    protobuf_c_message_pack(m, buf);
    memset(r, 0, sizeof *r);
    assert_int_equal(
        sipc_call(sw_chan(w, i), service, method, buf, n, timeout_ms, dw_on_result, r), 0);
    free(buf);
    assert_true(tu_run_until(&w->loop, &r->done, timeout_ms + 5000));
}

void sw_put(sw_world *w, int i, Sipc__Data__Record **recs, size_t n)
{
    Sipc__Data__PutBatchRequest m = SIPC__DATA__PUT_BATCH_REQUEST__INIT;
    m.records = recs;
    m.n_records = n;
    dw_result r;
    sw_call(w, i, "data", "put_batch", &m.base, 10000, &r);
    if (r.err != 0)
        fail_msg("put_batch: %s: %s", sipc_err_name(r.err), r.message);
    dw_result_free(&r);
}

Sipc__Search__QueryResponse *sw_search(sw_world *w, int i, const sw_query *qq,
                                       uint32_t timeout_ms, dw_result *r)
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
    sw_call(w, i, "search", "query", &m.base, timeout_ms, r);
    if (r->err != 0)
        return NULL;
    Sipc__Search__QueryResponse *resp =
        sipc__search__query_response__unpack(NULL, r->len, r->data);
    assert_non_null(resp);
    dw_result_free(r);
    return resp;
}

Sipc__Search__QueryResponse *sw_search_ok(sw_world *w, int i, const sw_query *q)
{
    dw_result r;
    Sipc__Search__QueryResponse *resp = sw_search(w, i, q, 5000, &r);
    if (!resp)
        fail_msg("search.query: %s status %d: %s", sipc_err_name(r.err), r.status, r.message);
    return resp;
}

int sw_is(const ProtobufCBinaryData *b, const char *s)
{
    return b->len == strlen(s) && (!b->len || !memcmp(b->data, s, b->len));
}

const char *sw_ids(const Sipc__Search__QueryResponse *r)
{
    static char buf[512];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->n_hits; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%.*s", i ? " " : "",
                              (int)r->hits[i]->id.len, (const char *)r->hits[i]->id.data);
    return buf;
}

const Sipc__Search__MissingNode *sw_missing(const Sipc__Search__QueryResponse *r,
                                            const char *address)
{
    for (size_t i = 0; i < r->n_nodes_missing; i++)
        if (sw_is(&r->nodes_missing[i]->address, address))
            return r->nodes_missing[i];
    return NULL;
}

void sw_put_records(sw_world *w)
{
    trec t[8];
    Sipc__Data__Record *n1[] = {
        mk(&t[0], "a1", 1000, "checkout failed: card declined", "browser", "firefox", NULL),
        mk(&t[1], "a2", 4000, "login ok", "browser", "chrome", NULL),
    };
    sw_put(w, 0, n1, 2);
    Sipc__Data__Record *n2[] = {
        mk(&t[2], "b1", 2000, "checkout ok\nsecond line", "browser", "chrome", NULL),
        mk(&t[3], "b2", 5000, "checkout failed checkout failed checkout", "browser", "firefox",
           "tag", "x", "tag", "y", NULL),
    };
    sw_put(w, 1, n2, 2);
    Sipc__Data__Record *n3[] = {
        mk(&t[4], "c1", 3000, "checkout slow", "browser", "firefox", NULL),
        mk(&t[5], "c2", 6000, "logout", "browser", "safari", NULL),
        mk(&t[6], "c3", 7000, "checkout retried", "browser", "firefox", NULL),
    };
    sw_put(w, 2, n3, 3);
}

