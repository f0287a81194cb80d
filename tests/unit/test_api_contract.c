/* test_api_contract.c - what sipc/sipc.h promises a library user who gets
 * things wrong: the router's lifetime, refusals with a reason, NULL
 * arguments, a second close, a second answer, names no peer could route.
 * Public API only; real sockets on loopback 127.0.88.0/24, plaintext. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sipc/sipc.h"
#include "testutil.h"

#define ADDR "127.0.88.1"

/* One loop, one plaintext context, its log captured. */
typedef struct fixture {
    uv_loop_t loop;
    sipc_security *sec;
    sipc_ctx *ctx;
    tu_log log;
    int closed;
} fixture;

static void fx_open(fixture *f)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(sipc_security_plain(&f->sec), 0);
    sipc_options o;
    sipc_options_init(&o);
    o.log = tu_log_sink;
    o.log_arg = &f->log;
    o.node_id = "contract";
    assert_int_equal(sipc_ctx_new(&f->ctx, &f->loop, &o, f->sec), 0);
}

static void on_ctx_closed(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    ((fixture *)arg)->closed++;
}

static void fx_close(fixture *f)
{
    sipc_ctx_close(f->ctx, on_ctx_closed, f);
    assert_true(tu_run_until(&f->loop, &f->closed, 5000));
    assert_true(tu_drain(&f->loop, 5000));
    assert_int_equal(uv_loop_close(&f->loop), 0);
    sipc_security_release(f->sec);
    tu_log_free(&f->log);
}

/* A call's outcome. */
typedef struct outcome {
    int done, err, status;
    char data[64];
} outcome;

static void on_reply(int err, const sipc_reply *rep, void *arg)
{
    outcome *o = arg;
    o->done = 1;
    o->err = err;
    o->status = rep->status;
    size_t n = rep->len < sizeof o->data - 1 ? rep->len : sizeof o->data - 1;
    if (n)
        memcpy(o->data, rep->data, n);
    o->data[n] = '\0';
}

static void h_hello(sipc_request *req, void *arg)
{
    const char *word = arg;
    assert_int_equal(sipc_respond(req, word, strlen(word)), 0);
}

/* One call to ch, run to its end. */
static void call_once(fixture *f, sipc_channel *ch, const char *service, const char *method,
                      outcome *o)
{
    memset(o, 0, sizeof *o);
    assert_int_equal(sipc_call(ch, service, method, "x", 1, 3000, on_reply, o), 0);
    assert_true(tu_run_until(&f->loop, &o->done, 5000));
}

/* ------------------------------------------------------------ the router */

/* The router freed right after listen (and after open): the server and the
 * channel keep serving it, and a route added later is seen by the server. */
static void test_router_freed_after_listen(void **state)
{
    (void)state;
    fixture f;
    fx_open(&f);
    sipc_router *r;
    assert_int_equal(sipc_router_new(&r), 0);
    assert_int_equal(sipc_router_add(r, "calc", "hello", h_hello, "one"), 0);
    sipc_server *srv;
    assert_int_equal(sipc_server_listen(&srv, f.ctx, "contract", ADDR, 0, r), 0);
    sipc_channel *ch;
    assert_int_equal(sipc_channel_open(&ch, f.ctx, ADDR, sipc_server_port(srv), r), 0);
    /* live: added after listen, still the caller's reference */
    assert_int_equal(sipc_router_add(r, "calc", "late", h_hello, "late"), 0);
    sipc_router_free(r);
    outcome o;
    call_once(&f, ch, "calc", "hello", &o);
    assert_int_equal(o.err, 0);
    assert_string_equal(o.data, "one");
    call_once(&f, ch, "calc", "late", &o);
    assert_int_equal(o.err, 0);
    assert_string_equal(o.data, "late");
    call_once(&f, ch, "sys", "ping", &o);
    assert_int_equal(o.err, 0);
    fx_close(&f);
}

/* A server on one router, a channel on none, both closed while the caller
 * still holds the router: it stays usable and is freed by the last owner
 * (ASan/valgrind would see a double free or a leak). */
static void test_router_outlives_server(void **state)
{
    (void)state;
    fixture f;
    fx_open(&f);
    sipc_router *r;
    assert_int_equal(sipc_router_new(&r), 0);
    sipc_server *srv;
    assert_int_equal(sipc_server_listen(&srv, f.ctx, NULL, NULL, 0, r), 0);
    sipc_channel *ch;
    assert_int_equal(sipc_channel_open(&ch, f.ctx, "127.0.0.1", sipc_server_port(srv), NULL), 0);
    outcome o;
    call_once(&f, ch, "sys", "ping", &o);
    assert_int_equal(o.err, 0);
    fx_close(&f);
    assert_int_equal(sipc_router_add(r, "calc", "after", h_hello, "x"), 0);
    sipc_router_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router_freed_after_listen),
        cmocka_unit_test(test_router_outlives_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
