/* trust.c - the one certificate verifier of sipc (see trust.h).
 *
 * Chain building, signatures, dates, CA flags, key usage, subject and
 * revocation are all decided here from the DER, with wolfCrypt only for the
 * signature arithmetic, so that `tlstool verify` and the handshake say the
 * same words. Nothing in here trusts wolfSSL's view of dates (an expired
 * self-signed anchor passes wolfSSL) or names (SAN hides the CN). */
#include "certs/trust.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h> /* WOLFSSL_ALT_CERT_CHAINS: see verify_chain */

#include "base/error_text.h"
#include "base/str_copy.h"
#include "certs/name_constraints.h"
#include "certs/trust_impl.h"
#include "certs/x509_info.h"

static int der_dup(sipc_der *d, const uint8_t *p, size_t n)
{
    d->data = malloc(n ? n : 1);
    if (!d->data)
        return SIPC_ENOMEM;
    memcpy(d->data, p, n);
    d->len = n;
    return 0;
}

int sipc_trust_new(sipc_trust **out, const sipc_trust_policy *policy)
{
    sipc_trust *t = calloc(1, sizeof *t);
    if (!t)
        return SIPC_ENOMEM;
    if (policy)
        t->policy = *policy;
    else
        t->policy.revocation = SIPC_TRUST_REV_SOFT;
    *out = t;
    return 0;
}

void sipc_trust_free(sipc_trust *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->nanchors; i++)
        sipc_der_free(&t->anchors[i].der);
    free(t->anchors);
    for (int i = 0; i < t->nown; i++)
        sipc_der_free(&t->own[i]);
    for (int i = 0; i < t->nformer; i++)
        sipc_der_free(&t->former[i]);
    for (int i = 0; i < t->ncrls; i++)
        sipc_der_free(&t->crls[i].der);
    free(t->crls);
    free(t);
}

static int find_anchor(const sipc_trust *t, const char *fp)
{
    for (int i = 0; i < t->nanchors; i++)
        if (strcmp(t->anchors[i].x.fingerprint, fp) == 0)
            return i;
    return -1;
}

/* pair_leaf: der is a key pair's own self-signed certificate (anchor's
 * pair_leaf). */
static int push_anchor(sipc_trust *t, const uint8_t *der, size_t len, const char *source,
                       bool pair_leaf, char *err, size_t errlen)
{
    assert(t && der && source);
    sipc_x509 x;
    char why[128];
    if (sipc_x509_parse(&x, der, len, why, sizeof why) != 0) {
        sipc__seterr(err, errlen, "not a certificate: %s", why);
        return SIPC_EINVAL;
    }
    int have = find_anchor(t, x.fingerprint);
    if (have >= 0) {
        t->anchors[have].pair_leaf |= pair_leaf;
        return 0;
    }
    if (t->nanchors == t->canchors) {
        int nc = t->canchors ? t->canchors * 2 : 8;
        anchor *na = realloc(t->anchors, (size_t)nc * sizeof *na);
        if (!na)
            return SIPC_ENOMEM;
        t->anchors = na;
        t->canchors = nc;
    }
    anchor *a = &t->anchors[t->nanchors];
    memset(a, 0, sizeof *a);
    if (der_dup(&a->der, der, len) != 0)
        return SIPC_ENOMEM;
    /* re-parse over our own copy so the pointers stay valid */
    int r = sipc_x509_parse(&a->x, a->der.data, a->der.len, NULL, 0);
    assert(r == 0); /* the same bytes parsed above */
    (void)r;
    sipc_str_copy(a->source, sizeof a->source, source);
    a->pair_leaf = pair_leaf;
    t->nanchors++;
    return 0;
}

/* A self-issued certificate whose signature its own key verifies. */
bool sipc__self_signed(const sipc_x509 *x)
{
    bool valid;
    return sipc_x509_self_issued(x) && sipc_x509_signed_by(x, x, &valid) == 0 && valid;
}

int sipc_trust_set_own(sipc_trust *t, const sipc_keypair *kp, char *err, size_t errlen)
{
    if (!t || !kp || kp->ncerts < 1) {
        sipc__seterr(err, errlen, "no certificate in the key pair");
        return SIPC_EINVAL;
    }
    assert(kp->ncerts <= SIPC_KP_MAX_CHAIN);
    for (int i = 0; i < t->nown; i++)
        sipc_der_free(&t->own[i]);
    t->nown = 0;
    t->own_self_signed = 0;
    for (int i = 0; i < kp->ncerts; i++) {
        if (der_dup(&t->own[i], kp->certs[i].data, kp->certs[i].len) != 0)
            return SIPC_ENOMEM;
        t->nown = i + 1;
        char why[128];
        if (sipc_x509_parse(&t->own_x[i], t->own[i].data, t->own[i].len, why, sizeof why) != 0) {
            sipc__seterr(err, errlen, "certificate %d of the pair cannot be read: %s", i, why);
            return SIPC_ETLSCONFIG;
        }
    }
    const sipc_x509 *leaf = &t->own_x[0];
    if (sipc__self_signed(leaf)) {
        t->own_self_signed = 1;
        return push_anchor(t, t->own[0].data, t->own[0].len, "own pair", true, err, errlen);
    }
    /* A root carried in the chain is trusted too. */
    for (int i = 1; i < t->nown; i++) {
        const sipc_x509 *x = &t->own_x[i];
        if (x->is_ca && sipc__self_signed(x)) {
            int r = push_anchor(t, t->own[i].data, t->own[i].len, "own pair", false, err,
                                errlen);
            if (r != 0)
                return r;
        }
    }
    return 0;
}

/* A cluster's own kind of pair: self-signed and itself a node certificate
 * (digitalSignature, serverAuth and clientAuth), so that only the nodes
 * holding its key present what it vouches for. Any other anchor is a CA
 * that may issue to anyone. */
