/* test_mgmt_judge.c - sipc_mgmt_judge, sipc_mgmt_health and sipc_mgmt_notes
 * on hand-made node statuses: who a TLS on/off split names, how a node the
 * strict guard held back is graded, and the notes on mixed builds and
 * keepalive settings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "management_service.h"
#include "mgmt_health.h"
#include "rfc3339.h"

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

/* The message of the problem at i. */
static const char *message_at(json_t *problems, size_t i)
{
    return json_string_value(json_object_get(json_array_get(problems, i), "message"));
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
    /* the odd node is strict: the others cannot reach it, and it says so */
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(p, 0), "message")),
                           "n3 has TLS on and is strict: it refuses the plaintext of n1, n2, so "
                           "their plaintext links to it and its links to them are down"));
    json_decref(p);
    json_decref(nodes);
}

/* TLS off on some nodes, permissive on the others: no node refuses another,
 * a roll-out or a roll-back half done, graded migrating; the plaintext the
 * nodes with TLS off speak is no finding, and nothing advises strict. A
 * strict node among them, or a node held back, is a fault as before. */
static void tls_mixed(void **state)
{
    (void)state;
    json_t *n2 = node("n2", "permissive", 0, 1);
    json_object_set_new(n2, "services",
                        json_pack("[{s:s, s:s, s:[{s:s, s:s}]}]", "name", "data", "tls",
                                  "permissive", "plaintext_peers", "address", "127.0.72.1",
                                  "node", "n1"));
    json_t *nodes = json_pack("[o, o, o]", node("n1", NULL, 0, 0), n2,
                              node("n3", "permissive", 0, 0));
    json_t *p = sipc_mgmt_judge(nodes, 30, 0);
    assert_string_equal(kinds(p), "n1:tls_off n2:permissive n3:permissive");
    assert_string_equal(sipc_mgmt_health(p), "migrating");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(p, 0), "message")),
                           "n1 has TLS off while n2, n3 run TLS permissive, which accepts its "
                           "plaintext: a rolling change is under way; rolling TLS out"));
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(p, 1), "message")),
                           "n2 runs TLS permissive while n1 has TLS off: rolling TLS back (docs/"
                           "operator-guide.md 1.7), `tlstool disable --reload` on it"));
    size_t i;
    json_t *q;
    json_array_foreach(p, i, q)
        assert_null(strstr(json_string_value(json_object_get(q, "message")), "mode strict"));
    json_decref(p);
    json_decref(nodes);
    nodes = json_pack("[o, o, o]", node("n1", NULL, 0, 0), node("n2", "permissive", 0, 0),
                      node("n3", "strict", 0, 0));
    p = sipc_mgmt_judge(nodes, 30, 0);
    assert_string_equal(kinds(p), "n1:tls_mismatch n2:permissive");
    assert_string_equal(sipc_mgmt_health(p), "problems");
    json_decref(p);
    json_decref(nodes);
    nodes = json_pack("[o, o]", node("n1", NULL, 0, 0), node("n2", "permissive", 1, 1));
    p = sipc_mgmt_judge(nodes, 30, 0);
    assert_string_equal(kinds(p), "n1:tls_off n2:held_back");
    assert_string_equal(sipc_mgmt_health(p), "problems");
    json_decref(p);
    json_decref(nodes);
}

/* node() at 127.0.72.N (N its last digit) with its search service on
 * 2300N, up for uptime s, and a link to each node in peers (ids, "" for
 * none), down since down_s ago with an error when down_s > 0; now is the
 * node's own clock */
static json_t *linked(const char *id, int uptime, const char *peers, int down_s, int64_t now)
{
    json_t *n = node(id, NULL, 0, 0);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.72.%c", id[1]);
    char started[32];
    sipc_rfc3339_format((now - uptime) * 1000, 0, started, sizeof started);
    json_object_set_new(n, "node", json_pack("{s:s, s:s, s:s, s:i}", "id", id, "address", addr,
                                             "started", started, "uptime_seconds", uptime));
    json_object_set_new(n, "services",
                        json_pack("[{s:s, s:i}]", "name", "search", "port", 23000 + id[1] - '0'));
    json_t *links = json_array();
    for (const char *p = peers; *p; p++) {
        char where[40], since[32];
        snprintf(where, sizeof where, "127.0.72.%c:%d", *p, 23000 + *p - '0');
        sipc_rfc3339_format((now - (down_s > 0 ? down_s : 100)) * 1000, 0, since, sizeof since);
        json_t *l = json_pack("{s:s, s:s, s:b, s:s, s:s*}", "service", "search", "address", where,
                              "up", down_s <= 0, "since", since, "last_error",
                              down_s > 0 ? "peer answered with TLS" : NULL);
        /* the reason's age: its last attempt 3 s ago, the next in 7 s */
        if (down_s > 0) {
            json_object_set_new(l, "last_error_age_ms", json_integer(3000));
            json_object_set_new(l, "next_attempt_ms", json_integer(7000));
        }
        json_array_append_new(links, l);
    }
    json_object_set_new(n, "links", links);
    return n;
}

/* a link down for a while is a problem, named by the peer's id and with its
 * last error; one starting (either end just up, or down for a moment) is not */
static void link_down(void **state)
{
    (void)state;
    int64_t now = 1800000000;
    json_t *nodes = json_pack("[o, o]", linked("n1", 600, "2", 60, now), linked("n2", 600, "", 0, now));
    json_t *p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n1:link_down");
    const char *msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    assert_non_null(strstr(msg, "n1's link to n2 (search) is down since "));
    /* how old the reason is: it may be out of date by the redial backoff */
    assert_non_null(strstr(msg, " (last attempt 3 s ago, next in 7 s): peer answered with TLS"));
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "peer")), "n2");
    assert_string_equal(sipc_mgmt_health(p), "problems");
    json_decref(p);
    json_decref(nodes);
    /* n2 connected to n1 2 s ago: the link is coming back, not flagged; 12 s
     * ago (its redial failed since, or is slow): flagged, the news said */
    static const int seen_ms[] = {2000, 12000};
    for (int i = 0; i < 2; i++) {
        json_t *n1 = linked("n1", 600, "2", 60, now);
        json_object_set_new(json_array_get(json_object_get(n1, "links"), 0), "peer_seen_ms",
                            json_integer(seen_ms[i]));
        nodes = json_pack("[o, o]", n1, linked("n2", 600, "", 0, now));
        p = sipc_mgmt_judge(nodes, 30, now);
        assert_string_equal(kinds(p), i == 0 ? "" : "n1:link_down");
        if (i == 1)
            assert_non_null(strstr(json_string_value(json_object_get(json_array_get(p, 0),
                                                                     "message")),
                                   "next in 7 s; its node connected here 12 s ago): peer "
                                   "answered with TLS"));
        json_decref(p);
        json_decref(nodes);
    }
    /* down for 3 s; n1 up for 5 s; n2 up for 5 s; up: none flagged */
    static const int cases[][3] = {{600, 600, 3}, {5, 600, 60}, {600, 5, 60}, {600, 600, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nodes = json_pack("[o, o]", linked("n1", cases[i][0], "2", cases[i][2], now),
                          linked("n2", cases[i][1], "", 0, now));
        p = sipc_mgmt_judge(nodes, 30, now);
        if (json_array_size(p))
            fail_msg("case %zu: %s", i, kinds(p));
        json_decref(p);
        json_decref(nodes);
    }
    /* each node's links are timed on its own clock, not the judge's: an
     * hour of skew either way neither hides a long outage nor flags a
     * fresh one */
    for (int skew = -3600; skew <= 3600; skew += 7200) {
        nodes = json_pack("[o, o]", linked("n1", 600, "2", 60, now + skew),
                          linked("n2", 600, "", 0, now + skew));
        p = sipc_mgmt_judge(nodes, 30, now);
        if (strcmp(kinds(p), "n1:link_down") != 0)
            fail_msg("down 60 s, node clock %+d s: %s", skew, kinds(p));
        json_decref(p);
        json_decref(nodes);
        nodes = json_pack("[o, o]", linked("n1", 600, "2", 3, now + skew),
                          linked("n2", 600, "", 0, now + skew));
        p = sipc_mgmt_judge(nodes, 30, now);
        if (json_array_size(p))
            fail_msg("down 3 s, node clock %+d s: %s", skew, kinds(p));
        json_decref(p);
        json_decref(nodes);
    }
    /* an unreachable peer is named as its unreachable problem names it */
    nodes = json_pack("[o, {s:s, s:b, s:s}]", linked("n1", 600, "3", 60, now), "address",
                      "127.0.72.3:23002", "reachable", 0, "error", "timed out");
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "127.0.72.3:23002:unreachable n1:link_down");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(p, 1), "message")),
                           "n1's link to 127.0.72.3:23002 (search) is down"));
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "message")),
                        "127.0.72.3:23002 cannot be reached: timed out");
    json_decref(p);
    /* ... and by the id of its last hello, when the link heard one */
    json_object_set_new(json_array_get(json_object_get(json_array_get(nodes, 0), "links"), 0),
                        "node", json_string("n3"));
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "message")),
                        "n3 (127.0.72.3:23002) cannot be reached: timed out");
    assert_string_equal(kinds(p), "127.0.72.3:23002:unreachable n1:link_down");
    json_decref(p);
    /* not reached for a certificate refused in the handshake, by either
     * side (a forced commit that cut it off): a certificate_mismatch, not
     * a node down */
    static const char *const refusals[] = {"SIPC_EPEERAUTH", "SIPC_ECERTREFUSED"};
    for (int i = 0; i < 2; i++) {
        json_object_set_new(json_array_get(nodes, 1), "error_code", json_string(refusals[i]));
        p = sipc_mgmt_judge(nodes, 30, now);
        assert_string_equal(kinds(p), "127.0.72.3:23002:certificate_mismatch n1:link_down");
        msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
        if (!strstr(msg, "n3 (127.0.72.3:23002) cannot be reached: a certificate was refused in "
                         "the handshake between it and n1 (timed out)") ||
            !strstr(msg, "`tlstool rotate status` on each"))
            fail_msg("%s: %s", refusals[i], msg);
        json_decref(p);
    }
    /* a connection refused is a node down */
    json_object_set_new(json_array_get(nodes, 1), "error_code", json_string("ECONNREFUSED"));
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "127.0.72.3:23002:unreachable n1:link_down");
    json_decref(p);
    json_decref(nodes);
}

/* a link_down's services are peers' names: longer together than the list
 * keeps, they are cut between characters, not dropped as text jansson
 * refuses */
static void link_down_long_services(void **state)
{
    (void)state;
    int64_t now = 1800000000;
    json_t *n1 = linked("n1", 600, "22", 60, now);
    char e[201], u[201];
    for (int i = 0; i < 200; i += 2) {
        memcpy(e + i, "\xc3\xa9", 2); /* é */
        memcpy(u + i, "\xc3\xbc", 2); /* ü */
    }
    e[200] = u[200] = '\0';
    json_t *links = json_object_get(n1, "links");
    json_object_set_new(json_array_get(links, 0), "service", json_string(e));
    json_object_set_new(json_array_get(links, 1), "service", json_string(u));
    json_t *nodes = json_pack("[o, o]", n1, linked("n2", 600, "", 0, now));
    json_t *p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n1:link_down");
    const char *msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    /* 200 + 2 bytes, then 48 whole "ü" of the 97 bytes left */
    char want[400];
    snprintf(want, sizeof want, "n1's links to n2 (%s, %.96s) are down since ", e, u);
    if (!strstr(msg, want))
        fail_msg("message: %s", msg);
    json_decref(p);
    json_decref(nodes);
}

