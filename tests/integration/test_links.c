/* test_links.c - how channels behave across peer outages and reloads, with
 * the library's default options (what sipcd's links get): a peer back from
 * an outage is reached again within about a second, a dead peer sees a
 * bounded number of connection attempts, and a connection kept busy across a
 * TLS reload moves to the new setup (GOAWAY) without a failed call; a peer
 * that refuses this side's TLS mode is tried less often, until this side's
 * security changes; a refused first dial in a context's first seconds is
 * INFO, not a WARN; a server that stops says so, and its links read it as
 * their peer stopping (one INFO line, then the usual backoff, no WARN for a
 * while), as does a link to that node that was down then; links coming up
 * together say "Connected to" once and a count; a permissive link that fell
 * back to plaintext toward a node that takes TLS by the time its plaintext
 * retry arrives turns TLS at once, idle as it is, without a loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipc/envelope.h"
#include "ipc/frame.h"
#include "ipc/internal.h" /* a channel's last attempt, to time a restart against it */
#include "lanes.h"
#include "testutil.h"

static char *g_dir;
static char g_pem[512];
static char g_other[512]; /* a pair of another cluster: neither trusts the other */

/* Its own loopback block (ports are any free one): nodes on .1 unless a
 * test needs more hosts. */
#define LINKS_NET "127.0.74"
#define LINKS_HOST LINKS_NET ".1"

typedef struct node {
    sipc_ctx *ctx;
    sipc_security *sec;
    sipc_router *router;
    sipc_server *srv;
    tu_log log;
    sipc_request *held[8]; /* test.hold keeps its requests */
    int nheld;
    const char *id;        /* node id, default "srv" */
    const char *source;    /* sipc_options.source_address, NULL: the kernel's pick */
} node;

static void h_echo(sipc_request *req, void *arg)
{
    (void)arg;
    size_t len;
    const void *p = sipc_request_data(req, &len);
    sipc_respond(req, p, len);
}

static void h_hold(sipc_request *req, void *arg)
{
    node *n = arg;
    if (n->nheld < 8)
        n->held[n->nheld++] = req;
    else
        sipc_respond(req, NULL, 0);
}

/* redial_max_ms 0: the default backoff; else redials between
 * redial_min_ms and it; source: where its dials leave from (NULL: anywhere) */
static sipc_ctx *new_ctx_redial(uv_loop_t *loop, const char *id, sipc_security *sec, tu_log *log,
                                uint32_t redial_min_ms, uint32_t redial_max_ms, const char *source)
{
    sipc_options o;
    sipc_options_init(&o); /* the defaults: backoff included */
    o.node_id = id;
    o.cluster = "links";
    o.log = tu_log_sink;
    o.log_arg = log;
    o.source_address = source;
    if (redial_max_ms) {
        o.reconnect_min_ms = redial_min_ms;
        o.reconnect_max_ms = redial_max_ms;
    }
    sipc_ctx *ctx;
    assert_int_equal(sipc_ctx_new(&ctx, loop, &o, sec), 0);
    return ctx;
}

static sipc_ctx *new_ctx(uv_loop_t *loop, const char *id, sipc_security *sec, tu_log *log)
{
    return new_ctx_redial(loop, id, sec, log, 0, 0, NULL);
}

/* A server node on addr:port (0: any); returns the port. */
static int node_start_at(node *n, uv_loop_t *loop, sipc_tls_mode mode, const char *addr, int port)
{
    n->sec = tu_security(mode, g_pem);
    n->ctx = new_ctx_redial(loop, n->id ? n->id : "srv", n->sec, &n->log, 0, 0, n->source);
    assert_int_equal(sipc_router_new(&n->router), 0);
    assert_int_equal(sipc_router_add(n->router, "test", "echo", h_echo, n), 0);
    assert_int_equal(sipc_router_add(n->router, "test", "hold", h_hold, n), 0);
    assert_int_equal(sipc_server_listen(&n->srv, n->ctx, "Test", addr, port, n->router), 0);
    return sipc_server_port(n->srv);
}

