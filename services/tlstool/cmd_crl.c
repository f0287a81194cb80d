/* cmd_crl.c - `tlstool crl add|list|remove`: certificate revocation lists
 * in security/crl/, one file per issuer and scope. An issuer may publish
 * several CRLs at once (a complete CRL and deltas on top of it, partitions
 * by distribution point or by reason); the verifier chooses among them, so
 * only a CRL of the same scope replaces an installed one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certs/crl_scope.h"
#include "certs/tool/store.h"
#include "services/common/client_home.h"
#include "services/common/shown_text.h"
#include "services/tlstool/tlstool.h"
#include "services/tlstool/trust_guard.h"

/* "complete CRL number 12", "delta CRL number 14 on base 12, only CA
 * certificates, distribution point ..." */
static void crl_kind(const sipc_crl *c, char *out, size_t outlen)
{
    char n[64], b[64], rs[160];
    sipc_crl_num_str(&c->number, n, sizeof n);
    sipc_crl_num_str(&c->base_number, b, sizeof b);
    size_t w = (size_t)snprintf(out, outlen, "%s CRL number %s", c->is_delta ? "delta" : "complete", n);
    if (c->is_delta && w < outlen)
        w += (size_t)snprintf(out + w, outlen - w, " on base %s", b);
    if (c->idp_dp.len && w < outlen)
        w += (size_t)snprintf(out + w, outlen - w, ", one distribution point");
    if (c->only_user && w < outlen)
        w += (size_t)snprintf(out + w, outlen - w, ", only end-entity certificates");
    if (c->only_ca && w < outlen)
        w += (size_t)snprintf(out + w, outlen - w, ", only CA certificates");
    if (c->only_attr && w < outlen)
        w += (size_t)snprintf(out + w, outlen - w, ", only attribute certificates");
    if (c->indirect && w < outlen)
        w += (size_t)snprintf(out + w, outlen - w, ", indirect");
    if (c->only_reasons && w < outlen) {
        sipc_crl_reasons_str(c->only_reasons, rs, sizeof rs);
        snprintf(out + w, outlen - w, ", only reasons %s", rs);
    }
}

typedef struct same_kind {
    const sipc_crl *c;
    int n;
} same_kind;

/* counts the installed CRLs of c's issuer and kind (complete or delta) */
static void count_same_kind(const char *name, const crl_file *f, void *arg)
{
    same_kind *s = arg;
    (void)name;
    s->n += sipc_name_equal(&f->c.issuer_der, &s->c->issuer_der) && f->c.is_delta == s->c->is_delta;
}

static void crl_print(const char *name, const crl_file *f, void *arg)
{
    const opts *o = arg;
    const sipc_crl *c = &f->c;
    char kind[200], shown[4 * 256 + 8];
    crl_kind(c, kind, sizeof kind);
    /* a name in crl/ is anyone's choice who could put a file there (a
     * mounted folder): shown as a FILE given to a command is */
    cli_shown(name, shown, sizeof shown);
    printf("%s\n  issuer: %s\n  %s\n  this update %s, next update %s%s\n  %d revoked\n", shown,
           c->issuer, kind, f->this_update, f->next_update,
           c->next_update && time(NULL) > c->next_update ? " (PAST NEXT UPDATE)" : "", c->nrevoked);
    if (c->unusable[0])
        printf("  NOT USED: %s\n", c->unusable);
    for (int i = 0; i < c->nrevoked && o->verbose; i++) {
        char sh[100], ws[32];
        time_t w;
        if (sipc_crl_entry(c, i, sh, sizeof sh, &w, NULL, 0) == 0) {
            sipc_time_str(w, ws);
            printf("    serial %s revoked %s\n", sh, ws);
        }
    }
}

/* The guard of a CRL added: each [cluster] node is dialled again with this
 * home's trust and the CRL (shown: its name in the verifier's words), so
 * that a node presenting a certificate it revokes is named before this
 * home refuses it, whatever certificate each node has (an organisation's
 * CA issues one per node, and only the node presenting it needs another).
 * Cutting off some nodes is what a CRL is for: it is added, each named with
 * its fix; only one that leaves no node answering accepted is refused. */
