/* test_transport.c - one test body, run over plaintext and over TLS: RPC
 * round trips, many calls in flight answered out of order, small and large
 * calls pipelined through filling sockets, one-way messages, deadlines,
 * drops, reconnects, backpressure, cross-thread posting, and the
 * transport's answers to bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/endian.h"
#include "base/rss.h"
#include "ipc/addr.h"
#include "ipc/envelope.h"
#include "ipc/internal.h"
#include "ipc/security.h"
#include "services/common/link_down.h"
#include "lanes.h"
#include "testutil.h"
#include "transport/stream.h"
#include "transport/tls_engine.h"

static sipc_tls_mode g_mode; /* the group being run: OFF or STRICT */
static char *g_dir;          /* certificates for this run */
static char g_pem[512], g_other_pem[512], g_expired_pem[512];

typedef struct world {
    uv_loop_t loop;
    tu_log slog, clog;
    /* set before world_server/world_client: used as they are (else
     * tu_security of their mode and pem) */
    sipc_security *ssec, *csec;
    sipc_ctx *sctx, *cctx;
    sipc_router *router;
    sipc_server *srv;
    sipc_channel *ch;
    int port;
    /* handler state */
    sipc_request *held[256];
    int nheld;
    int oneways;
    int hold; /* 1: handlers keep requests instead of answering */
    /* set before world_server/world_client to change their defaults */
    const char *addr;         /* default 127.0.0.1 */
    const char *source;       /* client side: sipc_options.source_address */
    uint32_t keepalive_ms;    /* server side, 0: library default */
    uint32_t idle_timeout_ms; /* server side, 0: library default */
    uint32_t max_opening;     /* server side, 0: library default */
    uint32_t hs_timeout_ms;   /* server side, 0: 500 */
    size_t max_queue_total;   /* server side, 0: library default */
    uint32_t max_conns;       /* server side, 0: library default */
    uint32_t max_per_host;    /* server side, 0: library default */
    uint32_t redial_min_ms, redial_max_ms; /* client side, 0: 20 and 200 */
    uint32_t cli_hs_timeout_ms;            /* client side, 0: 2000 */
    /* connection events, client (c*) and server (s*) side */
    sipc_conn *cconn, *sconn; /* the last connection that came up */
    int cups, cdowns, cdown_err, cwritable;
    int sups, sdowns, sdown_err;
    /* what handlers saw */
    int64_t seen_deadline;
    int respond_rc;
} world;

/* ------------------------------------------------------------ helpers */

static void h_echo(sipc_request *req, void *arg)
{
    world *w = arg;
    if (w->hold && w->nheld < 256) {
        w->held[w->nheld++] = req;
        return;
    }
    size_t len;
    const void *p = sipc_request_data(req, &len);
    sipc_respond(req, p, len);
}

static void h_oneway(sipc_request *req, void *arg)
{
    world *w = arg;
    w->oneways++;
    sipc_respond(req, NULL, 0);
}

static void h_fail(sipc_request *req, void *arg)
{
    (void)arg;
    sipc_respond_error(req, 42, "application says no");
}

/* Records the caller's deadline as the handler sees it, then acts as echo. */
static void h_deadline(sipc_request *req, void *arg)
{
    world *w = arg;
    w->seen_deadline = sipc_request_deadline_ms(req);
    h_echo(req, arg);
}

/* An empty reply, given as (NULL, 0). */
static void h_empty(sipc_request *req, void *arg)
{
    world *w = arg;
    w->respond_rc = sipc_respond(req, NULL, 0);
}

/* A handler mistake: no data but a length. */
static void h_nodata(sipc_request *req, void *arg)
{
    world *w = arg;
    w->respond_rc = sipc_respond(req, NULL, 3);
}

static void on_cli_conn(sipc_conn *c, sipc_conn_event ev, int err, void *arg)
{
    world *w = arg;
    if (ev == SIPC_CONN_UP) {
        w->cconn = c;
        w->cups++;
    } else if (ev == SIPC_CONN_DOWN) {
        if (w->cconn == c)
            w->cconn = NULL;
        w->cdowns++;
        w->cdown_err = err;
    } else if (ev == SIPC_CONN_WRITABLE) {
        w->cwritable++;
    }
}

static void on_srv_conn(sipc_conn *c, sipc_conn_event ev, int err, void *arg)
{
    world *w = arg;
    if (ev == SIPC_CONN_UP) {
        w->sconn = c;
        w->sups++;
    } else if (ev == SIPC_CONN_DOWN) {
        if (w->sconn == c)
            w->sconn = NULL;
        w->sdowns++;
        w->sdown_err = err;
    }
}

static uint32_t g_max_pending; /* 0: default */

/* Starts the test server; returns sipc_server_listen's result (the rest is asserted). */
static int world_server_try(world *w, sipc_tls_mode mode, const char *pem, const char *cluster,
                            size_t max_frame)
{
    sipc_options o;
    sipc_options_init(&o);
    o.max_pending_requests = g_max_pending;
    o.node_id = "srv";
    o.cluster = cluster;
    o.log = tu_log_sink;
    o.log_arg = &w->slog;
    o.handshake_timeout_ms = w->hs_timeout_ms ? w->hs_timeout_ms : 500;
    if (w->max_opening)
        o.max_opening = w->max_opening;
    if (w->max_queue_total)
        o.max_write_queue_total = w->max_queue_total;
    if (w->max_conns)
        o.max_connections = w->max_conns;
    o.max_connections_per_host = w->max_per_host;
    if (max_frame)
        o.max_frame = max_frame;
    if (w->keepalive_ms)
        o.keepalive_ms = w->keepalive_ms;
    if (w->idle_timeout_ms)
        o.idle_timeout_ms = w->idle_timeout_ms;
    if (!w->ssec)
        w->ssec = tu_security(mode, pem);
    assert_int_equal(sipc_ctx_new(&w->sctx, &w->loop, &o, w->ssec), 0);
    assert_int_equal(sipc_router_new(&w->router), 0);
    assert_int_equal(sipc_router_add(w->router, "test", "echo", h_echo, w), 0);
    assert_int_equal(sipc_router_add(w->router, "test", "note", h_oneway, w), 0);
    assert_int_equal(sipc_router_add(w->router, "test", "fail", h_fail, w), 0);
    assert_int_equal(sipc_router_add(w->router, "test", "deadline", h_deadline, w), 0);
    assert_int_equal(sipc_router_add(w->router, "test", "empty", h_empty, w), 0);
    assert_int_equal(sipc_router_add(w->router, "test", "nodata", h_nodata, w), 0);
    int r = sipc_server_listen(&w->srv, w->sctx, "Test Service", w->addr ? w->addr : "127.0.0.1",
                               w->port, w->router);
    if (r == 0) {
        w->port = sipc_server_port(w->srv);
        sipc_server_set_conn_cb(w->srv, on_srv_conn, w);
    }
    return r;
}

static void world_server(world *w, sipc_tls_mode mode, const char *pem, const char *cluster,
                         size_t max_frame)
{
    assert_int_equal(world_server_try(w, mode, pem, cluster, max_frame), 0);
}

static void world_client(world *w, sipc_tls_mode mode, const char *pem, const char *cluster,
                         size_t max_frame, size_t max_queue)
{
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = "cli";
    o.cluster = cluster;
    o.log = tu_log_sink;
    o.log_arg = &w->clog;
    o.reconnect_min_ms = w->redial_min_ms ? w->redial_min_ms : 20;
    o.reconnect_max_ms = w->redial_max_ms ? w->redial_max_ms : 200;
    o.handshake_timeout_ms = w->cli_hs_timeout_ms ? w->cli_hs_timeout_ms : 2000;
    o.source_address = w->source;
    if (max_frame)
        o.max_frame = max_frame;
    if (max_queue)
        o.max_write_queue = max_queue;
    if (!w->csec)
        w->csec = tu_security(mode, pem);
    assert_int_equal(sipc_ctx_new(&w->cctx, &w->loop, &o, w->csec), 0);
    assert_int_equal(sipc_channel_open(&w->ch, w->cctx, w->addr ? w->addr : "127.0.0.1", w->port,
                                       NULL),
                     0);
    sipc_channel_set_conn_cb(w->ch, on_cli_conn, w);
}

static world *world_new(void)
{
    world *w = calloc(1, sizeof *w);
    assert_int_equal(uv_loop_init(&w->loop), 0);
    return w;
}

static world *world_std(void)
{
    world *w = world_new();
    world_server(w, g_mode, g_pem, "test", 0);
    world_client(w, g_mode, g_pem, "test", 0, 0);
    return w;
}

static void world_free(world *w)
{
    for (int i = 0; i < w->nheld; i++)
        sipc_respond_error(w->held[i], SIPC_ECANCELED, "test over");
    w->nheld = 0;
    if (w->cctx)
        sipc_ctx_close(w->cctx, NULL, NULL);
    if (w->sctx)
        sipc_ctx_close(w->sctx, NULL, NULL);
    assert_true(tu_drain(&w->loop, 5000));
    assert_int_equal(uv_loop_close(&w->loop), 0);
    if (w->ssec)
        sipc_security_release(w->ssec);
    if (w->csec)
        sipc_security_release(w->csec);
    sipc_router_free(w->router);
    tu_log_free(&w->slog);
    tu_log_free(&w->clog);
    free(w);
}

/* One call's outcome. */
typedef struct result {
    int done;
    int ncb; /* callbacks run: a call completes exactly once */
    int err;
    int status;
    int sent; /* sipc_reply.sent */
    char message[600];
    uint8_t *data;
    size_t len;
    int *order; /* completion order recorder */
    int *norder;
    int index;
} result;

static void on_result(int err, const sipc_reply *rep, void *arg)
{
    result *r = arg;
    r->done = 1;
    r->ncb++;
    free(r->data); /* a second completion must not leak, the test catches it */
    r->err = err;
    r->status = rep->status;
    r->sent = rep->sent;
    snprintf(r->message, sizeof r->message, "%s", rep->message);
    r->data = malloc(rep->len + 1);
    memcpy(r->data, rep->data ? (const void *)rep->data : "", rep->len);
    r->len = rep->len;
    if (r->order)
        r->order[(*r->norder)++] = r->index;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 131 + 7 + seed) & 0xff);
}

static int call_on(world *w, sipc_channel *ch, const char *method, const void *data, size_t len,
                   uint32_t tmo, result *r)
{
    memset(r, 0, sizeof *r);
    int e = sipc_call(ch, "test", method, data, len, tmo, on_result, r);
    if (e != 0)
        return e;
    assert_true(tu_run_until(&w->loop, &r->done, tmo + 3000));
    return 0;
}

static int call_wait(world *w, const char *method, const void *data, size_t len, uint32_t tmo,
                     result *r)
{
    return call_on(w, w->ch, method, data, len, tmo, r);
}

/* One echo call on ch that must end with err want. */
static void echo_expect(world *w, sipc_channel *ch, int want)
{
    result r;
    assert_int_equal(call_on(w, ch, "echo", "e", 1, 3000, &r), 0);
    if (r.err != want)
        fprintf(stderr, "echo: %s (%s), wanted %s\n", sipc_err_name(r.err), r.message,
                sipc_err_name(want));
    assert_int_equal(r.err, want);
    free(r.data);
}

/* Runs the loop until the server holds n requests (bounded). */
static void wait_held(world *w, int n)
{
    for (int i = 0; i < 500 && w->nheld < n; i++) {
        int never = 0;
        tu_run_until(&w->loop, &never, 10);
    }
    assert_int_equal(w->nheld, n);
}

/* Another client of the test server, on a context of its own. */
typedef struct client {
    sipc_security *sec;
    sipc_ctx *ctx;
    sipc_channel *ch;
    tu_log log;
    int closed;
} client;

static void client_open(world *w, client *k, sipc_tls_mode mode, const char *pem, const char *node)
{
    memset(k, 0, sizeof *k);
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = node ? node : "cli2";
    o.cluster = "test";
    o.log = tu_log_sink;
    o.log_arg = &k->log;
    o.reconnect_min_ms = 20;
    o.reconnect_max_ms = 200;
    k->sec = tu_security(mode, pem);
    assert_int_equal(sipc_ctx_new(&k->ctx, &w->loop, &o, k->sec), 0);
    assert_int_equal(sipc_channel_open(&k->ch, k->ctx, w->addr ? w->addr : "127.0.0.1", w->port,
                                       NULL),
                     0);
    sipc_channel_set_fail_fast(k->ch, 1);
}

static void on_client_closed(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    ((client *)arg)->closed = 1;
}

static void client_close(world *w, client *k)
{
    sipc_ctx_close(k->ctx, on_client_closed, k);
    assert_true(tu_run_until(&w->loop, &k->closed, 5000));
    sipc_security_release(k->sec);
    tu_log_free(&k->log);
}

/* ------------------------------------------------------------ tests */

/* One echo of n bytes (filled from seed) on the world's channel: it must
 * come back whole. */
static void echo_n(world *w, size_t n, unsigned seed)
{
    uint8_t *p = malloc(n + 1);
    assert_non_null(p);
    fill(p, n, seed);
    result r;
    assert_int_equal(call_wait(w, "echo", p, n, 5000, &r), 0);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.len, n);
    assert_memory_equal(r.data, p, n);
    free(r.data);
    free(p);
}

