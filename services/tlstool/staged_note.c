/* staged_note.c - see staged_note.h. */
#include "services/tlstool/staged_note.h"

#include <stdio.h>
#include <string.h>

#include "services/common/staged_words.h"

void staged_verdict(const opts *o, const sipc_config *cfg, pair_judgement *j)
{
    sipc_keypair kp;
    memset(j, 0, sizeof *j);
    if (sipc_staged_load(o->home, &kp, &j->res) != 0)
        return;
    if (pair_judge(o, cfg, &kp, j) == 0)
        sipc_vfy_fix_again(&j->res, SIPC_VFY_AGAIN_STAGE("FILE"));
    sipc_keypair_free(&kp);
}

void staged_not_verified(const char *reason, char *out, size_t len)
{
    snprintf(out, len, SIPC_STAGED_NOT_VERIFIED, reason);
}

void staged_next(const pair_judgement *j, sipc_rotation_state state, char *out, size_t len)
{
    char step[1400];
    out[0] = 0;
    if (state == SIPC_ROTATION_STAGED && j->res.reason[0]) {
        sipc_staged_step(step, sizeof step, j->completable, j->res.fix);
        if (j->completable)
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
                 j->res.reason[0] ? ", once the staged pair verifies: " : "",
                 j->res.reason[0] ? j->res.fix : "");
    }
}
