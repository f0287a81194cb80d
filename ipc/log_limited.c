/* log_limited.c - a context's rate-limited log lines (base/ratelimit.c
 * per key, host and kind), their reports, and the lines held a moment for
 * a peer's plaintext retry: what a flood of bad connections costs the log. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str_copy.h"
#include "ipc/internal.h"

/* Seconds for a report of held lines, rounded up, at least 1: "in the
 * last 0 s" reads wrong. */
static unsigned long long span_s(uint64_t ms)
{
    return ms < 1000 ? 1 : (unsigned long long)((ms + 999) / 1000);
}

static void log_held(void *arg, int level, const char *category, const char *text, uint64_t held,
                     uint64_t span_ms)
{
    sipc_ctx *ctx = arg;
    char msg[1300];
    snprintf(msg, sizeof msg, "%llu more like this in the last %llu s: %s",
             (unsigned long long)held, span_s(span_ms), text);
    ctx->opts.log(ctx->opts.log_arg, (sipc_log_level)level, category, msg);
}

/* A kind's lines counted past the log's budget (many hosts, or many keys,
 * in one interval): one line for all of them, saying the first. */
static void log_kind(void *arg, const sipc_ratelimit_kind_report *r)
{
    sipc_ctx *ctx = arg;
    char hosts[64] = "", msg[1400];
    if (r->hosts_over)
        snprintf(hosts, sizeof hosts, " from more than %u hosts", r->hosts);
    else if (r->hosts)
        snprintf(hosts, sizeof hosts, " from %u host%s", r->hosts, r->hosts == 1 ? "" : "s");
    snprintf(msg, sizeof msg,
             "%llu more %s%s in the last %llu s, not written (rate-limited: at most %d first "
             "lines of one kind and %d lines in all per %d s); the first of them: %s",
             (unsigned long long)r->held, r->various ? "lines of various kinds" : "like this",
             hosts, span_s(r->span_ms), SIPC__LOG_KIND_BURST, SIPC__LOG_BUDGET,
             SIPC__LOG_INTERVAL_MS / 1000, r->text);
    ctx->opts.log(ctx->opts.log_arg, (sipc_log_level)r->level, r->category, msg);
}

/* Writes one held line as it would have been written when held, saying
 * when that was (and how many it stands for). */
static void held_write(sipc_ctx *ctx, const sipc__held_line *h, uint64_t now)
{
    uint64_t at = h->due - SIPC__RETRY_HOLD_MS;
    uint64_t ago = now > at ? now - at : 0;
    char more[240] = "", suffix[300];
    if (h->count > 1)
        snprintf(more, sizeof more, "; and %u more from %s since, with no plaintext retry either",
                 h->count - 1, h->host);
    snprintf(suffix, sizeof suffix, " (%llu.%llu s ago%s)", (unsigned long long)(ago / 1000),
             (unsigned long long)(ago % 1000 / 100), more);
    /* the line is cut at 1023 characters (sipc__log_limited_host): a long
     * text gives way, so that when and how many are still said */
    int room = 1023 - (int)strlen(suffix);
    int cut = (int)strlen(h->text) > room;
    sipc__log_limited_text(ctx, h->key, h->host_key[0] ? h->host_key : NULL,
                           h->host_text[0] ? h->host_text : NULL,
                           h->host_any[0] ? h->host_any : NULL, h->level, h->category,
                           "%.*s%s%s", cut ? room - 3 : room, h->text, cut ? "..." : "", suffix);
}

/* Writes the held lines due by now (all: every one); returns the ms until
 * the next is due. */
static uint64_t held_flush(sipc_ctx *ctx, uint64_t now, int all)
{
    uint64_t next = UINT64_MAX;
    for (int i = 0; i < ctx->nheld;) {
        sipc__held_line *h = &ctx->held[i];
        if (!all && h->due > now) {
            if (h->due - now < next)
                next = h->due - now;
            i++;
            continue;
        }
        held_write(ctx, h, now);
        ctx->held[i] = ctx->held[--ctx->nheld];
    }
    if (!ctx->nheld) { /* a burst's table goes with it */
        free(ctx->held);
        ctx->held = NULL;
        ctx->held_cap = 0;
    }
    return next;
}

/* The oldest line held for host on owner's listener, or NULL. */
static sipc__held_line *held_oldest(sipc_ctx *ctx, const void *owner, const char *host)
{
    sipc__held_line *o = NULL;
    for (int i = 0; i < ctx->nheld; i++) {
        sipc__held_line *h = &ctx->held[i];
        if (h->owner == owner && strcmp(h->host, host) == 0 && (!o || h->seq < o->seq))
            o = h;
    }
    return o;
}