static void t_echo_sizes(void **state)
{
    (void)state;
    world *w = world_std();
    static const size_t sizes[] = {0, 1, 63, 64, 1000, 16383, 16384, 16385, 65536, 1 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        echo_n(w, sizes[i], (unsigned)i);
    world_free(w);
}

/* Large requests held by the handler while more arrive: each keeps the
 * reassembly buffer its payload was decoded into (no copy), the decoder
 * takes fresh ones meanwhile, and answers given in reverse are intact. */
static void t_large_held_out_of_order(void **state)
{
    (void)state;
    world *w = world_std();
    w->hold = 1;
    enum { N = 6 };
    static const size_t sizes[N] = {4096, 70000, 300000, 1 << 20, 65536, 5000};
    static result rs[N];
    int order[N], norder = 0;
    uint8_t *bufs[N];
    for (int i = 0; i < N; i++) {
        memset(&rs[i], 0, sizeof rs[i]);
        rs[i].order = order;
        rs[i].norder = &norder;
        rs[i].index = i;
        bufs[i] = malloc(sizes[i]);
        fill(bufs[i], sizes[i], 100u + (unsigned)i);
        assert_int_equal(sipc_call(w->ch, "test", "echo", bufs[i], sizes[i], 10000, on_result,
                                   &rs[i]),
                         0);
    }
    wait_held(w, N);
    for (int i = N - 1; i >= 0; i--) {
        size_t len;
        const void *p = sipc_request_data(w->held[i], &len);
        assert_int_equal(len, sizes[i]);
        assert_memory_equal(p, bufs[i], len);
        sipc_respond(w->held[i], p, len);
    }
    w->nheld = 0;
    for (int spins = 0; spins < 2000 && norder < N; spins++)
        uv_run(&w->loop, UV_RUN_ONCE);
    assert_int_equal(norder, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(rs[i].err, 0);
        assert_int_equal(rs[i].len, sizes[i]);
        assert_memory_equal(rs[i].data, bufs[i], sizes[i]);
        free(rs[i].data);
        free(bufs[i]);
    }
    world_free(w);
}

/* Small and large calls sent all at once, each answered at once: large
 * payloads leave from where they lie (written around the frame before them)
 * while the socket fills and the rest is copied behind what waits, so the
 * bytes of every frame, small or large, must arrive whole and in order. */
static void t_mixed_sizes_pipelined(void **state)
{
    (void)state;
    world *w = world_std();
    echo_expect(w, w->ch, 0); /* up first: each large call is written from sipc_call */
    enum { N = 48 };
    static const size_t sizes[] = {10, 300000, 0, 70000, 65536, 1, (1 << 20) + 3, 262144, 5};
    enum { NS = sizeof sizes / sizeof sizes[0] };
    static result rs[N];
    int order[N], norder = 0;
    uint8_t *bufs[N];
    for (int i = 0; i < N; i++) {
        size_t n = sizes[i % NS];
        memset(&rs[i], 0, sizeof rs[i]);
        rs[i].order = order;
        rs[i].norder = &norder;
        rs[i].index = i;
        bufs[i] = malloc(n + 1);
        fill(bufs[i], n, 300u + (unsigned)i);
        assert_int_equal(sipc_call(w->ch, "test", "echo", bufs[i], n, 20000, on_result, &rs[i]),
                         0);
    }
    for (int spins = 0; spins < 20000 && norder < N; spins++)
        uv_run(&w->loop, UV_RUN_ONCE);
    assert_int_equal(norder, N);
    for (int i = 0; i < N; i++) {
        size_t n = sizes[i % NS];
        assert_int_equal(rs[i].err, 0);
        assert_int_equal(rs[i].len, n);
        assert_memory_equal(rs[i].data, bufs[i], n);
        assert_int_equal(order[i], i); /* answered in order, completed in order */
        free(rs[i].data);
        free(bufs[i]);
    }
    world_free(w);
}

static void t_many_in_flight_out_of_order(void **state)
{
    (void)state;
    world *w = world_std();
    w->hold = 1;
    enum { N = 200 };
    static result rs[N];
    int order[N], norder = 0;
    uint32_t vals[N];
    for (int i = 0; i < N; i++) {
        memset(&rs[i], 0, sizeof rs[i]);
        rs[i].order = order;
        rs[i].norder = &norder;
        rs[i].index = i;
        vals[i] = (uint32_t)i * 2654435761u;
        assert_int_equal(sipc_call(w->ch, "test", "echo", &vals[i], sizeof vals[i], 10000,
                                   on_result, &rs[i]),
                         0);
    }
    /* wait until every request is held by the server, then answer in reverse */
    int all = 0;
    for (int spins = 0; spins < 500 && !all; spins++) {
        uv_run(&w->loop, UV_RUN_NOWAIT);
        all = w->nheld == N;
        if (!all)
            uv_run(&w->loop, UV_RUN_ONCE);
    }
    assert_int_equal(w->nheld, N);
    for (int i = N - 1; i >= 0; i--) {
        size_t len;
        const void *p = sipc_request_data(w->held[i], &len);
        sipc_respond(w->held[i], p, len);
    }
    w->nheld = 0;
    int done = 0;
    for (int spins = 0; spins < 1000 && norder < N; spins++)
        uv_run(&w->loop, UV_RUN_ONCE);
    (void)done;
    assert_int_equal(norder, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(rs[i].err, 0);
        assert_int_equal(rs[i].len, sizeof(uint32_t));
        assert_memory_equal(rs[i].data, &vals[i], sizeof(uint32_t));
        free(rs[i].data);
    }
    assert_int_equal(order[0], N - 1); /* answered in reverse, completed in reverse */
    world_free(w);
}

/* Closing a context while a handler holds requests: the close waits for
 * them and says so in the log; answering them lets it complete. */
static void on_sctx_closed(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    *(int *)arg = 1;
}

static void t_close_waits_for_held(void **state)
{
    (void)state;
    world *w = world_std();
    w->hold = 1;
    result rs[2];
    memset(rs, 0, sizeof rs);
    for (int i = 0; i < 2; i++)
        assert_int_equal(sipc_call(w->ch, "test", "echo", "x", 1, 10000, on_result, &rs[i]), 0);
    wait_held(w, 2);
    int closed = 0;
    sipc_ctx_close(w->sctx, on_sctx_closed, &closed);
    w->sctx = NULL; /* world_free must not close it again */
    for (int i = 0; i < 50 && !closed; i++)
        uv_run(&w->loop, UV_RUN_NOWAIT);
    assert_false(closed);
    assert_true(tu_log_has(&w->slog, "closing: 2 requests still held by handlers (test.echo); "
                                     "their connections are closed, so no answer "
                                     "reaches its caller: the close waits up to 5000 ms for the "
                                     "handlers to release them"));
    assert_true(tu_log_has(&w->slog, "sipc_server_drain before the close"));
    for (int i = 0; i < w->nheld; i++)
        sipc_respond(w->held[i], "x", 1);
    w->nheld = 0;
    for (int i = 0; i < 500 && !closed; i++)
        uv_run(&w->loop, UV_RUN_ONCE);
    assert_true(closed);
    for (int i = 0; i < 2; i++)
        free(rs[i].data);
    world_free(w);
}

/* Closing a context while a handler holds a request whose connection is
 * already gone (the caller timed out and left): the close waits its grace,
 * names what is held, then completes, so the usual uv_run() returns only
 * once close_cb ran; a late answer only frees the request. The grace (5 s)
 * is read from the close's timer, whose end is brought forward. */
static void t_close_gives_up_on_held(void **state)
{
    (void)state;
    world *w = world_new();
    w->addr = "127.0.89.1";
    world_server(w, g_mode, g_pem, "test", 0);
    world_client(w, g_mode, g_pem, "test", 0, 0);
    w->hold = 1;
    result r;
    assert_int_equal(call_wait(w, "echo", "x", 1, 300, &r), 0);
    assert_int_equal(r.err, SIPC_ETIMEDOUT);
    free(r.data);
    assert_int_equal(w->nheld, 1);
    int cclosed = 0, sclosed = 0;
    sipc_ctx_close(w->cctx, on_sctx_closed, &cclosed);
    w->cctx = NULL;
    assert_true(tu_run_until(&w->loop, &cclosed, 3000));
    for (int i = 0; i < 300 && w->sdowns == 0; i++) {
        int never = 0;
        tu_run_until(&w->loop, &never, 10);
    }
    assert_int_equal(w->sdowns, 1);
    sipc_ctx *sctx = w->sctx;
    sipc_ctx_close(w->sctx, on_sctx_closed, &sclosed);
    w->sctx = NULL;
    /* the close waits its grace (5 s) on its hold timer; the end of the
     * grace is brought forward rather than waited out */
    uint64_t due = uv_timer_get_due_in(&sctx->hold_timer);
    assert_true(due > 4500 && due <= 5000);
    int never = 0;
    tu_run_until(&w->loop, &never, 100);
    assert_false(sclosed);
    assert_true(uv_is_active((uv_handle_t *)&sctx->hold_timer));
    uv_timer_start(&sctx->hold_timer, sctx->hold_timer.timer_cb, 100, 0);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    assert_true(sclosed);
    assert_true(tu_log_has(&w->slog, "closing: 1 request still held by handlers (test.echo); "
                                     "their connections are closed, so no answer"));
    assert_true(tu_log_has(&w->slog, "the close waits up to 5000 ms"));
    assert_true(tu_log_has(&w->slog, "5000 ms after the close (test.echo): the close completes "
                                     "without them"));
    assert_int_equal(sipc_respond(w->held[0], "x", 1), SIPC_ECLOSED);
    w->nheld = 0;
    world_free(w);
}

/* Runs w's loop (up to 10 s) until its channel is down with its next
 * redial more than 1.5 s away (refused attempts double the backoff); the
 * link's state in *li. */
static void backoff_far(world *w, sipc_link_info *li)
{
    for (int i = 0; i < 200; i++) {
        int never = 0;
        tu_run_until(&w->loop, &never, 50);
        if (sipc_channel_is_down(w->ch, NULL) && sipc_channel_info(w->ch, li) == 0 &&
            li->next_attempt_ms > 1500)
            return;
    }
}

/* A link in a long redial backoff (its next attempt more than 1.5 s away)
 * comes back within moments of sipc_channel_redial_soon once its peer
 * listens again, not at the backoff's end: what a caller that stops calling
 * a link known down relies on. */
static void t_redial_soon(void **state)
{
    (void)state;
    world *w = world_new();
    w->addr = "127.1.41.7";
    /* a port nothing listens on */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof a;
    inet_pton(AF_INET, w->addr, &a.sin_addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    close(fd);
    w->port = ntohs(a.sin_port);
    w->redial_max_ms = 30000;
    world_client(w, g_mode, g_pem, "test", 0, 0);
    /* refused attempts double the backoff until one is far off */
    sipc_link_info li = {0};
    backoff_far(w, &li);
    assert_true(li.next_attempt_ms > 1500);
    world_server(w, g_mode, g_pem, "test", 0);
    sipc_channel_redial_soon(w->ch);
    assert_int_equal(sipc_channel_info(w->ch, &li), 0);
    assert_true(li.next_attempt_ms <= 250);
    assert_true(tu_run_until(&w->loop, &w->cups, 1000));
    world_free(w);
}

/* A world whose client reached node "srv" at addr, whose server then went
 * away (its context closed, its port free): the link sits in a long backoff
 * (backoff_far), its state in *li. */
static world *world_srv_gone(const char *addr, sipc_link_info *li)
{
    world *w = world_new();
    w->addr = addr;
    w->redial_max_ms = 30000;
    world_server(w, g_mode, g_pem, "test", 0);
    world_client(w, g_mode, g_pem, "test", 0, 0);
    assert_true(tu_run_until(&w->loop, &w->cups, 5000));
    assert_int_equal(sipc_channel_info(w->ch, li), 0);
    assert_int_equal(li->peer_seen_ms, UINT32_MAX); /* up: not a down link's news */
    sipc_ctx_close(w->sctx, NULL, NULL);
    w->sctx = NULL;
    backoff_far(w, li);
    assert_true(li->next_attempt_ms > 1500);
    return w;
}

/* A server again after world_srv_gone's went away, at w->addr and w->port. */
static void world_server_again(world *w)
{
    sipc_security_release(w->ssec);
    w->ssec = NULL;
    sipc_router_free(w->router);
    world_server(w, g_mode, g_pem, "test", 0);
}

/* A node heard from elsewhere is up (sipc_ctx_peer_seen, as sipcd calls it
 * for a hello on any of its servers): a link to that node sitting in a long
 * backoff redials within moments, says when the node was heard from and is
 * not known down (services/common/link_down.c) meanwhile; another node's name
 * changes nothing; an attempt made after the news that fails all the same (a
 * one-way partition) makes the link known down again. */
static void t_peer_seen(void **state)
{
    (void)state;
    sipc_link_info li = {0};
    world *w = world_srv_gone("127.1.46.1", &li);
    char why[200];
    assert_string_equal(li.peer_node, "srv");
    assert_int_equal(li.peer_seen_ms, UINT32_MAX);
    assert_int_equal(sipc_link_known_down(w->ch, 100, why, sizeof why), 1);
    /* news of the node while it is still away: one attempt soon, and while
     * it is under way the link is coming back, not down */
    sipc_ctx_peer_seen(w->cctx, "srv", "127.1.46.1:40001");
    assert_int_equal(sipc_channel_info(w->ch, &li), 0);
    assert_true(li.peer_seen_ms < 1000);
    assert_true(li.next_attempt_ms <= 250);
    assert_int_equal(sipc_link_known_down(w->ch, 100, why, sizeof why), 0);
    /* that attempt is refused: known down again, the news spent */
    for (int i = 0; i < 40; i++) {
        int never = 0;
        tu_run_until(&w->loop, &never, 50);
        if (sipc_channel_info(w->ch, &li) == 0 && li.peer_seen_ms == UINT32_MAX)
            break;
    }
    assert_int_equal(li.peer_seen_ms, UINT32_MAX);
    assert_int_equal(sipc_link_known_down(w->ch, 100, why, sizeof why), 1);
    world_server_again(w); /* the same port: it is back */
    backoff_far(w, &li); /* again */
    assert_true(li.next_attempt_ms > 1500);
    sipc_ctx_peer_seen(w->cctx, "other", w->addr);
    assert_int_equal(sipc_channel_info(w->ch, &li), 0);
    assert_int_equal(li.peer_seen_ms, UINT32_MAX);
    assert_true(li.next_attempt_ms > 1500);
    sipc_ctx_peer_seen(w->cctx, "srv", w->addr);
    assert_int_equal(sipc_channel_info(w->ch, &li), 0);
    assert_true(li.peer_seen_ms < 1000);
    assert_true(li.next_attempt_ms <= 250);
    w->cups = 0;
    assert_true(tu_run_until(&w->loop, &w->cups, 1000));
    world_free(w);
}

/* Nodes on one host without a [node] id of their own share the host name as
 * their id: the hello of one, at its address, is no news of the other, gone,
 * whose link keeps its backoff (not redialed at once, not "coming back"),
 * whether the hello comes on a connection of the context or is told from
 * outside; news from the gone node's own address is. */
static void t_peer_seen_same_id(void **state)
{
    (void)state;
    sipc_link_info li = {0}, before;
    world *w = world_srv_gone("127.1.224.11", &li); /* node A is gone */
    /* node B, the same id "srv" at another address, connects */
    w->addr = "127.1.224.12";
    w->port = 0;
    world_server_again(w);
    sipc_channel *chb;
    assert_int_equal(sipc_channel_open(&chb, w->cctx, w->addr, w->port, NULL), 0);
    for (int i = 0; i < 100 && !sipc_channel_is_up(chb); i++) {
        int never = 0;
        tu_run_until(&w->loop, &never, 20);
    }
    assert_int_equal(sipc_channel_info(chb, &li), 0);
    assert_true(li.up);
    assert_string_equal(li.peer_node, "srv");
    assert_int_equal(sipc_channel_info(w->ch, &li), 0);
    assert_false(li.up);
    assert_int_equal(li.peer_seen_ms, UINT32_MAX);
    /* B heard from elsewhere: A's redial stays where it was */
    before = li;
    sipc_ctx_peer_seen(w->cctx, "srv", "127.1.224.12:40002");
    assert_int_equal(sipc_channel_info(w->ch, &li), 0);
    assert_int_equal(li.peer_seen_ms, UINT32_MAX);
    assert_int_equal(li.next_attempt_ms, before.next_attempt_ms);
    /* A's own address: its link redials soon */
    sipc_ctx_peer_seen(w->cctx, "srv", "127.1.224.11:40002");
    assert_int_equal(sipc_channel_info(w->ch, &li), 0);
    assert_true(li.peer_seen_ms < 1000);
    assert_true(li.next_attempt_ms <= 250);
    world_free(w);
}

static void t_oneway_and_errors(void **state)
{
    (void)state;
    world *w = world_std();
    for (int i = 0; i < 10; i++)
        assert_int_equal(sipc_send(w->ch, "test", "note", "x", 1), 0);
    result r;
    /* a call after the one-ways: same connection, in order, so they arrived */
    assert_int_equal(call_wait(w, "echo", "y", 1, 5000, &r), 0);
    assert_int_equal(r.err, 0);
    free(r.data);
    assert_int_equal(w->oneways, 10);

    assert_int_equal(call_wait(w, "nosuch", NULL, 0, 5000, &r), 0);
    assert_int_equal(r.err, SIPC_ENOMETHOD);
    assert_non_null(strstr(r.message, "test.nosuch"));
    free(r.data);

    assert_int_equal(call_wait(w, "fail", NULL, 0, 5000, &r), 0);
    assert_int_equal(r.err, SIPC_EREMOTE);
    assert_int_equal(r.status, 42);
    assert_string_equal(r.message, "application says no");
    free(r.data);
    world_free(w);
}

/* Silent connections that never start a handshake (a flood of them):
 * beyond max_opening the oldest is closed to make room, so an honest peer
 * still gets in at once instead of waiting out the handshake timeout. */
/* n TCP connections to the test server that never send a byte; the server
 * has accepted them all when this returns. */
/* A raw TCP connection to the test server (rcvbuf: its receive buffer,
 * 0: the default). */
static int raw_connect(world *w, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    if (rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)w->port)};
    if (w->addr && inet_pton(AF_INET, w->addr, &a.sin_addr) == 1) {
        /* from the server's own address: a test's peers stay in its block */
        struct sockaddr_in from = a;
        from.sin_port = 0;
        assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof from), 0);
    } else {
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    }
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Appends a hello frame from node in cluster to b. */
static void raw_hello(sipc_buf *b, const char *node, const char *cluster)
{
    Sipc__Hello hm = SIPC__HELLO__INIT;
    hm.protocol_version = SIPC_PROTOCOL_VERSION;
    hm.node_id = (char *)node;
    hm.cluster = (char *)cluster;
    uint8_t hb[512];
    assert_true(sipc__hello__get_packed_size(&hm) <= sizeof hb);
    size_t hn = sipc__hello__pack(&hm, hb);
    sipc_env_out h = {.kind = SIPC__KIND__HELLO, .payload = hb, .payload_len = hn};
    assert_int_equal(sipc_env_encode(b, &h, 1u << 24), 0);
}

static void connect_silent(world *w, int *fds, int n)
{
    for (int i = 0; i < n; i++)
        fds[i] = raw_connect(w, 0);
    for (int i = 0; i < 20; i++)
        uv_run(&w->loop, UV_RUN_NOWAIT);
}

static void t_silent_connections_evicted(void **state)
{
    (void)state;
    world *w = world_new();
    w->max_opening = 4;
    w->hs_timeout_ms = 10000;
    world_server(w, g_mode, g_pem, "test", 0);
    int fds[20];
    connect_silent(w, fds, 20);
    world_client(w, g_mode, g_pem, "test", 0, 0);
    uint64_t t0 = uv_hrtime();
    result r;
    assert_int_equal(call_wait(w, "echo", "in", 2, 3000, &r), 0);
    assert_int_equal(r.err, 0);
    free(r.data);
    assert_true(uv_hrtime() - t0 < 3000000000ull); /* not the 10 s timeout */
    sipc_server_stats st;
    assert_int_equal(sipc_server_stats_get(w->srv, &st), 0);
    assert_true(st.evicted_total >= 16);
    assert_true(st.conns_opening <= 4);
    assert_true(tu_log_has(&w->slog, "closing the oldest"));
    /* said once, by the listener, with its reason: no timeout, no failure */
    assert_false(tu_log_has(&w->slog, "closed unfinished to make room"));
    assert_int_equal(st.handshake_failures_total, 0);
    for (int i = 0; i < 20; i++)
        close(fds[i]);
    world_free(w);
}

/* A server full of connections that never finish their handshake makes
 * room by closing the oldest of them: a peer that does finish still gets in,
 * and no honest connection is refused for the silent ones. */
static void t_full_of_silent_connections(void **state)
{
    (void)state;
    world *w = world_new();
    w->max_conns = 6;
    w->hs_timeout_ms = 10000;
    world_server(w, g_mode, g_pem, "test", 0);
    int fds[12];
    connect_silent(w, fds, 12);
    world_client(w, g_mode, g_pem, "test", 0, 0);
    uint64_t t0 = uv_hrtime();
    result r;
    assert_int_equal(call_wait(w, "echo", "in", 2, 3000, &r), 0);
    assert_int_equal(r.err, 0);
    free(r.data);
    assert_true(uv_hrtime() - t0 < 3000000000ull);
    sipc_server_stats st;
    assert_int_equal(sipc_server_stats_get(w->srv, &st), 0);
    assert_true(st.evicted_total >= 6);
    assert_int_equal(st.refused_total, 0);
    assert_true(tu_log_has(&w->slog, "max_connections): closing the oldest still in its handshake"));
    for (int i = 0; i < 12; i++)
        close(fds[i]);
    world_free(w);
}

/* Once over half of max_opening is in use a new connection gets a quarter
 * of the handshake timeout, and its timeout's line says that time and why,
 * not the configured one. */
static void t_shortened_timeout_logged(void **state)
{
    (void)state;
    world *w = world_new();
    w->max_opening = 8;
    w->hs_timeout_ms = 4000;
    world_server(w, g_mode, g_pem, "test", 0);
    int fds[6];
    connect_silent(w, fds, 6); /* the fifth and sixth get 1000 ms */
    int never = 0;
    tu_run_until(&w->loop, &never, 1600);
    sipc_server_stats st;
    sipc_server_stats_get(w->srv, &st);
    assert_int_equal(st.handshake_failures_total, 2);
    assert_true(tu_log_has(&w->slog, "within 1000 ms (a quarter of handshake_timeout_ms: over "
                                      "half of [limits] max_opening connections were opening)"));
    assert_false(tu_log_has(&w->slog, "within 4000 ms"));
    for (int i = 0; i < 6; i++)
        close(fds[i]);
    world_free(w);
}

/* Silent peers timing out one after another, each from its own port, are
 * one log line per interval, not one per connection. */
static void t_timeouts_logged_once(void **state)
{
    (void)state;
    world *w = world_new();
    w->hs_timeout_ms = 200;
    world_server(w, g_mode, g_pem, "test", 0);
    int fds[10];
    connect_silent(w, fds, 10);
    int never = 0;
    tu_run_until(&w->loop, &never, 800);
    sipc_server_stats st;
    sipc_server_stats_get(w->srv, &st);
    assert_int_equal(st.handshake_failures_total, 10);
    int lines = 0;
    for (const char *p = w->slog.buf; p && (p = strstr(p, "within 200 ms")); p++)
        lines++;
    assert_int_equal(lines, 1);
    /* not a byte came: no step (TLS or hello) to name, whatever the mode */
    assert_true(tu_log_has(&w->slog, "(SIPC_ESILENT, io class): connected from 127.0.0.1:"));
    assert_false(tu_log_has(&w->slog, "did not finish"));
    for (int i = 0; i < 10; i++)
        close(fds[i]);
    world_free(w);
}

static int count_lines(const tu_log *l, const char *needle, int *reports);

/* A raw IPv4 connection from source address src to dst (the server's
 * listener there, at w->port). */
