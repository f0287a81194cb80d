/* crl_guard.c - the guards of a reload that narrows whom this node
 * accepts. The CRL guard: a reload that applies CRLs the node does not
 * apply now ([tls] revocation turned on, which applies every CRL stored
 * while it was off at once; a CRL put into a mounted crl/ folder;
 * revocation = hard turned on, or a CRL gone under it). The trust guard: a
 * reload that changes no CRL but drops or changes a root of trust/, asks
 * another [tls] subject, or replaces the pair the node presents (a
 * self-signed pair is its own trust: the pin). Either is refused as a
 * whole, unless forced, when every [cluster] node that this node accepts
 * now presents a certificate the reload's security refuses (no link would
 * stay), or any presents one hard refuses for want of a current CRL, or
 * is cut off by the pair replaced (no purpose of anyone's: the rolling
 * rotation moves a cluster to a new pair without cutting a link). Each
 * refused node is named with its cause, told apart, for CRLs, by dials
 * without revocation checks and with soft ones.
 * Cutting off some nodes whose certificates a CRL revokes, or a root no
 * longer trusted issued, is what the change is for: the reload applies it
 * and warns, naming each with its fix.
 * Held back, a PKI's refreshed CRL would leave the installed one to age
 * past its next update, after which revocation = hard refuses every
 * certificate of its issuer. `tlstool crl add` asks the same question
 * before it stores a CRL;
 * this is the node's own, for CRLs that reach it by other ways and for
 * the switch that turns them all on. A reload dials each node twice, as
 * the tool's guard does: with the security that runs, and with the
 * reload's, so that a node refused already (or down) is told from one that
 * the reload cuts off (reload_dials.c). A check of a refused or pending
 * reload dials once, and only when the files changed or, while they stay
 * the same, ever more rarely: a node the reload's security refuses logs
 * each such dial as refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/keypair.h"
#include "crl_guard.h"
#include "host.h"
#include "reload_dials.h"
#include "reload_job.h"
#include "services/common/cut_judge.h"
#include "services/common/err_line.h"

/* Why the reload's security refuses a node that the running one accepts;
 * BY_UNJUDGED: a check of the same files, whose dials cannot tell, cuts a
 * node the dials that could tell did not (down then, or presenting another
 * certificate now); BY_UNTOLD: those dials could not tell; BY_TRUST: a
 * reload that changes no CRL (the trust guard); BY_PIN: the same, the
 * node's pair replaced, its new pin refusing the node's certificate;
 * BY_PIN_OUT: the node refusing the pair the reload presents. host's
 * crl_cause[] holds BY_N for a node not judged. */
enum { BY_CRL, BY_UNKNOWN, BY_OTHER, BY_UNJUDGED, BY_UNTOLD, BY_TRUST, BY_PIN, BY_PIN_OUT, BY_N };
/* The fix of a pair replaced outside a rotation (or a commit the other
 * nodes did not stage): the pair back (an import's is kept in previous/,
 * a commit's abort puts it back; one copied in has none), or the rotation. */
#define ROTATE_FIX                                                                               \
    "put back the pair the node runs (after `tlstool import --force`: `tlstool import "          \
    "security/previous/node.p12 --force`; after a commit: `tlstool rotate abort`), or move the " \
    "whole cluster to the new pair by the "                                                     \
    "rolling rotation, which cuts no link (`tlstool rotate stage FILE --reload` on every node, " \
    "then `rotate commit --reload` node by node, then `rotate finish --reload`: "               \
    "docs/operator-guide.md 1.8)"
