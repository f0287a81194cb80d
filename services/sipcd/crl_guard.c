/* crl_guard.c - the CRL guard of a reload: a reload that applies CRLs the
 * node does not apply now ([tls] revocation turned on, which applies every
 * CRL stored while it was off at once; a CRL put into a mounted crl/
 * folder) is refused as a whole, unless forced, only when every [cluster]
 * node that this node accepts now presents a certificate the reload's
 * security refuses (no link would stay). Cutting off some of them is what
 * a CRL is for: the reload applies it and warns, naming each with its fix.
 * Held back, a PKI's refreshed CRL would leave the installed one to age
 * past its next update, after which revocation = hard refuses every
 * certificate of its issuer. `tlstool crl add` asks the same question
 * before it stores a CRL;
 * this is the node's own, for CRLs that reach it by other ways and for
 * the switch that turns them all on. A reload dials each node twice, as
 * the tool's guard does: with the security that runs, and with the
 * reload's, so that a node refused already (or down) is told from one that
 * the reload cuts off. A check of a refused or pending reload dials once,
 * and only when the files changed or, while they stay the same, ever more
 * rarely: a node the reload's CRLs revoke logs each such dial as refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certs/keypair.h"
#include "crl_guard.h"
#include "host.h"
#include "reload_job.h"
#include "services/common/cut_judge.h"
#include "services/common/err_line.h"

typedef struct crl_dial {
    struct crl_ask *ask;
    sipc_channel *ch;
    int done, up, tls, err;
    char node[64];
    char detail[700];
} crl_dial;

/* [0]: the security that runs now, [1]: the reload's */
typedef struct crl_ask {
    reload_job *j;
    void (*done)(reload_job *j);
    sipc_ctx *ctx[2];
    int first; /* 1: only the reload's security is dialled (a check) */
    int n, open, closing, started;
    char addr[SIPC_MAX_NODES][160];
    crl_dial dial[2][SIPC_MAX_NODES];
} crl_ask;

