/* log_line.c - see log_line.h. */
#include "base/log_line.h"

#include <stdio.h>
#include <string.h>

#include "base/utf8_text.h"

/* Appends s at out[n], leaving room for the newline; returns the new length.
 * A C0 control or DEL becomes a space (a newline must not split the record);
 * any other byte that is not part of a printable UTF-8 character (a C1
 * control such as CSI, which some terminals act on, an invisible or
 * text-direction character, or broken UTF-8) becomes \xNN, so that a
 * peer's text cannot drive the terminal of whoever reads the log nor change
 * what the line shows. A character that does not fit whole is left out. */
static size_t put_clean(char *out, size_t n, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t len = sipc__utf8_printable_len(p);
        if (len) {
            if (n + len > SIPC__LOG_LINE_MAX - 1)
                break;
            memcpy(out + n, p, len);
            n += len;
            p += len;
        } else if (*p < 0x20 || *p == 0x7f) {
            if (n + 1 > SIPC__LOG_LINE_MAX - 1)
                break;
            out[n++] = ' ';
            p++;
        } else {
            if (n + 4 > SIPC__LOG_LINE_MAX - 1)
                break;
            out[n++] = '\\';
            out[n++] = 'x';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
            p++;
        }
    }
    return n;
}

size_t sipc__log_format(char *out, const struct timespec *now, const char *category,
                        const char *level, const char *msg)
{
    struct tm tm;
    localtime_r(&now->tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    /* milliseconds, cut rather than rounded (a rounded .9996 would name
     * the next second): lines written within one second, by the services
     * of a node or by nodes, are ordered by their stamps */
    long ms = now->tv_nsec / 1000000;
    if (ms < 0 || ms > 999) /* not a clock's reading: the stamp keeps its width */
        ms = 0;
    /* local time with its offset (RFC 3339): unambiguous across time zones
     * and the hour a DST change repeats */
    long off = tm.tm_gmtoff / 60;
    n += (size_t)snprintf(out + n, 12, ".%03ld%c%02ld:%02ld", ms, off < 0 ? '-' : '+',
                          (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
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

void sipc__log_now(struct timespec *now)
{
    if (clock_gettime(CLOCK_REALTIME, now) != 0) {
        now->tv_sec = time(NULL);
        now->tv_nsec = 0;
    }
}

void sipc__log_line(FILE *fp, const struct timespec *now, const char *category,
                    const char *level, const char *msg)
{
    char line[SIPC__LOG_LINE_MAX];
    size_t n = sipc__log_format(line, now, category, level, msg);
    fwrite(line, 1, n, fp);
}
