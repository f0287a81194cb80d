/* sipcd - the sipc node daemon.
 *
 * Reads $SIPC_HOME/sipc.conf, loads this node's security once (TLS or legacy
 * plaintext per `[tls] enable`), and runs one listener per service port, each
 * with its own log file $SIPC_HOME/logs/<Service>_<YYYYMMDD>.log. Every
 * listener serves the built-in sys service (ping, echo, info).
 * SIGTERM or SIGINT stops it cleanly. */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <uv.h>

#include "services/common/opt.h"
#include "sipc/node.h"

typedef struct svc {
    char key[32];          /* config section: "data" */
    char display[64];      /* "Data Service" */
    char file[64];         /* "DataService" */
    int port;
    sipc_logger *log;
    sipc_ctx *ctx;
    sipc_router *router;
    sipc_server *srv;
} svc;

static svc services[SIPC_MAX_SERVICES];
static int nservices;
static uv_signal_t sig_term, sig_int;
static int stopping;

typedef struct sipcd_opts {
    const char *home;
    int foreground; /* always in the foreground; accepted for service managers */
    int version;
} sipcd_opts;

static const cli_opt OPTS[] = {
    {"home", 'H', CLI_STRING, "DIR", "node home (default: $SIPC_HOME, else /var/lib/sipc)",
     offsetof(sipcd_opts, home), 0, 0, 0, NULL},
    {"foreground", 'f', CLI_FLAG, NULL, "stay in the foreground (sipcd always does)",
     offsetof(sipcd_opts, foreground), 0, 0, 0, NULL},
    {"version", 'V', CLI_FLAG, NULL, "print the sipc, wolfSSL and CPU feature versions and exit",
     offsetof(sipcd_opts, version), CLI_STOP, 0, 0, NULL},
    {"help", 'h', CLI_HELP, NULL, "this text", 0, CLI_STOP, 0, 0, NULL},
    {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}};

static const cli_tool SIPCD = {
    "sipcd", "Usage:", "[--home DIR] [--foreground] [--version] [--help]",
    "Runs the sipc services of this node: the data service (port 23000 by default)\n"
    "and every other service with a [<service>] port in DIR/sipc.conf. TLS or\n"
    "plaintext is decided by [tls] enable in DIR/sipc.conf (see `tlstool enable`).\n",
    "Logs: DIR/logs/<Service>_<YYYYMMDD>.log and stderr.\n"
    "Exit codes: 0 stopped cleanly; 64 usage; 71 a port could not be opened;\n"
    "78 configuration or key material problem (the message says which file).\n",
    OPTS, NULL, CLI_HELP_WORD_NONE};

static void describe(svc *s, const char *key)
{
    snprintf(s->key, sizeof s->key, "%s", key);
    char cap[32];
    snprintf(cap, sizeof cap, "%s", key);
    cap[0] = (char)toupper((unsigned char)cap[0]);
    snprintf(s->display, sizeof s->display, "%s Service", cap);
    snprintf(s->file, sizeof s->file, "%sService", cap);
}

static void on_ctx_closed(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    svc *s = arg;
    sipc_logf(s->log, SIPC_LOG_INFO, "Service.Stop", "%s Stopped", s->display);
    s->ctx = NULL;
}

static void on_signal(uv_signal_t *h, int signum)
{
    if (stopping)
        return;
    stopping = 1;
    for (int i = 0; i < nservices; i++) {
        if (services[i].log)
            sipc_logf(services[i].log, SIPC_LOG_INFO, "Service.Stop", "Received %s, stopping %s",
                      signum == SIGTERM ? "SIGTERM" : "SIGINT", services[i].display);
        if (services[i].ctx) {
            if (services[i].log)
                sipc_logf(services[i].log, SIPC_LOG_INFO, "Service.Stop", "Stopping %s",
                          services[i].display);
            sipc_ctx_close(services[i].ctx, on_ctx_closed, &services[i]);
        }
    }
    uv_signal_stop(&sig_term);
    uv_signal_stop(&sig_int);
    uv_close((uv_handle_t *)&sig_term, NULL);
    uv_close((uv_handle_t *)&sig_int, NULL);
    (void)h;
}

