/* peer_news.c - what one of the node's contexts learns of a peer node, told
 * to the others. Each service has a context of its own, and so have the
 * management channel's and the pipeline's links: each would otherwise learn
 * only what its own connections hear. */
#include <string.h>

#include "host.h"
#include "services/pipeline/pipeline_service.h"

/* The services' contexts, the management channel's and the pipeline's
 * links' (those open now) into out; how many. */
static int node_ctxs(host *h, sipc_ctx *out[HOST_NSERVICES + 2])
{
    int n = 0;
    for (int i = 0; i < HOST_NSERVICES; i++)
        if (h->svc[i].ctx)
            out[n++] = h->svc[i].ctx;
    if (h->probe_ctx)
        out[n++] = h->probe_ctx;
    sipc_ctx *links = sipc_pipeline_links_ctx(h->pipeline);
    if (links)
        out[n++] = links;
    return n;
}

/* A node that connects to one of our services from address is up: every
 * context's links to it that are down (that node id at that host: nodes
 * sharing a host name as their id are told apart by their address, which
 * their links leave from) redial now rather than at the end of their
 * backoff, and are not taken for a node that is gone meanwhile (the
 * pipeline and search would otherwise refuse records and skip the node
 * until their own redial, seconds after a restart). The pipeline's and the
 * management channel's links live in contexts of their own, which hear no
 * hello on the services' servers. */
void host_peer_seen(host *h, const char *node, const char *address)
{
    sipc_ctx *ctx[HOST_NSERVICES + 2];
    int n = node_ctxs(h, ctx);
    for (int i = 0; i < n; i++)
        sipc_ctx_peer_seen(ctx[i], node, address);
}

/* A node said it stops on a link to addr:port: the entry of [cluster] nodes
 * with a service at that address is that node, and every context's links
 * to any of its services expect its refusals for a while (DEBUG, not WARN).
 * Found by address, not by the node id: nodes sharing a host without a
 * [node] id of their own share the host name as theirs. */
static void on_peer_stop(sipc_ctx *from, const char *node, const char *addr, int port, void *arg)
{
    (void)from;
    host *h = arg;
    char eh[HOST_NSERVICES][160];
    int ep[HOST_NSERVICES];
    for (int e = 0; e < h->cfg.nnodes; e++) {
        int hit = 0;
        for (int i = 0; i < HOST_NSERVICES; i++) {
            if (sipc_config_node_service(&h->cfg, e, host_svc_names[i], eh[i], sizeof eh[i],
                                         &ep[i]) != 0)
                ep[i] = 0;
            else if (ep[i] == port && sipc_same_host(eh[i], addr))
                hit = 1;
        }
        if (!hit)
            continue;
        sipc_ctx *ctx[HOST_NSERVICES + 2];
        int n = node_ctxs(h, ctx);
        for (int c = 0; c < n; c++)
            for (int i = 0; i < HOST_NSERVICES; i++)
                if (ep[i])
                    sipc_ctx_peer_stopping(ctx[c], node, eh[i], ep[i]);
        return;
    }
}

void host_peer_news_start(host *h)
{
    sipc_ctx *ctx[HOST_NSERVICES + 2];
    int n = node_ctxs(h, ctx);
    for (int i = 0; i < n; i++)
        sipc_ctx_set_peer_stop_cb(ctx[i], on_peer_stop, h);
}
