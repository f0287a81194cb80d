/* mgmt_status.c - a node's status (JSON, schema in docs/services.md) and the
 * same figures as Prometheus metrics. The metrics are rendered from the
 * status, so the two can never disagree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json_text.h"
#include "rss.h"
#include "management_impl.h"
#include "prom.h"
#include "rfc3339.h"

static json_t *certificate_json(const sipc_mgmt *m)
{
    sipc_cert_info ci;
    if (!m->sec || sipc_security_certificate(m->sec, &ci) != 0)
        return json_null();
    char nb[32], na[32];
    sipc_rfc3339_format(ci.not_before * 1000, 0, nb, sizeof nb);
    sipc_rfc3339_format(ci.not_after * 1000, 0, na, sizeof na);
    int64_t now = sipc_rfc3339_now_ms() / 1000, left = ci.not_after - now;
    /* whole days to not_after, rounded down, negative once expired: an
     * integer in every state, as schema 1 has always had it; validity says
     * whether the pair is in use yet */
    int64_t days = left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
    int early = now < ci.not_before;
    /* a subject's bytes are the certificate's, UTF-8 or not */
    return json_pack("{s:o, s:o, s:s, s:s, s:s, s:I, s:s, s:s, s:I}", "subject",
                     sipc_json_text(ci.subject), "issuer", sipc_json_text(ci.issuer),
                     "fingerprint_sha256", ci.fingerprint, "not_before", nb,
                     "not_after", na, "not_after_unix", (json_int_t)ci.not_after, "key", ci.key,
                     "validity", early ? "not_yet_valid" : left < 0 ? "expired" : "valid",
                     "days_left", (json_int_t)days);
}

/* The CRLs the node checks peers with, each with its next update and
 * whether it is due soon (sipc_crl_info). */
static json_t *crls_json(const sipc_mgmt *m)
{
    json_t *list = json_array();
    sipc_crl_info ci;
    for (int i = 0; m->sec && sipc_security_crl(m->sec, i, &ci) == 0; i++) {
        char nu[32] = "";
        if (ci.next_update)
            sipc_rfc3339_format(ci.next_update * 1000, 0, nu, sizeof nu);
        json_array_append_new(
            list, json_pack("{s:o, s:o, s:o, s:I, s:b, s:b}", "name", sipc_json_text(ci.name),
                            "issuer", sipc_json_text(ci.issuer), "next_update",
                            nu[0] ? json_string(nu) : json_null(), "next_update_unix",
                            (json_int_t)ci.next_update, "due_soon", ci.due_soon, "hard", ci.hard));
    }
    return list;
}

typedef struct peers_acc {
    json_t *list;
} peers_acc;

static void add_plain_peer(sipc_conn *c, void *arg)
{
    peers_acc *acc = arg;
    sipc_peer_info pi;
    if (sipc_conn_info(c, &pi) != 0 || pi.tls)
        return;
    json_array_append_new(acc->list, json_pack("{s:s, s:o}", "address", pi.address, "node",
                                               sipc_json_text(pi.peer_node)));
}

