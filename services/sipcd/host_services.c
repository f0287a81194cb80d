/* host_services.c - what each service of the node serves on its router,
 * and what it is given of the node to serve it: the management channel and
 * its links to the other nodes, the pipeline's destinations, the search's
 * peers (see host_services.h). */
#include <stdio.h>
#include <unistd.h>

#include "host.h"
#include "host_services.h"
#include "management_service.h"
#include "services/common/exit_codes.h"
#include "services/data/data_service.h"
#include "services/pipeline/pipeline_service.h"
#include "services/search/search_service.h"

/* The other nodes of [cluster] nodes: every entry that is not this node's
 * own. */
static int other_nodes(const host *h, sipc_mgmt_peer *out, char hosts[][160], int max)
{
    int n = 0;
    for (int i = 0; i < h->cfg.nnodes && n < max; i++) {
        int mport;
        if (sipc_config_node_is_self(&h->cfg, i) ||
            sipc_config_node_service(&h->cfg, i, "management", hosts[n], 160, &mport) != 0)
            continue;
        out[n].address = h->cfg.nodes[i];
        out[n].host = hosts[n];
        out[n].port = mport;
        n++;
    }
    return n;
}

/* The context of the management channel's links to the other nodes. A
 * strict node speaks TLS only, outbound too: a node without TLS is then
 * unreachable, with the handshake's reason. Otherwise they offer TLS
 * whenever this node has a pair, and accept a plaintext answer, so that the
 * cluster status can name a node that still runs without TLS instead of
 * calling it unreachable; what such a node says is marked as received in
 * plaintext. */
int host_probe_security(const sipc_config *cfg, sipc_security **out, char *err, size_t errlen)
{
    if (sipc_config_effective_mode(cfg) == SIPC_TLS_STRICT)
        return sipc_security_load(out, cfg, err, errlen);
    /* TLS off here: offer TLS with an imported pair as any client of this
     * home does, and keep to plaintext while the pair cannot be used yet
     * (an organisation's pair before [tls] subject is set) */
    if (!cfg->tls_enable)
        return sipc_security_load_client(out, cfg, err, errlen);
    sipc_config pc = *cfg;
    char crt[700];
    snprintf(crt, sizeof crt, "%s/security/node.crt", cfg->home);
    pc.tls_enable = access(crt, F_OK) == 0;
    pc.tls_mode = SIPC_TLS_PERMISSIVE;
    return sipc_security_load(out, &pc, err, errlen);
}

/* The options of every context of this node: its configuration, a service's
 * log, and its [node] address as the source of every connection it dials, so
 * that peers see the node at its own address (not the kernel's pick, which
 * is 127.0.0.1 for every node of a test cluster on 127.0.x.y) */
void host_node_options(host *h, sipc_options *o, sipc_logger *log)
{
    sipc_options_from_config(o, &h->cfg);
    o->log = sipc_logger_sink;
    o->log_arg = log;
    o->log_level = SIPC_LOG_INFO; /* the logger keeps no DEBUG */
    o->source_address = sipc_config_source_address(&h->cfg);
    /* each service's start names the sipc.conf lines (log_keepalive): the
     * contexts, several per log, would say it again as options.* */
    o->timeouts_reported = 1;
}

static int open_probe_ctx(host *h, char *err, size_t errlen)
{
    host_service *s = &h->svc[HOST_MANAGEMENT];
    sipc_security *sec;
    int r = host_probe_security(&h->cfg, &sec, err, errlen);
    if (r != 0)
        return r;
    sipc_options o;
    host_node_options(h, &o, s->log);
    r = sipc_ctx_new(&h->probe_ctx, h->loop, &o, sec);
    sipc_security_release(sec);
    if (r != 0)
        snprintf(err, errlen, "%s", sipc_strerror(r));
    return r;
}

static void mgmt_reload(void *arg, const char *caller, const sipc_peer_info *peer, int force,
                        int tls, int64_t deadline_ms, sipc_mgmt_reload_done done, void *done_arg)
{
    char by[300];
    snprintf(by, sizeof by, "management call from %s", caller);
    /* a plaintext caller is nobody in particular: its --force still goes
     * strict, but acknowledges no peer for later starts */
    host_reload(arg, by, peer, force, tls, deadline_ms, done, done_arg);
}

/* This node's own entry of [cluster] nodes, or NULL. */
static const char *self_entry(const host *h)
{
    for (int i = 0; i < h->cfg.nnodes; i++)
        if (sipc_config_node_is_self(&h->cfg, i))
            return h->cfg.nodes[i];
    return NULL;
}

static int start_management(host *h)
{
    host_service *s = &h->svc[HOST_MANAGEMENT];
    sipc_mgmt_peer peers[SIPC_MAX_NODES];
    static char hosts[SIPC_MAX_NODES][160];
    sipc_mgmt_options o = {
        .node_id = h->cfg.node_id,
        .address = h->cfg.address,
        .self_entry = self_entry(h),
        .cluster = h->cfg.cluster,
        .version = sipc_version_string(),
        .tls_enable = h->cfg.tls_enable,
        .tls_mode = sipc_config_effective_mode(&h->cfg),
        .security = h->svc[HOST_DATA].sec,
        .peers = peers,
        .npeers = other_nodes(h, peers, hosts, SIPC_MAX_NODES),
    };
    char err[600];
    int r = open_probe_ctx(h, err, sizeof err);
    if (r == 0)
        r = sipc_mgmt_open(&h->mgmt, h->probe_ctx, &o, err, sizeof err);
    if (r == 0)
        r = sipc_mgmt_register(h->mgmt, s->router);
    if (r == 0)
        sipc_mgmt_set_reload(h->mgmt, mgmt_reload, h);
    if (r == 0)
        sipc_mgmt_set_ack(h->mgmt, host_records_ack, h);
    if (r != 0) {
        sipc_logf(s->log, SIPC_LOG_ERROR, "Service.Start", "Cannot start %s: %s", s->display,
                  err);
        return SIPC_EXIT_SOFTWARE;
    }
    return 0;
}

