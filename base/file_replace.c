/* file_replace.c - see file_replace.h. */
#include "base/file_replace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error_text.h"
#include "sipc/errno.h"

int sipc__file_replace(const char *path, const void *data, size_t len, mode_t mode, uid_t uid,
                       gid_t gid, char *err, size_t errlen)
{
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path) : 1;
    const char *dir = slash ? path : ".", *name = slash ? slash + 1 : path;
    if (slash == path)
        dirlen = 1; /* "/" itself */
    char tmp[4200];
    if (!*name || snprintf(tmp, sizeof tmp, "%.*s/.%s.XXXXXX.tmp", dirlen, dir, name) >=
                      (int)sizeof tmp) {
        sipc__seterr(err, errlen, "cannot write %s: the path is too long or names no file", path);
        return SIPC_ECONFIG;
    }
    int fd = mkostemps(tmp, 4, O_CLOEXEC);
    if (fd < 0) {
        sipc__seterr(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return SIPC_ECONFIG;
    }
    int e = 0;
    if (fchmod(fd, mode) != 0 ||
        ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) != 0))
        e = errno;
    const char *p = data;
    for (size_t off = 0; !e && off < len;) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0 && errno != EINTR)
            e = errno;
        else if (w > 0)
            off += (size_t)w;
    }
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        sipc__seterr(err, errlen, "cannot write %s: %s", path, strerror(e));
        return SIPC_ECONFIG;
    }
    /* the rename itself lasts once the directory is on disk */
    char d[4200];
    snprintf(d, sizeof d, "%.*s", dirlen, dir);
    int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}
