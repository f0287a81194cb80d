/* host.c - the node's start (host_start, host.h): each service's log,
 * security, context, router and listener, the database, and the start
 * lines every log begins with. What each service serves: host_services.c;
 * the stop: host_stop.c. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "certs/trust.h"
#include "host.h"
#include "host_services.h"
#include "management_service.h"
#include "port_holder.h"
#include "services/common/exit_codes.h"
#include "services/data/data_service.h"
#include "strict_guard.h"

static void describe(host *h, host_service *s, const char *key)
{
    s->h = h;
    s->key = key;
    char cap[32];
    snprintf(cap, sizeof cap, "%s", key);
    cap[0] = (char)toupper((unsigned char)cap[0]);
    snprintf(s->display, sizeof s->display, "%s Service", cap);
    snprintf(s->file, sizeof s->file, "%sService", cap);
}

/* Service failed's setup stops the whole node: every service's log says
 * so, the others naming the one whose setup failed (with [pipeline] tls on
 * and TLS off, only the pipeline's TLS is checked). */
static void log_start_refused(host *h, int failed, const char *why)
{
    for (int i = 0; i < HOST_NSERVICES; i++) {
        if (!h->svc[i].log)
            continue;
        if (i == failed)
            sipc_logf(h->svc[i].log, SIPC_LOG_ERROR, "Service.Start", "Cannot start %s: %s",
                      h->svc[i].display, why);
        else
            sipc_logf(h->svc[i].log, SIPC_LOG_ERROR, "Service.Start",
                      "Cannot start %s: the node stops, as the %s cannot start: %s",
                      h->svc[i].display, h->svc[failed].display, why);
    }
}

/* Loggers and securities of every service: 0 or an exit code. */
static int prepare(host *h)
{
    char logdir[600], err[1024];
    snprintf(logdir, sizeof logdir, "%s/logs", h->cfg.home);
    for (int i = 0; i < HOST_NSERVICES; i++) {
        host_service *s = &h->svc[i];
        describe(h, s, host_svc_names[i]);
        s->port = sipc_config_port(&h->cfg, s->key);
        int r = sipc_logger_open(&s->log, logdir, s->file, 1, SIPC_LOG_INFO);
        if (r != 0) {
            fprintf(stderr, "sipcd: cannot create log directory %s: %s\n", logdir,
                    sipc_strerror(r));
            return SIPC_EXIT_CANTCREAT;
        }
        sipc_logger_set_file_cap(s->log, h->cfg.log_max_file_size); /* [logs] max_file_size */
    }
    host_reload_files_seen(h);
    for (int i = 0; i < HOST_NSERVICES; i++) {
        host_service *s = &h->svc[i];
        if (sipc_security_load_service(&s->sec, &h->cfg, s->key, err, sizeof err) != 0) {
            log_start_refused(h, i, err);
            return SIPC_EXIT_CONFIG;
        }
        /* a [tls] subject the node's own certificate lacks is an edit gone
         * wrong, refused as a reload refuses it: started, the node would be
         * cut off from every peer (an expired pair is time, not an edit:
         * that node starts and says so) */
        if (host_subject_refusal(&h->cfg, host_svc_names[i], s->sec, err, sizeof err) != 0) {
            log_start_refused(h, i, err);
            return SIPC_EXIT_CONFIG;
        }
    }
    /* Say now, not at the first failed handshake, when the pair is unusable. */
    host_pair_check(h, 1);
    host_tls_notes(h, "Service.Start");
    return 0;
}

/* The start line that says how this node tells a dead peer: its PINGs and
 * its idle close, each of which [limits] may have turned off; and a WARN at
 * the sipc.conf line when they work, but not as their values suggest. */