static const struct {
    const char *what, *fix;
} cause_words[BY_N] = {
    [BY_CRL] = {"a certificate the CRLs revoke",
                "give each node named a new certificate that the CRLs do not revoke (`tlstool "
                "import NEW.pfx` there, and a reload), or take the CRL that revokes it out of "
                "security/crl/ (`tlstool crl list`, `tlstool crl remove NAME`)"},
    [BY_UNKNOWN] = {"a certificate whose revocation no current CRL in security/crl/ tells, which "
                    "[tls] revocation = hard refuses",
                    "put a current CRL of each such certificate's issuer into security/crl/ "
                    "first (`tlstool crl add FILE`), or set [tls] revocation = soft"},
    [BY_OTHER] = {"a certificate the reload refuses for something else it changes, not for a "
                  "CRL (the trusted roots, the pair's chain or [tls] subject)",
                  "undo that change (`tlstool trust list`, sipc.conf's [tls] subject), or give "
                  "each node named a certificate the reload's trust accepts"},
    [BY_UNJUDGED] = {"a certificate the reload refuses for a cause not told yet (the dials that "
                     "tell causes did not find it refused: down then, or presenting another "
                     "certificate now)",
                     "see the next check of the reload, which dials each node to tell the cause "
                     "(`sipcctl status`)"},
    [BY_UNTOLD] = {"a certificate the reload refuses for a cause its dials could not tell (in the "
                   "dials that tell it, the node refused the certificate this node presents "
                   "with the reload, or did not answer)",
                   "see that node's log for why it refused this node's certificate, and reload "
                   "again, which dials each node to tell the cause"},
    [BY_TRUST] = {"a certificate the reload's narrower trust refuses (a root gone from or changed "
                  "in security/trust/, or [tls] subject)",
                  "undo that change (`tlstool trust list`, `tlstool trust add FILE`, sipc.conf's "
                  "[tls] subject), or give each node named a certificate the reload's trust "
                  "accepts (`tlstool import NEW.pfx` there, and a reload)"},
    [BY_PIN] = {"a certificate the reload's pair does not accept (a self-signed pair accepts "
                "only itself, and in a rotation its staged or previous pair)",
                ROTATE_FIX},
    [BY_PIN_OUT] = {"a certificate this node accepts, with no trust in the pair the reload "
                    "presents (they neither hold it nor have it staged)",
                    ROTATE_FIX},
};

int reload_crl_news(const reload_job *j, const host *h)
{
    if (sipc_security_mode(j->sec[HOST_DATA]) == SIPC_TLS_OFF ||
        j->cfg.revocation == SIPC_REVOCATION_OFF)
        return 0;
    /* hard refuses what no current CRL tells: going to it, and a CRL gone
     * or changed under it, can cut a node off with no CRL revoking it */
    if (j->cfg.revocation == SIPC_REVOCATION_HARD)
        return h->cfg.revocation != SIPC_REVOCATION_HARD || !host_files_same(&j->crl, &h->crl);
    return j->crl.total > 0 &&
           (h->cfg.revocation == SIPC_REVOCATION_OFF || host_files_news(&j->crl, &h->crl));
}

/* Both the security that runs and the reload's are TLS. */
static int tls_stays(const reload_job *j, const host *h)
{
    return sipc_security_mode(j->sec[HOST_DATA]) != SIPC_TLS_OFF &&
           sipc_security_mode(h->svc[HOST_DATA].sec) != SIPC_TLS_OFF;
}

int reload_pair_news(const reload_job *j, const host *h)
{
    return tls_stays(j, h) && h->pair_fp[0] &&
           strcmp(h->pair_fp, sipc_security_fingerprint(j->probe)) != 0;
}

int reload_trust_news(const reload_job *j, const host *h)
{
    if (!tls_stays(j, h))
        return 0;
    /* a root added narrows nothing, nor does a subject no longer asked */
    return host_files_news(&h->trust, &j->trust) ||
           (j->cfg.subject[0] && strcmp(h->cfg.subject, j->cfg.subject)) ||
           reload_pair_news(j, h);
}

int reload_guard_news(const reload_job *j, const host *h)
{
    return reload_crl_news(j, h) || reload_trust_news(j, h);
}

/* forward: the digest of the files the dials judge */
static void files_key(const reload_job *j, uint8_t key[32]);

int reload_crl_causes_due(const reload_job *j, const host *h)
{
    if (j->cfg.revocation == SIPC_REVOCATION_OFF || sipc_security_mode(j->probe) == SIPC_TLS_OFF ||
        !reload_crl_news(j, h))
        return 0;
    if (!j->dry || !h->crl_dialed)
        return 1;
    uint8_t key[32];
    files_key(j, key);
    return memcmp(key, h->crl_key, sizeof key) != 0;
}

