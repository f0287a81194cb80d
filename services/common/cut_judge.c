/* cut_judge.c - see cut_judge.h. */
#include "cut_judge.h"

#include "sipc/errno.h"

cut_verdict cut_judge(const cut_dial *now, const cut_dial *after)
{
    if (now->up && !now->tls)
        return CUT_PLAIN;
    if (!now->up || !after)
        return CUT_UNASKED;
    if (after->up)
        return CUT_KEPT;
    /* this node's verifier, with the trust after the change, refused the
     * node's certificate, which the first dial accepted */
    if (after->err == SIPC_EPEERAUTH)
        return CUT_REFUSED;
    /* the node refused this node's certificate, which it had just accepted */
    if (after->err == SIPC_ECERTREFUSED)
        return CUT_TRUST_MOVED;
    return CUT_UNASKED;
}

int cut_refuses(int ncut, int nkept, int partial)
{
    return ncut > 0 && (!partial || nkept == 0);
}
