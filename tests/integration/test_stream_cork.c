/* test_stream_cork.c - a corked write (sipc_stream_cork) on a real plaintext
 * stream: which end it keeps back, against the segment size the stream
 * reads (TCP_MAXSEG, set here through the linker's --wrap of getsockopt: a
 * size, 0, a negative one, one larger than any write, or a failed call),
 * and that the kept end reaches the peer, after what went before and before
 * what follows, by a push, the next write or a graceful close; an abort
 * drops it, as it drops what is queued. The peer is a raw socket; over TCP
 * on 127.1.199.10. And over TLS, through the library: a 64 KiB answer
 * written corked, its end kept, then the connection closed at once: the
 * caller gets the answer whole (127.1.199.11-12). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "sipc/sipc.h"
#include "testutil.h"
#include "transport/stream.h"

#define ADDR "127.1.199.10"
#define TLS_SERVER "127.1.199.11"
#define TLS_SOURCE "127.1.199.12"
#define ANSWER_LEN 65536

static char *g_dir;
static char g_pem[512];

/* what the wrapped getsockopt answers for TCP_MAXSEG */
enum { MSS_REAL, MSS_VALUE, MSS_FAIL };
static int g_mss_mode = MSS_REAL;
static int g_mss;

int __real_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int __wrap_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int __wrap_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    if (level != IPPROTO_TCP || name != TCP_MAXSEG || g_mss_mode == MSS_REAL)
        return __real_getsockopt(fd, level, name, val, len);
    if (g_mss_mode == MSS_FAIL) {
        errno = ENOPROTOOPT;
        return -1;
    }
    memcpy(val, &g_mss, sizeof g_mss);
    *len = sizeof g_mss;
    return 0;
}

typedef struct cork_world {
    uv_loop_t loop;
    sipc_stream_listener l;
    sipc_stream *s; /* the accepted stream, written corked */
    int peer;       /* the raw client */
    int ready, closed, errors;
    uint64_t sent;  /* bytes written to s, ever: the pattern's offset */
} cork_world;

static void ev_ready(sipc_stream *s)
{
    ((cork_world *)sipc_stream_owner(s))->ready = 1;
}

static int ev_data(sipc_stream *s, const uint8_t *p, size_t n)
{
    (void)s;
    (void)p;
    (void)n;
    return 0;
}

static void ev_error(sipc_stream *s, int err, const char *detail)
{
    (void)err;
    (void)detail;
    ((cork_world *)sipc_stream_owner(s))->errors++;
}

static void ev_closed(sipc_stream *s)
{
    ((cork_world *)sipc_stream_owner(s))->closed = 1;
}

static const sipc_stream_events events = {
    .ready = ev_ready, .data = ev_data, .error = ev_error, .closed = ev_closed};

static void on_conn(uv_stream_t *server, int status)
{
    cork_world *w = server->data;
    assert_int_equal(status, 0);
    assert_int_equal(sipc_stream_accept(&w->s, &w->l, SIPC_STREAM_PLAIN, NULL, &events, w), 0);
}

static void on_listener_closed(sipc_stream_listener *l)
{
    (void)l;
}

/* A stream accepted from a raw peer; mss: the segment size it reads, 0 for
 * the kernel's. */
static cork_world *world_up(int mss)
{
    cork_world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    assert_int_equal(uv_loop_init(&w->loop), 0);
    struct sockaddr_in a;
    assert_int_equal(uv_ip4_addr(ADDR, 0, &a), 0);
    assert_int_equal(sipc_stream_listen(&w->l, &w->loop, (struct sockaddr *)&a, 8, on_conn), 0);
    w->l.tcp.data = w;
    int len = sizeof a;
    assert_int_equal(uv_tcp_getsockname(&w->l.tcp, (struct sockaddr *)&a, &len), 0);
    w->peer = tu_tcp_connect(ADDR, ADDR, ntohs(a.sin_port));
    assert_true(w->peer >= 0);
    /* the first byte opens the stream as plaintext */
    assert_int_equal(write(w->peer, "x", 1), 1);
    assert_true(tu_run_until(&w->loop, &w->ready, 5000));
    g_mss_mode = mss ? MSS_VALUE : MSS_REAL;
    g_mss = mss;
    return w;
}

static void world_down(cork_world *w)
{
    if (w->s && !w->closed)
        sipc_stream_abort(w->s);
    sipc_stream_listener_close(&w->l, on_listener_closed);
    assert_true(tu_drain(&w->loop, 5000));
    assert_int_equal(uv_loop_close(&w->loop), 0);
    if (w->peer >= 0)
        close(w->peer);
    free(w);
    g_mss_mode = MSS_REAL;
}

static uint8_t pattern(uint64_t at)
{
    return (uint8_t)(at * 131 + (at >> 8) + 7);
}

