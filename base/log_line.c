/* log_line.c - see log_line.h. */
#include "base/log_line.h"

/* Appends s at out[n], control characters as spaces, leaving room for the
 * newline; returns the new length. */
static size_t put_clean(char *out, size_t n, const char *s)
{
    for (; *s && n < SIPC__LOG_LINE_MAX - 1; s++) {
        unsigned char ch = (unsigned char)*s;
        out[n++] = (char)(ch < 0x20 || ch == 0x7f ? ' ' : ch);
    }
    return n;
}

size_t sipc__log_format(char *out, time_t now, const char *category, const char *level,
                        const char *msg)
{
    struct tm tm;
    localtime_r(&now, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    out[n++] = ' ';
    n = put_clean(out, n, category);
    if (n < SIPC__LOG_LINE_MAX - 1)
        out[n++] = ' ';
    n = put_clean(out, n, level);
    if (n < SIPC__LOG_LINE_MAX - 1)
        out[n++] = ' ';
    n = put_clean(out, n, msg);
    out[n++] = '\n';
    return n;
}

void sipc__log_line(FILE *fp, time_t now, const char *category, const char *level,
                    const char *msg)
{
    char line[SIPC__LOG_LINE_MAX];
    size_t n = sipc__log_format(line, now, category, level, msg);
    fwrite(line, 1, n, fp);
}