static json_t *service_json(const mgmt_service *s)
{
    sipc_server_stats st;
    sipc_server_stats_get(s->srv, &st);
    peers_acc acc = {json_array()};
    sipc_server_foreach_conn(s->srv, add_plain_peer, &acc);
    json_t *fails = json_object();
    for (int i = 0; i < st.nhandshake_failures; i++)
        json_object_set_new(fails, sipc_err_name(st.handshake_failures[i].err),
                            json_integer((json_int_t)st.handshake_failures[i].count));
    json_t *j = json_pack("{s:s, s:i, s:s, s:{s:i, s:i, s:i}, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "name",
                     s->name, "port", sipc_server_port(s->srv), "tls",
                     sipc_tls_mode_name(s->mode), "connections", "tls", (int)st.conns_tls,
                     "plaintext", (int)st.conns_plain, "opening", (int)st.conns_opening,
                     "plaintext_peers", acc.list, "accepted_total", (json_int_t)st.accepted_total,
                     "refused_total", (json_int_t)st.refused_total, "evicted_total",
                     (json_int_t)st.evicted_total,
                     "requests_total", (json_int_t)st.requests_total, "request_errors_total",
                     (json_int_t)st.request_errors_total, "handshake_failures_total",
                     (json_int_t)st.handshake_failures_total, "handshake_failures", fails);
    if (j) {
        /* output memory: what is queued for slow readers, what buffers are held,
           and how many readers were closed for holding too much */
        json_object_set_new(j, "write_queue_bytes", json_integer((json_int_t)st.write_queue_bytes));
        json_object_set_new(j, "buffer_bytes", json_integer((json_int_t)st.buffer_bytes));
        json_object_set_new(j, "slow_closed_total", json_integer((json_int_t)st.slow_closed_total));
        /* input memory: partial frames held, and senders closed for stalling
           while others waited for room */
        json_object_set_new(j, "read_buffer_bytes", json_integer((json_int_t)st.read_buffer_bytes));
        json_object_set_new(j, "stalled_closed_total",
                            json_integer((json_int_t)st.stalled_closed_total));
        json_object_set_new(j, "resume_refused_total",
                            json_integer((json_int_t)st.resume_refused_total));
        /* what its listener presents, which the node's tls.certificate does
         * not say when only this listener runs TLS ([pipeline] tls = 1 on a
         * node with TLS off) */
        json_object_set_new(j, "certificate_sha256", s->fp[0] ? json_string(s->fp) : json_null());
    }
    return j;
}

static void emit_link(void *arg, const char *service, const sipc_link_info *li)
{
    json_t *links = arg;
    char since[32] = "";
    if (li->since_ms)
        sipc_rfc3339_format((int64_t)li->since_ms, 0, since, sizeof since);
    json_t *link = json_pack("{s:s, s:s, s:o, s:b, s:b, s:s*, s:o*}", "service", service,
                             "address", li->address, "node", sipc_json_text(li->peer_node),
                             "up", li->up, "tls", li->tls, "since", since[0] ? since : NULL,
                             "last_error", li->last_err ? sipc_json_text(li->last_detail) : NULL);
    /* a link whose PING waits for an answer: the peer may be gone; and
     * how long it has really been quiet (the PING goes only after
     * keepalive_ms of silence) */
    if (link && li->up && li->ping_wait_ms) {
        json_object_set_new(link, "ping_wait_ms", json_integer(li->ping_wait_ms));
        json_object_set_new(link, "silent_ms", json_integer(li->silent_ms));
    }
    /* a plaintext link whose TLS the peer's certificate or trust refused:
     * it stays so, and the strict guard of that peer lists this node */
    if (link && li->up && !li->tls && li->tls_refused)
        json_object_set_new(link, "tls_refused", sipc_json_text(li->tls_refused_detail));
    /* a down link's reason is as old as its last attempt */
    if (link && !li->up && li->last_err) {
        json_object_set_new(link, "last_error_age_ms", json_integer(li->last_error_age_ms));
        if (li->attempting)
            json_object_set_new(link, "attempting", json_true());
        else
            json_object_set_new(link, "next_attempt_ms", json_integer(li->next_attempt_ms));
        /* its node has connected to this one since: the link is coming back */
        if (li->peer_seen_ms != UINT32_MAX)
            json_object_set_new(link, "peer_seen_ms", json_integer(li->peer_seen_ms));
    }
    json_array_append_new(links, link);
}

