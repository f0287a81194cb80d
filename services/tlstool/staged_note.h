/* staged_note.h - the pair staged for a rotation as `tlstool rotate
 * commit` would judge it, and the next step that follows from that, for
 * `tlstool rotate status` and `tlstool status` alike. */
#ifndef SIPC_TLSTOOL_STAGED_NOTE_H
#define SIPC_TLSTOOL_STAGED_NOTE_H

#include <stddef.h>

#include "services/tlstool/pair_judge.h"

/* Why the staged pair would not be committed now, into j (v.res.reason ""
 * when it would), as commit and the node judge it: the library's
 * sipc_trust_judge_staged (j->v.policy and j->have_pair are not set). */
void staged_verdict(const opts *o, const sipc_config *cfg, pair_judgement *j);

/* "the staged pair: REASON; peers refuse it, ..." in out, reason the
 * verifier's for a staged pair that does not verify, or for one not
 * judged (unjudged) "the staged pair was not judged, ...: WHY"; the line's
 * label: "NOT VERIFIED:" or "NOT JUDGED:". */
const char *staged_not_verified(int unjudged, const char *reason, char *out, size_t len);

/* The next step of a rotation in state (staged or rolled back), j the
 * staged pair's verdict: commit once it verifies; else what completes it,
 * or for a defect of its own abort, or when it was not judged what to fix
 * first; never commit alone. "" in out for another state. */
void staged_next(const pair_judgement *j, sipc_rotation_state state, char *out, size_t len);

/* What a commit that stopped before its pair was in place left
 * (sipc_rotation's commit_stopped and commit_half: read as staged), and
 * the one step that finishes it, into out, for the note of every rotate
 * step and for `tlstool status`, naming whose commit it was by cfg's home
 * (sipc_cli_home_words_of); "" when no commit stopped. */
void commit_stopped_note(const opts *o, const sipc_config *cfg, const sipc_rotation *rot,
                         char *out, size_t len);

/* Whether a rotation's security/staged/node.crt is there but cannot be
 * read as a pair (unreadable, damaged, not a file): 1, the loader's words
 * in why; 0 when it is not there or reads. Unlike a pair that is not there,
 * it was not removed: its words say what it is. */
int staged_unreadable(const opts *o, char *why, size_t len);
/* Such a file as a rotation in state %s (staged, rolled-back) has it, the
 * loader's words in the second %s */
#define UNREADABLE_STAGED_NOTE                                                                     \
    "the rotation state says %s and security/staged/node.crt is there, but it cannot be read as "  \
    "a pair (%s): `tlstool rotate commit` has none to commit; make it readable, or stage the "     \
    "pair again (`tlstool rotate stage FILE.pfx --force --reload`), or `tlstool rotate abort` "    \
    "ends the rotation here"

#endif