void sipc__log_hold(sipc_ctx *ctx, const void *owner, const char *peer, const char *host,
                    const char *key, const char *host_key, const char *host_text,
                    const char *host_any, sipc_log_level level, const char *category,
                    const char *text)
{
    if (!sipc__log_on(ctx, level))
        return;
    if (ctx->closing) {
        sipc__log_limited_text(ctx, key, host_key, host_text, host_any, level, category, "%s",
                                   text);
        return;
    }
    if (ctx->nheld == ctx->held_cap && ctx->held_cap < SIPC__HELD_MAX) {
        int cap = ctx->held_cap ? ctx->held_cap * 4 : 8;
        if (cap > SIPC__HELD_MAX)
            cap = SIPC__HELD_MAX;
        sipc__held_line *n = realloc(ctx->held, (size_t)cap * sizeof *n);
        if (n) {
            ctx->held = n;
            ctx->held_cap = cap;
        }
    }
    if (ctx->nheld == ctx->held_cap) {
        /* full: counted with the newest line of the same host, whose retry
         * would come first; a host not held yet is said at once */
        sipc__held_line *last = NULL;
        for (int i = 0; i < ctx->nheld; i++) {
            sipc__held_line *h = &ctx->held[i];
            if (h->owner == owner && strcmp(h->host, host) == 0 && (!last || h->seq > last->seq))
                last = h;
        }
        if (last)
            last->count++;
        else
            sipc__log_limited_text(ctx, key, host_key, host_text, host_any, level, category, "%s",
                                   text);
        return;
    }
    sipc__held_line *h = &ctx->held[ctx->nheld++];
    h->owner = owner;
    sipc_str_copy(h->host, sizeof h->host, host);
    sipc_str_copy(h->peer, sizeof h->peer, peer);
    h->due = uv_now(ctx->loop) + SIPC__RETRY_HOLD_MS;
    h->seq = ++ctx->held_seq;
    h->count = 1;
    h->level = level;
    sipc_str_copy(h->category, sizeof h->category, category);
    sipc_str_copy(h->key, sizeof h->key, key);
    sipc_str_copy(h->host_key, sizeof h->host_key, host_key ? host_key : "");
    sipc_str_copy(h->host_text, sizeof h->host_text, host_text ? host_text : "");
    sipc_str_copy(h->host_any, sizeof h->host_any, host_any ? host_any : "");
    sipc_str_copy(h->text, sizeof h->text, text);
    sipc__ctx_timer_within(ctx, SIPC__RETRY_HOLD_MS);
}

void sipc__log_retried(sipc_ctx *ctx, const void *owner, const char *host, const char *peer,
                       const char *node)
{
    sipc__held_line *h = held_oldest(ctx, owner, host);
    if (!h)
        return;
    sipc__log(ctx, SIPC_LOG_DEBUG, h->category,
              "Connection from %s: a TLS handshake on this plaintext port, then %s (node %s) "
              "from the same host in plaintext, saying it retries after its TLS was refused: a "
              "peer that offers TLS first and accepts plaintext",
              h->peer, peer, node);
    if (--h->count == 0)
        *h = ctx->held[--ctx->nheld];
}

/* A key's first line that coarse, a key over many keys of one host, holds
 * back: counted under it, and its report shows the first line it counts,
 * text (after "PREFIX; the first of them: " with a prefix). */
static void count_under(sipc_ctx *ctx, const char *coarse, const char *prefix, const char *text,
                        sipc_log_level level, const char *category, uint64_t now)
{
    uint64_t held = 0, since = 0;
    (void)sipc_ratelimit_allow_n(ctx->logrl, coarse, SIPC__LOG_HOST_BURST, now, &held, &since);
    if (held == 1) {
        char first[1100];
        if (prefix)
            snprintf(first, sizeof first, "%s; the first of them: %s", prefix, text);
        (void)sipc_ratelimit_remember(ctx->logrl, coarse, (int)level, category,
                                      prefix ? first : text);
    }
    sipc__ctx_timer_within(ctx, SIPC__LOG_INTERVAL_MS);
}

/* A key's first line let through under coarse: coarse counts it, and what
 * coarse held in its interval before, with no line of its own to carry the
 * count, is reported now (past the log's budget, under its kind). */
static void charge(sipc_ctx *ctx, const char *coarse, sipc_log_level level, const char *category,
                   uint64_t now)
{
    sipc_ratelimit *rl = ctx->logrl;
    uint64_t held = 0, since = 0;
    if (!sipc_ratelimit_allow_n(rl, coarse, SIPC__LOG_HOST_BURST, now, &held, &since) || !held)
        return; /* the former not reached: would_allow said it would */
    const char *first = sipc_ratelimit_text(rl, coarse);
    char text[1100];
    snprintf(text, sizeof text, "%s", first ? first : coarse);
    if (sipc_ratelimit_take(rl, now))
        log_held(ctx, (int)level, category, text, held, since);
    else
        sipc_ratelimit_fold(rl, text, held, (int)level, category, now);
}

