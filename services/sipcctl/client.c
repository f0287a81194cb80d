/* client.c - sipcctl's client of one node: see sipcctl.h. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/str_copy.h"
#include "ipc/node/home_lock_read.h"
#include "services/common/client_home.h"
#include "services/common/client_id.h"
#include "services/common/cluster_hint.h"
#include "services/common/err_line.h"
#include "services/common/exit_codes.h"
#include "services/common/shown_text.h"
#include "services/common/home_dial.h"
#include "services/common/home_dir.h"
#include "services/common/home_subject.h"
#include "services/common/json_text.h"
#include "sipcctl.h"

int ctl_exit_code(int err)
{
    switch (sipc_err_classify(err)) {
    case SIPC_CLASS_NONE:
        return 0;
    case SIPC_CLASS_USAGE:
        return SIPC_EXIT_CONFIG;
    case SIPC_CLASS_IO:
        return SIPC_EXIT_UNAVAILABLE;
    case SIPC_CLASS_TLS:
        /* a node that does not finish the handshake in time (stopped,
         * overloaded) is not a TLS problem: it did not answer */
        return err == SIPC_EHSTIMEOUT ? SIPC_EXIT_UNAVAILABLE : SIPC_EXIT_NOPERM;
    case SIPC_CLASS_AUTH:
        return SIPC_EXIT_NOPERM;
    case SIPC_CLASS_PROTOCOL:
        return SIPC_EXIT_PROTOCOL;
    case SIPC_CLASS_CALL:
        return err == SIPC_ETIMEDOUT ? SIPC_EXIT_UNAVAILABLE : 1;
    }
    return 1;
}

static void quiet_sink(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    ctl_client *cl = arg;
    /* connection failures are reported once, by the command, as one clear line */
    if (level < SIPC_LOG_ERROR && (cl->quiet_log || level < SIPC_LOG_WARN))
        return;
    /* the library's lines quote peers (a remote error's message) */
    char shown[2400];
    cli_shown(msg, shown, sizeof shown);
    fprintf(stderr, "%s %s %s\n", category, sipc_log_level_name(level), shown);
}

static void on_conn(sipc_conn *conn, sipc_conn_event ev, int err, void *arg)
{
    ctl_client *cl = arg;
    (void)err;
    if (ev != SIPC_CONN_UP)
        return;
    sipc_conn_info(conn, &cl->link);
    cl->up = 1;
    if (!cl->announce)
        return;
    /* on stderr, as curl -v says where it connected: stdout holds only the
     * answer, so `sipcctl info | jq` reads JSON */
    char node[260], cluster[260];
    cli_shown(cl->link.peer_node, node, sizeof node);
    cli_shown(cl->link.peer_cluster, cluster, sizeof cluster);
    if (cl->link.tls)
        fprintf(stderr, "Connected to %s (node %s, cluster %s) over %s %s, peer certificate sha256 %.16s...\n",
               cl->target, node, cluster, cl->link.tls_version, cl->link.tls_cipher,
               cl->link.peer_fingerprint);
    else
        fprintf(stderr, "Connected to %s (node %s, cluster %s) over plaintext (TLS is not in use)\n",
               cl->target, node, cluster);
}

/* Said once per run: sipcctl dials as its home's node still does. */
static int said_unapplied;
/* What the home's node ran at this run's first dial (-2: not read yet):
 * `reload --cluster` reloads that node among the others, and the nodes
 * after it are dialed as before all the same. */
static int first_running = -2;

/* This home's client security as its node runs (home_dial.h): read once
 * per run unless again. The running file speaks for the home's own node
 * only, so another node gets the fallback for a change not applied yet
 * only from a reload (any_node), the step that applies the change there
 * too; the fallback is said once. */
