/* test_links.c - how channels behave across peer outages and reloads, with
 * the library's default options (what sipcd's links get): a peer back from
 * an outage is reached again within about a second, a dead peer sees a
 * bounded number of connection attempts, and a connection kept busy across a
 * TLS reload moves to the new setup (GOAWAY) without a failed call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

static char *g_dir;
static char g_pem[512];

typedef struct node {
    sipc_ctx *ctx;
    sipc_security *sec;
    sipc_router *router;
    sipc_server *srv;
    tu_log log;
} node;

static void h_echo(sipc_request *req, void *arg)
{
    (void)arg;
    size_t len;
    const void *p = sipc_request_data(req, &len);
    sipc_respond(req, p, len);
}

static sipc_ctx *new_ctx(uv_loop_t *loop, const char *id, sipc_security *sec, tu_log *log)
{
    sipc_options o;
    sipc_options_init(&o); /* the defaults: backoff included */
    o.node_id = id;
    o.cluster = "links";
    o.log = tu_log_sink;
    o.log_arg = log;
    sipc_ctx *ctx;
    assert_int_equal(sipc_ctx_new(&ctx, loop, &o, sec), 0);
    return ctx;
}

/* A server node on 127.0.0.1:port (0: any); returns the port. */
static int node_start(node *n, uv_loop_t *loop, sipc_tls_mode mode, int port)
{
    n->sec = tu_security(mode, g_pem);
    n->ctx = new_ctx(loop, "srv", n->sec, &n->log);
    assert_int_equal(sipc_router_new(&n->router), 0);
    assert_int_equal(sipc_router_add(n->router, "test", "echo", h_echo, n), 0);
    assert_int_equal(sipc_server_listen(&n->srv, n->ctx, "Test", "127.0.0.1", port, n->router), 0);
    return sipc_server_port(n->srv);
}

/* Stops the node as a process exit would: every connection closes. */
static void node_stop(node *n, uv_loop_t *loop)
{
    int done = 0;
    sipc_ctx_close(n->ctx, NULL, NULL);
    tu_run_until(loop, &done, 200); /* let the closes happen */
    n->ctx = NULL;
    sipc_router_free(n->router);
    n->router = NULL;
    sipc_security_release(n->sec);
    n->sec = NULL;
}

static uint64_t now_ms(uv_loop_t *loop)
{
    uv_update_time(loop);
    return uv_now(loop);
}

typedef struct result {
    int done, err;
} result;

static void on_result(int err, const sipc_reply *rep, void *arg)
{
    (void)rep;
    result *r = arg;
    r->done = 1;
    r->err = err;
}

/* Runs the loop until the channel is up, at most ms; returns the time taken. */
static uint64_t wait_up(uv_loop_t *loop, sipc_channel *ch, unsigned ms)
{
    uint64_t t0 = now_ms(loop);
    while (!sipc_channel_is_up(ch) && now_ms(loop) - t0 < ms)
        uv_run(loop, UV_RUN_ONCE);
    return now_ms(loop) - t0;
}

static void idle_for(uv_loop_t *loop, unsigned ms)
{
    int never = 0;
    tu_run_until(loop, &never, ms);
}

/* ---------------------------------------------------------- reconnection */

/* A peer stopped for a few seconds and started again on the same address is
 * reached again within ~1.5 s of being back: first with nothing waiting
 * (the backoff's cap), then with a call waiting for the link. */
static void t_restart_reached_fast(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    node n = {0};
    int port = node_start(&n, &loop, SIPC_TLS_OFF, 0);
    tu_log clog = {0};
    sipc_security *csec = tu_security(SIPC_TLS_OFF, g_pem);
    sipc_ctx *cctx = new_ctx(&loop, "cli", csec, &clog);
    sipc_channel *ch;
    assert_int_equal(sipc_channel_open(&ch, cctx, "127.0.0.1", port, NULL), 0);
    assert_true(wait_up(&loop, ch, 3000) < 3000);

    for (int round = 0; round < 2; round++) {
        node_stop(&n, &loop);
        idle_for(&loop, 5000); /* down for 5 s: the backoff has grown to its cap */
        assert_false(sipc_channel_is_up(ch));
        assert_int_equal(node_start(&n, &loop, SIPC_TLS_OFF, port), port);
        uint64_t back = now_ms(&loop);
        result r = {0};
        if (round == 1) /* a call needs the link: it brings the next attempt forward */
            assert_int_equal(sipc_call(ch, "test", "echo", "x", 1, 10000, on_result, &r), 0);
        uint64_t took = wait_up(&loop, ch, 5000);
        print_message("round %d: link up again %llu ms after the peer was back\n", round,
                      (unsigned long long)took);
        assert_true(took <= 1500);
        if (round == 0)
            assert_int_equal(sipc_call(ch, "test", "echo", "x", 1, 10000, on_result, &r), 0);
        assert_true(tu_run_until(&loop, &r.done, 1500));
        assert_int_equal(r.err, 0);
        assert_true(now_ms(&loop) - back <= 1500);
        if (round == 1)
            assert_true(took <= 600); /* a waiting call: at most 250 ms + a connect */
    }
    sipc_ctx_close(cctx, NULL, NULL);
    sipc_ctx_close(n.ctx, NULL, NULL);
    assert_true(tu_drain(&loop, 5000));
    assert_int_equal(uv_loop_close(&loop), 0);
    sipc_router_free(n.router);
    sipc_security_release(n.sec);
    sipc_security_release(csec);
    tu_log_free(&n.log);
    tu_log_free(&clog);
}

