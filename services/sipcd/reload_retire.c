/* reload_retire.c - after a reload, sipcd replaces the connections made
 * before it (sipc_ctx_retire_connections on every context: the services',
 * the management channel's links, the pipeline's links): each, idle or busy,
 * gets a GOAWAY RETIRE_TICK_MS after the reload, so that none is cut in the
 * middle of a request, and sipcd says when none is left. An idle one is gone
 * a round trip after its GOAWAY, a busy one once answered (within 10 s):
 * they are counted RETIRE_SOON_MS after the GOAWAYs, then twice as long
 * apart each time up to every RETIRE_TICK_MS, so that "every connection ...
 * replaced" comes within a few round trips of the last close. A connection
 * still in its handshake gets its GOAWAY once its hellos are done, without a
 * tick. After RETIRE_TICKS counts whatever is left closes by itself. */
#include "host.h"
#include "services/pipeline/pipeline_service.h"
#include "reload_job.h"

#define RETIRE_TICK_MS 500
#define RETIRE_SOON_MS 5
#define RETIRE_TICKS 240

void host_reload_init(host *h)
{
    uv_timer_init(h->loop, &h->retire_timer);
    h->retire_timer.data = h;
    h->retire_on = 1;
    host_reload_recheck_start(h);
}

void host_reload_stop(host *h)
{
    if (h->retire_on) {
        uv_timer_stop(&h->retire_timer);
        uv_close((uv_handle_t *)&h->retire_timer, NULL);
        h->retire_on = 0;
    }
    if (h->recheck_on) {
        uv_timer_stop(&h->recheck_timer);
        uv_close((uv_handle_t *)&h->recheck_timer, NULL);
        h->recheck_on = 0;
    }
}

/* How many connections of each context still hold a security older than
 * its context's; sends those not yet told a GOAWAY. */
static int retire(host *h, int *per_service)
{
    int total = 0;
    for (int i = 0; i < HOST_NSERVICES; i++) {
        int n = h->svc[i].ctx ? sipc_ctx_retire_connections(h->svc[i].ctx, 0) : 0;
        if (i == HOST_MANAGEMENT && h->probe_ctx)
            n += sipc_ctx_retire_connections(h->probe_ctx, 0);
        if (i == HOST_PIPELINE && h->pipeline)
            n += sipc_ctx_retire_connections(sipc_pipeline_links_ctx(h->pipeline), 0);
        per_service[i] = n;
        total += n;
    }
    return total;
}

static void on_retire_tick(uv_timer_t *t)
{
    host *h = t->data;
    int per[HOST_NSERVICES];
    int left = retire(h, per);
    uint64_t every = uv_timer_get_repeat(t);
    if (left == 0) {
        uv_timer_stop(t);
        reload_log_each(h, SIPC_LOG_INFO,
                        "Every connection made before the reload has been replaced%s%s", "", "");
    } else if (++h->retire_ticks >= RETIRE_TICKS) {
        uv_timer_stop(t);
        for (int i = 0; i < HOST_NSERVICES; i++)
            if (per[i])
                sipc_logf(h->svc[i].log, SIPC_LOG_WARN, "Service.Reload",
                          "%d connections made before the reload are still busy; they keep "
                          "the previous setup until they close",
                          per[i]);
    } else if (every < RETIRE_TICK_MS) {
        uint64_t next = 2 * every < RETIRE_TICK_MS ? 2 * every : RETIRE_TICK_MS;
        uv_timer_start(t, on_retire_tick, every, next);
    }
}

void reload_retire_start(host *h)
{
    h->retire_ticks = 0;
    if (h->retire_on)
        uv_timer_start(&h->retire_timer, on_retire_tick, RETIRE_TICK_MS, RETIRE_SOON_MS);
}
