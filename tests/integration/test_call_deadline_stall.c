/* test_call_deadline_stall.c - a call's deadline counts from when the call
 * is made, not from when the loop last polled. Over real TCP on loopback
 * (127.1.103.1): a handler works for 300 ms (the loop stalls), then calls
 * another server with a 100 ms deadline; that server answers at once, so
 * the call must succeed. Counted from the loop's cached time the deadline
 * had passed before the call was sent, and the call failed with
 * SIPC_ETIMEDOUT as soon as the loop turned. Both ways of calling: on a
 * channel that is up (the call goes out at once) and on one not yet up (it
 * waits for the link, with the same deadline). And reading the time for a
 * call does not move the loop's own time: libuv before 1.48 then runs a
 * repeating timer whose callback outlasts its period again in the same
 * pass, forever, and the loop never polls (no reply is ever read). And a
 * call that waited for its link past its deadline, the link coming up only
 * then, fails with SIPC_ETIMEDOUT and is not sent: its caller has given up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#define ADDR "127.1.103.1"
#define WORK_MS 300
#define CALL_MS 100

typedef struct world {
    uv_loop_t loop;
    tu_log log;
    sipc_security *sec;
    sipc_ctx *ctx;
    sipc_router *router;
    sipc_server *slow_srv, *echo_srv;
    sipc_channel *to_slow, *to_echo;
    int echo_up, wait_link; /* wait_link: the handler opens to_echo itself */
    struct outcome {
        int done, err;
        char message[400];
    } outer, inner;
    int64_t inner_told_ms; /* the deadline the echo handler was told */
    int echoes;            /* requests the echo handler saw */
    int stall_on_connect;  /* ms the log sink stalls at "Connected to" */
} world;

static void on_echo_conn(sipc_conn *c, sipc_conn_event ev, int err, void *arg)
{
    (void)c;
    (void)err;
    if (ev == SIPC_CONN_UP)
        ((world *)arg)->echo_up = 1;
}

static void h_echo(sipc_request *req, void *arg)
{
    world *w = arg;
    w->inner_told_ms = sipc_request_deadline_ms(req);
    w->echoes++;
    assert_int_equal(sipc_respond(req, NULL, 0), 0);
}

static void on_outcome(int err, const sipc_reply *rep, void *arg)
{
    struct outcome *o = arg;
    o->err = err;
    snprintf(o->message, sizeof o->message, "%s", rep->message);
    o->done = 1;
}

static void h_slow(sipc_request *req, void *arg)
{
    world *w = arg;
    if (w->wait_link) {
        int port = sipc_server_port(w->echo_srv);
        assert_int_equal(sipc_channel_open(&w->to_echo, w->ctx, ADDR, port, NULL), 0);
    }
    tu_sleep_ms(WORK_MS); /* the handler's work: the loop stalls */
    assert_int_equal(
        sipc_call(w->to_echo, "test", "echo", "x", 1, CALL_MS, on_outcome, &w->inner), 0);
    assert_int_equal(sipc_respond(req, NULL, 0), 0);
}

/* The test's log, and a stall where a link comes up: the line is written
 * right before the calls that waited for the link go out. */
static void world_log(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    world *w = (world *)((char *)arg - offsetof(world, log));
    if (w->stall_on_connect && strstr(msg, "Connected to"))
        tu_sleep_ms(w->stall_on_connect);
    tu_log_sink(arg, level, category, msg);
}

/* A loop, a plaintext context and a router with the echo handler. */
static void world_open(world *w)
{
    memset(w, 0, sizeof *w);
    assert_int_equal(uv_loop_init(&w->loop), 0);
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = "n";
    o.cluster = "test";
    o.log = world_log;
    o.log_arg = &w->log;
    w->sec = tu_security(SIPC_TLS_OFF, NULL);
    assert_int_equal(sipc_ctx_new(&w->ctx, &w->loop, &o, w->sec), 0);
    assert_int_equal(sipc_router_new(&w->router), 0);
    assert_int_equal(sipc_router_add(w->router, "test", "echo", h_echo, w), 0);
}

/* Closes what world_open and the test opened. */
static void world_close(world *w)
{
    sipc_ctx_close(w->ctx, NULL, NULL);
    assert_true(tu_drain(&w->loop, 5000));
    assert_int_equal(uv_loop_close(&w->loop), 0);
    sipc_router_free(w->router);
    sipc_security_release(w->sec);
    tu_log_free(&w->log);
}

