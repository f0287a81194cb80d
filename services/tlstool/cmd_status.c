/* cmd_status.c - `tlstool status`: what is installed and whether it is
 * healthy, as text or (--json) one JSON object. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/home_owner.h"
#include "certs/tool/store.h"
#include "ipc/node/home_lock_read.h"
#include "services/common/client_home.h"
#include "services/common/client_id.h"
#include "services/common/err_line.h"
#include "services/common/shown_text.h"
#include "services/common/json_text.h"
#include "services/sipcd/peers.h"
#include "services/tlstool/replaced_pair.h"
#include "services/tlstool/running_line.h"
#include "services/tlstool/staged_note.h"
#include "services/tlstool/tlstool.h"

typedef struct perm_check {
    const char *path;
    int want; /* mode */
    int is_dir;
} perm_check;

static json_t *cert_json(const sipc_x509 *x, time_t now)
{
    char nb[32], na[32], ku[200], eku[200];
    sipc_time_str(x->not_before, nb);
    sipc_time_str(x->not_after, na);
    sipc_ku_str(x->ku, ku, sizeof ku);
    sipc_eku_str(x->eku, eku, sizeof eku);
    /* as a node's status counts them (docs/services.md): whole days to
     * not_after rounded down, negative once expired, in every state;
     * validity says whether the pair is in use yet */
    long long left = (long long)(x->not_after - now);
    long long days = left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
    int early = now < x->not_before;
    /* a subject's bytes are the certificate's, UTF-8 or not */
    return json_pack("{s:o,s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:b,s:s,s:s,s:o}", "subject",
                     sipc_json_text(x->subject), "issuer", sipc_json_text(x->issuer), "serial", x->serial_hex,
                     "fingerprint_sha256", x->fingerprint, "key", x->key_desc, "not_before", nb,
                     "not_after", na, "validity",
                     early ? "not_yet_valid" : left < 0 ? "expired" : "valid", "days_left",
                     (json_int_t)days, "ca", x->is_ca,
                     "key_usage", x->has_ku ? ku : "(not restricted)", "extended_key_usage",
                     x->has_eku ? eku : "(not restricted)", "san", sipc_json_text(x->san));
}


static void crl_to_json(const char *name, const crl_file *f, void *arg)
{
    json_t *crls = arg;
    time_t now = time(NULL);
    json_array_append_new(crls, json_pack("{s:o,s:o,s:s,s:s,s:i,s:b}", "name",
                                          sipc_json_text(name), "issuer",
                                          sipc_json_text(f->c.issuer), "this_update", f->this_update,
                                          "next_update", f->next_update, "revoked", f->c.nrevoked,
                                          "current", !f->c.next_update || now <= f->c.next_update));
}

/* Whether a problem in list says what (its words within one). */
static int listed(json_t *list, const char *what)
{
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
        if (what[0] && strstr(json_string_value(p), what))
            return 1;
    return 0;
}

/* A warning for a CRL whose next update is near: with revocation = hard,
 * its passing refuses every certificate it covers. */
static void crl_due_warning(const char *name, const crl_file *f, void *arg)
{
    time_t now = time(NULL);
    if (f->c.unusable[0] || !sipc_crl_due_soon(f->c.this_update, f->c.next_update, now))
        return;
    char shown[4 * 256 + 8], label[sizeof shown + 8], due[2000];
    cli_shown(name, shown, sizeof shown);
    snprintf(label, sizeof label, "crl/%s", shown);
    sipc_crl_due_text(f->c.issuer, label, f->c.next_update, now, due, sizeof due);
    json_array_append_new(arg, sipc_json_text(due));
}

/* "rotation": the state of a key pair rotation and the pairs trusted
 * during it (see `tlstool rotate status`); before a commit, whether the
 * staged pair verifies as the commit judges it, and when it does not why
 * and the next step, in rotate status's words. */