static int raw_connect_to(world *w, const char *src, const char *dst)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in s = {.sin_family = AF_INET};
    inet_pton(AF_INET, src, &s.sin_addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&s, sizeof s), 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)w->port)};
    inet_pton(AF_INET, dst, &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* ... to the server at w->addr. */
static int raw_connect_from(world *w, const char *src)
{
    return raw_connect_to(w, src, w->addr);
}

/* Runs the loop until the server hangs up on fd (1) or about ms pass (0). */
static int hung_up(world *w, int fd, int ms)
{
    for (int i = 0; i < ms; i++) {
        uv_run(&w->loop, UV_RUN_NOWAIT);
        char junk[512];
        if (recv(fd, junk, sizeof junk, MSG_DONTWAIT) == 0)
            return 1;
        uv_sleep(1);
    }
    return 0;
}

/* The local port of a connected socket. */
static int local_port(int fd)
{
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
    return ntohs(a.sin_port);
}

/* A client that connects and sends nothing within the handshake timeout
 * began no handshake: the server closes it with SIPC_ESILENT and says so
 * with its address, as a dialer says of a silent peer, and counts it so; a
 * client that began one (its first byte) and stalled keeps the step it
 * stalled in: SIPC_EHSTIMEOUT (tls class) in a TLS handshake, and
 * SIPC_EHELLOTIMEOUT (io class) in the hello, which on a plaintext port
 * is no TLS matter. */
static void t_silent_client_named(void **state)
{
    (void)state;
    world *w = world_new();
    w->addr = "127.1.45.1";
    w->hs_timeout_ms = 300;
    world_server(w, g_mode, g_pem, "test", 0);
    int quiet = raw_connect_from(w, "127.1.45.2");
    int stalled = raw_connect_from(w, "127.1.45.3");
    /* the first byte of a TLS record, or of a frame's length: a
     * handshake begun in every mode, never finished */
    const char *first = g_mode == SIPC_TLS_OFF ? "\x00" : "\x16";
    assert_int_equal(send(stalled, first, 1, MSG_NOSIGNAL), 1);
    assert_true(hung_up(w, quiet, 3000));
    assert_true(hung_up(w, stalled, 3000));
    char want[600];
    int qp = local_port(quiet), sp = local_port(stalled);
    snprintf(want, sizeof want,
             "Connection from 127.1.45.2:%d closed: no answer from the peer (SIPC_ESILENT, io "
             "class): connected from 127.1.45.2:%d, but nothing received from it within 300 ms: "
             "the process there may be stopped or overloaded, or not a sipc client",
             qp, qp);
    assert_true(tu_log_has(&w->slog, want));
    snprintf(want, sizeof want, "Connection from 127.1.45.2:%d closed: handshake", qp);
    assert_false(tu_log_has(&w->slog, want));
    int plain = g_mode == SIPC_TLS_OFF;
    int stall_err = plain ? SIPC_EHELLOTIMEOUT : SIPC_EHSTIMEOUT;
    snprintf(want, sizeof want,
             plain ? "Connection from 127.1.45.3:%d closed: hello timed out (SIPC_EHELLOTIMEOUT, "
                     "io class): the hello with peer 127.1.45.3:%d did not finish within 300 ms"
                   : "Connection from 127.1.45.3:%d closed: TLS handshake timed out "
                     "(SIPC_EHSTIMEOUT, tls class): the TLS step with peer 127.1.45.3:%d did "
                     "not finish within 300 ms",
             sp, sp);
    if (!tu_log_has(&w->slog, want))
        fail_msg("no line '%s'", want);
    if (plain)
        assert_false(tu_log_has(&w->slog, "tls class"));
    /* the status's handshake_failures, by reason: one of each */
    sipc_server_stats st;
    assert_int_equal(sipc_server_stats_get(w->srv, &st), 0);
    assert_int_equal(st.handshake_failures_total, 2);
    int silent = 0, timed_out = 0;
    for (int i = 0; i < st.nhandshake_failures; i++) {
        if (st.handshake_failures[i].err == SIPC_ESILENT)
            silent = (int)st.handshake_failures[i].count;
        else if (st.handshake_failures[i].err == stall_err)
            timed_out = (int)st.handshake_failures[i].count;
    }
    assert_int_equal(silent, 1);
    assert_int_equal(timed_out, 1);
    close(quiet);
    close(stalled);
    world_free(w);
}

/* One source address may hold [limits] max_connections_per_host (3 here)
 * of a plaintext server's connections: a 4th from it is refused at accept,
 * with a line naming the host and the limit, while another host still gets
 * in; a host at its cap with connections still in their handshake has its
 * own oldest closed to make room; and a connection that goes gives its
 * host the slot back. */
static void t_per_host_cap(void **state)
{
    (void)state;
    if (g_mode != SIPC_TLS_OFF)
        skip(); /* the raw peers speak plaintext */
    world *w = world_new();
    w->addr = "127.0.86.1";
    w->max_per_host = 3;
    w->hs_timeout_ms = 10000;
    world_server(w, g_mode, g_pem, "test", 0);
    sipc_buf b = {0};
    raw_hello(&b, "holder", "test");
    int fds[4];
    for (int i = 0; i < 4; i++) {
        fds[i] = raw_connect_from(w, "127.0.86.10");
        assert_int_equal(send(fds[i], b.data, b.len, MSG_NOSIGNAL), (ssize_t)b.len);
        for (int k = 0; k < 2000 && w->sups < (i < 3 ? i + 1 : 3); k++) {
            uv_run(&w->loop, UV_RUN_NOWAIT);
            uv_sleep(1);
        }
    }
    assert_int_equal(w->sups, 3);
    assert_true(hung_up(w, fds[3], 2000));
    sipc_server_stats st;
    assert_int_equal(sipc_server_stats_get(w->srv, &st), 0);
    assert_int_equal(st.refused_total, 1);
    assert_int_equal(st.conns_plain, 3);
    assert_true(tu_log_has(&w->slog, "refusing a connection from 127.0.86.10:"));
    assert_true(tu_log_has(&w->slog, "3 connections open from 127.0.86.10 (limit 3 per host, "
                                     "[limits] max_connections_per_host)"));
    /* another host is not held to the first one's count */
    w->source = "127.0.86.11";
    world_client(w, g_mode, g_pem, "test", 0, 0);
    result r;
    assert_int_equal(call_wait(w, "echo", "in", 2, 3000, &r), 0);
    assert_int_equal(r.err, 0);
    free(r.data);
    /* silent ones from a third host: at its cap its oldest makes room */
    int silent[5];
    for (int i = 0; i < 5; i++)
        silent[i] = raw_connect_from(w, "127.0.86.12");
    for (int i = 0; i < 50; i++)
        uv_run(&w->loop, UV_RUN_NOWAIT);
    assert_true(hung_up(w, silent[0], 2000));
    assert_true(hung_up(w, silent[1], 2000));
    assert_int_equal(sipc_server_stats_get(w->srv, &st), 0);
    assert_int_equal(st.evicted_total, 2);
    assert_int_equal(st.refused_total, 1);
    assert_int_equal(st.conns_opening, 3);
    assert_true(tu_log_has(&w->slog, "(limit 3 per host, [limits] max_connections_per_host): "
                                     "closing the oldest of them still in its handshake, from "
                                     "127.0.86.12:"));
    /* one of the first host's goes: its slot is free again */
    close(fds[0]);
    close(fds[3]);
    int downs = w->sdowns;
    for (int k = 0; k < 2000 && w->sdowns == downs; k++) {
        uv_run(&w->loop, UV_RUN_NOWAIT);
        uv_sleep(1);
    }
    int ups = w->sups;
    fds[0] = raw_connect_from(w, "127.0.86.10");
    assert_int_equal(send(fds[0], b.data, b.len, MSG_NOSIGNAL), (ssize_t)b.len);
    for (int k = 0; k < 2000 && w->sups == ups; k++) {
        uv_run(&w->loop, UV_RUN_NOWAIT);
        uv_sleep(1);
    }
    assert_int_equal(w->sups, ups + 1);
    assert_int_equal(sipc_server_stats_get(w->srv, &st), 0);
    assert_int_equal(st.refused_total, 1);
    sipc_buf_free(&b);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    for (int i = 0; i < 5; i++)
        close(silent[i]);
    world_free(w);
}

/* The per-host cap counts a host by sipc__host_key: a listener on an IPv6
 * socket sees IPv4 peers as ::ffff:a.b.c.d and names (and counts) them as
 * a.b.c.d. Past the descriptor slack a newcomer from a host at its cap is
 * refused without closing that host's oldest opening connection for
 * nothing. After a burst of many hosts the table shrinks back. */
static void t_per_host_keys(void **state)
{
    (void)state;
    if (g_mode != SIPC_TLS_OFF)
        skip(); /* the raw peers speak plaintext */
    world *w = world_new();
    w->addr = "::ffff:127.0.87.1";
    w->max_per_host = 2;
    w->max_conns = 200;
    w->hs_timeout_ms = 10000;
    world_server(w, g_mode, g_pem, "test", 0);
    sipc_buf b = {0};
    raw_hello(&b, "holder", "test");
    int fds[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = raw_connect_to(w, "127.0.87.10", "127.0.87.1");
        assert_int_equal(send(fds[i], b.data, b.len, MSG_NOSIGNAL), (ssize_t)b.len);
        for (int k = 0; k < 2000 && w->sups < (i < 2 ? i + 1 : 2); k++) {
            uv_run(&w->loop, UV_RUN_NOWAIT);
            uv_sleep(1);
        }
    }
    assert_true(hung_up(w, fds[2], 2000));
    assert_true(tu_log_has(&w->slog, "2 connections open from 127.0.87.10 (limit 2 per host, "));
    /* a host at its cap with two opening, and no descriptor slack left */
    int silent[3];
    for (int i = 0; i < 2; i++)
        silent[i] = raw_connect_to(w, "127.0.87.11", "127.0.87.1");
    for (int i = 0; i < 50; i++)
        uv_run(&w->loop, UV_RUN_NOWAIT);
    sipc_server_stats st;
    assert_int_equal(sipc_server_stats_get(w->srv, &st), 0);
    assert_int_equal(st.conns_opening, 2);
    w->srv->nconns += 300; /* as if 300 closed ones still held their descriptors */
    w->srv->nclosing += 300;
    silent[2] = raw_connect_to(w, "127.0.87.11", "127.0.87.1");
    assert_true(hung_up(w, silent[2], 2000));
    w->srv->nconns -= 300;
    w->srv->nclosing -= 300;
    assert_int_equal(sipc_server_stats_get(w->srv, &st), 0);
    assert_int_equal(st.evicted_total, 0);
    assert_int_equal(st.conns_opening, 2);
    close(silent[2]);
    /* with slack, its oldest opening one makes room as before */
    silent[2] = raw_connect_to(w, "127.0.87.11", "127.0.87.1");
    assert_true(hung_up(w, silent[0], 2000));
    assert_int_equal(sipc_server_stats_get(w->srv, &st), 0);
    assert_int_equal(st.evicted_total, 1);
    /* 100 hosts at once grow the table; once they are gone it is small again */
    int many[100];
    char src[32];
    for (int i = 0; i < 100; i++) {
        snprintf(src, sizeof src, "127.0.87.%d", 100 + i);
        many[i] = raw_connect_to(w, src, "127.0.87.1");
    }
    for (int k = 0; k < 2000; k++) {
        uv_run(&w->loop, UV_RUN_NOWAIT);
        assert_int_equal(sipc_server_stats_get(w->srv, &st), 0);
        if (st.conns_opening == 102)
            break;
        uv_sleep(1);
    }
    assert_int_equal(st.conns_opening, 102);
    assert_true(w->srv->hosts_cap >= 256);
    for (int i = 0; i < 100; i++)
        close(many[i]);
    for (int k = 0; k < 3000; k++) {
        uv_run(&w->loop, UV_RUN_NOWAIT);
        assert_int_equal(sipc_server_stats_get(w->srv, &st), 0);
        if (st.conns_opening == 2)
            break;
        uv_sleep(1);
    }
    assert_int_equal(st.conns_opening, 2);
    assert_int_equal(w->srv->hosts_used, 2);
    assert_int_equal(w->srv->hosts_cap, 64);
    sipc_buf_free(&b);
    close(fds[0]);
    close(fds[1]);
    close(fds[2]);
    close(silent[0]);
    close(silent[1]);
    close(silent[2]);
    world_free(w);
}

/* Connections closed to make room no longer count as open while their
 * descriptors go: a server of 4 flooded by silent connections, from
 * distinct hosts so that each eviction says its own line, always says 4
 * connections open (limit 4), never more. */
static void t_full_counts_open_only(void **state)
{
    (void)state;
    world *w = world_new();
    w->addr = "127.0.86.1";
    w->max_conns = 4;
    w->hs_timeout_ms = 10000;
    world_server(w, g_mode, g_pem, "test", 0);
    int fds[12];
    char src[32];
    for (int i = 0; i < 12; i++) {
        snprintf(src, sizeof src, "127.0.86.%d", 20 + i);
        fds[i] = raw_connect_from(w, src);
    }
    for (int i = 0; i < 50; i++)
        uv_run(&w->loop, UV_RUN_NOWAIT);
    int reports;
    int said = count_lines(&w->slog, "connections open (limit 4, [limits] max_connections)",
                           &reports);
    assert_true(said >= 8);
    assert_int_equal(count_lines(&w->slog, ": 4 connections open (limit 4, [limits] "
                                           "max_connections)", &reports), said);
    sipc_server_stats st;
    assert_int_equal(sipc_server_stats_get(w->srv, &st), 0);
    assert_int_equal(st.evicted_total, 8);
    assert_int_equal(st.refused_total, 0);
    for (int i = 0; i < 12; i++)
        close(fds[i]);
    world_free(w);
}

/* A raw plaintext peer on fd that says hello as node in cluster, waits for
 * the server to take it up or refuse it, and hangs up. */
static void raw_hello_on(world *w, int fd, const char *node, const char *cluster);

/* The same from 127.0.0.1 (from the server's own address when it has one). */
static void raw_hello_and_close(world *w, const char *node, const char *cluster)
{
    raw_hello_on(w, raw_connect(w, 0), node, cluster);
}

static void raw_hello_on(world *w, int fd, const char *node, const char *cluster)
{
    sipc_buf b = {0};
    raw_hello(&b, node, cluster);
    assert_int_equal(send(fd, b.data, b.len, MSG_NOSIGNAL), (ssize_t)b.len);
    sipc_buf_free(&b);
    /* up, or refused: the server hangs up */
    int ups = w->sups, downs = w->sdowns, up = 0, refused = 0;
    for (int i = 0; i < 2000 && !up && !refused; i++) {
        uv_run(&w->loop, UV_RUN_NOWAIT);
        char junk[512];
        up = w->sups > ups;
        refused = recv(fd, junk, sizeof junk, MSG_DONTWAIT) == 0;
        if (!up && !refused)
            uv_sleep(1);
    }
    assert_true(up || refused);
    close(fd);
    int down = !up;
    for (int i = 0; i < 2000 && !down; i++) {
        uv_run(&w->loop, UV_RUN_NOWAIT);
        down = w->sdowns > downs;
        if (!down)
            uv_sleep(1);
    }
    assert_true(down);
}

/* Lines of log l that contain needle, and how many of them are reports of
 * lines held back ("N more like this ..."). */
static int count_lines(const tu_log *l, const char *needle, int *reports)
{
    int n = 0;
    *reports = 0;
    for (const char *p = l->buf; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char line[1500];
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        if (strstr(line, needle)) {
            n++;
            *reports += strstr(line, " more like this in the last ") != NULL;
        }
        p = end ? end + 1 : NULL;
    }
    return n;
}

/* The lines of connections coming up and closed by their peer are limited
 * per peer host and node: each node from one address gets its own first
 * line, a node reconnecting in a loop one line per interval, and the report
 * of those held back names only what they share (never a port of one of
 * them). A peer cycling node ids gets a few lines, then one report for
 * the host. */
static void t_conn_lines_per_node(void **state)
{
    (void)state;
    if (g_mode != SIPC_TLS_OFF)
        skip(); /* the raw peer speaks plaintext */
    world *w = world_new();
    world_server(w, g_mode, g_pem, "test", 0);
    for (int i = 0; i < 5; i++)
        raw_hello_and_close(w, "n5", "test");
    raw_hello_and_close(w, "n6", "test");
    char node[32];
    for (int i = 0; i < 20; i++) {
        snprintf(node, sizeof node, "c%d", i);
        raw_hello_and_close(w, node, "test");
    }
    /* two refused identities with the same reason: two lines */
    raw_hello_and_close(w, "r1", "other");
    raw_hello_and_close(w, "r2", "other");
    /* one identity, two reasons that differ only late: two lines (from
     * hosts of their own: a host gets SIPC__LOG_HOST_BURST failures' lines
     * per interval whatever the reasons) */
    char far[2][140];
    for (int i = 0; i < 2; i++) {
        memset(far[i], 'x', 120);
        far[i][120] = (char)('a' + i);
        far[i][121] = '\0';
    }
    raw_hello_on(w, raw_connect_to(w, "127.1.247.251", "127.0.0.1"), "r3", far[0]);
    raw_hello_on(w, raw_connect_to(w, "127.1.247.251", "127.0.0.1"), "r3", far[1]);
    /* ... or only in a number (another cluster, another CN): two lines */
    raw_hello_on(w, raw_connect_to(w, "127.1.247.252", "127.0.0.1"), "r4", "c101");
    raw_hello_on(w, raw_connect_to(w, "127.1.247.252", "127.0.0.1"), "r4", "c202");
    int reports;
    assert_int_equal(count_lines(&w->slog, "(node n5) up over plaintext", &reports), 1);
    assert_int_equal(count_lines(&w->slog, "(node n5) closed by the peer", &reports), 1);
    assert_int_equal(count_lines(&w->slog, "(node n6) up over plaintext", &reports), 1);
    assert_int_equal(count_lines(&w->slog, "(node n6) closed by the peer", &reports), 1);
    /* n5, n6 and the first of the cycling ones: the host's few */
    assert_int_equal(count_lines(&w->slog, " up over plaintext", &reports), 3);
    assert_int_equal(count_lines(&w->slog, " closed by the peer", &reports), 3);
    assert_int_equal(count_lines(&w->slog, "(node r1) closed:", &reports), 1);
    assert_int_equal(count_lines(&w->slog, "(node r2) closed:", &reports), 1);
    assert_int_equal(count_lines(&w->slog, "(node r3) closed:", &reports), 2);
    assert_int_equal(count_lines(&w->slog, "(node r4) closed:", &reports), 2);
    /* the reports come at the interval's end, here when the context closes */
    sipc_ctx_close(w->sctx, NULL, NULL);
    w->sctx = NULL;
    assert_true(tu_drain(&w->loop, 5000));
    assert_true(tu_log_has(&w->slog, "4 more like this in the last 1 s: Test Service: connections "
                                     "from 127.0.0.1 (node n5) up over plaintext"));
    assert_true(tu_log_has(&w->slog, "4 more like this in the last 1 s: Connections from 127.0.0.1 "
                                     "(node n5) closed by the peer"));
    assert_true(tu_log_has(&w->slog, "19 more like this in the last 1 s: Test Service: connections "
                                     "from 127.0.0.1 (various nodes) up over plaintext"));
    assert_true(tu_log_has(&w->slog, "19 more like this in the last 1 s: Connections from 127.0.0.1 "
                                     "(various nodes) closed by the peer"));
    /* no report names a port: none describes one connection */
    assert_int_equal(count_lines(&w->slog, " more like this ", &reports), 4);
    assert_true(count_lines(&w->slog, "127.0.0.1:", &reports) > 0);
    assert_int_equal(reports, 0);
    world_free(w);
}

/* A peer refused for reasons that differ only in a number (cluster c100,
 * c101, ...): the host's key counts them as one reason, and
 * its report shows one of those reasons as it was written, numbers and all,
 * not the folded key ("c#"). */
static void t_conn_lines_host_report_text(void **state)
{
    (void)state;
    if (g_mode != SIPC_TLS_OFF)
        skip(); /* the raw peer speaks plaintext */
    world *w = world_new();
    w->addr = "127.0.75.110";
    world_server(w, g_mode, g_pem, "test", 0);
    char cluster[32];
    for (int i = 0; i < 10; i++) {
        snprintf(cluster, sizeof cluster, "c1%02d", i);
        raw_hello_and_close(w, "q", cluster);
    }
    int reports;

    assert_int_equal(count_lines(&w->slog, " closed:", &reports), SIPC__LOG_HOST_BURST);
    sipc_ctx_close(w->sctx, NULL, NULL);
    w->sctx = NULL;
    assert_true(tu_drain(&w->loop, 5000));
    assert_int_equal(count_lines(&w->slog, "7 more like this in the last 1 s: Connections from "
                                           "127.0.75.110 (various nodes) closed: SIPC_ECLUSTER: "
                                           "cluster name mismatch: this side srv is in cluster "
                                           "'test', peer q at 127.0.75.110 is in cluster 'c1",
                                 &reports),
                     1);
    assert_int_equal(reports, 1);
    assert_false(tu_log_has(&w->slog, "c#"));
    world_free(w);
}

static unsigned long long closed_said(const tu_log *l, int *lines);

/* One host sending other first bytes on every connection (a scanner's
 * junk), and one naming another cluster in every hello: each gets at most
 * SIPC__LOG_HOST_BURST lines per interval whatever it sends, the rest
 * counted for the host, and another host's line is still written. Before,
 * the quoted bytes made each connection a new reason, a new host key and a
 * new kind: one host spent the context's whole budget of lines (60 per
 * 10 s) and hid every other host's. The loopback block 127.1.246. */
static void t_conn_lines_junk_per_host(void **state)
{
    (void)state;
    enum { JUNK = 70, NAMES = 12 };
    world *w = world_new();
    w->addr = "127.1.246.1";
    world_server(w, g_mode, g_pem, "test", 0);
    for (int i = 0; i < JUNK; i++) {
        /* a first byte no frame or TLS record begins with; text or not */
        uint8_t b[4] = {(uint8_t)(0x41 + i % 26), (uint8_t)(0x61 + i * 7 % 26),
                        (uint8_t)(0x30 + i % 10), (uint8_t)(i % 2 ? 0x80 | i : 0x21 + i % 90)};
        int fd = raw_connect_from(w, "127.1.246.2");
        assert_int_equal(send(fd, b, sizeof b, MSG_NOSIGNAL), (ssize_t)sizeof b);
        assert_true(hung_up(w, fd, 5000));
        close(fd);
    }
    int reports, names = 0;
    if (g_mode == SIPC_TLS_OFF) /* a hello: the raw peer speaks plaintext */
        for (; names < NAMES; names++) {
            char cluster[16] = "c-";
            for (int k = 0; k < 6; k++)
                cluster[2 + k] = (char)('a' + (names * 5 + k * 3) % 26);
            raw_hello_on(w, raw_connect_from(w, "127.1.246.4"), "n", cluster);
        }
    int fd = raw_connect_from(w, "127.1.246.3");
    assert_int_equal(send(fd, "GET ", 4, MSG_NOSIGNAL), 4);
    assert_true(hung_up(w, fd, 5000));
    close(fd);
    /* one line for its bytes quoted as text, one for those in hex: the
     * bytes themselves make no reason of their own */
    int junk_lines = count_lines(&w->slog, "Connection from 127.1.246.2:", &reports);
    if (junk_lines != 2)
        fail_msg("%d lines for one host's %d connections", junk_lines, JUNK);
    if (names)
        assert_int_equal(count_lines(&w->slog, "Connection from 127.1.246.4:", &reports),
                         SIPC__LOG_HOST_BURST);
    assert_int_equal(count_lines(&w->slog, "Connection from 127.1.246.3:", &reports), 1);
    /* the line printed still quotes what the peer sent */
    assert_true(tu_log_has(&w->slog, "its first bytes are text ('GET ')"));
    /* every connection is counted: the rest in the reports, at the
     * interval's end (here when the context closes) */
    sipc_ctx_close(w->sctx, NULL, NULL);
    w->sctx = NULL;
    assert_true(tu_drain(&w->loop, 5000));
    int lines;
    assert_int_equal(closed_said(&w->slog, &lines), JUNK + names + 1);
    assert_false(tu_log_has(&w->slog, "rate-limited"));
    /* the reports of those held back name no one connection's bytes */
    assert_true(tu_log_has(&w->slog, "s: Connections from 127.1.246.2 closed: SIPC_EPROTO: peer "
                                     "127.1.246.2 "));
    assert_true(tu_log_has(&w->slog, ": its first bytes (...) begin "));
    assert_true(tu_log_has(&w->slog, ": its first bytes are text ('...'), e.g. an HTTP client"));
    if (names)
        assert_true(tu_log_has(&w->slog, " more like this in the last 1 s: Connections from "
                                         "127.1.246.4 closed for various reasons; the first of "
                                         "them: Connections from 127.1.246.4 (various nodes) "
                                         "closed: SIPC_ECLUSTER: "));
    world_free(w);
}

/* Connections from hosts 127.1.171.2 .. 2 + hosts - 1, rounds times each,
 * a batch at a time, each sending text where TLS or a sipc frame belongs
 * (as a port scanner does), which the server closes at once. */
static void text_flood(world *w, int hosts, int rounds)
{
    enum { BATCH = 64 };
    static const char get[] = "GET / HTTP/1.0\r\n\r\n";
    for (int r = 0; r < rounds; r++)
        for (int h = 0; h < hosts; h += BATCH) {
            int fds[BATCH], n = 0;
            for (; n < BATCH && h + n < hosts; n++) {
                char src[32];
                snprintf(src, sizeof src, "127.1.171.%d", 2 + h + n);
                fds[n] = raw_connect_from(w, src);
                assert_int_equal(send(fds[n], get, sizeof get - 1, 0), (ssize_t)(sizeof get - 1));
            }
            for (int i = 0; i < n; i++) {
                assert_true(hung_up(w, fds[i], 5000));
                close(fds[i]);
            }
        }
}

/* The connections the log's " closed:" lines stand for together (a line
 * one, a report its count, a line's "(and N more like it" N more), and
 * in *lines how many lines say so. */
static unsigned long long closed_said(const tu_log *l, int *lines)
{
    unsigned long long n = 0;
    *lines = 0;
    for (const char *p = l->buf; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char line[1500];
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        p = end ? end + 1 : NULL;
        const char *msg = strchr(line, ' ');
        msg = msg ? strchr(msg + 1, ' ') : NULL; /* past the category and the level */
        if (!msg || !strstr(line, " closed:"))
            continue;
        (*lines)++;
        msg++;
        const char *more = strstr(msg, " (and ");
        if (*msg >= '0' && *msg <= '9')
            n += strtoull(msg, NULL, 10);
        else
            n += 1 + (more ? strtoull(more + 6, NULL, 10) : 0);
    }
    return n;
}

/* Connections closed at once from more hosts than the log limiter's table
 * has slots for (each takes two: its key and its host's), taking turns:
 * each host's key is gone before its next line, so without a bound per
 * kind every line was a first one. Each interval writes at most the
 * budget's lines, the rest are counted in one report per kind, and every
 * connection is still counted. Two hosts still get their own lines. */
static void t_log_flood_many_hosts(void **state)
{
    (void)state;
    enum { HOSTS = 253, ROUNDS = 8, FEW = 2, FEW_ROUNDS = 5 };
    world *w = world_new();
    w->addr = "127.1.171.1";
    world_server(w, g_mode, g_pem, "test", 0);
    uint64_t start = uv_hrtime();
    text_flood(w, HOSTS, ROUNDS);
    uint64_t windows = (uv_hrtime() - start) / 1000000 / SIPC__LOG_INTERVAL_MS + 1;
    int lines;
    (void)closed_said(&w->slog, &lines);
    /* per interval: the budget's lines, and after it at most one report
     * per kind (16 kinds and the various ones) */
    uint64_t bound = windows * (SIPC__LOG_BUDGET + 17);
    assert_true((uint64_t)lines <= bound);
    sipc_ctx_close(w->sctx, NULL, NULL);
    w->sctx = NULL;
    assert_true(tu_drain(&w->loop, 5000));
    assert_int_equal(closed_said(&w->slog, &lines), HOSTS * ROUNDS);
    assert_true((uint64_t)lines <= bound + SIPC__LOG_BUDGET + 17);
    assert_true(tu_log_has(&w->slog, " more like this from more than 64 hosts in the last "));
    assert_true(tu_log_has(&w->slog, "not written (rate-limited: at most 10 first lines of one "
                                     "kind and 60 lines in all per 10 s); the first of them: "
                                     "Connection from 127.1.171."));
    world_free(w);

    w = world_new();
    w->addr = "127.1.171.1";
    world_server(w, g_mode, g_pem, "test", 0);
    text_flood(w, FEW, FEW_ROUNDS);
    int reports;
    assert_int_equal(count_lines(&w->slog, "Connection from 127.1.171.2:", &reports), 1);
    assert_int_equal(count_lines(&w->slog, "Connection from 127.1.171.3:", &reports), 1);
    sipc_ctx_close(w->sctx, NULL, NULL);
    w->sctx = NULL;
    assert_true(tu_drain(&w->loop, 5000));
    assert_int_equal(closed_said(&w->slog, &lines), FEW * FEW_ROUNDS);
    assert_int_equal(count_lines(&w->slog, "4 more like this in the last 1 s: Connections from "
                                           "127.1.171.2 closed:",
                                 &reports),
                     1);
    assert_int_equal(lines, 4);
    assert_false(tu_log_has(&w->slog, "rate-limited"));
    world_free(w);
}

/* A flood of one-way frames to an unknown method: the node says so once per
 * peer and interval, not once per frame, and keeps answering. */
static void t_log_flood_limited(void **state)
{
    (void)state;
    world *w = world_std();
    for (int i = 0; i < 5000; i++)
        assert_int_equal(sipc_send(w->ch, "test", "nosuch-oneway", "x", 1), 0);
    result r;
    assert_int_equal(call_wait(w, "echo", "y", 1, 5000, &r), 0);
    assert_int_equal(r.err, 0);
    free(r.data);
    int lines = 0;
    for (const char *p = w->slog.buf; p && (p = strstr(p, "one-way from")); p++)
        lines++;
    assert_int_equal(lines, 1);
    world_free(w);
}

static void t_deadline(void **state)
{
    (void)state;
    world *w = world_std();
    w->hold = 1;
    result r;
    assert_int_equal(call_wait(w, "echo", "z", 1, 100, &r), 0);
    assert_int_equal(r.err, SIPC_ETIMEDOUT);
    assert_int_equal(sipc_err_classify(r.err), SIPC_CLASS_CALL);
    free(r.data);
    /* the late answer is ignored, and the link still works */
    w->hold = 0;
    sipc_respond(w->held[0], "late", 4);
    w->nheld = 0;
    assert_int_equal(call_wait(w, "echo", "ok", 2, 5000, &r), 0);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.len, 2);
    free(r.data);
    world_free(w);
}

