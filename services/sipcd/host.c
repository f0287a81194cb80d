/* host.c - see host.h. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "certs/trust.h"
#include "home_lock.h"
#include "json_text.h"
#include "port_holder.h"
#include "host.h"
#include "management_service.h"
#include "rfc3339.h"
#include "services/common/exit_codes.h"
#include "services/data/data_service.h"
#include "services/pipeline/pipeline_service.h"
#include "services/search/search_service.h"

static void describe(host *h, host_service *s, const char *key)
{
    s->h = h;
    s->key = key;
    char cap[32];
    snprintf(cap, sizeof cap, "%s", key);
    cap[0] = (char)toupper((unsigned char)cap[0]);
    snprintf(s->display, sizeof s->display, "%s Service", cap);
    snprintf(s->file, sizeof s->file, "%sService", cap);
}

/* Service failed's setup stops the whole node: every service's log says
 * so, the others naming the one whose setup failed (with [pipeline] tls on
 * and TLS off, only the pipeline's TLS is checked). */
static void log_start_refused(host *h, int failed, const char *why)
{
    for (int i = 0; i < HOST_NSERVICES; i++) {
        if (!h->svc[i].log)
            continue;
        if (i == failed)
            sipc_logf(h->svc[i].log, SIPC_LOG_ERROR, "Service.Start", "Cannot start %s: %s",
                      h->svc[i].display, why);
        else
            sipc_logf(h->svc[i].log, SIPC_LOG_ERROR, "Service.Start",
                      "Cannot start %s: the node stops, as the %s cannot start: %s",
                      h->svc[i].display, h->svc[failed].display, why);
    }
}

/* Loggers and securities of every service: 0 or an exit code. */
static int prepare(host *h)
{
    char logdir[600], err[1024];
    snprintf(logdir, sizeof logdir, "%s/logs", h->cfg.home);
    for (int i = 0; i < HOST_NSERVICES; i++) {
        host_service *s = &h->svc[i];
        describe(h, s, host_svc_names[i]);
        s->port = sipc_config_port(&h->cfg, s->key);
        int r = sipc_logger_open(&s->log, logdir, s->file, 1, SIPC_LOG_INFO);
        if (r != 0) {
            fprintf(stderr, "sipcd: cannot create log directory %s: %s\n", logdir,
                    sipc_strerror(r));
            return SIPC_EXIT_CANTCREAT;
        }
        sipc_logger_set_file_cap(s->log, h->cfg.log_max_file_size); /* [logs] max_file_size */
    }
    host_reload_files_seen(h);
    for (int i = 0; i < HOST_NSERVICES; i++) {
        host_service *s = &h->svc[i];
        if (sipc_security_load_service(&s->sec, &h->cfg, s->key, err, sizeof err) != 0) {
            log_start_refused(h, i, err);
            return SIPC_EXIT_CONFIG;
        }
        /* a [tls] subject the node's own certificate lacks is an edit gone
         * wrong, refused as a reload refuses it: started, the node would be
         * cut off from every peer (an expired pair is time, not an edit:
         * that node starts and says so) */
        if (host_subject_refusal(&h->cfg, host_svc_names[i], s->sec, err, sizeof err) != 0) {
            log_start_refused(h, i, err);
            return SIPC_EXIT_CONFIG;
        }
    }
    /* Say now, not at the first failed handshake, when the pair is unusable. */
    host_pair_check(h, 1);
    host_tls_notes(h, "Service.Start");
    return 0;
}

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
static void node_options(host *h, sipc_options *o, sipc_logger *log)
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
    node_options(h, &o, s->log);
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

/* at most one WARN line per this many ms for refused plaintext acknowledgements */
#define ACK_REFUSED_LOG_MS 60000

/* management.ack of "records-lost": removes the findings named. Only a
 * caller that passed mutual TLS may, as only such a caller's reload --force
 * leaves a lasting mark: in plaintext (TLS off, or a permissive listener)
 * the caller is anyone who reaches the port, and removing a finding hides
 * a loss. Logged in the data service's log, beside the finding's WARN. */
