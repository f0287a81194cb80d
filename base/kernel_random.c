/* kernel_random.c - getrandom(2) in a loop: the kernel's CSPRNG for sipc and
 * for the bundled wolfSSL (see kernel_random.h). */
#include "base/kernel_random.h"

#include <errno.h>
#include <sys/random.h>
#include <sys/types.h>

int sipc_kernel_random(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        /* flags 0: the urandom source, which waits for the pool to be
         * initialised once after boot and never returns weaker bytes.
         * Large requests may come back short (signals, 32 MiB cap). */
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno > 0 ? -errno : -EIO;
        }
        if (n == 0) /* not documented; never loop on it */
            return -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int sipc_kernel_random_block(unsigned char *out, unsigned int sz)
{
    return sipc_kernel_random(out, sz) == 0 ? 0 : SIPC_KERNEL_RANDOM_WOLFSSL_FAILURE;
}
