/* run_as_owner.h - sipcd started as root in a home another account owns runs
 * as that account: everything it makes there is then the owner's, so the
 * owner's own sipcd (the systemd unit's `sipc`) can use the home afterwards,
 * and the checks that a home's files belong to the account running sipcd
 * hold as they do for the owner. A home root owns stays root's. */
#ifndef SIPCD_RUN_AS_OWNER_H
#define SIPCD_RUN_AS_OWNER_H

#include <stddef.h>

/* When the effective uid is 0 and home (stat, following a link) belongs to
 * another uid: takes that account's groups (its primary group from the
 * password database, initgroups), then its gid, then its uid, each checked;
 * the line to log ("running as NAME (uid N) ...") in note. 0 when done or
 * nothing to do (note empty; a home that cannot be stat'ed is left to the
 * configuration's checks); -1 with the reason in err when the account is
 * unknown or a step failed: then sipcd must not run. Call before anything
 * opens or creates a file in the home. */
int run_as_home_owner(const char *home, char *note, size_t notelen, char *err, size_t errlen);

/* After run_as_home_owner switched accounts (its note not empty), a file of
 * the home that could not be read (err, e.g. "cannot read HOME/sipc.conf:
 * Permission denied"): root, who started sipcd, reads it, so err says as
 * whom sipcd runs and what stands in that account's way: the first folder
 * on the way to the home it may not enter (its mode and owner, and how to
 * let it through), else that the file itself is not readable to it.
 * Appended to err; nothing when no switch was made. */
void run_as_owner_explain(const char *home, const char *note, char *err, size_t errlen);

#endif