static void on_srv_closed(sipc_server *s, void *arg)
{
    (void)s;
    *(int *)arg = 1;
}

static void t_drop_completes_pending_then_reconnect(void **state)
{
    (void)state;
    world *w = world_std();
    w->hold = 1;
    result r1;
    memset(&r1, 0, sizeof r1);
    assert_int_equal(sipc_call(w->ch, "test", "echo", "a", 1, 10000, on_result, &r1), 0);
    for (int i = 0; i < 500 && w->nheld == 0; i++)
        uv_run(&w->loop, UV_RUN_ONCE);
    assert_int_equal(w->nheld, 1);
    /* the server goes away with the call pending */
    int closed = 0;
    sipc_server_close(w->srv, on_srv_closed, &closed);
    assert_true(tu_run_until(&w->loop, &r1.done, 5000));
    assert_true(r1.err == SIPC_ECLOSED || r1.err == SIPC_ECANCELED);
    free(r1.data);
    /* the held request's answer goes nowhere but frees cleanly */
    assert_int_equal(sipc_respond(w->held[0], "x", 1), SIPC_ECLOSED);
    w->nheld = 0;
    assert_true(tu_run_until(&w->loop, &closed, 5000));

    /* a call made while down waits; a new server on the same port serves it */
    w->hold = 0;
    result r2;
    memset(&r2, 0, sizeof r2);
    assert_int_equal(sipc_call(w->ch, "test", "echo", "b", 1, 10000, on_result, &r2), 0);
    uv_run(&w->loop, UV_RUN_NOWAIT);
    assert_int_equal(r2.done, 0);
    assert_int_equal(sipc_server_listen(&w->srv, w->sctx, "Test Service", "127.0.0.1", w->port,
                                        w->router),
                     0);
    assert_true(tu_run_until(&w->loop, &r2.done, 8000));
    assert_int_equal(r2.err, 0);
    assert_int_equal(r2.len, 1);
    free(r2.data);
    world_free(w);
}

static void t_cluster_mismatch(void **state)
{
    (void)state;
    world *w = world_new();
    world_server(w, g_mode, g_pem, "alpha", 0);
    world_client(w, g_mode, g_pem, "beta", 0, 0);
    sipc_channel_set_fail_fast(w->ch, 1);
    result r;
    assert_int_equal(call_wait(w, "echo", "a", 1, 5000, &r), 0);
    assert_int_equal(r.err, SIPC_ECLUSTER);
    assert_non_null(strstr(r.message, "'alpha'"));
    assert_non_null(strstr(r.message, "'beta'"));
    free(r.data);
    world_free(w);
}

static void t_oversize_frame(void **state)
{
    (void)state;
    world *w = world_new();
    world_server(w, g_mode, g_pem, "test", 1 << 20);
    world_client(w, g_mode, g_pem, "test", 32u << 20, 0);
    size_t big = 2u << 20;
    uint8_t *p = calloc(1, big);
    result r;
    assert_int_equal(call_wait(w, "echo", p, big, 5000, &r), 0);
    assert_int_equal(r.err, SIPC_ETOOBIG);
    /* the server's hello said its limit: refused before sending, alone */
    assert_non_null(strstr(r.message, "2097152 bytes"));
    assert_non_null(strstr(r.message, "1048576"));
    free(r.data);
    assert_false(tu_log_has(&w->slog, "more than the maximum of 1048576"));
    /* with the link up, sipc_call says it at once; the link goes on */
    assert_int_equal(sipc_call(w->ch, "test", "echo", p, big, 1000, on_result, &r), SIPC_ETOOBIG);
    assert_int_equal(call_wait(w, "echo", "s", 1, 5000, &r), 0);
    assert_int_equal(r.err, 0);
    free(r.data);
    sipc_server_stats st;
    assert_int_equal(sipc_server_stats_get(w->srv, &st), 0);
    assert_int_equal(st.accepted_total, 1); /* one connection throughout */
    /* our own limit is checked before sending */
    assert_int_equal(sipc_call(w->ch, "test", "echo", p, 33u << 20, 1000, on_result, &r),
                     SIPC_ETOOBIG);
    free(p);
    world_free(w);
}

/* A peer cannot make us hold more than max_pending_requests unanswered
 * requests: reading pauses, and resumes as answers go out. */
static void t_pending_cap(void **state)
{
    (void)state;
    g_max_pending = 4;
    world *w = world_std();
    g_max_pending = 0;
    w->hold = 1;
    enum { N = 40 };
    static result rs[N];
    for (int i = 0; i < N; i++) {
        memset(&rs[i], 0, sizeof rs[i]);
        assert_int_equal(sipc_call(w->ch, "test", "echo", &i, sizeof i, 10000, on_result, &rs[i]), 0);
    }
    int completed = 0;
    for (int round = 0; round < 200 && completed < N; round++) {
        int never = 0;
        tu_run_until(&w->loop, &never, 20);
        assert_true(w->nheld <= 4);
        for (int i = 0; i < w->nheld; i++) {
            size_t len;
            const void *p = sipc_request_data(w->held[i], &len);
            sipc_respond(w->held[i], p, len);
        }
        w->nheld = 0;
        completed = 0;
        for (int i = 0; i < N; i++)
            completed += rs[i].done;
    }
    assert_int_equal(completed, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(rs[i].err, 0);
        assert_memory_equal(rs[i].data, &i, sizeof i);
        free(rs[i].data);
    }
    world_free(w);
}

/* Backpressure: a peer that accepts but never answers. */
static void on_raw_conn(uv_stream_t *s, int status)
{
    if (status < 0)
        return;
    uv_tcp_t *c = malloc(sizeof *c);
    uv_tcp_init(s->loop, c);
    uv_accept(s, (uv_stream_t *)c);
    s->data = c; /* remembered for close */
}

static void t_backpressure(void **state)
{
    (void)state;
    world *w = world_new();
    uv_tcp_t sink;
    uv_tcp_init(&w->loop, &sink);
    sink.data = NULL;
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    assert_int_equal(uv_tcp_bind(&sink, (struct sockaddr *)&a, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&sink, 8, on_raw_conn), 0);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    uv_tcp_getsockname(&sink, (struct sockaddr *)&ss, &len);
    w->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    world_client(w, g_mode, g_pem, "test", 0, 64 * 1024);
    static uint8_t chunk[16384];
    static result rs[16];
    int accepted = 0, refused = 0;
    for (int i = 0; i < 16; i++) {
        memset(&rs[i], 0, sizeof rs[i]);
        int e = sipc_call(w->ch, "test", "echo", chunk, sizeof chunk, 300, on_result, &rs[i]);
        if (e == 0)
            accepted++;
        else {
            assert_int_equal(e, SIPC_EQUEUEFULL);
            refused++;
        }
    }
    assert_true(accepted >= 3 && accepted <= 5);
    assert_true(refused > 0);
    /* every accepted call still completes (the peer never says hello) */
    for (int i = 0; i < accepted; i++) {
        assert_true(tu_run_until(&w->loop, &rs[i].done, 5000));
        assert_int_not_equal(rs[i].err, 0);
        free(rs[i].data);
    }
    sipc_ctx_close(w->cctx, NULL, NULL);
    w->cctx = NULL;
    if (sink.data)
        uv_close((uv_handle_t *)sink.data, (uv_close_cb)free);
    uv_close((uv_handle_t *)&sink, NULL);
    world_free(w);
}

/* Peers that never read their answers: each may hold max_write_queue, and
 * all together max_write_queue_total; beyond it the one holding the most is
 * closed, and the node keeps serving everyone else. */
static void t_slow_reader_closed(void **state)
{
    (void)state;
    if (g_mode != SIPC_TLS_OFF)
        skip(); /* the raw peer speaks plaintext */
    world *w = world_new();
    w->max_queue_total = 1u << 20;
    world_server(w, g_mode, g_pem, "test", 0);
    int fd = raw_connect(w, 4096);
    /* hello, then 256 echoes of 64 KiB: 16 MiB of answers it never reads */
    sipc_buf b = {0};
    raw_hello(&b, "slow", "test");
    static uint8_t chunk[65536];
    for (uint64_t i = 1; i <= 256; i++) {
        sipc_env_out e = {.kind = SIPC__KIND__REQUEST, .request_id = i, .service = "test",
                          .method = "echo", .payload = chunk, .payload_len = sizeof chunk};
        assert_int_equal(sipc_env_encode(&b, &e, 1u << 24), 0);
    }
    size_t off = 0;
    sipc_server_stats st = {0};
    uint64_t end = uv_now(&w->loop) + 10000;
    while (uv_now(&w->loop) < end) {
        ssize_t n = off < b.len ? send(fd, b.data + off, b.len - off, MSG_DONTWAIT | MSG_NOSIGNAL)
                                : 0;
        if (n > 0)
            off += (size_t)n;
        uv_run(&w->loop, UV_RUN_NOWAIT);
        sipc_server_stats_get(w->srv, &st);
        if (st.slow_closed_total)
            break;
        uv_sleep(1);
        uv_update_time(&w->loop);
    }
    if (!st.slow_closed_total)
        fprintf(stderr, "sent %zu of %zu, queued %llu, requests %llu\n%s\n", off, b.len,
                (unsigned long long)st.write_queue_bytes, (unsigned long long)st.requests_total,
                w->slog.buf ? w->slog.buf : "");
    sipc_buf_free(&b);
    assert_int_equal(st.slow_closed_total, 1);
    assert_true(tu_log_has(&w->slog, "does not read its answers"));
    assert_true(tu_log_has(&w->slog, "max_write_queue_total"));
    /* everyone else is still served, and the closed peer's queue is gone */
    world_client(w, g_mode, g_pem, "test", 0, 0);
    result r;
    assert_int_equal(call_wait(w, "echo", "ok", 2, 3000, &r), 0);
    assert_int_equal(r.err, 0);
    free(r.data);
    sipc_server_stats_get(w->srv, &st);
    assert_true(st.write_queue_bytes < (1u << 20));
    close(fd);
    world_free(w);
}

/* After one large message a connection keeps its grown buffers only while
 * traffic flows: idle, it gives them back. */
static void t_idle_releases_buffers(void **state)
{
    (void)state;
    world *w = world_std();
    /* plaintext: under the stream's early write (256 KiB), so the answer is
     * copied into the connection's buffer, which grows and is kept; TLS:
     * the reassembly buffer and the stream's ciphertext buffer grow */
    size_t n = 200u << 10;
    echo_n(w, n, 7);
    sipc_server_stats st;
    sipc_server_stats_get(w->srv, &st);
    size_t grown = st.buffer_bytes;
    assert_true(grown >= n); /* the answer's buffers */
    /* idle for a little more than SIPC__TRIM_IDLE_MS */
    int never = 0;
    tu_run_until(&w->loop, &never, 1600);
    sipc_server_stats_get(w->srv, &st);
    assert_true(st.buffer_bytes < 16384);
    /* and it still works, growing again as needed */
    echo_n(w, 5, 8);
    world_free(w);
}

/* A plaintext answer of 1 MiB leaves from the request's own buffer, not
 * through a copy: the server holds no buffer of its size afterwards. */
static void t_large_answer_not_copied(void **state)
{
    (void)state;
    if (g_mode != SIPC_TLS_OFF)
        skip(); /* TLS needs the ciphertext somewhere */
    world *w = world_std();
    size_t n = 1u << 20;
    echo_n(w, n, 9);
    sipc_server_stats st;
    sipc_server_stats_get(w->srv, &st);
    assert_true(st.buffer_bytes < n / 4);
    world_free(w);
}

/* Another thread submits work through sipc_ctx_post. */
typedef struct poster {
    world *w;
    result rs[50];
    int completed;
} poster;

static void on_posted_result(int err, const sipc_reply *rep, void *arg)
{
    result *r = arg;
    on_result(err, rep, arg);
    (void)r;
}

static void posted(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    result *r = arg;
    world *w = (world *)(void *)r->order; /* smuggled world pointer */
    r->order = NULL;
    int e = sipc_call(w->ch, "test", "echo", "p", 1, 5000, on_posted_result, r);
    if (e != 0) {
        r->done = 1;
        r->err = e;
    }
}

static void poster_thread(void *arg)
{
    poster *p = arg;
    for (int i = 0; i < 50; i++) {
        p->rs[i].order = (int *)(void *)p->w;
        assert_int_equal(sipc_ctx_post(p->w->cctx, posted, &p->rs[i]), 0);
    }
}

static void t_post_from_thread(void **state)
{
    (void)state;
    world *w = world_std();
    poster *p = calloc(1, sizeof *p);
    p->w = w;
    uv_thread_t th;
    assert_int_equal(uv_thread_create(&th, poster_thread, p), 0);
    uv_thread_join(&th);
    for (int i = 0; i < 50; i++) {
        assert_true(tu_run_until(&w->loop, &p->rs[i].done, 5000));
        assert_int_equal(p->rs[i].err, 0);
        free(p->rs[i].data);
    }
    free(p);
    world_free(w);
}

static void posted_noop(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
}

static void t_close_cancels_pending(void **state)
{
    (void)state;
    world *w = world_std();
    w->hold = 1;
    result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(sipc_call(w->ch, "test", "echo", "q", 1, 10000, on_result, &r), 0);
    for (int i = 0; i < 500 && w->nheld == 0; i++)
        uv_run(&w->loop, UV_RUN_ONCE);
    sipc_ctx_close(w->cctx, NULL, NULL);
    w->cctx = NULL;
    assert_int_equal(r.done, 1); /* completed synchronously by the close */
    assert_int_equal(r.err, SIPC_ECANCELED);
    free(r.data);
    assert_int_equal(sipc_ctx_post(w->sctx, posted_noop, NULL), 0); /* still open */
    world_free(w);
}

static void t_idle_keepalive(void **state)
{
    (void)state;
    world *w = world_new();
    /* server pings after 100 ms of silence; the client answers, so idle never
     * fires (a second of margin: a loaded machine may stall the loop) */
    w->keepalive_ms = 100;
    w->idle_timeout_ms = 1000;
    world_server(w, g_mode, g_pem, "test", 0);
    world_client(w, g_mode, g_pem, "test", 0, 0);
    result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(sipc_call(w->ch, "sys", "ping", NULL, 0, 5000, on_result, &r), 0);
    assert_true(tu_run_until(&w->loop, &r.done, 5000));
    assert_int_equal(r.err, 0);
    free(r.data);
    int never = 0;
    tu_run_until(&w->loop, &never, 2500); /* 2.5 idle timeouts, 25 keepalive periods */
    /* the idle close's own words: the start-up WARN about these options
     * (keepalive_timeout_ms above idle_timeout_ms) names SIPC_EIDLE too */
    assert_false(tu_log_has(&w->slog, "nothing received from"));
    assert_false(tu_log_has(&w->slog, "nothing read from"));
    assert_true(sipc_channel_is_up(w->ch));
    world_free(w);
}


/* Answers may be empty: sipc_respond(req, NULL, 0). */
static void t_empty_reply(void **state)
{
    (void)state;
    world *w = world_std();
    result r;
    w->respond_rc = 1;
    assert_int_equal(call_wait(w, "empty", NULL, 0, 5000, &r), 0);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.len, 0);
    assert_int_equal(w->respond_rc, 0);
    free(r.data);
    /* NULL data with a length is the handler's mistake; the caller is answered */
    assert_int_equal(call_wait(w, "nodata", NULL, 0, 5000, &r), 0);
    assert_int_equal(r.err, SIPC_EREMOTE);
    assert_int_equal(w->respond_rc, SIPC_EINVAL);
    free(r.data);
    world_free(w);
}

/* A refused producer hears SIPC_CONN_WRITABLE once the queue drained. */
static void t_writable(void **state)
{
    (void)state;
    world *w = world_new();
    world_server(w, g_mode, g_pem, "test", 0);
    world_client(w, g_mode, g_pem, "test", 0, 64 * 1024);
    result r;
    assert_int_equal(call_wait(w, "echo", "a", 1, 5000, &r), 0);
    assert_int_equal(r.err, 0);
    free(r.data);
    static uint8_t chunk[16384];
    static result rs[16];
    int accepted = 0, refused = 0;
    /* all in one loop iteration: the flusher has not run, the queue grows */
    for (int i = 0; i < 16 && !refused; i++) {
        memset(&rs[i], 0, sizeof rs[i]);
        int e = sipc_call(w->ch, "test", "echo", chunk, sizeof chunk, 5000, on_result, &rs[i]);
        if (e == 0)
            accepted++;
        else {
            assert_int_equal(e, SIPC_EQUEUEFULL);
            refused = 1;
        }
    }
    assert_int_equal(refused, 1);
    assert_true(accepted >= 3 && accepted <= 5);
    assert_int_equal(w->cwritable, 0);
    assert_true(tu_run_until(&w->loop, &w->cwritable, 5000));
    /* the producer goes on */
    memset(&rs[accepted], 0, sizeof rs[accepted]);
    assert_int_equal(
        sipc_call(w->ch, "test", "echo", chunk, sizeof chunk, 5000, on_result, &rs[accepted]), 0);
    accepted++;
    for (int i = 0; i < accepted; i++) {
        assert_true(tu_run_until(&w->loop, &rs[i].done, 5000));
        assert_int_equal(rs[i].err, 0);
        assert_int_equal(rs[i].len, sizeof chunk);
        free(rs[i].data);
    }
    /* once per refusal: nothing was refused since */
    assert_int_equal(w->cwritable, 1);
    world_free(w);

    /* refused while waiting for the link: told once the link took them */
    w = world_new();
    world_server(w, g_mode, g_pem, "test", 0);
    world_client(w, g_mode, g_pem, "test", 0, 64 * 1024);
    accepted = refused = 0;
    for (int i = 0; i < 16 && !refused; i++) {
        memset(&rs[i], 0, sizeof rs[i]);
        int e = sipc_call(w->ch, "test", "echo", chunk, sizeof chunk, 5000, on_result, &rs[i]);
        if (e == 0)
            accepted++;
        else {
            assert_int_equal(e, SIPC_EQUEUEFULL);
            refused = 1;
        }
    }
    assert_int_equal(refused, 1);
    assert_int_equal(accepted, 4); /* 64 KiB of payload wait in the channel */
    assert_int_equal(sipc_channel_is_up(w->ch), 0);
    assert_true(tu_run_until(&w->loop, &w->cwritable, 5000));
    assert_int_equal(w->cups, 1);
    for (int i = 0; i < accepted; i++) {
        assert_true(tu_run_until(&w->loop, &rs[i].done, 5000));
        assert_int_equal(rs[i].err, 0);
        free(rs[i].data);
    }
    assert_int_equal(w->cwritable, 1);
    world_free(w);
}

