/* mgmt_nodes_list.c - the cluster judge's nodes_mismatch problems: a node
 * whose [cluster] nodes differs from the list most nodes have (a typo on
 * one node shows otherwise only as its links down). */
#include <stdio.h>
#include <string.h>

#include "management_impl.h"
#include "mgmt_health.h"
#include "sipc/node.h"

/* n's data port (its services' "data"), the port of an entry of its
 * [cluster] nodes that names none; 0 when its status does not say. */
static int data_port(json_t *n)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(n, "services"), i, s)
        if (!strcmp(mgmt_str_at(s, "name", NULL), "data"))
            return (int)json_integer_value(json_object_get(s, "port"));
    return 0;
}

/* Whether n's [cluster] nodes has the entry e of node o's (the same host
 * and port, each entry's missing port its node's data port). */
static int lists_entry(json_t *n, json_t *o, const char *e)
{
    char h1[160], h2[160];
    int p1, p2, dn = data_port(n), dno = data_port(o);
    if (sipc_parse_address(e, dno > 0 ? dno : 23000, h1, sizeof h1, &p1) != 0)
        return 0;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(json_object_get(n, "node"), "cluster_nodes"), i, x)
        if (sipc_parse_address(json_string_value(x) ? json_string_value(x) : "",
                               dn > 0 ? dn : 23000, h2, sizeof h2, &p2) == 0 &&
            p1 == p2 && sipc_same_host(h1, h2))
            return 1;
    return 0;
}

/* The entries of a's [cluster] nodes that b lacks, ", "-joined as a wrote
 * them, into out; how many. */
static int entries_lacking(json_t *a, json_t *b, char *out, size_t len)
{
    size_t i, w = 0;
    json_t *x;
    int count = 0;
    out[0] = '\0';
    json_array_foreach(json_object_get(json_object_get(a, "node"), "cluster_nodes"), i, x)
    {
        const char *e = json_string_value(x);
        if (!e || lists_entry(b, a, e))
            continue;
        count++;
        if (w < len)
            w += (size_t)snprintf(out + w, len - w, "%s%s", w ? ", " : "", e);
    }
    return count;
}

static int same_nodes(json_t *a, json_t *b)
{
    char none[8];
    return !entries_lacking(a, b, none, sizeof none) && !entries_lacking(b, a, none, sizeof none);
}

static int has_nodes_list(json_t *n)
{
    return json_is_true(json_object_get(n, "reachable")) &&
           json_is_array(json_object_get(json_object_get(n, "node"), "cluster_nodes"));
}

void mgmt_nodes_lists(json_t *list, json_t *nodes)
{
    size_t i, j;
    json_t *n, *o, *best = NULL;
    int most = 0;
    json_array_foreach(nodes, i, n)
    {
        if (!has_nodes_list(n))
            continue;
        int count = 0;
        json_array_foreach(nodes, j, o)
            count += has_nodes_list(o) && same_nodes(n, o);
        if (count > most) {
            most = count;
            best = n;
        }
    }
    json_array_foreach(nodes, i, n)
    {
        if (!best || !has_nodes_list(n) || same_nodes(n, best))
            continue;
        char agree[400] = "", extra[500], missing[500];
        size_t w = 0;
        json_array_foreach(nodes, j, o)
            if (has_nodes_list(o) && same_nodes(o, best) && w < sizeof agree)
                w += (size_t)snprintf(agree + w, sizeof agree - w, "%s%s's", w ? ", " : "",
                                      mgmt_node_name(o));
        int ne = entries_lacking(n, best, extra, sizeof extra);
        int nm = entries_lacking(best, n, missing, sizeof missing);
        char what[1100];
        snprintf(what, sizeof what, "%s%s%s%s%s%s%s", ne ? "it lists " : "", extra,
                 ne ? (ne == 1 ? ", which they do not" : ", which they do not list") : "",
                 ne && nm ? "; " : "", nm ? "they list " : "", missing,
                 nm ? ", which it lacks" : "");
        mgmt_problem(list, n, "nodes_mismatch",
                "%s's [cluster] nodes differs from %s: %s; correct [cluster] nodes in %s's "
                "sipc.conf (the same list on every node) and restart %s (a reload does not "
                "apply it)",
                mgmt_node_name(n), agree, what, mgmt_node_name(n), mgmt_node_name(n));
    }
}
