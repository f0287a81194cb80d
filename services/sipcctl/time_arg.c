/* time_arg.c - the command-line forms sipcctl's commands share: RFC 3339
 * times in UTC and k=v attributes. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sipcctl.h"

int ctl_time_parse(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, sec, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
        n != 19 || y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
        mi > 59 || sec > 60 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':')
        return SIPC_EINVAL;
    const char *p = s + 19;
    int frac = 0, digits = 0;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3)
                frac = frac * 10 + (*p - '0');
        if (digits == 0)
            return SIPC_EINVAL;
        for (int k = digits; k < 3; k++)
            frac *= 10;
    }
    if (strcmp(p, "Z") != 0 && strcmp(p, "z") != 0 && strcmp(p, "+00:00") != 0)
        return SIPC_EINVAL; /* UTC only: no guessing of offsets at 3 a.m. */
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != d)
        return SIPC_EINVAL; /* 2026-02-30 */
    *ms = (int64_t)t * 1000 + frac;
    return 0;
}

void ctl_time_format(int64_t ms, char out[40])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    if (ms % 1000)
        snprintf(out + n, 40 - n, ".%03dZ", (int)(ms % 1000));
    else
        snprintf(out + n, 40 - n, "Z");
}

int ctl_attr_split(const char *kv, char *key, size_t keylen, const char **value)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv || (size_t)(eq - kv) >= keylen)
        return SIPC_EINVAL;
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = '\0';
    *value = eq + 1;
    return 0;
}