/* The caller's deadline reaches the handler; an answer after it is dropped. */
static void t_request_deadline(void **state)
{
    (void)state;
    world *w = world_std();
    result r;
    assert_int_equal(call_wait(w, "deadline", "d", 1, 5000, &r), 0);
    assert_int_equal(r.err, 0);
    free(r.data);
    assert_true(w->seen_deadline > 4000 && w->seen_deadline <= 5000);
    /* a one-way message has no deadline */
    w->seen_deadline = 99;
    assert_int_equal(sipc_send(w->ch, "test", "deadline", "o", 1), 0);
    assert_int_equal(call_wait(w, "echo", "x", 1, 5000, &r), 0); /* after it, in order */
    free(r.data);
    assert_int_equal(w->seen_deadline, 0);
    /* held past the deadline: the caller times out, the late answer is refused */
    w->hold = 1;
    assert_int_equal(call_wait(w, "deadline", "z", 1, 100, &r), 0);
    assert_int_equal(r.err, SIPC_ETIMEDOUT);
    free(r.data);
    assert_int_equal(w->nheld, 1);
    for (int i = 0; i < 100 && sipc_request_deadline_ms(w->held[0]) != -1; i++) {
        int never = 0;
        tu_run_until(&w->loop, &never, 10);
    }
    assert_int_equal(sipc_request_deadline_ms(w->held[0]), -1);
    assert_int_equal(sipc_respond(w->held[0], "late", 4), SIPC_ETIMEDOUT);
    w->nheld = 0;
    w->hold = 0;
    assert_int_equal(call_wait(w, "echo", "ok", 2, 5000, &r), 0);
    assert_int_equal(r.err, 0);
    free(r.data);
    world_free(w);
}

/* sipc_call_cancel completes a call once, waiting or in flight. */
static void t_cancel(void **state)
{
    (void)state;
    world *w = world_new();
    world_server(w, g_mode, g_pem, "test", 0);
    world_client(w, g_mode, g_pem, "test", 0, 0);
    /* the channel is still dialing: the call waits for the link */
    result a;
    memset(&a, 0, sizeof a);
    sipc_call_id id = 0;
    assert_int_equal(sipc_call_ex(w->ch, "test", "echo", "a", 1, 5000, on_result, &a, &id), 0);
    assert_true(id != 0);
    assert_int_equal(a.done, 0);
    assert_int_equal(sipc_call_cancel(w->ch, id), 0);
    assert_int_equal(a.ncb, 1);
    assert_int_equal(a.err, SIPC_ECANCELED);
    assert_int_equal(sipc_call_cancel(w->ch, id), SIPC_EINVAL);
    free(a.data);

    /* in flight: held by the server, canceled, then its late answer comes */
    w->hold = 1;
    result b;
    memset(&b, 0, sizeof b);
    assert_int_equal(sipc_call_ex(w->ch, "test", "echo", "b", 1, 5000, on_result, &b, &id), 0);
    wait_held(w, 1);
    assert_int_equal(b.done, 0);
    assert_int_equal(sipc_call_cancel(w->ch, id), 0);
    assert_int_equal(b.ncb, 1);
    assert_int_equal(b.err, SIPC_ECANCELED);
    assert_int_equal(sipc_respond(w->held[0], "late", 4), 0);
    w->nheld = 0;
    w->hold = 0;
    result c;
    assert_int_equal(call_wait(w, "echo", "c", 1, 5000, &c), 0); /* the late answer came first */
    assert_int_equal(c.err, 0);
    free(c.data);
    assert_int_equal(b.ncb, 1);
    free(b.data);

    /* the same on a connection */
    w->hold = 1;
    assert_non_null(w->cconn);
    result d;
    memset(&d, 0, sizeof d);
    assert_int_equal(
        sipc_conn_call_ex(w->cconn, "test", "echo", "d", 1, 5000, on_result, &d, &id), 0);
    wait_held(w, 1);
    assert_int_equal(sipc_conn_call_cancel(w->cconn, id), 0);
    assert_int_equal(d.ncb, 1);
    assert_int_equal(d.err, SIPC_ECANCELED);
    assert_int_equal(sipc_conn_call_cancel(w->cconn, id), SIPC_EINVAL);
    free(d.data);
    world_free(w);
}

/* Connection-down err: 0 when this node closed it, the reason otherwise;
 * pending calls: SIPC_ECANCELED when we closed, the reason otherwise. */
static void t_close_rule(void **state)
{
    (void)state;
    world *w = world_std();
    result r;
    assert_int_equal(call_wait(w, "echo", "u", 1, 5000, &r), 0);
    free(r.data);
    w->hold = 1;

    /* we close the connection */
    result a;
    memset(&a, 0, sizeof a);
    assert_int_equal(sipc_call(w->ch, "test", "echo", "a", 1, 5000, on_result, &a), 0);
    wait_held(w, 1);
    sipc_conn_close(w->cconn);
    assert_int_equal(a.ncb, 1);
    assert_int_equal(a.err, SIPC_ECANCELED);
    assert_int_equal(w->cdowns, 1);
    assert_int_equal(w->cdown_err, 0);
    free(a.data);
    /* the peer saw us go */
    assert_true(tu_run_until(&w->loop, &w->sdowns, 5000));
    assert_int_equal(w->sdown_err, SIPC_ECLOSED);
    assert_int_equal(sipc_respond(w->held[0], "x", 1), SIPC_ECLOSED);
    w->nheld = 0;

    /* the channel redials; this time the server side closes */
    result b;
    memset(&b, 0, sizeof b);
    assert_int_equal(sipc_call(w->ch, "test", "echo", "b", 1, 5000, on_result, &b), 0);
    wait_held(w, 1);
    int closed = 0;
    sipc_server_close(w->srv, on_srv_closed, &closed);
    assert_int_equal(w->sdowns, 2);
    assert_int_equal(w->sdown_err, 0);
    assert_true(tu_run_until(&w->loop, &b.done, 5000));
    assert_int_equal(b.ncb, 1);
    assert_int_equal(b.err, SIPC_ECLOSED);
    assert_int_equal(w->cdowns, 2);
    assert_int_equal(w->cdown_err, SIPC_ECLOSED);
    free(b.data);
    assert_int_equal(sipc_respond(w->held[0], "x", 1), SIPC_ECLOSED);
    w->nheld = 0;
    assert_true(tu_run_until(&w->loop, &closed, 5000));

    /* back up, then we close the channel */
    assert_int_equal(sipc_server_listen(&w->srv, w->sctx, "Test Service", "127.0.0.1", w->port,
                                        w->router),
                     0);
    result c;
    memset(&c, 0, sizeof c);
    assert_int_equal(sipc_call(w->ch, "test", "echo", "c", 1, 5000, on_result, &c), 0);
    wait_held(w, 1);
    sipc_channel_close(w->ch, NULL, NULL);
    assert_int_equal(c.ncb, 1);
    assert_int_equal(c.err, SIPC_ECANCELED);
    assert_int_equal(w->cdowns, 3);
    assert_int_equal(w->cdown_err, 0);
    free(c.data);
    world_free(w);
}

/* ---------------------------------------------- mode-specific negatives */

/* The hold of every line the server holds for a plaintext retry brought to
 * its end rather than waited out: each is made SIPC__RETRY_HOLD_MS older
 * (its due time is its start plus that, and its "N s ago" counts from the
 * start), then the context's timer writes those due. */
static void held_lines_due(world *w)
{
    for (int i = 0; i < w->sctx->nheld; i++)
        w->sctx->held[i].due -= SIPC__RETRY_HOLD_MS;
    sipc__ctx_timer_within(w->sctx, 0);
    int never = 0;
    tu_run_until(&w->loop, &never, 100);
}

static void t_mode_mismatch(void **state)
{
    (void)state;
    /* TLS node against plaintext node, both directions */
    for (int dir = 0; dir < 2; dir++) {
        world *w = world_new();
        sipc_tls_mode sm = dir == 0 ? SIPC_TLS_STRICT : SIPC_TLS_OFF;
        sipc_tls_mode cm = dir == 0 ? SIPC_TLS_OFF : SIPC_TLS_STRICT;
        world_server(w, sm, g_pem, "test", 0);
        world_client(w, cm, g_pem, "test", 0, 0);
        sipc_channel_set_fail_fast(w->ch, 1);
        result r;
        assert_int_equal(call_wait(w, "echo", "a", 1, 3000, &r), 0);
        if (dir == 0) {
            assert_int_equal(r.err, SIPC_ETLSONPLAIN);
            /* the dialing side may be a client (sipcctl), not a node */
            const char *why = r.message[0] ? r.message : sipc_channel_last_detail(w->ch);
            if (!strstr(why, "it requires TLS but it is not enabled on this side"))
                fail_msg("the plaintext client's reason: %s", why);
            assert_true(tu_log_has(&w->slog, "plaintext arrived on a TLS port"));
            assert_true(tu_log_has(&w->slog, "is TLS enabled on every node?"));
        } else {
            assert_true(r.err == SIPC_EPLAINTEXT || r.err == SIPC_ETLSONPLAIN);
            /* the server holds its line for a plaintext retry, which a
             * strict client never makes: then it is said, with the advice */
            held_lines_due(w);
            for (int i = 0; i < 400 && !tu_log_has(&w->slog, "a TLS handshake arrived"); i++) {
                int never = 0;
                tu_run_until(&w->loop, &never, 10);
            }
            assert_true(tu_log_has(&w->slog, "a TLS handshake arrived on a plaintext port: is TLS "
                                             "enabled on every node?"));
            /* the strict client's failure is its own warning; here, information */
            assert_false(tu_log_has(&w->slog, "WARN Connection from"));
            assert_true(tu_log_has(&w->clog, "WARN Connection to"));
        }
        assert_int_equal(sipc_err_classify(r.err), SIPC_CLASS_PROTOCOL);
        free(r.data);
        world_free(w);
    }
}

static void t_permissive(void **state)
{
    (void)state;
    /* a permissive server takes TLS and plaintext clients on one port */
    for (int tls = 0; tls < 2; tls++) {
        world *w = world_new();
        world_server(w, SIPC_TLS_PERMISSIVE, g_pem, "test", 0);
        world_client(w, tls ? SIPC_TLS_STRICT : SIPC_TLS_OFF, g_pem, "test", 0, 0);
        result r;
        assert_int_equal(call_wait(w, "echo", "a", 1, 3000, &r), 0);
        assert_int_equal(r.err, 0);
        free(r.data);
        world_free(w);
    }
    /* a permissive client falls back to plaintext against a plaintext node */
    world *w = world_new();
    world_server(w, SIPC_TLS_OFF, g_pem, "test", 0);
    world_client(w, SIPC_TLS_PERMISSIVE, g_pem, "test", 0, 0);
    result r;
    assert_int_equal(call_wait(w, "echo", "a", 1, 3000, &r), 0);
    assert_int_equal(r.err, 0);
    free(r.data);
    assert_true(tu_log_has(&w->clog, "retrying in plaintext"));
    /* ... which is what it is built for, but a downgrade anyone on the path
     * can force: a warning on the client's end that says so, none that TLS
     * is "required" on a side that does not require it; the server, seeing
     * the same host back in plaintext at once, keeps its line about the TLS
     * handshake it refused at DEBUG (past its hold) */
    assert_true(tu_log_has(&w->clog, "WARN 127.0.0.1:"));
    assert_true(tu_log_has(&w->clog, "neither encrypted nor authenticated"));
    assert_false(tu_log_has(&w->clog, "required"));
    held_lines_due(w);
    assert_true(tu_log_has(&w->slog, "DEBUG Connection from 127.0.0.1:"));
    assert_true(tu_log_has(&w->slog, "saying it retries after its TLS was refused"));
    assert_false(tu_log_has(&w->slog, "INFO Connection from"));
    assert_false(tu_log_has(&w->slog, "is TLS enabled on every node"));
    assert_false(tu_log_has(&w->slog, "WARN"));
    world_free(w);
}

/* A plaintext client from the host of a strict one says nothing about the
 * strict one's TLS handshake that a plaintext listener refused: its line is
 * still written, with the advice and how long ago. */
static void t_plain_not_retry(void **state)
{
    (void)state;
    world *w = world_new();
    w->addr = "127.0.73.1";
    world_server(w, SIPC_TLS_OFF, g_pem, "test", 0);
    world_client(w, SIPC_TLS_STRICT, g_pem, "test", 0, 0);
    sipc_channel_set_fail_fast(w->ch, 1);
    result r;
    assert_int_equal(call_wait(w, "echo", "a", 1, 3000, &r), 0);
    assert_true(r.err == SIPC_EPLAINTEXT || r.err == SIPC_ETLSONPLAIN);
    free(r.data);
    sipc_channel_close(w->ch, NULL, NULL); /* one TLS attempt, no redial */
    w->ch = NULL;
    client x;
    client_open(w, &x, SIPC_TLS_OFF, g_pem, "plain");
    assert_int_equal(call_on(w, x.ch, "echo", "b", 1, 3000, &r), 0);
    assert_int_equal(r.err, 0);
    free(r.data);
    assert_false(tu_log_has(&w->slog, "is TLS enabled on every node?")); /* held */
    held_lines_due(w);
    for (int i = 0; i < 400 && !tu_log_has(&w->slog, "is TLS enabled on every node?"); i++) {
        int never = 0;
        tu_run_until(&w->loop, &never, 10);
    }
    assert_true(tu_log_has(&w->slog, "INFO Connection from 127.0.0.1:"));
    assert_true(tu_log_has(&w->slog, "is TLS enabled on every node?"));
    assert_true(tu_log_has(&w->slog, " s ago)"));
    assert_false(tu_log_has(&w->slog, "retries after its TLS was refused"));
    client_close(w, &x);
    world_free(w);
}

/* A listener that closes each connection, without a word, once it has seen
 * what the dialer says first: a TLS record ('t'), or its plaintext hello
 * with plaintext_retry ('r') or without ('p'). */
typedef struct probe {
    uv_tcp_t tcp;
    int n;
    char kind[16];
} probe;

typedef struct probe_conn {
    uv_tcp_t tcp;
    probe *p;
    uint8_t buf[1024];
    size_t len;
} probe_conn;

static void probe_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    (void)hint;
    probe_conn *pc = h->data;
    *b = uv_buf_init((char *)pc->buf + pc->len, (unsigned)(sizeof pc->buf - pc->len));
}

static void probe_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    (void)b;
    probe_conn *pc = s->data;
    char kind = 0;
    if (n > 0)
        pc->len += (size_t)n;
    /* Hello field 4 (software), then field 5 (plaintext_retry = true: 0x28 0x01) */
    static const char sw[] = "sipc " SIPC_VERSION_STRING;
    if (pc->len && pc->buf[0] == 0x16) {
        kind = 't';
    } else {
        for (size_t i = 0; !kind && i + sizeof sw - 1 <= pc->len; i++) {
            if (memcmp(pc->buf + i, sw, sizeof sw - 1) == 0) {
                size_t e = i + sizeof sw - 1;
                kind = e + 2 <= pc->len && pc->buf[e] == 0x28 && pc->buf[e + 1] == 1 ? 'r' : 'p';
            }
        }
    }
    if (!kind && n >= 0 && pc->len < sizeof pc->buf)
        return;
    if (kind && pc->p->n < (int)sizeof pc->p->kind - 1)
        pc->p->kind[pc->p->n++] = kind;
    uv_read_stop(s);
    uv_close((uv_handle_t *)s, (uv_close_cb)free);
}

static void probe_accept(uv_stream_t *s, int status)
{
    if (status < 0)
        return;
    probe_conn *pc = calloc(1, sizeof *pc);
    pc->p = s->data;
    uv_tcp_init(s->loop, &pc->tcp);
    pc->tcp.data = pc;
    if (uv_accept(s, (uv_stream_t *)&pc->tcp) != 0 ||
        uv_read_start((uv_stream_t *)&pc->tcp, probe_alloc, probe_read) != 0)
        uv_close((uv_handle_t *)&pc->tcp, (uv_close_cb)free);
}

/* Only the plaintext dial right after the refused TLS says it retries; the
 * plaintext redials after that one failed say nothing (a listener would take
 * them for the retry of some other dialer's TLS from the same host). */
static void t_retry_only_after_tls(void **state)
{
    (void)state;
    world *w = world_new();
    probe p;
    memset(&p, 0, sizeof p);
    uv_tcp_init(&w->loop, &p.tcp);
    p.tcp.data = &p;
    struct sockaddr_in a;
    uv_ip4_addr("127.0.73.2", 0, &a);
    assert_int_equal(uv_tcp_bind(&p.tcp, (struct sockaddr *)&a, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&p.tcp, 8, probe_accept), 0);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    uv_tcp_getsockname(&p.tcp, (struct sockaddr *)&ss, &len);
    w->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    w->addr = "127.0.73.2";
    world_client(w, SIPC_TLS_PERMISSIVE, g_pem, "test", 0, 0);
    result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(sipc_call(w->ch, "test", "echo", "a", 1, 10000, on_result, &r), 0);
    for (int i = 0; i < 500 && p.n < 4; i++) {
        int never = 0;
        tu_run_until(&w->loop, &never, 10);
    }
    sipc_channel_close(w->ch, NULL, NULL);
    w->ch = NULL;
    assert_true(tu_run_until(&w->loop, &r.done, 5000));
    free(r.data);
    assert_true(p.n >= 4);
    assert_memory_equal(p.kind, "trpp", 4);
    uv_close((uv_handle_t *)&p.tcp, NULL);
    world_free(w);
}

/* More dialers falling back at once than the listener used to hold lines
 * for (a cluster restarted together, TLS off, the pair imported): nothing
 * about their TLS handshakes above DEBUG on the plaintext side. */
