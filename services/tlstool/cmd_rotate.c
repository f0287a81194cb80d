/* cmd_rotate.c - `tlstool rotate stage|commit|finish|abort|status`: moving a
 * cluster to a new key pair node by node without a link failing. Each node
 * trusts, while a rotation is in progress, both the pair it presents and the
 * other one (staged before its commit, previous after it), so whichever pair
 * a peer presents at any step verifies. The states are in certs/trust.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certs/tool/pkcs12.h"
#include "certs/tool/store.h"
#include "services/common/client_home.h"
#include "services/tlstool/commit_guard.h"
#include "services/tlstool/pair_judge.h"
#include "services/tlstool/staged_note.h"
#include "services/tlstool/tlstool.h"
#include "services/tlstool/trust_guard.h"

/* The rotation's state, as every reader takes it: a commit that stopped
 * before its pair was in place stands at staged (sipc_rotation), said. */
static int read_state(const opts *o, const sipc_config *cfg, sipc_rotation *rot)
{
    char err[1400];
    if (sipc_rotation_read(o->home, rot, err, sizeof err) != 0)
        return fail(EX_STATE, "%s", err);
    commit_stopped_note(o, cfg, rot, err, sizeof err);
    if (err[0])
        printf("note: %s\n", err);
    return 0;
}

/* --reload is done by cmd_rotate once the step's files are in place */
static void apply_note(const opts *o, const sipc_config *cfg)
{
    /* no sipcd runs from a client-only home: nothing to enable or reload */
    if (sipc_cli_home_client_only(cfg)) {
        client_home_note();
        return;
    }
    if (!cfg->tls_enable) {
        printf("TLS is not enabled on this node: its clients (sipcctl) use it from now on\n");
        return;
    }
    printf("this home's clients (sipcctl) use it from now on\n");
    if (!o->reload)
        remind_reload("`tlstool rotate`");
}

/* The judgement stage and commit make of the pair they put in place (what:
 * the pair as their refusal names it; file: the FILE its fix names, NULL
 * for the staged pair; step: "staged", "committed"; retry: the step
 * again), its fix worded for a staged pair (sipc_vfy_fix_for): 0 when the
 * step may go on, res.reason then "" (it verifies) or why it does not yet
 * (j->v.completable: `trust add` or `crl add` completes it, and the step
 * says so); else the exit code, said. */
static int rotate_judge(const opts *o, const sipc_config *cfg, const sipc_keypair *kp,
                        const char *what, const char *file, const char *step, const char *retry,
                        pair_judgement *j)
{
    int r = pair_judge(o, cfg, kp, j);
    if (r)
        return r;
    /* a pair to stage, never one to import: the rotation under way would
     * refuse an import */
    sipc_vfy_fix_for(&j->v.res, SIPC_VFY_FOR_STAGE, file);
    /* unlike import, which warns: staged, its root is trusted at once, and
     * this home's clients and its node's next reload refuse a trust with a
     * CA and no [tls] subject, as enable does */
    if (j->v.policy[0])
        return fail(EX_CONFIG, "%s: not %s: its root is trusted while it is staged, and it is "
                               "this home's pair once committed: %s; then %s",
                    what, step, j->v.policy, retry);
    if (j->v.res.status != SIPC_VFY_OK && !j->v.completable)
        return fail_fix(tlstool_verify_exit_code(j->v.res.status), j->v.res.fix, "%s: not %s: %s",
                        what, step, j->v.res.reason);
    return 0;
}

/* The new pair from FILE (stage's argument), checked as import checks it:
 * 0 or an exit code (said); *data holds the PKCS#12 bytes, j why peers
 * will not accept it yet (res.reason "" if none: it verifies). */