static json_t *mgmt_ack(void *arg, const char *what, const json_t *lines, const char *caller,
                        int tls)
{
    host *h = arg;
    sipc_logger *log = h->svc[HOST_DATA].log;
    char msg[1200];
    json_t *a = json_pack("{s:i, s:s, s:s}", "schema", 1, "node", h->cfg.node_id, "what", what);
    if (!a)
        return NULL;
    const char *result;
    json_t *lists = NULL;
    if (strcmp(what, "records-lost") != 0) {
        result = "refused";
        snprintf(msg, sizeof msg, "nothing called '%.60s' to acknowledge (only records-lost)",
                 what);
    } else if (!tls) {
        result = "refused";
        snprintf(msg, sizeof msg,
                 "acknowledgement refused: the request came in plaintext, so it could come from "
                 "anyone who reaches this port; ask over TLS (from a home holding the cluster's "
                 "pair, with TLS enabled here), or remove state/records-lost in this node's "
                 "home");
        /* anyone who reaches the port can ask as often as it likes: one
         * line a minute at most, counting the ones not logged */
        uint64_t now = uv_now(h->loop);
        if (h->ack_refused_logged && now - h->ack_refused_logged_at < ACK_REFUSED_LOG_MS) {
            h->ack_refused_quiet++;
        } else {
            char more[160] = "";
            if (h->ack_refused_quiet)
                snprintf(more, sizeof more,
                         " (and %lu more refused so since the last such line, not logged: one "
                         "line a minute at most)",
                         h->ack_refused_quiet);
            sipc_logf(log, SIPC_LOG_WARN, "Data.Storage",
                      "Acknowledgement of lost records asked by %s refused: it came in "
                      "plaintext%s",
                      caller, more);
            h->ack_refused_logged = 1;
            h->ack_refused_logged_at = now;
            h->ack_refused_quiet = 0;
        }
    } else {
        char err[1000] = "";
        int r = records_lost_ack(h->cfg.home, lines, &lists, err, sizeof err);
        if (r != 0) {
            result = "failed";
            snprintf(msg, sizeof msg, "nothing acknowledged: %s", err);
            sipc_logf(log, SIPC_LOG_WARN, "Data.Storage",
                      "Acknowledgement of lost records asked by %s failed: %s", caller, err);
        } else {
            size_t nr = json_array_size(json_object_get(lists, "removed"));
            size_t nk = json_array_size(json_object_get(lists, "kept"));
            size_t i;
            json_t *v;
            json_array_foreach(json_object_get(lists, "removed"), i, v)
                sipc_logf(log, SIPC_LOG_INFO, "Data.Storage",
                          "Lost records acknowledged by %s: %s", caller, json_string_value(v));
            if (nr && nk)
                sipc_logf(log, SIPC_LOG_INFO, "Data.Storage",
                          "%zu finding%s of lost records stay%s in state/records-lost: not named "
                          "by the acknowledgement of %s (not among those it was shown)",
                          nk, nk == 1 ? "" : "s", nk == 1 ? "s" : "", caller);
            result = nr ? "acknowledged" : "nothing";
            if (nr)
                snprintf(msg, sizeof msg, "%zu finding%s of lost records acknowledged%s", nr,
                         nr == 1 ? "" : "s",
                         nk ? "; findings not named (not among those listed) stay"
                            : ": state/records-lost removed");
            else
                snprintf(msg, sizeof msg, "nothing to acknowledge%s",
                         json_array_size(json_object_get(lists, "gone"))
                             ? ": the findings named are not there (acknowledged already)"
                             : "");
        }
    }
    json_object_set_new(a, "result", json_string(result));
    json_object_set_new(a, "message", sipc_json_text(msg));
    json_object_update(a, lists);
    json_decref(lists);
    /* what a caller with the pair did is in the log when the answer comes;
     * a refusal is not worth a flush of every log per request */
    if (tls && !strcmp(what, "records-lost"))
        sipc_logger_flush(log);
    return a;
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
        sipc_mgmt_set_ack(h->mgmt, mgmt_ack, h);
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
    node_options(h, &lo, s->log);
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

static void service_links(void *arg, sipc_mgmt_emit_fn emit, void *emit_arg)
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
static int register_handlers(host *h, int i)
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

/* A node that connects to one of our services is up: every context's
 * links to it that are down redial now rather than at the end of their
 * backoff, and are not taken for a node that is gone meanwhile (the
 * pipeline and search would otherwise refuse records and skip the node
 * until their own redial, seconds after a restart). The pipeline's and the
 * management channel's links live in contexts of their own, which hear no
 * hello on the services' servers. */
static void host_peer_seen(host *h, const char *node)
{
    for (int i = 0; i < HOST_NSERVICES; i++)
        sipc_ctx_peer_seen(h->svc[i].ctx, node);
    sipc_ctx_peer_seen(h->probe_ctx, node);
    if (h->pipeline)
        sipc_ctx_peer_seen(sipc_pipeline_links_ctx(h->pipeline), node);
}

/* Every connection that comes up on a service is the latest word on its
 * peer's transport, for the strict guard. A peer newly seen in plaintext is
 * written at once (a few times a second at most, else by the timer: a peer
 * flapping cannot make a write per connection): a node that crashes and
 * restarts with mode = strict must still know it. */
static void on_conn(sipc_conn *conn, sipc_conn_event ev, int err, void *arg)
{
    (void)err;
    host_service *s = arg;
    sipc_peer_info pi;
    if (ev != SIPC_CONN_UP || sipc_conn_info(conn, &pi) != 0)
        return;
    if (pi.peer_node[0])
        host_peer_seen(s->h, pi.peer_node);
    int64_t now = (int64_t)time(NULL);
    /* a peer that offered TLS and got plaintext only because this listener
     * is plaintext on a node with TLS on ([pipeline] tls = 0) holds the pair:
     * making the listener strict again cuts it off no more than a TLS peer.
     * Only there: on a permissive listener a dialer falls back to plaintext
     * when an overloaded listener closes it, and that link is plaintext.
     * On a node with TLS off it still counts: that node going strict while
     * its peers run TLS off is how clusters break (its own links to them) */
    int offered = pi.peer_offered_tls && sipc_security_mode(s->sec) == SIPC_TLS_OFF &&
                  s->h->cfg.tls_enable;
    if (!host_peers_seen(&s->h->peers, pi.address, pi.peer_node, pi.tls || offered, s->key, now))
        return;
    host *h = s->h;
    if (now != h->peers_saved_at) {
        h->peers_saved_at = now;
        h->peers_saved_n = 0;
    }
    if (h->peers_saved_n++ < 8)
        host_save_peers(h);
}

void host_save_peers(host *h)
{
    char err[800];
    int r = host_peers_save(&h->peers, err, sizeof err);
    host_state_written(h, "peers", r, err);
    if (r == 0) {
        h->peers.last_error[0] = '\0';
        return;
    }
    /* once per distinct problem: the timer retries every few seconds */
    if (strcmp(err, h->peers.last_error)) {
        snprintf(h->peers.last_error, sizeof h->peers.last_error, "%s", err);
        sipc_logf(h->svc[HOST_MANAGEMENT].log, SIPC_LOG_WARN, "Service.Guard",
                  "Cannot save the peer history: %s", err);
    }
}

static void on_peers_timer(uv_timer_t *t)
{
    host_save_peers(t->data);
    records_mark_save(t->data);
}

int host_guard_peers(host *h, unsigned services, host_peer *out, int max)
{
    return host_peers_plaintext_in(&h->peers, h->cfg.strict_guard_window, h->cfg.node_id,
                                   services, (int64_t)time(NULL), out, max);
}

/* Restarting strict with peers whose latest word was plaintext would cut
 * them off without a word: unless the operator left the one-shot override
 * (`tlstool mode strict --force`), the node starts permissive instead and
 * says so. Runs before the securities are built; logs after prepare(). */
typedef struct guard_verdict {
    unsigned services; /* the listeners judged (HOST_SVC_* bits) */
    int total;
    int forced;
    char text[2000];
    char load_err[800];
} guard_verdict;

static void guard_before_start(host *h, guard_verdict *v)
{
    memset(v, 0, sizeof *v);
    host_peers_load(&h->peers, h->cfg.home, v->load_err, sizeof v->load_err);
    /* one-shot: whichever start comes next consumes it, needed or not */
    int force = host_force_strict_take(h->cfg.home);
    /* only [tls] mode = strict can be held back (to permissive) at a start */
    if (sipc_config_effective_mode(&h->cfg) != SIPC_TLS_STRICT)
        return;
    /* the listeners that start strict, as a reload to this sipc.conf would
     * judge it: peers only of a plaintext pipeline ([pipeline] tls = 0)
     * hold nothing back */
    v->services = host_guard_scope(&h->cfg, 0);
    host_peer list[8];
    int64_t now = (int64_t)time(NULL);
    v->total = v->services ? host_guard_peers(h, v->services, list, 8) : 0;
    if (!v->total)
        return;
    host_peers_text(list, v->total < 8 ? v->total : 8, v->total, now, v->text, sizeof v->text);
    if (force) {
        /* marked in guard_forced, once the services run */
        v->forced = 1;
        return;
    }
    h->cfg.tls_mode = SIPC_TLS_PERMISSIVE;
    h->guarded = 1;
}

static void guard_log(host *h, const guard_verdict *v)
{
    for (int i = 0; i < HOST_NSERVICES; i++) {
        sipc_logger *l = h->svc[i].log;
        if (!l)
            continue;
        if (v->load_err[0])
            sipc_logf(l, SIPC_LOG_WARN, "Service.Guard", "%s", v->load_err);
        /* the verdict and what to do first, the peers last: a log line has
         * a bounded length, and a long list must cut only its own tail */
        if (h->guarded)
            sipc_logf(l, SIPC_LOG_ERROR, "Service.Guard",
                      "[tls] mode = strict, but starting in permissive mode instead (TLS and "
                      "plaintext accepted): going strict would cut off peers still speaking "
                      "plaintext. Enable TLS on those peers first, or override once with "
                      "`tlstool mode strict --force` and restart (or `tlstool mode strict "
                      "--reload --force` on the running node). The peers: %s",
                      v->text);
    }
}

/* A forced start that came up: the operator knowingly cut these peers off,
 * so they stop holding the node back (at its next start, say) until one
 * connects again. Not before: a start that fails has cut no one off, and
 * its used-up override must not leave a lasting mark. */
static void guard_forced(host *h, const guard_verdict *v)
{
    if (!v->forced)
        return;
    for (int i = 0; i < HOST_NSERVICES; i++)
        if (h->svc[i].log)
            sipc_logf(h->svc[i].log, SIPC_LOG_WARN, "Service.Guard",
                      "strict (forced by the override of `tlstool mode strict --force`): peers "
                      "still speaking plaintext are cut off: %s (acknowledged: they hold no later "
                      "start or reload back unless they connect again)",
                      v->text);
    host_peers_cut_off_in(&h->peers, h->cfg.strict_guard_window, h->cfg.node_id, v->services,
                          (int64_t)time(NULL));
    host_save_peers(h);
}

/* The start line that says how this node tells a dead peer: its PINGs and
 * its idle close, each of which [limits] may have turned off; and a WARN at
 * the sipc.conf line when they work, but not as their values suggest. */
static void log_keepalive(sipc_logger *log, const sipc_config *cfg, const sipc_options *o)
{
    char ka[160], idle[80];
    if (!o->keepalive_ms)
        snprintf(ka, sizeof ka, "off ([limits] keepalive_ms = 0): PINGs only while reading is held back");
    else if (!o->keepalive_timeout_ms)
        snprintf(ka, sizeof ka,
                 "PING after %u ms without receiving anything, no answer awaited ([limits] "
                 "keepalive_timeout_ms = 0)",
                 o->keepalive_ms);
    else
        snprintf(ka, sizeof ka,
                 "PING after %u ms without receiving anything, closed without an answer within "
                 "%u ms",
                 o->keepalive_ms, o->keepalive_timeout_ms);
    if (o->idle_timeout_ms)
        snprintf(idle, sizeof idle, "idle close after %u ms", o->idle_timeout_ms);
    else
        snprintf(idle, sizeof idle, "idle close off ([limits] idle_timeout_ms = 0)");
    sipc_logf(log, SIPC_LOG_INFO, "Service.Start", "Keepalive: %s; %s", ka, idle);
    char note[600];
    if (sipc_config_timeouts_note(cfg, note, sizeof note))
        sipc_logf(log, SIPC_LOG_WARN, "Service.Start", "%s", note);
    /* a root or CRL under a name that is not loaded is said, not skipped
     * silently (a Secret's ca.crt) */
    char skipped[1600];
    if (cfg->tls_enable && sipc_trust_home_skipped(cfg->home, skipped, sizeof skipped))
        sipc_logf(log, SIPC_LOG_WARN, "Service.Start", "%s", skipped);
}

/* Who holds the port a service could not listen on, as `ss -ltnp` would
 * say. This process holds the home's lock (home_lock.h), so a sipcd of this
 * home there is one that takes no lock: an older version, met in an upgrade
 * or a rollback. */
static void log_port_holder(host *h, host_service *s)
{
    port_holder ph;
    int found = port_holder_find(h->cfg.address, s->port, &ph);
    char unlocked[700] = "";
    if (h->lock_warning[0])
        snprintf(unlocked, sizeof unlocked,
                 " (%s could not be locked: it may be another sipcd of this home)", h->cfg.home);
    char mine[PATH_MAX], theirs[PATH_MAX];
    const char *exe = ph.exe[0] ? ph.exe : "executable not readable";
    /* an inferred holder is a guess (port_holder.h): said as one, and never
     * given a kill command */
    char inferred[300] = "", stop[80];
    const char *held = ph.inferred ? "probably held" : "held";
    if (ph.inferred)
        snprintf(inferred, sizeof inferred,
                 " (not verified: the port is this account's, this is its only sipcd whose "
                 "descriptors cannot be read, and its sipc.conf names this address and port; "
                 "`sudo ss -ltnp 'sport = :%d'` names the holder)",
                 s->port);
    if (ph.inferred)
        snprintf(stop, sizeof stop, "once ss confirms it, stop it");
    else
        snprintf(stop, sizeof stop, "stop it (kill -TERM %ld)", (long)ph.pid);
    if (found == 1 && !strcmp(ph.comm, "sipcd") && ph.home[0] &&
        realpath(h->cfg.home, mine) && realpath(ph.home, theirs) && !strcmp(mine, theirs))
        sipc_logf(s->log, SIPC_LOG_ERROR, "Service.Start",
                  "Port %d is %s by pid %ld (sipcd, %s, home %s)%s: a sipcd of this home that "
                  "takes no home lock (a version from before the lock, as in an upgrade or a "
                  "rollback); %s, wait until it has exited, then start this one",
                  s->port, held, (long)ph.pid, exe, ph.home, inferred, stop);
    else if (found == 1 && !strcmp(ph.comm, "sipcd"))
        sipc_logf(s->log, SIPC_LOG_ERROR, "Service.Start",
                  "Port %d is %s by pid %ld (sipcd, %s, home %s)%s: a sipcd of another home on "
                  "the same address and port; give one of them another [node] address or "
                  "other ports%s",
                  s->port, held, (long)ph.pid, exe,
                  ph.home[0] ? ph.home
                             : "not on its command line, and its environment is not readable",
                  inferred, unlocked);
    else if (found == 1)
        sipc_logf(s->log, SIPC_LOG_ERROR, "Service.Start",
                  "Port %d is held by pid %ld (%s, %s): another program; stop it, or give this "
                  "node another [node] address or other ports%s",
                  s->port, (long)ph.pid, ph.comm[0] ? ph.comm : "?", exe, unlocked);
    else
        sipc_logf(s->log, SIPC_LOG_ERROR, "Service.Start",
                  "Port %d is held by another process%s: a sipcd of this home from before the "
                  "home lock (it takes none), a sipcd of another home on the same address and "
                  "port, or another program; `%sss -ltnp 'sport = :%d'` names it%s",
                  s->port,
                  ph.gave_up_ms ? " (the search through every process's descriptors stopped "
                                  "unfinished at its time limit)"
                  : found == 0 && ph.same_account
                      ? " of this account that is not dumpable, as sipcd, tlstool and sipcctl "
                        "make themselves (only root can see which)"
                  : found == 0 ? " of another account (only root can see which)"
                               : "",
                  found == 0 && !ph.gave_up_ms ? "sudo " : "", s->port, unlocked);
}

/* Settings of sipcd's environment meant for tests: each shortens a wait a
 * node otherwise keeps (docs/testing.md). One left in a production node's
 * environment is said at start, and so is a SIPCD_ name sipcd does not
 * know, which would otherwise be taken for one in effect. */
static int start_service(host *h, int i)
{
    host_service *s = &h->svc[i];
    sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start", "%s", sipc_version_string());
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start", "Open-file limit: %llu", (unsigned long long)rl.rlim_cur);
    host_start_notes(h, i);
    sipc_options o;
    node_options(h, &o, s->log);
    log_keepalive(s->log, &h->cfg, &o);
    int r = sipc_ctx_new(&s->ctx, h->loop, &o, s->sec);
    if (r == 0)
        r = sipc_router_new(&s->router);
    if (r != 0) {
        sipc_logf(s->log, SIPC_LOG_ERROR, "Service.Start", "Cannot start %s: %s", s->display,
                  sipc_strerror(r));
        return SIPC_EXIT_SOFTWARE;
    }
    int rc = register_handlers(h, i);
    if (rc != 0)
        return rc;
    sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start", "Starting %s", s->display);
    r = sipc_server_listen(&s->srv, s->ctx, s->display, h->cfg.address, s->port, s->router);
    if (r != 0) {
        /* the server logged which port and why */
        if (r == UV_EADDRINUSE)
            log_port_holder(h, s);
        return SIPC_EXIT_OSERR;
    }
    sipc_server_set_conn_cb(s->srv, on_conn, s);
    (void)sipc_server_set_reserved(s->srv, i == HOST_MANAGEMENT); /* operators' way in */
    sipc_tls_mode mode = sipc_security_mode(s->sec);
    int port = sipc_server_port(s->srv);
    sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start", "%s: %d",
              mode == SIPC_TLS_OFF ? "Port" : "TLS Port", port);
    /* the line above keeps the operator guide's exact form; the mode follows */
    if (mode == SIPC_TLS_PERMISSIVE)
        sipc_logf(s->log, SIPC_LOG_WARN, "Service.Start",
                  "Permissive TLS mode: plaintext peers are also accepted on port %d; once "
                  "every node has TLS enabled, run `tlstool mode strict --reload` on each",
                  port);
    else if (mode == SIPC_TLS_STRICT)
        sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start",
                  "Strict TLS mode: only peers speaking TLS with the cluster's pair are accepted "
                  "on port %d",
                  port);
    /* which node this log belongs to and what it accepts, in every mode:
     * with TLS off the Port line alone says it only by a missing word */
    char home[PATH_MAX];
    if (!realpath(h->cfg.home, home))
        snprintf(home, sizeof home, "%s", h->cfg.home);
    sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start", "Node %s, cluster %s, home %s: %s",
              h->cfg.node_id, h->cfg.cluster, home,
              mode == SIPC_TLS_OFF      ? "plaintext only (TLS off: [tls] enable = 0)"
              : mode == SIPC_TLS_STRICT ? "TLS strict (TLS peers only)"
                                        : "TLS permissive (TLS and plaintext peers)");
    if (h->mgmt)
        sipc_mgmt_add_service(h->mgmt, s->key, s->srv, s->sec);
    sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start", "%s Started", s->display);
    return 0;
}

