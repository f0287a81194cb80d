/* test_conn.c - the connection state machine (ipc/conn.c, calls.c,
 * requests.c) driven through an in-memory stream (mem_stream.c): the test
 * plays the peer byte for byte. Hello, requests and answers, ping/pong,
 * keepalive and idle, call deadlines, closes with calls pending, the pending
 * request cap, SIPC_CONN_WRITABLE, cancel, large answers written from where
 * they lie (and that write failing halfway). No sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipc/internal.h"
#include "mem_stream.h"
#include "testutil.h"

typedef struct tc {
    uv_loop_t loop;
    sipc_security *sec;
    sipc_ctx *ctx;
    sipc_router *router;
    sipc_conn *c;
    sipc_stream *a, *raw; /* the connection's end, the test's end */
    sipc_buf rx;          /* what the connection sent, taken from raw */
    size_t rx_off;        /* frames before this offset were read */
    tu_log log;
    int ups, downs, down_err, writable, freed, ctx_closed;
    int hold;
    sipc_request *held[16];
    int nheld;
    int64_t seen_deadline;
    sipc_peer_info down_info; /* sipc_conn_info as the connection went down */
} tc;

/* ------------------------------------------------------------ owner */

static void own_up(void *owner, sipc_conn *c)
{
    (void)c;
    ((tc *)owner)->ups++;
}

static void own_writable(void *owner, sipc_conn *c)
{
    (void)c;
    ((tc *)owner)->writable++;
}

static void own_down(void *owner, sipc_conn *c, int err, const char *detail, int was_up,
                     int got_bytes)
{
    (void)detail, (void)was_up, (void)got_bytes;
    tc *t = owner;
    t->downs++;
    t->down_err = err;
    sipc_conn_info(c, &t->down_info);
}

static void own_freed(void *owner)
{
    ((tc *)owner)->freed++;
}

static const sipc_conn_owner_ops own_ops = {
    .up = own_up, .writable = own_writable, .down = own_down, .freed = own_freed};

/* ------------------------------------------------------------ handlers */

static void h_echo(sipc_request *req, void *arg)
{
    tc *t = arg;
    t->seen_deadline = sipc_request_deadline_ms(req);
    if (t->hold) {
        assert_true(t->nheld < 16);
        t->held[t->nheld++] = req;
        return;
    }
    size_t len;
    const void *p = sipc_request_data(req, &len);
    assert_int_equal(sipc_respond(req, p, len), 0);
}

static void h_empty(sipc_request *req, void *arg)
{
    (void)arg;
    assert_int_equal(sipc_respond(req, NULL, 0), 0);
}

/* ------------------------------------------------------------ set-up */

static void tc_open(tc *t, const sipc_options *opts)
{
    memset(t, 0, sizeof *t);
    assert_int_equal(uv_loop_init(&t->loop), 0);
    sipc_options o;
    if (opts)
        o = *opts;
    else
        sipc_options_init(&o);
    o.node_id = "under-test";
    o.cluster = "test";
    o.log = tu_log_sink;
    o.log_arg = &t->log;
    assert_int_equal(sipc_security_plain(&t->sec), 0);
    assert_int_equal(sipc_ctx_new(&t->ctx, &t->loop, &o, t->sec), 0);
    assert_int_equal(sipc_router_new(&t->router), 0);
    assert_int_equal(sipc_router_add(t->router, "test", "echo", h_echo, t), 0);
    assert_int_equal(sipc_router_add(t->router, "test", "empty", h_empty, t), 0);
    ms_pair(&t->a, &sipc__conn_stream_events, &t->raw, NULL);
    assert_int_equal(sipc__conn_new(&t->c, t->ctx, t->sec, t->a, 1, t->router, &own_ops, t), 0);
    ms_ready(t->a);
    ms_pump(&t->loop);
}

static void on_ctx_closed(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    ((tc *)arg)->ctx_closed = 1;
}

static void tc_close(tc *t)
{
    for (int i = 0; i < t->nheld; i++)
        sipc_respond(t->held[i], NULL, 0);
    t->nheld = 0;
    if (!t->downs)
        sipc_conn_close(t->c);
    if (t->raw) {
        ms_close(t->raw);
        t->raw = NULL;
    }
    ms_pump(&t->loop);
    assert_int_equal(t->freed, 1);
    assert_int_equal(ms_live(), 0);
    sipc_ctx_close(t->ctx, on_ctx_closed, t);
    assert_true(tu_run_until(&t->loop, &t->ctx_closed, 2000));
    assert_int_equal(uv_loop_close(&t->loop), 0);
    sipc_security_release(t->sec);
    sipc_router_free(t->router);
    sipc_buf_free(&t->rx);
    tu_log_free(&t->log);
}

/* Real time passes (timers), bytes keep moving, until *flag or ms. */
static void spin_until(tc *t, const int *flag, unsigned ms)
{
    uint64_t end = uv_now(&t->loop) + ms;
    while (!*flag && uv_now(&t->loop) < end) {
        ms_pump(&t->loop);
        if (*flag)
            break;
        int never = 0;
        tu_run_until(&t->loop, &never, 5);
    }
    ms_pump(&t->loop);
}

/* ------------------------------------------------------ the test's peer */

static void peer_send(tc *t, const sipc_env_out *e)
{
    sipc_buf b = {0};
    assert_int_equal(sipc_env_encode(&b, e, 16u << 20), 0);
    ms_write(t->raw, b.data, b.len);
    sipc_buf_free(&b);
}

static void peer_hello(tc *t, const char *cluster)
{
    Sipc__Hello h = SIPC__HELLO__INIT;
    h.protocol_version = SIPC_PROTOCOL_VERSION;
    h.node_id = "peer";
    h.cluster = (char *)cluster;
    h.software = "test";
    uint8_t buf[128];
    size_t n = sipc__hello__pack(&h, buf);
    sipc_env_out e = {.kind = SIPC__KIND__HELLO, .payload = buf, .payload_len = n};
    peer_send(t, &e);
    ms_pump(&t->loop);
}

static void peer_request(tc *t, uint64_t id, const char *method, const char *data,
                         uint32_t deadline_ms)
{
    sipc_env_out e = {.kind = id ? SIPC__KIND__REQUEST : SIPC__KIND__ONE_WAY,
                      .request_id = id,
                      .service = "test",
                      .method = method,
                      .payload = data,
                      .payload_len = data ? strlen(data) : 0,
                      .deadline_ms = deadline_ms};
    peer_send(t, &e);
}

/* The next frame the connection sent, or NULL when there is none yet. */
static Sipc__Envelope *peer_next(tc *t)
{
    ms_take(t->raw, &t->rx);
    if (t->rx.len - t->rx_off < 4)
        return NULL;
    const uint8_t *p = t->rx.data + t->rx_off;
    size_t n = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    assert_true(t->rx.len - t->rx_off >= 4 + n); /* frames are written whole */
    Sipc__Envelope *env = sipc__envelope__unpack(NULL, n, p + 4);
    assert_non_null(env);
    t->rx_off += 4 + n;
    return env;
}

/* The next frame must be of this kind and id. */
static Sipc__Envelope *peer_expect(tc *t, Sipc__Kind kind, uint64_t id)
{
    Sipc__Envelope *env = peer_next(t);
    assert_non_null(env);
    assert_int_equal(env->kind, kind);
    assert_int_equal(env->request_id, id);
    return env;
}

static void peer_expect_free(tc *t, Sipc__Kind kind, uint64_t id)
{
    sipc__envelope__free_unpacked(peer_expect(t, kind, id), NULL);
}

/* Opened, and both hellos exchanged. */
static void tc_up(tc *t, const sipc_options *opts)
{
    tc_open(t, opts);
    peer_expect_free(t, SIPC__KIND__HELLO, 0);
    peer_hello(t, "test");
    assert_int_equal(t->ups, 1);
}

/* Up, with handlers that hold every request, max_pending_requests max. */
/* Up, with max_write_queue bytes of output allowed before it counts as full. */
static void tc_up_queue(tc *t, size_t max_write_queue)
{
    sipc_options o;
    sipc_options_init(&o);
    o.max_write_queue = max_write_queue;
    tc_up(t, &o);
}

static void tc_up_holding(tc *t, uint32_t max)
{
    sipc_options o;
    sipc_options_init(&o);
    o.max_pending_requests = max;
    tc_up(t, &o);
    t->hold = 1;
}

/* One call's outcome. */
typedef struct outcome {
    int n, err, status;
    char message[600];
    char data[64];
    size_t len;
} outcome;

static void on_done(int err, const sipc_reply *rep, void *arg)
{
    outcome *o = arg;
    o->n++;
    o->err = err;
    o->status = rep->status;
    snprintf(o->message, sizeof o->message, "%s", rep->message);
    o->len = rep->len;
    memcpy(o->data, rep->data ? (const char *)rep->data : "", rep->len < 63 ? rep->len : 63);
}

/* ------------------------------------------------------------ tests */

/* A large answer leaves from the handler's buffer (the direct write); when
 * that write fails halfway, the connection closes with the error, and no
 * frame queued after it follows the half-written one (it would read as its
 * rest). */
static void t_direct_write_failure(void **state)
{
    (void)state;
    tc t;
    tc_up(&t, NULL);
    t.hold = 1;
    static char big[70001];
    memset(big, 'b', sizeof big - 1);
    peer_request(&t, 10, "echo", big, 0);
    peer_request(&t, 11, "echo", "small", 0);
    ms_pump(&t.loop);
    assert_int_equal(t.nheld, 2);
    size_t len;
    const void *p = sipc_request_data(t.held[0], &len);
    ms_fail_parts(t.a, SIPC_ENOMEM);
    assert_int_equal(sipc_respond(t.held[0], p, len), 0); /* failed later, not under us */
    assert_int_equal(t.downs, 0);
    p = sipc_request_data(t.held[1], &len);
    assert_int_equal(sipc_respond(t.held[1], p, len), 0);
    t.nheld = 0;
    ms_pump(&t.loop);
    assert_int_equal(t.downs, 1);
    assert_int_equal(t.down_err, SIPC_ENOMEM);
    assert_true(tu_log_has(&t.log, "write to the socket failed"));
    /* what the peer got: the start of answer 10 and nothing after it */
    ms_take(t.raw, &t.rx);
    const uint8_t *q = t.rx.data + t.rx_off;
    size_t have = t.rx.len - t.rx_off;
    assert_true(have > 4);
    size_t n = (size_t)q[0] << 24 | (size_t)q[1] << 16 | (size_t)q[2] << 8 | q[3];
    assert_true(n > sizeof big);
    assert_true(have < 4 + n);
    assert_null(memmem(q, have, "small", 5));
    tc_close(&t);
}

