/* reload.c - sipcd re-reads sipc.conf and the imported pair without a
 * restart (SIGHUP, management.reload). Everything is read and checked on the
 * thread pool first; only when all of it is valid is anything applied, on the
 * loop thread: each context (the services', the management channel's links,
 * the pipeline's links) gets its new security for new connections, and the
 * connections made before are replaced through GOAWAY (reload_retire.c), so
 * that none is cut in the middle of a request. What a running node cannot change (ports, address,
 * node id, cluster, limits) is reported as needing a restart and left as it
 * is. Three guards refuse a reload as a whole: going strict while peers
 * still speak plaintext to this node (its peer history; strict_guard.c),
 * going off while other nodes run strict (asked over the management
 * channels; off_guard.c), and applying new CRLs, or narrowing the trust,
 * while every other node this node accepts presents a certificate the
 * reload refuses (each dialled; some of them only: applied, with a
 * warning; crl_guard.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/home_owner.h"
#include "host.h"
#include "json_text.h"
#include "rfc3339.h"
#include "management_service.h"
#include "mgmt_health.h"
#include "services/pipeline/pipeline_service.h"
#include "reload_job.h"
#include "crl_guard.h"
#include "off_guard.h"
#include "reload_dials.h"
#include "strict_guard.h"

/* A reload that goes off asks the other nodes within the caller's deadline
 * less this, so that the answer (what was done) reaches the caller before
 * it gives up; with less than OFF_ASK_MIN_MS left for the question, the
 * nodes would only count as not asked, so the reload is refused instead. */
#define OFF_ANSWER_MARGIN_MS 300
#define OFF_ASK_MIN_MS 200

/* Whether the override is there (a regular file), and its inode. */
static int override_file(const char *home, ino_t *ino)
{
    char path[1200];
    struct stat st;
    if (!host_force_strict_pending(home, path, sizeof path, NULL) || lstat(path, &st) != 0)
        return 0;
    *ino = st.st_ino;
    return 1;
}

static void load_all(uv_work_t *w)
{
    reload_job *j = w->data;
    char err[1200];
    j->override_seen = override_file(j->h->cfg.home, &j->override_ino);
    /* its warnings are kept for the answer, its refusal is the reload's */
    int cr = 0;
    if (sipc_config_load(&j->cfg, j->h->cfg.home, err, sizeof err) != 0 ||
        (cr = sipc_config_check_run(&j->cfg, host_svc_names, HOST_NSERVICES, j->conf_warning,
                                    sizeof j->conf_warning)) < 0 ||
        sipc__home_guard(j->cfg.home, err, sizeof err) != 0) {
        j->failed = 1;
        /* check_run's refusal is one line, as long as the others' */
        snprintf(j->err, sizeof j->err, "%.1400s", cr < 0 ? j->conf_warning : err);
        return;
    }
    /* before the loads, as at start: a change meanwhile is seen next time;
     * a folder that cannot be read refuses the reload, in the loads' words
     * when they fail on it too */
    char unread[800];
    int files = host_files_read(j->cfg.home, "trust", &j->trust, unread, sizeof unread);
    if (files == 0)
        files = host_files_read(j->cfg.home, "crl", &j->crl, unread, sizeof unread);
    if (files == 0)
        files = host_rotation_read(j->cfg.home, &j->rotation, unread, sizeof unread);
    for (int i = 0; i < HOST_NSERVICES; i++) {
        if (sipc_security_load_service(&j->sec[i], &j->cfg, host_svc_names[i], err, sizeof err) != 0) {
            j->failed = 1;
            snprintf(j->err, sizeof j->err, "%s", err);
            return;
        }
        char health[1024];
        if (host_subject_refusal(&j->cfg, host_svc_names[i], j->sec[i], health, sizeof health) != 0 ||
            sipc_security_self_check(j->sec[i], health, sizeof health) != 0) {
            j->failed = 1;
            snprintf(j->err, sizeof j->err, "%s", health);
            return;
        }
    }
    if (host_probe_security(&j->cfg, &j->probe, err, sizeof err) != 0) {
        j->failed = 1;
        snprintf(j->err, sizeof j->err, "%s", err);
        return;
    }
    if (files != 0) {
        j->failed = 1;
        snprintf(j->err, sizeof j->err, "%s", unread);
    }
}

static void change(reload_job *j, const char *fmt, const char *a, const char *b)
{
    if (j->nchanges < RELOAD_MAX_CHANGES)
        snprintf(j->changes[j->nchanges++], sizeof j->changes[0], fmt, a, b);
}

static void restart(reload_job *j, const char *what, const char *a, const char *b)
{
    if (strcmp(a, b) && j->nrestart < RELOAD_MAX_CHANGES)
        snprintf(j->restart[j->nrestart++], sizeof j->restart[0], "%s: %s -> %s", what,
                 a[0] ? a : "(none)", b[0] ? b : "(none)");
}

static void restart_num(reload_job *j, const char *what, unsigned long long a, unsigned long long b)
{
    char sa[32], sb[32];
    snprintf(sa, sizeof sa, "%llu", a);
    snprintf(sb, sizeof sb, "%llu", b);
    restart(j, what, sa, sb);
}

static void nodes_text(const sipc_config *c, char *out, size_t len)
{
    out[0] = '\0';
    for (int i = 0; i < c->nnodes; i++) {
        size_t l = strlen(out);
        snprintf(out + l, len - l, "%s%s", i ? ", " : "", c->nodes[i]);
    }
}