static int read_new_pair(const opts *o, const sipc_config *cfg, sipc_keypair *kp, uint8_t **data,
                         size_t *len, pair_judgement *j)
{
    const char *file = o->pos[1], *shown = o->pos_shown[1];
    char err[600], pw[CLI_PASSWORD_BUF];
    if (sipc_secret_file_read(file, data, len, MAX_FILE, err, sizeof err) != 0)
        return fail(EX_BADFILE, "%s", err);
    int r;
    if ((r = need_pfx(shown, *data, *len)) != 0 || (r = get_password(o, 0, pw, sizeof pw)) != 0) {
        sipc_secure_free(*data, *len);
        return r;
    }
    r = read_pfx(shown, *data, *len, pw, kp);
    explicit_bzero(pw, sizeof pw);
    if (r != 0) {
        sipc_secure_free(*data, *len);
        return r;
    }
    /* as import: what the home's trust may still lack (an intermediate, a
     * root, a CRL) is staged, so that `trust add` or `crl add` completes it,
     * but the stage fails (rotate_stage) */
    r = rotate_judge(o, cfg, kp, shown, o->pos_word[1], "staged", "stage it again", j);
    if (r != 0) {
        sipc_keypair_free(kp);
        sipc_secure_free(*data, *len);
        return r;
    }
    return 0;
}

static int rotate_stage(const opts *o, const sipc_config *cfg, const sipc_rotation *rot)
{
    if (extra_args(o, 2))
        return EX_USAGE;
    if (o->npos != 2)
        return fail(EX_USAGE, "stage needs FILE: tlstool rotate stage FILE.pfx (see tlstool rotate --help)");
    const sipc_cli_home_words w = sipc_cli_home_words_of(cfg);
    if (rot->state == SIPC_ROTATION_COMMITTED)
        return fail(EX_STATE, "a rotation is committed on %s: `tlstool rotate finish` "
                              "(or abort) it before staging another pair",
                    w.here);
    char cur[65], staged[65];
    if (home_pair_fp(o, NULL, cur, NULL, 0) != 0)
        return fail(EX_NOPAIR, "no key pair is imported on %s: the first pair is "
                               "installed with `tlstool import FILE`",
                    w.here);
    if (home_pair_fp(o, "staged", staged, NULL, 0) == 0 && !o->force)
        return fail(EX_EXISTS, "a pair is already staged (SHA-256 %.16s...): --force replaces "
                               "it, `tlstool rotate abort` drops it",
                    staged);
    sipc_keypair kp;
    uint8_t *data;
    size_t len;
    pair_judgement j;
    int r = read_new_pair(o, cfg, &kp, &data, &len, &j);
    if (r)
        return r;
    if (strcmp(kp.fingerprint, cur) == 0) {
        sipc_keypair_free(&kp);
        sipc_secure_free(data, len);
        return fail(EX_REFUSED, "%s holds the pair %s already has (SHA-256 %.16s...): "
                                "nothing to rotate to",
                    o->pos_shown[1], w.here, cur);
    }
    char err[600];
    r = sipc_store_stage(o->home, &kp, data, len, err, sizeof err);
    sipc_secure_free(data, len);
    if (r != 0) {
        sipc_keypair_free(&kp);
        return fail(EX_FAIL, "%s", err);
    }
    sipc_x509 x;
    sipc_x509_parse(&x, kp.certs[0].data, kp.certs[0].len, NULL, 0);
    char na[32];
    sipc_time_str(x.not_after, na);
    printf("staged %s in %s/security/staged (node.crt, node.p12, mode 0600)\n", o->pos_shown[1],
           o->home_shown);
    printf("  subject:  %s\n  valid to: %s\n  SHA-256:  %s\n", x.subject, na, x.fingerprint);
    printf("%s trusts it from now on and keeps presenting its current pair (SHA-256 %.16s...)\n",
           w.here, cur);
    if (j.v.res.warning[0])
        warning("%s", j.v.res.warning);
    sipc_keypair_free(&kp);
    /* last, where it is seen, and no next step: a pair that does not verify
     * is no success, whatever was written (`stage && commit` must stop) */
    if (j.v.res.reason[0])
        return fail_fix(tlstool_verify_exit_code(j.v.res.status), j.v.res.fix,
                        "%s is staged, but NOT VERIFIED: %s; peers refuse this pair, and so "
                        "does %s once it is committed, until that is fixed (`tlstool "
                        "rotate abort` drops it)%s",
                        o->pos_shown[1], j.v.res.reason, w.here,
                        o->reload ? "; --reload: the node was not asked" : "");
    apply_note(o, cfg);
    printf("next: stage it on every node (and reload or restart each), then `tlstool rotate commit` node "
           "by node\n");
    return EX_OK;
}

