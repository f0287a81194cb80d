/* mgmt_cluster.c - management.cluster: every node's status, gathered in
 * parallel over the management channels (and those of the nodes the answers
 * list besides, mgmt_cluster_more.c), and what is wrong with the cluster
 * in plain words (sipc_mgmt_judge). A node that does not answer within the
 * timeout is listed as unreachable with the reason; the answer is never
 * silently incomplete. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str_copy.h"
#include "json_text.h"
#include "mgmt_cluster_query.h"
#include "rfc3339.h"
#include "sipc/node.h"

static const char *hello_name(json_t *nodes, json_t *n);

static void finish(cluster_query *q)
{
    sipc_mgmt *m = q->m;
    /* an unreachable node is only an address to the caller: the id its
     * peers last heard from it says which node that is */
    size_t i;
    json_t *n;
    json_array_foreach(q->nodes, i, n)
    {
        const char *id = json_is_true(json_object_get(n, "reachable")) ? "" : hello_name(q->nodes, n);
        if (id[0])
            json_object_set_new(n, "heard_as", json_string(id));
    }
    json_t *problems = sipc_mgmt_judge(q->nodes, m->expiry_warn_days, sipc_rfc3339_now_ms() / 1000);
    json_t *answer = json_pack("{s:i, s:b, s:s, s:o, s:o, s:o}", "schema", SIPC_MGMT_SCHEMA, "ok",
                               json_array_size(problems) == 0, "health", sipc_mgmt_health(problems),
                               "notes", sipc_mgmt_notes(q->nodes), "nodes", q->nodes, "problems",
                               problems);
    mgmt_respond_json(q->req, answer);
    for (cluster_query **at = &m->inflight; *at; at = &(*at)->next)
        if (*at == q) {
            *at = q->next;
            break;
        }
    free(q);
    m->queries--;
}

/* err's name goes with its words: the judge tells a certificate refused
 * from a node that does not answer by it */
static void unreachable(cluster_query *q, int index, const mgmt_peer *p, int err, const char *why)
{
    json_array_set_new(q->nodes, (size_t)index,
                       json_pack("{s:s, s:b, s:o, s:s}", "address", p->address, "reachable", 0,
                                 "error", sipc_json_text(why), "error_code", sipc_err_name(err)));
}

/* The answer (or the failure, err) of pc's node put in its place. */
static void peer_answer(peer_call *pc, json_t *st, int err, const char *why)
{
    cluster_query *q = pc->q;
    if (!st) {
        unreachable(q, pc->index, pc->peer, err, why);
    } else {
        json_object_set_new(st, "reachable", json_true());
        json_object_set_new(st, "address", json_string(pc->peer->address));
        /* how its answer came: a node answering in plaintext is flagged
         * whatever its status says */
        sipc_link_info li;
        if (pc->peer->ch && sipc_channel_info(pc->peer->ch, &li) == 0 && li.up)
            json_object_set_new(st, "reached_over", json_string(li.tls ? "tls" : "plaintext"));
        json_array_set_new(q->nodes, (size_t)pc->index, st);
    }
    if (pc->extra)
        json_object_set_new(json_array_get(q->nodes, (size_t)pc->index), "listed_by",
                            sipc_json_text(pc->extra->listed_by));
}

void mgmt_call_why(int err, const sipc_reply *rep, sipc_channel *ch, char *why, size_t len)
{
    const char *detail = rep->message[0] ? rep->message : "";
    if (!detail[0] && ch)
        detail = sipc_channel_last_detail(ch);
    /* the transport's detail usually says it all; the code's text when
     * not. A peer's message has no bound: cut between characters */
    size_t w = 0;
    if (detail[0] && !strstr(detail, sipc_strerror(err))) {
        w = (size_t)snprintf(why, len, "%s: ", sipc_strerror(err));
        if (w >= len)
            w = len - 1;
    }
    sipc_str_copy_utf8(why + w, len - w, detail[0] ? detail : sipc_strerror(err));
}

/* A node of a version before GOAWAY closes its idle connections at a
 * reload: a status asked at that moment fails with SIPC_ECLOSED unanswered.
 * The question changes nothing, so it is asked once more, on the connection
 * the channel dials next, within the time left. 1 when it is. */
static int ask_again(peer_call *pc, int err)
{
    uint64_t now = uv_hrtime();
    if (err != SIPC_ECLOSED || pc->retried || pc->q->m->closing || !pc->peer->ch ||
        now + 100 * 1000000ull >= pc->deadline_ns)
        return 0;
    pc->retried = 1;
    uint32_t left = (uint32_t)((pc->deadline_ns - now) / 1000000u);
    return sipc_call(pc->peer->ch, SIPC_MGMT_SERVICE, "status", NULL, 0, left,
                     mgmt_on_peer_status, pc) == 0;
}

void mgmt_on_peer_status(int err, const sipc_reply *rep, void *arg)
{
    peer_call *pc = arg;
    cluster_query *q = pc->q;
    char why[700];
    if (err != 0 && ask_again(pc, err))
        return;
    json_t *st = NULL;
    if (err != 0) {
        mgmt_call_why(err, rep, pc->peer->ch, why, sizeof why);
    } else {
        json_error_t je;
        st = json_loadb((const char *)rep->data, rep->len, 0, &je);
        if (!json_is_object(st)) {
            json_decref(st);
            st = NULL;
            snprintf(why, sizeof why, "answered with a status that is not JSON");
            err = SIPC_EPROTO;
        }
    }
    peer_answer(pc, st, err, why);
    /* before the count goes down: the nodes it lists are asked too */
    if (st)
        mgmt_ask_listed(q, st);
    mgmt_extra_done(pc);
    free(pc);
    if (--q->pending == 0)
        finish(q);
}

