/* config_nodes.c - the nodes and service ports of a loaded sipc.conf:
 * host[:port] read, a node's host and each service's port (nodes sharing a
 * host run theirs at offsets), which entry is this node, the source
 * address a node dials from, and the metrics endpoint kept off the
 * services' ports. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"
#include "ipc/addr.h"
#include "sipc/node.h"

int sipc_parse_address(const char *s, int default_port, char *host, size_t hostlen, int *port)
{
    if (!s || !*s || !host || !hostlen || !port)
        return SIPC_EINVAL;
    const char *colon = NULL;
    size_t hl;
    const char *h = s;
    if (s[0] == '[') {
        const char *e = strchr(s, ']');
        if (!e || e == s + 1 || (e[1] != '\0' && e[1] != ':'))
            return SIPC_EINVAL;
        h = s + 1;
        hl = (size_t)(e - h);
        colon = e[1] == ':' ? e + 1 : NULL;
    } else {
        colon = strrchr(s, ':');
        if (colon && strchr(s, ':') != colon)
            colon = NULL; /* a bare IPv6 address: no port */
        hl = colon ? (size_t)(colon - s) : strlen(s);
    }
    if (hl == 0 || hl >= hostlen)
        return SIPC_EINVAL;
    int p = default_port;
    if (colon) {
        char *end;
        long v = strtol(colon + 1, &end, 10);
        if (colon[1] == '\0' || *end || v < 1 || v > 65535)
            return SIPC_EINVAL;
        p = (int)v;
    }
    if (p < 1 || p > 65535)
        return SIPC_EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = p;
    return 0;
}

int sipc_config_node(const sipc_config *cfg, int i, char *host, size_t hostlen, int *port)
{
    if (!cfg || i < 0 || i >= cfg->nnodes)
        return SIPC_EINVAL;
    return sipc_parse_address(cfg->nodes[i], sipc_config_port(cfg, "data"), host, hostlen, port);
}

int sipc_same_host(const char *a, const char *b)
{
    return sipc__addr_same_host(a, b);
}

int sipc_address_is_wildcard(const char *address)
{
    unsigned char a[16];
    static const unsigned char any[16];
    if (!address)
        return 0;
    int af = sipc__addr_parse(address, a);
    return af && !memcmp(a, any, af == AF_INET ? 4 : 16);
}

const char *sipc_config_source_address(const sipc_config *cfg)
{
    unsigned char a[16];
    if (!cfg)
        return NULL;
    if (!strcasecmp(cfg->address, "localhost"))
        return cfg->address;
    return sipc__addr_parse(cfg->address, a) && !sipc_address_is_wildcard(cfg->address) ? cfg->address
                                                                                      : NULL;
}

int sipc_config_node_service(const sipc_config *cfg, int i, const char *service, char *host,
                             size_t hostlen, int *port)
{
    int data;
    int r = sipc_config_node(cfg, i, host, hostlen, &data);
    if (r != 0)
        return r;
    int own_data = sipc_config_port(cfg, "data"), own = sipc_config_port(cfg, service);
    *port = own;
    /* nodes on hosts of their own run the same ports; only nodes sharing a
     * host cannot, and run theirs at the offsets of their data port */
    int shared = 0;
    for (int j = 0; j < cfg->nnodes && !shared; j++) {
        char other[160];
        int p;
        shared = j != i && sipc_config_node(cfg, j, other, sizeof other, &p) == 0 &&
                 sipc_same_host(other, host);
    }
    long p = (long)data - own_data + own;
    if (shared && own_data > 0 && own > 0 && p >= 1 && p <= 65535)
        *port = (int)p;
    return 0;
}

/* 1 if the address a (of family af, as sipc__addr_host gives it) is one of
 * this machine's: on loopback, or held by one of its interfaces. */
