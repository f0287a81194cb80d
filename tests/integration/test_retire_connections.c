/* test_retire_connections.c - sipc_ctx_retire_connections replaces every
 * connection of an older security through GOAWAY, idle or busy, so that no
 * call is lost to it: a request a peer sends at the moment its idle
 * connection is retired is answered, not failed with SIPC_ECLOSED. Over
 * plaintext and mutual TLS on loopback (127.1.164.1): four links (32 calls
 * in flight, one at a time, a call every 3 ms and one every 20 ms, the last
 * two idle most of the time) keep calling while the server and the client
 * take turns reloading (sipc_ctx_set_security, then retiring) every 15 ms;
 * every call is answered. An idle connection is replaced and its old one
 * gone within a round trip or two, from either side, and many idle links
 * replaced at once dial again spread over reconnect_min_ms (but at once
 * when called); an older peer that
 * ignores GOAWAY (it answers the PING) sees its idle connection closed as
 * soon as its PONG is in, at a reload (whose GOAWAY gives no reason) as at
 * a server's stop (whose GOAWAY says "stopping", 127.1.179.4). A
 * connection retired in its TLS handshake (a server's drain, a client's
 * reload) gets its GOAWAY as its hellos complete, with no later retire, and
 * the call that waited for the link is answered, a client's on its new
 * connection (127.1.205.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipc/internal.h"
#include "raw_peer.h"
#include "testutil.h"

#define ADDR "127.1.164.1"
#define NLINKS 16
#define RELOADS 60
#define RELOAD_EVERY_MS 15

static char *g_dir;
static char g_pem[512];

typedef struct world world;

typedef struct tlink {
    world *w;
    sipc_channel *ch;
    uv_timer_t pace; /* the sparse links: a call per tick */
    int window, every_ms;
    int in_flight, ok, failed, closed_err;
} tlink;

struct world {
    uv_loop_t loop;
    tu_log log;
    sipc_tls_mode mode;
    sipc_ctx *sctx, *cctx;
    sipc_router *router;
    sipc_server *srv;
    tlink links[NLINKS];
    int nlinks, stop;
    int server_ups, server_downs;
    sipc_security *up_sec; /* the security of the last connection up */
    uint64_t up_at[64];    /* uv_now() of the first ups */
    uv_timer_t reload;
    int reloads, left;
};

static void on_server_conn(sipc_conn *c, sipc_conn_event ev, int err, void *arg)
{
    (void)err;
    world *w = arg;
    if (ev == SIPC_CONN_UP) {
        if (w->server_ups < 64)
            w->up_at[w->server_ups] = uv_now(&w->loop);
        w->server_ups++;
        w->up_sec = sipc_conn_security(c);
    } else if (ev == SIPC_CONN_DOWN) {
        w->server_downs++;
    }
}

static void h_echo(sipc_request *req, void *arg)
{
    (void)arg;
    size_t n = 0;
    const void *p = sipc_request_data(req, &n);
    assert_int_equal(sipc_respond(req, p, n), 0);
}

static void call_more(tlink *l);

static void on_reply(int err, const sipc_reply *rep, void *arg)
{
    tlink *l = arg;
    l->in_flight--;
    if (err == 0 && rep->len == 6) {
        l->ok++;
    } else {
        if (!l->failed)
            fprintf(stderr, "link %d: call failed: %s (%s), sent %d\n", (int)(l - l->w->links),
                    sipc_err_name(err), rep->message, rep->sent);
        l->failed++;
        l->closed_err += err == SIPC_ECLOSED;
    }
    if (l->window)
        call_more(l);
}

static void call_one(tlink *l)
{
    assert_int_equal(sipc_call(l->ch, "test", "echo", "record", 6, 5000, on_reply, l), 0);
    l->in_flight++;
}

static void call_more(tlink *l)
{
    while (!l->w->stop && l->in_flight < l->window)
        call_one(l);
}

static void on_pace(uv_timer_t *t)
{
    tlink *l = t->data;
    if (!l->w->stop)
        call_one(l);
}

static uint32_t g_reconnect_min_ms; /* 0: the default */

