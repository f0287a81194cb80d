/* file_replace.c - see file_replace.h. */
#include "base/file_replace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/error_text.h"
#include "base/private_dir.h"
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
 * rename left it behind, under a name no later write reuses. One whose lock
 * a write holds is in progress, whatever its age (a stopped process, or a
 * file server whose clock is behind); where there are no locks, one older
 * than SIPC__FILE_REPLACE_STALE seconds is no write in progress
 * (sipc__file_tmp_remove decides both). A link of the pattern is removed
 * as a link, never followed. */
static void remove_stale(int dfd, const char *name)
{
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    /* the dup shares dfd's offset, left at the end by an earlier sweep of
     * the same descriptor: read from the start */
    rewinddir(d);
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (!is_own_tmp(e->d_name, name) ||
            fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode) ||
            now - st.st_mtime < SIPC__FILE_REPLACE_STALE)
            continue;
        if (S_ISREG(st.st_mode))
            (void)sipc__file_tmp_remove(dfd, e->d_name);
        else
            unlinkat(dfd, e->d_name, 0); /* a link or the like: no write of ours */
    }
    closedir(d);
}

/* Whether name in dfd is still the file was described: the same inode, and
 * its size, contents' and inode's change times as they were (an edit in
 * place moves them, a file renamed over it is another inode). */
static int same_file(int dfd, const char *name, const struct stat *was)
{
    struct stat st;
    return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == was->st_dev &&
           st.st_ino == was->st_ino && st.st_size == was->st_size &&
           st.st_mtim.tv_sec == was->st_mtim.tv_sec &&
           st.st_mtim.tv_nsec == was->st_mtim.tv_nsec && st.st_ctim.tv_sec == was->st_ctim.tv_sec &&
           st.st_ctim.tv_nsec == was->st_ctim.tv_nsec;
}

/* The temporary file goes in over name as the caller's condition allows:
 * 0, -1 (name is not what the condition wants: left alone) or an errno. */
static int put_in_place(int dfd, const char *tmp, const char *name, int cond,
                        const struct stat *was)
{
    if (cond == REPLACE_ANY)
        return renameat(dfd, tmp, dfd, name) != 0 ? errno : 0;
    if (cond == REPLACE_SAME)
        /* checked as late as can be, after the write and its sync: what
         * remains is the time between this look and the rename */
        return !same_file(dfd, name, was) ? -1 : renameat(dfd, tmp, dfd, name) != 0 ? errno : 0;
    /* REPLACE_NONE: a file that appeared meanwhile is never replaced */
    if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno == EEXIST)
        return -1;
    if (errno != EINVAL && errno != ENOSYS)
        return errno;
    /* a filesystem without it: the check, then the rename */
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return -1;
    return renameat(dfd, tmp, dfd, name) != 0 ? errno : 0;
}

int sipc__file_tmp_name(const char *entry)
{
    size_t el = strlen(entry);
    if (el < 13 || entry[0] != '.' || entry[el - 11] != '.' || strcmp(entry + el - 4, ".tmp"))
        return 0;
    for (size_t i = el - 10; i < el - 4; i++)
        if (!((entry[i] >= 'a' && entry[i] <= 'z') || (entry[i] >= 'A' && entry[i] <= 'Z') ||
              (entry[i] >= '0' && entry[i] <= '9')))
            return 0;
    return 1;
}

/* ".NAME.XXXXXX.tmp" made in dfd, created exclusively and never through a
 * link (mkstemp's promise, in a directory given by descriptor), and locked
 * (flock) for as long as it is open, so that a sweep of leftovers
 * (sipc__file_tmp_remove) tells a write in progress from one that was
 * killed: the open file, its name in tmp; -1 with errno. */