/* Writes n bytes of the pattern to s, corked; returns what s kept. */
static size_t write_corked(cork_world *w, size_t n)
{
    sipc_buf b = {0};
    assert_int_equal(sipc_buf_reserve(&b, n), 0);
    for (size_t i = 0; i < n; i++)
        b.data[i] = pattern(w->sent + i);
    b.len = n;
    w->sent += n;
    sipc_stream_cork(w->s, 1);
    assert_int_equal(sipc_stream_write(w->s, &b), 0);
    sipc_stream_cork(w->s, 0);
    sipc_buf_free(&b);
    return sipc_stream_kept(w->s);
}

/* Reads exactly n bytes from the peer (bounded wait), which must continue
 * the pattern from *at. */
static void peer_reads(cork_world *w, uint64_t *at, size_t n)
{
    uint8_t buf[65536];
    for (int waits = 0; n; waits++) {
        /* what the socket did not take leaves as the loop runs */
        uv_run(&w->loop, UV_RUN_NOWAIT);
        struct pollfd p = {w->peer, POLLIN, 0};
        assert_true(waits < 500);
        if (poll(&p, 1, 10) != 1)
            continue;
        ssize_t r = recv(w->peer, buf, n < sizeof buf ? n : sizeof buf, 0);
        assert_true(r > 0);
        for (ssize_t i = 0; i < r; i++)
            assert_int_equal(buf[i], pattern(*at + (uint64_t)i));
        *at += (uint64_t)r;
        n -= (size_t)r;
    }
}