/* A "dead" peer: the port accepts and closes at once, and counts. */
typedef struct dead_peer {
    uv_tcp_t tcp;
    int accepts;
} dead_peer;

static void on_dead_closed(uv_handle_t *h)
{
    free(h);
}

static void on_dead_conn(uv_stream_t *server, int status)
{
    dead_peer *d = server->data;
    if (status != 0)
        return;
    uv_tcp_t *c = malloc(sizeof *c);
    assert_non_null(c);
    uv_tcp_init(server->loop, c);
    if (uv_accept(server, (uv_stream_t *)c) == 0)
        d->accepts++;
    uv_close((uv_handle_t *)c, on_dead_closed);
}

typedef struct pacer {
    uv_timer_t t;
    sipc_channel *ch;
    result r[512];
    int n;
} pacer;

static void on_pace(uv_timer_t *t)
{
    pacer *p = t->data;
    if (p->n < 512)
        assert_int_equal(sipc_call(p->ch, "test", "echo", "x", 1, 100, on_result, &p->r[p->n++]),
                         0);
}

/* The backoff still spares a dead peer: with nothing waiting, at most a few
 * attempts a second (capped at 1 s, drawn in [0.5, 1] s); with a call made
 * every 10 ms, at most one attempt per 250 ms. */
static void t_dead_peer_attempts_bounded(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    dead_peer d = {0};
    assert_int_equal(uv_tcp_init(&loop, &d.tcp), 0);
    d.tcp.data = &d;
    struct sockaddr_in sa;
    uv_ip4_addr("127.0.0.1", 0, &sa);
    assert_int_equal(uv_tcp_bind(&d.tcp, (struct sockaddr *)&sa, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&d.tcp, 64, on_dead_conn), 0);
    struct sockaddr_storage ss;
    int sl = sizeof ss;
    uv_tcp_getsockname(&d.tcp, (struct sockaddr *)&ss, &sl);
    int port = ntohs(((struct sockaddr_in *)&ss)->sin_port);

    tu_log clog = {0};
    sipc_security *csec = tu_security(SIPC_TLS_OFF, g_pem);
    sipc_ctx *cctx = new_ctx(&loop, "cli", csec, &clog);
    sipc_channel *ch;
    assert_int_equal(sipc_channel_open(&ch, cctx, "127.0.0.1", port, NULL), 0);
    idle_for(&loop, 2000); /* the ramp: 100, 200, 400, 800 ms */
    int before = d.accepts;
    idle_for(&loop, 4000);
    int quiet = d.accepts - before;
    print_message("nothing waiting: %d attempts in 4 s\n", quiet);
    assert_true(quiet >= 3);  /* it keeps trying: at least once a second */
    assert_true(quiet <= 9);  /* and no more than one per 0.5 s */

    pacer *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->ch = ch;
    uv_timer_init(&loop, &p->t);
    p->t.data = p;
    uv_timer_start(&p->t, on_pace, 0, 10);
    before = d.accepts;
    idle_for(&loop, 4000);
    uv_timer_stop(&p->t);
    int busy = d.accepts - before;
    print_message("a call every 10 ms: %d attempts in 4 s (%d calls)\n", busy, p->n);
    assert_true(busy >= 6);   /* calls bring attempts forward */
    assert_true(busy <= 18);  /* but never closer than 250 ms */
    uv_close((uv_handle_t *)&p->t, NULL);
    uv_close((uv_handle_t *)&d.tcp, NULL);
    sipc_ctx_close(cctx, NULL, NULL);
    assert_true(tu_drain(&loop, 5000));
    for (int i = 0; i < p->n; i++) {
        assert_true(p->r[i].done);
        assert_int_not_equal(p->r[i].err, 0);
    }
    free(p);
    assert_int_equal(uv_loop_close(&loop), 0);
    sipc_security_release(csec);
    tu_log_free(&clog);
}

int main(void)
{
    g_dir = tu_mkdtemp("links");
    if (!g_dir || tu_make_pair(g_dir, "node", "ec", 30, NULL, "sipc links cluster") != 0) {
        fprintf(stderr, "cannot generate test certificates with openssl\n");
        return 1;
    }
    snprintf(g_pem, sizeof g_pem, "%s/node.pem", g_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_restart_reached_fast),
        cmocka_unit_test(t_dead_peer_attempts_bounded),
    };
    int fails = cmocka_run_group_tests_name("links", tests, NULL, NULL);
    tu_rmdir(g_dir);
    free(g_dir);
    return fails ? 1 : 0;
}