/* A large answer that is written whole arrives whole, after what was
 * queued before it. */
static void t_direct_write(void **state)
{
    (void)state;
    tc t;
    tc_up(&t, NULL);
    static char big[70001];
    memset(big, 'c', sizeof big - 1);
    peer_request(&t, 12, "echo", "first", 0);
    peer_request(&t, 13, "echo", big, 500);
    ms_pump(&t.loop);
    peer_expect_free(&t, SIPC__KIND__RESPONSE, 12);
    Sipc__Envelope *env = peer_expect(&t, SIPC__KIND__RESPONSE, 13);
    assert_int_equal(env->payload.len, sizeof big - 1);
    assert_memory_equal(env->payload.data, big, sizeof big - 1);
    sipc__envelope__free_unpacked(env, NULL);
    tc_close(&t);
}

static void t_hello(void **state)
{
    (void)state;
    tc t;
    tc_open(&t, NULL);
    /* ours goes out at once, without waiting for the peer's */
    Sipc__Envelope *env = peer_expect(&t, SIPC__KIND__HELLO, 0);
    assert_int_equal(env->version, 1);
    Sipc__Hello *h = sipc__hello__unpack(NULL, env->payload.len, env->payload.data);
    assert_non_null(h);
    assert_string_equal(h->node_id, "under-test");
    assert_string_equal(h->cluster, "test");
    assert_int_equal(h->protocol_version, 1);
    sipc__hello__free_unpacked(h, NULL);
    sipc__envelope__free_unpacked(env, NULL);
    assert_int_equal(t.ups, 0);
    assert_int_equal(sipc_conn_call(t.c, "test", "echo", NULL, 0, 0, on_done, NULL), SIPC_ENOTCONN);
    peer_hello(&t, "test");
    assert_int_equal(t.ups, 1);
    sipc_peer_info pi;
    sipc_conn_info(t.c, &pi);
    assert_string_equal(pi.peer_node, "peer");
    assert_string_equal(pi.peer_cluster, "test");
    assert_int_equal(pi.peer_cluster_cut, 0);
    assert_int_equal(pi.tls, 0);
    tc_close(&t);

    /* another cluster: an ERROR with id 0 names both, then the close */
    tc_open(&t, NULL);
    peer_expect_free(&t, SIPC__KIND__HELLO, 0);
    peer_hello(&t, "other");
    env = peer_expect(&t, SIPC__KIND__ERROR, 0);
    assert_int_equal(env->status, SIPC_ECLUSTER);
    assert_non_null(strstr(env->message, "'other'"));
    sipc__envelope__free_unpacked(env, NULL);
    assert_int_equal(t.ups, 0);
    assert_int_equal(t.downs, 1);
    assert_int_equal(t.down_err, SIPC_ECLUSTER);
    assert_string_equal(t.down_info.peer_cluster, "other");
    assert_int_equal(t.down_info.peer_cluster_cut, 0);
    tc_close(&t);
    /* one longer than peer_cluster holds: its start, and said to be cut (the
     * flag came after the fields a program built against an older header
     * knows) */
    assert_true(offsetof(sipc_peer_info, peer_cluster_cut) > offsetof(sipc_peer_info, tls_direct));
    {
        char longer[71];
        memset(longer, 'L', sizeof longer - 1);
        longer[sizeof longer - 1] = '\0';
        tc_open(&t, NULL);
        peer_expect_free(&t, SIPC__KIND__HELLO, 0);
        peer_hello(&t, longer);
        peer_expect_free(&t, SIPC__KIND__ERROR, 0);
        assert_int_equal(t.down_err, SIPC_ECLUSTER);
        longer[63] = '\0';
        assert_string_equal(t.down_info.peer_cluster, longer);
        assert_int_equal(t.down_info.peer_cluster_cut, 1);
        tc_close(&t);
    }

    /* another protocol version: the message names the value that differs */
    tc_open(&t, NULL);
    peer_expect_free(&t, SIPC__KIND__HELLO, 0);
    {
        Sipc__Hello h2 = SIPC__HELLO__INIT;
        h2.protocol_version = 2;
        h2.node_id = "peer";
        h2.cluster = "test";
        uint8_t buf[128];
        size_t n = sipc__hello__pack(&h2, buf);
        sipc_env_out e = {.kind = SIPC__KIND__HELLO, .payload = buf, .payload_len = n};
        peer_send(&t, &e);
        ms_pump(&t.loop);
    }
    env = peer_expect(&t, SIPC__KIND__ERROR, 0);
    assert_int_equal(env->status, SIPC_EVERSION);
    assert_non_null(strstr(env->message, "speaks version 1"));
    assert_non_null(strstr(env->message, "sent a hello of version 2 in an envelope of version 1"));
    sipc__envelope__free_unpacked(env, NULL);
    assert_int_equal(t.down_err, SIPC_EVERSION);
    tc_close(&t);

    /* names with control characters, broken UTF-8, or characters that
     * reorder or hide what is shown are refused (they would reach logs and
     * terminals, or pass for another node's name); other UTF-8 is a name
     * like any */
    static const struct {
        const char *node, *cluster;
        int err;
    } names[] = {{"peer\x1b[31m", "test", SIPC_EPROTO},
                 {"peer", "te\nst", SIPC_EPROTO},
                 {"peer\xc2\x9b", "test", SIPC_EPROTO}, /* C1 CSI */
                 {"peer", "caf\xc3", SIPC_EPROTO},       /* cut UTF-8 */
                 {"n1\xe2\x80\xae" "2n", "test", SIPC_EPROTO}, /* U+202E: shows as n1n2 */
                 {"peer", "te\xe2\x80\x8bst", SIPC_EPROTO},      /* zero width space */
                 {"\xe6\x97\xa5\xe6\x9c\xac", "test", 0},    /* CJK */
                 {"pr\xc3\xbc" "fung", "test", 0}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        tc_open(&t, NULL);
        peer_expect_free(&t, SIPC__KIND__HELLO, 0);
        Sipc__Hello hn = SIPC__HELLO__INIT;
        hn.protocol_version = SIPC_PROTOCOL_VERSION;
        hn.node_id = (char *)names[i].node;
        hn.cluster = (char *)names[i].cluster;
        uint8_t buf[128];
        size_t n = sipc__hello__pack(&hn, buf);
        sipc_env_out e = {.kind = SIPC__KIND__HELLO, .payload = buf, .payload_len = n};
        peer_send(&t, &e);
        ms_pump(&t.loop);
        if (names[i].err) {
            env = peer_expect(&t, SIPC__KIND__ERROR, 0);
            assert_int_equal(env->status, SIPC_EPROTO);
            assert_non_null(strstr(env->message, "control, invisible or text-direction characters"));
            sipc__envelope__free_unpacked(env, NULL);
            assert_int_equal(t.ups, 0);
            assert_int_equal(t.down_err, SIPC_EPROTO);
        } else {
            assert_int_equal(t.ups, 1);
            sipc_conn_info(t.c, &pi);
            assert_string_equal(pi.peer_node, names[i].node);
        }
        tc_close(&t);
    }

    /* a hello larger than the block on the stack it is unpacked into still
     * comes up (on the heap); one that is not a Hello at all is refused */
    tc_open(&t, NULL);
    peer_expect_free(&t, SIPC__KIND__HELLO, 0);
    {
        static char soft[4001];
        memset(soft, 's', sizeof soft - 1);
        Sipc__Hello h3 = SIPC__HELLO__INIT;
        h3.protocol_version = SIPC_PROTOCOL_VERSION;
        h3.node_id = "peer-big";
        h3.cluster = "test";
        h3.software = soft;
        static uint8_t buf[4200];
        size_t n = sipc__hello__pack(&h3, buf);
        assert_true(n > 4000 && n < sizeof buf);
        sipc_env_out e = {.kind = SIPC__KIND__HELLO, .payload = buf, .payload_len = n};
        peer_send(&t, &e);
        ms_pump(&t.loop);
    }
    assert_int_equal(t.ups, 1);
    sipc_conn_info(t.c, &pi);
    assert_string_equal(pi.peer_node, "peer-big");
    tc_close(&t);
    tc_open(&t, NULL);
    peer_expect_free(&t, SIPC__KIND__HELLO, 0);
    {
        static const uint8_t junk[] = {0x0a, 0x7f, 'x'}; /* a string longer than the data */
        sipc_env_out e = {.kind = SIPC__KIND__HELLO, .payload = junk, .payload_len = sizeof junk};
        peer_send(&t, &e);
        ms_pump(&t.loop);
    }
    env = peer_expect(&t, SIPC__KIND__ERROR, 0);
    assert_int_equal(env->status, SIPC_EPROTO);
    assert_non_null(strstr(env->message, "not a valid Hello"));
    sipc__envelope__free_unpacked(env, NULL);
    assert_int_equal(t.ups, 0);
    assert_int_equal(t.down_err, SIPC_EPROTO);
    tc_close(&t);

    /* a request before the hello */
    tc_open(&t, NULL);
    peer_expect_free(&t, SIPC__KIND__HELLO, 0);
    peer_request(&t, 1, "echo", "x", 0);
    ms_pump(&t.loop);
    env = peer_expect(&t, SIPC__KIND__ERROR, 0);
    assert_int_equal(env->status, SIPC_EPROTO);
    assert_non_null(strstr(env->message, "before its hello"));
    sipc__envelope__free_unpacked(env, NULL);
    assert_int_equal(t.down_err, SIPC_EPROTO);
    tc_close(&t);
}