static void rotation_json(const opts *o, const sipc_config *cfg, json_t *j, json_t *warnings,
                          json_t *problems)
{
    sipc_rotation rot;
    char err[600], staged[65], prev[65];
    if (sipc_rotation_read(o->home, &rot, err, sizeof err) != 0) {
        json_array_append_new(problems, sipc_json_text(err));
        return;
    }
    home_pair_fp(o, "staged", staged, NULL, 0);
    home_pair_fp(o, "previous", prev, NULL, 0);
    /* a commit that put its pair in place and could not remove staged/
     * (exit 14): committed, its staged copy left */
    char cur[65];
    int leftover = rot.state == SIPC_ROTATION_COMMITTED && staged[0] &&
                   home_pair_fp(o, NULL, cur, NULL, 0) == 0 && !strcmp(staged, cur);
    int prev_trusted = rot.state == SIPC_ROTATION_COMMITTED && prev[0] &&
                       strcmp(prev, rot.previous) == 0;
    json_object_set_new(j, "rotation",
                        json_pack("{s:s,s:s?,s:b,s:b,s:s?,s:b,s:b}", "state",
                                  sipc_rotation_state_name(rot.state), "staged_fingerprint",
                                  staged[0] ? staged : NULL, "staged_leftover", leftover,
                                  "committed",
                                  rot.state == SIPC_ROTATION_COMMITTED, "previous_fingerprint",
                                  prev_trusted ? prev : NULL, "commit_stopped",
                                  rot.commit_stopped, "commit_half", rot.commit_half));
    json_t *rj = json_object_get(j, "rotation");
    /* a half commit left node.p12 and node.crt of two pairs: inconsistent
     * until the commit is run again; one stopped before it, only a step to
     * take */
    char stopped[1400];
    commit_stopped_note(o, cfg, &rot, stopped, sizeof stopped);
    if (stopped[0])
        json_array_append_new(rot.commit_half ? problems : warnings, sipc_json_text(stopped));
    if (staged[0] && (rot.state == SIPC_ROTATION_STAGED || rot.state == SIPC_ROTATION_ROLLED_BACK)) {
        pair_judgement pj;
        staged_verdict(o, cfg, &pj);
        /* null: not judged, whether it verifies is not known */
        json_object_set_new(rj, "staged_verifies",
                            pj.unjudged ? json_null() : json_boolean(!pj.v.res.reason[0]));
        /* not judged for what a problem names already (trust/ or crl/
         * refused): said once, there */
        if (pj.unjudged && listed(problems, pj.v.res.reason)) {
            snprintf(pj.v.res.reason, sizeof pj.v.res.reason,
                     "for what this status names as a PROBLEM (the trust it is judged with does "
                     "not load)");
            snprintf(pj.v.res.fix, sizeof pj.v.res.fix,
                     "fix that PROBLEM; then `tlstool rotate status` judges the staged pair");
        }
        if (pj.v.res.reason[0]) {
            char text[2400];
            json_object_set_new(rj, "staged_reason", sipc_json_text(pj.v.res.reason));
            staged_next(&pj, rot.state, text, sizeof text);
            json_object_set_new(rj, "next", sipc_json_text(text));
        }
    }
    if (rot.state == SIPC_ROTATION_NONE && staged[0])
        json_array_append_new(warnings, sipc_json_text(STRAY_STAGED_NOTE));
    if (!staged[0] && (rot.state == SIPC_ROTATION_STAGED || rot.state == SIPC_ROTATION_ROLLED_BACK)) {
        char why[600], text[1400];
        if (staged_unreadable(o, why, sizeof why))
            snprintf(text, sizeof text, UNREADABLE_STAGED_NOTE,
                     sipc_rotation_state_name(rot.state),
                     listed(problems, why) ? "the problem above names why" : why);
        else
            snprintf(text, sizeof text, MISSING_STAGED_NOTE, sipc_rotation_state_name(rot.state));
        json_array_append_new(problems, sipc_json_text(text));
    }
    if (rot.state == SIPC_ROTATION_COMMITTED && !prev_trusted)
        json_array_append_new(warnings,
                              json_string("the rotation is committed but security/previous/ no "
                                          "longer holds the pair it replaced: that pair is not "
                                          "trusted"));
}

typedef struct tmp_report {
    json_t *warnings, *problems;
} tmp_report;

/* A leftover of a write killed before its rename: said, whether it went
 * (a warning) or stays (a problem: it may be a copy of the private key).
 * What cannot be told from a write in progress is never a problem while it
 * is young. */
