/* channel_reoffer.c - a permissive channel's fall back to plaintext, said
 * when it happens; and its plaintext link to a peer that takes TLS
 * replaced by a TLS link (section 9 of docs/protocol.md): its plaintext
 * came from a fallback, which nothing else would undo while the link
 * stays up. */
#include <stdio.h>

#include "base/str_copy.h"

#include "ipc/internal.h"
#include "ipc/security.h"

/* The first offer of TLS again on a plaintext link whose peer takes TLS
 * goes at once; each that falls back again (a listener closing TLS
 * handshakes it is too busy for) makes the next wait twice as long, from
 * this up to SIPC__MODE_REFUSED_MAX_MS, so that such a peer is not asked
 * for a refused handshake and a new link in a loop. */
#define SIPC__REOFFER_FIRST_MS 1000

static void on_reoffer(uv_timer_t *t)
{
    sipc_channel *ch = t->data;
    sipc_conn *c = ch->conn;
    if (ch->closing || !c || c->state != SIPC_CONN_S_UP || ch->up_tls ||
        sipc_security_mode(ch->ctx->sec) == SIPC_TLS_OFF)
        return;
    char key[300];
    snprintf(key, sizeof key, "%s takes TLS: plaintext link replaced", ch->where);
    sipc__log_limited(ch->ctx, key, SIPC_LOG_INFO, "Transport.Conn",
                      "%s (node %s) takes TLS on this port now; this link fell back to "
                      "plaintext when its TLS was refused or closed unanswered: replacing it "
                      "with a TLS link",
                      ch->where, c->peer_node);
    /* through GOAWAY: calls on it are answered, new ones wait for the TLS
     * link, which ch_draining dials with plaintext fallback cleared */
    (void)sipc__conn_retire(c, 0);
}

/* A plaintext link of a permissive dialer exists because its TLS was
 * refused or closed unanswered; a peer whose hello says it takes TLS here
 * refused it with a setup it no longer runs (a reload between the refusal
 * and the plaintext retry, which that reload then did not replace) or was
 * too busy: left alone the link would stay plaintext as long as it stays
 * up, and the peer's strict guard would list this node. */
void sipc__channel_reoffer_tls(sipc_channel *ch, sipc_conn *c)
{
    if (ch->up_tls) {
        ch->reoffer_ms = 0;
        ch->tls_refused = 0;
        return;
    }
    /* its TLS was refused for a certificate or trust: asking again would
     * be refused again, each time a GOAWAY of this working link */
    if (ch->tls_refused)
        return;
    if (!c->peer_tls_accepted || c->retire_at_up || sipc_security_mode(c->sec) != SIPC_TLS_PERMISSIVE)
        return;
    uint32_t delay = ch->reoffer_ms;
    uint32_t next = delay ? 2 * delay : SIPC__REOFFER_FIRST_MS;
    ch->reoffer_ms = next < SIPC__MODE_REFUSED_MAX_MS ? next : SIPC__MODE_REFUSED_MAX_MS;
    /* not from inside the hello's frame: through the timer */
    uv_timer_start(&ch->timer, on_reoffer, delay, 0);
}

/* A peer whose hello says it takes TLS but that refuses our certificate, or
 * presents one this side does not trust (a permissive cluster whose nodes
 * hold different pairs), refuses every offer alike: only a change of
 * either side's pair or trust changes that. The link it was to replace
 * comes back in plaintext and stays so; a timeout, a reset or a close is
 * no such verdict, and takes the usual way (ch_down). */
int sipc__reoffer_said(const sipc_conn *c, int err, int was_up)
{
    return c->replaces_plain && !was_up && sipc_err_classify(err) == SIPC_CLASS_AUTH;
}

int sipc__channel_reoffer_refused(sipc_channel *ch, sipc_conn *c, int err)
{
    if (!sipc__reoffer_said(c, err, 0))
        return 0;
    ch->plain_fallback = 1;
    ch->tls_refused = err;
    sipc_str_copy_utf8(ch->tls_refused_detail, sizeof ch->tls_refused_detail,
                       c->down_detail[0] ? c->down_detail : sipc_strerror(err));
    /* the connection's own line is left to this one (sipc__conn_close) */
    sipc__log(ch->ctx, SIPC_LOG_WARN, "Transport.Conn",
              "%s (node %s) takes TLS but refused this side's TLS (%s: %s); the link stays "
              "plaintext and TLS is not offered to it again until this side's security changes "
              "(a reload), the link goes down or the peer replaces it (its reload): for TLS, "
              "both need the same key pair, trusted on both sides",
              ch->where, ch->peer_node, sipc_err_name(err), ch->tls_refused_detail);
    return 1;
}

void sipc__channel_reoffer_rearm(sipc_channel *ch)
{
    int refused = ch->tls_refused;
    ch->reoffer_ms = 0;
    ch->tls_refused = 0;
    if (refused && !ch->closing && ch->conn && ch->conn->state == SIPC_CONN_S_UP)
        sipc__channel_reoffer_tls(ch, ch->conn);
}

void sipc__channel_fallback_said(sipc_channel *ch, sipc_conn *c, int err)
{
    const char *what = err == SIPC_EPLAINTEXT
                           ? "answers in plaintext"
                           : "closed the connection without a word to our TLS handshake "
                             "(a plaintext node of an older version?)";
    if (sipc__security_offer_only(c->sec)) {
        /* TLS is off here: plaintext is what this side is set to;
         * said once per peer, then at DEBUG */
        sipc__log(ch->ctx, ch->fallback_said ? SIPC_LOG_DEBUG : SIPC_LOG_INFO,
                  "Transport.Conn",
                  "%s %s: this side's security offers TLS first while TLS is off here, "
                  "and falls back to plaintext: retrying in plaintext",
                  ch->where, what);
        ch->fallback_said = 1;
    } else {
        /* a downgrade, which anyone on the path can cause by
         * closing the TLS attempt: a warning, once per interval
         * per peer (a link up keeps its plaintext until it drops) */
        char key[400];
        snprintf(key, sizeof key, "Plaintext fallback to %s", ch->where);
        sipc__log_limited(ch->ctx, key, SIPC_LOG_WARN, "Transport.Conn",
                          "%s %s; this side offers TLS first and accepts plaintext "
                          "(permissive): retrying in plaintext, so this link will be "
                          "neither encrypted nor authenticated. Anyone on the path can "
                          "force this; once every node runs TLS, `mode = strict` refuses it",
                          ch->where, what);
    }
}