/* one problem for a peer's links on different ports (each service listens
 * on its own) names each link's port, and the one error shown, the first
 * link's, not its port alone as if it were every link's; links on one port
 * are named as before */
static void link_down_ports(void **state)
{
    (void)state;
    int64_t now = 1800000000;
    static const char *const svc[] = {"management", "search", "pipeline"};
    static const int port[] = {23002, 23001, 23000};
    for (int mixed = 0; mixed < 2; mixed++) {
        json_t *n1 = linked("n1", 600, "222", 60, now);
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(n1, "links"), i, l)
        {
            char where[40], error[120];
            snprintf(where, sizeof where, "127.0.72.2:%d", mixed ? port[i] : 23002);
            snprintf(error, sizeof error, "cannot connect to %s: connection refused", where);
            json_object_set_new(l, "service", json_string(svc[i]));
            json_object_set_new(l, "address", json_string(where));
            json_object_set_new(l, "last_error", json_string(error));
        }
        json_t *nodes = json_pack("[o, o]", n1, linked("n2", 600, "", 0, now));
        json_t *p = sipc_mgmt_judge(nodes, 30, now);
        assert_string_equal(kinds(p), "n1:link_down");
        const char *msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
        const char *want[] = {"n1's links to n2 (management, search, pipeline) are down since ",
                              "n1's links to n2 (management :23002, search :23001, pipeline "
                              ":23000) are down since "};
        if (!strstr(msg, want[mixed]) ||
            !strstr(msg, mixed ? ": cannot connect to 127.0.72.2: connection refused"
                               : ": cannot connect to 127.0.72.2:23002: connection refused"))
            fail_msg("%s: %s", mixed ? "three ports" : "one port", msg);
        json_decref(p);
        json_decref(nodes);
    }
}

/* a node whose clock is away from the others' is named, ahead or behind
 * (the median of three or more is the reference, when more than half agree
 * with it; of two, the one ahead is named with the other; with no majority,
 * every group); clocks a few seconds apart are no problem */
static void clock_skew(void **state)
{
    (void)state;
    int64_t now = 1800000000;
    json_t *nodes = json_pack("[o, o, o]", linked("n1", 600, "", 0, now),
                              linked("n2", 600, "", 0, now + 2 * 86400 + 5),
                              linked("n3", 600, "", 0, now + 3));
    json_t *p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n2:clock_skew");
    const char *msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    if (!strstr(msg, "n2's clock is 2 days ahead of the other nodes' (their median): check its "
                     "clock"))
        fail_msg("%s", msg);
    json_decref(p);
    json_decref(nodes);
    /* asked of the node that is behind: the others are not named */
    nodes = json_pack("[o, o, o]", linked("n1", 600, "", 0, now - 3 * 3600),
                      linked("n2", 600, "", 0, now), linked("n3", 600, "", 0, now + 1));
    p = sipc_mgmt_judge(nodes, 30, now - 3 * 3600);
    assert_string_equal(kinds(p), "n1:clock_skew");
    msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    if (!strstr(msg, "n1's clock is 3 hours behind the other nodes'"))
        fail_msg("%s", msg);
    json_decref(p);
    json_decref(nodes);
    /* two nodes: which one is wrong is not known */
    nodes = json_pack("[o, o]", linked("n1", 600, "", 0, now + 600),
                      linked("n2", 600, "", 0, now));
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n1:clock_skew");
    msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    if (!strstr(msg, "n1's clock is 10 minutes ahead of n2's: one of them is wrong"))
        fail_msg("%s", msg);
    json_decref(p);
    json_decref(nodes);
    /* two against two: no side is named, both groups are listed */
    nodes = json_pack("[o, o, o, o]", linked("n1", 600, "", 0, now),
                      linked("n2", 600, "", 0, now + 2 * 3600 + 10),
                      linked("n3", 600, "", 0, now + 5), linked("n4", 600, "", 0, now + 2 * 3600));
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n1:clock_skew");
    msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    if (!strstr(msg, "the nodes' clocks disagree, and no majority of them agrees (within 60 s): "
                     "n1, n3 at the earliest; n2, n4 2 hours ahead; which are wrong is not "
                     "known: check every node's clock") ||
        strstr(msg, "median"))
        fail_msg("%s", msg);
    json_decref(p);
    json_decref(nodes);
    /* three of four agree: the fourth is named, whichever half the
     * lower median falls in */
    nodes = json_pack("[o, o, o, o]", linked("n1", 600, "", 0, now),
                      linked("n2", 600, "", 0, now + 2 * 3600),
                      linked("n3", 600, "", 0, now + 2 * 3600 + 5),
                      linked("n4", 600, "", 0, now + 2 * 3600 + 9));
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n1:clock_skew");
    msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    if (!strstr(msg, "n1's clock is 2 hours behind the other nodes'"))
        fail_msg("%s", msg);
    json_decref(p);
    json_decref(nodes);
    /* rounded to the nearest hour, not down: 3 days less the seconds the
     * answers took is 3 days; with the hours when they are not whole days;
     * skew_seconds says it exactly, ahead positive */
    static const struct {
        int64_t skew;
        const char *text;
    } spans[] = {{3 * 86400 - 3, "3 days ahead of"},
                 {2 * 86400 + 23 * 3600 + 600, "2 days 23 h ahead of"},
                 {-(2 * 3600 + 30 * 60), "2 hours 30 min behind"},
                 {3 * 3600 - 20, "3 hours ahead of"}};
    for (size_t k = 0; k < sizeof spans / sizeof spans[0]; k++) {
        nodes = json_pack("[o, o, o]", linked("n1", 600, "", 0, now),
                          linked("n2", 600, "", 0, now + spans[k].skew),
                          linked("n3", 600, "", 0, now + 1));
        p = sipc_mgmt_judge(nodes, 30, now);
        assert_string_equal(kinds(p), "n2:clock_skew");
        msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
        char want[80];
        snprintf(want, sizeof want, "n2's clock is %s the other nodes'", spans[k].text);
        if (!strstr(msg, want))
            fail_msg("skew %lld s: %s", (long long)spans[k].skew, msg);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(p, 0), "skew_seconds")),
                         spans[k].skew - (spans[k].skew > 0)); /* from the median */
        json_decref(p);
        json_decref(nodes);
    }
    /* a clock stepped after the start: started plus uptime (monotonic)
     * still says the old time; node.clock, its clock now, is what counts */
    nodes = json_pack("[o, o, o]", linked("n1", 600, "", 0, now), linked("n2", 600, "", 0, now),
                      linked("n3", 600, "", 0, now));
    char clock[32];
    sipc_rfc3339_format((now + 3 * 86400) * 1000 + 250, 1, clock, sizeof clock);
    json_object_set_new(json_object_get(json_array_get(nodes, 1), "node"), "clock",
                        json_string(clock));
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n2:clock_skew");
    msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    if (!strstr(msg, "n2's clock is 3 days ahead of the other nodes'"))
        fail_msg("%s", msg);
    json_decref(p);
    json_decref(nodes);
    /* within a minute: none */
    nodes = json_pack("[o, o, o]", linked("n1", 600, "", 0, now), linked("n2", 600, "", 0, now + 40),
                      linked("n3", 600, "", 0, now - 40));
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "");
    json_decref(p);
    json_decref(nodes);
}

/* node i of nodes: its last reload refused, at, for reason */
static void set_refused(json_t *nodes, size_t i, const char *at, const char *reason)
{
    json_object_set_new(json_array_get(nodes, i), "reload",
                        json_pack("{s:{s:s, s:s, s:s}}", "refused", "at", at, "cause", "files",
                                  "reason", reason));
}

/* A node whose clock is years ahead refused its reload because its own
 * certificate expired by that clock, while by the other nodes' it is
 * valid: one fault, the clock's. The refusal no longer says to make and
 * import a new pair on every node, and the clock_skew problem says the
 * certificate reads as expired there: fix the clock, not the pair. The
 * same refusal for a certificate expired by the others' clocks too, or a
 * clock skew with no such refusal, keep their own texts; the peers' alert
 * is named as it is sent (certificate_expired, the pinned pair's too). */