void mgmt_on_cluster(sipc_request *req, void *arg)
{
    sipc_mgmt *m = arg;
    if (m->closing) {
        sipc_respond_error(req, SIPC_ECLOSING, "the node is shutting down");
        return;
    }
    cluster_query *q = calloc(1, sizeof *q);
    if (!q) {
        sipc_respond_error(req, SIPC_ENOMEM, "out of memory");
        return;
    }
    q->m = m;
    q->req = req;
    q->nodes = json_array();
    json_t *self = sipc_mgmt_status(m);
    json_object_set_new(self, "reachable", json_true());
    /* named as the others are, by its nodes entry: two nodes of one host
     * differ only by their ports */
    json_object_set_new(self, "address",
                        json_string(m->self_entry[0] ? m->self_entry : m->address));
    json_object_set_new(self, "reached_over", json_string("self"));
    json_array_append_new(q->nodes, self);
    /* the whole answer must come within the caller's deadline */
    uint32_t timeout = m->cluster_timeout_ms;
    int64_t left = sipc_request_deadline_ms(req);
    if (left > 200 && (uint64_t)left - 100 < timeout)
        timeout = (uint32_t)(left - 100);
    m->queries++;
    q->next = m->inflight;
    m->inflight = q;
    q->deadline_ns = uv_hrtime() + (uint64_t)timeout * 1000000u;
    q->pending = 1; /* held until every call is made */
    for (int i = 0; i < m->npeers; i++) {
        json_array_append_new(q->nodes, json_null());
        peer_call *pc = calloc(1, sizeof *pc);
        if (!pc) {
            unreachable(q, i + 1, &m->peers[i], SIPC_ENOMEM, "out of memory");
            continue;
        }
        pc->q = q;
        pc->index = i + 1;
        pc->peer = &m->peers[i];
        pc->deadline_ns = q->deadline_ns;
        q->pending++;
        int r = sipc_call(m->peers[i].ch, SIPC_MGMT_SERVICE, "status", NULL, 0, timeout,
                          mgmt_on_peer_status, pc);
        if (r != 0) {
            q->pending--;
            free(pc);
            unreachable(q, i + 1, &m->peers[i], r, sipc_strerror(r));
        }
    }
    if (--q->pending == 0)
        finish(q);
}

/* ------------------------------------------------------------ judging */

void mgmt_problem(json_t *list, json_t *node, const char *kind, const char *fmt, ...)
{
    /* cut between characters: jansson refuses a string cut inside one,
     * and the problem would be lost without a trace */
    char full[4096], msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(full, sizeof full, fmt, ap);
    va_end(ap);
    sipc_str_copy_utf8(msg, sizeof msg, full);
    json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "node", mgmt_node_name(node),
                                          "address", mgmt_str_at(node, "address", NULL),
                                          "kind", kind, "message", msg));
}

/* A reload the node refused for its files (sipc.conf, the pair): it runs
 * what it had, but would not start with what is there now. */
static void reload_refused(json_t *list, json_t *n)
{
    json_t *r = json_object_get(json_object_get(n, "reload"), "refused");
    if (!json_is_object(r))
        return;
    const char *cause = mgmt_str_at(r, "cause", NULL);
    if (mgmt_reload_guard_name(cause)) {
        /* the files load; a start would run them (going strict, held back
         * permissive) */
        mgmt_problem(list, n, "reload_refused",
                "%s: its last reload was refused at %s by its %s: %s; it runs the "
                "configuration it had until a reload goes through (`sipcctl reload --node %s` "
                "once the reason is dealt with), which clears this",
                mgmt_node_name(n), mgmt_str_at(r, "at", NULL),
                mgmt_reload_guard_name(cause), mgmt_str_at(r, "reason", NULL),
                mgmt_str_at(n, "address", NULL));
        return;
    }
    mgmt_problem(list, n, "reload_refused",
            "%s: its last reload was refused at %s: %s; it runs the configuration it had, and "
            "would not start with the files as they are now: correct them (or put the old ones "
            "back) and reload it (`sipcctl reload --node %s`), which clears this",
            mgmt_node_name(n), mgmt_str_at(r, "at", NULL), mgmt_str_at(r, "reason", NULL),
            mgmt_str_at(n, "address", NULL));
}

/* Names of the reachable nodes whose TLS enable is (not) en, ", "-joined. */
static void names_with_tls(json_t *nodes, int en, char *out, size_t len)
{
    out[0] = '\0';
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        if (!json_is_true(json_object_get(n, "reachable")))
            continue;
        int e = json_is_true(json_object_get(json_object_get(n, "tls"), "enabled"));
        if (e == en) {
            size_t k = strlen(out);
            snprintf(out + k, len - k, "%s%s", k ? ", " : "", mgmt_node_name(n));
        }
    }
}

/* A link is flagged down only once it has failed for this long (the
 * pipeline stops holding records for it then too), and not while either
 * end started less than this ago: a node starting, or a reload replacing
 * its links, brings them up within a few seconds. */
#define LINK_GRACE_S (SIPC_LINK_DOWN_MS / 1000)

/* The node in nodes that listens on addr ("host:port", "[v6]:port"): its
 * address is the host and one of its services has the port; NULL when none
 * does. */
