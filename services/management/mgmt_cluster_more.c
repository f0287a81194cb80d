/* mgmt_cluster_more.c - the nodes a cluster question asks besides this
 * node's own [cluster] nodes: those an answering node lists. A node whose
 * own list is wrong would otherwise see only the nodes it lists, and the
 * judge would take the node that lists the missing one for the odd one out.
 * Each is asked once, on a channel of its own closed once it answered,
 * within the question's deadline; at most MGMT_MAX_EXTRA of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_text.h"
#include "management_impl.h"
#include "mgmt_cluster_query.h"
#include "mgmt_health.h"
#include "sipc/node.h"

/* This node's management port, 0 when it does not know it. */
static int own_management_port(sipc_mgmt *m)
{
    for (int i = 0; i < m->nservices; i++)
        if (!strcmp(m->services[i].name, "management") && m->services[i].srv)
            return sipc_server_port(m->services[i].srv);
    return 0;
}

/* Whether host:mport is a node q asks already, or this node itself. */
static int asked_already(cluster_query *q, const char *host, int mport)
{
    sipc_mgmt *m = q->m;
    if (sipc_same_host(host, m->address) && mport == own_management_port(m))
        return 1;
    for (int i = 0; i < m->npeers; i++)
        if (m->peers[i].port == mport && sipc_same_host(m->peers[i].host, host))
            return 1;
    for (int i = 0; i < q->nextra; i++)
        if (q->extra[i].peer.port == mport && sipc_same_host(q->extra[i].peer.host, host))
            return 1;
    return 0;
}

static void ask_extra(cluster_query *q, mgmt_extra *x)
{
    sipc_mgmt *m = q->m;
    uint64_t now = uv_hrtime();
    json_array_append_new(q->nodes, json_null());
    int index = (int)json_array_size(q->nodes) - 1;
    char why[200] = "";
    peer_call *pc = calloc(1, sizeof *pc);
    int r = pc ? 0 : SIPC_ENOMEM;
    if (r == 0 && now + 100 * 1000000ull >= q->deadline_ns) {
        snprintf(why, sizeof why, "not asked: no time was left to ask it");
        r = SIPC_ETIMEDOUT;
    }
    if (r == 0)
        r = sipc_channel_open(&x->peer.ch, m->ctx, x->peer.host, x->peer.port, NULL);
    if (r == 0) {
        m->channels_open++;
        /* a status must not wait for a node that is down */
        sipc_channel_set_fail_fast(x->peer.ch, 1);
        *pc = (peer_call){.q = q, .index = index, .peer = &x->peer, .extra = x,
                          .deadline_ns = q->deadline_ns};
        q->pending++;
        uint32_t left = (uint32_t)((q->deadline_ns - now) / 1000000u);
        r = sipc_call(x->peer.ch, SIPC_MGMT_SERVICE, "status", NULL, 0, left,
                      mgmt_on_peer_status, pc);
        if (r == 0)
            return;
        q->pending--;
        mgmt_extra_done(pc);
    }
    free(pc);
    json_array_set_new(q->nodes, (size_t)index,
                       json_pack("{s:s, s:b, s:s, s:s, s:o}", "address", x->peer.address,
                                 "reachable", 0, "error", why[0] ? why : sipc_strerror(r),
                                 "error_code", sipc_err_name(r), "listed_by",
                                 sipc_json_text(x->listed_by)));
}

void mgmt_ask_listed(cluster_query *q, json_t *st)
{
    json_t *self = json_array_get(q->nodes, 0);
    json_t *list = json_object_get(json_object_get(st, "node"), "cluster_nodes");
    size_t k;
    json_t *x;
    json_array_foreach(list, k, x)
    {
        const char *e = json_string_value(x);
        char host[160];
        int mport, dport;
        if (!e || q->m->closing || q->nextra == MGMT_MAX_EXTRA ||
            mgmt_lists_entry(self, st, e) ||
            mgmt_entry_ports(st, k, host, sizeof host, &mport, &dport) != 0 ||
            asked_already(q, host, mport))
            continue;
        mgmt_extra *ex = &q->extra[q->nextra++];
        snprintf(ex->peer.host, sizeof ex->peer.host, "%s", host);
        snprintf(ex->peer.address, sizeof ex->peer.address, strchr(host, ':') ? "[%s]:%d" : "%s:%d",
                 host, dport);
        ex->peer.port = mport;
        snprintf(ex->listed_by, sizeof ex->listed_by, "%s", mgmt_node_name(st));
        ask_extra(q, ex);
    }
}

void mgmt_extra_done(peer_call *pc)
{
    if (!pc->extra || !pc->extra->peer.ch)
        return;
    sipc_channel *ch = pc->extra->peer.ch;
    pc->extra->peer.ch = NULL;
    sipc_channel_close(ch, mgmt_channel_closed, pc->q->m);
}

void mgmt_extras_close(sipc_mgmt *m)
{
    /* gathered first: a close ends a call, whose answer may finish (and
     * free) its query */
    sipc_channel *chs[64];
    int n = 0;
    for (cluster_query *q = m->inflight; q; q = q->next)
        for (int i = 0; i < q->nextra && n < (int)(sizeof chs / sizeof chs[0]); i++)
            if (q->extra[i].peer.ch) {
                chs[n++] = q->extra[i].peer.ch;
                q->extra[i].peer.ch = NULL;
            }
    for (int i = 0; i < n; i++)
        sipc_channel_close(chs[i], mgmt_channel_closed, m);
}
