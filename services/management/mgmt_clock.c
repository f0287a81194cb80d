/* mgmt_clock.c - the cluster judge's clock_skew problems: the nodes'
 * clocks compared with one another (sipc_mgmt_judge, mgmt_cluster.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "management_impl.h"
#include "rfc3339.h"

/* "3 days", "2 days 23 h", "3 hours", "2 hours 30 min", "5 minutes", "90 s":
 * to the nearest hour, minute or second, so 3 days less a few seconds of
 * answer time read as 3 days, not 2 */
static void span_text(int64_t s, char *out, size_t len)
{
    int64_t h = (s + 1800) / 3600, m = (s + 30) / 60;
    if (h >= 48 && h % 24)
        snprintf(out, len, "%lld days %lld h", (long long)(h / 24), (long long)(h % 24));
    else if (h >= 48)
        snprintf(out, len, "%lld days", (long long)(h / 24));
    else if (m >= 120 && m % 60)
        snprintf(out, len, "%lld hours %lld min", (long long)(m / 60), (long long)(m % 60));
    else if (m >= 120)
        snprintf(out, len, "%lld hours", (long long)(m / 60));
    else if (s >= 120)
        snprintf(out, len, "%lld minutes", (long long)m);
    else
        snprintf(out, len, "%lld s", (long long)s);
}

/* The last problem of list gets skew_seconds: how far the node's clock is
 * from the reference, ahead positive. */
static void skew_field(json_t *list, int64_t skew)
{
    json_object_set_new(json_array_get(list, json_array_size(list) - 1), "skew_seconds",
                        json_integer((json_int_t)skew));
}

/* Clocks further apart than this are flagged: the answers of one query
 * come within seconds, and uptimes are whole seconds. */
#define CLOCK_SKEW_S 60

/* What the peers of a node whose clock is outside their certificates'
 * validity see: certificate_expired, for expired and not yet valid alike,
 * sent by wolfSSL's own date check (a CA's certificate) or by sipc's
 * verifier (the cluster's own self-signed pair, which wolfSSL does not
 * date). */
#define PEERS_SEE "its peers see their certificates refused: alert certificate_expired"

/* Node n, named with its clock skew seconds from the reference (ahead
 * positive; ref_text: whose, "the other nodes' clocks" or one node's): when
 * its last reload was refused because its own certificate reads as expired
 * by that clock (ahead) or not yet valid (behind), and by the reference it
 * is valid, the two findings are one fault, and the refusal's own fix
 * (create and import a new pair on every node) a cluster-wide change for a
 * local one: a pair made under that clock would not be valid yet on the
 * others. The refusal's problem is replaced by one that says so; 1 then,
 * and the clock_skew problem (the caller's) says it too. */
static int clock_reads_cert(json_t *list, json_t *n, int64_t skew, const char *span,
                            const char *ref_text)
{
    json_t *r = json_object_get(json_object_get(n, "reload"), "refused");
    const char *reason = mgmt_str_at(r, "reason", NULL);
    const char *finding = skew > 0 ? " expired on " : " is not valid before ";
    if (!json_is_object(r) || !strstr(reason, "this node's certificate") ||
        !strstr(reason, finding))
        return 0;
    json_t *cert = json_object_get(json_object_get(n, "tls"), "certificate");
    json_t *na = json_object_get(cert, "not_after_unix");
    int64_t ref_now = mgmt_node_now(n) - skew;
    if (skew > 0 && json_is_integer(na) && json_integer_value(na) <= ref_now)
        return 0; /* expired by the reference clock too: a real expiry */
    int64_t nb_ms;
    char err[120];
    if (skew < 0 && sipc_rfc3339_ms(mgmt_str_at(cert, "not_before", NULL), &nb_ms, err,
                                    sizeof err) == 0 &&
        nb_ms / 1000 > ref_now)
        return 0; /* not valid yet by the reference clock either: a pair made too early */
    size_t at = json_array_size(list), i;
    json_t *p;
    json_array_foreach(list, i, p)
    {
        if (!strcmp(mgmt_str_at(p, "kind", NULL), "reload_refused") &&
            !strcmp(mgmt_str_at(p, "node", NULL), mgmt_node_name(n)))
            at = i;
    }
    if (at == json_array_size(list))
        return 0;
    /* the finding without its fix, which the clock replaces */
    const char *cut = strstr(reason, "; fix: ");
    int keep = cut ? (int)(cut - reason) : (int)strlen(reason);
    mgmt_problem(list, n, "reload_refused",
            "%s: its last reload was refused at %s: %.*s; by %s it is valid: %s's clock "
            "is %s %s (clock_skew): fix the clock (date -u, NTP), not the pair; the node then "
            "finds its files load again and the refusal clears by itself within about 15 s",
            mgmt_node_name(n), mgmt_str_at(r, "at", NULL), keep, reason, ref_text,
            mgmt_node_name(n), span, skew > 0 ? "ahead" : "behind");
    json_array_set(list, at, json_array_get(list, json_array_size(list) - 1));
    json_array_remove(list, json_array_size(list) - 1);
    return 1;
}

/* Nodes whose clock is off: each node judges certificates by its own
 * clock, so a node behind refuses certificates not yet valid to it and a
 * node ahead refuses them early, and the peers see only a TLS alert. With
 * three or more nodes the median clock is the reference and each node away
 * from it is named, ahead or behind, when more than half agree with it;
 * when they do not (two against two), and with two nodes, no side is
 * named: that they differ, and by how much. */
