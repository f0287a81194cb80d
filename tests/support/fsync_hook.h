/* fsync_hook.h - what the tests' fsync interposers (LD_PRELOAD libraries
 * that act between a program's write of a file and its rename) share: the
 * fsync below calls at_fsync(path), which the library including this
 * defines, with the path the synced descriptor is open on, then the real
 * fsync (and fdatasync the same, where FSYNC_HOOK_FDATASYNC is defined
 * before the include). Included by one file per library. */
#ifndef SIPC_TEST_FSYNC_HOOK_H
#define SIPC_TEST_FSYNC_HOOK_H

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

static void at_fsync(char *path);

/* at_fsync with the path fd is open on, then the real call */
static int hooked_sync(int fd, const char *name)
{
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n > 0) {
        path[n] = '\0';
        at_fsync(path);
    }
    return ((int (*)(int))dlsym(RTLD_NEXT, name))(fd);
}

int fsync(int fd)
{
    return hooked_sync(fd, "fsync");
}

#ifdef FSYNC_HOOK_FDATASYNC
int fdatasync(int fd)
{
    return hooked_sync(fd, "fdatasync");
}
#endif

#endif
