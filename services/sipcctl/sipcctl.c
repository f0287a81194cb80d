/* sipcctl - talk to a running sipc node: ping, info, call.
 *
 * It uses this machine's $SIPC_HOME exactly as a node would (same key pair,
 * same TLS mode), so a successful ping proves the link a node would use. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <uv.h>

#include "services/common/opt.h"
#include "sipc/node.h"

typedef struct run {
    /* the command line */
    const char *home;
    int timeout_opt; /* --timeout */
    int verbose;     /* --verbose: the library's warnings too */
    const char *cmd; /* the command's name */
    char **args;     /* after the command */
    int nargs;
    /* the calls */
    sipc_ctx *ctx;
    sipc_channel *ch;
    const char *target;
    const char *service, *method;
    const char *payload;
    int count, done;
    uint32_t timeout_ms;
    uint64_t t0;
    int err;
    int quiet_log;
} run;

static int exit_code_for(int err)
{
    switch (sipc_err_classify(err)) {
    case SIPC_CLASS_NONE:
        return 0;
    case SIPC_CLASS_USAGE:
        return EX_CONFIG;
    case SIPC_CLASS_IO:
        return EX_UNAVAILABLE;
    case SIPC_CLASS_TLS:
    case SIPC_CLASS_AUTH:
        return EX_NOPERM;
    case SIPC_CLASS_PROTOCOL:
        return EX_PROTOCOL;
    case SIPC_CLASS_CALL:
        return err == SIPC_ETIMEDOUT ? EX_UNAVAILABLE : 1;
    }
    return 1;
}

static void quiet_sink(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    run *r = arg;
    /* connection failures are reported once, below, as one clear line */
    if (level >= SIPC_LOG_ERROR || (!r->quiet_log && level >= SIPC_LOG_WARN))
        fprintf(stderr, "%s %s %s\n", category, sipc_log_level_name(level), msg);
}

static void finish(run *r, int err)
{
    r->err = err;
    sipc_ctx_close(r->ctx, NULL, NULL);
}

static void issue(run *r);

static void on_reply(int err, const sipc_reply *rep, void *arg)
{
    run *r = arg;
    if (err != 0) {
        fprintf(stderr, "sipcctl: %s.%s to %s failed: %s [%s, %s]%s%s\n", r->service, r->method,
                r->target, sipc_strerror(err), sipc_err_name(err),
                sipc_err_class_name(sipc_err_classify(err)), rep->message[0] ? ": " : "",
                rep->message);
        finish(r, err);
        return;
    }
    double ms = (double)(uv_hrtime() - r->t0) / 1e6;
    if (!strcmp(r->method, "ping") && !strcmp(r->service, "sys")) {
        printf("Reply from %s: time=%.3f ms\n", r->target, ms);
    } else {
        fwrite(rep->data, 1, rep->len, stdout);
        if (rep->len && rep->data[rep->len - 1] != '\n')
            putchar('\n');
    }
    if (++r->done >= r->count) {
        finish(r, 0);
        return;
    }
    issue(r);
}

static void issue(run *r)
{
    r->t0 = uv_hrtime();
    size_t len = r->payload ? strlen(r->payload) : 0;
    int e = sipc_call(r->ch, r->service, r->method, r->payload, len, r->timeout_ms, on_reply, r);
    if (e != 0) {
        fprintf(stderr, "sipcctl: cannot call %s.%s: %s\n", r->service, r->method, sipc_strerror(e));
        finish(r, e);
    }
}

static void on_conn(sipc_conn *conn, sipc_conn_event ev, int err, void *arg)
{
    run *r = arg;
    (void)err;
    if (ev != SIPC_CONN_UP)
        return;
    sipc_peer_info pi;
    sipc_conn_info(conn, &pi);
    if (r->done == 0)
        r->t0 = uv_hrtime(); /* the round trip excludes connection set-up */
    if (pi.tls)
        printf("Connected to %s (node %s, cluster %s) over %s %s, peer certificate sha256 %.16s...\n",
               r->target, pi.peer_node, pi.peer_cluster, pi.tls_version, pi.tls_cipher,
               pi.peer_fingerprint);
    else
        printf("Connected to %s (node %s, cluster %s) over plaintext (TLS is not in use)\n",
               r->target, pi.peer_node, pi.peer_cluster);
}

