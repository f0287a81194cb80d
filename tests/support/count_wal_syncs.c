/* count_wal_syncs.c - an LD_PRELOAD library for test_sync_default: every
 * fsync or fdatasync of a file whose name ends in "-wal" appends that path,
 * one line, to the file $SYNC_LOG before the real call, so a test can count
 * the log syncs a commit made before its answer. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fsync_hook.h"

static void at_fsync(char *path)
{
    const char *log = getenv("SYNC_LOG");
    size_t n = strlen(path);
    if (!log || n < 4 || strcmp(path + n - 4, "-wal") != 0)
        return;
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    path[n] = '\n';
    (void)!write(fd, path, n + 1);
    path[n] = '\0';
    close(fd);
}

int fdatasync(int fd)
{
    static int (*real_fdatasync)(int);
    if (!real_fdatasync)
        real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n > 0) {
        path[n] = '\0';
        at_fsync(path);
    }
    return real_fdatasync(fd);
}
