/* host_status.c - the sections sipcd adds to the management channel's
 * status: the strict guard, the storage (and the outcome of state/'s
 * writes it shows, and a write of a state/ file counted so), the log files,
 * the keepalive and the pipeline's unresponsive destinations (the reload's
 * is reload.c's). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/file_replace.h"
#include "certs/keypair.h"
#include "certs/trust.h"
#include "host.h"
#include "json_text.h"
#include "management_service.h"
#include "rfc3339.h"
#include "services/data/data_service.h"
#include "services/pipeline/pipeline_service.h"

static json_t *guard_status(void *arg)
{
    host *h = arg;
    json_t *g = host_peers_guard_json(&h->peers, h->cfg.strict_guard_window, h->cfg.node_id,
                                      (int64_t)time(NULL));
    /* tls.mode is the running mode: say when sipc.conf asked for strict */
    if (g)
        json_object_set_new(g, "held_back", json_boolean(h->guarded));
    return g;
}

json_t *host_health_json(const host_health *hl)
{
    json_t *j = json_pack("{s:b, s:I}", "failing", hl->failing, "failures_total",
                          (json_int_t)hl->failures_total);
    if (j && hl->failing) {
        char since[32], last[32];
        sipc_rfc3339_format(hl->since_unix_ms, 0, since, sizeof since);
        sipc_rfc3339_format(hl->last_unix_ms, 0, last, sizeof last);
        json_object_update_new(j, json_pack("{s:I, s:s, s:s, s:o}", "failures",
                                            (json_int_t)hl->failures, "since", since,
                                            "last_failure", last, "last_error",
                                            sipc_json_text(hl->last_error)));
    }
    return j;
}

/* The data service's and the logger's health records hold host_health's
 * fields under types of their own: one conversion for both. */
static json_t *health_of(int failing, uint64_t failures, int64_t since_unix_ms,
                         int64_t last_unix_ms, uint64_t failures_total, const char *last_error)
{
    host_health hl;
    memset(&hl, 0, sizeof hl);
    hl.failing = failing;
    hl.failures = failures;
    hl.since_unix_ms = since_unix_ms;
    hl.last_unix_ms = last_unix_ms;
    hl.failures_total = failures_total;
    snprintf(hl.last_error, sizeof hl.last_error, "%s", last_error);
    return host_health_json(&hl);
}

static json_t *data_health_json(const sipc_data_health *dh)
{
    return health_of(dh->failing, dh->failures, dh->since_unix_ms, dh->last_unix_ms,
                     dh->failures_total, dh->last_error);
}

/* The data service's database health for the status ("storage"), with the
 * writes of state/ beside it. */
static json_t *storage_status(void *arg)
{
    host *h = arg;
    if (!h->data)
        return NULL;
    sipc_data_health w, r;
    sipc_data_health_get(h->data, &w, &r);
    sipc_data_open_state os;
    sipc_data_open_state_get(h->data, &os);
    /* lost records found at a start stay until the operator acknowledges
     * them (management.ack, or state/records-lost removed) */
    json_t *j = json_pack("{s:o, s:o, s:o*, s:b}", "writes", data_health_json(&w), "reads",
                          data_health_json(&r), "records_lost", records_lost_json(h->cfg.home),
                          "open", os.open);
    if (j && !os.open) {
        char since[32], last[32];
        sipc_rfc3339_format(os.since_unix_ms, 0, since, sizeof since);
        sipc_rfc3339_format(os.last_unix_ms, 0, last, sizeof last);
        json_object_set_new(j, "not_open",
                            json_pack("{s:s, s:s, s:I, s:o}", "since", since, "last_attempt",
                                      last, "attempts", (json_int_t)os.attempts, "reason",
                                      sipc_json_text(os.reason)));
    }
    /* writes held up (a lock, a slow disk) fail nothing until the busy
     * timeout, or never: how long they wait says it meanwhile */
    sipc_data_waiting wt;
    sipc_data_waiting_get(h->data, &wt);
    json_t *wj = json_object_get(j, "writes");
    if (wj)
        json_object_update_new(wj, json_pack("{s:I, s:I, s:I, s:b, s:I}", "waiting",
                                             (json_int_t)wt.requests, "waiting_bytes",
                                             (json_int_t)wt.bytes, "oldest_wait_ms",
                                             (json_int_t)wt.oldest_ms, "slow", wt.slow,
                                             "slow_after_ms", (json_int_t)wt.slow_after_ms));
    json_t *st = j ? host_health_json(&h->state_health) : NULL;
    if (st) {
        char dir[700];
        snprintf(dir, sizeof dir, "%s/state", h->cfg.home);
        json_object_set_new(st, "dir", sipc_json_text(dir));
        json_object_set_new(j, "state", st);
    }
    return j;
}

