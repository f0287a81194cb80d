/* host_stop.c - the node's stop: by a signal, the servers drain what is
 * in progress first (the data service last), then every service is closed,
 * its servers before the stores they call (see host_stop, host.h). */
#include <string.h>

#include "host.h"
#include "management_service.h"
#include "services/data/data_service.h"
#include "services/pipeline/pipeline_service.h"
#include "services/search/search_service.h"

static void on_data_closed(void *arg)
{
    host *h = arg;
    records_mark_save(h); /* every queued write is in it now */
    h->data = NULL;
}

static void on_ctx_closed(sipc_ctx *ctx, void *arg)
{
    (void)ctx;
    host_service *s = arg;
    sipc_logf(s->log, SIPC_LOG_INFO, "Service.Stop", "%s Stopped", s->display);
    s->ctx = NULL;
}

static void on_search_closed(void *arg)
{
    host *h = arg;
    h->search = NULL;
}

static void on_pipeline_closed(void *arg)
{
    host *h = arg;
    h->pipeline = NULL;
}

static void on_mgmt_closed(void *arg)
{
    host *h = arg;
    h->mgmt = NULL;
}

static void on_drain_timer(uv_timer_t *t);
static void stop_services(host *h);

void host_stop(host *h, const char *signame)
{
    if (h->stopping)
        return;
    h->stopping = 1;
    host_metrics_stop(h);
    host_reload_stop(h);
    host_pair_watch_stop(h);
    host_peer_watch_stop(h);
    for (int i = 0; signame && i < HOST_NSERVICES; i++)
        if (h->svc[i].log)
            sipc_logf(h->svc[i].log, SIPC_LOG_INFO, "Service.Stop",
                      "Received %s, stopping %s: no new connections; the requests in progress are "
                      "answered first (at most %d s)",
                      signame, h->svc[i].display, HOST_DRAIN_MS / 1000);
    if (!signame) {
        stop_services(h);
        return;
    }
    /* A stop asked for by a signal lets what is in progress finish: first
     * every service but data (the pipeline's deliveries in progress still
     * reach this node's data service), then data. */
    h->drain_start = uv_now(h->loop);
    h->drain_stage = 1;
    uv_timer_init(h->loop, &h->drain_timer);
    h->drain_timer.data = h;
    h->drain_on = 1;
    on_drain_timer(&h->drain_timer);
    if (h->drain_on)
        uv_timer_start(&h->drain_timer, on_drain_timer, 20, 20);
}

/* The busy connections left on the servers of this stage after asking them
 * to drain once more. */
static int drain_stage(host *h)
{
    int busy = 0;
    for (int i = 0; i < HOST_NSERVICES; i++)
        if (h->svc[i].srv && (i == HOST_DATA) == (h->drain_stage == 2))
            busy += sipc_server_drain(h->svc[i].srv, 0);
    return busy;
}

/* At the stop and every 20 ms after (an idle connection's GOAWAY takes a
 * round trip): a stage ends when no connection of it is left or at its
 * deadline (then what is still open is cut, as a plain close does). */
static void on_drain_timer(uv_timer_t *t)
{
    host *h = t->data;
    uint64_t spent = uv_now(h->loop) - h->drain_start;
    if (h->drain_stage == 1 && (!drain_stage(h) || spent >= HOST_DRAIN_MS * 7 / 10))
        h->drain_stage = 2;
    if (h->drain_stage == 2 && drain_stage(h) && spent < HOST_DRAIN_MS)
        return;
    if (h->drain_stage == 1)
        return;
    uv_timer_stop(&h->drain_timer);
    uv_close((uv_handle_t *)&h->drain_timer, NULL);
    h->drain_on = 0;
    stop_services(h);
}

/* Closes the services: their servers first (no new requests), then the
 * stores they call. */
static void stop_services(host *h)
{
    for (int i = 0; i < HOST_NSERVICES; i++) {
        host_service *s = &h->svc[i];
        if (h->mgmt && s->srv)
            sipc_mgmt_forget_server(h->mgmt, s->srv);
    }
    if (h->mgmt)
        sipc_mgmt_close(h->mgmt, on_mgmt_closed, h);
    if (h->probe_ctx) {
        sipc_ctx_close(h->probe_ctx, NULL, NULL);
        h->probe_ctx = NULL;
    }
    /* servers first (no new requests), then the stores they call */
    for (int i = 0; i < HOST_NSERVICES; i++) {
        host_service *s = &h->svc[i];
        if (s->ctx) {
            sipc_logf(s->log, SIPC_LOG_INFO, "Service.Stop", "Stopping %s", s->display);
            sipc_ctx_close(s->ctx, on_ctx_closed, s);
        }
    }
    if (h->pipeline)
        sipc_pipeline_close(h->pipeline, on_pipeline_closed, h);
    if (h->search)
        sipc_search_close(h->search, on_search_closed, h);
    if (h->data) {
        sipc_data_close(h->data, on_data_closed, h);
    }
}

void host_free(host *h)
{
    /* what came up while the services closed */
    if (h->peers.path[0])
        host_save_peers(h);
    for (int i = 0; i < HOST_NSERVICES; i++) {
        sipc_router_free(h->svc[i].router);
        sipc_security_release(h->svc[i].sec);
        sipc_logger_close(h->svc[i].log);
        memset(&h->svc[i], 0, sizeof h->svc[i]);
    }
    host_reload_free(h);
}