static int address_is_local(int af, const unsigned char *a)
{
    size_t len = af == AF_INET ? 4 : 16;
    if (af == AF_INET ? a[0] == 127 : !memcmp(a, &in6addr_loopback, len))
        return 1;
    struct ifaddrs *ifs;
    if (getifaddrs(&ifs) != 0)
        return 0;
    int found = 0;
    for (struct ifaddrs *i = ifs; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != af)
            continue;
        const void *x = af == AF_INET
                            ? (const void *)&((const struct sockaddr_in *)i->ifa_addr)->sin_addr
                            : (const void *)&((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
        found = !memcmp(x, a, len);
    }
    freeifaddrs(ifs);
    return found;
}

int sipc_config_node_is_self(const sipc_config *cfg, int i)
{
    char host[160];
    int port;
    return sipc_config_node(cfg, i, host, sizeof host, &port) == 0 &&
           port == sipc_config_port(cfg, "data") && sipc__config_host_is_self(cfg, host);
}

int sipc__config_host_is_self(const sipc_config *cfg, const char *host)
{
    if (!sipc_address_is_wildcard(cfg->address))
        return sipc_same_host(host, cfg->address);
    unsigned char own[16], a[16];
    int af = sipc__addr_host(host, a), own_af = sipc__addr_host(cfg->address, own);
    /* a wildcard listener takes every address of this machine (:: IPv4's
     * too, as libuv binds it dual-stack): the entry names this node when its
     * host is one of them; names other than localhost are not resolved */
    return af && (own_af == AF_INET6 || af == AF_INET) && address_is_local(af, a);
}

int sipc_config_port(const sipc_config *cfg, const char *service)
{
    if (!cfg || !service)
        return 0;
    for (int i = 0; i < cfg->nservices; i++)
        if (strcmp(cfg->services[i].name, service) == 0)
            return cfg->services[i].port;
    return sipc__config_default_port(service);
}

/* "host:port" as an address is written ("[v6]:port"), for messages. */
static void host_port(const char *host, int port, char *out, size_t len)
{
    snprintf(out, len, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
}

int sipc__config_nodes_check(const sipc_config *cfg, const char *path, char *err, size_t errlen)
{
    char host[SIPC_MAX_NODES][160];
    int port[SIPC_MAX_NODES];
    for (int i = 0; i < cfg->nnodes; i++) {
        if (sipc_config_node(cfg, i, host[i], sizeof host[i], &port[i]) != 0) {
            snprintf(err, errlen,
                     "%s:%d: [cluster] nodes: '%s' is not host[:port] (IPv6 as [addr]:port)",
                     path, cfg->node_lines[i], cfg->nodes[i]);
            return SIPC_ECONFIG;
        }
        /* one node twice would be two links, two destinations of the
         * pipeline and two answers in every cluster view */
        for (int j = 0; j < i; j++) {
            if (port[j] != port[i] || !sipc_same_host(host[j], host[i]))
                continue;
            char hp[200];
            host_port(host[j], port[j], hp, sizeof hp);
            snprintf(err, errlen,
                     "%s:%d: [cluster] nodes lists %s twice: '%s' here and '%s' on line %d "
                     "(an entry without a port names the data port, %d); remove one",
                     path, cfg->node_lines[i], hp, cfg->nodes[i], cfg->nodes[j],
                     cfg->node_lines[j], sipc_config_port(cfg, "data"));
            return SIPC_ECONFIG;
        }
    }
    return 0;
}

int sipc__config_port_line(const sipc_config *cfg, const char *service)
{
    for (int i = 0; i < cfg->nservices; i++)
        if (!strcmp(cfg->services[i].name, service))
            return cfg->service_lines[i];
    return 0;
}

int sipc__config_ports_check(const sipc_config *cfg, const char *path, char *err, size_t errlen)
{
    /* the node's own services all listen on [node] address: two on one
     * port would fail at start, blamed on whatever holds it */
    const char *a, *b;
    for (int i = 0; (a = sipc__config_builtin_service(i)); i++) {
        for (int j = 0; j < i && (b = sipc__config_builtin_service(j)); j++) {
            int p = sipc_config_port(cfg, a);
            if (!p || p != sipc_config_port(cfg, b))
                continue;
            int li = sipc__config_port_line(cfg, a), lj = sipc__config_port_line(cfg, b);
            const char *at = li > lj ? a : b, *other = li > lj ? b : a;
            int line = li > lj ? li : lj, other_line = li > lj ? lj : li;
            char where[48] = " (its default)";
            if (other_line)
                snprintf(where, sizeof where, " (line %d)", other_line);
            snprintf(err, errlen,
                     "%s:%d: [%s] port %d is also the %s service's port%s: each service of a "
                     "node needs a port of its own",
                     path, line, at, p, other, where);
            return SIPC_ECONFIG;
        }
    }
    return 0;
}

/* 1 if a listener of the node on address and the metrics endpoint on host
 * cannot both take one port: the same address, or a wildcard taking the
 * other's (the node's :: is dual-stack, the endpoint's :: IPv6 only). */
static int listeners_overlap(const char *address, const char *host)
{
    unsigned char a[16], b[16];
    int af = sipc__addr_host(address, a), bf = sipc__addr_host(host, b);
    if (!af || !bf)
        return sipc_same_host(address, host);
    int aw = sipc_address_is_wildcard(address), bw = sipc_address_is_wildcard(host);
    if (aw && af == AF_INET6)
        return 1;
    return af == bf && (aw || bw || !memcmp(a, b, af == AF_INET ? 4 : 16));
}

int sipc__config_metrics_check(const sipc_config *cfg, const char *path, int line, char *err,
                               size_t errlen)
{
    char host[160];
    int port;
    if (!cfg->metrics_address[0] ||
        sipc_parse_address(cfg->metrics_address, 0, host, sizeof host, &port) != 0 ||
        !listeners_overlap(cfg->address, host))
        return 0;
    const char *s;
    for (int i = 0; (s = sipc__config_builtin_service(i)); i++) {
        if (sipc_config_port(cfg, s) != port)
            continue;
        int at = sipc__config_port_line(cfg, s);
        char where[48] = "its default";
        if (at)
            snprintf(where, sizeof where, "line %d", at);
        /* sipcd would start the service, then fail on the endpoint's bind */
        snprintf(err, errlen,
                 "%s:%d: [metrics] address %s is on the %s service's port (%d, %s) at this "
                 "node's address (%s): each service of a node and its metrics endpoint need a "
                 "port of their own",
                 path, line, cfg->metrics_address, s, port, where, cfg->address);
        return SIPC_ECONFIG;
    }
    return 0;
}