static void on_data_opened(void *arg);

int host_start(host *h, uv_loop_t *loop)
{
    h->loop = loop;
    guard_verdict gv;
    guard_before_start(h, &gv);
    int rc = prepare(h);
    if (rc != 0)
        return rc;
    guard_log(h, &gv);
    uv_timer_init(loop, &h->peers_timer);
    h->peers_timer.data = h;
    h->peers_timer_on = 1;
    /* at most one write every few seconds however many peers connect */
    uv_timer_start(&h->peers_timer, on_peers_timer, 3000, 3000);
    host_pair_watch_start(h);
    char dir[700], err[1024];
    snprintf(dir, sizeof dir, "%s/data", h->cfg.home);
    sipc_data_options dopt;
    sipc_data_options_init(&dopt);
    dopt.sync = h->cfg.data_sync == SIPC_SYNC_FULL ? SIPC_DATA_SYNC_FULL : SIPC_DATA_SYNC_NORMAL;
    dopt.writes_slow_ms = h->cfg.data_writes_slow_ms;
    if (h->cfg.data_max_attributes)
        dopt.max_attributes = h->cfg.data_max_attributes;
    dopt.log = sipc_logger_sink;
    dopt.log_arg = h->svc[HOST_DATA].log;
    dopt.damaged_cb = records_damaged_save;
    dopt.damaged_arg = h;
    /* a database that cannot be opened (damaged, on a read-only file system
     * without its -shm, unreadable) leaves the node up, its data calls
     * refused with why, and is opened once its files change; a directory
     * that is not one, is unsafe or another account's still stops the
     * start, as a configuration that is wrong */
    dopt.retry_open = 1;
    /* a test may ask for the test writes of a failing database (and the
     * quiet time that ends the failing) sooner than a node needs them (not
     * under 100 ms: each is a write waiting up to the busy timeout) */
    const char *probe = getenv("SIPCD_STORAGE_PROBE_MS");
    if (probe && atol(probe) > 0)
        dopt.probe_ms = dopt.quiet_ms = atol(probe) < 100 ? 100 : (unsigned)atol(probe);
    dopt.opened_cb = on_data_opened;
    dopt.opened_arg = h;
    int dr = sipc_data_open(&h->data, loop, dir, &dopt, err, sizeof err);
    if (dr != 0) {
        sipc_logf(h->svc[HOST_DATA].log, SIPC_LOG_ERROR, "Service.Start", "Cannot start %s: %s",
                  h->svc[HOST_DATA].display, err);
        /* 73 only for a data/ not made (an errno): an unfit one is the home's state */
        return dr == SIPC_ECONFIG ? SIPC_EXIT_CONFIG
                                  : dr == SIPC_ENOMEM ? SIPC_EXIT_SOFTWARE : SIPC_EXIT_CANTCREAT;
    }
    sipc_data_open_state os;
    sipc_data_open_state_get(h->data, &os);
    if (os.open)
        records_mark_start(h);
    /* management first, so that it counts every other service's listener */
    static const int order[HOST_NSERVICES] = {HOST_MANAGEMENT, HOST_DATA, HOST_SEARCH,
                                              HOST_PIPELINE};
    for (int k = 0; k < HOST_NSERVICES && rc == 0; k++)
        rc = start_service(h, order[k]);
    if (rc == 0 && h->mgmt &&
        (sipc_mgmt_add_links(h->mgmt, service_links, h) != 0 ||
         host_status_sections_add(h) != 0)) {
        sipc_logf(h->svc[HOST_MANAGEMENT].log, SIPC_LOG_ERROR, "Service.Start",
                  "Cannot start %s: its status sources were refused",
                  h->svc[HOST_MANAGEMENT].display);
        rc = SIPC_EXIT_SOFTWARE;
    }
    if (rc == 0)
        host_reload_init(h);
    if (rc == 0)
        rc = host_metrics_start(h);
    if (rc == 0)
        guard_forced(h, &gv);
    return rc;
}

