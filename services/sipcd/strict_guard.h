/* strict_guard.h - the strict guard of a reload (strict_guard.c). */
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

#endif
