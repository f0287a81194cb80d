/* raw_peer.c - see raw_peer.h. */
#include <stdlib.h>
#include <sys/socket.h>

#include "raw_peer.h"

void tu_send_env(int fd, const sipc_env_out *e)
{
    sipc_buf b = {0};
    if (sipc_env_encode(&b, e, 16u << 20) == 0) {
        for (size_t at = 0; at < b.len;) {
            ssize_t n = send(fd, b.data + at, b.len - at, MSG_NOSIGNAL);
            if (n <= 0)
                break;
            at += (size_t)n;
        }
    }
    sipc_buf_free(&b);
}

/* n bytes, or 0 when the socket ends or fails first */
static int recv_all(int fd, uint8_t *p, size_t n)
{
    for (size_t have = 0; have < n;) {
        ssize_t r = recv(fd, p + have, n - have, 0);
        if (r <= 0)
            return 0;
        have += (size_t)r;
    }
    return 1;
}

Sipc__Envelope *tu_recv_env(int fd)
{
    uint8_t hdr[4];
    if (!recv_all(fd, hdr, 4))
        return NULL;
    size_t len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
    if (len > (1u << 20))
        return NULL;
    uint8_t *body = malloc(len ? len : 1);
    Sipc__Envelope *env =
        body && recv_all(fd, body, len) ? sipc__envelope__unpack(NULL, len, body) : NULL;
    free(body);
    return env;
}
