/* mgmt_nodes_list.c - the nodes' [cluster] nodes lists compared: which
 * node an entry of a node's list is, and where it is reached; and the
 * cluster judge's nodes_mismatch problems: a node whose list differs from
 * the list a majority has (a typo on one node shows otherwise only as its
 * links down), or, with no majority that the nodes not asked could not
 * turn, who disagrees and who was not asked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "management_impl.h"
#include "mgmt_health.h"
#include "sipc/node.h"

int mgmt_status_port(json_t *n, const char *name)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(n, "services"), i, s)
        if (!strcmp(mgmt_str_at(s, "name", NULL), name))
            return (int)json_integer_value(json_object_get(s, "port"));
    return 0;
}

int mgmt_lists_entry(json_t *n, json_t *o, const char *e)
{
    char h1[160], h2[160];
    /* the data port: that of an entry of its [cluster] nodes that names none */
    int p1, p2, dn = mgmt_status_port(n, "data"), dno = mgmt_status_port(o, "data");
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
        if (!e || mgmt_lists_entry(b, a, e))
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

/* The names of the nodes with a list the same as best's, "n1, n2" into
 * names and "n1's, n2's" into whose (each of len bytes); how many. */
static int agreeing(json_t *nodes, json_t *best, char *names, char *whose, size_t len)
{
    size_t j, w = 0, v = 0;
    json_t *o;
    int count = 0;
    names[0] = whose[0] = '\0';
    json_array_foreach(nodes, j, o)
    {
        if (!has_nodes_list(o) || !same_nodes(o, best))
            continue;
        count++;
        if (w < len)
            w += (size_t)snprintf(names + w, len - w, "%s%s", w ? ", " : "", mgmt_node_name(o));
        if (v < len)
            v += (size_t)snprintf(whose + v, len - v, "%s%s's", v ? ", " : "", mgmt_node_name(o));
    }
    return count;
}

/* The node that asked the others (its answer came as "self"), else the
 * first: the nodes asked are those its list names. */
static json_t *asker(json_t *nodes)
{
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
        if (!strcmp(mgmt_str_at(n, "reached_over", NULL), "self"))
            return n;
    return json_array_get(nodes, 0);
}

int mgmt_entry_ports(json_t *st, size_t k, char *host, size_t hostlen, int *mport, int *dport)
{
    sipc_config *c = calloc(1, sizeof *c);
    if (!c)
        return SIPC_ENOMEM;
    json_t *list = json_object_get(json_object_get(st, "node"), "cluster_nodes");
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
    {
        if (c->nnodes == SIPC_MAX_NODES)
            break;
        snprintf(c->nodes[c->nnodes++], sizeof c->nodes[0], "%s",
                 json_string_value(x) ? json_string_value(x) : "");
    }
    static const char *const svc[] = {"data", "management"};
    for (size_t s = 0; s < 2; s++) {
        int p = mgmt_status_port(st, svc[s]);
        if (p > 0) {
            snprintf(c->services[c->nservices].name, sizeof c->services[0].name, "%s", svc[s]);
            c->services[c->nservices++].port = p;
        }
    }
    int r = k < (size_t)c->nnodes ? sipc_config_node(c, (int)k, host, hostlen, dport) : SIPC_EINVAL;
    if (r == 0)
        r = sipc_config_node_service(c, (int)k, "management", host, hostlen, mport);
    free(c);
    return r;
}

/* Whether entry e of n's list is a node asked besides the asker's list
 * (its "address" then host:port, its data port). */
static int asked_besides(json_t *nodes, json_t *n, const char *e)
{
    char h1[160], h2[160];
    int p1, p2, dn = mgmt_status_port(n, "data");
    if (sipc_parse_address(e, dn > 0 ? dn : 23000, h1, sizeof h1, &p1) != 0)
        return 0;
    size_t i;
    json_t *x;
    json_array_foreach(nodes, i, x)
        if (json_object_get(x, "listed_by") &&
            sipc_parse_address(mgmt_str_at(x, "address", NULL), 0, h2, sizeof h2, &p2) == 0 &&
            p1 == p2 && sipc_same_host(h1, h2))
            return 1;
    return 0;
}

/* Whether entry k (e) of n's list names a node the asker a asked: one of
 * its own list's, where each reaches it (a typo in a data port of a node
 * on a host of its own still reaches that node), or one asked besides. */
static int was_asked(json_t *nodes, json_t *a, json_t *n, size_t k, const char *e)
{
    char h1[160], h2[160];
    int m1, m2, d;
    if (mgmt_lists_entry(a, n, e) || asked_besides(nodes, n, e) ||
        mgmt_entry_ports(n, k, h1, sizeof h1, &m1, &d) != 0)
        return 1;
    size_t j;
    json_t *x;
    json_array_foreach(json_object_get(json_object_get(a, "node"), "cluster_nodes"), j, x)
        if (mgmt_entry_ports(a, j, h2, sizeof h2, &m2, &d) == 0 && m1 == m2 &&
            sipc_same_host(h1, h2))
            return 1;
    return 0;
}

