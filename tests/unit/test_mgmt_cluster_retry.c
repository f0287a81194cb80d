/* test_mgmt_cluster_retry.c - management.cluster (what `sipcctl status
 * --cluster` asks) with a peer of a version before GOAWAY: at a reload it
 * closes its idle connections, so a status asked at that moment meets a
 * close, unanswered (SIPC_ECLOSED). The peer here, a real sipc server,
 * closes the connection a status arrives on without answering, for its first
 * `closes` questions. Closed once: asked again, reachable. Closed every
 * time: unreachable with the reason, asked twice, not more, within the
 * deadline. Closed once, then silent: the second question ends with the
 * caller's deadline, not past it. Over real TCP on 127.1.190.1.
 * And the nodes asked besides a's own list: those b's answer lists (on
 * 127.1.219.x), each once, their answers marked with who listed them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "mgmt_pair.h"

#define NET "127.1.190.1"

typedef struct peer {
    int asked;
    int closes;          /* how many of the first questions are met with a close */
    int silent;          /* after them: no answer at all */
    sipc_request *held;  /* the question left unanswered */
} peer;

static void on_status(sipc_request *req, void *arg)
{
    peer *p = arg;
    if (p->asked++ < p->closes) {
        sipc_conn_close(sipc_request_conn(req));
        sipc_respond_error(req, SIPC_ECLOSED, "gone"); /* frees it; nothing is sent */
        return;
    }
    if (p->silent) {
        p->held = req;
        return;
    }
    const char *st = "{\"schema\":1,\"node\":{\"id\":\"b\"}}";
    sipc_respond(req, st, strlen(st));
}

typedef struct answer {
    int done, err;
    json_t *nodes;
} answer;

static void on_cluster(int err, const sipc_reply *rep, void *arg)
{
    answer *a = arg;
    a->err = err;
    if (err == 0) {
        json_t *j = json_loadb((const char *)rep->data, rep->len, 0, NULL);
        a->nodes = json_incref(json_object_get(j, "nodes"));
        json_decref(j);
    }
    a->done = 1;
}

typedef struct outcome {
    int reachable;
    char error[700]; /* the reason given for an unreachable b */
    uint64_t took_ms;
} outcome;

/* A's cluster status, asked with deadline_ms, with peer b behaving as p
 * says: whether b is reachable in it, why not, and how long it took; b
 * must have been asked twice. */
static void ask(peer *p, uint32_t deadline_ms, outcome *out)
{
    mgmt_pair w;
    mgmt_pair_open(&w, NET, on_status, p, NULL);
    answer a = {0};
    uint64_t t0 = uv_hrtime();
    assert_int_equal(
        sipc_call(w.ch, "management", "cluster", NULL, 0, deadline_ms, on_cluster, &a), 0);
    assert_true(tu_run_until(&w.loop, &a.done, deadline_ms + 5000));
    out->took_ms = (uv_hrtime() - t0) / 1000000u;
    assert_int_equal(a.err, 0);
    json_t *b = json_array_get(a.nodes, 1);
    out->reachable = json_is_true(json_object_get(b, "reachable"));
    const char *why = json_string_value(json_object_get(b, "error"));
    snprintf(out->error, sizeof out->error, "%s", why ? why : "");
    if (!out->reachable)
        print_message("b: %s (after %llu ms)\n", out->error, (unsigned long long)out->took_ms);
    json_decref(a.nodes);
    if (p->held)
        (void)sipc_respond_error(p->held, SIPC_ECANCELED, "the test ends");
    mgmt_pair_close(&w);
    assert_int_equal(p->asked, 2); /* every case here: once more, never twice */
}

static void t_closed_once_asked_again(void **state)
{
    (void)state;
    peer p = {.closes = 1};
    outcome out;
    ask(&p, 8000, &out);
    assert_true(out.reachable);
}

static void t_closed_always_unreachable(void **state)
{
    (void)state;
    peer p = {.closes = 100};
    outcome out;
    ask(&p, 8000, &out);
    assert_false(out.reachable);
    assert_non_null(strstr(out.error, "closed"));
    assert_true(out.took_ms < MGMT_PAIR_CLUSTER_TIMEOUT_MS);
}

