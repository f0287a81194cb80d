/* file_replace.c - see file_replace.h. */
#include "base/file_replace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/error_text.h"
#include "sipc/errno.h"

enum { REPLACE_ANY, REPLACE_SAME, REPLACE_NONE };

/* ".NAME.XXXXXX.tmp": one of this file's temporary names. */
static int is_own_tmp(const char *entry, const char *name)
{
    size_t nl = strlen(name), el = strlen(entry);
    return el == nl + 12 && entry[0] == '.' && !strncmp(entry + 1, name, nl) &&
           entry[nl + 1] == '.' && !strcmp(entry + nl + 8, ".tmp");
}

/* Best effort: a write killed between creating its temporary file and the
 * rename left it behind, under a name no later write reuses; one older than
 * SIPC__FILE_REPLACE_STALE seconds is no write in progress. unlink never
 * follows a link, so nothing but that name goes. */
static void remove_stale(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    int dfd = dirfd(d);
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (!is_own_tmp(e->d_name, name) ||
            fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode) ||
            now - st.st_mtime < SIPC__FILE_REPLACE_STALE)
            continue;
        unlinkat(dfd, e->d_name, 0);
    }
    closedir(d);
}

/* Whether path is still the file was described: the same inode, and its
 * size, contents' and inode's change times as they were (an edit in place
 * moves them, a file renamed over it is another inode). */
static int same_file(const char *path, const struct stat *was)
{
    struct stat st;
    return lstat(path, &st) == 0 && st.st_dev == was->st_dev && st.st_ino == was->st_ino &&
           st.st_size == was->st_size && st.st_mtim.tv_sec == was->st_mtim.tv_sec &&
           st.st_mtim.tv_nsec == was->st_mtim.tv_nsec && st.st_ctim.tv_sec == was->st_ctim.tv_sec &&
           st.st_ctim.tv_nsec == was->st_ctim.tv_nsec;
}

/* The temporary file goes in over path as the caller's condition allows:
 * 0, -1 (path is not what the condition wants: left alone) or an errno. */
static int put_in_place(const char *tmp, const char *path, int cond, const struct stat *was)
{
    if (cond == REPLACE_ANY)
        return rename(tmp, path) != 0 ? errno : 0;
    if (cond == REPLACE_SAME)
        /* checked as late as can be, after the write and its sync: what
         * remains is the time between this lstat and the rename */
        return !same_file(path, was) ? -1 : rename(tmp, path) != 0 ? errno : 0;
    /* REPLACE_NONE: a file that appeared meanwhile is never replaced */
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno == EEXIST)
        return -1;
    if (errno != EINVAL && errno != ENOSYS)
        return errno;
    /* a filesystem without it: the check, then the rename */
    struct stat st;
    if (lstat(path, &st) == 0)
        return -1;
    return rename(tmp, path) != 0 ? errno : 0;
}

static int replace(const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
                   gid_t gid, int cond, const struct stat *was, char *err, size_t errlen)
{
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) : 1;
    const char *dir = slash ? path : ".", *name = slash ? slash + 1 : path;
    if (slash == path)
        dirlen = 1; /* "/" itself */
    char tmp[4200], d[4200];
    if (!*name || snprintf(tmp, sizeof tmp, "%.*s/.%s.XXXXXX.tmp", dirlen, dir, name) >=
                      (int)sizeof tmp) {
        sipc__seterr(err, errlen, "cannot write %s: the path is too long or names no file", path);
        return SIPC_ECONFIG;
    }
    snprintf(d, sizeof d, "%.*s", dirlen, dir);
    remove_stale(d, name);
    int fd = mkostemps(tmp, 4, O_CLOEXEC);
    if (fd < 0) {
        sipc__seterr(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return SIPC_ECONFIG;
    }
    int e = 0;
    const char *p = data;
    for (size_t off = 0; !e && off < len;) {
        ssize_t w = write(fd, p + off, len - off);
        if (w > 0)
            off += (size_t)w;
        else if (w == 0)
            e = EIO; /* no progress: never loop on it */
        else if (errno != EINTR)
            e = errno;
    }
    /* mode and owner once the data is in: the owner never holds a writable
     * file that is still being filled */
    if (!e && (fchmod(fd, mode) != 0 ||
               ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) != 0)))
        e = errno;
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e)
        e = put_in_place(tmp, path, cond, was);
    if (e == -1) {
        unlink(tmp);
        sipc__seterr(err, errlen,
                     "%s changed while it was being replaced (someone else wrote it meanwhile): "
                     "it was left as it is",
                     path);
        return 1;
    }
    if (e) {
        unlink(tmp);
        sipc__seterr(err, errlen, "cannot write %s: %s", path, strerror(e));
        return SIPC_ECONFIG;
    }
    /* the rename itself lasts once the directory is on disk; a filesystem
     * that cannot sync a directory (EINVAL) gives nothing better to do */
    int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        e = errno;
    else if (fsync(dfd) != 0 && errno != EINVAL && errno != EROFS)
        e = errno;
    if (dfd >= 0)
        close(dfd);
    if (e) {
        sipc__seterr(err, errlen,
                     "%s was replaced, but its directory could not be synced (%s): the change "
                     "may be lost if the machine stops now",
                     path, strerror(e));
        return SIPC_ECONFIG;
    }
    return 0;
}

int sipc__file_replace(const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
                       gid_t gid, char *err, size_t errlen)
{
    return replace(path, data, len, mode, uid, gid, REPLACE_ANY, NULL, err, errlen);
}

int sipc__file_replace_if(const char *path, const struct stat *was, const void *data, size_t len,
                          mode_t mode, uid_t uid, gid_t gid, char *err, size_t errlen)
{
    return replace(path, data, len, mode, uid, gid, was ? REPLACE_SAME : REPLACE_NONE, was, err,
                   errlen);
}

int sipc__file_remove_if(const char *path, const struct stat *was, char *err, size_t errlen)
{
    /* as late as can be; what remains is the time between the lstat and
     * the unlink */
    if (!same_file(path, was)) {
        sipc__seterr(err, errlen,
                     "%s changed while it was being removed (someone else wrote it meanwhile): "
                     "it was left as it is",
                     path);
        return 1;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        sipc__seterr(err, errlen, "cannot remove %s: %s", path, strerror(errno));
        return SIPC_ECONFIG;
    }
    return 0;
}
