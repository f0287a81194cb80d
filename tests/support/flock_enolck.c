/* flock_enolck.c - an LD_PRELOAD library for test_home_lock: flock(2)
 * refused with ENOLCK, as on an NFS mount without a lock manager. */
#include <errno.h>
#include <sys/file.h>

int flock(int fd, int operation)
{
    (void)fd;
    (void)operation;
    errno = ENOLCK;
    return -1;
}
