/* sipcd - the sipc node daemon: the command line, the signals and the loop.
 * The services themselves are hosted by host.c: data, search, management and
 * pipeline, each with its own listener and log file
 * $SIPC_HOME/logs/<Name>Service_<YYYYMMDD>.log; every listener also serves the
 * built-in sys service. SIGTERM or SIGINT stops it cleanly; SIGHUP re-reads
 * sipc.conf and the key pair (host_reload). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/home_owner.h"
#include "home_lock.h"
#include "run_as_owner.h"
#include "host.h"
#include "services/common/core_dumps.h"
#include "services/common/exit_codes.h"
#include "services/common/home_dir.h"
#include "services/common/opt.h"
#include "services/common/password.h"
#include "services/common/std_fds.h"
#include "sipc/node.h"

static host node;
static uv_signal_t sig_term, sig_int, sig_hup;

typedef struct sipcd_opts {
    const char *home;
    int foreground; /* always in the foreground; accepted for service managers */
    int allow_core_dumps;
    int version;
} sipcd_opts;

static const cli_opt OPTS[] = {
    {"home", 'H', CLI_STRING, "DIR", "node home (default: $SIPC_HOME, else /var/lib/sipc)",
     offsetof(sipcd_opts, home), CLI_NONEMPTY, 0, 0, NULL},
    {"foreground", 'f', CLI_FLAG, NULL, "stay in the foreground (sipcd always does)",
     offsetof(sipcd_opts, foreground), 0, 0, 0, NULL},
    {"allow-core-dumps", 0, CLI_FLAG, NULL,
     "let a crash write a core file (within the limit sipcd\n"
     "is started with: ulimit -c, LimitCORE=), for debugging;\n"
     "the core holds the cluster's private key. Without it\n"
     "sipcd writes none, and no other process of its user\n"
     "may attach to it or read its memory",
     offsetof(sipcd_opts, allow_core_dumps), 0, 0, 0, NULL},
    {"version", 'V', CLI_FLAG, NULL, "print the sipc, wolfSSL and CPU feature versions and exit",
     offsetof(sipcd_opts, version), CLI_STOP, 0, 0, NULL},
    {"help", 'h', CLI_HELP, NULL, "this text", 0, CLI_STOP, 0, 0, NULL},
    {NULL, 0, CLI_END, NULL, NULL, 0, 0, 0, 0, NULL}};

static const cli_tool SIPCD = {
    "sipcd", "Usage:", "[--home DIR] [--foreground] [--allow-core-dumps] [--version] [--help]",
    "Runs the sipc services of this node on [node] address: the data service\n"
    "(port 23000), the search endpoint (23001), the management channel (23002) and\n"
    "the pipeline (23003); [<service>] port in DIR/sipc.conf changes a port. TLS or\n"
    "plaintext is decided by [tls] enable in DIR/sipc.conf (see `tlstool enable`);\n"
    "the pipeline also has its own switch, [pipeline] tls.\n"
    "SIGHUP (or `sipcctl reload`) re-reads sipc.conf and the key pair without a\n"
    "restart: new connections use the new TLS mode and pair, older ones are replaced\n"
    "once answered; an invalid change is refused as a whole and the running setup stays.\n"
    "SIGTERM or SIGINT stops it.\n",
    "Logs: DIR/logs/<Name>Service_<YYYYMMDD>.log (DataService_..., SearchService_...,\n"
    "ManagementService_..., PipelineService_...) and stderr.\n"
    "Exit codes: 0 stopped cleanly; " SIPC_EXIT_HELP_USAGE "; 70 internal failure at start (the\n"
    "log says which); 71 a port (or [metrics] address) could not be opened; 73\n"
    "DIR/state, DIR/logs or DIR/data could not be created, or DIR/state/sipcd.lock\n"
    "written; 75 DIR is in use: another sipcd (the message names its pid) holds its\n"
    "lock, one sipcd per home; 77 started as root in a home another account owns,\n"
    "sipcd could not become that account; 78 DIR missing or not a directory, a\n"
    "configuration or key material problem (the message says which file), DIR/state\n"
    "or DIR/data unfit (a link, not a directory, others may write it, another\n"
    "account's; a database file there a link or another account's), this SQLite\n"
    "older than 3.31, or the database's schema newer than this sipcd. A database in\n"
    "DIR/data that cannot be opened (damaged, on a read-only file system) does not\n"
    "stop it: the node runs, its status says why, and it opens the database once\n"
    "repaired.\n",
    OPTS, NULL, CLI_HELP_WORD_NONE};

static void on_signal(uv_signal_t *h, int signum)
{
    (void)h;
    host_stop(&node, signum == SIGTERM ? "SIGTERM" : "SIGINT");
    uv_signal_t *sigs[] = {&sig_term, &sig_int, &sig_hup};
    for (int i = 0; i < 3; i++) {
        uv_signal_stop(sigs[i]);
        uv_close((uv_handle_t *)sigs[i], NULL);
    }
}

static void on_hup(uv_signal_t *h, int signum)
{
    (void)h;
    (void)signum;
    host_reload(&node, "SIGHUP", NULL, 0, 0, 0, NULL, NULL);
}

