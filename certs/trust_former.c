/* trust_former.c - the pair a node rotated away from, or that an import
 * replaced (security/previous/, no longer trusted): kept by the trust only
 * to name it when a peer is refused for presenting it (see
 * sipc_trust_set_former in trust.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error_text.h"
#include "certs/trust_impl.h"

/* What a node that holds the pair this side replaced does to catch up, in
 * every refusal of it: one text for the same advice. */
#define RELOAD_HOW "a reload by `systemctl reload sipcd` (SIGHUP) or a restart"
#define CATCH_UP                                                                                   \
    "on that node: if it has the new pair staged, `tlstool rotate commit --reload`; else "        \
    "`tlstool import NEW.pfx --force` and " RELOAD_HOW

int sipc_trust_set_former(sipc_trust *t, const sipc_keypair *kp, sipc_previous_origin how,
                          char *err, size_t errlen)
{
    if (!t || !kp || kp->ncerts < 1) {
        sipc__seterr(err, errlen, "no certificate in the key pair");
        return SIPC_EINVAL;
    }
    for (int i = 0; i < t->nformer; i++)
        sipc_der_free(&t->former[i]);
    t->nformer = 0;
    t->former_how = how;
    for (int i = 0; i < kp->ncerts && i < SIPC_KP_MAX_CHAIN; i++) {
        sipc_der *d = &t->former[i];
        size_t n = kp->certs[i].len;
        if (!(d->data = malloc(n ? n : 1))) {
            sipc__seterr(err, errlen, "out of memory");
            return SIPC_ENOMEM; /* what was copied is freed with t */
        }
        memcpy(d->data, kp->certs[i].data, n);
        d->len = n;
        t->nformer = i + 1;
        char why[128];
        if (sipc_x509_parse(&t->former_x[i], t->former[i].data, t->former[i].len, why,
                            sizeof why) != 0) {
            sipc__seterr(err, errlen, "certificate %d of the previous pair cannot be read: %s", i,
                         why);
            /* none rather than part of it */
            for (int k = 0; k < t->nformer; k++)
                sipc_der_free(&t->former[k]);
            t->nformer = 0;
            return SIPC_EINVAL;
        }
    }
    return 0;
}

sipc_vfy_status sipc__former_refusal(const sipc_trust *t, const sipc_x509 *leaf,
                                     const sipc_x509 *cur, sipc_vfy_status st,
                                     sipc_vfy_result *res)
{
    const sipc_x509 *ca = NULL, *fl = &t->former_x[0];
    if (t->nformer < 1)
        return st;
    /* this side's own pair, or the one its rotation moves to, is not the
     * pair replaced, whatever CA it shares with it: its own refusal holds */
    if ((t->nown > 0 && !strcmp(leaf->fingerprint, t->own_x[0].fingerprint)) ||
        (t->rotation_role[0] && !strcmp(leaf->fingerprint, t->rotation_fp)))
        return st;
    if (sipc__self_signed(fl)) {
        if (strcmp(cur->fingerprint, fl->fingerprint) != 0)
            return st;
    } else {
        /* cur is that CA, or that CA signed cur (a chain presented
         * without its root), or cur signed it (a root the previous pair's
         * file left out) */
        for (int i = 1; i < t->nformer && !ca; i++) {
            const sipc_x509 *x = &t->former_x[i];
            bool valid = false;
            if (!x->is_ca)
                continue;
            if (!strcmp(cur->fingerprint, x->fingerprint) ||
                (sipc_name_equal(&x->subject_der, &cur->issuer_der) &&
                 sipc_x509_signed_by(cur, x, &valid) == 0 && valid))
                ca = x;
            else if (cur->is_ca && sipc_name_equal(&x->issuer_der, &cur->subject_der) &&
                     sipc_x509_signed_by(x, cur, &valid) == 0 && valid)
                ca = cur;
        }
        if (!ca)
            return st;
    }
    char what[700];
    if (ca)
        snprintf(what, sizeof what,
                 "certificate '%s' chains to '%s' (SHA-256 %.16s...), a CA of the pair",
                 sipc__name_or(leaf->subject), sipc__name_or(ca->subject), ca->fingerprint);
    else
        snprintf(what, sizeof what, "self-signed certificate '%s' is the pair",
                 sipc__name_or(leaf->subject));
    /* only a rotation was missed; after an import the peer holds the pair
     * that import replaced, and a rotation's fix would mislead */
    if (t->former_how == SIPC_PREVIOUS_IMPORT || t->former_how == SIPC_PREVIOUS_FORCED)
        return sipc__vfail(res, st, res->depth,
                           "import the same pair on every node (on that node `tlstool import "
                           "NEW.pfx --force`, then " RELOAD_HOW "), or import the old one back "
                           "on this side (its PKCS#12 file is security/previous/node.p12)",
                           "%s this node's `tlstool import%s` replaced (security/previous/, "
                           "SHA-256 %.16s...): the peer still presents the old pair",
                           what, t->former_how == SIPC_PREVIOUS_FORCED ? " --force" : "",
                           fl->fingerprint);
    if (t->former_how == SIPC_PREVIOUS_UNKNOWN)
        return sipc__vfail(res, st, res->depth,
                           CATCH_UP "; if it is this side's import that was the mistake, "
                                    "import the old pair back on this side "
                                    "(security/previous/node.p12)",
                           "%s this node held before (security/previous/, SHA-256 %.16s...; "
                           "replaced by a rotation or an import, not recorded): the peer still "
                           "presents it",
                           what, fl->fingerprint);
    /* previous/ holds the pair moved to, too, once a rotation was rolled
     * back and aborted here: the peer presenting it then did not roll back */
    return sipc__vfail(res, st, res->depth,
                       CATCH_UP " (`sipcctl reload` cannot: it speaks with the new pair, "
                                "which that node does not yet trust); if this side aborted that "
                                "rotation, `tlstool rotate abort --reload` there",
                       "%s this side rotated away from (security/previous/, SHA-256 %.16s...): "
                       "a node presenting it missed the rotation",
                       what, fl->fingerprint);
}