static bool cluster_pair(const sipc_x509 *x)
{
    return sipc__self_signed(x) && (!x->has_ku || (x->ku & SIPC_KU_DIGITAL_SIGNATURE)) && x->has_eku &&
           (x->eku & SIPC_EKU_SERVER) && (x->eku & SIPC_EKU_CLIENT);
}

const char *sipc_trust_subject(const sipc_trust *t)
{
    return t ? t->policy.subject : "";
}

sipc_trust_revocation sipc_trust_revocation_mode(const sipc_trust *t)
{
    return t ? t->policy.revocation : SIPC_TRUST_REV_OFF;
}

bool sipc_trust_pairs_only(const sipc_trust *t)
{
    if (!t || t->nown < 1 || !t->own_self_signed)
        return false;
    for (int i = 0; i < t->nanchors; i++)
        if (!cluster_pair(&t->anchors[i].x))
            return false;
    return true;
}

bool sipc_trust_own_has_subject(const sipc_trust *t, char *msg, size_t len)
{
    sipc__seterr(msg, len, "%s", "");
    if (!t || t->nown < 1 || !t->policy.subject[0])
        return false;
    char why[256];
    const sipc_x509 *x = &t->own_x[0];
    if (sipc_subject_matches(x, t->policy.subject, why, sizeof why)) {
        sipc__seterr(msg, len, "certificate subject '%s' carries the required subject '%s'",
                     sipc__name_or(x->subject), t->policy.subject);
        return true;
    }
    sipc__seterr(msg, len, "certificate subject '%s' differs from the required subject '%s': %s",
                 sipc__name_or(x->subject), t->policy.subject, why);
    return false;
}

/* Why a pair's own self-signed certificate a is not taken for a cluster's
 * pair (cluster_pair), and the fix. Without basicConstraints CA:TRUE it is
 * no certificate authority (the verifier takes nothing it issued), so only
 * what it lacks is said. keytool's defaults (no extension at all) make
 * such pairs; `openssl req -x509` without -addext makes a CA:TRUE one. */
static void pair_not_pinned(const anchor *a, char *err, size_t errlen)
{
    const sipc_x509 *x = &a->x;
    bool no_eku = !x->has_eku || !(x->eku & SIPC_EKU_SERVER) || !(x->eku & SIPC_EKU_CLIENT);
    bool no_ku = x->has_ku && !(x->ku & SIPC_KU_DIGITAL_SIGNATURE);
    const char *lacks = no_eku && no_ku ? "the key usage digitalSignature and the extended key "
                                          "usage serverAuth+clientAuth"
                        : no_ku         ? "the key usage digitalSignature"
                                        : "the extended key usage serverAuth+clientAuth";
    /* a rotation's pair is replaced through the rotation */
    const char *then = !strcmp(a->source, "staged pair")
                           ? "stage that one (`tlstool rotate abort` first)"
                       : !strcmp(a->source, "previous pair") ? "rotate to that one"
                                                             : "use that one";
    sipc__seterr(err, errlen,
                 "this home's key pair '%s' (%s) is %s without %s, so sipc cannot pin it as "
                 "the cluster's pair%s. Make it again as `tlstool create` does: `keytool "
                 "-genkeypair ... -ext KU=digitalSignature,keyCertSign -ext "
                 "EKU=serverAuth,clientAuth -ext BC=ca:true` or `openssl req -x509 ... -addext "
                 "extendedKeyUsage=serverAuth,clientAuth`, and %s%s",
                 sipc__name_or(x->subject), a->source,
                 x->is_ca ? "a self-signed CA (basicConstraints CA:TRUE)" : "self-signed", lacks,
                 x->is_ca ? ": with no [tls] subject set, every certificate it issued would pass "
                            "as a node"
                          : " (it is no CA: it has no basicConstraints CA:TRUE)",
                 then,
                 x->is_ca ? "; for an organisation's CA, set [tls] subject (operator guide, "
                            "section 2)"
                          : "");
}

int sipc_trust_check_policy(const sipc_trust *t, char *err, size_t errlen)
{
    if (!t || t->policy.subject[0])
        return 0;
    if (t->nown > 0 && !t->own_self_signed) {
        sipc__seterr(err, errlen,
                     "this home's pair '%s' is issued by '%s', and no [tls] subject is set: "
                     "every certificate that CA issued (to users, machines, ...) would be "
                     "accepted as a node. Set the subject every node's certificate carries in "
                     "sipc.conf on every node ([tls] subject = %s, or the attributes they share, "
                     "e.g. O and OU)",
                     sipc__name_or(t->own_x[0].subject), sipc__name_or(t->own_x[0].issuer),
                     sipc__name_or(t->own_x[0].subject));
        return SIPC_ECONFIG;
    }
    /* the same for a CA trusted otherwise: `trust add` of an organisation's
     * root, or the root a staged or previous organisation pair carries */
    for (int i = 0; i < t->nanchors; i++) {
        if (cluster_pair(&t->anchors[i].x))
            continue;
        if (t->anchors[i].pair_leaf) {
            pair_not_pinned(&t->anchors[i], err, errlen);
            return SIPC_ECONFIG;
        }
        sipc__seterr(err, errlen,
                     "this home trusts the certificate authority '%s' (%s), and no [tls] subject "
                     "is set: every certificate it issued (to users, machines, ...) would be "
                     "accepted as a node. Set the subject the nodes' certificates carry in "
                     "sipc.conf on every node ([tls] subject = ..., e.g. their O and OU), or "
                     "%s",
                     sipc__name_or(t->anchors[i].x.subject), t->anchors[i].source,
                     /* a rotation's root goes with its pair, not with trust remove */
                     !strcmp(t->anchors[i].source, "staged pair")
                         ? "drop the staged pair that carries that root (`tlstool rotate abort`)"
                     : !strcmp(t->anchors[i].source, "previous pair")
                         ? "stop trusting the previous pair that carries that root (`tlstool "
                           "rotate finish` once every node has committed, or `tlstool rotate "
                           "abort` to go back to it)"
                         : "remove that root (`tlstool trust remove`)");
        return SIPC_ECONFIG;
    }
    return 0;
}