int main(int argc, char **argv)
{
    sipc_cli_std_fds_open();
    /* a shell that exported the pair's password for tlstool starts sipcd
     * too; sipcd reads none, so none stays readable in its memory */
    cli_password_env_scrub("SIPC_PFX_PASSWORD");
    sipcd_opts opt = {NULL, 0, 0, 0};
    cli_parsed args;
    char err[1024] = "";
    if (cli_parse(&SIPCD, argc, argv, &opt, &args, err, sizeof err) != 0) {
        cli_usage_error(&SIPCD, &args, err);
        return SIPC_EXIT_USAGE;
    }
    if (opt.version) {
        printf("sipcd (%s)\n", sipc_version_string());
        return 0;
    }
    if (args.help) {
        cli_help(stdout, &SIPCD, NULL);
        return 0;
    }
    if (args.nargs) {
        return cli_fail("sipcd", SIPC_EXIT_USAGE, "unexpected argument '%s' (see sipcd --help)",
                        args.args[0]);
    }
    /* a mistyped home is the home missing, 78 as for sipcctl, not a file
     * sipcd could not create in it */
    char as[40];
    if (sipc_cli_home_missing(opt.home, cli_given_as(&args, "home", as, sizeof as), 1, err,
                              sizeof err))
        return cli_fail("sipcd", SIPC_EXIT_CONFIG, "%s", err);
    char abs_home[PATH_MAX];
    const char *home = sipc_cli_home_absolute(sipc_home_resolve(opt.home), abs_home,
                                              sizeof abs_home);
    /* before anything reads or makes a file in the home: root's sipcd in a
     * home another account owns becomes that account, so that the home stays
     * usable by the owner's own sipcd */
    if (run_as_home_owner(home, node.owner_note, sizeof node.owner_note, err, sizeof err) != 0)
        return cli_fail("sipcd", SIPC_EXIT_NOPERM, "%s", err);
    /* a change of uid made the process non-dumpable; nothing of root's was
     * read before it */
    if (opt.allow_core_dumps && node.owner_note[0])
        (void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    /* before anything secret is loaded */
    if (!opt.allow_core_dumps && sipc_cli_core_dumps_off(err, sizeof err) != 0)
        fprintf(stderr, "sipcd: warning: a crash may write a core file holding the private key: %s\n",
                err);
    node.core_dumps_allowed = opt.allow_core_dumps;
    signal(SIGPIPE, SIG_IGN);
    /* past a file size limit (ulimit -f, LimitFSIZE=) a write must fail
     * with EFBIG, which the data service reports, not kill the node */
    signal(SIGXFSZ, SIG_IGN);

    /* only reads: the home is judged (its path's length too) before the
     * lock writes anything into it */
    if (sipc_config_load(&node.cfg, home, err, sizeof err) != 0) {
        run_as_owner_explain(home, node.owner_note, err, sizeof err);
        return cli_fail("sipcd", SIPC_EXIT_CONFIG, "%s", err);
    }
    /* its warnings are said at start, its refusal here */
    if (sipc_config_check_run(&node.cfg, host_svc_names, HOST_NSERVICES, node.conf_warning,
                              sizeof node.conf_warning) < 0)
        return cli_fail("sipcd", SIPC_EXIT_CONFIG, "%s", node.conf_warning);
    /* as for trust/: a sipc.conf another account can change decides TLS */
    if (sipc__home_guard(node.cfg.home, err, sizeof err) != 0)
        return cli_fail("sipcd", SIPC_EXIT_CONFIG, "%s", err);
    /* before the home's store, state files or ports are touched: a second
     * sipcd on this home stops here, whatever its ports */
    int lr = home_lock_take(node.cfg.home, &node.prev_run, err, sizeof err);
    if (lr == 1)
        snprintf(node.lock_warning, sizeof node.lock_warning, "%s", err);
    else if (lr != 0) {
        int ex = SIPC_EXIT_CANTCREAT;
        if (lr == -EWOULDBLOCK)
            ex = SIPC_EXIT_TEMPFAIL;
        else if (lr == -ENAMETOOLONG || lr == SIPC_ECONFIG)
            ex = SIPC_EXIT_CONFIG; /* a home no file of it fits in a path, a state/ unfit */
        return cli_fail("sipcd", ex, "%s", err);
    }
    /* Every connection is a descriptor: run with the hard limit, not the
     * usual soft 1024, so that a burst of connections cannot lock peers out. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rlim_t want = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            fprintf(stderr, "sipcd: cannot raise the open-file limit to %llu: %s\n",
                    (unsigned long long)want, strerror(errno));
    }
    uv_loop_t *loop = uv_default_loop();
    int rc = host_start(&node, loop);
    if (rc != 0) {
        host_stop(&node, NULL);
    } else {
        uv_signal_init(loop, &sig_term);
        uv_signal_init(loop, &sig_int);
        uv_signal_start(&sig_term, on_signal, SIGTERM);
        uv_signal_start(&sig_int, on_signal, SIGINT);
        uv_signal_init(loop, &sig_hup);
        uv_signal_start(&sig_hup, on_hup, SIGHUP);
    }
    uv_run(loop, UV_RUN_DEFAULT);
    host_free(&node);
    uv_loop_close(loop);
    /* only when the file still names this process */
    home_lock_drop(node.cfg.home);
    return rc;
}
