/* fopen_log.c - an LD_PRELOAD library: every fopen (and fopen64) the
 * program calls appends its path, one a line, to $SIPC_TEST_FOPEN_LOG, so a
 * test can tell that a file that may hold a private key was never read
 * through stdio (whose buffer glibc frees unwiped). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void note(const char *path)
{
    const char *log = getenv("SIPC_TEST_FOPEN_LOG");
    if (!log || !*log || !path)
        return;
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    /* one write per line: lines of threads do not mix */
    char line[4200];
    size_t n = strlen(path);
    if (n > sizeof line - 2)
        n = sizeof line - 2;
    memcpy(line, path, n);
    line[n] = '\n';
    ssize_t w = write(fd, line, n + 1);
    (void)w;
    close(fd);
}

FILE *fopen(const char *path, const char *mode)
{
    static FILE *(*real)(const char *, const char *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "fopen");
    note(path);
    return real(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
    static FILE *(*real)(const char *, const char *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "fopen64");
    note(path);
    return real(path, mode);
}
