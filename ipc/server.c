/* server.c - a listener that accepts connections for a router. Whether the
 * accepted streams are plaintext, TLS or either (sniffed) comes from the
 * context's security; the log says which is in effect. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/kernel_random.h"
#include "base/str_copy.h"
#include "ipc/addr.h"
#include "ipc/internal.h"
#include "ipc/security.h"
#include "transport/stream.h"

static void srv_maybe_finish(sipc_server *srv);

/* Connections the kernel may hold completed for us before we accept them:
 * thousands of clients connecting at once (a cluster restarting) must not
 * overflow it, or their SYNs are dropped and each waits a second to retry.
 * The kernel caps it at net.core.somaxconn (4096 by default). */
#define SIPC__LISTEN_BACKLOG 4096

static void free_listener_owner(sipc_stream_listener *l)
{
    free(sipc_container_of(l, sipc_server, lis));
}

/* ---- open connections per source address ---- */

struct sipc__host_count {
    char host[96]; /* sipc__host_key's form (at most 46 bytes); "" when free */
    uint32_t n;
    sipc_conn *oldest, *newest; /* of them those still in their handshake, in
                                 * the order they came */
};

static uint64_t host_hash(const sipc_server *srv, const char *host)
{
    uint64_t h = srv->hosts_seed ^ 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)host; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

/* The slot of host, or the free one it would take (NULL: no table yet). */
static struct sipc__host_count *host_find(const sipc_server *srv, const char *host)
{
    if (!srv->hosts_cap)
        return NULL;
    uint32_t mask = srv->hosts_cap - 1;
    for (uint32_t i = (uint32_t)host_hash(srv, host) & mask;; i = (i + 1) & mask) {
        struct sipc__host_count *e = &srv->hosts[i];
        if (!e->host[0] || !strcmp(e->host, host))
            return e;
    }
}

/* host's entry, NULL when none of its connections is open */
static struct sipc__host_count *host_get(const sipc_server *srv, const char *host)
{
    struct sipc__host_count *e = host_find(srv, host);
    return e && e->host[0] ? e : NULL;
}

#define HOSTS_MIN_CAP 64

/* The table rebuilt with cap slots: 0, or SIPC_ENOMEM (it stays as it was). */
static int host_resize(sipc_server *srv, uint32_t cap)
{
    struct sipc__host_count *old = srv->hosts, *t = calloc(cap, sizeof *t);
    if (!t)
        return SIPC_ENOMEM;
    uint32_t ocap = srv->hosts_cap;
    srv->hosts = t;
    srv->hosts_cap = cap;
    for (uint32_t i = 0; i < ocap; i++)
        if (old[i].host[0])
            *host_find(srv, old[i].host) = old[i];
    free(old);
    return 0;
}

/* Counts one more connection from host: its entry, or NULL for want of
 * memory (then it goes uncounted). The table stays at most half full. */
static struct sipc__host_count *host_add(sipc_server *srv, const char *host)
{
    if ((srv->hosts_used + 1) * 2 > srv->hosts_cap &&
        host_resize(srv, srv->hosts_cap ? srv->hosts_cap * 2 : HOSTS_MIN_CAP) != 0)
        return NULL;
    struct sipc__host_count *e = host_find(srv, host);
    if (!e->host[0]) {
        sipc_str_copy(e->host, sizeof e->host, host);
        e->n = 0;
        e->oldest = e->newest = NULL;
        srv->hosts_used++;
    }
    e->n++;
    return e;
}

/* One connection from host fewer (out of its opening ones already): a slot
 * left empty is taken out, the entries after it in its run moved up (no
 * tombstones to pile up). */
static void host_remove(sipc_server *srv, const char *host)
{
    struct sipc__host_count *e = host_get(srv, host);
    if (!e || --e->n)
        return;
    uint32_t mask = srv->hosts_cap - 1, i = (uint32_t)(e - srv->hosts);
    srv->hosts[i].host[0] = '\0';
    srv->hosts_used--;
    for (uint32_t j = (i + 1) & mask; srv->hosts[j].host[0]; j = (j + 1) & mask) {
        uint32_t home = (uint32_t)host_hash(srv, srv->hosts[j].host) & mask;
        /* j may move to i only when its home is not within (i, j] */
        if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
            continue;
        srv->hosts[i] = srv->hosts[j];
        srv->hosts[j].host[0] = '\0';
        i = j;
    }
    /* after a burst of many sources the table does not keep its size for
     * the server's life: an eighth full, it halves (then a quarter full) */
    if (srv->hosts_cap > HOSTS_MIN_CAP && srv->hosts_used * 8 <= srv->hosts_cap)
        (void)host_resize(srv, srv->hosts_cap / 2);
}

