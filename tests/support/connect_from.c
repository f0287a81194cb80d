/* connect_from.c - an LD_PRELOAD library: a connect(2) to an IPv4 address
 * first binds the socket to $SIPC_TEST_CONNECT_FROM (an IPv4 address, any
 * port), so that a client which never binds (sipcctl, tlstool) reaches a
 * node from a host of the test's choosing, as clients on other machines
 * do: a node's log limits count per source host. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    static int (*real)(int, const struct sockaddr *, socklen_t);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "connect");
    const char *from = getenv("SIPC_TEST_CONNECT_FROM");
    if (from && *from && addr && addr->sa_family == AF_INET) {
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        /* a bind that fails leaves the connect as it was: the test sees
         * the source it got in the node's log */
        if (inet_pton(AF_INET, from, &sa.sin_addr) == 1)
            (void)bind(fd, (const struct sockaddr *)&sa, sizeof sa);
    }
    return real(fd, addr, len);
}