int sipc_trust_add_rotation(sipc_trust *t, const sipc_keypair *kp, const char *role, char *err,
                            size_t errlen)
{
    if (!t || !kp || !role || kp->ncerts < 1 || strlen(role) >= sizeof t->anchors[0].source) {
        sipc__seterr(err, errlen, "no certificate in the key pair");
        return SIPC_EINVAL;
    }
    for (int i = 0; i < kp->ncerts && i < SIPC_KP_MAX_CHAIN; i++) {
        sipc_x509 x;
        char why[128];
        if (sipc_x509_parse(&x, kp->certs[i].data, kp->certs[i].len, why, sizeof why) != 0) {
            sipc__seterr(err, errlen, "certificate %d of the %s cannot be read: %s", i, role, why);
            return SIPC_EINVAL;
        }
        /* the leaf, not the anchor: an issued pair's anchor is its root,
         * while peers at that step present (and are judged by) its leaf */
        if (i == 0) {
            sipc_str_copy(t->rotation_fp, sizeof t->rotation_fp, x.fingerprint);
            sipc_str_copy(t->rotation_issuer, sizeof t->rotation_issuer, x.issuer);
            sipc_str_copy(t->rotation_role, sizeof t->rotation_role, role);
        }
        /* the leaf pinned when self-signed, as the own pair is; for an
         * issued pair only a root it carries, never the leaf itself */
        if (i == 0 ? !sipc__self_signed(&x) : !(x.is_ca && sipc__self_signed(&x)))
            continue;
        int r = push_anchor(t, kp->certs[i].data, kp->certs[i].len, role, i == 0, err, errlen);
        if (r != 0)
            return r;
        if (i == 0)
            break;
    }
    return 0;
}

int sipc_trust_add_root(sipc_trust *t, const uint8_t *der, size_t len, char *err, size_t errlen)
{
    sipc_x509 x;
    char why[128];
    if (sipc_x509_parse(&x, der, len, why, sizeof why) != 0) {
        sipc__seterr(err, errlen, "not an X.509 certificate (%s)", why);
        return SIPC_EINVAL;
    }
    if (!x.is_ca) {
        sipc__seterr(err, errlen,
               "'%s' is not a CA certificate (no basicConstraints CA:TRUE): only a root or the "
               "self-signed pair of a cluster can be trusted",
               x.subject);
        return SIPC_EINVAL;
    }
    return push_anchor(t, der, len, "trust store", false, err, errlen);
}

static const sipc_x509 *find_known_issuer(const sipc_trust *t, const sipc_bytes *name)
{
    for (int i = 0; i < t->nanchors; i++)
        if (sipc_name_equal(&t->anchors[i].x.subject_der, name))
            return &t->anchors[i].x;
    for (int i = 0; i < t->nown; i++)
        if (sipc_name_equal(&t->own_x[i].subject_der, name))
            return &t->own_x[i];
    return NULL;
}

static bool crl_signed_by(const sipc_crl *c, const sipc_x509 *x)
{
    bool valid = false;
    return sipc_sig_check(&c->tbs, &c->sig_alg, &c->sig, &x->spki, &valid) == 0 && valid;
}

static bool known_key_signed(const sipc_trust *t, const sipc_crl *c)
{
    for (int i = 0; i < t->nanchors; i++)
        if (sipc_name_equal(&t->anchors[i].x.subject_der, &c->issuer_der) &&
            crl_signed_by(c, &t->anchors[i].x))
            return true;
    for (int i = 0; i < t->nown; i++)
        if (sipc_name_equal(&t->own_x[i].subject_der, &c->issuer_der) && crl_signed_by(c, &t->own_x[i]))
            return true;
    return false;
}

int sipc_trust_add_crl_named(sipc_trust *t, const uint8_t *data, size_t len, const char *name,
                             char *err, size_t errlen)
{
    uint8_t *der = NULL;
    size_t dl = 0;
    int r = sipc_pem_or_der(data, len, "X509 CRL", &der, &dl, err, errlen);
    if (r != 0)
        return r == SIPC_ENOMEM ? r : SIPC_EINVAL;
    if (t->ncrls == t->ccrls) {
        int nc = t->ccrls ? t->ccrls * 2 : 4;
        crl_entry *n = realloc(t->crls, (size_t)nc * sizeof *n);
        if (!n) {
            free(der);
            return SIPC_ENOMEM;
        }
        t->crls = n;
        t->ccrls = nc;
    }
    crl_entry *e = &t->crls[t->ncrls];
    memset(e, 0, sizeof *e);
    e->der.data = der;
    e->der.len = dl;
    char why[128];
    if (sipc_crl_parse(&e->c, der, dl, why, sizeof why) != 0) {
        sipc__seterr(err, errlen, "not a CRL: %s", why);
        sipc_der_free(&e->der);
        return SIPC_EINVAL;
    }
    /* With a known issuer the signature is checked now, against every known
     * certificate of that name (a CA that changed its key has two);
     * otherwise (an intermediate only peers present) it is checked against
     * the certificates in the path each time the CRL is consulted. */
    const sipc_x509 *iss = find_known_issuer(t, &e->c.issuer_der);
    if (iss && !known_key_signed(t, &e->c)) {
        sipc__seterr(err, errlen, "the CRL's signature does not verify with the key of '%s'", e->c.issuer);
        sipc_der_free(&e->der);
        return SIPC_EINVAL;
    }
    sipc_str_copy(e->name, sizeof e->name, name && name[0] ? name : "(memory)");
    t->ncrls++;
    return 0;
}

int sipc_trust_add_crl(sipc_trust *t, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    return sipc_trust_add_crl_named(t, data, len, NULL, err, errlen);
}

int sipc_trust_anchor_count(const sipc_trust *t)
{
    return t ? t->nanchors : 0;
}

