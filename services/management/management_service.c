/* management_service.c - setup and the node-local methods of the management
 * channel: management.status and management.metrics (management.reload in
 * mgmt_reload.c, management.ack in mgmt_ack.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "management_impl.h"
#include "rfc3339.h"

void mgmt_respond_json(sipc_request *req, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!s) {
        sipc_respond_error(req, SIPC_ENOMEM, "out of memory");
        return;
    }
    sipc_respond(req, s, strlen(s));
    free(s);
}

static void on_status(sipc_request *req, void *arg)
{
    mgmt_respond_json(req, sipc_mgmt_status(arg));
}

static void on_metrics(sipc_request *req, void *arg)
{
    char *text;
    size_t len;
    if (sipc_mgmt_metrics(arg, &text, &len) != 0) {
        sipc_respond_error(req, SIPC_ENOMEM, "out of memory");
        return;
    }
    sipc_respond(req, text, len);
    free(text);
}

int sipc_mgmt_open(sipc_mgmt **out, sipc_ctx *ctx, const sipc_mgmt_options *o, char *err,
                   size_t errlen)
{
    if (!out || !ctx || !o || o->npeers < 0 || o->npeers > MGMT_MAX_PEERS) {
        snprintf(err, errlen, "management: bad options (at most %d peers)", MGMT_MAX_PEERS);
        return SIPC_EINVAL;
    }
    sipc_mgmt *m = calloc(1, sizeof *m);
    if (!m)
        return SIPC_ENOMEM;
    m->ctx = ctx;
    snprintf(m->node_id, sizeof m->node_id, "%s", o->node_id ? o->node_id : "");
    snprintf(m->address, sizeof m->address, "%s", o->address ? o->address : "");
    snprintf(m->self_entry, sizeof m->self_entry, "%s", o->self_entry ? o->self_entry : "");
    snprintf(m->cluster, sizeof m->cluster, "%s", o->cluster ? o->cluster : "");
    snprintf(m->version, sizeof m->version, "%s", o->version ? o->version : "");
    m->tls_enable = o->tls_enable;
    m->tls_mode = o->tls_mode;
    m->sec = o->security ? sipc_security_retain(o->security) : NULL;
    m->started_ms = sipc_rfc3339_now_ms();
    m->started_hr = uv_hrtime();
    m->cluster_timeout_ms = o->cluster_timeout_ms ? o->cluster_timeout_ms : 3000;
    m->expiry_warn_days = o->expiry_warn_days ? o->expiry_warn_days : 30;
    for (int i = 0; i < o->npeers; i++) {
        mgmt_peer *p = &m->peers[m->npeers];
        snprintf(p->address, sizeof p->address, "%s", o->peers[i].address);
        snprintf(p->host, sizeof p->host, "%s", o->peers[i].host);
        p->port = o->peers[i].port;
        int r = sipc_channel_open(&p->ch, ctx, p->host, p->port, NULL);
        if (r != 0) {
            snprintf(err, errlen, "management: cannot open a channel to %s:%d: %s", p->host,
                     p->port, sipc_strerror(r));
            sipc_mgmt_close(m, NULL, NULL);
            return r;
        }
        /* a status must not wait for a node that is down */
        sipc_channel_set_fail_fast(p->ch, 1);
        m->npeers++;
        m->channels_open++;
    }
    *out = m;
    return 0;
}

static void service_security(mgmt_service *s, const sipc_security *sec)
{
    s->mode = sipc_security_mode(sec);
    const char *fp = sipc_security_fingerprint(sec);
    snprintf(s->fp, sizeof s->fp, "%s", fp ? fp : "");
}

int sipc_mgmt_add_service(sipc_mgmt *m, const char *name, sipc_server *srv,
                          const sipc_security *sec)
{
    if (!m || !name || !srv || m->nservices == MGMT_MAX_SERVICES)
        return SIPC_EINVAL;
    mgmt_service *s = &m->services[m->nservices++];
    snprintf(s->name, sizeof s->name, "%s", name);
    s->srv = srv;
    service_security(s, sec);
    return 0;
}

void sipc_mgmt_forget_server(sipc_mgmt *m, sipc_server *srv)
{
    for (int i = 0; m && i < m->nservices; i++)
        if (m->services[i].srv == srv)
            m->services[i].srv = NULL;
}