static sipc_ctx *new_ctx(world *w, const char *node, sipc_security *sec)
{
    sipc_options o;
    sipc_options_init(&o);
    if (g_reconnect_min_ms)
        o.reconnect_min_ms = g_reconnect_min_ms;
    o.cluster = "test";
    o.node_id = node;
    o.log = tu_log_sink;
    o.log_arg = &w->log;
    sipc_ctx *ctx;
    assert_int_equal(sipc_ctx_new(&ctx, &w->loop, &o, sec), 0);
    return ctx;
}

static void world_open(world *w, sipc_tls_mode mode)
{
    memset(w, 0, sizeof *w);
    w->mode = mode;
    assert_int_equal(uv_loop_init(&w->loop), 0);
    sipc_security *sec = tu_security(mode, g_pem);
    w->sctx = new_ctx(w, "srv", sec);
    w->cctx = new_ctx(w, "cli", sec);
    sipc_security_release(sec);
    assert_int_equal(sipc_router_new(&w->router), 0);
    assert_int_equal(sipc_router_add(w->router, "test", "echo", h_echo, w), 0);
    assert_int_equal(sipc_server_listen(&w->srv, w->sctx, "Test Service", ADDR, 0, w->router), 0);
    sipc_server_set_conn_cb(w->srv, on_server_conn, w);
    uv_timer_init(&w->loop, &w->reload);
    w->reload.data = w;
}

static void link_open(world *w, int window, int every_ms)
{
    tlink *l = &w->links[w->nlinks++];
    l->w = w;
    l->window = window;
    l->every_ms = every_ms;
    assert_int_equal(sipc_channel_open(&l->ch, w->cctx, ADDR, sipc_server_port(w->srv), NULL), 0);
    uv_timer_init(&w->loop, &l->pace);
    l->pace.data = l;
}

static void world_close(world *w)
{
    for (int i = 0; i < w->nlinks; i++)
        uv_close((uv_handle_t *)&w->links[i].pace, NULL);
    uv_close((uv_handle_t *)&w->reload, NULL);
    sipc_ctx_close(w->cctx, NULL, NULL);
    sipc_ctx_close(w->sctx, NULL, NULL);
    assert_true(tu_drain(&w->loop, 5000));
    assert_int_equal(uv_loop_close(&w->loop), 0);
    sipc_router_free(w->router);
    tu_log_free(&w->log);
}

/* ctx takes a security of the same mode, made anew: every connection it
 * made or accepted before is of an older one */
static void reload(world *w, sipc_ctx *ctx)
{
    sipc_security *sec = tu_security(w->mode, g_pem);
    assert_int_equal(sipc_ctx_set_security(ctx, sec), 0);
    sipc_security_release(sec);
}

static int retire_both(world *w)
{
    return sipc_ctx_retire_connections(w->sctx, 0) + sipc_ctx_retire_connections(w->cctx, 0);
}

/* the server and the client take turns; each tick retires on both sides
 * (a connection still in its handshake gets its GOAWAY once up) */
static void on_reload(uv_timer_t *t)
{
    world *w = t->data;
    if (w->reloads < RELOADS) {
        reload(w, w->reloads % 2 ? w->cctx : w->sctx);
        w->reloads++;
    }
    w->left = retire_both(w);
    if (w->reloads == RELOADS && w->left == 0)
        uv_timer_stop(t);
}

