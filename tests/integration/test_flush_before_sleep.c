/* test_flush_before_sleep.c - what a context queues leaves before its loop
 * waits for I/O, also when it is queued from another context's flusher on
 * the same loop (sipcd runs its services' contexts, and the pipeline's
 * links, on one loop): a handler that ran from the flusher of the context
 * that serves it (its request waited for the pending cap) forwards a call
 * through a second context, and the call must reach its server without the
 * loop sleeping on it until some timer wakes it. Small calls wait for the
 * flusher; a 64 KiB call over TLS is written at once but corked, its short
 * end kept for the flusher (sipc_stream_cork).
 *
 * The forwarder runs on the main thread's loop; the client that calls it
 * and the server the call is forwarded to run on a second loop in a thread
 * of their own, so that nothing they do wakes the forwarder's loop. Over
 * real TCP and TLS on 127.1.199.1-2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sipc/sipc.h"
#include "testutil.h"

#define FRONT_ADDR "127.1.199.1" /* the forwarder's server */
#define SINK_ADDR "127.1.199.2"  /* where it forwards to */
#define SOURCE_ADDR "127.1.199.3"
/* from the forward to the sink's handler; a loop left asleep with the call
 * waits for the next timer, at least a connection's 1 s trim */
#define PROMPT_MS 400

static char *g_dir;
static char g_pem[512];

typedef struct fwd_world {
    sipc_tls_mode mode;
    size_t fwd_len; /* the forwarded call's payload */
    uint8_t *fwd;
    /* main loop: the forwarder's server (front) and its links */
    uv_loop_t loop;
    sipc_security *sec;
    sipc_ctx *front, *links;
    sipc_router *front_router;
    sipc_channel *to_sink;
    sipc_request *held; /* the first call to front, held: the cap is 1 */
    int fronted;        /* calls front's handler took */
    uint64_t fwd_at;    /* uv_hrtime() of the forward */
    uv_timer_t answer;  /* answers the held call */
    uv_async_t woken;   /* the sink says the forward arrived */
    /* second loop (thread): the sink's server and front's client */
    uv_loop_t loop2;
    uv_thread_t thread;
    uv_async_t stop2;
    sipc_security *sec2;
    sipc_ctx *sink, *client;
    sipc_router *sink_router;
    sipc_channel *to_front;
    int sink_port, front_port;
    /* written on loop2, read once woken (uv_async_send orders them) */
    int sunk; /* calls the sink took */
    size_t sunk_len;
    uint64_t sunk_at;
    int client_done; /* front's answers to the client */
    /* main loop */
    int forwarded; /* calls through links answered */
    int links_err; /* the first error of one */
} fwd_world;

static void opts(sipc_options *o, const char *node)
{
    sipc_options_init(o);
    o->node_id = node;
    o->cluster = "test";
    o->log = NULL;
    o->reconnect_min_ms = 20;
    o->reconnect_max_ms = 200;
    o->source_address = SOURCE_ADDR; /* a dial, from this test's block */
}

/* ---------------------------------------------------- the second loop */

static void h_sink(sipc_request *req, void *arg)
{
    fwd_world *w = arg;
    size_t len;
    (void)sipc_request_data(req, &len);
    w->sunk_at = uv_hrtime();
    w->sunk_len = len;
    __atomic_add_fetch(&w->sunk, 1, __ATOMIC_RELEASE);
    sipc_respond(req, NULL, 0);
    uv_async_send(&w->woken);
}

static void on_client_reply(int err, const sipc_reply *rep, void *arg)
{
    (void)err;
    (void)rep;
    fwd_world *w = arg;
    __atomic_add_fetch(&w->client_done, 1, __ATOMIC_RELEASE);
}

/* Runs on loop2: two calls to front at once; the second waits for the
 * first (front's pending cap is 1), so front runs it from its flusher. */
static void post_calls(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    fwd_world *w = arg;
    for (int i = 0; i < 2; i++)
        if (sipc_call(w->to_front, "svc", "fwd", "x", 1, 10000, on_client_reply, w) != 0)
            __atomic_add_fetch(&w->client_done, 10, __ATOMIC_RELEASE); /* fails the count */
}