/* What cannot change while the node runs. */
static void judge_restart(reload_job *j, const sipc_config *o, const sipc_config *n)
{
    restart(j, "[node] id", o->node_id, n->node_id);
    restart(j, "[node] address", o->address, n->address);
    restart(j, "[cluster] name", o->cluster, n->cluster);
    char a[SIPC_MAX_NODES * 162], b[SIPC_MAX_NODES * 162];
    nodes_text(o, a, sizeof a);
    nodes_text(n, b, sizeof b);
    restart(j, "[cluster] nodes", a, b);
    for (int i = 0; i < HOST_NSERVICES; i++) {
        char what[64];
        snprintf(what, sizeof what, "[%s] port", host_svc_names[i]);
        restart_num(j, what, (unsigned)sipc_config_port(o, host_svc_names[i]),
                    (unsigned)sipc_config_port(n, host_svc_names[i]));
    }
    restart(j, "[data] sync", o->data_sync == SIPC_SYNC_FULL ? "full" : "normal",
            n->data_sync == SIPC_SYNC_FULL ? "full" : "normal");
    /* the data service and the pipeline took them at their start; so did
     * the search its longest local search */
    restart_num(j, "[data] max_attributes", o->data_max_attributes, n->data_max_attributes);
    restart_num(j, "[search] max_local_ms", o->search_max_local_ms, n->search_max_local_ms);
    /* [limits] as the contexts use them (defaults filled in, 0: off), so
     * that writing out a default changes nothing; the contexts took them
     * when sipcd started */
    sipc_options oo, no;
    sipc_options_from_config(&oo, o);
    sipc_options_from_config(&no, n);
    restart_num(j, "[limits] max_frame", oo.max_frame, no.max_frame);
    restart_num(j, "[limits] max_connections", oo.max_connections, no.max_connections);
    restart_num(j, "[limits] max_opening", oo.max_opening, no.max_opening);
    restart_num(j, "[limits] max_connections_per_host", oo.max_connections_per_host,
                no.max_connections_per_host);
    restart_num(j, "[limits] max_write_queue", oo.max_write_queue, no.max_write_queue);
    restart_num(j, "[limits] max_write_queue_total", oo.max_write_queue_total,
                no.max_write_queue_total);
    restart_num(j, "[limits] max_read_buffer_total", oo.max_read_buffer_total,
                no.max_read_buffer_total);
    restart_num(j, "[limits] reconnect_max_ms", oo.reconnect_max_ms, no.reconnect_max_ms);
    restart_num(j, "[limits] keepalive_ms", oo.keepalive_ms, no.keepalive_ms);
    restart_num(j, "[limits] keepalive_timeout_ms", oo.keepalive_timeout_ms,
                no.keepalive_timeout_ms);
    restart_num(j, "[limits] idle_timeout_ms", oo.idle_timeout_ms, no.idle_timeout_ms);
    restart(j, "[metrics] address", o->metrics_address, n->metrics_address);
    restart_num(j, "[logs] max_file_size", o->log_max_file_size, n->log_max_file_size);
}

static const char *rev_name(sipc_revocation r)
{
    return r == SIPC_REVOCATION_OFF ? "off" : r == SIPC_REVOCATION_HARD ? "hard" : "soft";
}

static void fp_text(const char *fp, char *out, size_t len)
{
    if (fp[0])
        snprintf(out, len, "sha256 %.16s..", fp);
    else
        snprintf(out, len, "none");
}

/* What a reload applies: the TLS modes, the pair, the trust. */
static void judge_tls(reload_job *j, host *h)
{
    for (int i = 0; i < HOST_NSERVICES; i++) {
        sipc_tls_mode a = sipc_security_mode(h->svc[i].sec), b = sipc_security_mode(j->sec[i]);
        if (a == b)
            continue;
        /* [tls] moves every service but the pipeline alike: one line for them */
        if (i == HOST_DATA)
            change(j, "TLS: %s -> %s", sipc_tls_mode_name(a), sipc_tls_mode_name(b));
        else if (i == HOST_PIPELINE)
            change(j, "pipeline listener TLS: %s -> %s", sipc_tls_mode_name(a),
                   sipc_tls_mode_name(b));
    }
    const char *nfp = sipc_security_fingerprint(j->probe);
    if (strcmp(h->pair_fp, nfp)) {
        char a[64], b[64];
        fp_text(h->pair_fp, a, sizeof a);
        fp_text(nfp, b, sizeof b);
        change(j, "key pair: %s -> %s", a, b);
    }
    char t[120];
    host_files_change_text(&j->trust, &h->trust, "root", "roots", t, sizeof t);
    if (t[0])
        change(j, "trust: %s%s", t, "");
    host_files_change_text(&j->crl, &h->crl, "CRL", "CRLs", t, sizeof t);
    if (t[0])
        change(j, "revocation lists: %s%s", t, "");
    if (!host_files_same(&j->rotation, &h->rotation))
        change(j, "rotation: the pairs trusted during a key rotation changed (see `tlstool rotate "
                  "status`)%s%s",
               "", "");
    if (strcmp(h->cfg.subject, j->cfg.subject))
        change(j, "[tls] subject: '%s' -> '%s'", h->cfg.subject, j->cfg.subject);
    if (h->cfg.revocation != j->cfg.revocation)
        change(j, "[tls] revocation: %s -> %s", rev_name(h->cfg.revocation),
               rev_name(j->cfg.revocation));
    /* settings of the node itself, not of its connections' security: the
     * strict guard reads its window at every judgement, the data service
     * its threshold at every look at its waiting writes, so they apply
     * without a new security (settings_only, apply_settings) */
    int security_changes = j->nchanges;
    char a[32], b[32];
    if (h->cfg.strict_guard_window != j->cfg.strict_guard_window) {
        snprintf(a, sizeof a, "%d s", h->cfg.strict_guard_window);
        snprintf(b, sizeof b, "%d s", j->cfg.strict_guard_window);
        change(j, "[tls] strict_guard_window: %s -> %s", a, b);
    }
    if (h->cfg.data_writes_slow_ms != j->cfg.data_writes_slow_ms) {
        snprintf(a, sizeof a, "%u ms", h->cfg.data_writes_slow_ms);
        snprintf(b, sizeof b, "%u ms", j->cfg.data_writes_slow_ms);
        change(j, "[data] writes_slow_ms: %s -> %s", a, b);
    }
    j->settings_only = security_changes == 0 && j->nchanges > 0;
}

