/* ping_server.c - see ping_server.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ping_server.h"

static void check(int r, const char *what)
{
    if (r != 0) {
        fprintf(stderr, "ping server: %s: %s\n", what, sipc_strerror(r));
        abort();
    }
}

static void h_ping(sipc_request *req, void *arg)
{
    (void)arg;
    check(sipc_respond(req, "pong", 4), "respond");
}

void tu_ping_server_open(tu_ping_server *p, const char *addr)
{
    memset(p, 0, sizeof *p);
    check(uv_loop_init(&p->loop), "loop");
    sipc_options o;
    sipc_options_init(&o);
    o.log = tu_log_sink;
    o.log_arg = &p->log;
    o.source_address = addr;
    sipc_security *plain = tu_security(SIPC_TLS_OFF, NULL);
    check(sipc_ctx_new(&p->ctx, &p->loop, &o, plain), "context");
    sipc_security_release(plain);
    check(sipc_router_new(&p->router), "router");
    check(sipc_router_add(p->router, "test", "ping", h_ping, p), "handler");
    check(sipc_server_listen(&p->srv, p->ctx, "Test Service", addr, 0, p->router), "listen");
}

void tu_ping_server_close(tu_ping_server *p)
{
    sipc_ctx_close(p->ctx, NULL, NULL);
    if (!tu_drain(&p->loop, 5000)) {
        fprintf(stderr, "ping server: the loop did not drain\n");
        abort();
    }
    check(uv_loop_close(&p->loop), "loop close");
    sipc_router_free(p->router);
}

typedef struct outcome {
    int done, err;
    char message[400];
} outcome;

static void on_outcome(int err, const sipc_reply *rep, void *arg)
{
    outcome *o = arg;
    o->err = err;
    snprintf(o->message, sizeof o->message, "%s", rep->message ? rep->message : "");
    o->done = 1;
}

int tu_ping_call(tu_ping_server *p, const char *addr, unsigned ms)
{
    sipc_channel *ch;
    check(sipc_channel_open(&ch, p->ctx, addr, sipc_server_port(p->srv), NULL), "channel");
    outcome o = {0};
    check(sipc_call(ch, "test", "ping", NULL, 0, ms, on_outcome, &o), "call");
    if (!tu_run_until(&p->loop, &o.done, ms + 2000)) { /* the callback would write o later */
        fprintf(stderr, "call: no outcome within %u ms\n%s", ms + 2000,
                p->log.buf ? p->log.buf : "");
        abort();
    }
    if (o.err != 0)
        fprintf(stderr, "call: %s: %s\n%s", sipc_strerror(o.err), o.message,
                p->log.buf ? p->log.buf : "");
    return o.err;
}
