/* sipcctl - talk to a running sipc node: ping, info, call.
 *
 * It uses this machine's $SIPC_HOME exactly as a node would (same key pair,
 * same TLS mode), so a successful ping proves the link a node would use. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <uv.h>

#include "sipc/node.h"

typedef struct run {
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

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: sipcctl [--home DIR] [--timeout MS] COMMAND ARGS\n"
            "\n"
            "Commands:\n"
            "  ping ADDRESS[:PORT] [--count N]   call sys.ping; print the round trip and whether\n"
            "                                    the link is TLS (version, cipher) or plaintext\n"
            "  info ADDRESS[:PORT]               print the node's sys.info (JSON)\n"
            "  call ADDRESS[:PORT] SERVICE METHOD [PAYLOAD]\n"
            "                                    call any method; prints the reply payload\n"
            "\n"
            "PORT defaults to the data service port of this node's sipc.conf (23000).\n"
            "  --home DIR    node home (default: $SIPC_HOME, else /var/lib/sipc)\n"
            "  --timeout MS  per call, default 5000\n"
            "\n"
            "Exit codes: 0 success; 1 the call failed (remote error, timeout); 64 usage;\n"
            "69 the node could not be reached; 76 protocol or TLS-mode mismatch;\n"
            "77 TLS or certificate failure; 78 local configuration problem.\n");
}

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

int main(int argc, char **argv)
{
    const char *home_opt = NULL;
    run r;
    memset(&r, 0, sizeof r);
    r.count = 1;
    r.timeout_ms = 5000;
    r.quiet_log = 1;
    static const struct option longopts[] = {{"home", required_argument, 0, 'H'},
                                             {"timeout", required_argument, 0, 't'},
                                             {"count", required_argument, 0, 'c'},
                                             {"verbose", no_argument, 0, 'v'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    int opt;
    /* GNU getopt permutes: options may come before or after the command */
    while ((opt = getopt_long(argc, argv, "H:t:c:vh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'H':
            home_opt = optarg;
            break;
        case 't':
            r.timeout_ms = (uint32_t)strtoul(optarg, NULL, 10);
            break;
        case 'c':
            r.count = atoi(optarg);
            break;
        case 'v':
            r.quiet_log = 0;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EX_USAGE;
    }
    const char *cmd = argv[optind++];
    if (!strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    int nargs = argc - optind;
    if (!strcmp(cmd, "ping") && nargs == 1) {
        r.service = "sys";
        r.method = "ping";
    } else if (!strcmp(cmd, "info") && nargs == 1) {
        r.service = "sys";
        r.method = "info";
    } else if (!strcmp(cmd, "call") && (nargs == 3 || nargs == 4)) {
        r.service = argv[optind + 1];
        r.method = argv[optind + 2];
        r.payload = nargs == 4 ? argv[optind + 3] : NULL;
    } else {
        fprintf(stderr, "sipcctl: unknown command or wrong arguments: %s (see sipcctl --help)\n", cmd);
        return EX_USAGE;
    }
    if (r.count < 1 || r.count > 1000000 || r.timeout_ms == 0) {
        fprintf(stderr, "sipcctl: --count must be 1..1000000 and --timeout positive\n");
        return EX_USAGE;
    }
    r.target = argv[optind];
    signal(SIGPIPE, SIG_IGN);

    sipc_config cfg;
    char err[1024] = "";
    if (sipc_config_load(&cfg, home_opt, err, sizeof err) != 0) {
        fprintf(stderr, "sipcctl: %s\n", err);
        return EX_CONFIG;
    }
    char host[160];
    int port;
    if (sipc_parse_address(r.target, sipc_config_port(&cfg, "data"), host, sizeof host, &port) != 0) {
        fprintf(stderr, "sipcctl: '%s' is not ADDRESS[:PORT]\n", r.target);
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
    o.handshake_timeout_ms = r.timeout_ms;
    o.log = quiet_sink;
    o.log_arg = &r;
    int e = sipc_ctx_new(&r.ctx, loop, &o, sec);
    sipc_security_release(sec);
    if (e == 0)
        e = sipc_channel_open(&r.ch, r.ctx, host, port, NULL);
    if (e != 0) {
        fprintf(stderr, "sipcctl: %s\n", sipc_strerror(e));
        return exit_code_for(e);
    }
    sipc_channel_set_fail_fast(r.ch, 1);
    sipc_channel_set_conn_cb(r.ch, on_conn, &r);
    issue(&r);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    return exit_code_for(r.err);
}