static void log_keepalive(sipc_logger *log, const sipc_config *cfg, const sipc_options *o)
{
    char ka[160], idle[80];
    if (!o->keepalive_ms)
        snprintf(ka, sizeof ka, "off ([limits] keepalive_ms = 0): PINGs only while reading is held back");
    else if (!o->keepalive_timeout_ms)
        snprintf(ka, sizeof ka,
                 "PING after %u ms without receiving anything, no answer awaited ([limits] "
                 "keepalive_timeout_ms = 0)",
                 o->keepalive_ms);
    else
        snprintf(ka, sizeof ka,
                 "PING after %u ms without receiving anything, closed without an answer within "
                 "%u ms",
                 o->keepalive_ms, o->keepalive_timeout_ms);
    if (o->idle_timeout_ms)
        snprintf(idle, sizeof idle, "idle close after %u ms", o->idle_timeout_ms);
    else
        snprintf(idle, sizeof idle, "idle close off ([limits] idle_timeout_ms = 0)");
    sipc_logf(log, SIPC_LOG_INFO, "Service.Start", "Keepalive: %s; %s", ka, idle);
    char note[600];
    if (sipc_config_timeouts_note(cfg, note, sizeof note))
        sipc_logf(log, SIPC_LOG_WARN, "Service.Start", "%s", note);
    /* a root or CRL under a name that is not loaded is said, not skipped
     * silently (a Secret's ca.crt) */
    char skipped[1600];
    if (cfg->tls_enable && sipc_trust_home_skipped(cfg->home, skipped, sizeof skipped))
        sipc_logf(log, SIPC_LOG_WARN, "Service.Start", "%s", skipped);
}

/* Who holds the port a service could not listen on, as `ss -ltnp` would
 * say. This process holds the home's lock (home_lock.h), so a sipcd of this
 * home there is one that takes no lock: an older version, met in an upgrade
 * or a rollback. */
static void log_port_holder(host *h, host_service *s)
{
    port_holder ph;
    int found = port_holder_find(h->cfg.address, s->port, &ph);
    char unlocked[700] = "";
    if (h->lock_warning[0])
        snprintf(unlocked, sizeof unlocked,
                 " (%s could not be locked: it may be another sipcd of this home)", h->cfg.home);
    char mine[PATH_MAX], theirs[PATH_MAX];
    const char *exe = ph.exe[0] ? ph.exe : "executable not readable";
    /* an inferred holder is a guess (port_holder.h): said as one, and never
     * given a kill command */
    char inferred[300] = "", stop[80];
    const char *held = ph.inferred ? "probably held" : "held";
    if (ph.inferred)
        snprintf(inferred, sizeof inferred,
                 " (not verified: the port is this account's, this is its only sipcd whose "
                 "descriptors cannot be read, and its sipc.conf names this address and port; "
                 "`sudo ss -ltnp 'sport = :%d'` names the holder)",
                 s->port);
    if (ph.inferred)
        snprintf(stop, sizeof stop, "once ss confirms it, stop it");
    else
        snprintf(stop, sizeof stop, "stop it (kill -TERM %ld)", (long)ph.pid);
    if (found == 1 && !strcmp(ph.comm, "sipcd") && ph.home[0] &&
        realpath(h->cfg.home, mine) && realpath(ph.home, theirs) && !strcmp(mine, theirs))
        sipc_logf(s->log, SIPC_LOG_ERROR, "Service.Start",
                  "Port %d is %s by pid %ld (sipcd, %s, home %s)%s: a sipcd of this home that "
                  "takes no home lock (a version from before the lock, as in an upgrade or a "
                  "rollback); %s, wait until it has exited, then start this one",
                  s->port, held, (long)ph.pid, exe, ph.home, inferred, stop);
    else if (found == 1 && !strcmp(ph.comm, "sipcd"))
        sipc_logf(s->log, SIPC_LOG_ERROR, "Service.Start",
                  "Port %d is %s by pid %ld (sipcd, %s, home %s)%s: a sipcd of another home on "
                  "the same address and port; give one of them another [node] address or "
                  "other ports%s",
                  s->port, held, (long)ph.pid, exe,
                  ph.home[0] ? ph.home
                             : "not on its command line, and its environment is not readable",
                  inferred, unlocked);
    else if (found == 1)
        sipc_logf(s->log, SIPC_LOG_ERROR, "Service.Start",
                  "Port %d is held by pid %ld (%s, %s): another program; stop it, or give this "
                  "node another [node] address or other ports%s",
                  s->port, (long)ph.pid, ph.comm[0] ? ph.comm : "?", exe, unlocked);
    else
        sipc_logf(s->log, SIPC_LOG_ERROR, "Service.Start",
                  "Port %d is held by another process%s: a sipcd of this home from before the "
                  "home lock (it takes none), a sipcd of another home on the same address and "
                  "port, or another program; `%sss -ltnp 'sport = :%d'` names it%s",
                  s->port,
                  ph.gave_up_ms ? " (the search through every process's descriptors stopped "
                                  "unfinished at its time limit)"
                  : found == 0 && ph.same_account
                      ? " of this account that is not dumpable, as sipcd, tlstool and sipcctl "
                        "make themselves (only root can see which)"
                  : found == 0 ? " of another account (only root can see which)"
                               : "",
                  found == 0 && !ph.gave_up_ms ? "sudo " : "", s->port, unlocked);
}

