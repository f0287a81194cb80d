/* rename_fail.c - an LD_PRELOAD library for test_store_install: a disk
 * that fails to rename one file into place (EIO, as a failing device or a
 * file system gone read-only does). $RENAME_FAIL is a comma-separated list
 * of SUFFIX or SUFFIX+K: a rename (rename, renameat, renameat2) whose target,
 * its directory resolved, ends in "/SUFFIX" fails with EIO, after the first
 * K such renames of the process went through (K 0 when not given). Every
 * other rename is the real one. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_RULES 8
static int seen[MAX_RULES];

/* the target's path: dirfd's, read from /proc, then the name */
static void target(int dirfd, const char *name, char *out, size_t outlen)
{
    if (name[0] == '/' || dirfd == AT_FDCWD) {
        snprintf(out, outlen, "%s", name);
        return;
    }
    char link[64], dir[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
    ssize_t n = readlink(link, dir, sizeof dir - 1);
    dir[n > 0 ? n : 0] = '\0';
    snprintf(out, outlen, "%s/%s", dir, name);
}

static int refused(int dirfd, const char *name)
{
    const char *list = getenv("RENAME_FAIL");
    if (!list || !name)
        return 0;
    char path[2 * PATH_MAX];
    target(dirfd, name, path, sizeof path);
    size_t pl = strlen(path);
    int i = 0;
    for (const char *p = list; *p && i < MAX_RULES; i++) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char rule[512];
        snprintf(rule, sizeof rule, "%.*s", (int)len, p);
        p += len + (end ? 1 : 0);
        int after = 0;
        char *plus = strchr(rule, '+');
        if (plus) {
            *plus = '\0';
            after = atoi(plus + 1);
        }
        size_t rl = strlen(rule);
        if (rl < pl && path[pl - rl - 1] == '/' && !strcmp(path + pl - rl, rule))
            return seen[i]++ >= after;
    }
    return 0;
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
    if (refused(newdirfd, newpath)) {
        errno = EIO;
        return -1;
    }
    return ((int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT, "renameat"))(
        olddirfd, oldpath, newdirfd, newpath);
}

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
              unsigned int flags)
{
    if (refused(newdirfd, newpath)) {
        errno = EIO;
        return -1;
    }
    return ((int (*)(int, const char *, int, const char *, unsigned))dlsym(RTLD_NEXT, "renameat2"))(
        olddirfd, oldpath, newdirfd, newpath, flags);
}

int rename(const char *oldpath, const char *newpath)
{
    if (refused(AT_FDCWD, newpath)) {
        errno = EIO;
        return -1;
    }
    return ((int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename"))(oldpath, newpath);
}
