/* trust_guard.c - see trust_guard.h. */
#include "services/tlstool/trust_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/security.h"
#include "services/common/client_home.h"
#include "services/common/err_line.h"
#include "services/tlstool/drop_judge.h"

int trust_guard_applies(const opts *o, const sipc_config *cfg)
{
    if (cfg->nnodes == 0)
        return 0;
    if (cfg->tls_enable)
        return 1;
    if (!sipc_cli_home_client_only(cfg))
        return 0;
    char path[1200];
    snprintf(path, sizeof path, "%s/security/node.crt", o->home);
    return file_exists(path);
}

int step_security(const opts *o, const sipc_config *cfg, const trust_step *step, int staged,
                  sipc_security **out, char *err, size_t errlen)
{
    sipc_keypair kp;
    sipc_trust *t;
    int have, r;
    if (staged) {
        sipc_vfy_result res;
        if (sipc_staged_load(o->home, &kp, &res) != 0) {
            snprintf(err, errlen, "%s", res.reason);
            return EX_BADFILE;
        }
    } else if ((r = load_pair(o, &kp, LOAD_PAIR_QUIET)) != 0) {
        snprintf(err, errlen, "%s pair (security/node.crt) cannot be read",
                 sipc_cli_home_words_of(cfg).heres);
        return r;
    }
    sipc_config judged = *cfg;
    if (step->revocation_on && judged.revocation == SIPC_REVOCATION_OFF)
        judged.revocation = SIPC_REVOCATION_SOFT;
    /* build_trust with own set leaves staged/ and previous/ out */
    if ((r = step->crl_gone ? load_trust_without_crl(o, &judged, step->crl_gone, &t, err, errlen)
                            : load_trust_quiet(o, &judged, step->own_only ? &kp : NULL, &t, &have,
                                               err, errlen)) != 0) {
        sipc_keypair_free(&kp);
        return r;
    }
    if (step->crl &&
        sipc_trust_add_crl_named(t, step->crl, step->crl_len, step->crl_name, err, errlen) != 0) {
        sipc_trust_free(t);
        sipc_keypair_free(&kp);
        return EX_REFUSED;
    }
    /* its out-of-memory failure leaves err as it was */
    snprintf(err, errlen, "out of memory");
    if (sipc__security_new_tls(out, SIPC_TLS_STRICT, &kp, t, err, errlen) != 0)
        return EX_FAIL;
    sipc_security_set_resumption(*out, 0);
    return 0;
}

/* What the narrower trust does to n [cluster] nodes that present what it
 * refuses: a node's home refuses their links; a client-only home runs no
 * node, so its clients refuse their certificates and cannot reach them
 * (who: "it" for this node, as the sentence before names it). */
static const char *would_refuse(int client, const char *who, int n, char *out, size_t len)
{
    if (client)
        snprintf(out, len, "this home's clients would refuse %s certificate%s and could not reach %s",
                 n == 1 ? "its" : "their", n == 1 ? "" : "s", n == 1 ? "it" : "them");
    else
        snprintf(out, len, "%s would refuse %s links", who, n == 1 ? "its" : "their");
    return out;
}

/* Appends n as probe_list_add does; with reason and second's detail, as
 * probe_list_why does (why this home refused its certificate in the second
 * dial). */
static void list_refused(char *list, size_t len, const node_probe *n, const node_probe *second,
                         int reason)
{
    if (!reason || !second || !second->detail[0])
        probe_list_add(list, len, n);
    else
        probe_list_why(list, len, n, second);
}