static void clock_reads_certificate(void **state)
{
    (void)state;
    int64_t now = 1800000000, ahead = now + 2190 * 86400;
    const char *expired =
        "this node's certificate does not verify, every TLS handshake will fail: certificate "
        "'CN=sipc cluster' expired on 2031-12-06 18:02:00 UTC (valid 2026-12-05 18:02:00 UTC to "
        "2031-12-06 18:02:00 UTC; now 2032-12-04 18:02:11 UTC); fix: check this machine's clock "
        "first (...); if it is right, create or obtain a new pair, import it on every node and "
        "reload or restart each (tlstool create, tlstool import)";
    for (int real = 0; real < 2; real++) {
        json_t *nodes = json_pack("[o, o, o]", linked("n1", 600, "", 0, now),
                                  linked("n2", 600, "", 0, now + 2),
                                  linked("n3", 600, "", 0, ahead));
        /* valid by the others' clocks until a year past them, or expired
         * by theirs as well */
        for (size_t k = 0; k < 2; k++)
            json_object_set_new(json_array_get(nodes, k), "tls",
                                json_pack("{s:b, s:s}", "enabled", 1, "mode", "strict"));
        json_object_set_new(json_array_get(nodes, 2), "tls",
                            json_pack("{s:b, s:s, s:{s:I}}", "enabled", 1, "mode", "strict",
                                      "certificate", "not_after_unix",
                                      (json_int_t)(real ? now - 86400 : now + 365 * 86400)));
        set_refused(nodes, 2, "2032-12-04T18:02:11Z", expired);
        json_t *p = sipc_mgmt_judge(nodes, 30, now);
        if (real) {
            assert_true(strstr(kinds(p), "n3:reload_refused") != NULL);
            json_t *r = json_array_get(p, 0);
            assert_string_equal(json_string_value(json_object_get(r, "kind")), "reload_refused");
            assert_non_null(strstr(json_string_value(json_object_get(r, "message")),
                                   "create or obtain a new pair"));
            json_decref(p);
            json_decref(nodes);
            continue;
        }
        assert_string_equal(kinds(p), "n3:reload_refused n3:clock_skew");
        const char *r = json_string_value(json_object_get(json_array_get(p, 0), "message"));
        const char *c = json_string_value(json_object_get(json_array_get(p, 1), "message"));
        if (!strstr(r, "n3: its last reload was refused at 2032-12-04T18:02:11Z: this node's "
                       "certificate does not verify, every TLS handshake will fail: certificate "
                       "'CN=sipc cluster' expired on 2031-12-06 18:02:00 UTC (valid 2026-12-05 "
                       "18:02:00 UTC to 2031-12-06 18:02:00 UTC; now 2032-12-04 18:02:11 UTC); "
                       "by the other nodes' clocks it is valid: n3's clock is 2190 days ahead "
                       "(clock_skew): fix the clock (date -u, NTP), not the pair") ||
            strstr(r, "new pair") || strstr(r, "put the old ones back"))
            fail_msg("%s", r);
        assert_string_equal(c, "n3's clock is 2190 days ahead of the other nodes' (their "
                               "median): its certificate reads as expired there; fix the clock "
                               "(date -u, NTP), not the pair");
        assert_int_equal(json_integer_value(json_object_get(json_array_get(p, 1), "skew_seconds")),
                         2190 * 86400 - 2);
        json_decref(p);
        json_decref(nodes);
    }
    /* two nodes, the one ahead refused for it: named, as the other's clock
     * finds the certificate valid */
    json_t *nodes = json_pack("[o, o]", linked("n1", 600, "", 0, now),
                              linked("n2", 600, "", 0, ahead));
    set_refused(nodes, 1, "2032-12-04T18:02:11Z", expired);
    json_t *p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n2:reload_refused n2:clock_skew");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(p, 0), "message")),
                           "; by n1's clock it is valid: n2's clock is 2190 days ahead"));
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 1), "message")),
                        "n2's clock is 2190 days ahead of n1's: its certificate reads as expired "
                        "there; fix the clock (date -u, NTP), not the pair");
    json_decref(p);
    json_decref(nodes);
    /* behind, its certificate not yet valid there */
    nodes = json_pack("[o, o, o]", linked("n1", 600, "", 0, now), linked("n2", 600, "", 0, now),
                      linked("n3", 600, "", 0, now - 3 * 86400));
    set_refused(nodes, 2, "2027-01-01T00:00:00Z",
                "this node's certificate does not verify, every TLS handshake will fail: "
                "certificate 'CN=x' is not valid before 2027-01-02 00:00:00 UTC (...); fix: check "
                "the clock");
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n3:reload_refused n3:clock_skew");
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 1), "message")),
                        "n3's clock is 3 days behind the other nodes' (their median): its "
                        "certificate reads as not yet valid there; fix the clock (date -u, NTP), "
                        "not the pair");
    json_decref(p);
    json_decref(nodes);
    /* behind, and its certificate not valid yet by the others' clocks
     * either (made with a start date ahead of every clock): the refusal
     * keeps its own fix, the clock is not blamed for it */
    nodes = json_pack("[o, o, o]", linked("n1", 600, "", 0, now), linked("n2", 600, "", 0, now),
                      linked("n3", 600, "", 0, now - 3 * 86400));
    char nb[32];
    sipc_rfc3339_format((now + 86400) * 1000, 0, nb, sizeof nb);
    for (size_t k = 0; k < 3; k++)
        json_object_set_new(json_array_get(nodes, k), "tls",
                            json_pack("{s:b, s:s, s:{s:s, s:I}}", "enabled", 1, "mode", "strict",
                                      "certificate", "not_before", nb, "not_after_unix",
                                      (json_int_t)(now + 365 * 86400)));
    set_refused(nodes, 2, "2027-01-01T00:00:00Z",
                "this node's certificate does not verify, every TLS handshake will fail: "
                "certificate 'CN=x' is not valid before 2027-01-02 00:00:00 UTC (...); fix: check "
                "the clock");
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_non_null(strstr(kinds(p), "n3:reload_refused"));
    size_t i;
    json_t *q;
    json_array_foreach(p, i, q)
    {
        const char *qm = json_string_value(json_object_get(q, "message"));
        if (strstr(qm, "not the pair"))
            fail_msg("%s", qm);
    }
    json_decref(p);
    json_decref(nodes);
    /* skewed, nothing refused: the peers' alert as they get it */
    nodes = json_pack("[o, o, o]", linked("n1", 600, "", 0, now), linked("n2", 600, "", 0, now),
                      linked("n3", 600, "", 0, ahead));
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n3:clock_skew");
    const char *m = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    if (!strstr(m, "(its peers see their certificates refused: alert certificate_expired)"))
        fail_msg("%s", m);
    json_decref(p);
    json_decref(nodes);
}

/* an expired certificate: its message says what still works (links made
 * before) and what does not (new ones) */
static void certificate_expired(void **state)
{
    (void)state;
    int64_t now = 1800000000;
    json_t *nodes = json_pack("[o]", linked("n1", 600, "", 0, now));
    json_object_set_new(json_array_get(nodes, 0), "tls",
                        json_pack("{s:b, s:s, s:{s:I, s:s}}", "enabled", 1, "mode", "strict",
                                  "certificate", "not_after_unix", (json_int_t)(now - 60),
                                  "not_after", "2027-01-15T08:00:00Z"));
    json_t *p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n1:certificate_expired");
    const char *msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    if (!strstr(msg, "n1's certificate expired on 2027-01-15T08:00:00Z: its links and connections "
                     "made before stay up until they close or reconnect, new ones are refused"))
        fail_msg("%s", msg);
    json_decref(p);
    json_decref(nodes);
}

/* in the list of every node's problems, a link's error names its node
 * where the node's own text says "this side" (or an older node's "this
 * node"); a text that names it already is left as it is */
static void link_down_names_node(void **state)
{
    (void)state;
    int64_t now = 1800000000;
    static const char *const cases[][2] = {
        {"peer answered with TLS: it requires TLS but it is not enabled on this side (on a node: "
         "turn TLS on and reload)",
         ": peer answered with TLS: it requires TLS but it is not enabled on n1 (on a node: turn "
         "TLS on and reload)"},
        {"peer rejected this node's certificate (alert bad_certificate)",
         ": peer rejected n1's certificate (alert bad_certificate)"},
        {"cluster name mismatch: this side n1 is in cluster 'a', peer n2 at x is in cluster 'b'",
         ": cluster name mismatch: this side n1 is in cluster 'a', peer n2 at x is in cluster 'b'"},
        {"peer certificate rejected: self-signed certificate 'CN=c' is the pair this side rotated "
         "away from (security/previous/, SHA-256 ab...): a node presenting it missed the rotation",
         ": peer certificate rejected: self-signed certificate 'CN=c' is the pair n1 rotated away "
         "from (security/previous/"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *n1 = linked("n1", 600, "2", 60, now);
        json_object_set_new(json_array_get(json_object_get(n1, "links"), 0), "last_error",
                            json_string(cases[i][0]));
        json_t *nodes = json_pack("[o, o]", n1, linked("n2", 600, "", 0, now));
        json_t *p = sipc_mgmt_judge(nodes, 30, now);
        assert_string_equal(kinds(p), "n1:link_down");
        const char *msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
        if (!strstr(msg, cases[i][1]))
            fail_msg("case %zu: %s", i, msg);
        json_decref(p);
        json_decref(nodes);
    }
}

/* linked() moved to fd00::N, its links' addresses in brackets as the
 * channel writes them ("[fd00::2]:23002") */
static json_t *linked6(const char *id, int uptime, const char *peers, int down_s, int64_t now)
{
    json_t *n = linked(id, uptime, peers, down_s, now);
    char addr[48];
    snprintf(addr, sizeof addr, "fd00::%c", id[1]);
    json_object_set_new(json_object_get(n, "node"), "address", json_string(addr));
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(n, "links"), i, l)
    {
        char c = peers[i];
        snprintf(addr, sizeof addr, "[fd00::%c]:%d", c, 23000 + c - '0');
        json_object_set_new(l, "address", json_string(addr));
    }
    return n;
}

/* IPv6 links find their peer by its address as IPv4 ones do */
static void link_down_v6(void **state)
{
    (void)state;
    int64_t now = 1800000000;
    json_t *nodes = json_pack("[o, o]", linked6("n1", 600, "2", 60, now),
                              linked6("n2", 600, "", 0, now));
    json_t *p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n1:link_down");
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "peer")), "n2");
    json_decref(p);
    json_decref(nodes);
    /* the peer just started: its links are still coming up */
    nodes = json_pack("[o, o]", linked6("n1", 600, "2", 60, now), linked6("n2", 5, "", 0, now));
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "");
    json_decref(p);
    json_decref(nodes);
    /* the same address written another way ("fd00:0::2") is the same peer */
    json_t *n1 = linked6("n1", 600, "2", 60, now);
    json_object_set_new(json_array_get(json_object_get(n1, "links"), 0), "address",
                        json_string("[fd00:0::2]:23002"));
    nodes = json_pack("[o, o]", n1, linked6("n2", 5, "", 0, now));
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "");
    json_decref(p);
    json_decref(nodes);
    /* an unreachable peer, known by its management "[v6]:port" */
    nodes = json_pack("[o, {s:s, s:b, s:s}]", linked6("n1", 600, "3", 60, now), "address",
                      "[fd00::3]:23002", "reachable", 0, "error", "timed out");
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "[fd00::3]:23002:unreachable n1:link_down");
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 1), "peer")),
                        "[fd00::3]:23002");
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
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(p, 1), "message")),
                           "on a node: tlstool enable there"));
    /* the same state is a roll-back's middle too: both ways on are named */
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(p, 0), "message")),
                           "once every node has TLS, run `tlstool mode strict --reload` on it "
                           "(when rolling TLS back instead: `tlstool disable --reload` on it "
                           "once every node is permissive)"));
    json_decref(p);
    /* ... a sipcctl home: one command from it over TLS to this node clears it */
    json_t *peer = json_array_get(json_object_get(json_object_get(json_array_get(nodes, 0), "guard"),
                                                  "plaintext_peers"),
                                  0);
    json_object_set_new(peer, "node", json_string("sipcctl:ops@host/57ee:123"));
    p = sipc_mgmt_judge(nodes, 30, 0);
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(p, 1), "message")),
                           "from that home, one sipcctl command over TLS to this node clears it "
                           "(tlstool's are not counted, so they do not): sipcctl ping --node n1 (import the cluster's key pair there first if it has "
                           "none)"));
    json_decref(p);
    json_decref(nodes);
}

/* A TLS node's plaintext connection from another node (its services'
 * plaintext_peers), and its guard's memory of one: a node that runs TLS now
 * is not told to enable it (the connection is from before both ends had it,
 * replaced within seconds; its next one, over TLS, clears the guard's
 * entry); a peer the answer does not list is. Both stay problems, which
 * fail the health: plaintext still flows. */
static void plaintext_from_tls_node(void **state)
{
    (void)state;
    json_t *n1 = node("n1", "permissive", 0, 1); /* the guard remembers "c" */
    json_array_append_new(json_object_get(json_object_get(n1, "guard"), "plaintext_peers"),
                          json_pack("{s:s, s:s, s:s, s:s}", "address", "127.0.72.2", "node",
                                    "n2", "service", "data", "last_seen", "now"));
    json_object_set_new(n1, "services",
                        json_pack("[{s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}]}]", "name", "data",
                                  "tls", "permissive", "plaintext_peers", "address",
                                  "127.0.72.2:35136", "node", "n2", "address",
                                  "127.0.72.7:40000", "node", "legacy"));
    json_t *nodes = json_pack("[o, o]", n1, node("n2", "permissive", 0, 0));
    json_t *p = sipc_mgmt_judge(nodes, 30, 0);
    assert_string_equal(kinds(p), "n1:permissive n1:guard_peer n1:guard_peer n1:plaintext_peer "
                                  "n1:plaintext_peer n2:permissive");
    assert_string_equal(sipc_mgmt_health(p), "problems");
    const char *m = message_at(p, 1);
    assert_non_null(strstr(m, "(node c) speak plaintext"));
    assert_non_null(strstr(m, "(on a node: tlstool enable there; on a client machine: import "));
    m = message_at(p, 2);
    assert_non_null(strstr(m, "(node n2) speak plaintext"));
    assert_non_null(strstr(m, "(n2 runs TLS permissive now: its next connection here, over TLS, "
                              "clears it within seconds)"));
    assert_null(strstr(m, "tlstool enable"));
    assert_string_equal(message_at(p, 3),
                        "n1 still receives plaintext on its data service from "
                        "127.0.72.2:35136 (node n2), a connection made before TLS was on at "
                        "both ends (n2 runs TLS permissive now): the nodes replace it within "
                        "seconds; if this stays, reload n1");
    assert_string_equal(message_at(p, 4),
                        "n1 still receives plaintext on its data service from 127.0.72.7:40000 "
                        "(node legacy): enable TLS there");
    json_decref(p);
    json_decref(nodes);
}

