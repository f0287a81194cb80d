/* secret_file.h - reading a file that may hold key material into memory, and
 * freeing such memory, so that no copy of it is left behind in freed heap:
 * no stdio buffer (glibc frees fopen's unwiped in fclose) and no realloc
 * (which frees the old block unwiped when it moves it). */
#ifndef SIPC_CERTS_SECRET_FILE_H
#define SIPC_CERTS_SECRET_FILE_H

#include <stddef.h>
#include <stdint.h>

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
/* Overwrites then frees a buffer that held secrets (p may be NULL). */
void sipc_secure_free(void *p, size_t len);

#endif
