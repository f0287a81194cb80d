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

/* The pid the holder wrote, or 0 when the file names none (yet: it writes
 * it just after locking). */
static long holder_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
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
    char dir[700], path[720];
    snprintf(dir, sizeof dir, "%s/state", home);
    snprintf(path, sizeof path, "%s/%s", home, HOME_LOCK_FILE);
    /* state/ is the home's private folder (the peer history): owner only */
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        int e = errno;
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(e));
        return -e;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
        return -e;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            long pid = holder_pid(fd);
            char who[64] = "another process (its pid is not in the file)";
            if (pid)
                snprintf(who, sizeof who, "pid %ld", pid);
            snprintf(err, errlen,
                     "node home %s is in use by %s, which holds %s: one sipcd per home; "
                     "`sipcctl --home %s status` asks the node running there",
                     home, who, path, home);
        } else {
            snprintf(err, errlen, "cannot lock %s: %s", path, strerror(e));
        }
        close(fd);
        return -e;
    }
    /* ours until the process ends: the descriptor is deliberately kept.
     * Written over the old pid, then cut, so that a full disk cannot leave
     * it empty. */
    char line[32];
    int len = snprintf(line, sizeof line, "%ld\n", (long)getpid());
    errno = 0;
    if (pwrite(fd, line, (size_t)len, 0) != len || ftruncate(fd, len) != 0) {
        int e = errno ? errno : EIO;
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
        close(fd);
        return -e;
    }
    return 0;
}