/* Lost records a node's start found (its storage.records_lost): one
 * records_lost problem each, naming the node, when and how to acknowledge
 * it (the sipcctl command, with the node's host; with its TLS off, the
 * file's removal); a line the node could not read is still one; none without them
 * (an older node's storage has no records_lost). */
static void records_lost(void **state)
{
    (void)state;
    json_t *n1 = node("n1", NULL, 0, 0), *n2 = node("n2", NULL, 0, 0);
    json_object_set_new(
        n1, "storage",
        json_pack("{s:{s:b}, s:{s:b}, s:[{s:s, s:s, s:I, s:s}, {s:s}]}", "writes", "failing", 0,
                  "reads", "failing", 0, "records_lost", "detected", "2026-12-05T21:40:02Z",
                  "committed_by", "2026-12-05T21:39:51Z", "records_gone", (json_int_t)300,
                  "message", "records.db holds fewer records than were committed: ...",
                  "message", "state/records-lost holds a finding ... cannot read: 'x'"));
    json_object_set_new(n2, "storage",
                        json_pack("{s:{s:b}, s:{s:b}}", "writes", "failing", 0, "reads",
                                  "failing", 0));
    /* the acknowledgement goes to the management port: the entry's port is dropped */
    json_object_set_new(n1, "address", json_string("10.0.0.1:23000"));
    json_t *nodes = json_pack("[o, o]", n1, n2);
    json_t *p = sipc_mgmt_judge(nodes, 30, 0);
    assert_string_equal(kinds(p), "n1:records_lost n1:records_lost");
    /* n1 has TLS off: management.ack (TLS callers only) cannot, the file's removal can */
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "message")),
                        "n1: committed changes found gone at its start at 2026-12-05T21:40:02Z: "
                        "records.db holds fewer records than were committed: ...; once dealt "
                        "with, acknowledge it: remove state/records-lost in its home (its TLS is "
                        "off, and sipcctl ack is taken over TLS only): this stays until then");
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 1), "message")),
                        "n1: a finding of lost records: state/records-lost holds a finding ... "
                        "cannot read: 'x'; once dealt with, acknowledge it: remove "
                        "state/records-lost in its home (its TLS is off, and sipcctl ack is "
                        "taken over TLS only): this stays until then");
    assert_string_equal(sipc_mgmt_health(p), "problems");
    json_decref(p);
    /* with TLS on: sipcctl ack, at the node's host */
    json_object_set_new(n1, "tls", json_pack("{s:b, s:s}", "enabled", 1, "mode", "permissive"));
    p = sipc_mgmt_judge(nodes, 30, 0);
    int seen = 0;
    size_t i;
    json_t *q;
    json_array_foreach(p, i, q)
    {
        if (strcmp(json_string_value(json_object_get(q, "kind")), "records_lost") || seen++)
            continue;
        assert_string_equal(json_string_value(json_object_get(q, "message")),
                            "n1: committed changes found gone at its start at "
                            "2026-12-05T21:40:02Z: records.db holds fewer records than were "
                            "committed: ...; once dealt with, acknowledge it: sipcctl ack "
                            "records-lost --node 10.0.0.1 (over TLS; or remove "
                            "state/records-lost in its home): this stays until then");
    }
    assert_int_equal(seen, 2);
    json_decref(p);
    json_decref(nodes);
}

/* A node whose database could not be opened (its storage.not_open): one
 * storage_unopened problem naming it, when, the attempts and the reason,
 * instead of storage_failing for its writes and reads (which fail with
 * that reason, for older readers). */
static void storage_unopened(void **state)
{
    (void)state;
    json_t *n1 = node("n1", NULL, 0, 0);
    json_object_set_new(
        n1, "storage",
        json_pack("{s:{s:b, s:s, s:s}, s:{s:b, s:s, s:s}, s:b, s:{s:s, s:s, s:I, s:s}}",
                  "writes", "failing", 1, "since", "2026-12-06T00:00:00Z", "last_error", "x",
                  "reads", "failing", 1, "since", "2026-12-06T00:00:00Z", "last_error", "x",
                  "open", 0, "not_open", "since", "2026-12-06T00:00:00Z", "last_attempt",
                  "2026-12-06T00:05:00Z", "attempts", (json_int_t)3, "reason",
                  "PATH: damaged: repair it"));
    json_t *nodes = json_pack("[o]", n1);
    json_t *p = sipc_mgmt_judge(nodes, 30, 0);
    assert_string_equal(kinds(p), "n1:storage_unopened");
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "message")),
                        "n1: its database is not open since 2026-12-06T00:00:00Z (3 attempts, the "
                        "latest at 2026-12-06T00:05:00Z): PATH: damaged: repair it; every data "
                        "call is refused meanwhile, the rest of the node serves");
    assert_string_equal(sipc_mgmt_health(p), "problems");
    json_decref(p);
    json_decref(nodes);
}

/* Writes held up on a node (its storage.writes.slow): one storage_slow
 * problem with how many wait, for how long, and what to check; none while
 * they do not (slow false), nor for an older node's status, which does not
 * say. */
static void storage_slow(void **state)
{
    (void)state;
    json_t *n1 = node("n1", NULL, 0, 0), *n2 = node("n2", NULL, 0, 0), *n3 = node("n3", NULL, 0, 0);
    json_object_set_new(n1, "storage",
                        json_pack("{s:{s:b, s:I, s:I, s:I, s:I, s:b, s:I}}", "writes", "failing",
                                  0, "failures_total", (json_int_t)0, "waiting", (json_int_t)12,
                                  "waiting_bytes", (json_int_t)4096, "oldest_wait_ms",
                                  (json_int_t)12400, "slow", 1, "slow_after_ms",
                                  (json_int_t)2000));
    json_object_set_new(n2, "storage",
                        json_pack("{s:{s:b, s:I, s:I, s:I, s:b, s:I}}", "writes", "failing", 0,
                                  "waiting", (json_int_t)3, "waiting_bytes", (json_int_t)90,
                                  "oldest_wait_ms", (json_int_t)1900, "slow", 0,
                                  "slow_after_ms", (json_int_t)2000));
    json_object_set_new(n3, "storage", json_pack("{s:{s:b}}", "writes", "failing", 0));
    json_t *nodes = json_pack("[o, o, o]", n1, n2, n3);
    json_t *p = sipc_mgmt_judge(nodes, 30, 0);
    assert_string_equal(kinds(p), "n1:storage_slow");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(p, 0), "message")),
        "n1: writes to its database wait: 12 writes (4096 bytes) waiting, the oldest for 12 s "
        "(threshold 2 s, [data] writes_slow_ms): check for another process holding records.db's "
        "write lock (an sqlite3 shell or a backup left in a transaction: `fuser -v "
        "$SIPC_HOME/data/records.db`; after 5 s of it the writes fail with \"database is "
        "locked\"), a slow or hung disk (`iostat -x 1`, the kernel's log), or more writes than the "
        "disk keeps up with (writes get BUSY once 64 MiB wait); they are answered once committed");
    assert_string_equal(sipc_mgmt_health(p), "problems");
    json_decref(p);
    json_decref(nodes);
    /* a threshold set to a part of a second is shown as set, not rounded */
    json_t *w = json_pack("{s:I, s:I, s:I, s:b, s:I}", "waiting", (json_int_t)1, "waiting_bytes",
                          (json_int_t)10, "oldest_wait_ms", (json_int_t)2600, "slow", 1,
                          "slow_after_ms", (json_int_t)2500);
    char text[900];
    assert_int_equal(mgmt_writes_slow_text(w, text, sizeof text), 1);
    assert_non_null(strstr(text, "1 write (10 bytes) waiting, the oldest for 3 s (threshold 2500 "
                                 "ms, [data] writes_slow_ms): "));
    json_decref(w);
}

/* A storage_failing problem closes with the fix of its cause: a file size
 * limit's reason says "raise or remove it and restart sipcd", and nothing
 * after it sends the operator to free disk space or repair the database; a
 * full disk is told to free space, and a reason with no fix of its own
 * keeps both. */