static void call_after_stall(int wait_link)
{
    world w;
    world_open(&w);
    w.wait_link = wait_link;
    assert_int_equal(sipc_router_add(w.router, "test", "slow", h_slow, &w), 0);
    assert_int_equal(sipc_server_listen(&w.slow_srv, w.ctx, "Slow Service", ADDR, 0, w.router), 0);
    assert_int_equal(sipc_server_listen(&w.echo_srv, w.ctx, "Echo Service", ADDR, 0, w.router), 0);
    if (!wait_link) {
        int port = sipc_server_port(w.echo_srv);
        assert_int_equal(sipc_channel_open(&w.to_echo, w.ctx, ADDR, port, NULL), 0);
        sipc_channel_set_conn_cb(w.to_echo, on_echo_conn, &w);
        assert_true(tu_run_until(&w.loop, &w.echo_up, 5000));
    }
    int port = sipc_server_port(w.slow_srv);
    assert_int_equal(sipc_channel_open(&w.to_slow, w.ctx, ADDR, port, NULL), 0);
    assert_int_equal(sipc_call(w.to_slow, "test", "slow", NULL, 0, 5000, on_outcome, &w.outer), 0);
    assert_true(tu_run_until(&w.loop, &w.inner.done, 5000));
    assert_true(tu_run_until(&w.loop, &w.outer.done, 5000));
    if (w.inner.err != 0)
        fprintf(stderr, "inner call: %s\n%s", sipc_strerror(w.inner.err),
                w.log.buf ? w.log.buf : "");
    assert_int_equal(w.outer.err, 0);
    assert_int_equal(w.inner.err, 0);
    /* the peer was told what was left of it */
    assert_true(w.inner_told_ms > 0 && w.inner_told_ms <= CALL_MS);
    world_close(&w);
}

static void t_call_after_stall(void **state)
{
    (void)state;
    call_after_stall(0);
}

static void t_waiting_call_after_stall(void **state)
{
    (void)state;
    call_after_stall(1);
}

/* The link comes up only after the waiting call's deadline (the loop
 * stalled while it came up): the call fails, and the echo server never
 * sees it. */
static void t_waiting_call_late_link(void **state)
{
    (void)state;
    world w;
    world_open(&w);
    w.stall_on_connect = 2 * CALL_MS;
    assert_int_equal(sipc_server_listen(&w.echo_srv, w.ctx, "Echo Service", ADDR, 0, w.router), 0);
    assert_int_equal(
        sipc_channel_open(&w.to_echo, w.ctx, ADDR, sipc_server_port(w.echo_srv), NULL), 0);
    sipc_channel_set_conn_cb(w.to_echo, on_echo_conn, &w);
    assert_int_equal(
        sipc_call(w.to_echo, "test", "echo", "x", 1, CALL_MS, on_outcome, &w.inner), 0);
    assert_true(tu_run_until(&w.loop, &w.inner.done, 5000));
    assert_int_equal(w.inner.err, SIPC_ETIMEDOUT);
    assert_non_null(strstr(w.inner.message, "came up"));
    assert_true(tu_run_until(&w.loop, &w.echo_up, 5000));
    /* a turn or two for anything sent to reach the echo server */
    for (int i = 0; i < 20; i++)
        (void)uv_run(&w.loop, UV_RUN_NOWAIT);
    tu_sleep_ms(20);
    for (int i = 0; i < 20; i++)
        (void)uv_run(&w.loop, UV_RUN_NOWAIT);
    assert_int_equal(w.echoes, 0);
    assert_non_null(strstr(w.log.buf ? w.log.buf : "", "Connected to"));
    world_close(&w);
}

/* A host's repeating timer (5 ms) whose callback works 6 ms and then calls:
 * the loop keeps polling between its runs, so replies come in while it
 * goes on. */
typedef struct ticker {
    uv_timer_t t;
    sipc_channel *ch;
    int runs, replies, replies_seen_at_last_run;
} ticker;

static void on_tick_reply(int err, const sipc_reply *rep, void *arg)
{
    (void)rep;
    if (err == 0)
        ((ticker *)arg)->replies++;
}

static void on_tick(uv_timer_t *t)
{
    ticker *k = t->data;
    tu_sleep_ms(6);
    assert_int_equal(sipc_call(k->ch, "test", "echo", "x", 1, 30000, on_tick_reply, k), 0);
    if (++k->runs == 60) {
        k->replies_seen_at_last_run = k->replies;
        uv_timer_stop(t);
    }
}

static void t_long_timer_calls(void **state)
{
    (void)state;
    world w;
    world_open(&w);
    assert_int_equal(sipc_server_listen(&w.echo_srv, w.ctx, "Echo Service", ADDR, 0, w.router), 0);
    assert_int_equal(
        sipc_channel_open(&w.to_echo, w.ctx, ADDR, sipc_server_port(w.echo_srv), NULL), 0);
    sipc_channel_set_conn_cb(w.to_echo, on_echo_conn, &w);
    assert_true(tu_run_until(&w.loop, &w.echo_up, 5000));
    ticker k = {.ch = w.to_echo};
    uv_timer_init(&w.loop, &k.t);
    k.t.data = &k;
    uv_timer_start(&k.t, on_tick, 5, 5);
    for (int i = 0; i < 2000 && k.runs < 60; i++)
        (void)uv_run(&w.loop, UV_RUN_ONCE);
    assert_int_equal(k.runs, 60);
    if (k.replies_seen_at_last_run < 20)
        fail_msg("only %d of 60 calls answered while the timer ran: the loop did not poll "
                 "between its runs",
                 k.replies_seen_at_last_run);
    uv_close((uv_handle_t *)&k.t, NULL);
    world_close(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_call_after_stall),
        cmocka_unit_test(t_waiting_call_after_stall),
        cmocka_unit_test(t_waiting_call_late_link),
        cmocka_unit_test(t_long_timer_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