static void t_requests(void **state)
{
    (void)state;
    tc t;
    tc_up(&t, NULL);
    peer_request(&t, 5, "echo", "abc", 1000);
    ms_pump(&t.loop);
    Sipc__Envelope *env = peer_expect(&t, SIPC__KIND__RESPONSE, 5);
    assert_int_equal(env->payload.len, 3);
    assert_memory_equal(env->payload.data, "abc", 3);
    sipc__envelope__free_unpacked(env, NULL);
    assert_true(t.seen_deadline > 0 && t.seen_deadline <= 1000);

    /* no deadline sent: none seen */
    peer_request(&t, 6, "echo", "d", 0);
    ms_pump(&t.loop);
    peer_expect_free(&t, SIPC__KIND__RESPONSE, 6);
    assert_int_equal(t.seen_deadline, 0);

    peer_request(&t, 7, "nosuch", NULL, 0);
    ms_pump(&t.loop);
    env = peer_expect(&t, SIPC__KIND__ERROR, 7);
    assert_int_equal(env->status, SIPC_ENOMETHOD);
    assert_non_null(strstr(env->message, "test.nosuch"));
    sipc__envelope__free_unpacked(env, NULL);

    /* an empty reply, and a one-way message that gets no answer */
    peer_request(&t, 8, "empty", NULL, 0);
    peer_request(&t, 0, "echo", "quiet", 0);
    ms_pump(&t.loop);
    env = peer_expect(&t, SIPC__KIND__RESPONSE, 8);
    assert_int_equal(env->payload.len, 0);
    sipc__envelope__free_unpacked(env, NULL);
    assert_null(peer_next(&t));

    /* held past its deadline: the late answer is not sent */
    t.hold = 1;
    peer_request(&t, 9, "echo", "late", 20);
    ms_pump(&t.loop);
    assert_int_equal(t.nheld, 1);
    int never = 0;
    spin_until(&t, &never, 40);
    assert_int_equal(sipc_request_deadline_ms(t.held[0]), -1);
    assert_int_equal(sipc_respond(t.held[0], "late", 4), SIPC_ETIMEDOUT);
    t.nheld = 0;
    ms_pump(&t.loop);
    assert_null(peer_next(&t));

    /* id 0 is reserved for connection errors */
    sipc_env_out bad = {.kind = SIPC__KIND__REQUEST, .service = "test", .method = "echo"};
    peer_send(&t, &bad);
    ms_pump(&t.loop);
    env = peer_expect(&t, SIPC__KIND__ERROR, 0);
    assert_int_equal(env->status, SIPC_EPROTO);
    sipc__envelope__free_unpacked(env, NULL);
    assert_int_equal(t.down_err, SIPC_EPROTO);
    tc_close(&t);
}

/* protocol.md section 12: sys.ping with the default deadline, request id 1. */
static const uint8_t doc_ping[] = {0x00, 0x00, 0x00, 0x15, 0x08, 0x01, 0x10, 0x02, 0x18,
                                   0x01, 0x22, 0x03, 's',  'y',  's',  0x2a, 0x04, 'p',
                                   'i',  'n',  'g',  0x48, 0xb0, 0xea, 0x01};

static void t_calls(void **state)
{
    (void)state;
    tc t;
    tc_up(&t, NULL);
    size_t at = t.rx_off;
    outcome o1 = {0}, o2 = {0}, o3 = {0};
    assert_int_equal(sipc_conn_call(t.c, "sys", "ping", NULL, 0, 0, on_done, &o1), 0);
    ms_pump(&t.loop);
    Sipc__Envelope *env = peer_expect(&t, SIPC__KIND__REQUEST, 1);
    assert_int_equal(env->deadline_ms, 30000);
    sipc__envelope__free_unpacked(env, NULL);
    assert_int_equal(t.rx_off - at, sizeof doc_ping);
    assert_memory_equal(t.rx.data + at, doc_ping, sizeof doc_ping);

    assert_int_equal(sipc_conn_call(t.c, "test", "x", "q", 1, 5000, on_done, &o2), 0);
    assert_int_equal(sipc_conn_call(t.c, "test", "y", NULL, 0, 5000, on_done, &o3), 0);
    ms_pump(&t.loop);
    env = peer_expect(&t, SIPC__KIND__REQUEST, 2);
    assert_true(env->deadline_ms > 4000 && env->deadline_ms <= 5000);
    sipc__envelope__free_unpacked(env, NULL);
    peer_expect_free(&t, SIPC__KIND__REQUEST, 3);

    /* answers in any order; one for nothing outstanding is ignored */
    sipc_env_out e3 = {.kind = SIPC__KIND__ERROR, .request_id = 3, .status = SIPC_ENOMETHOD,
                       .message = "none"};
    sipc_env_out e99 = {.kind = SIPC__KIND__RESPONSE, .request_id = 99};
    sipc_env_out e2 = {.kind = SIPC__KIND__ERROR, .request_id = 2, .status = 404, .message = "nf"};
    sipc_env_out e1 = {.kind = SIPC__KIND__RESPONSE, .request_id = 1, .payload = "pong",
                       .payload_len = 4};
    peer_send(&t, &e3);
    peer_send(&t, &e99);
    peer_send(&t, &e2);
    peer_send(&t, &e1);
    ms_pump(&t.loop);
    assert_int_equal(o1.n, 1);
    assert_int_equal(o1.err, 0);
    assert_int_equal(o1.len, 4);
    assert_memory_equal(o1.data, "pong", 4);
    assert_int_equal(o2.n, 1);
    assert_int_equal(o2.err, SIPC_EREMOTE);
    assert_int_equal(o2.status, 404);
    assert_string_equal(o2.message, "nf");
    assert_int_equal(o3.n, 1);
    assert_int_equal(o3.err, SIPC_ENOMETHOD);
    /* the same answers again: all late, all ignored */
    peer_send(&t, &e1);
    peer_send(&t, &e2);
    ms_pump(&t.loop);
    assert_int_equal(o1.n + o2.n + o3.n, 3);
    assert_int_equal(t.downs, 0);

    /* cancel: completes once, now; its answer is ignored */
    outcome o4 = {0};
    sipc_call_id id = 0;
    assert_int_equal(sipc_conn_call_ex(t.c, "test", "z", NULL, 0, 5000, on_done, &o4, &id), 0);
    assert_int_equal(id, 4);
    assert_int_equal(sipc_conn_call_cancel(t.c, id), 0);
    assert_int_equal(o4.n, 1);
    assert_int_equal(o4.err, SIPC_ECANCELED);
    sipc_env_out e4 = {.kind = SIPC__KIND__RESPONSE, .request_id = 4};
    peer_send(&t, &e4);
    ms_pump(&t.loop);
    assert_int_equal(o4.n, 1);
    assert_int_equal(sipc_conn_call_cancel(t.c, id), SIPC_EINVAL);
    tc_close(&t);
}

/* A peer's connection error (request id 0) naming a refusal of this side's
 * TLS mode (SIPC_EPLAINTEXT, SIPC_ETLSONPLAIN) is taken as such while the
 * hellos are not yet exchanged, where such a refusal comes; on a link
 * already up it cannot be one, and calls in flight may have been served:
 * the connection and its calls fail with SIPC_EPROTO, so that no caller
 * resends as after a refused handshake. */
static void t_mode_refusal_when_up(void **state)
{
    (void)state;
    static const int codes[] = {SIPC_EPLAINTEXT, SIPC_ETLSONPLAIN};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        sipc_env_out e = {.kind = SIPC__KIND__ERROR, .request_id = 0, .status = codes[i],
                          .message = "mode refused"};
        /* before the peer's hello: the refusal stands */
        tc t;
        tc_open(&t, NULL);
        peer_expect_free(&t, SIPC__KIND__HELLO, 0);
        peer_send(&t, &e);
        ms_pump(&t.loop);
        assert_int_equal(t.downs, 1);
        assert_int_equal(t.down_err, codes[i]);
        tc_close(&t);
        /* up, a call in flight: a protocol error, for the link and the call */
        tc_up(&t, NULL);
        outcome o = {0};
        assert_int_equal(sipc_conn_call(t.c, "test", "x", "q", 1, 5000, on_done, &o), 0);
        ms_pump(&t.loop);
        peer_expect_free(&t, SIPC__KIND__REQUEST, 1);
        peer_send(&t, &e);
        ms_pump(&t.loop);
        assert_int_equal(t.downs, 1);
        assert_int_equal(t.down_err, SIPC_EPROTO);
        assert_int_equal(o.n, 1);
        assert_int_equal(o.err, SIPC_EPROTO);
        tc_close(&t);
    }
}

static void t_ping_pong(void **state)
{
    (void)state;
    sipc_options o;
    sipc_options_init(&o);
    o.keepalive_ms = 30;
    o.idle_timeout_ms = 0;
    tc t;
    tc_up(&t, &o);
    sipc_env_out ping = {.kind = SIPC__KIND__PING, .request_id = 9};
    peer_send(&t, &ping);
    ms_pump(&t.loop);
    peer_expect_free(&t, SIPC__KIND__PONG, 9);
    /* quiet for longer than keepalive_ms: the connection pings, once */
    Sipc__Envelope *env = NULL;
    for (int i = 0; i < 100 && !env; i++) {
        int never = 0;
        spin_until(&t, &never, 10);
        env = peer_next(&t);
    }
    assert_non_null(env);
    assert_int_equal(env->kind, SIPC__KIND__PING);
    assert_true(env->request_id != 0);
    sipc_env_out pong = {.kind = SIPC__KIND__PONG, .request_id = env->request_id};
    sipc__envelope__free_unpacked(env, NULL);
    peer_send(&t, &pong);
    ms_pump(&t.loop);
    assert_int_equal(t.downs, 0);
    tc_close(&t);

    /* a PING with id 0, which is reserved: a protocol error, the connection closes */
    o.keepalive_ms = 0;
    tc_up(&t, &o);
    sipc_env_out ping0 = {.kind = SIPC__KIND__PING, .request_id = 0};
    peer_send(&t, &ping0);
    ms_pump(&t.loop);
    env = peer_expect(&t, SIPC__KIND__ERROR, 0);
    assert_int_equal(env->status, SIPC_EPROTO);
    assert_non_null(strstr(env->message, "id 0 is reserved"));
    sipc__envelope__free_unpacked(env, NULL);
    assert_int_equal(t.down_err, SIPC_EPROTO);
    tc_close(&t);

    /* nothing at all from the peer: closed as idle */
    o.keepalive_ms = 0;
    o.idle_timeout_ms = 50;
    tc_up(&t, &o);
    spin_until(&t, &t.downs, 2000);
    assert_int_equal(t.downs, 1);
    assert_int_equal(t.down_err, SIPC_EIDLE);
    tc_close(&t);
}

