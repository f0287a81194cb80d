/* home_lock.c - see home_lock.h. */
#include "home_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file_replace.h"
#include "services/common/shown_text.h"
#include "peers.h"

int home_lock_take(const char *home, home_lock_prev *prev, char *err, size_t errlen)
{
    memset(prev, 0, sizeof *prev);
    char dir[600], path[sizeof dir + sizeof SIPC_HOME_LOCK_FILE];
    if (snprintf(dir, sizeof dir, "%s/state", home) >= (int)sizeof dir ||
        snprintf(path, sizeof path, "%s/%s", home, SIPC_HOME_LOCK_FILE) >= (int)sizeof path) {
        snprintf(err, errlen, "node home path too long (%zu bytes, at most %zu): %.80s...",
                 strlen(home), sizeof dir - sizeof "/state", home);
        return -ENAMETOOLONG;
    }
    int hfd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (hfd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open node home %s: %s", home, strerror(e));
        return -e;
    }
    int unlocked = 0;
    if (flock(hfd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            long pid = sipc__home_lock_named(path, NULL);
            char who[64] = "another process (its pid is not in " SIPC_HOME_LOCK_FILE ")";
            if (pid)
                snprintf(who, sizeof who, "pid %ld", pid);
            /* the command is pasted: the home as one shell word */
            char word[4 * sizeof dir + 4];
            cli_shell_word(home, word, sizeof word);
            snprintf(err, errlen,
                     "node home %s is in use by %s, which holds its lock: one sipcd per home; "
                     "`sipcctl --home %s status` asks the node running there",
                     home, who, word);
            close(hfd);
            return -e;
        }
        if (e != ENOLCK && e != EOPNOTSUPP && e != EINVAL && e != ENOSYS) {
            snprintf(err, errlen, "cannot lock node home %s: %s", home, strerror(e));
            close(hfd);
            return -e;
        }
        /* a filesystem without locks: run as before the lock existed */
        close(hfd);
        unlocked = e;
    }
    /* hfd, when locked, is ours until the process ends: deliberately kept.
     * A pid left in the file, read now that no other sipcd can write it, is
     * a previous run's that did not stop cleanly; without the lock it may
     * be a live sipcd's, and says nothing. */
    if (!unlocked)
        prev->pid = sipc__home_lock_named(path, &prev->started_ms);
    int dfd, unfit;
    if (host_state_dir(home, dir, sizeof dir, &dfd, &unfit, err, errlen) != 0)
        return unfit ? SIPC_ECONFIG : -EACCES;
    /* replaced whole, not written in place: a file left by root (0600) is
     * replaced by the owner's sipcd, which owns state/; in the state/ just
     * checked, by its descriptor */
    char line[32];
    int len = snprintf(line, sizeof line, "%ld\n", (long)getpid());
    int r = sipc__file_replace_at(dfd, path, strrchr(SIPC_HOME_LOCK_FILE, '/') + 1, line,
                                  (size_t)len, 0600, (uid_t)-1, (gid_t)-1, err, errlen);
    close(dfd);
    if (r != 0)
        return -EACCES;
    if (unlocked) {
        snprintf(err, errlen,
                 "cannot lock node home %s: %s: one sipcd per home cannot be enforced on this "
                 "filesystem (make sure no other sipcd runs from this home)",
                 home, strerror(unlocked));
        return 1;
    }
    return 0;
}

void home_lock_drop(const char *home)
{
    char path[700];
    if (snprintf(path, sizeof path, "%s/%s", home, SIPC_HOME_LOCK_FILE) >= (int)sizeof path)
        return;
    if (sipc__home_lock_named(path, NULL) == (long)getpid())
        host_state_remove(home, strrchr(SIPC_HOME_LOCK_FILE, '/') + 1, NULL, 0);
}
