/* reload_dials.c - see reload_dials.h. */
#include "reload_dials.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_services.h"

/* the dials' failures are the guard's to say, not each one's log line */
static void quiet(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    (void)arg;
    (void)level;
    (void)category;
    (void)msg;
}

static void ctx_closed(sipc_ctx *ctx, void *arg)
{
    reload_dials *a = arg;
    (void)ctx;
    if (--a->closing == 0)
        a->done(a->j);
}

/* Once every dial ended (and all were started), the contexts close. */
static void all_ended(reload_dials *a)
{
    if (a->open || !a->started || a->closing)
        return;
    a->closing = a->nsec - a->first;
    for (int k = a->first; k < a->nsec; k++)
        sipc_ctx_close(a->ctx[k], ctx_closed, a);
}

static void dial_end(reload_dial *d)
{
    if (d->done)
        return;
    d->done = 1;
    if (!d->up && !d->err && d->ch)
        d->err = sipc_channel_last_error(d->ch);
    if (!d->up && !d->err)
        d->err = SIPC_ENOTCONN;
    if (!d->up && !d->detail[0] && d->ch && sipc_channel_last_detail(d->ch))
        snprintf(d->detail, sizeof d->detail, "%s", sipc_channel_last_detail(d->ch));
    if (d->ch) {
        sipc_channel_close(d->ch, NULL, NULL);
        d->ch = NULL;
    }
    d->ask->open--;
    all_ended(d->ask);
}

static void dial_conn(sipc_conn *conn, sipc_conn_event ev, int err, void *arg)
{
    reload_dial *d = arg;
    (void)err;
    sipc_peer_info pi;
    if (d->done || ev != SIPC_CONN_UP || sipc_conn_info(conn, &pi) != 0)
        return;
    d->tls = pi.tls;
    snprintf(d->node, sizeof d->node, "%s", pi.peer_node);
    snprintf(d->fp, sizeof d->fp, "%s", pi.peer_fingerprint);
}

static void dial_answer(int err, const sipc_reply *reply, void *arg)
{
    reload_dial *d = arg;
    (void)reply;
    if (d->done)
        return;
    d->up = err == 0;
    d->err = err;
    dial_end(d);
}

static void dial_start(reload_dial *d, sipc_ctx *ctx, const char *addr, int port, uint32_t timeout)
{
    d->ask->open++;
    int r = sipc_channel_open(&d->ch, ctx, addr, port, NULL);
    if (r != 0) {
        d->ch = NULL;
        d->err = r;
        dial_end(d);
        return;
    }
    sipc_channel_set_conn_cb(d->ch, dial_conn, d);
    sipc_channel_set_fail_fast(d->ch, 1);
    if ((r = sipc_call(d->ch, "sys", "info", NULL, 0, timeout, dial_answer, d)) != 0) {
        d->err = r;
        dial_end(d);
    }
}

int reload_dials_start(reload_job *j, host *h, sipc_security *const sec[RELOAD_DIAL_SECS],
                       int first, int nsec, uint32_t timeout_ms, void (*done)(reload_job *j))
{
    reload_dials *a = calloc(1, sizeof *a);
    if (!a)
        return SIPC_ENOMEM;
    a->j = j;
    a->done = done;
    a->first = first;
    a->nsec = nsec;
    sipc_options o;
    sipc_options_from_config(&o, &h->cfg);
    o.log = quiet;
    o.source_address = sipc_config_source_address(&h->cfg);
    o.handshake_timeout_ms = timeout_ms;
    o.timeouts_reported = 1;
    for (int k = first; k < nsec; k++) {
        int r = sipc_ctx_new(&a->ctx[k], h->loop, &o, sec[k]);
        if (r != 0) {
            while (--k >= first)
                sipc_ctx_close(a->ctx[k], NULL, NULL);
            free(a);
            return r;
        }
    }
    j->dials = a;
    char name[160];
    int port;
    for (int i = 0; i < h->cfg.nnodes && a->n < SIPC_MAX_NODES; i++) {
        if (sipc_config_node_is_self(&h->cfg, i) ||
            sipc_config_node_service(&h->cfg, i, "management", name, sizeof name, &port) != 0)
            continue;
        snprintf(a->addr[a->n], sizeof a->addr[0], "%s", h->cfg.nodes[i]);
        a->entry[a->n] = i;
        for (int k = first; k < nsec; k++) {
            a->dial[k][a->n].ask = a;
            dial_start(&a->dial[k][a->n], a->ctx[k], name, port, timeout_ms);
        }
        a->n++;
    }
    /* every dial may have ended at once (none to make, or none could) */
    a->started = 1;
    all_ended(a);
    return 0;
}

/* The node of one [cluster] entry among the links the node keeps: the
 * search's to its search port, the pipeline's to its data port. */
typedef struct link_find {
    const sipc_config *cfg;
    int entry;
    char node[64];
} link_find;

static void link_seen(void *arg, const char *service, const sipc_link_info *li)
{
    link_find *f = arg;
    char addr[160], want[160];
    int port, want_port;
    const char *svc = !strcmp(service, "search") ? "search" : "data";
    if (f->node[0] || !li->peer_node[0] ||
        sipc_parse_address(li->address, 0, addr, sizeof addr, &port) != 0 ||
        sipc_config_node_service(f->cfg, f->entry, svc, want, sizeof want, &want_port) != 0)
        return;
    if (port == want_port && !strcmp(addr, want))
        snprintf(f->node, sizeof f->node, "%s", li->peer_node);
}

const char *reload_dials_node(const reload_dials *a, host *h, int i)
{
    for (int k = a->first; k < a->nsec; k++)
        if (a->dial[k][i].node[0])
            snprintf(h->crl_node[i], sizeof h->crl_node[i], "%s", a->dial[k][i].node);
    if (!h->crl_node[i][0]) {
        /* refused by every dial so far: the links of the security that
         * runs, which accepts it, have heard its hello */
        link_find f = {&h->cfg, a->entry[i], ""};
        host_service_links(h, link_seen, &f);
        snprintf(h->crl_node[i], sizeof h->crl_node[i], "%s", f.node);
    }
    return h->crl_node[i];
}

void reload_dials_free(reload_job *j)
{
    free(j->dials);
    j->dials = NULL;
}
