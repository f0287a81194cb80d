/* secret_file.h - reading a file that may hold key material into memory, and
 * freeing such memory, so that no copy of it is left behind in freed heap:
 * no stdio buffer (glibc frees fopen's unwiped in fclose) and no realloc
 * (which frees the old block unwiped when it moves it). */
#ifndef SIPC_CERTS_SECRET_FILE_H
#define SIPC_CERTS_SECRET_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* The whole file (at most max bytes) into a malloc'd, NUL-terminated *out of
 * *len bytes, read with read(2); every intermediate buffer is wiped before it
 * is freed, on every path. Free *out with sipc_secure_free(*out, *len) when
 * the file may hold a secret (a key, a PKCS#12 file).
 * 0, or -errno (err names the file). */
int sipc_secret_file_read(const char *path, uint8_t **out, size_t *len, size_t max, char *err,
                          size_t errlen);
/* The same from fd, already open for reading (left open); path names it in
 * err. */
int sipc_secret_fd_read(int fd, const char *path, uint8_t **out, size_t *len, size_t max,
                        char *err, size_t errlen);
/* Opens at/name (at: a directory's fd or AT_FDCWD) for reading only if it is
 * a regular file, looked at before it is opened: a FIFO (whose open or
 * read would block) or a device (whose open may act, as a watchdog's does)
 * is never opened for reading. follow: whether a symbolic link there is
 * followed (else refused). *st: what *fd reads; shown names it in err.
 * It reopens what it looked at through /proc/self/fd; without /proc it
 * opens the name again (non-blocking: a FIFO swapped in cannot hang it) and
 * keeps it only if it is the same regular file.
 * 0; -ENOENT (nothing there, err set); -EINVAL (not a regular file, or a
 * link not followed: err says which); -EAGAIN (it changed while it was
 * opened); or another -errno. */
int sipc_secret_open_at(int at, const char *name, const char *shown, int follow, int *fd,
                        struct stat *st, char *err, size_t errlen);
/* sipc_secret_open_at of path, then the whole file (at most max bytes)
 * read from that descriptor into *out as sipc_secret_fd_read does; *st:
 * what was read. 0 or -errno as they return. */
int sipc_secret_regular_read(const char *path, int follow, struct stat *st, uint8_t **out,
                             size_t *len, size_t max, char *err, size_t errlen);
/* Overwrites then frees a buffer that held secrets (p may be NULL). */
void sipc_secure_free(void *p, size_t len);

#endif