static int home_security(const sipc_config *cfg, int home_node, int any_node, int again,
                         sipc_security **sec, char *err, size_t n)
{
    int running = -1;
    if (home_node || (cfg->tls_enable && any_node)) {
        if (again || first_running == -2)
            first_running = sipc__home_tls_running(cfg->home);
        running = first_running;
    }
    int r = sipc_cli_home_dial_security(cfg, home_node, running, 0, sec, err, n);
    if (r != 1)
        return r;
    char home[2400];
    cli_shown(cfg->home, home, sizeof home);
    if (!said_unapplied++)
        fprintf(stderr,
                "sipcctl: this home is set to TLS ([tls] enable = 1 in %s/sipc.conf) but its "
                "node still runs TLS off (%s): it has not applied that change; until it does, "
                "sipcctl dials as it does, TLS offered first and a plaintext answer taken\n",
                home, SIPC_HOME_TLS_FILE);
    return 0;
}

int ctl_connect(const ctl *o, const char *target, const char *service, ctl_client *cl)
{
    memset(cl, 0, sizeof *cl);
    signal(SIGPIPE, SIG_IGN);
    cl->timeout_ms = (uint32_t)o->timeout_ms;
    cl->quiet_log = !o->verbose;
    char err[1024] = "";
    if (sipc_config_load_or_defaults(&cl->cfg, o->home, err, sizeof err) != 0) {
        return ctl_fail(SIPC_EXIT_CONFIG, "%s", err);
    }
    if (!target && !(o->node && *o->node) && sipc_cli_home_client_only(&cl->cfg)) {
        char list[1200] = "";
        for (int i = 0, w = 0; i < cl->cfg.nnodes && w < (int)sizeof list; i++)
            w += snprintf(list + w, sizeof list - (size_t)w, "%s%s", i ? ", " : "",
                          cl->cfg.nodes[i]);
        return ctl_fail(SIPC_EXIT_USAGE,
                        "%s is a client-only home (" SIPC_CLI_CLIENT_ONLY_RULE "): it has no node "
                        "of its own to ask: give --node HOST, one of its [cluster] nodes (%s)",
                        cl->cfg.home, list);
    }
    /* this home's node on a wildcard listens on loopback too, as tlstool dials it */
    if (!target)
        target = o->node && *o->node ? o->node : sipc_cli_home_node_host(&cl->cfg);
    char host[160];
    int port;
    if (sipc_parse_address(target, sipc_config_port(&cl->cfg, service), host, sizeof host,
                           &port) != 0) {
        return ctl_fail(SIPC_EXIT_USAGE, "'%s' is not ADDRESS[:PORT]", target);
    }
    /* every line and JSON answer names it so: a --node given with bytes
     * that are not printable UTF-8 shows them as \xNN, as a node's text */
    char asked[sizeof host + 16];
    snprintf(asked, sizeof asked, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
    cli_shown(asked, cl->target, sizeof cl->target);
    sipc_str_copy(cl->service, sizeof cl->service, service);
    /* this home's own node: a refused connection then says whether its
     * sipcd runs (the home's lock) */
    char own[160];
    int own_port;
    cl->home_node = sipc_parse_address(sipc_cli_home_node_host(&cl->cfg),
                                       sipc_config_port(&cl->cfg, service), own, sizeof own,
                                       &own_port) == 0 &&
                    own_port == port && sipc_same_host(own, host);
    sipc_security *sec;
    cl->any_node = o->cmd && !strcmp(o->cmd, "reload");
    if (home_security(&cl->cfg, cl->home_node, cl->any_node, 0, &sec, err, sizeof err) != 0) {
        return ctl_fail(SIPC_EXIT_CONFIG, "%s", err);
    }
    uv_loop_init(&cl->loop);
    cl->loop_open = 1;
    sipc_options opts;
    sipc_options_from_config(&opts, &cl->cfg);
    char id[64];
    /* who asks, in the node's logs; from which home, for its strict guard */
    sipc_cli_client_id("sipcctl", sipc_home_resolve(o->home), id, sizeof id);
    opts.node_id = id;
    opts.handshake_timeout_ms = cl->timeout_ms;
    opts.log = quiet_sink;
    opts.log_arg = cl;
    int e = sipc_ctx_new(&cl->ctx, &cl->loop, &opts, sec);
    cl->sec = sec; /* kept to judge a refused peer against this home's own pair */
    if (e == 0)
        e = sipc_channel_open(&cl->ch, cl->ctx, host, port, NULL);
    if (e != 0) {
        ctl_disconnect(cl);
        return ctl_fail(ctl_exit_code(e), "%s", sipc_strerror(e));
    }
    sipc_channel_set_fail_fast(cl->ch, 1);
    sipc_channel_set_conn_cb(cl->ch, on_conn, cl);
    return 0;
}

const char *ctl_tls_setup(const sipc_security *sec)
{
    switch (sipc_security_mode(sec)) {
    case SIPC_TLS_STRICT:
        return "TLS strict";
    case SIPC_TLS_PERMISSIVE:
        return "TLS off, the imported pair offered first";
    default:
        return "TLS off";
    }
}

/* Whether two stats of sipc.conf are the same file, unchanged between them. */
static int conf_same(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

int ctl_follow_home(ctl_client *cl, char *said, size_t n)
{
    said[0] = '\0';
    sipc_config cfg;
    char err[1024] = "", conf[700];
    struct stat before, after;
    snprintf(conf, sizeof conf, "%.600s/sipc.conf", cl->cfg.home);
    /* the home the context was made from, as main resolved it; read whole
     * while nobody writes it (tlstool replaces it by a rename: at once) */
    int stable = 0;
    for (int i = 0; i < 3 && !stable; i++) {
        int had = stat(conf, &before) == 0;
        if (sipc_config_load_or_defaults(&cfg, cl->cfg.home, err, sizeof err) != 0) {
            snprintf(said, n, "%s", err);
            return SIPC_ECONFIG;
        }
        if (!had)
            break; /* no sipc.conf: the defaults, which never leave strict TLS (below) */
        stable = stat(conf, &after) == 0 && conf_same(&before, &after);
        if (!stable)
            uv_sleep(20);
    }
    sipc_security *sec;
    int e = home_security(&cfg, cl->home_node, cl->any_node, 1, &sec, err, sizeof err);
    if (e != 0) {
        snprintf(said, n, "%s", err);
        return e < 0 ? e : SIPC_ECONFIG;
    }
    sipc_security *old = cl->sec;
    const char *fp_old = sipc_security_fingerprint(old), *fp_new = sipc_security_fingerprint(sec);
    int mode_changed = sipc_security_mode(sec) != sipc_security_mode(old);
    int pair_changed = strcmp(fp_old, fp_new) != 0;
    /* Away from strict TLS only on the home's explicit word: a sipc.conf
     * that is gone, being written, or cut short reads as TLS off by
     * default, and the refusal that brought us here can come from anyone
     * who answers in plaintext. */
    int downgrade = sipc_security_mode(old) == SIPC_TLS_STRICT &&
                    sipc_security_mode(sec) != SIPC_TLS_STRICT;
    if (downgrade && mode_changed && (!stable || cfg.tls_enable_line == 0)) {
        snprintf(said, n,
                 "this home's sipc.conf (%s) %s: sipcctl leaves strict TLS only when its home "
                 "says [tls] enable = 0 on a line of its own, read whole",
                 conf,
                 !stable ? "kept changing while it was read"
                         : "does not say [tls] enable at all (it is missing, being written or cut "
                           "short), which reads as TLS off by default");
        sipc_security_release(sec);
        return 0;
    }
    if (!mode_changed && !pair_changed) {
        sipc_security_release(sec);
        return 0;
    }
    e = sipc_ctx_set_security(cl->ctx, sec);
    if (e != 0) {
        sipc_security_release(sec);
        snprintf(said, n, "%s", sipc_strerror(e));
        return e;
    }
    char what[400] = "";
    if (mode_changed)
        snprintf(what, sizeof what, "%s -> %s", ctl_tls_setup(old), ctl_tls_setup(sec));
    if (pair_changed && *fp_old && *fp_new) {
        size_t w = strlen(what);
        snprintf(what + w, sizeof what - w, "%skey pair sha256 %.16s... -> %.16s...",
                 w ? ", " : "", fp_old, fp_new);
    }
    snprintf(said, n, "this home's TLS setup (%s) changed during this run (%s): sipcctl "
             "follows it, as the node does on a reload",
             cl->cfg.home, what);
    /* the [tls] settings only: the rest is what the context was made with
     * ([limits], the cluster's name in its hello), and stays as it is */
    sipc_config_copy_tls(&cl->cfg, &cfg);
    cl->sec = sec; /* the context holds its own reference */
    sipc_security_release(old);
    cl->followed++;
    return 1;
}

typedef struct pending {
    ctl_reply *rep;
    int done;
} pending;

static void on_reply(int err, const sipc_reply *r, void *arg)
{
    pending *p = arg;
    p->rep->err = err;
    p->rep->status = r->status;
    p->rep->sent = r->sent;
    sipc_str_copy_utf8(p->rep->message, sizeof p->rep->message, r->message);
    if (r->len) {
        p->rep->data = malloc(r->len);
        if (p->rep->data) {
            memcpy(p->rep->data, r->data, r->len);
            p->rep->len = r->len;
        } else if (!err) {
            p->rep->err = SIPC_ENOMEM;
        }
    }
    p->done = 1;
}

int ctl_call(ctl_client *cl, const char *service, const char *method, const void *data,
             size_t len, ctl_reply *rep)
{
    memset(rep, 0, sizeof *rep);
    pending p = {rep, 0};
    int e = sipc_call(cl->ch, service, method, data, len, cl->timeout_ms, on_reply, &p);
    if (e == SIPC_ETOOBIG) {
        /* too big to send at all: the input's fault, not the link's */
        rep->err = e;
        rep->too_big = 1;
        char conf[320];
        snprintf(conf, sizeof conf, "%.300s/sipc.conf", cl->cfg.home);
        int have_conf = access(conf, F_OK) == 0;
        snprintf(rep->message, sizeof rep->message,
                 "the request is %zu bytes, which with its envelope is more than the largest "
                 "frame sent from here (%zu, %s[limits] max_frame in %s)",
                 len, cl->cfg.max_frame, have_conf ? "" : "the default; set ", conf);
        return e;
    }
    if (e != 0) {
        rep->err = e;
        snprintf(rep->message, sizeof rep->message, "%s", sipc_strerror(e));
        return e;
    }
    /* the call's deadline bounds this loop */
    while (!p.done && uv_run(&cl->loop, UV_RUN_ONCE))
        ;
    if (!p.done) {
        rep->err = SIPC_ECANCELED;
        return rep->err;
    }
    sipc_link_info li;
    if (rep->err == SIPC_ECLUSTER && sipc_channel_info(cl->ch, &li) == 0) {
        snprintf(rep->peer_cluster, sizeof rep->peer_cluster, "%s", li.peer_cluster);
        rep->peer_cluster_cut = li.peer_cluster_cut;
    }
    return rep->err;
}

void ctl_reply_free(ctl_reply *rep)
{
    free(rep->data);
    rep->data = NULL;
    rep->len = 0;
}

int ctl_home_subject_fault(const ctl_client *cl, int err, const char *peer_reason, char *why,
                           size_t len)
{
    return sipc_cli_home_subject_fault(cl->sec, &cl->cfg, err, peer_reason, why, len);
}

static char failure[4096];

/* Appends a failure's text, as shown, to what ctl_failure gives; a cut falls
 * between characters. */
static void keep_failure(const char *shown)
{
    size_t n = strlen(failure);
    if (n) {
        if (n + 3 >= sizeof failure)
            return;
        memcpy(failure + n, "; ", 3);
        n += 2;
    }
    sipc_str_copy_utf8(failure + n, sizeof failure - n, shown);
}

/* Says fmt's text on stderr and keeps it for ctl_failure, as a terminal may
 * show it: what came from outside (a node's words, a path, a --node address)
 * escaped as cli_shown does it, so that it reads the same as in the logs and
 * the JSON forms, and cut between characters. Text already shown passes
 * unchanged. */
static void say_failure_v(const char *fmt, va_list ap)
{
    char *raw = NULL, text[2048];
    if (vasprintf(&raw, fmt, ap) < 0)
        raw = NULL;
    cli_shown(raw ? raw : "out of memory", text, sizeof text);
    free(raw);
    keep_failure(text);
    cli_fail("sipcctl", 0, "%s", text);
}

/* A line of a failure before the one that ends it. */
static void say_failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say_failure(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_failure_v(fmt, ap);
    va_end(ap);
}

int ctl_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_failure_v(fmt, ap);
    va_end(ap);
    return code;
}

const char *ctl_failure(void)
{
    return failure;
}

char *ctl_base64(const uint8_t *p, size_t n)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1), *w = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        *w++ = A[v >> 18 & 63];
        *w++ = A[v >> 12 & 63];
        *w++ = i + 1 < n ? A[v >> 6 & 63] : '=';
        *w++ = i + 2 < n ? A[v & 63] : '=';
    }
    *w = '\0';
    return out;
}

