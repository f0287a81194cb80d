/* trust_crl.c - revocation for the verifier (RFC 5280 6.3): which of the
 * installed CRLs say something about a certificate, and what.
 *
 * An issuer may have several CRLs: complete ones partitioned by
 * distribution point or by reason, and delta CRLs on top of a complete
 * one. A CRL counts for a certificate only when it is usable (no unknown
 * critical extension), signed by a key of its issuer that may sign CRLs,
 * and its scope covers the certificate; a delta counts only with a current
 * complete CRL of the same scope whose number is at least the delta's base.
 * The status is known only when current complete CRLs together cover every
 * reason. When it is not, the reason names each installed CRL of the issuer
 * and why it was not used: "no CRL" would send the operator looking for a
 * file that is there. Up to MAX_CRLS_PER_ISSUER complete and as many delta
 * CRLs are weighed together; one past them is still searched, so that a
 * CRL that lists the certificate is never ignored. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "certs/crl_scope.h"
#include "certs/trust_impl.h"

enum { MAX_CRLS_PER_ISSUER = SIPC_CRLS_WEIGHED };
_Static_assert(MAX_CRLS_PER_ISSUER == 32, "the fix of an unknown status says 32");

typedef struct notes {
    char text[480];
} notes;

static void note(notes *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(notes *n, const char *fmt, ...)
{
    size_t w = strlen(n->text);
    if (w + 8 >= sizeof n->text)
        return;
    if (w)
        w += (size_t)snprintf(n->text + w, sizeof n->text - w, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->text + w, sizeof n->text - w, fmt, ap);
    va_end(ap);
}

typedef struct signer_cand {
    const sipc_x509 *x;
    const sipc_der *der;
    int trusted; /* the issuer in the path or an anchor: no path of its own to check */
} signer_cand;

/* Is the CRL signed by a key of its issuer that may sign CRLs? Tries the
 * issuer in the path, then every other certificate of that name (a CA that
 * changed its key, a separate CRL-signing key); those not in the path are
 * validated on their own path first. */
static bool signer_ok(const vctx *v, const crl_entry *e, const sipc_x509 *iss, char *why,
                      size_t whylen)
{
    const sipc_trust *t = v->t;
    signer_cand c[SIPC_VFY_MAX_LINKS + SIPC_KP_MAX_CHAIN + 16];
    int nc = 0;
    c[nc++] = (signer_cand){iss, NULL, 1};
    for (int i = 0; i < t->nanchors && nc < 16; i++)
        if (sipc_name_equal(&t->anchors[i].x.subject_der, &e->c.issuer_der))
            c[nc++] = (signer_cand){&t->anchors[i].x, &t->anchors[i].der, 1};
    /* from 0: inside a signer's validation the signer itself is link 0 */
    for (int i = 0; i < v->n; i++)
        if (sipc_name_equal(&v->px[i].subject_der, &e->c.issuer_der))
            c[nc++] = (signer_cand){&v->px[i], &v->chain[i], 0};
    for (int i = 1; i < t->nown; i++)
        if (sipc_name_equal(&t->own_x[i].subject_der, &e->c.issuer_der))
            c[nc++] = (signer_cand){&t->own_x[i], &t->own[i], 0};
    why[0] = '\0';
    bool any_sig = false;
    for (int i = 0; i < nc; i++) {
        bool dup = false;
        for (int k = 0; k < i; k++)
            dup = dup || strcmp(c[k].x->fingerprint, c[i].x->fingerprint) == 0;
        bool valid = false;
        if (dup || sipc_sig_check(&e->c.tbs, &e->c.sig_alg, &e->c.sig, &c[i].x->spki, &valid) != 0 ||
            !valid)
            continue;
        any_sig = true;
        if (c[i].x->has_ku && !(c[i].x->ku & SIPC_KU_CRL_SIGN)) {
            snprintf(why, whylen, "its signer '%s' lacks key usage cRLSign",
                     sipc__name_or(c[i].x->subject));
            continue;
        }
        if (c[i].trusted)
            return true;
        /* The signer of e, whose own path is being validated, covered by
         * e itself (an indirect CRL's issuer listed in its own CRL, RFC
         * 5280's cRLIssuer): its signature just verified, the rest of its
         * path is the outer validation's. */
        if (v->signing == e && strcmp(v->signer_fp, c[i].x->fingerprint) == 0)
            return true;
        if (v->depth >= SIPC_CRL_SIGNER_DEPTH)
            continue;
        /* another certificate of the issuer: its own path must hold */
        sipc_der sub_chain[SIPC_VFY_MAX_LINKS];
        int sn = 0;
        sub_chain[sn++] = *c[i].der;
        for (int k = 1; k < v->n && sn < SIPC_VFY_MAX_LINKS; k++)
            if (&v->chain[k] != c[i].der)
                sub_chain[sn++] = v->chain[k];
        sipc_vfy_result sub;
        sipc_vfy_status sst = sipc__verify_signer(t, sub_chain, sn, v->now, v->depth + 1, e, &sub);
        /* whether the signer's path holds depends on its own dates */
        sipc__vwindow(v->res, sub.valid_from, sub.valid_until);
        if (sst == SIPC_VFY_OK)
            return true;
        snprintf(why, whylen, "its signer '%s' (SHA-256 %.16s...) is not valid: %.200s",
                 sipc__name_or(c[i].x->subject), c[i].x->fingerprint, sub.reason);
    }
    if (!any_sig)
        snprintf(why, whylen, "its signature does not verify with the key of any certificate of '%s'",
                 sipc__name_or(e->c.issuer));
    return false;
}

