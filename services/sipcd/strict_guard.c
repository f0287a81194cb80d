/* strict_guard.c - the strict guard of a reload and of a start: a reload
 * that would make a listener strict while peers still speak plaintext to it
 * (this node's peer history, peers.c) is refused as a whole, unless forced
 * (--force, or the override `tlstool mode strict --force` leaves), which
 * cuts them off and may acknowledge them; a start judges the same peers the
 * same way, and starts permissive instead. The guard of going off, its
 * mirror, is off_guard.c. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "host.h"
#include "json_text.h"
#include "reload_job.h"
#include "strict_guard.h"

#define CUT_OFF_LISTED 32 /* peers a forced reload's answer names one by one */

/* The listeners the reload moves to strict (HOST_SVC_* bits): what the
 * guard is for, and whose peers it judges; judged from sipc.conf as a start
 * judges it, against what runs (a start held back runs permissive). */
static unsigned goes_strict(const reload_job *j, const host *h)
{
    unsigned running = 0;
    for (int i = 0; i < HOST_NSERVICES; i++)
        if (sipc_security_mode(h->svc[i].sec) == SIPC_TLS_STRICT)
            running |= host_svc_bit(host_svc_names[i]);
    return host_guard_scope(&j->cfg, running);
}

int reload_strict_guard(reload_job *j, host *h, char *msg, size_t len)
{
    /* a check of the files (dry) only asks whether the guard still refuses:
     * the override is left for the reload it is meant for */
    int marker = j->dry ? 0 : host_force_strict_take(h->cfg.home);
    /* only the peers of the listeners that change: `[pipeline] tls = 1` on
     * a plaintext cluster cuts off no client of the other services */
    unsigned services = goes_strict(j, h);
    if (!services)
        return 0;
    host_peer list[CUT_OFF_LISTED];
    int64_t now = (int64_t)time(NULL);
    int total = host_peers_plaintext_in(&h->peers, j->cfg.strict_guard_window, h->cfg.node_id,
                                        services, now, list, CUT_OFF_LISTED);
    if (!total)
        return 0;
    char text[1500];
    host_peers_text(list, total < 8 ? total : 8, total, now, text, sizeof text);
    if (j->dry && j->override_seen) {
        /* the override in place forces the next reload or start through the
         * guard: the refusal no longer holds. It stays for that reload (the
         * one that cuts off and acknowledges the peers); msg gets whom it
         * cuts off, for the note */
        j->overridden = 1;
        snprintf(msg, len, "%s", text);
        return 0;
    }
    if (j->force || marker) {
        /* the answer names whom it cut off, not only the node's log */
        j->cut_off = json_array();
        int n = total < CUT_OFF_LISTED ? total : CUT_OFF_LISTED;
        for (int i = 0; i < n; i++) {
            char one[300];
            host_peers_text(&list[i], 1, 1, now, one, sizeof one);
            json_array_append_new(j->cut_off, sipc_json_text(one));
        }
        if (total > n) {
            char more[64];
            snprintf(more, sizeof more, "and %d more", total - n);
            json_array_append_new(j->cut_off, json_string(more));
        }
    }
    if (j->force || marker) {
        /* acknowledged: these peers no longer hold the node back (at its next
         * start, say) until one connects again. Only the local override or a
         * caller that passed mutual TLS may leave that lasting mark: a
         * plaintext caller of a permissive node is anyone on the network */
        int ack = marker || j->ack;
        j->cut_off_ack = ack;
        char line[2000];
        snprintf(line, sizeof line, "%s): going strict cuts off peers still speaking plaintext: %s",
                 j->force ? "--force" : "the override of `tlstool mode strict --force`", text);
        reload_log_each(h, SIPC_LOG_WARN, "Reload forced (%s (%s)", line,
                        ack ? "acknowledged: they hold no later start or reload back unless they "
                              "connect again, except for a listener they still speak plaintext to "
                              "that this reload leaves as it is"
                            : "not acknowledged: the request came in plaintext, so they still hold "
                              "back the next start; a --force over TLS, or `tlstool mode strict "
                              "--force` before the start, acknowledges them");
        if (ack) {
            host_peers_cut_off_in(&h->peers, j->cfg.strict_guard_window, h->cfg.node_id,
                                  services, now);
            host_save_peers(h);
        }
        return 0;
    }
    /* the one asking may be among them: it cuts off its own next session
     * too, which is why it still counts; say so, or it reads as a riddle */
    int self_asked = 0;
    for (int i = 0; i < total && i < CUT_OFF_LISTED && j->caller_node[0] && !self_asked; i++)
        self_asked = host_peer_is(&list[i], j->caller_address, j->caller_node);
    /* [pipeline] tls = 1 with [tls] off takes a plaintext pipeline listener
     * straight to strict: no permissive step comes in which its peers could
     * speak TLS to it first, and one that holds the pair counts as plaintext
     * (it offered TLS and took the plaintext answer, which on a node with TLS
     * off still counts), so "once this node speaks TLS" could never be
     * followed: the advice names what works instead */
    int no_step = (services & HOST_SVC_PIPELINE) &&
                  sipc_config_effective_mode(&j->cfg) == SIPC_TLS_OFF &&
                  sipc_security_mode(h->svc[HOST_PIPELINE].sec) == SIPC_TLS_OFF;
    snprintf(msg, len,
             "reload refused: going strict would cut off peers still speaking plaintext: %s%s; %s",
             text,
             self_asked ? " (among them the home that asked for this reload: it speaks "
                          "plaintext here, so going strict cuts it off too)"
                        : "",
             no_step
                 ? "with [tls] off, `[pipeline] tls = 1` takes the pipeline listener from "
                   "plaintext straight to strict, with no permissive step in which they could "
                   "move to TLS first (a client whose home holds the cluster's key pair offers "
                   "TLS, but takes the plaintext answer); either reload with --force, which "
                   "makes the pipeline strict anyway: a client that holds the pair uses TLS from "
                   "its next connection on, one without it (a sipcctl named '... home TAG': the "
                   "home whose tag `tlstool status` shows as TAG) is cut off until the pair is "
                   "imported there; or turn TLS on here first through its permissive step, "
                   "`tlstool enable --mode permissive --reload` (the pipeline then accepts both, "
                   "and each client's next TLS connection clears it), and once they all use TLS, "
                   "`tlstool disable --reload` leaves the pipeline alone strict"
                 : "enable TLS there first (a sipcctl named '... home TAG': import the cluster's "
                   "key pair in the home whose tag `tlstool status` shows as TAG, or, if that "
                   "home holds it already, run one sipcctl command from that home once this node "
                   "speaks TLS (permissive), e.g. `sipcctl ping --node` this node: its next TLS "
                   "connection to this node clears it; tlstool's connections are not counted, so "
                   "they do not), or reload with --force, which goes strict anyway and cuts them "
                   "off");
    return 1;
}