static int answered; /* a --json answer was printed */

int ctl_print_json(const void *json, size_t flags)
{
    answered = 1;
    if (json_dumpf(json, stdout, flags) != 0)
        return 1;
    putchar('\n');
    return 0;
}

static char failed_address[sizeof ((ctl_client *)0)->target];

void ctl_failure_address(const char *address)
{
    sipc_str_copy_utf8(failed_address, sizeof failed_address, address);
}

int ctl_json_outcome(const ctl *o, int rc)
{
    /* a usage mistake is said on stderr only, as for every command */
    if (!o->json || !rc || rc == SIPC_EXIT_USAGE || answered)
        return rc;
    json_t *j = json_pack("{s:b, s:o, s:i}", "ok", 0, "error", sipc_json_text(ctl_failure()),
                          "exit_code", rc);
    if (failed_address[0])
        json_object_set_new(j, "address", sipc_json_text(failed_address));
    if (o->expect_mode) {
        json_object_set_new(j, "expect_mode", json_string(o->expect_mode));
        json_object_set_new(j, "expect_met", json_false());
    }
    ctl_print_json(j, JSON_INDENT(2));
    json_decref(j);
    return rc;
}

int ctl_report_home_fault(const ctl_client *cl, const char *service, const char *method,
                          const char *why)
{
    say_failure("%s.%s to %s not sent: %s", service, method, cl->target, why);
    /* a reload would apply this very file: the node refuses it for the same
     * reason, and SIGHUP lets it say so in its own log */
    if (!strcmp(method, "reload"))
        return ctl_fail(SIPC_EXIT_CONFIG, "the node was not asked: this side refuses its certificate "
                                   "under that subject. Fix [tls] subject in sipc.conf and reload "
                                   "again, or send the node SIGHUP (systemctl reload sipcd) to "
                                   "have it check the file itself: on a node with TLS enabled it "
                                   "refuses a subject its own certificate does not carry, and its "
                                   "running setup stays");
    return ctl_fail(SIPC_EXIT_CONFIG, "the node was not asked: this side refuses its certificate under "
                               "that subject. Fix [tls] subject in sipc.conf (`tlstool status` "
                               "shows this home's certificate and subject); a running node keeps "
                               "the subject it loaded until it reloads");
}