static void storage_failing_fix(void **state)
{
    (void)state;
    static const struct {
        const char *reason, *ends;
    } cases[] = {
        {"/h/data/records.db: commit: disk I/O error (File too large: the database's files "
         "reached this process's file size limit of 15360000 bytes (`ulimit -f`, systemd's "
         "LimitFSIZE=): raise or remove it and restart sipcd)",
         "restart sipcd)): its log says more (Data.Storage)"},
        {"/h/data/records.db: commit: database or disk is full",
         "(Data.Storage); free disk space (docs/services.md, \"A full or damaged database\")"},
        {"/h/data/records.db: commit: disk I/O error (Input/output error)",
         "(Data.Storage); free disk space or repair the database (docs/services.md, \"A full "
         "or damaged database\")"},
        /* out of descriptors: not the disk (sipc_fd_explain's words) */
        {"/h/data/records.db: insert record: unable to open database file (Too many open "
         "files: the process has run out of file descriptors (open-file limit 1024; 768 "
         "connections open: Data Service 768))",
         "(Data.Storage); not its disk: its connections or files hold every descriptor the "
         "process may open (its log's Transport.Listen lines name the services; "
         "docs/configuration.md, [limits] max_connections); this clears by itself once they "
         "are free"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        json_t *n1 = node("n1", NULL, 0, 0);
        json_object_set_new(
            n1, "storage",
            json_pack("{s:{s:b, s:I, s:s, s:s, s:s}}", "writes", "failing", 1, "failures",
                      (json_int_t)3, "since", "2026-12-06T00:00:00Z", "last_failure",
                      "2026-12-06T00:01:00Z", "last_error", cases[c].reason));
        json_t *nodes = json_pack("[o]", n1);
        json_t *p = sipc_mgmt_judge(nodes, 30, 0);
        assert_string_equal(kinds(p), "n1:storage_failing");
        const char *m = json_string_value(json_object_get(json_array_get(p, 0), "message"));
        size_t n = strlen(m), e = strlen(cases[c].ends);
        assert_true(n > e);
        assert_string_equal(m + n - e, cases[c].ends);
        json_decref(p);
        json_decref(nodes);
    }
}

/* A state/ write that failed for want of a descriptor is not sent to the
 * file system: the same advice as a storage failure of that cause. */
static void state_failing_fd_cause(void **state)
{
    (void)state;
    static const char *reasons[] = {
        "cannot open /h/state: Too many open files: the process has run out of file "
        "descriptors (open-file limit 1024; 768 connections open: Data Service 768)",
        "cannot write /h/state/records-mark: No space left on device",
    };
    for (int c = 0; c < 2; c++) {
        json_t *n1 = node("n1", NULL, 0, 0);
        json_object_set_new(
            n1, "storage",
            json_pack("{s:{s:b, s:I, s:s, s:s, s:s}}", "state", "failing", 1, "failures",
                      (json_int_t)2, "since", "2026-12-06T00:00:00Z", "last_failure",
                      "2026-12-06T00:01:00Z", "last_error", reasons[c]));
        json_t *nodes = json_pack("[o]", n1);
        json_t *p = sipc_mgmt_judge(nodes, 30, 0);
        assert_string_equal(kinds(p), "n1:state_failing");
        const char *m = json_string_value(json_object_get(json_array_get(p, 0), "message"));
        assert_int_equal(strstr(m, "not its disk: its connections or files hold") != NULL, c == 0);
        assert_int_equal(strstr(m, "free space in (or repair) ") != NULL, c == 1);
        json_decref(p);
        json_decref(nodes);
    }
}

/* The fix of a logs_failing or state_failing problem names the directory
 * by the path the node gives; for a node that gives none it says "that file
 * system", never a literal "HOME/logs" a reader would take for a path. */
static void files_failing_dir(void **state)
{
    (void)state;
    for (int given = 0; given < 2; given++) {
        json_t *h = json_pack("{s:b, s:I, s:s, s:s, s:s}", "failing", 1, "failures",
                              (json_int_t)2, "since", "2026-12-06T00:00:00Z", "last_failure",
                              "2026-12-06T00:01:00Z", "last_error",
                              "cannot write /h/x: No space left on device");
        json_t *n1 = node("n1", NULL, 0, 0);
        json_t *logs = json_deep_copy(h), *st = json_deep_copy(h);
        if (given) {
            json_object_set_new(logs, "dir", json_string("/srv/n1/logs"));
            json_object_set_new(st, "dir", json_string("/srv/n1/state"));
        }
        json_object_set_new(n1, "logs", logs);
        json_object_set_new(n1, "storage", json_pack("{s:o}", "state", st));
        json_decref(h);
        json_t *nodes = json_pack("[o]", n1);
        json_t *p = sipc_mgmt_judge(nodes, 30, 0);
        assert_string_equal(kinds(p), "n1:logs_failing n1:state_failing");
        for (size_t i = 0; i < 2; i++) {
            const char *m = json_string_value(json_object_get(json_array_get(p, i), "message"));
            char want[120];
            if (given)
                snprintf(want, sizeof want, "free space in (or repair) the file system of %s: ",
                         i ? "/srv/n1/state" : "/srv/n1/logs");
            else
                snprintf(want, sizeof want, "free space in (or repair) that file system: ");
            if (!strstr(m, want) || strstr(m, "HOME"))
                fail_msg("want '%s': %s", want, m);
        }
        json_decref(p);
        json_decref(nodes);
    }
}

/* A problem whose message is longer than the judge keeps is cut between
 * UTF-8 characters, never dropped (jansson refuses a string cut inside
 * one): a reason of 3,000 bytes of 2-byte characters at every offset. */
static void long_problem_cut_whole(void **state)
{
    (void)state;
    for (int shift = 0; shift < 2; shift++) {
        char reason[3100];
        size_t k = 0;
        for (int i = 0; i < shift; i++)
            reason[k++] = 'x';
        while (k + 2 < 3000) {
            reason[k++] = (char)0xc3;
            reason[k++] = (char)0xa9;
        }
        reason[k] = '\0';
        json_t *n1 = node("n1", NULL, 0, 0);
        json_object_set_new(
            n1, "storage",
            json_pack("{s:b, s:{s:s, s:s, s:I, s:s}}", "open", 0, "not_open", "since",
                      "2026-12-06T00:00:00Z", "last_attempt", "2026-12-06T00:05:00Z", "attempts",
                      (json_int_t)3, "reason", reason));
        json_t *nodes = json_pack("[o]", n1);
        json_t *p = sipc_mgmt_judge(nodes, 30, 0);
        assert_string_equal(kinds(p), "n1:storage_unopened");
        const char *m = json_string_value(json_object_get(json_array_get(p, 0), "message"));
        assert_non_null(m);
        assert_true(strlen(m) > 1500);
        json_decref(p);
        json_decref(nodes);
    }
}

/* the health rule on problems alone, as sipcctl grades an answer without
 * "health"; a problem without a kind is no permissive one */
/* The notes' messages, " | "-joined with their kinds. */
static const char *notes_text(json_t *notes)
{
    static char buf[2000];
    size_t i, w = 0;
    json_t *p;
    buf[0] = '\0';
    json_array_foreach(notes, i, p)
        w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%s: %s", w ? " | " : "",
                              json_string_value(json_object_get(p, "kind")),
                              json_string_value(json_object_get(p, "message")));
    return buf;
}

static void set_build(json_t *n, const char *build)
{
    json_object_set_new(json_object_get(n, "node"), "build", json_string(build));
}

/* Nodes on different builds (a rolling upgrade half done) are a note that
 * names each build's nodes, a node from before build identities among them;
 * unreachable nodes count for nothing; one build everywhere is no note. A
 * note is no problem: the health stays as the problems make it. */
static void notes_builds(void **state)
{
    (void)state;
    json_t *n1 = node("n1", "strict", 0, 0), *n2 = node("n2", "strict", 0, 0),
           *n3 = node("n3", "strict", 0, 0);
    set_build(n1, "aaaa");
    set_build(n2, "aaaa");
    set_build(n3, "aaaa");
    json_t *nodes = json_pack("[O, O, O, {s:b, s:s}]", n1, n2, n3, "reachable", 0, "address",
                              "127.0.70.4");
    json_t *notes = sipc_mgmt_notes(nodes);
    assert_int_equal(json_array_size(notes), 0);
    json_decref(notes);
    set_build(n2, "bbbb-dirty");
    notes = sipc_mgmt_notes(nodes);
    assert_string_equal(notes_text(notes),
                        "mixed_builds: the nodes run different builds: aaaa (n1, n3); bbbb-dirty "
                        "(n2); expected during a rolling upgrade (docs/operator-guide.md, section "
                        "6), otherwise install one build everywhere");
    json_t *p = sipc_mgmt_judge(nodes, 30, 0);
    /* the unreachable node is the only problem */
    assert_int_equal(json_array_size(p), 1);
    json_decref(p);
    json_decref(notes);
    json_object_del(json_object_get(n2, "node"), "build");
    notes = sipc_mgmt_notes(nodes);
    assert_non_null(strstr(notes_text(notes), "aaaa (n1, n3); not reported (older) (n2);"));
    json_decref(notes);
    json_decref(nodes);
    json_decref(n1);
    json_decref(n2);
    json_decref(n3);
}

/* Keepalive settings that differ between nodes are a note naming each
 * setting's nodes; a node whose status has no keepalive (an older one) is
 * left out of it. */
static void notes_keepalive(void **state)
{
    (void)state;
    json_t *n1 = node("n1", "strict", 0, 0), *n2 = node("n2", "strict", 0, 0),
           *n3 = node("n3", "strict", 0, 0), *n4 = node("n4", "strict", 0, 0);
    json_object_set_new(n1, "keepalive", json_pack("{s:i, s:i, s:i}", "keepalive_ms", 15000,
                                                   "keepalive_timeout_ms", 10000,
                                                   "idle_timeout_ms", 60000));
    json_object_set(n2, "keepalive", json_object_get(n1, "keepalive"));
    json_t *nodes = json_pack("[O, O, O]", n1, n2, n4);
    json_t *notes = sipc_mgmt_notes(nodes);
    assert_int_equal(json_array_size(notes), 0);
    json_decref(notes);
    json_object_set_new(n3, "keepalive", json_pack("{s:i, s:i, s:i}", "keepalive_ms", 0,
                                                   "keepalive_timeout_ms", 10000,
                                                   "idle_timeout_ms", 60000));
    json_array_append(nodes, n3);
    notes = sipc_mgmt_notes(nodes);
    assert_string_equal(notes_text(notes),
                        "keepalive_mismatch: the nodes' [limits] "
                        "keepalive_ms/keepalive_timeout_ms/idle_timeout_ms differ: "
                        "15000/10000/60000 (n1, n2); 0/10000/60000 (n3); use the same values on "
                        "every node (docs/configuration.md)");
    json_decref(notes);
    json_decref(nodes);
    json_decref(n1);
    json_decref(n2);
    json_decref(n3);
    json_decref(n4);
}

/* A node that says TLS is on but answered in plaintext is flagged
 * (plaintext_node), except while its connections are being replaced: a
 * reload changed its TLS less than 10 s ago (tls.changed), and retires the
 * plaintext connections made before it within a second or two */
static void plaintext_node(void **state)
{
    (void)state;
    int64_t now = 1800000000;
    json_t *n1 = linked("n1", 600, "2", 0, now), *n2 = linked("n2", 600, "1", 0, now);
    json_object_set_new(n1, "tls", json_pack("{s:b, s:s}", "enabled", 1, "mode", "strict"));
    json_object_set_new(n2, "tls", json_pack("{s:b, s:s}", "enabled", 1, "mode", "strict"));
    json_object_set_new(n1, "reached_over", json_string("plaintext"));
    json_t *nodes = json_pack("[o, o]", n2, n1);
    json_t *p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n1:plaintext_node");
    json_decref(p);
    /* a reload turned its TLS on 1 s ago: its old connections are retiring */
    char changed[32];
    sipc_rfc3339_format((now - 1) * 1000, 0, changed, sizeof changed);
    json_object_set_new(json_object_get(n1, "tls"), "changed", json_string(changed));
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "");
    json_decref(p);
    /* 12 s ago: a plaintext answer now is no old connection's */
    sipc_rfc3339_format((now - 12) * 1000, 0, changed, sizeof changed);
    json_object_set_new(json_object_get(n1, "tls"), "changed", json_string(changed));
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n1:plaintext_node");
    json_decref(p);
    json_decref(nodes);
}

/* n's [cluster] nodes: entries, "|"-separated */
static void set_nodes(json_t *n, const char *entries)
{
    json_t *a = json_array();
    char buf[300];
    snprintf(buf, sizeof buf, "%s", entries);
    for (char *save, *e = strtok_r(buf, "|", &save); e; e = strtok_r(NULL, "|", &save))
        json_array_append_new(a, json_string(e));
    json_object_set_new(json_object_get(n, "node"), "cluster_nodes", a);
}

/* A node whose [cluster] nodes differs from the others' (a typo in a port)
 * is named with what it lists and what they do; the same entries written
 * otherwise (no port: the data port; another order) are no difference; a
 * node without the list (an older build) is left out */
static void nodes_mismatch(void **state)
{
    (void)state;
    int64_t now = 1800000000;
    json_t *n1 = linked("n1", 600, "", 0, now), *n2 = linked("n2", 600, "", 0, now),
           *n3 = linked("n3", 600, "", 0, now), *n4 = linked("n4", 600, "", 0, now);
    set_nodes(n1, "10.0.0.1:23000|10.0.0.2:23000|10.0.0.3:2300");
    set_nodes(n2, "10.0.0.2:23000|10.0.0.1:23000|10.0.0.3:23000");
    set_nodes(n3, "10.0.0.3|10.0.0.1|10.0.0.2");
    json_t *nodes = json_pack("[o, o, o, o]", n1, n2, n3, n4);
    json_t *p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n1:nodes_mismatch");
    const char *msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    if (strcmp(msg, "n1's [cluster] nodes differs from n2's, n3's: n1 lists 10.0.0.3:2300, which "
                    "n2, n3 do not; n2, n3 list 10.0.0.3:23000, which n1 lacks; correct [cluster] "
                    "nodes in n1's sipc.conf (the same list on every node) and restart n1 (a "
                    "reload does not apply it)"))
        fail_msg("%s", msg);
    json_decref(p);
    set_nodes(n1, "10.0.0.1:23000|10.0.0.2:23000|10.0.0.3:23000");
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "");
    json_decref(p);
    json_decref(nodes);
}

/* Asked from the node whose list lacks one (n3, listing n1 and n3): n1
 * lists n2 too. With n2 not asked, one list against one is no majority:
 * neither is blamed, the node not asked is named; with n2's answer (asked
 * as n1 lists it) n3 is the odd one out, named alone ("lists", not "list") */
