/* addr.h - numeric address parsing shared by servers and channels. */
#ifndef SIPC_ADDR_H
#define SIPC_ADDR_H

#include <uv.h>

/* Fills ss from a numeric IPv4/IPv6 address ("localhost", in any case as DNS
 * names go, counts as 127.0.0.1; sipc_same_host agrees). Returns 0, or
 * UV_EINVAL when host is a name to resolve. */
int sipc__addr_numeric(const char *host, int port, struct sockaddr_storage *ss);

#endif
