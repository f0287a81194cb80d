/* home_dir.h - the node home a command-line tool was pointed at, checked
 * before it is used: a mistyped --home or $SIPC_HOME must say so, not read
 * as an empty home (no pair, default cluster name) and fail later with a
 * cluster-name mismatch or "connection refused". */
#ifndef SIPC_CLI_HOME_DIR_H
#define SIPC_CLI_HOME_DIR_H

#include <stddef.h>

/* sipc_home_check on the home in use: explicit_home is the --home value
 * (NULL when not given), resolved as sipc_home_resolve does; given_as, the
 * option as the user typed it ("-H", "--home"; cli_given_as), names it in
 * err. 0 when it is a directory; otherwise 1 with the library's reason and
 * fix in err. A home that came from no setting (the built-in default) is
 * checked only when check_default is set. */
int sipc_cli_home_missing(const char *explicit_home, const char *given_as, int check_default,
                          char *err, size_t errlen);

/* home as an absolute path: a relative one joined to the working directory
 * in buf (len bytes), leading "./" dropped, symbolic links kept as named.
 * Texts that name the home's files travel to other machines (status
 * --cluster), where a relative path names nothing. home itself when it is
 * absolute already, or when the working directory cannot be read or the
 * joined path does not fit (the relative path still works here). */
const char *sipc_cli_home_absolute(const char *home, char *buf, size_t len);

struct sipc_config;
/* The host a program on this machine dials for the home's own node: its
 * [node] address, or loopback (::1 for an IPv6 wildcard, else 127.0.0.1)
 * when that is a wildcard (0.0.0.0, ::, [::]), on which the node listens on
 * every interface, and which names no address to dial. */
const char *sipc_cli_home_node_host(const struct sipc_config *cfg);

#endif