static int start_service(host *h, int i)
{
    host_service *s = &h->svc[i];
    sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start", "%s", sipc_version_string());
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start", "Open-file limit: %llu", (unsigned long long)rl.rlim_cur);
    host_start_notes(h, i);
    sipc_options o;
    host_node_options(h, &o, s->log);
    log_keepalive(s->log, &h->cfg, &o);
    int r = sipc_ctx_new(&s->ctx, h->loop, &o, s->sec);
    if (r == 0)
        r = sipc_router_new(&s->router);
    if (r != 0) {
        sipc_logf(s->log, SIPC_LOG_ERROR, "Service.Start", "Cannot start %s: %s", s->display,
                  sipc_strerror(r));
        return SIPC_EXIT_SOFTWARE;
    }
    int rc = host_register_handlers(h, i);
    if (rc != 0)
        return rc;
    sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start", "Starting %s", s->display);
    r = sipc_server_listen(&s->srv, s->ctx, s->display, h->cfg.address, s->port, s->router);
    if (r != 0) {
        /* the server logged which port and why */
        if (r == UV_EADDRINUSE)
            log_port_holder(h, s);
        return SIPC_EXIT_OSERR;
    }
    sipc_server_set_conn_cb(s->srv, host_on_conn, s);
    (void)sipc_server_set_reserved(s->srv, i == HOST_MANAGEMENT); /* operators' way in */
    sipc_tls_mode mode = sipc_security_mode(s->sec);
    int port = sipc_server_port(s->srv);
    sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start", "%s: %d",
              mode == SIPC_TLS_OFF ? "Port" : "TLS Port", port);
    /* the line above keeps the operator guide's exact form; the mode follows */
    if (mode == SIPC_TLS_PERMISSIVE)
        sipc_logf(s->log, SIPC_LOG_WARN, "Service.Start",
                  "Permissive TLS mode: plaintext peers are also accepted on port %d; once "
                  "every node has TLS enabled, run `tlstool mode strict --reload` on each",
                  port);
    else if (mode == SIPC_TLS_STRICT)
        sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start",
                  "Strict TLS mode: only peers speaking TLS with the cluster's pair are accepted "
                  "on port %d",
                  port);
    /* which node this log belongs to and what it accepts, in every mode:
     * with TLS off the Port line alone says it only by a missing word */
    char home[PATH_MAX];
    if (!realpath(h->cfg.home, home))
        snprintf(home, sizeof home, "%s", h->cfg.home);
    sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start", "Node %s, cluster %s, home %s: %s",
              h->cfg.node_id, h->cfg.cluster, home,
              mode == SIPC_TLS_OFF      ? "plaintext only (TLS off: [tls] enable = 0)"
              : mode == SIPC_TLS_STRICT ? "TLS strict (TLS peers only)"
                                        : "TLS permissive (TLS and plaintext peers)");
    if (h->mgmt)
        sipc_mgmt_add_service(h->mgmt, s->key, s->srv, s->sec);
    sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start", "%s Started", s->display);
    return 0;
}

static void on_data_opened(void *arg);