/* Frames until our PING comes (others dropped); its id. */
static uint64_t await_ping(tc *t, unsigned ms)
{
    uint64_t end = uv_now(&t->loop) + ms;
    while (uv_now(&t->loop) < end) {
        Sipc__Envelope *env;
        while ((env = peer_next(t))) {
            int ping = env->kind == SIPC__KIND__PING;
            uint64_t id = env->request_id;
            sipc__envelope__free_unpacked(env, NULL);
            if (ping)
                return id;
        }
        int never = 0;
        spin_until(t, &never, 5);
    }
    fail_msg("no PING within %u ms", ms);
    return 0;
}

static void keepalive_opts(sipc_options *o)
{
    sipc_options_init(o);
    o->keepalive_ms = 50;
    o->keepalive_timeout_ms = 150;
    o->idle_timeout_ms = 0;
}

/* A PING without an answer closes the connection keepalive_timeout_ms after
 * it left; anything the peer sends meanwhile counts as an answer: a frame,
 * a byte of one, bytes of a TLS record still arriving. Not while this side
 * holds back reading: then it pings the peer itself whenever it sent
 * nothing for half the shorter of keepalive_ms and keepalive_timeout_ms. */
static void t_keepalive_timeout(void **state)
{
    (void)state;
    sipc_options o;
    keepalive_opts(&o);
    tc t;
    int never = 0;

    /* the peer stops answering */
    tc_up(&t, &o);
    await_ping(&t, 2000);
    uint64_t t0 = uv_now(&t.loop);
    spin_until(&t, &t.downs, 3000);
    assert_int_equal(t.downs, 1);
    assert_int_equal(t.down_err, SIPC_EKEEPALIVE);
    uint64_t took = uv_now(&t.loop) - t0;
    assert_true(took >= 140 && took < 2000);
    assert_true(tu_log_has(&t.log, "no answer to PING from"));
    assert_true(tu_log_has(&t.log, "within 150 ms (keepalive_timeout_ms)"));
    tc_close(&t);

    /* a slow frame, a byte at a time, is life; so are the peer's own PINGs */
    tc_up(&t, &o);
    await_ping(&t, 2000);
    sipc_buf b = {0};
    sipc_env_out req = {.kind = SIPC__KIND__REQUEST, .request_id = 1, .service = "test",
                        .method = "echo", .payload = "0123456789", .payload_len = 10};
    assert_int_equal(sipc_env_encode(&b, &req, 16u << 20), 0);
    t0 = uv_now(&t.loop);
    size_t at = 0;
    while (uv_now(&t.loop) < t0 + 600 && at + 1 < b.len) {
        ms_write(t.raw, b.data + at++, 1);
        spin_until(&t, &t.downs, 40);
        ms_take(t.raw, &t.rx);
    }
    assert_int_equal(t.downs, 0);
    ms_write(t.raw, b.data + at, b.len - at);
    sipc_buf_free(&b);
    ms_pump(&t.loop);
    t0 = uv_now(&t.loop);
    for (uint64_t id = 100; uv_now(&t.loop) < t0 + 600; id++) {
        sipc_env_out ping = {.kind = SIPC__KIND__PING, .request_id = id};
        peer_send(&t, &ping);
        spin_until(&t, &t.downs, 40);
        ms_take(t.raw, &t.rx);
    }
    assert_int_equal(t.downs, 0);
    tc_close(&t);

    /* bytes that make no plaintext yet (a TLS record arriving slowly) */
    tc_up(&t, &o);
    await_ping(&t, 2000);
    t0 = uv_now(&t.loop);
    while (uv_now(&t.loop) < t0 + 600) {
        ms_arrived(t.a, uv_now(&t.loop));
        spin_until(&t, &t.downs, 40);
        ms_take(t.raw, &t.rx);
    }
    assert_int_equal(t.downs, 0);
    spin_until(&t, &t.downs, 3000); /* then nothing: closed */
    assert_int_equal(t.down_err, SIPC_EKEEPALIVE);
    tc_close(&t);

    /* the answer arrived while the loop did not run (a stopped process):
     * it is read before the PING counts as unanswered */
    tc_up(&t, &o);
    await_ping(&t, 2000);
    sipc_env_out late = {.kind = SIPC__KIND__PING, .request_id = 7};
    peer_send(&t, &late);
    usleep(400 * 1000);
    spin_until(&t, &never, 20);
    assert_int_equal(t.downs, 0);
    tc_close(&t);

    /* reading held back here (handlers at max_pending_requests): the peer's
     * answers wait unread, so its silence proves nothing; this side pings
     * (every 25 ms here) so that the peer hears from it */
    o.max_pending_requests = 1;
    tc_up(&t, &o);
    t.hold = 1;
    peer_request(&t, 1, "echo", "x", 0);
    peer_request(&t, 2, "echo", "y", 0);
    ms_pump(&t.loop);
    assert_int_equal(t.nheld, 1);
    int pings = 0;
    t0 = uv_now(&t.loop);
    while (uv_now(&t.loop) < t0 + 600) {
        spin_until(&t, &t.downs, 20);
        Sipc__Envelope *env;
        while ((env = peer_next(&t))) {
            pings += env->kind == SIPC__KIND__PING;
            sipc__envelope__free_unpacked(env, NULL);
        }
    }
    assert_int_equal(t.downs, 0);
    assert_true(pings >= 4);
    tc_close(&t);
    o.max_pending_requests = 0;

    /* our PING waits behind our own bytes: a peer that takes them, however
     * slowly, is alive; one that takes nothing is closed, and the line
     * says so */
    tc_up(&t, &o);
    static char big[64 * 1024];
    outcome call = {0};
    assert_int_equal(sipc_conn_call(t.c, "test", "x", big, sizeof big, 10000, on_done, &call), 0);
    sipc_buf some = {0};
    t0 = uv_now(&t.loop);
    while (uv_now(&t.loop) < t0 + 600) {
        spin_until(&t, &t.downs, 40);
        ms_take_some(t.raw, &some, 100);
    }
    sipc_buf_free(&some);
    assert_int_equal(t.downs, 0);
    spin_until(&t, &t.downs, 3000);
    assert_int_equal(t.down_err, SIPC_EKEEPALIVE);
    assert_int_equal(call.err, SIPC_EKEEPALIVE);
    assert_true(tu_log_has(&t.log, "bytes queued before and with the PING for"));
    tc_close(&t);
}

/* A side whose handlers hold max_pending_requests with the default ratio
 * (keepalive_ms 15 s, keepalive_timeout_ms 10 s, scaled to 1500/1000 ms),
 * the hold beginning late in its peer's keepalive period: its peer pings,
 * gets no answer (it is not read), and would cut it 1000 ms later; the held
 * side pings within half the timeout of its last frame, so it is never cut. */
static void t_keepalive_held_late(void **state)
{
    (void)state;
    sipc_options o;
    sipc_options_init(&o);
    o.keepalive_ms = 1500;
    o.keepalive_timeout_ms = 1000;
    o.idle_timeout_ms = 0;
    o.max_pending_requests = 1;
    tc t; /* t.c is the held side, the server */
    tc_open(&t, &o);
    /* the raw end is not used: the peer is a second connection */
    ms_close(t.raw);
    t.raw = NULL;
    sipc_conn_close(t.c);
    ms_pump(&t.loop);
    t.downs = t.freed = 0;
    tc peer;
    memset(&peer, 0, sizeof peer);
    sipc_stream *sa, *sb;
    ms_pair(&sa, &sipc__conn_stream_events, &sb, &sipc__conn_stream_events);
    assert_int_equal(sipc__conn_new(&t.c, t.ctx, t.sec, sa, 1, t.router, &own_ops, &t), 0);
    assert_int_equal(sipc__conn_new(&peer.c, t.ctx, t.sec, sb, 0, t.router, &own_ops, &peer), 0);
    ms_ready(sa);
    ms_ready(sb);
    ms_pump(&t.loop);
    assert_int_equal(t.ups, 1);
    assert_int_equal(peer.ups, 1);
    t.hold = 1;
    /* the peer's keepalive period runs from the last frame it got: the
       held side's PONG to its first PING, about 1500 ms from now */
    int never = 0;
    spin_until(&t, &never, 1500 + 1200); /* its PING at 1500, PONG at once */
    assert_int_equal(t.downs + peer.downs, 0);
    /* 1200 ms into its next period the peer sends a request: held, the
       server stops reading (max_pending_requests 1) */
    outcome call = {0};
    assert_int_equal(sipc_conn_call(peer.c, "test", "echo", "x", 1, 20000, on_done, &call), 0);
    spin_until(&t, &never, 50);
    assert_int_equal(t.nheld, 1);
    /* the peer pings ~300 ms later, unread; 1000 ms after that it would
       cut a server that stayed silent. Wait well past it. */
    spin_until(&t, &peer.downs, 3500);
    assert_int_equal(peer.downs, 0);
    assert_int_equal(t.downs, 0);
    assert_int_equal(call.n, 0);
    /* the hold ends: the answer goes, the link stays */
    assert_int_equal(sipc_respond(t.held[0], "x", 1), 0);
    t.nheld = 0;
    spin_until(&t, &call.n, 2000);
    assert_int_equal(call.n, 1);
    assert_int_equal(call.err, 0);
    assert_int_equal(peer.downs + t.downs, 0);
    sipc_conn_close(peer.c);
    ms_pump(&t.loop);
    assert_int_equal(t.downs, 1); /* tc_close closes nothing more, checks both freed */
    tc_close(&t);
    assert_int_equal(peer.freed, 1);
}

