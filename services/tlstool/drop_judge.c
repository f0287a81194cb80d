/* drop_judge.c - see drop_judge.h. */
#include "services/tlstool/drop_judge.h"

#include <string.h>

#include "sipc/errno.h"

drop_verdict drop_judge(const node_probe *first, const node_probe *second, const char *dropped)
{
    /* a node in plaintext presents no certificate to refuse */
    if (first->up && !first->info.tls)
        return DROP_KEPT;
    /* one presenting the pair dropped is refused whatever the second
     * handshake says: that one only adds the nodes no fingerprint names */
    if (first->up && dropped && dropped[0] && !strcmp(first->live_fp, dropped))
        return DROP_REFUSED;
    if (!first->up || !second)
        return DROP_UNASKED;
    if (second->up)
        return DROP_KEPT;
    /* this node's verifier, with the trust it keeps, refused the node's
     * certificate, which the first handshake accepted */
    if (second->err == SIPC_EPEERAUTH)
        return DROP_REFUSED;
    /* the node refused this node's certificate, which it had just accepted:
     * not a certificate this node will refuse */
    if (second->err == SIPC_ECERTREFUSED)
        return DROP_TRUST_MOVED;
    return DROP_UNASKED;
}