int ctl_report_failure(const ctl_client *cl, const char *service, const char *method,
                       const ctl_reply *rep)
{
    char why[1600];
    if (ctl_home_subject_fault(cl, rep->err, rep->message, why, sizeof why))
        return ctl_report_home_fault(cl, service, method, why);
    return ctl_report_call_failure(cl, service, method, rep);
}

int ctl_fail_no_answer(const ctl_client *cl, const char *method, const ctl_reply *rep,
                       const char *shows)
{
    if (rep->err == SIPC_ETIMEDOUT)
        return ctl_fail(SIPC_EXIT_TEMPFAIL,
                        "management.%s to %s: no answer within the deadline (--timeout %u ms): "
                        "the node may have applied it; `sipcctl status --node %s` shows %s",
                        method, cl->target, (unsigned)cl->timeout_ms, cl->target, shows);
    char why[700];
    cli_shown(rep->message, why, sizeof why);
    return ctl_fail(SIPC_EXIT_TEMPFAIL,
                    "management.%s to %s: the connection was lost before the answer (%s): the "
                    "node may have applied it; `sipcctl status --node %s` shows %s",
                    method, cl->target, why, cl->target, shows);
}

int ctl_report_call_failure(const ctl_client *cl, const char *service, const char *method,
                            const ctl_reply *rep)
{
    int err = rep->err;
    if (rep->too_big)
        return ctl_fail(1, "%s.%s to %s not sent: %s", service, method, cl->target, rep->message);
    char fix[900], line[1400];
    ctl_failure_text(cl, rep, line, sizeof line, fix, sizeof fix);
    return ctl_fail(ctl_exit_code(err), "%s.%s to %s failed: %s%s", service, method, cl->target,
                    line, fix);
}