const sipc_der *sipc_trust_anchor(const sipc_trust *t, int i)
{
    if (!t || i < 0 || i >= t->nanchors)
        return NULL;
    return &t->anchors[i].der;
}

const char *sipc_trust_anchor_source(const sipc_trust *t, int i)
{
    if (!t || i < 0 || i >= t->nanchors)
        return NULL;
    return t->anchors[i].source;
}

bool sipc_trust_source_is_rotation(const char *source)
{
    return source && (!strcmp(source, "staged pair") || !strcmp(source, "previous pair"));
}

int sipc_trust_crl_count(const sipc_trust *t)
{
    return t ? t->ncrls : 0;
}

const sipc_crl *sipc_trust_crl_at(const sipc_trust *t, int i, const char **name)
{
    if (!t || i < 0 || i >= t->ncrls)
        return NULL;
    if (name)
        *name = t->crls[i].name;
    return &t->crls[i].c;
}

bool sipc_trust_knows_issuer(const sipc_trust *t, const uint8_t *crl, size_t len)
{
    sipc_crl c;
    if (!t || sipc_crl_parse(&c, crl, len, NULL, 0) != 0)
        return false;
    return find_known_issuer(t, &c.issuer_der) != NULL;
}

/* ------------------------------------------------------------ verifier */

/* A candidate certificate while building. */
typedef struct cand {
    const sipc_x509 *x;
    const char *source;
    int anchored;
} cand;

static void add_link(sipc_vfy_result *res, const sipc_x509 *x, const char *source)
{
    if (res->nlinks >= SIPC_VFY_MAX_LINKS)
        return;
    sipc_vfy_link *l = &res->links[res->nlinks++];
    sipc_str_copy(l->subject, sizeof l->subject, x->subject);
    sipc_str_copy(l->issuer, sizeof l->issuer, x->issuer);
    sipc_time_str(x->not_before, l->not_before);
    sipc_time_str(x->not_after, l->not_after);
    sipc_str_copy(l->fingerprint, sizeof l->fingerprint, x->fingerprint);
    sipc_str_copy(l->source, sizeof l->source, source);
    l->is_ca = x->is_ca;
}

/* purpose 0: x is on a CRL signer's path (verify_chain), whose depth 0 is
 * that signer, not a node's certificate: only its reason is shown. */
static sipc_vfy_status check_dates(const sipc_x509 *x, int depth, int purpose, time_t now,
                                   sipc_vfy_result *res)
{
    if (now >= x->not_before && now <= x->not_after) {
        sipc__vwindow(res, x->not_before, x->not_after);
        return SIPC_VFY_OK;
    }
    /* the strings only for the message: formatting them costs more than the check */
    char nb[32], na[32], nw[32];
    sipc_time_str(x->not_before, nb);
    sipc_time_str(x->not_after, na);
    sipc_time_str(now, nw);
    const char *what = depth == 0 ? "certificate" : "issuer certificate";
    /* a root of this side's trust/ is this side's to renew, whatever the
     * peer presents: said so, the peer being told only that it was refused */
    const char *own = depth > 0 && depth < res->nlinks &&
                              !strcmp(res->links[depth].source, "trust store")
                          ? " (a root of this side's trust/)"
                          : "";
    if (now > x->not_after) {
        sipc__vwindow(res, x->not_after + 1, SIPC_VFY_TIME_MAX);
        sipc__vfail(res, SIPC_VFY_EXPIRED, depth, "",
                    "%s '%s'%s expired on %s (valid %s to %s; now %s)", what,
                    sipc__name_or(x->subject), own, na, nb, na, nw);
        /* worded by who renews it (vfy_fix.c) */
        sipc__vfix(res, depth > 0                           ? SIPC_VFY_FIX_EXPIRED_CA
                        : sipc__self_signed(x) || !purpose  ? SIPC_VFY_FIX_EXPIRED_PAIR
                                                            : SIPC_VFY_FIX_EXPIRED_ISSUED);
        return SIPC_VFY_EXPIRED;
    }
    sipc__vwindow(res, SIPC_VFY_TIME_MIN, x->not_before - 1);
    return sipc__vfail(res, SIPC_VFY_NOT_YET_VALID, depth,
                "check the clock of this machine and of the machine that issued it; "
                "wait until the start date or reissue the certificate",
                "%s '%s'%s is not valid before %s (valid %s to %s; now %s)", what,
                sipc__name_or(x->subject), own, nb, nb, na, nw);
}

/* The documented minimums (operator guide): RSA 2048+ or ECDSA P-256/P-384
 * keys on every link, anchors included (an anchor's key signs what it
 * trusts). P-521 is refused too: the TLS engine does not offer it. */
static sipc_vfy_status check_key(const sipc_x509 *x, int depth, sipc_vfy_result *res)
{
    bool ok = (x->key_type == SIPC_X509_KEY_RSA && x->key_bits >= 2048) ||
              (x->key_type == SIPC_X509_KEY_EC && (x->key_bits == 256 || x->key_bits == 384));
    if (ok)
        return SIPC_VFY_OK;
    return sipc__vfail(res, SIPC_VFY_WEAK_KEY, depth,
                depth == 0 ? "create a new pair (tlstool create) or have the certificate reissued "
                             "with an ECDSA P-256/P-384 or RSA 2048+ key"
                           : "have your CA reissue its certificate with an ECDSA P-256/P-384 or "
                             "RSA 2048+ key, then the certificates below it",
                "%s '%s' has a weak or unsupported key (%s): sipc accepts only RSA keys of 2048 "
                "bits or more and ECDSA keys on P-256 or P-384",
                depth == 0 ? "certificate" : "issuer certificate", sipc__name_or(x->subject), x->key_desc);
}

/* SHA-256/384/512 on every signature sipc relies on: every link but the
 * anchor, whose own signature adds nothing (it is trusted as it is). */
