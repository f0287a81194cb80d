/* secret_file.c - see secret_file.h. */
#include "certs/secret_file.h"

#include <errno.h>
#include <fcntl.h>
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
