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
/* What detail adds to err, as cli_err_line gives it: without the address
 * dialled that its start names and without the error's own words. */
const char *cli_err_detail(int err, const char *detail);
/* The same up to the verifier's "; fix: " (*len bytes from the pointer
 * returned): the reason alone, for a text that says itself what to do. */
const char *cli_err_reason(int err, const char *detail, int *len);

/* Whether a call that failed with err may have been acted on by the node
 * all the same: its request left this process (sent, sipc_reply.sent) and
 * no answer came, in time (SIPC_ETIMEDOUT) or before the connection was
 * lost (an io error). A request that never left (no link came up, the
 * attempt failed, refused here) was not, whatever the error; one the node
 * answered (SIPC_EREMOTE, ...) says what it did. */
int cli_call_maybe_applied(int err, int sent);

#endif