static json_t *node_at(json_t *nodes, const char *addr)
{
    char want[160], host[160];
    int port, p;
    if (sipc_parse_address(addr, 0, want, sizeof want, &port) != 0)
        return NULL;
    size_t i;
    json_t *n, *only = NULL;
    int hosts = 0;
    json_array_foreach(nodes, i, n)
    {
        /* an unreachable node has only its management "host:port" */
        const char *a = mgmt_str_at(n, "node", "address");
        if (!a[0])
            a = mgmt_str_at(n, "address", NULL);
        if (sipc_parse_address(a, 1, host, sizeof host, &p) != 0 || !sipc_same_host(host, want))
            continue;
        hosts++;
        only = n;
        size_t k;
        json_t *s;
        json_array_foreach(json_object_get(n, "services"), k, s)
            if (json_integer_value(json_object_get(s, "port")) == port)
                return n;
    }
    return hosts == 1 ? only : NULL; /* a port it does not list: the host tells */
}

/* The node whose [node] id is id when it runs TLS (its answer says so),
 * NULL otherwise: a peer that needs no telling to enable it. */
static json_t *tls_node_by_id(json_t *nodes, const char *id)
{
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
        if (id[0] && !strcmp(mgmt_str_at(n, "node", "id"), id))
            return json_is_true(json_object_get(json_object_get(n, "tls"), "enabled")) ? n
                                                                                      : NULL;
    return NULL;
}

/* A link's error as its node logged it calls that node "this side" (an
 * older node: "this node"); in a list of every node's problems that is
 * ambiguous, so it is named: "not enabled on n1", "n1's certificate", "the
 * pair n1 rotated away from" (not "this side n1 is in cluster ...", which
 * names it already): the words, then what goes before and after the name. */
static void named_error(const char *error, const char *name, char *out, size_t len)
{
    static const char *const self[][3] = {
        {"this side's", "", "'s"}, {"this node's", "", "'s"}, {"on this side", "on ", ""},
        {"on this node", "on ", ""}, {"by this side", "by ", ""}, {"by this node", "by ", ""},
        {"this side rotated", "", " rotated"}};
    size_t w = 0;
    out[0] = '\0';
    for (const char *p = error; *p && w + 1 < len;) {
        size_t k = 0, n = 0;
        int word = p == error || !isalnum((unsigned char)p[-1]);
        for (; word && k < sizeof self / sizeof self[0]; k++) {
            n = strlen(self[k][0]);
            if (!strncmp(p, self[k][0], n) && !isalnum((unsigned char)p[n]))
                break;
        }
        if (word && k < sizeof self / sizeof self[0]) {
            w += (size_t)snprintf(out + w, len - w, "%s%s%s", self[k][1], name, self[k][2]);
            p += n;
        } else {
            out[w++] = *p++;
            out[w] = '\0';
        }
    }
    out[w < len ? w : len - 1] = '\0';
}

int64_t mgmt_node_now(json_t *n)
{
    int64_t ms;
    char err[120];
    if (!json_is_true(json_object_get(n, "reachable")))
        return 0;
    if (sipc_rfc3339_ms(mgmt_str_at(n, "node", "clock"), &ms, err, sizeof err) == 0)
        return ms / 1000;
    if (sipc_rfc3339_ms(mgmt_str_at(n, "node", "started"), &ms, err, sizeof err) != 0)
        return 0;
    return ms / 1000 +
           json_integer_value(json_object_get(json_object_get(n, "node"), "uptime_seconds"));
}

/* Whether n changed its TLS (a reload: on, off, the mode; or it started)
 * less than LINK_GRACE_S ago by its own clock: the connections its peers
 * made to it before are still being retired, each replaced by the peer
 * with one in the new setting within a second or two. */
static int tls_just_changed(json_t *n)
{
    char err[120];
    int64_t now = mgmt_node_now(n), ms;
    json_t *up = json_object_get(json_object_get(n, "node"), "uptime_seconds");
    if (json_is_integer(up) && json_integer_value(up) < LINK_GRACE_S)
        return 1;
    return now && sipc_rfc3339_ms(mgmt_str_at(n, "tls", "changed"), &ms, err, sizeof err) == 0 &&
           now - ms / 1000 < LINK_GRACE_S;
}

/* Appends ", text" (or text, for the first) to g's string at key, cut
 * between characters: a list of peers' service names longer than it keeps
 * would otherwise be cut inside one, which jansson refuses, and the list
 * would stay short. */
static void group_append(json_t *g, const char *key, const char *text)
{
    char out[300];
    const char *had = mgmt_str_at(g, key, NULL);
    size_t w = 0;
    if (had[0]) {
        sipc_str_copy_utf8(out, sizeof out - 2, had);
        w = strlen(out);
        memcpy(out + w, ", ", 3);
        w += 2;
    }
    sipc_str_copy_utf8(out + w, sizeof out - w, text);
    json_object_set_new(g, key, json_string(out));
}

/* The port of a link's address ("host:port", "[v6]:port"), 0 if none. */
static int link_port(json_t *l)
{
    char host[160];
    int port = 0;
    if (sipc_parse_address(mgmt_str_at(l, "address", NULL), 0, host, sizeof host, &port) != 0)
        return 0;
    return port;
}

/* The error of a group whose links go to different ports: it is the first
 * link's, so the address it names ("cannot connect to HOST:PORT") drops
 * that port, which is not the others'; the ports are listed with their
 * services instead. */
static void error_without_port(const char *error, json_t *first, char *out, size_t len)
{
    const char *addr = mgmt_str_at(first, "address", NULL);
    const char *colon = strrchr(addr, ':');
    const char *at = addr[0] && colon ? strstr(error, addr) : NULL;
    char full[1400];
    if (at)
        snprintf(full, sizeof full, "%.*s%.*s%s", (int)(at - error), error, (int)(colon - addr),
                 addr, at + strlen(addr));
    sipc_str_copy_utf8(out, len, at ? full : error);
}

