/* reload.c - the calls tlstool makes to the node running from this home
 * (its [node] address at its [management] port): `--reload` of the commands
 * that change what a running node loads (enable, mode, disable, rotate,
 * trust, crl) asks it to re-read sipc.conf and the pair (management.reload)
 * and prints its answer; `status` and `import` ask for its status. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/str_copy.h"
#include "ipc/node/home_lock_read.h"
#include "services/common/answer_list.h"
#include "services/common/client_home.h"
#include "services/common/client_id.h"
#include "services/common/cluster_hint.h"
#include "services/common/err_line.h"
#include "services/common/shown_text.h"
#include "services/common/home_dial.h"
#include "services/common/home_dir.h"
#include "services/common/home_subject.h"
#include "services/tlstool/tlstool.h"
#include "services/tlstool/trust_guard.h"

typedef struct reload_call {
    int done, err, sent;
    char message[600];
    char *data;
    size_t len;
} reload_call;

static void quiet(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    (void)arg;
    (void)level;
    (void)category;
    (void)msg;
}

static void on_reply(int err, const sipc_reply *r, void *arg)
{
    reload_call *c = arg;
    c->done = 1;
    c->err = err;
    c->sent = r->sent;
    sipc_str_copy_utf8(c->message, sizeof c->message, r->message);
    if (r->len && (c->data = malloc(r->len + 1)) != NULL) {
        memcpy(c->data, r->data, r->len);
        c->data[r->len] = '\0';
        c->len = r->len;
    }
}

/* The node was not asked because this home's [tls] subject is wrong (why). */
static int not_asked(const opts *o, const char *host, int port, const char *why)
{
    return fail(EX_CONFIG,
                "--reload: the node at %s:%d was not asked: %s. Fix [tls] subject in sipc.conf, "
                "or send the node SIGHUP (systemctl reload sipcd) to have it check the file "
                "itself (on a node with TLS enabled it refuses a subject its own certificate "
                "does not carry, and its running setup stays)%s",
                host, port, why, o->unchanged ? "" : "; the change stays made here");
}

/* Said when the reload failed: what the command changed here is not undone,
 * unless it changed nothing or, the node having refused, puts it back itself
 * (undo_refused). */
static const char *stays_made(const opts *o, int refused)
{
    return (refused && o->undo_refused) || o->unchanged
               ? ""
               : "; the change stays made here: a later reload (SIGHUP) or restart of sipcd "
                 "applies it";
}

