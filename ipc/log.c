/* log.c - log levels and a context's default sink (stderr). */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "base/log_line.h"
#include "sipc/sipc.h"

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

void sipc_log_vprintf(sipc_log_fn fn, void *arg, sipc_log_level level, const char *category,
                      const char *fmt, va_list ap)
{
    if (!fn || !fmt)
        return;
    char msg[SIPC__LOG_LINE_MAX]; /* as long as a log line may be: cut once, by the sink */
    vsnprintf(msg, sizeof msg, fmt, ap);
    fn(arg, level, category, msg);
}

void sipc_log_printf(sipc_log_fn fn, void *arg, sipc_log_level level, const char *category,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sipc_log_vprintf(fn, arg, level, category, fmt, ap);
    va_end(ap);
}

void sipc_log_stderr(void *arg, sipc_log_level level, const char *category, const char *msg)
{
    (void)arg;
    if (level < SIPC_LOG_INFO)
        return;
    struct timespec now;
    sipc__log_now(&now);
    sipc__log_line(stderr, &now, category ? category : "", sipc_log_level_name(level),
                   msg ? msg : "");
}