/* Keepalive off (keepalive_ms 0), reading held back (handlers at
 * max_pending_requests): the peer's PING goes unread, and its keepalive
 * (its own configuration, maybe on) would cut this side; this side still
 * pings within half of keepalive_timeout_ms of its last frame, so the peer
 * hears it is alive. Those PINGs await no answer: once the hold is over,
 * a peer that leaves them unanswered is not closed, and no more go. */
static void t_keepalive_off_held(void **state)
{
    (void)state;
    sipc_options o;
    sipc_options_init(&o);
    o.keepalive_ms = 0;
    o.keepalive_timeout_ms = 100;
    o.idle_timeout_ms = 0;
    o.max_pending_requests = 1;
    tc t;
    tc_up(&t, &o);
    t.hold = 1;
    peer_request(&t, 1, "echo", "x", 0);
    peer_request(&t, 2, "echo", "y", 0);
    sipc_env_out ping = {.kind = SIPC__KIND__PING, .request_id = 50};
    peer_send(&t, &ping);
    ms_pump(&t.loop);
    assert_int_equal(t.nheld, 1);
    int pings = 0, pong = 0;
    uint64_t t0 = uv_now(&t.loop);
    while (uv_now(&t.loop) < t0 + 600) {
        spin_until(&t, &t.downs, 20);
        Sipc__Envelope *env;
        while ((env = peer_next(&t))) {
            pings += env->kind == SIPC__KIND__PING;
            pong += env->kind == SIPC__KIND__PONG;
            sipc__envelope__free_unpacked(env, NULL);
        }
    }
    assert_int_equal(t.downs, 0);
    assert_int_equal(pong, 0); /* the peer's PING waits unread */
    assert_true(pings >= 4);   /* every 50 ms */
    /* the hold ends: request 2 and the peer's PING are read and answered;
       this side's PINGs stay unanswered, well past keepalive_timeout_ms */
    t.hold = 0;
    assert_int_equal(sipc_respond(t.held[0], "x", 1), 0);
    t.nheld = 0;
    pings = 0;
    int never = 0;
    spin_until(&t, &never, 50);
    Sipc__Envelope *env;
    while ((env = peer_next(&t))) {
        pong += env->kind == SIPC__KIND__PONG;
        sipc__envelope__free_unpacked(env, NULL);
    }
    assert_int_equal(pong, 1);
    spin_until(&t, &t.downs, 500);
    while ((env = peer_next(&t))) {
        pings += env->kind == SIPC__KIND__PING;
        sipc__envelope__free_unpacked(env, NULL);
    }
    assert_int_equal(t.downs, 0);
    assert_int_equal(pings, 0);
    tc_close(&t);
}

static void t_call_deadline(void **state)
{
    (void)state;
    tc t;
    tc_up(&t, NULL);
    outcome o = {0}, slow = {0};
    assert_int_equal(sipc_conn_call(t.c, "test", "x", NULL, 0, 30, on_done, &o), 0);
    assert_int_equal(sipc_conn_call(t.c, "test", "x", NULL, 0, 5000, on_done, &slow), 0);
    spin_until(&t, &o.n, 2000);
    assert_int_equal(o.n, 1);
    assert_int_equal(o.err, SIPC_ETIMEDOUT);
    /* nothing came from the peer since the call left, and no PING has gone
     * yet (keepalive_ms 15 s): its handler may still be at work, so what is
     * known is said, and no word of a stopped process */
    char want[300];
    snprintf(want, sizeof want, "call deadline exceeded: no reply from %s within ",
             t.c->peer_addr);
    if (strncmp(o.message, want, strlen(want)) ||
        !strstr(o.message, " ms, and nothing else received from it meanwhile (a handler still "
                           "at work sends nothing until it replies)") ||
        strstr(o.message, "stopped"))
        fail_msg("a quiet peer's deadline, no PING sent: '%s'", o.message);
    assert_int_equal(slow.n, 0); /* its own deadline is later */
    sipc_env_out late = {.kind = SIPC__KIND__RESPONSE, .request_id = 1};
    peer_send(&t, &late);
    ms_pump(&t.loop);
    assert_int_equal(o.n, 1);
    assert_int_equal(t.downs, 0);
    /* the peer sent something after the call left: only the deadline */
    outcome heard = {0};
    assert_int_equal(sipc_conn_call(t.c, "test", "x", NULL, 0, 50, on_done, &heard), 0);
    usleep(5 * 1000);
    ms_pump(&t.loop);
    sipc_env_out ping = {.kind = SIPC__KIND__PING, .request_id = 9};
    peer_send(&t, &ping);
    ms_pump(&t.loop);
    spin_until(&t, &heard.n, 2000);
    assert_int_equal(heard.err, SIPC_ETIMEDOUT);
    /* ...still naming the peer and the wait, and that the link was alive */
    snprintf(want, sizeof want, "call deadline exceeded: no reply from %s within ",
             t.c->peer_addr);
    if (strncmp(heard.message, want, strlen(want)) ||
        !strstr(heard.message, " ms, though the link was alive (the peer sent other frames "
                               "meanwhile, keepalive answers or other replies): its handler did "
                               "not answer in time"))
        fail_msg("a deadline on a link alive meanwhile: '%s'", heard.message);
    tc_close(&t);
    assert_int_equal(slow.n, 1);
    assert_int_equal(slow.err, SIPC_ECANCELED); /* tc_close closed it on purpose */
}

/* A call whose deadline passes after a keepalive PING went unanswered:
 * that is evidence, said in the words of a silent handshake. */
static void t_call_deadline_ping_unanswered(void **state)
{
    (void)state;
    tc t;
    sipc_options opts;
    sipc_options_init(&opts);
    opts.keepalive_ms = 20;
    opts.keepalive_timeout_ms = 5000;
    tc_up(&t, &opts);
    outcome o = {0};
    assert_int_equal(sipc_conn_call(t.c, "test", "x", NULL, 0, 300, on_done, &o), 0);
    spin_until(&t, &o.n, 2000);
    assert_int_equal(o.n, 1);
    assert_int_equal(o.err, SIPC_ETIMEDOUT);
    char want[300];
    snprintf(want, sizeof want, "call deadline exceeded: connected to %s, but nothing received "
             "from it for ", t.c->peer_addr);
    if (strncmp(o.message, want, strlen(want)) ||
        !strstr(o.message, " ms: the process there may be stopped or overloaded (of which the "
                           "link was idle for ") ||
        !strstr(o.message, " ms before the call, when nothing was due; the call went unanswered "
                           "for ") ||
        !strstr(o.message, " ms, the keepalive PING for "))
        fail_msg("a silent peer's deadline, its PING unanswered: '%s'", o.message);
    int pings = 0;
    Sipc__Envelope *env;
    while ((env = peer_next(&t))) {
        pings += env->kind == SIPC__KIND__PING;
        sipc__envelope__free_unpacked(env, NULL);
    }
    assert_true(pings >= 1);
    tc_close(&t);
}

static void t_close_pending(void **state)
{
    (void)state;
    /* the peer goes away: every call completes once, with the reason */
    tc t;
    tc_up(&t, NULL);
    outcome o[3] = {{0}};
    for (int i = 0; i < 3; i++)
        assert_int_equal(sipc_conn_call(t.c, "test", "x", NULL, 0, 5000, on_done, &o[i]), 0);
    ms_pump(&t.loop);
    ms_close(t.raw);
    t.raw = NULL;
    ms_pump(&t.loop);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(o[i].n, 1);
        assert_int_equal(o[i].err, SIPC_ECLOSED);
    }
    assert_int_equal(t.downs, 1);
    assert_int_equal(t.down_err, SIPC_ECLOSED);
    tc_close(&t);

    /* we close it: calls canceled, down err 0, a held request answered into the void */
    tc_up(&t, NULL);
    t.hold = 1;
    peer_request(&t, 1, "echo", "h", 0);
    memset(o, 0, sizeof o);
    for (int i = 0; i < 2; i++)
        assert_int_equal(sipc_conn_call(t.c, "test", "x", NULL, 0, 5000, on_done, &o[i]), 0);
    ms_pump(&t.loop);
    assert_int_equal(t.nheld, 1);
    sipc_conn_close(t.c);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(o[i].n, 1);
        assert_int_equal(o[i].err, SIPC_ECANCELED);
    }
    assert_int_equal(t.downs, 1);
    assert_int_equal(t.down_err, 0);
    assert_null(sipc_request_conn(t.held[0]));
    /* still in memory (its stream has not closed yet), refusing calls */
    assert_int_equal(sipc_conn_call(t.c, "test", "x", NULL, 0, 0, on_done, &o[2]), SIPC_ECLOSED);
    assert_int_equal(sipc_respond(t.held[0], "h", 1), SIPC_ECLOSED);
    t.nheld = 0;
    tc_close(&t);
}

static void t_pending_cap(void **state)
{
    (void)state;
    tc t;
    tc_up_holding(&t, 2);
    for (uint64_t id = 1; id <= 5; id++)
        peer_request(&t, id, "echo", "r", 0); /* arrive in one read */
    ms_pump(&t.loop);
    assert_int_equal(t.nheld, 2);
    assert_true(ms_paused(t.a));
    int answered = 0;
    for (int round = 0; round < 10 && answered < 5; round++) {
        assert_true(t.nheld <= 2);
        assert_true(t.nheld > 0);
        int n = t.nheld;
        t.nheld = 0;
        for (int i = 0; i < n; i++)
            assert_int_equal(sipc_respond(t.held[i], "r", 1), 0);
        answered += n;
        ms_pump(&t.loop);
    }
    assert_int_equal(answered, 5);
    assert_false(ms_paused(t.a));
    for (uint64_t id = 1; id <= 5; id++)
        peer_expect_free(&t, SIPC__KIND__RESPONSE, id); /* in order of arrival */
    tc_close(&t);
}

/* After the hello, an envelope of another protocol version or of a kind
 * that does not exist ends the connection with the error that says so
 * (SIPC_EVERSION, SIPC_EPROTO), told to the peer first; the kinds that
 * exist, in this version, go their usual way. */