/* The database opened after the start: what the start does once it is
 * open (a verdict of damage kept in state/, the records' mark), before it
 * serves a request. */
static void on_data_opened(void *arg)
{
    host *h = arg;
    records_mark_start(h);
}

static void on_data_closed(void *arg)
{
    host *h = arg;
    records_mark_save(h); /* every queued write is in it now */
    h->data = NULL;
}

static void on_ctx_closed(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    host_service *s = arg;
    sipc_logf(s->log, SIPC_LOG_INFO, "Service.Stop", "%s Stopped", s->display);
    s->ctx = NULL;
}

static void on_search_closed(void *arg)
{
    host *h = arg;
    h->search = NULL;
}

static void on_pipeline_closed(void *arg)
{
    host *h = arg;
    h->pipeline = NULL;
}

static void on_mgmt_closed(void *arg)
{
    host *h = arg;
    h->mgmt = NULL;
}

static void on_drain_timer(uv_timer_t *t);
static void stop_services(host *h);

void host_stop(host *h, const char *signame)
{
    if (h->stopping)
        return;
    h->stopping = 1;
    host_metrics_stop(h);
    host_reload_stop(h);
    host_pair_watch_stop(h);
    if (h->peers_timer_on) {
        uv_timer_stop(&h->peers_timer);
        uv_close((uv_handle_t *)&h->peers_timer, NULL);
        h->peers_timer_on = 0;
        host_save_peers(h);
    }
    for (int i = 0; signame && i < HOST_NSERVICES; i++)
        if (h->svc[i].log)
            sipc_logf(h->svc[i].log, SIPC_LOG_INFO, "Service.Stop",
                      "Received %s, stopping %s: no new connections; the requests in progress are "
                      "answered first (at most %d s)",
                      signame, h->svc[i].display, HOST_DRAIN_MS / 1000);
    if (!signame) {
        stop_services(h);
        return;
    }
    /* A stop asked for by a signal lets what is in progress finish: first
     * every service but data (the pipeline's deliveries in progress still
     * reach this node's data service), then data. */
    h->drain_start = uv_now(h->loop);
    h->drain_stage = 1;
    uv_timer_init(h->loop, &h->drain_timer);
    h->drain_timer.data = h;
    h->drain_on = 1;
    on_drain_timer(&h->drain_timer);
    if (h->drain_on)
        uv_timer_start(&h->drain_timer, on_drain_timer, 20, 20);
}

