/* err_line.h - how the programs name a failed call's error on one line:
 * "connection refused [ECONNREFUSED, io]: <the library's detail>". */
#ifndef SIPC_CLI_ERR_LINE_H
#define SIPC_CLI_ERR_LINE_H

#include <stddef.h>

/* "<sipc_strerror(err)> [<NAME>, <class>]" then ": <detail>" when detail
 * adds to it, in buf (returned). The library's detail often starts with the
 * same plain text ("connection refused", "cluster name mismatch: this side
 * ..."): only what follows it is given, so no line says it twice. */
const char *cli_err_line(char *buf, size_t len, int err, const char *detail);

/* Whether a call that failed with err after its request was handed to a
 * connection (the link was up) may have reached the node all the same: no
 * answer in time, or the connection lost afterwards. A request never queued
 * (a full write queue, no connection) was not sent. */
int cli_call_maybe_applied(int err);

#endif