int reload_crl_load(reload_job *j, char *err, size_t len)
{
    if (j->cfg.revocation == SIPC_REVOCATION_OFF || sipc_security_mode(j->probe) == SIPC_TLS_OFF)
        return 0;
    sipc_config *c = malloc(sizeof *c);
    if (!c)
        return SIPC_ENOMEM;
    *c = j->cfg;
    c->revocation = SIPC_REVOCATION_OFF;
    int r = host_probe_security(c, &j->probe_as[0], err, len);
    if (r == 0 && j->cfg.revocation == SIPC_REVOCATION_HARD) {
        c->revocation = SIPC_REVOCATION_SOFT;
        r = host_probe_security(c, &j->probe_as[1], err, len);
    }
    free(c);
    return r;
}

/* What the reload's security is made of, as a digest: the same at a later
 * check, the nodes' answers to it can only differ by what they present. */
static void files_key(const reload_job *j, uint8_t key[32])
{
    struct {
        uint64_t all[3][4];
        int total[3], revocation, mode;
        char pair[65], subject[sizeof j->cfg.subject];
    } k;
    memset(&k, 0, sizeof k);
    const host_files *f[3] = {&j->trust, &j->crl, &j->rotation};
    for (int i = 0; i < 3; i++) {
        memcpy(k.all[i], f[i]->all, sizeof k.all[i]);
        k.total[i] = f[i]->total;
    }
    k.revocation = (int)j->cfg.revocation;
    k.mode = (int)sipc_security_mode(j->probe);
    snprintf(k.pair, sizeof k.pair, "%s", sipc_security_fingerprint(j->probe));
    snprintf(k.subject, sizeof k.subject, "%s", j->cfg.subject);
    if (sipc_sha256_two((const uint8_t *)&k, sizeof k, NULL, 0, key) != 0)
        memset(key, 0, 32); /* never one of a real digest: dialled again */
}

int reload_crl_dial_due(reload_job *j, host *h)
{
    uint8_t key[32];
    files_key(j, key);
    /* a refusal verdict stands only for a refusal by this guard */
    const char *cause = json_string_value(json_object_get(h->reload_refused, "cause"));
    int refused_here = cause && (!strcmp(cause, "crl_guard") || !strcmp(cause, "trust_guard"));
    if (!h->crl_dialed || memcmp(key, h->crl_key, sizeof key) ||
        (h->crl_refused && !refused_here) || h->crl_wait <= 0)
        return 1;
    h->crl_wait--;
    j->crl_skip = 1;
    return 0;
}

void reload_crl_forget(host *h)
{
    h->crl_dialed = h->crl_refused = h->crl_wait = h->crl_step = 0;
    memset(h->crl_cause, BY_N, sizeof h->crl_cause);
}

/* The verdict of dials just judged, and when to dial again while the files
 * stay the same: at the next check after a reload's dials or after files
 * that changed, then after twice as many checks as the last time. */
static void verdict_keep(const reload_job *j, host *h, int refused)
{
    uint8_t key[32];
    files_key(j, key);
    int same = j->dry && h->crl_dialed && !memcmp(key, h->crl_key, sizeof key);
    h->crl_step = !same ? 1 : h->crl_step * 2 > RELOAD_CRL_STEP_MAX ? RELOAD_CRL_STEP_MAX
                                                                   : h->crl_step * 2;
    h->crl_wait = same ? h->crl_step - 1 : 0;
    h->crl_dialed = 1;
    h->crl_refused = refused;
    memcpy(h->crl_key, key, sizeof key);
}

int reload_crl_ask(reload_job *j, host *h, uint32_t timeout_ms, void (*done)(reload_job *j))
{
    /* a check of the files the latest dials judged keeps their causes and
     * dials each node once: the nodes are not asked three times a check */
    int nsec = !reload_crl_causes_due(j, h) || !j->probe_as[0] ? 2 : !j->probe_as[1] ? 3 : 4;
    sipc_security *sec[RELOAD_DIAL_SECS] = {sipc_ctx_security(h->probe_ctx), j->probe,
                                            j->probe_as[0], j->probe_as[1]};
    return reload_dials_start(j, h, sec, j->dry ? 1 : 0, nsec, timeout_ms, done);
}

