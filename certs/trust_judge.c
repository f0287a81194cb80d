/* trust_judge.c - a key pair judged as its home's own (import, a
 * rotation's stage and commit, the staged pair in a node's status and in
 * `tlstool status`): one judgement, made here for every program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error_text.h"
#include "certs/trust.h"
#include "certs/trust_impl.h"

/* a refused file left out, unsaid, when the caller asks for no word */
static void unsaid(void *arg, const char *text)
{
    (void)arg;
    (void)text;
}

int sipc_trust_load_as_own(sipc_trust **out, const char *home, const sipc_trust_policy *policy,
                           const sipc_keypair *kp, sipc_trust_refused_fn *refused, void *arg,
                           char *err, size_t errlen)
{
    sipc_trust *t;
    *out = NULL;
    if (sipc_trust_new(&t, policy) != 0) {
        sipc__seterr(err, errlen, "out of memory");
        return SIPC_ENOMEM;
    }
    int r = kp ? sipc_trust_set_own(t, kp, err, errlen) : 0;
    if (r == SIPC_ETLSCONFIG)
        r = SIPC_EFORMAT;
    /* a file sipcd refuses is the home's defect, not the pair's: left out */
    if (r == 0)
        r = sipc_trust_add_home_files(t, home, refused ? refused : unsaid, arg, err,
                                      errlen);
    if (r != 0) {
        sipc_trust_free(t);
        return r;
    }
    *out = t;
    return 0;
}

int sipc_trust_judge_pair(const char *home, const sipc_trust_policy *policy,
                          const sipc_keypair *kp, time_t now, sipc_trust_refused_fn *refused,
                          void *arg, sipc_pair_verdict *v, char *err, size_t errlen)
{
    memset(v, 0, sizeof *v);
    sipc_trust *t;
    int r = sipc_trust_load_as_own(&t, home, policy, kp, refused, arg, err, errlen);
    if (r != 0)
        return r;
    if (sipc_trust_verify(t, kp->certs, kp->ncerts, SIPC_PURPOSE_BOTH, now, &v->res) == 0) {
        v->res.status = SIPC_VFY_OK;
        v->res.reason[0] = 0; /* every caller reads a reason as "it does not verify" */
    }
    v->completable = sipc_vfy_completable(v->res.status);
    if (sipc_trust_check_policy(t, v->policy, sizeof v->policy) == 0)
        v->policy[0] = 0;
    sipc_trust_free(t);
    return 0;
}

int sipc_staged_load(const char *home, sipc_keypair *kp, sipc_vfy_result *res)
{
    char path[1200], err[sizeof res->reason], fix[300];
    snprintf(path, sizeof path, "%s/security/staged/node.crt", home);
    memset(kp, 0, sizeof *kp);
    if (sipc_keypair_load_pem(kp, path, NULL, err, sizeof err) == 0)
        return 0;
    sipc__vinit(res);
    snprintf(fix, sizeof fix, SIPC__STAGE_AGAIN, "FILE");
    sipc__vfail(res, SIPC_VFY_MALFORMED, -1, fix, "%s", err);
    return SIPC_ETLSCONFIG;
}

int sipc_trust_judge_staged(const char *home, const sipc_trust_policy *policy, time_t now,
                            sipc_trust_refused_fn *refused, void *arg, sipc_vfy_result *res)
{
    sipc_keypair kp;
    if (sipc_staged_load(home, &kp, res) != 0)
        return SIPC_EPEERAUTH;
    /* the verdict (8 KiB and more) on the heap: a node judges it on a
     * thread whose stack already holds a key's load */
    sipc_pair_verdict *v = malloc(sizeof *v);
    char why[sizeof res->reason];
    int r = v ? sipc_trust_judge_pair(home, policy, &kp, now, refused, arg, v, why, sizeof why)
              : SIPC_ENOMEM;
    sipc_keypair_free(&kp);
    if (r != 0) {
        /* nothing is known of the pair itself: what stopped the judgement
         * is what to fix, not the pair */
        sipc__vinit(res);
        sipc__vfail(res, SIPC_VFY_MALFORMED, -1,
                    "fix what is named; then `tlstool rotate status` judges the staged pair",
                    "%s", r == SIPC_ENOMEM ? "out of memory" : why);
    } else {
        *res = v->res;
        sipc_vfy_fix_for(res, SIPC_VFY_FOR_STAGE, NULL);
    }
    free(v);
    if (r != 0)
        return r;
    return res->status == SIPC_VFY_OK ? 0 : SIPC_EPEERAUTH;
}