/* The node's own settings a reload applies (judge_tls), with or without a
 * new security. */
static void apply_settings(reload_job *j, host *h)
{
    h->cfg.data_writes_slow_ms = j->cfg.data_writes_slow_ms;
    if (h->data)
        sipc_data_set_writes_slow_ms(h->data, h->cfg.data_writes_slow_ms);
}

/* The guards of a reload whose files load: the strict guard first (a
 * reload takes its override whether needed or not), then the guard of going
 * off, then the CRL or trust guard. NULL to go on, or the refusal's cause,
 * msg saying why; unknown as off_guard gives it. */
static const char *guards(reload_job *j, host *h, char *msg, size_t len, char *unknown,
                          size_t unknown_len)
{
    unknown[0] = '\0';
    if (reload_strict_guard(j, h, msg, len))
        return "strict_guard";
    if (reload_off_guard(j, h, msg, len, unknown, unknown_len))
        return "off_guard";
    return reload_crl_guard(j, h, msg, len);
}

void reload_log_each(host *h, sipc_log_level level, const char *fmt, const char *a,
                     const char *b)
{
    for (int i = 0; i < HOST_NSERVICES; i++)
        if (h->svc[i].log)
            sipc_logf(h->svc[i].log, level, "Service.Reload", fmt, a, b);
}

static void release_job(reload_job *j)
{
    for (int i = 0; i < HOST_NSERVICES; i++)
        sipc_security_release(j->sec[i]);
    sipc_security_release(j->probe);
    for (int i = 0; i < 2; i++)
        sipc_security_release(j->probe_as[i]);
    reload_dials_free(j);
    json_decref(j->modes);
    j->modes = NULL;
}

static void apply(reload_job *j, host *h)
{
    host_tls_running_forget(h);
    for (int i = 0; i < HOST_NSERVICES; i++) {
        host_service *s = &h->svc[i];
        if (s->ctx)
            sipc_ctx_set_security(s->ctx, j->sec[i]);
        sipc_security_release(s->sec);
        s->sec = j->sec[i];
        j->sec[i] = NULL;
        sipc_tls_mode mode = sipc_security_mode(s->sec);
        if (h->mgmt && s->srv)
            sipc_mgmt_set_service_security(h->mgmt, s->srv, s->sec);
        if (s->srv)
            sipc_logf(s->log, SIPC_LOG_INFO, "Service.Reload", "%s: %d (%s)",
                      mode == SIPC_TLS_OFF ? "Port" : "TLS Port", sipc_server_port(s->srv),
                      mode == SIPC_TLS_OFF      ? "plaintext"
                      : mode == SIPC_TLS_STRICT ? "TLS only"
                                                : "TLS and plaintext");
    }
    if (h->probe_ctx)
        sipc_ctx_set_security(h->probe_ctx, j->probe);
    if (h->pipeline)
        sipc_ctx_set_security(sipc_pipeline_links_ctx(h->pipeline), h->svc[HOST_DATA].sec);
    /* only what a reload applies; the rest of the running setup stays */
    sipc_config_copy_tls(&h->cfg, &j->cfg);
    h->cfg.pipeline_tls = j->cfg.pipeline_tls;
    h->guarded = 0;
    if (h->mgmt)
        sipc_mgmt_set_tls(h->mgmt, h->cfg.tls_enable, sipc_config_effective_mode(&h->cfg),
                          h->svc[HOST_DATA].sec);
    snprintf(h->pair_fp, sizeof h->pair_fp, "%s", sipc_security_fingerprint(j->probe));
    host_pair_check(h, 1); /* a new pair: say now what is near, as at start */
    host_tls_notes(h, "Service.Reload");
    host_tls_running_save(h);
    h->trust = j->trust;
    h->crl = j->crl;
    h->rotation = j->rotation;
    reload_retire_start(h);
}

/* Whether a change line (judge_tls) moves a listener's TLS mode. */
static int is_mode_change(const char *line)
{
    return !strncmp(line, "TLS: ", 5) || !strncmp(line, "pipeline listener TLS: ", 23);
}

/* A refused reload changed nothing: its "changes" stay empty and what it
 * would have changed goes to "not_applied", so no reader takes it for done. */
