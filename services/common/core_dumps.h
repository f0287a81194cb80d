/* core_dumps.h - keeping this process out of core files. A program that
 * holds a private key (sipcd, tlstool) calls it first thing: a core file, or
 * one kept by systemd-coredump, would hold the key, the session ticket keys,
 * the keys of live connections and any password typed. Process policy, so it
 * lives with the programs, not in the library. */
#ifndef SIPC_CLI_CORE_DUMPS_H
#define SIPC_CLI_CORE_DUMPS_H

#include <stddef.h>

/* Makes the process non-dumpable (PR_SET_DUMPABLE 0: with the kernel's
 * default fs.suid_dumpable = 0 no core is written at all, not even through a
 * core_pattern pipe, which the size limit does not stop; and no process of
 * the same user may ptrace it or read its memory), and sets the core file
 * size limit to 0, soft and hard, so that nothing it runs can raise it again
 * (where fs.suid_dumpable = 2, as systemd-coredump sets it, the core is piped
 * to systemd-coredump, which stores none under a limit of 0). 0, or -errno
 * with what failed in err. */
int sipc_cli_core_dumps_off(char *err, size_t errlen);

#endif
