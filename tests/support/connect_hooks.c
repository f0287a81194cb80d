/* connect_hooks.c - an LD_PRELOAD library that changes connect(2) to an
 * IPv4 address for the tests that set its variables (unset: the call is
 * the real one):
 * - $SIPC_TEST_CONNECT_DELAY_MS: the call takes that much longer, as a
 *   connect that needed SYN retransmits (or a slow resolver before it)
 *   does; the wait is in the call itself, so the dialer's loop sees the
 *   time pass before the connect completes (test_silence_from_connect).
 * - $SIPC_TEST_CONNECT_FROM: the socket is bound to that IPv4 address (any
 *   port) first, so that a client which never binds (sipcctl, tlstool)
 *   reaches a node from a host of the test's choosing, as clients on other
 *   machines do: a node's log limits count per source host (test_tlstool).
 *   A bind that fails leaves the connect as it was: the test sees the
 *   source it got in the node's log.
 * - $SIPC_TEST_CONNECT_LOCALHOST: a connect to 127.0.0.1 goes to that IPv4
 *   address instead, at the same port, so that a test of a home dialing its
 *   node on [node]'s default address dials in the test's own block, where
 *   it checked the port free, not on 127.0.0.1 other tests share
 *   (test_client_only_rule). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    static int (*real)(int, const struct sockaddr *, socklen_t);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "connect");
    if (!addr || addr->sa_family != AF_INET)
        return real(fd, addr, len);
    const char *from = getenv("SIPC_TEST_CONNECT_FROM");
    if (from && *from) {
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        if (inet_pton(AF_INET, from, &sa.sin_addr) == 1)
            (void)bind(fd, (const struct sockaddr *)&sa, sizeof sa);
    }
    const char *to = getenv("SIPC_TEST_CONNECT_LOCALHOST");
    struct sockaddr_in moved;
    if (to && *to && len >= (socklen_t)sizeof moved) {
        memcpy(&moved, addr, sizeof moved);
        if (moved.sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
            inet_pton(AF_INET, to, &moved.sin_addr) == 1) {
            addr = (const struct sockaddr *)&moved;
            len = sizeof moved;
        }
    }
    const char *ms = getenv("SIPC_TEST_CONNECT_DELAY_MS");
    if (ms) {
        long v = strtol(ms, NULL, 10);
        struct timespec ts = {v / 1000, (v % 1000) * 1000000L};
        while (v > 0 && nanosleep(&ts, &ts) != 0)
            ;
    }
    return real(fd, addr, len);
}
