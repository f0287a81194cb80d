/* swap_at_fsync.c - an LD_PRELOAD library for test_store_links: a home's
 * owner who swaps a directory for a symbolic link while tlstool or sipcd
 * writes in it. When a file whose name starts with $SWAP_MATCH is synced
 * (or, with SWAP_AT=create, is about to be created: open, openat,
 * mkostemps) and the file $SWAP_ONCE exists, that file is removed, the
 * directory $SWAP_DIR renamed to $SWAP_DIR.real and a link to $SWAP_TO put
 * in its place: once, between the program's check of the directory and its
 * later writes there (with SWAP_AT=create, before its temporary file is
 * made: a writer that names the file by its path creates it where the link
 * points). */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fsync_hook.h"

static void swap(const char *path)
{
    const char *match = getenv("SWAP_MATCH"), *once = getenv("SWAP_ONCE");
    const char *dir = getenv("SWAP_DIR"), *to = getenv("SWAP_TO");
    char real[PATH_MAX];
    if (!match || !once || !dir || !to)
        return;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strncmp(base, match, strlen(match)) != 0 || unlink(once) != 0)
        return;
    snprintf(real, sizeof real, "%s.real", dir);
    if (rename(dir, real) != 0 || symlink(to, dir) != 0)
        perror("swap_at_fsync");
}

static int at_create(void)
{
    const char *at = getenv("SWAP_AT");
    return at && !strcmp(at, "create");
}

static void at_fsync(char *path)
{
    if (!at_create())
        swap(path);
}

/* the mode a creating open passes, and the swap before it */
#define CREATE_MODE(flags)                                                                     \
    ({                                                                                         \
        va_list ap;                                                                            \
        va_start(ap, flags);                                                                   \
        int with = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;                      \
        mode_t m = with ? va_arg(ap, mode_t) : 0;                                              \
        va_end(ap);                                                                            \
        if ((flags & O_CREAT) && at_create())                                                  \
            swap(path);                                                                        \
        m;                                                                                     \
    })
#define REAL(name, type) ((type)dlsym(RTLD_NEXT, name))

int open(const char *path, int flags, ...)
{
    mode_t mode = CREATE_MODE(flags);
    return REAL("open", int (*)(const char *, int, ...))(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    mode_t mode = CREATE_MODE(flags);
    return REAL("open64", int (*)(const char *, int, ...))(path, flags, mode);
}

int openat(int dfd, const char *path, int flags, ...)
{
    mode_t mode = CREATE_MODE(flags);
    return REAL("openat", int (*)(int, const char *, int, ...))(dfd, path, flags, mode);
}

int openat64(int dfd, const char *path, int flags, ...)
{
    mode_t mode = CREATE_MODE(flags);
    return REAL("openat64", int (*)(int, const char *, int, ...))(dfd, path, flags, mode);
}

int mkostemps(char *tmpl, int suffixlen, int flags)
{
    if (at_create())
        swap(tmpl);
    return REAL("mkostemps", int (*)(char *, int, int))(tmpl, suffixlen, flags);
}
