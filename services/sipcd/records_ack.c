/* records_ack.c - the management channel's acknowledgement of lost
 * records (sipcctl ack records-lost): who may ask, and what the data
 * service's log says of it. The findings themselves: records_mark.c. */
#include <stdio.h>
#include <string.h>

#include "host.h"
#include "host_services.h"
#include "json_text.h"
#include "records_mark.h"

/* at most one WARN line per this many ms for refused plaintext acknowledgements */
#define ACK_REFUSED_LOG_MS 60000

/* management.ack of "records-lost": removes the findings named. Only a
 * caller that passed mutual TLS may, as only such a caller's reload --force
 * leaves a lasting mark: in plaintext (TLS off, or a permissive listener)
 * the caller is anyone who reaches the port, and removing a finding hides
 * a loss. Logged in the data service's log, beside the finding's WARN. */
json_t *host_records_ack(void *arg, const char *what, const json_t *lines, const char *caller,
                         int tls)
{
    host *h = arg;
    sipc_logger *log = h->svc[HOST_DATA].log;
    char msg[1200];
    json_t *a = json_pack("{s:i, s:s, s:s}", "schema", 1, "node", h->cfg.node_id, "what", what);
    if (!a)
        return NULL;
    const char *result;
    json_t *lists = NULL;
    if (strcmp(what, "records-lost") != 0) {
        result = "refused";
        snprintf(msg, sizeof msg, "nothing called '%.60s' to acknowledge (only records-lost)",
                 what);
    } else if (!tls) {
        result = "refused";
        snprintf(msg, sizeof msg,
                 "acknowledgement refused: the request came in plaintext, so it could come from "
                 "anyone who reaches this port; ask over TLS (from a home holding the cluster's "
                 "pair, with TLS enabled here), or remove state/records-lost in this node's "
                 "home");
        /* anyone who reaches the port can ask as often as it likes: one
         * line a minute at most, counting the ones not logged */
        uint64_t now = uv_now(h->loop);
        if (h->ack_refused_logged && now - h->ack_refused_logged_at < ACK_REFUSED_LOG_MS) {
            h->ack_refused_quiet++;
        } else {
            char more[160] = "";
            if (h->ack_refused_quiet)
                snprintf(more, sizeof more,
                         " (and %lu more refused so since the last such line, not logged: one "
                         "line a minute at most)",
                         h->ack_refused_quiet);
            sipc_logf(log, SIPC_LOG_WARN, "Data.Storage",
                      "Acknowledgement of lost records asked by %s refused: it came in "
                      "plaintext%s",
                      caller, more);
            h->ack_refused_logged = 1;
            h->ack_refused_logged_at = now;
            h->ack_refused_quiet = 0;
        }
    } else {
        char err[1000] = "";
        int r = records_lost_ack(h->cfg.home, lines, &lists, err, sizeof err);
        if (r != 0) {
            result = "failed";
            snprintf(msg, sizeof msg, "nothing acknowledged: %s", err);
            sipc_logf(log, SIPC_LOG_WARN, "Data.Storage",
                      "Acknowledgement of lost records asked by %s failed: %s", caller, err);
        } else {
            size_t nr = json_array_size(json_object_get(lists, "removed"));
            size_t nk = json_array_size(json_object_get(lists, "kept"));
            size_t i;
            json_t *v;
            json_array_foreach(json_object_get(lists, "removed"), i, v)
                sipc_logf(log, SIPC_LOG_INFO, "Data.Storage",
                          "Lost records acknowledged by %s: %s", caller, json_string_value(v));
            if (nr && nk)
                sipc_logf(log, SIPC_LOG_INFO, "Data.Storage",
                          "%zu finding%s of lost records stay%s in state/records-lost: not named "
                          "by the acknowledgement of %s (not among those it was shown)",
                          nk, nk == 1 ? "" : "s", nk == 1 ? "s" : "", caller);
            result = nr ? "acknowledged" : "nothing";
            if (nr)
                snprintf(msg, sizeof msg, "%zu finding%s of lost records acknowledged%s", nr,
                         nr == 1 ? "" : "s",
                         nk ? "; findings not named (not among those listed) stay"
                            : ": state/records-lost removed");
            else
                snprintf(msg, sizeof msg, "nothing to acknowledge%s",
                         json_array_size(json_object_get(lists, "gone"))
                             ? ": the findings named are not there (acknowledged already)"
                             : "");
        }
    }
    json_object_set_new(a, "result", json_string(result));
    json_object_set_new(a, "message", sipc_json_text(msg));
    json_object_update(a, lists);
    json_decref(lists);
    /* what a caller with the pair did is in the log when the answer comes;
     * a refusal is not worth a flush of every log per request */
    if (tls && !strcmp(what, "records-lost"))
        sipc_logger_flush(log);
    return a;
}
