/* cmd_sys.c - `sipcctl ping|info [ADDRESS[:PORT]]` and `sipcctl call
 * ADDRESS[:PORT] SERVICE METHOD [PAYLOAD]`: the built-in sys service, or any
 * method. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "services/common/shown_text.h"
#include "services/common/exit_codes.h"
#include "services/common/json_text.h"
#include "sipcctl.h"

/* A call's answer in call --json: the payload as a string, base64 when it
 * is not UTF-8. */
static json_t *payload_json(const ctl_reply *rep)
{
    json_t *j = json_stringn(rep->len ? (const char *)rep->data : "", rep->len);
    if (j)
        return json_pack("{s:o}", "payload", j);
    char *enc = ctl_base64(rep->data, rep->len);
    j = json_pack("{s:s, s:s}", "payload", enc ? enc : "", "payload_encoding", "base64");
    free(enc);
    return j;
}

/* ping --json and call --json: one object, the link and every answer, and
 * whether the last call failed (rc) after them. */
static void print_answers(ctl_client *cl, json_t *replies, int rc)
{
    json_t *j = json_pack("{s:b, s:i}", "ok", rc == 0, "exit_code", rc);
    if (rc)
        json_object_set_new(j, "error", sipc_json_text(ctl_failure()));
    json_object_set_new(j, "address", sipc_json_text(cl->target));
    json_object_set_new(j, "node", sipc_json_text(cl->link.peer_node));
    json_object_set_new(j, "cluster", sipc_json_text(cl->link.peer_cluster));
    json_object_set_new(j, "tls", json_boolean(cl->link.tls));
    if (cl->link.tls) {
        json_object_set_new(j, "tls_version", json_string(cl->link.tls_version));
        json_object_set_new(j, "tls_cipher", json_string(cl->link.tls_cipher));
        json_object_set_new(j, "peer_fingerprint", json_string(cl->link.peer_fingerprint));
    }
    json_object_set(j, "replies", replies);
    /* 9 digits: "0.026319", not the double's 17 */
    ctl_print_json(j, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
    json_decref(j);
}

/* Makes the call o->count times and prints each answer: as text, or with
 * --json nothing but JSON: ping and call one object once an answer came
 * (else the failure object, see ctl_json_outcome), info the node's own. */
static int call_repeatedly(ctl *o, const char *target, const char *service, const char *method,
                           const char *payload)
{
    ctl_client cl;
    int rc = ctl_connect(o, target, "data", &cl);
    /* one node asked: its failure object names it, as reload's does */
    ctl_failure_address(cl.target);
    if (rc != 0)
        return rc;
    cl.announce = !o->json;
    int is_sys = !strcmp(service, "sys");
    int is_ping = is_sys && !strcmp(method, "ping");
    /* info's answer is one JSON document; call sys info -c N gets payloads */
    int is_info = !strcmp(o->cmd, "info");
    json_t *replies = o->json ? json_array() : NULL;
    for (int i = 0; i < o->count && rc == 0; i++) {
        ctl_reply rep;
        uint64_t t0 = uv_hrtime();
        int was_up = cl.up;
        if (ctl_call(&cl, service, method, payload, payload ? strlen(payload) : 0, &rep) != 0) {
            rc = ctl_report_failure(&cl, service, method, &rep);
        } else if (is_ping) {
            /* the first round trip excludes connection set-up: time it again */
            if (!was_up) {
                ctl_reply_free(&rep);
                t0 = uv_hrtime();
                if (ctl_call(&cl, service, method, NULL, 0, &rep) != 0) {
                    rc = ctl_report_failure(&cl, service, method, &rep);
                    ctl_reply_free(&rep);
                    break;
                }
            }
            double ms = (double)(uv_hrtime() - t0) / 1e6;
            if (replies)
                json_array_append_new(replies, json_pack("{s:f}", "time_ms", ms));
            else
                printf("Reply from %s: time=%.3f ms\n", cl.target, ms);
        } else if (replies && is_info) {
            /* the node's JSON itself, as status --json prints its status */
            json_error_t je;
            json_t *j = json_loadb(rep.len ? (const char *)rep.data : "", rep.len, 0, &je);
            if (json_is_object(j))
                ctl_print_json(j, JSON_INDENT(2));
            else
                rc = ctl_fail(SIPC_EXIT_PROTOCOL, "sys.info from %s is not JSON: %s", cl.target, je.text);
            json_decref(j);
        } else if (replies) {
            json_array_append_new(replies, payload_json(&rep));
        } else {
            /* the node's answer, as text: nothing of it may act on a terminal
             * (--json gives it as it came) */
            cli_shown_lines(stdout, rep.data, rep.len);
            if (rep.len && rep.data[rep.len - 1] != '\n')
                putchar('\n');
        }
        ctl_reply_free(&rep);
    }
    if (json_array_size(replies))
        print_answers(&cl, replies, rc);
    json_decref(replies);
    ctl_disconnect(&cl);
    return rc;
}

int cmd_sys(void *arg)
{
    ctl *o = arg;
    int rc = ctl_check_args(o, 0, 1);
    if (rc != 0)
        return rc;
    /* no address: --node, else this home's node, as every other command */
    if (o->nargs && o->node)
        return ctl_fail(SIPC_EXIT_USAGE, "%s: give ADDRESS or --node, not both (see sipcctl %s --help)",
                        o->cmd, o->cmd);
    return call_repeatedly(o, o->nargs ? o->args[0] : NULL, "sys", o->cmd, NULL);
}

int cmd_call(void *arg)
{
    ctl *o = arg;
    int rc = ctl_check_args(o, 3, 4);
    if (rc != 0)
        return rc;
    if (o->node)
        return ctl_fail(SIPC_EXIT_USAGE, "call: ADDRESS names the node; leave out --node (see sipcctl "
                                  "call --help)");
    return call_repeatedly(o, o->args[0], o->args[1], o->args[2], o->nargs == 4 ? o->args[3] : NULL);
}
