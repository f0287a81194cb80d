/* search_time.c - see search_time.h: the command line's stricter form of
 * services/common/rfc3339.h. */
#include <stdio.h>
#include <string.h>

#include "rfc3339.h"
#include "search_time.h"
#include "sipc/errno.h"

static int all_digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int search_time_parse(const char *s, int64_t *ms, char *err, size_t errlen)
{
    static const char form[] = "expected YYYY-MM-DDTHH:MM:SSZ in UTC, e.g. 2026-11-23T10:00:00Z";
    /* UTC only, a 'T', at most milliseconds: what people type at 3 a.m. is
     * read as they meant it or refused, never guessed; the date and time
     * themselves are judged by the one reader of RFC 3339 */
    if (strlen(s) < 20 || !all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) ||
        s[7] != '-' || !all_digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') ||
        !all_digits(s + 11, 2) || s[13] != ':' || !all_digits(s + 14, 2) || s[16] != ':' ||
        !all_digits(s + 17, 2)) {
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
        p += 1 + n;
    }
    if ((*p != 'Z' && *p != 'z') || p[1] != '\0') {
        snprintf(err, errlen, "'%.40s' must be UTC and end in Z (no offset): %s", s, form);
        return SIPC_EINVAL;
    }
    return sipc_rfc3339_ms(s, ms, err, errlen);
}

void search_time_format(int64_t ms, char *out, size_t outlen)
{
    sipc_rfc3339_format(ms, 1, out, outlen);
}
