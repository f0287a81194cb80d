/* erofs_writes.c - an LD_PRELOAD library for test_storage_erofs: a file
 * system that the kernel turns read-only under a running program, as ext4
 * does after an error (errors=remount-ro). Once the file $EROFS_FLAG exists,
 * every write, sync or truncation of a descriptor open on a file whose path
 * holds "records.db", every open of such a file for writing and every
 * access(2) asking whether it is writable, fails with EROFS; reads go on.
 * Before, every call is the real one. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static int read_only_now(void)
{
    const char *flag = getenv("EROFS_FLAG");
    struct stat st;
    return flag && stat(flag, &st) == 0;
}

static int refused_path(const char *path)
{
    return path && strstr(path, "records.db") && read_only_now();
}

static int refused_fd(int fd)
{
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return 0;
    path[n] = '\0';
    return refused_path(path);
}

#define REAL(name, type) ((type)dlsym(RTLD_NEXT, name))
#define REFUSE(cond)                                                                           \
    if (cond) {                                                                                \
        errno = EROFS;                                                                         \
        return -1;                                                                             \
    }

ssize_t write(int fd, const void *b, size_t n)
{
    REFUSE(refused_fd(fd));
    return REAL("write", ssize_t (*)(int, const void *, size_t))(fd, b, n);
}
ssize_t pwrite(int fd, const void *b, size_t n, off_t off)
{
    REFUSE(refused_fd(fd));
    return REAL("pwrite", ssize_t (*)(int, const void *, size_t, off_t))(fd, b, n, off);
}
ssize_t pwrite64(int fd, const void *b, size_t n, off64_t off)
{
    REFUSE(refused_fd(fd));
    return REAL("pwrite64", ssize_t (*)(int, const void *, size_t, off64_t))(fd, b, n, off);
}
int fsync(int fd)
{
    REFUSE(refused_fd(fd));
    return REAL("fsync", int (*)(int))(fd);
}
int fdatasync(int fd)
{
    REFUSE(refused_fd(fd));
    return REAL("fdatasync", int (*)(int))(fd);
}
int ftruncate(int fd, off_t len)
{
    REFUSE(refused_fd(fd));
    return REAL("ftruncate", int (*)(int, off_t))(fd, len);
}
int ftruncate64(int fd, off64_t len)
{
    REFUSE(refused_fd(fd));
    return REAL("ftruncate64", int (*)(int, off64_t))(fd, len);
}

static mode_t mode_of(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}
int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = mode_of(flags, ap);
    va_end(ap);
    REFUSE((flags & O_ACCMODE) != O_RDONLY && refused_path(path));
    return REAL("open", int (*)(const char *, int, ...))(path, flags, m);
}
int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = mode_of(flags, ap);
    va_end(ap);
    REFUSE((flags & O_ACCMODE) != O_RDONLY && refused_path(path));
    return REAL("open64", int (*)(const char *, int, ...))(path, flags, m);
}

int access(const char *path, int mode)
{
    REFUSE((mode & W_OK) && refused_path(path));
    return REAL("access", int (*)(const char *, int))(path, mode);
}
