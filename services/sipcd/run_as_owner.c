/* run_as_owner.c - see run_as_owner.h. */
#include "run_as_owner.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
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

void run_as_owner_explain(const char *home, const char *note, char *err, size_t errlen)
{
    size_t n = strlen(err);
    if (!note[0] || n + 1 >= errlen)
        return;
    /* absolute, so that every folder on the way is looked at */
    char path[PATH_MAX], cwd[PATH_MAX];
    int w = -1;
    if (home[0] == '/')
        w = snprintf(path, sizeof path, "%s", home);
    else if (getcwd(cwd, sizeof cwd))
        w = snprintf(path, sizeof path, "%s/%s", cwd, home);
    if (w < 0 || (size_t)w >= sizeof path)
        return;
    struct passwd *pw = getpwuid(getuid());
    char name[256];
    snprintf(name, sizeof name, "%s", pw ? pw->pw_name : "the owner");
    /* the first folder on the way to the home (the home included) this
     * account may not enter: root passed it, so nothing else said why */
    char *blocked = NULL;
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (access(path, X_OK) != 0 && errno == EACCES)
            blocked = path;
        else
            *p = c;
        if (blocked || c == '\0')
            break;
    }
    char word[4 * PATH_MAX + 4], user[4 * 256 + 4], shown_home[4 * PATH_MAX + 4],
        who[4 * PATH_MAX + 1400];
    cli_shell_word(name, user, sizeof user);
    cli_shell_word(home, shown_home, sizeof shown_home);
    snprintf(who, sizeof who, "sipcd runs as %s (uid %u), the owner of the node home %s (it was "
             "started as root)", name, (unsigned)getuid(), shown_home);
    struct stat st;
    if (blocked && stat(blocked, &st) == 0) {
        struct passwd *bo = getpwuid(st.st_uid);
        char owner[300];
        if (bo)
            snprintf(owner, sizeof owner, "%s", bo->pw_name);
        else
            snprintf(owner, sizeof owner, "uid %u", (unsigned)st.st_uid);
        cli_shell_word(blocked, word, sizeof word);
        snprintf(err + n, errlen - n,
                 ": %s, and %s cannot pass through %s (mode %04o, owner %s): let it through "
                 "(`chmod o+x %s`, or `setfacl -m u:%s:x %s`), or move the home where %s can "
                 "reach it",
                 who, name, blocked, (unsigned)(st.st_mode & 07777), owner, word, user, word,
                 name);
    } else if (strstr(err, strerror(EACCES))) {
        snprintf(err + n, errlen - n,
                 ": %s, and that file is not readable to %s: give it to %s (`chown %s FILE`, as "
                 "root)",
                 who, name, name, user);
    }
}
