/* private_dir.c - see private_dir.h. */
#include "base/private_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error_text.h"
#include "sipc/errno.h"

int sipc__dir_open(int at, const char *name, const char *shown, int *fd, char *err,
                   size_t errlen)
{
    *fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*fd >= 0)
        return 0;
    int e = errno;
    if (e == ENOENT)
        return 1;
    struct stat st;
    char to[512];
    ssize_t n;
    if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
        (n = readlinkat(at, name, to, sizeof to - 1)) >= 0) {
        to[n] = '\0';
        sipc__seterr(err, errlen, "%s is a symbolic link (to %s), which is not followed", shown,
                     to);
    } else if (e == ENOTDIR || e == ELOOP) {
        sipc__seterr(err, errlen, "%s is not a directory", shown);
    } else {
        sipc__seterr(err, errlen, "cannot open %s: %s", shown, strerror(e));
    }
    return SIPC_ECONFIG;
}

int sipc__private_dir(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen)
{
    int made = mkdir(path, 0700) == 0;
    if (!made && errno != EEXIST) {
        sipc__seterr(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return SIPC_ECONFIG;
    }
    int fd;
    int r = sipc__dir_open(AT_FDCWD, path, path, &fd, err, errlen);
    if (r == 1) {
        sipc__seterr(err, errlen, "cannot open %s: %s", path, strerror(ENOENT));
        return SIPC_ECONFIG;
    }
    if (r != 0) {
        if (err && strstr(err, "symbolic link"))
            sipc__adderr(err, errlen,
                         ": what it holds must stay in this home, private to its account; "
                         "replace the link by a directory (remove it, then move the directory "
                         "it points to in its place, or run again to make a new one)");
        else if (err && strstr(err, "not a directory"))
            sipc__adderr(err, errlen, ": move it out of the way");
        return r;
    }
    struct stat st;
    r = 0;
    if (fstat(fd, &st) != 0) {
        sipc__seterr(err, errlen, "cannot read %s: %s", path, strerror(errno));
        r = SIPC_ECONFIG;
    } else if (made && uid != (uid_t)-1 && (st.st_uid != uid || st.st_gid != gid) &&
               fchown(fd, uid, gid) != 0) {
        sipc__seterr(err, errlen, "cannot give %s to the home's owner (uid %ld): %s", path,
                     (long)uid, strerror(errno));
        r = SIPC_ECONFIG;
    } else if ((st.st_mode & 0777) != 0700 && fchmod(fd, 0700) != 0) {
        sipc__seterr(err, errlen, "cannot set mode 0700 on %s: %s", path, strerror(errno));
        r = SIPC_ECONFIG;
    }
    close(fd);
    return r;
}