/* Connects to r->target with this home's security and makes the calls. */
static int call_node(run *r)
{
    r->target = r->args[0];
    r->timeout_ms = (uint32_t)r->timeout_opt;
    r->quiet_log = !r->verbose;
    signal(SIGPIPE, SIG_IGN);

    sipc_config cfg;
    char err[1024] = "";
    if (sipc_config_load(&cfg, r->home, err, sizeof err) != 0) {
        fprintf(stderr, "sipcctl: %s\n", err);
        return EX_CONFIG;
    }
    char host[160];
    int port;
    int data_port = sipc_config_port(&cfg, "data");
    if (sipc_parse_address(r->target, data_port, host, sizeof host, &port) != 0) {
        fprintf(stderr, "sipcctl: '%s' is not ADDRESS[:PORT]\n", r->target);
        return EX_USAGE;
    }
    sipc_security *sec;
    if (sipc_security_load(&sec, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "sipcctl: %s\n", err);
        return EX_CONFIG;
    }
    uv_loop_t *loop = uv_default_loop();
    sipc_options o;
    sipc_options_init(&o);
    o.node_id = "sipcctl";
    o.cluster = cfg.cluster;
    o.max_frame = cfg.max_frame;
    o.handshake_timeout_ms = r->timeout_ms;
    o.log = quiet_sink;
    o.log_arg = r;
    int e = sipc_ctx_new(&r->ctx, loop, &o, sec);
    sipc_security_release(sec);
    if (e == 0)
        e = sipc_channel_open(&r->ch, r->ctx, host, port, NULL);
    if (e != 0) {
        fprintf(stderr, "sipcctl: %s\n", sipc_strerror(e));
        return exit_code_for(e);
    }
    sipc_channel_set_fail_fast(r->ch, 1);
    sipc_channel_set_conn_cb(r->ch, on_conn, r);
    issue(r);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    return exit_code_for(r->err);
}

static int wrong_arguments(const char *cmd)
{
    fprintf(stderr, "sipcctl: unknown command or wrong arguments: %s (see sipcctl --help)\n", cmd);
    return EX_USAGE;
}

/* ping and info: the sys method of the command's name */
static int cmd_sys(void *arg)
{
    run *r = arg;
    if (r->nargs != 1)
        return wrong_arguments(r->cmd);
    r->service = "sys";
    r->method = r->cmd;
    return call_node(r);
}

static int cmd_call(void *arg)
{
    run *r = arg;
    if (r->nargs != 3 && r->nargs != 4)
        return wrong_arguments("call");
    r->service = r->args[1];
    r->method = r->args[2];
    r->payload = r->nargs == 4 ? r->args[3] : NULL;
    return call_node(r);
}

#define BAD_NUMBER "--count must be 1..1000000 and --timeout positive"

static const cli_opt OPTS[] = {
    {"home", 'H', CLI_STRING, "DIR", "node home (default: $SIPC_HOME, else /var/lib/sipc)",
     offsetof(run, home), 0, 0, 0, NULL},
    {"timeout", 't', CLI_INT, "MS", "per call, default 5000", offsetof(run, timeout_opt), 0, 1,
     INT_MAX, BAD_NUMBER},
    {"count", 'c', CLI_INT, "N", "make the call N times (default 1)", offsetof(run, count), 0, 1,
     1000000, BAD_NUMBER},
    {"verbose", 'v', CLI_FLAG, NULL, "also print the library's warnings",
     offsetof(run, verbose), 0, 0, 0, NULL},
    {"help", 'h', CLI_HELP, NULL, "this text", 0, CLI_STOP, 0, 0, NULL},
    {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}};

static const cli_cmd COMMANDS[] = {
    {"ping", "ADDRESS[:PORT]", "call sys.ping; print the round trip and whether\n"
     "the link is TLS (version, cipher) or plaintext", NULL, NULL, cmd_sys},
    {"info", "ADDRESS[:PORT]", "print the node's sys.info (JSON)", NULL, NULL, cmd_sys},
    {"call", "ADDRESS[:PORT] SERVICE METHOD [PAYLOAD]", "call any method; prints the reply payload",
     NULL, NULL, cmd_call},
    {NULL, NULL, NULL, NULL, NULL, NULL}};

static const cli_tool SIPCCTL = {
    "sipcctl", "Usage:", "[--home DIR] [--timeout MS] COMMAND ARGS",
    "Talks to a running sipc node with this machine's key pair and TLS mode.\n"
    "PORT defaults to the data service port of this node's sipc.conf (23000).\n",
    "Exit codes: 0 success; 1 the call failed (remote error, timeout); 64 usage;\n"
    "69 the node could not be reached; 76 protocol or TLS-mode mismatch;\n"
    "77 TLS or certificate failure; 78 local configuration problem.\n",
    OPTS, COMMANDS, CLI_HELP_WORD_COMMAND};

int main(int argc, char **argv)
{
    run r;
    memset(&r, 0, sizeof r);
    r.count = 1;
    r.timeout_opt = 5000;
    cli_parsed p;
    char err[300];
    if (cli_parse(&SIPCCTL, argc, argv, &r, &p, err, sizeof err) != 0) {
        cli_usage_error(&SIPCCTL, &p, err);
        return EX_USAGE;
    }
    if (p.help || !p.cmd) {
        cli_help(p.help ? stdout : stderr, &SIPCCTL, p.cmd);
        return p.help ? 0 : EX_USAGE;
    }
    r.cmd = p.cmd->name;
    r.args = p.args;
    r.nargs = p.nargs;
    return p.cmd->run(&r);
}
