/* connect_delay.c - an LD_PRELOAD library for test_silence_from_connect:
 * connect(2) to an IPv4 address takes $SIPC_TEST_CONNECT_DELAY_MS longer,
 * as a connect that needed SYN retransmits (or a slow resolver before it)
 * does. The wait is in the call itself: the dialer's loop sees the time
 * pass before the connect completes. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    static int (*real)(int, const struct sockaddr *, socklen_t);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "connect");
    const char *ms = getenv("SIPC_TEST_CONNECT_DELAY_MS");
    if (ms && addr && addr->sa_family == AF_INET) {
        long v = strtol(ms, NULL, 10);
        struct timespec ts = {v / 1000, (v % 1000) * 1000000L};
        while (v > 0 && nanosleep(&ts, &ts) != 0)
            ;
    }
    return real(fd, addr, len);
}
