/* tcp_acked.c - how many bytes the peer's TCP has acknowledged on a socket
 * (Linux TCP_INFO). Apart from stream.c: <linux/tcp.h>, which has the
 * counter, clashes with the libc's <netinet/tcp.h> that uv.h brings in. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#ifdef __linux__
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#endif

int sipc__tcp_acked(int fd, uint64_t *acked, uint32_t *ago_ms);
int sipc__tcp_acked_all_at(int fd, uint64_t *at);

/* 0, or a negative errno: -ENOTSUP where the kernel does not count it. */
int sipc__tcp_acked(int fd, uint64_t *acked, uint32_t *ago_ms)
{
#if defined(__linux__) && defined(TCP_INFO)
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return -errno;
    /* a kernel older than 4.1 fills a shorter struct, without it */
    if (len < offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof ti.tcpi_bytes_acked)
        return -ENOTSUP;
    *acked = ti.tcpi_bytes_acked;
    *ago_ms = ti.tcpi_last_ack_recv;
    return 0;
#else
    (void)fd, (void)acked, (void)ago_ms;
    return -ENOTSUP;
#endif
}

/* 0, or a negative errno: -ENOTSUP where the kernel does not count it. */
int sipc__tcp_acked_all_at(int fd, uint64_t *at)
{
#if defined(__linux__) && defined(SIOCOUTQ)
    uint64_t acked = 0, again;
    uint32_t ago;
    int outq = 0, r = sipc__tcp_acked(fd, &acked, &ago);
    /* the two counts from one moment: an ACK between them would add its
       bytes to neither or to both */
    for (int i = 0; r == 0 && i < 4; i++) {
        if (ioctl(fd, SIOCOUTQ, &outq) != 0)
            return -errno;
        if ((r = sipc__tcp_acked(fd, &again, &ago)) != 0 || again == acked)
            break;
        acked = again;
    }
    if (r != 0)
        return r;
    if (outq < 0)
        return -ENOTSUP;
    *at = acked + (uint64_t)outq;
    return 0;
#else
    (void)fd, (void)at;
    return -ENOTSUP;
#endif
}