static void conn_host(const sipc_conn *c, char *out, size_t len)
{
    sipc__host_key(c->peer_addr, 1, out, len);
}

/* ---- connections still in their handshake, in the order they came ---- */

/* The server's list and, when counted, its host's chain: the oldest of
 * either is the first, so making room costs the same however many are
 * open or opening. */
static void opening_add(sipc_server *srv, sipc_conn *c, struct sipc__host_count *e)
{
    sipc_list_insert_before(&srv->opening, &c->opening_link);
    srv->nopening++;
    c->host_older = c->host_newer = NULL;
    if (!e)
        return;
    c->host_older = e->newest;
    if (e->newest)
        e->newest->host_newer = c;
    else
        e->oldest = c;
    e->newest = c;
}

/* c done with its handshake, or closed in it. */
static void opening_remove(sipc_server *srv, sipc_conn *c)
{
    assert(srv->nopening > 0);
    srv->nopening--;
    sipc_list_remove(&c->opening_link);
    if (!c->host_counted)
        return;
    char host[160];
    conn_host(c, host, sizeof host);
    struct sipc__host_count *e = host_get(srv, host);
    if (!e)
        return;
    if (c->host_older)
        c->host_older->host_newer = c->host_newer;
    else
        e->oldest = c->host_newer;
    if (c->host_newer)
        c->host_newer->host_older = c->host_older;
    else
        e->newest = c->host_older;
}

/* One line per connection says which transport it runs on; limited per peer
 * host, node and transport (the report of those held back says just that,
 * no port), so a client that reconnects in a loop cannot flood the log, and
 * the first plaintext one after TLS ones, or another node from the same
 * host, is still said. */
static void srv_log_up(sipc_server *srv, sipc_conn *c)
{
    sipc_peer_info pi;
    sipc_conn_info(c, &pi);
    char host[160], how[160], key[600], host_key[400];
    sipc__peer_host(c->peer_addr, host, sizeof host);
    if (pi.tls)
        snprintf(how, sizeof how, "%s %s", pi.tls_version, pi.tls_cipher);
    else
        snprintf(how, sizeof how, "plaintext");
    snprintf(key, sizeof key, "%s: connections from %s (node %s) up over %s", srv->name, host,
             pi.peer_node, how);
    snprintf(host_key, sizeof host_key, "%s: connections from %s (various nodes) up over %s",
             srv->name, host, pi.tls ? "TLS" : "plaintext");
    sipc__log_limited_host(srv->ctx, key, host_key, SIPC_LOG_INFO, "Transport.Conn",
                           "%s: connection from %s (node %s) up over %s", srv->name, c->peer_addr,
                           pi.peer_node, how);
}

static void srv_up(void *owner, sipc_conn *c)
{
    sipc_server *srv = owner;
    opening_remove(srv, c);
    /* only a dialer's own word that it falls back: a plaintext client, or
     * another node, from the same host says nothing about a refused TLS */
    if (srv->ctx->nheld && c->peer_plaintext_retry && c->stream && !sipc_stream_is_tls(c->stream)) {
        char host[160];
        sipc__peer_host(c->peer_addr, host, sizeof host);
        sipc__log_retried(srv->ctx, srv, host, c->peer_addr, c->peer_node);
    }
    if (sipc__log_on(srv->ctx, SIPC_LOG_INFO))
        srv_log_up(srv, c);
    if (srv->conn_cb)
        srv->conn_cb(c, SIPC_CONN_UP, 0, srv->conn_arg);
}

static void srv_writable(void *owner, sipc_conn *c)
{
    sipc_server *srv = owner;
    if (srv->conn_cb)
        srv->conn_cb(c, SIPC_CONN_WRITABLE, 0, srv->conn_arg);
}

/* Counts a connection that failed before its hello, by reason; the table is
 * small and fixed, so rare reasons beyond it are counted as SIPC_ETLS. */
static void count_hs_failure(sipc_counters *k, int err)
{
    k->hs_failures++;
    for (int i = 0; i < k->nreasons; i++) {
        if (k->hs_by_reason[i].err == err) {
            k->hs_by_reason[i].count++;
            return;
        }
    }
    if (k->nreasons < SIPC_STATS_MAX_REASONS - 1 || err == SIPC_ETLS) {
        k->hs_by_reason[k->nreasons].err = err;
        k->hs_by_reason[k->nreasons++].count = 1;
        return;
    }
    count_hs_failure(k, SIPC_ETLS);
    k->hs_failures--;
}