/* The busy connections left on the servers of this stage after asking them
 * to drain once more. */
static int drain_stage(host *h)
{
    int busy = 0;
    for (int i = 0; i < HOST_NSERVICES; i++)
        if (h->svc[i].srv && (i == HOST_DATA) == (h->drain_stage == 2))
            busy += sipc_server_drain(h->svc[i].srv, 0);
    return busy;
}

/* At the stop and every 20 ms after (an idle connection's GOAWAY takes a
 * round trip): a stage ends when no connection of it is left or at its
 * deadline (then what is still open is cut, as a plain close does). */
static void on_drain_timer(uv_timer_t *t)
{
    host *h = t->data;
    uint64_t spent = uv_now(h->loop) - h->drain_start;
    if (h->drain_stage == 1 && (!drain_stage(h) || spent >= HOST_DRAIN_MS * 7 / 10))
        h->drain_stage = 2;
    if (h->drain_stage == 2 && drain_stage(h) && spent < HOST_DRAIN_MS)
        return;
    if (h->drain_stage == 1)
        return;
    uv_timer_stop(&h->drain_timer);
    uv_close((uv_handle_t *)&h->drain_timer, NULL);
    h->drain_on = 0;
    stop_services(h);
}

/* Closes the services: their servers first (no new requests), then the
 * stores they call. */
