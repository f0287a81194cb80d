/* core_dumps.c - see core_dumps.h. */
#include "services/common/core_dumps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

int sipc_cli_core_dumps_off(char *err, size_t errlen)
{
    /* the limit alone is not enough: a core_pattern that pipes to a program
     * (systemd-coredump, apport) is given the core whatever the limit says */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        int e = errno;
        snprintf(err, errlen, "cannot make the process non-dumpable: %s", strerror(e));
        return -e;
    }
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_CORE, &none) != 0) {
        int e = errno;
        snprintf(err, errlen, "cannot set the core file size limit to 0: %s", strerror(e));
        return -e;
    }
    return 0;
}