int trust_guard(const opts *o, const sipc_config *cfg, const trust_step *step)
{
    if (!trust_guard_applies(o, cfg))
        return EX_OK;
    sipc_cli_home_words w = sipc_cli_home_words_of(cfg);
    int client = w.client;
    /* whose trust it is, and who is cut off by it */
    const char *me = w.here, *cut = w.users;
    char would[200];
    node_probe *nodes = NULL, *after = NULL;
    char err[600] = "", still[2400] = "", unknown[1200] = "", moved[1200] = "";
    char unjudged[1200] = "", cannot[700] = "", refused_now[1200] = "";
    int nstill = 0, nunknown = 0, nmoved = 0, nunjudged = 0, ntls = 0, nkept = 0;
    int timeout = o->timeout_ms ? o->timeout_ms : 5000;
    if (probe_cluster(cfg, timeout, &nodes, err, sizeof err) != 0)
        snprintf(unknown, sizeof unknown, "the [cluster] nodes could not be asked: %s", err);
    for (int i = 0; nodes && i < cfg->nnodes; i++)
        ntls += !sipc_config_node_is_self(cfg, i) && nodes[i].up && nodes[i].info.tls;
    sipc_security *sec = NULL;
    if (ntls && step_security(o, cfg, step, 0, &sec, err, sizeof err) != 0)
        snprintf(cannot, sizeof cannot, "the trust %s keeps after %s cannot be set up: %s", me,
                 step->verb, err);
    if (sec) {
        after = calloc((size_t)cfg->nnodes, sizeof *after);
        if (!after || probe_nodes(cfg, sec, timeout, after) != 0) {
            free(after);
            after = NULL;
            snprintf(cannot, sizeof cannot,
                     "the handshakes with the trust %s keeps after %s could not be made", me,
                     step->verb);
        }
        sipc_security_release(sec);
    }
    for (int i = 0; nodes && i < cfg->nnodes; i++) {
        if (sipc_config_node_is_self(cfg, i))
            continue;
        const node_probe *second = after ? &after[i] : NULL;
        switch (drop_judge(&nodes[i], second, step->dropped)) {
        case CUT_PLAIN:
            break;
        case CUT_KEPT:
            nkept++;
            break;
        case CUT_REFUSED:
            list_refused(still, sizeof still, &nodes[i], second, step->name_reasons);
            nstill++;
            break;
        case CUT_UNASKED:
            /* one that answered, when the second handshakes could not be
             * made at all, was asked: it could not be judged */
            if (!nodes[i].up && nodes[i].err == SIPC_EPEERAUTH) {
                /* refused by the trust this node has now, so by the
                 * narrower one after the step too: the step cuts nothing */
                list_refused(refused_now, sizeof refused_now, &nodes[i], &nodes[i], 1);
            } else if (cannot[0] && nodes[i].up) {
                probe_list_add(unjudged, sizeof unjudged, &nodes[i]);
                nunjudged++;
            } else {
                /* the peer's refusal of this node's certificate says why
                 * it could not be asked */
                list_refused(unknown, sizeof unknown, &nodes[i], &nodes[i],
                             nodes[i].err == SIPC_ECERTREFUSED);
                nunknown++;
            }
            break;
        case CUT_TRUST_MOVED:
            probe_list_add(moved, sizeof moved, &nodes[i]);
            nmoved++;
            break;
        }
    }
    const char *still_word = step->still ? "still " : "";
    /* some nodes cut off while another stays: what the step is for */
    /* some cut off, some kept: applied with a warning even without --force,
     * so --force took nothing past a refusal and forces no reload */
    int cut_some = nstill && !cut_refuses(nstill, nkept, step->partial_warns);
    int partial = cut_some && !o->force;
    for (int i = 0; partial && i < cfg->nnodes; i++) {
        if (sipc_config_node_is_self(cfg, i) ||
            drop_judge(&nodes[i], after ? &after[i] : NULL, step->dropped) != CUT_REFUSED)
            continue;
        char one[160] = "", why[sizeof after->detail + 8] = "";
        probe_list_add(one, sizeof one, &nodes[i]);
        if (after && after[i].detail[0]) {
            int wl;
            const char *r = cli_err_reason(after[i].err, after[i].detail, &wl);
            snprintf(why, sizeof why, ": %.*s", wl, r);
        }
        warn_held("%s although %s %spresents %s%s. %s; give %s a new certificate: `tlstool "
                  "import NEW.pfx` there, and a reload",
                  step->past, one, still_word, step->refused, why,
                  client ? "This home's clients refuse it from now on and cannot reach it (the "
                           "other [cluster] nodes stay reachable)"
                         : "This node refuses it from now on (the other [cluster] nodes stay "
                           "accepted)",
                  one);
    }
    free(after);
    free(nodes);
    if (nunknown) {
        size_t at = strlen(unknown);
        snprintf(unknown + at, sizeof unknown - at, " could not be asked the pair %s",
                 nunknown == 1 ? "it presents" : "they present");
    }
    if (nstill && !o->force && !partial)
        return fail(EX_NOT_COMMITTED,
                    "not %s: %d [cluster] node%s %spresent%s %s%s, so %s: %s%s%s. Nothing was "
                    "changed: %s first, then %s; or give --force to %s here anyway and cut %s "
                    "off from %s",
                    step->past, nstill, nstill == 1 ? "" : "s", still_word,
                    nstill == 1 ? "s" : "", step->refused,
                    step->partial_warns ? " (every [cluster] node that answered over TLS: no "
                                          "node would stay accepted)"
                                        : "",
                    would_refuse(client, "it", nstill, would, sizeof would), still,
                    unknown[0] ? "; and " : "", unknown, step->fix, step->safe_order, step->verb,
                    cut, nstill == 1 ? "it" : "them");
    /* a node that was down through the steps before has not taken them:
     * not knowing is no reason to go on */
    if (unknown[0] && !o->force && !step->unasked_warns)
        return fail(EX_NOT_COMMITTED,
                    "not %s: %s, so whether %s %s cannot be told: %s. Nothing was changed. Bring "
                    "%s up and %s, then %s; or, if %s gone for good, give --force to %s here "
                    "anyway",
                    step->past, unknown,
                    would_refuse(client, "this node", nunknown, would, sizeof would), step->once,
                    step->unasked_may, nunknown != 1 ? "each" : "it", step->unasked_fix,
                    step->safe_order, nunknown != 1 ? "they are" : "it is", step->verb);
    if (nunjudged && !o->force && !step->unasked_warns)
        return fail(EX_NOT_COMMITTED,
                    "not %s: %s answered, but whether %s %s cannot be judged: %s. Nothing was "
                    "changed; put that right, or give --force to %s without that judgement",
                    step->past, unjudged,
                    would_refuse(client, "this node", nunjudged, would, sizeof would), step->once,
                    cannot, step->verb);
    if (step->forced)
        *step->forced = o->force && ((nstill && !cut_some) ||
                                     (!step->unasked_warns && (unknown[0] || nunjudged)));
    const char *why = o->force ? "--force: " : "";
    if (nunjudged)
        warn_held("%s%s without judging %s: %s", why, step->past, unjudged, cannot);
    if (nstill && !partial)
        warn_held("--force: %s although %d [cluster] node%s %spresent%s %s: %s. %s from now on: "
                  "%s, then %s",
                  step->past, nstill, nstill == 1 ? "" : "s", still_word, nstill == 1 ? "s" : "",
                  step->refused, still,
                  client ? (nstill == 1 ? "This home's clients refuse it and cannot reach it"
                                        : "This home's clients refuse them and cannot reach them")
                         : (nstill == 1 ? "This node refuses it" : "This node refuses them"),
                  step->fix,
                  client ? "they reach it again"
                         : (nstill == 1 ? "it accepts it again" : "it accepts them again"));
    if (unknown[0] && o->force)
        warn_held("--force: %s although %s: a node that %spresents %s is refused by %s from now "
                  "on%s; the safe order: %s",
                  step->past, unknown, still_word, step->refused, cut,
                  client ? ", which cannot reach it" : "", step->safe_order);
    else if (unknown[0])
        warn_held("%s although %s: if %s %s, %s %s %s when %s", step->past, unknown,
                  nunknown == 1 ? "it presents" : "they present", step->refused, cut,
                  client ? "refuse" : "refuses", nunknown == 1 ? "it" : "them",
                  client ? (nunknown == 1 ? "they dial it" : "they dial them")
                         : (nunknown == 1 ? "it connects" : "they connect"));
    if (refused_now[0])
        warn_held("%s although %s refuses already, with the trust it has now, the certificate "
                  "of %s: the step changes nothing for that (`sipcctl status --cluster` names "
                  "which node presents and staged which pair)",
                  step->past, me, refused_now);
    if (nmoved) {
        const char *its = nmoved == 1 ? "its" : "their";
        warn("%s accepted %s's certificate when first asked and refused it when asked again a "
             "moment later: %s trust changed between the two (a reload or a rotation step "
             "there), so %s %s now, whatever %s does; %s not refused here (`tlstool rotate "
             "status` there says where %s rotation is); the safe order: %s",
             moved, me, its, nmoved == 1 ? "it refuses" : "they refuse",
             client ? "this home's dials" : "this node's links", me,
             nmoved == 1 ? "its certificate was" : "their certificates were", its,
             step->safe_order);
    }
    return EX_OK;
}