static void tmp_left(void *arg, const char *path, long pid, int removed, sipc_store_tmp_seen seen,
                     const char *why)
{
    tmp_report *t = arg;
    char m[1900], by[80];
    json_t *to = removed ? t->warnings : t->problems;
    switch (seen) {
    case SIPC_STORE_TMP_NOT_FILE:
        snprintf(m, sizeof m,
                 "%s has the name of a temporary file of tlstool's but is %s: look at it and "
                 "remove it",
                 path, why);
        break;
    case SIPC_STORE_TMP_UNKNOWN:
        to = t->warnings;
        snprintf(m, sizeof m,
                 "%s is owned by another account (%s): cannot tell whether it is being written; "
                 "if it stays, it is left by a write that was interrupted and may hold a copy of "
                 "the private key",
                 path, why);
        break;
    case SIPC_STORE_TMP_UNKNOWN_OLD:
        snprintf(m, sizeof m,
                 "%s is owned by another account (%s): cannot tell whether it is being written, "
                 "but it is over an hour old, so likely left by a write that was interrupted; it "
                 "may hold a copy of the private key: look at it and remove it",
                 path, why);
        break;
    default:
        /* an older tlstool's name says its process; base's file is known
         * left when no process holds its lock */
        if (pid)
            snprintf(by, sizeof by, "process %ld no longer runs", pid);
        else
            snprintf(by, sizeof by, "no process is writing it");
        if (removed)
            snprintf(m, sizeof m,
                     "removed %s, left by a write that was interrupted (%s); it may have held a "
                     "copy of the private key",
                     path, by);
        else
            snprintf(m, sizeof m,
                     "%s, left by a write that was interrupted (%s), may hold a copy of the "
                     "private key and could not be removed (%s): look at it and remove it",
                     path, by, why);
        break;
    }
    json_array_append_new(to, sipc_json_text(m));
}

/* The mode a TLS setting names, as the node's status names it. */
static const char *mode_word(int enabled, const char *mode)
{
    return enabled ? mode : "off";
}

/* "running": what the node running from this home runs with, asked of it
 * (management.status, as `sipcctl status` asks) when the home's lock says
 * one runs. sipc.conf says what it is to run; the two differ while a change
 * waits for a reload, or when the strict guard held a strict start back.
 * A difference is a warning with what to do; a node that cannot be asked
 * leaves the running mode unknown, and says why. */