/* n's links to other nodes that are down past the grace, one problem per
 * peer (its services named, the earliest since, the first error): what a
 * partition, a refused handshake or a strict node among plaintext ones
 * looks like from n. */
static void links_down(json_t *list, json_t *nodes, json_t *n)
{
    json_int_t uptime =
        json_integer_value(json_object_get(json_object_get(n, "node"), "uptime_seconds"));
    char err[120];
    /* "since" is on n's clock, which may not be the judge's: against n's own now */
    int64_t now = mgmt_node_now(n);
    if (uptime < LINK_GRACE_S || !now)
        return;
    json_t *groups = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(n, "links"), i, l)
    {
        const char *since = mgmt_str_at(l, "since", NULL);
        const char *error = mgmt_str_at(l, "last_error", NULL);
        int64_t ms;
        json_t *seen = json_object_get(l, "peer_seen_ms");
        if (json_is_true(json_object_get(l, "up")) || !error[0] ||
            sipc_rfc3339_ms(since, &ms, err, sizeof err) != 0 || now - ms / 1000 < LINK_GRACE_S)
            continue;
        /* its node connected to n within the grace: coming back, as the
         * pipeline and the search judge it (services/common/link_down.c) */
        if (json_is_integer(seen) && json_integer_value(seen) < LINK_GRACE_S * 1000)
            continue;
        json_t *peer = node_at(nodes, mgmt_str_at(l, "address", NULL));
        if (peer == n)
            continue; /* its own links (the pipeline's): not between nodes */
        if (peer && json_integer_value(json_object_get(json_object_get(peer, "node"),
                                                       "uptime_seconds")) < LINK_GRACE_S &&
            json_is_true(json_object_get(peer, "reachable")))
            continue;
        /* an unreachable peer's id is known only from the link's last hello */
        const char *pn = peer && json_is_true(json_object_get(peer, "reachable"))
                             ? mgmt_node_name(peer)
                             : mgmt_str_at(l, "node", NULL);
        if (!pn[0])
            pn = peer ? mgmt_node_name(peer) : mgmt_str_at(l, "address", NULL);
        json_t *g = NULL;
        size_t k;
        json_t *o;
        json_array_foreach(groups, k, o)
            if (!strcmp(mgmt_str_at(o, "peer", NULL), pn))
                g = o;
        if (!g) {
            g = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:b}", "peer", pn, "services", "",
                          "with_ports", "", "since", since, "error", error, "link", l,
                          "ports_differ", 0);
            json_array_append_new(groups, g);
        }
        /* the one error shown is the first link's, which names its port:
         * links to other ports (each service listens on its own) are
         * listed with theirs */
        int port = link_port(l);
        char with_port[300];
        sipc_str_copy_utf8(with_port, sizeof with_port - 8, mgmt_str_at(l, "service", NULL));
        if (port)
            snprintf(with_port + strlen(with_port), 8, " :%d", port);
        group_append(g, "services", mgmt_str_at(l, "service", NULL));
        group_append(g, "with_ports", with_port);
        if (port != link_port(json_object_get(g, "link")))
            json_object_set_new(g, "ports_differ", json_true());
        if (strcmp(since, mgmt_str_at(g, "since", NULL)) < 0)
            json_object_set_new(g, "since", json_string(since));
    }
    json_array_foreach(groups, i, l)
    {
        int ports_differ = json_is_true(json_object_get(l, "ports_differ"));
        const char *svcs = mgmt_str_at(l, ports_differ ? "with_ports" : "services", NULL);
        char error[700], age[100], first[700];
        if (ports_differ)
            error_without_port(mgmt_str_at(l, "error", NULL), json_object_get(l, "link"), first,
                               sizeof first);
        named_error(ports_differ ? first : mgmt_str_at(l, "error", NULL), mgmt_node_name(n), error,
                    sizeof error);
        mgmt_link_age_text(json_object_get(l, "link"), age, sizeof age);
        mgmt_problem(list, n, "link_down", "%s's link%s to %s (%s) %s down since %s%s%s%s: %s",
                mgmt_node_name(n), strchr(svcs, ',') ? "s" : "", mgmt_str_at(l, "peer", NULL), svcs,
                strchr(svcs, ',') ? "are" : "is", mgmt_str_at(l, "since", NULL),
                age[0] ? " (" : "", age, age[0] ? ")" : "", error);
        json_object_set(json_array_get(list, json_array_size(list) - 1), "peer",
                        json_object_get(l, "peer"));
    }
    json_decref(groups);
}

/* The id that the reachable nodes' links to the unreachable node n heard
 * in its last hello, for a problem that otherwise names it by address; ""
 * when no link says, they disagree, or its host is not n's alone (another
 * node there, reachable or not). */
static const char *hello_name(json_t *nodes, json_t *n)
{
    char host[160], h2[160];
    int port, p2;
    if (sipc_parse_address(mgmt_str_at(n, "address", NULL), 1, host, sizeof host, &port) != 0)
        return "";
    const char *name = "";
    size_t i, k;
    json_t *o, *l;
    json_array_foreach(nodes, i, o)
    {
        const char *a = json_is_true(json_object_get(o, "reachable"))
                            ? mgmt_str_at(o, "node", "address")
                            : mgmt_str_at(o, "address", NULL);
        if (o != n && sipc_parse_address(a, 1, h2, sizeof h2, &p2) == 0 &&
            sipc_same_host(h2, host))
            return "";
        json_array_foreach(json_object_get(o, "links"), k, l)
        {
            const char *id = mgmt_str_at(l, "node", NULL);
            if (!id[0] ||
                sipc_parse_address(mgmt_str_at(l, "address", NULL), 1, h2, sizeof h2, &p2) != 0 ||
                !sipc_same_host(h2, host))
                continue;
            if (name[0] && strcmp(name, id) != 0)
                return "";
            name = id;
        }
    }
    return name;
}