/* Nothing more waits for the peer now (loopback delivers within the send). */
static void peer_has_nothing(cork_world *w)
{
    uint8_t c;
    assert_int_equal(recv(w->peer, &c, 1, MSG_DONTWAIT), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

/* The end kept is the write's length modulo the segment size, when it is
 * at most a quarter of a segment and behind a whole one, for writes of
 * 4 KiB or more; the rest leaves at once. */
static void t_kept_end(void **state)
{
    (void)state;
    cork_world *w = world_up(10000);
    static const struct {
        size_t len, kept;
    } cases[] = {
        {10000 + 2500, 2500}, /* a quarter segment, behind a whole one */
        {10000 + 2501, 0},    /* a byte over */
        {10000 + 1, 1},
        {3 * 10000 + 7, 7},
        {10000, 0},           /* whole segments */
        {6000, 0},            /* no whole segment before it */
        {9999, 0},
    };
    uint64_t at = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t kept = write_corked(w, cases[i].len);
        print_message("%zu bytes, segments of %d: %zu kept\n", cases[i].len, g_mss, kept);
        assert_int_equal(kept, cases[i].kept);
        peer_reads(w, &at, cases[i].len - kept);
        peer_has_nothing(w);
        assert_int_equal(sipc_stream_queued(w->s), kept);
        assert_int_equal(sipc_stream_push(w->s), 0);
        assert_int_equal(sipc_stream_kept(w->s), 0);
        peer_reads(w, &at, kept);
        peer_has_nothing(w);
    }
    /* small writes never ask: 4095 bytes over segments of 1000 */
    g_mss = 1000;
    assert_int_equal(write_corked(w, 4095), 0);
    assert_int_equal(write_corked(w, 4096 + 100), 196);
    assert_int_equal(sipc_stream_push(w->s), 0);
    peer_reads(w, &at, 4095 + 4196);
    assert_int_equal(w->errors, 0);
    world_down(w);
}

/* A segment size that cannot be read, or makes no sense, keeps nothing. */
static void t_segment_size_unknown(void **state)
{
    (void)state;
    cork_world *w = world_up(0);
    static const int sizes[] = {0, -1, 1 << 30};
    uint64_t at = 0;
    for (int i = 0; i < 4; i++) {
        g_mss_mode = i < 3 ? MSS_VALUE : MSS_FAIL;
        g_mss = i < 3 ? sizes[i] : 0;
        assert_int_equal(write_corked(w, 70000), 0);
        peer_reads(w, &at, 70000);
    }
    world_down(w);
}

/* The kept end leaves at the head of the next write, whether corked or
 * not, and a graceful close sends it before its FIN. */
static void t_kept_end_next_write_close(void **state)
{
    (void)state;
    cork_world *w = world_up(10000);
    uint64_t at = 0;
    assert_int_equal(write_corked(w, 20100), 100);
    assert_int_equal(write_corked(w, 20050), 150); /* 100 + 20050 = 2 segments + 150 */
    peer_reads(w, &at, 20100 + 20050 - 150);
    peer_has_nothing(w);
    sipc_buf b = {0};
    assert_int_equal(sipc_buf_reserve(&b, 10), 0);
    for (int i = 0; i < 10; i++)
        b.data[i] = pattern(w->sent + (uint64_t)i);
    b.len = 10;
    w->sent += 10;
    assert_int_equal(sipc_stream_write(w->s, &b), 0); /* not corked */
    sipc_buf_free(&b);
    assert_int_equal(sipc_stream_kept(w->s), 0);
    peer_reads(w, &at, 160);
    assert_int_equal(write_corked(w, 10000 + 42), 42);
    sipc_stream_close(w->s);
    assert_true(tu_run_until(&w->loop, &w->closed, 5000));
    peer_reads(w, &at, 10042);
    uint8_t c;
    assert_int_equal(recv(w->peer, &c, 1, 0), 0); /* then the FIN */
    assert_int_equal(at, w->sent);
    world_down(w);
}

/* An abort drops the kept end with the rest of what waits. */
static void t_kept_end_abort(void **state)
{
    (void)state;
    cork_world *w = world_up(10000);
    uint64_t at = 0;
    assert_int_equal(write_corked(w, 10000 + 42), 42);
    sipc_stream_abort(w->s);
    assert_true(tu_run_until(&w->loop, &w->closed, 5000));
    peer_reads(w, &at, 10000);
    uint8_t c;
    assert_true(recv(w->peer, &c, 1, 0) <= 0);
    world_down(w);
}

typedef struct answer {
    size_t kept;   /* what the server's connection still held after answering */
    int done, err;
    size_t len;
    int whole;     /* the answer's bytes are the pattern */
} answer;

/* Answers with ANSWER_LEN bytes of the pattern, then closes the connection. */
static void h_answer_close(sipc_request *req, void *arg)
{
    answer *a = arg;
    static uint8_t p[ANSWER_LEN];
    for (size_t i = 0; i < sizeof p; i++)
        p[i] = pattern(i);
    sipc_conn *c = sipc_request_conn(req);
    assert_int_equal(sipc_respond(req, p, sizeof p), 0);
    a->kept = sipc_conn_write_queue(c);
    sipc_conn_close(c);
}

static void on_answer(int err, const sipc_reply *rep, void *arg)
{
    answer *a = arg;
    a->done = 1;
    a->err = err;
    a->len = rep->len;
    a->whole = rep->len == ANSWER_LEN;
    for (size_t i = 0; a->whole && i < rep->len; i++)
        a->whole = rep->data[i] == pattern(i);
}

static sipc_ctx *tls_ctx(uv_loop_t *loop, sipc_security *sec, const char *node)
{
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = node;
    o.cluster = "test";
    o.source_address = TLS_SOURCE;
    sipc_ctx *ctx;
    assert_int_equal(sipc_ctx_new(&ctx, loop, &o, sec), 0);
    return ctx;
}

static void t_tls_answer_then_close(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_security *sec = tu_security(SIPC_TLS_STRICT, g_pem);
    sipc_ctx *sctx = tls_ctx(&loop, sec, "srv"), *cctx = tls_ctx(&loop, sec, "cli");
    answer a = {0};
    sipc_router *router;
    sipc_server *srv;
    sipc_channel *ch;
    assert_int_equal(sipc_router_new(&router), 0);
    assert_int_equal(sipc_router_add(router, "svc", "answer", h_answer_close, &a), 0);
    assert_int_equal(sipc_server_listen(&srv, sctx, "Cork", TLS_SERVER, 0, router), 0);
    assert_int_equal(sipc_channel_open(&ch, cctx, TLS_SERVER, sipc_server_port(srv), NULL), 0);
    /* the answer's records, about 65,700 bytes, end 5,7xx bytes into a
     * second segment of 60,000: kept */
    g_mss_mode = MSS_VALUE;
    g_mss = 60000;
    assert_int_equal(sipc_call(ch, "svc", "answer", "q", 1, 5000, on_answer, &a), 0);
    assert_true(tu_run_until(&loop, &a.done, 10000));
    g_mss_mode = MSS_REAL;
    print_message("kept %zu bytes of the answer, then closed\n", a.kept);
    assert_true(a.kept > 0 && a.kept <= 60000 / 4);
    assert_int_equal(a.err, 0);
    assert_int_equal(a.len, ANSWER_LEN);
    assert_true(a.whole);
    sipc_ctx_close(cctx, NULL, NULL);
    sipc_ctx_close(sctx, NULL, NULL);
    assert_true(tu_drain(&loop, 5000));
    assert_int_equal(uv_loop_close(&loop), 0);
    sipc_security_release(sec);
    sipc_router_free(router);
}

int main(void)
{
    g_dir = tu_mkdtemp("stream_cork");
    if (!g_dir || tu_make_pair(g_dir, "node", "ec", 30, NULL, "sipc test cluster") != 0) {
        fprintf(stderr, "cannot generate test certificates with openssl/faketime\n");
        return 1;
    }
    snprintf(g_pem, sizeof g_pem, "%s/node.pem", g_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_kept_end),
        cmocka_unit_test(t_segment_size_unknown),
        cmocka_unit_test(t_kept_end_next_write_close),
        cmocka_unit_test(t_kept_end_abort),
        cmocka_unit_test(t_tls_answer_then_close),
    };
    int fails = cmocka_run_group_tests(tests, NULL, NULL);
    tu_rmdir(g_dir);
    free(g_dir);
    return fails ? 1 : 0;
}