/* The pipeline delivers to the data service of every node of [cluster]
 * nodes (this one alone when none is listed), over links with the [tls]
 * security: the pipeline's own TLS switch covers its listener only. */
static int start_pipeline(host *h)
{
    host_service *s = &h->svc[HOST_PIPELINE];
    static char hosts[SIPC_MAX_NODES][160];
    sipc_pipeline_dest dests[SIPC_MAX_NODES];
    size_t n = 0;
    for (int i = 0; i < h->cfg.nnodes; i++) {
        int port;
        if (sipc_config_node(&h->cfg, i, hosts[n], sizeof hosts[n], &port) != 0)
            continue;
        dests[n] = (sipc_pipeline_dest){NULL, hosts[n], port};
        n++;
    }
    if (n == 0) {
        snprintf(hosts[0], sizeof hosts[0], "%s",
                 sipc_address_is_wildcard(h->cfg.address) ? "127.0.0.1" : h->cfg.address);
        /* the port the data service got (port = 0 picks a free one) */
        dests[0] = (sipc_pipeline_dest){NULL, hosts[0], sipc_server_port(h->svc[HOST_DATA].srv)};
        n = 1;
    }
    sipc_options lo;
    host_node_options(h, &lo, s->log);
    sipc_pipeline_options o;
    sipc_pipeline_options_init(&o);
    o.dests = dests;
    o.ndests = n;
    o.link_security = h->svc[HOST_DATA].sec;
    o.link_options = &lo;
    sipc_data_options dl;
    sipc_data_options_get(h->data, &dl);
    o.max_attributes = dl.max_attributes; /* what its destinations take */
    char err[600];
    int r = sipc_pipeline_open(&h->pipeline, s->ctx, &o, err, sizeof err);
    if (r == 0)
        r = sipc_pipeline_register(h->pipeline, s->router);
    if (r != 0) {
        sipc_logf(s->log, SIPC_LOG_ERROR, "Service.Start", "Cannot start %s: %s", s->display,
                  err);
        return SIPC_EXIT_SOFTWARE;
    }
    return 0;
}

/* The search endpoint asks every node of [cluster] nodes at its search port
 * (its own entry it recognises by the hello and searches locally). */
static int start_search(host *h)
{
    host_service *s = &h->svc[HOST_SEARCH];
    static char hosts[SIPC_MAX_NODES][160];
    sipc_search_peer peers[SIPC_MAX_NODES];
    size_t n = 0;
    for (int i = 0; i < h->cfg.nnodes; i++) {
        int sport;
        if (sipc_config_node_is_self(&h->cfg, i))
            continue; /* this node: searched locally */
        if (sipc_config_node_service(&h->cfg, i, "search", hosts[n], sizeof hosts[n], &sport) != 0)
            continue;
        peers[n] = (sipc_search_peer){hosts[n], sport};
        n++;
    }
    sipc_search_options o;
    sipc_search_options_init(&o);
    o.node_id = h->cfg.node_id;
    o.others_only = 1; /* its own [cluster] entry is left out above */
    o.peers = peers;
    o.npeers = n;
    o.log = sipc_logger_sink;
    o.log_arg = s->log;
    o.max_local_ms = h->cfg.search_max_local_ms;
    char err[600];
    int r = sipc_search_open(&h->search, s->ctx, h->data, &o, err, sizeof err);
    if (r == 0)
        r = sipc_search_register(h->search, s->router);
    if (r != 0) {
        sipc_logf(s->log, SIPC_LOG_ERROR, "Service.Start", "Cannot start %s: %s", s->display,
                  err);
        return SIPC_EXIT_SOFTWARE;
    }
    return 0;
}

/* The links the search and pipeline services keep to the other nodes, for
 * the management status. */
typedef struct link_emit {
    sipc_mgmt_emit_fn emit;
    void *emit_arg;
    const char *service;
} link_emit;

static void emit_one(void *arg, const sipc_link_info *li)
{
    link_emit *le = arg;
    le->emit(le->emit_arg, le->service, li);
}

void host_service_links(void *arg, sipc_mgmt_emit_fn emit, void *emit_arg)
{
    host *h = arg;
    link_emit le = {emit, emit_arg, "search"};
    if (h->search)
        sipc_search_links(h->search, emit_one, &le);
    le.service = "pipeline";
    if (h->pipeline)
        sipc_pipeline_links(h->pipeline, emit_one, &le);
}

/* What each service serves on its router. */
int host_register_handlers(host *h, int i)
{
    host_service *s = &h->svc[i];
    switch (i) {
    case HOST_DATA:
        return sipc_data_register(h->data, s->router) == 0 ? 0 : SIPC_EXIT_SOFTWARE;
    case HOST_MANAGEMENT:
        return start_management(h);
    case HOST_PIPELINE:
        return start_pipeline(h);
    case HOST_SEARCH:
        return start_search(h);
    default:
        return 0;
    }
}
