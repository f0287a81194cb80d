/* staged_note.c - see staged_note.h. */
#include "services/tlstool/staged_note.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "services/common/client_home.h"
#include "services/common/staged_words.h"

void staged_verdict(const opts *o, const sipc_config *cfg, pair_judgement *j)
{
    sipc_trust_policy pol;
    memset(j, 0, sizeof *j);
    policy_of(cfg, &pol);
    int r = sipc_trust_judge_staged(o->home, &pol, time(NULL), say_refused, NULL, &j->v.res);
    j->unjudged = r != 0 && r != SIPC_EPEERAUTH;
    j->v.completable = !j->unjudged && sipc_vfy_completable(j->v.res.status);
}

const char *staged_not_verified(int unjudged, const char *reason, char *out, size_t len)
{
    snprintf(out, len, unjudged ? SIPC_STAGED_NOT_JUDGED : SIPC_STAGED_NOT_VERIFIED, reason);
    return unjudged ? "NOT JUDGED:" : "NOT VERIFIED:";
}

void staged_next(const pair_judgement *j, sipc_rotation_state state, char *out, size_t len)
{
    char step[1400];
    out[0] = 0;
    if (state == SIPC_ROTATION_STAGED && j->unjudged) {
        snprintf(out, len, "%s", j->v.res.fix);
    } else if (state == SIPC_ROTATION_STAGED && j->v.res.reason[0]) {
        sipc_staged_step(step, sizeof step, j->v.completable, j->v.res.fix);
        if (j->v.completable)
            snprintf(out, len,
                     "%s; then, once every node has it staged (and was reloaded or restarted), "
                     "`tlstool rotate commit` node by node (or `tlstool rotate abort` drops it)",
                     step);
        else
            snprintf(out, len, "%s", step);
    } else if (state == SIPC_ROTATION_STAGED) {
        snprintf(out, len, "once every node has it staged (and was reloaded or restarted), "
                           "`tlstool rotate commit` node by node");
    } else if (state == SIPC_ROTATION_ROLLED_BACK) {
        snprintf(out, len,
                 "once every node that committed has rolled back, `tlstool rotate abort` on every "
                 "node (or `tlstool rotate commit` to move again%s%s)",
                 !j->v.res.reason[0] ? ""
                 : j->unjudged       ? ", once the staged pair can be judged and verifies: "
                                     : ", once the staged pair verifies: ",
                 j->v.res.reason[0] ? j->v.res.fix : "");
    }
}

int staged_unreadable(const opts *o, char *why, size_t len)
{
    char path[1200];
    struct stat st;
    snprintf(path, sizeof path, "%s/security/staged/node.crt", o->home);
    if (lstat(path, &st) != 0)
        return 0;
    sipc_keypair kp;
    sipc_vfy_result res;
    /* only a regular file is read: a FIFO would block */
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, len, "%s is not a regular file", path);
        return 1;
    }
    if (sipc_staged_load(o->home, &kp, &res) == 0) {
        sipc_keypair_free(&kp);
        return 0;
    }
    snprintf(why, len, "%s", res.reason);
    return 1;
}

void commit_stopped_note(const opts *o, const sipc_config *cfg, const sipc_rotation *rot,
                         char *out, size_t len)
{
    char cur[65];
    out[0] = '\0';
    if (!rot->commit_stopped)
        return;
    home_pair_fp(o, NULL, cur, NULL, 0);
    if (rot->commit_half)
        snprintf(out, len,
                 "a commit on %s stopped half-way: security/node.p12 is already the "
                 "staged pair's, security/node.crt still the pair it was to replace (SHA-256 "
                 "%.16s...), which do not go together (node.crt's pair stays in use); "
                 "the rotation stands at staged, whatever security/rotation says, and only "
                 "`tlstool rotate commit` fits: it finishes the commit (an abort or a new stage "
                 "would leave node.p12 of another pair)",
                 sipc_cli_home_words_of(cfg).here, cur);
    else
        snprintf(out, len,
                 "a commit on %s stopped before its pair was put in place: "
                 "security/node.crt still holds the pair it was to replace (SHA-256 %.16s...), "
                 "so the rotation stands at staged, whatever security/rotation says; `tlstool "
                 "rotate commit` commits it",
                 sipc_cli_home_words_of(cfg).here, cur);
}
