/* test_key_wear.c - a TLS connection whose keys have protected the most
 * records sipc lets one key protect is replaced (ipc/key_wear.c), without a
 * call lost or failed: over mutual TLS on loopback (127.1.162.1), with the
 * limit lowered to 200 records, 2,000 calls one after the other and 2,000
 * with 32 in flight all succeed, the server sees new connections and the
 * log says why; a plaintext connection, with no keys to wear out, is never
 * replaced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipc/internal.h"
#include "ipc/security.h"
#include "testutil.h"

#define ADDR "127.1.162.1"
#define CALLS 2000
#define LIMIT 200
/* 32 calls in flight share records: this much each makes records of its own */
#define PAYLOAD 4096

static char *g_dir;
static char g_pem[512];

typedef struct world {
    uv_loop_t loop;
    tu_log log;
    sipc_security *sec;
    sipc_ctx *sctx, *cctx;
    sipc_router *router;
    sipc_server *srv;
    sipc_channel *ch;
    int server_ups;
    int direct_ups; /* ... of them through sipc's record layer */
    int started, ok, failed, first_err, in_flight, window, done;
} world;

static void on_server_conn(sipc_conn *c, sipc_conn_event ev, int err, void *arg)
{
    (void)err;
    world *w = arg;
    sipc_peer_info pi;
    if (ev != SIPC_CONN_UP)
        return;
    w->server_ups++;
    if (sipc_conn_info(c, &pi) == 0 && pi.tls_direct)
        w->direct_ups++;
}

static void h_echo(sipc_request *req, void *arg)
{
    (void)arg;
    size_t n = 0;
    const void *p = sipc_request_data(req, &n);
    assert_int_equal(sipc_respond(req, p, n), 0);
}

static void start_calls(world *w);

static void on_reply(int err, const sipc_reply *reply, void *arg)
{
    world *w = arg;
    w->in_flight--;
    if (err == 0 && reply->len == PAYLOAD) {
        w->ok++;
    } else {
        w->failed++;
        if (!w->first_err) {
            w->first_err = err ? err : -1;
            fprintf(stderr, "call %d failed: %s (%s), sent %d\n", w->ok + w->failed,
                    sipc_err_name(err), reply->message, reply->sent);
        }
    }
    if (w->ok + w->failed == CALLS)
        w->done = 1;
    else
        start_calls(w);
}

/* keeps w->window calls in flight until CALLS have started */
static void start_calls(world *w)
{
    while (w->started < CALLS && w->in_flight < w->window) {
        uint8_t v[PAYLOAD];
        memset(v, w->started & 0xff, sizeof v);
        int r = sipc_call(w->ch, "test", "echo", v, sizeof v, 5000, on_reply, w);
        assert_int_equal(r, 0);
        w->started++;
        w->in_flight++;
    }
}

/* direct: application data through sipc's record layer, else wolfSSL's */
static void world_open(world *w, sipc_tls_mode mode, int direct)
{
    memset(w, 0, sizeof *w);
    assert_int_equal(uv_loop_init(&w->loop), 0);
    w->sec = tu_security(mode, g_pem);
    if (mode != SIPC_TLS_OFF)
        assert_int_equal(sipc_tls_config_set_direct(sipc_security_tls(w->sec), direct), direct);
    sipc_options o;
    sipc_options_init(&o);
    o.cluster = "test";
    o.log = tu_log_sink;
    o.log_arg = &w->log;
    o.node_id = "srv";
    assert_int_equal(sipc_ctx_new(&w->sctx, &w->loop, &o, w->sec), 0);
    o.node_id = "cli";
    assert_int_equal(sipc_ctx_new(&w->cctx, &w->loop, &o, w->sec), 0);
    assert_int_equal(sipc_router_new(&w->router), 0);
    assert_int_equal(sipc_router_add(w->router, "test", "echo", h_echo, w), 0);
    assert_int_equal(sipc_server_listen(&w->srv, w->sctx, "Test Service", ADDR, 0, w->router), 0);
    sipc_server_set_conn_cb(w->srv, on_server_conn, w);
    assert_int_equal(sipc_channel_open(&w->ch, w->cctx, ADDR, sipc_server_port(w->srv), NULL), 0);
}

/* CALLS calls, window at a time: all answered, none failed */
static void run_calls(world *w, int window)
{
    w->started = w->ok = w->failed = w->first_err = w->done = 0;
    w->window = window;
    start_calls(w);
    tu_run_until(&w->loop, &w->done, 8000);
    if (w->ok != CALLS)
        fprintf(stderr, "%s", w->log.buf ? w->log.buf : "");
    assert_int_equal(w->failed, 0);
    assert_int_equal(w->first_err, 0);
    assert_int_equal(w->ok, CALLS);
}

static void world_close(world *w)
{
    sipc_ctx_close(w->cctx, NULL, NULL);
    sipc_ctx_close(w->sctx, NULL, NULL);
    assert_true(tu_drain(&w->loop, 5000));
    assert_int_equal(uv_loop_close(&w->loop), 0);
    sipc_router_free(w->router);
    sipc_security_release(w->sec);
    tu_log_free(&w->log);
}

static void tls_keys_replaced(int direct)
{
    sipc__key_records_max = LIMIT;
    world w;
    world_open(&w, SIPC_TLS_STRICT, direct);
    run_calls(&w, 1);
    int after_serial = w.server_ups;
    /* each call is a record each way at least: 2,000 of them pass 200
     * records ten times over; with 32 in flight, 8 MB each way still takes
     * 500 records of 16 KiB */
    assert_true(after_serial > 1);
    run_calls(&w, 32);
    assert_true(w.server_ups > after_serial);
    assert_true(tu_log_has(&w.log, "its TLS keys have protected"));
    assert_true(tu_log_has(&w.log, "records; new keys on a new connection"));
    assert_int_equal(w.direct_ups, direct ? w.server_ups : 0);
    world_close(&w);
    sipc__key_records_max = SIPC__KEY_RECORDS_MAX;
}

static void t_tls_keys_replaced(void **state)
{
    (void)state;
    tls_keys_replaced(1);
}

/* the same where wolfSSL's record layer carries the records */
static void t_wolfssl_records_keys_replaced(void **state)
{
    (void)state;
    tls_keys_replaced(0);
}

static void t_plaintext_never_replaced(void **state)
{
    (void)state;
    sipc__key_records_max = LIMIT;
    world w;
    world_open(&w, SIPC_TLS_OFF, 1);
    run_calls(&w, 1);
    run_calls(&w, 32);
    assert_int_equal(w.server_ups, 1);
    assert_false(tu_log_has(&w.log, "TLS keys have protected"));
    world_close(&w);
    sipc__key_records_max = SIPC__KEY_RECORDS_MAX;
}

int main(void)
{
    g_dir = tu_mkdtemp("keywear");
    if (!g_dir || tu_make_pair(g_dir, "node", "ec", 30, NULL, "sipc key wear cluster") != 0) {
        fprintf(stderr, "cannot generate test certificates with openssl\n");
        return 1;
    }
    snprintf(g_pem, sizeof g_pem, "%s/node.pem", g_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_tls_keys_replaced),
        cmocka_unit_test(t_wolfssl_records_keys_replaced),
        cmocka_unit_test(t_plaintext_never_replaced),
    };
    int fails = cmocka_run_group_tests_name("key_wear", tests, NULL, NULL);
    tu_rmdir(g_dir);
    free(g_dir);
    return fails ? 1 : 0;
}