static void srv_down(void *owner, sipc_conn *c, int err, const char *detail, int was_up,
                     int got_bytes)
{
    (void)detail;
    (void)got_bytes;
    sipc_server *srv = owner;
    if (!was_up)
        opening_remove(srv, c);
    srv->nclosing++;
    if (c->host_counted) {
        char host[160];
        conn_host(c, host, sizeof host);
        host_remove(srv, host);
        c->host_counted = 0;
    }
    /* a close of our own (err 0, shutting down) is no failure of the peer;
     * a client giving up on a ticket from before our restart or reload is
     * counted apart (the client decides that it looks so: still counted) */
    if (!was_up && c->resume_refused)
        srv->counters.resume_refused++;
    else if (!was_up && err != 0 && err != SIPC_ECANCELED && !c->evicted)
        count_hs_failure(&srv->counters, err);
    if (was_up && srv->conn_cb)
        srv->conn_cb(c, SIPC_CONN_DOWN, err, srv->conn_arg);
}

static void srv_freed(void *owner)
{
    sipc_server *srv = owner;
    assert(srv->nconns > 0 && srv->nclosing > 0);
    srv->nconns--;
    srv->nclosing--;
    if (srv->fds_handed)
        srv->fds_handed--;
    else
        sipc__fd_budget_put(srv);
    srv_maybe_finish(srv);
}

enum { EVICT_OPENING, EVICT_FULL, EVICT_HOST, EVICT_SHARE };

/* How many of srv's connections may be in their handshake at once. */
static uint32_t opening_limit(const sipc_server *srv, const sipc__fd_limits *lim)
{
    return lim->opening < srv->ctx->opts.max_opening ? lim->opening : srv->ctx->opts.max_opening;
}

/* "the process's connections hold their share of its open-file limit (...)" */
static void fd_share_text(const sipc_server *srv, const sipc__fd_limits *lim, char *out,
                          size_t len)
{
    snprintf(out, len,
             "the process's connections hold their share of its open-file limit (%u, less %u "
             "kept for its files, logs and listeners%s)",
             lim->limit, lim->reserve,
             srv->reserved ? ", of which this server may use a quarter" : "");
}

/* The line for c closed to make room, once per its host per 10 s. */
static void say_evicted(sipc_server *srv, const sipc_conn *c, int why, const sipc__fd_limits *lim)
{
    char host[160], key[300], share[300] = "", usage[600] = "";
    conn_host(c, host, sizeof host);
    snprintf(key, sizeof key, "%s: connections from %s closed in their handshake to make room",
             srv->name, host);
    if (why == EVICT_HOST)
        sipc__log_limited(srv->ctx, key, SIPC_LOG_WARN, "Transport.Listen",
                          "%s: %u connections open from %s (limit %u per host, [limits] "
                          "max_connections_per_host): closing the oldest of them still in "
                          "its handshake, from %s, to make room",
                          srv->name, host_get(srv, host)->n, host, srv->max_per_host,
                          c->peer_addr);
    else if (why == EVICT_FULL)
        sipc__log_limited(srv->ctx, key, SIPC_LOG_WARN, "Transport.Listen",
                          "%s: %u connections open (limit %u, [limits] max_connections): "
                          "closing the oldest still in its handshake, from %s, to make room",
                          srv->name, srv->nconns - srv->nclosing, srv->max_conns, c->peer_addr);
    else if (why == EVICT_OPENING && opening_limit(srv, lim) == srv->ctx->opts.max_opening)
        sipc__log_limited(srv->ctx, key, SIPC_LOG_WARN, "Transport.Listen",
                          "%s: %u connections are in their handshake (limit %u, [limits] "
                          "max_opening): closing the oldest, from %s, to make room",
                          srv->name, srv->nopening, srv->ctx->opts.max_opening, c->peer_addr);
    else if (why == EVICT_OPENING)
        sipc__log_limited(srv->ctx, key, SIPC_LOG_WARN, "Transport.Listen",
                          "%s: %u connections are in their handshake (limit %u: the process's "
                          "open-file limit %u, less %u kept for its files, logs and listeners, "
                          "in %u parts, one for each of its %u servers and one for established "
                          "connections; [limits] max_opening %u): closing the oldest, from %s, "
                          "to make room",
                          srv->name, srv->nopening, lim->opening, lim->limit, lim->reserve,
                          lim->servers + 1, lim->servers, srv->ctx->opts.max_opening,
                          c->peer_addr);
    else {
        /* what holds the descriptors (a lock, every server) only for a
         * line written: a flood makes room at every accept */
        if (sipc__log_limited_due(srv->ctx, key, SIPC_LOG_WARN)) {
            fd_share_text(srv, lim, share, sizeof share);
            sipc__fd_usage(usage, sizeof usage);
        }
        sipc__log_limited(srv->ctx, key, SIPC_LOG_WARN, "Transport.Listen",
                          "%s: %s: closing the oldest of its %u connections still in their "
                          "handshake, from %s, to make room: %s",
                          srv->name, share, srv->nopening, c->peer_addr, usage);
    }
}

