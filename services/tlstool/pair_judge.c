/* pair_judge.c - see pair_judge.h. */
#include "services/tlstool/pair_judge.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int pair_judge(const opts *o, const sipc_config *cfg, const sipc_keypair *kp, pair_judgement *j)
{
    memset(j, 0, sizeof *j);
    sipc_trust *t;
    int r = build_trust(o, cfg, kp, &t, &j->have_pair);
    if (r)
        return r;
    if (sipc_trust_verify(t, kp->certs, kp->ncerts, SIPC_PURPOSE_BOTH, time(NULL), &j->res) == 0) {
        j->res.status = SIPC_VFY_OK;
        j->res.reason[0] = 0; /* every caller reads a reason as "it does not verify" */
    }
    sipc_vfy_status st = j->res.status;
    j->completable = st == SIPC_VFY_UNTRUSTED_ROOT || st == SIPC_VFY_INCOMPLETE_CHAIN ||
                     st == SIPC_VFY_REVOCATION_UNKNOWN;
    if (sipc_trust_check_policy(t, j->policy, sizeof j->policy) == 0)
        j->policy[0] = 0;
    sipc_trust_free(t);
    return 0;
}

void pair_fix_again(pair_judgement *j, const char *again)
{
    char import[sizeof j->res.fix];
    snprintf(import, sizeof import, SIPC_VFY_FIX_MISSING_ISSUER, SIPC_VFY_AGAIN_IMPORT);
    /* only the verifier's words for a missing issuer: a fix of its own
     * (a chain too long, the peer of a replaced pair) names no import */
    if (j->res.status == SIPC_VFY_INCOMPLETE_CHAIN && !strcmp(j->res.fix, import))
        snprintf(j->res.fix, sizeof j->res.fix, SIPC_VFY_FIX_MISSING_ISSUER, again);
}
