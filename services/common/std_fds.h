/* std_fds.h - descriptors 0, 1 and 2 open before a program opens anything.
 * Process policy, so it lives with the programs, not in the library. */
#ifndef SIPC_CLI_STD_FDS_H
#define SIPC_CLI_STD_FDS_H

/* Opens /dev/null on each of descriptors 0, 1 and 2 that is closed. Started
 * with one closed (`prog <&-`, `2>&-`, a careless service manager), the
 * next file opened would take its number: a home's lock, a log, a key file
 * being written, a connection, and a write to stdout or stderr would land
 * there. Called first thing in main. */
void sipc_cli_std_fds_open(void);

#endif