/* Appends "[; ]ADDR (node ID)[: why]" to list. */
static void node_add(char *list, size_t cap, const char *addr, const char *node, const char *why)
{
    size_t at = strlen(list);
    if (at + 2 < cap)
        snprintf(list + at, cap - at, "%s%s%s%s%s%s%s", at ? "; " : "", addr,
                 node[0] ? " (node " : "", node, node[0] ? ")" : "", why[0] ? ": " : "", why);
}

/* A check's dials found nodes the reload's security refuses (cut, words
 * naming them): each of them logs the dial as this node refusing its
 * certificate (for a revoked one alert certificate_revoked, "the peer's
 * log says why"), so this node's log says why, and that its links are not
 * cut, beside the management service's lines those dials reached. */
static void say_checked(host *h, int crl, int ncut, const char *cut)
{
    const char *what = crl ? "the CRLs" : "the trust";
    const json_t *r = h->reload_refused ? h->reload_refused : h->reload_pending;
    const char *at = json_string_value(json_object_get(r, h->reload_refused ? "at" : "refused_at"));
    sipc_logger *log = h->svc[HOST_MANAGEMENT].log;
    if (!log)
        return;
    sipc_logf(log, SIPC_LOG_INFO, "Service.Reload",
              "The %s guard checked the reload refused at %s again, dialling each [cluster] "
              "node with %s it would apply: %s. %s this check in %s log as a certificate "
              "this node refused; this node still runs %s it had, and its links to %s "
              "stay. The nodes are dialled again in %d checks of the files, or at the next one "
              "if the files change",
              crl ? "CRL" : "trust", at ? at : "(unknown)", what, cut,
              ncut == 1 ? "That node shows" : "Those nodes show", ncut == 1 ? "its" : "their",
              what, ncut == 1 ? "it" : "them", h->crl_wait + 1);
}

/* What a refusal by the reload's security owes: node i was refused by the
 * reload's security ([1]); accepted without revocation checks ([2]), the
 * refusal is the CRLs', and with soft ones too ([3], hard only), only hard's
 * refusal of a status no current CRL tells. Only this node's verifier
 * refusing the node (SIPC_EPEERAUTH) in those dials tells: the node
 * refusing this node's certificate there, or not answering, says nothing of
 * the CRLs (BY_UNTOLD). Without those dials (a check of the same files):
 * what the dials that could tell found, or not judged if they did not cut
 * it. A reload that applies no new CRL refuses what its trust refuses,
 * its new pin's when it replaces the pair. */
static int cause_of(const reload_dials *a, host *h, int i, int crl, int pin)
{
    if (!crl)
        return pin ? BY_PIN : BY_TRUST;
    if (a->nsec < 3)
        return h->crl_cause[i] < BY_N ? h->crl_cause[i] : BY_UNJUDGED;
    const reload_dial *off = &a->dial[2][i], *soft = &a->dial[3][i];
    int by = BY_CRL;
    if (!off->up)
        by = off->err == SIPC_EPEERAUTH ? BY_OTHER : BY_UNTOLD;
    else if (a->nsec == 4 && soft->up)
        by = BY_UNKNOWN;
    else if (a->nsec == 4 && soft->err != SIPC_EPEERAUTH)
        by = BY_UNTOLD;
    h->crl_cause[i] = (unsigned char)by;
    return by;
}

