/* test_accept_refuse.c - a connection the server cannot take on (no memory
 * for its stream, or for its connection) is closed and counted as refused,
 * and the listener goes on accepting. libuv 1.44 keeps a connection it took for the owner until
 * uv_accept() and stops watching the listener meanwhile: left there, one
 * failed allocation would leave the server deaf for good. The allocation of
 * the next streams fails through the linker's --wrap of calloc; raw TCP
 * clients are refused (they read the close), then a sipc client's call is
 * answered. Two failures in one pass of libuv's accept loop too (the second
 * waits for the handle that refused the first). Over real TCP on
 * 127.1.190.2. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "ipc/internal.h"
#include "testutil.h"
#include "transport/stream_impl.h"

#define ADDR "127.1.190.2"

/* the next g_fail allocations of g_fail_size bytes (a stream's or a
 * connection's) fail */
void *__real_calloc(size_t n, size_t size);
static int g_fail;
static size_t g_fail_size;

void *__wrap_calloc(size_t n, size_t size)
{
    if (g_fail > 0 && n == 1 && size == g_fail_size) {
        g_fail--;
        return NULL;
    }
    return __real_calloc(n, size);
}

typedef struct world {
    uv_loop_t loop;
    tu_log log;
    sipc_ctx *ctx;
    sipc_router *router;
    sipc_server *srv;
    uint64_t want_refused;
    int refused; /* the server's refused_total reached want_refused */
    uv_timer_t watch;
} world;

static void h_ping(sipc_request *req, void *arg)
{
    (void)arg;
    assert_int_equal(sipc_respond(req, "pong", 4), 0);
}

static void on_watch(uv_timer_t *t)
{
    world *w = t->data;
    sipc_server_stats st;
    assert_int_equal(sipc_server_stats_get(w->srv, &st), 0);
    if (st.refused_total >= w->want_refused)
        w->refused = 1;
}

/* A plaintext server with the ping handler, its refusals watched. */
static void world_open(world *w)
{
    memset(w, 0, sizeof *w);
    assert_int_equal(uv_loop_init(&w->loop), 0);
    sipc_options o;
    sipc_options_init(&o);
    o.log = tu_log_sink;
    o.log_arg = &w->log;
    sipc_security *plain;
    assert_int_equal(sipc_security_plain(&plain), 0);
    assert_int_equal(sipc_ctx_new(&w->ctx, &w->loop, &o, plain), 0);
    sipc_security_release(plain);
    assert_int_equal(sipc_router_new(&w->router), 0);
    assert_int_equal(sipc_router_add(w->router, "test", "ping", h_ping, w), 0);
    assert_int_equal(sipc_server_listen(&w->srv, w->ctx, "Test Service", ADDR, 0, w->router), 0);
    uv_timer_init(&w->loop, &w->watch);
    w->watch.data = w;
    uv_timer_start(&w->watch, on_watch, 5, 5);
}

static void world_close(world *w)
{
    uv_close((uv_handle_t *)&w->watch, NULL);
    sipc_ctx_close(w->ctx, NULL, NULL);
    assert_true(tu_drain(&w->loop, 5000));
    assert_int_equal(uv_loop_close(&w->loop), 0);
    sipc_router_free(w->router);
    tu_log_free(&w->log);
}

/* A raw TCP client from ADDR connected to the server (the kernel completes
 * it before the server's loop sees it), reads time out after 3 s. */
static int raw_connect(world *w)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)sipc_server_port(w->srv))};
    assert_int_equal(inet_pton(AF_INET, ADDR, &sa.sin_addr), 1);
    struct sockaddr_in from = {.sin_family = AF_INET}; /* from the test's block too */
    assert_int_equal(inet_pton(AF_INET, ADDR, &from.sin_addr), 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof from), 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = {.tv_sec = 3};
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    return fd;
}

/* The server closed fd's connection: EOF or a reset, not a timeout. */
static void assert_closed_by_server(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, 0);
    if (n < 0)
        assert_int_equal(errno, ECONNRESET);
    else
        assert_int_equal(n, 0);
    close(fd);
}

typedef struct outcome {
    int done, err;
    char message[400];
} outcome;

static void on_outcome(int err, const sipc_reply *rep, void *arg)
{
    outcome *o = arg;
    o->err = err;
    snprintf(o->message, sizeof o->message, "%s", rep->message);
    o->done = 1;
}

/* nfail connections refused for want of memory (size: what fails to be
 * allocated), then a client answered; the log says said (the peer's
 * address once a stream was made to know it). */
static void refuse_then_serve(int nfail, size_t size, const char *said)
{
    world w;
    world_open(&w);
    g_fail_size = size;
    g_fail = nfail;
    int fds[4];
    assert_true(nfail <= 4);
    for (int i = 0; i < nfail; i++) /* all in the backlog before the loop runs */
        fds[i] = raw_connect(&w);
    w.want_refused = (uint64_t)nfail;
    assert_true(tu_run_until(&w.loop, &w.refused, 5000));
    assert_int_equal(g_fail, 0);
    sipc_channel *ch;
    assert_int_equal(sipc_channel_open(&ch, w.ctx, ADDR, sipc_server_port(w.srv), NULL), 0);
    outcome o = {0};
    assert_int_equal(sipc_call(ch, "test", "ping", NULL, 0, 3000, on_outcome, &o), 0);
    assert_true(tu_run_until(&w.loop, &o.done, 5000));
    if (o.err != 0)
        fprintf(stderr, "call: %s: %s\n%s", sipc_strerror(o.err), o.message,
                w.log.buf ? w.log.buf : "");
    assert_int_equal(o.err, 0);
    for (int i = 0; i < nfail; i++)
        assert_closed_by_server(fds[i]);
    sipc_server_stats st;
    assert_int_equal(sipc_server_stats_get(w.srv, &st), 0);
    assert_int_equal(st.refused_total, (uint64_t)nfail);
    assert_int_equal(st.accepted_total, 1);
    char line[200];
    snprintf(line, sizeof line, "accept failed: %s", sipc_strerror(SIPC_ENOMEM));
    if (!tu_log_has(&w.log, said))
        fprintf(stderr, "%s", w.log.buf ? w.log.buf : "");
    assert_true(tu_log_has(&w.log, said));
    assert_true(tu_log_has(&w.log, line));
    world_close(&w);
}

static void t_refused_once(void **state)
{
    (void)state;
    refuse_then_serve(1, sizeof(struct sipc_stream), "Test Service: refusing a connection: accept");
}

static void t_refused_twice_in_one_pass(void **state)
{
    (void)state;
    refuse_then_serve(2, sizeof(struct sipc_stream), "Test Service: refusing a connection: accept");
}

static void t_refused_without_connection(void **state)
{
    (void)state;
    refuse_then_serve(1, sizeof(sipc_conn), "Test Service: refusing a connection from " ADDR ":");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_refused_once),
        cmocka_unit_test(t_refused_twice_in_one_pass),
        cmocka_unit_test(t_refused_without_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
