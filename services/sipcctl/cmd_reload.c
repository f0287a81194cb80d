/* cmd_reload.c - `sipcctl reload [--node ADDR | --cluster] [--force]`: asks
 * a node (or every node of [cluster] nodes) to re-read its sipc.conf and key
 * pair through management.reload, and prints per node what changed or why
 * nothing did. */
#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/common/answer_list.h"
#include "services/common/err_line.h"
#include "services/common/exit_codes.h"
#include "services/common/shown_text.h"
#include "services/common/json_text.h"
#include "sipcctl.h"

/* What one node's answer means for the exit code, the worst last: this
 * home's own [tls] subject at fault (nothing was asked correctly) wins. */
enum { RL_OK = 0, RL_RESTART = 1, RL_UNREACHABLE = 2, RL_REFUSED = 3, RL_HOME = 4 };

/* Asks target; returns an RL_* and, for RL_UNREACHABLE and RL_HOME, *code
 * the exit code. */
/* stderr's fix ("; FIX" or " (FIX)", ctl_failure_text) as the field's text */
static const char *fix_field(char *fix)
{
    size_t n = strlen(fix);
    assert(n >= 2);
    if (fix[1] == '(' && fix[n - 1] == ')')
        fix[n - 1] = '\0';
    return fix + 2;
}

static int reload_one(const ctl *o, const char *target, json_t *all, int *code)
{
    ctl_client cl;
    int rc = ctl_connect(o, target, "management", &cl);
    if (rc != 0) {
        *code = rc;
        return RL_UNREACHABLE;
    }
    const char *payload = o->force ? "{\"force\": true}" : "{}";
    ctl_reply rep;
    int kind = RL_OK;
    if (ctl_call(&cl, "management", "reload", payload, strlen(payload), &rep) != 0) {
        char why[1600];
        int home = ctl_home_subject_fault(&cl, rep.err, rep.message, why, sizeof why);
        /* sent and not answered (in time, or the connection lost after
         * the request went): the node may have applied it, so not
         * "unreachable" (as for ack); a node never reached, or reached
         * only past the deadline, stays that */
        int no_answer = !home && cli_call_maybe_applied(rep.err, rep.sent);
        *code = home        ? ctl_report_home_fault(&cl, "management", "reload", why)
                : no_answer ? ctl_fail_no_answer(&cl, "reload", &rep, "what it runs (its reload section)")
                            : ctl_report_call_failure(&cl, "management", "reload", &rep);
        kind = home ? RL_HOME : rep.err == SIPC_EREMOTE ? RL_REFUSED : RL_UNREACHABLE;
        if (all) {
            /* the same error line and fix as stderr's, the fix as a field */
            char line[1400], fix[900];
            ctl_failure_text(&cl, &rep, line, sizeof line, fix, sizeof fix);
            json_t *e = json_pack("{s:o,s:s}", "address", sipc_json_text(cl.target), "result",
                                  home        ? "not_asked"
                                  : no_answer ? "no_answer"
                                              : "unreachable");
            json_object_set_new(e, "message", sipc_json_text(home ? why : line));
            if (!home && fix[0])
                json_object_set_new(e, "fix", sipc_json_text(fix_field(fix)));
            json_array_append_new(all, e);
        }
        ctl_reply_free(&rep);
        ctl_disconnect(&cl);
        return kind;
    }
    json_error_t je;
    json_t *j = json_loadb((const char *)rep.data, rep.len, 0, &je);
    const char *result = json_string_value(json_object_get(j, "result"));
    if (!result) {
        fprintf(stderr, "sipcctl: %s answered management.reload with something else than its "
                        "JSON answer\n", cl.target);
        kind = RL_REFUSED;
    } else {
        json_t *changes = json_object_get(j, "changes");
        json_t *rs = json_object_get(j, "restart_needed");
        if (!strcmp(result, "refused"))
            kind = RL_REFUSED;
        else if (json_array_size(rs) > 0)
            kind = RL_RESTART;
        if (!o->json) {
            /* the node's words */
            const char *node = json_string_value(json_object_get(j, "node"));
            const char *msg = json_string_value(json_object_get(j, "message"));
            char shown_node[300], shown_msg[2400];
            cli_shown(node ? node : "?", shown_node, sizeof shown_node);
            cli_shown(msg ? msg : result, shown_msg, sizeof shown_msg);
            printf("%s (%s): %s\n", shown_node, cl.target, shown_msg);
            cli_print_list("changed: ", changes);
            cli_print_list(json_is_true(json_object_get(j, "cut_off_acknowledged"))
                           ? "cut off (it spoke plaintext; acknowledged): "
                           : "cut off (it spoke plaintext): ",
                       json_object_get(j, "cut_off"));
            cli_print_list("cut off (it runs strict): ", json_object_get(j, "cut_off_strict"));
            /* a refused reload changed nothing: say what it would have */
            cli_print_list("would have changed, not applied: ", json_object_get(j, "not_applied"));
            cli_print_list(kind == RL_REFUSED ? "would need a restart, not applied: "
                                          : "needs a restart, not applied: ",
                       rs);
        }
        if (all) {
            json_object_set_new(j, "address", sipc_json_text(cl.target));
            json_array_append(all, j);
        }
    }
    json_decref(j);
    ctl_reply_free(&rep);
    ctl_disconnect(&cl);
    return kind;
}

int cmd_reload(void *arg)
{
    ctl *o = arg;
    int rc = ctl_check_args(o, 0, 0);
    if (rc != 0)
        return rc;
    if (o->cluster && o->node)
        return ctl_fail(SIPC_EXIT_USAGE, "reload: give --node ADDR or --cluster, not both (see sipcctl "
                                  "reload --help)");
    json_t *all = o->json ? json_array() : NULL;
    int worst = RL_OK, code = 0;
    if (!o->cluster) {
        worst = reload_one(o, NULL, all, &code);
    } else {
        sipc_config cfg;
        char err[1024];
        if (sipc_config_load_or_defaults(&cfg, o->home, err, sizeof err) != 0) {
            json_decref(all);
            return ctl_fail(SIPC_EXIT_CONFIG, "%s", err);
        }
        if (cfg.nnodes == 0) {
            json_decref(all);
            return ctl_fail(SIPC_EXIT_CONFIG, "reload --cluster: [cluster] nodes is empty in this home's "
                                       "sipc.conf");
        }
        for (int i = 0; i < cfg.nnodes; i++) {
            char host[160], target[200];
            int mport, c = 0;
            if (sipc_config_node_service(&cfg, i, "management", host, sizeof host, &mport) != 0)
                continue;
            snprintf(target, sizeof target, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, mport);
            int k = reload_one(o, target, all, &c);
            /* the first unreachable node's code, unless this home is at fault */
            if (k == RL_HOME ? worst != RL_HOME : k == RL_UNREACHABLE && worst < RL_UNREACHABLE)
                code = c;
            if (k > worst)
                worst = k;
        }
    }
    if (all) {
        ctl_print_json(all, JSON_INDENT(2));
        json_decref(all);
    }
    switch (worst) {
    case RL_OK:
        return 0;
    case RL_RESTART:
        return 3;
    case RL_UNREACHABLE:
        return code ? code : SIPC_EXIT_UNAVAILABLE;
    case RL_HOME:
        return code;
    default:
        return 1;
    }
}