json_t *sipc_mgmt_status(sipc_mgmt *m)
{
    char started[32], clock[32];
    sipc_rfc3339_format(m->started_ms, 0, started, sizeof started);
    /* the wall clock now, for the cluster's judge of clocks; the uptime on
     * the monotonic one, so a step of the wall clock (NTP, an operator)
     * leaves it alone */
    sipc_rfc3339_format(sipc_rfc3339_now_ms(), 1, clock, sizeof clock);
    json_int_t uptime = (json_int_t)((uv_hrtime() - m->started_hr) / 1000000000u);
    json_t *services = json_array();
    for (int i = 0; i < m->nservices; i++)
        if (m->services[i].srv)
            json_array_append_new(services, service_json(&m->services[i]));
    json_t *links = json_array();
    for (int i = 0; i < m->npeers; i++) {
        sipc_link_info li;
        if (m->peers[i].ch && sipc_channel_info(m->peers[i].ch, &li) == 0)
            emit_link(links, SIPC_MGMT_SERVICE, &li);
    }
    for (int i = 0; i < m->nlinks; i++)
        m->links[i].fn(m->links[i].arg, emit_link, links);
    json_t *st = json_pack("{s:i, s:{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:I}, s:{s:b, s:s, s:o}, s:o, s:o}",
                     "schema", SIPC_MGMT_SCHEMA, "node", "id", m->node_id, "address", m->address,
                     "cluster", m->cluster, "version", m->version, "build", sipc_build_id(), "pid", (int)getpid(),
                     "started", started, "uptime_seconds", uptime,
                     "memory_rss_bytes",
                     (json_int_t)sipc_rss_bytes(), "tls", "enabled",
                     m->tls_enable, "mode", sipc_tls_mode_name(m->tls_mode), "certificate",
                     certificate_json(m), "services", services, "links", links);
    /* the subject this node asks of peers now (a reload may have changed
     * sipc.conf's since): null when none */
    const char *subj = sipc_security_required_subject(m->sec);
    if (st)
        json_object_set_new(json_object_get(st, "node"), "clock", json_string(clock));
    /* its [cluster] nodes as written (its own entry first, when it has
     * one): the cluster's judge compares the nodes' lists */
    json_t *cn = json_array();
    if (m->self_entry[0])
        json_array_append_new(cn, json_string(m->self_entry));
    for (int i = 0; i < m->npeers; i++)
        json_array_append_new(cn, json_string(m->peers[i].address));
    if (st)
        json_object_set_new(json_object_get(st, "node"), "cluster_nodes", cn);
    else
        json_decref(cn);
    if (st)
        json_object_set_new(json_object_get(st, "tls"), "required_subject",
                            subj[0] ? sipc_json_text(subj) : json_null());
    /* a key pair rotation's other pair, which this node accepts besides its
     * own: the cluster's judge tells a rotation's step from a foreign pair */
    char rot_fp[65], rot_issuer[256];
    const char *rot = sipc_security_rotation_pair(m->sec, rot_fp, rot_issuer);
    json_t *rj = rot ? json_pack("{s:o, s:s, s:o}", "pair", sipc_json_text(rot),
                                 "fingerprint_sha256", rot_fp, "issuer", sipc_json_text(rot_issuer))
                     : json_null();
    /* a staged pair its commit would refuse: the cluster's note names what
     * completes it before the commit */
    if (rot && strcmp(rot, "previous") != 0) {
        char reason[512], fix[512];
        int completable;
        int ok = sipc_security_staged_verifies(m->sec, reason, sizeof reason, fix, sizeof fix,
                                               &completable);
        json_object_set_new(rj, "verifies", json_boolean(ok));
        if (!ok) {
            json_object_set_new(rj, "reason", sipc_json_text(reason));
            json_object_set_new(rj, "fix", sipc_json_text(fix));
            json_object_set_new(rj, "completable", json_boolean(completable));
        }
    }
    if (st)
        json_object_set_new(json_object_get(st, "tls"), "rotation", rj);
    else
        json_decref(rj);
    if (st)
        json_object_set_new(json_object_get(st, "tls"), "crls", crls_json(m));
    /* when a reload last changed TLS (on, off, the mode), null if none did */
    char changed[32];
    sipc_rfc3339_format(m->tls_changed_ms, 0, changed, sizeof changed);
    if (st)
        json_object_set_new(json_object_get(st, "tls"), "changed",
                            m->tls_changed_ms ? json_string(changed) : json_null());
    for (int i = 0; st && i < m->nsections; i++) {
        json_t *v = m->sections[i].fn(m->sections[i].arg);
        if (v)
            json_object_set_new(st, m->sections[i].key, v);
    }
    return st;
}