static void run_reloads(sipc_tls_mode mode)
{
    world w;
    world_open(&w, mode);
    link_open(&w, 32, 0);
    link_open(&w, 1, 0);
    link_open(&w, 0, 3);
    link_open(&w, 0, 20);
    for (int i = 0; i < w.nlinks; i++) {
        tlink *l = &w.links[i];
        if (l->window)
            call_more(l);
        else
            uv_timer_start(&l->pace, on_pace, 0, (uint64_t)l->every_ms);
    }
    uv_timer_start(&w.reload, on_reload, 50, RELOAD_EVERY_MS);
    uint64_t t0 = uv_now(&w.loop);
    while ((w.reloads < RELOADS || w.left) && uv_now(&w.loop) - t0 < 8000)
        uv_run(&w.loop, UV_RUN_ONCE);
    w.stop = 1;
    int in_flight = 1;
    while (in_flight && uv_now(&w.loop) - t0 < 9000) {
        uv_run(&w.loop, UV_RUN_ONCE);
        in_flight = 0;
        for (int i = 0; i < w.nlinks; i++)
            in_flight += w.links[i].in_flight;
    }
    int ok = 0, failed = 0, closed = 0;
    for (int i = 0; i < w.nlinks; i++) {
        tlink *l = &w.links[i];
        print_message("link %d (%d in flight, a call every %d ms): %d answered, %d failed\n", i,
                      l->window, l->every_ms, l->ok, l->failed);
        ok += l->ok;
        failed += l->failed;
        closed += l->closed_err;
        assert_true(l->ok > 0);
    }
    print_message("%d reloads in %llu ms: %d connections up at the server, %d calls answered\n",
                  w.reloads, (unsigned long long)(uv_now(&w.loop) - t0), w.server_ups, ok);
    assert_int_equal(in_flight, 0);
    assert_int_equal(w.reloads, RELOADS);
    assert_int_equal(retire_both(&w), 0);
    assert_int_equal(closed, 0);
    assert_int_equal(failed, 0);
    /* the links were replaced, again and again */
    assert_true(w.server_ups > RELOADS);
    assert_true(tu_log_has(&w.log, "GOAWAY sent"));
    world_close(&w);
}

static void t_reloads_lose_no_call_plaintext(void **state)
{
    (void)state;
    run_reloads(SIPC_TLS_OFF);
}

static void t_reloads_lose_no_call_tls(void **state)
{
    (void)state;
    run_reloads(SIPC_TLS_STRICT);
}

/* ctx reloads with one idle link up: the retire counts it (a GOAWAY, not a
 * close), it is gone within a round trip or two, and the link is up again
 * on a connection of the new security. */
static void idle_replaced(sipc_ctx *(*side)(world *))
{
    world w;
    world_open(&w, SIPC_TLS_STRICT);
    link_open(&w, 0, 0);
    tlink *l = &w.links[0];
    call_one(l);
    uint64_t t0 = uv_now(&w.loop);
    while (l->ok < 1 && uv_now(&w.loop) - t0 < 3000)
        uv_run(&w.loop, UV_RUN_ONCE);
    assert_int_equal(l->ok, 1);
    assert_int_equal(w.server_ups, 1);
    sipc_ctx *ctx = side(&w);
    reload(&w, ctx);
    assert_int_equal(sipc_ctx_retire_connections(ctx, 0), 1);
    uint64_t started = uv_hrtime();
    int left = 1, turns = 0;
    while (left && uv_hrtime() - started < 3000000000ull) {
        uv_run(&w.loop, UV_RUN_NOWAIT);
        left = sipc_ctx_retire_connections(ctx, 0);
        turns++;
    }
    double ms = (double)(uv_hrtime() - started) / 1e6;
    print_message("%s side: the idle connection gone %.2f ms after the retire (%d loop turns)\n",
                  ctx == w.sctx ? "server" : "client", ms, turns);
    assert_int_equal(left, 0);
    assert_true(ms < 200);
    /* the link comes back on its own, with the new security */
    t0 = uv_now(&w.loop);
    while (w.server_ups < 2 && uv_now(&w.loop) - t0 < 3000)
        uv_run(&w.loop, UV_RUN_ONCE);
    assert_int_equal(w.server_ups, 2);
    assert_int_equal(w.server_downs, 1);
    if (ctx == w.sctx)
        assert_ptr_equal(w.up_sec, sipc_ctx_security(w.sctx));
    call_one(l);
    t0 = uv_now(&w.loop);
    while (l->ok < 2 && uv_now(&w.loop) - t0 < 3000)
        uv_run(&w.loop, UV_RUN_ONCE);
    assert_int_equal(l->ok, 2);
    assert_int_equal(l->failed, 0);
    assert_int_equal(w.server_ups, 2);
    assert_true(tu_log_has(&w.log, "GOAWAY sent, replaced once its requests are answered"));
    assert_true(tu_log_has(&w.log, "peer sent GOAWAY"));
    world_close(&w);
}