/* Closes the oldest connection still in its handshake (of host e's, when
 * not NULL): it has had the most time; an honest peer finishes in
 * milliseconds. Its descriptor is closed at once, not after a close grace,
 * so that a newcomer may take its place in the process's count
 * (srv->fds_handed): at the open-file limit's share too, a flood that keeps
 * opening connections then makes room for others instead of holding them
 * out. 0 if there was none. Established connections are never closed so. */
static int evict_oldest_opening(sipc_server *srv, const struct sipc__host_count *e, int why,
                                const sipc__fd_limits *lim)
{
    sipc_conn *c = e ? e->oldest
                 : sipc_list_empty(&srv->opening)
                     ? NULL
                     : sipc_container_of(srv->opening.next, sipc_conn, opening_link);
    if (!c)
        return 0;
    assert(c->state == SIPC_CONN_S_HANDSHAKE);
    say_evicted(srv, c, why, lim);
    srv->counters.evicted++;
    c->evicted = 1;
    c->refs++;
    sipc__conn_close(c, SIPC_EHSTIMEOUT, "closed unfinished to make room: too many "
                                         "connections were opening");
    if (c->stream)
        sipc_stream_abort(c->stream);
    sipc__conn_release(c);
    return 1;
}

static const sipc_conn_owner_ops srv_ops = {
    .up = srv_up, .writable = srv_writable, .down = srv_down, .freed = srv_freed};

/* The process's connections hold their share of the open-file limit, and
 * none of this server's is opening to make room: a new one is refused as
 * at a full server, and the WARN says what holds them. */
static void refuse_at_fd_share(sipc_server *srv, sipc_stream *s, const char *host,
                               const sipc__fd_limits *lim)
{
    char key[300], share[300], usage[600];
    snprintf(key, sizeof key, "%s: connections from %s refused at the open-file limit's share",
             srv->name, host);
    if (sipc__log_on(srv->ctx, SIPC_LOG_WARN)) {
        fd_share_text(srv, lim, share, sizeof share);
        sipc__fd_usage(usage, sizeof usage);
        sipc__log_limited(srv->ctx, key, SIPC_LOG_WARN, "Transport.Listen",
                          "%s: refusing a connection from %s: %s: %s", srv->name,
                          sipc_stream_peer(s), share, usage);
    }
    srv->counters.refused++;
    sipc_stream_abort(s);
}

/* Out of descriptors: what gets through in the next second is closed at
 * once, said once per 10 s with what holds them. The spare descriptor given
 * up comes back when this turn of the loop has closed them (the context's
 * timer): it is there again for the next accept that fails. */
static void srv_starve(sipc_server *srv, int err, const char *what)
{
    sipc_ctx *ctx = srv->ctx;
    srv->starved_until = uv_now(ctx->loop) + 1000;
    sipc__ctx_timer_within(ctx, 0);
    char key[200], why[700] = "";
    snprintf(key, sizeof key, "%s: accept failed: out of descriptors", srv->name);
    /* libuv may call back again at once, before any descriptor is free: the
     * explanation (a lock, getrlimit, every server) only for a line written */
    if (sipc__log_limited_due(ctx, key, SIPC_LOG_WARN))
        (void)sipc_fd_explain(err, why, sizeof why);
    sipc__log_limited(ctx, key, SIPC_LOG_WARN, "Transport.Listen",
                      "%s: %s: %s; new connections are closed at once for a second", srv->name,
                      what, why);
}

/* An accept that failed. libuv 1.44 retries at once, in a loop that only an
 * accept that succeeds ends (not stopping to read, nor a timer): for want of
 * a descriptor, the spare is given up so that the next one succeeds and is
 * refused, so the spare must be there each time; with nothing to give up,
 * only a descriptor freed by another thread ends it. Any other failure
 * (ENOBUFS, ENOMEM, EPERM from a security module) leaves the connection
 * queued, and the listener tries again after a pause (transport/stream.h):
 * one line per 10 s, then a count. Nothing is refused, so nothing is
 * counted in refused_total. */
