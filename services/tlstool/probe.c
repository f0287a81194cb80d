/* probe.c - the test connections of `tlstool check`: one channel per
 * [cluster] node, one sys.info call each, all at once on a private loop. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "services/common/err_line.h"
#include "services/common/shown_text.h"
#include "services/tlstool/tlstool.h"

typedef struct probe {
    node_probe *res;
    char host[128];
    int port;
    sipc_channel *ch;
    uv_timer_t timer;
    int done;
    struct probe_run *run;
} probe;

typedef struct probe_run {
    probe *p;
    int n;
    int pending;
    int default_port; /* a [cluster] nodes entry without one: the data port, as sipcd reads it */
    sipc_ctx *ctx;
} probe_run;

static void probe_log(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    probe_run *run = arg;
    (void)category;
    if (level < SIPC_LOG_WARN)
        return;
    /* remember the reasons per node address mentioned in the message */
    for (int i = 0; i < run->n; i++)
        if (strstr(msg, run->p[i].res->addr) || strstr(msg, "certificate"))
            cli_shown(msg, run->p[i].res->log, sizeof run->p[i].res->log);
}

static void probe_finish(probe *p)
{
    if (p->done)
        return;
    p->done = 1;
    uv_timer_stop(&p->timer);
    /* the call's own error (an error answer, on a channel that is fine)
     * comes first; the channel's tells why no answer came */
    if (!p->res->up && !p->res->err && p->ch)
        p->res->err = sipc_channel_last_error(p->ch);
    if (!p->res->up && !p->res->err)
        p->res->err = SIPC_ENOTCONN;
    if (p->ch) {
        sipc_channel_close(p->ch, NULL, NULL);
        p->ch = NULL;
    }
    uv_close((uv_handle_t *)&p->timer, NULL);
    if (--p->run->pending == 0)
        sipc_ctx_close(p->run->ctx, NULL, NULL);
}

static void probe_info_cb(int err, const sipc_reply *reply, void *arg)
{
    probe *p = arg;
    if (p->done)
        return;
    if (err == 0) {
        p->res->up = 1;
        /* what the node runs with now, which may differ from its sipc.conf
         * until it is restarted */
        json_t *j = reply && reply->data ? json_loadb((const char *)reply->data, reply->len, 0, NULL)
                                         : NULL;
        const char *m = j ? json_string_value(json_object_get(j, "tls_mode")) : NULL;
        const char *f = j ? json_string_value(json_object_get(j, "fingerprint")) : NULL;
        const char *n = j ? json_string_value(json_object_get(j, "node")) : NULL;
        /* the mode kept as it is shown: the node's words */
        if (m)
            cli_shown(m, p->res->live_mode, sizeof p->res->live_mode);
        if (f)
            snprintf(p->res->live_fp, sizeof p->res->live_fp, "%s", f);
        if (n)
            cli_shown(n, p->res->live_node, sizeof p->res->live_node);
        json_decref(j);
    } else {
        p->res->err = err;
        /* an error answer's own words first: the channel's detail is about
         * the connection, which may be fine (a plaintext fallback's note) */
        const char *d = reply && reply->status && reply->message && reply->message[0]
                            ? reply->message
                            : p->ch ? sipc_channel_last_detail(p->ch) : NULL;
        if (!d || !d[0])
            d = reply && reply->message ? reply->message : NULL;
        /* kept as it is shown: it quotes the node */
        if (d && d[0])
            cli_shown(d, p->res->detail, sizeof p->res->detail);
    }
    probe_finish(p);
}

static void probe_conn_cb(sipc_conn *conn, sipc_conn_event ev, int err, void *arg)
{
    probe *p = arg;
    (void)err;
    if (!p->done && ev == SIPC_CONN_UP)
        sipc_conn_info(conn, &p->res->info);
}

static void probe_timeout(uv_timer_t *t)
{
    probe *p = t->data;
    if (!p->res->err && p->ch)
        p->res->err = sipc_channel_last_error(p->ch);
    if (!p->res->err)
        p->res->err = SIPC_ETIMEDOUT;
    probe_finish(p);
}