/* Whether the log files can be written (sipc_logger_health), in the
 * storage's shape, with the lines never written to them, and those dropped
 * at a day's file's cap. */
static json_t *logs_status(void *arg)
{
    host *h = arg;
    sipc_log_health lh;
    if (sipc_logger_health(h->svc[HOST_MANAGEMENT].log, &lh) != 0)
        return NULL;
    json_t *j = health_of(lh.failing, lh.failures, lh.since_unix_ms, lh.last_unix_ms,
                          lh.failures_total, lh.last_error);
    char dir[700];
    snprintf(dir, sizeof dir, "%s/logs", h->cfg.home);
    if (j) {
        json_object_set_new(j, "dir", sipc_json_text(dir));
        json_object_set_new(j, "lines_lost_total", json_integer((json_int_t)lh.lines_lost_total));
        json_object_set_new(j, "capped", json_boolean(lh.capped));
        json_object_set_new(j, "lines_dropped_total",
                            json_integer((json_int_t)lh.lines_dropped_total));
        json_object_set_new(j, "file_cap_bytes", json_integer((json_int_t)lh.file_cap_bytes));
    }
    return j;
}

/* The keepalive and idle close in effect, ms, 0 for off: fixed at start (a
 * reload changes neither the contexts' values nor h->cfg's copy of them). */
static json_t *keepalive_status(void *arg)
{
    host *h = arg;
    sipc_options o;
    sipc_options_from_config(&o, &h->cfg);
    return json_pack("{s:I, s:I, s:I}", "keepalive_ms", (json_int_t)o.keepalive_ms,
                     "keepalive_timeout_ms", (json_int_t)o.keepalive_timeout_ms,
                     "idle_timeout_ms", (json_int_t)o.idle_timeout_ms);
}

static void add_silent(void *arg, const sipc_pipeline_silent *s)
{
    json_array_append_new(arg, json_pack("{s:s, s:o, s:I}", "address", s->name, "node",
                                         sipc_json_text(s->node), "silent_ms",
                                         (json_int_t)s->silent_ms));
}

/* The pipeline's destinations judged unresponsive (nothing received while
 * puts waited): their records are answered UNAVAILABLE at once, which the
 * links alone do not say (their connection is still up). */
static json_t *pipeline_status(void *arg)
{
    host *h = arg;
    if (!h->pipeline)
        return NULL;
    json_t *silent = json_array();
    sipc_pipeline_silent_each(h->pipeline, add_silent, silent);
    return json_pack("{s:I, s:o}", "unresponsive_ms",
                     (json_int_t)sipc_pipeline_unresponsive_ms(h->pipeline), "unresponsive",
                     silent);
}

/* The pair and rotation step the home holds, which the node runs only from
 * its next reload or start: a `tlstool rotate` step taken without --reload
 * leaves them apart from what tls says, and the cluster's note names the
 * reload that applies it. */