static void accept_failed(sipc_server *srv, int err)
{
    if (err != UV_EMFILE && err != UV_ENFILE) {
        char key[200];
        snprintf(key, sizeof key, "%s: accept failed: %s", srv->name, sipc_strerror(err));
        sipc__log_limited(srv->ctx, key, SIPC_LOG_WARN, "Transport.Listen", "%s", key);
        return;
    }
    sipc__fd_budget_free_spare();
    char what[100];
    snprintf(what, sizeof what, "accept failed: %s", sipc_strerror(err));
    srv_starve(srv, err, what);
}

/* A connection that could not be taken on (no memory for its stream or its
 * connection): closed by now, counted and said like every refusal. peer:
 * NULL when no stream was made to know it. */
static void refuse_unaccepted(sipc_server *srv, const char *peer, int err)
{
    char key[200];
    snprintf(key, sizeof key, "%s: connections refused: accept failed", srv->name);
    sipc__log_limited(srv->ctx, key, SIPC_LOG_WARN, "Transport.Listen",
                      "%s: refusing a connection%s%s: accept failed: %s", srv->name,
                      peer ? " from " : "", peer ? peer : "", sipc_strerror(err));
    srv->counters.refused++;
}

static void on_connection(uv_stream_t *listener, int status)
{
    sipc_server *srv = listener->data;
    sipc_ctx *ctx = srv->ctx;
    if (status < 0) {
        accept_failed(srv, status);
        return;
    }
    if (srv->closing)
        return;
    /* the spare given up for a failed accept comes back first */
    int spare = sipc__fd_budget_spare_back();
    /* the security of this moment: the connection keeps it to the end */
    sipc_security *sec = ctx->sec;
    sipc_stream *s;
    int r = sipc_stream_accept(&s, &srv->lis, sipc_security_accepts(sec), sipc_security_tls(sec),
                               &sipc__conn_stream_events, NULL);
    if (r != 0) {
        refuse_unaccepted(srv, NULL, r);
        return;
    }
    /* this one took the last descriptor: kept, it would leave the next
     * accept failing for want of one nothing to give up, and libuv would
     * retry that accept at once, for as long as none is freed */
    if (!spare && uv_now(ctx->loop) >= srv->starved_until) {
        char what[300];
        snprintf(what, sizeof what, "refusing a connection from %s: it took the last descriptor",
                 sipc_stream_peer(s));
        srv_starve(srv, UV_EMFILE, what);
    }
    /* out of descriptors a moment ago: what waits is closed at once, so
     * that libuv's accept loop drains instead of failing again */
    if (uv_now(ctx->loop) < srv->starved_until) {
        srv->counters.refused++;
        sipc_stream_abort(s);
        return;
    }
    char host[160], key[300];
    sipc__host_key(sipc_stream_peer(s), 1, host, sizeof host);
    /* Closed connections still hold their descriptors for a moment (not
     * those closed to make room, whose went at once): past a small slack
     * over the limit a new one is refused whatever else. */
    int slack_left = srv->nconns - srv->fds_handed < srv->max_conns + 32;
    /* Each accept closes at most one connection to make room, so a flood
     * cannot turn the accept loop into a loop of closes; nobody is closed
     * for a newcomer refused anyway. */
    int evicted = 0;
    /* One host may not take every slot (a peer that answers pings holds
     * its connections as long as it likes): at its share, its own oldest
     * still in its handshake makes room, as below for the whole server, or
     * the new one is refused like at a full server, accepted and closed at
     * once. */
    const struct sipc__host_count *from = host_get(srv, host);
    if (from && from->n >= srv->max_per_host && srv->max_per_host < srv->max_conns &&
        !(slack_left && (evicted = evict_oldest_opening(srv, from, EVICT_HOST, NULL)))) {
        snprintf(key, sizeof key,
                 "%s: connections from %s refused ([limits] max_connections_per_host)", srv->name,
                 host);
        sipc__log_limited(ctx, key, SIPC_LOG_WARN, "Transport.Listen",
                          "%s: refusing a connection from %s: %u connections open from %s "
                          "(limit %u per host, [limits] max_connections_per_host)",
                          srv->name, sipc_stream_peer(s), from->n, host, srv->max_per_host);
        srv->counters.refused++;
        sipc_stream_abort(s);
        return;
    }
    /* Full of connections that never finish their handshake (a flood of
     * silent ones): the oldest of them makes room, so peers that do finish
     * still get in. Only open ones count against the limit. */
    uint32_t open = srv->nconns - srv->nclosing;
    if (!slack_left ||
        (open >= srv->max_conns && !evicted &&
         !(evicted = evict_oldest_opening(srv, NULL, EVICT_FULL, NULL)))) {
        /* Full of established ones: accept and close at once, so the backlog
         * drains and the peer hears a close instead of waiting (libuv would
         * otherwise accept and drop connections silently once descriptors
         * run out). */
        snprintf(key, sizeof key, "%s: connections from %s refused ([limits] max_connections)",
                 srv->name, host);
        sipc__log_limited(ctx, key, SIPC_LOG_WARN, "Transport.Listen",
                          "%s: refusing a connection from %s: %u connections open, %u more "
                          "closing (limit %u, [limits] max_connections)",
                          srv->name, sipc_stream_peer(s), open, srv->nclosing, srv->max_conns);
        srv->counters.refused++;
        sipc_stream_abort(s);
        return;
    }
    /* max_opening, or this server's part of the open-file limit's share
     * when smaller (fd_budget.c): no flood of one port fills the share */
    sipc__fd_limits lim;
    sipc__fd_limits_get(&lim);
    uint32_t max_opening = opening_limit(srv, &lim);
    if (!evicted && srv->nopening >= max_opening)
        evicted = evict_oldest_opening(srv, NULL, EVICT_OPENING, &lim);
    /* The process's connections at their share of the open-file limit:
     * this server's own oldest still in its handshake makes room the same
     * way (it gives its place in the count to the new one), whoever else
     * holds the share; only with none of its own opening is the new one
     * refused. Another server's are left alone: they are its to judge,
     * maybe on another thread. */
    if (!evicted && !sipc__fd_budget_take(srv, &lim) &&
        !(evicted = evict_oldest_opening(srv, NULL, EVICT_SHARE, &lim))) {
        refuse_at_fd_share(srv, s, host, &lim);
        return;
    }
    sipc_conn *c;
    r = sipc__conn_new(&c, ctx, sec, s, 1, srv->router, &srv_ops, srv);
    if (r != 0) {
        refuse_unaccepted(srv, sipc_stream_peer(s), r);
        sipc_stream_abort(s); /* first: its descriptor may make the spare */
        /* a place taken from the count goes back; one handed over stays
         * with the connection closed for it, given back when it is freed */
        if (!evicted)
            sipc__fd_budget_put(srv);
        return;
    }
    if (evicted)
        srv->fds_handed++;
    sipc_str_copy(c->peer_addr, sizeof c->peer_addr, sipc_stream_peer(s));
    struct sipc__host_count *e = host_add(srv, host);
    c->host_counted = e != NULL;
    c->counters = &srv->counters;
    srv->counters.accepted++;
    srv->nconns++;
    opening_add(srv, c, e);
    /* under pressure of unfinished handshakes, a new one gets less time:
     * honest peers finish in milliseconds, silent ones leave sooner */
    if (srv->nopening > max_opening / 2) {
        static const char *const why[2][2] = {
            {"a quarter of handshake_timeout_ms: over half of [limits] max_opening "
             "connections were opening",
             "a quarter of handshake_timeout_ms, at least 1 s: over half of [limits] "
             "max_opening connections were opening"},
            {"a quarter of handshake_timeout_ms: over half of the connections this server may "
             "hold in their handshake (its part of the open-file limit's share) were opening",
             "a quarter of handshake_timeout_ms, at least 1 s: over half of the connections "
             "this server may hold in their handshake (its part of the open-file limit's "
             "share) were opening"}};
        uint32_t t = ctx->opts.handshake_timeout_ms / 4;
        int floor = t < 1000;
        if (floor)
            t = 1000;
        if (t < ctx->opts.handshake_timeout_ms)
            sipc__conn_set_handshake_timeout(c, t, why[max_opening < ctx->opts.max_opening][floor]);
    }
    sipc_list_insert_before(&srv->conns, &c->owner_link);
}