static sipc_vfy_status check_sig_hash(const sipc_x509 *x, int depth, sipc_vfy_result *res)
{
    if (x->sig_hash_bits >= 256)
        return SIPC_VFY_OK;
    return sipc__vfail(res, SIPC_VFY_WEAK_SIGNATURE, depth,
                "have the certificate reissued with a SHA-256 (or SHA-384/512) signature",
                "%s '%s' is signed with %s: sipc accepts only signatures with SHA-256, SHA-384 or "
                "SHA-512",
                depth == 0 ? "certificate" : "issuer certificate", sipc__name_or(x->subject),
                x->sig_desc);
}

/* pinned: x is itself a trusted pair (this node's own, a rotation's, or
 * another cluster's self-signed pair trusted as a root), not a certificate
 * some CA issued: the required subject, which keeps a CA's other
 * certificates out, is not asked of it. */
static sipc_vfy_status check_leaf(const sipc_trust *t, const sipc_x509 *x, int purpose, int pinned,
                                  sipc_vfy_result *res)
{
    /* key usage: TLS 1.2 with (EC)DHE needs digitalSignature */
    if (x->has_ku && !(x->ku & SIPC_KU_DIGITAL_SIGNATURE)) {
        char ku[160];
        sipc_ku_str(x->ku, ku, sizeof ku);
        return sipc__vfail(res, SIPC_VFY_WRONG_USAGE, 0,
                    "have the certificate reissued with key usage digitalSignature and extended "
                    "key usage serverAuth and clientAuth",
                    "certificate '%s' lacks key usage digitalSignature (has: %s)", sipc__name_or(x->subject),
                    ku);
    }
    if (x->has_eku && !(x->eku & SIPC_EKU_ANY)) {
        const char *missing = NULL;
        if ((purpose & SIPC_PURPOSE_SERVER) && !(x->eku & SIPC_EKU_SERVER))
            missing = (purpose & SIPC_PURPOSE_CLIENT) && !(x->eku & SIPC_EKU_CLIENT)
                          ? "serverAuth and clientAuth"
                          : "serverAuth (TLS server)";
        else if ((purpose & SIPC_PURPOSE_CLIENT) && !(x->eku & SIPC_EKU_CLIENT))
            missing = "clientAuth (TLS client)";
        if (missing) {
            char eku[160];
            sipc_eku_str(x->eku, eku, sizeof eku);
            return sipc__vfail(res, SIPC_VFY_WRONG_USAGE, 0,
                        "every node is both TLS client and server: have the certificate "
                        "reissued with extended key usage serverAuth and clientAuth",
                        "certificate '%s' lacks extended key usage %s (has: %s)",
                        sipc__name_or(x->subject), missing, eku);
        }
    }
    char why[160];
    if (!pinned && t->policy.subject[0] &&
        !sipc_subject_matches(x, t->policy.subject, why, sizeof why))
        return sipc__vfail(res, SIPC_VFY_WRONG_SUBJECT, 0,
                    "use a certificate issued for the required subject, or correct "
                    "[tls] subject in sipc.conf (each attribute named there must be in the "
                    "subject with exactly the values given)",
                    "certificate subject '%s' differs from the required subject '%s' ([tls] "
                    "subject): %s",
                    sipc__name_or(x->subject), t->policy.subject, why);
    return SIPC_VFY_OK;
}

/* Certificate policies: a mapping of anyPolicy is invalid (6.1.4 (a));
 * the rest is the policy tree's (policy_tree.c). */
static sipc_vfy_status check_policies(const sipc_x509 *const *path, int np, sipc_vfy_result *res)
{
    for (int i = 0; i < np; i++)
        if (path[i]->any_policy_mapped)
            return sipc__vfail(res, SIPC_VFY_MALFORMED, i,
                               "have your CA reissue the certificate without mapping anyPolicy",
                               "certificate '%s' maps anyPolicy in its policyMappings extension, "
                               "which RFC 5280 forbids",
                               sipc__name_or(path[i]->subject));
    return sipc__check_policy_tree(path, np, res);
}

/* nameConstraints of each CA apply to every certificate below it, except
 * self-issued intermediates (RFC 5280 6.1.3 (b)). */
static sipc_vfy_status check_name_constraints(const sipc_x509 *const *path, int np,
                                              sipc_vfy_result *res)
{
    for (int i = 1; i < np; i++) {
        const sipc_x509 *ca = path[i];
        if (!ca->name_constraints.len)
            continue;
        for (int j = i - 1; j >= 0; j--) {
            if (j > 0 && sipc_x509_self_issued(path[j]))
                continue;
            char why[300];
            int rc = sipc_nc_check(&ca->name_constraints, path[j], why, sizeof why);
            if (rc == SIPC_EPEERAUTH)
                return sipc__vfail(res, SIPC_VFY_NAME_NOT_PERMITTED, j,
                                   "have the certificate issued by a CA whose name constraints "
                                   "permit its names, or have the names corrected",
                                   "certificate '%s' is outside the name constraints of CA '%s': %s",
                                   sipc__name_or(path[j]->subject), sipc__name_or(ca->subject), why);
            if (rc == SIPC_ENOTSUP)
                return sipc__vfail(res, SIPC_VFY_MALFORMED, j,
                                   "have the certificate issued without names of that form, or "
                                   "the CA without constraints on it",
                                   "certificate '%s' cannot be checked against CA '%s': %s",
                                   sipc__name_or(path[j]->subject), sipc__name_or(ca->subject), why);
            if (rc != 0)
                return sipc__vfail(res, SIPC_VFY_MALFORMED, i,
                                   "have your CA reissue its certificate",
                                   "CA '%s' has a malformed nameConstraints extension",
                                   sipc__name_or(ca->subject));
        }
    }
    return SIPC_VFY_OK;
}

/* The fix for a chain ending at root, which t does not trust. When this
 * side's own certificate is a CA's, the likely cause is a certificate
 * issued by another CA than the one this cluster's certificates come from:
 * both roots are named (the own chain's top issuer, which need not be in
 * it), and the question asked, before the advice to trust the other root. */
