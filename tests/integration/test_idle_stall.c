/* test_idle_stall.c - the idle timeout over a real TCP connection on
 * loopback (127.0.69.1, the peer from .2) after this side's own loop stalled: a server with
 * idle_timeout_ms 400 (keepalive off) whose handler blocks the loop for
 * 900 ms; 150 ms into the block its peer sends a PING, which waits in the
 * socket. When the loop runs again the idle deadline has passed, but the
 * PING is read before the idle close judges: it is answered, and the
 * connection stays. The same with two such stalls in a row (the second
 * request waits in the socket during the first block, the PING arrives
 * during the second): the look again is owed after every stall, not only
 * the first. The peer is a thread speaking sipc's plaintext framing with
 * blocking sockets. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
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

#include "raw_peer.h"
#include "testutil.h"

#define ADDR "127.0.69.1"
#define BLOCK_MS 900
#define IDLE_MS 400

typedef struct peer {
    int port;
    int stalls; /* requests whose handler blocks: 1 or 2 */
    volatile int done, got_pong, got_response, got_response2, eof;
    pthread_t th;
} peer;

/* hello, the request whose handler blocks, 150 ms later a PING (with two
 * stalls: 150 ms later a second such request, and the PING 300 ms into
 * its block); then whatever comes until the PONG, EOF or 3 s of silence */
static void *peer_main(void *arg)
{
    peer *pe = arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)pe->port)};
    inet_pton(AF_INET, ADDR, &sa.sin_addr);
    struct timeval tv = {3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in from = {.sin_family = AF_INET}; /* within the test's block */
    inet_pton(AF_INET, "127.0.69.2", &from.sin_addr);
    if (bind(fd, (struct sockaddr *)&from, sizeof from) != 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        goto out;
    Sipc__Hello h = SIPC__HELLO__INIT;
    h.protocol_version = SIPC_PROTOCOL_VERSION;
    h.node_id = "peer";
    h.cluster = "test";
    h.software = "test";
    uint8_t buf[128];
    size_t hn = sipc__hello__pack(&h, buf);
    sipc_env_out he = {.kind = SIPC__KIND__HELLO, .payload = buf, .payload_len = hn};
    tu_send_env(fd, &he);
    /* the request right behind the hello, before the server's hello is
     * read: a gap here longer than IDLE_MS (this thread not scheduled on a
     * loaded machine) would be a true idle close, not the one tested */
    sipc_env_out req = {.kind = SIPC__KIND__REQUEST, .request_id = 1, .service = "test",
                        .method = "block"};
    tu_send_env(fd, &req);
    Sipc__Envelope *env = tu_recv_env(fd);
    int hello = env && env->kind == SIPC__KIND__HELLO;
    if (env)
        sipc__envelope__free_unpacked(env, NULL);
    if (!hello)
        goto out;
    tu_sleep_ms(150);
    if (pe->stalls == 2) {
        req.request_id = 2;
        tu_send_env(fd, &req); /* read only once the first block is over */
        tu_sleep_ms(BLOCK_MS - 150 + 300);
    }
    sipc_env_out ping = {.kind = SIPC__KIND__PING, .request_id = 77};
    tu_send_env(fd, &ping);
    while (!pe->got_pong && (env = tu_recv_env(fd))) {
        if (env->kind == SIPC__KIND__PONG && env->request_id == 77)
            pe->got_pong = 1;
        if (env->kind == SIPC__KIND__RESPONSE && env->request_id == 1)
            pe->got_response = 1;
        if (env->kind == SIPC__KIND__RESPONSE && env->request_id == 2)
            pe->got_response2 = 1;
        sipc__envelope__free_unpacked(env, NULL);
    }
    pe->eof = !pe->got_pong;
out:
    close(fd);
    pe->done = 1;
    return NULL;
}

typedef struct side {
    uv_loop_t loop;
    tu_log log;
    sipc_security *sec;
    sipc_ctx *ctx;
    sipc_router *router;
    sipc_server *srv;
    int ups, downs, down_err, blocked;
} side;

static void on_conn(sipc_conn *c, sipc_conn_event ev, int err, void *arg)
{
    (void)c;
    side *s = arg;
    if (ev == SIPC_CONN_UP) {
        s->ups++;
    } else if (ev == SIPC_CONN_DOWN) {
        s->downs++;
        if (!s->down_err)
            s->down_err = err;
    }
}

static void h_block(sipc_request *req, void *arg)
{
    side *s = arg;
    tu_sleep_ms(BLOCK_MS); /* the loop stalls: nothing is read meanwhile */
    s->blocked++;
    assert_int_equal(sipc_respond(req, NULL, 0), 0);
}

static void idle_after_stalls(int stalls)
{
    side s;
    memset(&s, 0, sizeof s);
    assert_int_equal(uv_loop_init(&s.loop), 0);
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = "srv";
    o.cluster = "test";
    o.log = tu_log_sink;
    o.log_arg = &s.log;
    o.keepalive_ms = 0;
    o.idle_timeout_ms = IDLE_MS;
    s.sec = tu_security(SIPC_TLS_OFF, NULL);
    assert_int_equal(sipc_ctx_new(&s.ctx, &s.loop, &o, s.sec), 0);
    assert_int_equal(sipc_router_new(&s.router), 0);
    assert_int_equal(sipc_router_add(s.router, "test", "block", h_block, &s), 0);
    assert_int_equal(sipc_server_listen(&s.srv, s.ctx, "Test Service", ADDR, 0, s.router), 0);
    sipc_server_set_conn_cb(s.srv, on_conn, &s);
    peer pe;
    memset(&pe, 0, sizeof pe);
    pe.port = sipc_server_port(s.srv);
    pe.stalls = stalls;
    assert_int_equal(pthread_create(&pe.th, NULL, peer_main, &pe), 0);
    tu_run_until(&s.loop, (const int *)&pe.done, 8000 + (unsigned)stalls * BLOCK_MS);
    pthread_join(pe.th, NULL);
    if (!pe.got_pong)
        fprintf(stderr, "%s", s.log.buf ? s.log.buf : "");
    assert_int_equal(s.blocked, stalls);
    assert_true(pe.got_response);
    if (stalls == 2)
        assert_true(pe.got_response2);
    assert_true(pe.got_pong);
    /* the idle close's own words, not the name a start-up WARN may use */
    assert_false(tu_log_has(&s.log, "nothing received from"));
    assert_int_not_equal(s.down_err, SIPC_EIDLE); /* the peer's close after the PONG may show */
    sipc_ctx_close(s.ctx, NULL, NULL);
    assert_true(tu_drain(&s.loop, 5000));
    assert_int_equal(uv_loop_close(&s.loop), 0);
    sipc_router_free(s.router);
    sipc_security_release(s.sec);
    tu_log_free(&s.log);
}

static void t_idle_after_stall(void **state)
{
    (void)state;
    idle_after_stalls(1);
}

static void t_idle_after_two_stalls(void **state)
{
    (void)state;
    idle_after_stalls(2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_idle_after_stall),
        cmocka_unit_test(t_idle_after_two_stalls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
