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

struct stat;
/* Whether st (of fd, found at where) is safe from other accounts, whom
 * harm says what they could then do ("change whom this node trusts"):
 * owned as sipc__owner_trusted says, and, unless mode_free (a link, whose
 * mode means nothing; a sticky folder passed through), writable by no
 * other account, or on a file system mounted read-only. on: words after
 * where in the text (", which X leads through,"), or ""; tail: words after
 * the chmod to run, or "". 0, or SIPC_ECONFIG with err naming the chown or
 * chmod to run. */
int sipc__owner_guard(const char *home, int fd, const struct stat *st, const char *where,
                      const char *on, int mode_free, const char *harm, const char *tail,
                      char *err, size_t errlen);
/* Whether home and its sipc.conf can be changed by this account only
 * (sipc__owner_guard): what sipc.conf leads to, and, when it is a link, the
 * folder holding that (which may be sticky); the home itself. Whoever can
 * change sipc.conf, or put another in its place, can turn TLS off or
 * choose whom the node trusts. 0 (also when there is no sipc.conf), or
 * SIPC_ECONFIG with err naming the path and the chmod or chown to run. */
int sipc__home_guard(const char *home, char *err, size_t errlen);

#endif