static int rotate_commit(const opts *o, const sipc_config *cfg, const sipc_rotation *rot)
{
    char cur[65], staged[65], err[2400];
    const sipc_cli_home_words w = sipc_cli_home_words_of(cfg);
    if (home_pair_fp(o, "staged", staged, NULL, 0) != 0 &&
        rot->state != SIPC_ROTATION_COMMITTED)
        return fail(EX_STATE, "no pair is staged: `tlstool rotate stage FILE.pfx` first");
    /* a client-only home has no sipcd that could still present the old pair */
    if (home_pair_fp(o, "staged", staged, NULL, 0) != 0)
        return fail(EX_STATE, "the rotation is already committed on %s: %s`tlstool rotate "
                              "finish` once every node has committed",
                    w.here,
                    w.client ? "" : "if its sipcd still presents the old pair (committed without "
                                    "--reload; `tlstool status` says so), `sipcctl reload` here "
                                    "applies it; then ");
    if (home_pair_fp(o, NULL, cur, NULL, 0) != 0)
        return fail(EX_NOPAIR, "no key pair is imported on %s", w.here);
    /* a commit interrupted after installing the pair: only staged/ is left
     * to remove (committing it again would put the new pair in previous/) */
    if (rot->state == SIPC_ROTATION_COMMITTED && strcmp(staged, cur) == 0) {
        if (sipc_store_drop_staged(o->home, err, sizeof err) != 0)
            return fail(EX_FAIL, "%s", err);
        printf("completed an interrupted commit: %s holds the new pair (SHA-256 %.16s...)\n",
               w.here, cur);
        apply_note(o, cfg);
        return EX_OK;
    }
    /* the staged pair must still pass as it did when staged (dates, CRLs),
     * and be judged as stage judged it: one that did not verify then was
     * staged only to be completed */
    sipc_keypair kp;
    pair_judgement j;
    if (sipc_staged_load(o->home, &kp, &j.v.res) != 0)
        return fail_fix(EX_BADFILE, j.v.res.fix, "%s", j.v.res.reason);
    int r = rotate_judge(o, cfg, &kp, "the staged pair", NULL, "committed", "commit it again", &j);
    sipc_keypair_free(&kp);
    if (r)
        return r;
    /* what only completes it (a missing issuer): once committed anyway,
     * after a roll back */
    if (o->force)
        sipc_vfy_fix_for(&j.v.res, SIPC_VFY_FOR_COMMITTED, NULL);
    /* the node would refuse it as its own at its next reload or start, and
     * its peers refuse it: nothing is changed unless --force, as import
     * does over a pair that verifies */
    if (j.v.res.reason[0] && !o->force) {
        char fix[1400];
        snprintf(fix, sizeof fix,
                 "%s; then `tlstool rotate commit` again (`tlstool rotate status` says whether "
                 "it verifies; `tlstool rotate abort` drops it; --force commits it anyway)",
                 j.v.res.fix);
        return fail_fix(tlstool_verify_exit_code(j.v.res.status), fix,
                        "the staged pair (SHA-256 %.16s...) is NOT VERIFIED: %s; not committed, "
                        "nothing changed: %s would refuse it as %s own pair at %s, "
                        "and peers refuse it%s",
                        staged, j.v.res.reason, w.users, w.client ? "their" : "its",
                        w.client ? "their next run" : "its next reload or start", o->reload ? "; --reload: the node was not asked" : "");
    }
    /* a peer that refuses the pair this node is about to present (it
     * staged another file) is cut off by the commit */
    if ((r = commit_guard(o, cfg, staged)) != 0)
        return r;
    r = sipc_store_commit(o->home, cur, err, sizeof err);
    if (r == SIPC_STORE_PARTIAL)
        return fail(EX_PARTIAL, "not committed, only half: %s; until then the rotation stands at "
                                "staged here (`tlstool rotate status`)",
                    err);
    if (r < 0)
        return fail(EX_FAIL, "%s", err);
    int installed_warn = r == SIPC_STORE_INSTALLED;
    printf("committed: %s now holds the new pair (SHA-256 %.16s...) in security/node.crt\n",
           w.here, staged);
    printf("it still trusts the previous pair (SHA-256 %.16s..., kept in security/previous/) "
           "until `tlstool rotate finish`\n",
           cur);
    /* what the guard let through, now that it is done */
    warn_held_say();
    if (j.v.res.warning[0])
        warning("%s", j.v.res.warning);
    /* --force: last, where it is seen, no next step and no reload, as a
     * stage of such a pair (`commit --force && finish` must stop) */
    if (j.v.res.reason[0] && w.client)
        warning("--force: this home now holds a pair that does not verify here, and peers refuse "
                "it: this home's clients present it from now on, and the nodes refuse their "
                "dials; `tlstool rotate abort` rolls it back");
    else if (j.v.res.reason[0])
        warning("--force: this node now holds a pair that does not verify here: %s (a reload is "
                "refused and the node goes on with the pair it runs; a restart fails), and "
                "peers refuse it; `tlstool rotate abort` rolls it back",
                cfg->tls_enable ? "with TLS enabled it refuses it at its next reload or restart"
                                : "TLS cannot be enabled with it");
    if (j.v.res.reason[0]) {
        if (installed_warn)
            warning("the pair is committed, but: %s", err);
        return fail_fix(tlstool_verify_exit_code(j.v.res.status), j.v.res.fix,
                        "the staged pair is committed, but NOT VERIFIED: %s%s", j.v.res.reason,
                        o->reload ? "; --reload: the node was not asked" : "");
    }
    apply_note(o, cfg);
    printf("next: commit the other nodes one by one (reload or restart each), then `tlstool rotate "
           "finish` on every node\n");
    if (installed_warn)
        return fail(EX_INSTALLED_WARN, "the pair is committed, but: %s", err);
    return EX_OK;
}

