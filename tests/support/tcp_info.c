/* tcp_info.c - what the kernel counted on a test's TCP socket. Apart from
 * testutil.c: <linux/tcp.h>, which has the counters, clashes with the libc's
 * <netinet/tcp.h> that testutil.h brings in through uv.h, so the prototype
 * is repeated here. */
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

int tu_tcp_data_segs_in(int fd, uint32_t *n);

int tu_tcp_data_segs_in(int fd, uint32_t *n)
{
    struct tcp_info ti = {0};
    socklen_t len = sizeof ti;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return -1;
    /* an older kernel fills a shorter struct, without the counter */
    if (len < offsetof(struct tcp_info, tcpi_data_segs_in) + sizeof ti.tcpi_data_segs_in)
        return -1;
    *n = ti.tcpi_data_segs_in;
    return 0;
}