static void nodes_mismatch_seen_from_odd_node(void **state)
{
    (void)state;
    int64_t now = 1800000000;
    json_t *n3 = linked("n3", 600, "", 0, now), *n1 = linked("n1", 600, "", 0, now);
    json_object_set_new(n3, "reached_over", json_string("self"));
    set_nodes(n3, "10.0.0.3|10.0.0.1");
    set_nodes(n1, "10.0.0.1|10.0.0.2|10.0.0.3");
    json_t *nodes = json_pack("[o, o]", n3, n1);
    json_t *p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n1:nodes_mismatch");
    const char *msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    if (strcmp(msg, "n1's [cluster] nodes differs from n3's: n1 lists 10.0.0.2, which n3 does "
                    "not; no majority of the nodes asked tells which list is right (not asked, "
                    "as n3 does not list it: 10.0.0.2, listed by n1): compare the lists "
                    "(`sipcctl --node ADDR status --cluster` asks the nodes ADDR lists), correct "
                    "[cluster] nodes where it is wrong (the same list on every node) and restart "
                    "that node (a reload does not apply it)"))
        fail_msg("%s", msg);
    json_decref(p);
    /* n2 asked besides n3's list: its list is n1's */
    json_t *n2 = linked("n2", 600, "", 0, now);
    set_nodes(n2, "10.0.0.2|10.0.0.3|10.0.0.1");
    json_object_set_new(n2, "address", json_string("10.0.0.2:23000"));
    json_object_set_new(n2, "listed_by", json_string("n1"));
    json_array_append_new(nodes, n2);
    p = sipc_mgmt_judge(nodes, 30, now);
    assert_string_equal(kinds(p), "n3:nodes_mismatch");
    msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    if (strcmp(msg, "n3's [cluster] nodes differs from n1's, n2's: n1, n2 list 10.0.0.2, which "
                    "n3 lacks; correct [cluster] nodes in n3's sipc.conf (the same list on every "
                    "node) and restart n3 (a reload does not apply it)"))
        fail_msg("%s", msg);
    json_decref(p);
    json_decref(nodes);
}

/* Fingerprints for the rotation cases: the old pair, the new, and another
 * (a foreign pair, or a wrong file staged) */
#define PAIR_OLD "aaaa000000000000000000000000000000000000000000000000000000000000"
#define PAIR_NEW "bbbb000000000000000000000000000000000000000000000000000000000000"
#define PAIR_OTHER "cccc000000000000000000000000000000000000000000000000000000000000"

/* node() strict, presenting the pair fp and, during a rotation, accepting
 * the pair other too (pair "staged" or "previous", NULL for none) */
static json_t *pair_node(const char *id, const char *fp, const char *pair, const char *other)
{
    json_t *n = node(id, "strict", 0, 0);
    json_t *tls = json_object_get(n, "tls");
    json_object_set_new(tls, "certificate", json_pack("{s:s, s:I}", "fingerprint_sha256", fp,
                                                      "not_after_unix", (json_int_t)2000000000));
    json_object_set_new(tls, "rotation",
                        pair ? json_pack("{s:s, s:s}", "pair", pair, "fingerprint_sha256", other)
                             : json_null());
    return n;
}

/* A key pair rotation (tlstool rotate) in progress: two pairs presented,
 * each accepted by every node, is a note naming each node's step and the
 * next command, no problem; a pair a node does not accept stays a
 * certificate_mismatch, which during a rotation does not advise import */
static void rotation(void **state)
{
    (void)state;
    const char *old = PAIR_OLD, *new = PAIR_NEW, *foreign = PAIR_OTHER;
    /* n1 committed, n2 and n3 staged */
    json_t *nodes = json_pack("[o, o, o]", pair_node("n1", new, "previous", old),
                              pair_node("n2", old, "staged", new),
                              pair_node("n3", old, "staged", new));
    json_t *p = sipc_mgmt_judge(nodes, 30, 1800000000);
    assert_string_equal(kinds(p), "");
    assert_string_equal(sipc_mgmt_health(p), "ok");
    json_t *notes = sipc_mgmt_notes(nodes);
    if (!strstr(notes_text(notes),
                "rotation: key pair rotation in progress: n1 committed; n2, n3 staged (each "
                "accepts the other pair besides its own, so the nodes reach each other); next: "
                "`tlstool rotate commit --reload` on n2, n3, one node at a time; once every node "
                "has committed, `tlstool rotate finish --reload` on each"))
        fail_msg("%s", notes_text(notes));
    json_decref(notes);
    json_decref(p);
    json_decref(nodes);
    /* two committed: the majority presents the new pair; still no problem */
    nodes = json_pack("[o, o, o]", pair_node("n1", new, "previous", old),
                      pair_node("n2", new, "previous", old), pair_node("n3", old, "staged", new));
    p = sipc_mgmt_judge(nodes, 30, 1800000000);
    assert_string_equal(kinds(p), "");
    json_decref(p);
    json_decref(nodes);
    /* every node committed, n1 finished: finish on the others */
    nodes = json_pack("[o, o, o]", pair_node("n1", new, NULL, NULL),
                      pair_node("n2", new, "previous", old), pair_node("n3", new, "previous", old));
    p = sipc_mgmt_judge(nodes, 30, 1800000000);
    assert_string_equal(kinds(p), "");
    notes = sipc_mgmt_notes(nodes);
    if (!strstr(notes_text(notes), "n2, n3 committed; n1 finished (each accepts the other pair "
                                   "besides its own, so the nodes reach each other); next: every "
                                   "node has committed: `tlstool rotate finish --reload` on n2, n3"))
        fail_msg("%s", notes_text(notes));
    json_decref(notes);
    json_decref(p);
    json_decref(nodes);
    /* n1 finished before n2 and n3 committed: it is named finished (not
     * "not staged", whose advice, staging again, fails there) and the way
     * out is committing the others */
    nodes = json_pack("[o, o, o]", pair_node("n1", new, NULL, NULL),
                      pair_node("n2", old, "staged", new), pair_node("n3", old, "staged", new));
    notes = sipc_mgmt_notes(nodes);
    if (!strstr(notes_text(notes), "n2, n3 staged; n1 finished (a finished node accepts the new "
                                   "pair alone); next: n1 finished before every node had "
                                   "committed and refuses the pair n2, n3 still present: "
                                   "`tlstool rotate commit --reload` on n2, n3") ||
        strstr(notes_text(notes), "not staged"))
        fail_msg("%s", notes_text(notes));
    json_decref(notes);
    json_decref(nodes);
    /* n1 committed before n3 staged: n3 refuses n1's pair */
    nodes = json_pack("[o, o, o]", pair_node("n1", new, "previous", old),
                      pair_node("n2", old, "staged", new), pair_node("n3", old, NULL, NULL));
    p = sipc_mgmt_judge(nodes, 30, 1800000000);
    assert_string_equal(kinds(p), "n1:certificate_mismatch");
    const char *msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    if (!strstr(msg, "a key pair rotation is in progress that does not cover it: n3 does not "
                     "accept n1's pair; every node stages the new pair before any commits") ||
        strstr(msg, "import"))
        fail_msg("%s", msg);
    notes = sipc_mgmt_notes(nodes);
    if (!strstr(notes_text(notes), "next: stage the new pair on n3"))
        fail_msg("%s", notes_text(notes));
    json_decref(notes);
    json_decref(p);
    json_decref(nodes);
    /* a foreign pair while the others rotate: a problem still, for it alone */
    nodes = json_pack("[o, o, o]", pair_node("n1", new, "previous", old),
                      pair_node("n2", old, "staged", new), pair_node("n3", foreign, NULL, NULL));
    p = sipc_mgmt_judge(nodes, 30, 1800000000);
    assert_string_equal(kinds(p), "n3:certificate_mismatch");
    assert_string_equal(sipc_mgmt_health(p), "problems");
    json_decref(p);
    json_decref(nodes);
    /* and without any rotation, the import advice as before */
    nodes = json_pack("[o, o, o]", pair_node("n1", old, NULL, NULL),
                      pair_node("n2", old, NULL, NULL), pair_node("n3", foreign, NULL, NULL));
    p = sipc_mgmt_judge(nodes, 30, 1800000000);
    assert_string_equal(kinds(p), "n3:certificate_mismatch");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(p, 0), "message")),
                           "import the cluster's key pair on it"));
    notes = sipc_mgmt_notes(nodes);
    assert_string_equal(notes_text(notes), "");
    json_decref(notes);
    json_decref(p);
    json_decref(nodes);
}

/* Two pairs staged on different nodes (a wrong file staged on one): no node
 * refuses another yet, but a commit of either cuts the others off, so it is
 * a staged_mismatch naming which node moves to which pair and the stage
 * that makes them one, and the note advises no commit of the odd node */
static void rotation_staged_apart(void **state)
{
    (void)state;
    const char *old = PAIR_OLD, *new = PAIR_NEW, *wrong = PAIR_OTHER;
    json_t *nodes = json_pack("[o, o, o]", pair_node("n1", old, "staged", new),
                              pair_node("n2", old, "staged", wrong),
                              pair_node("n3", old, "staged", new));
    json_t *p = sipc_mgmt_judge(nodes, 30, 1800000000);
    assert_string_equal(kinds(p), "n2:staged_mismatch");
    assert_string_equal(sipc_mgmt_health(p), "problems");
    const char *msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    if (!strstr(msg, "n2 staged a pair the other rotating nodes did not (the pair each node "
                     "staged or committed: sha256 bbbb000000000000... (n1, n3); sha256 "
                     "cccc000000000000... (n2))") ||
        !strstr(msg, "`tlstool rotate stage FILE --force --reload` on n2, FILE the pair n1 "
                     "moves to") ||
        strstr(msg, "import"))
        fail_msg("%s", msg);
    json_t *notes = sipc_mgmt_notes(nodes);
    if (!strstr(notes_text(notes), "n1, n3 staged; n2 staged or committed a pair the others "
                                   "did not (staged_mismatch)") ||
        !strstr(notes_text(notes), "next: stage the pair the cluster moves to on n2 in place of "
                                   "its own (`tlstool rotate stage FILE --force --reload`; where "
                                   "it committed, `tlstool rotate abort --reload` first); then "
                                   "`tlstool rotate commit --reload` on n1, n3,"))
        fail_msg("%s", notes_text(notes));
    json_decref(notes);
    json_decref(p);
    json_decref(nodes);
    /* n1 committed one pair, n2 staged another: on a tie of counts, the
     * pair presented already is the one the cluster moves to */
    nodes = json_pack("[o, o]", pair_node("n1", new, "previous", old),
                      pair_node("n2", old, "staged", wrong));
    p = sipc_mgmt_judge(nodes, 30, 1800000000);
    if (!strstr(kinds(p), "n2:staged_mismatch") || strstr(kinds(p), "n1:staged"))
        fail_msg("%s", kinds(p));
    json_decref(p);
    json_decref(nodes);
    /* two nodes, two pairs, neither committed: which was meant cannot be
     * told, so one problem names both groups and neither commit advised */
    nodes = json_pack("[o, o]", pair_node("n1", old, "staged", new),
                      pair_node("n2", old, "staged", wrong));
    p = sipc_mgmt_judge(nodes, 30, 1800000000);
    assert_string_equal(kinds(p), "n1:staged_mismatch");
    msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    if (!strstr(msg, "the rotating nodes staged or committed different pairs, as many nodes "
                     "each, so which one is meant cannot be told here (the pair each node "
                     "staged or committed: sha256 bbbb000000000000... (n1); sha256 "
                     "cccc000000000000... (n2))") ||
        !strstr(msg, "`tlstool rotate stage FILE --force --reload`, FILE the pair meant, on "
                     "each node that moves to another"))
        fail_msg("%s", msg);
    notes = sipc_mgmt_notes(nodes);
    if (strstr(notes_text(notes), "rotate commit") ||
        !strstr(notes_text(notes), "next: stage the pair the cluster moves to on n1, n2"))
        fail_msg("%s", notes_text(notes));
    json_decref(notes);
    json_decref(p);
    json_decref(nodes);
}

