/* strict_guard.h - the strict guard of a reload and of a start (strict_guard.c). */
#ifndef SIPCD_STRICT_GUARD_H
#define SIPCD_STRICT_GUARD_H

#include <stddef.h>

#include "host.h"
#include "reload_job.h"

/* 0 to go on, 1 when the reload j must be refused (msg, len bytes, says
 * why). The peers judged are this node's history with the window of the
 * new sipc.conf, so that setting it to 0 in the same reload turns the
 * guard off. The one-shot override `tlstool mode strict --force` leaves is
 * consumed whether needed or not; a check of the files (j->dry) only looks
 * whether it is there (j->overridden, msg naming the peers it would cut
 * off). A forced reload fills j->cut_off (and j->cut_off_ack). */
int reload_strict_guard(reload_job *j, host *h, char *msg, size_t len);

/* Restarting strict with peers whose latest word was plaintext would cut
 * them off without a word: unless the operator left the one-shot override
 * (`tlstool mode strict --force`), the node starts permissive instead and
 * says so. */
typedef struct start_guard_verdict {
    unsigned services; /* the listeners judged (HOST_SVC_* bits) */
    int total;
    int forced;
    char text[2000];
    char load_err[800];
} start_guard_verdict;
/* Before the securities are built: loads the peer history, consumes the
 * override, and holds a strict start back to permissive (h->guarded). */
void start_guard_judge(host *h, start_guard_verdict *v);
/* Once the services' logs are open: what the judgement found, in each. */
void start_guard_log(host *h, const start_guard_verdict *v);
/* A forced start that came up: the operator knowingly cut these peers off,
 * so they stop holding the node back (at its next start, say) until one
 * connects again. Not before: a start that fails has cut no one off, and
 * its used-up override must not leave a lasting mark. */
void start_guard_forced(host *h, const start_guard_verdict *v);

#endif
