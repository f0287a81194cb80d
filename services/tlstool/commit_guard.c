/* commit_guard.c - see commit_guard.h. */
#include "services/tlstool/commit_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/common/client_home.h"
#include "services/common/cut_judge.h"
#include "services/tlstool/trust_guard.h"

int commit_guard(const opts *o, const sipc_config *cfg, const char *staged)
{
    if (!trust_guard_applies(o, cfg))
        return EX_OK;
    /* a client-only home runs no node: its clients present the pair, and
     * a node that refuses it refuses their dials */
    sipc_cli_home_words w = sipc_cli_home_words_of(cfg);
    int client = w.client;
    const char *me = w.here;
    node_probe *now = NULL, *after = NULL;
    sipc_security *sec = NULL;
    char err[600] = "", refused[2400] = "", unasked[2400] = "";
    int nrefused = 0, nunasked = 0, timeout = o->timeout_ms ? o->timeout_ms : 5000;
    if (probe_cluster(cfg, timeout, &now, err, sizeof err) != 0 ||
        step_security(o, cfg, &(trust_step){0}, 1, &sec, err, sizeof err) != 0 ||
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
        if (sipc_config_node_is_self(cfg, i))
            continue;
        cut_dial first = {now[i].up, now[i].info.tls, now[i].err},
                 second = {after[i].up, after[i].info.tls, after[i].err};
        switch (cut_judge(&first, &second)) {
        case CUT_PLAIN:
        case CUT_KEPT:
            break;
        case CUT_TRUST_MOVED:
            /* the second dial differs from the first in the certificate
             * presented alone: the node refuses the staged pair */
            probe_list_why(refused, sizeof refused, &now[i], &after[i]);
            nrefused++;
            break;
        case CUT_REFUSED:
        case CUT_UNASKED:
            /* down, refused already, or the second dial failed for another
             * reason (a timeout, a restart, this side's verifier refusing
             * a certificate the node changed meanwhile): not a refusal */
            probe_list_why(unasked, sizeof unasked, &now[i], now[i].up ? &after[i] : &now[i]);
            nunasked++;
            break;
        }
    }
    free(after);
    free(now);
    if (nunasked && (!nrefused || o->force))
        warn("%d [cluster] node%s could not be asked whether %s the staged pair (SHA-256 "
             "%.16s...) %s presents once committed: %s; one that has not staged the same file "
             "refuses %s once committed (`sipcctl status --cluster` names which node staged "
             "which pair)",
             nunasked, nunasked == 1 ? "" : "s", nunasked == 1 ? "it accepts" : "they accept",
             staged, me, unasked, client ? "this home's dials" : "this node");
    if (!nrefused)
        return EX_OK;
    const char *them = nrefused == 1 ? "it" : "them";
    if (!o->force)
        return fail(EX_NOT_COMMITTED,
                    "not committed: %d [cluster] node%s refuse%s the staged pair (SHA-256 "
                    "%.16s...) %s presents once committed, so %s %s: %s. Nothing was changed. A node that staged another file moves to "
                    "another pair (`tlstool rotate status` there names it; `sipcctl status "
                    "--cluster` names which node staged which): stage the same file on every "
                    "node (`tlstool rotate stage FILE --force --reload` where it differs, "
                    "`tlstool rotate stage FILE --reload` where none is staged), then commit "
                    "node by node; or give --force to commit here anyway and cut %s off from %s",
                    nrefused, nrefused == 1 ? "" : "s", nrefused == 1 ? "s" : "", staged, me,
                    client ? "this home's clients could not reach" : "it would be cut off from",
                    them, refused, w.users, them);
    warn_held("--force: committed although %d [cluster] node%s refuse%s the staged pair (SHA-256 "
              "%.16s...): %s; %s accept%s %s once %s the same pair staged",
              nrefused, nrefused == 1 ? "" : "s", nrefused == 1 ? "s" : "", staged, refused,
              nrefused == 1 ? "it" : "they", nrefused == 1 ? "s" : "",
              w.users, nrefused == 1 ? "it has" : "they have");
    return EX_OK;
}