static void on_stop2(uv_async_t *a)
{
    fwd_world *w = a->data;
    sipc_ctx_close(w->client, NULL, NULL);
    sipc_ctx_close(w->sink, NULL, NULL);
    uv_close((uv_handle_t *)a, NULL);
}

static void run_loop2(void *arg)
{
    fwd_world *w = arg;
    uv_run(&w->loop2, UV_RUN_DEFAULT);
}

/* ------------------------------------------------------ the main loop */

static void on_fwd_reply(int err, const sipc_reply *rep, void *arg)
{
    (void)rep;
    fwd_world *w = arg;
    w->links_err = err ? err : w->links_err;
    w->forwarded++;
}

/* The first call is held; the second, run from front's flusher once the
 * first is answered, forwards through links. */
static void h_front(sipc_request *req, void *arg)
{
    fwd_world *w = arg;
    if (w->fronted++ == 0) {
        w->held = req;
        return;
    }
    w->fwd_at = uv_hrtime();
    assert_int_equal(sipc_call(w->to_sink, "svc", "take", w->fwd, w->fwd_len, 10000,
                               on_fwd_reply, w),
                     0);
    sipc_respond(req, NULL, 0);
}

static void on_answer(uv_timer_t *t)
{
    fwd_world *w = t->data;
    sipc_respond(w->held, NULL, 0);
    w->held = NULL;
}

static void on_woken(uv_async_t *a)
{
    (void)a;
}

/* A server of ctx at addr whose one method, svc.name, is h; returns its port. */
static int serve(fwd_world *w, sipc_ctx *ctx, sipc_router **router, const char *addr,
                 const char *name, sipc_handler_fn h)
{
    sipc_server *srv;
    assert_int_equal(sipc_router_new(router), 0);
    assert_int_equal(sipc_router_add(*router, "svc", name, h, w), 0);
    assert_int_equal(sipc_server_listen(&srv, ctx, name, addr, 0, *router), 0);
    return sipc_server_port(srv);
}

static void world_up(fwd_world *w)
{
    w->fwd = calloc(1, w->fwd_len);
    assert_non_null(w->fwd);
    assert_int_equal(uv_loop_init(&w->loop), 0);
    assert_int_equal(uv_loop_init(&w->loop2), 0);
    w->sec = tu_security(w->mode, g_pem);
    w->sec2 = tu_security(w->mode, g_pem);
    sipc_options o;

    opts(&o, "sink");
    assert_int_equal(sipc_ctx_new(&w->sink, &w->loop2, &o, w->sec2), 0);
    w->sink_port = serve(w, w->sink, &w->sink_router, SINK_ADDR, "take", h_sink);
    opts(&o, "front");
    o.max_pending_requests = 1;
    assert_int_equal(sipc_ctx_new(&w->front, &w->loop, &o, w->sec), 0);
    w->front_port = serve(w, w->front, &w->front_router, FRONT_ADDR, "fwd", h_front);
    opts(&o, "links");
    assert_int_equal(sipc_ctx_new(&w->links, &w->loop, &o, w->sec), 0);
    assert_int_equal(sipc_channel_open(&w->to_sink, w->links, SINK_ADDR, w->sink_port, NULL), 0);

    opts(&o, "client");
    assert_int_equal(sipc_ctx_new(&w->client, &w->loop2, &o, w->sec2), 0);
    assert_int_equal(sipc_channel_open(&w->to_front, w->client, FRONT_ADDR, w->front_port, NULL),
                     0);

    uv_timer_init(&w->loop, &w->answer);
    w->answer.data = w;
    uv_async_init(&w->loop, &w->woken, on_woken);
    uv_async_init(&w->loop2, &w->stop2, on_stop2);
    w->stop2.data = w;
    assert_int_equal(uv_thread_create(&w->thread, run_loop2, w), 0);
}

