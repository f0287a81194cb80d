/* test_mgmt_judge.c - sipc_mgmt_judge and sipc_mgmt_health on hand-made
 * node statuses: who a TLS on/off split names, and how a node the strict
 * guard held back is graded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "management_service.h"

/* A reachable node's status: TLS off, or on in mode with a guard. */
static json_t *node(const char *id, const char *mode, int held_back, int peers)
{
    json_t *n = json_pack("{s:b, s:s, s:{s:s}}", "reachable", 1, "address", id, "node", "id", id);
    if (!mode) {
        json_object_set_new(n, "tls", json_pack("{s:b}", "enabled", 0));
        return n;
    }
    json_object_set_new(n, "tls", json_pack("{s:b, s:s}", "enabled", 1, "mode", mode));
    json_t *pp = json_array();
    for (int i = 0; i < peers; i++)
        json_array_append_new(pp, json_pack("{s:s, s:s, s:s, s:s}", "address", "127.0.72.9",
                                            "node", "c", "service", "data", "last_seen", "now"));
    json_object_set_new(n, "guard", json_pack("{s:i, s:b, s:o}", "window_s", 600, "held_back",
                                              held_back, "plaintext_peers", pp));
    return n;
}

/* The kinds of the problems, " "-joined, and of which nodes. */
static const char *kinds(json_t *problems)
{
    static char buf[400];
    size_t i, w = 0;
    json_t *p;
    buf[0] = '\0';
    json_array_foreach(problems, i, p)
        w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%s:%s", w ? " " : "",
                              json_string_value(json_object_get(p, "node")),
                              json_string_value(json_object_get(p, "kind")));
    return buf;
}

/* TLS on half the nodes: the nodes without TLS are the odd ones out, since
 * the cluster is meant to run with it; otherwise the minority */
static void tls_split(void **state)
{
    (void)state;
    json_t *nodes = json_pack("[o, o]", node("n1", "strict", 0, 0), node("n2", NULL, 0, 0));
    json_t *p = sipc_mgmt_judge(nodes, 30, 0);
    assert_string_equal(kinds(p), "n2:tls_mismatch");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(p, 0), "message")),
                           "n2 has TLS off (TLS on: n1; TLS off: n2)"));
    assert_string_equal(sipc_mgmt_health(p), "problems");
    json_decref(p);
    json_decref(nodes);
    nodes = json_pack("[o, o, o]", node("n1", NULL, 0, 0), node("n2", NULL, 0, 0),
                      node("n3", "strict", 0, 0));
    p = sipc_mgmt_judge(nodes, 30, 0);
    assert_string_equal(kinds(p), "n3:tls_mismatch");
    json_decref(p);
    json_decref(nodes);
}

/* A node held back by the strict guard: while its plaintext peers are still
 * seen, a problem; once none is left, going strict cuts no one off, which
 * is what migrating means */
static void held_back(void **state)
{
    (void)state;
    json_t *nodes = json_pack("[o, o]", node("n1", "strict", 0, 0),
                              node("n2", "permissive", 1, 0));
    json_t *p = sipc_mgmt_judge(nodes, 30, 0);
    assert_string_equal(kinds(p), "n2:permissive");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(p, 0), "message")),
                           "held it back at start, but no plaintext peer is seen any more"));
    assert_string_equal(sipc_mgmt_health(p), "migrating");
    json_decref(p);
    json_decref(nodes);
    nodes = json_pack("[o, o]", node("n1", "strict", 0, 0), node("n2", "permissive", 1, 1));
    p = sipc_mgmt_judge(nodes, 30, 0);
    assert_string_equal(kinds(p), "n2:held_back");
    assert_string_equal(sipc_mgmt_health(p), "problems");
    json_decref(p);
    json_decref(nodes);
    /* a permissive node (not held back) with a remembered plaintext peer */
    nodes = json_pack("[o]", node("n1", "permissive", 0, 1));
    p = sipc_mgmt_judge(nodes, 30, 0);
    assert_string_equal(kinds(p), "n1:permissive n1:guard_peer");
    assert_string_equal(sipc_mgmt_health(p), "problems");
    json_decref(p);
    json_decref(nodes);
}

/* the health rule on problems alone, as sipcctl grades an answer without
 * "health"; a problem without a kind is no permissive one */
static void health_rule(void **state)
{
    (void)state;
    json_t *p = json_array();
    assert_string_equal(sipc_mgmt_health(p), "ok");
    assert_string_equal(sipc_mgmt_health(NULL), "ok");
    json_array_append_new(p, json_pack("{s:s}", "kind", "permissive"));
    assert_string_equal(sipc_mgmt_health(p), "migrating");
    json_array_append_new(p, json_pack("{s:s}", "message", "?"));
    assert_string_equal(sipc_mgmt_health(p), "problems");
    json_decref(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tls_split),
        cmocka_unit_test(held_back),
        cmocka_unit_test(health_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