static void t_fallback_burst(void **state)
{
    (void)state;
    enum { N = 12 };
    world *w = world_new();
    w->addr = "127.0.73.1";
    world_server(w, SIPC_TLS_OFF, g_pem, "test", 0);
    client x[N];
    result r[N];
    char node[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(node[i], sizeof node[i], "n%d", i);
        client_open(w, &x[i], SIPC_TLS_PERMISSIVE, g_pem, node[i]);
        memset(&r[i], 0, sizeof r[i]);
        assert_int_equal(sipc_call(x[i].ch, "test", "echo", "a", 1, 3000, on_result, &r[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_true(tu_run_until(&w->loop, &r[i].done, 6000));
        assert_int_equal(r[i].err, 0);
        free(r[i].data);
    }
    held_lines_due(w);
    assert_false(tu_log_has(&w->slog, "INFO Connection from"));
    assert_false(tu_log_has(&w->slog, "is TLS enabled on every node"));
    assert_false(tu_log_has(&w->slog, "WARN"));
    int reports;
    assert_int_equal(count_lines(&w->slog, "retries after its TLS was refused", &reports), N);
    for (int i = 0; i < N; i++)
        client_close(w, &x[i]);
    world_free(w);
}

/* More TLS handshakes held at once than the table has room for: counted
 * with the newest line of their host, so its retries still account for
 * them all; without them, that line says how many it stands for. */
static void t_held_table_full(void **state)
{
    (void)state;
    enum { N = SIPC__HELD_MAX + 2 };
    world *w = world_new();
    w->addr = "127.0.73.1";
    world_server(w, SIPC_TLS_OFF, g_pem, "test", 0);
    static const int owner;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++)
            sipc__log_hold(w->sctx, &owner, "10.9.9.9:4000", "10.9.9.9", "k", "hk", NULL, NULL,
                           SIPC_LOG_INFO, "Transport.Conn",
                           "Connection from 10.9.9.9:4000 closed: TLS here");
        /* first every one retried, then one fewer than held */
        for (int i = 0; i < (round == 0 ? N : N - 1); i++)
            sipc__log_retried(w->sctx, &owner, "10.9.9.9", "10.9.9.9:5000", "n");
        held_lines_due(w);
        if (round == 0) {
            assert_false(tu_log_has(&w->slog, "INFO Connection from 10.9.9.9"));
        } else {
            assert_true(tu_log_has(&w->slog, "INFO Connection from 10.9.9.9:4000 closed: TLS "
                                             "here (2."));
            assert_false(tu_log_has(&w->slog, "more from 10.9.9.9 since"));
        }
    }
    /* none retried: the last line of the host carries the ones beyond */
    for (int i = 0; i < N; i++) /* the newest line with a key of its own: not rate-limited */
        sipc__log_hold(w->sctx, &owner, "10.9.9.9:4000", "10.9.9.9",
                       i < SIPC__HELD_MAX - 1 ? "k2" : "k3", NULL, NULL, NULL, SIPC_LOG_INFO,
                       "Transport.Conn", "Connection from 10.9.9.9:4000 closed: again");
    held_lines_due(w);
    assert_true(tu_log_has(&w->slog, "; and 2 more from 10.9.9.9 since, with no plaintext retry "
                                     "either)"));
    /* a text as long as a held line may be: it gives way to when */
    char text[1024];
    int tn = snprintf(text, sizeof text, "Connection from 10.9.9.8:4000 closed: ");
    for (size_t i = (size_t)tn; i < sizeof text - 1; i++)
        text[i] = "long reason "[(i - (size_t)tn) % 12];
    text[sizeof text - 1] = 0;
    sipc__log_hold(w->sctx, &owner, "10.9.9.8:4000", "10.9.9.8", "k4", NULL, NULL, NULL,
                   SIPC_LOG_INFO, "Transport.Conn", text);
    held_lines_due(w);
    /* cut inside the reason, marked, and the ending kept */
    assert_true(tu_log_has(&w->slog, "closed: long reason long reason"));
    assert_true(tu_log_has(&w->slog, "... (2."));
    world_free(w);
}

static void t_wrong_pair(void **state)
{
    (void)state;
    const char *client_pems[] = {g_other_pem, g_expired_pem};
    const char *expect[] = {"not", "expired"};
    for (int i = 0; i < 2; i++) {
        world *w = world_new();
        world_server(w, SIPC_TLS_STRICT, i == 0 ? g_pem : g_expired_pem, "test", 0);
        world_client(w, SIPC_TLS_STRICT, client_pems[i], "test", 0, 0);
        sipc_channel_set_fail_fast(w->ch, 1);
        result r;
        assert_int_equal(call_wait(w, "echo", "a", 1, 3000, &r), 0);
        assert_int_equal(r.err, SIPC_EPEERAUTH);
        assert_int_equal(sipc_err_classify(r.err), SIPC_CLASS_AUTH);
        if (!strstr(r.message, expect[i]))
            fprintf(stderr, "message: %s\n", r.message);
        assert_non_null(strstr(r.message, expect[i]));
        free(r.data);
        /* the rejecting side logged the reason */
        assert_true(tu_log_has(&w->clog, "peer certificate rejected") ||
                    tu_log_has(&w->slog, "peer certificate rejected"));
        world_free(w);
    }
}

/* Over real connections, each side of a refused handshake names whose
 * certificate was refused: the side whose verifier refused says
 * SIPC_EPEERAUTH, the side whose certificate it was SIPC_ECERTREFUSED, for
 * the server refusing the client's certificate and the other way round. The
 * refused side trusts the other's pair (as in a key pair rotation), so that
 * only one side refuses. */
static void t_refused_side_named(void **state)
{
    (void)state;
    for (int server_refuses = 1; server_refuses >= 0; server_refuses--) {
        world *w = world_new();
        w->addr = "127.1.139.1";
        /* the refuser presents and trusts g_pem alone; the refused side
         * presents g_other_pem and trusts g_pem too */
        if (server_refuses)
            w->csec = tu_security_trusting(g_other_pem, g_pem);
        else
            w->ssec = tu_security_trusting(g_other_pem, g_pem);
        world_server(w, SIPC_TLS_STRICT, g_pem, "test", 0);
        world_client(w, SIPC_TLS_STRICT, g_pem, "test", 0, 0);
        sipc_channel_set_fail_fast(w->ch, 1);
        result r;
        assert_int_equal(call_wait(w, "echo", "a", 1, 3000, &r), 0);
        /* the server's side of it is logged once the client's alert or
         * close has reached it */
        const char *server_code = server_refuses ? "(SIPC_EPEERAUTH" : "(SIPC_ECERTREFUSED";
        for (int i = 0; i < 300 && !tu_log_has(&w->slog, server_code); i++) {
            int never = 0;
            tu_run_until(&w->loop, &never, 10);
        }
        const char *refused_log = server_refuses ? w->clog.buf : w->slog.buf;
        const char *refuser_log = server_refuses ? w->slog.buf : w->clog.buf;
        if (r.err != (server_refuses ? SIPC_ECERTREFUSED : SIPC_EPEERAUTH))
            fail_msg("server refuses %d: the client's call failed with %s: %s", server_refuses,
                     sipc_err_name(r.err), r.message);
        assert_int_equal(sipc_err_classify(r.err), SIPC_CLASS_AUTH);
        assert_non_null(strstr(r.message, server_refuses ? "peer rejected this side's certificate"
                                                         : "peer certificate rejected"));
        free(r.data);
        if (!refuser_log || !strstr(refuser_log, "peer certificate rejected (SIPC_EPEERAUTH, auth "
                                                 "class): peer certificate rejected: "))
            fail_msg("server refuses %d: the refuser's log: %s", server_refuses,
                     refuser_log ? refuser_log : "(none)");
        if (!refused_log ||
            !strstr(refused_log, "this side's certificate refused by the peer (SIPC_ECERTREFUSED, "
                                 "auth class): peer rejected this side's certificate (alert "))
            fail_msg("server refuses %d: the refused side's log: %s", server_refuses,
                     refused_log ? refused_log : "(none)");
        /* neither blames the other's certificate for its own */
        assert_null(strstr(refuser_log, "SIPC_ECERTREFUSED"));
        assert_null(strstr(refused_log, "SIPC_EPEERAUTH"));
        world_free(w);
    }
}


/* A live server changes its security: the established link keeps the old
 * one and goes on working; new clients need the new one. */
static void t_swap_server_security(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        sipc_tls_mode from, to;
        int to_other_pair;
        sipc_tls_mode refused_mode; /* a new client with the old pair */
        int refused_err;
    } cases[] = {
        {"plaintext to TLS", SIPC_TLS_OFF, SIPC_TLS_STRICT, 0, SIPC_TLS_OFF, SIPC_ETLSONPLAIN},
        {"pair A to pair B", SIPC_TLS_STRICT, SIPC_TLS_STRICT, 1, SIPC_TLS_STRICT, SIPC_EPEERAUTH},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *new_pem = cases[i].to_other_pair ? g_other_pem : g_pem;
        world *w = world_new();
        world_server(w, cases[i].from, g_pem, "test", 0);
        world_client(w, cases[i].from, g_pem, "test", 0, 0);
        echo_expect(w, w->ch, 0);
        sipc_conn *old = w->sconn;
        assert_non_null(old);
        sipc_security *sec = tu_security(cases[i].to, new_pem);
        assert_int_equal(sipc_ctx_set_security(w->sctx, sec), 0);
        assert_ptr_equal(sipc_ctx_security(w->sctx), sec);
        sipc_security_release(sec); /* the context holds it now */
        assert_ptr_equal(sipc_conn_security(old), w->ssec);
        echo_expect(w, w->ch, 0);
        assert_int_equal(w->sups, 1);

        client k;
        client_open(w, &k, cases[i].to, new_pem, NULL);
        echo_expect(w, k.ch, 0);
        assert_int_equal(w->sups, 2);
        sipc_peer_info pi;
        sipc_conn_info(w->sconn, &pi);
        assert_int_equal(pi.tls, cases[i].to != SIPC_TLS_OFF);
        assert_ptr_equal(sipc_conn_security(w->sconn), sec);
        client_close(w, &k);

        client_open(w, &k, cases[i].refused_mode, g_pem, NULL);
        echo_expect(w, k.ch, cases[i].refused_err);
        client_close(w, &k);

        /* the first link never noticed */
        echo_expect(w, w->ch, 0);
        assert_int_equal(w->cdowns, 0);
        world_free(w);
    }
}

/* On the dialing side: the live link keeps its security, the redial uses the new one. */
static void t_swap_client_redial(void **state)
{
    (void)state;
    world *w = world_new();
    world_server(w, SIPC_TLS_PERMISSIVE, g_pem, "test", 0);
    world_client(w, SIPC_TLS_OFF, g_pem, "test", 0, 0);
    echo_expect(w, w->ch, 0);
    sipc_peer_info pi;
    sipc_conn_info(w->cconn, &pi);
    assert_int_equal(pi.tls, 0);
    sipc_security *tls = tu_security(SIPC_TLS_STRICT, g_pem);
    assert_int_equal(sipc_ctx_set_security(w->cctx, tls), 0);
    sipc_security_release(tls);
    echo_expect(w, w->ch, 0);
    sipc_conn_info(w->cconn, &pi);
    assert_int_equal(pi.tls, 0);
    assert_int_equal(w->cups, 1);

    sipc_conn_close(w->cconn);
    int two = 0;
    for (int i = 0; i < 300 && w->cups < 2; i++)
        tu_run_until(&w->loop, &two, 10);
    assert_int_equal(w->cups, 2);
    sipc_conn_info(w->cconn, &pi);
    assert_int_equal(pi.tls, 1);
    assert_ptr_equal(sipc_conn_security(w->cconn), tls);
    echo_expect(w, w->ch, 0);
    world_free(w);
}

/* Waits (bounded) until the client's channel has come up n times. */
static void wait_cups(world *w, int n)
{
    int never = 0;
    for (int i = 0; i < 500 && w->cups < n; i++)
        tu_run_until(&w->loop, &never, 10);
    assert_int_equal(w->cups, n);
}

/* sipc_security_set_resumption answers in the library's convention: 0 once
 * resumption is as asked, a negative code saying why not. */
static void t_resumption_setting(void **state)
{
    (void)state;
    assert_int_equal(sipc_security_set_resumption(NULL, 0), SIPC_EINVAL);
    sipc_security *plain = tu_security(SIPC_TLS_OFF, NULL);
    assert_int_equal(sipc_security_set_resumption(plain, 1), SIPC_ENOTCONN);
    assert_int_equal(sipc_security_set_resumption(plain, 0), 0);
    sipc_security_release(plain);

    sipc_security *sec = tu_security(SIPC_TLS_STRICT, g_pem);
    int on = sipc_security_set_resumption(sec, 1);
    if (on != 0)
        assert_int_equal(on, SIPC_ENOTSUP); /* a build without session tickets */
    assert_int_equal(sipc_security_set_resumption(sec, 7), on); /* any non-zero is on */
    assert_int_equal(sipc_security_set_resumption(sec, 0), 0);
    /* off is for good: a security's tickets are not started again */
    assert_int_equal(sipc_security_set_resumption(sec, 1), SIPC_ENOTSUP);
    sipc_security_release(sec);
}

/* TLS session resumption: a redial to the same server resumes; after the
 * server's security is replaced (what a reload of the pair or the trust
 * does) the old session is not resumed: the one refused attempt is retried
 * at once with a full handshake, and no call fails on the way. */
static void t_resume_after_reload(void **state)
{
    (void)state;
    world *w = world_new();
    world_server(w, SIPC_TLS_STRICT, g_pem, "test", 0);
    world_client(w, SIPC_TLS_STRICT, g_pem, "test", 0, 0);
    echo_expect(w, w->ch, 0);
    sipc_peer_info pi;
    sipc_conn_info(w->cconn, &pi);
    assert_int_equal(pi.tls_resumed, 0);
    int rc = sipc_security_set_resumption(w->ssec, 1);
    if (rc != 0)
        assert_int_equal(rc, SIPC_ENOTSUP); /* a build without session tickets */
    int resumable = rc == 0;

    /* the server drops the link: the redial resumes the session */
    sipc_conn_close(w->sconn);
    wait_cups(w, 2);
    echo_expect(w, w->ch, 0);
    sipc_conn_info(w->cconn, &pi);
    assert_int_equal(pi.tls_resumed, resumable);
    sipc_conn_info(w->sconn, &pi);
    assert_int_equal(pi.tls_resumed, resumable);
    assert_string_equal(pi.peer_fingerprint, sipc_security_fingerprint(w->ssec));

    /* reload: same pair and trust, a new security; then the link drops */
    sipc_server_stats st0, st1;
    assert_int_equal(sipc_server_stats_get(w->srv, &st0), 0);
    sipc_security *sec = tu_security(SIPC_TLS_STRICT, g_pem);
    assert_int_equal(sipc_ctx_set_security(w->sctx, sec), 0);
    sipc_security_release(sec);
    int downs = w->cdowns;
    sipc_conn_close(w->sconn);
    for (int i = 0; i < 500 && w->cdowns == downs; i++)
        uv_run(&w->loop, UV_RUN_ONCE);
    assert_int_equal(w->cdowns, downs + 1);
    result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(sipc_call(w->ch, "test", "echo", "c", 1, 8000, on_result, &r), 0);
    assert_true(tu_run_until(&w->loop, &r.done, 8000));
    assert_int_equal(r.err, 0); /* the call waited for the full handshake */
    free(r.data);
    assert_int_equal(w->cups, 3); /* the refused attempt never came up */
    assert_int_equal(w->cdowns, downs + 1);
    /* the refused ticket is the expected sequel of the reload: no handshake
     * failure counted, no WARN with a raw TLS error on either side */
    assert_int_equal(sipc_server_stats_get(w->srv, &st1), 0);
    assert_int_equal(st1.handshake_failures_total, st0.handshake_failures_total);
    /* ... but counted apart: a client decides that its failure looks so */
    assert_int_equal(st1.resume_refused_total, st0.resume_refused_total + (uint64_t)resumable);
    assert_false(tu_log_has(&w->clog, "TLS error -373"));
    assert_false(tu_log_has(&w->clog, "wolfSSL: -373")); /* OUT_OF_ORDER_E, in sipc's words */
    assert_false(tu_log_has(&w->slog, "alert unexpected_message"));
    if (resumable) {
        assert_true(tu_log_has(&w->clog, "INFO Connection to 127.0.0.1:"));
        assert_true(tu_log_has(&w->clog, ": TLS session not resumed: the peer no longer knows"));
        assert_true(tu_log_has(&w->slog, ": TLS session not resumed: the client offered"));
    }
    sipc_conn_info(w->cconn, &pi);
    assert_int_equal(pi.tls_resumed, 0);
    sipc_conn_info(w->sconn, &pi);
    assert_int_equal(pi.tls_resumed, 0);
    assert_ptr_equal(sipc_conn_security(w->sconn), sipc_ctx_security(w->sctx));

    /* and the new security's session resumes from now on */
    sipc_conn_close(w->sconn);
    wait_cups(w, 4);
    echo_expect(w, w->ch, 0);
    sipc_conn_info(w->sconn, &pi);
    assert_int_equal(pi.tls_resumed, resumable);
    world_free(w);
}

/* A peer that connects and never speaks: closed after the handshake timeout. */
typedef struct raw {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    int eof;
    size_t got;
    uint8_t first;
    const char *send;
    size_t send_len;
    int half_close; /* shut our side down after sending */
    int closed;
    uv_shutdown_t sreq;
} raw;

static void raw_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
    (void)h;
    static char buf[65536];
    (void)s;
    *b = uv_buf_init(buf, sizeof buf);
}

static void raw_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    raw *r = s->data;
    if (n < 0) {
        r->eof = 1;
        uv_read_stop(s);
        return;
    }
    if (n > 0 && r->got == 0)
        r->first = (uint8_t)b->base[0];
    r->got += (size_t)n;
}

static void raw_connected(uv_connect_t *req, int status)
{
    raw *r = req->handle->data;
    assert_int_equal(status, 0);
    uv_read_start((uv_stream_t *)&r->tcp, raw_alloc, raw_read);
    if (r->send_len) {
        uv_buf_t b = uv_buf_init((char *)r->send, (unsigned)r->send_len);
        uv_write(&r->wreq, (uv_stream_t *)&r->tcp, &b, 1, NULL);
        if (r->half_close)
            uv_shutdown(&r->sreq, (uv_stream_t *)&r->tcp, NULL);
    }
}

static void raw_closed(uv_handle_t *h)
{
    ((raw *)h->data)->closed = 1;
}

/* Each from a source address of its own, 127.1.247.1 and on: a host gets
 * only a few lines per interval, whatever it sends. */
static void raw_run_ex(world *w, raw *r, const char *bytes, size_t n, int half_close)
{
    static int next_source;
    memset(r, 0, sizeof *r);
    r->half_close = half_close;
    r->send = bytes;
    r->send_len = n;
    uv_tcp_init(&w->loop, &r->tcp);
    r->tcp.data = r;
    char src[32];
    snprintf(src, sizeof src, "127.1.247.%d", 1 + next_source++ % 200);
    struct sockaddr_in a;
    uv_ip4_addr(src, 0, &a);
    assert_int_equal(uv_tcp_bind(&r->tcp, (struct sockaddr *)&a, 0), 0);
    uv_ip4_addr("127.0.0.1", w->port, &a);
    uv_tcp_connect(&r->creq, &r->tcp, (struct sockaddr *)&a, raw_connected);
    assert_true(tu_run_until(&w->loop, &r->eof, 5000));
    r->closed = 0;
    uv_close((uv_handle_t *)&r->tcp, raw_closed);
    assert_true(tu_run_until(&w->loop, &r->closed, 5000));
}

static void raw_run(world *w, raw *r, const char *bytes, size_t n)
{
    raw_run_ex(w, r, bytes, n, 0);
}

static void t_raw_bad_input(void **state)
{
    (void)state;
    world *w = world_new();
    world_server(w, g_mode, g_pem, "test", 0);
    raw r;
    /* silence: closed at the handshake/hello timeout (500 ms here), as silent */
    raw_run(w, &r, NULL, 0);
    assert_true(tu_log_has(&w->slog, "SIPC_ESILENT"));
    if (g_mode == SIPC_TLS_OFF) {
        /* oversize announcement, before any allocation; under max_frame but
         * over the cap until the hello: named as such, not as [limits]
         * max_frame, which would not help */
        raw_run(w, &r, "\x00\x01\x86\xa0", 4);
        assert_true(tu_log_has(&w->slog, "announced a frame of 100000 bytes, more than the maximum "
                                         "of 65536 before its hello"));
        assert_false(tu_log_has(&w->slog, "max_frame"));
        /* a first byte above 0x10 begins no frame whatever max_frame is
         * (protocol.md, 3): closed at once as no sipc peer, not as an
         * oversized frame (raw_run waits for the node's close) */
        raw_run(w, &r, "\xff\xff\xff\xff", 4);
        assert_true(tu_log_has(&w->slog, "(SIPC_EPROTO, protocol class): peer 127.1.247."));
        assert_true(tu_log_has(&w->slog, "does not speak sipc: its first bytes (ff ff ff ff) begin "
                                         "no sipc frame"));
        /* testssl's SSLv2 probe: an SSLv2-format ClientHello, named so */
        raw_run(w, &r, "\x80\x40\x01\x00\x02\x00\x27", 7);
        assert_true(tu_log_has(&w->slog, "sent an SSLv2 ClientHello: sipc speaks TLS 1.2 only, and "
                                         "this port plaintext"));
        assert_false(tu_log_has(&w->slog, "frame of 2151678208 bytes"));
        /* text where a sipc peer's first frame belongs: named for what it is,
         * not as a frame over max_frame */
        static const char get[] = "GET / HTTP/1.0\r\n\r\n";
        raw_run(w, &r, get, sizeof get - 1);
        assert_true(tu_log_has(&w->slog, "does not speak sipc: its first bytes are text ('GET ')"));
        assert_false(tu_log_has(&w->slog, "frame of 1195725856 bytes"));
        /* a valid length with garbage inside */
        raw_run(w, &r, "\x00\x00\x00\x05\xff\xff\xff\xff\xff", 9);
        assert_true(tu_log_has(&w->slog, "SIPC_EPROTO"));
        /* a truncated frame, then the peer closes mid-frame */
        raw_run_ex(w, &r, "\x00\x00\x00\x64\x08\x01\x10\x01", 8, 1);
        assert_true(tu_log_has(&w->slog, "peer closed the connection"));
    } else {
        /* a TLS record header that never completes, then silence */
        raw_run(w, &r, "\x16\x03\x01\x00\x50", 5);
        /* text on the TLS port is neither TLS nor sipc: named for what it
         * is, not as a sipc peer without TLS (SIPC_EPLAINTEXT, which
         * operators watch while they roll TLS out) */
        static const char get[] = "GET / HTTP/1.0\r\n\r\n";
        raw_run(w, &r, get, sizeof get - 1);
        assert_true(tu_log_has(&w->slog, "(SIPC_EPROTO, protocol class): peer 127.1.247."));
        assert_true(tu_log_has(&w->slog, "speaks neither TLS nor sipc: its first bytes are text "
                                         "('GET '), e.g. an HTTP client"));
        assert_false(tu_log_has(&w->slog, "SIPC_EPLAINTEXT"));
        /* nor is a binary probe (a SOCKS5 greeting), whose first byte could
         * begin a frame length but not a first frame */
        raw_run(w, &r, "\x05\x01\x00", 3);
        assert_true(tu_log_has(&w->slog, "speaks neither TLS nor sipc: its first bytes (05 01 00) "
                                         "begin neither a TLS record nor a sipc frame"));
        assert_false(tu_log_has(&w->slog, "SIPC_EPLAINTEXT"));
        /* nor an SSLv2-format ClientHello: no version sipc speaks */
        raw_run(w, &r, "\x80\x40\x01\x00\x02\x00\x27", 7);
        assert_true(tu_log_has(&w->slog, "SSLv2 ClientHello: sipc speaks TLS 1.2 only"));
        assert_false(tu_log_has(&w->slog, "SIPC_EPLAINTEXT"));
        /* sipc's plaintext on the TLS port gets a TLS alert back */
        raw_run(w, &r, "\x00\x00\x00\x02hi", 6);
        assert_int_equal(r.first, 0x15);
        assert_true(tu_log_has(&w->slog, "SIPC_EPLAINTEXT"));
    }
    /* still serving */
    world_client(w, g_mode, g_pem, "test", 0, 0);
    result res;
    assert_int_equal(call_wait(w, "echo", "k", 1, 3000, &res), 0);
    assert_int_equal(res.err, 0);
    free(res.data);
    world_free(w);
}

