/* pipeline_silence.c - destinations that stop answering. A node stopped
 * (SIGSTOP, a hung process), powered off or cut off by a partition keeps
 * its connection up and sends nothing back; its puts would hold every
 * request with records for it until the keepalive gives up (keepalive_ms +
 * keepalive_timeout_ms, 25 s) or the deadline, and those requests hold the
 * producers' credit, so the healthy nodes' records would trickle too.
 *
 * While a destination has calls in flight, a look every look_ms asks its
 * link how long nothing at all has been received from it (counted from
 * when its calls began, if later). After a quarter of unresponsive_ms of
 * that silence the link sends its PING at once (sipc_channel_ping), which a
 * live node answers within milliseconds however slow its puts are: its
 * disk work runs off its loop. Silent for unresponsive_ms, with that PING
 * unanswered for half of it (the link counts the peer taking our bytes as
 * an answer, so a large batch still going out on a slow link is not
 * silence), at two looks in a row (a loop of ours that did not run has not
 * read what came meanwhile), the destination is unresponsive: its calls
 * are cancelled and their records, those waiting for it and its new ones
 * are answered UNAVAILABLE at once ("may still be stored" for what had
 * been sent), until anything comes from it: a byte on its connection (the
 * PING's answer, a cancelled put's) or a new connection's hello. The PING
 * is the probe: no records wait on a silent node. Only silence counts: a
 * destination that answers its PING but is slow to store waits as before. */
#include <assert.h>
#include <stdio.h>

#include "pipeline_impl.h"

/* Taken back: something came from d. */
static void back(pl_dest *d, uint64_t now)
{
    char who[300];
    pl_dest_label(d, who, sizeof who);
    d->unresponsive = 0;
    d->silent_looks = 0;
    pl_logf(d->p, SIPC_LOG_INFO,
            "data service %s answers again after %llu ms of silence; its records go to it again",
            who, (unsigned long long)(now > d->quiet_from ? now - d->quiet_from : 0));
}

void pl_silent_reason(const pl_dest *d, char *out, size_t n)
{
    char who[300];
    pl_dest_label(d, who, sizeof who);
    uint64_t now = uv_now(d->p->loop);
    snprintf(out, n,
             "%s unresponsive: nothing received from it for %llu ms while puts waited, not "
             "even the answer to a PING",
             who, (unsigned long long)(now > d->quiet_from ? now - d->quiet_from : 0));
}

/* d has been silent since from: its records are answered from now on, those
 * in flight and waiting out a backoff included. */
static void cut_off(pl_dest *d, uint64_t from, uint64_t now)
{
    sipc_pipeline *p = d->p;
    char who[300];
    pl_dest_label(d, who, sizeof who);
    d->unresponsive = 1;
    d->silent_looks = 0;
    d->quiet_from = from;
    pl_logf(p, SIPC_LOG_WARN,
            "data service %s: nothing received from it for %llu ms while puts waited, not even "
            "the answer to a PING (stopped, cut off or powered off?): its records are answered "
            "UNAVAILABLE at once until it answers again",
            who, (unsigned long long)(now - from));
    for (pl_batch **pp = &p->delayed; *pp;) {
        pl_batch *b = *pp;
        if (b->d == d) {
            *pp = b->next;
            pl_dest_push(d, b);
        } else {
            pp = &b->next;
        }
    }
    /* each callback runs inside the cancel and answers its records
     * (attempt_failed), then pumps d, which answers what waits for it; no
     * call goes to d meanwhile, so the list empties */
    while (d->flying) {
        int e = sipc_call_cancel(d->ch, d->flying->call);
        assert(e == 0);
        (void)e;
    }
    pl_dest_pump(d);
}

int pl_dest_silent(pl_dest *d)
{
    if (!d->unresponsive)
        return 0;
    sipc_link_info li;
    uint64_t now = uv_now(d->p->loop);
    if (sipc_channel_info(d->ch, &li) == 0 && li.up && now >= li.silent_ms &&
        now - li.silent_ms > d->quiet_from) {
        back(d, now);
        return 0;
    }
    return 1;
}

void pl_dest_heard(pl_dest *d)
{
    d->silent_looks = 0;
    if (d->unresponsive)
        back(d, uv_now(d->p->loop));
}

/* One look at d; whether d still needs looking at (calls in flight, or
 * judged unresponsive). */
static int look(pl_dest *d, uint64_t now)
{
    uint32_t t = d->p->o.unresponsive_ms;
    if (d->unresponsive)
        return pl_dest_silent(d);
    if (!d->calls) {
        d->silent_looks = 0;
        return 0;
    }
    sipc_link_info li;
    if (sipc_channel_info(d->ch, &li) != 0 || !li.up) {
        /* its calls wait for the link (the deadline and the link's own
         * verdicts apply) */
        d->silent_looks = 0;
        return 1;
    }
    uint64_t life = now > li.silent_ms ? now - li.silent_ms : 0;
    uint64_t from = life > d->busy_since ? life : d->busy_since;
    uint64_t quiet = now > from ? now - from : 0;
    if (quiet >= t / 4)
        (void)sipc_channel_ping(d->ch); /* 0 at once when one waits already */
    if (quiet >= t && li.ping_wait_ms >= t / 2) {
        if (++d->silent_looks >= 2)
            cut_off(d, from, now);
    } else {
        d->silent_looks = 0;
    }
    return 1;
}

static void on_watch(uv_timer_t *t)
{
    sipc_pipeline *p = t->data;
    uint64_t now = uv_now(p->loop);
    int busy = 0;
    for (size_t i = 0; i < p->ndests; i++)
        busy |= look(&p->dests[i], now);
    if (!busy && !p->closing) {
        uv_timer_stop(&p->watch);
        p->watch_on = 0;
    }
}

void pl_watch_arm(sipc_pipeline *p)
{
    if (p->watch_on || p->closing || !p->o.unresponsive_ms)
        return;
    p->watch_on = 1;
    uv_timer_start(&p->watch, on_watch, p->look_ms, p->look_ms);
}

size_t sipc_pipeline_silent_each(const sipc_pipeline *p,
                                 void (*fn)(void *arg, const sipc_pipeline_silent *s), void *arg)
{
    size_t n = 0;
    uint64_t now = uv_now(p->loop);
    for (size_t i = 0; i < p->ndests; i++) {
        const pl_dest *d = &p->dests[i];
        if (!d->unresponsive)
            continue;
        sipc_pipeline_silent s = {d->name, d->node_id,
                                  now > d->quiet_from ? now - d->quiet_from : 0};
        n++;
        if (fn)
            fn(arg, &s);
    }
    return n;
}

uint32_t sipc_pipeline_unresponsive_ms(const sipc_pipeline *p)
{
    return p->o.unresponsive_ms;
}
