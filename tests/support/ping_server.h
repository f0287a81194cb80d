/* ping_server.h - a plaintext server answering test.ping on a loop of its
 * own, its log captured, and a new client's call to it: for the tests of
 * what a listener does with the connections it is given. */
#ifndef SIPC_TEST_PING_SERVER_H
#define SIPC_TEST_PING_SERVER_H

#include <uv.h>

#include "sipc/sipc.h"
#include "testutil.h"

typedef struct tu_ping_server {
    uv_loop_t loop;
    tu_log log;
    sipc_ctx *ctx;
    sipc_router *router;
    sipc_server *srv; /* "Test Service" */
} tu_ping_server;

/* p listening on addr, at a port the kernel picks; the context's channels
 * dial from addr too. Aborts with the reason on failure. */
void tu_ping_server_open(tu_ping_server *p, const char *addr);

/* Closes the context (its log limiter writes the counts it holds) and the
 * loop; the log stays for the caller to read and tu_log_free. Aborts when
 * the loop does not drain. */
void tu_ping_server_close(tu_ping_server *p);

/* A new channel's call of test.ping with a deadline of ms: 0, or its
 * error, said on stderr with the log so far. Aborts when no outcome came
 * 2 s past the deadline. */
int tu_ping_call(tu_ping_server *p, const char *addr, unsigned ms);

#endif