/* Why the guard dialled, as its words give it. */
static const char *news_why(const reload_job *j, const host *h, char *out, size_t len)
{
    if (!reload_crl_news(j, h)) {
        int roots = host_files_news(&h->trust, &j->trust);
        int subject = j->cfg.subject[0] && strcmp(h->cfg.subject, j->cfg.subject);
        snprintf(out, len, "%s%s%s%s%s%s",
                 roots ? "a trusted root in security/trust/ is gone or changed since the node "
                         "loaded its own"
                       : "",
                 roots && subject ? ", and " : "", subject ? "[tls] subject changes from '" : "",
                 subject ? h->cfg.subject : "", subject ? "' to '" : "",
                 subject ? j->cfg.subject : "");
        size_t at = strlen(out);
        if (subject)
            snprintf(out + at, len - at, "'");
        if (reload_pair_news(j, h)) {
            at = strlen(out);
            snprintf(out + at, len - at,
                     "%sthe pair this node presents changes from SHA-256 %.16s... to SHA-256 "
                     "%.16s... (security/node.crt)",
                     at ? ", and " : "", h->pair_fp, sipc_security_fingerprint(j->probe));
        }
        return out;
    }
    if (h->cfg.revocation == SIPC_REVOCATION_OFF)
        return "[tls] revocation is turned on, which applies every CRL in security/crl/ at once";
    if (j->cfg.revocation == SIPC_REVOCATION_HARD && h->cfg.revocation != SIPC_REVOCATION_HARD)
        return "[tls] revocation moves from soft to hard, which refuses a certificate whose "
               "revocation no current CRL tells";
    if (!host_files_news(&j->crl, &h->crl))
        return "a CRL is gone from security/crl/ under [tls] revocation = hard";
    return "a CRL in security/crl/ is new or changed since the node loaded its own";
}

/* The nodes cut off, all causes together. */
static int cut_count(const int *ncut)
{
    int n = 0;
    for (int c = 0; c < BY_N; c++)
        n += ncut[c];
    return n;
}

/* "N node(s) present(s) WHAT: LIST", for each cause with nodes, joined by
 * "; "; and in fix each cause's fix, joined the same way, each once. */
static void causes_text(const int *ncut, char cut[][1600], char *out, size_t cap, char *fix,
                        size_t fixcap)
{
    out[0] = fix[0] = '\0';
    for (int c = 0; c < BY_N; c++) {
        if (!ncut[c])
            continue;
        size_t at = strlen(out), fat = strlen(fix);
        snprintf(out + at, cap - at, "%s%d node%s present%s %s: %s", at ? "; " : "", ncut[c],
                 ncut[c] == 1 ? "" : "s", ncut[c] == 1 ? "s" : "", cause_words[c].what, cut[c]);
        if (!strstr(fix, cause_words[c].fix))
            snprintf(fix + fat, fixcap - fat, "%s%s", fat ? "; " : "", cause_words[c].fix);
    }
}

/* The guard's words when some node is refused for another cause than a CRL
 * revoking its certificate (ncut nodes in all), so that the refusal, or
 * the note of an applied reload, names each cause (1 refused). */
static int words_by_cause(reload_job *j, const host *h, const int *ncut, char cut[][1600],
                          int nkept, int refused, char *msg, size_t len)
{
    char groups[5000], fix[1600], why[700];
    causes_text(ncut, cut, groups, sizeof groups, fix, sizeof fix);
    int n = cut_count(ncut), pin = ncut[BY_PIN] + ncut[BY_PIN_OUT];
    size_t at = strlen(j->crl_note);
    if (!refused) {
        snprintf(j->crl_note + at, sizeof j->crl_note - at,
                 "%s%sthis reload cuts this node off from %d [cluster] node%s%s: %s%s%s",
                 at ? "; " : "", j->force ? "--force: " : "", n, n == 1 ? "" : "s",
                 nkept ? " (the other nodes stay accepted)" : "", groups, j->force ? "" : "; ",
                 j->force ? "" : fix);
        return 0;
    }
    int back = h->cfg.revocation == SIPC_REVOCATION_OFF;
    /* this home's own sipcctl presents the new pair, which the running
     * node refuses: the forced reload is asked from another home */
    snprintf(msg, len,
             "reload refused: %s, and with it this node would %s %d [cluster] "
             "node%s that it accepts now%s: %s. Nothing of it is applied: %s%s; or reload with "
             "--force%s, which applies it anyway and cuts %s off%s%s",
             news_why(j, h, why, sizeof why),
             pin ? "lose the links of" : "refuse the links of",
             n, n == 1 ? "" : "s", nkept ? "" : ", and keep none", groups, fix,
             back ? "; or set [tls] revocation back to off" : "",
             pin ? " (`sipcctl reload --node ADDR --force` from a home holding the pair the "
                   "node runs: this home's own sipcctl presents the new one)"
                 : "",
             n == 1 ? "it" : "them", j->crl_note[0] ? "; also " : "", j->crl_note);
    return 1;
}

