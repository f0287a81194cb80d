/* addr.h - numeric address parsing shared by servers and channels. */
#ifndef SIPC_ADDR_H
#define SIPC_ADDR_H

#include <uv.h>

/* Fills ss from a numeric IPv4/IPv6 address ("localhost", in any case as DNS
 * names go, counts as 127.0.0.1; sipc_same_host agrees). Returns 0, or
 * UV_EINVAL when host is a name to resolve. */
int sipc__addr_numeric(const char *host, int port, struct sockaddr_storage *ss);

/* A numeric address ("[v6]" as the listeners take it included) into out:
 * its family (AF_INET: 4 bytes, AF_INET6: 16), or 0 when host is not one. */
int sipc__addr_parse(const char *host, unsigned char out[16]);
/* host as the address a listener or a dial ends up on, in out:
 * sipc__addr_parse, with "localhost" (in any case, as DNS names go) as
 * 127.0.0.1 and an IPv4-mapped IPv6 address (::ffff:127.0.0.1) as its IPv4
 * one, which is where a connection to it goes. The family, or 0 for any
 * other name. */
int sipc__addr_host(const char *host, unsigned char out[16]);
/* 1 if a and b are one host: compared as sipc__addr_host gives them, other
 * names as text, case aside (sipc_same_host, for programs). */
int sipc__addr_same_host(const char *a, const char *b);

/* The source host a peer address ("ip:port", "[ip6]:port" or an address
 * alone) is counted under: an IPv4 address as it is, an IPv4-mapped IPv6
 * one (a listener on :: sees IPv4 peers so) as its IPv4 address, and an
 * IPv6 address as its /64 ("2001:db8:1:2::/64"): one IPv6 host normally
 * holds a whole /64 and may take a new address of it for every connection.
 * Anything else as it is without the port. With prefix 0, IPv6 addresses
 * stay whole (the address alone, unbracketed). */
void sipc__host_key(const char *addr, int prefix, char *out, size_t len);

#endif
