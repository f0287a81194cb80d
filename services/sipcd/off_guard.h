/* off_guard.h - the guard of going off of a reload (off_guard.c). */
#ifndef SIPCD_OFF_GUARD_H
#define SIPCD_OFF_GUARD_H

#include <stddef.h>

#include "host.h"
#include "reload_job.h"

/* Whether the reload takes the listeners of [tls] (data, search,
 * management) from TLS to off: what the guard of going off is for.
 * [pipeline] tls going off alone needs none: no node dials another's
 * pipeline listener (a pipeline delivers to the data services, over links
 * with the [tls] security, apply()), so it cuts no strict node off. */
int reload_goes_off(const reload_job *j, const host *h);

/* The guard of going off, the strict guard's mirror and the node's own
 * `tlstool disable` check (so that `enable = 0` written by hand and SIGHUP
 * are judged alike): a node that runs strict refuses this node's plaintext
 * links, and its TLS links here fail, so going off cuts this node off from
 * it at once. Judged from what the other nodes answered (j->modes). As the
 * strict guard counts a plaintext peer it no longer sees until its window
 * ends, a node that ran strict at its last answer and cannot be asked now
 * (stopped, restarting, cut off for a moment) still counts as strict: only
 * an answer of another mode releases it. A node never asked before that
 * cannot be asked does not hold the reload back (as `tlstool disable` goes
 * on). An answer with this node's own id is this node (listed in [cluster]
 * nodes under another address), as the strict guard takes it: not counted,
 * but said (j->self_note). 0 to go on (a --force says whom it cuts off;
 * unknown gets the nodes that could not be asked, "" when none), 1 when
 * refused (msg says why, the nodes not asked included). */
int reload_off_guard(reload_job *j, host *h, char *msg, size_t len, char *unknown,
                     size_t unknown_len);

#endif
