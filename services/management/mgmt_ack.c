/* mgmt_ack.c - management.ack: the operator acknowledges findings the status
 * shows until then (so far "records-lost": committed records found gone at
 * a start), naming the ones acknowledged. Who may is the host's to judge:
 * this file only reads the request and says who asked and whether it came
 * over TLS, as for management.reload. */
#include <stdio.h>
#include <string.h>

#include "management_impl.h"

void mgmt_on_ack(sipc_request *req, void *arg)
{
    sipc_mgmt *m = arg;
    if (!m->ack) {
        sipc_respond_error(req, 1, "this node has nothing to acknowledge");
        return;
    }
    size_t len;
    const void *data = sipc_request_data(req, &len);
    json_error_t je;
    json_t *j = len > 0 ? json_loadb(data, len, 0, &je) : NULL;
    json_t *what = json_object_get(j, "what"), *lines = json_object_get(j, "lines");
    int good = json_is_string(what) && json_is_array(lines);
    size_t i;
    json_t *v;
    json_array_foreach(lines, i, v) good &= json_is_string(v);
    if (!good) {
        json_decref(j);
        sipc_respond_error(req, 1,
                           "ack request: expected {\"what\": \"records-lost\", \"lines\": "
                           "[the findings' \"line\" as the status shows them]}");
        return;
    }
    /* bounded before the host matches them against the file, line by line */
    char why[200] = "";
    if (json_array_size(lines) > SIPC_MGMT_ACK_LINES_MAX)
        snprintf(why, sizeof why, "ack request: %zu lines named, at most %d (no status shows more)",
                 json_array_size(lines), SIPC_MGMT_ACK_LINES_MAX);
    json_array_foreach(lines, i, v)
    {
        if (!why[0] && json_string_length(v) > SIPC_MGMT_ACK_LINE_MAX)
            snprintf(why, sizeof why,
                     "ack request: line %zu is %zu bytes, at most %d (no status shows a longer "
                     "one)",
                     i + 1, json_string_length(v), SIPC_MGMT_ACK_LINE_MAX);
    }
    if (why[0]) {
        json_decref(j);
        sipc_respond_error(req, 1, why);
        return;
    }
    char caller[200] = "an unknown peer";
    sipc_conn *c = sipc_request_conn(req);
    sipc_peer_info pi;
    int tls = 0;
    if (c && sipc_conn_info(c, &pi) == 0) {
        /* a TLS connection here passed mutual TLS: its peer holds the pair */
        tls = pi.tls;
        snprintf(caller, sizeof caller, "%s (node %s, %s)", pi.address,
                 pi.peer_node[0] ? pi.peer_node : "?", pi.tls ? "TLS" : "plaintext");
    }
    json_t *answer = m->ack(m->ack_arg, json_string_value(what), lines, caller, tls);
    json_decref(j);
    if (!answer) {
        sipc_respond_error(req, SIPC_ENOMEM, "out of memory");
        return;
    }
    mgmt_respond_json(req, answer);
}