void start_guard_judge(host *h, start_guard_verdict *v)
{
    memset(v, 0, sizeof *v);
    host_peers_load(&h->peers, h->cfg.home, v->load_err, sizeof v->load_err);
    /* one-shot: whichever start comes next consumes it, needed or not */
    int force = host_force_strict_take(h->cfg.home);
    /* only [tls] mode = strict can be held back (to permissive) at a start */
    if (sipc_config_effective_mode(&h->cfg) != SIPC_TLS_STRICT)
        return;
    /* the listeners that start strict, as a reload to this sipc.conf would
     * judge it: peers only of a plaintext pipeline ([pipeline] tls = 0)
     * hold nothing back */
    v->services = host_guard_scope(&h->cfg, 0);
    host_peer list[8];
    int64_t now = (int64_t)time(NULL);
    v->total = v->services ? host_guard_peers(h, v->services, list, 8) : 0;
    if (!v->total)
        return;
    host_peers_text(list, v->total < 8 ? v->total : 8, v->total, now, v->text, sizeof v->text);
    if (force) {
        /* marked in start_guard_forced, once the services run */
        v->forced = 1;
        return;
    }
    h->cfg.tls_mode = SIPC_TLS_PERMISSIVE;
    h->guarded = 1;
}

void start_guard_log(host *h, const start_guard_verdict *v)
{
    for (int i = 0; i < HOST_NSERVICES; i++) {
        sipc_logger *l = h->svc[i].log;
        if (!l)
            continue;
        if (v->load_err[0])
            sipc_logf(l, SIPC_LOG_WARN, "Service.Guard", "%s", v->load_err);
        /* the verdict and what to do first, the peers last: a log line has
         * a bounded length, and a long list must cut only its own tail */
        if (h->guarded)
            sipc_logf(l, SIPC_LOG_ERROR, "Service.Guard",
                      "[tls] mode = strict, but starting in permissive mode instead (TLS and "
                      "plaintext accepted): going strict would cut off peers still speaking "
                      "plaintext. Enable TLS on those peers first, or override once with "
                      "`tlstool mode strict --force` and restart (or `tlstool mode strict "
                      "--reload --force` on the running node). The peers: %s",
                      v->text);
    }
}

void start_guard_forced(host *h, const start_guard_verdict *v)
{
    if (!v->forced)
        return;
    for (int i = 0; i < HOST_NSERVICES; i++)
        if (h->svc[i].log)
            sipc_logf(h->svc[i].log, SIPC_LOG_WARN, "Service.Guard",
                      "strict (forced by the override of `tlstool mode strict --force`): peers "
                      "still speaking plaintext are cut off: %s (acknowledged: they hold no later "
                      "start or reload back unless they connect again)",
                      v->text);
    host_peers_cut_off_in(&h->peers, h->cfg.strict_guard_window, h->cfg.node_id, v->services,
                          (int64_t)time(NULL));
    host_save_peers(h);
}