/* A node answered in plaintext where sipcctl from this home speaks TLS
 * only (home_security): what reaches it, or why this is not the node. */
static void plaintext_fix(const ctl_client *cl, char *fix, size_t flen)
{
    const char *home = cl->cfg.home;
    int running = cl->home_node ? sipc__home_tls_running(home) : -1;
    if (!cl->cfg.tls_enable && (running < 0 || running == SIPC_TLS_OFF))
        return; /* TLS offered first: a plaintext answer is taken, not refused */
    if (!cl->home_node) {
        snprintf(fix, flen,
                 "; this home is set to TLS ([tls] enable = 1), so sipcctl from it speaks TLS "
                 "only toward another node than its own (a reload takes a plaintext answer "
                 "only while this home's own node still runs TLS off, as %s/%s says): if that "
                 "node's home was set to TLS without a reload, apply it there (`systemctl "
                 "reload sipcd`, SIGHUP)",
                 home, SIPC_HOME_TLS_FILE);
        return;
    }
    if (!sipc_cli_home_plaintext_impostor("sipcctl", &cl->cfg, cl->target, cl->service, fix, flen))
        snprintf(fix, flen,
                 " (this home is set to TLS ([tls] enable = 1), so sipcctl from it speaks TLS "
                 "only: its node has not applied that change yet, and %s/%s, by which sipcctl "
                 "would dial it as it runs, cannot be read from this account or was not "
                 "written (a sipcd older than this sipcctl): apply the change with `systemctl "
                 "reload sipcd` (SIGHUP) or `tlstool enable --reload` in this home, or run "
                 "sipcctl as the node's account)",
                 home, SIPC_HOME_TLS_FILE);
}

