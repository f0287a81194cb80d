/* mgmt_pair.c - see mgmt_pair.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mgmt_pair.h"

void mgmt_pair_open(mgmt_pair *p, const char *net, sipc_handler_fn on_status, void *arg,
                    tu_log *log)
{
    memset(p, 0, sizeof *p);
    assert_int_equal(uv_loop_init(&p->loop), 0);
    sipc_options o;
    sipc_options_init(&o);
    if (log) {
        o.log = tu_log_sink;
        o.log_arg = log;
    }
    sipc_security *plain;
    assert_int_equal(sipc_security_plain(&plain), 0);
    assert_int_equal(sipc_ctx_new(&p->bctx, &p->loop, &o, plain), 0);
    assert_int_equal(sipc_ctx_new(&p->actx, &p->loop, &o, plain), 0);
    assert_int_equal(sipc_ctx_new(&p->cctx, &p->loop, &o, plain), 0);
    sipc_security_release(plain);
    assert_int_equal(sipc_router_new(&p->br), 0);
    assert_int_equal(sipc_router_add(p->br, "management", "status", on_status, arg), 0);
    assert_int_equal(sipc_server_listen(&p->bsrv, p->bctx, "b", net, 0, p->br), 0);
    sipc_mgmt_peer mp = {.address = "b", .host = net, .port = sipc_server_port(p->bsrv)};
    sipc_mgmt_options mo = {.node_id = "a", .address = net, .cluster = "t", .version = "test",
                            .peers = &mp, .npeers = 1,
                            .cluster_timeout_ms = MGMT_PAIR_CLUSTER_TIMEOUT_MS};
    char err[300];
    assert_int_equal(sipc_mgmt_open(&p->m, p->actx, &mo, err, sizeof err), 0);
    assert_int_equal(sipc_router_new(&p->ar), 0);
    assert_int_equal(sipc_mgmt_register(p->m, p->ar), 0);
    assert_int_equal(sipc_server_listen(&p->asrv, p->actx, "a", net, 0, p->ar), 0);
    assert_int_equal(
        sipc_channel_open(&p->ch, p->cctx, net, sipc_server_port(p->asrv), NULL), 0);
}

static void closed(void *arg)
{
    *(int *)arg = 1;
}

void mgmt_pair_close(mgmt_pair *p)
{
    int mclosed = 0;
    sipc_mgmt_close(p->m, closed, &mclosed);
    assert_true(tu_run_until(&p->loop, &mclosed, 5000));
    sipc_ctx_close(p->cctx, NULL, NULL);
    sipc_ctx_close(p->actx, NULL, NULL);
    sipc_ctx_close(p->bctx, NULL, NULL);
    assert_true(tu_drain(&p->loop, 5000));
    sipc_router_free(p->ar);
    sipc_router_free(p->br);
    assert_int_equal(uv_loop_close(&p->loop), 0);
}