/* What finish and the abort that drops the staged pair say in their
 * guard's words (trust_step): the verb, its past, the safe order of the
 * step across the cluster, and what a node that could not be asked may
 * present and must do first. */
typedef struct drop_words {
    const char *verb, *past, *safe_order, *unasked_may, *unasked_fix;
} drop_words;

static const drop_words FINISH_WORDS = {
    "finish", "finished",
    "`tlstool rotate finish --reload` on every node once every node has committed "
    "(docs/operator-guide.md, 1.8)",
    "a node down or unreachable through the rotation has not committed, and still presents a "
    "certificate only that pair vouches for",
    "commit it if it has not (`tlstool rotate commit --reload` there)"};
static const drop_words ABORT_WORDS = {
    "abort", "aborted",
    "`tlstool rotate abort --reload` on every node once every node that committed has rolled "
    "back (docs/operator-guide.md, 1.8)",
    "a node that committed before it went down presents a certificate only that pair vouches "
    "for",
    "roll it back if it committed (`tlstool rotate abort --reload` there)"};

/* The guard of finish, and of an abort that drops the staged pair: the step
 * stops trusting the pair dropped (SHA-256), so a [cluster] node whose
 * certificate only that pair vouches for (one that has not committed, or
 * has rolled back) is refused by this node from then on, and this node by
 * it once the nodes redial. Whether each node is one is decided by trust,
 * not by comparing fingerprints: with an organisation's CA every node may
 * hold a certificate of its own, which no fingerprint of this node's pairs
 * matches. So trust_guard dials each node again with the trust this node
 * keeps after the step (its pair, trust/ and crl/, without the rotation's
 * pairs). fix: what the nodes refused must do first. */