/* A TLS client of the test's own: what it received, and whether it ended. */
typedef struct tls_raw {
    sipc_buf got;
    const char *send;
    size_t send_len;
    int failed, closed;
} tls_raw;

static void tls_raw_ready(sipc_stream *s)
{
    tls_raw *r = sipc_stream_owner(s);
    sipc_buf b = {0};
    assert_int_equal(sipc_buf_append(&b, r->send, r->send_len), 0);
    assert_int_equal(sipc_stream_write(s, &b), 0);
    sipc_buf_free(&b);
}

static int tls_raw_data(sipc_stream *s, const uint8_t *p, size_t n)
{
    tls_raw *r = sipc_stream_owner(s);
    return sipc_buf_append(&r->got, p, n);
}

static void tls_raw_error(sipc_stream *s, int err, const char *detail)
{
    (void)err;
    (void)detail;
    tls_raw *r = sipc_stream_owner(s);
    r->failed = 1;
    sipc_stream_close(s);
}

static void tls_raw_closed(sipc_stream *s)
{
    ((tls_raw *)sipc_stream_owner(s))->closed = 1;
}

/* An authenticated TLS peer whose first frame announces 0xFFFFFFFF bytes is
 * a sipc peer with a frame too large: told so (ERROR SIPC_ETOOBIG after the
 * node's HELLO) and logged so, as a length of 65,537 is. Before, the check
 * for a plaintext port's foreign peer ran inside TLS too: no ERROR, and a
 * line saying it "does not speak sipc". */
static void t_tls_first_frame_too_big(void **state)
{
    (void)state;
    if (g_mode == SIPC_TLS_OFF)
        skip(); /* t_raw_bad_input: a plaintext port's foreign peer */
    static const sipc_stream_events ev = {.ready = tls_raw_ready, .data = tls_raw_data,
                                          .error = tls_raw_error, .closed = tls_raw_closed};
    world *w = world_new();
    world_server(w, g_mode, g_pem, "test", 0);
    sipc_security *sec = tu_security(SIPC_TLS_STRICT, g_pem);
    tls_raw r = {.send = "\xff\xff\xff\xff", .send_len = 4};
    struct sockaddr_in a;
    assert_int_equal(uv_ip4_addr("127.0.0.1", w->port, &a), 0);
    sipc_stream *s;
    assert_int_equal(sipc_stream_connect(&s, &w->loop, (struct sockaddr *)&a, NULL,
                                         sipc_security_tls(sec), &ev, &r),
                     0);
    assert_true(tu_run_until(&w->loop, &r.closed, 5000));
    /* the node's HELLO, then its ERROR */
    size_t at = 0;
    int kinds[2] = {0, 0}, status = 0;
    char message[300] = "";
    for (int i = 0; i < 2 && r.got.len - at >= 4; i++) {
        size_t n = sipc_be32_get(r.got.data + at);
        assert_true(r.got.len - at >= 4 + n);
        Sipc__Envelope *e = sipc__envelope__unpack(NULL, n, r.got.data + at + 4);
        assert_non_null(e);
        kinds[i] = e->kind;
        if (e->kind == SIPC__KIND__ERROR) {
            status = e->status;
            snprintf(message, sizeof message, "%s", e->message);
        }
        sipc__envelope__free_unpacked(e, NULL);
        at += 4 + n;
    }
    assert_int_equal(kinds[0], SIPC__KIND__HELLO);
    assert_int_equal(kinds[1], SIPC__KIND__ERROR);
    assert_int_equal(status, SIPC_ETOOBIG);
    assert_non_null(strstr(message, "frame of 4294967295 bytes exceeds node "));
    assert_true(tu_log_has(&w->slog, "(SIPC_ETOOBIG, protocol class): peer 127.0.0.1:"));
    assert_true(tu_log_has(&w->slog, "announced a frame of 4294967295 bytes, more than the maximum "
                                     "of 65536 before its hello"));
    assert_false(tu_log_has(&w->slog, "speak"));
    sipc_buf_free(&r.got);
    sipc_security_release(sec);
    world_free(w);
}

/* A flood of TLS handshakes begun and left (a ClientHello cut short) holds
 * about 20 KiB each, wolfSSL's session; once they are closed the process
 * gives that memory back (malloc_trim, counted with the connections'
 * buffers). Before, only sipc's own buffers counted, none of which such a
 * connection has: the heap kept its high-water mark after every flood. The
 * loopback block 127.1.246. */
static void t_handshake_flood_memory(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip(); /* ASan's allocator: no glibc heap to trim */
#endif
    if (g_mode == SIPC_TLS_OFF || !sipc_rss_bytes())
        skip();
    enum { N = 2000 };
    world *w = world_new();
    w->addr = "127.1.246.20";
    w->max_opening = N + 100;
    w->hs_timeout_ms = 20000;
    world_server(w, g_mode, g_pem, "test", 0);
    static const char hello_start[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
    static int fds[N];
    int never = 0;
    uint64_t r0 = sipc_rss_bytes();
    for (int i = 0; i < N; i++) {
        char src[32];
        snprintf(src, sizeof src, "127.1.246.%d", 21 + i % 8);
        fds[i] = raw_connect_to(w, src, w->addr);
        assert_int_equal(send(fds[i], hello_start, sizeof hello_start - 1, MSG_NOSIGNAL),
                         (ssize_t)sizeof hello_start - 1);
        if (i % 64 == 63)
            (void)tu_run_until(&w->loop, &never, 1);
    }
    sipc_server_stats st = {0};
    for (int t = 0; t < 500 && st.conns_opening < N; t++) {
        (void)tu_run_until(&w->loop, &never, 10);
        assert_int_equal(sipc_server_stats_get(w->srv, &st), 0);
    }
    assert_int_equal(st.conns_opening, N);
    uint64_t r1 = sipc_rss_bytes();
    if (r1 < r0 + (uint64_t)N * 10000)
        fail_msg("%d handshakes begun grew the RSS by %llu bytes only", N,
                 (unsigned long long)(r1 - r0));
    for (int i = 0; i < N; i++)
        close(fds[i]);
    /* the trim runs from the context's timer, at most once a second */
    uint64_t r2 = r1;
    for (int t = 0; t < 40 && r2 > r0 + (r1 - r0) / 4; t++) {
        (void)tu_run_until(&w->loop, &never, 100);
        r2 = sipc_rss_bytes();
    }
    print_message("RSS %llu KiB, %llu with %d handshakes begun, %llu once they closed\n",
                  (unsigned long long)r0 >> 10, (unsigned long long)r1 >> 10, N,
                  (unsigned long long)r2 >> 10);
    if (r2 > r0 + (r1 - r0) / 4)
        fail_msg("the RSS stayed at %llu KiB after the handshakes closed (%llu before them, "
                 "%llu with them)",
                 (unsigned long long)r2 >> 10, (unsigned long long)r0 >> 10,
                 (unsigned long long)r1 >> 10);
    world_free(w);
}

/* sys.info's link.record_layer of the node answering on ch, into out. */
static void info_record_layer(world *w, sipc_channel *ch, char *out, size_t outlen)
{
    result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(sipc_call(ch, "sys", "info", NULL, 0, 3000, on_result, &r), 0);
    assert_true(tu_run_until(&w->loop, &r.done, 6000));
    assert_int_equal(r.err, 0);
    r.data[r.len] = '\0';
    const char *k = strstr((const char *)r.data, "\"record_layer\":\"");
    assert_non_null(k);
    k += strlen("\"record_layer\":\"");
    const char *e = strchr(k, '"');
    assert_non_null(e);
    snprintf(out, outlen, "%.*s", (int)(e - k), k);
    free(r.data);
}

/* Which record layer carries a connection is visible to its owner and in
 * sys.info: sipc's own where the build has it, wolfSSL's where a node turns
 * it off, and the two ends still talk (a frame of many records each way). */
static void t_record_layer(void **state)
{
    (void)state;
    world *w = world_std();
    echo_expect(w, w->ch, 0);
    int built = g_mode != SIPC_TLS_OFF &&
                sipc_tls_config_set_direct(sipc_security_tls(w->ssec), 1);
    sipc_peer_info pi;
    sipc_conn_info(w->cconn, &pi);
    assert_int_equal(pi.tls_direct, built);
    sipc_conn_info(w->sconn, &pi);
    assert_int_equal(pi.tls_direct, built);
    char layer[16];
    info_record_layer(w, w->ch, layer, sizeof layer);
    assert_string_equal(layer, g_mode == SIPC_TLS_OFF ? "" : built ? "sipc" : "wolfssl");
    if (g_mode == SIPC_TLS_OFF) {
        world_free(w);
        return;
    }

    /* the server's next connections keep wolfSSL's record layer */
    assert_int_equal(sipc_tls_config_set_direct(sipc_security_tls(w->ssec), 0), 0);
    sipc_conn_close(w->sconn);
    wait_cups(w, 2);
    echo_n(w, 100000, 3);
    sipc_conn_info(w->sconn, &pi);
    assert_int_equal(pi.tls_direct, 0);
    sipc_conn_info(w->cconn, &pi);
    assert_int_equal(pi.tls_direct, built);
    info_record_layer(w, w->ch, layer, sizeof layer);
    assert_string_equal(layer, "wolfssl");
    world_free(w);
}

/* Each end names the other: the dialing side the address it dialed (noted
 * when it dialed), the accepting side the client's address and port from
 * the kernel. */
static void expect_addresses(world *w, const char *host)
{
    sipc_peer_info ci, si;
    assert_int_equal(sipc_conn_info(w->cconn, &ci), 0);
    assert_int_equal(sipc_conn_info(w->sconn, &si), 0);
    char want[64];
    snprintf(want, sizeof want, "%s:%d", host, w->port);
    assert_string_equal(ci.address, want);
    size_t hl = strlen(host);
    assert_true(strncmp(si.address, host, hl) == 0 && si.address[hl] == ':');
    int cport = atoi(si.address + hl + 1);
    assert_true(cport > 0 && cport < 65536 && cport != w->port);
}

static void t_peer_addresses(void **state)
{
    (void)state;
    world *w = world_new();
    world_server(w, g_mode, g_pem, "test", 0);
    world_client(w, g_mode, g_pem, "test", 0, 0);
    echo_expect(w, w->ch, 0);
    expect_addresses(w, "127.0.0.1");
    world_free(w);
}

/* Whether fd is a connected IPv4 socket; if so, its local and its peer's port. */
static int tcp4_ports(int fd, int *local, int *remote)
{
    struct sockaddr_storage me, peer;
    socklen_t ml = sizeof me, pl = sizeof peer;
    if (getsockname(fd, (struct sockaddr *)&me, &ml) != 0 ||
        getpeername(fd, (struct sockaddr *)&peer, &pl) != 0 || me.ss_family != AF_INET)
        return 0;
    *local = ntohs(((struct sockaddr_in *)&me)->sin_port);
    *remote = ntohs(((struct sockaddr_in *)&peer)->sin_port);
    return 1;
}

/* Of this process's sockets connected to or accepted on port: how many, and
 * how many of them have TCP_NODELAY. */
static void count_nodelay(int port, int *accepted, int *accepted_nodelay, int *dialed,
                          int *dialed_nodelay)
{
    *accepted = *accepted_nodelay = *dialed = *dialed_nodelay = 0;
    for (int fd = 0; fd < 1024; fd++) {
        int local, remote;
        if (!tcp4_ports(fd, &local, &remote))
            continue;
        int mine = local == port;
        int theirs = remote == port;
        int on = 0;
        socklen_t ol = sizeof on;
        if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &ol) != 0)
            continue;
        if (mine) {
            (*accepted)++;
            *accepted_nodelay += on != 0;
        } else if (theirs) {
            (*dialed)++;
            *dialed_nodelay += on != 0;
        }
    }
}

/* Both ends of a connection have TCP_NODELAY (a lone small frame must not
 * wait for an ACK); the accepting end gets it from its listener, which Linux
 * copies to every socket it accepts, so a listener made anywhere but
 * sipc_stream_listen() would show here. */
static void t_nodelay(void **state)
{
    (void)state;
    world *w = world_std();
    echo_expect(w, w->ch, 0);
    int acc, acc_on, dial, dial_on;
    count_nodelay(w->port, &acc, &acc_on, &dial, &dial_on);
    assert_int_equal(acc, 1);
    assert_int_equal(acc_on, 1);
    assert_int_equal(dial, 1);
    assert_int_equal(dial_on, 1);
    world_free(w);
}

/* The socket of this process accepted on port (dialed: connected to port),
 * or -1 when not exactly one. */
static int port_fd(int port, int dialed)
{
    int found = -1, n = 0;
    for (int fd = 0; fd < 1024; fd++) {
        int local, remote;
        if (tcp4_ports(fd, &local, &remote) && (dialed ? remote : local) == port) {
            found = fd;
            n++;
        }
    }
    return n == 1 ? found : -1;
}

static int accepted_fd(int port)
{
    return port_fd(port, 0);
}

/* A resuming server's first flight holds all a client needs (its Finished
 * and its hello), so the client's answer — its ChangeCipherSpec, Finished,
 * hello and the calls that waited for the link — leaves in one segment; the
 * kernel of the accepted socket counts them: the ClientHello, then that. */
static void t_resumed_answer_one_segment(void **state)
{
    (void)state;
    world *w = world_new();
    world_server(w, SIPC_TLS_STRICT, g_pem, "test", 0);
    world_client(w, SIPC_TLS_STRICT, g_pem, "test", 0, 0);
    int rc = sipc_security_set_resumption(w->ssec, 1);
    if (rc == SIPC_ENOTSUP) { /* a build without session tickets */
        world_free(w);
        skip();
    }
    assert_int_equal(rc, 0);
    echo_expect(w, w->ch, 0);
    sipc_conn_close(w->sconn);
    for (int i = 0; i < 500 && w->cdowns == 0; i++)
        uv_run(&w->loop, UV_RUN_ONCE);
    assert_int_equal(w->cdowns, 1);
    /* queued while the link is down: it goes with the handshake's answer */
    result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(sipc_call(w->ch, "test", "echo", "q", 1, 5000, on_result, &r), 0);
    assert_true(tu_run_until(&w->loop, &r.done, 5000));
    assert_int_equal(r.err, 0);
    free(r.data);
    sipc_peer_info pi;
    sipc_conn_info(w->cconn, &pi);
    assert_int_equal(pi.tls_resumed, 1);
    int fd = accepted_fd(w->port);
    assert_true(fd >= 0);
    uint32_t segs;
    if (tu_tcp_data_segs_in(fd, &segs) != 0) { /* a kernel older than 4.6 */
        world_free(w);
        skip();
    }
    assert_int_equal(segs, 2);
    world_free(w);
}

/* rounds windows of 16 echo calls of n bytes, all sent at once */
static void echo_windows(world *w, size_t n, int rounds)
{
    enum { N = 16 };
    uint8_t *p = malloc(n);
    assert_non_null(p);
    fill(p, n, 7);
    for (int k = 0; k < rounds; k++) {
        result rs[N];
        memset(rs, 0, sizeof rs);
        for (int i = 0; i < N; i++)
            assert_int_equal(sipc_call(w->ch, "test", "echo", p, n, 10000, on_result, &rs[i]), 0);
        for (int i = 0; i < N; i++) {
            assert_true(tu_run_until(&w->loop, &rs[i].done, 10000));
            assert_int_equal(rs[i].err, 0);
            assert_int_equal(rs[i].len, n);
            assert_memory_equal(rs[i].data, p, n);
            free(rs[i].data);
        }
    }
    free(p);
}

/* Large frames over TLS fill their TCP segments. With TCP_NODELAY a 64 KiB
 * call or answer, about 65,700 bytes in records against loopback's
 * 65,483-byte segments, left as a full segment and a short one; corked
 * (sipc_stream_cork), a write's short end waits for the next write or the
 * flusher. Counted by each receiving kernel over 64 calls and their
 * answers, after a warm-up in which the windows, and so the segment size,
 * grew. */
static void t_large_frames_fill_segments(void **state)
{
    (void)state;
    if (g_mode == SIPC_TLS_OFF)
        skip(); /* plaintext writes 64 KiB frames together, at the flusher */
    world *w = world_std();
    echo_expect(w, w->ch, 0);
    echo_windows(w, 65536, 4);
    int sfd = accepted_fd(w->port), cfd = port_fd(w->port, 1), mss = 0;
    socklen_t ml = sizeof mss;
    assert_true(sfd >= 0 && cfd >= 0);
    assert_int_equal(getsockopt(cfd, IPPROTO_TCP, TCP_MAXSEG, &mss, &ml), 0);
    uint32_t calls0, answers0, calls1, answers1;
    if (tu_tcp_data_segs_in(sfd, &calls0) != 0 || mss < 60000) {
        /* a kernel older than 4.6, or segments too small to tell */
        world_free(w);
        skip();
    }
    assert_int_equal(tu_tcp_data_segs_in(cfd, &answers0), 0);
    echo_windows(w, 65536, 4);
    assert_int_equal(tu_tcp_data_segs_in(sfd, &calls1), 0);
    assert_int_equal(tu_tcp_data_segs_in(cfd, &answers1), 0);
    /* 64 frames each way: full segments hold them in 64 * 65,800 / mss, plus
     * the short end a flusher pushes at most once per loop turn; a short
     * segment per frame makes 128 */
    uint32_t most = (uint32_t)(64.0 * 65800 / mss * 1.5) + 4;
    print_message("64 calls in %u segments, their answers in %u (mss %d, at most %u)\n",
                  calls1 - calls0, answers1 - answers0, mss, most);
    assert_true(calls1 - calls0 <= most);
    assert_true(answers1 - answers0 <= most);
    world_free(w);
}

/* A TLS stream tells the engine when a flight has left: after one full
 * handshake over real sockets, the next one on each side takes the ECDHE
 * key made ahead (tls_engine.h, sipc_tls_after_output). */
static void t_ecdhe_ahead(void **state)
{
    (void)state;
    assert_non_null(strstr(sipc_tls_engine_version(), " ecdhe-ahead")); /* both builds */
    const unsigned long on = 1;
    world *w = world_new();
    world_server(w, SIPC_TLS_STRICT, g_pem, "test", 0);
    world_client(w, SIPC_TLS_STRICT, g_pem, "test", 0, 0);
    int rc = sipc_security_set_resumption(w->csec, 0); /* every connection a full handshake */
    assert_true(rc == 0 || rc == SIPC_ENOTSUP);
    echo_expect(w, w->ch, 0);
    sipc_conn_close(w->sconn);
    for (int i = 0; i < 500 && w->cdowns == 0; i++)
        uv_run(&w->loop, UV_RUN_ONCE);
    assert_int_equal(w->cdowns, 1);
    echo_expect(w, w->ch, 0);
    sipc_peer_info pi;
    sipc_conn_info(w->cconn, &pi);
    assert_int_equal(pi.tls_resumed, 0);
    assert_int_equal(sipc_tls_config_spares_used(sipc_security_tls(w->ssec)), on);
    assert_int_equal(sipc_tls_config_spares_used(sipc_security_tls(w->csec)), on);
    world_free(w);
}

/* A dialed stream names its peer from the address, written by hand for
 * IPv4: the same text as inet_ntop and "%s:%d" for octets and ports of every
 * width. All of 127/8 is loopback, so each connect is refused later, not at
 * once, and the stream exists to be asked. */
static void no_data_ev(sipc_stream *s) { (void)s; }
static int no_data_in(sipc_stream *s, const uint8_t *p, size_t n)
{
    (void)s;
    (void)p;
    (void)n;
    return 0;
}
static void no_error_ev(sipc_stream *s, int err, const char *detail)
{
    (void)s;
    (void)err;
    (void)detail;
}
static int g_closed;
static void count_closed(sipc_stream *s)
{
    (void)s;
    g_closed++;
}

