/* pair_judge.c - see pair_judge.h. */
#include "services/tlstool/pair_judge.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int pair_judge(const opts *o, const sipc_config *cfg, const sipc_keypair *kp, pair_judgement *j)
{
    char path[1200], err[1600];
    sipc_trust_policy pol;
    memset(j, 0, sizeof *j);
    snprintf(path, sizeof path, "%s/security/node.crt", o->home);
    j->have_pair = file_exists(path);
    policy_of(cfg, &pol);
    int r = sipc_trust_judge_pair(o->home, &pol, kp, time(NULL), say_refused, NULL, &j->v, err,
                                  sizeof err);
    return r ? fail(trust_exit(r, err, sizeof err), "%s", err) : 0;
}