/* Two addresses that answer with one node id: two nodes sharing an id (the
 * host name by default), which the search takes for one node, leaving the
 * other's records out of every answer, or one node listed twice. Said once,
 * on the first of them. */
static void duplicate_ids(json_t *list, json_t *nodes)
{
    size_t i, j;
    json_t *n, *o;
    json_array_foreach(nodes, i, n)
    {
        const char *id = mgmt_str_at(n, "node", "id");
        if (!json_is_true(json_object_get(n, "reachable")) || !id[0])
            continue;
        char others[400] = "";
        size_t w = 0;
        int first = 1;
        json_array_foreach(nodes, j, o)
        {
            if (j == i || !json_is_true(json_object_get(o, "reachable")) ||
                strcmp(id, mgmt_str_at(o, "node", "id")) != 0)
                continue;
            first &= j > i;
            if (w < sizeof others)
                w += (size_t)snprintf(others + w, sizeof others - w, "%s%s", w ? ", " : "",
                                      mgmt_str_at(o, "address", NULL));
        }
        if (w && first)
            mgmt_problem(list, n, "duplicate_node_id",
                    "%s and %s answer with the same node id '%s': two nodes with one id (the "
                    "host name when [node] id is not set), which searches take for one node, "
                    "leaving the other's records out, or one node listed twice in [cluster] "
                    "nodes; give each node its own [node] id and restart it",
                    mgmt_str_at(n, "address", NULL), others, id);
    }
}

/* Whether the unreachable node n was not reached for a certificate
 * refused in the handshake, by either side (its error_code, which a
 * status of an older build does not give). */
static int certificate_refused(json_t *n)
{
    const char *code = mgmt_str_at(n, "error_code", NULL);
    static const int refusals[] = {SIPC_EPEERAUTH, SIPC_ECERTREFUSED, SIPC_ENOPEERCERT};
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
        if (!strcmp(code, sipc_err_name(refusals[i])))
            return 1;
    return 0;
}

