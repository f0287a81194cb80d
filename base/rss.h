/* rss.h - the resident memory of this process, as the node's status (and
 * /metrics) and sipc-scale report it, and as a context judges what its
 * malloc_trim gave back. Needs only libc, so the management service,
 * written on the public headers, can use it too. */
#ifndef SIPC_BASE_RSS_H
#define SIPC_BASE_RSS_H

#include <stdint.h>

/* The resident set size of this process in bytes, from /proc/self/statm;
 * 0 when it cannot be read (no /proc). */
uint64_t sipc_rss_bytes(void);

#endif