int sipc_server_listen(sipc_server **out, sipc_ctx *ctx, const char *name, const char *address,
                       int port, const sipc_router *router)
{
    if (!out || !ctx || !router || sipc__ctx_thread_check(ctx, "sipc_server_listen"))
        return SIPC_EINVAL;
    if (port < 0 || port > 65535) {
        /* a caller's mistake that no later error would explain: say which */
        sipc__log(ctx, SIPC_LOG_ERROR, "Transport.Listen",
                  "%s: port %d for %.100s is out of range (0 .. 65535; 0: one the system picks)",
                  name && *name ? name : "sipc server", port, address ? address : "127.0.0.1");
        return SIPC_EINVAL;
    }
    if (ctx->closing)
        return SIPC_ECLOSING;
    struct sockaddr_storage ss;
    if (sipc__addr_numeric(address, port, &ss) != 0) {
        sipc__log(ctx, SIPC_LOG_ERROR, "Transport.Listen",
                  "%s: bind address '%s' is not a numeric IPv4 or IPv6 address",
                  name && *name ? name : "sipc server", address);
        return SIPC_EINVAL;
    }
    sipc_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return SIPC_ENOMEM;
    srv->ctx = ctx;
    sipc_str_copy(srv->name, sizeof srv->name, name && *name ? name : "sipc server");
    /* never more connections than the share of the descriptors all
     * servers hold together (fd_budget.c) */
    sipc__fd_limits lim;
    sipc__fd_limits_get(&lim);
    srv->max_conns = ctx->opts.max_connections;
    if (lim.cap < srv->max_conns)
        srv->max_conns = lim.cap;
    (void)sipc_kernel_random(&srv->hosts_seed, sizeof srv->hosts_seed);
    /* by default a quarter of them: it takes four hosts to fill the server,
     * and one alone leaves three quarters to the others; a small server is
     * left to max_connections alone */
    srv->max_per_host = ctx->opts.max_connections_per_host;
    if (!srv->max_per_host) {
        srv->max_per_host = srv->max_conns / 4;
        if (srv->max_per_host < 64)
            srv->max_per_host = srv->max_conns < 64 ? srv->max_conns : 64;
    }
    sipc_list_init(&srv->conns);
    sipc_list_init(&srv->opening);
    sipc_list_init(&srv->link);
    int r = sipc_stream_listen(&srv->lis, ctx->loop, (struct sockaddr *)&ss, SIPC__LISTEN_BACKLOG,
                               on_connection);
    srv->lis.tcp.data = srv;
    if (r != 0) {
        sipc__log(ctx, SIPC_LOG_ERROR, "Transport.Listen", "%s cannot listen on %s:%d: %s", srv->name,
                  address ? address : "127.0.0.1", port, uv_strerror(r));
        sipc_stream_listener_close(&srv->lis, free_listener_owner);
        return r;
    }
    struct sockaddr_storage bound;
    int blen = sizeof bound;
    uv_tcp_getsockname(&srv->lis.tcp, (struct sockaddr *)&bound, &blen);
    srv->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);
    unsigned kinds = sipc_security_accepts(ctx->sec);
    /* INFO, not DEBUG: a plaintext server must never be one by surprise */
    sipc__log(ctx, SIPC_LOG_INFO, "Transport.Listen", "%s listening on %s:%d (%s, TLS mode %s)",
              srv->name, address && *address ? address : "127.0.0.1", srv->port,
              kinds == SIPC_STREAM_TLS     ? "TLS only"
              : kinds == SIPC_STREAM_PLAIN ? "plaintext"
                                           : "TLS and plaintext",
              sipc_tls_mode_name(sipc_security_mode(ctx->sec)));
    sipc_list_insert_before(&ctx->servers, &srv->link);
    sipc__fd_budget_add_server(srv);
    srv->router = sipc__router_retain(router); /* the caller may free its own */
    *out = srv;
    return 0;
}

