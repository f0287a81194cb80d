/* cut_judge.h - the judgement that both guards of a change narrowing this
 * node's trust make of each [cluster] node: tlstool's (trust_guard.c: a
 * rotation's finish, an abort that drops the staged pair, `crl add`, `crl
 * remove` under revocation = hard) and
 * sipcd's CRL and trust guards of a reload (crl_guard.c). Each node is dialled with
 * the trust this node runs now and with the trust it has after the change;
 * both dials present this node's certificate, so each failure says whose
 * trust refused whose certificate. What each program says of the verdicts
 * is its own. tlstool's guard of a rotation's commit (commit_guard.c)
 * judges the same way two dials with one trust whose second presents the
 * staged pair: CUT_TRUST_MOVED is then the node refusing that pair. */
#ifndef SIPC_CUT_JUDGE_H
#define SIPC_CUT_JUDGE_H

/* One dial of a node (sys.info). */
typedef struct cut_dial {
    int up;  /* answered */
    int tls; /* when up: over TLS */
    int err; /* when not up: why, a SIPC_* code */
} cut_dial;

typedef enum {
    CUT_PLAIN,      /* answered in plaintext: no certificate to refuse, counts neither way */
    CUT_KEPT,       /* accepted over TLS after the change too */
    CUT_REFUSED,    /* accepted now, refused by this node's verifier after the change: cut
                       off by it */
    CUT_UNASKED,    /* whose certificate the change refuses could not be learnt: down,
                       refused already, no second dial, or it failed for another reason */
    CUT_TRUST_MOVED /* it accepted this node's certificate in the first dial and refused it
                       in the second: its own trust changed between the two, this node
                       refused nothing */
} cut_verdict;

/* now: the dial with the trust this node runs; after: the one with the
 * trust after the change, NULL when none was made. */
cut_verdict cut_judge(const cut_dial *now, const cut_dial *after);

/* Whether the change is refused as a whole (unless forced), of ncut nodes
 * cut off (CUT_REFUSED) and nkept kept (CUT_KEPT): when it cuts any off;
 * with partial (a CRL, whose purpose is to cut off the nodes whose
 * certificates it revokes), only when none stays kept. */
int cut_refuses(int ncut, int nkept, int partial);

#endif