static json_t *answer(reload_job *j, const char *result, const char *message)
{
    json_t *ch = json_array(), *na = json_array(), *rs = json_array();
    int refused = !strcmp(result, "refused");
    for (int i = 0; i < j->nchanges; i++)
        json_array_append_new(refused ? na : ch, sipc_json_text(j->changes[i]));
    for (int i = 0; i < j->nrestart; i++)
        json_array_append_new(rs, sipc_json_text(j->restart[i]));
    json_t *a = json_pack("{s:i,s:s,s:s,s:o,s:o,s:o,s:o,s:b}", "schema", 1, "node",
                          j->h->cfg.node_id, "result", result, "changes", ch, "not_applied", na,
                          "restart_needed", rs, "message", sipc_json_text(message), "force",
                          j->force);
    if (j->cut_off && !refused) {
        json_object_set(a, "cut_off", j->cut_off);
        json_object_set_new(a, "cut_off_acknowledged", json_boolean(j->cut_off_ack));
    }
    /* as the strict guard's cut_off: whom it cut off, not only in the log */
    if (j->cut_off_strict && !refused)
        json_object_set(a, "cut_off_strict", j->cut_off_strict);
    json_decref(j->cut_off);
    json_decref(j->cut_off_strict);
    j->cut_off = j->cut_off_strict = NULL;
    return a;
}

/* ------------------------------------------------ what the status says */

#define RELOAD_RECHECK_MS 12000

static void now_text(char *out, size_t len)
{
    sipc_rfc3339_format(sipc_rfc3339_now_ms(), 0, out, len);
}

/* The refusal's words without the "reload refused: " the answer begins with. */
static const char *refusal_words(const char *reason)
{
    static const char prefix[] = "reload refused: ";
    return strncmp(reason, prefix, sizeof prefix - 1) ? reason : reason + sizeof prefix - 1;
}

/* A reload refused: for the files (cause "files": the node would not start
 * with them) or by the strict guard (cause "strict_guard": the files load,
 * but going strict would cut off peers). */
static void note_refused(host *h, const reload_job *j, const char *cause, const char *reason)
{
    char at[32];
    now_text(at, sizeof at);
    json_decref(h->reload_refused);
    h->reload_refused = json_pack("{s:s, s:o, s:s, s:s, s:s}", "at", at, "reason",
                                  sipc_json_text(refusal_words(reason)), "by",
                                  j->by, "cause", cause, "checked_at", at);
    json_decref(h->reload_pending);
    h->reload_pending = NULL;
    /* the first check a whole interval after the refusal */
    if (h->recheck_on)
        uv_timer_again(&h->recheck_timer);
    h->refused_gen++;
}

/* The changes a reload found waiting for a restart, as the status keeps
 * them (NULL: none). */
static json_t *restart_list(const reload_job *j)
{
    if (!j->nrestart)
        return NULL;
    json_t *rs = json_array();
    for (int i = 0; i < j->nrestart; i++)
        json_array_append_new(rs, sipc_json_text(j->restart[i]));
    return rs;
}

/* restart_needed as a reload of j's files leaves it: what waits for a
 * restart is what this one found (since the first reload that found the
 * same). */
static void note_restart(host *h, const reload_job *j)
{
    json_t *rs = restart_list(j);
    if (!rs || !h->restart_needed || !json_equal(rs, h->restart_needed))
        now_text(h->restart_since, sizeof h->restart_since);
    json_decref(h->restart_needed);
    h->restart_needed = rs;
    if (!rs)
        h->restart_since[0] = '\0';
}

/* A reload that loaded the files: nothing refused any more. */
static void note_loaded(host *h, const reload_job *j)
{
    json_decref(h->reload_refused);
    h->reload_refused = NULL;
    note_restart(h, j);
}

json_t *host_reload_status(void *arg)
{
    host *h = arg;
    return json_pack("{s:O?, s:O?, s:O?, s:s?}", "refused", h->reload_refused, "pending",
                     h->reload_pending, "restart_needed", h->restart_needed,
                     "restart_needed_since",
                     h->restart_since[0] ? h->restart_since : NULL);
}

void host_reload_free(host *h)
{
    json_decref(h->reload_refused);
    json_decref(h->reload_pending);
    json_decref(h->restart_needed);
    json_decref(h->off_strict);
    h->reload_refused = h->reload_pending = h->restart_needed = h->off_strict = NULL;
}

static void after_load(uv_work_t *w, int status);

static void on_recheck_timer(uv_timer_t *t)
{
    host *h = t->data;
    if ((!h->reload_refused && !h->reload_pending) || h->rechecking || h->stopping)
        return;
    reload_job *j = calloc(1, sizeof *j);
    if (!j)
        return;
    j->h = h;
    j->dry = 1;
    j->gen = h->refused_gen;
    j->work.data = j;
    if (uv_queue_work(h->loop, &j->work, load_all, after_load) != 0) {
        free(j);
        return;
    }
    h->rechecking = 1;
}

/* A test may ask for the checks sooner than a node needs them (not under
 * 100 ms: each loads every file of the node on the pool). */
void host_reload_recheck_start(host *h)
{
    long every = RELOAD_RECHECK_MS;
    const char *env = getenv("SIPCD_RELOAD_RECHECK_MS");
    if (env && atol(env) > 0)
        every = atol(env) < 100 ? 100 : atol(env);
    /* no cause judged yet: a zeroed host would read as revoked by a CRL */
    reload_crl_forget(h);
    uv_timer_init(h->loop, &h->recheck_timer);
    h->recheck_timer.data = h;
    h->recheck_on = 1;
    uv_timer_start(&h->recheck_timer, on_recheck_timer, (uint64_t)every, (uint64_t)every);
}

/* A refusal that still stands, checked again: the status tells the reason
 * of now (the operator may have fixed one thing and broken another), and
 * the log says so once when it changed: another file error, or the guard
 * instead of the files or back. The guard's own words change with every
 * check ("45 s ago"), so they alone are no change worth a line; nor are a
 * file error's numbers alone (an expired pair's "now T"). */
