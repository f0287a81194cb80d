/* mgmt_reload.c - management.reload: asks the host to re-read sipc.conf and
 * the imported pair, and answers with what changed. Who may ask is whoever
 * this listener lets in: with TLS, a peer holding the cluster's pair (a node
 * or an operator's machine); in plaintext mode anyone who reaches the port.
 * Whether the request came over TLS goes to the host with it: only such a
 * caller's --force may leave a lasting mark (the peers it cuts off). */
#include <stdio.h>
#include <string.h>

#include "management_impl.h"

static void reload_done(void *done_arg, json_t *answer)
{
    mgmt_respond_json(done_arg, answer);
}

void mgmt_on_reload(sipc_request *req, void *arg)
{
    sipc_mgmt *m = arg;
    if (!m->reload) {
        sipc_respond_error(req, 1, "this node cannot reload its configuration");
        return;
    }
    size_t len;
    const void *data = sipc_request_data(req, &len);
    int force = 0;
    if (len > 0) {
        json_error_t je;
        json_t *j = json_loadb(data, len, 0, &je);
        json_t *f = json_is_object(j) ? json_object_get(j, "force") : NULL;
        if (!json_is_object(j) || (f && !json_is_boolean(f))) {
            json_decref(j);
            sipc_respond_error(req, 1, "reload request: expected {} or {\"force\": true|false}");
            return;
        }
        force = json_is_true(f);
        json_decref(j);
    }
    char caller[200] = "an unknown peer";
    sipc_conn *c = sipc_request_conn(req);
    sipc_peer_info pi;
    int tls = 0, known = 0;
    if (c && sipc_conn_info(c, &pi) == 0) {
        known = 1;
        /* a TLS connection here passed mutual TLS: its peer holds the pair */
        tls = pi.tls;
        snprintf(caller, sizeof caller, "%s (node %s, %s)", pi.address,
                 pi.peer_node[0] ? pi.peer_node : "?", pi.tls ? "TLS" : "plaintext");
    }
    m->reload(m->reload_arg, caller, known ? &pi : NULL, force, tls,
              sipc_request_deadline_ms(req), reload_done, req);
}