static int crl_guard(const opts *o, const sipc_config *cfg, const crl_file *f, const char *shown,
                     int *forced)
{
    int off = cfg->revocation == SIPC_REVOCATION_OFF;
    const trust_step step = {
        .verb = "add the CRL",
        .past = "added",
        .refused = off ? "a certificate this CRL revokes once [tls] revocation is turned on"
                       : "a certificate this CRL revokes",
        .once = "once it uses this CRL",
        .fix = "give each node named a new certificate that this CRL does not revoke "
               "(`tlstool import NEW.pfx` there, and a reload)",
        .safe_order = "`tlstool crl add FILE --reload` on every node once no node presents a "
                      "certificate it revokes (docs/operator-guide.md, 4)",
        .unasked_may = "a node that could not be asked may present a certificate this CRL "
                       "revokes",
        .unasked_fix = "give it a new certificate if this CRL revokes its own",
        .crl = f->der,
        .crl_len = (size_t)f->len,
        .crl_name = shown,
        .name_reasons = 1,
        .unasked_warns = 1,
        .partial_warns = 1,
        .revocation_on = 1,
        .forced = forced};
    return trust_guard(o, cfg, &step);
}

/* The guard of a CRL removed under [tls] revocation = hard: a node whose
 * certificate only this CRL covered would be refused, its revocation
 * status unknown, which is no purpose of a removal (a node revoked stays
 * refused without its CRL only under hard, and for a reason no one chose):
 * refused when it cuts any node off, as a rotation's finish is. */
static int crl_remove_guard(const opts *o, const sipc_config *cfg, const char *name,
                            int *forced)
{
    const trust_step step = {
        .verb = "remove the CRL",
        .past = "removed",
        .refused = "a certificate whose revocation no current CRL tells once this CRL is gone, "
                   "which [tls] revocation = hard refuses",
        .once = "once this CRL is gone",
        .fix = "add a current CRL of each such certificate's issuer (`tlstool crl add FILE`), or "
               "set [tls] revocation = soft",
        .safe_order = "`tlstool crl remove NAME --reload` once another current CRL covers "
                      "every certificate it covers (docs/operator-guide.md, 4)",
        .unasked_may = "a node that could not be asked may present a certificate only this CRL "
                       "covers",
        .unasked_fix = "add a current CRL of its issuer if it presents such a certificate",
        .crl_gone = name,
        .name_reasons = 1,
        .unasked_warns = 1,
        .forced = forced};
    return trust_guard(o, cfg, &step);
}

/* How this home's own certificate verifies with its trust, crl/crl_out
 * left out (NULL: none): its status, SIPC_VFY_OK when it or the trust
 * cannot be read (another command says so). */
static sipc_vfy_status own_status(const opts *o, const sipc_config *cfg, const char *crl_out,
                                  sipc_vfy_result *res)
{
    char err[1600];
    sipc_trust *t;
    sipc_keypair kp;
    sipc_vfy_status st = SIPC_VFY_OK;
    if (load_trust_without_crl(o, cfg, crl_out, &t, err, sizeof err) != 0)
        return st;
    if (load_pair(o, &kp, LOAD_PAIR_QUIET) == 0) {
        if (sipc_trust_verify(t, kp.certs, kp.ncerts, SIPC_PURPOSE_BOTH, time(NULL), res) != 0)
            st = res->status;
        sipc_keypair_free(&kp);
    }
    sipc_trust_free(t);
    return st;
}

