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

/* ------------------------------------------------------ sipc_ctx_new */

/* sipc_ctx_new with o (log captured), expecting SIPC_EINVAL and a line
 * holding want. */
static void ctx_refused(sipc_options *o, sipc_security *sec, const char *want)
{
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    tu_log log = {0};
    o->log = tu_log_sink;
    o->log_arg = &log;
    sipc_ctx *ctx = NULL;
    assert_int_equal(sipc_ctx_new(&ctx, &loop, o, sec), SIPC_EINVAL);
    assert_null(ctx);
    if (!tu_log_has(&log, "ERROR") || !tu_log_has(&log, want))
        fail_msg("no ERROR line with '%s' in: %s", want, log.buf ? log.buf : "(nothing)");
    tu_log_free(&log);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* Names that would be cut, or that a peer's hello check refuses, and every
 * other refusal, each with a line naming the field. */
static void test_ctx_new_refusals_say_why(void **state)
{
    (void)state;
    sipc_security *sec;
    assert_int_equal(sipc_security_plain(&sec), 0);
    char long_name[200];
    memset(long_name, 'c', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    sipc_options o;

    sipc_options_init(&o);
    o.cluster = long_name;
    ctx_refused(&o, sec, "options.cluster is 199 bytes long");
    sipc_options_init(&o);
    o.node_id = long_name;
    ctx_refused(&o, sec, "options.node_id is 199 bytes long");
    sipc_options_init(&o);
    o.cluster = "prod\x1b[2J";
    ctx_refused(&o, sec, "options.cluster holds control characters");
    sipc_options_init(&o);
    o.node_id = "n1\n";
    ctx_refused(&o, sec, "options.node_id holds control characters");
    sipc_options_init(&o);
    o.node_id = "\xff\xfe";
    ctx_refused(&o, sec, "options.node_id holds control characters or bytes that are not UTF-8");
    sipc_options_init(&o);
    o.node_id = "";
    ctx_refused(&o, sec, "options.node_id is \"\"");
    sipc_options_init(&o);
    o.max_frame = 100;
    ctx_refused(&o, sec, "options.max_frame is 100 bytes");
    sipc_options_init(&o);
    o.log_level = (sipc_log_level)9;
    ctx_refused(&o, sec, "options.log_level is 9");
    sipc_options_init(&o);
    o.source_address = "myhost";
    ctx_refused(&o, sec, "options.source_address 'myhost' is not a numeric");
    sipc_options_init(&o);
    o.max_frame = 4 << 20;
    o.max_read_buffer_total = 1 << 20;
    ctx_refused(&o, sec, "options.max_read_buffer_total");
    sipc_options_init(&o);
    ctx_refused(&o, NULL, "sec is NULL");

    /* the longest kept name is accepted whole; so is printable UTF-8 */
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    long_name[63] = '\0';
    sipc_options_init(&o);
    o.cluster = long_name;
    o.node_id = "n\xc3\xa9ud-1";
    sipc_ctx *ctx = NULL;
    assert_int_equal(sipc_ctx_new(&ctx, &loop, &o, sec), 0);
    assert_string_equal(sipc_ctx_cluster(ctx), long_name);
    assert_string_equal(sipc_ctx_node_id(ctx), "n\xc3\xa9ud-1");
    sipc_ctx_close(ctx, NULL, NULL);
    assert_true(tu_drain(&loop, 5000));
    assert_int_equal(uv_loop_close(&loop), 0);
    /* NULL options: every default */
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(sipc_ctx_new(&ctx, &loop, NULL, sec), 0);
    assert_string_equal(sipc_ctx_cluster(ctx), "sipc");
    sipc_ctx_close(ctx, NULL, NULL);
    assert_true(tu_drain(&loop, 5000));
    assert_int_equal(uv_loop_close(&loop), 0);
    sipc_security_release(sec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router_freed_after_listen),
        cmocka_unit_test(test_router_outlives_server),
        cmocka_unit_test(test_ctx_new_refusals_say_why),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
