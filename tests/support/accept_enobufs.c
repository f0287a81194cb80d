/* accept_enobufs.c - an LD_PRELOAD library for test_accept_fail: the first
 * $SIPC_TEST_ACCEPT_ENOBUFS accept4(2) or accept(2) calls on a listening
 * socket fail with ENOBUFS, as under socket-buffer memory pressure, and
 * take nothing from its queue; later ones pass. Each failure takes
 * $SIPC_TEST_ACCEPT_ENOBUFS_MS (none unset), so that a failure can last.
 * Those made before $SIPC_TEST_ACCEPT_ENOBUFS_UNTIL (ms of CLOCK_MONOTONIC,
 * uv_hrtime's clock) fail too, however many: a failure that lasts a given
 * time and then ends by itself. sipc_test_accept_failed() says how many
 * failed. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

static long failed;

long sipc_test_accept_failed(void);
long sipc_test_accept_failed(void)
{
    return failed;
}

/* 1 while $SIPC_TEST_ACCEPT_ENOBUFS_UNTIL is ahead */
static int in_failing_time(void)
{
    const char *until = getenv("SIPC_TEST_ACCEPT_ENOBUFS_UNTIL");
    struct timespec now;
    if (!until || clock_gettime(CLOCK_MONOTONIC, &now) != 0)
        return 0;
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 < strtoll(until, NULL, 10);
}

/* 1 if this accept on fd is to fail */
static int fail_now(int fd)
{
    const char *n = getenv("SIPC_TEST_ACCEPT_ENOBUFS");
    int listening = 0;
    socklen_t len = sizeof listening;
    if (!((n && failed < strtol(n, NULL, 10)) || in_failing_time()) ||
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening)
        return 0;
    failed++;
    const char *ms = getenv("SIPC_TEST_ACCEPT_ENOBUFS_MS");
    long v = ms ? strtol(ms, NULL, 10) : 0;
    struct timespec ts = {v / 1000, (v % 1000) * 1000000L};
    while (v > 0 && nanosleep(&ts, &ts) != 0)
        ;
    errno = ENOBUFS;
    return 1;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    static int (*real)(int, struct sockaddr *, socklen_t *, int);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "accept4");
    return fail_now(fd) ? -1 : real(fd, addr, len, flags);
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    static int (*real)(int, struct sockaddr *, socklen_t *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "accept");
    return fail_now(fd) ? -1 : real(fd, addr, len);
}