static void t_peer_ipv4_text(void **state)
{
    (void)state;
    static const sipc_stream_events ev = {.ready = no_data_ev, .data = no_data_in,
                                          .error = no_error_ev, .closed = count_closed};
    static const char *ips[] = {"127.0.0.1", "127.255.255.254", "127.10.0.99", "127.1.200.9"};
    static const int ports[] = {1, 65535, 80, 443, 9999, 10000};
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    g_closed = 0;
    int n = 0;
    for (size_t i = 0; i < sizeof ips / sizeof ips[0]; i++) {
        for (size_t j = 0; j < sizeof ports / sizeof ports[0]; j++) {
            struct sockaddr_in a;
            assert_int_equal(uv_ip4_addr(ips[i], ports[j], &a), 0);
            sipc_stream *s;
            assert_int_equal(
                sipc_stream_connect(&s, &loop, (struct sockaddr *)&a, NULL, NULL, &ev, NULL), 0);
            char want[64];
            snprintf(want, sizeof want, "%s:%d", ips[i], ports[j]);
            assert_string_equal(sipc_stream_peer(s), want);
            sipc_stream_abort(s);
            n++;
        }
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(g_closed, n);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* A context with a source address dials from it: the server sees the
 * client at 127.0.78.2 (not the kernel's pick, 127.0.0.1), the client still
 * names the address it dialed. An address of the other family is skipped,
 * one not on this host fails the dial with a detail naming it, a host name
 * is refused. */
static void t_source_address(void **state)
{
    (void)state;
    world *w = world_new();
    w->addr = "127.0.78.1";
    w->source = "127.0.78.2";
    world_server(w, g_mode, g_pem, "test", 0);
    world_client(w, g_mode, g_pem, "test", 0, 0);
    echo_expect(w, w->ch, 0);
    sipc_peer_info ci, si;
    assert_int_equal(sipc_conn_info(w->cconn, &ci), 0);
    assert_int_equal(sipc_conn_info(w->sconn, &si), 0);
    char want[128]; /* "Cannot connect to HOST:PORT from ADDRESS: reason" */
    snprintf(want, sizeof want, "127.0.78.1:%d", w->port);
    assert_string_equal(ci.address, want);
    assert_true(strncmp(si.address, "127.0.78.2:", 11) == 0);
    assert_true(atoi(si.address + 11) > 0);

    /* the stream itself: an IPv4 source for an IPv6 peer is no error */
    static const sipc_stream_events ev = {.ready = no_data_ev, .data = no_data_in,
                                          .error = no_error_ev, .closed = count_closed};
    struct sockaddr_in src;
    struct sockaddr_in6 v6;
    assert_int_equal(uv_ip4_addr("127.0.78.2", 0, &src), 0);
    assert_int_equal(uv_ip6_addr("::1", w->port, &v6), 0);
    sipc_stream *s;
    int r = sipc_stream_connect(&s, &w->loop, (struct sockaddr *)&v6, (struct sockaddr *)&src,
                                NULL, &ev, NULL);
    assert_true(r == 0 || r == UV_EAFNOSUPPORT); /* the latter: no IPv6 here */
    if (r == 0)
        sipc_stream_abort(s);
    /* not an address of this host (TEST-NET-1: bind fails, nothing is sent) */
    assert_int_equal(uv_ip4_addr("192.0.2.1", 0, &src), 0);
    struct sockaddr_in dst;
    assert_int_equal(uv_ip4_addr("127.0.78.1", w->port, &dst), 0);
    assert_int_equal(sipc_stream_connect(&s, &w->loop, (struct sockaddr *)&dst,
                                         (struct sockaddr *)&src, NULL, &ev, NULL),
                     UV_EADDRNOTAVAIL);

    /* a channel bound to it says why its dials fail, and names the address */
    client k;
    memset(&k, 0, sizeof k);
    sipc_options o;
    sipc_options_init(&o);
    o.cluster = "test";
    o.log = tu_log_sink;
    o.log_arg = &k.log;
    o.source_address = "192.0.2.1";
    k.sec = tu_security(g_mode, g_pem);
    assert_int_equal(sipc_ctx_new(&k.ctx, &w->loop, &o, k.sec), 0);
    assert_int_equal(sipc_channel_open(&k.ch, k.ctx, "127.0.78.1", w->port, NULL), 0);
    sipc_channel_set_fail_fast(k.ch, 1);
    result res;
    assert_int_equal(call_on(w, k.ch, "echo", "x", 1, 3000, &res), 0);
    assert_int_equal(res.err, UV_EADDRNOTAVAIL);
    free(res.data);
    snprintf(want, sizeof want,
             "Cannot connect to 127.0.78.1:%d from 192.0.2.1: address not available", w->port);
    assert_true(tu_log_has(&k.log, want));
    assert_true(strstr(sipc_channel_last_detail(k.ch), "from 192.0.2.1") != NULL);
    client_close(w, &k);

    /* a host name is no source address, and the refusal says so (into a
     * log of its own: k's went with client_close) */
    sipc_ctx *bad = NULL;
    tu_log refused = {0};
    o.log_arg = &refused;
    o.source_address = "node1.example";
    assert_int_equal(sipc_ctx_new(&bad, &w->loop, &o, w->csec), SIPC_EINVAL);
    assert_true(tu_log_has(&refused, "source_address"));
    tu_log_free(&refused);
    world_free(w);
}

static int applies(const char *dst, const char *src)
{
    struct sockaddr_storage d, s;
    assert_int_equal(sipc__addr_numeric(dst, 1, &d), 0);
    assert_int_equal(sipc__addr_numeric(src, 0, &s), 0);
    return sipc_stream_source_applies((struct sockaddr *)&d, (struct sockaddr *)&s);
}

/* A loopback source is not used for a destination that is not loopback:
 * Linux refuses that connect (EINVAL), so a node whose [node] address is
 * 127.0.0.1 could not reach another host at all; such a dial goes out
 * unbound. */
static void t_source_loopback(void **state)
{
    (void)state;
    assert_true(applies("127.0.78.1", "127.0.78.2") && applies("::1", "::1"));
    assert_true(applies("127.0.78.1", "192.0.2.1")); /* bound, and fails as before */
    assert_true(applies("192.0.2.2", "192.0.2.1") && applies("fd00::2", "fd00::3"));
    assert_false(applies("192.0.2.2", "127.0.78.2") || applies("192.0.2.2", "127.0.0.1"));
    assert_false(applies("fd00::2", "::1") || applies("fd00::2", "::ffff:127.0.0.1"));
    assert_false(applies("::1", "127.0.78.2")); /* the other family */
    struct sockaddr_storage d;
    assert_int_equal(sipc__addr_numeric("127.0.78.1", 1, &d), 0);
    assert_false(sipc_stream_source_applies((struct sockaddr *)&d, NULL));

}

/* A TCP socket bound to ip, port 0 (a, its address), not listening: a
 * connect to it is refused. */
static int bound_socket(const char *ip, struct sockaddr_in *a)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    socklen_t alen = sizeof *a;
    assert_int_equal(uv_ip4_addr(ip, 0, a), 0);
    assert_int_equal(bind(fd, (struct sockaddr *)a, sizeof *a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)a, &alen), 0);
    return fd;
}

/* fd (bound_socket at a) listening with its queue filled by two connects
 * (fill): a listener whose queue is full drops a SYN, so a further connect
 * stays pending, retried by the kernel. */
static void fill_queue(int fd, const struct sockaddr_in *a, int fill[2])
{
    assert_int_equal(listen(fd, 0), 0);
    for (int i = 0; i < 2; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        assert_true(fill[i] >= 0);
        (void)connect(fill[i], (const struct sockaddr *)a, sizeof *a);
    }
    usleep(50 * 1000);
}

/* A bound dial that fails later (refused here; a timeout or an unreachable
 * host alike) names its source too, not only one that fails at once. */
static void t_source_async_failure(void **state)
{
    (void)state;
    /* a port bound and not listening: the connect is refused */
    struct sockaddr_in a;
    int fd = bound_socket("127.0.78.1", &a);
    world *w = world_new();
    w->addr = "127.0.78.1";
    w->port = ntohs(a.sin_port);
    w->source = "127.0.78.2";
    world_client(w, g_mode, g_pem, "test", 0, 0);
    sipc_channel_set_fail_fast(w->ch, 1);
    result res;
    assert_int_equal(call_on(w, w->ch, "echo", "x", 1, 3000, &res), 0);
    assert_int_equal(res.err, UV_ECONNREFUSED);
    free(res.data);
    char want[128];
    snprintf(want, sizeof want, "cannot connect to 127.0.78.1:%d from 127.0.78.2: connection refused",
             w->port);
    assert_string_equal(sipc_channel_last_detail(w->ch), want);
    assert_true(tu_log_has(&w->clog, want));

    /* no answer in time: a listener whose queue is full drops the SYN */
    int fill[2];
    fill_queue(fd, &a, fill);
    client k;
    memset(&k, 0, sizeof k);
    sipc_options o;
    sipc_options_init(&o);
    o.cluster = "test";
    o.log = tu_log_sink;
    o.log_arg = &k.log;
    o.source_address = "127.0.78.2";
    o.handshake_timeout_ms = 300;
    k.sec = tu_security(g_mode, g_pem);
    assert_int_equal(sipc_ctx_new(&k.ctx, &w->loop, &o, k.sec), 0);
    assert_int_equal(sipc_channel_open(&k.ch, k.ctx, "127.0.78.1", w->port, NULL), 0);
    sipc_channel_set_fail_fast(k.ch, 1);
    assert_int_equal(call_on(w, k.ch, "echo", "x", 1, 3000, &res), 0);
    assert_int_equal(res.err, UV_ETIMEDOUT);
    free(res.data);
    snprintf(want, sizeof want,
             "cannot connect to 127.0.78.1:%d from 127.0.78.2: the connect to peer 127.0.78.1:%d "
             "did not finish within 300 ms", w->port, w->port);
    assert_string_equal(sipc_channel_last_detail(k.ch), want);
    assert_true(tu_log_has(&k.log, want));
    client_close(w, &k);
    for (int i = 0; i < 2; i++)
        close(fill[i]);
    world_free(w);
    close(fd);
}

/* A context closed while its dial is still connecting closes at once: a
 * connect has nothing to send and no FIN to wait for, so the close must not
 * wait out the close grace (2 s) for the kernel's SYN retries. */
static void t_close_pending_connect(void **state)
{
    (void)state;
    struct sockaddr_in a;
    int fd = bound_socket("127.1.90.1", &a);
    int fill[2];
    fill_queue(fd, &a, fill);
    world *w = world_new();
    w->addr = "127.1.90.1";
    w->port = ntohs(a.sin_port);
    client k;
    client_open(w, &k, g_mode, g_pem, NULL);
    result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(sipc_call(k.ch, "test", "echo", "x", 1, 10000, on_result, &res), 0);
    int never = 0;
    tu_run_until(&w->loop, &never, 300);
    assert_false(res.done); /* still connecting: the SYN went unanswered */
    uint64_t t0 = uv_hrtime();
    sipc_ctx_close(k.ctx, on_client_closed, &k);
    assert_true(tu_run_until(&w->loop, &k.closed, 5000));
    uint64_t took_ms = (uv_hrtime() - t0) / 1000000;
    if (took_ms >= 1000)
        fprintf(stderr, "the close took %llu ms\n", (unsigned long long)took_ms);
    assert_true(took_ms < 1000);
    assert_int_equal(res.ncb, 1);
    assert_int_equal(res.err, SIPC_ECANCELED);
    free(res.data);
    sipc_security_release(k.sec);
    tu_log_free(&k.log);
    for (int i = 0; i < 2; i++)
        close(fill[i]);
    world_free(w);
    close(fd);
}

/* The same over IPv6 loopback, when this machine has it. */
static void t_ipv6(void **state)
{
    (void)state;
    world *w = world_new();
    w->addr = "::1";
    int r = world_server_try(w, g_mode, g_pem, "test", 0);
    if (r == UV_EADDRNOTAVAIL || r == UV_EAFNOSUPPORT) {
        world_free(w);
        skip(); /* no IPv6 loopback here */
    }
    assert_int_equal(r, 0);
    world_client(w, g_mode, g_pem, "test", 0, 0);
    result res;
    assert_int_equal(call_wait(w, "echo", "v6", 2, 5000, &res), 0);
    assert_int_equal(res.err, 0);
    assert_int_equal(res.len, 2);
    free(res.data);
    assert_true(tu_log_has(&w->clog, "Connected to [::1]:"));
    expect_addresses(w, "[::1]");
    world_free(w);
}

/* Whether a failed call's request left this process (sipc_reply.sent): a
 * caller that must say "the peer may have acted on it" judges by it. Never:
 * a refused dial under fail fast, no link before the deadline, a call
 * canceled while it waited. Sent: answered (with data or an error), no
 * answer before the deadline from a peer that got it, the connection lost
 * after it went. Addresses of 127.1.134.x. */
static void t_reply_sent(void **state)
{
    (void)state;
    result r;
    /* nothing listens: refused at once (fail fast), or no link in time */
    struct sockaddr_in a;
    int fd = bound_socket("127.1.134.2", &a);
    world *w = world_new();
    w->addr = "127.1.134.2";
    w->port = ntohs(a.sin_port);
    world_client(w, g_mode, g_pem, "test", 0, 0);
    sipc_channel_set_fail_fast(w->ch, 1);
    assert_int_equal(call_wait(w, "echo", "x", 1, 3000, &r), 0);
    assert_int_equal(r.err, UV_ECONNREFUSED);
    assert_int_equal(r.sent, 0);
    free(r.data);
    sipc_channel_set_fail_fast(w->ch, 0);
    assert_int_equal(call_wait(w, "echo", "x", 1, 150, &r), 0);
    assert_int_equal(r.err, SIPC_ETIMEDOUT);
    assert_int_equal(r.sent, 0);
    free(r.data);
    sipc_call_id id;
    memset(&r, 0, sizeof r);
    assert_int_equal(sipc_call_ex(w->ch, "test", "echo", "x", 1, 3000, on_result, &r, &id), 0);
    assert_int_equal(sipc_call_cancel(w->ch, id), 0);
    assert_int_equal(r.err, SIPC_ECANCELED);
    assert_int_equal(r.sent, 0);
    free(r.data);
    world_free(w);
    close(fd);

    w = world_new();
    w->addr = "127.1.134.1";
    world_server(w, g_mode, g_pem, "test", 0);
    world_client(w, g_mode, g_pem, "test", 0, 0);
    assert_int_equal(call_wait(w, "echo", "ok", 2, 5000, &r), 0);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.sent, 1);
    free(r.data);
    assert_int_equal(call_wait(w, "fail", "x", 1, 5000, &r), 0);
    assert_int_equal(r.err, SIPC_EREMOTE);
    assert_int_equal(r.sent, 1);
    free(r.data);
    /* written, and the peer silent until the deadline */
    w->hold = 1;
    assert_int_equal(call_wait(w, "echo", "z", 1, 150, &r), 0);
    assert_int_equal(w->nheld, 1);
    assert_int_equal(r.err, SIPC_ETIMEDOUT);
    assert_int_equal(r.sent, 1);
    free(r.data);
    /* written, then the connection lost before the answer */
    memset(&r, 0, sizeof r);
    assert_int_equal(sipc_call(w->ch, "test", "echo", "a", 1, 10000, on_result, &r), 0);
    wait_held(w, 2);
    assert_int_equal(w->nheld, 2);
    int closed = 0;
    sipc_server_close(w->srv, on_srv_closed, &closed);
    w->srv = NULL;
    assert_true(tu_run_until(&w->loop, &r.done, 5000));
    assert_int_equal(r.err, SIPC_ECLOSED);
    assert_int_equal(r.sent, 1);
    free(r.data);
    for (int i = 0; i < w->nheld; i++)
        assert_int_equal(sipc_respond(w->held[i], "x", 1), SIPC_ECLOSED);
    w->nheld = 0;
    assert_true(tu_run_until(&w->loop, &closed, 5000));
    world_free(w);
}

/* A TCP connect that does not complete within the handshake timeout (a
 * listener whose queue is full drops the SYN) is an io failure of its own,
 * libuv's ETIMEDOUT, the kernel's own code for a connect that got no
 * answer: no TLS or handshake was begun, whatever the security. */
static void t_connect_timeout_io(void **state)
{
    (void)state;
    struct sockaddr_in a;
    int fd = bound_socket("127.1.134.3", &a);
    int fill[2];
    fill_queue(fd, &a, fill);
    world *w = world_new();
    w->addr = "127.1.134.3";
    w->port = ntohs(a.sin_port);
    w->cli_hs_timeout_ms = 300;
    world_client(w, g_mode, g_pem, "test", 0, 0);
    sipc_channel_set_fail_fast(w->ch, 1);
    result r;
    assert_int_equal(call_wait(w, "echo", "x", 1, 3000, &r), 0);
    assert_int_equal(r.err, UV_ETIMEDOUT);
    assert_int_equal(sipc_err_classify(r.err), SIPC_CLASS_IO);
    assert_int_equal(r.sent, 0);
    char want[200];
    snprintf(want, sizeof want, "the connect to peer 127.1.134.3:%d did not finish within 300 ms",
             w->port);
    assert_string_equal(r.message, want);
    free(r.data);
    assert_int_equal(sipc_channel_last_error(w->ch), UV_ETIMEDOUT);
    assert_null(strstr(sipc_strerror(r.err), "TLS"));
    assert_null(strstr(sipc_strerror(r.err), "handshake"));
    world_free(w);
    for (int i = 0; i < 2; i++)
        close(fill[i]);
    close(fd);
}

/* ------------------------------------------------------------ groups */

static int setup_plain(void **state)
{
    (void)state;
    g_mode = SIPC_TLS_OFF;
    return 0;
}

static int setup_tls(void **state)
{
    (void)state;
    g_mode = SIPC_TLS_STRICT;
    return 0;
}

int main(void)
{
    g_dir = tu_mkdtemp("transport");
    if (!g_dir || tu_make_pair(g_dir, "node", "ec", 30, NULL, "sipc test cluster") != 0 ||
        tu_make_pair(g_dir, "other", "ec", 30, NULL, "sipc other cluster") != 0 ||
        tu_make_pair(g_dir, "expired", "ec", 10, "@2020-01-01 00:00:00", "sipc expired cluster") != 0) {
        fprintf(stderr, "cannot generate test certificates with openssl/faketime\n");
        return 1;
    }
    snprintf(g_pem, sizeof g_pem, "%s/node.pem", g_dir);
    snprintf(g_other_pem, sizeof g_other_pem, "%s/other.pem", g_dir);
    snprintf(g_expired_pem, sizeof g_expired_pem, "%s/expired.pem", g_dir);

    /* the cases of both transports, in two halves of about 10 s each: five
     * lanes side by side (tests/support/lanes.h), each case on its own
     * listeners (ports the kernel picks) */
    const struct CMUnitTest common1[] = {
        cmocka_unit_test(t_echo_sizes),
        cmocka_unit_test(t_many_in_flight_out_of_order),
        cmocka_unit_test(t_close_waits_for_held),
        cmocka_unit_test(t_close_gives_up_on_held),
        cmocka_unit_test(t_redial_soon),
        cmocka_unit_test(t_peer_seen),
        cmocka_unit_test(t_peer_seen_same_id),
        cmocka_unit_test(t_large_held_out_of_order),
        cmocka_unit_test(t_mixed_sizes_pipelined),
        cmocka_unit_test(t_large_answer_not_copied),
        cmocka_unit_test(t_oneway_and_errors),
        cmocka_unit_test(t_log_flood_limited),
        cmocka_unit_test(t_silent_connections_evicted),
        cmocka_unit_test(t_full_of_silent_connections),
        cmocka_unit_test(t_per_host_cap),
        cmocka_unit_test(t_per_host_keys),
        cmocka_unit_test(t_full_counts_open_only),
        cmocka_unit_test(t_shortened_timeout_logged),
        cmocka_unit_test(t_timeouts_logged_once),
        cmocka_unit_test(t_silent_client_named),
        cmocka_unit_test(t_conn_lines_per_node),
        cmocka_unit_test(t_conn_lines_host_report_text),
        cmocka_unit_test(t_conn_lines_junk_per_host),
    };
    const struct CMUnitTest common2[] = {
        cmocka_unit_test(t_log_flood_many_hosts),
        cmocka_unit_test(t_deadline),
        cmocka_unit_test(t_drop_completes_pending_then_reconnect),
        cmocka_unit_test(t_cluster_mismatch),
        cmocka_unit_test(t_oversize_frame),
        cmocka_unit_test(t_backpressure),
        cmocka_unit_test(t_slow_reader_closed),
        cmocka_unit_test(t_idle_releases_buffers),
        cmocka_unit_test(t_pending_cap),
        cmocka_unit_test(t_post_from_thread),
        cmocka_unit_test(t_close_cancels_pending),
        cmocka_unit_test(t_idle_keepalive),
        cmocka_unit_test(t_raw_bad_input),
        cmocka_unit_test(t_tls_first_frame_too_big),
        cmocka_unit_test(t_handshake_flood_memory),
        cmocka_unit_test(t_ipv6),
        cmocka_unit_test(t_peer_addresses),
        cmocka_unit_test(t_source_address),
        cmocka_unit_test(t_source_loopback),
        cmocka_unit_test(t_source_async_failure),
        cmocka_unit_test(t_close_pending_connect),
        cmocka_unit_test(t_reply_sent),
        cmocka_unit_test(t_connect_timeout_io),
        cmocka_unit_test(t_nodelay),
        cmocka_unit_test(t_resumed_answer_one_segment),
        cmocka_unit_test(t_large_frames_fill_segments),
        cmocka_unit_test(t_peer_ipv4_text),
        cmocka_unit_test(t_empty_reply),
        cmocka_unit_test(t_writable),
        cmocka_unit_test(t_request_deadline),
        cmocka_unit_test(t_cancel),
        cmocka_unit_test(t_close_rule),
        cmocka_unit_test(t_record_layer),
    };
    const struct CMUnitTest tls_only[] = {
        cmocka_unit_test(t_mode_mismatch),
        cmocka_unit_test(t_permissive),
        cmocka_unit_test(t_plain_not_retry),
        cmocka_unit_test(t_retry_only_after_tls),
        cmocka_unit_test(t_fallback_burst),
        cmocka_unit_test(t_held_table_full),
        cmocka_unit_test(t_wrong_pair),
        cmocka_unit_test(t_refused_side_named),
        cmocka_unit_test(t_swap_server_security),
        cmocka_unit_test(t_ecdhe_ahead),
        cmocka_unit_test(t_swap_client_redial),
        cmocka_unit_test(t_resume_after_reload),
        cmocka_unit_test(t_resumption_setting),
    };
    const tu_lane lanes[] = {
        TU_LANE_HALVES("transport over plaintext", common1, common2, setup_plain),
        TU_LANE_HALVES("transport over TLS", common1, common2, setup_tls),
        TU_LANE("TLS modes and peer authentication", tls_only, NULL),
    };
    int fails = tu_run_lanes(lanes, sizeof lanes / sizeof lanes[0]);
    tu_rmdir(g_dir);
    free(g_dir);
    return fails ? 1 : 0;
}
