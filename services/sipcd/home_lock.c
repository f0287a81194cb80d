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

/* The pid the holder wrote, or 0 when the file names none (yet: it writes
 * it just after locking). */
static long holder_pid(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    char buf[32];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *end;
    errno = 0;
    long pid = strtol(buf, &end, 10);
    if (errno || end == buf || (*end && *end != '\n') || pid <= 0)
        return 0;
    return pid;
}

int home_lock_take(const char *home, char *err, size_t errlen)
{
    char dir[600], path[sizeof dir + sizeof HOME_LOCK_FILE];
    if (snprintf(dir, sizeof dir, "%s/state", home) >= (int)sizeof dir ||
        snprintf(path, sizeof path, "%s/%s", home, HOME_LOCK_FILE) >= (int)sizeof path) {
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
            long pid = holder_pid(path);
            char who[64] = "another process (its pid is not in " HOME_LOCK_FILE ")";
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
    /* hfd, when locked, is ours until the process ends: deliberately kept */
    int dfd;
    if (host_state_dir(home, dir, sizeof dir, &dfd, err, errlen) != 0)
        return -EACCES;
    /* replaced whole, not written in place: a file left by root (0600) is
     * replaced by the owner's sipcd, which owns state/; in the state/ just
     * checked, by its descriptor */
    char line[32];
    int len = snprintf(line, sizeof line, "%ld\n", (long)getpid());
    int r = sipc__file_replace_at(dfd, path, strrchr(HOME_LOCK_FILE, '/') + 1, line, (size_t)len,
                                  0600, (uid_t)-1, (gid_t)-1, err, errlen);
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
    if (snprintf(path, sizeof path, "%s/%s", home, HOME_LOCK_FILE) >= (int)sizeof path)
        return;
    if (holder_pid(path) == (long)getpid())
        host_state_remove(home, strrchr(HOME_LOCK_FILE, '/') + 1, NULL, 0);
}

long home_lock_holder(const char *home, char *err, size_t errlen)
{
    struct stat st;
    char path[700];
    if (stat(home, &st) != 0) {
        snprintf(err, errlen, "cannot read node home %s: %s", home, strerror(errno));
        return -1;
    }
    if (snprintf(path, sizeof path, "%s/%s", home, HOME_LOCK_FILE) >= (int)sizeof path) {
        snprintf(err, errlen, "node home path too long: %.80s...", home);
        return -1;
    }
    long pid = holder_pid(path);
    if (!pid) {
        /* a file that is there but cannot be read says nothing either way */
        if (access(path, F_OK) == 0 && access(path, R_OK) != 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    FILE *f = fopen("/proc/locks", "re");
    if (!f) {
        snprintf(err, errlen, "cannot read /proc/locks: %s", strerror(errno));
        return -1;
    }
    /* "1: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE 0 EOF"; a waiter has "->"
     * as its second field */
    char line[256], ino[32];
    snprintf(ino, sizeof ino, ":%llu", (unsigned long long)st.st_ino);
    size_t il = strlen(ino);
    long found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        char type[16], dev[96];
        long p;
        if (sscanf(line, "%*s %15s %*s %*s %ld %95s", type, &p, dev) != 3)
            continue;
        size_t dl = strlen(dev);
        if (!strcmp(type, "FLOCK") && p == pid && dl >= il && !strcmp(dev + dl - il, ino))
            found = pid;
    }
    fclose(f);
    if (!found) {
        /* on a filesystem that refuses flock a sipcd runs without the lock
         * (home_lock_take returns 1), its pid written all the same; a sipcd
         * killed leaves its pid, which another sipcd may have taken since:
         * a live sipcd of that pid cannot be told either way */
        char comm_path[64], comm[32] = "";
        snprintf(comm_path, sizeof comm_path, "/proc/%ld/comm", pid);
        FILE *c = fopen(comm_path, "re");
        if (c) {
            if (fgets(comm, sizeof comm, c) && !strcmp(comm, "sipcd\n")) {
                snprintf(err, errlen,
                         "%s names pid %ld, a running sipcd that holds no lock on this home (on "
                         "a filesystem without flock, or the pid of a sipcd killed here, taken "
                         "by another since): `sipcctl status` asks the node itself",
                         path, pid);
                found = -1;
            }
            fclose(c);
        }
    }
    return found;
}
