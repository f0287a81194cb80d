/* secret_file.c - see secret_file.h. */
#include "certs/secret_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error_text.h"

void sipc_secure_free(void *p, size_t len)
{
    if (!p)
        return;
    explicit_bzero(p, len);
    free(p);
}

int sipc_secret_file_read(const char *path, uint8_t **out, size_t *len, size_t max, char *err,
                          size_t errlen)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        sipc__seterr(err, errlen, "cannot read %s: %s", path, strerror(e));
        return -e;
    }
    int r = sipc_secret_fd_read(fd, path, out, len, max, err, errlen);
    close(fd);
    return r;
}

int sipc_secret_open_at(int at, const char *name, const char *shown, int follow, int *fd,
                        struct stat *st, char *err, size_t errlen)
{
    *fd = -1;
    /* O_PATH: looking opens nothing for reading */
    int pfd = openat(at, name, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
    if (pfd < 0) {
        int e = errno;
        sipc__seterr(err, errlen, "cannot read %s: %s", shown, strerror(e));
        return -e;
    }
    if (fstat(pfd, st) != 0) {
        int e = errno;
        close(pfd);
        sipc__seterr(err, errlen, "cannot read %s: %s", shown, strerror(e));
        return -e;
    }
    if (!S_ISREG(st->st_mode)) {
        close(pfd);
        if (S_ISLNK(st->st_mode)) {
            char to[512];
            ssize_t n = readlinkat(at, name, to, sizeof to - 1);
            to[n > 0 ? n : 0] = '\0';
            sipc__seterr(err, errlen, "%s is a symbolic link%s%s%s, which is not followed here",
                         shown, to[0] ? " (to " : "", to, to[0] ? ")" : "");
        } else {
            sipc__seterr(err, errlen, "%s is not a regular file (%s)", shown,
                         S_ISFIFO(st->st_mode)  ? "a FIFO"
                         : S_ISCHR(st->st_mode) ? "a character device"
                         : S_ISBLK(st->st_mode) ? "a block device"
                         : S_ISDIR(st->st_mode) ? "a directory"
                         : S_ISSOCK(st->st_mode) ? "a socket"
                                                 : "not a file");
        }
        return -EINVAL;
    }
    /* the inode looked at, reopened for reading through its descriptor:
     * whatever is renamed or linked to name meanwhile */
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", pfd);
    *fd = open(self, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    int e = errno;
    close(pfd);
    if (*fd < 0 && (e == ENOENT || e == ENOTDIR || e == EACCES)) {
        /* no /proc (a chroot, a minimal container): the name again; O_NONBLOCK
         * keeps a FIFO put there meanwhile from hanging the open, and the
         * inode comparison below refuses anything but the file looked at */
        *fd = openat(at, name, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC |
                                   (follow ? 0 : O_NOFOLLOW));
        e = errno;
    }
    if (*fd < 0) {
        sipc__seterr(err, errlen, "cannot read %s: %s", shown, strerror(e));
        return -e;
    }
    struct stat now;
    if (fstat(*fd, &now) != 0 || !S_ISREG(now.st_mode) || now.st_dev != st->st_dev ||
        now.st_ino != st->st_ino) {
        close(*fd);
        *fd = -1;
        sipc__seterr(err, errlen, "cannot read %s: it changed while it was opened", shown);
        return -EAGAIN;
    }
    *st = now;
    return 0;
}

int sipc_secret_fd_read(int fd, const char *path, uint8_t **out, size_t *len, size_t max,
                        char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    size_t cap = 8192, n = 0;
    uint8_t *b = malloc(cap + 1);
    for (;;) {
        if (!b) {
            sipc__seterr(err, errlen, "%s: out of memory", path);
            return -ENOMEM;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            sipc_secure_free(b, cap + 1);
            sipc__seterr(err, errlen, "cannot read %s: %s", path, strerror(e));
            return -e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max) {
            sipc_secure_free(b, cap + 1);
            sipc__seterr(err, errlen, "%s is larger than %zu bytes: not a certificate file", path,
                         max);
            return -EFBIG;
        }
        if (n == cap) {
            /* not realloc: it would free the old block with the text in it */
            uint8_t *nb = malloc(cap * 2 + 1);
            if (nb)
                memcpy(nb, b, n);
            sipc_secure_free(b, cap + 1);
            b = nb;
            cap *= 2;
        }
    }
    b[n] = 0;
    *out = b;
    *len = n;
    return 0;
}

int sipc_secret_regular_read(const char *path, int follow, struct stat *st, uint8_t **out,
                             size_t *len, size_t max, char *err, size_t errlen)
{
    int fd;
    *out = NULL;
    *len = 0;
    int r = sipc_secret_open_at(AT_FDCWD, path, path, follow, &fd, st, err, errlen);
    if (r != 0)
        return r;
    r = sipc_secret_fd_read(fd, path, out, len, max, err, errlen);
    close(fd);
    return r;
}
