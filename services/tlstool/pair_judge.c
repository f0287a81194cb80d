/* pair_judge.c - see pair_judge.h. */
#include "services/tlstool/pair_judge.h"

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
    j->completable = sipc_vfy_completable(j->res.status);
    if (sipc_trust_check_policy(t, j->policy, sizeof j->policy) == 0)
        j->policy[0] = 0;
    sipc_trust_free(t);
    return 0;
}
