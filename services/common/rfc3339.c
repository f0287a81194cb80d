/* rfc3339.c - see rfc3339.h. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "rfc3339.h"
#include "sipc/errno.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil): exact for every year, no time zone database involved. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*s)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

static int bad(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return SIPC_EINVAL;
}

int sipc_rfc3339_ms(const char *s, int64_t *ms, char *err, size_t errlen)
{
    static const char form[] = "is not an RFC 3339 date-time such as 2026-11-23T10:00:00Z";
    int y, mo, d, h, mi, sec;
    const char *p = s;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d))
        return bad(err, errlen, "'%.40s' %s", s, form);
    if (*p != 'T' && *p != 't' && *p != ' ')
        return bad(err, errlen, "'%.40s' %s", s, form);
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
        digits(&p, 2, &sec))
        return bad(err, errlen, "'%.40s' %s", s, form);
    int frac = 0;
    if (*p == '.') {
        p++;
        int n = 0;
        for (; *p >= '0' && *p <= '9'; n++, p++)
            if (n < 3) /* below a millisecond: dropped */
                frac = frac * 10 + (*p - '0');
        if (n == 0)
            return bad(err, errlen, "'%.40s': a '.' must be followed by digits", s);
        for (; n < 3; n++)
            frac *= 10;
    }
    int off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
            return bad(err, errlen, "'%.40s': the offset must be Z or +HH:MM / -HH:MM", s);
        off = sign * (oh * 60 + om);
    } else {
        return bad(err, errlen, "'%.40s' has no time zone: end it with Z (UTC) or an offset", s);
    }
    if (*p)
        return bad(err, errlen, "'%.40s' has extra characters after the date-time", s);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12)
        return bad(err, errlen, "'%.40s': month %d is out of range", s, mo);
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d < 1 || d > mdays[mo - 1] + (mo == 2 && leap))
        return bad(err, errlen, "'%.40s': day %d does not exist in that month", s, d);
    if (h > 23 || mi > 59)
        return bad(err, errlen, "'%.40s': time of day is out of range", s);
    if (sec == 60)
        return bad(err, errlen, "'%.40s': a leap second (:60) has no Unix time", s);
    if (sec > 59)
        return bad(err, errlen, "'%.40s': second %d is out of range", s, sec);
    int64_t t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
                (int64_t)off * 60;
    int64_t v = t * 1000 + frac;
    if (v < 0 || v > 253402300799999LL)
        return bad(err, errlen, "'%.40s' is outside 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z",
                   s);
    *ms = v;
    return 0;
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

void sipc_rfc3339_format(int64_t ms, int with_ms, char *out, size_t outlen)
{
    if (ms < 0)
        ms = 0;
    int64_t days = ms / 86400000, rem = ms % 86400000;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int n = snprintf(out, outlen, "%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y, m, d,
                     (unsigned)(rem / 3600000), (unsigned)(rem / 60000 % 60),
                     (unsigned)(rem / 1000 % 60));
    if (n > 0 && (size_t)n < outlen) {
        if (with_ms)
            snprintf(out + n, outlen - (size_t)n, ".%03uZ", (unsigned)(rem % 1000));
        else
            snprintf(out + n, outlen - (size_t)n, "Z");
    }
}

int64_t sipc_rfc3339_now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
