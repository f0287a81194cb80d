/* pair_watch.c - what sipcd says about its own certificate while it runs,
 * as it says it at start: an ERROR once the pair stops verifying (it
 * expired, so every TLS handshake fails), repeated every hour while that
 * lasts, and the warning of an expiry within 30 days once a day. A check is
 * one verification of the node's own chain, so it runs every few minutes:
 * the ERROR comes within that of the moment of expiry. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

#define PAIR_CHECK_MS (5 * 60 * 1000)
#define PAIR_ERROR_EVERY_MS (60 * 60 * 1000)
#define PAIR_WARN_EVERY_MS (24 * 60 * 60 * 1000)

enum { PAIR_FINE, PAIR_WARNED, PAIR_BAD };

/* Logs what the check of service i finds when it differs from what was said
 * last, or when it was said long enough ago. */
static void check_one(host *h, int i, const char *category, int always)
{
    host_service *s = &h->svc[i];
    char health[1024];
    int bad = sipc_security_self_check(s->sec, health, sizeof health) != 0;
    int level = bad ? PAIR_BAD : health[0] ? PAIR_WARNED : PAIR_FINE;
    uint64_t now = uv_now(h->loop);
    uint64_t every = level == PAIR_BAD ? PAIR_ERROR_EVERY_MS : PAIR_WARN_EVERY_MS;
    int say = level != PAIR_FINE &&
              (always || level != h->pair_level[i] || now - h->pair_said_ms[i] >= every);
    if (say) {
        /* a running node's sessions were verified when they were made: they
         * go on, and an operator seeing no link errors must not take that
         * for health */
        int running = strcmp(category, "Service.Start") != 0;
        sipc_logf(s->log, bad ? SIPC_LOG_ERROR : SIPC_LOG_WARN, category, "%s%s", health,
                  bad && running ? " (links and connections already up stay up until they "
                                   "close or reconnect; new connections fail)"
                                 : "");
        h->pair_said_ms[i] = now;
    } else if (level != PAIR_BAD && h->pair_level[i] == PAIR_BAD) {
        sipc_logf(s->log, SIPC_LOG_INFO, category,
                  "this node's certificate verifies again: TLS handshakes can succeed");
    }
    h->pair_level[i] = level;
}

void host_pair_check(host *h, int now_say)
{
    for (int i = 0; i < HOST_NSERVICES; i++)
        if (h->svc[i].sec && h->svc[i].log)
            check_one(h, i, h->loop && !h->pair_timer_on ? "Service.Start" : "Service.Certificate",
                      now_say);
}

static void on_pair_timer(uv_timer_t *t)
{
    host_pair_check(t->data, 0);
}

void host_pair_watch_start(host *h)
{
    /* a test may ask for checks more often than the operator needs them
     * (not under 100 ms: each is a chain verification per service) */
    const char *ms = getenv("SIPCD_PAIR_CHECK_MS");
    uint64_t every = ms && atol(ms) > 0 ? (uint64_t)atol(ms) : PAIR_CHECK_MS;
    if (every < 100)
        every = 100;
    uv_timer_init(h->loop, &h->pair_timer);
    h->pair_timer.data = h;
    h->pair_timer_on = 1;
    uv_timer_start(&h->pair_timer, on_pair_timer, every, every);
    uv_unref((uv_handle_t *)&h->pair_timer);
}

void host_pair_watch_stop(host *h)
{
    if (!h->pair_timer_on)
        return;
    uv_timer_stop(&h->pair_timer);
    uv_close((uv_handle_t *)&h->pair_timer, NULL);
    h->pair_timer_on = 0;
}

int host_subject_refusal(const sipc_config *cfg, const char *key, const sipc_security *sec,
                         char *msg, size_t len)
{
    char why[700], where[PATH_MAX + 32];
    if (sipc_security_check_own_subject(sec, why, sizeof why) == 0)
        return 0;
    /* TLS off but [pipeline] tls = 1: the pipeline alone handshakes */
    int pipeline_only = !strcmp(key, "pipeline") && !cfg->tls_enable;
    snprintf(msg, len,
             "this node's certificate does not verify, %s will fail: %s; fix: correct [tls] "
             "subject in %s (each attribute named there must be in the certificate's "
             "subject with exactly the values given; `tlstool status` shows the subject), or use "
             "a certificate issued for it",
             pipeline_only ? "the pipeline's TLS handshakes ([pipeline] tls = 1; TLS is off for "
                             "the other services)"
                           : "every TLS handshake",
             why, sipc_config_where(cfg, cfg->subject_line, where, sizeof where));
    return SIPC_EPEERAUTH;
}