void ctl_failure_text(const ctl_client *cl, const ctl_reply *rep, char *line, size_t llen,
                      char *fix, size_t flen)
{
    /* the library names both clusters; what to change is this home's business */
    fix[0] = '\0';
    struct stat st;
    if (rep->err == SIPC_ECLUSTER)
        sipc_cli_cluster_fix(&cl->cfg, rep->peer_cluster, rep->peer_cluster_cut, fix, flen);
    else if (stat(cl->cfg.home, &st) != 0) /* only the default home can be missing (main) */
        snprintf(fix, flen,
                 " (no node home: %s, the default, does not exist, so sipcctl used the built-in "
                 "settings: plaintext, cluster sipc, the standard ports; give the node's home "
                 "with --home DIR or SIPC_HOME)",
                 cl->cfg.home);
    else if (rep->err == UV_ECONNREFUSED && cl->home_node && flen > 8) {
        fix[0] = ' ';
        fix[1] = '(';
        ctl_home_node_down(cl, fix + 2, flen - 3);
        strcat(fix, ")");
    } else if (rep->err == SIPC_EPLAINTEXT) {
        plaintext_fix(cl, fix, flen);
    } else if (rep->err == UV_ECONNREFUSED) {
        /* another node: only its own sipc.conf knows where it listens */
        snprintf(fix, flen,
                 "; is sipcd running there, on that address and port? (that node's [node] "
                 "address and [%s] port)",
                 cl->service);
    }
    cli_err_line(line, llen, rep->err, rep->message);
}

void ctl_disconnect(ctl_client *cl)
{
    sipc_security_release(cl->sec);
    cl->sec = NULL;
    if (cl->ctx) {
        sipc_ctx_close(cl->ctx, NULL, NULL);
        cl->ctx = NULL;
        cl->ch = NULL;
        uv_run(&cl->loop, UV_RUN_DEFAULT);
    }
    if (cl->loop_open) {
        uv_loop_close(&cl->loop);
        cl->loop_open = 0;
    }
}