static int finish_guard(const opts *o, const sipc_config *cfg, const char *dropped,
                        const drop_words *w, const char *fix)
{
    if (!dropped[0])
        return EX_OK;
    char refused[200], once[120];
    snprintf(refused, sizeof refused,
             "a certificate that only the pair this %s stops trusting at %s (SHA-256 "
             "%.16s...) vouches for",
             sipc_cli_home_client_only(cfg) ? "home" : "node", w->verb, dropped);
    snprintf(once, sizeof once, "once it stops trusting the pair (SHA-256 %.16s...)", dropped);
    const trust_step step = {
        .verb = w->verb, .past = w->past, .refused = refused, .still = 1, .once = once,
        .fix = fix, .safe_order = w->safe_order, .unasked_may = w->unasked_may,
        .unasked_fix = w->unasked_fix, .dropped = dropped, .own_only = 1};
    return trust_guard(o, cfg, &step);
}

static int rotate_finish(const opts *o, const sipc_config *cfg, const sipc_rotation *rot)
{
    char fp[65], err[600];
    int r;
    switch (rot->state) {
    case SIPC_ROTATION_NONE:
        return fail(EX_STATE, "no rotation is in progress on %s", sipc_cli_home_words_of(cfg).here);
    case SIPC_ROTATION_STAGED:
        return fail(EX_STATE, "the staged pair is not committed on %s: `tlstool rotate "
                              "commit` (or `tlstool rotate abort` to drop it)",
                    sipc_cli_home_words_of(cfg).here);
    case SIPC_ROTATION_COMMITTED:
        if ((r = finish_guard(o, cfg, rot->previous, &FINISH_WORDS,
                              "commit them (`tlstool rotate commit --reload` on each; on one "
                              "committed already whose sipcd still presents the old pair, "
                              "`sipcctl reload` there)")) != 0)
            return r;
        if (sipc_store_write_rotation(o->home, NULL, NULL, err, sizeof err) != 0)
            return fail(EX_FAIL, "%s", err);
        printf("finished: the previous pair (SHA-256 %.16s...) is no longer trusted; it stays in "
               "security/previous/ for a roll-back (tlstool import)\n",
               rot->previous);
        break;
    case SIPC_ROTATION_ROLLED_BACK:
        home_pair_fp(o, "staged", fp, NULL, 0);
        if ((r = finish_guard(o, cfg, fp, &FINISH_WORDS,
                              "roll them back (`tlstool rotate abort --reload` on each)")) != 0)
            return r;
        if (sipc_store_drop_staged(o->home, err, sizeof err) != 0 ||
            sipc_store_write_rotation(o->home, NULL, NULL, err, sizeof err) != 0)
            return fail(EX_FAIL, "%s", err);
        printf("finished the rolled-back rotation: the pair it was moving to (SHA-256 %.16s...) is "
               "no longer trusted\n",
               fp);
        break;
    }
    warn_held_say();
    apply_note(o, cfg);
    return EX_OK;
}

