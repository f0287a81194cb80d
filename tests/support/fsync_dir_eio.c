/* fsync_dir_eio.c - an LD_PRELOAD library for test_store_links: a disk
 * that fails to sync one directory. fsync of a descriptor open on the
 * directory $FSYNC_EIO_DIR fails with EIO (nothing is synced); every other
 * fsync is the real one. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fsync(int fd)
{
    static int (*real_fsync)(int);
    if (!real_fsync)
        real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    const char *dir = getenv("FSYNC_EIO_DIR");
    struct stat st;
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (dir && n > 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        path[n] = '\0';
        if (!strcmp(path, dir)) {
            errno = EIO;
            return -1;
        }
    }
    return real_fsync(fd);
}
