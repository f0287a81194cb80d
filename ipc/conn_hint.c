/* conn_hint.c - what an operator of a cluster does about an error a
 * connection's stream found, appended to conn.c's message. */
#include <stdio.h>

#include "ipc/internal.h"
#include "ipc/security.h"

const char *sipc__conn_operator_hint(int err, const sipc_conn *c, char *buf, size_t len)
{
    int is_server = c->is_server;
    /* a listener whose owner said why it alone requires TLS: the peer's
     * fix is then not this node's TLS switch */
    const char *why = is_server && err == SIPC_EPLAINTEXT ? sipc__security_tls_reason(c->sec) : "";
    if (*why) {
        snprintf(buf, len, ": %s", why);
        return buf;
    }
    if (err == SIPC_ENOPEERCERT)
        return is_server ? "; mutual TLS needs the cluster's certificate on both ends: every node, "
                           "and every client machine, must import the cluster's key pair"
                         : "; mutual TLS needs the cluster's certificate on both ends: import the "
                           "cluster's key pair on the peer";
    const char *plain = err == SIPC_ETLSONPLAIN && !is_server ? sipc__security_plain_reason(c->sec) : "";
    if (*plain) {
        snprintf(buf, len, " (%s)", plain);
        return buf;
    }
    if (err == SIPC_ETLSONPLAIN)
        return is_server ? ": is TLS enabled on every node? (turn TLS on everywhere and reload, or "
                           "use mode = permissive while migrating; a peer that accepts both "
                           "retries in plaintext)"
                         : " (on a node: turn TLS on and reload; on a client machine: import the "
                           "cluster's key pair)";
    if (err == SIPC_EPLAINTEXT)
        return is_server ? ": is TLS enabled on every node? (turn TLS on everywhere and reload, or "
                           "use mode = permissive while migrating)"
                         : " (enable TLS on every node, or use mode = permissive while migrating)";
    return "";
}