static const char *untrusted_root_fix(const sipc_trust *t, const sipc_x509 *root, char *fix,
                                      size_t len)
{
    static const char add[] = "add its root with `tlstool trust add FILE` (from `tlstool trust "
                              "export` there)";
    if (t->nown == 0 || t->own_self_signed) {
        snprintf(fix, len, "if it belongs to another cluster, %s; if it is your organisation's "
                           "root, add it the same way",
                 add);
        return fix;
    }
    const sipc_x509 *top = &t->own_x[t->nown - 1];
    snprintf(fix, len, "it chains to '%s', this side's own certificate to '%s': if it is to be "
                       "one of this cluster's certificates, was it issued by the wrong CA? If "
                       "it belongs to another cluster, or that root is your organisation's too, %s",
             sipc__name_or(root->subject),
             sipc__name_or(sipc__self_signed(top) ? top->subject : top->issuer), add);
    return fix;
}

/* purpose 0: the path of a CRL signer (sipc__verify_signer), without the
 * leaf rules; depth counts the CRL-signer validations it is nested in. */
static sipc_vfy_status verify_chain(const sipc_trust *t, const sipc_der *chain, int n,
                                    int purpose, time_t now, int depth, const crl_entry *signing,
                                    sipc_vfy_result *res)
{
    const sipc_x509 *leaf = NULL; /* set once the chain is parsed */
    if (!t)
        return sipc__vfail(res, SIPC_VFY_UNTRUSTED_ROOT, -1, "import the cluster's key pair",
                    "no trust configuration (no key pair imported)");
    if (!chain || n <= 0 || !chain[0].data || chain[0].len == 0)
        return sipc__vfail(res, SIPC_VFY_NO_CERT, 0,
                    "give the peer a key pair (tlstool import) and enable TLS there",
                    "no certificate was presented");
    /* counted before anything is read: links cut off would make the chain
     * look incomplete, with advice that cannot help */
    if (n > SIPC_KP_MAX_CHAIN) {
        char why[100];
        sipc_vfy_chain_too_long_reason(n, why, sizeof why);
        return sipc__vfail(res, SIPC_VFY_CHAIN_TOO_LONG, -1,
                           "present only the certificate and the CAs above it (leave other "
                           "certificates out of the file or chain)",
                           "%s", why);
    }

    sipc_x509 px[SIPC_VFY_MAX_LINKS];
    sipc_vfy_status st = SIPC_VFY_OK;
    for (int i = 0; i < n; i++) {
        char why[128];
        if (sipc_x509_parse(&px[i], chain[i].data, chain[i].len, why, sizeof why) != 0) {
            st = sipc__vfail(res, SIPC_VFY_MALFORMED, i,
                      "check that the file holds PEM or DER X.509 certificates (or a PKCS#12 "
                      "file for tlstool import)",
                      "certificate %d of the chain is not a valid X.509 certificate: %s", i, why);
            goto out;
        }
        if (px[i].unknown_critical[0]) {
            st = sipc__vfail(res, SIPC_VFY_MALFORMED, i,
                      "have the certificate reissued without that critical extension",
                      "certificate '%s' has a critical extension sipc does not support (%s)",
                      sipc__name_or(px[i].subject), px[i].unknown_critical);
            goto out;
        }
#ifndef WOLFSSL_ALT_CERT_CHAINS
        /* A limit of a wolfSSL built without WOLFSSL_ALT_CERT_CHAINS (both
         * builds sipc supports have it: the bundled one and Debian's
         * libwolfssl): such a wolfSSL registers every CA certificate of a
         * peer's chain in its own store, cannot register one with a
         * critical extension it does not process, and then aborts the
         * handshake whatever the verify callback says. Refused here too, so
         * that `tlstool verify` says what a handshake would. */
        if (i > 0 && px[i].is_ca && px[i].tls_unknown_critical[0]) {
            st = sipc__vfail(res, SIPC_VFY_MALFORMED, i,
                      "have your CA reissue its certificate with that extension not marked "
                      "critical (RFC 5280 allows it), or build sipc with its bundled wolfSSL",
                      "CA certificate '%s' of the chain has a critical %s extension: the TLS "
                      "library (wolfSSL without WOLFSSL_ALT_CERT_CHAINS) does not process it "
                      "and aborts any handshake that presents this certificate, so sipc "
                      "refuses it (a documented limit of this build)",
                      sipc__name_or(px[i].subject), px[i].tls_unknown_critical);
            goto out;
        }
#endif
    }

    leaf = &px[0];
    /* 1. This cluster's own self-signed pair: pinned by fingerprint. */
    if (purpose && t->own_self_signed && t->nown > 0 &&
        strcmp(leaf->fingerprint, t->own_x[0].fingerprint) == 0) {
        add_link(res, leaf, "own pair");
        st = check_key(leaf, 0, res);
        if (st == SIPC_VFY_OK)
            st = check_dates(leaf, 0, purpose, now, res);
        if (st == SIPC_VFY_OK)
            st = check_leaf(t, leaf, purpose, 1, res);
        goto out;
    }

    /* 2. Build the path: leaf, then issuers from the anchors, the presented
     *    chain and our own chain; stop at an anchor. */
    const sipc_x509 *path[SIPC_VFY_MAX_LINKS];
    int np = 0, anchored = 0;
    path[np++] = leaf;
    {
        int ai = find_anchor(t, leaf->fingerprint);
        add_link(res, leaf, ai >= 0 ? t->anchors[ai].source : "presented");
        anchored = ai >= 0;
    }
    while (!anchored) {
        const sipc_x509 *cur = path[np - 1];
        if (sipc__self_signed(cur)) {
            /* a root that is not one of ours */
            if (np == 1 && t->own_self_signed && t->rotation_role[0])
                /* an import is refused during a rotation: the two sides
                 * move to different pairs, or one has not staged yet */
                st = sipc__vfail(res, SIPC_VFY_NOT_PINNED, 0,
                          "during a key pair rotation every node stages the same file: where "
                          "the staged pair is not the one meant, `tlstool rotate stage FILE "
                          "--force --reload` (after `tlstool rotate abort --reload` where it "
                          "committed); `sipcctl status --cluster` names which node staged "
                          "which pair",
                          "self-signed certificate '%s' (SHA-256 %.16s...) is not this cluster's "
                          "key pair (this side holds '%s', SHA-256 %.16s..., and trusts the %s "
                          "SHA-256 %.16s... during a rotation)",
                          sipc__name_or(cur->subject), cur->fingerprint,
                          sipc__name_or(t->own_x[0].subject), t->own_x[0].fingerprint,
                          t->rotation_role, t->rotation_fp);
            else if (np == 1 && t->own_self_signed)
                st = sipc__vfail(res, SIPC_VFY_NOT_PINNED, 0,
                          "both ends need the same key pair: import the same PFX file on every "
                          "node (tlstool import), or give a program the same certificate and "
                          "key; if the cluster rotated to a new pair while this side was away, "
                          "`tlstool import NEW.pfx --force` here; for a peer of another "
                          "cluster, `tlstool trust add` its root (from `tlstool trust export` "
                          "there)",
                          "self-signed certificate '%s' (SHA-256 %.16s...) is not this cluster's "
                          "key pair (this side holds '%s', SHA-256 %.16s...)",
                          sipc__name_or(cur->subject), cur->fingerprint, sipc__name_or(t->own_x[0].subject),
                          t->own_x[0].fingerprint);
            else {
                char fix[sizeof res->fix + 512]; /* sipc__vfail cuts it to fit */
                st = sipc__vfail(res, SIPC_VFY_UNTRUSTED_ROOT, np - 1,
                          untrusted_root_fix(t, cur, fix, sizeof fix),
                          "root certificate '%s' (SHA-256 %.16s...) is not trusted by this side",
                          sipc__name_or(cur->subject), cur->fingerprint);
            }
            if (purpose)
                st = sipc__former_refusal(t, leaf, cur, st, res);
            goto out;
        }
        if (np >= SIPC_VFY_MAX_LINKS) {
            st = sipc__vfail(res, SIPC_VFY_INCOMPLETE_CHAIN, np - 1,
                      "shorten the chain or check it for a loop",
                      "chain longer than %d certificates without reaching a trusted root",
                      SIPC_VFY_MAX_LINKS);
            goto out;
        }
        /* candidates by name: anchors first, then presented, then own chain */
        cand cands[SIPC_VFY_MAX_LINKS * 2 + 64];
        int nc = 0;
        for (int i = 0; i < t->nanchors && nc < 64; i++)
            if (sipc_name_equal(&t->anchors[i].x.subject_der, &cur->issuer_der))
                cands[nc++] = (cand){&t->anchors[i].x, t->anchors[i].source, 1};
        for (int i = 1; i < n; i++)
            if (&px[i] != cur && sipc_name_equal(&px[i].subject_der, &cur->issuer_der))
                cands[nc++] = (cand){&px[i], "presented", 0};
        for (int i = 1; i < t->nown; i++)
            if (sipc_name_equal(&t->own_x[i].subject_der, &cur->issuer_der))
                cands[nc++] = (cand){&t->own_x[i], "own pair", 0};
        if (nc == 0) {
            st = sipc__vfail(res, SIPC_VFY_INCOMPLETE_CHAIN, np - 1, "",
                      "incomplete chain: cannot find the issuer '%s' of '%s'",
                      sipc__name_or(cur->issuer), sipc__name_or(cur->subject));
            sipc__vfix(res, SIPC_VFY_FIX_MISSING_ISSUER);
            if (purpose)
                st = sipc__former_refusal(t, leaf, cur, st, res);
            goto out;
        }
        int pick = -1, unsupported = 0;
        for (int i = 0; i < nc && pick < 0; i++) {
            int loop = 0;
            for (int k = 0; k < np; k++)
                if (strcmp(path[k]->fingerprint, cands[i].x->fingerprint) == 0)
                    loop = 1;
            if (loop)
                continue;
            bool valid;
            if (sipc_x509_signed_by(cur, cands[i].x, &valid) != 0)
                unsupported = 1;
            else if (valid)
                pick = i;
        }
        if (pick < 0) {
            if (unsupported)
                st = sipc__vfail(res, SIPC_VFY_BAD_SIGNATURE, np - 1,
                          "use ECDSA (P-256/P-384) or RSA with SHA-256/384/512 signatures",
                          "the signature of '%s' uses an algorithm or key sipc cannot check (%s)",
                          sipc__name_or(cur->subject), cur->sig_desc);
            else
                st = sipc__vfail(res, SIPC_VFY_BAD_SIGNATURE, np - 1,
                          "the certificate was altered, or two different CAs share the name: get "
                          "the real issuer from your CA (and give each cluster's CA a distinct "
                          "name)",
                          "bad signature: '%s' is not signed by the key of '%s' (SHA-256 "
                          "%.16s...)",
                          sipc__name_or(cur->subject), sipc__name_or(cands[0].x->subject),
                          cands[0].x->fingerprint);
            goto out;
        }
        assert(np < SIPC_VFY_MAX_LINKS);
        path[np++] = cands[pick].x;
        add_link(res, cands[pick].x, cands[pick].source);
        anchored = cands[pick].anchored;
    }

    /* 3. Issuers must be CAs allowed to sign certificates. */
    for (int i = 1; i < np; i++) {
        const sipc_x509 *x = path[i];
        if (!x->is_ca || (x->has_ku && !(x->ku & SIPC_KU_KEY_CERT_SIGN))) {
            st = sipc__vfail(res, SIPC_VFY_NOT_CA, i,
                      "have your CA reissue it with basicConstraints CA:TRUE and key usage "
                      "keyCertSign",
                      "issuer '%s' of '%s' is not a CA (%s)", sipc__name_or(x->subject),
                      sipc__name_or(path[i - 1]->subject),
                      !x->is_ca ? "no basicConstraints CA:TRUE" : "key usage lacks keyCertSign");
            goto out;
        }
        /* pathLenConstraint: intermediates below it, self-issued ones (a CA
         * re-keying) not counted (RFC 5280 6.1.4 (l)) */
        int below = 0;
        for (int k = 1; k < i; k++)
            below += !sipc_x509_self_issued(path[k]);
        if (x->path_len >= 0 && below > x->path_len) {
            st = sipc__vfail(res, SIPC_VFY_NOT_CA, i, "have your CA reissue the chain",
                      "CA '%s' allows %d intermediate(s) below it, the chain has %d",
                      sipc__name_or(x->subject), x->path_len, below);
            goto out;
        }
    }
    if ((st = check_policies(path, np, res)) != SIPC_VFY_OK ||
        (st = check_name_constraints(path, np, res)) != SIPC_VFY_OK)
        goto out;
    /* A CA certificate as a node's leaf: whoever holds its key can issue
     * more node certificates. The one exception is a leaf that is itself
     * the anchor (a self-signed pair, pinned or trusted as a root). */
    if (purpose && np > 1 && leaf->is_ca) {
        st = sipc__vfail(res, SIPC_VFY_LEAF_IS_CA, 0,
                  "have your CA issue the node a certificate with basicConstraints CA:FALSE; a CA "
                  "certificate belongs in trust/ (tlstool trust add), not in a node's pair",
                  "certificate '%s' is a CA certificate (basicConstraints CA:TRUE) issued by '%s': "
                  "a CA cannot be used as a node certificate",
                  sipc__name_or(leaf->subject), sipc__name_or(leaf->issuer));
        goto out;
    }
    /* Key and signature strength: keys on every link, hashes below the anchor. */
    for (int i = 0; i < np; i++)
        if ((st = check_key(path[i], i, res)) != SIPC_VFY_OK ||
            (i < np - 1 && (st = check_sig_hash(path[i], i, res)) != SIPC_VFY_OK))
            goto out;
    /* 4. Dates of every link, leaf first (anchors included). */
    for (int i = 0; i < np; i++)
        if ((st = check_dates(path[i], i, purpose, now, res)) != SIPC_VFY_OK)
            goto out;
    /* 5. Revocation: every link that has an issuer in the path. */
    if (t->policy.revocation != SIPC_TRUST_REV_OFF) {
        vctx v = {t, chain, px, n, now, depth, signing, signing ? leaf->fingerprint : NULL, res};
        for (int i = 0; i + 1 < np; i++)
            if ((st = sipc__check_revocation(&v, path[i], path[i + 1], i, res)) != SIPC_VFY_OK)
                goto out;
    }
    /* 6. The leaf: key usage for the purpose and the required subject.
     * Without a subject, a certificate issued under a trusted self-signed
     * pair is not taken: a cluster's pair vouches for itself only, and an
     * anchor shaped like one may be a CA (sipc_trust_check_policy lets it
     * through without a subject). */
    if (purpose && np > 1 && !t->policy.subject[0] && cluster_pair(path[np - 1])) {
        st = sipc__vfail(res, SIPC_VFY_WRONG_SUBJECT, 0,
                  "set [tls] subject in sipc.conf to what the certificates it issues carry "
                  "(operator guide, section 2)",
                  "certificate '%s' is issued by '%s', which is trusted as a cluster's "
                  "self-signed pair: without [tls] subject a pair is accepted only as itself",
                  sipc__name_or(leaf->subject), sipc__name_or(path[np - 1]->subject));
        goto out;
    }
    if (purpose)
        st = check_leaf(t, leaf, purpose, np == 1, res);
out:
    if (st == SIPC_VFY_OK && leaf && purpose) {
        res->status = SIPC_VFY_OK;
        res->depth = -1;
        res->reason[0] = '\0';
        res->fix[0] = '\0';
        time_t left = leaf->not_after - now;
        /* whole days round down: under two days, hours say it better */
        char in[40];
        if (left >= 2 * 86400)
            snprintf(in, sizeof in, "%ld days", (long)(left / 86400));
        else if (left >= 3600)
            snprintf(in, sizeof in, "%ld hour(s)", (long)(left / 3600));
        else
            snprintf(in, sizeof in, "under an hour");
        if (left < 30 * 86400)
            sipc__vwarn(res, "certificate '%s' expires in %s (%s): prepare a new pair",
                        sipc__name_or(leaf->subject), in, res->links[0].not_after);
    }
    return st;
}

