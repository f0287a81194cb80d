/* run_as_owner.c - see run_as_owner.h. */
#include "run_as_owner.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/common/shown_text.h"

int run_as_home_owner(const char *home, char *note, size_t notelen, char *err, size_t errlen)
{
    note[0] = '\0';
    struct stat hs;
    if (geteuid() != 0 || stat(home, &hs) != 0 || hs.st_uid == 0)
        return 0;
    errno = 0;
    struct passwd *pw = getpwuid(hs.st_uid);
    /* the commands below are pasted: the home (and the account) as one
     * shell word each */
    char word[4 * PATH_MAX + 4], user[4 * 256 + 4];
    if (!pw) {
        int e = errno;
        cli_shell_word(home, word, sizeof word);
        snprintf(err, errlen,
                 "node home %s belongs to uid %u, which has no account here (%s): root's sipcd "
                 "runs as the home's owner and cannot; give the home to an account "
                 "(`chown -R ACCOUNT: %s`) or run sipcd as the account the files are for",
                 home, (unsigned)hs.st_uid, e ? strerror(e) : "not in the password database",
                 word);
        return -1;
    }
    const char *step = "initgroups";
    /* in this order: the groups and the gid can no longer be changed once
     * the uid is no longer 0 */
    if (initgroups(pw->pw_name, pw->pw_gid) == 0) {
        step = "setgid";
        if (setgid(pw->pw_gid) == 0) {
            step = "setuid";
            if (setuid(hs.st_uid) == 0) {
                /* and no way back: a process that could become root again
                 * would not be the owner's */
                if (setuid(0) != 0 || geteuid() != 0) {
                    snprintf(note, notelen,
                             "Running as %s (uid %u, gid %u), the owner of the node home %s "
                             "(sipcd was started as root): what it makes in the home is %s's",
                             pw->pw_name, (unsigned)hs.st_uid, (unsigned)pw->pw_gid, home,
                             pw->pw_name);
                    return 0;
                }
                errno = EPERM;
                step = "setuid (root could be taken back)";
            }
        }
    }
    int e = errno;
    cli_shell_word(home, word, sizeof word);
    cli_shell_word(pw->pw_name, user, sizeof user);
    snprintf(err, errlen,
             "node home %s belongs to %s (uid %u): root's sipcd runs as the home's owner, and "
             "%s failed: %s; run sipcd as %s (`runuser -u %s -- sipcd --home %s`)",
             home, pw->pw_name, (unsigned)hs.st_uid, step, strerror(e), pw->pw_name,
             user, word);
    return -1;
}