static sipc_ctx *server_side(world *w)
{
    return w->sctx;
}

static sipc_ctx *client_side(world *w)
{
    return w->cctx;
}

static void t_idle_replaced_server_side(void **state)
{
    (void)state;
    idle_replaced(server_side);
}

static void t_idle_replaced_client_side(void **state)
{
    (void)state;
    idle_replaced(client_side);
}

/* A reload replaces many idle links at once: they do not all dial in the
 * same moment but over reconnect_min_ms (500 ms here), and one that is
 * called meanwhile dials at once, although it was dialed moments before. */
#define IDLE_LINKS 16
static void t_idle_links_redial_spread(void **state)
{
    (void)state;
    g_reconnect_min_ms = 500;
    world w;
    world_open(&w, SIPC_TLS_OFF);
    for (int i = 0; i < IDLE_LINKS; i++)
        link_open(&w, 0, 0);
    uint64_t t0 = uv_now(&w.loop);
    while (w.server_ups < IDLE_LINKS && uv_now(&w.loop) - t0 < 3000)
        uv_run(&w.loop, UV_RUN_ONCE);
    assert_int_equal(w.server_ups, IDLE_LINKS);
    reload(&w, w.sctx);
    assert_int_equal(sipc_ctx_retire_connections(w.sctx, 0), IDLE_LINKS);
    uint64_t at = uv_now(&w.loop);
    /* the old connections gone (each peer closes at once: nothing in flight) */
    while (w.server_downs < IDLE_LINKS && uv_now(&w.loop) - at < 3000)
        uv_run(&w.loop, UV_RUN_ONCE);
    assert_int_equal(w.server_downs, IDLE_LINKS);
    /* the link that waits longest to dial is called */
    tlink *l = NULL;
    uint64_t longest = 0;
    for (int i = 0; i < IDLE_LINKS; i++) {
        sipc_channel *ch = w.links[i].ch;
        if (!ch->conn && uv_timer_get_due_in(&ch->timer) >= longest) {
            longest = uv_timer_get_due_in(&ch->timer);
            l = &w.links[i];
        }
    }
    assert_non_null(l);
    uint64_t called = uv_now(&w.loop);
    call_one(l);
    while (l->ok + l->failed < 1 && uv_now(&w.loop) - called < 3000)
        uv_run(&w.loop, UV_RUN_ONCE);
    uint64_t answered = uv_now(&w.loop) - called;
    while (w.server_ups < 2 * IDLE_LINKS && uv_now(&w.loop) - at < 3000)
        uv_run(&w.loop, UV_RUN_ONCE);
    int early = 0;
    for (int i = IDLE_LINKS; i < w.server_ups; i++)
        early += w.up_at[i] - at < 50;
    print_message("called link (due to dial in %llu ms) answered %llu ms after its call; %d of "
                  "%d links back within 50 ms, the last after %llu ms\n",
                  (unsigned long long)longest, (unsigned long long)answered, early, IDLE_LINKS,
                  (unsigned long long)(w.up_at[w.server_ups - 1] - at));
    assert_int_equal(l->ok, 1);
    assert_true(answered < 200);
    assert_int_equal(w.server_ups, 2 * IDLE_LINKS);
    assert_true(early <= IDLE_LINKS / 2);
    assert_int_equal(sipc_ctx_retire_connections(w.sctx, 0), 0);
    world_close(&w);
    g_reconnect_min_ms = 0;
}

/* A peer of a version before GOAWAY, on a thread: its hello, then it only
 * answers PINGs and notes the goaways, until the node closes. */
typedef struct old_peer {
    int fd, goaways;
    uint64_t last_id; /* the second goaway's */
    char said[2][32]; /* the message of the first two */
    uint64_t closed_ns;
} old_peer;