typedef struct cand {
    const crl_entry *e;
    unsigned reasons;
    bool stale;
} cand;

static bool newer(const sipc_crl *a, const sipc_crl *b)
{
    if (a->number.len && b->number.len)
        return sipc_crl_num_cmp(&a->number, &b->number) > 0;
    return a->this_update > b->this_update;
}

/* Who needs a new certificate (the words: vfy_fix.c): the peer presenting
 * it when it is its own leaf, this node when it is this node's own, else
 * every node whose chain holds it. */
static sipc_vfy_fix_kind revoked_fix(const vctx *v, const sipc_x509 *x, int i)
{
    const sipc_trust *t = v->t;
    if (i > 0 || v->depth > 0 || t->nown < 1)
        return SIPC_VFY_FIX_REVOKED_SHARED;
    if (strcmp(t->own_x[0].fingerprint, x->fingerprint) != 0)
        return SIPC_VFY_FIX_REVOKED_PEERS;
    return SIPC_VFY_FIX_REVOKED_OWN;
}

/* more: what else the verdict rests on ("" when nothing) */
static sipc_vfy_status revoked(const vctx *v, const sipc_x509 *x, int i, const crl_entry *e,
                               time_t when, const char *more, sipc_vfy_result *res)
{
    char ws[32];
    sipc_time_str(when, ws);
    sipc__vfail(res, SIPC_VFY_REVOKED, i, "",
                "certificate '%s' (serial %s) was revoked on %s according to %s%s issued by '%s'%s",
                sipc__name_or(x->subject), x->serial_hex, ws, e->c.is_delta ? "delta CRL " : "",
                e->name, sipc__name_or(e->c.issuer), more);
    sipc__vfix(res, revoked_fix(v, x, i));
    return SIPC_VFY_REVOKED;
}

