/* peer_watch.c - who connects to this node's services: each connection
 * up is the latest word on its peer's transport for the strict guard's
 * history (peers.c), kept in state/ by a timer and at once for a peer newly
 * seen in plaintext; and a node seen up is redialed at once by every
 * context of this node. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "host.h"

/* Every connection that comes up on a service is the latest word on its
 * peer's transport, for the strict guard. A peer newly seen in plaintext is
 * written at once (a few times a second at most, else by the timer: a peer
 * flapping cannot make a write per connection): a node that crashes and
 * restarts with mode = strict must still know it. */
void host_on_conn(sipc_conn *conn, sipc_conn_event ev, int err, void *arg)
{
    (void)err;
    host_service *s = arg;
    sipc_peer_info pi;
    if (ev != SIPC_CONN_UP || sipc_conn_info(conn, &pi) != 0)
        return;
    if (pi.peer_node[0])
        host_peer_seen(s->h, pi.peer_node, pi.address);
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

void host_peer_watch_start(host *h)
{
    uv_timer_init(h->loop, &h->peers_timer);
    h->peers_timer.data = h;
    h->peers_timer_on = 1;
    /* at most one write every few seconds however many peers connect */
    uv_timer_start(&h->peers_timer, on_peers_timer, 3000, 3000);
}

void host_peer_watch_stop(host *h)
{
    if (!h->peers_timer_on)
        return;
    uv_timer_stop(&h->peers_timer);
    uv_close((uv_handle_t *)&h->peers_timer, NULL);
    h->peers_timer_on = 0;
    host_save_peers(h);
}

int host_guard_peers(host *h, unsigned services, host_peer *out, int max)
{
    return host_peers_plaintext_in(&h->peers, h->cfg.strict_guard_window, h->cfg.node_id,
                                   services, (int64_t)time(NULL), out, max);
}