/* The same on LINKS_HOST. */
static int node_start(node *n, uv_loop_t *loop, sipc_tls_mode mode, int port)
{
    return node_start_at(n, loop, mode, LINKS_HOST, port);
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

/* A client node with one channel to addr:port (LINKS_HOST unless said). */
typedef struct client {
    sipc_ctx *ctx;
    sipc_security *sec;
    sipc_channel *ch;
    tu_log log;
} client;

static void client_open_at(client *c, uv_loop_t *loop, sipc_tls_mode mode, const char *addr,
                           int port)
{
    c->sec = tu_security(mode, g_pem);
    c->ctx = new_ctx(loop, "cli", c->sec, &c->log);
    assert_int_equal(sipc_channel_open(&c->ch, c->ctx, addr, port, NULL), 0);
}

static void client_open(client *c, uv_loop_t *loop, sipc_tls_mode mode, int port)
{
    client_open_at(c, loop, mode, LINKS_HOST, port);
}

/* Closes what a test made (c may be NULL) and checks nothing is left. */
static void finish(uv_loop_t *loop, node *n, client *c)
{
    if (c)
        sipc_ctx_close(c->ctx, NULL, NULL);
    if (n && n->ctx)
        sipc_ctx_close(n->ctx, NULL, NULL);
    assert_true(tu_drain(loop, 5000));
    assert_int_equal(uv_loop_close(loop), 0);
    if (n) {
        sipc_router_free(n->router);
        sipc_security_release(n->sec);
        tu_log_free(&n->log);
    }
    if (c) {
        sipc_security_release(c->sec);
        tu_log_free(&c->log);
    }
}

static void idle_for(uv_loop_t *loop, unsigned ms);
static int free_port(uv_loop_t *loop, const char *addr);
static uint64_t wait_up(uv_loop_t *loop, sipc_channel *ch, unsigned ms);

/* A plaintext node on addr and a client (in cmode) whose link to it is up;
 * returns the node's port. */
static int start_pair_at(uv_loop_t *loop, node *n, client *c, sipc_tls_mode cmode, const char *addr)
{
    assert_int_equal(uv_loop_init(loop), 0);
    int port = node_start_at(n, loop, SIPC_TLS_OFF, addr, 0);
    client_open_at(c, loop, cmode, addr, port);
    assert_true(wait_up(loop, c->ch, 3000) < 3000);
    return port;
}

static int start_pair(uv_loop_t *loop, node *n, client *c, sipc_tls_mode cmode)
{
    return start_pair_at(loop, n, c, cmode, LINKS_HOST);
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

/* Runs the loop until the delay ch's timer now waits out was drawn at the
 * backoff's cap (reconnect_max_ms): backoff_ms, doubled at each scheduling,
 * holds twice the b it drew from. At most ms; false if it never got there.
 * What a fixed wait of a few seconds of outage gives, without the rest. */
static int wait_backoff_capped(uv_loop_t *loop, sipc_channel *ch, unsigned ms)
{
    uint32_t cap = ch->ctx->opts.reconnect_max_ms;
    uint64_t t0 = now_ms(loop);
    while (ch->backoff_ms < 2 * cap && now_ms(loop) - t0 < ms)
        uv_run(loop, UV_RUN_ONCE);
    return ch->backoff_ms >= 2 * cap;
}

/* Runs the loop until log holds line, at most ms. */
static int wait_log(uv_loop_t *loop, tu_log *log, const char *line, unsigned ms)
{
    uint64_t t0 = now_ms(loop);
    while (!tu_log_has(log, line) && now_ms(loop) - t0 < ms)
        idle_for(loop, 20);
    return tu_log_has(log, line);
}

/* How many times needle is in l. */
static int count_in(const tu_log *l, const char *needle)
{
    int n = 0;
    for (const char *p = l->buf ? l->buf : ""; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* ---------------------------------------------------------- reconnection */

/* A peer stopped for a few seconds and started again on the same address is
 * reached again within ~1.5 s of being back: first with nothing waiting
 * (the backoff's cap), then with a call waiting for the link. */
static void t_restart_reached_fast(void **state)
{
    (void)state;
    uv_loop_t loop;
    node n = {0};
    client c = {0};
    int port = start_pair(&loop, &n, &c, SIPC_TLS_OFF);
    sipc_channel *ch = c.ch;

    for (int round = 0; round < 2; round++) {
        node_stop(&n, &loop);
        /* down until the backoff has grown to its cap (about 1.5 s) */
        assert_true(wait_backoff_capped(&loop, ch, 5000));
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
    finish(&loop, &n, &c);
}

/* Two nodes with links to each other (as search's peers have): when one comes
 * back, its hello on the other's listener makes the other's link to it
 * redial at once instead of at the end of its backoff. B's links leave from
 * its own address, as a sipcd's from its [node] address: the hello comes
 * from the host A's link reached, and is news of that node there. */
static void t_peer_hello_redials(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    node a = {.id = "nodeA"}, b = {.id = "nodeB", .source = LINKS_HOST};
    int pa = node_start(&a, &loop, SIPC_TLS_OFF, 0);
    int pb = node_start(&b, &loop, SIPC_TLS_OFF, 0);
    sipc_channel *a2b, *b2a;
    assert_int_equal(sipc_channel_open(&a2b, a.ctx, LINKS_HOST, pb, NULL), 0);
    assert_int_equal(sipc_channel_open(&b2a, b.ctx, LINKS_HOST, pa, NULL), 0);
    assert_true(wait_up(&loop, a2b, 3000) < 3000);
    assert_true(wait_up(&loop, b2a, 3000) < 3000);
    for (int round = 0; round < 3; round++) {
        node_stop(&b, &loop); /* its link to A goes with it */
        /* A's link to B: backoff at its cap, 0.5 to 1 s */
        assert_true(wait_backoff_capped(&loop, a2b, 3000));
        assert_false(sipc_channel_is_up(a2b));
        /* B comes back just after one of A's attempts: by its backoff alone
         * A would try again 500 ms later at the soonest */
        uint64_t last = a2b->last_dial, t0 = now_ms(&loop);
        while (a2b->last_dial == last && now_ms(&loop) - t0 < 2000)
            uv_run(&loop, UV_RUN_ONCE);
        assert_true(a2b->last_dial != last);
        assert_int_equal(node_start(&b, &loop, SIPC_TLS_OFF, pb), pb);
        assert_int_equal(sipc_channel_open(&b2a, b.ctx, LINKS_HOST, pa, NULL), 0);
        uint64_t took = wait_up(&loop, a2b, 3000);
        print_message("round %d: A's link up %llu ms after B was back and said hello\n", round,
                      (unsigned long long)took);
        /* the hello brings it to 250 ms after A's last attempt */
        assert_true(took <= 450);
    }
    assert_true(tu_log_has(&a.log, "node nodeB"));
    sipc_ctx_close(b.ctx, NULL, NULL);
    finish(&loop, &a, NULL);
    sipc_router_free(b.router);
    sipc_security_release(b.sec);
    tu_log_free(&b.log);
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
    uv_ip4_addr(LINKS_HOST, 0, &sa);
    assert_int_equal(uv_tcp_bind(&d.tcp, (struct sockaddr *)&sa, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&d.tcp, 64, on_dead_conn), 0);
    struct sockaddr_storage ss;
    int sl = sizeof ss;
    uv_tcp_getsockname(&d.tcp, (struct sockaddr *)&ss, &sl);
    int port = ntohs(((struct sockaddr_in *)&ss)->sin_port);

    client c = {0};
    client_open(&c, &loop, SIPC_TLS_OFF, port);
    /* the ramp: 100, 200, 400, 800 ms, then the cap */
    assert_true(wait_backoff_capped(&loop, c.ch, 3000));
    int before = d.accepts;
    idle_for(&loop, 4000);
    int quiet = d.accepts - before;
    print_message("nothing waiting: %d attempts in 4 s\n", quiet);
    assert_true(quiet >= 3);  /* it keeps trying: at least once a second */
    assert_true(quiet <= 9);  /* and no more than one per 0.5 s */

    pacer *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->ch = c.ch;
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
    int n = p->n;
    result *r = p->r;
    finish(&loop, NULL, &c);
    for (int i = 0; i < n; i++) {
        assert_true(r[i].done);
        assert_int_not_equal(r[i].err, 0);
    }
    free(p);
}

/* A link that is down says how old its reason is and when it is tried
 * again: the reason may be out of date by the redial backoff. */
static void t_down_reason_age(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    /* a port nothing listens on: every attempt is refused at once */
    int port = free_port(&loop, LINKS_HOST);
    client c = {0};
    client_open(&c, &loop, SIPC_TLS_OFF, port);
    idle_for(&loop, 1000); /* the ramp: 100, 200, 400 ms, then 800 */
    sipc_link_info a, b;
    int tries = 0;
    uint64_t t0;
    do { /* a moment with the next attempt at least 300 ms away */
        idle_for(&loop, 20);
        t0 = now_ms(&loop);
        assert_int_equal(sipc_channel_info(c.ch, &a), 0);
    } while ((a.attempting || a.next_attempt_ms < 300) && ++tries < 200);
    assert_int_equal(a.up, 0);
    assert_int_not_equal(a.last_err, 0);
    assert_int_equal(a.attempting, 0);
    assert_true(a.next_attempt_ms >= 300 && a.next_attempt_ms <= 10000);
    assert_true(a.last_error_age_ms < 1000);
    idle_for(&loop, 150);
    uint64_t took = now_ms(&loop) - t0;
    assert_int_equal(sipc_channel_info(c.ch, &b), 0);
    print_message("reason %u ms old, next in %u ms; %llu ms later: %u ms old, next in %u ms\n",
                  a.last_error_age_ms, a.next_attempt_ms, (unsigned long long)took,
                  b.last_error_age_ms, b.next_attempt_ms);
    /* the same reason, older by the time that passed (unless a loaded
     * machine let the next attempt come first) */
    if (took + 20 < a.next_attempt_ms) {
        assert_true(b.last_error_age_ms >= a.last_error_age_ms + took - 5);
        assert_true(b.next_attempt_ms + took <= a.next_attempt_ms + 5);
    }
    finish(&loop, NULL, &c);
}

/* ------------------------------------------------------------ GOAWAY */

/* sipcd's retire tick: replace what the reload left behind, every 50 ms. */
typedef struct retirer {
    uv_timer_t t;
    sipc_ctx *ctx;
    int left;
    uint64_t started, done_at;
} retirer;

static void on_retire(uv_timer_t *t)
{
    retirer *r = t->data;
    r->left = sipc_ctx_retire_connections(r->ctx, 1000);
    if (r->left == 0) {
        r->done_at = uv_now(t->loop);
        uv_timer_stop(t);
    }
}

static void reload_to_strict(uv_loop_t *loop, node *n, retirer *r)
{
    sipc_security *strict = tu_security(SIPC_TLS_STRICT, g_pem);
    assert_int_equal(sipc_ctx_set_security(n->ctx, strict), 0);
    sipc_security_release(n->sec);
    n->sec = strict;
    memset(r, 0, sizeof *r);
    r->ctx = n->ctx;
    r->left = -1;
    r->started = now_ms(loop);
    uv_timer_init(loop, &r->t);
    r->t.data = r;
    uv_timer_start(&r->t, on_retire, 0, 50);
}

/* A producer that never leaves its connection idle: 8 calls always in
 * flight, each answer sends the next. */
typedef struct producer {
    sipc_channel *ch;
    int inflight, ok, failed, stop;
    int ok_tls;      /* answered while the link was TLS */
    int last_err;
} producer;

static void produce(producer *p);

static void on_produced(int err, const sipc_reply *rep, void *arg)
{
    (void)rep;
    producer *p = arg;
    p->inflight--;
    if (err) {
        p->failed++;
        p->last_err = err;
    } else {
        p->ok++;
        sipc_link_info li;
        sipc_channel_info(p->ch, &li);
        p->ok_tls += li.tls;
    }
    produce(p);
}

static void produce(producer *p)
{
    while (!p->stop && p->inflight < 8) {
        assert_int_equal(sipc_call(p->ch, "test", "echo", "record", 6, 5000, on_produced, p), 0);
        p->inflight++;
    }
}

/* A client keeps its plaintext connection busy across the node's reload to
 * strict TLS: the node sends GOAWAY, the client moves its new calls to a new
 * (TLS) connection, the old one closes once answered, and no call fails. */
static void t_reload_moves_busy_connection(void **state)
{
    (void)state;
    uv_loop_t loop;
    node n = {0};
    /* a client home with the pair: TLS first, plaintext toward a plaintext node */
    client c = {0};
    start_pair(&loop, &n, &c, SIPC_TLS_PERMISSIVE);
    producer p = {.ch = c.ch};
    sipc_link_info li;
    sipc_channel_info(p.ch, &li);
    assert_int_equal(li.tls, 0);
    produce(&p);
    idle_for(&loop, 300);
    assert_true(p.ok > 0);
    assert_int_equal(p.ok_tls, 0);

    retirer r;
    reload_to_strict(&loop, &n, &r);
    uint64_t t0 = now_ms(&loop);
    while (now_ms(&loop) - t0 < 5000 && (r.left != 0 || p.ok_tls < 100))
        uv_run(&loop, UV_RUN_ONCE);
    print_message("old connection replaced after %llu ms; %d calls answered, %d over TLS, %d "
                  "failed\n",
                  (unsigned long long)(r.done_at - r.started), p.ok, p.ok_tls, p.failed);
    assert_int_equal(r.left, 0);   /* the busy plaintext connection is gone */
    assert_true(r.done_at - r.started < 2000);
    assert_true(p.ok_tls >= 100);  /* calls go on, over TLS */
    sipc_channel_info(p.ch, &li);
    assert_int_equal(li.up, 1);
    assert_int_equal(li.tls, 1);
    assert_true(tu_log_has(&n.log, "GOAWAY sent"));
    assert_true(tu_log_has(&c.log, "peer sent GOAWAY"));
    p.stop = 1;
    t0 = now_ms(&loop);
    while (p.inflight && now_ms(&loop) - t0 < 3000)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(p.inflight, 0);
    assert_int_equal(p.failed, 0); /* not one call lost to the reload */

    uv_close((uv_handle_t *)&r.t, NULL);
    finish(&loop, &n, &c);
}

/* A peer that knows nothing of GOAWAY (protocol v1 before it): raw frames
 * over TCP, answering PINGs, ignoring the one-way sys.goaway. */
#define OLD_MAX 20000
typedef struct old_client {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_timer_t pace;
    sipc_frame_decoder dec;
    int connected, closed, flood;
    uint64_t next_id;
    uint64_t final_last;   /* the second GOAWAY's last id; UINT64_MAX until seen */
    int goaways;
    unsigned char answered[OLD_MAX], refused[OLD_MAX];
    uint64_t closed_at;
} old_client;

static void old_written(uv_write_t *w, int status)
{
    (void)status;
    free(w->data);
    free(w);
}

static void old_send(old_client *o, const sipc_env_out *e)
{
    if (o->closed)
        return;
    sipc_buf b = {0};
    assert_int_equal(sipc_env_encode(&b, e, 1u << 20), 0);
    uv_write_t *w = malloc(sizeof *w);
    assert_non_null(w);
    w->data = b.data;
    uv_buf_t ub = uv_buf_init((char *)b.data, (unsigned)b.len);
    if (uv_write(w, (uv_stream_t *)&o->tcp, &ub, 1, old_written) != 0) {
        free(b.data);
        free(w);
    }
}

static void old_request(old_client *o, const char *method)
{
    if (o->next_id + 1 >= OLD_MAX)
        return;
    sipc_env_out e = {.kind = SIPC__KIND__REQUEST, .request_id = ++o->next_id, .service = "test",
                      .method = method, .payload = "r", .payload_len = 1, .deadline_ms = 20000};
    old_send(o, &e);
}

static int old_frame(void *arg, const uint8_t *data, size_t len)
{
    old_client *o = arg;
    int err;
    char why[200];
    Sipc__Envelope *env = sipc_env_decode(data, len, &err, why, sizeof why);
    assert_non_null(env);
    uint64_t id = env->request_id;
    if (env->kind == SIPC__KIND__PING) {
        sipc_env_out e = {.kind = SIPC__KIND__PONG, .request_id = id};
        old_send(o, &e);
    } else if (env->kind == SIPC__KIND__RESPONSE && id < OLD_MAX) {
        o->answered[id]++;
    } else if (env->kind == SIPC__KIND__ERROR && id && id < OLD_MAX) {
        assert_int_equal(env->status, SIPC_ECLOSING);
        o->refused[id]++;
    } else if (env->kind == SIPC__KIND__ONE_WAY && !strcmp(env->method, "goaway")) {
        o->goaways++; /* an older peer drops it ("no handler"); noted for the checks only */
        if (id != UINT64_MAX)
            o->final_last = id;
    }
    sipc__envelope__free_unpacked(env, NULL);
    return 0;
}

static void old_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    (void)h;
    b->base = malloc(sz);
    b->len = sz;
}

static void old_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    old_client *o = s->data;
    if (n > 0)
        assert_int_equal(sipc_frame_decode(&o->dec, (uint8_t *)b->base, (size_t)n, old_frame, o), 0);
    free(b->base);
    if (n < 0 && !o->closed) {
        o->closed = 1;
        o->closed_at = uv_now(s->loop);
        uv_timer_stop(&o->pace);
        uv_close((uv_handle_t *)s, NULL);
    }
}

static void old_pace(uv_timer_t *t)
{
    old_client *o = t->data;
    for (int i = 0; i < 4; i++)
        old_request(o, "echo");
}

static void old_connected(uv_connect_t *req, int status)
{
    old_client *o = req->data;
    assert_int_equal(status, 0);
    o->connected = 1;
    uint8_t buf[128];
    Sipc__Hello h = SIPC__HELLO__INIT;
    h.protocol_version = 1;
    h.node_id = "old";
    h.cluster = "links";
    h.software = "sipc 0.0.9";
    size_t hl = sipc__hello__pack(&h, buf);
    sipc_env_out e = {.kind = SIPC__KIND__HELLO, .payload = buf, .payload_len = hl};
    old_send(o, &e);
    uv_read_start((uv_stream_t *)&o->tcp, old_alloc, old_read);
    if (o->flood)
        uv_timer_start(&o->pace, old_pace, 5, 2);
    else
        old_request(o, "hold");
}

static old_client *old_connect(uv_loop_t *loop, int port, int flood)
{
    old_client *o = calloc(1, sizeof *o);
    assert_non_null(o);
    o->flood = flood;
    o->final_last = UINT64_MAX;
    sipc_frame_decoder_init(&o->dec, 1u << 20);
    uv_tcp_init(loop, &o->tcp);
    uv_timer_init(loop, &o->pace);
    o->tcp.data = o->pace.data = o->creq.data = o;
    struct sockaddr_in sa;
    uv_ip4_addr(LINKS_HOST, port, &sa);
    assert_int_equal(uv_tcp_connect(&o->creq, &o->tcp, (struct sockaddr *)&sa, old_connected), 0);
    assert_true(tu_run_until(loop, &o->connected, 2000));
    return o;
}

static void old_free(old_client *o, uv_loop_t *loop)
{
    uv_close((uv_handle_t *)&o->pace, NULL);
    if (!o->closed)
        uv_close((uv_handle_t *)&o->tcp, NULL);
    idle_for(loop, 10); /* the close callbacks */
    sipc_frame_decoder_free(&o->dec);
    free(o);
}

/* An older client ignores GOAWAY and keeps sending: the node answers every
 * request up to the last id it announced, refuses later ones (retryable
 * SIPC_ECLOSING, no handler runs) and closes the connection as soon as what
 * it accepted is answered; a request held by a handler keeps the connection
 * open no longer than the grace. */
static void t_goaway_ignored_by_old_client(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    node n = {0};
    int port = node_start(&n, &loop, SIPC_TLS_OFF, 0);

    old_client *o = old_connect(&loop, port, 1);
    idle_for(&loop, 200);
    assert_true(o->next_id > 20);
    retirer r;
    reload_to_strict(&loop, &n, &r);
    assert_true(tu_run_until(&loop, &o->closed, 3000));
    print_message("flooding old client: closed %llu ms after the reload, %llu requests sent, "
                  "last id announced %llu\n",
                  (unsigned long long)(o->closed_at - r.started),
                  (unsigned long long)o->next_id, (unsigned long long)o->final_last);
    assert_true(o->closed_at - r.started < 2000);
    assert_int_equal(o->goaways, 2);
    assert_true(o->final_last > 0 && o->final_last <= o->next_id);
    for (uint64_t id = 1; id <= o->next_id && id < OLD_MAX; id++) {
        assert_true(o->answered[id] + o->refused[id] <= 1); /* never both, never twice */
        if (id <= o->final_last)
            assert_int_equal(o->answered[id], 1); /* accepted: answered before the close */
        else
            assert_int_equal(o->answered[id], 0); /* above it: never handled */
    }
    old_free(o, &loop);
    uint64_t t0 = now_ms(&loop);
    while (r.left != 0 && now_ms(&loop) - t0 < 2000)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(r.left, 0);
    uv_close((uv_handle_t *)&r.t, NULL);
    finish(&loop, &n, NULL);
}

/* A request a handler holds keeps a retired connection open no longer than
 * the grace (10 s), whatever the peer does. The test reads the grace the
 * connection got and brings its end forward instead of waiting it out. */
static void t_goaway_grace(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    node n = {0};
    int port = node_start(&n, &loop, SIPC_TLS_OFF, 0);
    old_client *o = old_connect(&loop, port, 0);
    uint64_t t0 = now_ms(&loop);
    while (n.nheld == 0 && now_ms(&loop) - t0 < 2000)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(n.nheld, 1);
    retirer r;
    reload_to_strict(&loop, &n, &r);
    idle_for(&loop, 1000);
    assert_false(o->closed);     /* the held request may still be answered */
    assert_int_equal(o->goaways, 2);
    assert_int_equal(o->final_last, 1);
    /* it goes on sending: refused, retryable, and no handler sees them */
    for (int i = 0; i < 3; i++)
        old_request(o, "hold");
    idle_for(&loop, 300);
    for (uint64_t id = 2; id <= 4; id++) {
        assert_int_equal(o->refused[id], 1);
        assert_int_equal(o->answered[id], 0);
    }
    assert_int_equal(n.nheld, 1);
    /* the grace the retired connection got: 10 s from the reload */
    sipc_conn *sc = n.held[0]->conn;
    assert_true(sc->goaway_sent);
    uint64_t grace = sc->goaway_deadline - r.started;
    print_message("held request: the connection's grace ends %llu ms after the reload\n",
                  (unsigned long long)grace);
    assert_true(grace >= 9500 && grace <= 10500);
    /* its end brought forward rather than waited out (8 s of nothing): the
     * connection's own timer closes it then, the request still held */
    assert_false(o->closed);
    uint64_t end = now_ms(&loop) + 200;
    sc->goaway_deadline = end;
    sipc__conn_arm_timer(sc);
    assert_true(tu_run_until(&loop, &o->closed, 3000));
    print_message("held request: closed %lld ms after the grace's end\n",
                  (long long)(o->closed_at - end));
    assert_true(o->closed_at >= end && o->closed_at <= end + 1000);
    assert_int_equal(o->answered[1], 0);
    assert_true(tu_log_has(&n.log, "grace of 10000 ms over"));
    /* the handler answers late: dropped, the connection is gone */
    assert_int_equal(sipc_respond(n.held[0], "x", 1), SIPC_ECLOSED);
    n.nheld = 0;
    old_free(o, &loop);
    uv_close((uv_handle_t *)&r.t, NULL);
    finish(&loop, &n, NULL);
}

static void on_server_closed(sipc_server *srv, void *arg)
{
    (void)srv;
    *(int *)arg = 1;
}

/* Drains n's server until nothing is left, then closes it: what a node's
 * stop does with each server. */
static void server_stop(node *n, uv_loop_t *loop)
{
    uint64_t t0 = now_ms(loop);
    while (sipc_server_drain(n->srv, 0) != 0 && now_ms(loop) - t0 < 3000)
        idle_for(loop, 20);
    assert_int_equal(sipc_server_drain(n->srv, 0), 0);
    int closed = 0;
    sipc_server_close(n->srv, on_server_closed, &closed);
    assert_true(tu_run_until(loop, &closed, 3000));
    n->srv = NULL;
}

/* A server drained (sipc_server_drain) while a handler holds a request:
 * its port refuses new connections at once, the held request is still
 * answered to its caller, and the busy connection closes once it is; the
 * drain then reports nothing left and the close completes. */
static void t_server_drain(void **state)
{
    (void)state;
    uv_loop_t loop;
    node n = {0};
    client c = {0};
    int port = start_pair(&loop, &n, &c, SIPC_TLS_OFF);
    result held = {0};
    assert_int_equal(sipc_call(c.ch, "test", "hold", "x", 1, 10000, on_result, &held), 0);
    uint64_t t0 = now_ms(&loop);
    while (n.nheld == 0 && now_ms(&loop) - t0 < 3000)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(n.nheld, 1);

    assert_int_equal(sipc_server_drain(n.srv, 0), 1); /* busy: a GOAWAY, not a close */
    idle_for(&loop, 50);
    /* the port is closed */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    assert_int_equal(inet_pton(AF_INET, LINKS_HOST, &a.sin_addr), 1);
    assert_int_not_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(errno, ECONNREFUSED);
    close(fd);
    assert_true(tu_log_has(&n.log, "GOAWAY sent, the server is stopping"));
    assert_int_equal(sipc_server_drain(n.srv, 0), 1);

    /* the handler answers late: the caller gets it */
    assert_int_equal(sipc_respond(n.held[0], "late", 4), 0);
    n.nheld = 0;
    assert_true(tu_run_until(&loop, &held.done, 3000));
    assert_int_equal(held.err, 0);
    server_stop(&n, &loop);
    finish(&loop, &n, &c);
}

/* The node's own address block for the tests of a server that stops. */
#define STOP_NET "127.1.179"

/* A link up to a server that stops: its GOAWAY says so, and the link reads
 * it as its peer stopping: one INFO line; then its usual backoff (not at
 * once), down with the refusal as its reason, no WARN while the refusals
 * are expected (at DEBUG). Past that while, a refusal is a WARN again. */
static void t_stop_reads_as_stopping(void **state)
{
    (void)state;
    uv_loop_t loop;
    node n = {0};
    client c = {0};
    int port = start_pair_at(&loop, &n, &c, SIPC_TLS_OFF, STOP_NET ".1");

    assert_int_equal(sipc_server_drain(n.srv, 0), 1);
    uint64_t dial = c.ch->last_dial, first_redial = 0;
    int dials = 0;
    uint64_t t0 = now_ms(&loop);
    while (now_ms(&loop) - t0 < 2000) {
        uv_run(&loop, UV_RUN_ONCE);
        if (c.ch->last_dial != dial && !dials++)
            first_redial = c.ch->last_dial;
        dial = c.ch->last_dial;
    }
    print_message("%d redials in 2 s, the first %llu ms after the GOAWAY\n", dials,
                  (unsigned long long)(first_redial - c.ch->stopping_at));
    if (tu_log_has(&c.log, " WARN "))
        fail_msg("a WARN for a peer that said it stops:\n%s", c.log.buf);
    char line[200];
    snprintf(line, sizeof line,
             "Transport.Conn INFO Connection to " STOP_NET
             ".1:%d (node srv): peer is stopping (GOAWAY)",
             port);
    assert_int_equal(count_in(&c.log, line), 1);
    assert_int_equal(count_in(&c.log, "GOAWAY"), 1);
    snprintf(line, sizeof line, "DEBUG Connection to " STOP_NET ".1:%d closed: connection refused",
             port);
    assert_true(tu_log_has(&c.log, line));
    /* the usual backoff from reconnect_min_ms (100 ms): the first redial
     * 50 to 100 ms after the GOAWAY, then doubling to the 1 s cap */
    assert_true(c.ch->stopping_at != 0);
    assert_true(first_redial - c.ch->stopping_at >= 50);
    assert_true(dials >= 3 && dials <= 7);
    assert_true(sipc_channel_is_down(c.ch, NULL));
    assert_int_equal(sipc_channel_last_error(c.ch), UV_ECONNREFUSED);

    /* away longer: the usual WARN. The GOAWAY is made that old rather than
     * waited out: each dial compares its moment with SIPC__STOP_GRACE_MS */
    c.ch->stopping_at -= SIPC__STOP_GRACE_MS;
    snprintf(line, sizeof line, "WARN Connection to " STOP_NET ".1:%d closed: connection refused",
             port);
    assert_true(wait_log(&loop, &c.log, line, 3000));
    server_stop(&n, &loop);
    finish(&loop, &n, &c);
}

/* A peer that stops and is back on its port within the while is reached
 * again within the backoff's cap, with no WARN on the way. */
static void t_stop_then_back(void **state)
{
    (void)state;
    uv_loop_t loop;
    node n = {0};
    client c = {0};
    int port = start_pair_at(&loop, &n, &c, SIPC_TLS_OFF, STOP_NET ".2");

    server_stop(&n, &loop);
    node_stop(&n, &loop);
    idle_for(&loop, 700);
    assert_false(sipc_channel_is_up(c.ch));
    assert_int_equal(node_start_at(&n, &loop, SIPC_TLS_OFF, STOP_NET ".2", port), port);
    uint64_t took = wait_up(&loop, c.ch, 3000);
    print_message("up again %llu ms after the peer listened again\n", (unsigned long long)took);
    assert_true(took <= 1500);
    assert_int_equal(c.ch->stopping_at, 0);
    if (tu_log_has(&c.log, " WARN "))
        fail_msg("a WARN for a peer that said it stops:\n%s", c.log.buf);
    assert_int_equal(count_in(&c.log, "peer is stopping (GOAWAY)"), 1);
    finish(&loop, &n, &c);
}

/* The node's own block for a stop that finds one of its links down. */
#define STOP_DOWN_NET "127.1.206"

static void note_up_conn(sipc_conn *c, sipc_conn_event ev, int err, void *arg)
{
    (void)err;
    if (ev == SIPC_CONN_UP)
        *(sipc_conn **)arg = c;
}

/* A node stops while one of a client's two links to it (one address) is
 * down, waiting out its backoff: that link gets no GOAWAY, but the other
 * link's says the node stops, and the down link's refusal is expected as
 * that link's is (DEBUG), no WARN. A link down at the same time to another
 * node at another address, which said nothing, still has its refusal a
 * WARN, though it goes by the same node id (nodes on one host without an
 * id of their own share the host name). */
static void t_stop_known_to_down_link(void **state)
{
    (void)state;
    uv_loop_t loop;
    node n = {0}, other = {0};
    client c = {0};
    assert_int_equal(uv_loop_init(&loop), 0);
    int p1 = node_start_at(&n, &loop, SIPC_TLS_OFF, STOP_DOWN_NET ".1", 0);
    int p3 = node_start_at(&other, &loop, SIPC_TLS_OFF, STOP_DOWN_NET ".2", 0);
    c.sec = tu_security(SIPC_TLS_OFF, g_pem);
    /* a link that went down redials 300 to 600 ms later */
    c.ctx = new_ctx_redial(&loop, "cli", c.sec, &c.log, 600, 600, NULL);
    sipc_channel *l2, *l3;
    assert_int_equal(sipc_channel_open(&c.ch, c.ctx, STOP_DOWN_NET ".1", p1, NULL), 0);
    assert_true(wait_up(&loop, c.ch, 3000) < 3000);
    sipc_conn *c2 = NULL;
    sipc_server_set_conn_cb(n.srv, note_up_conn, &c2);
    assert_int_equal(sipc_channel_open(&l2, c.ctx, STOP_DOWN_NET ".1", p1, NULL), 0);
    assert_int_equal(sipc_channel_open(&l3, c.ctx, STOP_DOWN_NET ".2", p3, NULL), 0);
    assert_true(wait_up(&loop, l2, 3000) < 3000);
    assert_true(wait_up(&loop, l3, 3000) < 3000);
    assert_non_null(c2);
    sipc_server_set_conn_cb(n.srv, NULL, NULL);

    /* l2 and l3 go down; then the first node stops, the other's port closes */
    sipc_conn_close(c2);
    int closed = 0;
    sipc_server_close(other.srv, on_server_closed, &closed);
    uint64_t t0 = now_ms(&loop);
    while ((sipc_channel_is_up(l2) || sipc_channel_is_up(l3)) && now_ms(&loop) - t0 < 3000)
        uv_run(&loop, UV_RUN_ONCE);
    assert_false(sipc_channel_is_up(l2));
    assert_false(sipc_channel_is_up(l3));
    uint64_t stop = now_ms(&loop);
    assert_int_equal(sipc_server_drain(n.srv, 0), 1);
    char line[200];
    snprintf(line, sizeof line,
             "WARN Connection to " STOP_DOWN_NET ".2:%d closed: connection refused", p3);
    assert_true(wait_log(&loop, &c.log, line, 3000));
    /* l2's redial is refused too */
    while (l2->err_at <= stop && now_ms(&loop) - stop < 3000)
        idle_for(&loop, 20);
    assert_true(l2->err_at > stop);
    assert_int_equal(sipc_channel_last_error(l2), UV_ECONNREFUSED);
    if (tu_log_has(&c.log, "WARN Connection to " STOP_DOWN_NET ".1:"))
        fail_msg("a WARN for a node that said it stops:\n%s", c.log.buf);
    assert_true(l2->stopping_at != 0);
    assert_int_equal(l3->stopping_at, 0);
    assert_int_equal(count_in(&c.log, "peer is stopping (GOAWAY)"), 1);

    assert_true(tu_run_until(&loop, &closed, 3000));
    other.srv = NULL;
    node_stop(&other, &loop);
    tu_log_free(&other.log);
    server_stop(&n, &loop);
    finish(&loop, &n, &c);
}

/* The block of the tests of the news of a stop passed between contexts. */
#define STOP_NEWS_NET "127.1.212"

static void note_up_conns(sipc_conn *c, sipc_conn_event ev, int err, void *arg)
{
    (void)err;
    sipc_conn **up = arg; /* three */
    for (int i = 0; i < 3 && ev == SIPC_CONN_UP; i++)
        if (!up[i]) {
            up[i] = c;
            break;
        }
}

/* What a program does with a stop heard by one context: the node's other
 * service is at port, and told is the context with links to it. */
typedef struct stop_news {
    sipc_ctx *told, *told_other_id;
    int port;
    int heard, heard_port;
    char node[64], host[64];
} stop_news;

static void pass_stop_news(sipc_ctx *ctx, const char *node_id, const char *host, int port,
                           void *arg)
{
    (void)ctx;
    stop_news *sn = arg;
    sn->heard++;
    sn->heard_port = port;
    snprintf(sn->node, sizeof sn->node, "%s", node_id);
    snprintf(sn->host, sizeof sn->host, "%s", host);
    sipc_ctx_peer_stopping(sn->told, node_id, host, sn->port);
    sipc_ctx_peer_stopping(sn->told_other_id, "another", host, sn->port);
}

/* x's link to the node's address at port, up (its log is x's own: x stays put) */
static void open_client_up(client *x, uv_loop_t *loop, int port)
{
    x->sec = tu_security(SIPC_TLS_OFF, g_pem);
    /* a link that went down redials 300 to 600 ms later */
    x->ctx = new_ctx_redial(loop, "cli", x->sec, &x->log, 600, 600, NULL);
    assert_int_equal(sipc_channel_open(&x->ch, x->ctx, STOP_NEWS_NET ".1", port, NULL), 0);
    assert_true(wait_up(loop, x->ch, 3000) < 3000);
}

/* A node with two services stops. One context's link to the first hears
 * its GOAWAY, and the program (sipc_ctx_set_peer_stop_cb) passes the news
 * on to another context whose link to the second service is down then:
 * that link's refusal is expected too (DEBUG), no WARN. A context told
 * nothing, or told of another node id at that address, keeps the WARN. */
static void t_stop_news_passed_on(void **state)
{
    (void)state;
    uv_loop_t loop;
    node n = {0};
    assert_int_equal(uv_loop_init(&loop), 0);
    int p1 = node_start_at(&n, &loop, SIPC_TLS_OFF, STOP_NEWS_NET ".1", 0);
    sipc_server *s2;
    assert_int_equal(sipc_server_listen(&s2, n.ctx, "Test 2", STOP_NEWS_NET ".1", 0, n.router), 0);
    int p2 = sipc_server_port(s2);
    sipc_conn *up[3] = {0};
    sipc_server_set_conn_cb(s2, note_up_conns, up);
    client a = {0}, told = {0}, not_told = {0}, other_id = {0};
    open_client_up(&a, &loop, p1);
    open_client_up(&told, &loop, p2);
    open_client_up(&not_told, &loop, p2);
    open_client_up(&other_id, &loop, p2);
    stop_news sn = {.told = told.ctx, .told_other_id = other_id.ctx, .port = p2};
    sipc_ctx_set_peer_stop_cb(a.ctx, pass_stop_news, &sn);
    for (int i = 0; i < 3; i++)
        assert_non_null(up[i]);
    sipc_server_set_conn_cb(s2, NULL, NULL);

    /* the links to the second service go down; then the node stops */
    for (int i = 0; i < 3; i++)
        sipc_conn_close(up[i]);
    sipc_channel *second[3] = {told.ch, not_told.ch, other_id.ch};
    uint64_t t0 = now_ms(&loop);
    for (int i = 0; i < 3; i++)
        while (sipc_channel_is_up(second[i]) && now_ms(&loop) - t0 < 3000)
            uv_run(&loop, UV_RUN_ONCE);
    uint64_t stop = now_ms(&loop);
    assert_int_equal(sipc_server_drain(n.srv, 0), 1);
    assert_int_equal(sipc_server_drain(s2, 0), 0);
    assert_int_equal(sn.heard, 0);
    for (int i = 0; i < 3; i++)
        while (second[i]->err_at <= stop && now_ms(&loop) - stop < 3000)
            idle_for(&loop, 20);
    assert_int_equal(sn.heard, 1);
    assert_string_equal(sn.node, "srv");
    assert_string_equal(sn.host, STOP_NEWS_NET ".1");
    assert_int_equal(sn.heard_port, p1);
    char line[200];
    snprintf(line, sizeof line,
             "WARN Connection to " STOP_NEWS_NET ".1:%d closed: connection refused", p2);
    assert_true(wait_log(&loop, &not_told.log, line, 3000));
    assert_true(wait_log(&loop, &other_id.log, line, 3000));
    if (tu_log_has(&told.log, " WARN "))
        fail_msg("a WARN for a node that said it stops:\n%s", told.log.buf);
    snprintf(line, sizeof line,
             "DEBUG Connection to " STOP_NEWS_NET ".1:%d closed: connection refused", p2);
    assert_true(tu_log_has(&told.log, line));

    client *extra[3] = {&told, &not_told, &other_id};
    for (int i = 0; i < 3; i++)
        sipc_ctx_close(extra[i]->ctx, NULL, NULL);
    int closed = 0;
    sipc_server_close(s2, on_server_closed, &closed);
    assert_true(tu_run_until(&loop, &closed, 3000));
    server_stop(&n, &loop);
    finish(&loop, &n, &a);
    for (int i = 0; i < 3; i++) {
        sipc_security_release(extra[i]->sec);
        tu_log_free(&extra[i]->log);
    }
}

/* Links to one address coming up together (as a reload replaces every
 * link at once) log "Connected to" once, and the others as a count. */
#define BURST_LINKS 20
static void t_connected_limited(void **state)
{
    (void)state;
    uv_loop_t loop;
    node n = {0};
    client c = {0};
    int port = start_pair_at(&loop, &n, &c, SIPC_TLS_OFF, STOP_NET ".3");
    sipc_channel *ch[BURST_LINKS - 1];
    for (int i = 0; i < BURST_LINKS - 1; i++)
        assert_int_equal(sipc_channel_open(&ch[i], c.ctx, STOP_NET ".3", port, NULL), 0);
    for (int i = 0; i < BURST_LINKS - 1; i++)
        assert_true(wait_up(&loop, ch[i], 3000) < 3000);
    char line[200];
    snprintf(line, sizeof line, "INFO Connected to " STOP_NET ".3:%d (node srv, plaintext)\n",
             port);
    assert_int_equal(count_in(&c.log, "Connected to"), 1);
    assert_int_equal(count_in(&c.log, line), 1);
    /* the count, said when the context closes */
    sipc_ctx_close(c.ctx, NULL, NULL);
    idle_for(&loop, 50);
    int reports = 0;
    for (int span = 1; span <= 10; span++) {
        snprintf(line, sizeof line,
                 "INFO %d more like this in the last %d s: Connected to " STOP_NET
                 ".3:%d (node srv, plaintext)\n",
                 BURST_LINKS - 1, span, port);
        reports += count_in(&c.log, line);
    }
    if (reports != 1)
        fail_msg("no report of the %d lines held back:\n%s", BURST_LINKS - 1, c.log.buf);
    c.ctx = NULL;
    finish(&loop, &n, &c);
}

/* A port on addr that nothing listens on (bound, then closed). */
static int free_port(uv_loop_t *loop, const char *addr)
{
    uv_tcp_t t;
    assert_int_equal(uv_tcp_init(loop, &t), 0);
    struct sockaddr_in sa;
    uv_ip4_addr(addr, 0, &sa);
    assert_int_equal(uv_tcp_bind(&t, (struct sockaddr *)&sa, 0), 0);
    struct sockaddr_storage ss;
    int sl = sizeof ss;
    uv_tcp_getsockname(&t, (struct sockaddr *)&ss, &sl);
    int port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    uv_close((uv_handle_t *)&t, NULL);
    idle_for(loop, 10);
    return port;
}

/* Nodes started together come up a few ms apart: a refused dial of a link
 * that has never been up, in the context's first 10 s, is INFO; a refusal
 * after the link was up, or after those 10 s, stays a WARN. */
static void t_start_refused_info(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    uint64_t t0 = now_ms(&loop);
    client c = {0};
    c.sec = tu_security(SIPC_TLS_OFF, g_pem);
    c.ctx = new_ctx(&loop, "cli", c.sec, &c.log);
    int p1 = free_port(&loop, LINKS_NET ".1");
    assert_int_equal(sipc_channel_open(&c.ch, c.ctx, LINKS_NET ".1", p1, NULL), 0);
    idle_for(&loop, 1500);
    char line[200];
    snprintf(line, sizeof line, "INFO Connection to " LINKS_NET ".1:%d closed: connection refused", p1);
    assert_true(tu_log_has(&c.log, line));
    snprintf(line, sizeof line, "WARN Connection to " LINKS_NET ".1:%d closed", p1);
    assert_false(tu_log_has(&c.log, line));

    /* a link that was up: its peer gone, the refusal is a WARN at once */
    node n = {0};
    int p2 = node_start_at(&n, &loop, SIPC_TLS_OFF, LINKS_NET ".2", 0);
    sipc_channel *ch2;
    assert_int_equal(sipc_channel_open(&ch2, c.ctx, LINKS_NET ".2", p2, NULL), 0);
    assert_true(wait_up(&loop, ch2, 3000) < 3000);
    node_stop(&n, &loop);
    idle_for(&loop, 1500);
    assert_true(now_ms(&loop) - t0 < 10000);
    snprintf(line, sizeof line, "WARN Connection to " LINKS_NET ".2:%d closed: connection refused", p2);
    assert_true(tu_log_has(&c.log, line));

    /* the link never up, past the context's first 10 s: a WARN. The
     * context is made that old rather than waited out: each dial compares
     * its start (started_ms) with SIPC__START_GRACE_MS, and the link's next
     * dial, at most its 1 s cap away, must say WARN */
    c.ctx->started_ms -= SIPC__START_GRACE_MS;
    snprintf(line, sizeof line, "WARN Connection to " LINKS_NET ".1:%d closed: connection refused", p1);
    assert_true(wait_log(&loop, &c.log, line, 3000));
    tu_log_free(&n.log);
    finish(&loop, NULL, &c);
}

/* A link refused at first, then up: its last error and the reason that went
 * with it are both over, not the error cleared and the old reason kept. */
#define DETAIL_NET "127.2.1"
static void t_detail_cleared_when_up(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    client c = {0};
    c.sec = tu_security(SIPC_TLS_OFF, g_pem);
    c.ctx = new_ctx(&loop, "cli", c.sec, &c.log);
    int port = free_port(&loop, DETAIL_NET ".1");
    assert_int_equal(sipc_channel_open(&c.ch, c.ctx, DETAIL_NET ".1", port, NULL), 0);
    for (int i = 0; i < 100 && !sipc_channel_last_error(c.ch); i++)
        idle_for(&loop, 20);
    assert_int_equal(sipc_channel_last_error(c.ch), UV_ECONNREFUSED);
    assert_non_null(strstr(sipc_channel_last_detail(c.ch), "connection refused"));
    node n = {0};
    assert_int_equal(node_start_at(&n, &loop, SIPC_TLS_OFF, DETAIL_NET ".1", port), port);
    assert_true(wait_up(&loop, c.ch, 3000) < 3000);
    assert_int_equal(sipc_channel_last_error(c.ch), 0);
    assert_string_equal(sipc_channel_last_detail(c.ch), "");
    finish(&loop, &n, &c);
}

/* Counts the attempts of ch for ms. */
static int count_dials(uv_loop_t *loop, sipc_channel *ch, unsigned ms)
{
    int n = 0;
    uint64_t last = ch->last_dial, t0 = now_ms(loop);
    while (now_ms(loop) - t0 < ms) {
        uv_run(loop, UV_RUN_ONCE);
        if (ch->last_dial != last) {
            last = ch->last_dial;
            n += last - t0 < ms; /* uv_run may have waited past the end */
        }
    }
    return n;
}

/* A plaintext link to a strict node is refused for its mode: its backoff
 * grows past the 1 s cap (to 10 s), so the strict node is not asked for a
 * handshake about once a second; a change of this side's security (a
 * reload turning TLS on) redials at once, not at the end of that backoff. */
static void t_mode_refused_backoff(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    node n = {0};
    int port = node_start_at(&n, &loop, SIPC_TLS_STRICT, LINKS_NET ".3", 0);
    client c = {0};
    c.sec = tu_security(SIPC_TLS_OFF, g_pem);
    c.ctx = new_ctx(&loop, "cli", c.sec, &c.log);
    assert_int_equal(sipc_channel_open(&c.ch, c.ctx, LINKS_NET ".3", port, NULL), 0);
    /* the first dial, then delays drawn in [b/2, b] for b = 100 ms doubling
     * to 10 s: at most 6 more in 6 s (with the 1 s cap: at least 8) */
    int dials = count_dials(&loop, c.ch, 6000);
    print_message("refused for its mode: %d attempts in 6 s\n", dials);
    assert_int_equal(sipc_channel_last_error(c.ch), SIPC_ETLSONPLAIN);
    assert_true(dials >= 3);
    assert_true(dials <= 6);

    /* TLS turned on here while the next attempt is more than a second away */
    uint64_t t0 = now_ms(&loop);
    while (uv_timer_get_due_in(&c.ch->timer) <= 1000 && now_ms(&loop) - t0 < 12000)
        uv_run(&loop, UV_RUN_ONCE);
    assert_true(uv_timer_get_due_in(&c.ch->timer) > 1000);
    sipc_security *tls = tu_security(SIPC_TLS_STRICT, g_pem);
    assert_int_equal(sipc_ctx_set_security(c.ctx, tls), 0);
    sipc_security_release(tls);
    uint64_t took = wait_up(&loop, c.ch, 3000);
    print_message("security changed: link up after %llu ms\n", (unsigned long long)took);
    assert_true(took <= 500);
    finish(&loop, &n, &c);
}

/* A permissive link that fell back to plaintext and is then refused in
 * plaintext, the peer having turned strict before the plaintext dial,
 * offers TLS again at once (it redialled in plaintext until this side
 * reloaded), whatever backoff an outage before had built up. */
static void t_fallback_then_strict(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    client c = {0};
    c.sec = tu_security(SIPC_TLS_PERMISSIVE, g_pem);
    c.ctx = new_ctx(&loop, "cli", c.sec, &c.log);
    /* the peer down for 3 s first: the backoff grows past 3 s */
    int port = free_port(&loop, LINKS_NET ".4");
    assert_int_equal(sipc_channel_open(&c.ch, c.ctx, LINKS_NET ".4", port, NULL), 0);
    idle_for(&loop, 3000);
    assert_true(c.ch->backoff_ms >= 3000);
    node n = {0};
    assert_int_equal(node_start_at(&n, &loop, SIPC_TLS_OFF, LINKS_NET ".4", port), port);
    uint64_t t0 = now_ms(&loop);
    while (!c.ch->plain_fallback && now_ms(&loop) - t0 < 3000)
        uv_run(&loop, UV_RUN_ONCE);
    assert_true(c.ch->plain_fallback && !sipc_channel_is_up(c.ch));
    /* the node turns strict before it accepts the plaintext dial */
    sipc_security *strict = tu_security(SIPC_TLS_STRICT, g_pem);
    assert_int_equal(sipc_ctx_set_security(n.ctx, strict), 0);
    sipc_security_release(n.sec);
    n.sec = strict;
    uint64_t took = wait_up(&loop, c.ch, 5000);
    print_message("fell back, then refused in plaintext: up over TLS after %llu ms\n",
                  (unsigned long long)took);
    assert_true(took < 1000);
    sipc_link_info li;
    assert_int_equal(sipc_channel_info(c.ch, &li), 0);
    assert_true(li.tls);
    assert_true(tu_log_has(&c.log, "now requires TLS; this side offers TLS again"));
    finish(&loop, &n, &c);
}

/* What a node's server saw come up, by transport: what sipcd's strict guard
 * records of each peer (services/sipcd/peer_watch.c). */
typedef struct seen_ups {
    int plain, tls;
} seen_ups;

static void on_server_up(sipc_conn *conn, sipc_conn_event ev, int err, void *arg)
{
    (void)err;
    seen_ups *s = arg;
    sipc_peer_info pi;
    if (ev != SIPC_CONN_UP || sipc_conn_info(conn, &pi) != 0)
        return;
    if (pi.tls)
        s->tls++;
    else
        s->plain++;
}

/* Sets n's security to a new one of mode with the pair in pem. */
static void node_set_pair(node *n, sipc_tls_mode mode, const char *pem)
{
    sipc_security *sec = tu_security(mode, pem);
    assert_int_equal(sipc_ctx_set_security(n->ctx, sec), 0);
    sipc_security_release(n->sec);
    n->sec = sec;
}

/* Sets n's security to a new one of mode with the cluster's pair. */
static void node_set_mode(node *n, sipc_tls_mode mode)
{
    node_set_pair(n, mode, g_pem);
}

/* A node with TLS off on addr, its server's ups counted, and a permissive
 * client with a channel to it. */
static void start_fallback_pair(uv_loop_t *loop, node *n, seen_ups *ups, client *c,
                                const char *addr)
{
    assert_int_equal(uv_loop_init(loop), 0);
    int port = node_start_at(n, loop, SIPC_TLS_OFF, addr, 0);
    sipc_server_set_conn_cb(n->srv, on_server_up, ups);
    c->sec = tu_security(SIPC_TLS_PERMISSIVE, g_pem);
    c->ctx = new_ctx(loop, "cli", c->sec, &c->log);
    assert_int_equal(sipc_channel_open(&c->ch, c->ctx, addr, port, NULL), 0);
}

/* The rolling enable's race: the client's TLS refused by n (TLS off), then
 * n permissive with the pair in pem before it takes the plaintext retry,
 * which it takes in plaintext with the security it runs now (no reload
 * replaces it). Returns once that plaintext link is up. */
static void fall_back_into(uv_loop_t *loop, node *n, client *c, const char *pem)
{
    uint64_t t0 = now_ms(loop);
    while (!(c->ch->plain_fallback && !sipc_channel_is_up(c->ch)) && now_ms(loop) - t0 < 3000)
        uv_run(loop, UV_RUN_ONCE);
    assert_true(c->ch->plain_fallback && !sipc_channel_is_up(c->ch));
    node_set_pair(n, SIPC_TLS_PERMISSIVE, pem);
    assert_true(wait_up(loop, c->ch, 3000) < 3000);
    sipc_link_info li;
    assert_int_equal(sipc_channel_info(c->ch, &li), 0);
    assert_int_equal(li.tls, 0);
}

static void fall_back_into_permissive(uv_loop_t *loop, node *n, client *c)
{
    fall_back_into(loop, n, c, g_pem);
}

/* Runs the loop until c's link is up over TLS and the node has counted its
 * TLS connection up (the client may take the node's hello before the node
 * takes the client's), at most ms; returns the time taken. */
static uint64_t wait_up_tls(uv_loop_t *loop, client *c, const seen_ups *ups, unsigned ms)
{
    uint64_t t0 = now_ms(loop);
    sipc_link_info li = {0};
    while (now_ms(loop) - t0 < ms && !(li.up && li.tls && ups->tls)) {
        idle_for(loop, 10);
        assert_int_equal(sipc_channel_info(c->ch, &li), 0);
    }
    return now_ms(loop) - t0;
}

/* A plaintext link left by that race, idle, turns TLS within a second, and
 * the node sees a TLS connection from the client (what clears its strict
 * guard's record of the peer), without a call; it stays TLS. */
#define FALLBACK_NET "127.1.238"
static void t_fallback_then_permissive(void **state)
{
    (void)state;
    uv_loop_t loop;
    node n = {0};
    seen_ups ups = {0};
    client c = {0};
    start_fallback_pair(&loop, &n, &ups, &c, FALLBACK_NET ".1");
    fall_back_into_permissive(&loop, &n, &c);
    assert_int_equal(sipc_ctx_retire_connections(n.ctx, 0), 0); /* nothing a reload replaces */
    uint64_t took = wait_up_tls(&loop, &c, &ups, 3000);
    print_message("plaintext retry taken by a permissive node: %d plaintext and %d TLS "
                  "connections up there; the link %s after %llu ms\n",
                  ups.plain, ups.tls, ups.tls ? "TLS" : "still plaintext",
                  (unsigned long long)took);
    assert_int_equal(ups.plain, 1);
    assert_int_equal(ups.tls, 1);
    assert_true(took < 1000);
    assert_true(tu_log_has(&c.log, "takes TLS on this port now"));
    idle_for(&loop, 1500);
    sipc_link_info li;
    assert_int_equal(sipc_channel_info(c.ch, &li), 0);
    assert_true(li.up && li.tls);
    assert_int_equal(ups.plain + ups.tls, 2);
    finish(&loop, &n, &c);
}

/* Offering TLS again on such a link is not a loop: when the offer falls
 * back again (here the node is plaintext once more when it comes), the
 * next waits a second (then longer), so a peer that keeps refusing TLS
 * while it says it takes it is not asked for a handshake and a new link
 * over and over. */
static void t_reoffer_backs_off(void **state)
{
    (void)state;
    uv_loop_t loop;
    node n = {0};
    seen_ups ups = {0};
    client c = {0};
    start_fallback_pair(&loop, &n, &ups, &c, FALLBACK_NET ".2");
    fall_back_into_permissive(&loop, &n, &c);
    /* off again before the offer of TLS that follows at once reaches it */
    node_set_mode(&n, SIPC_TLS_OFF);
    fall_back_into_permissive(&loop, &n, &c);
    uint64_t took = wait_up_tls(&loop, &c, &ups, 4000);
    print_message("an offer of TLS that fell back: the next one up over TLS after %llu ms\n",
                  (unsigned long long)took);
    sipc_link_info li;
    assert_int_equal(sipc_channel_info(c.ch, &li), 0);
    assert_true(li.up && li.tls);
    assert_true(took >= 900);
    assert_int_equal(ups.plain, 2);
    assert_int_equal(ups.tls, 1);
    finish(&loop, &n, &c);
}

/* The TLS handshakes n's server failed (before a hello). */
static uint64_t hs_failures(const node *n)
{
    sipc_server_stats st;
    assert_int_equal(sipc_server_stats_get(n->srv, &st), 0);
    return st.handshake_failures_total;
}

/* Runs the loop until c's offer of TLS to replace its plaintext link was
 * refused and the link is up in plaintext again, at most ms. */
static void wait_tls_refused(uv_loop_t *loop, client *c, unsigned ms)
{
    uint64_t t0 = now_ms(loop);
    while (!(c->ch->tls_refused && sipc_channel_is_up(c->ch)) && now_ms(loop) - t0 < ms)
        uv_run(loop, UV_RUN_ONCE);
    sipc_link_info li;
    assert_int_equal(sipc_channel_info(c->ch, &li), 0);
    if (!c->ch->tls_refused || !li.up || li.tls)
        fail_msg("no plaintext link after a refused TLS: refused %d, up %d, tls %d, last error %s",
                 c->ch->tls_refused, li.up, li.tls, li.last_detail);
}

/* A permissive cluster whose nodes hold different pairs: the offer of TLS
 * that replaces a plaintext link to a node that says it takes TLS is
 * refused for its certificate (here this side does not trust the node's).
 * That verdict does not change by asking again: the link comes back in
 * plaintext, one WARN says why and what would change it, and no further
 * TLS handshake reaches the node while the link stays up. */
#define REFUSED_NET "127.1.251"
static void t_reoffer_refused_cert(void **state)
{
    (void)state;
    uv_loop_t loop;
    node n = {0};
    seen_ups ups = {0};
    client c = {0};
    start_fallback_pair(&loop, &n, &ups, &c, REFUSED_NET ".1");
    fall_back_into(&loop, &n, &c, g_other);
    wait_tls_refused(&loop, &c, 3000);
    assert_int_equal(c.ch->tls_refused, SIPC_EPEERAUTH);
    uint64_t hs = hs_failures(&n);
    assert_true(hs >= 1);
    /* re-offers were due after 1 and 2 s (and a link down redials sooner) */
    idle_for(&loop, 3500);
    sipc_link_info li;
    assert_int_equal(sipc_channel_info(c.ch, &li), 0);
    print_message("TLS refused for its certificate: %llu more handshake(s) at the node in 3.5 s, "
                  "%d plaintext link(s) up there, the link %s\n",
                  (unsigned long long)(hs_failures(&n) - hs), ups.plain,
                  li.up ? (li.tls ? "up over TLS" : "up in plaintext") : "down");
    assert_int_equal(hs_failures(&n), hs);
    assert_true(li.up && !li.tls);
    /* what the node's status shows under the link */
    assert_int_equal(li.tls_refused, SIPC_EPEERAUTH);
    assert_non_null(strstr(li.tls_refused_detail, "is not this cluster's key pair"));
    assert_int_equal(ups.plain, 2); /* the race's link, and the one after the refusal */
    assert_int_equal(ups.tls, 0);
    assert_int_equal(count_in(&c.log, "takes TLS but refused this side's TLS (SIPC_EPEERAUTH"), 1);
    assert_int_equal(count_in(&c.log, "the link stays plaintext"), 1);
    /* the fall back to plaintext that began it is a downgrade, warned of
     * once; the connection's own line is left to the refusal's */
    assert_int_equal(count_in(&c.log, "neither encrypted nor authenticated"), 1);
    assert_int_equal(count_in(&c.log, "WARN"), 2);
    finish(&loop, &n, &c);
}

/* A reload of this side (its security set anew) may bring the pair or
 * trust the node takes: the refused offer of TLS is made once more, at
 * once, and refused again the link stays plaintext as before. So does the
 * node's reload, which replaces the link (GOAWAY). */
static void t_reoffer_refused_rearmed(void **state)
{
    (void)state;
    uv_loop_t loop;
    node n = {0};
    seen_ups ups = {0};
    client c = {0};
    start_fallback_pair(&loop, &n, &ups, &c, REFUSED_NET ".2");
    fall_back_into(&loop, &n, &c, g_other);
    wait_tls_refused(&loop, &c, 3000);
    uint64_t hs = hs_failures(&n);
    idle_for(&loop, 1500);
    assert_int_equal(hs_failures(&n), hs);
    sipc_security *sec = tu_security(SIPC_TLS_PERMISSIVE, g_pem);
    assert_int_equal(sipc_ctx_set_security(c.ctx, sec), 0);
    sipc_security_release(c.sec);
    c.sec = sec;
    assert_int_equal(c.ch->tls_refused, 0);
    wait_tls_refused(&loop, &c, 3000);
    idle_for(&loop, 1500);
    print_message("this side reloaded: %llu more handshake(s) at the node\n",
                  (unsigned long long)(hs_failures(&n) - hs));
    assert_int_equal(hs_failures(&n), hs + 1);
    assert_int_equal(ups.plain, 3);
    assert_int_equal(count_in(&c.log, "takes TLS but refused this side's TLS"), 2);
    /* the node reloads and replaces the connections made before */
    node_set_pair(&n, SIPC_TLS_PERMISSIVE, g_other);
    assert_true(sipc_ctx_retire_connections(n.ctx, 0) >= 1);
    idle_for(&loop, 300);
    wait_tls_refused(&loop, &c, 3000);
    idle_for(&loop, 1500);
    assert_int_equal(hs_failures(&n), hs + 2);
    assert_int_equal(ups.plain, 4);
    assert_int_equal(count_in(&c.log, "takes TLS but refused this side's TLS"), 3);
    finish(&loop, &n, &c);
}

/* A link that goes down keeps the transport it had (sipc_link_info.tls,
 * and so the tls label of sipc_link_up): one series across an outage, and
 * a TLS link that is down is not taken for a plaintext one. */
static void t_down_link_keeps_transport(void **state)
{
    (void)state;
    static const sipc_tls_mode modes[] = {SIPC_TLS_STRICT, SIPC_TLS_OFF};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        uv_loop_t loop;
        assert_int_equal(uv_loop_init(&loop), 0);
        node n = {0};
        client c = {0};
        int port = node_start_at(&n, &loop, modes[i], "127.1.132.1", 0);
        c.sec = tu_security(modes[i], g_pem);
        c.ctx = new_ctx(&loop, "cli", c.sec, &c.log);
        assert_int_equal(sipc_channel_open(&c.ch, c.ctx, "127.1.132.1", port, NULL), 0);
        assert_true(wait_up(&loop, c.ch, 3000) < 3000);
        int tls = modes[i] != SIPC_TLS_OFF;
        sipc_link_info li;
        assert_int_equal(sipc_channel_info(c.ch, &li), 0);
        assert_int_equal(li.tls, tls);
        node_stop(&n, &loop);
        uint64_t t0 = now_ms(&loop);
        while (sipc_channel_is_up(c.ch) && now_ms(&loop) - t0 < 3000)
            uv_run(&loop, UV_RUN_ONCE);
        assert_int_equal(sipc_channel_info(c.ch, &li), 0);
        assert_int_equal(li.up, 0);
        if (li.tls != tls)
            fail_msg("a down link that was %s says tls=%d", tls ? "TLS" : "plaintext", li.tls);
        finish(&loop, &n, &c);
    }
}

typedef struct ff_result {
    int done, err;
    char message[700];
} ff_result;

static void on_ff(int err, const sipc_reply *reply, void *arg)
{
    ff_result *r = arg;
    r->done = 1;
    r->err = err;
    snprintf(r->message, sizeof r->message, "%s", reply && reply->message ? reply->message : "");
}

/* A peer name that does not resolve fails every redial: its WARN is said
 * once per interval with the count of those held back, as a refused dial's
 * is, not once a redial. */
static void t_unresolved_name_limited(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    client c = {0};
    c.sec = tu_security(SIPC_TLS_OFF, g_pem);
    c.ctx = new_ctx_redial(&loop, "cli", c.sec, &c.log, 20, 50, NULL); /* many redials in the test's time */
    assert_int_equal(sipc_channel_open(&c.ch, c.ctx, "nosuch.invalid", 7100, NULL), 0);
    uint64_t t0 = now_ms(&loop);
    while (now_ms(&loop) - t0 < 1500)
        idle_for(&loop, 100);
    assert_int_equal(sipc_channel_last_error(c.ch) != 0, 1);
    assert_non_null(strstr(sipc_channel_last_detail(c.ch), "cannot resolve nosuch.invalid"));
    int lines = count_in(&c.log, "Cannot resolve nosuch.invalid");
    print_message("%d WARN line(s) in 1.5 s of redials to a name that does not resolve\n", lines);
    assert_int_equal(lines, 1);
    finish(&loop, NULL, &c);
}

/* With fail-fast, a call toward a port where nothing listens fails at
 * once, and its message names the peer, as every other path's does. */
static void t_fail_fast_names_peer(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    int port = free_port(&loop, "127.1.132.2");
    client c = {0};
    c.sec = tu_security(SIPC_TLS_OFF, g_pem);
    c.ctx = new_ctx(&loop, "cli", c.sec, &c.log);
    assert_int_equal(sipc_channel_open(&c.ch, c.ctx, "127.1.132.2", port, NULL), 0);
    sipc_channel_set_fail_fast(c.ch, 1);
    ff_result r = {0};
    assert_int_equal(sipc_call(c.ch, "test", "echo", "x", 1, 5000, on_ff, &r), 0);
    uint64_t t0 = now_ms(&loop);
    while (!r.done && now_ms(&loop) - t0 < 3000)
        uv_run(&loop, UV_RUN_ONCE);
    assert_true(r.done);
    assert_int_equal(r.err, UV_ECONNREFUSED);
    char want[200];
    snprintf(want, sizeof want, "cannot connect to 127.1.132.2:%d: connection refused", port);
    if (strcmp(r.message, want))
        fail_msg("fail-fast message '%s', not '%s'", r.message, want);
    finish(&loop, NULL, &c);
}

int main(void)
{
    g_dir = tu_mkdtemp("links");
    if (!g_dir || tu_make_pair(g_dir, "node", "ec", 30, NULL, "sipc links cluster") != 0) {
        fprintf(stderr, "cannot generate test certificates with openssl\n");
        return 1;
    }
    snprintf(g_pem, sizeof g_pem, "%s/node.pem", g_dir);
    if (tu_make_pair(g_dir, "other", "ec", 30, NULL, "another cluster") != 0) {
        fprintf(stderr, "cannot generate test certificates with openssl\n");
        return 1;
    }
    snprintf(g_other, sizeof g_other, "%s/other.pem", g_dir);
    /* five lanes side by side (tests/support/lanes.h), of about 12 s each:
     * the cases wait out real backoffs, each lane on its own addresses */
    const struct CMUnitTest backoff[] = {
        cmocka_unit_test(t_mode_refused_backoff),
        cmocka_unit_test(t_server_drain),
        cmocka_unit_test(t_connected_limited),
        cmocka_unit_test(t_fail_fast_names_peer),
        cmocka_unit_test(t_unresolved_name_limited),
    };
    const struct CMUnitTest dead[] = {
        cmocka_unit_test(t_dead_peer_attempts_bounded),
        cmocka_unit_test(t_down_reason_age),
        cmocka_unit_test(t_reload_moves_busy_connection),
        cmocka_unit_test(t_goaway_ignored_by_old_client),
        cmocka_unit_test(t_stop_then_back),
        cmocka_unit_test(t_down_link_keeps_transport),
    };
    const struct CMUnitTest hello[] = {
        cmocka_unit_test(t_peer_hello_redials),
        cmocka_unit_test(t_start_refused_info),
        cmocka_unit_test(t_stop_known_to_down_link),
        cmocka_unit_test(t_stop_news_passed_on),
        cmocka_unit_test(t_detail_cleared_when_up),
    };
    const struct CMUnitTest restart[] = {
        cmocka_unit_test(t_restart_reached_fast),
        cmocka_unit_test(t_fallback_then_strict),
        cmocka_unit_test(t_fallback_then_permissive),
        cmocka_unit_test(t_reoffer_backs_off),
        cmocka_unit_test(t_stop_reads_as_stopping),
        cmocka_unit_test(t_goaway_grace),
    };
    const struct CMUnitTest refused[] = {
        cmocka_unit_test(t_reoffer_refused_cert),
        cmocka_unit_test(t_reoffer_refused_rearmed),
    };
    const tu_lane lanes[] = {
        TU_LANE("links backoff", backoff, NULL), TU_LANE("links dead peer", dead, NULL),
        TU_LANE("links hello", hello, NULL), TU_LANE("links restart", restart, NULL),
        TU_LANE("links TLS refused", refused, NULL)};
    int fails = tu_run_lanes(lanes, sizeof lanes / sizeof lanes[0]);
    tu_rmdir(g_dir);
    free(g_dir);
    return fails ? 1 : 0;
}