static void stop_services(host *h)
{
    for (int i = 0; i < HOST_NSERVICES; i++) {
        host_service *s = &h->svc[i];
        if (h->mgmt && s->srv)
            sipc_mgmt_forget_server(h->mgmt, s->srv);
    }
    if (h->mgmt)
        sipc_mgmt_close(h->mgmt, on_mgmt_closed, h);
    if (h->probe_ctx) {
        sipc_ctx_close(h->probe_ctx, NULL, NULL);
        h->probe_ctx = NULL;
    }
    /* servers first (no new requests), then the stores they call */
    for (int i = 0; i < HOST_NSERVICES; i++) {
        host_service *s = &h->svc[i];
        if (s->ctx) {
            sipc_logf(s->log, SIPC_LOG_INFO, "Service.Stop", "Stopping %s", s->display);
            sipc_ctx_close(s->ctx, on_ctx_closed, s);
        }
    }
    if (h->pipeline)
        sipc_pipeline_close(h->pipeline, on_pipeline_closed, h);
    if (h->search)
        sipc_search_close(h->search, on_search_closed, h);
    if (h->data) {
        sipc_data_close(h->data, on_data_closed, h);
    }
}

void host_free(host *h)
{
    /* what came up while the services closed */
    if (h->peers.path[0])
        host_save_peers(h);
    for (int i = 0; i < HOST_NSERVICES; i++) {
        sipc_router_free(h->svc[i].router);
        sipc_security_release(h->svc[i].sec);
        sipc_logger_close(h->svc[i].log);
        memset(&h->svc[i], 0, sizeof h->svc[i]);
    }
    host_reload_free(h);
}
