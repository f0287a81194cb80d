/* test_mgmt_cluster_retry.c - management.cluster asks a peer once more when
 * the peer closed the connection under its question unanswered: what a
 * reload does to an idle connection (closed at once, the channel redials),
 * which a status asked at that moment meets (SIPC_ECLOSED). The peer here
 * closes the first connection a status arrives on without answering, and
 * answers on the next; the cluster status must show it reachable. A peer
 * that closes every time is unreachable, asked twice, not more. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "management_service.h"
#include "testutil.h"

#define NET "127.1.163.1"

typedef struct peer {
    int asked;
    int closes; /* how many of the first questions are met with a close */
} peer;

static void on_status(sipc_request *req, void *arg)
{
    peer *p = arg;
    if (p->asked++ < p->closes) {
        sipc_conn_close(sipc_request_conn(req));
        sipc_respond_error(req, SIPC_ECLOSED, "gone"); /* frees it; nothing is sent */
        return;
    }
    const char *st = "{\"schema\":1,\"node\":{\"id\":\"b\"}}";
    sipc_respond(req, st, strlen(st));
}

typedef struct answer {
    int done, err;
    json_t *nodes;
} answer;

static void on_cluster(int err, const sipc_reply *rep, void *arg)
{
    answer *a = arg;
    a->err = err;
    if (err == 0) {
        json_t *j = json_loadb((const char *)rep->data, rep->len, 0, NULL);
        a->nodes = json_incref(json_object_get(j, "nodes"));
        json_decref(j);
    }
    a->done = 1;
}

static void closed(void *arg)
{
    *(int *)arg = 1;
}

/* A's cluster status with peer B closing its first `closes` questions:
 * whether B is reachable in it, and how often B was asked. */
static int ask(int closes, int *asked)
{
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_options o;
    sipc_options_init(&o);
    sipc_security *plain;
    assert_int_equal(sipc_security_plain(&plain), 0);
    sipc_ctx *bctx, *actx, *cctx;
    assert_int_equal(sipc_ctx_new(&bctx, &loop, &o, plain), 0);
    assert_int_equal(sipc_ctx_new(&actx, &loop, &o, plain), 0);
    assert_int_equal(sipc_ctx_new(&cctx, &loop, &o, plain), 0);
    sipc_security_release(plain);
    peer p = {.closes = closes};
    sipc_router *br, *ar;
    assert_int_equal(sipc_router_new(&br), 0);
    assert_int_equal(sipc_router_add(br, "management", "status", on_status, &p), 0);
    sipc_server *bsrv, *asrv;
    assert_int_equal(sipc_server_listen(&bsrv, bctx, "b", NET, 0, br), 0);
    sipc_mgmt_peer mp = {.address = "b", .host = NET, .port = sipc_server_port(bsrv)};
    sipc_mgmt_options mo = {.node_id = "a", .address = NET, .cluster = "t", .version = "test",
                            .peers = &mp, .npeers = 1, .cluster_timeout_ms = 3000};
    sipc_mgmt *m;
    char err[300];
    assert_int_equal(sipc_mgmt_open(&m, actx, &mo, err, sizeof err), 0);
    assert_int_equal(sipc_router_new(&ar), 0);
    assert_int_equal(sipc_mgmt_register(m, ar), 0);
    assert_int_equal(sipc_server_listen(&asrv, actx, "a", NET, 0, ar), 0);
    sipc_channel *ch;
    assert_int_equal(sipc_channel_open(&ch, cctx, NET, sipc_server_port(asrv), NULL), 0);
    answer a = {0};
    assert_int_equal(sipc_call(ch, "management", "cluster", NULL, 0, 8000, on_cluster, &a), 0);
    assert_true(tu_run_until(&loop, &a.done, 10000));
    assert_int_equal(a.err, 0);
    json_t *b = json_array_get(a.nodes, 1);
    int reachable = json_is_true(json_object_get(b, "reachable"));
    if (!reachable)
        print_message("b: %s\n", json_string_value(json_object_get(b, "error")));
    json_decref(a.nodes);
    *asked = p.asked;
    int mclosed = 0;
    sipc_mgmt_close(m, closed, &mclosed);
    assert_true(tu_run_until(&loop, &mclosed, 5000));
    sipc_ctx_close(cctx, NULL, NULL);
    sipc_ctx_close(actx, NULL, NULL);
    sipc_ctx_close(bctx, NULL, NULL);
    assert_true(tu_drain(&loop, 5000));
    sipc_router_free(ar);
    sipc_router_free(br);
    assert_int_equal(uv_loop_close(&loop), 0);
    return reachable;
}

static void t_closed_once_asked_again(void **state)
{
    (void)state;
    int asked;
    assert_true(ask(1, &asked));
    assert_int_equal(asked, 2);
}

static void t_closed_always_unreachable(void **state)
{
    (void)state;
    int asked;
    assert_false(ask(100, &asked));
    assert_int_equal(asked, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_closed_once_asked_again),
        cmocka_unit_test(t_closed_always_unreachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