/* Clocks with no majority agreeing: one problem listing the nodes in
 * groups of clocks within CLOCK_SKEW_S of one another (times: sorted),
 * each group's distance from the earliest, none named as wrong. */
static void no_majority(json_t *list, json_t *nodes, const int64_t *times, size_t count)
{
    char groups[600] = "", span[32];
    size_t len = 0, i;
    json_t *n, *first = NULL;
    for (size_t lo = 0, hi; lo < count; lo = hi) {
        for (hi = lo + 1; hi < count && times[hi] - times[hi - 1] <= CLOCK_SKEW_S; hi++)
            ;
        const char *sep = lo ? "; " : "";
        json_array_foreach(nodes, i, n)
        {
            int64_t t = mgmt_node_now(n);
            if (!t || t < times[lo] || t > times[hi - 1])
                continue;
            if (!first)
                first = n;
            len += (size_t)snprintf(groups + len, len < sizeof groups ? sizeof groups - len : 0,
                                    "%s%s", sep, mgmt_node_name(n));
            len = len < sizeof groups ? len : sizeof groups - 1;
            sep = ", ";
        }
        if (lo) {
            span_text(times[lo] - times[0], span, sizeof span);
            len += (size_t)snprintf(groups + len, len < sizeof groups ? sizeof groups - len : 0,
                                    " %s ahead", span);
        } else
            len += (size_t)snprintf(groups + len, len < sizeof groups ? sizeof groups - len : 0,
                                    " at the earliest");
        len = len < sizeof groups ? len : sizeof groups - 1;
    }
    mgmt_problem(list, first, "clock_skew",
            "the nodes' clocks disagree, and no majority of them agrees (within %d s): %s; "
            "which are wrong is not known: check every node's clock (date -u, NTP); each node "
            "judges certificates by its own clock, so a clock outside a certificate's validity "
            "refuses it (" PEERS_SEE ")",
            CLOCK_SKEW_S, groups);
}

void mgmt_clock_skew(json_t *list, json_t *nodes)
{
    size_t count = 0, i;
    json_t *n;
    int64_t times[64];
    json_array_foreach(nodes, i, n)
    {
        int64_t t = mgmt_node_now(n);
        if (t && count < sizeof times / sizeof times[0])
            times[count++] = t;
    }
    if (count < 2)
        return;
    for (size_t a = 1; a < count; a++) /* insertion sort: a handful of nodes */
        for (size_t b = a; b > 0 && times[b - 1] > times[b]; b--) {
            int64_t t = times[b];
            times[b] = times[b - 1];
            times[b - 1] = t;
        }
    char span[32];
    if (count == 2) {
        int64_t d = times[1] - times[0];
        if (d <= CLOCK_SKEW_S)
            return;
        json_t *ahead = NULL, *other = NULL;
        json_array_foreach(nodes, i, n)
        {
            int64_t t = mgmt_node_now(n);
            if (t == times[1] && !ahead)
                ahead = n;
            else if (t)
                other = n;
        }
        span_text(d, span, sizeof span);
        char ref[200];
        snprintf(ref, sizeof ref, "%s's clock", mgmt_node_name(other));
        if (clock_reads_cert(list, ahead, d, span, ref))
            mgmt_problem(list, ahead, "clock_skew",
                    "%s's clock is %s ahead of %s's: its certificate reads as expired there; "
                    "fix the clock (date -u, NTP), not the pair",
                    mgmt_node_name(ahead), span, mgmt_node_name(other));
        else
            mgmt_problem(list, ahead, "clock_skew",
                    "%s's clock is %s ahead of %s's: one of them is wrong (check both: date -u, "
                    "NTP); each node judges certificates by its own clock, so a clock outside a "
                    "certificate's validity refuses it (" PEERS_SEE ")",
                    mgmt_node_name(ahead), span, mgmt_node_name(other));
        skew_field(list, d);
        return;
    }
    int64_t mid = times[(count - 1) / 2];
    size_t agree = 0;
    for (size_t k = 0; k < count; k++)
        agree += times[k] - mid <= CLOCK_SKEW_S && mid - times[k] <= CLOCK_SKEW_S;
    if (2 * agree <= count) {
        no_majority(list, nodes, times, count);
        return;
    }
    json_array_foreach(nodes, i, n)
    {
        int64_t t = mgmt_node_now(n);
        if (!t || (t - mid <= CLOCK_SKEW_S && mid - t <= CLOCK_SKEW_S))
            continue;
        span_text(t > mid ? t - mid : mid - t, span, sizeof span);
        if (clock_reads_cert(list, n, t - mid, span, "the other nodes' clocks"))
            mgmt_problem(list, n, "clock_skew",
                    "%s's clock is %s %s the other nodes' (their median): its certificate reads "
                    "as %s there; fix the clock (date -u, NTP), not the pair",
                    mgmt_node_name(n), span, t > mid ? "ahead of" : "behind",
                    t > mid ? "expired" : "not yet valid");
        else
            mgmt_problem(list, n, "clock_skew",
                    "%s's clock is %s %s the other nodes' (their median): check its clock "
                    "(date -u, NTP); it judges certificates by it, so a clock outside a "
                    "certificate's validity refuses it (" PEERS_SEE ")",
                    mgmt_node_name(n), span, t > mid ? "ahead of" : "behind");
        skew_field(list, t - mid);
    }
}
