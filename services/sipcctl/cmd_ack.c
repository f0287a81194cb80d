/* cmd_ack.c - `sipcctl ack records-lost [--node ADDR] [--json]`: acknowledges
 * the findings of lost records a node shows (storage.records_lost of its
 * status) through management.ack. The findings are read from the node's
 * status first and shown, then exactly those are named in the request: one
 * the node finds in between is not among them and stays. */
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

static const char *s_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* One finding as status prints it. */
static void print_finding(const json_t *f)
{
    char msg[2400], det[200];
    cli_shown(s_of(f, "message"), msg, sizeof msg);
    cli_shown(s_of(f, "detected"), det, sizeof det);
    if (det[0])
        printf("  RECORDS LOST (found at the start at %s): %s\n", det, msg);
    else
        printf("  RECORDS LOST: %s\n", msg);
}

/* A failed call: reported as reload reports it; the exit code. */
static int call_failed(ctl_client *cl, const char *method, ctl_reply *rep)
{
    char why[1600];
    int home = ctl_home_subject_fault(cl, rep->err, rep->message, why, sizeof why);
    int code = home ? ctl_report_home_fault(cl, "management", method, why)
                    : ctl_report_call_failure(cl, "management", method, rep);
    ctl_reply_free(rep);
    ctl_disconnect(cl);
    return code;
}

int cmd_ack(void *arg)
{
    ctl *o = arg;
    int rc = ctl_check_args(o, 1, 1);
    if (rc != 0)
        return rc;
    if (strcmp(o->args[0], "records-lost") != 0) {
        char shown[200];
        cli_shown(o->args[0], shown, sizeof shown);
        return ctl_usage(o, "ack: nothing called '%s' to acknowledge (records-lost is)", shown);
    }
    ctl_client cl;
    rc = ctl_connect(o, NULL, "management", &cl);
    if (rc != 0)
        return rc;
    /* first the findings as the node shows them now: these are what the
     * operator acknowledges, and what the request names */
    ctl_reply rep;
    if (ctl_call(&cl, "management", "status", NULL, 0, &rep) != 0)
        return call_failed(&cl, "status", &rep);
    json_error_t je;
    json_t *st = json_loadb((const char *)rep.data, rep.len, 0, &je);
    ctl_reply_free(&rep);
    json_t *storage = json_object_get(st, "storage");
    json_t *found = json_object_get(storage, "records_lost");
    char node[300];
    cli_shown(json_string_value(json_object_get(json_object_get(st, "node"), "id"))
                  ? json_string_value(json_object_get(json_object_get(st, "node"), "id"))
                  : "?",
              node, sizeof node);
    if (!json_is_array(found)) {
        json_decref(st);
        ctl_disconnect(&cl);
        return ctl_fail(1, "%s's status has no storage.records_lost (%s): it reports no "
                           "findings of lost records to acknowledge (a sipcd without a data "
                           "service, or of another version)",
                        cl.target, storage ? "no such list" : "no storage section");
    }
    json_t *lines = json_array(), *shown = json_array();
    size_t i, unnamed = 0;
    json_t *f;
    json_array_foreach(found, i, f)
    {
        json_array_append(shown, f);
        /* none when state/records-lost cannot be shown finding by finding:
         * the node says why, and its answer to the request too */
        if (json_is_string(json_object_get(f, "line")))
            json_array_append(lines, json_object_get(f, "line"));
        else
            unnamed++;
    }
    json_t *answer = NULL;
    rc = 0;
    if (json_array_size(found) == 0) {
        answer = json_pack("{s:i, s:s, s:s, s:s, s:[], s:[], s:[], s:[], s:s}", "schema", 1,
                           "node", node, "what", "records-lost", "result", "nothing", "shown",
                           "removed", "kept", "gone", "message",
                           "nothing to acknowledge: the node shows no finding of lost records");
    } else {
        if (!o->json) {
            printf("%s (%s): found %zu finding%s of lost records; asking the node to "
                   "acknowledge %s:\n",
                   node, cl.target, json_array_size(found), json_array_size(found) == 1 ? "" : "s",
                   json_array_size(found) == 1 ? "it" : "them");
            json_array_foreach(found, i, f) print_finding(f);
        }
        json_t *rq = json_pack("{s:s, s:O}", "what", "records-lost", "lines", lines);
        char *req = rq ? json_dumps(rq, JSON_COMPACT) : NULL;
        json_decref(rq);
        if (!req) {
            rc = ctl_fail(1, "out of memory");
        } else if (ctl_call(&cl, "management", "ack", req, strlen(req), &rep) != 0) {
            free(req);
            json_decref(st);
            json_decref(lines);
            json_decref(shown);
            if (!cli_call_maybe_applied(rep.err, rep.sent))
                return call_failed(&cl, "ack", &rep);
            /* sent, not answered: the node may have done it all the same */
            int failed = ctl_fail_no_answer(&cl, "ack", &rep, "whether the findings are gone");
            ctl_reply_free(&rep);
            ctl_disconnect(&cl);
            return failed;
        } else {
            answer = json_loadb((const char *)rep.data, rep.len, 0, &je);
            ctl_reply_free(&rep);
            if (!json_is_string(json_object_get(answer, "result"))) {
                json_decref(answer);
                answer = NULL;
                rc = ctl_fail(1, "%s answered management.ack with something else than its "
                                 "JSON answer",
                              cl.target);
            }
        }
        free(req);
    }
    if (answer) {
        const char *result = s_of(answer, "result");
        /* a finding that stays although nothing was removed, or one that
         * could not be named, is not acknowledged: not a success */
        int stays = json_array_size(json_object_get(answer, "kept")) > 0;
        rc = !strcmp(result, "acknowledged") || (!strcmp(result, "nothing") && !stays) ? 0 : 1;
        if (unnamed)
            rc = 1;
        json_object_set(answer, "shown", shown);
        json_object_set_new(answer, "address", sipc_json_text(cl.target));
        if (o->json) {
            ctl_print_json(answer, JSON_INDENT(2));
        } else {
            char msg[2400];
            cli_shown(s_of(answer, "message"), msg, sizeof msg);
            printf("%s (%s): %s\n", node, cl.target, msg);
            /* what the request did not cover, and what it covered in vain */
            cli_print_list("stays (not among the findings named, not acknowledged): ",
                           json_object_get(answer, "kept"));
            cli_print_list("already gone (acknowledged meanwhile): ",
                           json_object_get(answer, "gone"));
            if (json_object_get(answer, "warning")) {
                char warn[2400];
                cli_shown(s_of(answer, "warning"), warn, sizeof warn);
                printf("warning: %s\n", warn);
            }
            if (unnamed && strcmp(result, "failed"))
                printf("%s (%s): %zu finding%s shown above cannot be named, so not "
                       "acknowledged: state/records-lost cannot be shown finding by finding "
                       "(the node says why above); remove it in the node's home once dealt "
                       "with\n",
                       node, cl.target, unnamed, unnamed == 1 ? "" : "s");
        }
    }
    json_decref(answer);
    json_decref(st);
    json_decref(lines);
    json_decref(shown);
    ctl_disconnect(&cl);
    return rc;
}