/* Whether two reasons say the same but for their numbers: a certificate's
 * verdict names the time of the check ("now T"), which is no news. */
static int same_but_numbers(const char *a, const char *b)
{
    while (*a && *b) {
        int da = *a >= '0' && *a <= '9', db = *b >= '0' && *b <= '9';
        if (da != db)
            return 0;
        if (da) {
            while (*a >= '0' && *a <= '9')
                a++;
            while (*b >= '0' && *b <= '9')
                b++;
        } else if (*a++ != *b++) {
            return 0;
        }
    }
    return *a == *b;
}

static void refusal_stands(host *h, const char *cause, const char *reason)
{
    json_t *r = h->reload_refused;
    char at[32];
    now_text(at, sizeof at);
    reason = refusal_words(reason);
    const char *was = json_string_value(json_object_get(r, "reason"));
    const char *was_cause = json_string_value(json_object_get(r, "cause"));
    /* the stored reason is the JSON text (a byte that is not UTF-8 as
     * \xNN), so the new one is compared in that form too */
    json_t *now = sipc_json_text(reason);
    const char *cmp = now ? json_string_value(now) : reason;
    if (!was || !was_cause || strcmp(was_cause, cause) ||
        (strcmp(cause, "strict_guard") && !same_but_numbers(was, cmp)))
        reload_log_each(h, SIPC_LOG_WARN, "The reload refused at %s is still refused, now for: %s",
                        json_string_value(json_object_get(r, "at")), reason);
    json_object_set_new(r, "reason", now);
    json_object_set_new(r, "cause", json_string(cause));
    json_object_set_new(r, "checked_at", json_string(at));
}

/* Whether the files are what the node runs: a reload now would answer
 * "unchanged". Either way restart_needed is set as a reload now would set
 * it: a refused reload (the guard's loaded its files) left the list of its
 * files, and those may since be put back in part (the change that needs a
 * restart undone, the one the guard refuses kept), which no refusal or
 * pending reload may keep showing. judge_restart and judge_tls only compare. */
static int runs_the_files(reload_job *j, host *h)
{
    judge_restart(j, &h->cfg, &j->cfg);
    judge_tls(j, h);
    note_restart(h, j);
    return !j->nchanges;
}

/* The files are what the node runs again while the override is still
 * there (sipc.conf set back by hand: `tlstool mode permissive` removes it
 * itself). The override lives as long as the sipc.conf change to strict it
 * came with: once sipc.conf no longer asks for strict, it would only force
 * a later change to strict, which nobody asked to force, past the guard.
 * The next reload or start would take it unused; the check removes it as
 * they would. While sipc.conf still asks for strict it stays, for the
 * start it may be meant for. said: the words for the log line, "" when the
 * override is not (or no longer the one the check saw) there. */
static void override_after_revert(const reload_job *j, host *h, char *said, size_t len)
{
    said[0] = '\0';
    ino_t ino;
    if (!j->override_seen || !override_file(h->cfg.home, &ino) || ino != j->override_ino)
        return;
    char path[1200], err[1600];
    if (sipc_config_effective_mode(&j->cfg) == SIPC_TLS_STRICT) {
        host_force_strict_pending(h->cfg.home, path, sizeof path, NULL);
        snprintf(said, len,
                 "; the override %s stays: the next start or reload goes strict through it "
                 "and removes it",
                 path);
        return;
    }
    if (host_force_strict_drop(h->cfg.home, path, sizeof path, err, sizeof err) < 0)
        reload_log_each(h, SIPC_LOG_WARN, "%s%s", err, "");
    snprintf(said, len,
             "; the override %s of `tlstool mode strict --force` is removed: sipc.conf no longer "
             "asks for strict, and the next reload or start would have removed it unused",
             path);
}

/* Says what lets the refused reload through now (the files that load
 * again, the guard that lets them through, or the override that will force
 * it; cut_off: whom the override cuts off), worded by cause. */
static void say_pending(host *h, const char *at, const char *cause, int overridden,
                        const char *cut_off, const char *reason)
{
    if (overridden)
        reload_log_each(h, SIPC_LOG_INFO,
                        "The reload refused at %s goes through at the next reload or start: "
                        "the override of `tlstool mode strict --force` is in place, which goes "
                        "strict and cuts off peers still speaking plaintext: %s; until then the "
                        "node runs the configuration it had",
                        at, cut_off);
    else if (mgmt_reload_guard_name(cause))
        reload_log_each(h, SIPC_LOG_INFO,
                        "The %s no longer holds back the reload refused at %s: a reload would go "
                        "through now; the files are not applied until a reload (the node runs the "
                        "configuration it had)",
                        mgmt_reload_guard_name(cause), at);
    else
        reload_log_each(h, SIPC_LOG_INFO,
                        "The files load again (the reload refused at %s was for: %s): a start "
                        "would succeed; they are not applied until a reload (the node runs the "
                        "configuration it had)",
                        at, reason);
}

/* The refusal no longer holds, but the files differ from what the node
 * runs until a reload: reload.pending, with the cause the refusal had and
 * who asked (for a refusal again, pending_refused). */
static void note_pending(host *h, const reload_job *j, const char *cut_off)
{
    json_t *r = h->reload_refused;
    const char *cause = json_string_value(json_object_get(r, "cause"));
    if (!cause)
        cause = "files";
    say_pending(h, json_string_value(json_object_get(r, "at")), cause, j->overridden, cut_off,
                json_string_value(json_object_get(r, "reason")));
    char now[32];
    now_text(now, sizeof now);
    json_decref(h->reload_pending);
    h->reload_pending = json_pack("{s:s, s:O?, s:s, s:b, s:O?}", "since", now, "refused_at",
                                  json_object_get(r, "at"), "cause", cause, "override",
                                  j->overridden, "by", json_object_get(r, "by"));
    json_decref(h->reload_refused);
    h->reload_refused = NULL;
}