static void world_down(fwd_world *w)
{
    uv_async_send(&w->stop2);
    sipc_ctx_close(w->links, NULL, NULL);
    sipc_ctx_close(w->front, NULL, NULL);
    uv_close((uv_handle_t *)&w->answer, NULL);
    uv_close((uv_handle_t *)&w->woken, NULL);
    assert_true(tu_drain(&w->loop, 5000));
    assert_int_equal(uv_thread_join(&w->thread), 0);
    assert_int_equal(uv_loop_close(&w->loop), 0);
    assert_int_equal(uv_loop_close(&w->loop2), 0);
    sipc_router_free(w->front_router);
    sipc_router_free(w->sink_router);
    sipc_security_release(w->sec);
    sipc_security_release(w->sec2);
    free(w->fwd);
}

/* Runs the main loop, with no timer of the test's own to wake it, until
 * the sink took the forwarded call or ms passed. */
static void run_until_sunk(fwd_world *w, int n, unsigned ms)
{
    uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000;
    while (__atomic_load_n(&w->sunk, __ATOMIC_ACQUIRE) < n && uv_hrtime() < end)
        uv_run(&w->loop, UV_RUN_ONCE);
}

static int client_done(fwd_world *w)
{
    return __atomic_load_n(&w->client_done, __ATOMIC_ACQUIRE);
}

/* On the heap, left to the second loop's thread when an assertion ends the
 * test early. */
static void forward_prompt(sipc_tls_mode mode, size_t len)
{
    fwd_world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->mode = mode;
    w->fwd_len = len;
    world_up(w);
    /* links up and used once: the forward is written on a live connection */
    assert_int_equal(sipc_call(w->to_sink, "svc", "take", "w", 1, 10000, on_fwd_reply, w), 0);
    assert_true(tu_run_until(&w->loop, &w->forwarded, 10000));
    assert_int_equal(__atomic_load_n(&w->sunk, __ATOMIC_ACQUIRE), 1);
    assert_int_equal(sipc_ctx_post(w->client, post_calls, w), 0);
    int never = 0;
    for (int i = 0; i < 1000 && !w->held; i++)
        tu_run_until(&w->loop, &never, 10);
    assert_non_null(w->held);
    /* a few quiet turns: the second call waits, links' flusher stops */
    tu_run_until(&w->loop, &never, 100);
    assert_int_equal(w->fronted, 1);
    uv_timer_start(&w->answer, on_answer, 1, 0);
    run_until_sunk(w, 2, 5000);
    assert_int_equal(w->fronted, 2);
    assert_int_equal(__atomic_load_n(&w->sunk, __ATOMIC_ACQUIRE), 2);
    assert_int_equal(w->sunk_len, len);
    uint64_t ms = (w->sunk_at - w->fwd_at) / 1000000;
    print_message("%s, %zu bytes: forwarded to the sink in %llu ms\n",
                  mode == SIPC_TLS_OFF ? "plaintext" : "TLS", len, (unsigned long long)ms);
    for (int i = 0; i < 500 && (w->forwarded < 2 || client_done(w) < 2); i++)
        tu_run_until(&w->loop, &never, 10);
    assert_int_equal(w->links_err, 0);
    assert_int_equal(w->forwarded, 2);
    assert_int_equal(client_done(w), 2);
    world_down(w);
    free(w);
    assert_true(ms < PROMPT_MS);
}

static void t_small_plain(void **state)
{
    (void)state;
    forward_prompt(SIPC_TLS_OFF, 100);
}

static void t_small_tls(void **state)
{
    (void)state;
    forward_prompt(SIPC_TLS_STRICT, 100);
}

/* written at once, corked: its short end waits for the flusher */
static void t_large_tls(void **state)
{
    (void)state;
    forward_prompt(SIPC_TLS_STRICT, 65536);
}

int main(void)
{
    g_dir = tu_mkdtemp("flush_sleep");
    if (!g_dir || tu_make_pair(g_dir, "node", "ec", 30, NULL, "sipc test cluster") != 0) {
        fprintf(stderr, "cannot generate test certificates with openssl/faketime\n");
        return 1;
    }
    snprintf(g_pem, sizeof g_pem, "%s/node.pem", g_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_small_plain),
        cmocka_unit_test(t_small_tls),
        cmocka_unit_test(t_large_tls),
    };
    int fails = cmocka_run_group_tests(tests, NULL, NULL);
    tu_rmdir(g_dir);
    free(g_dir);
    return fails ? 1 : 0;
}
