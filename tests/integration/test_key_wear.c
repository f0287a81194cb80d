/* test_key_wear.c - a TLS connection whose keys have encrypted the most
 * AES blocks sipc lets one key encrypt is replaced (ipc/key_wear.c), without
 * a call lost or failed: over mutual TLS on loopback (127.1.162.1), with the
 * limit lowered to 200 full-size records' worth, 2,000 calls one after the
 * other and 2,000 with 32 in flight all succeed, the server sees new
 * connections and the log says why; 2,000 calls of 64 bytes, a few AES
 * blocks each, replace it only where wolfSSL keeps the records and each
 * counts full-size (127.1.170.1); a ChaCha20-Poly1305 connection
 * (127.1.170.2), and a plaintext one, with no keys to wear out, are never
 * replaced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "ipc/internal.h"
#include "ipc/security.h"
#include "testutil.h"

#define ADDR "127.1.162.1"
#define CALLS 2000
#define LIMIT 200 /* full-size records' worth of AES blocks */
/* 32 calls in flight share records: this much each makes records of its own */
#define PAYLOAD 4096
#define SMALL 64

static char *g_dir;
static char g_pem[512];

/* The suites the nodes offer, whatever the build prefers (ChaCha20-Poly1305
 * first where wolfSSL has no AES-NI, as Debian's libwolfssl): sipc's own
 * list is replaced when a security is made (--wrap in CMakeLists.txt). */
#define SUITES_AES_GCM "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256"
#define SUITES_CHACHA "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
static const char *g_suites = SUITES_AES_GCM;

int __real_wolfSSL_CTX_set_cipher_list(WOLFSSL_CTX *ctx, const char *list);
int __wrap_wolfSSL_CTX_set_cipher_list(WOLFSSL_CTX *ctx, const char *list);
int __wrap_wolfSSL_CTX_set_cipher_list(WOLFSSL_CTX *ctx, const char *list)
{
    (void)list;
    return __real_wolfSSL_CTX_set_cipher_list(ctx, g_suites);
}

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
    char cipher[64]; /* the last one's suite */
    int started, ok, failed, first_err, in_flight, window, done;
    size_t payload; /* bytes each call sends, and gets back */
} world;

static void on_server_conn(sipc_conn *c, sipc_conn_event ev, int err, void *arg)
{
    (void)err;
    world *w = arg;
    sipc_peer_info pi;
    if (ev != SIPC_CONN_UP)
        return;
    w->server_ups++;
    if (sipc_conn_info(c, &pi) != 0)
        return;
    w->direct_ups += pi.tls_direct;
    snprintf(w->cipher, sizeof w->cipher, "%s", pi.tls_cipher);
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
    if (err == 0 && reply->len == w->payload) {
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
        memset(v, w->started & 0xff, w->payload);
        int r = sipc_call(w->ch, "test", "echo", v, w->payload, 5000, on_reply, w);
        assert_int_equal(r, 0);
        w->started++;
        w->in_flight++;
    }
}

/* direct: application data through sipc's record layer, else wolfSSL's;
 * the server on addr */
static void world_open(world *w, sipc_tls_mode mode, int direct, const char *addr)
{
    memset(w, 0, sizeof *w);
    w->payload = PAYLOAD;
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
    assert_int_equal(sipc_server_listen(&w->srv, w->sctx, "Test Service", addr, 0, w->router), 0);
    sipc_server_set_conn_cb(w->srv, on_server_conn, w);
    assert_int_equal(sipc_channel_open(&w->ch, w->cctx, addr, sipc_server_port(w->srv), NULL), 0);
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
    world_open(&w, SIPC_TLS_STRICT, direct, ADDR);
    run_calls(&w, 1);
    int after_serial = w.server_ups;
    /* each call is a record of 4 KiB and a little each way, a quarter of a
     * full-size one's blocks (and a whole one's where wolfSSL keeps the
     * records): 2,000 of them pass 200 full-size records' worth twice at
     * least; with 32 in flight, 8 MB each way is 500 full-size records */
    assert_true(after_serial > 1);
    assert_non_null(strstr(w.cipher, "AES128-GCM"));
    run_calls(&w, 32);
    assert_true(w.server_ups > after_serial);
    assert_true(tu_log_has(&w.log, "its TLS keys have encrypted"));
    assert_true(tu_log_has(&w.log, "full-size records hold; new keys on a new connection"));
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

/* Keys wear by the AES blocks they encrypt, not by the records: 2,000 calls
 * of 64 bytes one at a time are 2,000 small records each way, a few blocks
 * each. Where sipc's record layer sees their sizes, they stay far under 200
 * full-size records' worth (205,000 blocks) and the connection is never
 * replaced; where wolfSSL keeps the records, each counts full-size and it
 * is replaced about ten times. On 127.1.170.1. */
static void t_small_calls_wear_by_blocks(void **state)
{
    (void)state;
    sipc__key_records_max = LIMIT;
    for (int direct = 0; direct < 2; direct++) {
        world w;
        world_open(&w, SIPC_TLS_STRICT, direct, "127.1.170.1");
        w.payload = SMALL;
        run_calls(&w, 1);
        assert_non_null(strstr(w.cipher, "AES128-GCM"));
        assert_int_equal(w.direct_ups, direct ? w.server_ups : 0);
        if (direct) {
            assert_int_equal(w.server_ups, 1);
            assert_false(tu_log_has(&w.log, "TLS keys have encrypted"));
        } else {
            assert_true(w.server_ups > 5);
        }
        world_close(&w);
    }
    sipc__key_records_max = SIPC__KEY_RECORDS_MAX;
}

/* ChaCha20-Poly1305's keys do not wear (its sequence number wraps before
 * its limit is reached, RFC 8446 5.5): at the same limit, the calls that
 * replace an AES-GCM connection several times never replace it, on either
 * record layer. On 127.1.170.2. */
static void t_chacha_never_replaced(void **state)
{
    (void)state;
    sipc__key_records_max = LIMIT;
    g_suites = SUITES_CHACHA;
    for (int direct = 0; direct < 2; direct++) {
        world w;
        world_open(&w, SIPC_TLS_STRICT, direct, "127.1.170.2");
        run_calls(&w, 1);
        run_calls(&w, 32);
        assert_non_null(strstr(w.cipher, "CHACHA20"));
        assert_int_equal(w.server_ups, 1);
        assert_int_equal(w.direct_ups, direct);
        assert_false(tu_log_has(&w.log, "TLS keys have encrypted"));
        world_close(&w);
    }
    g_suites = SUITES_AES_GCM;
    sipc__key_records_max = SIPC__KEY_RECORDS_MAX;
}

static void t_plaintext_never_replaced(void **state)
{
    (void)state;
    sipc__key_records_max = LIMIT;
    world w;
    world_open(&w, SIPC_TLS_OFF, 1, ADDR);
    run_calls(&w, 1);
    run_calls(&w, 32);
    assert_int_equal(w.server_ups, 1);
    assert_false(tu_log_has(&w.log, "TLS keys have encrypted"));
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
        cmocka_unit_test(t_small_calls_wear_by_blocks),
        cmocka_unit_test(t_chacha_never_replaced),
        cmocka_unit_test(t_plaintext_never_replaced),
    };
    int fails = cmocka_run_group_tests_name("key_wear", tests, NULL, NULL);
    tu_rmdir(g_dir);
    free(g_dir);
    return fails ? 1 : 0;
}
