/* conn_log.c - a connection's lines about its end (closed by the peer,
 * closed for a reason) and the rate-limit keys they are counted under: per
 * peer host and node, per host and reason, per host whatever the reason
 * (log_limited.c), so that no peer, whatever it sends, floods the log or
 * hides another's lines. */
#include <stdio.h>
#include <string.h>

#include "base/str_copy.h"
#include "ipc/internal.h"

/* The reason of a close as a rate-limit key, which the report of the lines
 * held back prints: the detail with the peer's address as its host only (a
 * peer reconnects from new ports, and each connection's detail names its
 * own), and the first bytes a peer that speaks no sipc sent as "..." (one
 * sending junk would otherwise be a new reason with each connection).
 * Else whole, so two reasons that differ late (another subject, another
 * attribute) are two, and so are two identities that differ in a number
 * (CN=host101, CN=host202). digits: every run of three digits or more as
 * one '#', for the host's key that bounds them (bytes, ports and times vary
 * from one connection to the next; short numbers such as a TLS version are
 * part of the reason). offers: what the peer offered (groups, signature
 * algorithms) as "...", for the host's key (a scanner that offers one at a
 * time is one reason) and the text its report shows: one real reason of
 * those it counts, with its numbers as they were (P-256, not P-#), but no
 * single peer's offer. */
static void conn_reason_key(char *out, size_t len, const char *detail, const char *addr,
                            int digits, int offers)
{
    static const char *const offered[] = {"offered: ", "offers only: "};
    char host[160];
    sipc__peer_host(addr, host, sizeof host);
    size_t alen = strlen(addr), hlen = strlen(host), n = 0;
    while (*detail && n + 1 < len) {
        const char *offer = NULL;
        for (size_t i = 0; offers && !offer && i < sizeof offered / sizeof offered[0]; i++)
            if (strncmp(detail, offered[i], strlen(offered[i])) == 0)
                offer = offered[i];
        if (offer) {
            snprintf(out + n, len - n, "%s...", offer);
            return;
        }
        size_t open = 0, quoted = sipc__foreign_quote(detail, &open);
        if (quoted) {
            n += (size_t)snprintf(out + n, len - n, "%.*s...", (int)open, detail);
            if (n >= len)
                n = len - 1;
            detail += open + quoted;
        } else if (alen && strncmp(detail, addr, alen) == 0) {
            detail += alen;
            if (n + hlen < len) {
                memcpy(out + n, host, hlen);
                n += hlen;
            }
        } else if (digits && strspn(detail, "0123456789") >= 3) {
            detail += strspn(detail, "0123456789");
            out[n++] = '#';
        } else {
            out[n++] = *detail++;
        }
    }
    out[n] = '\0';
}

/* "Connections from 127.0.0.1 (node n2)" for the keys of a connection's
 * lines (host_key: without the node); dir is "from" or "to". */
static void conn_log_keys(const sipc_conn *c, char *key, size_t klen, char *host_key, size_t hlen)
{
    char host[160];
    sipc__peer_host(c->peer_addr, host, sizeof host);
    const char *dir = c->is_server ? "from" : "to";
    if (c->peer_node[0])
        snprintf(key, klen, "Connections %s %s (node %s)", dir, host, c->peer_node);
    else
        snprintf(key, klen, "Connections %s %s", dir, host);
    snprintf(host_key, hlen, "Connections %s %s (various %s)", dir, host,
             c->peer_node[0] ? "nodes" : "peers");
}

/* Limited like the up lines: a probe that connects every second is one
 * line per interval, not one per connection. */
void sipc__conn_log_closed_by_peer(sipc_conn *c)
{
    char key[400], host_key[300];
    conn_log_keys(c, key, sizeof key, host_key, sizeof host_key);
    strncat(key, " closed by the peer", sizeof key - strlen(key) - 1);
    strncat(host_key, " closed by the peer", sizeof host_key - strlen(host_key) - 1);
    sipc__log_limited_host(c->ctx, key, host_key, SIPC_LOG_INFO, "Transport.Conn",
                           "%s %s (node %s) closed by the peer",
                           c->is_server ? "Connection from" : "Connection to", c->peer_addr,
                           c->peer_node);
}

