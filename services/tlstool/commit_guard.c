/* commit_guard.c - see commit_guard.h. */
#include "services/tlstool/commit_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/security.h"
#include "services/common/err_line.h"
#include "services/tlstool/trust_guard.h"

/* This home's security as its commit leaves it: the staged pair presented,
 * the trust it has now (its pair and the staged one; previous/ comes with
 * the commit). Strict and without resumption, so that every peer judges
 * the staged certificate anew. 0, or -1 with err. */
static int staged_security(const opts *o, const sipc_config *cfg, sipc_security **out, char *err,
                           size_t errlen)
{
    sipc_keypair kp;
    sipc_vfy_result res;
    sipc_trust *t;
    int have;
    if (sipc_staged_load(o->home, &kp, &res) != 0) {
        snprintf(err, errlen, "%s", res.reason);
        return -1;
    }
    if (load_trust_quiet(o, cfg, NULL, &t, &have, err, errlen) != 0) {
        sipc_keypair_free(&kp);
        return -1;
    }
    snprintf(err, errlen, "out of memory");
    if (sipc__security_new_tls(out, SIPC_TLS_STRICT, &kp, t, err, errlen) != 0)
        return -1;
    sipc_security_set_resumption(*out, 0);
    return 0;
}

int commit_guard(const opts *o, const sipc_config *cfg, const char *staged)
{
    if (!trust_guard_applies(o, cfg))
        return EX_OK;
    node_probe *now = NULL, *after = NULL;
    sipc_security *sec = NULL;
    char err[600] = "", refused[2400] = "";
    int nrefused = 0, timeout = o->timeout_ms ? o->timeout_ms : 5000;
    if (probe_cluster(cfg, timeout, &now, err, sizeof err) != 0 ||
        staged_security(o, cfg, &sec, err, sizeof err) != 0 ||
        !(after = calloc((size_t)cfg->nnodes, sizeof *after)) ||
        probe_nodes(cfg, sec, timeout, after) != 0) {
        /* unjudged, as a commit was before it had a guard: said, not refused */
        warn("whether the [cluster] nodes accept the staged pair could not be asked: %s",
             err[0] ? err : "the handshakes could not be made");
        if (sec)
            sipc_security_release(sec);
        free(after);
        free(now);
        return EX_OK;
    }
    sipc_security_release(sec);
    for (int i = 0; i < cfg->nnodes; i++) {
        /* one that answered over TLS now and refuses the staged pair: the
         * second dial differs from the first in the certificate alone */
        if (sipc_config_node_is_self(cfg, i) || !now[i].up || !now[i].info.tls || after[i].up)
            continue;
        int wl;
        const char *why = cli_err_reason(after[i].err, after[i].detail, &wl);
        size_t at = strlen(refused);
        snprintf(refused + at, sizeof refused - at, "%s", at ? "; " : "");
        probe_list_add(refused, sizeof refused, &now[i]);
        at = strlen(refused);
        snprintf(refused + at, sizeof refused - at, ": %.*s", wl, why);
        nrefused++;
    }
    free(after);
    free(now);
    if (!nrefused)
        return EX_OK;
    const char *them = nrefused == 1 ? "it" : "them";
    if (!o->force)
        return fail(EX_NOT_COMMITTED,
                    "not committed: %d [cluster] node%s refuse%s the staged pair (SHA-256 "
                    "%.16s...) this node presents once committed, so it would be cut off from "
                    "%s: %s. Nothing was changed. A node that staged another file moves to "
                    "another pair (`tlstool rotate status` there names it; `sipcctl status "
                    "--cluster` names which node staged which): stage the same file on every "
                    "node (`tlstool rotate stage FILE --force --reload` where it differs, "
                    "`tlstool rotate stage FILE --reload` where none is staged), then commit "
                    "node by node; or give --force to commit here anyway and cut this node off "
                    "from %s",
                    nrefused, nrefused == 1 ? "" : "s", nrefused == 1 ? "s" : "", staged, them,
                    refused, them);
    warn("--force: committed although %d [cluster] node%s refuse%s the staged pair (SHA-256 "
         "%.16s...): %s; %s accept%s this node once %s the same pair staged",
         nrefused, nrefused == 1 ? "" : "s", nrefused == 1 ? "s" : "", staged, refused,
         nrefused == 1 ? "it" : "they", nrefused == 1 ? "s" : "", nrefused == 1 ? "it has" : "they have");
    return EX_OK;
}
