/* pair_judge.h - how a key pair that a command makes this home's own
 * (import, rotate stage, rotate commit; rotate status of the staged pair)
 * stands with this home's trust: whether it verifies and, when it does
 * not, whether this home can still complete it (`trust add`, `crl add`)
 * or the defect is the pair's own. One judgement for every such command,
 * so that none takes a pair another would refuse. */
#ifndef SIPC_TLSTOOL_PAIR_JUDGE_H
#define SIPC_TLSTOOL_PAIR_JUDGE_H

#include "services/tlstool/tlstool.h"

typedef struct pair_judgement {
    sipc_vfy_result res; /* res.status is SIPC_VFY_OK, res.reason "", when it verifies */
    int completable;     /* it does not verify yet, for want of what this home's trust can
                          * add: its root, an intermediate, a CRL of its CA */
    char policy[1200];   /* why this home, kp its pair, could not use TLS (a CA and no
                          * [tls] subject: sipc_trust_check_policy); "" when it could */
    int have_pair;       /* a pair is imported here */
} pair_judgement;

/* kp verified now for TLS client and server with this home's trust, kp
 * standing in for its own pair (build_trust): 0, or the exit code when the
 * trust cannot be loaded (said). */
int pair_judge(const opts *o, const sipc_config *cfg, const sipc_keypair *kp, pair_judgement *j);

#endif