/* The same peer host and node failing for the same reason is one line per
 * interval; another reason is another line, and so is another node (a few
 * per host per interval, whatever the reasons and nodes, then counted
 * under the host). */
void sipc__conn_log_failed(sipc_conn *c, int err, int level)
{
    char key[1000], host_key[1000], host_text[1000], host_any[300], host[160];
    conn_log_keys(c, key, sizeof key, host_key, sizeof host_key);
    sipc_str_copy(host_text, sizeof host_text, host_key);
    /* a peer chooses its reasons (the bytes it sends, the names in its
     * certificate or hello): whatever they are, a host gets its few lines */
    sipc__peer_host(c->peer_addr, host, sizeof host);
    snprintf(host_any, sizeof host_any, "Connections %s %s closed for various reasons",
             c->is_server ? "from" : "to", host);
    char reason[800];
    size_t n = (size_t)snprintf(reason, sizeof reason, " closed: %s%s: ",
                                c->resume_refused ? "TLS session not resumed, " : "",
                                sipc_err_name(err));
    conn_reason_key(reason + n, sizeof reason - n, c->down_detail, c->peer_addr, 0, 0);
    strncat(key, reason, sizeof key - strlen(key) - 1);
    conn_reason_key(reason + n, sizeof reason - n, c->down_detail, c->peer_addr, 1, 1);
    strncat(host_key, reason, sizeof host_key - strlen(host_key) - 1);
    conn_reason_key(reason + n, sizeof reason - n, c->down_detail, c->peer_addr, 0, 1);
    strncat(host_text, reason, sizeof host_text - strlen(host_text) - 1);
    if (c->refused_note && err == UV_ECONNREFUSED) {
        /* held apart: these lines never hold back the same refusal's WARN
         * once the link has been up, or the peer long gone */
        strncat(key, c->refused_note, sizeof key - strlen(key) - 1);
        strncat(host_key, c->refused_note, sizeof host_key - strlen(host_key) - 1);
        strncat(host_text, c->refused_note, sizeof host_text - strlen(host_text) - 1);
    }
    const char *hkey = host_key;
    const char *dir = c->is_server ? "Connection from" : "Connection to";
    const char *addr = c->peer_addr[0] ? c->peer_addr : "peer";
    if (c->resume_refused) {
        sipc__log_limited_text(c->ctx, key, hkey, host_text, host_any, level, "Transport.Conn",
                               "%s %s: TLS session not resumed: %s", dir, addr, c->down_detail);
        return;
    }
    /* a detail that only repeats the error's text adds nothing */
    const char *more = strcmp(c->down_detail, sipc_strerror(err)) ? c->down_detail : "";
    char text[1024];
    snprintf(text, sizeof text, "%s %s%s%s%s closed: %s (%s, %s class)%s%s", dir, addr,
             c->peer_node[0] ? " (node " : "", c->peer_node, c->peer_node[0] ? ")" : "",
             sipc_strerror(err), sipc_err_name(err), sipc_err_class_name(sipc_err_classify(err)),
             more[0] ? ": " : "", more);
    if (c->is_server && err == SIPC_ETLSONPLAIN) {
        /* TLS offered to a plaintext listener: a dialer that accepts both
         * is back in plaintext at once (see sipc__log_hold) */
        sipc__log_hold(c->ctx, c->owner, addr, host, key, hkey, host_text, host_any,
                       (sipc_log_level)level, "Transport.Conn", text);
        return;
    }
    sipc__log_limited_text(c->ctx, key, hkey, host_text, host_any, level, "Transport.Conn", "%s",
                           text);
}