int reload_crl_news(const reload_job *j, const host *h)
{
    if (sipc_security_mode(j->sec[HOST_DATA]) == SIPC_TLS_OFF ||
        j->cfg.revocation == SIPC_REVOCATION_OFF || j->crl.total <= 0)
        return 0;
    return h->cfg.revocation == SIPC_REVOCATION_OFF || host_files_news(&j->crl, &h->crl);
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
    int refused_here = cause && !strcmp(cause, "crl_guard");
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

/* the dials' failures are the guard's to say, not each one's log line */
static void quiet(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    (void)arg;
    (void)level;
    (void)category;
    (void)msg;
}

static void ctx_closed(sipc_ctx *ctx, void *arg)
{
    crl_ask *a = arg;
    (void)ctx;
    if (--a->closing == 0)
        a->done(a->j);
}

/* Once every dial ended (and all were started), the contexts close. */
static void all_ended(crl_ask *a)
{
    if (a->open || !a->started || a->closing)
        return;
    a->closing = 2 - a->first;
    for (int k = a->first; k < 2; k++)
        sipc_ctx_close(a->ctx[k], ctx_closed, a);
}

static void dial_end(crl_dial *d)
{
    if (d->done)
        return;
    d->done = 1;
    if (!d->up && !d->err && d->ch)
        d->err = sipc_channel_last_error(d->ch);
    if (!d->up && !d->err)
        d->err = SIPC_ENOTCONN;
    if (!d->up && !d->detail[0] && d->ch && sipc_channel_last_detail(d->ch))
        snprintf(d->detail, sizeof d->detail, "%s", sipc_channel_last_detail(d->ch));
    if (d->ch) {
        sipc_channel_close(d->ch, NULL, NULL);
        d->ch = NULL;
    }
    d->ask->open--;
    all_ended(d->ask);
}

static void dial_conn(sipc_conn *conn, sipc_conn_event ev, int err, void *arg)
{
    crl_dial *d = arg;
    (void)err;
    sipc_peer_info pi;
    if (d->done || ev != SIPC_CONN_UP || sipc_conn_info(conn, &pi) != 0)
        return;
    d->tls = pi.tls;
    snprintf(d->node, sizeof d->node, "%s", pi.peer_node);
}

static void dial_answer(int err, const sipc_reply *reply, void *arg)
{
    crl_dial *d = arg;
    if (d->done)
        return;
    d->up = err == 0;
    d->err = err;
    dial_end(d);
}

static void dial_start(crl_dial *d, sipc_ctx *ctx, const char *addr, int port, uint32_t timeout)
{
    d->ask->open++;
    int r = sipc_channel_open(&d->ch, ctx, addr, port, NULL);
    if (r != 0) {
        d->ch = NULL;
        d->err = r;
        dial_end(d);
        return;
    }
    sipc_channel_set_conn_cb(d->ch, dial_conn, d);
    sipc_channel_set_fail_fast(d->ch, 1);
    if ((r = sipc_call(d->ch, "sys", "info", NULL, 0, timeout, dial_answer, d)) != 0) {
        d->err = r;
        dial_end(d);
    }
}

int reload_crl_ask(reload_job *j, host *h, uint32_t timeout_ms, void (*done)(reload_job *j))
{
    crl_ask *a = calloc(1, sizeof *a);
    if (!a)
        return SIPC_ENOMEM;
    a->j = j;
    a->done = done;
    a->first = j->dry ? 1 : 0;
    sipc_options o;
    sipc_options_from_config(&o, &h->cfg);
    o.log = quiet;
    o.source_address = sipc_config_source_address(&h->cfg);
    o.handshake_timeout_ms = timeout_ms;
    o.timeouts_reported = 1;
    sipc_security *sec[2] = {sipc_ctx_security(h->probe_ctx), j->probe};
    for (int k = a->first; k < 2; k++) {
        int r = sipc_ctx_new(&a->ctx[k], h->loop, &o, sec[k]);
        if (r != 0) {
            if (k > a->first)
                sipc_ctx_close(a->ctx[a->first], NULL, NULL);
            free(a);
            return r;
        }
    }
    j->crl_ask = a;
    char name[160];
    int port;
    for (int i = 0; i < h->cfg.nnodes && a->n < SIPC_MAX_NODES; i++) {
        if (sipc_config_node_is_self(&h->cfg, i) ||
            sipc_config_node_service(&h->cfg, i, "management", name, sizeof name, &port) != 0)
            continue;
        snprintf(a->addr[a->n], sizeof a->addr[0], "%s", h->cfg.nodes[i]);
        for (int k = a->first; k < 2; k++) {
            a->dial[k][a->n].ask = a;
            dial_start(&a->dial[k][a->n], a->ctx[k], name, port, timeout_ms);
        }
        a->n++;
    }
    /* every dial may have ended at once (none to make, or none could) */
    a->started = 1;
    all_ended(a);
    return 0;
}

/* Appends "[; ]ADDR (node ID)[: why]" to list. */
static void node_add(char *list, size_t cap, const char *addr, const char *node, const char *why)
{
    size_t at = strlen(list);
    if (at + 2 < cap)
        snprintf(list + at, cap - at, "%s%s%s%s%s%s%s", at ? "; " : "", addr,
                 node[0] ? " (node " : "", node, node[0] ? ")" : "", why[0] ? ": " : "", why);
}

/* A check's dials found nodes the reload's CRLs revoke: each of them logs
 * the dial as this node refusing its certificate (alert
 * certificate_revoked, "the peer's log says why"), so this node's log says
 * why, and that its links are not cut, beside the management service's
 * lines those dials reached. */
static void say_checked(host *h, int ncut, const char *cut)
{
    const json_t *r = h->reload_refused ? h->reload_refused : h->reload_pending;
    const char *at = json_string_value(json_object_get(r, h->reload_refused ? "at" : "refused_at"));
    sipc_logger *log = h->svc[HOST_MANAGEMENT].log;
    if (!log)
        return;
    sipc_logf(log, SIPC_LOG_INFO, "Service.Reload",
              "The CRL guard checked the reload refused at %s again, dialling each [cluster] "
              "node with the CRLs it would apply: %d node%s present%s a certificate they "
              "revoke: %s. %s this check in %s log as a certificate this node refused; this "
              "node still runs the CRLs it had, and its links to %s stay. The nodes are "
              "dialled again in %d checks of the files, or at the next one if the files "
              "change",
              at ? at : "(unknown)", ncut, ncut == 1 ? "" : "s", ncut == 1 ? "s" : "", cut,
              ncut == 1 ? "That node shows" : "Those nodes show", ncut == 1 ? "its" : "their",
              ncut == 1 ? "it" : "them", h->crl_wait + 1);
}

int reload_crl_guard(reload_job *j, host *h, char *msg, size_t len)
{
    j->crl_note[0] = '\0';
    crl_ask *a = j->crl_ask;
    if (!a)
        return 0;
    char cut[2400] = "", unasked[1200] = "";
    int ncut = 0, nunasked = 0, nkept = 0;
    for (int i = 0; i < a->n; i++) {
        const crl_dial *now = &a->dial[0][i], *after = &a->dial[1][i];
        cut_dial was = {now->up, now->tls, now->err}, will = {after->up, after->tls, after->err};
        if (a->first) {
            /* a check: the security that runs accepted the node at the
             * reload's dials and has not changed since; one that does not
             * answer now could not be asked */
            was = (cut_dial){after->up || after->err == SIPC_EPEERAUTH, after->up ? after->tls : 1,
                             after->err};
            now = after;
        }
        const char *node = now->node[0] ? now->node : after->node[0] ? after->node : h->crl_node[i];
        if (node != h->crl_node[i])
            snprintf(h->crl_node[i], sizeof h->crl_node[i], "%s", node);
        cut_verdict v = cut_judge(&was, &will);
        if (v == CUT_PLAIN)
            continue;
        if (v == CUT_KEPT) {
            nkept++;
            continue;
        }
        if (v == CUT_REFUSED) {
            /* the verifier's reason: the fix is the guard's to say */
            int rl;
            const char *reason = cli_err_reason(after->err, after->detail, &rl);
            char why[sizeof after->detail];
            snprintf(why, sizeof why, "%.*s", rl, reason);
            node_add(cut, sizeof cut, a->addr[i], node, why);
            ncut++;
        } else {
            /* down, refused already, or its own trust refused this node's
             * certificate: not a node this reload cuts off */
            const crl_dial *d = was.up ? after : now;
            size_t at = strlen(unasked);
            snprintf(unasked + at, sizeof unasked - at, "%s%s (%s)", at ? ", " : "", a->addr[i],
                     sipc_strerror(d->err));
            nunasked++;
        }
    }
    int refused = cut_refuses(ncut, nkept, 1) && !j->force;
    verdict_keep(j, h, refused);
    if (j->dry && ncut)
        say_checked(h, ncut, cut);
    int turned_on = h->cfg.revocation == SIPC_REVOCATION_OFF;
    const char *why = turned_on ? "[tls] revocation is turned on, which applies every CRL in "
                                  "security/crl/ at once"
                                : "a CRL in security/crl/ is new or changed since the node "
                                  "loaded its own";
    if (nunasked)
        snprintf(j->crl_note, sizeof j->crl_note,
                 "%s could not be asked the certificate %s presents with the CRLs this reload "
                 "applies (%s): if they revoke it, this node refuses that node when it connects",
                 unasked, nunasked == 1 ? "it" : "each", why);
    if (!ncut)
        return 0;
    const char *one = ncut == 1 ? "it" : "them";
    if (nkept && !j->force) {
        size_t at = strlen(j->crl_note);
        snprintf(j->crl_note + at, sizeof j->crl_note - at,
                 "%sthe CRLs applied cut this node off from %d [cluster] node%s, which "
                 "present%s a certificate they revoke (the other nodes stay accepted): %s; give "
                 "%s a new certificate that the CRLs do not revoke: `tlstool import NEW.pfx` "
                 "there, and a reload",
                 at ? "; " : "", ncut, ncut == 1 ? "" : "s", ncut == 1 ? "s" : "", cut,
                 ncut == 1 ? "that node" : "each node named");
        return 0;
    }
    if (j->force) {
        size_t at = strlen(j->crl_note);
        snprintf(j->crl_note + at, sizeof j->crl_note - at,
                 "%s--force: the CRLs applied cut this node off from %s, which present%s a "
                 "certificate they revoke: %s",
                 at ? "; " : "", ncut == 1 ? "a [cluster] node" : "[cluster] nodes",
                 ncut == 1 ? "s" : "", cut);
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
             why, ncut == 1 ? "the" : "all", ncut, ncut == 1 ? "" : "s", ncut == 1 ? "s" : "",
             ncut == 1 ? "its" : "their",
             cut, turned_on ? ", or set [tls] revocation back to off" : "", one,
             j->crl_note[0] ? "; also " : "", j->crl_note);
    return 1;
}

void reload_crl_free(reload_job *j)
{
    free(j->crl_ask);
    j->crl_ask = NULL;
}
