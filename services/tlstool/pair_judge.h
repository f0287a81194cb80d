/* pair_judge.h - how a key pair that a command makes this home's own
 * (import, rotate stage, rotate commit; rotate status of the staged pair)
 * stands with this home's trust: whether it verifies and, when it does
 * not, whether this home can still complete it (`trust add`, `crl add`)
 * or the defect is the pair's own. The library's judgement, which a node
 * makes of its staged pair too, so that none takes a pair another would
 * refuse. */
#ifndef SIPC_TLSTOOL_PAIR_JUDGE_H
#define SIPC_TLSTOOL_PAIR_JUDGE_H

#include "services/tlstool/tlstool.h"

typedef struct pair_judgement {
    sipc_pair_verdict v; /* the library's judgement (sipc_trust_judge_pair) */
    int have_pair;       /* a pair is imported here */
    int unjudged;        /* the staged pair: no judgement could be made (v.res says why) */
} pair_judgement;

/* kp judged as this home's own pair by sipc_trust_judge_pair, a trust/ or
 * crl/ file sipcd refuses named in a warning: 0, or the exit code when the
 * judgement cannot be made (said). */
int pair_judge(const opts *o, const sipc_config *cfg, const sipc_keypair *kp, pair_judgement *j);

#endif
