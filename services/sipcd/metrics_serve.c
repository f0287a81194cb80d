/* metrics_serve.c - sipcd's HTTP /metrics endpoint ([metrics] address): the
 * text rendered on the loop once a second and handed to the endpoint's own
 * thread, the endpoint's overdue connections closed at the same time, and a
 * WARN when hosts are held off or cut, so that an operator whose scrapes
 * fail finds why in the log. */
#include <stdio.h>
#include <stdlib.h>

#include "host.h"
#include "management_service.h"
#include "metrics_http.h"
#include "services/common/exit_codes.h"

/* at most one WARN per this, with the counts since the last */
#define METRICS_SAY_EVERY_MS (60 * 1000)

static void say_held_off(host *h, const sipc_metrics_http_counts *c)
{
    uint64_t now = uv_now(h->loop);
    if ((c->refused == h->metrics_refused && c->overdue == h->metrics_overdue) ||
        (h->metrics_said_ms && now - h->metrics_said_ms < METRICS_SAY_EVERY_MS))
        return;
    sipc_metrics_http_counts since = *c;
    since.refused -= h->metrics_refused;
    since.overdue -= h->metrics_overdue;
    char line[768];
    sipc_metrics_http_held_text(line, sizeof line, h->cfg.metrics_address, &since);
    sipc_logf(h->svc[HOST_MANAGEMENT].log, SIPC_LOG_WARN, "Service.Metrics", "%s", line);
    h->metrics_refused = c->refused;
    h->metrics_overdue = c->overdue;
    h->metrics_said_ms = now;
}

static void metrics_tick(uv_timer_t *t)
{
    host *h = t->data;
    char *text;
    size_t len;
    if (h->mgmt && h->http && sipc_mgmt_metrics(h->mgmt, &text, &len) == 0) {
        sipc_metrics_http_publish(h->http, text, len);
        free(text);
    }
    if (h->http) {
        sipc_metrics_http_counts c;
        sipc_metrics_http_sweep(h->http, &c);
        say_held_off(h, &c);
    }
}

int host_metrics_start(host *h)
{
    host_service *s = &h->svc[HOST_MANAGEMENT];
    if (!h->cfg.metrics_address[0])
        return 0;
    char mhost[160], err[600];
    int port;
    if (sipc_parse_address(h->cfg.metrics_address, 0, mhost, sizeof mhost, &port) != 0 ||
        sipc_metrics_http_start(&h->http, mhost, port, err, sizeof err) != 0) {
        sipc_logf(s->log, SIPC_LOG_ERROR, "Service.Start", "Cannot serve metrics on %s: %s",
                  h->cfg.metrics_address, err);
        return SIPC_EXIT_OSERR;
    }
    sipc_logf(s->log, SIPC_LOG_INFO, "Service.Start",
              "Metrics: http://%s/metrics (Prometheus text format)", h->cfg.metrics_address);
    uv_timer_init(h->loop, &h->metrics_timer);
    h->metrics_timer.data = h;
    h->metrics_timer_on = 1;
    metrics_tick(&h->metrics_timer);
    uv_timer_start(&h->metrics_timer, metrics_tick, 1000, 1000);
    return 0;
}

void host_metrics_stop(host *h)
{
    if (h->metrics_timer_on) {
        uv_timer_stop(&h->metrics_timer);
        uv_close((uv_handle_t *)&h->metrics_timer, NULL);
        h->metrics_timer_on = 0;
    }
    sipc_metrics_http_stop(h->http);
    h->http = NULL;
}
