/* count_wal_syncs.c - an LD_PRELOAD library for test_sync_default: every
 * fsync or fdatasync of a file whose name ends in "-wal" appends that path,
 * one line, to the file $SYNC_LOG before the real call, so a test can count
 * the log syncs a commit made before its answer. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#define FSYNC_HOOK_FDATASYNC
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