json_t *sipc_mgmt_judge(json_t *nodes, int expiry_warn_days, int64_t now)
{
    json_t *list = json_array();
    size_t i;
    json_t *n;
    int on = 0, off = 0, strict = 0;
    json_array_foreach(nodes, i, n)
    {
        if (!json_is_true(json_object_get(n, "reachable"))) {
            /* named as its peers' links name it too, when they can */
            const char *id = hello_name(nodes, n);
            if (certificate_refused(n))
                mgmt_problem(list, n, "certificate_mismatch",
                        "%s%s%s%s cannot be reached: a certificate was refused in the handshake "
                        "between it and %s (%s): one of the two does not accept the other's pair "
                        "(a key pair rotation's step taken on one and not the other, or another "
                        "pair imported on one); `tlstool rotate status` on each names the pairs "
                        "it holds and trusts: give them pairs they both accept",
                        id, id[0] ? " (" : "", mgmt_node_name(n), id[0] ? ")" : "",
                        mgmt_node_name(json_array_get(nodes, 0)), mgmt_str_at(n, "error", NULL));
            else
                mgmt_problem(list, n, "unreachable", "%s%s%s%s cannot be reached: %s", id,
                        id[0] ? " (" : "", mgmt_node_name(n), id[0] ? ")" : "",
                        mgmt_str_at(n, "error", NULL));
            continue;
        }
        if (json_is_true(json_object_get(json_object_get(n, "tls"), "enabled"))) {
            on++;
            strict += !strcmp(mgmt_str_at(n, "tls", "mode"), "strict");
        } else
            off++;
    }
    duplicate_ids(list, nodes);
    char with[400], without[400];
    names_with_tls(nodes, 1, with, sizeof with);
    names_with_tls(nodes, 0, without, sizeof without);
    /* TLS off on some nodes, permissive on the others: no node refuses
     * another, the middle of a roll-out (docs/operator-guide.md 1.5) or of a
     * roll-back (1.7); which one, only the operator knows, so neither way
     * on is a fault and both are named */
    int mixed = on && off && !strict;
    if (mixed)
        json_array_foreach(nodes, i, n)
            if (json_is_true(json_object_get(n, "reachable")) &&
                !json_is_true(json_object_get(json_object_get(n, "tls"), "enabled")))
                mgmt_problem(list, n, "tls_off",
                        "%s has TLS off while %s run%s TLS permissive, which accepts its "
                        "plaintext: a rolling change is under way; rolling TLS out (docs/"
                        "operator-guide.md 1.5), `tlstool enable --mode permissive --reload` on "
                        "it; rolling TLS back (1.7), it is done",
                        mgmt_node_name(n), with, on == 1 ? "s" : "");
    /* TLS on some nodes and off on others, some strict: name the odd ones
     * out (ties: the nodes without TLS, since the cluster is meant to run
     * with it) */
    if (on && off && !mixed) {
        int odd = on >= off ? 0 : 1;
        json_array_foreach(nodes, i, n)
        {
            if (!json_is_true(json_object_get(n, "reachable")))
                continue;
            int e = json_is_true(json_object_get(json_object_get(n, "tls"), "enabled"));
            /* a strict odd node is worse than a mismatch: it refuses the
             * others' plaintext (their management links may still reach it
             * over TLS, when they dial TLS first with the pair imported) */
            if (e == odd && e && !strcmp(mgmt_str_at(n, "tls", "mode"), "strict"))
                mgmt_problem(list, n, "tls_mismatch",
                        "TLS must be enabled on all nodes: %s has TLS on and is strict: it refuses "
                        "the plaintext of %s, so their plaintext links to it and its links to "
                        "them are down (TLS on: %s; TLS off: %s)",
                        mgmt_node_name(n), without, with, without);
            else if (e == odd)
                mgmt_problem(list, n, "tls_mismatch",
                        "TLS must be enabled on all nodes: %s has TLS %s (TLS on: %s; TLS off: %s)",
                        mgmt_node_name(n), e ? "on" : "off", with, without);
        }
    }
    /* the certificate most TLS nodes present is the cluster's */
    const char *common = NULL;
    int best = 0;
    json_array_foreach(nodes, i, n)
    {
        const char *fp = mgmt_str_at(json_object_get(n, "tls"), "certificate",
                                     "fingerprint_sha256");
        if (!fp[0])
            continue;
        int count = 0;
        size_t j;
        json_t *o;
        json_array_foreach(nodes, j, o)
            count += !strcmp(fp, mgmt_str_at(json_object_get(o, "tls"), "certificate",
                                             "fingerprint_sha256"));
        if (count > best) {
            best = count;
            common = fp;
        }
    }
    json_array_foreach(nodes, i, n)
    {
        if (!json_is_true(json_object_get(n, "reachable")))
            continue;
        static const char *const ops[] = {"writes", "reads"}, *const dir[] = {"to", "from"};
        /* a database that could not be opened: one problem naming why,
         * instead of writes and reads failing (which its status also says,
         * for the readers of an older version) */
        json_t *unopened = json_object_get(json_object_get(n, "storage"), "not_open");
        if (json_is_object(unopened))
            mgmt_problem(list, n, "storage_unopened",
                    "%s: its database is not open since %s (%lld attempt%s, the latest at %s): "
                    "%s; every data call is refused meanwhile, the rest of the node serves",
                    mgmt_node_name(n), mgmt_str_at(unopened, "since", NULL),
                    (long long)json_integer_value(json_object_get(unopened, "attempts")),
                    json_integer_value(json_object_get(unopened, "attempts")) == 1 ? "" : "s",
                    mgmt_str_at(unopened, "last_attempt", NULL),
                    mgmt_str_at(unopened, "reason", NULL));
        for (int k = 0; k < 2 && !json_is_object(unopened); k++) {
            json_t *h = json_object_get(json_object_get(n, "storage"), ops[k]);
            long long failed = json_integer_value(json_object_get(h, "failures"));
            char why[512];
            if (failed)
                snprintf(why, sizeof why, " (%lld request%s failed; the latest at %s: %s)", failed,
                         failed == 1 ? "" : "s", mgmt_str_at(h, "last_failure", NULL),
                         mgmt_str_at(h, "last_error", NULL));
            else /* found at start, before any request */
                snprintf(why, sizeof why, ": %s", mgmt_str_at(h, "last_error", NULL));
            if (json_is_true(json_object_get(h, "failing")))
                mgmt_problem(list, n, "storage_failing",
                        "%s: %s %s its database fail since %s%s: its log says more "
                        "(Data.Storage)%s",
                        mgmt_node_name(n), ops[k], dir[k], mgmt_str_at(h, "since", NULL), why,
                        mgmt_storage_fix(mgmt_str_at(h, "last_error", NULL)));
        }
        /* writes held up fail nothing yet (or never, on a hung disk): their
         * wait alone tells */
        char slow[900];
        if (mgmt_writes_slow_text(json_object_get(json_object_get(n, "storage"), "writes"), slow,
                                  sizeof slow))
            mgmt_problem(list, n, "storage_slow", "%s: writes to its database wait: %s",
                         mgmt_node_name(n), slow);
        /* acknowledged records found gone at a start: the node serves, but
         * the operator has to act (send them again), so it stays a problem
         * until acknowledged (management.ack, or state/records-lost removed
         * on that node) */
        size_t li;
        json_t *lost;
        /* the node's host as [cluster] nodes names it: ack goes to its
         * management port, not to the port the entry may carry */
        char ack_host[170] = "ADDR", eh[160];
        int ep;
        if (sipc_parse_address(mgmt_str_at(n, "address", NULL), 1, eh, sizeof eh, &ep) == 0)
            snprintf(ack_host, sizeof ack_host, strchr(eh, ':') ? "[%s]" : "%s", eh);
        /* with its TLS off, management.ack (TLS callers only) cannot */
        int lost_tls_off =
            json_is_false(json_object_get(json_object_get(n, "tls"), "enabled"));
        char lost_how[400];
        if (lost_tls_off)
            snprintf(lost_how, sizeof lost_how,
                     "remove state/records-lost in its home (its TLS is off, and sipcctl ack is "
                     "taken over TLS only)");
        else
            snprintf(lost_how, sizeof lost_how,
                     "sipcctl ack records-lost --node %s (over TLS; or remove state/records-lost "
                     "in its home)",
                     ack_host);
        json_array_foreach(json_object_get(json_object_get(n, "storage"), "records_lost"), li, lost)
        {
            const char *detected = mgmt_str_at(lost, "detected", NULL);
            mgmt_problem(list, n, "records_lost",
                    "%s: %s%s%s: %s; once dealt with, acknowledge it: %s: this stays until then",
                    mgmt_node_name(n),
                    detected[0] ? "committed changes found gone at its start at " : "", detected,
                    detected[0] ? "" : "a finding of lost records",
                    mgmt_str_at(lost, "message", NULL), lost_how);
        }
        mgmt_files_failing(list, n);
        reload_refused(list, n);
        links_down(list, nodes, n);
        json_t *tls = json_object_get(n, "tls");
        int enabled = json_is_true(json_object_get(tls, "enabled"));
        json_t *cert = json_object_get(tls, "certificate");
        const char *fp = mgmt_str_at(tls, "certificate", "fingerprint_sha256");
        char refusers[400];
        /* a pair every node accepts, and n theirs, is a step of a key pair
         * rotation: the notes say which */
        int odd = enabled && common && fp[0] && strcmp(fp, common) != 0 &&
                  mgmt_pair_refused(nodes, n, common, refusers, sizeof refusers);
        if (odd && sipc_mgmt_rotating(nodes))
            /* importing the cluster's pair there would undo its rotation */
            mgmt_problem(list, n, "certificate_mismatch",
                    "%s presents a different certificate (sha256 %.16s...) than the rest of the "
                    "cluster (sha256 %.16s...), and a key pair rotation is in progress that does "
                    "not cover it: %s; every node stages the new pair before any commits, and "
                    "finishes only once every node has committed (docs/operator-guide.md, "
                    "section 1.8; `tlstool rotate status` on each)",
                    mgmt_node_name(n), fp, common, refusers);
        else if (odd)
            mgmt_problem(list, n, "certificate_mismatch",
                    "%s presents a different certificate (sha256 %.16s...) than the rest of the "
                    "cluster (sha256 %.16s...): import the cluster's key pair on it (`tlstool "
                    "import FILE --force`: it replaces the pair that node holds) and reload it",
                    mgmt_node_name(n), fp, common);
        char other[1600];
        if (mgmt_other_target(nodes, n, other, sizeof other))
            mgmt_problem(list, n, "staged_mismatch", "%s", other);
        if (json_is_object(cert)) {
            json_int_t not_after = json_integer_value(json_object_get(cert, "not_after_unix"));
            int64_t days = (not_after - now) / 86400;
            /* validity first, as the node judges its own pair by its clock
             * (an older node's answer has none: its not_after alone) */
            if (!strcmp(mgmt_str_at(cert, "validity", NULL), "not_yet_valid"))
                mgmt_problem(list, n, "certificate_not_yet_valid",
                        "%s's certificate is valid only from %s: its peers refuse it (alert "
                        "certificate_expired); check its clock, or that of the "
                        "machine that made the pair",
                        mgmt_node_name(n), mgmt_str_at(cert, "not_before", NULL));
            else if (not_after <= now)
                mgmt_problem(list, n, "certificate_expired",
                        "%s's certificate expired on %s: its links and connections made before "
                        "stay up until they close or reconnect, new ones are refused; roll out "
                        "a new pair",
                        mgmt_node_name(n), mgmt_str_at(cert, "not_after", NULL));
            else if (days < expiry_warn_days)
                mgmt_problem(list, n, "certificate_expiring",
                        "%s's certificate expires in %lld day%s (%s): create and roll out a new "
                        "pair",
                        mgmt_node_name(n), (long long)days, days == 1 ? "" : "s",
                        mgmt_str_at(cert, "not_after", NULL));
        }
        /* its status claims TLS, yet its answer came in plaintext; not
         * just after it turned TLS on: a reload retires the plaintext
         * connections made before within a second or two, and the asker's
         * link then redials */
        if (!strcmp(mgmt_str_at(n, "reached_over", NULL), "plaintext") && enabled &&
            !tls_just_changed(n))
            mgmt_problem(list, n, "plaintext_node",
                    "%s says TLS is enabled but answered the management channel in plaintext: "
                    "check that it runs its configured mode",
                    mgmt_node_name(n));
        if (enabled && !strcmp(mgmt_str_at(tls, "mode", NULL), "permissive")) {
            json_t *guard = json_object_get(n, "guard");
            /* held back, but the peers that held it are gone: going strict
             * cuts no one off, as for any permissive node (health migrating) */
            if (json_is_true(json_object_get(guard, "held_back")) &&
                !json_array_size(json_object_get(guard, "plaintext_peers")))
                mgmt_problem(list, n, "permissive",
                        "%s runs permissive although its sipc.conf says strict: the strict guard "
                        "held it back at start, but no plaintext peer is seen any more: reload it "
                        "to go strict",
                        mgmt_node_name(n));
            else if (json_is_true(json_object_get(guard, "held_back")))
                mgmt_problem(list, n, "held_back",
                        "%s runs permissive although its sipc.conf says strict: the strict guard "
                        "held it back for peers still speaking plaintext to it (its status names "
                        "them); enable TLS there and reload it, or reload it with --force to cut "
                        "them off",
                        mgmt_node_name(n));
            else if (mixed)
                /* strict is no next step while a node has TLS off */
                mgmt_problem(list, n, "permissive",
                        "%s runs TLS permissive while %s %s TLS off: rolling TLS back (docs/"
                        "operator-guide.md 1.7), `tlstool disable --reload` on it; rolling TLS "
                        "out (1.5), it stays permissive until every node has TLS",
                        mgmt_node_name(n), without, off == 1 ? "has" : "have");
            else {
                /* the same state is the middle of a roll-out and of a
                 * roll-back (docs/operator-guide.md 1.7): which one, only
                 * the operator knows, so both ways on are named */
                mgmt_problem(list, n, "permissive",
                        "%s still accepts plaintext (mode permissive): once every node has TLS, "
                        "run `tlstool mode strict --reload` on it (when rolling TLS back "
                        "instead: `tlstool disable --reload` on it once every node is "
                        "permissive)",
                        mgmt_node_name(n));
                /* not live connections (plaintext_peer) but the guard's
                 * memory of them: what refuses `mode strict --reload` */
                size_t k;
                json_t *p;
                json_array_foreach(json_object_get(guard, "plaintext_peers"), k, p)
                {
                    const char *pn = mgmt_str_at(p, "node", NULL);
                    /* a sipcctl or tlstool session is named TOOL:USER@HOST...: its
                     * home clears it with one sipcctl command over TLS to this node (a
                     * cluster status asks only one node) */
                    int tool = !strncmp(pn, "sipcctl:", 8) || !strncmp(pn, "tlstool:", 8);
                    char how[400];
                    json_t *peer = tool ? NULL : tls_node_by_id(nodes, pn);
                    if (peer)
                        /* a node that turned TLS on since: its links' next
                         * connections, over TLS, clear it */
                        snprintf(how, sizeof how,
                                 "%s runs TLS %s now: its next connection here, over TLS, "
                                 "clears it within seconds",
                                 pn, mgmt_str_at(peer, "tls", "mode"));
                    else if (tool)
                        snprintf(how, sizeof how,
                                 "from that home, one sipcctl command over TLS to this node "
                                 "clears it (tlstool's are not counted, so they do not): "
                                 "sipcctl ping --node %s (import the cluster's key pair there "
                                 "first if it has none)",
                                 mgmt_str_at(n, "address", NULL));
                    else
                        snprintf(how, sizeof how, "on a node: tlstool enable there; on a client "
                                                  "machine: import the cluster's key pair");
                    mgmt_problem(list, n, "guard_peer",
                            "%s's strict guard saw %s%s%s%s speak plaintext on its %s service "
                            "(last %s): going strict is refused until that peer makes one TLS "
                            "connection to %s (%s), or %lld s after it was last seen",
                            mgmt_node_name(n), mgmt_str_at(p, "address", NULL),
                            pn[0] ? " (node " : "", pn, pn[0] ? ")" : "",
                            mgmt_str_at(p, "service", NULL),
                            mgmt_str_at(p, "last_seen", NULL), mgmt_node_name(n), how,
                            (long long)json_integer_value(json_object_get(guard, "window_s")));
                }
            }
        }
        if (!enabled)
            continue;
        size_t j;
        json_t *s;
        json_array_foreach(json_object_get(n, "services"), j, s)
        {
            size_t k;
            json_t *p;
            /* the node's own `[pipeline] tls = 0`: its clients speak
             * plaintext because it answers so, whatever they hold */
            if (!strcmp(mgmt_str_at(s, "tls", NULL), "off")) {
                mgmt_problem(list, n, "plaintext_listener",
                        "%s's %s listener runs plaintext ([%s] tls = 0) while the node runs TLS "
                        "%s: its peers speak plaintext to it because it answers in plaintext; "
                        "remove that line from its sipc.conf (or set it to 1) and reload %s",
                        mgmt_node_name(n), mgmt_str_at(s, "name", NULL), mgmt_str_at(s, "name",
                                                                                     NULL),
                        mgmt_str_at(tls, "mode", NULL), mgmt_node_name(n));
                continue;
            }
            /* with TLS off on some nodes plaintext is expected; who still
             * speaks it matters once every node has TLS (before strict) */
            if (mixed)
                continue;
            json_array_foreach(json_object_get(s, "plaintext_peers"), k, p)
            {
                const char *pn = mgmt_str_at(p, "node", NULL);
                if (pn[0] && !strcmp(pn, mgmt_node_name(n))) {
                    /* its own link (the pipeline's, the management's): it
                     * switches with the node, not by a setting elsewhere */
                    mgmt_problem(list, n, "plaintext_peer",
                            "%s still receives plaintext on its %s service from its own link "
                            "(%s), made before it enabled TLS: the node replaces it within "
                            "seconds; if this stays, reload %s",
                            mgmt_node_name(n), mgmt_str_at(s, "name", NULL),
                            mgmt_str_at(p, "address", NULL), mgmt_node_name(n));
                    continue;
                }
                /* another node that runs TLS now: its plaintext connection
                 * is from before both ends had TLS on, and the reload that
                 * turned the later one on replaces it within seconds */
                json_t *peer = tls_node_by_id(nodes, pn);
                if (peer) {
                    mgmt_problem(list, n, "plaintext_peer",
                            "%s still receives plaintext on its %s service from %s (node %s), a "
                            "connection made before TLS was on at both ends (%s runs TLS %s "
                            "now): the nodes replace it within seconds; if this stays, reload %s",
                            mgmt_node_name(n), mgmt_str_at(s, "name", NULL),
                            mgmt_str_at(p, "address", NULL), pn, pn,
                            mgmt_str_at(peer, "tls", "mode"), mgmt_node_name(n));
                    continue;
                }
                mgmt_problem(list, n, "plaintext_peer",
                        "%s still receives plaintext on its %s service from %s%s%s%s: enable TLS "
                        "there",
                        mgmt_node_name(n), mgmt_str_at(s, "name", NULL),
                        mgmt_str_at(p, "address", NULL), pn[0] ? " (node " : "", pn,
                        pn[0] ? ")" : "");
            }
        }
    }
    mgmt_nodes_lists(list, nodes);
    mgmt_clock_skew(list, nodes);
    return list;
}