/* ------------------------------------------------------------- metrics */

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static double jnum(json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

/* One family, one sample per service. */
static void per_service(FILE *out, json_t *services, const char *name, sipc_prom_type type,
                        const char *help, const char *field)
{
    sipc_prom_family(out, name, type, help);
    size_t i;
    json_t *s;
    json_array_foreach(services, i, s)
    {
        const char *l[] = {"service", jstr(s, "name"), NULL};
        sipc_prom_sample(out, name, l, jnum(s, field));
    }
}

int sipc_mgmt_metrics(sipc_mgmt *m, char **text, size_t *len)
{
    json_t *st = sipc_mgmt_status(m);
    if (!st)
        return SIPC_ENOMEM;
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    if (!out) {
        json_decref(st);
        return SIPC_ENOMEM;
    }
    json_t *node = json_object_get(st, "node"), *tls = json_object_get(st, "tls");
    json_t *cert = json_object_get(tls, "certificate");
    json_t *services = json_object_get(st, "services"), *links = json_object_get(st, "links");

    sipc_prom_family(out, "sipc_node_info", SIPC_PROM_GAUGE,
                     "this node: id, cluster, version, build and TLS mode (value 1)");
    const char *li[] = {"node",     jstr(node, "id"),   "cluster",  jstr(node, "cluster"),
                        "version",  SIPC_VERSION_STRING, "build",   jstr(node, "build"),
                        "tls_mode", jstr(tls, "mode"),  NULL};
    sipc_prom_sample(out, "sipc_node_info", li, 1);
    sipc_prom_family(out, "sipc_uptime_seconds", SIPC_PROM_GAUGE, "seconds since sipcd started");
    sipc_prom_sample(out, "sipc_uptime_seconds", NULL, jnum(node, "uptime_seconds"));
    sipc_prom_family(out, "sipc_memory_rss_bytes", SIPC_PROM_GAUGE, "resident memory of sipcd");
    sipc_prom_sample(out, "sipc_memory_rss_bytes", NULL, jnum(node, "memory_rss_bytes"));
    sipc_prom_family(out, "sipc_tls_enabled", SIPC_PROM_GAUGE, "1 when [tls] enable = 1");
    sipc_prom_sample(out, "sipc_tls_enabled", NULL, json_is_true(json_object_get(tls, "enabled")));
    if (json_is_object(cert)) {
        sipc_prom_family(out, "sipc_cert_not_after_seconds", SIPC_PROM_GAUGE,
                         "expiry of this node's certificate, Unix time (alert on it - time() < 30 days)");
        const char *lc[] = {"fingerprint", jstr(cert, "fingerprint_sha256"), "subject",
                            jstr(cert, "subject"), NULL};
        sipc_prom_sample(out, "sipc_cert_not_after_seconds", lc, jnum(cert, "not_after_unix"));
    }
    json_t *crls = json_object_get(tls, "crls"), *crl;
    size_t i;
    /* the due-soon window depends on each CRL's validity (a daily CRL is
     * always within 7 days of its next update): the node's verdict is its
     * own series, so that an alert needs no arithmetic on dates */
    if (json_array_size(crls)) {
        sipc_prom_family(out, "sipc_crl_next_update_seconds", SIPC_PROM_GAUGE,
                         "next update of each CRL this node checks peers with, Unix time (0: "
                         "none given); whether it is due is sipc_crl_due_soon");
        json_array_foreach(crls, i, crl)
        {
            const char *lc[] = {"issuer", jstr(crl, "issuer"), "name", jstr(crl, "name"), NULL};
            sipc_prom_sample(out, "sipc_crl_next_update_seconds", lc,
                             jnum(crl, "next_update_unix"));
        }
        sipc_prom_family(out, "sipc_crl_due_soon", SIPC_PROM_GAUGE,
                         "1 while a CRL this node checks peers with is current and its next "
                         "update within the smaller of 7 days and half its validity; 0 past "
                         "it, when sipc_crl_next_update_seconds < time() (with revocation = "
                         "hard, alert on either)");
        json_array_foreach(crls, i, crl)
        {
            const char *lc[] = {"issuer", jstr(crl, "issuer"), "name", jstr(crl, "name"), NULL};
            sipc_prom_sample(out, "sipc_crl_due_soon", lc,
                             json_is_true(json_object_get(crl, "due_soon")));
        }
    }
    sipc_prom_family(out, "sipc_connections", SIPC_PROM_GAUGE,
                     "open connections by service and transport (opening: handshake or hello)");
    json_t *s;
    json_array_foreach(services, i, s)
    {
        json_t *c = json_object_get(s, "connections");
        const char *kinds[] = {"tls", "plaintext", "opening"};
        for (int k = 0; k < 3; k++) {
            const char *l[] = {"service", jstr(s, "name"), "transport", kinds[k], NULL};
            sipc_prom_sample(out, "sipc_connections", l, jnum(c, kinds[k]));
        }
    }
    /* the node's tls_mode above is not every listener's: [pipeline] tls
     * sets the pipeline's own, which only this series shows */
    sipc_prom_family(out, "sipc_listener_tls", SIPC_PROM_GAUGE,
                     "each listener of this node and its TLS mode (value 1): off (plaintext), "
                     "permissive or strict");
    json_array_foreach(services, i, s)
    {
        char port[16];
        snprintf(port, sizeof port, "%lld", (long long)jnum(s, "port"));
        const char *l[] = {"service", jstr(s, "name"), "port", port, "mode", jstr(s, "tls"), NULL};
        sipc_prom_sample(out, "sipc_listener_tls", l, 1);
    }
    per_service(out, services, "sipc_connections_accepted_total", SIPC_PROM_COUNTER,
                "connections accepted", "accepted_total");
    per_service(out, services, "sipc_connections_refused_total", SIPC_PROM_COUNTER,
                "connections closed at once: max_connections or max_connections_per_host "
                "reached",
                "refused_total");
    per_service(out, services, "sipc_connections_evicted_total", SIPC_PROM_COUNTER,
                "connections closed in their handshake to make room (max_connections, "
                "max_opening, max_connections_per_host)",
                "evicted_total");
    per_service(out, services, "sipc_write_queue_bytes", SIPC_PROM_GAUGE,
                "bytes queued for the service's connections, not yet taken by the kernel",
                "write_queue_bytes");
    per_service(out, services, "sipc_connection_buffer_bytes", SIPC_PROM_GAUGE,
                "buffers held by the service's connections (idle ones release theirs)",
                "buffer_bytes");
    per_service(out, services, "sipc_connections_slow_closed_total", SIPC_PROM_COUNTER,
                "connections closed as the slowest reader: [limits] max_write_queue_total reached",
                "slow_closed_total");
    per_service(out, services, "sipc_read_buffer_bytes", SIPC_PROM_GAUGE,
                "bytes held for the service's frames split across reads (reassembly buffers)",
                "read_buffer_bytes");
    per_service(out, services, "sipc_connections_stalled_closed_total", SIPC_PROM_COUNTER,
                "connections closed for a partial frame: [limits] max_read_buffer_total reached",
                "stalled_closed_total");
    per_service(out, services, "sipc_requests_total", SIPC_PROM_COUNTER,
                "requests and one-way messages received", "requests_total");
    per_service(out, services, "sipc_request_errors_total", SIPC_PROM_COUNTER,
                "requests answered with an error", "request_errors_total");
    per_service(out, services, "sipc_handshake_resume_refused_total", SIPC_PROM_COUNTER,
                "handshakes that failed only because the client's session ticket was refused "
                "(after a restart or reload; a steady rate without one is made-up tickets)",
                "resume_refused_total");
    sipc_prom_family(out, "sipc_handshake_failures_total", SIPC_PROM_COUNTER,
                     "connections that failed before the hello, by reason");
    json_array_foreach(services, i, s)
    {
        const char *reason;
        json_t *v;
        json_object_foreach(json_object_get(s, "handshake_failures"), reason, v)
        {
            const char *l[] = {"service", jstr(s, "name"), "reason", reason, NULL};
            sipc_prom_sample(out, "sipc_handshake_failures_total", l, json_number_value(v));
        }
    }
    sipc_prom_family(out, "sipc_link_up", SIPC_PROM_GAUGE,
                     "links to other nodes: 1 up, 0 down; tls: 1 if the link is TLS (a down "
                     "link: if it was when last up)");
    json_array_foreach(links, i, s)
    {
        const char *l[] = {"service", jstr(s, "service"), "peer", jstr(s, "address"), "tls",
                           json_is_true(json_object_get(s, "tls")) ? "1" : "0", NULL};
        sipc_prom_sample(out, "sipc_link_up", l, json_is_true(json_object_get(s, "up")));
    }
    json_t *storage = json_object_get(st, "storage");
    if (json_is_object(storage)) {
        static const char *const ops[] = {"writes", "reads"};
        sipc_prom_family(out, "sipc_storage_failing", SIPC_PROM_GAUGE,
                         "1 while the data service's writes (reads) to its database fail");
        for (int k = 0; k < 2; k++) {
            const char *l[] = {"operation", ops[k], NULL};
            sipc_prom_sample(out, "sipc_storage_failing", l,
                             json_is_true(json_object_get(json_object_get(storage, ops[k]),
                                                          "failing")));
        }
        sipc_prom_family(out, "sipc_storage_failures_total", SIPC_PROM_COUNTER,
                         "requests failed by the data service's database (full disk, I/O error)");
        for (int k = 0; k < 2; k++) {
            const char *l[] = {"operation", ops[k], NULL};
            sipc_prom_sample(out, "sipc_storage_failures_total", l,
                             jnum(json_object_get(storage, ops[k]), "failures_total"));
        }
        /* absent from an older node's status: open */
        sipc_prom_family(out, "sipc_storage_open", SIPC_PROM_GAUGE,
                         "1 while the data service's database is open, 0 when it could not be "
                         "opened (every data call refused; the status says why)");
        sipc_prom_sample(out, "sipc_storage_open", NULL,
                         !json_is_false(json_object_get(storage, "open")));
        /* writes held up fail nothing while they wait: an alert on the
         * oldest one's age sees a lock or a slow disk before the busy
         * timeout, or a queue the disk does not drain */
        json_t *w = json_object_get(storage, "writes");
        if (json_is_integer(json_object_get(w, "oldest_wait_ms"))) {
            sipc_prom_family(out, "sipc_storage_writes_waiting", SIPC_PROM_GAUGE,
                             "writes (put, put_batch, delete) not yet answered: queued or in "
                             "the running transaction");
            sipc_prom_sample(out, "sipc_storage_writes_waiting", NULL, jnum(w, "waiting"));
            sipc_prom_family(out, "sipc_storage_writes_waiting_bytes", SIPC_PROM_GAUGE,
                             "what they hold, payloads and decoded copies (writes get BUSY "
                             "once the queued ones pass max_queue)");
            sipc_prom_sample(out, "sipc_storage_writes_waiting_bytes", NULL,
                             jnum(w, "waiting_bytes"));
            sipc_prom_family(out, "sipc_storage_writes_oldest_wait_seconds", SIPC_PROM_GAUGE,
                             "how long the oldest write not yet answered has waited "
                             "(storage.writes.slow from slow_after_ms on: a lock, a slow disk)");
            sipc_prom_sample(out, "sipc_storage_writes_oldest_wait_seconds", NULL,
                             jnum(w, "oldest_wait_ms") / 1000.0);
        }
        /* an alert on it reaches whoever watches metrics, not the log */
        sipc_prom_family(out, "sipc_storage_records_lost_findings", SIPC_PROM_GAUGE,
                         "findings of committed records gone at a start (a lost records.db-wal) "
                         "not yet acknowledged (state/records-lost)");
        sipc_prom_sample(out, "sipc_storage_records_lost_findings", NULL,
                         (double)json_array_size(json_object_get(storage, "records_lost")));
    }
    /* files the node cannot write: its logs, its state/ (the status's
     * "logs" and "storage"."state", same shape) */
    json_t *files[] = {json_object_get(st, "logs"),
                       json_object_get(json_object_get(st, "storage"), "state")};
    static const char *const file_names[] = {"logs", "state"};
    if (json_is_object(files[0]) || json_is_object(files[1])) {
        sipc_prom_family(out, "sipc_files_failing", SIPC_PROM_GAUGE,
                         "1 while writes to the node's log files (files=logs) or state/ files "
                         "(files=state) fail");
        for (int k = 0; k < 2; k++) {
            const char *l[] = {"files", file_names[k], NULL};
            if (json_is_object(files[k]))
                sipc_prom_sample(out, "sipc_files_failing", l,
                                 json_is_true(json_object_get(files[k], "failing")));
        }
        sipc_prom_family(out, "sipc_files_write_failures_total", SIPC_PROM_COUNTER,
                         "writes to the node's log files or state/ files that failed");
        for (int k = 0; k < 2; k++) {
            const char *l[] = {"files", file_names[k], NULL};
            if (json_is_object(files[k]))
                sipc_prom_sample(out, "sipc_files_write_failures_total", l,
                                 jnum(files[k], "failures_total"));
        }
    }
    if (json_is_object(files[0])) {
        sipc_prom_family(out, "sipc_log_lines_dropped_total", SIPC_PROM_COUNTER,
                         "log lines below ERROR not written: their day's file was at its cap");
        sipc_prom_sample(out, "sipc_log_lines_dropped_total", NULL,
                         jnum(files[0], "lines_dropped_total"));
    }
    json_t *reload = json_object_get(st, "reload");
    if (json_is_object(reload)) {
        sipc_prom_family(out, "sipc_reload_refused", SIPC_PROM_GAUGE,
                         "1 while the latest reload stands refused: the node's files do not load "
                         "(it would not start with them), or its strict guard refuses it");
        sipc_prom_sample(out, "sipc_reload_refused", NULL,
                         json_is_object(json_object_get(reload, "refused")));
        sipc_prom_family(out, "sipc_reload_pending", SIPC_PROM_GAUGE,
                         "1 while a refused reload would go through now (the files load again, "
                         "the strict guard or its override lets it through) but is not applied "
                         "until a reload");
        sipc_prom_sample(out, "sipc_reload_pending", NULL,
                         json_is_object(json_object_get(reload, "pending")));
        sipc_prom_family(out, "sipc_restart_needed_changes", SIPC_PROM_GAUGE,
                         "changes in the node's files that wait for a restart");
        sipc_prom_sample(out, "sipc_restart_needed_changes", NULL,
                         (double)json_array_size(json_object_get(reload, "restart_needed")));
    }
    fclose(out);
    json_decref(st);
    if (!buf)
        return SIPC_ENOMEM;
    *text = buf;
    *len = n;
    return 0;
}
