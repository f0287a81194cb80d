/* router.c - (service, method) -> handler, and the built-in "sys" service. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/internal.h"

const sipc_route *sipc__router_find(const sipc_router *r, const char *service, const char *method)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->routes[i].method, method) == 0 && strcmp(r->routes[i].service, service) == 0)
            return &r->routes[i];
    return NULL;
}

int sipc_router_add(sipc_router *r, const char *service, const char *method, sipc_handler_fn fn,
                    void *arg)
{
    if (!r || !service || !method || !fn || !*service || !*method)
        return SIPC_EINVAL;
    for (int i = 0; i < r->n; i++) {
        if (!strcmp(r->routes[i].service, service) && !strcmp(r->routes[i].method, method)) {
            r->routes[i].fn = fn;
            r->routes[i].arg = arg;
            return 0;
        }
    }
    if (r->n == r->cap) {
        int ncap = r->cap ? r->cap * 2 : 8;
        sipc_route *nr = realloc(r->routes, (size_t)ncap * sizeof *nr);
        if (!nr)
            return SIPC_ENOMEM;
        r->routes = nr;
        r->cap = ncap;
    }
    sipc_route *rt = &r->routes[r->n];
    rt->service = strdup(service);
    rt->method = strdup(method);
    if (!rt->service || !rt->method) {
        free(rt->service);
        free(rt->method);
        return SIPC_ENOMEM;
    }
    rt->fn = fn;
    rt->arg = arg;
    r->n++;
    return 0;
}

/* ---- sys ---- */

static void sys_ping(sipc_request *req, void *arg)
{
    (void)arg;
    sipc_respond(req, NULL, 0);
}

static void sys_echo(sipc_request *req, void *arg)
{
    (void)arg;
    size_t len;
    const void *p = sipc_request_data(req, &len);
    sipc_respond(req, p, len);
}

/* What a peer (sipcctl, tlstool check, a status report) needs to know about
 * this node and the link it asked over. No secrets. */
static void sys_info(sipc_request *req, void *arg)
{
    (void)arg;
    sipc_conn *c = sipc_request_conn(req);
    if (!c) {
        sipc_respond_error(req, SIPC_ECLOSED, "connection closed");
        return;
    }
    sipc_ctx *ctx = c->ctx;
    sipc_peer_info pi;
    sipc_conn_info(c, &pi);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:b, s:s, s:s, s:s}}",
                          "node", ctx->node_id, "cluster", ctx->cluster, "software",
                          "sipc " SIPC_VERSION_STRING, "tls_mode",
                          sipc_tls_mode_name(sipc_security_mode(ctx->sec)), "fingerprint",
                          sipc_security_fingerprint(ctx->sec), "link", "tls", pi.tls, "version",
                          pi.tls_version, "cipher", pi.tls_cipher, "peer", pi.address);
    if (!o) {
        sipc_respond_error(req, SIPC_ECONFIG, "node id or cluster name is not valid UTF-8");
        return;
    }
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s) {
        sipc_respond_error(req, SIPC_ENOMEM, "out of memory");
        return;
    }
    sipc_respond(req, s, strlen(s));
    free(s);
}

int sipc_router_new(sipc_router **out)
{
    sipc_router *r = calloc(1, sizeof *r);
    if (!r)
        return SIPC_ENOMEM;
    int e = sipc_router_add(r, "sys", "ping", sys_ping, NULL);
    if (!e)
        e = sipc_router_add(r, "sys", "echo", sys_echo, NULL);
    if (!e)
        e = sipc_router_add(r, "sys", "info", sys_info, NULL);
    if (e) {
        sipc_router_free(r);
        return e;
    }
    *out = r;
    return 0;
}

void sipc_router_free(sipc_router *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n; i++) {
        free(r->routes[i].service);
        free(r->routes[i].method);
    }
    free(r->routes);
    free(r);
}