int host_start(host *h, uv_loop_t *loop)
{
    h->loop = loop;
    start_guard_verdict gv;
    start_guard_judge(h, &gv);
    int rc = prepare(h);
    if (rc != 0)
        return rc;
    start_guard_log(h, &gv);
    host_peer_watch_start(h);
    host_pair_watch_start(h);
    char dir[700], err[1024];
    snprintf(dir, sizeof dir, "%s/data", h->cfg.home);
    sipc_data_options dopt;
    sipc_data_options_init(&dopt);
    dopt.sync = h->cfg.data_sync == SIPC_SYNC_FULL ? SIPC_DATA_SYNC_FULL : SIPC_DATA_SYNC_NORMAL;
    dopt.writes_slow_ms = h->cfg.data_writes_slow_ms;
    if (h->cfg.data_max_attributes)
        dopt.max_attributes = h->cfg.data_max_attributes;
    dopt.log = sipc_logger_sink;
    dopt.log_arg = h->svc[HOST_DATA].log;
    dopt.damaged_cb = records_damaged_save;
    dopt.damaged_arg = h;
    /* a database that cannot be opened (damaged, on a read-only file system
     * without its -shm, unreadable) leaves the node up, its data calls
     * refused with why, and is opened once its files change; a directory
     * that is not one, is unsafe or another account's still stops the
     * start, as a configuration that is wrong */
    dopt.retry_open = 1;
    /* a test may ask for the test writes of a failing database (and the
     * quiet time that ends the failing), and the timed attempts to open one
     * that could not be opened, sooner than a node needs them (not under
     * 100 ms: each is a write waiting up to the busy timeout, or an open) */
    const char *probe = getenv("SIPCD_STORAGE_PROBE_MS");
    if (probe && atol(probe) > 0)
        dopt.probe_ms = dopt.quiet_ms = dopt.retry_ms =
            atol(probe) < 100 ? 100 : (unsigned)atol(probe);
    dopt.opened_cb = on_data_opened;
    dopt.opened_arg = h;
    int dr = sipc_data_open(&h->data, loop, dir, &dopt, err, sizeof err);
    if (dr != 0) {
        sipc_logf(h->svc[HOST_DATA].log, SIPC_LOG_ERROR, "Service.Start", "Cannot start %s: %s",
                  h->svc[HOST_DATA].display, err);
        /* 73 only for a data/ not made (an errno): an unfit one is the home's state */
        return dr == SIPC_ECONFIG ? SIPC_EXIT_CONFIG
                                  : dr == SIPC_ENOMEM ? SIPC_EXIT_SOFTWARE : SIPC_EXIT_CANTCREAT;
    }
    sipc_data_open_state os;
    sipc_data_open_state_get(h->data, &os);
    if (os.open)
        records_mark_start(h);
    /* management first, so that it counts every other service's listener */
    static const int order[HOST_NSERVICES] = {HOST_MANAGEMENT, HOST_DATA, HOST_SEARCH,
                                              HOST_PIPELINE};
    for (int k = 0; k < HOST_NSERVICES && rc == 0; k++)
        rc = start_service(h, order[k]);
    if (rc == 0 && h->mgmt &&
        (sipc_mgmt_add_links(h->mgmt, host_service_links, h) != 0 ||
         host_status_sections_add(h) != 0)) {
        sipc_logf(h->svc[HOST_MANAGEMENT].log, SIPC_LOG_ERROR, "Service.Start",
                  "Cannot start %s: its status sources were refused",
                  h->svc[HOST_MANAGEMENT].display);
        rc = SIPC_EXIT_SOFTWARE;
    }
    if (rc == 0)
        host_peer_news_start(h);
    if (rc == 0)
        host_reload_init(h);
    if (rc == 0)
        rc = host_metrics_start(h);
    if (rc == 0)
        start_guard_forced(h, &gv);
    if (rc == 0)
        host_tls_running_save(h);
    return rc;
}

/* The database opened after the start: what the start does once it is
 * open (a verdict of damage kept in state/, the records' mark), before it
 * serves a request. */
static void on_data_opened(void *arg)
{
    host *h = arg;
    records_mark_start(h);
}
