/* port_holder.h - which process listens on a TCP address and port, as
 * `ss -ltnp` finds it: the listening socket's inode from /proc/net/tcp and
 * tcp6, then the process with a descriptor on it (/proc/PID/fd). Another
 * account's descriptors are readable only by root, and so are those of a
 * non-dumpable process of this account (sipcd): a socket of this account
 * is then given to this account's one such sipcd, if there is exactly one
 * and its home's sipc.conf has it listen on that address and port (a guess
 * still: out->inferred).
 * Linux only; for sipcd's "address already in use". */
#ifndef SIPCD_PORT_HOLDER_H
#define SIPCD_PORT_HOLDER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct port_holder {
    pid_t pid;           /* 0 when not found */
    char comm[32];       /* its /proc/PID/comm, e.g. "sipcd" */
    char exe[256];       /* its executable's path, "" when not readable */
    char home[512];      /* a sipcd's home: --home, else its $SIPC_HOME, else the
                          * default when its environment is readable; "" when
                          * not known */
    int gave_up_ms;      /* not 0: the search stopped after this long, unfinished */
    int same_account;    /* the socket belongs to this process's account */
    int inferred;        /* pid is not seen holding it: the socket is this account's,
                          * pid is its only sipcd whose descriptors are not
                          * readable, and its sipc.conf names the address and
                          * port (not proof: say it as a guess) */
} port_holder;

/* Looks for the process listening on address (numeric IPv4 or IPv6) at
 * port, or on an address a bind there conflicts with (a wildcard covering
 * it; any, when address is a wildcard). 1 and *out filled when found; 0
 * when a listening socket is there but no visible process has it (another
 * account's, or the search ran out of time: gave_up_ms); -1 when no
 * listening socket is seen. */
int port_holder_find(const char *address, int port, port_holder *out);
/* The search itself, over a tree laid out as /proc (proc_root/PID/fd/N,
 * links to "socket:[INODE]"), for the process with a descriptor on inode:
 * out->pid, or 0 with out->gave_up_ms set once clock_ms (ms, from any
 * origin) has moved on by more than the bound (200 ms) since it began. The
 * clock is read before every process and every descriptor. With
 * out->same_account set, a socket whose holder is not seen is given to this
 * account's one sipcd whose descriptors cannot be read (out->inferred; that
 * sipcd is looked for in the real /proc). */
void port_holder_walk(const char *proc_root, unsigned long inode, uint64_t (*clock_ms)(void *),
                      void *clock_arg, port_holder *out);
/* The inode of that listening socket, from tables in the format of
 * /proc/net/tcp and tcp6; 0 when none. */
unsigned long port_holder_inode(const char *tcp, const char *tcp6, const char *address, int port);

#endif
