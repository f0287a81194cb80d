/* config_options.c - what a loaded sipc.conf gives a program: the
 * sipc_options of its contexts, the TLS mode of each service, and its [tls]
 * settings copied into another configuration. */
#include <string.h>

#include "sipc/node.h"

void sipc_config_copy_tls(sipc_config *dst, const sipc_config *src)
{
    if (!dst || !src || dst == src)
        return;
    /* every field the [tls] branch of on_setting() (config_load.c) sets: a
     * key added there is added here (test_config's copy_tls_covers_every_key
     * sets them all) */
    dst->tls_enable = src->tls_enable;
    dst->tls_enable_line = src->tls_enable_line;
    dst->tls_mode = src->tls_mode;
    memcpy(dst->subject, src->subject, sizeof dst->subject);
    dst->subject_line = src->subject_line;
    dst->revocation = src->revocation;
    dst->strict_guard_window = src->strict_guard_window;
}

sipc_tls_mode sipc_config_effective_mode(const sipc_config *cfg)
{
    return cfg && cfg->tls_enable ? cfg->tls_mode : SIPC_TLS_OFF;
}

sipc_tls_mode sipc_config_service_mode(const sipc_config *cfg, const char *service)
{
    if (!cfg || !service || strcmp(service, "pipeline") != 0 || cfg->pipeline_tls < 0)
        return sipc_config_effective_mode(cfg);
    if (!cfg->pipeline_tls)
        return SIPC_TLS_OFF;
    /* the pipeline's own switch: the imported pair, whatever [tls] enable says */
    return cfg->tls_enable ? cfg->tls_mode : SIPC_TLS_STRICT;
}

void sipc_options_from_config(sipc_options *opts, const sipc_config *cfg)
{
    sipc_options_init(opts);
    if (!opts || !cfg)
        return;
    opts->node_id = cfg->node_id;
    opts->cluster = cfg->cluster;
    opts->max_frame = cfg->max_frame;
    if (cfg->max_connections)
        opts->max_connections = cfg->max_connections;
    if (cfg->max_opening)
        opts->max_opening = cfg->max_opening;
    if (cfg->max_connections_per_host)
        opts->max_connections_per_host = cfg->max_connections_per_host;
    if (cfg->reconnect_max_ms)
        opts->reconnect_max_ms = cfg->reconnect_max_ms;
    if (cfg->max_write_queue)
        opts->max_write_queue = cfg->max_write_queue;
    if (cfg->max_write_queue_total)
        opts->max_write_queue_total = cfg->max_write_queue_total;
    if (cfg->max_read_buffer_total)
        opts->max_read_buffer_total = cfg->max_read_buffer_total;
    if (cfg->keepalive_ms)
        opts->keepalive_ms = cfg->keepalive_ms == SIPC_CONFIG_OFF ? 0 : cfg->keepalive_ms;
    if (cfg->keepalive_timeout_ms)
        opts->keepalive_timeout_ms =
            cfg->keepalive_timeout_ms == SIPC_CONFIG_OFF ? 0 : cfg->keepalive_timeout_ms;
    if (cfg->idle_timeout_ms)
        opts->idle_timeout_ms = cfg->idle_timeout_ms == SIPC_CONFIG_OFF ? 0 : cfg->idle_timeout_ms;
}