sipc_vfy_status sipc__verify_signer(const sipc_trust *t, const sipc_der *chain, int n, time_t now,
                                    int depth, const crl_entry *crl, sipc_vfy_result *res)
{
    sipc__vinit(res);
    return verify_chain(t, chain, n, 0, now, depth, crl, res);
}

int sipc_trust_verify(const sipc_trust *t, const sipc_der *chain, int n, int purpose, time_t now,
                      sipc_vfy_result *res_in)
{
    sipc_vfy_result local;
    sipc_vfy_result *res = res_in ? res_in : &local;
    sipc__vinit(res);
    sipc_vfy_status st = verify_chain(t, chain, n, purpose ? purpose : SIPC_PURPOSE_BOTH, now, 0, NULL,
                                    res);
    assert(st == res->status);
    return st == SIPC_VFY_OK ? 0 : SIPC_EPEERAUTH;
}

const char *sipc_trust_rotation_pair(const sipc_trust *t, char fp[65], char issuer[256])
{
    fp[0] = '\0';
    if (issuer)
        issuer[0] = '\0';
    if (!t || !t->rotation_role[0])
        return NULL;
    memcpy(fp, t->rotation_fp, 65);
    if (issuer)
        memcpy(issuer, t->rotation_issuer, 256);
    return t->rotation_role;
}