/* A node whose home holds a step its sipcd does not run (a commit without
 * --reload: its status's home_pair differs from what it presents) is told
 * to reload, not to commit again; a node that rolled back is named so, with
 * the way forward and the way back */
static void rotation_unapplied_rolled_back(void **state)
{
    (void)state;
    const char *old = PAIR_OLD, *new = PAIR_NEW;
    json_t *n2 = pair_node("n2", old, "staged", new);
    json_object_set_new(n2, "home_pair", json_pack("{s:s, s:s}", "fingerprint_sha256", new,
                                                   "rotation", "committed"));
    json_t *nodes = json_pack("[o, o, o]", pair_node("n1", new, "previous", old), n2,
                              pair_node("n3", new, "previous", old));
    json_t *notes = sipc_mgmt_notes(nodes);
    if (!strstr(notes_text(notes), "n2 took a step without a reload") ||
        !strstr(notes_text(notes), "next: `sipcctl reload` on n2 (from its home, or `systemctl "
                                   "reload sipcd` there)") ||
        strstr(notes_text(notes), "rotate commit --reload` on n2"))
        fail_msg("%s", notes_text(notes));
    json_decref(notes);
    json_decref(nodes);
    /* an import without a reload, no rotation: no rotation note */
    json_t *n3 = pair_node("n3", old, NULL, NULL);
    json_object_set_new(n3, "home_pair", json_pack("{s:s, s:s}", "fingerprint_sha256", new,
                                                   "rotation", "none"));
    nodes = json_pack("[o, o, o]", pair_node("n1", old, NULL, NULL),
                      pair_node("n2", old, NULL, NULL), n3);
    notes = sipc_mgmt_notes(nodes);
    assert_string_equal(notes_text(notes), "");
    json_decref(notes);
    json_decref(nodes);
    nodes = json_pack("[o, o, o]", pair_node("n1", old, "rolled_back", new),
                      pair_node("n2", new, "previous", old), pair_node("n3", new, "previous", old));
    json_t *p = sipc_mgmt_judge(nodes, 30, 1800000000);
    assert_string_equal(kinds(p), "");
    notes = sipc_mgmt_notes(nodes);
    if (!strstr(notes_text(notes), "n2, n3 committed; n1 rolled back") ||
        !strstr(notes_text(notes), "to go on with the rotation, `tlstool rotate commit --reload` "
                                   "on n1, one node at a time") ||
        !strstr(notes_text(notes), "to abandon it, `tlstool rotate abort --reload` on n2, n3 "
                                   "first (the nodes that committed), then on every node"))
        fail_msg("%s", notes_text(notes));
    json_decref(notes);
    json_decref(p);
    json_decref(nodes);
}

/* n's staged pair judged by n as its commit would judge it (its status's
 * tls.rotation.verifies false, with the verifier's reason and fix) */
static json_t *unverified(json_t *n, const char *reason, const char *fix, int completable)
{
    json_t *rot = json_object_get(json_object_get(n, "tls"), "rotation");
    json_object_set_new(rot, "verifies", json_false());
    json_object_set_new(rot, "reason", json_string(reason));
    json_object_set_new(rot, "fix", json_string(fix));
    json_object_set_new(rot, "completable", json_boolean(completable));
    return n;
}

/* A staged pair that a node says does not verify (staged, or rolled back
 * from it): the rotation note says so for that node, in `tlstool rotate
 * status`'s words, and names what completes it (or, for a defect of its
 * own, the abort that drops it) before the commit; a pair that verifies
 * (verifies true, or an older node's status without the field) keeps the
 * commit as the next step */
static void rotation_staged_unverified(void **state)
{
    (void)state;
    const char *old = PAIR_OLD, *new = PAIR_NEW;
    json_t *n2 = pair_node("n2", old, "staged", new);
    json_object_set_new(json_object_get(json_object_get(n2, "tls"), "rotation"), "verifies",
                        json_true());
    json_t *nodes = json_pack(
        "[o, o, o]", pair_node("n1", old, "staged", new), n2,
        unverified(pair_node("n3", old, "staged", new), "incomplete chain: no issuer X",
                   "stage it again with X", 1));
    json_t *p = sipc_mgmt_judge(nodes, 30, 1800000000);
    assert_string_equal(kinds(p), "");
    json_decref(p);
    json_t *notes = sipc_mgmt_notes(nodes);
    if (!strstr(notes_text(notes),
                "n1, n2, n3 staged (each accepts the other pair besides its own, so the nodes "
                "reach each other); NOT VERIFIED on n3: the staged pair: incomplete chain: no "
                "issuer X; peers refuse it, and `tlstool rotate commit` refuses it until it "
                "verifies; next: on n3, complete the staged pair first: stage it again with X; "
                "then `tlstool rotate commit --reload` on n1, n2, n3, one node at a time"))
        fail_msg("%s", notes_text(notes));
    json_decref(notes);
    json_decref(nodes);
    /* two of them, one a defect of the pair's own, after n1 committed */
    nodes = json_pack("[o, o, o]", pair_node("n1", new, "previous", old),
                      unverified(pair_node("n2", old, "staged", new), "expired R", "new pair", 0),
                      unverified(pair_node("n3", old, "staged", new), "root R", "trust R", 1));
    notes = sipc_mgmt_notes(nodes);
    if (!strstr(notes_text(notes),
                "NOT VERIFIED on n2: the staged pair: expired R; peers refuse it, and `tlstool "
                "rotate commit` refuses it until it verifies; NOT VERIFIED on n3: the staged "
                "pair: root R; peers refuse it, and `tlstool rotate commit` refuses it until it "
                "verifies; next: on n2, `tlstool rotate abort` drops the staged pair, which "
                "cannot be committed (new pair); then stage one that verifies; on n3, complete "
                "the staged pair first: trust R; then `tlstool rotate commit --reload` on n2, "
                "n3"))
        fail_msg("%s", notes_text(notes));
    json_decref(notes);
    json_decref(nodes);
    /* a node that rolled back commits its staged pair again to go on: the
     * same judgement holds it back */
    nodes = json_pack("[o, o, o]",
                      unverified(pair_node("n1", old, "rolled_back", new), "expired CA", "new CA",
                                 1),
                      pair_node("n2", new, "previous", old), pair_node("n3", new, "previous", old));
    notes = sipc_mgmt_notes(nodes);
    if (!strstr(notes_text(notes),
                "n2, n3 committed; n1 rolled back (each accepts the other pair besides its own, "
                "so the nodes reach each other); NOT VERIFIED on n1: the staged pair: expired "
                "CA; peers refuse it, and `tlstool rotate commit` refuses it until it verifies; "
                "next: to go on with the rotation, on n1, complete the staged pair first: new "
                "CA; then `tlstool rotate commit --reload` on n1, one node at a time"))
        fail_msg("%s", notes_text(notes));
    json_decref(notes);
    json_decref(nodes);
}

/* An organisation's CA ([tls] subject required): each node holds its own
 * certificate, one issuer's; a node whose certificate another issuer signed
 * is still the odd one. self: the leaf is its own issuer (a self-signed
 * pair). */
static json_t *org_node(const char *id, const char *fp, const char *issuer, int self)
{
    json_t *n = pair_node(id, fp, NULL, NULL);
    json_t *tls = json_object_get(n, "tls");
    json_t *cert = json_object_get(tls, "certificate");
    json_object_set_new(cert, "issuer", json_string(issuer));
    json_object_set_new(cert, "subject", json_string(self ? issuer : "O=Test, CN=node"));
    json_object_set_new(tls, "required_subject", json_string("O=Test"));
    return n;
}

/* The problems of three such nodes n1..n3, whose fingerprints are fps[i]
 * repeated, are want. */
static void expect_org(const char fps[3], const char *const issuers[3], int self,
                       const char *want)
{
    json_t *nodes = json_array();
    for (int i = 0; i < 3; i++) {
        char id[8], fp[65];
        snprintf(id, sizeof id, "n%d", i + 1);
        memset(fp, fps[i], 64);
        fp[64] = '\0';
        json_array_append_new(nodes, org_node(id, fp, issuers[i], self));
    }
    json_t *p = sipc_mgmt_judge(nodes, 30, 1800000000);
    assert_string_equal(kinds(p), want);
    json_decref(p);
    json_decref(nodes);
}

static void per_node_certificates(void **state)
{
    (void)state;
    const char *ca = "O=Test, CN=Test CA", *other = "O=Other, CN=Other CA";
    expect_org("abc", (const char *const[]){ca, ca, ca}, 0, "");
    expect_org("abc", (const char *const[]){ca, ca, other}, 0, "n3:certificate_mismatch");
    /* self-signed pairs made with one subject are two clusters' */
    expect_org("aac", (const char *const[]){"O=Test", "O=Test", "O=Test"}, 1,
               "n3:certificate_mismatch");
}

/* org_node at a rotation's step: pair "staged" or "previous" (NULL for
 * none), the other pair's certificate fp and issuer */
static json_t *org_rot_node(const char *id, char fpc, const char *issuer, const char *pair,
                            char otherc, const char *other_issuer)
{
    char fp[65], other[65];
    memset(fp, fpc, 64);
    memset(other, otherc, 64);
    fp[64] = other[64] = '\0';
    json_t *n = org_node(id, fp, issuer, 0);
    if (pair)
        json_object_set_new(json_object_get(n, "tls"), "rotation",
                            json_pack("{s:s, s:s, s:s}", "pair", pair, "fingerprint_sha256",
                                      other, "issuer", other_issuer));
    return n;
}

/* A rotation from one CA's certificates to another's, a certificate per
 * node: no node presents another's certificate, so a finished node is told
 * by the CA of the certificates the committed nodes present, or the staged
 * nodes move to; a node still on the old CA without a rotation is "not
 * staged" */