static void *old_peer_run(void *arg)
{
    old_peer *o = arg;
    uint8_t buf[128];
    Sipc__Hello h = SIPC__HELLO__INIT;
    h.protocol_version = 1;
    h.node_id = "old";
    h.cluster = "test";
    h.software = "sipc 0.0.9";
    sipc_env_out e = {.kind = SIPC__KIND__HELLO, .payload = buf, .payload_len = sipc__hello__pack(&h, buf)};
    tu_send_env(o->fd, &e);
    Sipc__Envelope *env;
    while ((env = tu_recv_env(o->fd)) != NULL) {
        if (env->kind == SIPC__KIND__PING) {
            sipc_env_out pong = {.kind = SIPC__KIND__PONG, .request_id = env->request_id};
            tu_send_env(o->fd, &pong);
        } else if (env->kind == SIPC__KIND__ONE_WAY && !strcmp(env->method, "goaway")) {
            if (o->goaways < 2)
                snprintf(o->said[o->goaways], sizeof o->said[0], "%s", env->message);
            o->goaways++;
            o->last_id = env->request_id;
        }
        sipc__envelope__free_unpacked(env, NULL);
    }
    o->closed_ns = uv_hrtime();
    return NULL;
}

/* Connects an older peer to srv at addr and runs the loop until its
 * connection is up there. */