static json_t *home_pair_status(void *arg)
{
    host *h = arg;
    char path[1200], err[1400], fp[65];
    snprintf(path, sizeof path, "%s/security/node.crt", h->cfg.home);
    sipc_rotation rot;
    const char *step = sipc_rotation_read(h->cfg.home, &rot, err, sizeof err) != 0 ? ""
                       : rot.state == SIPC_ROTATION_NONE ? "none"
                                                          : sipc_rotation_state_name(rot.state);
    /* the certificate alone: the key is no part of the answer */
    (void)sipc_cert_file_fingerprint(path, fp, err, sizeof err);
    return json_pack("{s:s, s:s}", "fingerprint_sha256", fp, "rotation", step);
}

/* How the run before this one ended, as this start found it (host.h):
 * clean unless it left its pid in the home's lock file. */
static json_t *last_stop_status(void *arg)
{
    host *h = arg;
    if (!h->prev_run.pid)
        return json_pack("{s:b}", "clean", 1);
    char started[32];
    sipc_rfc3339_format(h->prev_run.started_ms, 0, started, sizeof started);
    return json_pack("{s:b, s:I, s:s}", "clean", 0, "pid", (json_int_t)h->prev_run.pid,
                     "started", started);
}

int host_status_sections_add(host *h)
{
    static const struct {
        const char *key;
        sipc_mgmt_section_fn fn;
    } sections[] = {{"guard", guard_status},   {"storage", storage_status},
                    {"logs", logs_status},     {"reload", host_reload_status},
                    {"keepalive", keepalive_status}, {"last_stop", last_stop_status},
                    {"home_pair", home_pair_status}, {"pipeline", pipeline_status}};
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        int r = sipc_mgmt_add_section(h->mgmt, sections[i].key, sections[i].fn, h);
        if (r != 0)
            return r;
    }
    return 0;
}

void host_state_written(host *h, const char *name, int r, const char *err)
{
    host_health *hl = &h->state_health;
    if (r == 0) {
        if (hl->failing && !strcmp(hl->what, name)) {
            sipc_logf(h->svc[HOST_DATA].log, SIPC_LOG_INFO, "Data.Storage",
                      "The files of state/ are written again (state/%s): %llu write%s failed "
                      "since the first failure",
                      name, (unsigned long long)hl->failures, hl->failures == 1 ? "" : "s");
            hl->failing = 0;
            hl->failures = 0;
            hl->last_error[0] = hl->what[0] = '\0';
        }
        return;
    }
    int64_t now = sipc_rfc3339_now_ms();
    if (!hl->failing) {
        hl->failing = 1;
        hl->failures = 0;
        hl->since_unix_ms = now;
        snprintf(hl->what, sizeof hl->what, "%s", name);
    }
    hl->failures++;
    hl->failures_total++;
    hl->last_unix_ms = now;
    /* state/'s code names the system's word ("Too many open files"), which
     * alone sends the operator to the disk: the cause in full instead */
    char fds[700];
    int e = strstr(err, strerror(EMFILE)) ? EMFILE : strstr(err, strerror(ENFILE)) ? ENFILE : 0;
    if (e && sipc_fd_explain(e, fds, sizeof fds))
        snprintf(hl->last_error, sizeof hl->last_error, "%s: %s", err, fds);
    else
        snprintf(hl->last_error, sizeof hl->last_error, "%s", err);
}

int host_state_put(host *h, const char *name, const char *text, char *err, size_t errlen)
{
    char dir[700], path[800];
    int dfd;
    int r = host_state_dir(h->cfg.home, dir, sizeof dir, &dfd, NULL, err, errlen);
    if (r == 0) {
        snprintf(path, sizeof path, "%s/%s", dir, name);
        r = sipc__file_replace_at(dfd, path, name, text, strlen(text), 0600, (uid_t)-1,
                                  (gid_t)-1, err, errlen);
        close(dfd);
    }
    host_state_written(h, name, r, err);
    return r;
}