/* The guard's verdict and words (reload_crl_guard), 1 refused; ncrl: the
 * nodes it cuts off for a cause that is the CRLs' or may be. */
static int judge(reload_job *j, host *h, char *msg, size_t len, int *ncrl)
{
    reload_dials *a = j->dials;
    char cut[BY_N][1600] = {""}, unasked[1200] = "";
    int ncut[BY_N] = {0}, nunasked = 0, nkept = 0, crl = reload_crl_news(j, h);
    int pin = reload_pair_news(j, h);
    const char *new_fp = sipc_security_fingerprint(j->probe);
    /* said once the reload applied, when its files are what the node runs */
    j->note_head = crl ? "Reload applied new CRLs" : "Reload narrowed the trust";
    /* dials that tell causes judge every node afresh: a cause kept from
     * earlier dials (other files, or the node cut for another cause then)
     * must not stand for one they do not cut */
    if (a->nsec >= 3)
        memset(h->crl_cause, BY_N, sizeof h->crl_cause);
    for (int i = 0; i < a->n; i++) {
        const reload_dial *now = &a->dial[0][i], *after = &a->dial[1][i];
        cut_dial was = {now->up, now->tls, now->err}, will = {after->up, after->tls, after->err};
        if (a->first) {
            /* a check: the security that runs accepted the node at the
             * reload's dials and has not changed since; one that does not
             * answer now could not be asked */
            /* with the pair replaced, a node refusing the new one was
             * accepted too: the security that runs presents the old */
            was = (cut_dial){after->up || after->err == SIPC_EPEERAUTH ||
                                 (pin && after->err == SIPC_ECERTREFUSED),
                             after->up ? after->tls : 1, after->err};
            now = after;
        }
        const char *node = reload_dials_node(a, h, i);
        cut_verdict v = cut_judge(&was, &will);
        if (v == CUT_PLAIN)
            continue;
        if (v == CUT_KEPT) {
            nkept++;
            continue;
        }
        if (v == CUT_REFUSED || (v == CUT_TRUST_MOVED && pin)) {
            /* the verifier's reason: the fix is the guard's to say; a
             * node refusing the new pair, with the two fingerprints */
            int rl, by = v == CUT_REFUSED ? cause_of(a, h, i, crl, pin) : BY_PIN_OUT;
            const char *reason = cli_err_reason(after->err, after->detail, &rl);
            char why[sizeof after->detail + 160] = "";
            if (by == BY_PIN_OUT && now->fp[0])
                snprintf(why, sizeof why, "it presents SHA-256 %.16s..., ", now->fp);
            size_t at = strlen(why);
            if (by == BY_PIN_OUT)
                snprintf(why + at, sizeof why - at, "it refuses the reload's pair (SHA-256 "
                         "%.16s...): %.*s", new_fp, rl, reason);
            else
                snprintf(why, sizeof why, "%.*s", rl, reason);
            node_add(cut[by], sizeof cut[by], a->addr[i], node, why);
            ncut[by]++;
        } else if (!a->first && after->up) {
            /* refused now, accepted by the reload: nothing to warn of */
        } else {
            /* down, refused already, or its own trust refused this node's
             * certificate: not a node this reload cuts off */
            const reload_dial *d = was.up ? after : now;
            size_t at = strlen(unasked);
            snprintf(unasked + at, sizeof unasked - at, "%s%s (%s%s%s%s)", at ? ", " : "",
                     a->addr[i], node[0] ? "node " : "", node, node[0] ? ", " : "",
                     sipc_strerror(d->err));
            nunasked++;
        }
    }
    int all = cut_count(ncut);
    /* cutting some nodes off is what a CRL revoking them is for; a status
     * no current CRL tells is no such purpose, nor a pair swapped under
     * nodes that hold the old one: either refuses the reload too */
    int refused = (cut_refuses(all, nkept, 1) || cut_refuses(ncut[BY_UNKNOWN], nkept, 0) ||
                   cut_refuses(ncut[BY_PIN] + ncut[BY_PIN_OUT], nkept, 0)) &&
                  !j->force;
    verdict_keep(j, h, refused);
    *ncrl = all - ncut[BY_OTHER] - ncut[BY_TRUST] - ncut[BY_PIN] - ncut[BY_PIN_OUT];
    /* a cut node whose cause is not told: the next check dials to tell it */
    if (ncut[BY_UNJUDGED])
        h->crl_dialed = 0;
    int by_crl = all == ncut[BY_CRL];
    if (j->dry && all) {
        char said[5000], fix[1100];
        if (by_crl)
            snprintf(said, sizeof said, "%d node%s present%s a certificate they revoke: %s",
                     all, all == 1 ? "" : "s", all == 1 ? "s" : "", cut[BY_CRL]);
        else
            causes_text(ncut, cut, said, sizeof said, fix, sizeof fix);
        say_checked(h, crl, all, said);
    }
    int turned_on = h->cfg.revocation == SIPC_REVOCATION_OFF;
    char whyb[700];
    const char *why = news_why(j, h, whyb, sizeof whyb);
    if (nunasked)
        snprintf(j->crl_note, sizeof j->crl_note,
                 "%s could not be asked the certificate %s presents with %s this reload "
                 "applies (%s): if %s it, this node refuses that node when it connects",
                 unasked, nunasked == 1 ? "it" : "each", crl ? "the CRLs" : "the trust", why,
                 crl ? "they revoke" : "it refuses");
    if (!all)
        return 0;
    if (!by_crl)
        return words_by_cause(j, h, ncut, cut, nkept, refused, msg, len);
    int nrev = ncut[BY_CRL];
    const char *one = nrev == 1 ? "it" : "them";
    if (nkept && !j->force) {
        size_t at = strlen(j->crl_note);
        snprintf(j->crl_note + at, sizeof j->crl_note - at,
                 "%sthe CRLs applied cut this node off from %d [cluster] node%s, which "
                 "present%s a certificate they revoke (the other nodes stay accepted): %s; give "
                 "%s a new certificate that the CRLs do not revoke: `tlstool import NEW.pfx` "
                 "there, and a reload",
                 at ? "; " : "", nrev, nrev == 1 ? "" : "s", nrev == 1 ? "s" : "", cut[BY_CRL],
                 nrev == 1 ? "that node" : "each node named");
        return 0;
    }
    if (j->force) {
        size_t at = strlen(j->crl_note);
        snprintf(j->crl_note + at, sizeof j->crl_note - at,
                 "%s--force: the CRLs applied cut this node off from %s, which present%s a "
                 "certificate they revoke: %s",
                 at ? "; " : "", nrev == 1 ? "a [cluster] node" : "[cluster] nodes",
                 nrev == 1 ? "s" : "", cut[BY_CRL]);
        return 0;
    }
    snprintf(msg, len,
             "reload refused: %s, and %s %d [cluster] node%s that this node accepts now "
             "present%s a certificate it refuses with those CRLs, so it would refuse %s links "
             "and keep none: %s; give "
             "each node named a new certificate that the CRLs do not revoke (`tlstool import "
             "NEW.pfx` there, and a reload) and then reload here, or take the CRL that revokes "
             "it out of security/crl/ (`tlstool crl list`, `tlstool crl remove NAME`)%s; or "
             "reload with --force, which applies the CRLs anyway and cuts %s off%s%s",
             why, nrev == 1 ? "the" : "all", nrev, nrev == 1 ? "" : "s", nrev == 1 ? "s" : "",
             nrev == 1 ? "its" : "their", cut[BY_CRL],
             turned_on ? ", or set [tls] revocation back to off" : "", one,
             j->crl_note[0] ? "; also " : "", j->crl_note);
    return 1;
}

const char *reload_crl_guard(reload_job *j, host *h, char *msg, size_t len)
{
    j->crl_note[0] = '\0';
    int ncrl = 0;
    if (!j->dials || !judge(j, h, msg, len, &ncrl))
        return NULL;
    /* named for what refuses: the trust guard when no CRL cuts a node */
    return ncrl ? "crl_guard" : "trust_guard";
}

const char *reload_guard_words(const reload_job *j, const host *h, int which)
{
    static const char *const words[2][2] = {
        {"applies new CRLs", "narrows the trust"},
        {"whether the CRLs revoke their certificates",
         "whether the narrower trust refuses their certificates"},
    };
    return words[which][!reload_crl_news(j, h)];
}
