/* drop_judge.h - how the guard of a step that narrows this home's trust
 * (trust_guard.h: `tlstool rotate finish`, an abort that drops the staged
 * pair, `crl add`) judges one [cluster] node from its two dials: the first
 * with this home's pair and trust, the second with the trust this node
 * keeps after the step (the pair dropped left out, or the CRL added). Both
 * present the same certificate, this node's, so each failure says whose
 * trust refused whose certificate. */
#ifndef SIPC_TLSTOOL_DROP_JUDGE_H
#define SIPC_TLSTOOL_DROP_JUDGE_H

#include "services/tlstool/tlstool.h"

typedef enum {
    DROP_KEPT,      /* nothing to fear: plaintext (no certificate to refuse), or accepted again */
    DROP_REFUSED,   /* it presents a certificate only the pair dropped vouches for (or one
                       the CRL added revokes): refused by this node from the step on */
    DROP_UNASKED,   /* which pair it presents could not be learnt */
    DROP_TRUST_MOVED /* it accepted this node's certificate in the first dial and refused it
                        in the second: its own trust changed between the two; this node did
                        not refuse its certificate */
} drop_verdict;

/* first: the node's first probe; second: its second, or NULL when none was
 * made (no TLS setup for it); dropped: the SHA-256 of the pair dropped, or
 * NULL (or "") when the step drops no pair (a CRL added): then only the
 * second dial can tell a node refused. */
drop_verdict drop_judge(const node_probe *first, const node_probe *second, const char *dropped);

#endif
