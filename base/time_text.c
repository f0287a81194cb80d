/* time_text.c - see time_text.h. */
#include <stdio.h>

#include "base/time_text.h"

void sipc_time_str(time_t t, char out[32])
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(out, 32, "(invalid time)");
}

void sipc_span_str(int64_t secs, char *out, size_t len)
{
    static const struct {
        int64_t secs;
        const char *unit;
    } units[] = {{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
    if (secs < 0)
        secs = 0;
    size_t k = 0;
    while (k + 1 < sizeof units / sizeof units[0] && secs < units[k].secs)
        k++;
    long long n = (long long)(secs / units[k].secs);
    snprintf(out, len, "%lld %s%s", n, units[k].unit, n == 1 ? "" : "s");
}
