/* staged_words.h - what a key pair rotation's staged pair that does not
 * verify means, and the step that completes it or drops it: one set of
 * words for `tlstool rotate status`, `tlstool status` and the rotation
 * note of the cluster's status. printf formats, each with one %s: the
 * verifier's reason for the first, its fix for the others. Header only. */
#ifndef SIPC_STAGED_WORDS_H
#define SIPC_STAGED_WORDS_H

#define SIPC_STAGED_NOT_VERIFIED                                                                  \
    "the staged pair: %s; peers refuse it, and `tlstool rotate commit` refuses it until it "     \
    "verifies"
#define SIPC_STAGED_COMPLETE "complete the staged pair first: %s"
#define SIPC_STAGED_DROP                                                                          \
    "`tlstool rotate abort` drops the staged pair, which cannot be committed (%s); then stage " \
    "one that verifies"

#endif
