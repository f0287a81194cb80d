/* mgmt_peer_modes.c - the TLS mode every other node runs now, asked over
 * the management channels (sys.info, the call `tlstool check` makes), all at
 * once, for the host's guard of a reload that turns TLS off: a node that
 * runs strict refuses this node's plaintext, and nothing else this node
 * sees tells it from a permissive one (both speak TLS to it). */
#include <stdlib.h>
#include <string.h>

#include "json_text.h"
#include "management_impl.h"

typedef struct modes_query {
    sipc_mgmt *m;
    json_t *nodes;
    int pending;
    sipc_mgmt_modes_done done;
    void *arg;
} modes_query;

typedef struct modes_call {
    modes_query *q;
    json_t *node; /* its entry in q->nodes */
    const mgmt_peer *peer;
} modes_call;

static void finish(modes_query *q)
{
    sipc_mgmt *m = q->m;
    q->done(q->arg, q->nodes);
    free(q);
    m->queries--;
}

static void on_info(int err, const sipc_reply *rep, void *arg)
{
    modes_call *mc = arg;
    modes_query *q = mc->q;
    char why[700] = "";
    json_t *info = NULL;
    if (err == SIPC_EPLAINTEXT) {
        /* a strict node's links speak TLS only: a node that answers them in
         * plaintext runs off, which is all the guard asks */
        json_object_set_new(mc->node, "mode", json_string("off"));
    } else if (err != 0) {
        mgmt_call_why(err, rep, mc->peer->ch, why, sizeof why);
    } else {
        json_error_t je;
        info = json_loadb((const char *)rep->data, rep->len, 0, &je);
        const char *mode = json_string_value(json_object_get(info, "tls_mode"));
        const char *node = json_string_value(json_object_get(info, "node"));
        if (node)
            json_object_set_new(mc->node, "node", sipc_json_text(node));
        if (mode)
            json_object_set_new(mc->node, "mode", sipc_json_text(mode));
        else /* an older node, or not a node's answer: its mode is not known */
            snprintf(why, sizeof why, "its answer names no TLS mode");
    }
    if (why[0])
        json_object_set_new(mc->node, "error", sipc_json_text(why));
    json_decref(info);
    free(mc);
    if (--q->pending == 0)
        finish(q);
}

int sipc_mgmt_peer_modes(sipc_mgmt *m, uint32_t timeout_ms, sipc_mgmt_modes_done done, void *arg)
{
    if (!m || !done)
        return SIPC_EINVAL;
    if (m->closing)
        return SIPC_ECLOSING;
    modes_query *q = calloc(1, sizeof *q);
    if (!q)
        return SIPC_ENOMEM;
    q->m = m;
    q->nodes = json_array();
    q->done = done;
    q->arg = arg;
    if (!q->nodes) {
        free(q);
        return SIPC_ENOMEM;
    }
    /* the caller may have less time than the cluster status takes: a
     * reload asked with a short deadline must answer within it */
    uint32_t timeout = m->cluster_timeout_ms;
    if (timeout_ms && timeout_ms < timeout)
        timeout = timeout_ms;
    m->queries++;
    q->pending = 1; /* held until every call is made */
    for (int i = 0; i < m->npeers; i++) {
        json_t *node = json_pack("{s:s}", "address", m->peers[i].address);
        modes_call *mc = calloc(1, sizeof *mc);
        json_array_append_new(q->nodes, node);
        if (!node || !mc) {
            json_object_set_new(node, "error", json_string("out of memory"));
            free(mc);
            continue;
        }
        mc->q = q;
        mc->node = node;
        mc->peer = &m->peers[i];
        q->pending++;
        int r = sipc_call(m->peers[i].ch, "sys", "info", NULL, 0, timeout, on_info, mc);
        if (r != 0) {
            q->pending--;
            free(mc);
            json_object_set_new(node, "error", json_string(sipc_strerror(r)));
        }
    }
    if (--q->pending == 0)
        finish(q);
    return 0;
}