void sipc_mgmt_set_tls(sipc_mgmt *m, int tls_enable, sipc_tls_mode mode, sipc_security *sec)
{
    if (!m)
        return;
    /* when TLS went on, off or changed mode: the connections made before
     * are retired over the next seconds, and the cluster's judge waits
     * for that (a plaintext answer then is an old connection's) */
    if (tls_enable != m->tls_enable || (tls_enable && mode != m->tls_mode))
        m->tls_changed_ms = sipc_rfc3339_now_ms();
    m->tls_enable = tls_enable;
    m->tls_mode = mode;
    sipc_security *old = m->sec;
    m->sec = sec ? sipc_security_retain(sec) : NULL;
    sipc_security_release(old);
}

void sipc_mgmt_set_service_security(sipc_mgmt *m, sipc_server *srv, const sipc_security *sec)
{
    for (int i = 0; m && i < m->nservices; i++)
        if (m->services[i].srv == srv)
            service_security(&m->services[i], sec);
}

void sipc_mgmt_set_reload(sipc_mgmt *m, sipc_mgmt_reload_fn fn, void *arg)
{
    m->reload = fn;
    m->reload_arg = arg;
}

void sipc_mgmt_set_ack(sipc_mgmt *m, sipc_mgmt_ack_fn fn, void *arg)
{
    m->ack = fn;
    m->ack_arg = arg;
}

int sipc_mgmt_add_section(sipc_mgmt *m, const char *key, sipc_mgmt_section_fn fn, void *arg)
{
    /* the status's own keys, and those the cluster status adds to each node */
    static const char *const own[] = {"schema",  "node",    "tls",          "services",
                                      "links",   "address", "reachable",    "reached_over",
                                      "error",   "listed_by"};
    if (!m || !key || !fn || !key[0] || strlen(key) >= sizeof m->sections[0].key)
        return SIPC_EINVAL;
    for (size_t k = 0; k < sizeof own / sizeof own[0]; k++)
        if (!strcmp(key, own[k]))
            return SIPC_EINVAL; /* the status's own parts are not the host's to replace */
    int i = 0;
    while (i < m->nsections && strcmp(m->sections[i].key, key) != 0)
        i++;
    if (i == MGMT_MAX_SECTIONS)
        return SIPC_EINVAL;
    if (i == m->nsections)
        m->nsections++;
    snprintf(m->sections[i].key, sizeof m->sections[i].key, "%s", key);
    m->sections[i].fn = fn;
    m->sections[i].arg = arg;
    return 0;
}

int sipc_mgmt_add_links(sipc_mgmt *m, sipc_mgmt_links_fn fn, void *arg)
{
    if (!m || !fn || m->nlinks == MGMT_MAX_LINK_SOURCES)
        return SIPC_EINVAL;
    m->links[m->nlinks].fn = fn;
    m->links[m->nlinks].arg = arg;
    m->nlinks++;
    return 0;
}

int sipc_mgmt_register(sipc_mgmt *m, sipc_router *r)
{
    int e = sipc_router_add(r, SIPC_MGMT_SERVICE, "status", on_status, m);
    if (!e)
        e = sipc_router_add(r, SIPC_MGMT_SERVICE, "metrics", on_metrics, m);
    if (!e)
        e = sipc_router_add(r, SIPC_MGMT_SERVICE, "cluster", mgmt_on_cluster, m);
    if (!e)
        e = sipc_router_add(r, SIPC_MGMT_SERVICE, "reload", mgmt_on_reload, m);
    if (!e)
        e = sipc_router_add(r, SIPC_MGMT_SERVICE, "ack", mgmt_on_ack, m);
    return e;
}

static void maybe_finish(sipc_mgmt *m)
{
    if (!m->closing || m->channels_open > 0 || m->queries > 0)
        return;
    void (*cb)(void *) = m->close_cb;
    void *arg = m->close_arg;
    sipc_security_release(m->sec);
    free(m);
    if (cb)
        cb(arg);
}

void mgmt_channel_closed(sipc_channel *ch, void *arg)
{
    (void)ch;
    sipc_mgmt *m = arg;
    m->channels_open--;
    maybe_finish(m);
}

void sipc_mgmt_close(sipc_mgmt *m, void (*cb)(void *arg), void *arg)
{
    if (!m)
        return;
    m->closing = 1;
    m->close_cb = cb;
    m->close_arg = arg;
    /* closing a channel completes its calls (SIPC_ECANCELED): queries in
     * progress answer with what they have, then release m */
    for (int i = 0; i < m->npeers; i++)
        if (m->peers[i].ch)
            sipc_channel_close(m->peers[i].ch, mgmt_channel_closed, m);
    mgmt_extras_close(m);
    maybe_finish(m);
}