/* A pending reload that a reload now would refuse again (the files broke
 * since, a plaintext peer came back, the override is gone): the refusal it
 * came from stands again, with the reason of now, so that the status does
 * not say the files load when the node would not start with them. */
static void pending_refused(host *h, const char *cause, const char *reason)
{
    json_t *p = h->reload_pending;
    char now[32];
    now_text(now, sizeof now);
    reason = refusal_words(reason);
    char at[200];
    snprintf(at, sizeof at, "%s (pending since %s)",
             json_string_value(json_object_get(p, "refused_at")),
             json_string_value(json_object_get(p, "since")));
    reload_log_each(h, SIPC_LOG_WARN, "The reload refused at %s is refused again, now for: %s", at,
                    reason);
    json_decref(h->reload_refused);
    h->reload_refused = json_pack("{s:O?, s:o, s:O?, s:s, s:s}", "at",
                                  json_object_get(p, "refused_at"), "reason",
                                  sipc_json_text(reason), "by",
                                  json_object_get(p, "by"), "cause", cause, "checked_at", now);
    json_decref(h->reload_pending);
    h->reload_pending = NULL;
}

/* The files are what the node runs again (the old ones put back, sipc.conf
 * set back to the mode it runs): neither the refusal nor the pending
 * reload, whichever there was, is left, and the log says which it was. */
static void files_run_again(const reload_job *j, host *h)
{
    char said[1600], what[400];
    override_after_revert(j, h, said, sizeof said);
    if (h->reload_refused)
        snprintf(what, sizeof what,
                 "the reload refused at %s no longer stands, and nothing waits for a reload",
                 json_string_value(json_object_get(h->reload_refused, "at")));
    else
        snprintf(what, sizeof what, "nothing waits for a reload (pending since %s)",
                 json_string_value(json_object_get(h->reload_pending, "since")));
    reload_log_each(h, SIPC_LOG_INFO, "The files are what the node runs again: %s%s", what, said);
    json_decref(h->reload_refused);
    json_decref(h->reload_pending);
    json_decref(h->off_strict);
    h->reload_refused = h->reload_pending = h->off_strict = NULL;
}

/* A check of the files after a refused reload, and while one is pending.
 * Files that are again what the node runs (the old ones put back, sipc.conf
 * set back to the mode it runs) leave nothing refused or pending. Files
 * that load and that the strict guard lets through (or its override will
 * force) clear the refusal into reload.pending, or keep it pending (saying
 * so when the override comes or goes). Otherwise the refusal stands, or
 * stands again, with the reason of now. */
static void after_recheck(reload_job *j, int status)
{
    host *h = j->h;
    h->rechecking = 0;
    char msg[2800] = "", unknown[2000];
    const char *cause;
    if (status != 0 || h->stopping || j->gen != h->refused_gen) {
        /* not checked, or a newer reload decided since */
    } else if ((h->reload_refused || h->reload_pending) && !j->failed && runs_the_files(j, h)) {
        files_run_again(j, h);
    } else if (h->reload_refused) {
        if (j->failed) {
            refusal_stands(h, "files", j->err);
        } else if (j->crl_skip && h->crl_refused) {
            /* the CRL guard's latest dials refused these very files: that
             * stands, in their words, until they change or its next dials */
            char at[32];
            now_text(at, sizeof at);
            json_object_set_new(h->reload_refused, "checked_at", json_string(at));
        } else if ((cause = guards(j, h, msg, sizeof msg, unknown, sizeof unknown)) != NULL) {
            refusal_stands(h, cause, msg);
        } else {
            note_pending(h, j, msg);
        }
    } else if (h->reload_pending) {
        json_t *p = h->reload_pending;
        if (j->failed) {
            pending_refused(h, "files", j->err);
        } else if ((cause = guards(j, h, msg, sizeof msg, unknown, sizeof unknown)) != NULL) {
            pending_refused(h, cause, msg);
        } else if (j->overridden != json_is_true(json_object_get(p, "override"))) {
            /* the override came, or is no longer needed: the guard's news */
            say_pending(h, json_string_value(json_object_get(p, "refused_at")), "strict_guard",
                        j->overridden, msg, "");
            json_object_set_new(p, "override", json_boolean(j->overridden));
        }
    }
    release_job(j);
    free(j);
}

static void decide(reload_job *j, int status);

static void on_peer_modes(void *arg, json_t *nodes)
{
    reload_job *j = arg;
    j->modes = nodes;
    decide(j, 0);
}

static void crl_asked(reload_job *j)
{
    decide(j, 0);
}

/* The time the dials of the other nodes may take: all the request's
 * deadline leaves when going off, the CRL guard's own at most; sets
 * j->no_time when too little is left. */
static uint32_t ask_timeout(reload_job *j, host *h, int off)
{
    uint32_t timeout = off ? 0 : RELOAD_CRL_ASK_MS;
    if (j->deadline) {
        uint64_t now = uv_now(h->loop);
        uint64_t left = j->deadline > now ? j->deadline - now : 0;
        if (left < OFF_ANSWER_MARGIN_MS + OFF_ASK_MIN_MS)
            j->no_time = 1;
        else if (off || left - OFF_ANSWER_MARGIN_MS < timeout)
            timeout = left - OFF_ANSWER_MARGIN_MS > UINT32_MAX
                          ? UINT32_MAX
                          : (uint32_t)(left - OFF_ANSWER_MARGIN_MS);
    }
    return timeout;
}