static void rotation_per_node(void **state)
{
    (void)state;
    const char *c1 = "O=Test, CN=CA 1", *c2 = "O=Test, CN=CA 2";
    /* n1 committed (presents its CA 2 certificate), n2 finished, n3 staged */
    json_t *nodes = json_pack("[o, o, o]", org_rot_node("n1", 'a', c2, "previous", 'd', c1),
                              org_rot_node("n2", 'b', c2, NULL, 0, NULL),
                              org_rot_node("n3", 'f', c1, "staged", 'c', c2));
    /* each accepts the others' certificates (its pair's CA, and its
     * rotation pair's): no mismatch */
    json_t *p = sipc_mgmt_judge(nodes, 30, 1800000000);
    assert_string_equal(kinds(p), "");
    json_decref(p);
    json_t *notes = sipc_mgmt_notes(nodes);
    if (!strstr(notes_text(notes), "n1 committed; n3 staged; n2 finished") ||
        strstr(notes_text(notes), "not staged"))
        fail_msg("%s", notes_text(notes));
    json_decref(notes);
    json_decref(nodes);
    /* n1 finished early (--force), n2 and n3 staged: judged by the CA the
     * staged nodes move to */
    nodes = json_pack("[o, o, o]", org_rot_node("n1", 'a', c2, NULL, 0, NULL),
                      org_rot_node("n2", 'e', c1, "staged", 'b', c2),
                      org_rot_node("n3", 'f', c1, "staged", 'c', c2));
    notes = sipc_mgmt_notes(nodes);
    if (!strstr(notes_text(notes), "n2, n3 staged; n1 finished (a finished node accepts the new "
                                   "pair alone)") ||
        strstr(notes_text(notes), "not staged"))
        fail_msg("%s", notes_text(notes));
    json_decref(notes);
    json_decref(nodes);
    /* n3 never staged: still on CA 1, "not staged", told to stage */
    nodes = json_pack("[o, o, o]", org_rot_node("n1", 'a', c2, "previous", 'd', c1),
                      org_rot_node("n2", 'e', c1, "staged", 'b', c2),
                      org_rot_node("n3", 'f', c1, NULL, 0, NULL));
    /* n3 refuses n1's certificate of the new CA: n3 is the odd one (no
     * certificate is the majority's), named with who refuses whom */
    p = sipc_mgmt_judge(nodes, 30, 1800000000);
    assert_string_equal(kinds(p), "n3:certificate_mismatch");
    if (!strstr(json_string_value(json_object_get(json_array_get(p, 0), "message")),
                "does not cover it: n3 does not accept n1's pair"))
        fail_msg("%s", json_string_value(json_object_get(json_array_get(p, 0), "message")));
    json_decref(p);
    notes = sipc_mgmt_notes(nodes);
    if (!strstr(notes_text(notes), "n3 not staged") ||
        !strstr(notes_text(notes), "next: stage the new pair on n3"))
        fail_msg("%s", notes_text(notes));
    json_decref(notes);
    json_decref(nodes);
}

/* Two nodes answering with one id (the host name when [node] id is not
 * set): one problem, on the first, naming both addresses */
static void duplicate_node_id(void **state)
{
    (void)state;
    json_t *a = node("vm", NULL, 0, 0), *b = node("vm", NULL, 0, 0);
    json_object_set_new(a, "address", json_string("10.0.0.1:23002"));
    json_object_set_new(b, "address", json_string("10.0.0.2:23002"));
    json_t *nodes = json_pack("[o, o, o]", a, node("n3", NULL, 0, 0), b);
    json_t *p = sipc_mgmt_judge(nodes, 30, 1800000000);
    assert_string_equal(kinds(p), "vm:duplicate_node_id");
    const char *msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    if (!strstr(msg, "10.0.0.1:23002 and 10.0.0.2:23002 answer with the same node id 'vm'") ||
        !strstr(msg, "give each node its own [node] id"))
        fail_msg("%s", msg);
    json_decref(p);
    /* one of them unreachable: nothing to compare */
    json_object_set_new(b, "reachable", json_false());
    p = sipc_mgmt_judge(nodes, 30, 1800000000);
    assert_null(strstr(kinds(p), "duplicate_node_id"));
    json_decref(p);
    json_decref(nodes);
}

/* An unreachable [cluster] node as the cluster answer lists it: its
 * address, the error, and the id its peers' links last heard */
static json_t *lost_node(const char *id)
{
    return json_pack("{s:s, s:b, s:s, s:s}", "address", "127.0.72.3:23000", "reachable", 0,
                     "error", "peer certificate rejected", "heard_as", id);
}

/* n's link to the node peer (the id of its last hello; "" for none), up
 * or down */
static void add_link(json_t *n, const char *peer, int up)
{
    json_t *links = json_object_get(n, "links");
    if (!links) {
        links = json_array();
        json_object_set_new(n, "links", links);
    }
    json_t *l = json_pack("{s:s, s:s, s:b}", "service", "search", "address", "127.0.72.3:23003",
                          "up", up);
    if (peer[0])
        json_object_set_new(l, "node", json_string(peer));
    json_array_append_new(links, l);
}

/* The rotation note while a node could not be asked, or does not say its
 * step, never says that every node has committed nor advises a finish
 * without naming that node (it may be the one that missed the rotation,
 * which a finished node refuses); and it does not claim the nodes reach
 * each other while one is out of reach or a link between them is down */
static void rotation_node_unknown(void **state)
{
    (void)state;
    const char *old = PAIR_OLD, *new = PAIR_NEW;
    /* n1 and n2 committed while n3 was down */
    json_t *nodes = json_pack("[o, o, o]", pair_node("n1", new, "previous", old),
                              pair_node("n2", new, "previous", old), lost_node("n3"));
    json_t *notes = sipc_mgmt_notes(nodes);
    const char *text = notes_text(notes);
    if (!strstr(text, "n1, n2 committed; n3 could not be asked (each accepts the other pair "
                      "besides its own); next: n3 could not be asked: finish only once it has "
                      "committed too (`tlstool rotate status` there says its step; a finished "
                      "node refuses a node that has not); then `tlstool rotate finish --reload` "
                      "on n1, n2") ||
        strstr(text, "every node has committed") || strstr(text, "reach each other"))
        fail_msg("%s", text);
    json_decref(notes);
    json_decref(nodes);
    /* n1 finished anyway and refuses n3, which came back staged: asked
     * through n1, n3 cannot be reached and n1's link to it is down */
    json_t *n1 = pair_node("n1", new, NULL, NULL);
    add_link(n1, "n3", 0);
    /* a link that never heard a hello: named by its host, n3's */
    add_link(n1, "", 0);
    nodes = json_pack("[o, o, o]", n1, pair_node("n2", new, "previous", old), lost_node("n3"));
    notes = sipc_mgmt_notes(nodes);
    text = notes_text(notes);
    if (!strstr(text, "n2 committed; n1 finished; n3 could not be asked (each accepts the other "
                      "pair besides its own, but links between them are down: n1 to n3); next: "
                      "n3 could not be asked: finish only once it has committed too") ||
        strstr(text, "every node has committed") || strstr(text, "reach each other"))
        fail_msg("%s", text);
    json_decref(notes);
    json_decref(nodes);
    /* every node reachable and committed, but a link down: the finish is
     * advised, the reaching is not claimed */
    n1 = pair_node("n1", new, "previous", old);
    add_link(n1, "n2", 1);
    add_link(n1, "n3", 0);
    nodes = json_pack("[o, o, o]", n1, pair_node("n2", new, "previous", old),
                      pair_node("n3", new, "previous", old));
    notes = sipc_mgmt_notes(nodes);
    text = notes_text(notes);
    if (!strstr(text, "(each accepts the other pair besides its own, but links between them are "
                      "down: n1 to n3); next: every node has committed") ||
        strstr(text, "n1 to n2") || strstr(text, "reach each other"))
        fail_msg("%s", text);
    json_decref(notes);
    json_decref(nodes);
    /* a staged node and one that could not be asked: commit advice, which
     * names the latter too */
    nodes = json_pack("[o, o, o]", pair_node("n1", new, "previous", old),
                      pair_node("n2", old, "staged", new), lost_node("n3"));
    notes = sipc_mgmt_notes(nodes);
    text = notes_text(notes);
    if (!strstr(text, "`tlstool rotate commit --reload` on n2, one node at a time; once every "
                      "node has committed, `tlstool rotate finish --reload` on each; n3 could "
                      "not be asked: finish only once it has committed too"))
        fail_msg("%s", text);
    json_decref(notes);
    json_decref(nodes);
    /* a node whose status has no tls.rotation (an older build) */
    json_t *n3 = pair_node("n3", new, NULL, NULL);
    json_object_del(json_object_get(n3, "tls"), "rotation");
    nodes = json_pack("[o, o, o]", pair_node("n1", new, "previous", old),
                      pair_node("n2", new, "previous", old), n3);
    notes = sipc_mgmt_notes(nodes);
    text = notes_text(notes);
    if (!strstr(text, "n3 does not say its step (an older build)") ||
        !strstr(text, "next: n3 does not say its step: finish only once it has committed too") ||
        strstr(text, "every node has committed") || strstr(text, "n3 finished"))
        fail_msg("%s", text);
    json_decref(notes);
    json_decref(nodes);
}

/* A rotation from an organisation's certificates to a self-signed pair:
 * n1 finished, n2 committed (it accepts the previous pair, its old
 * certificate of the CA), n3 staged presenting another certificate of that
 * CA. n2 accepts n3's certificate as its verifier does (by the CA), so only
 * n1, which finished, is named as refusing it. */
static void rotation_previous_ca_accepts(void **state)
{
    (void)state;
    const char *ca = "O=Test, CN=Intermediate", *self = "O=Test, CN=new pair";
    char nfp[65];
    memset(nfp, 'b', 64);
    nfp[64] = '\0';
    json_t *n1 = org_rot_node("n1", 'b', self, NULL, 0, NULL);
    json_t *n2 = org_rot_node("n2", 'b', self, "previous", 'a', ca);
    json_t *n3 = org_rot_node("n3", 'c', ca, "staged", 'b', self);
    /* the new pair is self-signed: its subject is its issuer */
    json_object_set_new(json_object_get(json_object_get(n1, "tls"), "certificate"), "subject",
                        json_string(self));
    json_object_set_new(json_object_get(json_object_get(n2, "tls"), "certificate"), "subject",
                        json_string(self));
    json_t *nodes = json_pack("[o, o, o]", n1, n2, n3);
    json_t *p = sipc_mgmt_judge(nodes, 30, 1800000000);
    assert_string_equal(kinds(p), "n3:certificate_mismatch");
    const char *msg = json_string_value(json_object_get(json_array_get(p, 0), "message"));
    if (!strstr(msg, "n1 does not accept n3's pair") || strstr(msg, "n2 does not accept"))
        fail_msg("%s", msg);
    json_decref(p);
    json_decref(nodes);
}

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
        cmocka_unit_test(tls_mixed),
        cmocka_unit_test(held_back),
        cmocka_unit_test(plaintext_from_tls_node),
        cmocka_unit_test(link_down),
        cmocka_unit_test(link_down_names_node),
        cmocka_unit_test(link_down_v6),
        cmocka_unit_test(clock_skew),
        cmocka_unit_test(certificate_expired), cmocka_unit_test(clock_reads_certificate),
        cmocka_unit_test(health_rule),
        cmocka_unit_test(records_lost),
        cmocka_unit_test(storage_unopened), cmocka_unit_test(long_problem_cut_whole),
        cmocka_unit_test(storage_slow), cmocka_unit_test(storage_failing_fix),
        cmocka_unit_test(state_failing_fd_cause), cmocka_unit_test(files_failing_dir),
        cmocka_unit_test(notes_builds),
        cmocka_unit_test(notes_keepalive),
        cmocka_unit_test(rotation),
        cmocka_unit_test(rotation_staged_apart),
        cmocka_unit_test(rotation_unapplied_rolled_back),
        cmocka_unit_test(rotation_staged_unverified),
        cmocka_unit_test(rotation_per_node),
        cmocka_unit_test(rotation_node_unknown),
        cmocka_unit_test(rotation_previous_ca_accepts),
        cmocka_unit_test(per_node_certificates),
        cmocka_unit_test(plaintext_node),
        cmocka_unit_test(nodes_mismatch),
        cmocka_unit_test(nodes_mismatch_seen_from_odd_node),
        cmocka_unit_test(duplicate_node_id),
        cmocka_unit_test(link_down_long_services),
        cmocka_unit_test(link_down_ports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
