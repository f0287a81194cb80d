/* rss.c - the resident memory of this process (rss.h). */
#include "base/rss.h"

#include <stdio.h>
#include <unistd.h>

uint64_t sipc_rss_bytes(void)
{
    FILE *fp = fopen("/proc/self/statm", "re");
    unsigned long size = 0, resident = 0;
    if (!fp)
        return 0;
    int n = fscanf(fp, "%lu %lu", &size, &resident);
    fclose(fp);
    long page = sysconf(_SC_PAGESIZE);
    return n == 2 && page > 0 ? (uint64_t)resident * (uint64_t)page : 0;
}
