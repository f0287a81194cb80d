/* drop_judge.h - how the guard of a step that narrows this home's trust
 * (trust_guard.h: `tlstool rotate finish`, an abort that drops the staged
 * pair, `crl add`, `crl remove`) judges one [cluster] node from its two
 * dials: the first with this home's pair and trust, the second with the
 * trust this node keeps after the step (the pair dropped left out, the CRL
 * added, or the CRL removed left out):
 * cut_judge.h's judgement, which sipcd's CRL guard makes too, and a node
 * presenting the pair a step drops refused on its fingerprint alone. */
#ifndef SIPC_TLSTOOL_DROP_JUDGE_H
#define SIPC_TLSTOOL_DROP_JUDGE_H

#include "services/common/cut_judge.h"
#include "services/tlstool/tlstool.h"

/* first: the node's first probe; second: its second, or NULL when none was
 * made (no TLS setup for it); dropped: the SHA-256 of the pair dropped, or
 * NULL (or "") when the step drops no pair (a CRL added): then only the
 * second dial can tell a node refused. */
cut_verdict drop_judge(const node_probe *first, const node_probe *second, const char *dropped);

#endif