static int rotate_abort(const opts *o, const sipc_config *cfg, const sipc_rotation *rot)
{
    char fp[65], cur[65], prev[65], err[2400];
    int installed_warn = 0, r;
    sipc_rotation_state state = rot->state;
    /* a staged/ without its state file is dropped alike */
    if (state == SIPC_ROTATION_NONE && home_pair_fp(o, "staged", fp, NULL, 0) == 0)
        state = SIPC_ROTATION_STAGED;
    switch (state) {
    case SIPC_ROTATION_NONE:
        return fail(EX_STATE, "no rotation is in progress on %s", sipc_cli_home_words_of(cfg).here);
    case SIPC_ROTATION_STAGED:
    case SIPC_ROTATION_ROLLED_BACK:
        home_pair_fp(o, "staged", fp, NULL, 0);
        /* a node that committed presents the staged pair, which this node
         * then refuses; a stray staged/ was never trusted */
        if (rot->state != SIPC_ROTATION_NONE &&
            (r = finish_guard(o, cfg, fp, &ABORT_WORDS,
                              "roll them back (`tlstool rotate abort --reload` on each)")) != 0)
            return r;
        if (sipc_store_drop_staged(o->home, err, sizeof err) != 0 ||
            sipc_store_write_rotation(o->home, NULL, NULL, err, sizeof err) != 0)
            return fail(EX_FAIL, "%s", err);
        printf("aborted: the staged pair (SHA-256 %.16s...) is dropped and no longer trusted; "
               "%s keeps its pair\n",
               fp, sipc_cli_home_words_of(cfg).here);
        printf("abort on every node, after any node that committed has rolled back (`tlstool "
               "rotate abort` there first)\n");
        break;
    case SIPC_ROTATION_COMMITTED:
        if (home_pair_fp(o, "previous", prev, NULL, 0) != 0 || strcmp(prev, rot->previous) != 0)
            return fail(EX_STATE, "security/previous/ no longer holds the pair %s "
                                  "committed from (SHA-256 %.16s...): import that pair with "
                                  "`tlstool import` instead",
                        sipc_cli_home_words_of(cfg).here, rot->previous);
        home_pair_fp(o, NULL, cur, NULL, 0);
        int rb = sipc_store_roll_back(o->home, err, sizeof err);
        if (rb == SIPC_STORE_PARTIAL)
            return fail(EX_PARTIAL, "not rolled back, only half: %s", err);
        if (rb < 0)
            return fail(EX_FAIL, "%s", err);
        installed_warn = rb == SIPC_STORE_INSTALLED;
        printf("rolled back: %s holds the previous pair (SHA-256 %.16s...) again\n",
               sipc_cli_home_words_of(cfg).here,
               prev);
        printf("it still trusts the pair it had moved to (SHA-256 %.16s..., now in "
               "security/staged/), which other nodes may present\n",
               cur);
        printf("next: roll back every node that committed, then `tlstool rotate abort` on every "
               "node stops trusting it (or `tlstool rotate commit` moves again)\n");
        break;
    }
    warn_held_say();
    apply_note(o, cfg);
    if (installed_warn)
        return fail(EX_INSTALLED_WARN, "rolled back, but: %s", err);
    return EX_OK;
}