/* Opens p's channel and sends its call; on failure finishes p at once. */
static void probe_start(probe *p, uv_loop_t *loop, int timeout_ms)
{
    node_probe *res = p->res;
    uv_timer_init(loop, &p->timer);
    p->timer.data = p;
    p->run->pending++;
    if (sipc_parse_address(res->addr, p->run->default_port, p->host, sizeof p->host, &p->port) !=
        0) {
        res->err = SIPC_EINVAL;
        snprintf(res->detail, sizeof res->detail, "not HOST:PORT");
        probe_finish(p);
        return;
    }
    int rc = sipc_channel_open(&p->ch, p->run->ctx, p->host, p->port, NULL);
    if (rc != 0) {
        p->ch = NULL;
        res->err = rc;
        probe_finish(p);
        return;
    }
    sipc_channel_set_conn_cb(p->ch, probe_conn_cb, p);
    sipc_channel_set_fail_fast(p->ch, 1);
    rc = sipc_call(p->ch, "sys", "info", NULL, 0, (uint32_t)timeout_ms, probe_info_cb, p);
    if (rc != 0) {
        res->err = rc;
        probe_finish(p);
        return;
    }
    uv_timer_start(&p->timer, probe_timeout, (uint64_t)timeout_ms, 0);
}

int probe_nodes(const sipc_config *cfg, sipc_security *sec, int timeout_ms, node_probe *nodes)
{
    probe_run run;
    memset(&run, 0, sizeof run);
    run.n = cfg->nnodes;
    run.default_port = sipc_config_port(cfg, "data");
    run.p = calloc((size_t)cfg->nnodes, sizeof *run.p);
    uv_loop_t loop;
    sipc_options opt;
    sipc_options_init(&opt);
    /* sipcd's strict guard leaves connections of this name out of its peer
     * history (services/sipcd/peers.c): keep the two in step */
    opt.node_id = "tlstool-check";
    opt.cluster = cfg->cluster;
    opt.log = probe_log;
    opt.log_arg = &run;
    opt.reconnect_min_ms = 200;
    opt.handshake_timeout_ms = (uint32_t)timeout_ms;
    if (!run.p || uv_loop_init(&loop) != 0) {
        free(run.p);
        return EX_FAIL;
    }
    if (sipc_ctx_new(&run.ctx, &loop, &opt, sec) != 0) {
        uv_loop_close(&loop);
        free(run.p);
        return EX_FAIL;
    }
    for (int i = 0; i < run.n; i++) {
        memset(&nodes[i], 0, sizeof nodes[i]);
        snprintf(nodes[i].addr, sizeof nodes[i].addr, "%s", cfg->nodes[i]);
        run.p[i].res = &nodes[i];
        run.p[i].run = &run;
    }
    for (int i = 0; i < run.n; i++)
        probe_start(&run.p[i], &loop, timeout_ms);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    free(run.p);
    return 0;
}

int probe_cluster(const sipc_config *cfg, int timeout_ms, node_probe **out, char *err,
                  size_t errlen)
{
    *out = NULL;
    /* permissive: a node still in plaintext answers and is reported as such */
    sipc_config probe_cfg = *cfg;
    probe_cfg.tls_enable = 1;
    probe_cfg.tls_mode = SIPC_TLS_PERMISSIVE;
    sipc_security *sec;
    char why[600];
    if (sipc_security_load(&sec, &probe_cfg, why, sizeof why) != 0) {
        snprintf(err, errlen, "cannot set up TLS for the test connections: %s", why);
        return EX_CONFIG;
    }
    node_probe *nodes = calloc(cfg->nnodes > 0 ? (size_t)cfg->nnodes : 1, sizeof *nodes);
    int r = nodes ? probe_nodes(cfg, sec, timeout_ms, nodes) : EX_FAIL;
    sipc_security_release(sec);
    if (r != 0) {
        free(nodes);
        snprintf(err, errlen, "cannot start the test connections");
        return EX_FAIL;
    }
    *out = nodes;
    return 0;
}

void probe_list_add(char *list, size_t len, const node_probe *n)
{
    size_t at = strlen(list);
    if (at < len)
        snprintf(list + at, len - at, "%s%s%s%s%s", at ? ", " : "", n->addr,
                 n->live_node[0] ? " (node " : "", n->live_node, n->live_node[0] ? ")" : "");
}

void probe_list_why(char *list, size_t len, const node_probe *n, const node_probe *d)
{
    size_t at = strlen(list);
    if (at + 2 >= len)
        return;
    char one[160] = "";
    probe_list_add(one, sizeof one, n);
    int wl;
    const char *why = cli_err_reason(d->err, d->detail, &wl);
    if (!wl) {
        why = sipc_strerror(d->err);
        wl = (int)strlen(why);
    }
    snprintf(list + at, len - at, "%s%s: %.*s", at ? "; " : "", one, wl, why);
}