int sipc_server_port(const sipc_server *srv)
{
    return srv ? srv->port : SIPC_EINVAL;
}

int sipc_server_stats_get(const sipc_server *srv, sipc_server_stats *out)
{
    if (!srv || !out)
        return SIPC_EINVAL;
    memset(out, 0, sizeof *out);
    for (const sipc_link *l = srv->conns.next; l != &srv->conns; l = l->next) {
        const sipc_conn *c = sipc_container_of(l, sipc_conn, owner_link);
        if (c->state == SIPC_CONN_S_UP && c->stream && sipc_stream_is_tls(c->stream))
            out->conns_tls++;
        else if (c->state == SIPC_CONN_S_UP)
            out->conns_plain++;
        else if (c->state == SIPC_CONN_S_HANDSHAKE)
            out->conns_opening++;
        out->write_queue_bytes += sipc_conn_write_queue(c);
        out->buffer_bytes += sipc__conn_buffer_bytes(c);
        out->read_buffer_bytes += c->dec.held + c->rx_wait_acct;
    }
    const sipc_counters *k = &srv->counters;
    out->accepted_total = k->accepted;
    out->refused_total = k->refused;
    out->evicted_total = k->evicted;
    out->slow_closed_total = k->slow_closed;
    out->stalled_closed_total = k->stalled_closed;
    out->resume_refused_total = k->resume_refused;
    out->requests_total = k->requests;
    out->request_errors_total = k->request_errors;
    out->handshake_failures_total = k->hs_failures;
    for (int i = 0; i < k->nreasons; i++) {
        out->handshake_failures[i].err = k->hs_by_reason[i].err;
        out->handshake_failures[i].count = k->hs_by_reason[i].count;
    }
    out->nhandshake_failures = k->nreasons;
    return 0;
}

