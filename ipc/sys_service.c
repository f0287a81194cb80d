/* sys_service.c - the built-in "sys" service every router serves: ping, echo
 * and info. Written against the public API only, as any service would be. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/internal.h"


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
    sipc_ctx *ctx = sipc_conn_ctx(c);
    const sipc_security *sec = sipc_ctx_security(ctx);
    sipc_peer_info pi;
    sipc_conn_info(c, &pi);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:b, s:s, s:s, s:s, s:s}}",
                          "node", sipc_ctx_node_id(ctx), "cluster", sipc_ctx_cluster(ctx), "software",
                          "sipc " SIPC_VERSION_STRING, "build", sipc_build_id(), "tls_mode",
                          sipc_tls_mode_name(sipc_security_mode(sec)), "fingerprint",
                          sipc_security_fingerprint(sec), "link", "tls", pi.tls, "version",
                          pi.tls_version, "cipher", pi.tls_cipher, "record_layer",
                          !pi.tls ? "" : pi.tls_direct ? "sipc" : "wolfssl", "peer", pi.address);
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

int sipc__sys_register(sipc_router *r)
{
    int e = sipc_router_add(r, "sys", "ping", sys_ping, NULL);
    if (!e)
        e = sipc_router_add(r, "sys", "echo", sys_echo, NULL);
    if (!e)
        e = sipc_router_add(r, "sys", "info", sys_info, NULL);
    return e;
}
