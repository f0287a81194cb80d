/* test_mgmt_cluster_reload.c - management.cluster asked over and over while
 * the peer it asks, and the asking node itself, reload their security and
 * replace the connections made before (sipc_ctx_set_security, then
 * sipc_ctx_retire_connections, every few ms): the peer is reachable in every
 * answer. A reload replaces an idle connection through GOAWAY, so a status
 * asked at that very moment is answered on it, never failed with
 * SIPC_ECLOSED: each peer is asked once (the second question management.cluster
 * keeps for a peer of a version before GOAWAY, test_mgmt_cluster_retry, is
 * never needed here). Over real TCP on 127.1.164.2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "mgmt_pair.h"

#define NET "127.1.164.2"
/* questions go on, one after the other, until b reloaded RELOADS times */
#define RELOADS 100
#define ASKS_MAX 100000

static void on_status(sipc_request *req, void *arg)
{
    int *asked = arg;
    (*asked)++;
    const char *st = "{\"schema\":1,\"node\":{\"id\":\"b\"}}";
    sipc_respond(req, st, strlen(st));
}

typedef struct asker {
    sipc_channel *ch;
    const int *reloads;
    int asked, answered, reachable, done;
} asker;

static void ask(asker *a);

static void on_cluster(int err, const sipc_reply *rep, void *arg)
{
    asker *a = arg;
    if (err == 0) {
        a->answered++;
        json_t *j = json_loadb((const char *)rep->data, rep->len, 0, NULL);
        json_t *b = json_array_get(json_object_get(j, "nodes"), 1);
        if (json_is_true(json_object_get(b, "reachable")))
            a->reachable++;
        else if (a->answered - a->reachable == 1)
            print_message("b unreachable: %s\n", json_string_value(json_object_get(b, "error")));
        json_decref(j);
    } else {
        print_message("management.cluster failed: %s\n", sipc_err_name(err));
    }
    ask(a);
}

static void ask(asker *a)
{
    if (*a->reloads >= RELOADS || a->asked == ASKS_MAX) {
        a->done = 1;
        return;
    }
    a->asked++;
    assert_int_equal(sipc_call(a->ch, "management", "cluster", NULL, 0, 8000, on_cluster, a), 0);
}

/* b reloads at every tick, a at every third: each retires what it had */
typedef struct reloader {
    uv_timer_t t;
    sipc_ctx *a, *b;
    int ticks;
} reloader;

static void reload(sipc_ctx *ctx)
{
    sipc_security *plain;
    assert_int_equal(sipc_security_plain(&plain), 0);
    assert_int_equal(sipc_ctx_set_security(ctx, plain), 0);
    sipc_security_release(plain);
    (void)sipc_ctx_retire_connections(ctx, 0);
}

static void on_reload(uv_timer_t *t)
{
    reloader *r = t->data;
    reload(r->b);
    if (++r->ticks % 3 == 0)
        reload(r->a);
}

static void t_peer_reachable_across_reloads(void **state)
{
    (void)state;
    tu_log log = {0};
    int asked_b = 0;
    mgmt_pair w;
    mgmt_pair_open(&w, NET, on_status, &asked_b, &log);
    reloader r = {.a = w.actx, .b = w.bctx};
    asker a = {.ch = w.ch, .reloads = &r.ticks};
    uv_timer_init(&w.loop, &r.t);
    r.t.data = &r;
    uv_timer_start(&r.t, on_reload, 1, 2);
    ask(&a);
    assert_true(tu_run_until(&w.loop, &a.done, 30000));
    uv_timer_stop(&r.t);
    print_message("%d reloads of b, %d of a: %d of %d answers with b reachable; b asked %d "
                  "times\n",
                  r.ticks, r.ticks / 3, a.reachable, a.answered, asked_b);
    assert_true(r.ticks >= RELOADS);
    assert_true(a.answered > RELOADS);
    assert_int_equal(a.answered, a.asked);
    assert_int_equal(a.reachable, a.answered);
    assert_int_equal(asked_b, a.asked); /* once each: nothing asked again */
    assert_true(tu_log_has(&log, "GOAWAY sent"));
    uv_close((uv_handle_t *)&r.t, NULL);
    mgmt_pair_close(&w);
    tu_log_free(&log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_peer_reachable_across_reloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