void sipc_server_foreach_conn(sipc_server *srv, void (*fn)(sipc_conn *c, void *arg), void *arg)
{
    if (!srv || !fn)
        return;
    for (sipc_link *l = srv->conns.next; l != &srv->conns; l = l->next) {
        sipc_conn *c = sipc_container_of(l, sipc_conn, owner_link);
        if (c->state == SIPC_CONN_S_UP)
            fn(c, arg);
    }
}

int sipc_server_set_reserved(sipc_server *srv, int on)
{
    if (!srv)
        return SIPC_EINVAL;
    srv->reserved = on != 0;
    /* its bound then includes the slice it may use beyond the others' share */
    sipc__fd_limits lim;
    sipc__fd_limits_get(&lim);
    uint64_t bound = (uint64_t)lim.cap + (on ? lim.slice : 0);
    srv->max_conns = srv->ctx->opts.max_connections;
    if (bound < srv->max_conns)
        srv->max_conns = (uint32_t)bound;
    return 0;
}

void sipc_server_set_conn_cb(sipc_server *srv, sipc_conn_cb cb, void *arg)
{
    if (!srv)
        return;
    srv->conn_cb = cb;
    srv->conn_arg = arg;
}

static void on_listener_closed(sipc_stream_listener *l)
{
    sipc_server *srv = sipc_container_of(l, sipc_server, lis);
    srv->lis.tcp.data = NULL;
    srv->listener_gone = 1;
    if (srv->closing) { /* (a drain's listener may go before the close) */
        srv->closing = 2;
        srv_maybe_finish(srv);
    }
}

static void srv_maybe_finish(sipc_server *srv)
{
    if (srv->closing != 2 || !sipc_list_empty(&srv->conns))
        return;
    sipc_ctx *ctx = srv->ctx;
    sipc_list_remove(&srv->link);
    if (srv->close_cb)
        srv->close_cb(srv, srv->close_arg);
    sipc__router_release(srv->router); /* its connections are gone */
    sipc__fd_budget_remove_server(srv);
    free(srv->hosts);
    free(srv);
    sipc__ctx_maybe_finish_close(ctx);
}

int sipc_server_close(sipc_server *srv, void (*close_cb)(sipc_server *, void *), void *arg)
{
    if (!srv || sipc__ctx_thread_check(srv->ctx, "sipc_server_close"))
        return SIPC_EINVAL;
    if (srv->closing)
        return SIPC_ECLOSING; /* the first close's callback runs, not this one */
    srv->closing = 1;
    srv->close_cb = close_cb;
    srv->close_arg = arg;
    if (!srv->draining)
        sipc_stream_listener_close(&srv->lis, on_listener_closed);
    sipc_link *l = srv->conns.next;
    while (l != &srv->conns) {
        sipc_conn *c = sipc_container_of(l, sipc_conn, owner_link);
        l = l->next;
        sipc__conn_close(c, 0, "server shutting down"); /* closed by us: calls canceled */
    }
    if (srv->listener_gone) { /* drained first: its listener is already closed */
        srv->closing = 2;
        srv_maybe_finish(srv);
    }
    return 0;
}

int sipc_server_drain(sipc_server *srv, uint32_t quiet_ms)
{
    (void)quiet_ms; /* every connection goes through GOAWAY, idle or not */
    if (!srv || srv->closing)
        return 0;
    if (!srv->draining) {
        srv->draining = 1;
        sipc_stream_listener_close(&srv->lis, on_listener_closed);
    }
    int left = 0;
    sipc_link *l = srv->conns.next;
    while (l != &srv->conns) {
        sipc_conn *c = sipc_container_of(l, sipc_conn, owner_link);
        l = l->next;
        left += sipc__conn_retire(c, 1);
    }
    return left;
}

void sipc__server_close_all(sipc_ctx *ctx)
{
    sipc_link *l = ctx->servers.next;
    while (l != &ctx->servers) {
        sipc_server *srv = sipc_container_of(l, sipc_server, link);
        l = l->next;
        (void)sipc_server_close(srv, NULL, NULL);
    }
}
