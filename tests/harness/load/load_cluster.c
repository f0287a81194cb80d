/* load_cluster.c - DIR/cluster.json, as the cluster harness writes it: the
 * nodes with their addresses and ports and the client home to connect with. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "load.h"

static const char *const PORT_NAMES[LOAD_PORTS] = {"data", "search", "management", "pipeline"};

static int copy_str(json_t *o, const char *key, char *out, size_t cap, int required,
                    const char *what, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        if (!required) {
            out[0] = '\0';
            return 0;
        }
        snprintf(err, errlen, "%s: \"%s\" is missing", what, key);
        return SIPC_ECONFIG;
    }
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) >= cap) {
        snprintf(err, errlen, "%s: \"%s\" must be a non-empty string of at most %zu bytes", what,
                 key, cap - 1);
        return SIPC_ECONFIG;
    }
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

static int read_node(json_t *j, int i, load_node *n, char *err, size_t errlen)
{
    char what[64];
    snprintf(what, sizeof what, "nodes[%d]", i);
    if (!json_is_object(j)) {
        snprintf(err, errlen, "%s is not an object", what);
        return SIPC_ECONFIG;
    }
    int e = copy_str(j, "name", n->name, sizeof n->name, 1, what, err, errlen);
    if (e == 0)
        e = copy_str(j, "address", n->address, sizeof n->address, 1, what, err, errlen);
    if (e != 0)
        return e;
    if (strchr(n->name, ',') || strchr(n->name, ' ')) {
        snprintf(err, errlen, "%s: name '%s' has a comma or a space", what, n->name);
        return SIPC_ECONFIG;
    }
    json_t *ports = json_object_get(j, "ports");
    for (int p = 0; p < LOAD_PORTS; p++) {
        json_t *v = json_is_object(ports) ? json_object_get(ports, PORT_NAMES[p]) : NULL;
        json_int_t port = json_is_integer(v) ? json_integer_value(v) : -1;
        if (port < 1 || port > 65535) {
            snprintf(err, errlen, "%s: ports.%s must be a port number (1..65535)", what,
                     PORT_NAMES[p]);
            return SIPC_ECONFIG;
        }
        n->port[p] = (int)port;
    }
    /* the pipeline names a destination "host:port" of its [cluster] nodes entry */
    snprintf(n->dest, sizeof n->dest, strchr(n->address, ':') ? "[%s]:%d" : "%s:%d", n->address,
             n->port[LOAD_PORT_DATA]);
    return 0;
}

int load_cluster_read(load_cluster *c, const char *dir, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    char path[600];
    snprintf(path, sizeof path, "%s/cluster.json", dir);
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "%s: %s (line %d)", path, je.text, je.line);
        return SIPC_ECONFIG;
    }
    int e = 0;
    json_t *v = json_object_get(root, "version");
    if (!json_is_object(root) || !json_is_integer(v) || json_integer_value(v) != 1) {
        snprintf(err, errlen, "%s: not a cluster description of version 1", path);
        e = SIPC_ECONFIG;
        goto out;
    }
    if ((e = copy_str(root, "name", c->name, sizeof c->name, 1, path, err, errlen)) != 0 ||
        (e = copy_str(root, "client_home", c->client_home, sizeof c->client_home, 1, path, err,
                      errlen)) != 0)
        goto out;
    json_t *nodes = json_object_get(root, "nodes");
    if (!json_is_array(nodes) || json_array_size(nodes) == 0 ||
        json_array_size(nodes) > LOAD_MAX_NODES) {
        snprintf(err, errlen, "%s: \"nodes\" must be an array of 1..%d nodes", path,
                 LOAD_MAX_NODES);
        e = SIPC_ECONFIG;
        goto out;
    }
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        if ((e = read_node(json_array_get(nodes, i), (int)i, &c->node[i], err, errlen)) != 0)
            goto out;
        for (size_t k = 0; k < i; k++) {
            if (!strcmp(c->node[k].name, c->node[i].name)) {
                snprintf(err, errlen, "%s: node name '%s' appears twice", path, c->node[i].name);
                e = SIPC_ECONFIG;
                goto out;
            }
        }
        c->n++;
    }
out:
    json_decref(root);
    return e;
}

int load_cluster_find(const load_cluster *c, const char *s)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->node[i].name, s) || !strcmp(c->node[i].dest, s))
            return i;
    return -1;
}

int load_cluster_select(const load_cluster *c, const char *list, int *idx, int *n, char *err,
                        size_t errlen)
{
    *n = 0;
    if (!list || !*list) {
        for (int i = 0; i < c->n; i++)
            idx[(*n)++] = i;
        return 0;
    }
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char name[64];
        if (len == 0 || len >= sizeof name) {
            snprintf(err, errlen, "--nodes: '%s' is not a comma-separated list of node names",
                     list);
            return SIPC_EINVAL;
        }
        memcpy(name, p, len);
        name[len] = '\0';
        int k = load_cluster_find(c, name);
        if (k < 0) {
            snprintf(err, errlen, "--nodes: no node '%s' in cluster.json", name);
            return SIPC_EINVAL;
        }
        int dup = 0;
        for (int j = 0; j < *n; j++)
            dup |= idx[j] == k;
        if (!dup)
            idx[(*n)++] = k;
        p += len + (end ? 1 : 0);
    }
    if (*n == 0) {
        snprintf(err, errlen, "--nodes: no node named");
        return SIPC_EINVAL;
    }
    return 0;
}
