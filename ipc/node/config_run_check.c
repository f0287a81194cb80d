/* config_run_check.c - the checks of sipc.conf that only the program
 * running a node's services can make, since the library alone cannot tell
 * which services a home's sections are for, nor whether the home is a
 * node's or a client's: a service section the node does not run, an entry
 * of [cluster] nodes that names one of its own listeners other than its
 * data port, and a [cluster] nodes list without this node. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"
#include "sipc/node.h"

static int runs(const char *const *run, int nrun, const char *name)
{
    for (int k = 0; k < nrun; k++)
        if (!strcmp(run[k], name))
            return 1;
    return 0;
}

/* "data, search, management and pipeline" */
static void run_list(const char *const *run, int nrun, char *out, size_t len)
{
    size_t w = 0;
    out[0] = '\0';
    for (int k = 0; k < nrun && w < len; k++)
        w += (size_t)snprintf(out + w, len - w, "%s%s", k == 0 ? "" : k + 1 == nrun ? " and " : ", ",
                              run[k]);
}

/* An entry at this node's own address whose port is one of its services'
 * other than the data port: the node would dial itself as a peer. */
static int own_listener_entry(const sipc_config *cfg, const char *const *run, int nrun, char *err,
                              size_t errlen)
{
    int data = sipc_config_port(cfg, "data");
    for (int i = 0; i < cfg->nnodes; i++) {
        char host[160];
        int port;
        if (sipc_config_node(cfg, i, host, sizeof host, &port) != 0 || port == data ||
            !sipc__config_host_is_self(cfg, host))
            continue;
        for (int k = 0; k < nrun; k++) {
            if (strcmp(run[k], "data") == 0 || sipc_config_port(cfg, run[k]) != port)
                continue;
            snprintf(err, errlen,
                     "%s/sipc.conf:%d: [cluster] nodes entry '%s' is this node's address with its "
                     "%s port: an entry gives a node's data port (%d here), so that this node "
                     "knows it as itself, not as another node",
                     cfg->home, cfg->node_lines[i], cfg->nodes[i], run[k], data);
            return SIPC_ECONFIG;
        }
    }
    return 0;
}

/* One more warning line in err (lines apart by '\n'); the count of them. */
static int add_warning(char *err, size_t errlen, int warned, const char *fmt, ...)
{
    size_t at = errlen ? strlen(err) : 0;
    if (warned && at + 1 < errlen)
        err[at++] = '\n';
    va_list ap;
    va_start(ap, fmt);
    if (at < errlen)
        vsnprintf(err + at, errlen - at, fmt, ap);
    va_end(ap);
    return warned + 1;
}

/* A list of the cluster's nodes without this one is almost always a
 * mistake: the list is meant to be the same on every node, and without
 * this node in it the others' lists cannot be this one's. */
static int self_unlisted(const sipc_config *cfg, char *err, size_t errlen, int warned)
{
    for (int i = 0; i < cfg->nnodes; i++)
        if (sipc_config_node_is_self(cfg, i))
            return warned;
    return add_warning(err, errlen, warned,
                       "%s/sipc.conf:%d: [cluster] nodes does not list this node ([node] address "
                       "%s, data port %d)%s: the list names every node of the cluster, this one "
                       "included, the same on every node; add this node's entry",
                       cfg->home, cfg->node_lines[0], cfg->address, sipc_config_port(cfg, "data"),
                       sipc_address_is_wildcard(cfg->address)
                           ? " (with a wildcard address, an entry at an address of this machine "
                             "is this node's)"
                           : "");
}

int sipc_config_check_run(const sipc_config *cfg, const char *const *run, int nrun, char *err,
                          size_t errlen)
{
    if (!err)
        errlen = 0;
    if (errlen)
        err[0] = '\0';
    const char *builtin[8];
    if (!run) {
        for (nrun = 0; nrun < 8 && (builtin[nrun] = sipc__config_builtin_service(nrun)); nrun++)
            ;
        run = builtin;
    }
    if (!cfg || nrun <= 0) {
        snprintf(err, errlen, "no configuration or services to check");
        return SIPC_EINVAL;
    }
    int r = own_listener_entry(cfg, run, nrun, err, errlen);
    if (r != 0)
        return r;
    char list[200];
    run_list(run, nrun, list, sizeof list);
    int warned = 0;
    for (int i = 0; i < cfg->nservices; i++) {
        const char *name = cfg->services[i].name;
        if (runs(run, nrun, name))
            continue;
        char hint[120];
        sipc__config_did_you_mean(name, "port", hint, sizeof hint);
        /* a name near a known one is a typo; another may be the service of
         * a program of its own that uses this home (docs/quickstart.md) */
        if (hint[0]) {
            snprintf(err, errlen,
                     "%s/sipc.conf:%d: [%s] port: this node runs no service [%s] (it runs %s)%s",
                     cfg->home, cfg->service_lines[i], name, name, list, hint);
            return SIPC_ECONFIG;
        }
        if (!warned)
            warned = add_warning(err, errlen, warned,
                                 "%s/sipc.conf:%d: [%s] port: this node runs no service [%s] "
                                 "(it runs %s): the port is left to the program of this home "
                                 "that does; if none does, remove the section",
                                 cfg->home, cfg->service_lines[i], name, name, list);
    }
    return cfg->nnodes ? self_unlisted(cfg, err, errlen, warned) : warned;
}