/* Dials the nodes for the CRL guard: 1 when dialling (crl_asked will run),
 * 0 when not (no time left, or the dials could not start). */
static int ask_crl(reload_job *j, host *h)
{
    uint32_t timeout = ask_timeout(j, h, 0);
    return !j->no_time && reload_crl_ask(j, h, timeout, crl_asked) == 0;
}

/* The CRL guard's extra securities, loaded for the dials that tell causes
 * only: a reload or check that makes none pays no extra load. */
static void load_causes(uv_work_t *w)
{
    reload_job *j = w->data;
    char err[1200];
    if (reload_crl_load(j, err, sizeof err) != 0) {
        j->failed = 1;
        snprintf(j->err, sizeof j->err, "%s", err);
    }
}

static void after_causes(uv_work_t *w, int status)
{
    reload_job *j = w->data;
    host *h = j->h;
    if (status == 0 && !j->failed && !h->stopping && ask_crl(j, h))
        return;
    decide(j, status);
}

static void after_load(uv_work_t *w, int status)
{
    reload_job *j = w->data;
    host *h = j->h;
    /* going off: the other nodes are asked the mode they run first (all at
     * once, each within the cluster status's timeout and what the asker's
     * deadline leaves), and the reload, or the check, is decided once they
     * answered; applying new CRLs, they are dialled with the reload's trust
     * first, the same way (crl_guard.c) */
    if (status == 0 && !j->failed && !h->stopping && h->mgmt) {
        if (reload_goes_off(j, h)) {
            uint32_t timeout = ask_timeout(j, h, 1);
            if (!j->no_time && sipc_mgmt_peer_modes(h->mgmt, timeout, on_peer_modes, j) == 0)
                return;
        } else if (reload_guard_news(j, h) && (!j->dry || reload_crl_dial_due(j, h))) {
            if (reload_crl_causes_due(j, h) &&
                uv_queue_work(h->loop, &j->work, load_causes, after_causes) == 0)
                return;
            if (ask_crl(j, h))
                return;
        }
    }
    decide(j, status);
}

/* The reload (or the check of a refused one, dry) once its files are read
 * and, when it goes off, the other nodes have answered. */
