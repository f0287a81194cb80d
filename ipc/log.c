/* log.c - the operator log format: "YYYY-MM-DDTHH:MM:SS Category LEVEL msg",
 * one file per service per day under $SIPC_HOME/logs. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sipc/sipc.h"

struct sipc_logger {
    char *dir;  /* NULL: stderr only */
    char *name;
    int echo_stderr;
    sipc_log_level min_level;
    FILE *fp;
    char day[9]; /* YYYYMMDD of fp */
    uv_mutex_t lock; /* loggers may be shared by threads */
};

const char *sipc_log_level_name(sipc_log_level level)
{
    switch (level) {
    case SIPC_LOG_DEBUG:
        return "DEBUG";
    case SIPC_LOG_INFO:
        return "INFO";
    case SIPC_LOG_WARN:
        return "WARN";
    case SIPC_LOG_ERROR:
        return "ERROR";
    }
    return "INFO";
}

int sipc_logger_open(sipc_logger **out, const char *dir, const char *name, int echo_stderr,
                     sipc_log_level min_level)
{
    sipc_logger *lg = calloc(1, sizeof *lg);
    if (!lg)
        return SIPC_ENOMEM;
    lg->name = strdup(name ? name : "sipc");
    lg->dir = dir ? strdup(dir) : NULL;
    if (!lg->name || (dir && !lg->dir)) {
        free(lg->name);
        free(lg->dir);
        free(lg);
        return SIPC_ENOMEM;
    }
    if (lg->dir && mkdir(lg->dir, 0750) != 0 && errno != EEXIST) {
        int e = -errno;
        free(lg->name);
        free(lg->dir);
        free(lg);
        return e;
    }
    lg->echo_stderr = echo_stderr;
    lg->min_level = min_level;
    uv_mutex_init(&lg->lock);
    *out = lg;
    return 0;
}

void sipc_logger_close(sipc_logger *lg)
{
    if (!lg)
        return;
    if (lg->fp)
        fclose(lg->fp);
    uv_mutex_destroy(&lg->lock);
    free(lg->dir);
    free(lg->name);
    free(lg);
}

/* Reopens the file when the day changes; on failure keeps logging to stderr. */
static void logger_rotate(sipc_logger *lg, const struct tm *tm)
{
    char day[9];
    strftime(day, sizeof day, "%Y%m%d", tm);
    if (lg->fp && strcmp(day, lg->day) == 0)
        return;
    if (lg->fp)
        fclose(lg->fp);
    lg->fp = NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s_%s.log", lg->dir, lg->name, day);
    lg->fp = fopen(path, "ae");
    if (lg->fp) {
        setvbuf(lg->fp, NULL, _IOLBF, 0);
        memcpy(lg->day, day, sizeof day);
    } else if (!lg->echo_stderr) {
        fprintf(stderr, "sipc: cannot open log file %s: %s\n", path, strerror(errno));
    }
}

/* One record is one line: control characters (a newline in a peer's error
 * message, say) become spaces, so nothing can forge or split a log line. */
static void put_clean(FILE *fp, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        putc(ch < 0x20 || ch == 0x7f ? ' ' : ch, fp);
    }
}

static void put_line(FILE *fp, const char *ts, const char *category, sipc_log_level level,
                     const char *msg)
{
    fprintf(fp, "%s ", ts);
    put_clean(fp, category);
    fprintf(fp, " %s ", sipc_log_level_name(level));
    put_clean(fp, msg);
    putc('\n', fp);
}

void sipc_logger_sink(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    sipc_logger *lg = arg;
    if (!lg) {
        /* no logger: stderr at INFO and above, in the same format */
        if (level < SIPC_LOG_INFO)
            return;
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        char ts[32];
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
        put_line(stderr, ts, category, level, msg);
        return;
    }
    if (level < lg->min_level)
        return;
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    uv_mutex_lock(&lg->lock);
    if (lg->dir)
        logger_rotate(lg, &tm);
    if (lg->fp)
        put_line(lg->fp, ts, category, level, msg);
    if (lg->echo_stderr)
        put_line(stderr, ts, category, level, msg);
    uv_mutex_unlock(&lg->lock);
}

void sipc_logf(sipc_logger *lg, sipc_log_level level, const char *category, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sipc_logger_sink(lg, level, category, msg);
}
