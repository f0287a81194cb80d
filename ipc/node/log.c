/* log.c - the node's log files: the operator format (base/log_line.h), one
 * file per service per day under $SIPC_HOME/logs. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log_line.h"
#include "sipc/node.h"

struct sipc_logger {
    char *dir;  /* NULL: stderr only */
    char *name;
    int echo_stderr;
    sipc_log_level min_level;
    FILE *fp;
    char day[9]; /* YYYYMMDD of fp */
    uv_mutex_t lock; /* loggers may be shared by threads */
};

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

void sipc_logger_sink(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    sipc_logger *lg = arg;
    if (!lg) {
        sipc_log_stderr(NULL, level, category, msg);
        return;
    }
    if (level < lg->min_level)
        return;
    time_t now = time(NULL);
    const char *lv = sipc_log_level_name(level);
    uv_mutex_lock(&lg->lock);
    if (lg->dir) {
        struct tm tm;
        localtime_r(&now, &tm);
        logger_rotate(lg, &tm);
    }
    if (lg->fp)
        sipc__log_line(lg->fp, now, category, lv, msg);
    if (lg->echo_stderr)
        sipc__log_line(stderr, now, category, lv, msg);
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