sipc_vfy_status sipc__check_revocation(const vctx *v, const sipc_x509 *x, const sipc_x509 *iss,
                                       int i, sipc_vfy_result *res)
{
    const sipc_trust *t = v->t;
    cand full[MAX_CRLS_PER_ISSUER], delta[MAX_CRLS_PER_ISSUER];
    int nf = 0, nd = 0, nfrom = 0;
    notes skipped = {{0}};
    /* Past the cap a CRL is still searched for x: one that lists it must
     * not be dropped unseen. It is judged alone (no base, no newer CRL). */
    int nover = 0;
    const crl_entry *over = NULL;
    time_t over_when = 0;
    int over_reason = 0;
    for (int k = 0; k < t->ncrls; k++) {
        const crl_entry *e = &t->crls[k];
        if (!sipc_crl_may_cover(&e->c, x))
            continue;
        nfrom++;
        char why[320];
        unsigned reasons;
        if (e->c.unusable[0]) {
            note(&skipped, "%s was not used: %s", e->name, e->c.unusable);
            continue;
        }
        if (!signer_ok(v, e, iss, why, sizeof why)) {
            note(&skipped, "%s was not used: %s", e->name, why);
            continue;
        }
        if (!sipc_crl_covers(&e->c, x, &reasons, why, sizeof why)) {
            note(&skipped, "%s was not used: %s", e->name, why);
            continue;
        }
        cand c = {e, reasons, e->c.next_update && v->now > e->c.next_update};
        if (c.stale)
            sipc__vwindow(res, e->c.next_update + 1, SIPC_VFY_TIME_MAX);
        else if (e->c.next_update)
            sipc__vwindow(res, SIPC_VFY_TIME_MIN, e->c.next_update);
        if (e->c.is_delta ? nd < MAX_CRLS_PER_ISSUER : nf < MAX_CRLS_PER_ISSUER) {
            if (e->c.is_delta)
                delta[nd++] = c;
            else
                full[nf++] = c;
            continue;
        }
        nover++;
        time_t when;
        int reason;
        if (!over && sipc_crl_find(&e->c, x, &when, &reason) && reason != SIPC_REASON_REMOVE_FROM_CRL) {
            over = e;
            over_when = when;
            over_reason = reason;
        }
    }
    /* the verdict may rest on the cap: it says so, whichever it is */
    char capped[320] = "";
    if (nover)
        snprintf(capped, sizeof capped,
                 "more than %d CRLs of its issuer cover it, %d past those %s only searched for it: "
                 "remove old ones (`tlstool crl list`, `tlstool crl remove NAME`)",
                 MAX_CRLS_PER_ISSUER, nover, nover == 1 ? "was" : "were");
    /* Deltas first find their base: a current complete CRL of the same
     * scope whose number is at least the delta's BaseCRLNumber. */
    const cand *base_of[MAX_CRLS_PER_ISSUER];
    for (int d = 0; d < nd; d++) {
        const sipc_crl *dc = &delta[d].e->c;
        base_of[d] = NULL;
        for (int f = 0; f < nf && !base_of[d]; f++)
            if (!full[f].stale && full[f].e->c.number.len && sipc_crl_same_scope(&full[f].e->c, dc) &&
                sipc_crl_num_cmp(&full[f].e->c.number, &dc->base_number) >= 0)
                base_of[d] = &full[f];
        if (!base_of[d]) {
            char bn[64];
            sipc_crl_num_str(&dc->base_number, bn, sizeof bn);
            note(&skipped,
                 "%s was not used: it is a delta CRL and no base CRL of '%s'%s with number >= %s "
                 "is installed",
                 delta[d].e->name, sipc__name_or(dc->issuer), dc->idp.len ? " of the same scope" : "",
                 bn);
        } else if (delta[d].stale) {
            char nu[32];
            sipc_time_str(dc->next_update, nu);
            note(&skipped, "delta CRL %s from '%s' is past its next update (%s)", delta[d].e->name,
                 sipc__name_or(dc->issuer), nu);
            base_of[d] = NULL;
        }
    }
    /* Listed in a complete CRL: revoked, unless it was only on hold and a
     * newer CRL of the same scope no longer lists it, or a delta on top
     * removes it (removeFromCRL). */
    for (int f = 0; f < nf; f++) {
        time_t when;
        int reason;
        const sipc_crl *fc = &full[f].e->c;
        if (!sipc_crl_find(fc, x, &when, &reason) || reason == SIPC_REASON_REMOVE_FROM_CRL)
            continue;
        bool released = false;
        if (reason == SIPC_REASON_CERTIFICATE_HOLD) {
            for (int g = 0; g < nf && !released; g++) {
                time_t w2;
                int r2;
                released = g != f && sipc_crl_same_scope(&full[g].e->c, fc) &&
                           newer(&full[g].e->c, fc) && !sipc_crl_find(&full[g].e->c, x, &w2, &r2);
            }
            for (int d = 0; d < nd && !released; d++) {
                time_t w2;
                int r2;
                released = base_of[d] && sipc_crl_same_scope(&delta[d].e->c, fc) &&
                           newer(&delta[d].e->c, fc) && sipc_crl_find(&delta[d].e->c, x, &w2, &r2) &&
                           r2 == SIPC_REASON_REMOVE_FROM_CRL;
            }
        }
        if (!released) {
            char more[400] = "";
            if (nover && reason == SIPC_REASON_CERTIFICATE_HOLD)
                snprintf(more, sizeof more, " (on hold: a CRL that releases it may be past the %d; %s)",
                         MAX_CRLS_PER_ISSUER, capped);
            return revoked(v, x, i, full[f].e, when, more, res);
        }
    }
    for (int d = 0; d < nd; d++) {
        time_t when;
        int reason;
        if (base_of[d] && sipc_crl_find(&delta[d].e->c, x, &when, &reason) &&
            reason != SIPC_REASON_REMOVE_FROM_CRL)
            return revoked(v, x, i, delta[d].e, when, "", res);
    }
    if (over) {
        char more[480];
        snprintf(more, sizeof more, " (%s%s)", capped,
                 over_reason == SIPC_REASON_CERTIFICATE_HOLD
                     ? "; this CRL, one of them, puts it on hold, which a newer CRL might release: "
                       "taken as revoked"
                 : over->c.is_delta
                     ? "; this CRL, one of them, is a delta whose base was not looked for: taken as "
                       "revoked"
                     : "");
        return revoked(v, x, i, over, over_when, more, res);
    }
    /* Not listed: known only if current complete CRLs cover every reason. */
    unsigned covered = 0;
    for (int f = 0; f < nf; f++) {
        if (!full[f].stale) {
            covered |= full[f].reasons;
            continue;
        }
        char nu[32];
        sipc_time_str(full[f].e->c.next_update, nu);
        note(&skipped, "%s from '%s' is past its next update (%s)", full[f].e->name,
             sipc__name_or(full[f].e->c.issuer), nu);
    }
    if ((covered & SIPC_REASONS_ALL) == SIPC_REASONS_ALL)
        return SIPC_VFY_OK;
    if (t->ncrls == 0 && t->policy.revocation == SIPC_TRUST_REV_SOFT)
        return SIPC_VFY_OK; /* default: check only when CRLs are present */
    char why[1024];
    if (nfrom == 0) {
        snprintf(why, sizeof why, "revocation status of '%s' is unknown: no CRL from its issuer '%s'",
                 sipc__name_or(x->subject), sipc__name_or(x->issuer));
    } else if (covered) {
        char rs[200];
        sipc_crl_reasons_str(SIPC_REASONS_ALL & ~covered, rs, sizeof rs);
        snprintf(why, sizeof why,
                 "revocation status of '%s' is unknown: no current CRL of '%s' covers the reasons "
                 "%s%s%s%s%s",
                 sipc__name_or(x->subject), sipc__name_or(x->issuer), rs, capped[0] ? "; " : "", capped,
                 skipped.text[0] ? "; " : "", skipped.text);
    } else {
        snprintf(why, sizeof why, "revocation status of '%s' is unknown: %s%s%s",
                 sipc__name_or(x->subject), capped, capped[0] && skipped.text[0] ? "; " : "",
                 skipped.text[0] || capped[0] ? skipped.text : "no CRL covers it");
    }
    if (t->policy.revocation == SIPC_TRUST_REV_HARD)
        return sipc__vfail(res, SIPC_VFY_REVOCATION_UNKNOWN, i,
                           nover ? "remove old CRLs of that issuer (`tlstool crl list`, `tlstool crl "
                                   "remove NAME`) until at most 32 complete and 32 delta CRLs of it "
                                   "cover the certificate"
                                 : "add a current CRL from that issuer that covers the certificate "
                                   "(`tlstool crl add FILE`; a delta CRL needs its base CRL), or "
                                   "set [tls] revocation = soft",
                           "%s", why);
    sipc__vwarn(res, "%s (revocation = soft: accepted)", why);
    return SIPC_VFY_OK;
}