json_t *running_json(const opts *o, const sipc_config *cfg, const char *own_fp,
                     json_t *warnings)
{
    const char *conf = mode_word(cfg->tls_enable, sipc_tls_mode_name(cfg->tls_mode));
    char why[2400];
    long pid = sipc__home_lock_holder(o->home, why, sizeof why);
    if (pid < 0)
        return json_pack("{s:s,s:o}", "state", "unknown", "reason", sipc_json_text(why));
    if (pid == 0) {
        snprintf(why, sizeof why,
                 "no sipcd runs from this home (its lock, %s/%s, is free): a sipcd started "
                 "from it runs the configured mode",
                 o->home_shown, SIPC_HOME_LOCK_FILE);
        return json_pack("{s:s,s:o}", "state", "not_running", "reason", sipc_json_text(why));
    }
    home_call c;
    int hc = home_node_call(o, cfg, "status", NULL, 5000, &c);
    if (hc != HOME_CALL_DONE || c.err) {
        char line[1400];
        if (hc == HOME_CALL_NO_PORT)
            snprintf(why, sizeof why,
                     "sipcd pid %ld runs from this home, but [management] port is %d in "
                     "sipc.conf, so it cannot be asked: `sipcctl status` on its port says it",
                     pid, c.port);
        else if (hc != HOME_CALL_DONE)
            snprintf(why, sizeof why, "sipcd pid %ld runs from this home but was not asked: %s",
                     pid, c.why);
        else
            snprintf(why, sizeof why,
                     "sipcd pid %ld runs from this home but could not be asked at %s:%d: %s%s", pid,
                     c.host, c.port, cli_err_line(line, sizeof line, c.err, c.message), c.fix);
        /* this home's pair replaced since the node loaded it: the node still
         * presents the pair kept in previous/, which this side no longer
         * trusts, or, where this side still trusts it (a root of trust/),
         * refuses the one this side now presents */
        char prev[65];
        home_pair_fp(o, "previous", prev, NULL, 0);
        if (hc == HOME_CALL_DONE && (c.err == SIPC_EPEERAUTH || c.err == SIPC_ECERTREFUSED) &&
            prev[0] && own_fp && strcmp(prev, own_fp)) {
            size_t n = strlen(why);
            snprintf(why + n, sizeof why - n,
                     " (this home's pair was replaced: if the node has not reloaded since, it "
                     "presents the replaced one, sha256 %.16s... in security/previous/, %s; "
                     "once it reloads, it and every node that does not hold the new pair "
                     "refuse each other)",
                     prev, replaced_holders(sipc_previous_origin_read(o->home, prev)));
        }
        return json_pack("{s:s,s:I,s:o}", "state", "unknown", "pid", (json_int_t)pid, "reason",
                         sipc_json_text(why));
    }
    json_t *st = json_loadb(c.data ? c.data : "", c.len, 0, NULL);
    free(c.data);
    json_t *tls = json_object_get(st, "tls"), *guard = json_object_get(st, "guard");
    const char *m = json_string_value(json_object_get(tls, "mode"));
    if (!json_is_object(tls) || (json_is_true(json_object_get(tls, "enabled")) && !m)) {
        json_decref(st);
        snprintf(why, sizeof why,
                 "sipcd pid %ld at %s:%d answered without its TLS mode (an older sipcd?): "
                 "`sipcctl status` shows what it says",
                 pid, c.host, c.port);
        return json_pack("{s:s,s:I,s:o}", "state", "unknown", "pid", (json_int_t)pid, "reason",
                         sipc_json_text(why));
    }
    char run[64];
    cli_shown(mode_word(json_is_true(json_object_get(tls, "enabled")), m ? m : ""), run,
              sizeof run);
    int held = json_is_true(json_object_get(guard, "held_back"));
    size_t npeers = json_array_size(json_object_get(guard, "plaintext_peers"));
    json_int_t up = json_integer_value(json_object_get(json_object_get(st, "node"),
                                                       "uptime_seconds"));
    json_t *r = json_pack("{s:s,s:I,s:s,s:b,s:b}", "state", "asked", "pid", (json_int_t)pid,
                          "tls_mode", run, "as_configured", !strcmp(run, conf), "held_back",
                          held);
    char since[32] = "";
    if (held) {
        /* the guard holds a start back: since the node started */
        sipc_time_str(time(NULL) - (time_t)up, since);
        json_object_set_new(r, "held_back_since", sipc_json_text(since));
        json_object_set_new(r, "plaintext_peers", json_integer((json_int_t)npeers));
    }
    const char *fp = json_string_value(
        json_object_get(json_object_get(tls, "certificate"), "fingerprint_sha256"));
    char shown_fp[80] = "";
    if (fp) {
        cli_shown(fp, shown_fp, sizeof shown_fp);
        json_object_set_new(r, "fingerprint_sha256", sipc_json_text(shown_fp));
    }
    char m2[2400];
    if (strcmp(run, conf) && held && npeers)
        snprintf(m2, sizeof m2,
                 "the running node (pid %ld) is in mode %s, not %s as sipc.conf says: the "
                 "strict guard held its start back since %s, as %zu peer%s still spoke "
                 "plaintext (`sipcctl status` names them): move %s to TLS, then `tlstool mode "
                 "strict --reload` here; `--force` would cut %s off",
                 pid, run, conf, since, npeers, npeers == 1 ? "" : "s",
                 npeers == 1 ? "it" : "them", npeers == 1 ? "it" : "them");
    else if (strcmp(run, conf) && held)
        snprintf(m2, sizeof m2,
                 "the running node (pid %ld) is in mode %s, not %s as sipc.conf says: the "
                 "strict guard held its start back since %s, and no plaintext peer is seen any "
                 "more: `tlstool mode strict --reload` here now goes strict",
                 pid, run, conf, since);
    else if (strcmp(run, conf))
        snprintf(m2, sizeof m2,
                 "the running node (pid %ld) is in mode %s, not %s as sipc.conf says: the change "
                 "has not been applied (a reload not sent, or refused: the node's log says "
                 "why); apply it with `sipcctl reload` or `systemctl reload sipcd` (SIGHUP), or "
                 "--reload on the tlstool command that made it",
                 pid, run, conf);
    else
        m2[0] = '\0';
    if (m2[0])
        json_array_append_new(warnings, sipc_json_text(m2));
    /* a pair imported after the node loaded its own */
    if (fp && own_fp && own_fp[0] && strcmp(shown_fp, own_fp) && strcmp(run, "off")) {
        /* a rotation's commit or roll back changes node.crt as an import
         * does: each is applied by a reload alone */
        sipc_rotation rot;
        char rerr[300];
        int rotated = sipc_rotation_read(o->home, &rot, rerr, sizeof rerr) == 0 &&
                      (rot.state == SIPC_ROTATION_COMMITTED ||
                       rot.state == SIPC_ROTATION_ROLLED_BACK);
        snprintf(m2, sizeof m2,
                 "the running node (pid %ld) presents the pair sha256 %.16s..., not this home's "
                 "node.crt (sha256 %.16s...): it has not reloaded since %s; `sipcctl reload` "
                 "here (or `systemctl reload sipcd`) applies it%s",
                 pid, shown_fp, own_fp,
                 !rotated ? "the pair was imported"
                 : rot.state == SIPC_ROTATION_COMMITTED
                     ? "the rotation was committed here (`tlstool rotate commit` without --reload)"
                     : "the rotation was rolled back here (`tlstool rotate abort` without --reload)",
                 rotated ? "" : "; every node must present the same pair (a different one: "
                                "`tlstool rotate`, the operator guide 1.8)");
        json_array_append_new(warnings, sipc_json_text(m2));
    }
    json_decref(st);
    return r;
}