int home_node_call(const opts *o, const sipc_config *cfg, const char *method,
                   const char *payload, uint32_t timeout_ms, home_call *c)
{
    memset(c, 0, sizeof *c);
    c->port = sipc_config_port(cfg, "management");
    /* a node listening on every interface is reached on loopback */
    snprintf(c->host, sizeof c->host, "%s", sipc_cli_home_node_host(cfg));
    if (c->port <= 0)
        return HOME_CALL_NO_PORT;
    /* the node may still run the mode this home had before the change
     * being applied: dialed as it runs, TLS only once known to run TLS;
     * where that cannot be told, TLS offered and a plaintext answer taken */
    sipc_security *sec;
    if (sipc_cli_home_dial_security(cfg, 1, sipc__home_tls_running(cfg->home), 1, &sec, c->why,
                                    sizeof c->why) < 0)
        return HOME_CALL_SECURITY;
    /* where sipc.conf enables TLS, the node presents this home's certificate
     * and a reload refuses a subject it lacks: judge that here, before a
     * handshake that would only leave the node a rejected connection */
    if (cfg->tls_enable && sipc_cli_home_subject_wrong(sec, cfg, c->why, sizeof c->why)) {
        sipc_security_release(sec);
        return HOME_CALL_SUBJECT;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    sipc_options so;
    sipc_options_from_config(&so, cfg);
    char id[64];
    sipc_cli_client_id("tlstool", o->home, id, sizeof id); /* who asks, in the node's logs */
    so.node_id = id;
    so.log = quiet;
    sipc_ctx *ctx = NULL;
    sipc_channel *ch = NULL;
    reload_call rc = {0, 0, 0, "", NULL, 0};
    int e = sipc_ctx_new(&ctx, &loop, &so, sec);
    if (e == 0)
        e = sipc_channel_open(&ch, ctx, c->host, c->port, NULL);
    if (e == 0) {
        sipc_channel_set_fail_fast(ch, 1);
        e = sipc_call(ch, "management", method, payload, payload ? strlen(payload) : 0,
                      timeout_ms, on_reply, &rc);
    }
    if (e == 0) {
        /* the call's deadline bounds this loop */
        while (!rc.done && uv_run(&loop, UV_RUN_ONCE))
            ;
        e = rc.done ? rc.err : SIPC_ECANCELED;
        if (e != 0 && ch && sipc_channel_last_detail(ch)[0] && !rc.message[0])
            sipc_str_copy_utf8(rc.message, sizeof rc.message, sipc_channel_last_detail(ch));
        sipc_link_info li;
        if (e == SIPC_ECLUSTER && sipc_channel_info(ch, &li) == 0)
            sipc_cli_cluster_fix(cfg, li.peer_cluster, li.peer_cluster_cut, c->fix, sizeof c->fix);
        char target[200];
        snprintf(target, sizeof target, strchr(c->host, ':') ? "[%s]:%d" : "%s:%d", c->host,
                 c->port);
        if (e == SIPC_EPLAINTEXT)
            sipc_cli_home_plaintext_impostor("tlstool", cfg, target, "management", c->fix,
                                             sizeof c->fix);
        /* the library says whether the request left: one whose link came
         * up only past its deadline, or never, was not sent */
        c->sent = cli_call_maybe_applied(e, rc.sent);
    }
    if (ctx)
        sipc_ctx_close(ctx, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    /* the node's certificate refused under a [tls] subject this home's own
     * certificate lacks too: the edit is wrong, not the node (as sipcctl) */
    int home = sipc_cli_home_subject_fault(sec, cfg, e, rc.message, c->why, sizeof c->why);
    sipc_security_release(sec);
    snprintf(c->message, sizeof c->message, "%s", rc.message);
    if (home) {
        free(rc.data);
        return HOME_CALL_SUBJECT;
    }
    c->err = e;
    if (e != 0)
        free(rc.data);
    else {
        c->data = rc.data;
        c->len = rc.len;
    }
    return HOME_CALL_DONE;
}

int request_reload(const opts *o, int force)
{
    sipc_config cfg;
    int r = load_config(o, &cfg);
    if (r)
        return r;
    /* its default node address may be another home's node on this machine */
    if (sipc_cli_home_client_only(&cfg)) {
        printf("--reload: no sipcd runs from a client-only home: no node was asked\n");
        return EX_OK;
    }
    home_call c;
    const char *payload = force ? "{\"force\": true}" : "{}";
    switch (home_node_call(o, &cfg, "reload", payload, 10000, &c)) {
    case HOME_CALL_NO_PORT:
        return fail(EX_RELOAD_UNREACHABLE,
                    "--reload: [management] port is %d in %s/sipc.conf, so the running node's "
                    "port is not known: send it SIGHUP (systemctl reload sipcd) instead",
                    c.port, o->home);
    case HOME_CALL_SECURITY:
        return fail(EX_CONFIG, "--reload: the node at %s:%d was not asked: this home's TLS setup "
                               "is refused: %s%s",
                    c.host, c.port, c.why, stays_made(o, 0));
    case HOME_CALL_SUBJECT:
        return not_asked(o, c.host, c.port, c.why);
    }
    const char *host = c.host;
    int port = c.port, e = c.err;
    if (e != 0 && c.sent) {
        /* the node may have reloaded: not "could not be asked" */
        char line[1400], why[1500] = " within 10 s";
        if (e != SIPC_ETIMEDOUT)
            snprintf(why, sizeof why, " (%s)", cli_err_line(line, sizeof line, e, c.message));
        return fail(EX_RELOAD_REFUSED,
                    "--reload: the node at %s:%d took the request and did not answer%s: it may "
                    "have applied the reload or not; `tlstool status` shows what it runs%s",
                    host, port, why, stays_made(o, 0));
    }
    if (e != 0) {
        int refused = e == SIPC_EREMOTE || e == SIPC_ENOMETHOD;
        char line[1400];
        /* the error's name once, as sipcctl gives it */
        return fail(refused ? EX_RELOAD_REFUSED : EX_RELOAD_UNREACHABLE,
                    "--reload: the node at %s:%d %s: %s%s%s", host, port,
                    refused ? "refused" : "could not be asked",
                    cli_err_line(line, sizeof line, e, c.message), c.fix,
                    stays_made(o, refused));
    }
    json_error_t je;
    json_t *j = json_loadb(c.data ? c.data : "", c.len, 0, &je);
    free(c.data);
    const char *result = json_string_value(json_object_get(j, "result"));
    const char *m = json_string_value(json_object_get(j, "message"));
    const char *n = json_string_value(json_object_get(j, "node"));
    /* the node's words */
    char node[300], msg[2400];
    cli_shown(n ? n : "?", node, sizeof node);
    cli_shown(m                               ? m
              : result && strcmp(result, "refused") ? result
                                                    : "reload refused",
              msg, sizeof msg);
    int rc = EX_OK;
    if (!result) {
        rc = fail(EX_RELOAD_REFUSED, "--reload: the node at %s:%d gave no reload answer%s", host,
                  port, stays_made(o, 1));
    } else if (!strcmp(result, "refused")) {
        rc = fail(EX_RELOAD_REFUSED, "node %s: %s%s", node, msg, stays_made(o, 1));
        cli_print_list("would have changed, not applied: ", json_object_get(j, "not_applied"));
    } else {
        printf("node %s reloaded (%s:%d): %s\n", node, host, port, msg);
        cli_print_list("changed: ", json_object_get(j, "changes"));
        cli_print_list(json_is_true(json_object_get(j, "cut_off_acknowledged"))
                       ? "cut off (it spoke plaintext; acknowledged): "
                       : "cut off (it spoke plaintext): ",
                   json_object_get(j, "cut_off"));
        cli_print_list("cut off (it runs strict): ", json_object_get(j, "cut_off_strict"));
        cli_print_list("needs a restart, not applied: ", json_object_get(j, "restart_needed"));
    }
    json_decref(j);
    return rc;
}

void remind_reload(const char *what)
{
    printf("running services pick the change up on a reload or restart: `sipcctl reload`, "
           "`systemctl reload sipcd` (SIGHUP) or %s with --reload\n",
           what);
}

void client_home_note(void)
{
    printf("this home is client-only (" SIPC_CLI_CLIENT_ONLY_RULE "): its clients "
           "(sipcctl, programs linking sipc) use it from now on\n");
}

int reload_or_remind(const opts *o, int force, const char *what)
{
    sipc_config cfg;
    int client = load_config(o, &cfg) == 0 && sipc_cli_home_client_only(&cfg);
    if (client)
        client_home_note();
    if (o->reload)
        return request_reload(o, force);
    if (!client)
        remind_reload(what);
    return EX_OK;
}
