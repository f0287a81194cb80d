/* log_health.c - whether a node's log files can be written: one record
 * per log directory, shared by the loggers of its services
 * (sipc_logger_health), and the stderr lines that say when they stop and
 * work again. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log_line.h"
#include "ipc/node/log_health.h"
#include "ipc/node/log_internal.h"

/* Taken under a logger's lock, takes none itself. */
static uv_mutex_t health_lock;
/* directories with loggers open at once (a process runs a node or two) */
#define LOG_DIRS 16
typedef struct log_dir_health {
    char dir[1024];
    int users;   /* loggers open on dir */
    int failing; /* of them, those whose last file write failed */
    int capped;  /* of them, those whose day's file is at its cap */
    uint64_t lost_at_start; /* lines_lost_total when the failure began */
    sipc_log_health h;
} log_dir_health;
static log_dir_health health_tab[LOG_DIRS];

static int64_t wall_ms(void)
{
    struct timespec t;
    sipc__log_now(&t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void wall_text(int64_t ms, char *out, size_t len)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&s, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

/* One line to stderr, whatever the loggers do with theirs. */
void sipc__log_notice(const char *fmt, ...)
{
    char text[1600];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof text - 2)
        n = (int)sizeof text - 2;
    text[n++] = '\n';
    if (write(STDERR_FILENO, text, (size_t)n) < 0)
        return; /* stderr closed: nowhere left to say it */
}

int sipc__log_health_slot(const char *dir)
{
    int free_slot = -1;
    uv_mutex_lock(&health_lock);
    for (int i = 0; i < LOG_DIRS; i++) {
        if (health_tab[i].users && !strcmp(health_tab[i].dir, dir)) {
            health_tab[i].users++;
            uv_mutex_unlock(&health_lock);
            return i;
        }
        if (!health_tab[i].users && free_slot < 0)
            free_slot = i;
    }
    if (free_slot >= 0) {
        memset(&health_tab[free_slot], 0, sizeof health_tab[free_slot]);
        snprintf(health_tab[free_slot].dir, sizeof health_tab[free_slot].dir, "%s", dir);
        health_tab[free_slot].users = 1;
    }
    uv_mutex_unlock(&health_lock);
    return free_slot; /* -1: its failures go untold, the lines still held */
}

void sipc__log_health_fail(int slot, int *failing, int err, uint64_t lost, const char *path,
                           int echo_stderr)
{
    if (slot < 0)
        return;
    int64_t now = wall_ms();
    uv_mutex_lock(&health_lock);
    log_dir_health *e = &health_tab[slot];
    e->h.failures_total++;
    e->h.lines_lost_total += lost;
    if (!*failing) {
        *failing = 1;
        if (e->failing++ == 0) {
            e->h.failing = 1;
            e->h.failures = 0;
            e->h.since_unix_ms = now;
            e->h.first_errno = err;
            e->lost_at_start = e->h.lines_lost_total - lost;
            snprintf(e->h.last_error, sizeof e->h.last_error, "cannot write %s: %s",
                     path, strerror(err));
            char when[40];
            wall_text(now, when, sizeof when);
            sipc__log_notice("sipc: the log files in %s stopped at %s: %s; log lines %sare held and "
                   "written once the files can be written again (sipcctl status: logs)",
                   e->dir, when, e->h.last_error,
                   echo_stderr ? "still go to stderr; those not written to the files " : "");
        }
    }
    e->h.failures++;
    e->h.last_unix_ms = now;
    uv_mutex_unlock(&health_lock);
}

void sipc__log_health_tally(int slot, uint64_t failures, uint64_t lost)
{
    if (slot < 0 || (!lost && !failures))
        return;
    uv_mutex_lock(&health_lock);
    health_tab[slot].h.lines_lost_total += lost;
    health_tab[slot].h.failures_total += failures;
    uv_mutex_unlock(&health_lock);
}

void sipc__log_health_ok(int slot, int *failing, int closing)
{
    if (slot < 0 || (!*failing && !closing))
        return;
    uv_mutex_lock(&health_lock);
    log_dir_health *e = &health_tab[slot];
    if (*failing) {
        *failing = 0;
        if (--e->failing == 0 && !closing) {
            char when[40];
            wall_text(e->h.since_unix_ms, when, sizeof when);
            sipc__log_notice("sipc: the log files in %s are written again: %llu write%s failed since %s "
                   "(%s), %llu line%s lost",
                   e->dir, (unsigned long long)e->h.failures, e->h.failures == 1 ? "" : "s",
                   when, strerror(e->h.first_errno),
                   (unsigned long long)(e->h.lines_lost_total - e->lost_at_start),
                   e->h.lines_lost_total - e->lost_at_start == 1 ? "" : "s");
        }
        if (e->failing == 0) {
            e->h.failing = 0;
            e->h.failures = 0;
            e->h.since_unix_ms = e->h.last_unix_ms = 0;
            e->h.first_errno = 0;
            e->h.last_error[0] = '\0';
        }
    }
    if (closing && --e->users == 0)
        memset(&health_tab[slot], 0, sizeof health_tab[slot]);
    uv_mutex_unlock(&health_lock);
}

void sipc__log_health_init(void)
{
    uv_mutex_init(&health_lock);
}

void sipc__log_health_cap(int slot, int capped, uint64_t dropped)
{
    if (slot < 0 || (!capped && !dropped))
        return;
    uv_mutex_lock(&health_lock);
    log_dir_health *e = &health_tab[slot];
    e->capped += capped;
    e->h.capped = e->capped > 0;
    e->h.lines_dropped_total += dropped;
    uv_mutex_unlock(&health_lock);
}

int sipc__log_health_get(int slot, uint64_t file_cap, sipc_log_health *out)
{
    memset(out, 0, sizeof *out);
    if (slot >= 0) {
        uv_mutex_lock(&health_lock);
        *out = health_tab[slot].h;
        uv_mutex_unlock(&health_lock);
    }
    out->file_cap_bytes = file_cap;
    return 0;
}
