/* home_owner.h - which accounts' files a program takes as its own in a
 * node's home (security/, its key and trust): one rule for every reader. */
#ifndef SIPC_HOME_OWNER_H
#define SIPC_HOME_OWNER_H

#include <stddef.h>
#include <sys/types.h>

/* Whether a file owned by uid in home may hold what only the node's
 * account should control (a private key, whom the node trusts): this
 * account's, root's, and, when this process is root, the owner of home
 * itself. Root may so use a home whose node runs as another account
 * (sipcctl, tlstool status) without taking it over; that owner could
 * replace security/ anyway. A third account's file is refused: it could
 * swap the key. */
int sipc__owner_trusted(uid_t uid, const char *home);
/* Appends to err the fix for path in home, refused by sipc__owner_trusted:
 * ": run `chown UID PATH` (WHY)", UID being this process's account, or,
 * for root, the home's owner; with link, `chown -h` (the link itself). */
void sipc__owner_fix(const char *home, const char *path, int link, char *err, size_t errlen);

#endif
