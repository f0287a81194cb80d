/* addr.c - numeric addresses for listeners and dialers. */
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
