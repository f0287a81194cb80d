/* addr.c - numeric addresses for listeners and dialers, and the source
 * host a peer's connections count under. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ipc/addr.h"

int sipc__addr_numeric(const char *host, int port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (!host || !*host || !strcasecmp(host, "localhost"))
        host = "127.0.0.1";
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0)
        return 0;
    const char *h = host;
    char buf[64];
    size_t n = strlen(host);
    if (host[0] == '[' && n > 2 && n < sizeof buf && host[n - 1] == ']') {
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = '\0';
        h = buf;
    }
    if (uv_ip6_addr(h, port, (struct sockaddr_in6 *)ss) == 0)
        return 0;
    return UV_EINVAL;
}

void sipc__peer_host(const char *addr, char *out, size_t len)
{
    const char *end = addr[0] == '[' ? strchr(addr, ']') : strrchr(addr, ':');
    size_t n = end ? (size_t)(end - addr) + (addr[0] == '[') : strlen(addr);
    if (n >= len)
        n = len - 1;
    memcpy(out, addr, n);
    out[n] = '\0';
}

int sipc__addr_parse(const char *host, unsigned char out[16])
{
    char buf[160];
    size_t n = strlen(host);
    if (host[0] == '[' && n > 2 && n - 2 < sizeof buf && host[n - 1] == ']') {
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = '\0';
        return inet_pton(AF_INET6, buf, out) == 1 ? AF_INET6 : 0;
    }
    for (int af = AF_INET; af; af = af == AF_INET ? AF_INET6 : 0)
        if (inet_pton(af, host, out) == 1)
            return af;
    return 0;
}

int sipc__addr_host(const char *host, unsigned char out[16])
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!strcasecmp(host, "localhost")) {
        memcpy(out, (const unsigned char[]){127, 0, 0, 1}, 4);
        return AF_INET;
    }
    int af = sipc__addr_parse(host, out);
    if (af == AF_INET6 && !memcmp(out, mapped, sizeof mapped)) {
        memmove(out, out + sizeof mapped, 4);
        af = AF_INET;
    }
    return af;
}

int sipc__addr_same_host(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    unsigned char x[16], y[16];
    int af = sipc__addr_host(a, x);
    if (af)
        return sipc__addr_host(b, y) == af && !memcmp(x, y, af == AF_INET ? 4 : 16);
    return strcasecmp(a, b) == 0;
}

void sipc__host_key(const char *addr, int prefix, char *out, size_t len)
{
    if (!len)
        return;
    char host[160];
    const char *colon = strrchr(addr, ':');
    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        size_t n = end ? (size_t)(end - addr - 1) : strlen(addr + 1);
        snprintf(host, sizeof host, "%.*s", (int)n, addr + 1);
    } else if (colon && strchr(addr, ':') == colon) {
        /* "ip:port"; an IPv6 address alone has more than one colon */
        snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
    } else {
        snprintf(host, sizeof host, "%s", addr);
    }
    unsigned char a[16];
    char text[INET6_ADDRSTRLEN];
    int af = sipc__addr_host(host, a);
    if (af == AF_INET6 && prefix)
        memset(a + 8, 0, 8);
    if (!af || !inet_ntop(af, a, text, sizeof text)) {
        snprintf(out, len, "%s", host);
        return;
    }
    snprintf(out, len, "%s%s", text, af == AF_INET6 && prefix ? "/64" : "");
}