static int rotate_status(const opts *o, const sipc_config *cfg, const sipc_rotation *rot)
{
    char cur[65], staged[65], prev[65], subj[300];
    printf("rotation: %s\n", rot->state == SIPC_ROTATION_NONE ? "none in progress"
                                                                : sipc_rotation_state_name(rot->state));
    if (home_pair_fp(o, NULL, cur, subj, sizeof subj) == 0)
        printf("  current pair:  SHA-256 %s (%s)\n", cur, subj);
    else
        printf("  current pair:  none imported\n");
    int have_staged = home_pair_fp(o, "staged", staged, subj, sizeof subj) == 0;
    /* a commit that could not remove staged/ left the pair it installed */
    int leftover = have_staged && rot->state == SIPC_ROTATION_COMMITTED && !strcmp(staged, cur);
    if (have_staged)
        printf("  staged pair:   SHA-256 %s (%s), %s\n", staged, subj,
               leftover ? LEFTOVER_STAGED_NOTE
               : rot->state == SIPC_ROTATION_NONE ? "not trusted (no rotation in progress)"
                                                  : "trusted during rotation, not committed");
    if (rot->state == SIPC_ROTATION_COMMITTED) {
        int ok = home_pair_fp(o, "previous", prev, subj, sizeof subj) == 0 &&
                 strcmp(prev, rot->previous) == 0;
        printf("  committed:     yes\n");
        if (ok)
            printf("  previous pair: SHA-256 %s (%s), trusted during rotation\n", prev, subj);
        else
            printf("  previous pair: SHA-256 %s, NOT trusted: security/previous/ holds another "
                   "pair now\n",
                   rot->previous);
    } else if (rot->state != SIPC_ROTATION_NONE) {
        printf("  committed:     no\n");
    }
    /* the step that commits it is named only for a pair commit takes */
    pair_judgement j;
    memset(&j, 0, sizeof j);
    if (have_staged && rot->state != SIPC_ROTATION_NONE && rot->state != SIPC_ROTATION_COMMITTED)
        staged_verdict(o, cfg, &j);
    char text[2400];
    if (j.v.res.reason[0]) {
        const char *label = staged_not_verified(j.unjudged, j.v.res.reason, text, sizeof text);
        printf("  %-14s %s\n", label, text);
    }
    staged_next(&j, rot->state, text, sizeof text);
    if (rot->state == SIPC_ROTATION_NONE && have_staged)
        printf("next: " STRAY_STAGED_NOTE "\n");
    else if (!have_staged && rot->state != SIPC_ROTATION_NONE && rot->state != SIPC_ROTATION_COMMITTED) {
        char why[600];
        if (staged_unreadable(o, why, sizeof why)) {
            printf("  staged pair:   UNREADABLE\n");
            cli_say_line(stdout, "PROBLEM", UNREADABLE_STAGED_NOTE,
                         sipc_rotation_state_name(rot->state), why);
        } else {
            printf("  staged pair:   NONE\n");
            printf("PROBLEM: " MISSING_STAGED_NOTE "\n", sipc_rotation_state_name(rot->state));
        }
        return EX_STATE;
    }
    else if (rot->state == SIPC_ROTATION_COMMITTED)
        printf("next: once every node has committed (and was reloaded or restarted%s), `tlstool "
               "rotate finish` on every node%s\n",
               sipc_cli_home_client_only(cfg) ? "" : ": if this node's sipcd was not, `sipcctl "
                                                     "reload` here",
               sipc_cli_home_client_only(cfg) ? " and here" : "");
    else if (text[0])
        printf("next: %s\n", text);
    return EX_OK;
}

int cmd_rotate(void *arg)
{
    opts *o = arg;
    const char *sub = o->npos ? o->pos[0] : "";
    int status = !strcmp(sub, "status");
    if (!status && strcmp(sub, "stage") && strcmp(sub, "commit") && strcmp(sub, "finish") &&
        strcmp(sub, "abort"))
        return fail(EX_USAGE, "rotate needs stage FILE, commit, finish, abort or status (see "
                              "--help)");
    if (strcmp(sub, "stage") && extra_args(o, 1))
        return EX_USAGE;
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    sipc_rotation rot;
    if ((r = read_state(o, &cfg, &rot)) != 0)
        return r;
    /* node.p12 is the staged pair's already: a new stage or an abort would
     * leave it beside a node.crt of another pair */
    if (rot.commit_half && (!strcmp(sub, "stage") || !strcmp(sub, "abort")))
        return fail(EX_STATE, "not %s: a commit on %s stopped half-way (above): `tlstool "
                              "rotate commit` finishes it first%s",
                    !strcmp(sub, "stage") ? "staged" : "aborted", sipc_cli_home_words_of(&cfg).here,
                    !strcmp(sub, "abort") ? "; then `tlstool rotate abort` rolls it back" : "");
    if (status)
        return rotate_status(o, &cfg, &rot);
    if (!strcmp(sub, "stage"))
        r = rotate_stage(o, &cfg, &rot);
    else if (!strcmp(sub, "commit"))
        r = rotate_commit(o, &cfg, &rot);
    else if (!strcmp(sub, "finish"))
        r = rotate_finish(o, &cfg, &rot);
    else
        r = rotate_abort(o, &cfg, &rot);
    /* the files are in place: the running node picks them up now; a
     * commit or abort forced past the nodes that refuse its pair forces
     * the node's trust guard past the same nodes */
    if (r == EX_OK && o->reload)
        return request_reload(o, o->force && (!strcmp(sub, "commit") || !strcmp(sub, "abort")));
    return r;
}
