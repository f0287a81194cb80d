/* trust_impl.h - what trust.c (chain building and the path rules) shares
 * with trust_crl.c (revocation). Private to certs/. */
#ifndef SIPC_CERTS_TRUST_IMPL_H
#define SIPC_CERTS_TRUST_IMPL_H

#include "certs/trust.h"
#include "certs/x509_info.h"

typedef struct anchor {
    sipc_der der;
    sipc_x509 x;
    char source[16]; /* "own pair", "trust store" */
    bool pair_leaf;  /* a key pair's own self-signed certificate (own, staged or previous
                      * pair), pinned as itself; not a root its chain carries */
} anchor;

typedef struct crl_entry {
    sipc_der der;
    sipc_crl c;
    char name[128];
} crl_entry;

struct sipc_trust {
    sipc_trust_policy policy;
    anchor *anchors;
    int nanchors, canchors;
    /* own chain, leaf first (copies) */
    sipc_der own[SIPC_KP_MAX_CHAIN];
    sipc_x509 own_x[SIPC_KP_MAX_CHAIN];
    int nown;
    int own_self_signed;
    /* the certificate of the rotation pair added last (its leaf, which a
     * peer at that step presents), its issuer and its role; "" when none */
    char rotation_fp[65];
    char rotation_issuer[256];
    char rotation_role[16];
    /* the staged pair is the one a rotation's roll back left (state
     * rolled-back): the pair this node moved to and came back from */
    int rotation_rolled_back;
    /* the pair in security/previous/ while it is not trusted (a rotation
     * finished, or one aborted): never an anchor, only named when a peer is
     * refused for presenting it (sipc_trust_set_former) */
    sipc_der former[SIPC_KP_MAX_CHAIN];
    sipc_x509 former_x[SIPC_KP_MAX_CHAIN];
    int nformer;
    sipc_previous_origin former_how; /* how it came to previous/: the refusal's words */
    crl_entry *crls;
    int ncrls, ccrls;
};

/* One verification: the trust, the presented chain (DER and parsed), how
 * many CRL-signer validations it is nested in and, inside one, which CRL's
 * signer (by fingerprint) it validates. */
typedef struct vctx {
    const sipc_trust *t;
    const sipc_der *chain;
    const sipc_x509 *px;
    int n;
    time_t now;
    int depth;
    const crl_entry *signing;
    const char *signer_fp;
    sipc_vfy_result *res; /* its window narrows with every date consulted */
} vctx;

/* A CRL signer's certificate that is not the issuer in the path is
 * validated on its own path, at most this deep (a loop of CRL signers ends). */
#define SIPC_CRL_SIGNER_DEPTH 2

sipc_vfy_status sipc__vfail(sipc_vfy_result *res, sipc_vfy_status st, int depth, const char *fix,
                            const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* res's fix, already failed (sipc__vfail), in the words of kind for a
 * peer presenting the chain (vfy_fix.c); sipc_vfy_fix_for words it for
 * another reader. */
void sipc__vfix(sipc_vfy_result *res, sipc_vfy_fix_kind kind);
/* An expired certificate's fix begins so: a clock set ahead reads every
 * certificate as expired (trust.c, vfy_fix.c). */
#define SIPC__CLOCK_FIRST                                                                    \
    "check this machine's clock first (`date -u`: set ahead, it reads a valid certificate as " \
    "expired; then fix the clock, not the pair); if it is right, "
/* What to do with a staged pair's file once it is fixed: a format whose %s
 * names the file. */
#define SIPC__STAGE_AGAIN "stage it again (`tlstool rotate stage %s --force`)"
/* An empty result: OK, no links, a window without bounds. */
void sipc__vinit(sipc_vfy_result *res);
/* Narrows res's window to [from, until] (a date the verdict depends on). */
void sipc__vwindow(sipc_vfy_result *res, time_t from, time_t until);
void sipc__vwarn(sipc_vfy_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *sipc__name_or(const char *s);
/* Verifies chain (leaf first, the signer of CRL crl) as the path of a CRL
 * signer: the path rules, no leaf rules (the caller checks cRLSign). */
sipc_vfy_status sipc__verify_signer(const sipc_trust *t, const sipc_der *chain, int n, time_t now,
                                    int depth, const crl_entry *crl, sipc_vfy_result *res);
/* RFC 5280 6.3: the status of x (link i of the path), issued by iss, from
 * the CRLs of t; fails res with revoked or (per policy) revocation-unknown. */
sipc_vfy_status sipc__check_revocation(const vctx *v, const sipc_x509 *x, const sipc_x509 *iss,
                                       int i, sipc_vfy_result *res);

/* A self-issued certificate whose signature its own key verifies. */
bool sipc__self_signed(const sipc_x509 *x);
/* trust_former.c: a path from leaf that ends at cur without a trusted
 * anchor (st: how the verifier words that) is worded anew when it is the
 * pair of security/previous/ this side no longer trusts
 * (sipc_trust_set_former): its leaf when self-signed, else a CA of its
 * chain that cur is, that signed cur or that cur signed; never when leaf
 * is this side's own certificate or its rotation pair's, which share that
 * CA without being the pair replaced. Such a peer missed
 * the rotation: advice to trust its root would undo it. st, with res's
 * reason and fix replaced when so. */
sipc_vfy_status sipc__former_refusal(const sipc_trust *t, const sipc_x509 *leaf,
                                     const sipc_x509 *cur, sipc_vfy_status st,
                                     sipc_vfy_result *res);

/* RFC 5280 certificate policy processing (policy_tree.c) over path (leaf
 * first, path[np - 1] the anchor), with sipc's inputs: any policy, nothing
 * explicit or inhibited from the start. Fails res with SIPC_VFY_POLICY when
 * requireExplicitPolicy takes effect and no policy is valid. */
sipc_vfy_status sipc__check_policy_tree(const sipc_x509 *const *path, int np, sipc_vfy_result *res);

#endif