/* The second question gets only what is left of the caller's deadline:
 * the answer comes before the caller gives up, b unreachable for its
 * silence. */
static void t_second_question_within_deadline(void **state)
{
    (void)state;
    peer p = {.closes = 1, .silent = 1};
    outcome out;
    ask(&p, 1500, &out);
    assert_false(out.reachable);
    assert_non_null(strstr(out.error, "deadline"));
    assert_true(out.took_ms < 1500);
}

/* b and c, fakes answering management.status with a [cluster] nodes of
 * their own; b's management port is every node's (hosts of their own) */
typedef struct lister {
    const char *id;
    const char *nodes; /* JSON array of entries */
    int *port;         /* the management port the status names */
    int asked;
} lister;

static void on_list_status(sipc_request *req, void *arg)
{
    lister *l = arg;
    l->asked++;
    char st[400];
    snprintf(st, sizeof st,
             "{\"schema\":1,\"node\":{\"id\":\"%s\",\"cluster_nodes\":%s},"
             "\"services\":[{\"name\":\"management\",\"port\":%d}]}",
             l->id, l->nodes, *l->port);
    sipc_respond(req, st, strlen(st));
}

/* a lists only b; b lists itself, c (on a host of its own) and a node of
 * 127.1.219.3 nobody runs; c lists b and itself. a's answer holds c
 * (reachable, asked once although b and c both list it) and the node of
 * 127.1.219.3 (unreachable), each with "listed_by", and a, b as before. */
static void t_nodes_listed_by_answers_asked(void **state)
{
    (void)state;
    int port = 0;
    lister b = {"b", "[\"127.1.219.1\", \"127.1.219.2\", \"127.1.219.3\"]", &port, 0};
    lister c = {"c", "[\"127.1.219.1\", \"127.1.219.2\"]", &port, 0};
    mgmt_pair w;
    mgmt_pair_open(&w, "127.1.219.1", on_list_status, &b, NULL);
    port = sipc_server_port(w.bsrv);
    sipc_router *cr;
    sipc_server *csrv;
    assert_int_equal(sipc_router_new(&cr), 0);
    assert_int_equal(sipc_router_add(cr, "management", "status", on_list_status, &c), 0);
    assert_int_equal(sipc_server_listen(&csrv, w.bctx, "c", "127.1.219.2", port, cr), 0);
    answer a = {0};
    assert_int_equal(sipc_call(w.ch, "management", "cluster", NULL, 0, 8000, on_cluster, &a), 0);
    assert_true(tu_run_until(&w.loop, &a.done, 10000));
    assert_int_equal(a.err, 0);
    assert_int_equal(json_array_size(a.nodes), 4);
    json_t *nc = json_array_get(a.nodes, 2), *nd = json_array_get(a.nodes, 3);
    assert_true(json_is_true(json_object_get(nc, "reachable")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(nc, "node"), "id")), "c");
    assert_string_equal(json_string_value(json_object_get(nc, "listed_by")), "b");
    assert_string_equal(json_string_value(json_object_get(nc, "address")), "127.1.219.2:23000");
    assert_false(json_is_true(json_object_get(nd, "reachable")));
    assert_string_equal(json_string_value(json_object_get(nd, "listed_by")), "b");
    assert_string_equal(json_string_value(json_object_get(nd, "address")), "127.1.219.3:23000");
    assert_null(json_object_get(json_array_get(a.nodes, 1), "listed_by"));
    assert_int_equal(b.asked, 1);
    assert_int_equal(c.asked, 1);
    json_decref(a.nodes);
    sipc_server_close(csrv, NULL, NULL);
    mgmt_pair_close(&w);
    sipc_router_free(cr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_closed_once_asked_again),
        cmocka_unit_test(t_closed_always_unreachable),
        cmocka_unit_test(t_second_question_within_deadline),
        cmocka_unit_test(t_nodes_listed_by_answers_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