static int make_tmp(int dfd, const char *name, char *tmp, size_t tmplen)
{
    static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (int tries = 0; tries < 100; tries++) {
        unsigned char r[6];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            unsigned long x = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16) ^
                              (unsigned long)tries * 2654435761u;
            for (size_t i = 0; i < sizeof r; i++, x >>= 5)
                r[i] = (unsigned char)x;
        }
        char sfx[7];
        for (size_t i = 0; i < sizeof r; i++)
            sfx[i] = set[r[i] % (sizeof set - 1)];
        sfx[6] = '\0';
        if (snprintf(tmp, tmplen, ".%s.%s.tmp", name, sfx) >= (int)tmplen) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST)
            continue;
        if (fd < 0)
            return fd;
        /* a sweep that found the new file before the lock was taken holds
         * it or removed it: leave it to the sweep, take another name. A
         * file system without flock (ENOLCK and the like) gets no lock:
         * its sweeps go by age */
        struct stat st;
        if (flock(fd, LOCK_EX | LOCK_NB) != 0 ? errno == EWOULDBLOCK
                                              : fstat(fd, &st) != 0 || st.st_nlink == 0) {
            close(fd);
            continue;
        }
        return fd;
    }
    errno = EEXIST;
    return -1;
}

int sipc__file_tmp_remove(int dfd, const char *entry)
{
    int fd = openat(dfd, entry, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 1 : -errno;
    struct stat st, at;
    int r, lk = 0;
    if (fstat(fd, &st) != 0)
        r = -errno;
    else if (!S_ISREG(st.st_mode))
        r = -EINVAL;
    else if (flock(fd, LOCK_EX | LOCK_NB) != 0 && (lk = errno) == EWOULDBLOCK)
        r = 1; /* its write holds it: in progress */
    else if (lk && time(NULL) - st.st_mtime < SIPC__FILE_REPLACE_STALE)
        r = 1; /* no locks here (ENOLCK and the like): only the age tells a killed write */
    else if (fstatat(dfd, entry, &at, AT_SYMLINK_NOFOLLOW) != 0 || at.st_dev != st.st_dev ||
             at.st_ino != st.st_ino)
        r = 1; /* gone, or another file under the name now: not the one looked at */
    else
        r = unlinkat(dfd, entry, 0) == 0 ? 0 : errno == ENOENT ? 1 : -errno;
    close(fd);
    return r;
}

int sipc__file_not_link(int dfd, const char *name, const char *path, char *err, size_t errlen)
{
    /* a link there is someone's choice or someone's trap: neither written
     * through nor silently replaced by a file */
    if (sipc__name_not_link(dfd, name, path, NULL, err, errlen) == 0)
        return 0;
    sipc__adderr(err, errlen, ": nothing was written; remove the link (or move the file it "
                              "points to in its place) and try again");
    return SIPC_ECONFIG;
}

static int tmp_write(int dfd, const char *path, const char *name, const void *data, size_t len,
                     mode_t mode, uid_t uid, gid_t gid, sipc__file_tmp *t, char *err,
                     size_t errlen)
{
    t->fd = -1;
    t->name[0] = '\0';
    if (!*name || strchr(name, '/') || strlen(name) > sizeof t->name - 13) {
        sipc__seterr(err, errlen, "cannot write %s: the path is too long or names no file", path);
        return SIPC_ECONFIG;
    }
    if (sipc__file_not_link(dfd, name, path, err, errlen) != 0)
        return SIPC_ECONFIG;
    /* a directory (or another non-file) there would fail the rename with a
     * bare errno: say what it is and what to do */
    struct stat at;
    if (fstatat(dfd, name, &at, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(at.st_mode)) {
        sipc__seterr(err, errlen,
                     "%s is not a regular file (%s): nothing was written; move it out of the way "
                     "and try again",
                     path, S_ISDIR(at.st_mode) ? "a directory" : "not a file");
        return SIPC_ECONFIG;
    }
    remove_stale(dfd, name);
    int fd = make_tmp(dfd, name, t->name, sizeof t->name);
    if (fd < 0) {
        t->name[0] = '\0'; /* no file of ours under it */
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
    /* the lock goes with the last descriptor of the open file: a copy
     * keeps it until the file is in place, while the close that writes
     * out (NFS) is still heard */
    t->fd = e ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0); /* dup() would drop close-on-exec */
    if (!e && t->fd < 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (e) {
        sipc__file_tmp_drop(dfd, t);
        sipc__seterr(err, errlen, "cannot write %s: %s", path, strerror(e));
        return SIPC_ECONFIG;
    }
    return 0;
}

int sipc__file_tmp_write_at(int dfd, const char *path, const char *name, const void *data,
                            size_t len, mode_t mode, uid_t uid, gid_t gid, sipc__file_tmp *t,
                            char *err, size_t errlen)
{
    return tmp_write(dfd, path, name, data, len, mode, uid, gid, t, err, errlen);
}

int sipc__file_tmp_put(int dfd, sipc__file_tmp *t, const char *path, const char *name, char *err,
                       size_t errlen)
{
    int r = 0;
    if (renameat(dfd, t->name, dfd, name) != 0) {
        sipc__seterr(err, errlen, "cannot replace %s: %s", path, strerror(errno));
        unlinkat(dfd, t->name, 0);
        r = SIPC_ECONFIG;
    }
    t->name[0] = '\0';
    sipc__file_tmp_drop(dfd, t);
    return r;
}

void sipc__file_tmp_drop(int dfd, sipc__file_tmp *t)
{
    /* removed while still locked: no sweep takes it for a killed write's */
    if (t->name[0])
        unlinkat(dfd, t->name, 0);
    t->name[0] = '\0';
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

static int replace_at(int dfd, const char *path, const char *name, const void *data, size_t len,
                      mode_t mode, uid_t uid, gid_t gid, int cond, const struct stat *was,
                      char *err, size_t errlen)
{
    sipc__file_tmp t;
    if (tmp_write(dfd, path, name, data, len, mode, uid, gid, &t, err, errlen) != 0)
        return SIPC_ECONFIG;
    int e = put_in_place(dfd, t.name, name, cond, was);
    if (e == 0)
        t.name[0] = '\0'; /* in place: nothing to remove */
    sipc__file_tmp_drop(dfd, &t);
    if (e == -1) {
        sipc__seterr(err, errlen,
                     "%s changed while it was being replaced (someone else wrote it meanwhile): "
                     "it was left as it is",
                     path);
        return 1;
    }
    if (e) {
        sipc__seterr(err, errlen, "cannot write %s: %s", path, strerror(e));
        return SIPC_ECONFIG;
    }
    return sipc__dir_sync(dfd, path, "replaced", err, errlen);
}

int sipc__dir_sync(int dfd, const char *path, const char *done, char *err, size_t errlen)
{
    /* a rename or removal lasts once the directory is on disk; a filesystem
     * that cannot sync a directory (EINVAL) gives nothing better to do */
    if (fsync(dfd) == 0 || errno == EINVAL || errno == EROFS)
        return 0;
    sipc__seterr(err, errlen,
                 "%s was %s, but its directory could not be synced (%s): the change may be lost "
                 "if the machine stops now",
                 path, done, strerror(errno));
    return SIPC_ECONFIG;
}

int sipc__open_dir_of(const char *path, char *dir, size_t dirlen, const char **name, char *err,
                      size_t errlen)
{
    const char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    if (snprintf(dir, dirlen, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".") >=
        (int)dirlen) {
        sipc__seterr(err, errlen, "cannot write %s: the path is too long", path);
        return SIPC_ECONFIG;
    }
    if (slash == path)
        snprintf(dir, dirlen, "/");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        sipc__seterr(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return SIPC_ECONFIG;
    }
    return dfd;
}

/* replace_at in path's directory, opened by its name */
static int replace(const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
                   gid_t gid, int cond, const struct stat *was, char *err, size_t errlen)
{
    char d[4200];
    const char *name;
    int dfd = sipc__open_dir_of(path, d, sizeof d, &name, err, errlen);
    if (dfd < 0)
        return dfd;
    int r = replace_at(dfd, path, name, data, len, mode, uid, gid, cond, was, err, errlen);
    close(dfd);
    return r;
}

int sipc__file_replace_at(int dfd, const char *path, const char *name, const void *data,
                          size_t len, mode_t mode, uid_t uid, gid_t gid, char *err, size_t errlen)
{
    return replace_at(dfd, path, name, data, len, mode, uid, gid, REPLACE_ANY, NULL, err, errlen);
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
    /* as late as can be; what remains is the time between the look and
     * the unlink */
    if (!same_file(AT_FDCWD, path, was)) {
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
