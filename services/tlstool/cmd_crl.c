/* cmd_crl.c - `tlstool crl add|list|remove`: certificate revocation lists
 * in security/crl/, one per issuer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certs/tool/store.h"
#include "services/tlstool/tlstool.h"

static void crl_print(const char *name, const crl_file *f, void *arg)
{
    const opts *o = arg;
    const sipc_crl *c = &f->c;
    printf("%s\n  issuer: %s\n  this update %s, next update %s%s\n  %d revoked\n", name, c->issuer,
           f->this_update, f->next_update,
           c->next_update && time(NULL) > c->next_update ? " (PAST NEXT UPDATE)" : "", c->nrevoked);
    for (int i = 0; i < c->nrevoked && o->verbose; i++) {
        char sh[100], ws[32];
        time_t w;
        if (sipc_crl_entry(c, i, sh, sizeof sh, &w, NULL, 0) == 0) {
            sipc_time_str(w, ws);
            printf("    serial %s revoked %s\n", sh, ws);
        }
    }
}

int cmd_crl(void *arg)
{
    opts *o = arg;
    if (o->npos < 1)
        return fail(EX_USAGE, "crl needs add FILE, list or remove NAME");
    const char *sub = o->pos[0];
    char dir[1100], path[1400], err[600];
    snprintf(dir, sizeof dir, "%s/security/crl", o->home);
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    if (!strcmp(sub, "add")) {
        if (o->npos != 2)
            return fail(EX_USAGE, "usage: tlstool crl add FILE");
        crl_file f;
        if (crl_file_read(&f, o->pos[1], err, sizeof err) != 0)
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
        r = sipc_trust_add_crl_named(t, der, (size_t)dl, o->pos[1], err, sizeof err);
        sipc_trust_free(t);
        if (r != 0) {
            free(der);
            return fail(EX_REFUSED, "%s: %s", o->pos[1], err);
        }
        /* one file per issuer: a newer CRL replaces the older one */
        char ifp[65];
        sipc_fingerprint(c.issuer_der.p, c.issuer_der.len, ifp);
        snprintf(path, sizeof path, "%s/%.16s.crl", dir, ifp);
        {
            uint8_t *ob;
            size_t on;
            sipc_crl oc;
            if (!o->force && sipc_store_read(path, &ob, &on, MAX_FILE, err, sizeof err) == 0) {
                int older = sipc_crl_parse(&oc, ob, on, NULL, 0) == 0 &&
                            oc.this_update > c.this_update;
                free(ob);
                if (older) {
                    free(der);
                            return fail(EX_REFUSED,
                                "%s is older than the installed CRL of %s (%s): not replaced; "
                                "add --force to install it anyway",
                                o->pos[1], c.issuer, path);
                }
            }
        }
        if (sipc_store_init(o->home, err, sizeof err) != 0 ||
            sipc_store_write(path, der, (size_t)dl, err, sizeof err) != 0) {
            free(der);
            return fail(EX_FAIL, "%s", err);
        }
        printf("added CRL of %s (%d revoked; this update %s, next update %s) as %s\n", c.issuer,
               c.nrevoked, f.this_update, f.next_update, path);
        if (!known)
            printf("note: the issuer '%s' is neither this node's chain nor a trusted root: the "
                   "CRL is used (signature checked) when a peer presents that issuer\n",
                   c.issuer);
        if (c.next_update && time(NULL) > c.next_update)
            printf("warning: this CRL is past its next update: revocation status counts as "
                   "unknown until you add a current one\n");
        if (cfg.revocation == SIPC_REVOCATION_OFF)
            printf("warning: [tls] revocation = off in sipc.conf: CRLs are not checked\n");
        printf("running services pick the change up when restarted\n");
        free(der);
        return EX_OK;
    }
    if (!strcmp(sub, "list")) {
        printf("revocation = %s\n", revocation_name(cfg.revocation));
        int count = crl_dir_foreach(o->home, crl_print, o);
        if (!count)
            printf("no CRLs\n");
        return EX_OK;
    }
    if (!strcmp(sub, "remove")) {
        if (o->npos != 2)
            return fail(EX_USAGE, "usage: tlstool crl remove NAME (see tlstool crl list)");
        const char *name = o->pos[1];
        if (strchr(name, '/') || name[0] == '.')
            return fail(EX_USAGE, "give the NAME shown by `tlstool crl list`");
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (unlink(path) != 0)
            return fail(EX_REFUSED, "no CRL named %s in %s (see `tlstool crl list`)", name, dir);
        printf("removed %s; running services pick the change up when restarted\n", path);
        return EX_OK;
    }
    return fail(EX_USAGE, "unknown crl command '%s': use add, list or remove", sub);
}