static void decide(reload_job *j, int status)
{
    host *h = j->h;
    if (j->dry) {
        after_recheck(j, status);
        return;
    }
    h->reloading = 0;
    char msg[2800], unknown[2000] = "";
    const char *result, *cause;
    if (status != 0 || h->stopping) {
        result = "refused";
        snprintf(msg, sizeof msg, "reload refused: %s", h->stopping ? "the node is stopping"
                                                                    : uv_strerror(status));
        reload_log_each(h, SIPC_LOG_ERROR, "%s%s", msg, "");
    } else if (j->failed) {
        result = "refused";
        snprintf(msg, sizeof msg, "reload refused: %s; the running setup stays", j->err);
        reload_log_each(h, SIPC_LOG_ERROR, "%s%s", msg, "");
        note_refused(h, j, "files", j->err);
    } else if (j->no_time) {
        /* not a judgement of the files or the peers: nothing to record */
        result = "refused";
        snprintf(msg, sizeof msg,
                 "reload refused: it %s, and the time the request allows (under %d ms left) is "
                 "too short to ask the other nodes %s first; the running setup stays; ask again "
                 "with a longer timeout",
                 reload_goes_off(j, h) ? "takes TLS off" : reload_guard_words(j, h, 0),
                 OFF_ANSWER_MARGIN_MS + OFF_ASK_MIN_MS,
                 reload_goes_off(j, h) ? "the mode they run" : reload_guard_words(j, h, 1));
        reload_log_each(h, SIPC_LOG_ERROR, "%s%s", msg, "");
    } else if (judge_restart(j, &h->cfg, &j->cfg), judge_tls(j, h),
               (cause = guards(j, h, msg, sizeof msg, unknown, sizeof unknown)) != NULL) {
        /* nothing of it is applied: a guard refuses the reload as a whole;
         * the files loaded, so a start would succeed (held back by the
         * strict guard; the guards of going off and of CRLs judge reloads
         * only) */
        result = "refused";
        note_loaded(h, j);
        note_refused(h, j, cause, msg);
        reload_log_each(h, SIPC_LOG_ERROR, "%s%s", msg, "");
    } else {
        note_loaded(h, j);
        /* applied: the node runs what the files say (the guard's refusal
         * above applies nothing, so a pending reload stays pending); what
         * the guard of going off remembered was for this change */
        json_decref(h->reload_pending);
        json_decref(h->off_strict);
        h->reload_pending = h->off_strict = NULL;
        reload_crl_forget(h);
        for (int i = 0; i < j->nrestart; i++)
            reload_log_each(h, SIPC_LOG_WARN, "Needs a restart, not applied: %s%s", j->restart[i],
                            "");
        if (j->nchanges == 0) {
            result = "unchanged";
            snprintf(msg, sizeof msg, "nothing changed%s",
                     j->nrestart ? " that a reload can apply; restart sipcd for the rest" : "");
            reload_log_each(h, SIPC_LOG_INFO, "Reload: %s%s", msg, "");
        } else {
            result = "reloaded";
            /* a TLS mode change is never a side remark: sipc.conf may have
             * asked for it since an earlier command the node refused, and
             * this reload (asked for anything) applies it */
            char modes[700] = "";
            for (int i = 0; i < j->nchanges; i++) {
                int mode = is_mode_change(j->changes[i]);
                sipc_log_level level = mode ? SIPC_LOG_WARN : SIPC_LOG_INFO;
                const char *why = mode ? " (the TLS mode sipc.conf asks for)" : "";
                /* the pipeline's own switch concerns its log alone */
                if (!strncmp(j->changes[i], "pipeline listener TLS: ", 23) &&
                    h->svc[HOST_PIPELINE].log)
                    sipc_logf(h->svc[HOST_PIPELINE].log, level, "Service.Reload", "Changed: %s%s",
                              j->changes[i], why);
                else
                    reload_log_each(h, level, "Changed: %s%s", j->changes[i], why);
                if (mode && !modes[0])
                    snprintf(modes, sizeof modes, "%s", j->changes[i]);
            }
            char head[800] = "reloaded";
            if (modes[0])
                snprintf(head, sizeof head,
                         "reloaded; the TLS mode changed (%s), as sipc.conf asks", modes);
            if (j->settings_only) {
                /* the connections' security is the same: none is replaced */
                sipc_config_copy_tls(&h->cfg, &j->cfg);
                apply_settings(j, h);
                host_tls_notes(h, "Service.Reload"); /* said after every change */
                snprintf(msg, sizeof msg, "%s: applied at once; the connections stay as they are%s",
                         head, j->nrestart ? "; some changes need a restart" : "");
            } else {
                apply(j, h);
                apply_settings(j, h);
                snprintf(msg, sizeof msg,
                         "%s: new connections use the new setup; connections made before are "
                         "replaced once answered%s",
                         head, j->nrestart ? "; some changes need a restart" : "");
            }
            reload_log_each(h, SIPC_LOG_INFO, "Reload done: %s%s", msg, "");
            if (unknown[0]) {
                /* not known, so not refused (as `tlstool disable` goes on),
                 * but said where the one who asked reads it */
                reload_log_each(h, SIPC_LOG_WARN, "Reload took TLS off although %s%s", unknown, "");
                size_t at = strlen(msg);
                snprintf(msg + at, sizeof msg - at, "; warning: %s", unknown);
            }
            if (j->self_note[0]) {
                reload_log_each(h, SIPC_LOG_INFO, "Reload took TLS off: %s%s", j->self_note, "");
                size_t at = strlen(msg);
                snprintf(msg + at, sizeof msg - at, "; %s", j->self_note);
            }
            if (j->crl_note[0]) {
                reload_log_each(h, SIPC_LOG_WARN, "%s: %s", j->note_head, j->crl_note);
                size_t at = strlen(msg);
                snprintf(msg + at, sizeof msg - at, "; warning: %s", j->crl_note);
            }
        }
        /* what a start warns of in the files, said by every reload of them */
        for (int i = 0; i < HOST_NSERVICES; i++)
            if (h->svc[i].log)
                host_log_lines(h->svc[i].log, SIPC_LOG_WARN, "Service.Reload", j->conf_warning);
        for (const char *p = j->conf_warning; *p;) {
            size_t n = strcspn(p, "\n"), at = strlen(msg);
            snprintf(msg + at, sizeof msg - at, "; warning: %.*s", (int)n, p);
            p += n + (p[n] == '\n');
        }
    }
    /* the log says what the reply says, by the time the operator reads the reply */
    for (int i = 0; i < HOST_NSERVICES; i++)
        sipc_logger_flush(h->svc[i].log);
    json_t *a = answer(j, result, msg);
    release_job(j);
    if (j->done)
        j->done(j->done_arg, a);
    else
        json_decref(a);
    free(j);
}

void host_reload(host *h, const char *by, const sipc_peer_info *peer, int force, int ack,
                 int64_t deadline_ms, void (*done)(void *arg, json_t *answer), void *arg)
{
    reload_job *j = calloc(1, sizeof *j);
    if (!j) {
        if (done)
            done(arg, json_pack("{s:i,s:s,s:s,s:[],s:[],s:[],s:s}", "schema", 1, "node",
                                h->cfg.node_id, "result", "refused", "changes", "not_applied",
                                "restart_needed", "message", "reload refused: out of memory"));
        return;
    }
    j->h = h;
    j->force = force;
    j->ack = ack;
    /* -1: the asker gave up already; what is done is still done */
    if (deadline_ms > 0)
        j->deadline = uv_now(h->loop) + (uint64_t)deadline_ms;
    j->done = done;
    j->done_arg = arg;
    snprintf(j->by, sizeof j->by, "%s", by);
    if (peer) {
        snprintf(j->caller_address, sizeof j->caller_address, "%s", peer->address);
        snprintf(j->caller_node, sizeof j->caller_node, "%s", peer->peer_node);
    }
    reload_log_each(h, SIPC_LOG_INFO, "Reload requested by %s%s", j->by, force ? " (force)" : "");
    const char *why = h->stopping ? "the node is stopping"
                      : h->reloading ? "another reload is in progress"
                                     : NULL;
    j->work.data = j;
    if (!why && uv_queue_work(h->loop, &j->work, load_all, after_load) != 0)
        why = "cannot start the reload";
    if (why) {
        char msg[200];
        snprintf(msg, sizeof msg, "reload refused: %s; the running setup stays", why);
        reload_log_each(h, SIPC_LOG_ERROR, "%s%s", msg, "");
        json_t *a = answer(j, "refused", msg);
        if (done)
            done(arg, a);
        else
            json_decref(a);
        free(j);
        return;
    }
    h->reloading = 1;
}