/* key says what all of its lines have in common, and is what the report of
 * those held back says: never the details (port, node, reason) of one of
 * them. With host_key, a coarser key over many keys of one peer host: a few
 * new keys per interval each get their line, the rest are counted under it,
 * so a peer cycling node ids stays one summary per interval and a few slots;
 * its report says host_text of the first line it counts (host_key when not
 * given), so that it describes one of the lines it counts. With host_any,
 * the coarsest, the host alone: as few new keys of the host per interval
 * whatever their host_key (a reason that quotes what the peer sent, a name
 * it chose, varies with every connection), and its report names the first
 * it counts. A key's first line past its kind's or the context's budget
 * (SIPC__LOG_KIND_BURST, SIPC__LOG_BUDGET) is counted under its kind
 * instead, and the report of the kind shows the first it counted. */
void sipc__log_limited_text(sipc_ctx *ctx, const char *key, const char *host_key,
                            const char *host_text, const char *host_any, sipc_log_level level,
                            const char *category, const char *fmt, ...)
{
    if (!sipc__log_on(ctx, level))
        return;
    uint64_t held = 0, since = 0, now = uv_now(ctx->loop);
    sipc_ratelimit *rl = ctx->logrl;
    char msg[1200];
    va_list ap;
    if (!host_text)
        host_text = host_key;
    /* a key's first line of its interval: a key the host's would hold gets
     * no slot (a peer cycling node ids must not evict the host's key nor
     * everyone else's), nor one past its kind's budget (many hosts taking
     * turns must not either, nor make every line a first one) */
    if (rl && sipc_ratelimit_would_allow(rl, key, 1, now)) {
        uint64_t kheld = 0;
        if (host_key && !sipc_ratelimit_would_allow(rl, host_key, SIPC__LOG_HOST_BURST, now)) {
            count_under(ctx, host_key, NULL, host_text, level, category, now);
            return;
        }
        if (host_any && !sipc_ratelimit_would_allow(rl, host_any, SIPC__LOG_HOST_BURST, now)) {
            count_under(ctx, host_any, host_any, host_text ? host_text : key, level, category,
                        now);
            return;
        }
        if (!sipc_ratelimit_admit(rl, key, now, &kheld)) {
            if (kheld == 1) { /* the kind's report shows the first line it counts */
                va_start(ap, fmt);
                vsnprintf(msg, 1024, fmt, ap);
                va_end(ap);
                (void)sipc_ratelimit_remember_kind(rl, key, (int)level, category, msg);
            }
            sipc__ctx_timer_within(ctx, SIPC__LOG_INTERVAL_MS);
            return;
        }
        if (host_key)
            charge(ctx, host_key, level, category, now);
        if (host_any)
            charge(ctx, host_any, level, category, now);
    }
    if (rl && !sipc_ratelimit_allow(rl, key, now, &held, &since)) {
        sipc__ctx_timer_within(ctx, SIPC__LOG_INTERVAL_MS);
        return;
    }
    if (rl)
        (void)sipc_ratelimit_remember(rl, key, (int)level, category, key);
    va_start(ap, fmt);
    int n = vsnprintf(msg, 1024, fmt, ap);
    va_end(ap);
    if (held && n >= 0 && n < 1024)
        snprintf(msg + n, sizeof msg - (size_t)n, " (and %llu more like it in the %llu s before)",
                 (unsigned long long)held, span_s(since));
    ctx->opts.log(ctx->opts.log_arg, level, category, msg);
}

int sipc__log_limited_due(sipc_ctx *ctx, const char *key, sipc_log_level level)
{
    return sipc__log_on(ctx, level) &&
           (!ctx->logrl || sipc_ratelimit_would_allow(ctx->logrl, key, 1, uv_now(ctx->loop)));
}

uint64_t sipc__log_limited_flush(sipc_ctx *ctx, uint64_t now, int all)
{
    uint64_t next = held_flush(ctx, now, all);
    if (!ctx->logrl)
        return next;
    /* keys first: their reports past the budget go to their kinds */
    uint64_t due = sipc_ratelimit_flush(ctx->logrl, now, all, log_held, ctx);
    uint64_t kdue = sipc_ratelimit_flush_kinds(ctx->logrl, now, all, log_kind, ctx);
    if (kdue < due)
        due = kdue;
    if (due != UINT64_MAX && (due > now ? due - now : 0) < next)
        next = due > now ? due - now : 0;
    return next;
}