int cmd_crl(void *arg)
{
    opts *o = arg;
    if (o->npos < 1)
        return fail(EX_USAGE, "crl needs add FILE, list or remove NAME");
    const char *sub = o->pos[0];
    if (o->reload && strcmp(sub, "add") && strcmp(sub, "remove"))
        return fail(EX_USAGE, "--reload goes with crl add and crl remove only");
    if ((o->force || o->timeout_ms) && strcmp(sub, "add") && strcmp(sub, "remove"))
        return fail(EX_USAGE, "%s goes with crl add and crl remove only",
                    o->force ? "--force" : "--timeout");
    char dir[1100], path[1400], err[1600];
    snprintf(dir, sizeof dir, "%s/security/crl", o->home);
    /* as the text names them: the home, and FILE or NAME */
    char dir_shown[4 * 4096 + 32];
    snprintf(dir_shown, sizeof dir_shown, "%s/security/crl", o->home_shown);
    const char *arg_shown = o->npos > 1 ? o->pos_shown[1] : "";
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    if (!strcmp(sub, "add")) {
        if (extra_args(o, 2))
            return EX_USAGE;
        if (o->npos != 2)
            return fail(EX_USAGE, "usage: tlstool crl add FILE");
        crl_file f;
        if (crl_file_read(&f, o->pos[1], arg_shown, err, sizeof err) != 0)
            return fail(EX_BADFILE, "%s", err);
        const sipc_crl c = f.c;
        uint8_t *der = f.der;
        long dl = f.len;
        sipc_trust *t;
        int have;
        if ((r = load_trust(o, &cfg, &t, &have)) != 0) {
            free(der);
            return r;
        }
        int known = sipc_trust_knows_issuer(t, der, (size_t)dl);
        /* a CRL that revokes this home's own certificate: sipcd would refuse
         * to start or reload with it, and the reload asked would only find
         * the node unable to answer for a reason of this home. Only when
         * this CRL is what revokes it: one already installed may (and a
         * newer CRL of its scope, which replaces it, may be the way out) */
        sipc_vfy_result res;
        sipc_keypair kp;
        int have_kp = have && load_pair(o, &kp, LOAD_PAIR_QUIET) == 0, own_revoked = 0;
        int revoked_before =
            have_kp &&
            sipc_trust_verify(t, kp.certs, kp.ncerts, SIPC_PURPOSE_BOTH, time(NULL), &res) != 0 &&
            res.status == SIPC_VFY_REVOKED;
        r = sipc_trust_add_crl_named(t, der, (size_t)dl, arg_shown, err, sizeof err);
        if (r == 0 && have_kp && !revoked_before)
            own_revoked =
                sipc_trust_verify(t, kp.certs, kp.ncerts, SIPC_PURPOSE_BOTH, time(NULL), &res) != 0 &&
                res.status == SIPC_VFY_REVOKED;
        if (have_kp)
            sipc_keypair_free(&kp);
        sipc_trust_free(t);
        if (r != 0) {
            free(der);
            return fail(EX_REFUSED, "%s: %s", arg_shown, err);
        }
        if (own_revoked) {
            free(der);
            return fail(EX_REFUSED,
                        "%s: not added: it revokes this home's own certificate: %s; sipcd "
                        "refuses to start or reload with it, and its peers would refuse this "
                        "node; import an unrevoked pair first (a new certificate from the CA: "
                        "`tlstool import FILE`), then add the CRL",
                        arg_shown, res.reason);
        }
        /* one file per issuer and scope: issuer, issuing distribution point,
         * complete or delta. A newer CRL replaces the older one of the same
         * scope; CRLs of other scopes stay. */
        char ifp[65], sfp[65], scope[32] = "";
        sipc_fingerprint(c.issuer_der.p, c.issuer_der.len, ifp);
        if (c.idp.len) {
            sipc_fingerprint(c.idp.p, c.idp.len, sfp);
            snprintf(scope, sizeof scope, "-%.8s", sfp);
        }
        char name[64];
        snprintf(name, sizeof name, "%.16s%s%s.crl", ifp, scope, c.is_delta ? "-delta" : "");
        snprintf(path, sizeof path, "%s/%s", dir, name);
        /* what the CRL replaces, as the text names it: nothing, the same
         * bytes, an equal CRL (same number and date, another signature), an
         * older one, with --force a newer one, or a file that is no CRL */
        enum {
            REPLACES_NONE, REPLACES_SAME, REPLACES_EQUAL, REPLACES_OLDER, REPLACES_NEWER,
            REPLACES_UNREADABLE
        };
        int replaces = REPLACES_NONE;
        /* how many certificates it revokes that the CRL it replaces did not:
         * only those can cut a node off that is not cut off already (a
         * refresh with new dates alone asks nobody, so a node down does
         * not stop it) */
        int fresh = c.nrevoked;
        {
            uint8_t *ob;
            size_t on;
            sipc_crl oc;
            if (sipc_secret_file_read(path, &ob, &on, MAX_FILE, err, sizeof err) == 0) {
                int ok = sipc_crl_parse(&oc, ob, on, NULL, 0) == 0;
                int ncmp = ok && oc.number.len && c.number.len
                               ? sipc_crl_num_cmp(&oc.number, &c.number)
                               : 0;
                /* older by date or by CRL number: either way --force */
                int older = ok && (oc.this_update > c.this_update || ncmp > 0);
                int equal = ok && !older && oc.this_update == c.this_update && ncmp == 0 &&
                            !oc.number.len == !c.number.len;
                replaces = on == (size_t)dl && !memcmp(ob, der, on) ? REPLACES_SAME
                           : !ok                                    ? REPLACES_UNREADABLE
                           : equal                                  ? REPLACES_EQUAL
                           : older                                  ? REPLACES_NEWER
                                                                    : REPLACES_OLDER;
                if (ok)
                    fresh = sipc_crl_count_unlisted(&c, &oc);
                free(ob);
                if (older && !o->force) {
                    free(der);
                    return fail(EX_REFUSED,
                                "%s is older than the installed CRL of %s with the same scope "
                                "(%s/%s): not replaced; add --force to install it anyway",
                                arg_shown, c.issuer, dir_shown, name);
                }
            }
        }
        /* a CRL that revokes the certificate a [cluster] node presents cuts
         * this home off from it once applied: the nodes are asked first, as
         * a rotation's finish asks them, to name them (refused only when no
         * node would stay accepted); with revocation off too, since turning
         * it on applies every CRL stored meanwhile at once */
        int forced = 0;
        if (have && fresh > 0 &&
            (r = crl_guard(o, &cfg, &f, arg_shown, &forced)) != 0) {
            free(der);
            return r;
        }
        if (sipc_store_init(o->home, err, sizeof err) != 0 ||
            sipc_store_put(o->home, "crl", name, der, (size_t)dl, err, sizeof err) != 0) {
            free(der);
            return fail(EX_FAIL, "%s", err);
        }
        char kind[200];
        crl_kind(&c, kind, sizeof kind);
        static const char *const replaced[] = {
            "", ", replacing the same CRL (it was installed already)",
            ", replacing the installed CRL of the same scope, number and date (an equal CRL)",
            ", replacing the older CRL of the same scope",
            ", replacing the newer CRL of the same scope (--force)",
            ", replacing the file of the same scope, which is no CRL sipc can read"};
        printf("added CRL of %s (%d revoked; this update %s, next update %s; %s) as %s/%s%s\n",
               c.issuer, c.nrevoked, f.this_update, f.next_update, kind, dir_shown, name,
               replaced[replaces]);
        warn_held_say();
        if (c.unusable[0])
            warning("this CRL will never be used: %s", c.unusable);
        if (!known)
            printf("note: the issuer '%s' is neither %s chain nor a trusted root: the "
                   "CRL is used (signature checked) when a peer presents that issuer\n",
                   c.issuer, sipc_cli_home_words_of(&cfg).heres);
        if (c.next_update && time(NULL) > c.next_update)
            warning("this CRL is past its next update: revocation status counts as "
                    "unknown until you add a current one");
        else if (cfg.revocation == SIPC_REVOCATION_HARD &&
                 sipc_crl_due_soon(c.this_update, c.next_update, time(NULL))) {
            char due[900];
            sipc_crl_due_text(c.issuer, "", c.next_update, time(NULL), due, sizeof due);
            warning("%s", due);
        }
        /* past the cap the verifier weighs, a CRL revokes what it lists but
         * can no longer make a status known */
        same_kind sk = {&c, 0};
        crl_dir_foreach(o->home, count_same_kind, &sk, err, sizeof err);
        if (sk.n > SIPC_CRLS_WEIGHED)
            warning("%d %s CRLs of '%s' are installed: of those that cover one certificate the "
                    "verifier weighs %d; one past them still revokes what it lists, but counts "
                    "for no known status and releases no hold; remove old ones (`tlstool crl "
                    "list`, `tlstool crl remove NAME`)",
                    sk.n, c.is_delta ? "delta" : "complete", c.issuer, SIPC_CRLS_WEIGHED);
        if (cfg.revocation == SIPC_REVOCATION_OFF)
            warning("[tls] revocation = off in sipc.conf: CRLs are not checked; this CRL "
                    "takes effect when revocation is turned on (soft or hard)%s",
                    sipc_cli_home_client_only(&cfg) ? ", for this home's clients from their next run"
                                      : " and the node reloads or restarts");
        free(der);
        /* --force cut a node off knowingly: the node's own CRL guard, which
         * asks the same, is forced too; a --force given only to replace a
         * newer CRL forces no guard of the node's */
        return reload_or_remind(o, forced, "`tlstool crl add`");
    }
    if (!strcmp(sub, "list")) {
        if (extra_args(o, 1))
            return EX_USAGE;
        printf("revocation = %s\n", revocation_name(cfg.revocation));
        int count = crl_dir_foreach(o->home, crl_print, o, err, sizeof err);
        if (count < 0)
            return fail(EX_CONFIG, "%s", err);
        if (!count)
            printf("no CRLs\n");
        return EX_OK;
    }
    if (!strcmp(sub, "remove")) {
        if (extra_args(o, 2))
            return EX_USAGE;
        if (o->npos != 2)
            return fail(EX_USAGE, "usage: tlstool crl remove NAME (see tlstool crl list)");
        const char *name = o->pos[1];
        if (strchr(name, '/') || name[0] == '.')
            return fail(EX_USAGE, "give the NAME shown by `tlstool crl list`");
        /* under hard, what only this CRL covered is refused once it is gone:
         * the nodes are asked first (a name crl/ lacks is refused below) */
        int forced = 0;
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (cfg.revocation == SIPC_REVOCATION_HARD && file_exists(path) &&
            sipc_trust_name_loaded(name, sipc_trust_crl_names)) {
            /* the node's own certificate unknown without it: sipcd would
             * refuse to start or reload, as for a CRL revoking it */
            sipc_vfy_result res, before;
            if (own_status(o, &cfg, name, &res) == SIPC_VFY_REVOCATION_UNKNOWN &&
                own_status(o, &cfg, NULL, &before) != SIPC_VFY_REVOCATION_UNKNOWN)
                return fail(EX_REFUSED,
                            "%s: not removed: it is the current CRL that covers this home's own "
                            "certificate, which [tls] revocation = hard refuses without one: %s; "
                            "sipcd would refuse to start or reload with its own certificate so; "
                            "add a current CRL of that issuer first (`tlstool crl add FILE`), "
                            "or set [tls] revocation = soft",
                            arg_shown, res.reason);
            if ((r = crl_remove_guard(o, &cfg, name, &forced)) != 0)
                return r;
        }
        r = sipc_store_remove(o->home, "crl", name, err, sizeof err);
        if (r == 1)
            return fail(EX_REFUSED, "no CRL named %s in %s (see `tlstool crl list`)", arg_shown,
                        dir_shown);
        if (r != 0)
            return fail(EX_FAIL, "%s", err);
        printf("removed %s/%s\n", dir_shown, arg_shown);
        warn_held_say();
        /* --force cut a node off knowingly: so is the node's own guard */
        return reload_or_remind(o, forced, "`tlstool crl remove`");
    }
    return fail(EX_USAGE, "unknown crl command '%s': use add, list or remove", sub);
}
