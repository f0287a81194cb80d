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

#include <cmocka.h>

#include "ipc/internal.h"
#include "ping_server.h"
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
    tu_ping_server p;
    uint64_t want_refused;
    int refused; /* the server's refused_total reached want_refused */
    uv_timer_t watch;
} world;

static void on_watch(uv_timer_t *t)
{
    world *w = t->data;
    sipc_server_stats st;
    assert_int_equal(sipc_server_stats_get(w->p.srv, &st), 0);
    if (st.refused_total >= w->want_refused)
        w->refused = 1;
}

/* A plaintext server with the ping handler, its refusals watched. */
static void world_open(world *w)
{
    memset(w, 0, sizeof *w);
    tu_ping_server_open(&w->p, ADDR);
    uv_timer_init(&w->p.loop, &w->watch);
    w->watch.data = w;
    uv_timer_start(&w->watch, on_watch, 5, 5);
}

static void world_close(world *w)
{
    uv_close((uv_handle_t *)&w->watch, NULL);
    tu_ping_server_close(&w->p);
    tu_log_free(&w->p.log);
}

/* A raw TCP client from ADDR connected to the server (the kernel completes
 * it before the server's loop sees it), reads time out after 3 s. */
static int raw_connect(world *w)
{
    int fd = tu_tcp_connect(ADDR, ADDR, sipc_server_port(w->p.srv)); /* from the test's block */
    assert_true(fd >= 0);
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
    assert_true(tu_run_until(&w.p.loop, &w.refused, 5000));
    assert_int_equal(g_fail, 0);
    assert_int_equal(tu_ping_call(&w.p, ADDR, 3000), 0);
    for (int i = 0; i < nfail; i++)
        assert_closed_by_server(fds[i]);
    sipc_server_stats st;
    assert_int_equal(sipc_server_stats_get(w.p.srv, &st), 0);
    assert_int_equal(st.refused_total, (uint64_t)nfail);
    assert_int_equal(st.accepted_total, 1);
    char line[200];
    snprintf(line, sizeof line, "accept failed: %s", sipc_strerror(SIPC_ENOMEM));
    if (!tu_log_has(&w.p.log, said))
        fprintf(stderr, "%s", w.p.log.buf ? w.p.log.buf : "");
    assert_true(tu_log_has(&w.p.log, said));
    assert_true(tu_log_has(&w.p.log, line));
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