int main(int argc, char **argv)
{
    sipcd_opts opt = {NULL, 0, 0};
    cli_parsed args;
    char err[1024] = "";
    if (cli_parse(&SIPCD, argc, argv, &opt, &args, err, sizeof err) != 0) {
        cli_usage_error(&SIPCD, &args, err);
        return EX_USAGE;
    }
    if (opt.version) {
        printf("%s\n", sipc_version_string());
        return 0;
    }
    if (args.help) {
        cli_help(stdout, &SIPCD, NULL);
        return 0;
    }
    if (args.nargs) {
        fprintf(stderr, "sipcd: unexpected argument '%s' (see sipcd --help)\n", args.args[0]);
        return EX_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);

    const char *home = sipc_home_resolve(opt.home);
    sipc_config cfg;
    if (sipc_config_load(&cfg, home, err, sizeof err) != 0) {
        fprintf(stderr, "sipcd: %s\n", err);
        return EX_CONFIG;
    }
    char logdir[600];
    snprintf(logdir, sizeof logdir, "%s/logs", cfg.home);

    /* the data service always runs; the others when configured */
    describe(&services[nservices++], "data");
    for (int i = 0; i < cfg.nservices && nservices < SIPC_MAX_SERVICES; i++)
        if (strcmp(cfg.services[i].name, "data") != 0)
            describe(&services[nservices++], cfg.services[i].name);
    for (int i = 0; i < nservices; i++) {
        services[i].port = sipc_config_port(&cfg, services[i].key);
        int r = sipc_logger_open(&services[i].log, logdir, services[i].file, 1, SIPC_LOG_INFO);
        if (r != 0) {
            fprintf(stderr, "sipcd: cannot create log directory %s: %s\n", logdir, sipc_strerror(r));
            return EX_CANTCREAT;
        }
    }

    sipc_security *sec = NULL;
    int r = sipc_security_load(&sec, &cfg, err, sizeof err);
    if (r != 0) {
        for (int i = 0; i < nservices; i++)
            sipc_logf(services[i].log, SIPC_LOG_ERROR, "Service.Start",
                      "Cannot start %s: %s", services[i].display, err);
        return EX_CONFIG;
    }

    /* Say now, not at the first failed handshake, when the pair is unusable. */
    char health[1024];
    int unhealthy = sipc_security_self_check(sec, health, sizeof health);
    for (int i = 0; i < nservices && health[0]; i++)
        sipc_logf(services[i].log, unhealthy ? SIPC_LOG_ERROR : SIPC_LOG_WARN, "Service.Start", "%s",
                  health);

    uv_loop_t *loop = uv_default_loop();
    int rc = 0;
    for (int i = 0; i < nservices && rc == 0; i++) {
        svc *s = &services[i];
        sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start", "%s", sipc_version_string());
        sipc_options o;
        sipc_options_from_config(&o, &cfg);
        o.log = sipc_logger_sink;
        o.log_arg = s->log;
        if ((r = sipc_ctx_new(&s->ctx, loop, &o, sec)) != 0 || (r = sipc_router_new(&s->router)) != 0) {
            sipc_logf(s->log, SIPC_LOG_ERROR, "Service.Start", "Cannot start %s: %s", s->display,
                      sipc_strerror(r));
            rc = EX_SOFTWARE;
            break;
        }
        sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start", "Starting %s", s->display);
        r = sipc_server_listen(&s->srv, s->ctx, s->display, cfg.address, s->port, s->router);
        if (r != 0) {
            rc = EX_OSERR; /* the server logged which port and why */
            break;
        }
        sipc_tls_mode mode = sipc_security_mode(sec);
        sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start", "%s: %d",
                  mode == SIPC_TLS_OFF ? "Port" : "TLS Port", sipc_server_port(s->srv));
        if (mode == SIPC_TLS_PERMISSIVE)
            sipc_logf(s->log, SIPC_LOG_WARN, "Service.Start",
                      "Permissive TLS mode: plaintext peers are also accepted on port %d; set "
                      "[tls] mode = strict once every node has TLS enabled",
                      sipc_server_port(s->srv));
        sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start", "%s Started", s->display);
    }
    sipc_security_release(sec); /* every context holds its own reference */

    if (rc != 0) {
        for (int i = 0; i < nservices; i++)
            if (services[i].ctx)
                sipc_ctx_close(services[i].ctx, NULL, NULL);
        uv_run(loop, UV_RUN_DEFAULT);
    } else {
        uv_signal_init(loop, &sig_term);
        uv_signal_init(loop, &sig_int);
        uv_signal_start(&sig_term, on_signal, SIGTERM);
        uv_signal_start(&sig_int, on_signal, SIGINT);
        uv_run(loop, UV_RUN_DEFAULT);
    }
    for (int i = 0; i < nservices; i++) {
        sipc_router_free(services[i].router);
        sipc_logger_close(services[i].log);
    }
    uv_loop_close(loop);
    return rc;
}
