/* private_dir.c - see private_dir.h. */
#include "base/private_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error_text.h"
#include "base/shown_text.h"
#include "sipc/errno.h"

int sipc__name_not_link(int at, const char *name, const char *shown, sipc_dir_problem *why,
                        char *err, size_t errlen)
{
    struct stat st;
    char to[512];
    ssize_t n;
    if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode))
        return 0;
    n = readlinkat(at, name, to, sizeof to - 1);
    to[n > 0 ? n : 0] = '\0';
    sipc__seterr(err, errlen, "%s is a symbolic link (to %s), which is not followed", shown, to);
    if (why)
        *why = SIPC_DIR_LINK;
    return SIPC_ECONFIG;
}

int sipc__dir_open(int at, const char *name, const char *shown, int *fd, sipc_dir_problem *why,
                   char *err, size_t errlen)
{
    sipc_dir_problem ignored;
    if (!why)
        why = &ignored;
    *why = SIPC_DIR_OK;
    *fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*fd >= 0)
        return 0;
    int e = errno;
    if (e == ENOENT)
        return 1;
    if (sipc__name_not_link(at, name, shown, why, err, errlen) != 0)
        return SIPC_ECONFIG;
    if (e == ENOTDIR || e == ELOOP) {
        sipc__seterr(err, errlen, "%s is not a directory", shown);
        *why = SIPC_DIR_NOT_DIR;
    } else {
        sipc__seterr(err, errlen, "cannot open %s: %s", shown, strerror(e));
        *why = SIPC_DIR_FAILED;
    }
    return SIPC_ECONFIG;
}

void sipc__dir_advice(sipc_dir_problem why, const char *path, const char *if_link,
                      const char *owner_before, const char *owner_after, char *err,
                      size_t errlen)
{
    if (why == SIPC_DIR_LINK)
        sipc__adderr(err, errlen, ": %s", if_link);
    else if (why == SIPC_DIR_NOT_DIR)
        sipc__adderr(err, errlen, ": move it out of the way");
    else if (why == SIPC_DIR_NOT_OWNER) {
        char word[4400]; /* the path as a word to paste */
        sipc__adderr(err, errlen, ": %s (`chown -R %u %s`, as root)%s", owner_before,
                     (unsigned)geteuid(), sipc__shell_word(path, word, sizeof word), owner_after);
    }
}

/* path, which this account cannot use as its own: owned by uid, with mode */
static int not_owner(const char *path, const struct stat *st, sipc_dir_problem *why, char *err,
                     size_t errlen)
{
    sipc__seterr(err, errlen, "%s belongs to uid %u (mode %04o), not to this account (uid %u)",
                 path, (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777),
                 (unsigned)geteuid());
    *why = SIPC_DIR_NOT_OWNER;
    return SIPC_ECONFIG;
}

/* path opened as sipc__dir_open does (missing: 1), and refused (*fd
 * closed) when another account owns it */
static int open_own(const char *path, int *fd, struct stat *st, sipc_dir_problem *why, char *err,
                    size_t errlen)
{
    int r = sipc__dir_open(AT_FDCWD, path, path, fd, why, err, errlen);
    if (r != 0) {
        if (r < 0 && *why == SIPC_DIR_FAILED && lstat(path, st) == 0 &&
            st->st_uid != geteuid() && geteuid() != 0)
            /* one this account may not open: another's, left by root */
            return not_owner(path, st, why, err, errlen);
        return r;
    }
    if (fstat(*fd, st) != 0) {
        sipc__seterr(err, errlen, "cannot read %s: %s", path, strerror(errno));
        *why = SIPC_DIR_FAILED;
    } else if (st->st_uid != geteuid() && geteuid() != 0) {
        not_owner(path, st, why, err, errlen);
    } else {
        return 0;
    }
    close(*fd);
    *fd = -1;
    return SIPC_ECONFIG;
}

int sipc__private_dir_check(const char *path, sipc_dir_problem *why, char *err, size_t errlen)
{
    sipc_dir_problem ignored;
    if (!why)
        why = &ignored;
    *why = SIPC_DIR_OK;
    int fd;
    struct stat st;
    int r = open_own(path, &fd, &st, why, err, errlen);
    if (r == 0)
        close(fd);
    return r == 1 ? 0 : r;
}

int sipc__private_dir(const char *path, uid_t uid, gid_t gid, sipc_dir_problem *why, char *err,
                      size_t errlen)
{
    int fd;
    int r = sipc__private_dir_open(path, uid, gid, &fd, why, err, errlen);
    if (r == 0)
        close(fd);
    return r;
}

int sipc__private_dir_open(const char *path, uid_t uid, gid_t gid, int *dfd,
                           sipc_dir_problem *why, char *err, size_t errlen)
{
    sipc_dir_problem ignored;
    if (!why)
        why = &ignored;
    *why = SIPC_DIR_OK;
    *dfd = -1;
    int made = mkdir(path, 0700) == 0;
    if (!made && errno != EEXIST) {
        sipc__seterr(err, errlen, "cannot create %s: %s", path, strerror(errno));
        *why = SIPC_DIR_FAILED;
        return SIPC_ECONFIG;
    }
    struct stat st;
    int fd;
    int r = open_own(path, &fd, &st, why, err, errlen);
    if (r == 1) {
        sipc__seterr(err, errlen, "cannot open %s: %s", path, strerror(ENOENT));
        *why = SIPC_DIR_FAILED;
    }
    if (r != 0) /* another's: its mode is its owner's to set, not changed from here */
        return SIPC_ECONFIG;
    if (made && uid != (uid_t)-1 && (st.st_uid != uid || st.st_gid != gid) &&
        fchown(fd, uid, gid) != 0) {
        sipc__seterr(err, errlen, "cannot give %s to uid %ld: %s", path, (long)uid,
                     strerror(errno));
        *why = SIPC_DIR_FAILED;
        r = SIPC_ECONFIG;
    } else if ((st.st_mode & 0777) != 0700 && fchmod(fd, 0700) != 0) {
        sipc__seterr(err, errlen, "cannot set mode 0700 on %s: %s", path, strerror(errno));
        *why = SIPC_DIR_FAILED;
        r = SIPC_ECONFIG;
    }
    if (r == 0)
        *dfd = fd;
    else
        close(fd);
    return r;
}
