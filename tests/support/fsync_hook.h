/* fsync_hook.h - what the tests' fsync interposers (LD_PRELOAD libraries
 * that act between a program's write of a file and its rename) share: the
 * fsync below calls at_fsync(path), which the library including this
 * defines, with the path the synced descriptor is open on, then the real
 * fsync. Included by one file per library. */
#ifndef SIPC_TEST_FSYNC_HOOK_H
#define SIPC_TEST_FSYNC_HOOK_H

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

static void at_fsync(char *path);

int fsync(int fd)
{
    static int (*real_fsync)(int);
    if (!real_fsync)
        real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n > 0) {
        path[n] = '\0';
        at_fsync(path);
    }
    return real_fsync(fd);
}

#endif