int cmd_status(void *arg)
{
    opts *o = arg;
    if (extra_args(o, 0))
        return EX_USAGE;
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    time_t now = time(NULL);
    json_t *j = json_object(), *problems = json_array(), *warnings = json_array();
    tmp_report tr = {warnings, problems};
    (void)sipc_store_sweep_tmp(o->home, tmp_left, &tr);
    sipc_keypair kp;
    int have = load_pair_unchecked(o, &kp, 1) == 0;
    /* a key of another pair makes sipcd refuse to start: said as verify says it */
    char key_why[1000] = "";
    int key_bad = have && pair_key_check(o, &kp, key_why, sizeof key_why) != 0;
    sipc_x509 x;
    memset(&x, 0, sizeof x);
    char tag[5];
    sipc_cli_home_tag(o->home, tag);
    json_object_set_new(j, "home", sipc_json_text(o->home));
    json_object_set_new(j, "home_tag", sipc_json_text(tag));
    json_object_set_new(j, "imported", json_boolean(have));
    json_object_set_new(j, "tls_enabled", json_boolean(cfg.tls_enable));
    json_object_set_new(j, "tls_mode", sipc_json_text(sipc_tls_mode_name(cfg.tls_mode)));
    json_object_set_new(j, "revocation", sipc_json_text(revocation_name(cfg.revocation)));
    json_object_set_new(j, "required_subject", sipc_json_text(cfg.subject));
    /* the one-shot override a --force left for the node's next start or
     * reload (docs/tlstool.md): it forces strict past the guard unasked */
    char ovr[1200], ovr_at[32] = "";
    int64_t ovr_since = 0;
    int pending = host_force_strict_pending(o->home, ovr, sizeof ovr, &ovr_since);
    if (pending) {
        sipc_time_str((time_t)ovr_since, ovr_at);
        json_object_set_new(j, "override", json_pack("{s:o,s:s}", "path", sipc_json_text(ovr),
                                                     "written", ovr_at));
        if (sipc_config_effective_mode(&cfg) != SIPC_TLS_STRICT) {
            char m[1500];
            snprintf(m, sizeof m,
                     "%s is pending but sipc.conf does not ask for strict: it would force a later "
                     "strict start or reload past the guard unasked; remove it (`tlstool "
                     "disable` or `tlstool mode permissive` does)",
                     ovr);
            json_array_append_new(warnings, sipc_json_text(m));
        }
    } else {
        json_object_set_new(j, "override", json_null());
    }
    /* the home, sipc.conf, trust/ and crl/ as sipcd reads them: what it
     * would refuse (exit 78) makes this home inconsistent, in its words */
    sipc_trust *pt = NULL;
    {
        int hp;
        char perr[2048]; /* check_run's two warnings, each naming the home */
        if (sipc__home_guard(o->home, perr, sizeof perr) != 0)
            json_array_append_new(problems, sipc_json_text(perr));
        /* what only a node's sipcd judges (a section of no service it
         * runs, its own entry at another of its ports, a nodes list
         * without it): a node home only; its warnings one a line */
        int cr = sipc_cli_home_client_only(&cfg) ? 0
                                                 : sipc_config_check_run(&cfg, NULL, 0, perr,
                                                                         sizeof perr);
        if (cr < 0)
            json_array_append_new(problems, sipc_json_text(perr));
        for (char *line = perr, *end; cr > 0 && line; line = end ? end + 1 : NULL) {
            if ((end = strchr(line, '\n')))
                *end = '\0';
            json_array_append_new(warnings, sipc_json_text(line));
        }
        if (load_trust_quiet(o, &cfg, NULL, &pt, &hp, perr, sizeof perr) != 0)
            json_array_append_new(problems, sipc_json_text(perr));
        else if (hp && sipc_trust_check_policy(pt, perr, sizeof perr) != 0)
            json_array_append_new(problems, sipc_json_text(perr));
    }
    if (have && sipc_x509_parse(&x, kp.certs[0].data, kp.certs[0].len, NULL, 0) == 0) {
        json_object_set_new(j, "certificate", cert_json(&x, now));
        if (now > x.not_after)
            json_array_append_new(problems, json_string("the certificate has expired: create or "
                                                        "obtain a new pair, import it on every "
                                                        "node and reload each"));
        else if (now < x.not_before)
            json_array_append_new(problems, json_string("the certificate is not valid yet: check "
                                                        "the clock"));
        else if (x.not_after - now < 30 * 86400)
            json_array_append_new(warnings,
                                  json_string("the certificate expires in less than 30 days: "
                                              "prepare and import a new pair"));
        sipc_vfy_result res;
        int st = !pt ? -1
                 : sipc_trust_verify(pt, kp.certs, kp.ncerts, SIPC_PURPOSE_BOTH, now, &res) == 0
                     ? SIPC_VFY_OK
                     : (int)res.status;
        if (st >= 0) {
            json_object_set_new(j, "verify", sipc_json_text(st == SIPC_VFY_OK ? "VERIFIED" : res.reason));
            if (st != SIPC_VFY_OK && st != SIPC_VFY_EXPIRED && st != SIPC_VFY_NOT_YET_VALID) {
                char m[sizeof res.reason + sizeof res.fix + 40];
                snprintf(m, sizeof m, "the pair does not verify: %s (fix: %s)", res.reason, res.fix);
                json_array_append_new(problems, sipc_json_text(m));
            }
            if (res.warning[0] && st == SIPC_VFY_OK && !(x.not_after - now < 30 * 86400))
                json_array_append_new(warnings, sipc_json_text(res.warning));
            if (o->verbose) {
                json_t *chain = json_array();
                for (int i = 0; i < kp.ncerts; i++) {
                    sipc_x509 cx;
                    if (sipc_x509_parse(&cx, kp.certs[i].data, kp.certs[i].len, NULL, 0) == 0)
                        json_array_append_new(chain, cert_json(&cx, now));
                }
                json_object_set_new(j, "chain", chain);
            }
        }
        if (key_bad) {
            json_object_set_new(j, "verify", sipc_json_text(key_why));
            char m[1600];
            snprintf(m, sizeof m, "the pair does not verify: %s (fix: %s)", key_why, PAIR_KEY_FIX);
            json_array_append_new(problems, sipc_json_text(m));
        }
    } else if (have) {
        json_array_append_new(problems, json_string("node.crt cannot be parsed: import the pair "
                                                    "again"));
    }
    if (cfg.tls_enable && !have)
        json_array_append_new(problems, json_string("TLS is enabled but no key pair is imported: "
                                                    "run `tlstool import FILE` or `tlstool "
                                                    "disable`"));
    /* permissions */
    char p_sec[1200], p_crt[1200], p_p12[1200];
    snprintf(p_sec, sizeof p_sec, "%s/security", o->home);
    snprintf(p_crt, sizeof p_crt, "%s/security/node.crt", o->home);
    snprintf(p_p12, sizeof p_p12, "%s/security/node.p12", o->home);
    /* a staged pair holds a private key too */
    char p_stg[1200], p_scrt[1200], p_sp12[1200];
    snprintf(p_stg, sizeof p_stg, "%s/security/staged", o->home);
    snprintf(p_scrt, sizeof p_scrt, "%s/security/staged/node.crt", o->home);
    snprintf(p_sp12, sizeof p_sp12, "%s/security/staged/node.p12", o->home);
    perm_check checks[] = {{p_sec, 0700, 1},  {p_crt, 0600, 0},  {p_p12, 0600, 0},
                           {p_stg, 0700, 1}, {p_scrt, 0600, 0}, {p_sp12, 0600, 0}};
    json_t *files = json_array();
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        struct stat st;
        if (stat(checks[i].path, &st) != 0) {
            if (have && i == 2)
                json_array_append_new(warnings, json_string("node.p12 is missing: import the pair "
                                                            "again to restore it"));
            continue;
        }
        char mode[8];
        snprintf(mode, sizeof mode, "%04o", (unsigned)(st.st_mode & 07777));
        int ok = (st.st_mode & 077) == 0;
        json_array_append_new(files, json_pack("{s:o,s:s,s:i,s:b}", "path",
                                               sipc_json_text(checks[i].path), "mode",
                                               mode, "owner_uid", (int)st.st_uid, "ok", ok));
        if (!ok) {
            /* the command to paste names the path as one shell word */
            char m[1400], word[4 * 1200 + 4];
            snprintf(m, sizeof m, "%s is accessible by other users (mode %s): chmod %s %s",
                     checks[i].path, mode, checks[i].is_dir ? "700" : "600",
                     cli_shell_word(checks[i].path, word, sizeof word));
            json_array_append_new(problems, sipc_json_text(m));
        }
    }
    json_object_set_new(j, "files", files);
    rotation_json(o, &cfg, j, warnings, problems);
    json_t *running = running_json(o, &cfg, x.der.p ? x.fingerprint : NULL, warnings);
    json_object_set_new(j, "running", running);
    {
        char note[1600];
        if (sipc_trust_home_skipped(o->home, note, sizeof note))
            json_array_append_new(warnings, sipc_json_text(note));
    }
    if (pt && cfg.revocation == SIPC_REVOCATION_HARD) {
        char cerr[1600];
        crl_dir_foreach(o->home, crl_due_warning, warnings, cerr, sizeof cerr);
    }
    if (o->verbose) {
        json_t *roots = json_array(), *crls = json_array();
        char cerr[1600];
        for (int i = 0; pt && i < sipc_trust_anchor_count(pt); i++) {
            const sipc_der *a = sipc_trust_anchor(pt, i);
            sipc_x509 ax;
            if (sipc_x509_parse(&ax, a->data, a->len, NULL, 0) == 0)
                json_array_append_new(roots, cert_json(&ax, now));
        }
        if (pt) /* else its problem is said above */
            crl_dir_foreach(o->home, crl_to_json, crls, cerr, sizeof cerr);
        json_object_set_new(j, "trusted_roots", roots);
        json_object_set_new(j, "crls", crls);
    }
    sipc_trust_free(pt);
    json_object_set_new(j, "problems", problems);
    json_object_set_new(j, "warnings", warnings);
    int bad = json_array_size(problems) > 0;
    json_object_set_new(j, "consistent", json_boolean(!bad));
    if (o->json) {
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s)
            printf("%s\n", s);
        free(s);
    } else {
        /* how the sipcctl sessions from this home are named by a node's guard */
        printf("home:        %s (tag %s: \"home %s\" in a node's strict guard)\n", o->home_shown, tag,
               tag);
        /* a mode only means something while TLS is on */
        if (cfg.tls_enable)
            printf("TLS:         enabled (configured: mode %s, revocation %s%s%s)\n",
                   sipc_tls_mode_name(cfg.tls_mode), revocation_name(cfg.revocation),
                   cfg.subject[0] ? ", required subject " : "", cfg.subject);
        else
            printf("TLS:         disabled\n");
        /* sipc.conf's mode is not always the running one: say which runs */
        const char *rstate = json_string_value(json_object_get(running, "state"));
        if (rstate && !strcmp(rstate, "asked")) {
            const char *rm = json_string_value(json_object_get(running, "tls_mode"));
            if (json_is_true(json_object_get(running, "as_configured")))
                printf("running:     %s, as configured (sipcd pid %lld)\n", rm,
                       (long long)json_integer_value(json_object_get(running, "pid")));
            else if (json_is_true(json_object_get(running, "held_back")))
                printf("running:     %s (held back by the strict guard since %s; sipcd pid "
                       "%lld): NOT as configured, see the warning\n",
                       rm, json_string_value(json_object_get(running, "held_back_since")),
                       (long long)json_integer_value(json_object_get(running, "pid")));
            else
                printf("running:     %s (sipcd pid %lld): NOT as configured, see the warning\n",
                       rm, (long long)json_integer_value(json_object_get(running, "pid")));
        } else if (rstate) {
            cli_say_line(stdout, "running", "    %s: %s",
                         !strcmp(rstate, "not_running") ? "no node" : "unknown",
                         json_string_value(json_object_get(running, "reason")));
        }
        if (pending)
            cli_say_line(stdout, "override",
                         "   %s, written %s: the next start or reload of sipcd "
                         "goes strict even with plaintext peers, then removes it",
                         ovr, ovr_at);
        if (!have) {
            printf("key pair:    none imported (tlstool import FILE)\n");
        } else if (x.der.p) {
            char nb[32], na[32], ku[200], eku[200];
            sipc_time_str(x.not_before, nb);
            sipc_time_str(x.not_after, na);
            sipc_ku_str(x.ku, ku, sizeof ku);
            sipc_eku_str(x.eku, eku, sizeof eku);
            printf("key pair:    imported (%s/security/node.crt)\n", o->home_shown);
            printf("  subject:   %s\n  issuer:    %s\n  serial:    %s\n  SHA-256:   %s\n",
                   x.subject, x.issuer, x.serial_hex, x.fingerprint);
            char left[64];
            long days = (long)((x.not_after - now) / 86400);
            /* before its start the days it has left say nothing: when it starts does
             * (in hours up to two days, where whole days would mislead; whole hours
             * and days rounded down, as the days left are) */
            long until = (long)(x.not_before - now), hours = until / 3600;
            if (now < x.not_before && until < 3600)
                snprintf(left, sizeof left, "not valid yet: valid in less than an hour");
            else if (now < x.not_before && until < 2 * 86400)
                snprintf(left, sizeof left, "not valid yet: valid in %ld hour%s", hours,
                         hours == 1 ? "" : "s");
            else if (now < x.not_before)
                snprintf(left, sizeof left, "not valid yet: valid in %ld days", until / 86400);
            else if (now <= x.not_after)
                snprintf(left, sizeof left, "%ld day%s left", days, days == 1 ? "" : "s");
            else if (days == 0)
                snprintf(left, sizeof left, "expired less than a day ago");
            else
                snprintf(left, sizeof left, "expired %ld day%s ago", -days, days == -1 ? "" : "s");
            printf("  key:       %s\n  valid:     %s to %s (%s)\n", x.key_desc, nb, na, left);
            printf("  usage:     %s; extended: %s\n", x.has_ku ? ku : "(not restricted)",
                   x.has_eku ? eku : "(not restricted)");
            if (x.san[0])
                printf("  names:     %s\n", x.san);
            json_t *v = json_object_get(j, "verify");
            if (v)
                printf("  verify:    %s\n", json_string_value(v));
        }
        json_t *rj = json_object_get(j, "rotation");
        const char *rs = json_string_value(json_object_get(rj, "state"));
        if (rs && strcmp(rs, "none") != 0) {
            const char *sf = json_string_value(json_object_get(rj, "staged_fingerprint"));
            const char *pf = json_string_value(json_object_get(rj, "previous_fingerprint"));
            printf("rotation:    %s (tlstool rotate status)\n", rs);
            if (sf)
                printf("  staged:    SHA-256 %s, %s\n", sf,
                       json_is_true(json_object_get(rj, "staged_leftover"))
                           ? LEFTOVER_STAGED_NOTE
                           : "trusted during rotation, not committed");
            if (pf)
                printf("  previous:  SHA-256 %s, trusted during rotation\n", pf);
            const char *why = json_string_value(json_object_get(rj, "staged_reason"));
            if (why) {
                char text[2400];
                int unjudged = json_is_null(json_object_get(rj, "staged_verifies"));
                const char *label = staged_not_verified(unjudged, why, text, sizeof text);
                printf("  %-14s %s\n  next:      %s\n", label, text,
                       json_string_value(json_object_get(rj, "next")));
            }
        }
        size_t i;
        json_t *f;
        json_array_foreach(files, i, f)
        {
            cli_say_line(stdout, "file", "       %s %s %s",
                         json_string_value(json_object_get(f, "path")),
                         json_string_value(json_object_get(f, "mode")),
                         json_is_true(json_object_get(f, "ok")) ? "ok" : "TOO OPEN");
        }
        if (o->verbose) {
            json_t *chain = json_object_get(j, "chain"), *e;
            if (chain) {
                printf("chain:\n");
                json_array_foreach(chain, i, e)
                {
                    printf("  [%zu] %s\n      issuer %s, valid to %s, SHA-256 %s\n", i,
                           json_string_value(json_object_get(e, "subject")),
                           json_string_value(json_object_get(e, "issuer")),
                           json_string_value(json_object_get(e, "not_after")),
                           json_string_value(json_object_get(e, "fingerprint_sha256")));
                }
            }
            printf("trusted roots:\n");
            json_array_foreach(json_object_get(j, "trusted_roots"), i, e)
            {
                printf("  %s (SHA-256 %s, valid to %s)\n",
                       json_string_value(json_object_get(e, "subject")),
                       json_string_value(json_object_get(e, "fingerprint_sha256")),
                       json_string_value(json_object_get(e, "not_after")));
            }
            printf("CRLs:\n");
            json_array_foreach(json_object_get(j, "crls"), i, e)
            {
                printf("  %s: issuer %s, next update %s, %d revoked%s\n",
                       json_string_value(json_object_get(e, "name")),
                       json_string_value(json_object_get(e, "issuer")),
                       json_string_value(json_object_get(e, "next_update")),
                       (int)json_integer_value(json_object_get(e, "revoked")),
                       json_is_true(json_object_get(e, "current")) ? "" : " (PAST NEXT UPDATE)");
            }
        }
        json_array_foreach(warnings, i, f)
            cli_say_line(stdout, "warning", "%s", json_string_value(f));
        json_array_foreach(problems, i, f)
            cli_say_line(stdout, "PROBLEM", "%s", json_string_value(f));
        printf("state:       %s\n", bad ? "INCONSISTENT" : "consistent");
    }
    json_decref(j);
    if (have)
        sipc_keypair_free(&kp);
    return bad ? EX_STATE : EX_OK;
}
