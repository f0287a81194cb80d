/* port_holder.h - which process listens on a TCP address and port, as
 * `ss -ltnp` finds it: the listening socket's inode from /proc/net/tcp and
 * tcp6, then the process with a descriptor on it (/proc/PID/fd). Another
 * account's descriptors are readable only by root: then the socket is found
 * but not its process. Linux only; for sipcd's "address already in use". */
#ifndef SIPCD_PORT_HOLDER_H
#define SIPCD_PORT_HOLDER_H

#include <stddef.h>
#include <sys/types.h>

typedef struct port_holder {
    pid_t pid;           /* 0 when not found */
    char comm[32];       /* its /proc/PID/comm, e.g. "sipcd" */
    char exe[256];       /* its executable's path, "" when not readable */
    char home[512];      /* a sipcd's --home argument, "" when none given */
} port_holder;

/* Looks for the process listening on address (numeric IPv4 or IPv6, or a
 * wildcard listener covering it) at port. 1 and *out filled when found; 0
 * when a listening socket is there but no visible process has it (another
 * account's); -1 when no listening socket is seen. */
int port_holder_find(const char *address, int port, port_holder *out);

#endif
