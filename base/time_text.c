/* time_text.c - see time_text.h. */
#include <stdio.h>

#include "base/time_text.h"

void sipc_time_str(time_t t, char out[32])
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(out, 32, "(invalid time)");
}
