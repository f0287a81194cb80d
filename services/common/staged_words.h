/* staged_words.h - what a key pair rotation's staged pair that does not
 * verify means, and the step that completes it or drops it: one set of
 * words for `tlstool rotate status`, `tlstool status` and the rotation
 * note of the cluster's status. printf formats, each with one %s: the
 * verifier's reason for the first two, its fix for the others. Header
 * only. */
#ifndef SIPC_STAGED_WORDS_H
#define SIPC_STAGED_WORDS_H

#define SIPC_STAGED_NOT_VERIFIED                                                                  \
    "the staged pair: %s; peers refuse it, and `tlstool rotate commit` refuses it until it "     \
    "verifies"
/* A judgement that could not be made (tlstool only: a node keeps none)
 * says nothing of the pair: why is the reason, what to do its fix, the
 * step alone. */
#define SIPC_STAGED_NOT_JUDGED                                                                    \
    "the staged pair was not judged, so whether it verifies is not known: %s"
#define SIPC_STAGED_COMPLETE "complete the staged pair first: %s"
#define SIPC_STAGED_DROP                                                                          \
    "`tlstool rotate abort` drops the staged pair, which cannot be committed (%s); then stage " \
    "one that verifies"

#include <stdio.h>

/* The step for a staged pair that does not verify: what completes it when
 * the home can (completable), else the abort that drops it; fix is the
 * verifier's. */
static inline void sipc_staged_step(char *out, size_t len, int completable, const char *fix)
{
    snprintf(out, len, completable ? SIPC_STAGED_COMPLETE : SIPC_STAGED_DROP, fix);
}

#endif