static void old_peer_connect(world *w, old_peer *o, sipc_server *srv, const char *addr,
                             pthread_t *th)
{
    o->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(o->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    /* its PONG leaves at once, as sipc's does, not after a delayed ACK */
    int one = 1;
    setsockopt(o->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)sipc_server_port(srv))};
    assert_int_equal(inet_pton(AF_INET, addr, &a.sin_addr), 1);
    assert_int_equal(connect(o->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(pthread_create(th, NULL, old_peer_run, o), 0);
    uint64_t t0 = uv_now(&w->loop);
    while (w->server_ups < 1 && uv_now(&w->loop) - t0 < 3000)
        uv_run(&w->loop, UV_RUN_ONCE);
    assert_int_equal(w->server_ups, 1);
}

/* Retires the older peer's connection (a drain of srv, or else the
 * context's retire after a reload) and checks it is closed at its PONG. */
static void old_peer_retired(world *w, old_peer *o, sipc_server *srv, pthread_t th)
{
    uint64_t started = uv_hrtime();
    int left = srv ? sipc_server_drain(srv, 0) : sipc_ctx_retire_connections(w->sctx, 0);
    assert_int_equal(left, 1);
    while (left && uv_hrtime() - started < 3000000000ull) {
        uv_run(&w->loop, UV_RUN_NOWAIT);
        left = srv ? sipc_server_drain(srv, 0) : sipc_ctx_retire_connections(w->sctx, 0);
    }
    assert_int_equal(left, 0);
    double gone_ms = (double)(uv_hrtime() - started) / 1e6;
    assert_int_equal(pthread_join(th, NULL), 0);
    close(o->fd);
    double ms = (double)(o->closed_ns - started) / 1e6;
    print_message("older peer: gone here %.2f ms after the retire, closed there after %.2f ms, %d "
                  "goaways seen\n",
                  gone_ms, ms, o->goaways);
    assert_true(ms < 200);
    assert_int_equal(o->goaways, 2);
    assert_int_equal(o->last_id, 0); /* it sent no request */
}

static void t_idle_old_peer_closed_at_pong(void **state)
{
    (void)state;
    world w;
    world_open(&w, SIPC_TLS_OFF);
    old_peer o = {0};
    pthread_t th;
    old_peer_connect(&w, &o, w.srv, ADDR, &th);
    reload(&w, w.sctx);
    old_peer_retired(&w, &o, NULL, th);
    /* a reload's GOAWAY gives no reason: byte for byte what it was */
    assert_string_equal(o.said[0], "");
    assert_string_equal(o.said[1], "");
    world_close(&w);
}

static void on_server_closed(sipc_server *srv, void *arg)
{
    (void)srv;
    *(int *)arg = 1;
}

/* A server that stops says so in both its GOAWAYs (message "stopping",
 * which a peer that knows it reads as "not back at once"); an older peer,
 * which skips the field, is closed at its PONG as at a reload. On
 * 127.1.179.4. */
static void t_stopping_said_old_peer_closed(void **state)
{
    (void)state;
    world w;
    world_open(&w, SIPC_TLS_OFF);
    sipc_server *srv;
    assert_int_equal(sipc_server_listen(&srv, w.sctx, "Stopping", "127.1.179.4", 0, w.router), 0);
    sipc_server_set_conn_cb(srv, on_server_conn, &w);
    old_peer o = {0};
    pthread_t th;
    old_peer_connect(&w, &o, srv, "127.1.179.4", &th);
    old_peer_retired(&w, &o, srv, th);
    assert_string_equal(o.said[0], "stopping");
    assert_string_equal(o.said[1], "stopping");
    int closed = 0;
    sipc_server_close(srv, on_server_closed, &closed);
    assert_true(tu_run_until(&w.loop, &closed, 3000));
    world_close(&w);
}

/* ------------------------------------------- retired in its handshake */

/* The tests below listen here. */
#define HS_ADDR "127.1.205.1"

/* Each side on a loop of its own, both on this thread: a test holds the
 * TLS handshake where it is by running neither loop. */
typedef struct split {
    world s, c; /* s: the server's context (sctx), c: the client's (cctx) */
    sipc_channel *ch;
    int answered, err, ups_at_request;
} split;

static void h_echo_noted(sipc_request *req, void *arg)
{
    split *sp = arg;
    sp->ups_at_request = sp->s.server_ups;
    h_echo(req, NULL);
}

static void on_split_reply(int err, const sipc_reply *rep, void *arg)
{
    (void)rep;
    split *sp = arg;
    sp->answered++;
    sp->err = err;
}

static int opening(split *sp)
{
    sipc_server_stats st;
    assert_int_equal(sipc_server_stats_get(sp->s.srv, &st), 0);
    return (int)st.conns_opening;
}

/* A TLS link dialed and accepted, then held in its handshake: the server
 * has taken the connection, neither side is up. */
static void split_open(split *sp)
{
    memset(sp, 0, sizeof *sp);
    sipc_security *sec = tu_security(SIPC_TLS_STRICT, g_pem);
    assert_int_equal(uv_loop_init(&sp->s.loop), 0);
    assert_int_equal(uv_loop_init(&sp->c.loop), 0);
    sp->s.mode = sp->c.mode = SIPC_TLS_STRICT;
    sp->s.sctx = new_ctx(&sp->s, "srv", sec);
    sp->c.cctx = new_ctx(&sp->c, "cli", sec);
    sipc_security_release(sec);
    assert_int_equal(sipc_router_new(&sp->s.router), 0);
    assert_int_equal(sipc_router_add(sp->s.router, "test", "echo", h_echo_noted, sp), 0);
    assert_int_equal(
        sipc_server_listen(&sp->s.srv, sp->s.sctx, "Test Service", HS_ADDR, 0, sp->s.router), 0);
    sipc_server_set_conn_cb(sp->s.srv, on_server_conn, &sp->s);
    assert_int_equal(
        sipc_channel_open(&sp->ch, sp->c.cctx, HS_ADDR, sipc_server_port(sp->s.srv), NULL), 0);
    uint64_t t0 = uv_hrtime();
    while (!opening(sp) && uv_hrtime() - t0 < 3000000000ull) {
        uv_run(&sp->c.loop, UV_RUN_NOWAIT);
        uv_run(&sp->s.loop, UV_RUN_NOWAIT);
    }
    assert_int_equal(opening(sp), 1);
    assert_non_null(sp->ch->conn);
    assert_int_equal(sp->ch->conn->state, SIPC_CONN_S_HANDSHAKE);
}

/* A call made while the link is held, then both loops run in turns (at
 * most 3 s, with no retire or drain asked) until it is answered and the
 * server saw the first connection close; the call succeeded. */
static void split_call(split *sp, const char *what)
{
    assert_int_equal(sipc_call(sp->ch, "test", "echo", "record", 6, 5000, on_split_reply, sp), 0);
    uint64_t t0 = uv_hrtime();
    while ((!sp->answered || sp->s.server_downs < 1) && uv_hrtime() - t0 < 3000000000ull) {
        uv_run(&sp->c.loop, UV_RUN_NOWAIT);
        uv_run(&sp->s.loop, UV_RUN_NOWAIT);
        usleep(100);
    }
    print_message("%s in its handshake: answered and the old connection closed %.1f ms later\n",
                  what, (double)(uv_hrtime() - t0) / 1e6);
    assert_int_equal(sp->answered, 1);
    assert_int_equal(sp->err, 0);
}

static void split_close(split *sp)
{
    sipc_ctx_close(sp->c.cctx, NULL, NULL);
    sipc_ctx_close(sp->s.sctx, NULL, NULL);
    uint64_t t0 = uv_hrtime();
    while ((uv_loop_alive(&sp->c.loop) || uv_loop_alive(&sp->s.loop)) &&
           uv_hrtime() - t0 < 5000000000ull) {
        uv_run(&sp->c.loop, UV_RUN_NOWAIT);
        uv_run(&sp->s.loop, UV_RUN_NOWAIT);
        usleep(100);
    }
    assert_int_equal(uv_loop_close(&sp->c.loop), 0);
    assert_int_equal(uv_loop_close(&sp->s.loop), 0);
    sipc_router_free(sp->s.router);
    tu_log_free(&sp->s.log);
    tu_log_free(&sp->c.log);
}

/* A server drained while a connection is in its TLS handshake: the
 * connection gets its GOAWAY ("stopping") as its hellos complete, with no
 * later drain asked, and closes a round trip later; the call that waited
 * for the link is answered. */
static void t_handshake_drained_at_up(void **state)
{
    (void)state;
    split sp;
    split_open(&sp);
    assert_int_equal(sipc_server_drain(sp.s.srv, 0), 1);
    split_call(&sp, "drained");
    assert_int_equal(sp.s.server_ups, 1);
    assert_int_equal(sp.s.server_downs, 1);
    assert_true(tu_log_has(&sp.s.log, "GOAWAY sent, the server is stopping"));
    assert_true(tu_log_has(&sp.c.log, "peer is stopping (GOAWAY)"));
    assert_int_equal(sipc_server_drain(sp.s.srv, 0), 0);
    split_close(&sp);
}

/* The client reloads while its dial is in its TLS handshake: the
 * connection is replaced as its hellos complete, with no later retire
 * asked; the call that waited for the link goes on the new connection,
 * never on the one of the old security. */
static void t_handshake_reloaded_at_up(void **state)
{
    (void)state;
    split sp;
    split_open(&sp);
    sipc_security *sec = tu_security(SIPC_TLS_STRICT, g_pem);
    assert_int_equal(sipc_ctx_set_security(sp.c.cctx, sec), 0);
    sipc_security_release(sec);
    assert_int_equal(sipc_ctx_retire_connections(sp.c.cctx, 0), 1);
    split_call(&sp, "reloaded");
    assert_int_equal(sp.ups_at_request, 2);
    assert_int_equal(sp.s.server_downs, 1);
    assert_non_null(sp.ch->conn);
    assert_ptr_equal(sipc_conn_security(sp.ch->conn), sipc_ctx_security(sp.c.cctx));
    assert_true(tu_log_has(&sp.c.log, "GOAWAY sent, replaced once its requests are answered"));
    assert_int_equal(sipc_ctx_retire_connections(sp.c.cctx, 0), 0);
    split_close(&sp);
}

int main(void)
{
    g_dir = tu_mkdtemp("retire");
    if (!g_dir || tu_make_pair(g_dir, "node", "ec", 30, NULL, "sipc retire cluster") != 0) {
        fprintf(stderr, "cannot generate test certificates with openssl\n");
        return 1;
    }
    snprintf(g_pem, sizeof g_pem, "%s/node.pem", g_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_reloads_lose_no_call_plaintext),
        cmocka_unit_test(t_reloads_lose_no_call_tls),
        cmocka_unit_test(t_idle_replaced_server_side),
        cmocka_unit_test(t_idle_replaced_client_side),
        cmocka_unit_test(t_idle_links_redial_spread),
        cmocka_unit_test(t_idle_old_peer_closed_at_pong),
        cmocka_unit_test(t_stopping_said_old_peer_closed),
        cmocka_unit_test(t_handshake_drained_at_up),
        cmocka_unit_test(t_handshake_reloaded_at_up),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    tu_rmdir(g_dir);
    free(g_dir);
    return r;
}
