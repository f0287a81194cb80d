/* std_fds.c - see std_fds.h. */
#include "std_fds.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

void sipc_cli_std_fds_open(void)
{
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            int n = open("/dev/null", O_RDWR); /* the lowest free number: fd */
            if (n > fd)
                close(n);
        }
}