static void t_envelope_refused(void **state)
{
    (void)state;
    static const struct {
        uint32_t version;
        int kind;
        int err;
        const char *why;
    } cases[] = {
        {2, SIPC__KIND__REQUEST, SIPC_EVERSION, "envelope version 2"},
        {0, SIPC__KIND__RESPONSE, SIPC_EVERSION, "envelope version 0"},
        {SIPC_PROTOCOL_VERSION, SIPC__KIND__PONG + 1, SIPC_EPROTO, "unknown kind 8"},
        {SIPC_PROTOCOL_VERSION, 0, SIPC_EPROTO, "unknown kind 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tc t;
        tc_up(&t, NULL);
        peer_request(&t, 1, "echo", "fine", 0); /* as usual */
        ms_pump(&t.loop);
        peer_expect_free(&t, SIPC__KIND__RESPONSE, 1);
        sipc_env_out e = {.kind = (Sipc__Kind)cases[i].kind, .request_id = 2, .service = "test",
                          .method = "echo"};
        uint8_t frame[SIPC_FRAME_HEADER + 64];
        size_t n = sipc_env_pack(frame + SIPC_FRAME_HEADER, cases[i].version, &e);
        assert_true(n <= 64);
        sipc_frame_put_header(frame, (uint32_t)n);
        ms_write(t.raw, frame, SIPC_FRAME_HEADER + n);
        ms_pump(&t.loop);
        Sipc__Envelope *env = peer_expect(&t, SIPC__KIND__ERROR, 0);
        assert_int_equal(env->status, cases[i].err);
        if (!strstr(env->message, cases[i].why))
            fail_msg("case %zu: '%s' does not say '%s'", i, env->message, cases[i].why);
        sipc__envelope__free_unpacked(env, NULL);
        assert_int_equal(t.down_err, cases[i].err);
        tc_close(&t);
    }
}

/* The peer's GOAWAY while one of our calls is in flight: the connection
 * stays for the answer and closes as soon as it has it (no error: the
 * peer only replaces the link), not at some later look. */
static void t_goaway_received_closes_when_answered(void **state)
{
    (void)state;
    tc t;
    tc_up(&t, NULL);
    outcome oc = {0};
    assert_int_equal(sipc_conn_call(t.c, "test", "x", "q", 1, 5000, on_done, &oc), 0);
    ms_pump(&t.loop);
    Sipc__Envelope *req = peer_next(&t);
    assert_non_null(req);
    assert_int_equal(req->kind, SIPC__KIND__REQUEST);
    uint64_t id = req->request_id;
    sipc__envelope__free_unpacked(req, NULL);
    sipc_env_out ga = {.kind = SIPC__KIND__ONE_WAY, .request_id = 1, .service = "sys",
                       .method = "goaway"};
    peer_send(&t, &ga);
    ms_pump(&t.loop);
    assert_int_equal(t.downs, 0); /* our call is still in flight */
    sipc_env_out ans = {.kind = SIPC__KIND__RESPONSE, .request_id = id, .payload = "a",
                        .payload_len = 1};
    peer_send(&t, &ans);
    ms_pump(&t.loop);
    assert_int_equal(oc.n, 1);
    assert_int_equal(oc.err, 0);
    assert_int_equal(t.downs, 1);
    assert_int_equal(t.down_err, 0);
    tc_close(&t);
}

/* A peer that sends requests but does not read their answers: the check
 * after each read pauses reading once the write queue is over
 * max_write_queue, and reading resumes when the peer has taken them. */
static void t_unread_answers_pause(void **state)
{
    (void)state;
    tc t;
    tc_up_queue(&t, 1000);
    char data[401];
    memset(data, 'a', 400);
    data[400] = '\0';
    peer_request(&t, 1, "echo", data, 0);
    ms_pump(&t.loop);
    assert_false(ms_paused(t.a)); /* one answer queued: under the limit */
    assert_true(sipc_conn_write_queue(t.c) > 400);
    peer_request(&t, 2, "echo", data, 0);
    peer_request(&t, 3, "echo", data, 0); /* one read */
    ms_pump(&t.loop);
    assert_true(sipc_conn_write_queue(t.c) > 1000);
    assert_true(ms_paused(t.a));
    ms_take(t.raw, &t.rx);
    ms_pump(&t.loop);
    assert_false(ms_paused(t.a));
    for (uint64_t id = 1; id <= 3; id++)
        peer_expect_free(&t, SIPC__KIND__RESPONSE, id);
    tc_close(&t);
}

/* Requests held past their caller's deadline stop counting toward
 * max_pending_requests: the caller is told, reading goes on, a WARN names
 * the handler, and a late answer is refused (SIPC_ETIMEDOUT). */
static void t_expired_uncounted(void **state)
{
    (void)state;
    tc t;
    tc_up_holding(&t, 2);
    peer_request(&t, 1, "echo", "a", 50);
    peer_request(&t, 2, "echo", "b", 50);
    peer_request(&t, 3, "echo", "c", 5000); /* unrelated, waits behind them */
    ms_pump(&t.loop);
    assert_int_equal(t.nheld, 2);
    assert_true(ms_paused(t.a));
    int never = 0;
    spin_until(&t, &never, 400);
    assert_int_equal(t.nheld, 3); /* read again: request 3 reached its handler */
    for (uint64_t id = 1; id <= 2; id++) {
        Sipc__Envelope *e = peer_expect(&t, SIPC__KIND__ERROR, id);
        assert_int_equal(e->status, SIPC_ETIMEDOUT);
        assert_non_null(strstr(e->message, "test.echo"));
        sipc__envelope__free_unpacked(e, NULL);
    }
    assert_true(tu_log_has(&t.log, "held by the handler of test.echo past the caller's deadline"));
    assert_int_equal(sipc_respond(t.held[0], "a", 1), SIPC_ETIMEDOUT);
    assert_int_equal(sipc_respond_error(t.held[1], 7, "late"), SIPC_ETIMEDOUT);
    assert_int_equal(sipc_respond(t.held[2], "c", 1), 0);
    t.nheld = 0;
    ms_pump(&t.loop);
    peer_expect_free(&t, SIPC__KIND__RESPONSE, 3);
    assert_null(peer_next(&t)); /* nothing for the late answers */
    assert_int_equal(t.downs, 0);
    tc_close(&t);
}

/* A handler that never answers cannot hold memory without end: past
 * max_pending_requests requests held beyond their deadline, the connection
 * closes, naming the handler. */
static void t_expired_bounded(void **state)
{
    (void)state;
    tc t;
    tc_up_holding(&t, 2);
    for (uint64_t id = 1; id <= 6; id++)
        peer_request(&t, id, "echo", "x", 30);
    ms_pump(&t.loop);
    spin_until(&t, &t.downs, 2000);
    assert_int_equal(t.downs, 1);
    assert_int_equal(t.down_err, SIPC_ETIMEDOUT);
    assert_true(tu_log_has(&t.log, "past their callers' deadline (max_pending_requests = 2), "
                                   "among them the handler of test.echo: closing the connection"));
    assert_true(t.nheld <= 6);
    tc_close(&t);
}

/* Reading paused because our handlers hold max_pending_requests: the idle
 * close says so, rather than blaming the peer's silence. */
static void t_paused_idle_says_why(void **state)
{
    (void)state;
    sipc_options o;
    sipc_options_init(&o);
    o.max_pending_requests = 1;
    o.idle_timeout_ms = 200;
    o.keepalive_ms = 0;
    tc t;
    tc_up(&t, &o);
    t.hold = 1;
    peer_request(&t, 1, "echo", "x", 0); /* no deadline: held for good */
    peer_request(&t, 2, "echo", "y", 0);
    ms_pump(&t.loop);
    assert_int_equal(t.nheld, 1);
    spin_until(&t, &t.downs, 2000);
    assert_int_equal(t.down_err, SIPC_EIDLE);
    assert_true(tu_log_has(&t.log, "reading has been paused for "));
    assert_true(tu_log_has(&t.log, "because handlers of this node hold 1 requests (1 within their "
                                   "deadline, max_pending_requests = 1): test.echo"));
    assert_false(tu_log_has(&t.log, "nothing received from"));
    tc_close(&t);
}

/* This side's loop did not run for longer than idle_timeout_ms (a handler
 * that blocked it, a stopped process) while the peer's frame waited unread:
 * the frame is read before the idle close judges; a peer that sent nothing
 * is still closed, once the loop has looked. */
static void t_idle_after_stall(void **state)
{
    (void)state;
    sipc_options o;
    sipc_options_init(&o);
    o.keepalive_ms = 0;
    o.idle_timeout_ms = 200;
    tc t;
    int never = 0;
    tc_up(&t, &o);
    sipc_env_out ping = {.kind = SIPC__KIND__PING, .request_id = 5};
    peer_send(&t, &ping);
    usleep(400 * 1000);
    spin_until(&t, &never, 20);
    assert_int_equal(t.downs, 0);
    peer_expect_free(&t, SIPC__KIND__PONG, 5);
    uint64_t t0 = uv_now(&t.loop);
    spin_until(&t, &t.downs, 2000);
    assert_int_equal(t.down_err, SIPC_EIDLE);
    assert_true(uv_now(&t.loop) - t0 >= 150);
    tc_close(&t);

    /* nothing waiting: the stall ends in the idle close */
    tc_up(&t, &o);
    usleep(400 * 1000);
    spin_until(&t, &t.downs, 100);
    assert_int_equal(t.down_err, SIPC_EIDLE);
    tc_close(&t);
}

/* An answer larger than the peer's max_frame (its hello says it) fails that
 * call alone: sipc_respond says SIPC_ETOOBIG, the caller gets an ERROR with
 * the size and the limit, the connection goes on. */
static void t_answer_too_big(void **state)
{
    (void)state;
    tc t;
    tc_open(&t, NULL);
    peer_expect_free(&t, SIPC__KIND__HELLO, 0);
    Sipc__Hello h = SIPC__HELLO__INIT;
    h.protocol_version = SIPC_PROTOCOL_VERSION;
    h.node_id = "peer";
    h.cluster = "test";
    h.software = "test";
    h.max_frame = 2048;
    uint8_t buf[128];
    size_t n = sipc__hello__pack(&h, buf);
    sipc_env_out he = {.kind = SIPC__KIND__HELLO, .payload = buf, .payload_len = n};
    peer_send(&t, &he);
    ms_pump(&t.loop);
    assert_int_equal(t.ups, 1);
    t.hold = 1;
    peer_request(&t, 1, "echo", "a", 0);
    peer_request(&t, 2, "echo", "b", 0);
    peer_request(&t, 3, "echo", "c", 0);
    ms_pump(&t.loop);
    assert_int_equal(t.nheld, 3);
    static char big[3000];
    memset(big, 'z', sizeof big);
    /* what the handler is told fits does, within a few dozen bytes */
    size_t max = sipc_request_answer_max(t.held[2]);
    assert_true(max < 2048 && max > 2048 - 128);
    assert_int_equal(sipc_respond(t.held[0], big, sizeof big), SIPC_ETOOBIG);
    assert_int_equal(sipc_respond(t.held[1], "b", 1), 0);
    assert_int_equal(sipc_respond(t.held[2], big, max), 0);
    t.nheld = 0;
    ms_pump(&t.loop);
    Sipc__Envelope *e = peer_expect(&t, SIPC__KIND__ERROR, 1);
    assert_int_equal(e->status, SIPC_ETOOBIG);
    assert_non_null(strstr(e->message, "3000 bytes"));
    assert_non_null(strstr(e->message, "2048"));
    sipc__envelope__free_unpacked(e, NULL);
    peer_expect_free(&t, SIPC__KIND__RESPONSE, 2);
    peer_expect_free(&t, SIPC__KIND__RESPONSE, 3);
    /* a call of ours beyond the peer's limit is refused alone, too */
    outcome oc = {0};
    assert_int_equal(sipc_conn_call(t.c, "test", "x", big, sizeof big, 1000, on_done, &oc),
                     SIPC_ETOOBIG);
    assert_int_equal(t.downs, 0);
    tc_close(&t);
}

/* The peer's hello saying max_frame (0: not said). */
static void peer_hello_max(tc *t, uint32_t max_frame)
{
    Sipc__Hello h = SIPC__HELLO__INIT;
    h.protocol_version = SIPC_PROTOCOL_VERSION;
    h.node_id = "peer";
    h.cluster = "test";
    h.software = "test";
    h.max_frame = max_frame;
    uint8_t buf[128];
    size_t n = sipc__hello__pack(&h, buf);
    sipc_env_out he = {.kind = SIPC__KIND__HELLO, .payload = buf, .payload_len = n};
    peer_send(t, &he);
    ms_pump(&t->loop);
}

/* A hello whose max_frame is below the protocol's minimum (1 KiB): nothing
 * this side sends would fit it, not an ERROR nor a PONG, so it is refused
 * with an ERROR saying why, and logged. Before, it was taken up, and every
 * answer, error and PONG to that peer was dropped without a word. 1 KiB
 * itself is taken; an ERROR whose message is longer than the peer takes
 * (a handler's own words) arrives cut to fit, not dropped. */
static void t_hello_max_frame_floor(void **state)
{
    (void)state;
    static const uint32_t below[] = {1, 99, SIPC_FRAME_MIN - 1};
    for (size_t i = 0; i < sizeof below / sizeof below[0]; i++) {
        tc t;
        tc_open(&t, NULL);
        peer_expect_free(&t, SIPC__KIND__HELLO, 0);
        peer_hello_max(&t, below[i]);
        assert_int_equal(t.ups, 0);
        assert_int_equal(t.downs, 1);
        assert_int_equal(t.down_err, SIPC_EPROTO);
        Sipc__Envelope *e = peer_expect(&t, SIPC__KIND__ERROR, 0);
        assert_int_equal(e->status, SIPC_EPROTO);
        char want[120];
        snprintf(want, sizeof want, "takes frames of at most %u bytes (its hello's max_frame), "
                                    "below the protocol's minimum of 1024", below[i]);
        if (!strstr(e->message, want))
            fail_msg("the ERROR says: %s", e->message);
        sipc__envelope__free_unpacked(e, NULL);
        assert_true(tu_log_has(&t.log, want));
        tc_close(&t);
    }

    tc t;
    tc_open(&t, NULL);
    peer_expect_free(&t, SIPC__KIND__HELLO, 0);
    peer_hello_max(&t, SIPC_FRAME_MIN);
    assert_int_equal(t.ups, 1);
    sipc_env_out ping = {.kind = SIPC__KIND__PING, .request_id = 7};
    peer_send(&t, &ping);
    ms_pump(&t.loop);
    peer_expect_free(&t, SIPC__KIND__PONG, 7);
    t.hold = 1;
    peer_request(&t, 1, "echo", "a", 0);
    ms_pump(&t.loop);
    assert_int_equal(t.nheld, 1);
    static char words[3000];
    for (size_t k = 0; k < sizeof words - 1; k++)
        words[k] = k % 3 == 2 ? '\xa9' : k % 3 == 1 ? '\xc2' : 'w'; /* "w©" repeated */
    assert_int_equal(sipc_respond_error(t.held[0], 42, words), 0);
    t.nheld = 0;
    ms_pump(&t.loop);
    Sipc__Envelope *e = peer_expect(&t, SIPC__KIND__ERROR, 1);
    assert_int_equal(e->status, 42);
    size_t len = strlen(e->message);
    assert_true(len > 900 && len < SIPC_FRAME_MIN);
    assert_memory_equal(e->message, words, len);
    assert_true(len % 3 != 2); /* cut between characters, never after a lone 0xc2 */
    sipc__envelope__free_unpacked(e, NULL);
    assert_int_equal(t.downs, 0);
    tc_close(&t);
}

static void t_writable(void **state)
{
    (void)state;
    tc t;
    tc_up_queue(&t, 1000);
    static char chunk[400];
    outcome out[8] = {{0}};
    int made = 0, e = 0;
    while (made < 8 && (e = sipc_conn_call(t.c, "test", "w", chunk, sizeof chunk, 5000, on_done,
                                           &out[made])) == 0)
        made++;
    assert_int_equal(e, SIPC_EQUEUEFULL);
    assert_int_equal(made, 3);
    /* written to the stream, but the peer does not read: still over */
    ms_pump(&t.loop);
    assert_int_equal(t.writable, 0);
    assert_true(sipc_conn_write_queue(t.c) > 1000);
    assert_int_equal(sipc_conn_send(t.c, "test", "w", chunk, sizeof chunk), SIPC_EQUEUEFULL);
    /* the peer reads: told once */
    ms_take(t.raw, &t.rx);
    ms_pump(&t.loop);
    assert_int_equal(t.writable, 1);
    assert_int_equal(sipc_conn_call(t.c, "test", "w", chunk, sizeof chunk, 5000, on_done,
                                    &out[made++]),
                     0);
    ms_pump(&t.loop);
    ms_take(t.raw, &t.rx);
    ms_pump(&t.loop);
    assert_int_equal(t.writable, 1); /* nothing refused since */
    tc_close(&t);
    for (int i = 0; i < made; i++)
        assert_int_equal(out[i].n, 1);
}

/* WRITABLE comes once the queue is down to half the limit, not just under
 * it: the producer told so gets more than one call in before it is
 * refused again. The peer reads a little at a time; a one-byte message
 * after each read (refused while over the limit) has the connection look
 * at its queue, as any write does. */
static void t_writable_low_water(void **state)
{
    (void)state;
    tc t;
    tc_up_queue(&t, 1000);
    static char chunk[400];
    outcome out[16] = {{0}};
    int made = 0;
    while (made < 4 && sipc_conn_call(t.c, "test", "w", chunk, sizeof chunk, 5000, on_done,
                                      &out[made]) == 0)
        made++;
    assert_int_equal(made, 3);
    ms_pump(&t.loop);
    for (int i = 0; i < 40 && !t.writable; i++) {
        ms_take_some(t.raw, &t.rx, 100);
        (void)sipc_conn_send(t.c, "test", "w", "x", 1);
        ms_pump(&t.loop);
    }
    assert_int_equal(t.writable, 1);
    assert_true(sipc_conn_write_queue(t.c) <= 500);
    int after = 0;
    while (made < 16 && sipc_conn_call(t.c, "test", "w", chunk, sizeof chunk, 5000, on_done,
                                       &out[made]) == 0) {
        made++;
        after++;
    }
    assert_true(after >= 2);
    ms_take(t.raw, &t.rx);
    ms_pump(&t.loop);
    tc_close(&t);
    for (int i = 0; i < made; i++)
        assert_int_equal(out[i].n, 1);
}

/* A 1 MiB request split across reads grows the reassembly buffer, its 1 MiB
 * answer the output buffers; once the connection is idle for
 * SIPC__TRIM_IDLE_MS they are all given back, and the next message works. */
static void t_idle_release(void **state)
{
    (void)state;
    tc t;
    tc_up(&t, NULL);
    size_t n = (1u << 20) - 1024; /* a frame the decoder keeps its buffer for */
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    sipc_env_out e = {.kind = SIPC__KIND__REQUEST, .request_id = 9, .service = "test",
                      .method = "echo", .payload = big, .payload_len = n};
    sipc_buf b = {0};
    assert_int_equal(sipc_env_encode(&b, &e, 16u << 20), 0);
    ms_write(t.raw, b.data, b.len / 2);
    ms_pump(&t.loop);
    assert_true(t.c->dec.spare_cap >= n); /* the split frame's reassembly buffer */
    ms_write(t.raw, b.data + b.len / 2, b.len - b.len / 2);
    ms_pump(&t.loop);
    sipc_buf_free(&b);
    free(big);
    Sipc__Envelope *env = peer_expect(&t, SIPC__KIND__RESPONSE, 9);
    assert_int_equal(env->payload.len, n);
    sipc__envelope__free_unpacked(env, NULL);
    assert_true(sipc__conn_buffer_bytes(t.c) >= 2 * n); /* kept while traffic flows */
    int never = 0;
    spin_until(&t, &never, SIPC__TRIM_IDLE_MS / 2);
    assert_true(sipc__conn_buffer_bytes(t.c) >= n); /* not yet idle long enough */
    spin_until(&t, &never, SIPC__TRIM_IDLE_MS);
    assert_int_equal(sipc__conn_buffer_bytes(t.c), 0);
    assert_int_equal(t.c->dec.spare_cap, 0);
    peer_request(&t, 10, "echo", "small", 0);
    ms_pump(&t.loop);
    peer_expect_free(&t, SIPC__KIND__RESPONSE, 10);
    tc_close(&t);
}

/* A closed connection's buffers count toward the context's return of memory
 * to the system once they are freed, not when the close begins: the output
 * buffer and the stream's go only after the close, and a return that ran
 * before then found nothing to give and forgot them. */
static void t_close_release_counted(void **state)
{
    (void)state;
    tc t;
    tc_up(&t, NULL);
    size_t n = (1u << 20) - 1024;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    peer_request(&t, 9, "echo", big, 0);
    ms_pump(&t.loop);
    free(big);
    peer_expect_free(&t, SIPC__KIND__RESPONSE, 9);
    size_t held = sipc__conn_buffer_bytes(t.c);
    assert_true(held >= n); /* the answer's buffers, kept while traffic flows */
    size_t before = t.ctx->released;
    sipc_conn_close(t.c);
    assert_true(t.ctx->released == before); /* the output buffers are not freed yet */
    ms_close(t.raw);
    t.raw = NULL;
    ms_pump(&t.loop);
    assert_int_equal(t.freed, 1);
    assert_true(t.ctx->released - before >= held); /* all of it once freed */
    tc_close(&t);
}

/* A return of memory runs for 8 MiB freed that is a quarter of what the heap
 * held, not for small releases of a large heap; one that gave back little
 * doubles the wait, up to a minute, and one that gave back much resets it. */
static void t_trim_policy(void **state)
{
    (void)state;
    size_t mib = (size_t)1 << 20;
    assert_false(sipc__trim_worth(mib, 0));
    assert_false(sipc__trim_worth(8 * mib - 1, 0));
    assert_true(sipc__trim_worth(8 * mib, 0));
    assert_true(sipc__trim_worth(8 * mib, 24 * mib));  /* a quarter of 32 */
    assert_false(sipc__trim_worth(8 * mib, 64 * mib)); /* an eighth of 72 */
    assert_true(sipc__trim_worth(200 * mib, 600 * mib));
    assert_int_equal(sipc__trim_every(1000, 16 * mib, 16 * mib), 1000);
    assert_int_equal(sipc__trim_every(1000, 16 * mib, 4 * mib), 1000);
    assert_int_equal(sipc__trim_every(1000, 16 * mib, 0), 2000);
    assert_int_equal(sipc__trim_every(32000, 16 * mib, mib), 60000);
    assert_int_equal(sipc__trim_every(60000, 16 * mib, 0), 60000);
    assert_int_equal(sipc__trim_every(60000, 16 * mib, 8 * mib), 1000);
}

/* A stream holding buffers no trim can give back (a TLS stream with half a
 * record in, its reading paused) does not bring the idle trim back at once
 * for ever: the timer waits for the connection's next deadline, and the loop
 * goes on (it spun in libuv's timer phase, deaf to I/O and signals). */
static void t_idle_trim_stuck(void **state)
{
    (void)state;
    tc t;
    tc_up(&t, NULL);
    ms_hold_stuck(t.a, 16384);
    peer_request(&t, 9, "echo", "x", 0);
    ms_pump(&t.loop);
    peer_expect_free(&t, SIPC__KIND__RESPONSE, 9);
    alarm(20); /* a spinning loop never comes back to fail the test */
    int never = 0;
    spin_until(&t, &never, SIPC__TRIM_IDLE_MS + 300);
    alarm(0);
    uint64_t now = uv_now(&t.loop);
    if (t.c->timer_due <= now + SIPC__TRIM_IDLE_MS)
        fail_msg("the timer is due in %lld ms, at the idle trim again",
                 (long long)t.c->timer_due - (long long)now);
    peer_request(&t, 10, "echo", "y", 0);
    ms_pump(&t.loop);
    peer_expect_free(&t, SIPC__KIND__RESPONSE, 10);
    ms_hold_stuck(t.a, 0);
    tc_close(&t);
}

/* Options a context cannot work with are refused at once, not discovered
 * on the first call. */
static void t_options_checked(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    sipc_security *sec;
    assert_int_equal(sipc_security_plain(&sec), 0);
    sipc_ctx *ctx = NULL;
    sipc_options o;
    sipc_options_init(&o);
    o.max_frame = 1023;
    assert_int_equal(sipc_ctx_new(&ctx, &loop, &o, sec), SIPC_EINVAL);
    o.max_frame = (256u << 20) + 1;
    assert_int_equal(sipc_ctx_new(&ctx, &loop, &o, sec), SIPC_EINVAL);
    sipc_options_init(&o);
    o.node_id = "";
    assert_int_equal(sipc_ctx_new(&ctx, &loop, &o, sec), SIPC_EINVAL);
    sipc_options_init(&o);
    o.cluster = "";
    assert_int_equal(sipc_ctx_new(&ctx, &loop, &o, sec), SIPC_EINVAL);
    assert_null(ctx);
    sipc_options_init(&o);
    o.max_frame = 1024;
    assert_int_equal(sipc_ctx_new(&ctx, &loop, &o, sec), 0);
    sipc_ctx_close(ctx, NULL, NULL);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    /* the timeouts together are never refused (a program that set
     * idle_timeout_ms 10000 to have quiet connections closed, with the
     * default keepalive_ms, always ran): combinations that work, but not as
     * their values suggest, are one WARN naming the fields and what happens;
     * the defaults and a keepalive timeout longer than keepalive_ms are
     * neither; timeouts_reported (the caller said it) silences the WARN */
    static const struct {
        uint32_t k, t, i;
        int reported;
        const char *line;
    } combos[] = {
        {15000, 10000, 10000, 0,
         "WARN sipc_ctx_new: options.keepalive_ms (15000) is not below options.idle_timeout_ms "
         "(10000): every connection quiet for 10000 ms is closed as idle (SIPC_EIDLE) before "
         "its PING could keep it open"},
        {15000, 10000, 15000, 0,
         "options.keepalive_ms (15000) is not below options.idle_timeout_ms (15000)"},
        {30000, 0, 10000, 0, "options.keepalive_ms (30000) is not below"},
        {15000, 10000, 20000, 0,
         "options.keepalive_ms + options.keepalive_timeout_ms (15000 + 10000) is not below "
         "options.idle_timeout_ms (20000): an unanswered PING is closed as idle (SIPC_EIDLE) "
         "5000 ms after it went"},
        {0, 10000, 0, 0, "options.idle_timeout_ms and options.keepalive_ms are 0"},
        {15000, 0, 0, 0, "options.idle_timeout_ms and options.keepalive_timeout_ms are 0"},
        {15000, 10000, 60000, 0, NULL},
        {50, 150, 0, 0, NULL},
        {0, 10000, 200, 0, NULL},
        {100, 10000, 0, 0, NULL},
        {15000, 10000, 10000, 1, NULL},
        {15000, 0, 0, 1, NULL},
    };
    for (size_t i = 0; i < sizeof combos / sizeof combos[0]; i++) {
        tu_log log = {0};
        sipc_options_init(&o);
        o.log = tu_log_sink;
        o.log_arg = &log;
        o.keepalive_ms = combos[i].k;
        o.keepalive_timeout_ms = combos[i].t;
        o.idle_timeout_ms = combos[i].i;
        o.timeouts_reported = combos[i].reported;
        ctx = NULL;
        int r = sipc_ctx_new(&ctx, &loop, &o, sec);
        if (combos[i].line && !tu_log_has(&log, combos[i].line))
            fail_msg("combination %zu: no line '%s'", i, combos[i].line);
        if (!combos[i].line && tu_log_has(&log, "sipc_ctx_new"))
            fail_msg("combination %zu: a line where none was due: %s", i, log.buf);
        /* one line, once */
        if (combos[i].line && strstr(strstr(log.buf, "sipc_ctx_new") + 1, "sipc_ctx_new"))
            fail_msg("combination %zu: more than one line: %s", i, log.buf);
        assert_int_equal(r, 0);
        assert_non_null(ctx);
        sipc_ctx_close(ctx, NULL, NULL);
        assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
        tu_log_free(&log);
    }
    sipc_security_release(sec);
    /* a TLS mode that is none of the three */
    sipc_security *bad = NULL;
    char err[256];
    assert_int_equal(sipc_security_from_pem(&bad, (sipc_tls_mode)7, "x.pem", NULL, err, sizeof err),
                     SIPC_EINVAL);
    assert_null(bad);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_hello),        cmocka_unit_test(t_requests),
        cmocka_unit_test(t_mode_refusal_when_up),
        cmocka_unit_test(t_calls),        cmocka_unit_test(t_ping_pong),
        cmocka_unit_test(t_call_deadline), cmocka_unit_test(t_call_deadline_ping_unanswered),
        cmocka_unit_test(t_close_pending),
        cmocka_unit_test(t_pending_cap),  cmocka_unit_test(t_writable),
        cmocka_unit_test(t_writable_low_water),
        cmocka_unit_test(t_expired_uncounted), cmocka_unit_test(t_expired_bounded),
        cmocka_unit_test(t_paused_idle_says_why), cmocka_unit_test(t_unread_answers_pause), cmocka_unit_test(t_envelope_refused),
        cmocka_unit_test(t_goaway_received_closes_when_answered), cmocka_unit_test(t_idle_after_stall),
        cmocka_unit_test(t_keepalive_timeout),
        cmocka_unit_test(t_keepalive_held_late),
        cmocka_unit_test(t_keepalive_off_held),
        cmocka_unit_test(t_answer_too_big),
        cmocka_unit_test(t_hello_max_frame_floor),
        cmocka_unit_test(t_idle_release),
        cmocka_unit_test(t_close_release_counted),
        cmocka_unit_test(t_trim_policy),
        cmocka_unit_test(t_idle_trim_stuck), cmocka_unit_test(t_options_checked),
        cmocka_unit_test(t_direct_write),  cmocka_unit_test(t_direct_write_failure),
    };
    return cmocka_run_group_tests_name("connection state machine", tests, NULL, NULL);
}
