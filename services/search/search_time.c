/* search_time.c - see search_time.h. */
#include <stdio.h>
#include <string.h>

#include "search_time.h"
#include "sipc/errno.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): exact, no time zone or locale involved. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n decimal digits at s into *v; 0 if any is not a digit. */
static int digits(const char *s, int n, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        *v = *v * 10 + (unsigned)(s[i] - '0');
    }
    return 1;
}

int search_time_parse(const char *s, int64_t *ms, char *err, size_t errlen)
{
    static const char form[] = "expected YYYY-MM-DDTHH:MM:SSZ in UTC, e.g. 2026-11-23T10:00:00Z";
    unsigned y, mo, d, h, mi, sec, frac = 0;
    size_t len = strlen(s);
    if (len < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec)) {
        snprintf(err, errlen, "'%.40s' is not a time: %s", s, form);
        return SIPC_EINVAL;
    }
    const char *p = s + 19;
    if (*p == '.') {
        int n = 0;
        while (p[1 + n] >= '0' && p[1 + n] <= '9')
            n++;
        if (n < 1 || n > 3) {
            snprintf(err, errlen, "'%.40s': the fraction of a second takes 1 to 3 digits", s);
            return SIPC_EINVAL;
        }
        digits(p + 1, n, &frac);
        for (int i = n; i < 3; i++)
            frac *= 10;
        p += 1 + n;
    }
    if ((*p != 'Z' && *p != 'z') || p[1] != '\0') {
        snprintf(err, errlen, "'%.40s' must be UTC and end in Z (no offset): %s", s, form);
        return SIPC_EINVAL;
    }
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
        d > mdays[mo - 1] + (mo == 2 && leap(y) ? 1u : 0u) || h > 23 || mi > 59 || sec > 59) {
        snprintf(err, errlen, "'%.40s' is not a real time in 1970..9999 (UTC)", s);
        return SIPC_EINVAL;
    }
    int64_t days = days_from_civil(y, mo, d);
    *ms = ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)sec * 1000 + frac;
    return 0;
}

void search_time_format(int64_t ms, char *out, size_t outlen)
{
    if (ms < 0)
        ms = 0;
    int64_t days = ms / 86400000, rem = ms % 86400000;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, outlen, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", (long long)y, m, d,
             (unsigned)(rem / 3600000), (unsigned)(rem / 60000 % 60), (unsigned)(rem / 1000 % 60),
             (unsigned)(rem % 1000));
}