/* The entries some answering node lists that nobody asked (the asker does
 * not list them, and they were not asked besides): their lists could
 * outvote the ones seen. "; "-joined with who lists them into out; how
 * many (each counted once). */
static int not_asked(json_t *nodes, char *out, size_t len)
{
    /* the nodes whose unasked entries were counted */
    json_t *a = asker(nodes), *seen = json_array();
    if (!has_nodes_list(a)) {
        json_decref(seen);
        out[0] = '\0';
        return 0;
    }
    size_t i, k, w = 0;
    json_t *n, *x;
    int count = 0;
    out[0] = '\0';
    json_array_foreach(nodes, i, n)
    {
        if (!has_nodes_list(n) || n == a)
            continue;
        json_array_foreach(json_object_get(json_object_get(n, "node"), "cluster_nodes"), k, x)
        {
            const char *e = json_string_value(x);
            if (!e || was_asked(nodes, a, n, k, e))
                continue;
            /* listed by an earlier node already: counted there */
            json_t *by;
            size_t m;
            int dup = 0;
            json_array_foreach(seen, m, by)
                dup |= by != n && mgmt_lists_entry(by, n, e);
            if (dup)
                continue;
            if (!json_array_size(seen) || json_array_get(seen, json_array_size(seen) - 1) != n)
                json_array_append(seen, n);
            count++;
            if (w < len)
                w += (size_t)snprintf(out + w, len - w, "%s%s, listed by %s", w ? "; " : "", e,
                                      mgmt_node_name(n));
        }
    }
    json_decref(seen);
    return count;
}

void mgmt_nodes_lists(json_t *list, json_t *nodes)
{
    size_t i, j;
    json_t *n, *o, *best = NULL;
    int most = 0, second = 0;
    json_array_foreach(nodes, i, n)
    {
        if (!has_nodes_list(n))
            continue;
        int count = 0;
        json_array_foreach(nodes, j, o)
            count += has_nodes_list(o) && same_nodes(n, o);
        if (count > most) {
            if (!best || !same_nodes(n, best))
                second = most;
            most = count;
            best = n;
        } else if (count > second && !same_nodes(n, best)) {
            second = count;
        }
    }
    char unasked[600];
    int nu = best ? not_asked(nodes, unasked, sizeof unasked) : 0;
    /* a node is blamed only on a majority the nodes not asked could not
     * turn: else the report says who disagrees and who was not asked */
    int majority = most > second + nu;
    json_array_foreach(nodes, i, n)
    {
        if (!best || !has_nodes_list(n) || same_nodes(n, best))
            continue;
        char agree[400], agree_s[400], extra[500], missing[500];
        int na = agreeing(nodes, best, agree, agree_s, sizeof agree);
        const char *name = mgmt_node_name(n);
        int ne = entries_lacking(n, best, extra, sizeof extra);
        int nm = entries_lacking(best, n, missing, sizeof missing);
        char what[1500];
        snprintf(what, sizeof what, "%s%s%s%s%s%s%s%s%s%s%s%s", ne ? name : "",
                 ne ? " lists " : "", extra, ne ? ", which " : "", ne ? agree : "",
                 ne ? (na == 1 ? " does not" : " do not") : "", ne && nm ? "; " : "",
                 nm ? agree : "", nm ? (na == 1 ? " lists " : " list ") : "", missing,
                 nm ? ", which " : "", nm ? name : "");
        if (nm)
            snprintf(what + strlen(what), sizeof what - strlen(what), " lacks");
        if (majority) {
            mgmt_problem(list, n, "nodes_mismatch",
                         "%s's [cluster] nodes differs from %s: %s; correct [cluster] nodes in "
                         "%s's sipc.conf (the same list on every node) and restart %s (a reload "
                         "does not apply it)",
                         name, agree_s, what, name, name);
            continue;
        }
        char why_not[800] = "";
        if (nu)
            snprintf(why_not, sizeof why_not, " (not asked, as %s does not list %s: %s)",
                     mgmt_node_name(asker(nodes)), nu == 1 ? "it" : "them", unasked);
        mgmt_problem(list, n, "nodes_mismatch",
                     "%s's [cluster] nodes differs from %s: %s; no majority of the nodes "
                     "asked tells which list is right%s: compare the lists (`sipcctl --node "
                     "ADDR status --cluster` asks the nodes ADDR lists), correct [cluster] nodes "
                     "where it is wrong (the same list on every node) and restart that node (a "
                     "reload does not apply it)",
                     name, agree_s, what, why_not);
    }
}
